//! Tags: `GET/POST /api/v1/tags`, `DELETE /api/v1/tags/{id}` (admins), and the tags on a
//! ticket or a contact: `GET/POST …/{id}/tags` (`{"tag": "VIP"}`, by name or id) and
//! `DELETE …/{id}/tags/{tag}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use saw_app::tags::Target;
use saw_core::ids::{ContactId, TagId, TicketId};
use saw_store::repo::tags::Tag;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::TagView;
use super::{ApiJson, require_admin};
use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

pub(crate) fn tag_json(tag: &Tag) -> Value {
    serde_json::to_value(TagView::of(tag)).unwrap_or_default()
}

fn items(tags: &[Tag]) -> Json<Value> {
    Json(json!({"items": tags.iter().map(tag_json).collect::<Vec<_>>()}))
}

fn number(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    Ok(items(
        &saw_app::tags::list(&state.app, user.account_id).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewTag {
    name: String,
    #[serde(default)]
    color: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<NewTag>,
) -> Result<Response, ApiError> {
    require_admin(&user)?;
    let actor = saw_app::Actor::api(&user);
    let tag = saw_app::tags::create(
        &state.app,
        &actor,
        user.account_id,
        &body.name,
        body.color.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(tag_json(&tag))).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&user)?;
    let actor = saw_app::Actor::api(&user);
    saw_app::tags::delete(
        &state.app,
        &actor,
        user.account_id,
        TagId::new(number(&id)?),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct PutTag {
    tag: Value,
}

impl PutTag {
    /// `"VIP"` or `3`.
    fn name_or_id(&self) -> String {
        match &self.tag {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

fn target(kind: Kind, id: &str) -> Result<Target, ApiError> {
    let id = number(id)?;
    Ok(match kind {
        Kind::Ticket => Target::Ticket(TicketId::new(id)),
        Kind::Contact => Target::Contact(ContactId::new(id)),
    })
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Ticket,
    Contact,
}

/// The three routes of the tags on a ticket or a contact.
pub fn routes(
    kind: Kind,
) -> (
    axum::routing::MethodRouter<AppState>,
    axum::routing::MethodRouter<AppState>,
) {
    let on = axum::routing::get(
        move |State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>| async move {
            let tags = saw_app::tags::of(&state.app, &user, target(kind, &id)?).await?;
            Ok::<_, ApiError>(items(&tags))
        },
    )
    .post(
        move |State(state): State<AppState>,
              ApiUser(user): ApiUser,
              Path(id): Path<String>,
              ApiJson(body): ApiJson<PutTag>| async move {
            let tags =
                saw_app::tags::add(&state.app, &user, target(kind, &id)?, &body.name_or_id()).await?;
            Ok::<_, ApiError>(items(&tags))
        },
    );
    let one = axum::routing::delete(
        move |State(state): State<AppState>,
              ApiUser(user): ApiUser,
              Path((id, tag)): Path<(String, String)>| async move {
            let tags = saw_app::tags::remove(&state.app, &user, target(kind, &id)?, &tag).await?;
            Ok::<_, ApiError>(items(&tags))
        },
    );
    (on, one)
}
