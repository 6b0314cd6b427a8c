//! Telegram Bot API calls (protocols.md B3–B5): sends, button-tap answers, webhook
//! set-up, `getMe`, `getFile`, and what each answer means.
//!
//! Text is sent plain (no `parse_mode`), so nothing needs escaping. Quoted messages are
//! named by SAW's external id (`"{chat}:{message}"`) or the bare message id.

use std::borrow::Cow;
use std::time::Duration;

use saw_core::outbound::{MediaKind, MediaPayload, Menu, MenuOption, OutboundPayload};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{SendOutcome, non_blank, truncate};
use crate::error::ParseError;
use crate::json::Node;

/// The updates SAW asks for, by webhook and by `getUpdates`.
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "edited_message", "callback_query"];
/// Telegram's limit for a button's `callback_data`, in UTF-8 bytes.
pub const CALLBACK_DATA_MAX_BYTES: usize = 64;
pub const CAPTION_MAX: usize = 1024;
pub const CALLBACK_ANSWER_MAX: usize = 200;
const HASHED_PREFIX: &str = "sha256:";

/// The URL of a Bot API method; the token is part of the path (never log it).
pub fn method_url(api_base: &str, bot_token: &str, method: &str) -> String {
    format!("{}/bot{bot_token}/{method}", api_base.trim_end_matches('/'))
}

/// Where to download a file [`parse_get_file`] described (never log it: it holds the token).
pub fn file_download_url(api_base: &str, bot_token: &str, file_path: &str) -> String {
    format!(
        "{}/file/bot{bot_token}/{file_path}",
        api_base.trim_end_matches('/')
    )
}

/// Chat ids are numbers on the wire; a string that is not one (`@channel`) stays a string.
fn chat(chat_id: &str) -> Value {
    chat_id
        .parse::<i64>()
        .map_or_else(|_| json!(chat_id), |n| json!(n))
}

pub fn text(chat_id: &str, body: &str) -> Value {
    json!({"chat_id": chat(chat_id), "text": body})
}

/// What [`request`] cannot send as a JSON call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("Telegram has no message templates: send a text or a menu instead")]
    Template,
    #[error("the file has no Telegram file id yet: upload it with multipart (see `upload`)")]
    MediaNotUploaded,
}

/// The method and JSON body of a send of `payload` to `chat_id`, quoting
/// `reply_to_message_id` if it names a message of this chat.
///
/// Menus become one inline button per row whose `callback_data` is [`callback_data`] of
/// the option id; a header and a footer become the first and last paragraphs. Option
/// descriptions are not shown.
pub fn request(
    chat_id: &str,
    payload: &OutboundPayload,
    reply_to_message_id: Option<&str>,
) -> Result<(&'static str, Value), Unsupported> {
    let (method, mut body) = match payload {
        OutboundPayload::Text { body } => ("sendMessage", text(chat_id, body)),
        OutboundPayload::Menu(menu) => ("sendMessage", menu_message(chat_id, menu)),
        OutboundPayload::Media(media) => {
            let id = media
                .provider_media_id
                .as_deref()
                .ok_or(Unsupported::MediaNotUploaded)?;
            let (method, field) = upload_method_and_field(media);
            let mut body = json!({"chat_id": chat(chat_id)});
            body[field] = json!(id);
            if let Some(caption) = caption(media) {
                body["caption"] = json!(caption);
            }
            (method, body)
        }
        OutboundPayload::Template(_) => return Err(Unsupported::Template),
    };
    if let Some(reply) = reply_parameters(reply_to_message_id) {
        body["reply_parameters"] = reply;
    }
    Ok((method, body))
}

fn menu_message(chat_id: &str, menu: &Menu) -> Value {
    let message = [
        non_blank(menu.header.as_deref()),
        Some(menu.body.as_str()),
        non_blank(menu.footer.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n");
    let rows: Vec<Value> = menu
        .options
        .iter()
        .map(|o| json!([{"text": o.title, "callback_data": callback_data(&o.id)}]))
        .collect();
    let mut body = text(chat_id, &message);
    body["reply_markup"] = json!({"inline_keyboard": rows});
    body
}

/// `{"message_id": n}` for `"{chat}:{n}"` or `"n"`; nothing for other ids (a button tap,
/// an edit is quoted by its original). A quote whose message is gone does not fail the send.
fn reply_parameters(reply_to: Option<&str>) -> Option<Value> {
    let reply_to = reply_to?;
    let mut parts = reply_to.split(':');
    let message_id = match (parts.next(), parts.next()) {
        (Some(only), None) => only.parse::<i64>().ok()?,
        (Some(chat), Some(message)) => {
            chat.parse::<i64>().ok()?;
            message.parse::<i64>().ok()?
        }
        _ => return None,
    };
    Some(json!({"message_id": message_id, "allow_sending_without_reply": true}))
}

/// The `callback_data` of a menu option: its id when it fits Telegram's 64 bytes, else
/// `sha256:` and the first 32 hex digits of the id's SHA-256 (39 bytes). Keep ids short
/// to see them as they are in taps; [`option_for_callback`] resolves both forms.
pub fn callback_data(option_id: &str) -> Cow<'_, str> {
    if option_id.len() <= CALLBACK_DATA_MAX_BYTES {
        return Cow::Borrowed(option_id);
    }
    let digest = Sha256::digest(option_id.as_bytes());
    Cow::Owned(format!("{HASHED_PREFIX}{}", &hex::encode(digest)[..32]))
}

/// The option of `menu` whose button carried `data` (the `interactive_reply.id` of a tap).
pub fn option_for_callback<'m>(menu: &'m Menu, data: &str) -> Option<&'m MenuOption> {
    menu.options
        .iter()
        .find(|o| o.id == data)
        .or_else(|| menu.options.iter().find(|o| callback_data(&o.id) == data))
}

fn caption(media: &MediaPayload) -> Option<String> {
    if media.kind == MediaKind::Sticker {
        return None;
    }
    non_blank(media.caption.as_deref()).map(|c| truncate(c, CAPTION_MAX))
}

/// The send method and its file parameter for a media: `sendPhoto`/`photo`,
/// `sendDocument`/`document`, `sendVideo`/`video`, `sendSticker`/`sticker`, and for audio
/// `sendVoice`/`voice` when it is OGG (a voice note) or `sendAudio`/`audio` otherwise.
pub fn upload_method_and_field(media: &MediaPayload) -> (&'static str, &'static str) {
    match media.kind {
        MediaKind::Image => ("sendPhoto", "photo"),
        MediaKind::Document => ("sendDocument", "document"),
        MediaKind::Video => ("sendVideo", "video"),
        MediaKind::Sticker => ("sendSticker", "sticker"),
        MediaKind::Audio if is_voice(&media.mime_type) => ("sendVoice", "voice"),
        MediaKind::Audio => ("sendAudio", "audio"),
    }
}

fn is_voice(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("audio/ogg") || essence.eq_ignore_ascii_case("audio/opus")
}

/// A media send with the file uploaded in the same request (`multipart/form-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub method: &'static str,
    /// The name of the file part; its file name should be `MediaPayload::filename`.
    pub file_field: &'static str,
    /// The text parts (`chat_id`, `caption`, `reply_parameters` as JSON).
    pub fields: Vec<(&'static str, String)>,
}

/// What a multipart send of `media` needs besides the file's bytes. The answer is a sent
/// message like any other ([`outcome`]); its `file_id` can be reused for later sends.
pub fn upload(chat_id: &str, media: &MediaPayload, reply_to_message_id: Option<&str>) -> Upload {
    let (method, file_field) = upload_method_and_field(media);
    let mut fields = vec![("chat_id", chat_id.to_owned())];
    if let Some(caption) = caption(media) {
        fields.push(("caption", caption));
    }
    if let Some(reply) = reply_parameters(reply_to_message_id) {
        fields.push(("reply_parameters", reply.to_string()));
    }
    Upload {
        method,
        file_field,
        fields,
    }
}

/// `answerCallbackQuery`: stops the spinner on the tapped button, with an optional toast
/// (cut to 200 characters). Every tap must be answered.
pub fn answer_callback_query(callback_query_id: &str, text: Option<&str>) -> Value {
    let mut body = json!({"callback_query_id": callback_query_id});
    if let Some(text) = non_blank(text) {
        body["text"] = json!(truncate(text, CALLBACK_ANSWER_MAX));
    }
    body
}

/// `setWebhook`: updates are POSTed to `url` with `secret_token` in
/// `X-Telegram-Bot-Api-Secret-Token`.
pub fn set_webhook(url: &str, secret_token: &str) -> Value {
    json!({"url": url, "secret_token": secret_token, "allowed_updates": ALLOWED_UPDATES})
}

/// `deleteWebhook`, keeping pending updates for the poller.
pub fn delete_webhook() -> Value {
    json!({"drop_pending_updates": false})
}

/// The bot a token belongs to (`getMe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotInfo {
    pub id: i64,
    pub username: String,
    pub first_name: String,
}

pub fn parse_get_me(body: &[u8]) -> Result<BotInfo, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    let result = result(&root)?;
    Ok(BotInfo {
        id: result.req_i64("id")?,
        username: result.req_str("username")?.to_owned(),
        first_name: result.req_str("first_name")?.to_owned(),
    })
}

/// A file ready to download from [`file_download_url`] (for at least an hour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub file_id: String,
    pub file_path: String,
    pub file_size: Option<u64>,
}

pub fn parse_get_file(body: &[u8]) -> Result<FileInfo, ParseError> {
    let root: Value = serde_json::from_slice(body)?;
    let result = result(&root)?;
    Ok(FileInfo {
        file_id: result.req_str("file_id")?.to_owned(),
        file_path: result.req_str("file_path")?.to_owned(),
        file_size: result.value().get("file_size").and_then(Value::as_u64),
    })
}

/// The `result` of `{"ok": true, …}`; `{"ok": false, …}` is [`ParseError::Api`].
fn result(root: &Value) -> Result<Node<'_>, ParseError> {
    let root = Node::root(root);
    if root.opt_bool("ok") == Some(false) {
        return Err(ParseError::Api {
            code: root.opt_i64("error_code"),
            description: root.opt_string("description").unwrap_or_default(),
        });
    }
    root.req("result")
}

/// Classifies the answer to a send: `Sent` with `"{chat}:{message}"`, or [`error_outcome`].
pub fn outcome(status: u16, body: &[u8]) -> SendOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let ok = parsed.as_ref().and_then(|v| v["ok"].as_bool()) == Some(true);
    if !ok {
        return error_outcome(status, body);
    }
    let result = parsed.as_ref().map(|v| &v["result"]);
    let chat = result.and_then(|r| r["chat"]["id"].as_i64());
    let message = result.and_then(|r| r["message_id"].as_i64());
    match chat.zip(message) {
        Some((chat, message)) => SendOutcome::Sent {
            provider_id: crate::telegram::message_external_id(chat, message),
        },
        None => SendOutcome::Retry {
            reason: "the answer named no message".into(),
            after: None,
        },
    }
}

/// `Ok` for `{"ok": true, …}` (`setWebhook`, `deleteWebhook`, `answerCallbackQuery`).
pub fn acknowledged(status: u16, body: &[u8]) -> Result<(), SendOutcome> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(|v| v["ok"].as_bool()) {
        Some(true) => Ok(()),
        _ => Err(error_outcome(status, body)),
    }
}

/// Classifies a refused call by `error_code` (else the HTTP status), protocols.md B5:
/// 401 and 404 (bad token) stop the channel; 400, 403 (blocked, deactivated) and 413
/// fail the message; 429 waits `retry_after`; anything else is retried. Never `Sent`.
pub fn error_outcome(status: u16, body: &[u8]) -> SendOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v["error_code"].as_i64())
        .unwrap_or(i64::from(status));
    let description = parsed
        .as_ref()
        .and_then(|v| v["description"].as_str())
        .unwrap_or("no description");
    let reason = format!("Telegram {code}: {description}");
    let after = parsed
        .as_ref()
        .and_then(|v| v["parameters"]["retry_after"].as_u64())
        .map(Duration::from_secs);
    match code {
        401 | 404 => SendOutcome::ChannelDown { reason },
        400 | 403 | 413 => SendOutcome::Failed { reason },
        _ => SendOutcome::Retry { reason, after },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_name_a_message_of_the_chat() {
        let id = |r: &str| reply_parameters(Some(r)).map(|v| v["message_id"].clone());
        assert_eq!(id("6093847561:1021"), Some(json!(1021)));
        assert_eq!(id("-1001234567890:7"), Some(json!(7)));
        assert_eq!(id("1021"), Some(json!(1021)));
        assert_eq!(id("callback:2617583049283746152"), None);
        assert_eq!(id("6093847561:1021:edit:1795518100"), Some(json!(1021)));
        assert_eq!(id("wamid.X"), None);
        assert_eq!(reply_parameters(None), None);
    }
}
