//! WhatsApp Cloud API calls (protocols.md A6–A11): sends to
//! `POST {base}/{version}/{phone_number_id}/messages`, media upload and lookup, read
//! receipts, the template list, and what each answer means.
//!
//! Every call carries `Authorization: Bearer {access token}`, added by the caller.

use std::collections::HashSet;
use std::time::Duration;

use saw_core::outbound::{MediaKind, MediaPayload, Menu, OutboundPayload, TemplatePayload};
use serde_json::{Value, json};

use super::{SendOutcome, non_blank, truncate};
use crate::error::ParseError;
use crate::json::Node;

/// The Graph API version in every path (protocols.md A1).
pub const GRAPH_VERSION: &str = "v26.0";

/// Limits of interactive messages (protocols.md A7), in characters.
pub const INTERACTIVE_BODY_MAX: usize = 1024;
pub const HEADER_FOOTER_MAX: usize = 60;
pub const BUTTONS_MAX: usize = 3;
pub const BUTTON_TITLE_MAX: usize = 20;
pub const LIST_ROWS_MAX: usize = 10;
pub const LIST_ROW_TITLE_MAX: usize = 24;
pub const LIST_ROW_DESCRIPTION_MAX: usize = 72;
pub const LIST_BUTTON_MAX: usize = 20;
const LIST_ROW_ID_MAX: usize = 200;
/// Captions of images, videos and documents.
pub const CAPTION_MAX: usize = 1024;

fn base(api_base: &str) -> &str {
    api_base.trim_end_matches('/')
}

/// The URL messages of a number are sent to (also read receipts and typing indicators).
pub fn messages_url(api_base: &str, phone_number_id: &str) -> String {
    format!(
        "{}/{GRAPH_VERSION}/{phone_number_id}/messages",
        base(api_base)
    )
}

fn envelope(to: &str, kind: &str, content: Value, reply_to: Option<&str>) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
    });
    body[kind] = content;
    if let Some(id) = reply_to {
        body["context"] = json!({"message_id": id});
    }
    body
}

/// A text message; WhatsApp has no escaping, the text goes as typed.
pub fn text(to: &str, body: &str) -> Value {
    envelope(
        to,
        "text",
        json!({"preview_url": false, "body": body}),
        None,
    )
}

/// The body of a send of `payload` to `to` (a `wa_id`), quoting the message whose wamid
/// is `reply_to`.
///
/// Menus take the richest form that fits ([`menu_form`]). Media are sent by their
/// uploaded id: a payload without `provider_media_id` must be uploaded first (without
/// it Meta answers 131008 and the send fails).
pub fn request(to: &str, payload: &OutboundPayload, reply_to: Option<&str>) -> Value {
    let (kind, content) = match payload {
        OutboundPayload::Text { body } => ("text", json!({"preview_url": false, "body": body})),
        OutboundPayload::Menu(menu) => menu_content(menu),
        OutboundPayload::Media(media) => (media_type(media.kind), media_content(media)),
        OutboundPayload::Template(template) => ("template", template_content(template)),
    };
    envelope(to, kind, content, reply_to)
}

/// How [`request`] shows a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuForm {
    /// Up to 3 reply buttons: every title fits 20 characters and is unique.
    Buttons,
    /// A list of up to 10 rows in one untitled section: every title fits 24 characters.
    List,
    /// [`Menu::numbered_text`]: too many options, titles too long, or a body over 1024
    /// characters. The customer answers by typing the number.
    Text,
}

pub fn menu_form(menu: &Menu) -> MenuForm {
    let n = menu.options.len();
    let mut ids = HashSet::new();
    let usable = n > 0
        && menu.body.chars().count() <= INTERACTIVE_BODY_MAX
        && !menu.body.trim().is_empty()
        && menu.options.iter().all(|o| {
            !o.title.trim().is_empty()
                && !o.id.is_empty()
                && o.id.chars().count() <= LIST_ROW_ID_MAX
                && ids.insert(o.id.as_str())
        });
    if !usable {
        return MenuForm::Text;
    }
    let titles_fit = |max: usize| menu.options.iter().all(|o| o.title.chars().count() <= max);
    let titles_unique = || {
        let mut seen = HashSet::new();
        menu.options.iter().all(|o| seen.insert(o.title.as_str()))
    };
    if n <= BUTTONS_MAX && titles_fit(BUTTON_TITLE_MAX) && titles_unique() {
        MenuForm::Buttons
    } else if n <= LIST_ROWS_MAX && titles_fit(LIST_ROW_TITLE_MAX) {
        MenuForm::List
    } else {
        MenuForm::Text
    }
}

fn menu_content(menu: &Menu) -> (&'static str, Value) {
    let (kind, action) = match menu_form(menu) {
        MenuForm::Text => {
            let text = json!({"preview_url": false, "body": menu.numbered_text()});
            return ("text", text);
        }
        MenuForm::Buttons => {
            let buttons: Vec<Value> = menu
                .options
                .iter()
                .map(|o| json!({"type": "reply", "reply": {"id": o.id, "title": o.title}}))
                .collect();
            ("button", json!({"buttons": buttons}))
        }
        MenuForm::List => {
            let rows: Vec<Value> = menu
                .options
                .iter()
                .map(|o| {
                    let mut row = json!({"id": o.id, "title": o.title});
                    if let Some(d) = non_blank(o.description.as_deref()) {
                        row["description"] = json!(truncate(d, LIST_ROW_DESCRIPTION_MAX));
                    }
                    row
                })
                .collect();
            let button = truncate(menu.button_label(), LIST_BUTTON_MAX);
            (
                "list",
                json!({"button": button, "sections": [{"rows": rows}]}),
            )
        }
    };
    let mut interactive = json!({"type": kind, "body": {"text": menu.body}, "action": action});
    if let Some(header) = non_blank(menu.header.as_deref()) {
        interactive["header"] =
            json!({"type": "text", "text": truncate(header, HEADER_FOOTER_MAX)});
    }
    if let Some(footer) = non_blank(menu.footer.as_deref()) {
        interactive["footer"] = json!({"text": truncate(footer, HEADER_FOOTER_MAX)});
    }
    ("interactive", interactive)
}

fn media_type(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Document => "document",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::Sticker => "sticker",
    }
}

fn media_content(media: &MediaPayload) -> Value {
    let mut content = json!({});
    if let Some(id) = &media.provider_media_id {
        content["id"] = json!(id);
    }
    let captioned = matches!(
        media.kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Document
    );
    if let Some(caption) = non_blank(media.caption.as_deref()).filter(|_| captioned) {
        content["caption"] = json!(truncate(caption, CAPTION_MAX));
    }
    let filename =
        non_blank(media.filename.as_deref()).filter(|_| media.kind == MediaKind::Document);
    if let Some(name) = filename {
        content["filename"] = json!(name);
    }
    content
}

/// Components only for the parameters given; an empty button payload leaves that
/// button's payload to the template.
fn template_content(t: &TemplatePayload) -> Value {
    let texts = |params: &[String]| -> Vec<Value> {
        params
            .iter()
            .map(|p| json!({"type": "text", "text": p}))
            .collect()
    };
    let mut components = Vec::new();
    if !t.header_params.is_empty() {
        components.push(json!({"type": "header", "parameters": texts(&t.header_params)}));
    }
    if !t.body_params.is_empty() {
        components.push(json!({"type": "body", "parameters": texts(&t.body_params)}));
    }
    for (index, payload) in t.button_payloads.iter().enumerate() {
        if payload.is_empty() {
            continue;
        }
        components.push(json!({
            "type": "button",
            "sub_type": "quick_reply",
            "index": index.to_string(),
            "parameters": [{"type": "payload", "payload": payload}],
        }));
    }
    let mut template = json!({"name": t.name, "language": {"code": t.language}});
    if !components.is_empty() {
        template["components"] = Value::Array(components);
    }
    template
}

/// Marks a received message (and the ones before it) read: blue ticks for the customer.
pub fn mark_read(message_id: &str) -> Value {
    json!({"messaging_product": "whatsapp", "status": "read", "message_id": message_id})
}

/// [`mark_read`] plus "typing…" for up to 25 s; only when a reply is coming.
pub fn typing_indicator(message_id: &str) -> Value {
    let mut body = mark_read(message_id);
    body["typing_indicator"] = json!({"type": "text"});
    body
}

/// `POST` a file here as `multipart/form-data`: the [`media_upload_fields`] and the
/// file in a part named [`MEDIA_UPLOAD_FILE_FIELD`]; the answer is [`parse_media_upload`].
pub fn media_upload_url(api_base: &str, phone_number_id: &str) -> String {
    format!("{}/{GRAPH_VERSION}/{phone_number_id}/media", base(api_base))
}

pub const MEDIA_UPLOAD_FILE_FIELD: &str = "file";

/// The text parts of a media upload. The file part should carry the same MIME type.
pub fn media_upload_fields(mime_type: &str) -> [(&'static str, String); 2] {
    [
        ("messaging_product", "whatsapp".to_owned()),
        ("type", mime_type.to_owned()),
    ]
}

/// The media id in a 2xx answer to an upload.
pub fn parse_media_upload(body: &[u8]) -> Result<String, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    refused(&root)?;
    Ok(Node::root(&root).req_str("id")?.to_owned())
}

/// `GET` here for a media's temporary download URL ([`parse_media_info`]).
pub fn media_info_url(api_base: &str, media_id: &str) -> String {
    format!("{}/{GRAPH_VERSION}/{media_id}", base(api_base))
}

/// Where to download a media from: `GET url` with the same bearer token, within 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    /// Base64 SHA-256 of the file, to check the download.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

pub fn parse_media_info(body: &[u8]) -> Result<MediaInfo, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    refused(&root)?;
    let n = Node::root(&root);
    // A string on the wire; a number is taken too.
    let file_size = match root.get("file_size") {
        Some(Value::String(s)) => s.parse().ok(),
        Some(v) => v.as_u64(),
        None => None,
    };
    Ok(MediaInfo {
        url: n.req_str("url")?.to_owned(),
        mime_type: n.req_str("mime_type")?.to_owned(),
        sha256: n.opt_string("sha256"),
        file_size,
    })
}

/// The first page of a WhatsApp Business Account's templates; follow the `next` URL that
/// [`parse_templates`] returns for the others.
pub fn templates_url(api_base: &str, waba_id: &str) -> String {
    format!(
        "{}/{GRAPH_VERSION}/{waba_id}/message_templates?fields=name,language,status,category,components&limit=100",
        base(api_base)
    )
}

/// One template as Meta lists it, with what a send needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateInfo {
    pub name: String,
    /// As approved, e.g. `pt_BR`.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, …; only approved ones send.
    pub status: String,
    /// `UTILITY`, `MARKETING` or `AUTHENTICATION`.
    pub category: String,
    /// The body text with its `{{1}}` placeholders.
    pub body_text: Option<String>,
    /// How many distinct `{{…}}` placeholders the body has: the `body_params` a send needs.
    pub body_param_count: usize,
    /// The header's format (`TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`), if it has one.
    pub header_format: Option<String>,
    /// Placeholders in a text header: the `header_params` a send needs.
    pub header_param_count: usize,
    /// The components exactly as listed (buttons, examples, …).
    pub components: Value,
}

/// A page of `GET /{waba}/message_templates`: the templates and the URL of the next page.
pub fn parse_templates(body: &[u8]) -> Result<(Vec<TemplateInfo>, Option<String>), ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    refused(&root)?;
    let root = Node::root(&root);
    if root.field("data").is_none() {
        return Err(root.missing("data"));
    }
    let templates = root
        .array("data")?
        .iter()
        .map(template_info)
        .collect::<Result<_, _>>()?;
    let next = root.field("paging").and_then(|p| p.opt_string("next"));
    Ok((templates, next))
}

fn template_info(t: &Node<'_>) -> Result<TemplateInfo, ParseError> {
    let components = t.array("components")?;
    let find = |kind: &str| {
        components.iter().find(|c| {
            c.opt_str("type")
                .is_some_and(|k| k.eq_ignore_ascii_case(kind))
        })
    };
    let body_text = find("BODY").and_then(|c| c.opt_string("text"));
    let header = find("HEADER");
    let header_format = header.and_then(|h| h.opt_string("format"));
    let header_param_count = match header {
        Some(h)
            if header_format
                .as_deref()
                .is_none_or(|f| f.eq_ignore_ascii_case("TEXT")) =>
        {
            h.opt_str("text").map_or(0, placeholder_count)
        }
        _ => 0,
    };
    Ok(TemplateInfo {
        name: t.req_str("name")?.to_owned(),
        language: t.req_str("language")?.to_owned(),
        status: t.req_str("status")?.to_owned(),
        category: t.opt_string("category").unwrap_or_default(),
        body_param_count: body_text.as_deref().map_or(0, placeholder_count),
        body_text,
        header_format,
        header_param_count,
        components: t
            .field("components")
            .map_or_else(|| json!([]), |c| c.value().clone()),
    })
}

/// Distinct `{{1}}` / `{{name}}` placeholders in a template text.
fn placeholder_count(text: &str) -> usize {
    let mut names = HashSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let name = &rest[..end];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.insert(name);
            rest = &rest[end + 2..];
        }
    }
    names.len()
}

/// A Graph API error envelope (protocols.md A9). Classify by `code`; log `fbtrace_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: Option<String>,
    /// `error_data.details`: the most useful sentence for a person.
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// `WhatsApp 131047: Message failed to send because…`, for the agent and the logs.
    pub fn reason(&self) -> String {
        let text = self
            .details
            .as_deref()
            .or(self.message.as_deref())
            .unwrap_or("no details");
        format!("WhatsApp {}: {text}", self.code)
    }
}

/// The error in an answer's body, if it holds one.
pub fn graph_error(body: &[u8]) -> Option<GraphError> {
    let root: Value = serde_json::from_slice(body).ok()?;
    error_of(&root)
}

fn error_of(root: &Value) -> Option<GraphError> {
    let e = Node::root(root).field("error")?;
    Some(GraphError {
        code: e.opt_i64("code")?,
        subcode: e.opt_i64("error_subcode"),
        message: e.opt_string("message"),
        details: e.field("error_data").and_then(|d| d.opt_string("details")),
        fbtrace_id: e.opt_string("fbtrace_id"),
    })
}

fn refused(root: &Value) -> Result<(), ParseError> {
    match error_of(root) {
        Some(e) => Err(ParseError::Api {
            code: Some(e.code),
            description: e.reason(),
        }),
        None => Ok(()),
    }
}

/// [`GraphError::reason`] of an answer's body, if it holds an error.
pub fn error_reason(body: &[u8]) -> Option<String> {
    graph_error(body).map(|e| e.reason())
}

/// Classifies the answer to a send: `Sent` with the wamid, or [`error_outcome`].
pub fn outcome(status: u16, body: &[u8]) -> SendOutcome {
    if !(200..300).contains(&status) {
        return error_outcome(status, body);
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed
        .as_ref()
        .and_then(|v| v["messages"][0]["id"].as_str())
    {
        Some(id) => SendOutcome::Sent {
            provider_id: id.to_owned(),
        },
        None => SendOutcome::Retry {
            reason: "the answer named no message id".into(),
            after: None,
        },
    }
}

/// `Ok` for a 2xx `{"success": true}` (read receipts, typing indicators, media deletes).
pub fn acknowledged(status: u16, body: &[u8]) -> Result<(), SendOutcome> {
    if !(200..300).contains(&status) {
        return Err(error_outcome(status, body));
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(|v| v["success"].as_bool()) {
        Some(true) => Ok(()),
        _ => Err(SendOutcome::Retry {
            reason: "WhatsApp did not confirm the request".into(),
            after: None,
        }),
    }
}

/// Classifies a failed call (any non-2xx answer) by Graph error `code` (protocols.md A9),
/// or by HTTP status when the body holds none. Never `Sent`.
pub fn error_outcome(status: u16, body: &[u8]) -> SendOutcome {
    let Some(error) = graph_error(body) else {
        let reason = format!("WhatsApp answered HTTP {status}");
        return match status {
            401 => SendOutcome::ChannelDown { reason },
            408 | 429 | 500.. => SendOutcome::Retry {
                reason,
                after: None,
            },
            _ => SendOutcome::Failed { reason },
        };
    };
    let reason = error.reason();
    match class(error.code, error.subcode) {
        Class::ChannelDown => SendOutcome::ChannelDown { reason },
        Class::Retry(after) => SendOutcome::Retry { reason, after },
        Class::Failed => SendOutcome::Failed { reason },
    }
}

enum Class {
    ChannelDown,
    Retry(Option<Duration>),
    Failed,
}

fn class(code: i64, subcode: Option<i64>) -> Class {
    match (code, subcode) {
        // Token, permissions, account locked or blocked, payment, number not registered;
        // 100/33: the phone number id does not exist for this token.
        (0 | 3 | 10 | 190 | 200..=299 | 368 | 131031 | 131042 | 133010, _) | (100, Some(33)) => {
            Class::ChannelDown
        }
        // Pair rate limit: Meta's back-off starts at 4^n s; one message per 6 s is the pace.
        (131056, _) => Class::Retry(Some(Duration::from_secs(6))),
        // App and WABA rate limits: minutes.
        (4 | 80007, _) => Class::Retry(Some(Duration::from_secs(60))),
        // Spam rate limit: slow down for a while.
        (131048, _) => Class::Retry(Some(Duration::from_secs(600))),
        (1 | 2 | 130429 | 131000 | 131016 | 133004, _) => Class::Retry(None),
        _ => Class::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_counted_once_each() {
        assert_eq!(placeholder_count("Olá {{1}}, seu pedido {{2}} chegou"), 2);
        assert_eq!(placeholder_count("{{1}} e {{1}}"), 1);
        assert_eq!(placeholder_count("Oi {{first_name}}!"), 1);
        assert_eq!(placeholder_count("sem variáveis { {x}} {{}} {{a b}}"), 0);
        assert_eq!(placeholder_count("{{1}"), 0);
    }

    #[test]
    fn codes_fall_in_their_class() {
        for code in [0, 3, 10, 190, 200, 299, 368, 131031, 131042, 133010] {
            assert!(matches!(class(code, None), Class::ChannelDown), "{code}");
        }
        for code in [
            1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004,
        ] {
            assert!(matches!(class(code, None), Class::Retry(_)), "{code}");
        }
        for code in [100, 131026, 131047, 131051, 132000, 132001, 470] {
            assert!(matches!(class(code, None), Class::Failed), "{code}");
        }
        assert!(matches!(class(100, Some(33)), Class::ChannelDown));
    }
}
