//! The one shape the engine consumes, whatever the channel.
//!
//! Each adapter's job ends here: WhatsApp webhooks and Telegram updates both become
//! [`InboundEvent`]s, so the engine (dedupe, contact, ticket, bot, routing) never learns a
//! provider's wire format. The shape keeps what a helpdesk needs to show and route a
//! message; provider extras that SAW does not model (ad referrals, pricing, entities) are
//! dropped, except that a message SAW cannot represent keeps its raw JSON in
//! [`InboundMessage::raw`] so nothing a customer sent is lost.
//!
//! Identifiers are opaque strings, kept exactly as the provider sent them: a WhatsApp
//! `wa_id` is never "corrected" (a Brazilian number without the ninth digit stays as it is;
//! replies must go to the id WhatsApp gave), and media ids are never parsed as numbers.

use chrono::{DateTime, Utc};
use saw_core::conversation::{DeliveryStatus, MessageKind};
use serde::{Deserialize, Serialize};

use crate::contact_card::ContactCard;
use crate::serde_text;

/// Something a provider told SAW about a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every event is a Message: boxing it would add an allocation and save nothing"
)]
pub enum InboundEvent {
    /// A customer wrote, sent media, tapped a button, …
    Message(InboundMessage),
    /// A customer reacted to one of the business's messages; `emoji: None` means the
    /// reaction was removed (WhatsApp sends no `emoji` or an empty one for that).
    Reaction {
        message_external_id: String,
        from: String,
        emoji: Option<String>,
        timestamp: DateTime<Utc>,
    },
    /// Delivery news about a message SAW sent.
    Status(StatusUpdate),
    /// Something valid that SAW deliberately does not act on but that is worth a log line:
    /// a status word SAW does not know, or account-level `errors[]` in a WhatsApp webhook
    /// (e.g. 130429 throughput reached) that belong to no message.
    Ignored { reason: String },
}

/// One message from a customer, in SAW's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The provider's id of this message; with the channel, the dedupe key. WhatsApp: the
    /// wamid. Telegram: `"{chat_id}:{message_id}"` (message ids are only unique inside a
    /// chat; see [`crate::telegram::message_external_id`]).
    pub external_id: String,
    /// The customer's id exactly as the provider sent it: WhatsApp `wa_id` (digits, may be
    /// `""` for username users — see `from_user_id`), Telegram chat id as a string.
    pub from: String,
    /// WhatsApp's business-scoped user id (BSUID, `BR.…`), the only identity of users who
    /// hide their number behind a username. `None` on Telegram.
    pub from_user_id: Option<String>,
    /// The name the customer's profile shows, if the provider told us.
    pub contact_name: Option<String>,
    /// `+` and the `wa_id` digits (E.164), for WhatsApp only; `None` elsewhere or when
    /// the `wa_id` is not plain digits.
    pub phone: Option<String>,
    /// When the customer sent it (provider time, UTC).
    pub timestamp: DateTime<Utc>,
    #[serde(with = "serde_text::message_kind")]
    pub kind: MessageKind,
    /// The text body, the media caption, or the title of the option the customer chose.
    pub text: Option<String>,
    pub media: Option<InboundMedia>,
    pub location: Option<Location>,
    /// The option chosen from buttons or a list (WhatsApp `button_reply`, `list_reply`,
    /// template quick-reply buttons; Telegram inline-keyboard callback data).
    pub interactive_reply: Option<ChosenOption>,
    /// Contact cards the customer shared (`kind == Contacts`), structured so the inbox can
    /// show and save them the same way for every channel.
    pub contacts: Vec<ContactCard>,
    /// The message this one quotes or answers (WhatsApp `context.id`, Telegram
    /// `reply_to_message`, the message holding the tapped button).
    pub reply_to_external_id: Option<String>,
    /// Set when this is a new version of an earlier message (Telegram `edited_message`):
    /// the earlier message's `external_id`. This message then has an `external_id` of its
    /// own, so redeliveries of one edit dedupe while each distinct edit arrives once.
    pub edit_of: Option<String>,
    /// The message object as received, only when `kind == Unsupported`: unknown types,
    /// system notices, orders, bodies that could not be read. Never shown as HTML.
    pub raw: Option<serde_json::Value>,
    /// Sandbox only: the person playing the customer tries the flow's unpublished draft
    /// (honoured when the message opens a ticket). Providers never set it.
    pub try_draft: bool,
}

impl InboundMessage {
    /// A message with only the required parts; the parsers fill in the rest.
    pub fn new(
        external_id: impl Into<String>,
        from: impl Into<String>,
        timestamp: DateTime<Utc>,
        kind: MessageKind,
    ) -> Self {
        InboundMessage {
            external_id: external_id.into(),
            from: from.into(),
            from_user_id: None,
            contact_name: None,
            phone: None,
            timestamp,
            kind,
            text: None,
            media: None,
            location: None,
            interactive_reply: None,
            contacts: Vec::new(),
            reply_to_external_id: None,
            edit_of: None,
            raw: None,
            try_draft: false,
        }
    }
}

/// A file the customer sent. The webhook carries only the provider's id; the file is
/// fetched later through the provider's API (WhatsApp media id, Telegram `file_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub provider_media_id: String,
    pub mime_type: Option<String>,
    /// Base64 SHA-256 that WhatsApp gives to check the download; Telegram gives none.
    pub sha256: Option<String>,
    pub filename: Option<String>,
    /// A recorded voice note rather than an audio file.
    pub voice: bool,
    /// An animated sticker (or a Telegram animation/GIF).
    pub animated: bool,
}

/// A place the customer shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

/// The option a customer picked: `id` is what SAW put in the button (the bot matches on
/// it), `title` what the customer saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChosenOption {
    pub id: String,
    pub title: String,
}

/// Delivery news about an outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The provider id SAW got back when it sent the message (WhatsApp wamid).
    pub message_external_id: String,
    /// The customer it went to, as the provider names them (may be `""` for a WhatsApp
    /// username user reached by BSUID).
    pub recipient: String,
    #[serde(with = "serde_text::delivery_status")]
    pub status: DeliveryStatus,
    pub timestamp: DateTime<Utc>,
    /// Why it failed (one or more), shown to the agent; empty unless `status == Failed`.
    pub errors: Vec<ProviderError>,
}

/// A provider's error about one message, as it reported it. Classify by `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderError {
    pub code: i64,
    pub title: Option<String>,
    pub message: Option<String>,
    /// WhatsApp `error_data.details`: the most useful sentence for a person.
    pub details: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_the_stored_words() {
        let at = DateTime::from_timestamp(1795518000, 0).expect("time");
        let mut msg = InboundMessage::new("wamid.X", "5511987654321", at, MessageKind::Interactive);
        msg.interactive_reply = Some(ChosenOption {
            id: "menu_suporte".into(),
            title: "Suporte".into(),
        });
        let events = [
            InboundEvent::Message(msg),
            InboundEvent::Status(StatusUpdate {
                message_external_id: "wamid.Y".into(),
                recipient: "5511987654321".into(),
                status: DeliveryStatus::Failed,
                timestamp: at,
                errors: vec![ProviderError {
                    code: 131047,
                    title: None,
                    message: None,
                    details: None,
                }],
            }),
        ];
        for event in events {
            let json = serde_json::to_value(&event).expect("serialise");
            assert!(
                json["kind"] == "interactive" || json["status"] == "failed",
                "{json}"
            );
            let back: InboundEvent = serde_json::from_value(json).expect("deserialise");
            assert_eq!(back, event);
        }
    }
}
