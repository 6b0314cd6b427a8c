//! Quick replies: `GET/POST /api/v1/quick-replies`, `PATCH/DELETE /api/v1/quick-replies/{id}`.
//! A token's user lists the team's and their own; `"shared": true` (admins and supervisors)
//! makes one for the whole team.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use saw_core::ids::QuickReplyId;
use saw_store::repo::quick_replies::QuickReply;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiJson;
use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

fn reply_json(q: &QuickReply) -> Value {
    json!({"id": q.id, "shortcut": q.shortcut, "body": q.body, "shared": q.owner.is_none()})
}

fn id_of(raw: &str) -> Result<QuickReplyId, ApiError> {
    raw.parse()
        .map(QuickReplyId::new)
        .map_err(|_| ApiError::not_found())
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let list = saw_app::quick_replies::usable(&state.app, &user).await?;
    Ok(Json(
        json!({"items": list.iter().map(reply_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewReply {
    shortcut: String,
    body: String,
    #[serde(default)]
    shared: bool,
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<NewReply>,
) -> Result<Response, ApiError> {
    let made =
        saw_app::quick_replies::create(&state.app, &user, &body.shortcut, &body.body, body.shared)
            .await?;
    Ok((StatusCode::CREATED, Json(reply_json(&made))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ReplyChange {
    shortcut: String,
    body: String,
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplyChange>,
) -> Result<Json<Value>, ApiError> {
    let changed =
        saw_app::quick_replies::update(&state.app, &user, id_of(&id)?, &body.shortcut, &body.body)
            .await?;
    Ok(Json(reply_json(&changed)))
}

pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    saw_app::quick_replies::delete(&state.app, &user, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
