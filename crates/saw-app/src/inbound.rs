//! Inbound traffic from the providers, stored before it is acknowledged.
//!
//! A WhatsApp webhook is checked against the app secret of the numbers SAW serves, parsed,
//! and applied in ONE write transaction: each new message finds or creates its contact and
//! open ticket and is stored; a redelivered message (same channel and provider id) changes
//! nothing; a reaction updates the message it points at and never opens a ticket; a
//! delivery status moves its message forward (never backwards) or is kept until that
//! message appears. Only after that commit does the caller answer 200, so an acknowledged
//! webhook is never lost.
//!
//! A Telegram webhook (`/webhooks/telegram/{channel}`) is checked against the bot's secret
//! token and applied the same way.
//!
//! A customer has at most one unresolved ticket per channel (a partial unique index holds
//! it); a message after resolution reopens the last ticket within the account's reopening
//! window, or opens a new one. A new ticket starts with the bot ([`crate::bot`]), which
//! greets, shows its menu and answers each message in the same transaction until it hands
//! the ticket to a queue or resolves it. What changed is published on the event bus after
//! the commit.

use chrono::{DateTime, Utc};
use saw_channels::inbound::{InboundEvent, InboundMessage, StatusUpdate};
use saw_channels::{telegram, whatsapp};
use saw_core::channel::{Channel, WhatsAppConfig};
use saw_core::conversation::{ChannelKind, MessageDirection, TicketStatus};
use saw_core::ids::{ChannelId, ContactId, TicketId};
use saw_core::phone;
use saw_store::repo::messages::{self, NewInbound, StatusApplied};
use saw_store::repo::{bot, contacts, tickets};
use saw_store::{Conn, StoreError, now};
use subtle::ConstantTimeEq;

use crate::bot_config::{BotConfigs, Lazy};
use crate::events::{self, Event};
use crate::{App, AppError, channels};

/// What one webhook changed, for the log line and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WebhookOutcome {
    pub messages_stored: usize,
    pub duplicates: usize,
    pub tickets_opened: usize,
    pub statuses_applied: usize,
    pub statuses_kept: usize,
    pub reactions: usize,
    pub ignored: usize,
    /// Phone number ids the payload named that SAW does not serve (acknowledged, dropped).
    pub unknown_numbers: Vec<String>,
    /// What changed, to publish once the transaction committed.
    pub events: Vec<Event>,
    /// Telegram callback queries (button taps) stored now, to answer so the customer's
    /// button stops spinning.
    pub callbacks: Vec<String>,
}

/// Answers the GET handshake: the challenge when `verify_token` is the one of a WhatsApp
/// number SAW serves.
pub async fn whatsapp_handshake(
    app: &App,
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
) -> Result<Option<String>, AppError> {
    let answer = channels::active::find(app, |active| {
        active
            .whatsapp()
            .find_map(|(_, config)| {
                whatsapp::verify_handshake(
                    mode,
                    verify_token,
                    config.secrets.verify_token.expose(),
                    challenge,
                )
            })
            .map(str::to_owned)
            .ok_or(AppError::NotFound)
    });
    match answer.await {
        Ok(challenge) => Ok(Some(challenge)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Verifies, parses and stores one WhatsApp webhook POST.
pub async fn whatsapp_webhook(
    app: &App,
    body: &[u8],
    signature: Option<&str>,
) -> Result<WebhookOutcome, AppError> {
    // Which numbers' app secret signed this body: only those may receive its events.
    let signed_by = channels::active::find(app, |active| {
        let signers: Vec<(Channel, WhatsAppConfig)> = active
            .whatsapp()
            .filter(|(_, config)| {
                whatsapp::verify_signature(
                    config.secrets.app_secret.expose().as_bytes(),
                    signature,
                    body,
                )
                .is_ok()
            })
            .map(|(channel, config)| (channel.clone(), config.clone()))
            .collect();
        if signers.is_empty() {
            Err(AppError::BadSignature)
        } else {
            Ok(signers)
        }
    })
    .await?;
    let events = whatsapp::parse(body).map_err(|e| AppError::Malformed(e.to_string()))?;
    let mut outcome = WebhookOutcome::default();
    let mut routed = Vec::with_capacity(events.len());
    for (number, event) in events {
        let channel = signed_by
            .iter()
            .find(|(_, config)| {
                bool::from(config.phone_number_id.as_bytes().ct_eq(number.as_bytes()))
            })
            .map(|(channel, _)| channel.clone());
        match channel {
            Some(channel) => routed.push((channel, event)),
            None => {
                app.counters.count_unknown_whatsapp_number(&number);
                if !outcome.unknown_numbers.contains(&number) {
                    outcome.unknown_numbers.push(number);
                }
            }
        }
    }
    if routed.is_empty() {
        return Ok(outcome);
    }
    commit(app, routed, outcome).await
}

/// Verifies, parses and stores one Telegram webhook update for channel `channel_id`.
pub async fn telegram_webhook(
    app: &App,
    channel_id: i64,
    secret_token: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, AppError> {
    let id = ChannelId::new(channel_id);
    let (channel, config) = channels::active::find(app, |active| {
        let (channel, config) = active.telegram(id).ok_or(AppError::NotFound)?;
        if telegram::verify_secret_token(secret_token, config.secrets.webhook_secret.expose()) {
            Ok((channel.clone(), config.clone()))
        } else {
            Err(AppError::BadSignature)
        }
    })
    .await?;
    let event = telegram::parse_update(body).map_err(|e| AppError::Malformed(e.to_string()))?;
    let mut outcome = WebhookOutcome::default();
    let Some(event) = event else {
        outcome.ignored += 1;
        return Ok(outcome);
    };
    let applied = commit(app, vec![(channel, event)], outcome).await?;
    if !applied.callbacks.is_empty() {
        let (callbacks, config) = (applied.callbacks.clone(), config.clone());
        tokio::spawn(async move {
            if let Ok(http) = crate::outbox::http_client() {
                crate::telegram_poller::answer_callbacks(&http, &config, &callbacks).await;
            }
        });
    }
    Ok(applied)
}

/// Applies events in ONE write transaction, then publishes what changed. Every inbound
/// path (webhooks, Telegram polling, the sandbox) ends here.
pub(crate) async fn commit(
    app: &App,
    routed: Vec<(Channel, InboundEvent)>,
    outcome: WebhookOutcome,
) -> Result<WebhookOutcome, AppError> {
    let configs = app.bot_configs.clone();
    // Replayable: `apply` writes only to the database (and reads the bot's cached
    // configuration, which keeps nothing read in a transaction that rolls back).
    let mut applied = app
        .store
        .write_replayable(move |c| {
            let mut outcome = outcome.clone();
            for (channel, event) in &routed {
                apply(c, &configs, channel, event, &mut outcome)?;
            }
            Ok::<_, StoreError>(outcome)
        })
        .await?;
    app.events.publish(std::mem::take(&mut applied.events));
    Ok(applied)
}

fn apply(
    c: &mut dyn Conn,
    configs: &BotConfigs,
    channel: &Channel,
    event: &InboundEvent,
    outcome: &mut WebhookOutcome,
) -> Result<(), StoreError> {
    match event {
        InboundEvent::Message(message) => store_message(c, configs, channel, message, outcome),
        InboundEvent::Reaction {
            message_external_id,
            emoji,
            ..
        } => {
            let emoji = emoji.as_deref().filter(|e| !e.is_empty());
            if let Some((message, ticket)) =
                messages::set_reaction(c, channel.id, message_external_id, emoji, now())?
            {
                outcome.reactions += 1;
                outcome.events.push(Event::MessageStatus {
                    account_id: channel.account_id,
                    ticket_id: ticket,
                    message_id: message,
                    status: messages::status_of(c, message)?,
                });
            } else {
                outcome.ignored += 1;
            }
            Ok(())
        }
        InboundEvent::Status(status) => store_status(c, channel, status, outcome),
        InboundEvent::Ignored { reason } => {
            tracing::info!(channel = %channel.id, reason = %reason, "webhook element ignored");
            outcome.ignored += 1;
            Ok(())
        }
    }
}

fn store_message(
    c: &mut dyn Conn,
    configs: &BotConfigs,
    channel: &Channel,
    message: &InboundMessage,
    outcome: &mut WebhookOutcome,
) -> Result<(), StoreError> {
    if messages::exists(c, channel.id, &message.external_id)? {
        outcome.duplicates += 1;
        return Ok(());
    }
    let at = now();
    let family = channel.kind.as_str();
    // PostgreSQL refuses NUL in text; a customer's stray NUL must not block the webhook.
    let name = message.contact_name.as_deref().map(without_nul);
    let text = message.text.as_deref().map(without_nul);
    let phone = message.phone.as_deref().and_then(phone::canonical_e164);
    let contact = contacts::upsert_seen(
        c,
        &contacts::SeenContact {
            account_id: channel.account_id,
            family,
            external_id: external_customer_id(channel.kind, message),
            name: name.as_deref(),
            phone: phone.as_deref(),
            provider_user_id: message.from_user_id.as_deref(),
        },
        at,
    )?;
    let mut config = configs.lazy(channel.account_id);
    let (ticket, arrival) = ticket_for(c, &mut config, channel, contact, message, at, outcome)?;
    let extras = extras_json(message);
    let message_id = messages::insert_inbound(
        c,
        &NewInbound {
            account_id: channel.account_id,
            ticket_id: ticket,
            channel_id: channel.id,
            provider_id: &message.external_id,
            kind: message.kind,
            body: text.as_deref(),
            media_ref: message.media.as_ref().map(|m| m.provider_media_id.as_str()),
            media_type: message.media.as_ref().and_then(|m| m.mime_type.as_deref()),
            media_filename: message.media.as_ref().and_then(|m| m.filename.as_deref()),
            reply_to_provider_id: message.reply_to_external_id.as_deref(),
            raw: extras.as_deref(),
            at: message.timestamp,
        },
        at,
    )?;
    tickets::touch_inbound(c, ticket, message.timestamp, at)?;
    outcome.events.push(Event::MessageCreated {
        account_id: channel.account_id,
        ticket_id: ticket,
        message_id,
        direction: MessageDirection::Inbound,
    });
    if arrival == Arrival::Rating {
        let config = config.get(c)?;
        crate::csat::thank(c, &config, channel, ticket, at, &mut outcome.events)?;
    }
    // A ticket still with the bot: the bot answers (a new ticket: its greeting and menu).
    let with_bot = match arrival {
        Arrival::New => true,
        Arrival::Rating => false,
        Arrival::Continuing { with_bot } => with_bot,
    };
    if with_bot {
        let config = config.get(c)?;
        let turn = match arrival {
            Arrival::New => crate::bot::Turn::NewTicket(message),
            _ => crate::bot::Turn::Message(message),
        };
        crate::bot::converse(
            c,
            &config,
            channel,
            ticket,
            contact,
            turn,
            at,
            &mut outcome.events,
        )?;
    }
    if channel.kind == ChannelKind::Telegram
        && let Some(query) = telegram::callback_query_id(&message.external_id)
    {
        outcome.callbacks.push(query.to_owned());
    }
    outcome.messages_stored += 1;
    Ok(())
}

/// How a customer's message meets its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Their unresolved ticket, or the last one reopened; `with_bot` while the bot has it.
    Continuing { with_bot: bool },
    /// A new ticket, with the bot, which greets it.
    New,
    /// The rating asked by their last resolved ticket, which stays resolved.
    Rating,
}

/// The ticket a customer's message belongs to: their unresolved one on this channel, the
/// resolved one whose satisfaction question it answers, the last one reopened when it was
/// resolved within the account's reopening window, or a new one with the bot.
fn ticket_for(
    c: &mut dyn Conn,
    config: &mut Lazy<'_>,
    channel: &Channel,
    contact: ContactId,
    message: &InboundMessage,
    at: DateTime<Utc>,
    outcome: &mut WebhookOutcome,
) -> Result<(TicketId, Arrival), StoreError> {
    if let Some((ticket, status)) = tickets::open_for_contact(c, contact, channel.id)? {
        return Ok((
            ticket,
            Arrival::Continuing {
                with_bot: status == TicketStatus::Bot,
            },
        ));
    }
    let config = config.get(c)?;
    let account = &config.account;
    if let Some(ticket) = crate::csat::take_rating(c, account, channel, contact, message, at)? {
        return Ok((ticket, Arrival::Rating));
    }
    let grace = chrono::Duration::minutes(account.conversations.reopen_grace_minutes);
    if let Some(ticket) = tickets::resolved_since(c, contact, channel.id, at - grace)? {
        let status = tickets::reopen(c, channel.account_id, ticket, at)?;
        outcome.events.push(events::ticket_changed(c, ticket)?);
        let with_bot = status == TicketStatus::Bot;
        return Ok((ticket, Arrival::Continuing { with_bot }));
    }
    let (ticket, _) = tickets::insert(
        c,
        &tickets::NewTicket {
            account_id: channel.account_id,
            contact_id: contact,
            channel_id: channel.id,
            queue_id: None,
            status: TicketStatus::Bot,
        },
        at,
    )?;
    if message.try_draft && channel.kind == ChannelKind::Sandbox {
        bot::mark_trial(c, ticket)?;
    }
    outcome.tickets_opened += 1;
    outcome.events.push(Event::TicketCreated {
        account_id: channel.account_id,
        ticket_id: ticket,
    });
    Ok((ticket, Arrival::New))
}

fn without_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// WhatsApp users who hide their number have only the business-scoped user id.
fn external_customer_id(kind: ChannelKind, message: &InboundMessage) -> &str {
    match (
        kind,
        message.from.is_empty(),
        message.from_user_id.as_deref(),
    ) {
        (ChannelKind::WhatsApp, true, Some(user_id)) => user_id,
        _ => &message.from,
    }
}

/// What a message carries besides text and media, kept as JSON: the raw object of an
/// unsupported kind (shown to agents as such), or the location, contact cards and chosen
/// option of the kinds that have them.
fn extras_json(message: &InboundMessage) -> Option<String> {
    if let Some(raw) = &message.raw {
        return Some(raw.to_string());
    }
    let mut extras = serde_json::Map::new();
    if let Some(location) = &message.location {
        extras.insert("location".into(), serde_json::to_value(location).ok()?);
    }
    if !message.contacts.is_empty() {
        extras.insert(
            "contacts".into(),
            serde_json::to_value(&message.contacts).ok()?,
        );
    }
    if let Some(option) = &message.interactive_reply {
        extras.insert("chosen".into(), serde_json::to_value(option).ok()?);
    }
    (!extras.is_empty()).then(|| serde_json::Value::Object(extras).to_string())
}

fn store_status(
    c: &mut dyn Conn,
    channel: &Channel,
    status: &StatusUpdate,
    outcome: &mut WebhookOutcome,
) -> Result<(), StoreError> {
    let error = (!status.errors.is_empty()).then(|| {
        status
            .errors
            .iter()
            .map(|e| {
                let why = e
                    .details
                    .as_deref()
                    .or(e.message.as_deref())
                    .or(e.title.as_deref());
                format!("{} {}", e.code, why.unwrap_or_default())
                    .trim()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    match messages::apply_status(
        c,
        channel.id,
        &status.message_external_id,
        status.status,
        error.as_deref(),
        status.timestamp,
    )? {
        StatusApplied::Updated { message, ticket } => {
            outcome.statuses_applied += 1;
            outcome.events.push(Event::MessageStatus {
                account_id: channel.account_id,
                ticket_id: ticket,
                message_id: message,
                status: status.status,
            });
        }
        StatusApplied::Stale => outcome.ignored += 1,
        StatusApplied::Kept => outcome.statuses_kept += 1,
    }
    Ok(())
}
