//! Provider webhooks: `GET`/`POST /webhooks/whatsapp` (one URL for every number of the
//! instance) and `POST /webhooks/telegram/{channel_id}` (one per bot). No session, no CSRF: each request proves itself (the verify token on the
//! handshake, `X-Hub-Signature-256` on every POST). Never rate-limited per address: Meta
//! sends everything from a few addresses. A POST is answered 200 only after what it
//! carried is committed.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(max_body: usize) -> Router<AppState> {
    Router::new()
        .route("/whatsapp", get(whatsapp_handshake).post(whatsapp_receive))
        .route("/telegram/{channel_id}", post(telegram_receive))
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

async fn telegram_receive(
    State(state): State<AppState>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(channel_id) = channel_id.parse::<i64>() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_channel",
            "no Telegram channel with this id",
        )
        .into_response();
    };
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    match saw_app::inbound::telegram_webhook(&state.app, channel_id, secret, &body).await {
        Ok(outcome) => {
            tracing::info!(
                channel = channel_id,
                stored = outcome.messages_stored,
                duplicates = outcome.duplicates,
                "Telegram webhook"
            );
            (StatusCode::OK, "ok").into_response()
        }
        Err(saw_app::AppError::NotFound) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_channel",
            "no Telegram channel with this id",
        )
        .into_response(),
        Err(e) => {
            tracing::warn!(
                channel = channel_id,
                code = e.code(),
                "Telegram webhook refused"
            );
            ApiError::from(e).into_response()
        }
    }
}
