//! `GET /api/v1/tickets`, a ticket's messages (read, send, retry a failed one).

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, State};
use axum::http::StatusCode;
use saw_app::tickets::{Compose, TicketAction};
use saw_core::conversation::TicketStatus;
use saw_core::ids::{MessageId, TicketId};
use saw_store::repo::messages::MessageRow;
use saw_store::repo::tickets::TicketRow;
use serde::Deserialize;
use serde_json::{Value, json};

use super::views::{MessageView, TicketView};
use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 50;
/// The largest JSON body a message may have (text, menus and templates are far smaller).
const JSON_BODY_MAX: u64 = 256 * 1024;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn invalid(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_parameter",
        message,
    )
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref().unwrap_or("all") {
        "all" => None,
        other => Some(TicketStatus::parse(other).ok_or_else(|| {
            invalid(format!(
                "status must be bot, pending, open, resolved or all, not '{other}'"
            ))
        })?),
    };
    let max = saw_app::tickets::MAX_PAGE;
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "limit must be a number from 1 to {max}, not '{raw}'"
                ))
            })?,
    };
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| invalid("cursor is not one this API gave out".into()))?,
        ),
    };
    let (rows, next) = saw_app::tickets::page(&state.app, &user, status, cursor, limit).await?;
    Ok(Json(json!({
        "items": rows.iter().map(ticket_json).collect::<Vec<_>>(),
        "next_cursor": next.map(|n| n.to_string()),
    })))
}

/// `GET /api/v1/tickets/{id}`.
pub async fn one(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let ticket = saw_app::tickets::one(&state.app, &user, TicketId::new(id)).await?;
    Ok(Json(ticket_json(&ticket)))
}

pub async fn messages(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let (ticket, list) = saw_app::tickets::messages(&state.app, &user, TicketId::new(id)).await?;
    Ok(Json(json!({
        "ticket": ticket_json(&ticket),
        "items": list.iter().map(message_json).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/tickets/{id}/accept|resolve|return-to-bot`: 409 when the ticket is not in
/// a state the action applies to (a second accept, a second resolve…).
pub async fn act(
    state: AppState,
    user: saw_app::User,
    id: String,
    action: TicketAction,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let actor = saw_app::Actor::api(&user);
    let row = saw_app::tickets::act(&state.app, &actor, &user, TicketId::new(id), action).await?;
    Ok(Json(ticket_json(&row)))
}

/// `POST /api/v1/tickets/{id}/resolve`, with an optional `{"reason": "..."}`.
pub async fn resolve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    #[derive(Deserialize)]
    struct ResolveBody {
        #[serde(default)]
        reason: Option<String>,
    }
    let reason = match body.iter().all(u8::is_ascii_whitespace) {
        true => None,
        false => {
            serde_json::from_slice::<ResolveBody>(&body)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.to_string()))?
                .reason
        }
    };
    act(state, user, id, TicketAction::Resolve { reason }).await
}

#[derive(Debug, Deserialize)]
pub struct TransferBody {
    #[serde(default)]
    queue_id: Option<i64>,
    #[serde(default)]
    user_id: Option<i64>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/tickets/{id}/transfer`: to a queue (pending there), a person (open and
/// theirs) or both, with an optional note.
pub async fn transfer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    super::ApiJson(body): super::ApiJson<TransferBody>,
) -> Result<Json<Value>, ApiError> {
    let to = saw_app::tickets::Transfer {
        queue: body.queue_id.map(saw_core::ids::QueueId::new),
        user: body.user_id.map(saw_core::ids::UserId::new),
        note: body.note,
    };
    act(state, user, id, TicketAction::Transfer(to)).await
}

pub(crate) fn ticket_json(t: &TicketRow) -> Value {
    serde_json::to_value(TicketView::of(t)).unwrap_or_default()
}

pub(crate) fn message_json(m: &MessageRow) -> Value {
    serde_json::to_value(MessageView::of(m)).unwrap_or_default()
}

/// `{"text"}`, `{"menu": {...}}` or `{"template": {...}}` (exactly one), and `private`.
#[derive(Debug, Deserialize)]
pub struct NewMessage {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    menu: Option<saw_core::outbound::Menu>,
    #[serde(default)]
    template: Option<saw_core::outbound::TemplatePayload>,
    #[serde(default)]
    private: bool,
    /// The id of the message this one answers (quoted on WhatsApp and Telegram).
    #[serde(default)]
    reply_to: Option<i64>,
}

impl NewMessage {
    fn compose(self) -> Result<(Compose, bool, Option<MessageId>), ApiError> {
        use saw_core::outbound::OutboundPayload;
        let content = match (self.text, self.menu, self.template) {
            (Some(text), None, None) => Compose::Text(text),
            (None, Some(menu), None) => Compose::Payload(OutboundPayload::Menu(menu)),
            (None, None, Some(t)) => Compose::Payload(OutboundPayload::Template(t)),
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    "send exactly one of text, menu or template",
                ));
            }
        };
        Ok((content, self.private, self.reply_to.map(MessageId::new)))
    }
}

/// `POST /api/v1/tickets/{id}/messages`: send as the token's user (through the outbox), or
/// store a private note; `Idempotency-Key` makes a retry answer the first result. JSON
/// (`text`, `menu` or `template`), or `multipart/form-data` with a `file` (and an optional
/// `caption`) to send a photo, audio, video or document.
pub async fn post_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    request: axum::extract::Request,
) -> Result<(StatusCode, [(&'static str, &'static str); 1], Json<Value>), ApiError> {
    post_as(&state, &user, &id, &headers, request).await
}

/// A message posted by `user` (the API's token, or the inbox's session for files): JSON or
/// `multipart/form-data`, with an optional `Idempotency-Key`.
pub(crate) async fn post_as(
    state: &AppState,
    user: &saw_app::User,
    id: &str,
    headers: &axum::http::HeaderMap,
    request: axum::extract::Request,
) -> Result<(StatusCode, [(&'static str, &'static str); 1], Json<Value>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (content, private, reply_to) = if is_multipart {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", e.body_text()))?;
        (read_upload(state, multipart).await?, false, None)
    } else {
        let too_large = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|len| len > JSON_BODY_MAX);
        if too_large {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "a JSON message is at most 256 KiB; send files as multipart/form-data",
            ));
        }
        let super::ApiJson(body) =
            super::ApiJson::<NewMessage>::from_request(request, state).await?;
        body.compose()?
    };
    let upload = match &content {
        Compose::File(upload) => Some(upload.clone()),
        _ => None,
    };
    let outgoing = saw_app::tickets::Outgoing {
        content,
        private,
        reply_to,
        idempotency_key: key,
    };
    let posted =
        saw_app::tickets::post_message(&state.app, user, TicketId::new(id), outgoing).await;
    // A refused or replayed upload leaves no file behind.
    if let Some(upload) = &upload
        && posted.as_ref().map_or(true, |p| p.replayed)
    {
        saw_app::media::discard(&state.app, upload).await;
    }
    let posted = posted?;
    let replayed = if posted.replayed { "true" } else { "false" };
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", replayed)],
        Json(message_json(&posted.message)),
    ))
}

/// `POST /api/v1/tickets/{ticket}/messages/{message}/retry`: a failed message goes back to
/// the outbox (409 unless it failed).
pub async fn retry_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((ticket, message)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let ticket: i64 = ticket.parse().map_err(|_| ApiError::not_found())?;
    let message: i64 = message.parse().map_err(|_| ApiError::not_found())?;
    let row = saw_app::tickets::retry_message(
        &state.app,
        &user,
        TicketId::new(ticket),
        MessageId::new(message),
    )
    .await?;
    Ok(Json(message_json(&row)))
}

/// Streams the form's `file` into the media store; `caption` may come before or after it.
async fn read_upload(state: &AppState, mut form: Multipart) -> Result<Compose, ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", message);
    let (mut upload, mut caption) = (None, None);
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name() {
            Some("caption") => caption = Some(field.text().await.map_err(|e| bad(e.body_text()))?),
            Some("file") if upload.is_none() => {
                let mime = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let filename = field.file_name().map(str::to_owned);
                let mut source = FieldSource(field);
                upload = Some(
                    saw_app::media::receive_upload(&state.app, &mime, filename, &mut source)
                        .await?,
                );
            }
            _ => {}
        }
    }
    let mut upload = upload.ok_or_else(|| bad("the form has no `file` field".into()))?;
    upload.caption = caption;
    Ok(Compose::File(upload))
}

/// A form field read a chunk at a time into the media store.
struct FieldSource<'a>(axum::extract::multipart::Field<'a>);

impl saw_app::media::ChunkSource for FieldSource<'_> {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, String> {
        self.0.chunk().await.map_err(|e| e.body_text())
    }
}
