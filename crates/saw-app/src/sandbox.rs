//! The sandbox channel: conversations typed in SAW itself, so anyone can try the whole flow
//! (ticket, greeting, queues, agents) with no provider account. A message typed on the
//! sandbox page goes through exactly the same store step as a provider's webhook; replies
//! go through the same outbox and are delivered locally.

use saw_channels::inbound::{ChosenOption, InboundEvent, InboundMessage};
use saw_core::channel::Channel;
use saw_core::conversation::{ChannelKind, MessageKind};
use saw_core::ids::AccountId;
use saw_core::user::user_name;
use saw_core::validation::{ValidationError, message_text};
use saw_store::now;
use saw_store::repo::channels;
use saw_store::repo::messages::{self, MessageRow};

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
/// `chosen_option` as their tap on that menu option (`text` being its title).
pub async fn customer_writes(
    app: &App,
    account: AccountId,
    customer: &str,
    name: &str,
    text: &str,
    chosen_option: Option<&str>,
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
    let event = InboundEvent::Message(message);
    commit(app, vec![(channel, event)], WebhookOutcome::default()).await
}

/// What the pretend customer's phone shows: the last messages both ways.
pub async fn conversation(
    app: &App,
    account: AccountId,
    customer: &str,
) -> Result<Vec<MessageRow>, AppError> {
    let customer = customer_id(customer)?;
    let Some(channel) = channel(app, account).await? else {
        return Ok(Vec::new());
    };
    Ok(app
        .store
        .read(move |c| messages::with_customer(c, account, channel.id, &customer, 100))
        .await?)
}
