//! Provider webhooks: `GET`/`POST /webhooks/whatsapp` (one URL for every number of the
//! instance). No session, no CSRF: each request proves itself (the verify token on the
//! handshake, `X-Hub-Signature-256` on every POST). Never rate-limited per address: Meta
//! sends everything from a few addresses. A POST is answered 200 only after what it
//! carried is committed.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/whatsapp", get(whatsapp_handshake).post(whatsapp_receive))
        .layer(DefaultBodyLimit::max(max_body))
}

async fn whatsapp_handshake(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let answer = saw_app::inbound::whatsapp_handshake(
        &state.app,
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
    )
    .await;
    match answer {
        Ok(Some(challenge)) => (StatusCode::OK, challenge).into_response(),
        Ok(None) => {
            tracing::warn!("WhatsApp webhook handshake refused: unknown verify token or mode");
            (
                StatusCode::FORBIDDEN,
                "verify token does not match any WhatsApp number",
            )
                .into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn whatsapp_receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    match saw_app::inbound::whatsapp_webhook(&state.app, &body, signature).await {
        Ok(outcome) => {
            if !outcome.unknown_numbers.is_empty() {
                tracing::warn!(numbers = ?outcome.unknown_numbers, "WhatsApp webhook for numbers SAW does not serve: acknowledged and dropped");
            }
            tracing::info!(
                stored = outcome.messages_stored,
                duplicates = outcome.duplicates,
                tickets_opened = outcome.tickets_opened,
                statuses = outcome.statuses_applied + outcome.statuses_kept,
                reactions = outcome.reactions,
                "WhatsApp webhook"
            );
            (StatusCode::OK, "ok").into_response()
        }
        Err(e) => {
            tracing::warn!(code = e.code(), "WhatsApp webhook refused");
            ApiError::from(e).into_response()
        }
    }
}
