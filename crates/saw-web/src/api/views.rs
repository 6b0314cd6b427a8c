//! A ticket and a message as the API shows them, as typed views that serialise straight to
//! JSON. The live streams render every message and ticket event with them; building a
//! `serde_json::Value` map first, key by key, was most of that cost.

use chrono::{DateTime, Utc};
use saw_core::conversation::MessageKind;
use saw_core::ids::{ChannelId, ContactId, MessageId, TagId, TicketId};
use saw_store::repo::messages::MessageRow;
use saw_store::repo::tags::Tag;
use saw_store::repo::tickets::TicketRow;
use serde::Serialize;
use serde_json::Value;

/// `{"id", "name"}` of a queue or a person.
#[derive(Serialize)]
pub(crate) struct Named<'a, Id> {
    id: Id,
    name: &'a str,
}

fn named<Id: Copy>(pair: &Option<(Id, String)>) -> Option<Named<'_, Id>> {
    pair.as_ref().map(|(id, name)| Named { id: *id, name })
}

#[derive(Serialize)]
pub(crate) struct TicketView<'a> {
    id: TicketId,
    status: &'static str,
    protocol: &'a str,
    queue: Option<Named<'a, saw_core::ids::QueueId>>,
    assignee: Option<Named<'a, saw_core::ids::UserId>>,
    channel: ChannelView<'a>,
    contact: ContactView<'a>,
    created_at: DateTime<Utc>,
    last_message_at: Option<DateTime<Utc>>,
    csat_rating: Option<i64>,
    tags: Vec<TagView<'a>>,
}

#[derive(Serialize)]
struct ChannelView<'a> {
    id: ChannelId,
    kind: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct ContactView<'a> {
    id: ContactId,
    name: Option<&'a str>,
    phone: Option<&'a str>,
    external_id: &'a str,
    opted_out: bool,
}

#[derive(Serialize)]
pub(crate) struct TagView<'a> {
    id: TagId,
    name: &'a str,
    color: &'a str,
}

impl<'a> TagView<'a> {
    pub(crate) fn of(tag: &'a Tag) -> Self {
        TagView {
            id: tag.id,
            name: &tag.name,
            color: &tag.color,
        }
    }
}

impl<'a> TicketView<'a> {
    pub(crate) fn of(t: &'a TicketRow) -> Self {
        TicketView {
            id: t.id,
            status: t.status.as_str(),
            protocol: &t.protocol,
            queue: named(&t.queue),
            assignee: named(&t.assignee),
            channel: ChannelView {
                id: t.channel_id,
                kind: &t.channel_kind,
                name: &t.channel_name,
            },
            contact: ContactView {
                id: t.contact_id,
                name: t.contact_name.as_deref(),
                phone: t.contact_phone.as_deref(),
                external_id: &t.contact_external_id,
                opted_out: t.contact_opted_out,
            },
            created_at: t.created_at,
            last_message_at: t.last_message_at,
            csat_rating: t.csat_rating,
            tags: t.tags.iter().map(TagView::of).collect(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct MessageView<'a> {
    id: MessageId,
    direction: &'static str,
    kind: &'static str,
    text: Option<&'a str>,
    media: Option<MediaView<'a>>,
    location: Option<Value>,
    contacts: Option<Value>,
    chosen_option: Option<Value>,
    status: &'static str,
    error: Option<&'a str>,
    author: Option<Named<'a, saw_core::ids::UserId>>,
    private: bool,
    reply_to: Option<MessageId>,
    reaction: Option<&'a str>,
    provider_id: Option<&'a str>,
    raw: Option<Value>,
    created_at: DateTime<Utc>,
}

/// A message's file: where it stands, and its URL once it is in SAW's media store.
#[derive(Serialize)]
struct MediaView<'a> {
    id: Option<&'a str>,
    #[serde(rename = "type")]
    mime_type: Option<&'a str>,
    state: Option<&'a str>,
    size: Option<i64>,
    filename: Option<&'a str>,
    error: Option<&'a str>,
    url: Option<String>,
}

impl<'a> MessageView<'a> {
    pub(crate) fn of(m: &'a MessageRow) -> Self {
        // The provider's raw JSON is exposed only for kinds SAW cannot show; for the others
        // it holds the location, contact cards and chosen option.
        let stored = m
            .raw
            .as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok());
        let (raw, mut extras) = match m.kind {
            MessageKind::Unsupported => (stored, None),
            _ => (None, stored),
        };
        let mut extra = |key: &str| {
            extras
                .as_mut()
                .and_then(|e| e.get_mut(key))
                .map(Value::take)
        };
        MessageView {
            id: m.id,
            direction: m.direction.as_str(),
            kind: m.kind.as_str(),
            text: m.body.as_deref(),
            media: MediaView::of(m),
            location: extra("location"),
            contacts: extra("contacts"),
            chosen_option: extra("chosen"),
            status: m.status.as_str(),
            error: m.error.as_deref(),
            author: named(&m.author),
            private: m.is_note,
            reply_to: m.reply_to,
            reaction: m.reaction.as_deref(),
            provider_id: m.provider_id.as_deref(),
            raw,
            created_at: m.created_at,
        }
    }
}

impl<'a> MediaView<'a> {
    fn of(m: &'a MessageRow) -> Option<Self> {
        let info = m.media.as_ref();
        if m.media_ref.is_none() && info.is_none() {
            return None;
        }
        let state = info.map(|i| i.state.as_str());
        Some(MediaView {
            id: m.media_ref.as_deref(),
            mime_type: m.media_type.as_deref(),
            state,
            size: info.and_then(|i| i.size),
            filename: info.and_then(|i| i.filename.as_deref()),
            error: info
                .filter(|i| i.state == "unavailable")
                .and_then(|i| i.error.as_deref()),
            url: (state == Some("ready"))
                .then(|| format!("/api/v1/tickets/{}/messages/{}/media", m.ticket_id, m.id)),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use saw_core::conversation::{DeliveryStatus, MessageDirection, TicketStatus};
    use saw_core::ids::{QueueId, UserId};
    use saw_store::repo::messages::MediaInfo;
    use serde_json::json;

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    fn message(kind: MessageKind, raw: &str) -> MessageRow {
        MessageRow {
            id: MessageId::new(9),
            ticket_id: TicketId::new(3),
            direction: MessageDirection::Inbound,
            kind,
            body: Some("<b>oi</b>".into()),
            media_ref: Some("wamedia-1".into()),
            media_type: Some("image/jpeg".into()),
            provider_id: Some("wamid.1".into()),
            status: DeliveryStatus::Read,
            error: None,
            author: Some((UserId::new(4), "Ana".into())),
            is_note: false,
            reply_to: Some(MessageId::new(8)),
            reaction: Some("👍".into()),
            raw: Some(raw.into()),
            created_at: at(),
            media: Some(MediaInfo {
                state: "ready".into(),
                size: Some(1234),
                filename: None,
                error: Some("kept only when unavailable".into()),
            }),
            payload: None,
        }
    }

    #[test]
    fn a_message_shows_its_extras_and_its_file() {
        let m = message(
            MessageKind::Image,
            r#"{"location": {"latitude": -23.5}, "chosen": {"id": "2"}}"#,
        );
        assert_eq!(
            serde_json::to_value(MessageView::of(&m)).unwrap(),
            json!({
                "id": 9, "direction": "in", "kind": "image", "text": "<b>oi</b>",
                "media": {"id": "wamedia-1", "type": "image/jpeg", "state": "ready",
                          "size": 1234, "filename": null, "error": null,
                          "url": "/api/v1/tickets/3/messages/9/media"},
                "location": {"latitude": -23.5}, "contacts": null, "chosen_option": {"id": "2"},
                "status": "read", "error": null, "author": {"id": 4, "name": "Ana"},
                "private": false, "reply_to": 8, "reaction": "👍", "provider_id": "wamid.1",
                "raw": null, "created_at": at(),
            })
        );
    }

    #[test]
    fn only_an_unsupported_message_shows_the_providers_json() {
        let m = message(MessageKind::Unsupported, r#"{"type": "poll"}"#);
        let shown = serde_json::to_value(MessageView::of(&m)).unwrap();
        assert_eq!(shown["raw"], json!({"type": "poll"}));
        assert_eq!(shown["location"], Value::Null);
    }

    #[test]
    fn a_ticket_shows_its_queue_person_contact_and_tags() {
        let t = TicketRow {
            id: TicketId::new(3),
            status: TicketStatus::Open,
            protocol: "20261205-000003".into(),
            queue: Some((QueueId::new(1), "Comercial".into())),
            assignee: None,
            channel_id: ChannelId::new(2),
            channel_kind: "whatsapp".into(),
            channel_name: "Loja".into(),
            contact_id: ContactId::new(5),
            contact_name: Some("Maria".into()),
            contact_phone: None,
            contact_external_id: "5511999990000".into(),
            contact_opted_out: false,
            created_at: at(),
            last_message_at: None,
            csat_rating: Some(5),
            tags: vec![Tag {
                id: TagId::new(7),
                name: "VIP".into(),
                color: "#b45309".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(TicketView::of(&t)).unwrap(),
            json!({
                "id": 3, "status": "open", "protocol": "20261205-000003",
                "queue": {"id": 1, "name": "Comercial"}, "assignee": null,
                "channel": {"id": 2, "kind": "whatsapp", "name": "Loja"},
                "contact": {"id": 5, "name": "Maria", "phone": null,
                            "external_id": "5511999990000", "opted_out": false},
                "created_at": at(), "last_message_at": null, "csat_rating": 5,
                "tags": [{"id": 7, "name": "VIP", "color": "#b45309"}],
            })
        );
    }
}
