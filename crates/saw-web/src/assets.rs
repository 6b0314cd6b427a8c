//! Assets embedded in the binary, and the security headers every response carries.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const STYLESHEET: &str = include_str!("../assets/app.css");
const LIVE_SCRIPT: &str = include_str!("../assets/live.js");
const INBOX_SCRIPT: &str = include_str!("../assets/inbox.js");
const REPORTS_SCRIPT: &str = include_str!("../assets/reports.js");
const MANIFEST: &str = include_str!("../assets/manifest.webmanifest");
const ICON: &str = include_str!("../assets/icon.svg");
const SERVICE_WORKER: &str = include_str!("../assets/sw.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// The live connection the inbox and the dashboard share (WebSocket, else SSE).
pub async fn live_script() -> Response {
    asset("text/javascript; charset=utf-8", LIVE_SCRIPT)
}

/// The inbox's script: live updates, notifications, sound.
pub async fn inbox_script() -> Response {
    asset("text/javascript; charset=utf-8", INBOX_SCRIPT)
}

/// The dashboard's script: custom dates, the live "now" panel.
pub async fn reports_script() -> Response {
    asset("text/javascript; charset=utf-8", REPORTS_SCRIPT)
}

/// The web app manifest: SAW can be installed on a phone's home screen.
pub async fn manifest() -> Response {
    asset("application/manifest+json", MANIFEST)
}

/// The service worker for Web Push, at the root so its scope is the whole app.
pub async fn service_worker() -> Response {
    asset("text/javascript; charset=utf-8", SERVICE_WORKER)
}

pub async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

/// No framing, no sniffing, no inline scripts, nothing loaded from elsewhere.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    response
}
