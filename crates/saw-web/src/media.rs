//! Serving media files: only to signed-in users (a session or an API token) who may see
//! the ticket, and never in a way that lets a customer's file run in SAW's origin. Every
//! answer carries `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy;
//! only image, audio and video types on [`INLINE`] are shown inline (under their own type),
//! everything else — HTML, SVG, PDF, anything — is a download of `application/octet-stream`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use saw_app::media::Download;
use saw_core::ids::{MessageId, TicketId};
use saw_core::user::User;

use crate::error::{ApiError, PageError};
use crate::extract::{ApiUser, Viewer};
use crate::state::AppState;

/// Types safe to show in `<img>`, `<audio>` and `<video>`. No SVG: it can carry script.
pub const INLINE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "audio/ogg",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/amr",
    "video/mp4",
    "video/3gpp",
];

const CSP: &str = "default-src 'none'; media-src 'self'; img-src 'self'; sandbox";

/// `GET /tickets/{ticket}/messages/{message}/media` for the signed-in inbox.
pub async fn for_viewer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((ticket, message)): Path<(String, String)>,
) -> Response {
    match open(&state, &viewer.user, &ticket, &message).await {
        Ok(download) => respond(download).await,
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

/// `GET /api/v1/tickets/{ticket}/messages/{message}/media`.
pub async fn for_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((ticket, message)): Path<(String, String)>,
) -> Response {
    match open(&state, &user, &ticket, &message).await {
        Ok(download) => respond(download).await,
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn open(
    state: &AppState,
    user: &User,
    ticket: &str,
    message: &str,
) -> Result<Download, saw_app::AppError> {
    let (Ok(ticket), Ok(message)) = (ticket.parse::<i64>(), message.parse::<i64>()) else {
        return Err(saw_app::AppError::NotFound);
    };
    saw_app::media::open_for(
        &state.app,
        user,
        TicketId::new(ticket),
        MessageId::new(message),
    )
    .await
}

async fn respond(download: Download) -> Response {
    let file = match tokio::fs::File::open(&download.path).await {
        Ok(f) => f,
        Err(error) => {
            tracing::warn!(%error, "a media file the database names is missing");
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let essence = saw_app::media::fetch::essence(&download.file.mime_type);
    let inline = INLINE.contains(&essence.as_str());
    let content_type = if inline {
        essence.as_str()
    } else {
        "application/octet-stream"
    };
    let filename = download
        .file
        .filename
        .clone()
        .unwrap_or_else(|| format!("arquivo{}", extension(&essence)));
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii_fallback(&filename),
        percent_encode(&filename)
    );
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(headers, header::CONTENT_TYPE, content_type);
    set(headers, header::CONTENT_DISPOSITION, &disposition);
    set(
        headers,
        header::CONTENT_LENGTH,
        &download.file.size.to_string(),
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::CACHE_CONTROL, "private, max-age=3600");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    response
}

fn extension(essence: &str) -> &'static str {
    match essence {
        "image/jpeg" => ".jpg",
        "image/png" => ".png",
        "image/webp" => ".webp",
        "audio/ogg" => ".ogg",
        "audio/mpeg" => ".mp3",
        "video/mp4" => ".mp4",
        "application/pdf" => ".pdf",
        _ => "",
    }
}

/// The name for clients that ignore `filename*`: ASCII letters, digits and `.-_` only.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 8187 encoding of a UTF-8 file name.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_break_the_header() {
        assert_eq!(ascii_fallback("relatório \"x\".pdf"), "relat_rio__x_.pdf");
        assert_eq!(percent_encode("ç a.pdf"), "%C3%A7%20a.pdf");
    }
}
