//! One `messages[]` element → an [`InboundEvent`].
//!
//! Identity (`id`, `from`/`from_user_id`, `timestamp`) is required; everything else is
//! read leniently. A known `type` whose body object is missing or unusable, and every type
//! SAW has no kind for (`unsupported`, `system`, `order`, Flows `nfm_reply`, coexistence
//! `edit`/`revoke`, types Meta adds later), becomes `MessageKind::Unsupported` with the
//! message object kept in `raw`, so the customer's message is stored and shown as a
//! placeholder instead of being dropped. For `system` and `order` the human-readable text
//! (`system.body`, `order.text`) is kept in `text` as well.
//!
//! Choices: a template quick-reply tap (`type: button`) is `Interactive`, like any other
//! chosen option, with `payload` as the option id; `Template` is left for what SAW sends.
//! A text's `referral` (Click-to-WhatsApp ad) is not modelled and is dropped.

use saw_core::conversation::MessageKind;

use crate::contact_card::{
    ContactAddress, ContactCard, ContactOrganization, ContactPhone, LabeledValue,
};
use crate::error::ParseError;
use crate::inbound::{ChosenOption, InboundEvent, InboundMedia, InboundMessage, Location};
use crate::json::Node;

pub(crate) fn parse(m: &Node<'_>, value: &Node<'_>) -> Result<InboundEvent, ParseError> {
    let id = m.req_str("id")?;
    let timestamp = m.req_unix_time("timestamp")?;
    // `from` is `""` for users hidden behind a username; then the BSUID identifies them.
    let from = m
        .field("from")
        .map(|_| m.req_str("from"))
        .transpose()?
        .unwrap_or_default();
    let from_user_id = m.opt_string("from_user_id");
    if from.is_empty() && from_user_id.is_none() {
        return Err(m.missing("from"));
    }
    let kind = m.opt_str("type").unwrap_or_default();

    if kind == "reaction"
        && let Some(reaction) = m.field("reaction")
        && let Some(target) = reaction.opt_string("message_id")
    {
        return Ok(InboundEvent::Reaction {
            message_external_id: target,
            from: from.to_string(),
            emoji: reaction.opt_string("emoji"),
            timestamp,
        });
    }

    let mut msg = InboundMessage::new(id, from, timestamp, MessageKind::Unsupported);
    msg.contact_name = contact_name(value, from, from_user_id.as_deref());
    msg.phone = e164(from);
    msg.from_user_id = from_user_id;
    msg.reply_to_external_id = m.field("context").and_then(|c| c.opt_string("id"));
    match read_body(m, kind) {
        Some(body) => {
            msg.kind = body.kind;
            msg.text = body.text;
            msg.media = body.media;
            msg.location = body.location;
            msg.interactive_reply = body.interactive_reply;
            msg.contacts = body.contacts;
        }
        None => {
            msg.text = placeholder_text(m, kind);
            msg.raw = Some(m.value().clone());
        }
    }
    Ok(InboundEvent::Message(msg))
}

/// The customer's profile name from `value.contacts[]`, matched by `wa_id == from` or
/// `user_id == from_user_id` — never by position (the batch lists them in another order).
fn contact_name(value: &Node<'_>, from: &str, from_user_id: Option<&str>) -> Option<String> {
    value
        .objects("contacts")
        .into_iter()
        .find(|c| {
            (!from.is_empty() && c.opt_str("wa_id") == Some(from))
                || (from_user_id.is_some() && c.opt_str("user_id") == from_user_id)
        })?
        .field("profile")?
        .opt_string("name")
}

/// `+` and the digits of a `wa_id`, when it is 8 to 15 plain digits (E.164's range).
fn e164(wa_id: &str) -> Option<String> {
    let plausible = (8..=15).contains(&wa_id.len()) && wa_id.bytes().all(|b| b.is_ascii_digit());
    plausible.then(|| format!("+{wa_id}"))
}

/// What a supported message type carries.
struct Body {
    kind: MessageKind,
    text: Option<String>,
    media: Option<InboundMedia>,
    location: Option<Location>,
    interactive_reply: Option<ChosenOption>,
    contacts: Vec<ContactCard>,
}

impl Body {
    fn new(kind: MessageKind) -> Self {
        Body {
            kind,
            text: None,
            media: None,
            location: None,
            interactive_reply: None,
            contacts: Vec::new(),
        }
    }
}

/// The parts of a message of a type SAW models, or `None` to keep it as `Unsupported`.
fn read_body(m: &Node<'_>, kind: &str) -> Option<Body> {
    let obj = m.field(kind);
    let body = match kind {
        "text" => Body {
            text: Some(obj?.opt_str("body")?.to_string()),
            ..Body::new(MessageKind::Text)
        },
        "image" | "video" | "audio" | "document" | "sticker" => {
            let obj = obj?;
            let kind = match kind {
                "image" => MessageKind::Image,
                "video" => MessageKind::Video,
                "audio" => MessageKind::Audio,
                "document" => MessageKind::Document,
                _ => MessageKind::Sticker,
            };
            Body {
                text: obj.opt_string("caption"),
                media: Some(media(&obj)?),
                ..Body::new(kind)
            }
        }
        "location" => {
            let obj = obj?;
            Body {
                location: Some(Location {
                    latitude: obj.opt_f64("latitude")?,
                    longitude: obj.opt_f64("longitude")?,
                    name: obj.opt_string("name"),
                    address: obj.opt_string("address"),
                    url: obj.opt_string("url"),
                }),
                ..Body::new(MessageKind::Location)
            }
        }
        "contacts" => {
            let cards: Vec<ContactCard> = m.objects("contacts").iter().map(card).collect();
            if cards.is_empty() {
                return None;
            }
            Body {
                contacts: cards,
                ..Body::new(MessageKind::Contacts)
            }
        }
        "interactive" => {
            let obj = obj?;
            let reply_kind = obj.opt_str("type")?;
            if reply_kind != "button_reply" && reply_kind != "list_reply" {
                return None;
            }
            let reply = obj.field(reply_kind)?;
            chosen(reply.opt_str("id")?, reply.opt_str("title")?)
        }
        "button" => {
            let obj = obj?;
            let payload = obj.opt_str("payload").filter(|s| !s.is_empty());
            let text = obj.opt_str("text").filter(|s| !s.is_empty());
            chosen(payload.or(text)?, text.or(payload)?)
        }
        _ => return None,
    };
    Some(body)
}

fn chosen(id: &str, title: &str) -> Body {
    Body {
        text: Some(title.to_string()),
        interactive_reply: Some(ChosenOption {
            id: id.to_string(),
            title: title.to_string(),
        }),
        ..Body::new(MessageKind::Interactive)
    }
}

fn media(obj: &Node<'_>) -> Option<InboundMedia> {
    Some(InboundMedia {
        provider_media_id: obj.opt_string("id")?,
        mime_type: obj.opt_string("mime_type"),
        sha256: obj.opt_string("sha256"),
        filename: obj.opt_string("filename"),
        voice: obj.opt_bool("voice").unwrap_or(false),
        animated: obj.opt_bool("animated").unwrap_or(false),
    })
}

fn placeholder_text(m: &Node<'_>, kind: &str) -> Option<String> {
    match kind {
        "system" => m.field("system")?.opt_string("body"),
        "order" => m.field("order")?.opt_string("text"),
        _ => None,
    }
}

/// A WhatsApp contact card; every part optional, entries without their value skipped.
fn card(c: &Node<'_>) -> ContactCard {
    let name = c.field("name");
    let name_part = |f: &str| name.as_ref().and_then(|n| n.opt_string(f));
    let labeled = |list: &str, f: &str| -> Vec<LabeledValue> {
        c.objects(list)
            .iter()
            .filter_map(|e| {
                Some(LabeledValue {
                    value: e.opt_string(f)?,
                    label: e.opt_string("type"),
                })
            })
            .collect()
    };
    ContactCard {
        formatted_name: name_part("formatted_name"),
        first_name: name_part("first_name"),
        last_name: name_part("last_name"),
        phones: c
            .objects("phones")
            .iter()
            .filter_map(|p| {
                Some(ContactPhone {
                    phone: p.opt_string("phone")?,
                    wa_id: p.opt_string("wa_id"),
                    label: p.opt_string("type"),
                })
            })
            .collect(),
        emails: labeled("emails", "email"),
        urls: labeled("urls", "url"),
        addresses: c
            .objects("addresses")
            .iter()
            .map(|a| ContactAddress {
                street: a.opt_string("street"),
                city: a.opt_string("city"),
                state: a.opt_string("state"),
                zip: a.opt_string("zip"),
                country: a.opt_string("country"),
                country_code: a.opt_string("country_code"),
                label: a.opt_string("type"),
            })
            .collect(),
        organization: c.field("org").map(|o| ContactOrganization {
            company: o.opt_string("company"),
            department: o.opt_string("department"),
            title: o.opt_string("title"),
        }),
        birthday: c.opt_string("birthday"),
        is_sender: false,
    }
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn phone_is_derived_only_from_plain_digits() {
        assert_eq!(e164("5511987654321").as_deref(), Some("+5511987654321"));
        // A pre-ninth-digit Brazilian wa_id is kept as it is, never "corrected".
        assert_eq!(e164("553187654321").as_deref(), Some("+553187654321"));
        assert_eq!(e164(""), None);
        assert_eq!(e164("BR.1029384756102938"), None);
        assert_eq!(e164("+5511987654321"), None);
        assert_eq!(e164("1234567890123456"), None);
    }
}
