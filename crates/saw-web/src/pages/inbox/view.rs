//! What the inbox's templates show: tickets in a list, messages in a conversation, the
//! contact's panel. Everything a customer typed stays text; the templates escape it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use saw_core::conversation::{DeliveryStatus, MessageDirection, MessageKind, TicketStatus};
use saw_store::repo::contacts::ContactCard;
use saw_store::repo::inbox::InboxRow;
use saw_store::repo::messages::MessageRow;
use saw_store::repo::tickets::TicketRow;
use serde_json::Value;

use crate::i18n::Tr;

/// How much of the last message a list row shows.
const PREVIEW_CHARS: usize = 90;

/// A ticket in the list.
pub struct TicketItem {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub preview: String,
    pub preview_from_customer: bool,
    pub channel_kind: String,
    pub queue: Option<String>,
    pub assignee: Option<String>,
    pub unread: i64,
    /// "há 12 min" for a waiting ticket, else the last message's time.
    pub when: String,
    pub status: &'static str,
    pub status_label: String,
    pub mine: bool,
    /// Name and color.
    pub tags: Vec<(String, String)>,
    /// Waiting longer than its queue allows.
    pub late: bool,
}

/// The name people know a contact by, or their phone, or the provider's id.
pub fn contact_title(name: Option<&str>, phone: Option<&str>, external: &str) -> String {
    name.filter(|n| !n.trim().is_empty())
        .or(phone)
        .unwrap_or(external)
        .to_owned()
}

pub fn status_label(t: Tr, status: TicketStatus) -> String {
    t.get(&format!("inbox.status_{}", status.as_str()))
        .to_owned()
}

/// "agora", "há 5 min", "há 3 h", "há 2 dias".
pub fn ago(t: Tr, since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - since).num_minutes().max(0);
    match minutes {
        0 => t.get("inbox.just_now").to_owned(),
        1..=59 => t.fmt("inbox.minutes_ago", &[("n", &minutes)]),
        60..=2879 => t.fmt("inbox.hours_ago", &[("n", &(minutes / 60))]),
        _ => t.fmt("inbox.days_ago", &[("n", &(minutes / 1440))]),
    }
}

/// A time as the list shows it: the hour today, else the date.
pub fn short_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    if local.date_naive() == now.with_timezone(&zone).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%d/%m/%Y").to_string()
    }
}

fn preview(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

pub fn ticket_item(
    row: &InboxRow,
    t: Tr,
    viewer: saw_core::ids::UserId,
    now: DateTime<Utc>,
    zone: Tz,
) -> TicketItem {
    let tk = &row.ticket;
    let late = tk.status == TicketStatus::Pending
        && row.max_wait_minutes > 0
        && row
            .queued_at
            .is_some_and(|since| (now - since).num_minutes() >= row.max_wait_minutes);
    let when = match (tk.status, row.queued_at) {
        (TicketStatus::Pending, Some(since)) => ago(t, since, now),
        _ => short_time(tk.last_message_at.unwrap_or(tk.created_at), now, zone),
    };
    TicketItem {
        id: tk.id.get(),
        title: contact_title(
            tk.contact_name.as_deref(),
            tk.contact_phone.as_deref(),
            &tk.contact_external_id,
        ),
        subtitle: format!("#{} · {}", tk.protocol, tk.channel_name),
        preview: row.last_text.as_deref().map(preview).unwrap_or_default(),
        preview_from_customer: row.last_from_customer,
        channel_kind: tk.channel_kind.clone(),
        queue: tk.queue.as_ref().map(|(_, name)| name.clone()),
        assignee: tk.assignee.as_ref().map(|(_, name)| name.clone()),
        unread: row.unread,
        when,
        status: tk.status.as_str(),
        status_label: status_label(t, tk.status),
        mine: tk.assignee.as_ref().is_some_and(|(id, _)| *id == viewer),
        late,
        tags: tk
            .tags
            .iter()
            .map(|g| (g.name.clone(), g.color.clone()))
            .collect(),
    }
}

/// A person of the team as the inbox shows them.
pub struct TeamMember {
    pub name: String,
    pub status: &'static str,
    pub status_label: String,
    pub online: bool,
    /// "3 em atendimento".
    pub open_label: String,
}

pub fn team_member(m: &saw_store::repo::team::Member, t: Tr) -> TeamMember {
    TeamMember {
        name: m.name.clone(),
        status: m.status.as_str(),
        status_label: t
            .get(&format!("inbox.agent_{}", m.status.as_str()))
            .to_owned(),
        online: m.online,
        open_label: t.fmt("inbox.open_count", &[("n", &m.open)]),
    }
}

/// A file attached to a message.
pub struct Attachment {
    pub url: String,
    /// `image`, `audio`, `video` or `file`.
    pub shown_as: &'static str,
    pub filename: String,
    pub size: String,
    /// Not in SAW's media store (yet): why.
    pub missing: Option<String>,
}

/// A message in the conversation.
pub struct MessageView {
    pub id: i64,
    /// `customer`, `agent`, `bot` or `note`.
    pub side: &'static str,
    pub author: String,
    pub text: String,
    pub time: String,
    pub ticks: &'static str,
    pub status: &'static str,
    pub status_label: String,
    pub error: Option<String>,
    pub can_retry: bool,
    pub attachment: Option<Attachment>,
    pub location: Option<(String, String)>,
    pub contacts: Vec<String>,
    pub quoted: Option<String>,
    pub reaction: Option<String>,
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{} KB", b / 1_000),
        b => format!("{b} B"),
    }
}

fn attachment(m: &MessageRow, t: Tr) -> Option<Attachment> {
    if m.media_ref.is_none() && m.media.is_none() {
        return None;
    }
    let info = m.media.as_ref();
    let mime = m.media_type.as_deref().unwrap_or("");
    let shown_as = match m.kind {
        MessageKind::Image | MessageKind::Sticker => "image",
        MessageKind::Audio => "audio",
        MessageKind::Video => "video",
        _ if mime.starts_with("image/") => "image",
        _ => "file",
    };
    let missing = match info.map(|i| i.state.as_str()) {
        Some("ready") => None,
        Some("unavailable") => Some(
            info.and_then(|i| i.error.clone())
                .unwrap_or_else(|| t.get("inbox.media_unavailable").to_owned()),
        ),
        _ => Some(t.get("inbox.media_pending").to_owned()),
    };
    Some(Attachment {
        url: format!("/tickets/{}/messages/{}/media", m.ticket_id, m.id),
        shown_as,
        filename: info
            .and_then(|i| i.filename.clone())
            .unwrap_or_else(|| t.get(&format!("inbox.kind_{}", m.kind.as_str())).to_owned()),
        size: info
            .and_then(|i| i.size)
            .map(human_size)
            .unwrap_or_default(),
        missing,
    })
}

/// The location's label and a map link, from what the channel stored.
fn location(extras: &Value) -> Option<(String, String)> {
    let place = extras.get("location")?;
    let (lat, lng) = (
        place.get("latitude")?.as_f64()?,
        place.get("longitude")?.as_f64()?,
    );
    let label = [place.get("name"), place.get("address")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" · ");
    let label = if label.is_empty() {
        format!("{lat:.5}, {lng:.5}")
    } else {
        label
    };
    let link = format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}");
    Some((label, link))
}

/// "Name: +55 11 …" for each contact card.
fn contact_cards(extras: &Value) -> Vec<String> {
    let Some(cards) = extras.get("contacts").and_then(Value::as_array) else {
        return Vec::new();
    };
    cards
        .iter()
        .map(|card| {
            let name = card
                .get("formatted_name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let phones: Vec<&str> = card
                .get("phones")
                .and_then(Value::as_array)
                .map(|p| {
                    p.iter()
                        .filter_map(|x| x.get("phone").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            match phones.is_empty() {
                true => name.to_owned(),
                false => format!("{name}: {}", phones.join(", ")),
            }
        })
        .collect()
}

pub fn message_views(
    messages: &[MessageRow],
    t: Tr,
    zone: Tz,
    now: DateTime<Utc>,
) -> Vec<MessageView> {
    let text_of = |id| {
        messages
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.body.clone())
            .map(|b| preview(&b))
    };
    messages
        .iter()
        .filter(|m| !(m.kind == MessageKind::Text && m.body.is_none() && m.reaction.is_some()))
        .map(|m| {
            let side = match (m.direction, m.is_note, &m.author) {
                (_, true, _) => "note",
                (MessageDirection::Inbound, _, _) => "customer",
                (MessageDirection::Outbound, _, Some(_)) => "agent",
                (MessageDirection::Outbound, _, None) => "bot",
            };
            let author = match side {
                "bot" => t.get("inbox.bot").to_owned(),
                "customer" => String::new(),
                _ => m
                    .author
                    .as_ref()
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
            };
            let extras = m
                .raw
                .as_deref()
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .filter(|_| m.kind != MessageKind::Unsupported)
                .unwrap_or(Value::Null);
            let chosen = extras
                .get("chosen")
                .and_then(|c| c.get("title"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let text = m.body.clone().or(chosen).unwrap_or_else(|| match m.kind {
                MessageKind::Unsupported => t.get("inbox.kind_unsupported").to_owned(),
                _ => String::new(),
            });
            let attachment = attachment(m, t);
            // A file sent without a caption has its name as its text: shown once.
            let text = match &attachment {
                Some(a) if a.filename == text => String::new(),
                _ => text,
            };
            let outbound = m.direction == MessageDirection::Outbound && !m.is_note;
            MessageView {
                id: m.id.get(),
                side,
                author,
                text,
                time: short_time(m.created_at, now, zone),
                ticks: if outbound {
                    super::super::sandbox::ticks(m.status)
                } else {
                    ""
                },
                status: m.status.as_str(),
                status_label: t.get(&format!("status.{}", m.status.as_str())).to_owned(),
                error: m
                    .error
                    .clone()
                    .filter(|_| m.status == DeliveryStatus::Failed),
                can_retry: outbound && m.status == DeliveryStatus::Failed,
                attachment,
                location: location(&extras),
                contacts: contact_cards(&extras),
                quoted: m.reply_to.and_then(text_of),
                reaction: m.reaction.clone(),
            }
        })
        .collect()
}

/// The contact panel.
pub struct ContactView {
    pub name: String,
    pub phone: String,
    pub external_id: String,
    pub notes: String,
    pub opted_out: bool,
    /// What the bot collected: field and value.
    pub fields: Vec<(String, String)>,
    /// Earlier tickets: protocol, status label, date.
    pub history: Vec<(i64, String, String, String)>,
}

pub fn contact_view(card: &ContactCard, history: &[TicketRow], t: Tr, zone: Tz) -> ContactView {
    let fields = serde_json::from_str::<serde_json::Map<String, Value>>(&card.fields)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    ContactView {
        name: card.name.clone().unwrap_or_default(),
        phone: card.phone.clone().unwrap_or_default(),
        external_id: card.external_id.clone(),
        notes: card.notes.clone(),
        opted_out: card.opted_out,
        fields,
        history: history
            .iter()
            .map(|h| {
                (
                    h.id.get(),
                    h.protocol.clone(),
                    status_label(t, h.status),
                    h.created_at
                        .with_timezone(&zone)
                        .format("%d/%m/%Y")
                        .to_string(),
                )
            })
            .collect(),
    }
}

/// An approved template as a form: its text and how many parameters it takes.
pub struct TemplateView {
    pub name: String,
    pub language: String,
    pub body_text: String,
    /// 1..=n, one input each.
    pub header_params: Vec<i64>,
    pub body_params: Vec<i64>,
}

pub fn template_views(list: &[saw_store::repo::templates::Template]) -> Vec<TemplateView> {
    list.iter()
        .map(|t| TemplateView {
            name: t.name.clone(),
            language: t.language.clone(),
            body_text: t.body_text.clone().unwrap_or_default(),
            header_params: (1..=t.header_params).collect(),
            body_params: (1..=t.body_params).collect(),
        })
        .collect()
}

/// The template a form names, with its parameters in order.
pub fn template_from_form(
    form: &crate::extract::FormFields,
) -> saw_core::outbound::TemplatePayload {
    saw_core::outbound::TemplatePayload {
        name: form.get("template").to_owned(),
        language: form.get("language").to_owned(),
        header_params: form.all("header_param").map(str::to_owned).collect(),
        body_params: form.all("body_param").map(str::to_owned).collect(),
        button_payloads: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("Oi\n\ntudo   bem?"), "Oi tudo bem?");
        let long = "á".repeat(200);
        assert_eq!(preview(&long).chars().count(), PREVIEW_CHARS + 1);
    }

    #[test]
    fn a_location_links_to_a_map() {
        let extras = serde_json::json!({"location": {"latitude": -23.5, "longitude": -46.6, "name": "Loja"}});
        let (label, link) = location(&extras).unwrap();
        assert_eq!(label, "Loja");
        assert!(link.contains("mlat=-23.5&mlon=-46.6"));
    }
}
