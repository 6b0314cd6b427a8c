//! The job that brings inbound media in, after the webhook was acknowledged: WhatsApp's
//! media id → its short-lived URL → the bytes (both calls with the channel's token), or
//! Telegram's file id → `getFile` → the file. Each file is streamed into the media store
//! under a size cap, its type checked against what the message is, and (WhatsApp) its
//! SHA-256 against Meta's. A failure worth retrying is retried with backoff; after
//! [`MAX_ATTEMPTS`], or at once for a file that cannot be right (too large, wrong type,
//! refused by the provider), the media is shown as unavailable.
//!
//! The token goes only to the channel's API base and to the media URL that base returned,
//! and the client follows no redirect, so it never reaches another host.

use std::time::Duration;

use saw_channels::outbound::{telegram, whatsapp};
use saw_core::channel::ChannelConfig;
use saw_core::conversation::MessageKind;
use saw_store::now;
use saw_store::repo::media::{self, PendingMedia};

use super::MediaError;
use crate::events::Event;
use crate::outbox::{Stop, backoff};
use crate::{App, AppError, channels};

/// Attempts before a file is given up as unavailable (about 8 minutes of backoff).
pub const MAX_ATTEMPTS: i64 = 10;
const BATCH: i64 = 4;
/// A lease covers a whole round: every file at its longest download.
const LEASE: Duration = Duration::from_secs(BATCH as u64 * CALL_TIMEOUT.as_secs() * 2 + 30);
const IDLE_POLL: Duration = Duration::from_millis(250);

/// The largest file kept for each kind: above WhatsApp's own limits (protocols.md A8) and
/// Telegram's 20 MB bot download limit, so a real file always fits and a hostile one stops.
pub fn max_bytes(kind: MessageKind) -> u64 {
    const MIB: u64 = 1024 * 1024;
    match kind {
        MessageKind::Sticker => MIB,
        MessageKind::Image => 16 * MIB,
        MessageKind::Audio => 32 * MIB,
        MessageKind::Video => 64 * MIB,
        _ => 100 * MIB,
    }
}

/// What a media type must look like for the message's kind (a "photo" that is HTML is
/// refused, not stored).
pub fn type_fits_kind(kind: MessageKind, mime_type: &str) -> bool {
    let essence = essence(mime_type);
    match kind {
        MessageKind::Image => essence.starts_with("image/") && essence != "image/svg+xml",
        MessageKind::Sticker => essence == "image/webp",
        MessageKind::Audio => essence.starts_with("audio/"),
        MessageKind::Video => essence.starts_with("video/"),
        _ => !essence.is_empty(),
    }
}

/// `audio/ogg; codecs=opus` → `audio/ogg`, lower-cased.
pub fn essence(mime_type: &str) -> String {
    mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The type Telegram's files are taken as when the update named none.
fn telegram_default_type(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Image => "image/jpeg",
        MessageKind::Audio => "audio/ogg",
        MessageKind::Video => "video/mp4",
        MessageKind::Sticker => "image/webp",
        _ => "application/octet-stream",
    }
}

enum Fetched {
    Ready {
        name: String,
        mime_type: String,
        size: u64,
    },
    Retry(String),
    Unavailable(String),
}

/// The longest one media call (the download included) may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Starts the job in the background; stop it like the dispatcher. `http` should allow
/// [`CALL_TIMEOUT`] (see [`crate::outbox::http_client_with_timeout`]).
pub fn spawn(app: App, http: reqwest::Client) -> (Stop, tokio::task::JoinHandle<()>) {
    let stop = Stop::default();
    let task_stop = stop.clone();
    let handle = tokio::spawn(async move {
        while !task_stop.requested() {
            match fetch_once(&app, &http, &task_stop).await {
                Ok(0) => tokio::time::sleep(IDLE_POLL).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "media round failed");
                    tokio::time::sleep(IDLE_POLL * 8).await;
                }
            }
        }
    });
    (stop, handle)
}

/// One round: lease pending files and fetch them; answers how many were handled.
pub async fn fetch_once(app: &App, http: &reqwest::Client, stop: &Stop) -> Result<usize, AppError> {
    let at = now();
    let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let leased = app
        .store
        .write(move |c| media::lease_pending(c, at, until, BATCH))
        .await?;
    let count = leased.len();
    for pending in leased {
        if stop.requested() {
            break;
        }
        let fetched = fetch(app, http, &pending).await;
        record(app, &pending, fetched).await?;
    }
    Ok(count)
}

async fn record(app: &App, m: &PendingMedia, fetched: Fetched) -> Result<(), AppError> {
    let pending = m.clone();
    let at = now();
    let recorded = app
        .store
        .write(move |c| match fetched {
            Fetched::Ready {
                name,
                mime_type,
                size,
            } => media::mark_ready(c, &pending, &name, &mime_type, size as i64, at),
            Fetched::Retry(reason) if pending.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::warn!(message = %pending.message_id, %reason, "media given up");
                media::mark_unavailable(c, &pending, &reason, at)
            }
            Fetched::Retry(reason) => {
                tracing::info!(message = %pending.message_id, %reason, "media fetch failed, will retry");
                let wait = chrono::Duration::from_std(backoff(pending.attempts))
                    .unwrap_or_else(|_| chrono::Duration::minutes(5));
                media::schedule_retry(c, &pending, at + wait, &reason)
            }
            Fetched::Unavailable(reason) => {
                tracing::warn!(message = %pending.message_id, %reason, "media unavailable");
                media::mark_unavailable(c, &pending, &reason, at)
            }
        })
        .await?;
    if recorded {
        app.events.publish([Event::MessageUpdated {
            account_id: m.account_id,
            ticket_id: m.ticket_id,
            message_id: m.message_id,
        }]);
    }
    Ok(())
}

async fn fetch(app: &App, http: &reqwest::Client, m: &PendingMedia) -> Fetched {
    let config = match channels::get_decrypted(app, m.account_id, m.channel_id).await {
        Ok((_, config)) => config,
        Err(e) => return Fetched::Retry(format!("the channel cannot be read: {e}")),
    };
    let max = max_bytes(m.kind);
    match config {
        ChannelConfig::WhatsApp(wa) => {
            let token = wa.secrets.access_token.expose();
            let info_url = whatsapp::media_info_url(&wa.settings.api_base, &m.media_ref);
            let info = match get(http.get(&info_url).bearer_auth(token)).await {
                Ok((200..=299, body, _)) => match whatsapp::parse_media_info(&body) {
                    Ok(info) => info,
                    Err(e) => return Fetched::Retry(format!("unreadable media answer: {e}")),
                },
                Ok((status, body, _)) => return graph_refusal(status, &body),
                Err(reason) => return Fetched::Retry(reason),
            };
            if !type_fits_kind(m.kind, &info.mime_type) {
                return Fetched::Unavailable(format!(
                    "the file's type {} does not fit a {} message",
                    info.mime_type,
                    m.kind.as_str()
                ));
            }
            if info.file_size.is_some_and(|size| size > max) {
                return Fetched::Unavailable(format!("the file is larger than {max} bytes"));
            }
            let request = http.get(&info.url).bearer_auth(token);
            download(
                app,
                request,
                max,
                Some(&info.mime_type),
                info.sha256.as_deref(),
            )
            .await
        }
        ChannelConfig::Telegram(tg) => {
            let token = tg.secrets.bot_token.expose();
            let url = telegram::method_url(&tg.settings.api_base, token, "getFile");
            let body = serde_json::json!({"file_id": m.media_ref});
            let file = match get(http.post(&url).json(&body)).await {
                Ok((200..=299, body, _)) => match telegram::parse_get_file(&body) {
                    Ok(file) => file,
                    Err(e) => return Fetched::Unavailable(format!("getFile: {e}")),
                },
                Ok((status, _, _)) if status == 429 || status >= 500 => {
                    return Fetched::Retry(format!("getFile answered HTTP {status}"));
                }
                Ok((status, _, _)) => {
                    return Fetched::Unavailable(format!("getFile answered HTTP {status}"));
                }
                Err(reason) => return Fetched::Retry(reason),
            };
            if file.file_size.is_some_and(|size| size > max) {
                return Fetched::Unavailable(format!("the file is larger than {max} bytes"));
            }
            let url = telegram::file_download_url(&tg.settings.api_base, token, &file.file_path);
            let mime_type = m
                .media_type
                .clone()
                .unwrap_or_else(|| telegram_default_type(m.kind).to_owned());
            if !type_fits_kind(m.kind, &mime_type) {
                return Fetched::Unavailable(format!(
                    "the file's type {mime_type} does not fit a {} message",
                    m.kind.as_str()
                ));
            }
            // Telegram serves every file as octet-stream: the type comes from the update.
            match download(app, http.get(&url), max, None, None).await {
                Fetched::Ready { name, size, .. } => Fetched::Ready {
                    name,
                    mime_type,
                    size,
                },
                other => other,
            }
        }
        ChannelConfig::Sandbox => Fetched::Unavailable("the sandbox has no media to fetch".into()),
    }
}

/// A small answer (JSON) read whole: status, body, content type. Errors never carry the
/// URL (Telegram's holds the bot token).
async fn get(request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>, String), String> {
    let response = request.send().await.map_err(crate::outbox::network_error)?;
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer failed: {}", e.without_url()))?;
    Ok((status, body.to_vec(), content_type))
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Graph refused the media id: worth retrying only when it is throttling or unwell.
fn graph_refusal(status: u16, body: &[u8]) -> Fetched {
    match whatsapp::outcome(status, body) {
        saw_channels::outbound::SendOutcome::Retry { reason, .. } => Fetched::Retry(reason),
        saw_channels::outbound::SendOutcome::Failed { reason }
        | saw_channels::outbound::SendOutcome::ChannelDown { reason } => {
            Fetched::Unavailable(reason)
        }
        saw_channels::outbound::SendOutcome::Sent { .. } => {
            Fetched::Retry(format!("unexpected answer HTTP {status}"))
        }
    }
}

async fn download(
    app: &App,
    request: reqwest::RequestBuilder,
    max: u64,
    expected_type: Option<&str>,
    sha256: Option<&str>,
) -> Fetched {
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Fetched::Retry(crate::outbox::network_error(e)),
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        // An expired URL (WhatsApp's last 5 minutes) is asked for anew on the next attempt.
        return Fetched::Retry(format!("the download answered HTTP {status}"));
    }
    let served_type = content_type(&response);
    if let Some(expected) = expected_type
        && essence(&served_type) != essence(expected)
    {
        return Fetched::Unavailable(format!(
            "the download is {served_type}, not the announced {expected}"
        ));
    }
    if response.content_length().is_some_and(|len| len > max) {
        return Fetched::Unavailable(format!("the file is larger than {max} bytes"));
    }
    let saved = app.media.save(max, &mut response).await;
    match saved {
        Ok(saved) => {
            if let Some(want) = sha256
                && !digest_matches(want, &saved.sha256_hex)
            {
                if let Some(path) = app.media.path_of(&saved.name) {
                    let _ = tokio::fs::remove_file(path).await;
                }
                return Fetched::Retry("the file's SHA-256 does not match Meta's".into());
            }
            Fetched::Ready {
                name: saved.name,
                mime_type: essence(expected_type.unwrap_or(&served_type)),
                size: saved.size,
            }
        }
        Err(MediaError::TooLarge { max }) => {
            Fetched::Unavailable(format!("the file is larger than {max} bytes"))
        }
        Err(MediaError::Source(reason)) => Fetched::Retry(reason),
        Err(e @ MediaError::Io(_)) => Fetched::Retry(e.to_string()),
    }
}

/// Meta writes a file's SHA-256 in hex in some answers and in base64 in others.
fn digest_matches(want: &str, got_hex: &str) -> bool {
    use base64::Engine;
    let want = want.trim();
    if want.len() == 64 && want.bytes().all(|b| b.is_ascii_hexdigit()) {
        return want.eq_ignore_ascii_case(got_hex);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(want);
    matches!((decoded, hex::decode(got_hex)), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_in_hex_or_base64() {
        let hex = "0cf457e24a479f02fd4d34540389f720f0807dcff92a7562108165b2637ea82f";
        assert!(digest_matches(hex, hex));
        assert!(digest_matches(&hex.to_uppercase(), hex));
        assert!(digest_matches(
            "DPRX4kpHnwL9TTRUA4n3IPCAfc/5KnViEIFlsmN+qC8=",
            hex
        ));
        assert!(!digest_matches("AAAA", hex));
    }

    #[test]
    fn types_must_fit_the_kind() {
        assert!(type_fits_kind(MessageKind::Audio, "audio/ogg; codecs=opus"));
        assert!(type_fits_kind(MessageKind::Image, "image/jpeg"));
        assert!(!type_fits_kind(MessageKind::Image, "image/svg+xml"));
        assert!(!type_fits_kind(MessageKind::Image, "text/html"));
        assert!(!type_fits_kind(MessageKind::Sticker, "image/png"));
        assert!(type_fits_kind(MessageKind::Document, "application/pdf"));
        assert_eq!(essence("Audio/OGG; codecs=opus"), "audio/ogg");
    }
}
