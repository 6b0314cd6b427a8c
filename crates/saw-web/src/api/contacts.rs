//! `GET/PATCH /api/v1/contacts/{id}`: a contact with the fields the bot collected, free
//! notes, the opt-out flag and their tickets; agents reach only contacts of tickets they
//! may see.

use axum::Json;
use axum::extract::{Path, State};
use saw_core::ids::ContactId;
use saw_store::repo::contacts::{ContactCard, ContactEdit};
use saw_store::repo::tickets::TicketRow;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiJson;
use super::tickets::ticket_json;
use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

fn contact_json(card: &ContactCard, tickets: &[TicketRow]) -> Value {
    json!({
        "id": card.id,
        "name": card.name,
        "phone": card.phone,
        "channel_family": card.family,
        "external_id": card.external_id,
        "fields": serde_json::from_str::<Value>(&card.fields).unwrap_or_else(|_| json!({})),
        "notes": card.notes,
        "opted_out": card.opted_out,
        "created_at": card.created_at,
        "tickets": tickets.iter().map(ticket_json).collect::<Vec<_>>(),
    })
}

fn contact_id(raw: &str) -> Result<ContactId, ApiError> {
    raw.parse::<i64>()
        .map(ContactId::new)
        .map_err(|_| ApiError::not_found())
}

pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (card, tickets) = saw_app::contacts::get(&state.app, &user, contact_id(&id)?).await?;
    Ok(Json(contact_json(&card, &tickets)))
}

/// What a `PATCH` may change; what is left out stays as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    name: Option<String>,
    notes: Option<String>,
    opted_out: Option<bool>,
    fields: Option<serde_json::Map<String, Value>>,
}

pub async fn patch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactPatch>,
) -> Result<Json<Value>, ApiError> {
    let id = contact_id(&id)?;
    let fields = body.fields.map(|f| Value::Object(f).to_string());
    let edit = ContactEdit {
        name: body.name.as_deref(),
        notes: body.notes.as_deref(),
        opted_out: body.opted_out,
        fields: fields.as_deref(),
    };
    let actor = saw_app::Actor::api(&user);
    saw_app::contacts::edit(&state.app, &actor, &user, id, edit).await?;
    let (card, tickets) = saw_app::contacts::get(&state.app, &user, id).await?;
    Ok(Json(contact_json(&card, &tickets)))
}
