//! One Telegram `Message` → an [`InboundMessage`].
//!
//! Identity (`message_id`, `chat.id`, `date`) is required; content is read leniently and
//! anything SAW has no kind for (polls, dice, games, service messages, stories, …) becomes
//! `Unsupported` with the message object in `raw`.
//!
//! Mapping: `photo` → `Image`, the largest size (Telegram re-encodes photos as JPEG, so
//! the MIME type is `image/jpeg`); `voice` → `Audio` with `voice`; `audio` → `Audio`;
//! `video`, `video_note` → `Video`; `animation` (GIF) → `Video` with `animated`;
//! `sticker` → `Sticker`; `venue`/`location` → `Location`; `contact` → `Contacts` with
//! one card. Captions go to `text`. A `/start payload` command stays plain text: the
//! bot, not the adapter, decides what commands mean.

use saw_core::conversation::MessageKind;

use super::message_external_id;
use crate::contact_card::{ContactCard, ContactPhone};
use crate::error::ParseError;
use crate::inbound::{InboundMedia, InboundMessage, Location};
use crate::json::Node;

pub(crate) fn parse(m: &Node<'_>) -> Result<InboundMessage, ParseError> {
    let message_id = m.req_i64("message_id")?;
    let chat = m.req("chat")?;
    let chat_id = chat.req_i64("id")?;
    let date = m.req_unix_time("date")?;

    let mut msg = InboundMessage::new(
        message_external_id(chat_id, message_id),
        chat_id.to_string(),
        date,
        MessageKind::Unsupported,
    );
    msg.contact_name = m
        .field("from")
        .and_then(|u| person_name(&u))
        .or_else(|| chat.opt_string("title"))
        .or_else(|| person_name(&chat));
    msg.reply_to_external_id = m
        .field("reply_to_message")
        .and_then(|r| r.opt_i64("message_id"))
        .map(|id| message_external_id(chat_id, id));
    if !read_content(m, &mut msg) {
        msg.kind = MessageKind::Unsupported;
        msg.text = None;
        msg.media = None;
        msg.location = None;
        msg.contacts.clear();
        msg.raw = Some(m.value().clone());
    }
    Ok(msg)
}

/// `first_name last_name` of a `User` or private `Chat`.
pub(crate) fn person_name(u: &Node<'_>) -> Option<String> {
    let first = u.opt_string("first_name");
    let last = u.opt_string("last_name");
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l),
    }
}

/// Fills kind and content; false when the message holds nothing SAW models.
fn read_content(m: &Node<'_>, msg: &mut InboundMessage) -> bool {
    if let Some(text) = m.opt_str("text") {
        msg.kind = MessageKind::Text;
        msg.text = Some(text.to_string());
        return true;
    }
    msg.text = m.opt_string("caption");
    // `animation` messages carry a `document` too, and `venue` a `location`: check the
    // more specific field first.
    let file = |field: &str, kind: MessageKind, voice: bool, animated: bool| {
        m.field(field).and_then(|f| {
            let media = media(&f, voice, animated)?;
            Some((kind, media))
        })
    };
    let found = file("animation", MessageKind::Video, false, true)
        .or_else(|| largest_photo(m).map(|p| (MessageKind::Image, p)))
        .or_else(|| file("video", MessageKind::Video, false, false))
        .or_else(|| file("video_note", MessageKind::Video, false, false))
        .or_else(|| file("voice", MessageKind::Audio, true, false))
        .or_else(|| file("audio", MessageKind::Audio, false, false))
        .or_else(|| file("document", MessageKind::Document, false, false))
        .or_else(|| sticker(m).map(|s| (MessageKind::Sticker, s)));
    if let Some((kind, media)) = found {
        msg.kind = kind;
        msg.media = Some(media);
        return true;
    }
    if let Some(location) = location(m) {
        msg.kind = MessageKind::Location;
        msg.location = Some(location);
        return true;
    }
    if let Some(card) = m.field("contact").and_then(|c| contact(m, &c)) {
        msg.kind = MessageKind::Contacts;
        msg.contacts = vec![card];
        return true;
    }
    false
}

fn media(f: &Node<'_>, voice: bool, animated: bool) -> Option<InboundMedia> {
    Some(InboundMedia {
        provider_media_id: f.opt_string("file_id")?,
        mime_type: f.opt_string("mime_type"),
        sha256: None,
        filename: f.opt_string("file_name"),
        voice,
        animated,
    })
}

/// The biggest `PhotoSize` by pixels (then bytes); Telegram lists them smallest first,
/// but SAW does not rely on the order.
fn largest_photo(m: &Node<'_>) -> Option<InboundMedia> {
    let best = m
        .objects("photo")
        .into_iter()
        .filter(|p| p.opt_string("file_id").is_some())
        .max_by_key(|p| {
            let pixels = p.opt_i64("width").unwrap_or(0) * p.opt_i64("height").unwrap_or(0);
            (pixels, p.opt_i64("file_size").unwrap_or(0))
        })?;
    let mut media = media(&best, false, false)?;
    media.mime_type = Some("image/jpeg".to_string());
    Some(media)
}

fn sticker(m: &Node<'_>) -> Option<InboundMedia> {
    let s = m.field("sticker")?;
    let animated =
        s.opt_bool("is_animated").unwrap_or(false) || s.opt_bool("is_video").unwrap_or(false);
    media(&s, false, animated)
}

fn location(m: &Node<'_>) -> Option<Location> {
    let venue = m.field("venue");
    let point = match &venue {
        Some(v) => v.field("location")?,
        None => m.field("location")?,
    };
    Some(Location {
        latitude: point.opt_f64("latitude")?,
        longitude: point.opt_f64("longitude")?,
        name: venue.as_ref().and_then(|v| v.opt_string("title")),
        address: venue.as_ref().and_then(|v| v.opt_string("address")),
        url: None,
    })
}

fn contact(m: &Node<'_>, c: &Node<'_>) -> Option<ContactCard> {
    let phone = c.opt_string("phone_number")?;
    let sender = m.field("from").and_then(|u| u.opt_i64("id"));
    Some(ContactCard {
        formatted_name: person_name(c),
        first_name: c.opt_string("first_name"),
        last_name: c.opt_string("last_name"),
        phones: vec![ContactPhone {
            phone,
            wa_id: None,
            label: None,
        }],
        is_sender: sender.is_some() && c.opt_i64("user_id") == sender,
        ..ContactCard::default()
    })
}
