//! Telegram `Update`s (one per webhook POST, or a list from `getUpdates`) → events.
//!
//! Handled: `message`; `edited_message`; `callback_query` (a tap on an inline button);
//! `message_reaction`. Everything else (channel posts, inline queries, `my_chat_member`,
//! polls, business messages, …) is `None`: acknowledged and ignored.
//!
//! Choices:
//! - `edited_message` becomes a new [`InboundMessage`] whose `edit_of` is the original's
//!   external id, whose own external id is `"{chat}:{message}:edit:{edit_date}"` (so a
//!   redelivered edit dedupes, a second edit does not), and whose `timestamp` is the
//!   edit time. The agent sees the corrected text; the original stays as it was.
//! - A `callback_query` becomes an `Interactive` message with `interactive_reply.id` =
//!   the button's `data` and `title` = the button's label (found in the message's
//!   keyboard; `data` if not found). Its external id is `"callback:{query id}"` (see
//!   [`super::callback_query_id`]) and it replies to the message holding the keyboard.
//!   Telegram gives a button tap no time of its own, so its `timestamp` is the
//!   `received_at` passed in ([`parse_update`] uses the clock; tests use `*_at`).
//! - In `getUpdates`, an update whose `update_id` is readable but whose content is not
//!   becomes [`InboundEvent::Ignored`] with the reason: the poller must still be able to
//!   move its offset past it, or one bad update would block the bot for 24 hours.

use chrono::{DateTime, Utc};
use saw_core::conversation::MessageKind;
use serde_json::Value;

use super::message::{self, person_name};
use super::{CALLBACK_PREFIX, message_external_id};
use crate::error::ParseError;
use crate::inbound::{ChosenOption, InboundEvent, InboundMessage};
use crate::json::Node;

/// One `Update` (a webhook POST body); `None` for kinds SAW ignores. Button taps are
/// stamped with the current time.
pub fn parse_update(body: &[u8]) -> Result<Option<InboundEvent>, ParseError> {
    parse_update_at(body, Utc::now())
}

/// [`parse_update`] with the time the update was received given explicitly.
pub fn parse_update_at(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Option<InboundEvent>, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    let update = Node::root(&root);
    update.req_i64("update_id")?;
    event(&update, received_at)
}

/// A `getUpdates` answer: each update's `update_id` (to confirm with `offset = last + 1`)
/// and its event. `{"ok": false, …}` is [`ParseError::Api`].
pub fn parse_get_updates(body: &[u8]) -> Result<Vec<(i64, Option<InboundEvent>)>, ParseError> {
    parse_get_updates_at(body, Utc::now())
}

/// [`parse_get_updates`] with the time the answer was received given explicitly.
pub fn parse_get_updates_at(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Vec<(i64, Option<InboundEvent>)>, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    let root = Node::root(&root);
    let ok = root.opt_bool("ok").ok_or_else(|| root.missing("ok"))?;
    if !ok {
        return Err(ParseError::Api {
            code: root.opt_i64("error_code"),
            description: root.opt_string("description").unwrap_or_default(),
        });
    }
    if root.field("result").is_none() {
        return Err(root.missing("result"));
    }
    root.array("result")?
        .iter()
        .map(|update| {
            let id = update.req_i64("update_id")?;
            let event = event(update, received_at).unwrap_or_else(|e| {
                Some(InboundEvent::Ignored {
                    reason: format!("Telegram update {id} could not be read: {e}"),
                })
            });
            Ok((id, event))
        })
        .collect()
}

fn event(
    update: &Node<'_>,
    received_at: DateTime<Utc>,
) -> Result<Option<InboundEvent>, ParseError> {
    if let Some(m) = update.field("message") {
        return Ok(Some(InboundEvent::Message(message::parse(&m)?)));
    }
    if let Some(m) = update.field("edited_message") {
        return Ok(Some(InboundEvent::Message(edited(&m)?)));
    }
    if let Some(q) = update.field("callback_query") {
        return callback(&q, received_at);
    }
    if let Some(r) = update.field("message_reaction") {
        return reaction(&r);
    }
    Ok(None)
}

fn edited(m: &Node<'_>) -> Result<InboundMessage, ParseError> {
    let mut msg = message::parse(m)?;
    let edited_at = match m.field("edit_date") {
        Some(_) => m.req_unix_time("edit_date")?,
        None => msg.timestamp,
    };
    let original = std::mem::take(&mut msg.external_id);
    msg.external_id = format!("{original}:edit:{}", edited_at.timestamp());
    msg.edit_of = Some(original);
    msg.timestamp = edited_at;
    Ok(msg)
}

fn callback(q: &Node<'_>, received_at: DateTime<Utc>) -> Result<Option<InboundEvent>, ParseError> {
    let query_id = q.req_str("id")?;
    let user = q.req("from")?;
    let user_id = user.req_i64("id")?;
    // Game buttons carry `game_short_name` instead of `data`: nothing for SAW.
    let Some(data) = q.opt_str("data") else {
        return Ok(None);
    };
    let holder = q.field("message");
    let chat_id = holder
        .as_ref()
        .and_then(|m| m.field("chat"))
        .and_then(|c| c.opt_i64("id"))
        .unwrap_or(user_id);
    let title = holder
        .as_ref()
        .and_then(|m| button_label(m, data))
        .unwrap_or_else(|| data.to_string());

    let mut msg = InboundMessage::new(
        format!("{CALLBACK_PREFIX}{query_id}"),
        chat_id.to_string(),
        received_at,
        MessageKind::Interactive,
    );
    msg.contact_name = person_name(&user);
    msg.text = Some(title.clone());
    msg.interactive_reply = Some(ChosenOption {
        id: data.to_string(),
        title,
    });
    msg.reply_to_external_id = holder
        .as_ref()
        .and_then(|m| m.opt_i64("message_id"))
        .map(|id| message_external_id(chat_id, id));
    Ok(Some(InboundEvent::Message(msg)))
}

/// The label of the inline button whose `callback_data` is `data`.
fn button_label(m: &Node<'_>, data: &str) -> Option<String> {
    m.field("reply_markup")?
        .value()
        .get("inline_keyboard")?
        .as_array()?
        .iter()
        .filter_map(Value::as_array)
        .flatten()
        .find(|b| b.get("callback_data").and_then(Value::as_str) == Some(data))?
        .get("text")?
        .as_str()
        .map(str::to_string)
}

/// `message_reaction`: only plain emoji reactions are modelled; an empty
/// `new_reaction` means the reaction was removed.
fn reaction(r: &Node<'_>) -> Result<Option<InboundEvent>, ParseError> {
    let chat_id = r.req("chat")?.req_i64("id")?;
    let message_id = r.req_i64("message_id")?;
    let timestamp = r.req_unix_time("date")?;
    let new = r.objects("new_reaction");
    let emoji = new
        .iter()
        .find(|t| t.opt_str("type") == Some("emoji"))
        .and_then(|t| t.opt_string("emoji"));
    if emoji.is_none() && !new.is_empty() {
        return Ok(None); // custom or paid reactions only
    }
    Ok(Some(InboundEvent::Reaction {
        message_external_id: message_external_id(chat_id, message_id),
        from: chat_id.to_string(),
        emoji,
        timestamp,
    }))
}
