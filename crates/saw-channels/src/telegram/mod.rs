//! Telegram Bot API, inbound side (sending is [`crate::outbound::telegram`]).
//!
//! Reading order: [`secret`] (is a webhook POST from Telegram), then [`update`] (one
//! `Update`, or a `getUpdates` answer, to events), which hands messages to `message`.
//! The wire format is described in the project's `protocols.md`, part B.
//!
//! Ids: a Telegram `message_id` is unique only inside its chat, so SAW's external id for a
//! Telegram message is `"{chat_id}:{message_id}"` ([`message_external_id`]); the sending
//! side must record what it sends in the same form so replies and reactions find it.
//! The customer (`from`) is the chat id: in a private chat it equals the user id, and it
//! is where replies go.

mod message;
pub mod secret;
pub mod update;

pub use secret::verify_secret_token;
pub use update::{parse_get_updates, parse_get_updates_at, parse_update, parse_update_at};

/// The prefix of the external id of a callback query (an inline-button tap), followed by
/// the query id that `answerCallbackQuery` needs.
pub const CALLBACK_PREFIX: &str = "callback:";

/// SAW's external id for message `message_id` of chat `chat_id`.
pub fn message_external_id(chat_id: i64, message_id: i64) -> String {
    format!("{chat_id}:{message_id}")
}

/// The callback query id inside an external id made for a button tap, to answer it with
/// `answerCallbackQuery`; `None` for ids of ordinary messages.
pub fn callback_query_id(external_id: &str) -> Option<&str> {
    external_id.strip_prefix(CALLBACK_PREFIX)
}
