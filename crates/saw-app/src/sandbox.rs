//! The sandbox channel: conversations typed in SAW itself, so anyone can try the whole flow
//! (ticket, greeting, queues, agents) with no provider account. A message typed on the
//! sandbox page goes through exactly the same store step as a provider's webhook; replies
//! go through the same outbox and are delivered locally.

use saw_channels::inbound::{ChosenOption, InboundEvent, InboundMessage};
use saw_core::channel::Channel;
use saw_core::conversation::{ChannelKind, DeliveryStatus, MessageDirection, MessageKind};
use saw_core::ids::AccountId;
use saw_core::user::user_name;
use saw_core::validation::{ValidationError, message_text};
use saw_store::now;
use saw_store::repo::channels;
use saw_store::repo::messages::{self, MessageRow, StatusApplied};

use crate::events::Event;
use crate::inbound::{WebhookOutcome, commit};
use crate::{App, AppError, random};

/// The account's active sandbox channel, if it has one.
pub async fn channel(app: &App, account: AccountId) -> Result<Option<Channel>, AppError> {
    let list = app.store.read(move |c| channels::list(c, account)).await?;
    Ok(list
        .into_iter()
        .map(|s| s.channel)
        .find(|c| c.kind == ChannelKind::Sandbox && c.active))
}

/// A pretend customer's id on the sandbox: letters, digits, `-`, `_` and `.`, 1–64 long.
fn customer_id(raw: &str) -> Result<String, AppError> {
    let id = raw.trim();
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(id.to_owned())
    } else {
        Err(AppError::Invalid(ValidationError::InvalidProviderId(
            "customer id",
        )))
    }
}

/// Stores `text` as if `customer` had written it on the account's sandbox channel, or with
/// `chosen_option` as their tap on that menu option (`text` being its title). With
/// `try_draft`, a conversation it starts talks with the flow's unpublished draft.
pub async fn customer_writes(
    app: &App,
    account: AccountId,
    customer: &str,
    name: &str,
    text: &str,
    chosen_option: Option<&str>,
    try_draft: bool,
) -> Result<WebhookOutcome, AppError> {
    let customer = customer_id(customer)?;
    let name = user_name(name)?;
    let text = message_text(text)?;
    let channel = channel(app, account).await?.ok_or(AppError::NotFound)?;
    let kind = match chosen_option {
        Some(_) => MessageKind::Interactive,
        None => MessageKind::Text,
    };
    let mut message = InboundMessage::new(
        format!("sandbox-in:{}", random::token()),
        customer,
        now(),
        kind,
    );
    message.contact_name = Some(name);
    // A tap on a menu button, as WhatsApp reports one: the option's id and title.
    message.interactive_reply = chosen_option.map(|id| ChosenOption {
        id: id.to_owned(),
        title: text.clone(),
    });
    message.text = Some(text);
    message.try_draft = try_draft;
    let event = InboundEvent::Message(message);
    commit(app, vec![(channel, event)], WebhookOutcome::default()).await
}

/// What the pretend customer's phone shows: the last messages both ways. Showing them is
/// reading them: replies delivered to the phone turn `read`, as WhatsApp's blue ticks do.
pub async fn conversation(
    app: &App,
    account: AccountId,
    customer: &str,
) -> Result<Vec<MessageRow>, AppError> {
    let customer = customer_id(customer)?;
    let Some(channel) = channel(app, account).await? else {
        return Ok(Vec::new());
    };
    let mut rows = app
        .store
        .read(move |c| messages::with_customer(c, account, channel.id, &customer, 100))
        .await?;
    let unread: Vec<String> = rows
        .iter()
        .filter(|m| m.direction == MessageDirection::Outbound)
        .filter(|m| m.status == DeliveryStatus::Delivered)
        .filter_map(|m| m.provider_id.clone())
        .collect();
    if unread.is_empty() {
        return Ok(rows);
    }
    let changes = app
        .store
        .write(move |c| {
            let at = now();
            let mut changes = Vec::new();
            for provider_id in &unread {
                let applied = messages::apply_status(
                    c,
                    channel.id,
                    provider_id,
                    DeliveryStatus::Read,
                    None,
                    at,
                )?;
                if let StatusApplied::Updated { message, ticket } = applied {
                    changes.push(Event::MessageStatus {
                        account_id: account,
                        ticket_id: ticket,
                        message_id: message,
                        status: DeliveryStatus::Read,
                    });
                }
            }
            Ok::<_, AppError>(changes)
        })
        .await?;
    for row in &mut rows {
        let read = changes
            .iter()
            .any(|e| matches!(e, Event::MessageStatus { message_id, .. } if *message_id == row.id));
        if read {
            row.status = DeliveryStatus::Read;
        }
    }
    app.events.publish(changes);
    Ok(rows)
}
