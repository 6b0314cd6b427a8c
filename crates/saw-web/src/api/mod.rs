//! The REST API under `/api/v1`: bearer tokens only (`saw token create`), JSON in and out,
//! errors as `{"error": {"code", "message"}}`. It calls the same services as the pages.

mod contacts;
mod events;
mod quick_replies;
pub(crate) mod reports;
mod tags;
pub(crate) mod tickets;
pub(crate) mod views;

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use saw_app::Actor;
use saw_app::tickets::TicketAction;
use saw_app::users::NewUserInput;
use saw_core::queue::Queue;
use saw_core::user::{Role, User};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    let (ticket_tags, ticket_tag) = tags::routes(tags::Kind::Ticket);
    let (contact_tags, contact_tag) = tags::routes(tags::Kind::Contact);
    Router::new()
        .route("/me", get(me))
        .route("/users", get(list_users).post(create_user))
        .route("/queues", get(list_queues))
        .route("/tickets", get(tickets::list))
        .route("/tickets/{id}", get(tickets::one))
        .route("/contacts/{id}", get(contacts::get).patch(contacts::patch))
        .route("/tickets/{id}/tags", ticket_tags)
        .route("/tickets/{id}/tags/{tag}", ticket_tag)
        .route("/contacts/{id}/tags", contact_tags)
        .route("/contacts/{id}/tags/{tag}", contact_tag)
        .route("/tags", get(tags::list).post(tags::create))
        .route("/tags/{id}", axum::routing::delete(tags::delete))
        .route(
            "/quick-replies",
            get(quick_replies::list).post(quick_replies::create),
        )
        .route(
            "/quick-replies/{id}",
            axum::routing::patch(quick_replies::update).delete(quick_replies::delete),
        )
        .route("/tickets/{id}/accept", ticket_action(TicketAction::Accept))
        .route(
            "/tickets/{id}/resolve",
            axum::routing::post(tickets::resolve),
        )
        .route("/tickets/{id}/reopen", ticket_action(TicketAction::Reopen))
        .route(
            "/tickets/{id}/transfer",
            axum::routing::post(tickets::transfer),
        )
        .route(
            "/tickets/{id}/return-to-bot",
            ticket_action(TicketAction::ReturnToBot),
        )
        .route(
            "/tickets/{id}/messages",
            get(tickets::messages).post(tickets::post_message).layer(
                // Files up to WhatsApp's largest (a 100 MB document) and the form around it;
                // JSON bodies are held to their own limit in the handler.
                axum::extract::DefaultBodyLimit::max(101 * 1_000_000),
            ),
        )
        .route(
            "/tickets/{ticket}/messages/{message}/retry",
            axum::routing::post(tickets::retry_message),
        )
        .route(
            "/tickets/{ticket}/messages/{message}/media",
            get(crate::media::for_api),
        )
        .route("/reports/summary", get(reports::summary))
        .route("/reports/tickets.csv", get(reports::tickets_csv))
        .route("/reports/heatmap", get(reports::heatmap))
        .route("/reports/now", get(reports::now))
        .route("/events", get(events::stream))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::not_found() })
}

/// `POST` of one [`TicketAction`] on `/tickets/{id}/…`.
fn ticket_action(action: TicketAction) -> axum::routing::MethodRouter<AppState> {
    axum::routing::post(
        move |State(state): State<AppState>,
              ApiUser(user): ApiUser,
              axum::extract::Path(id): axum::extract::Path<String>| {
            tickets::act(state, user, id, action.clone())
        },
    )
}

const OPENAPI: &str = include_str!("openapi.json");

/// The OpenAPI document of this API (no token needed to read it).
async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// A JSON body whose problems answer 400 with the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                rejection.body_text(),
            )),
        }
    }
}

fn user_json(user: &User, queues: &[Queue]) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "email": user.email.as_str(),
        "role": user.role.as_str(),
        "active": user.active,
        "two_factor": user.totp_enabled,
        "created_at": user.created_at,
        "queues": queues.iter().map(|q| json!({"id": q.id, "name": q.name})).collect::<Vec<_>>(),
    })
}

fn queue_json(queue: &Queue, members: Option<i64>) -> Value {
    let mut v = json!({ "id": queue.id, "name": queue.name, "color": queue.color, "is_default": queue.is_default });
    if let Some(n) = members {
        v["members"] = json!(n);
    }
    v
}

fn require_admin(user: &User) -> Result<(), ApiError> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

async fn me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let queues = saw_app::queues::of_user(&state.app, user.id).await?;
    Ok(Json(user_json(&user, &queues)))
}

/// Everyone may list the account's people (to transfer a ticket to one); e-mail addresses,
/// roles and sign-in details only admins.
async fn list_users(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let users = saw_app::users::list(&state.app, user.account_id).await?;
    let list: Vec<Value> = users
        .iter()
        .filter(|(u, _)| user.role.is_admin() || u.active)
        .map(|(u, q)| match user.role.is_admin() {
            true => user_json(u, q),
            false => json!({
                "id": u.id,
                "name": u.name,
                "active": u.active,
                "queues": q.iter().map(|q| json!({"id": q.id, "name": q.name})).collect::<Vec<_>>(),
            }),
        })
        .collect();
    Ok(Json(json!({ "items": list })))
}

#[derive(Debug, Deserialize)]
struct CreateUser {
    name: String,
    email: String,
    role: String,
    password: Option<String>,
    #[serde(default)]
    queues: Vec<String>,
}

async fn create_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Response, ApiError> {
    require_admin(&user)?;
    let role = Role::parse(&body.role).map_err(saw_app::AppError::from)?;
    let queues = saw_app::queues::ids_by_name(&state.app, user.account_id, body.queues).await?;
    let input = NewUserInput {
        name: body.name,
        email: body.email,
        role,
        password: body.password,
        queues,
    };
    let actor = Actor::api(&user);
    let created = saw_app::users::create(&state.app, &actor, user.account_id, input).await?;
    let queues = saw_app::queues::of_user(&state.app, created.user.id).await?;
    let mut body = user_json(&created.user, &queues);
    if let Some(password) = created.generated_password {
        body["generated_password"] = json!(password);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Agents see the queues they work in; supervisors and admins every queue of the account.
async fn list_queues(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = if user.role.sees_all_queues() {
        saw_app::queues::list(&state.app, user.account_id)
            .await?
            .iter()
            .map(|s| queue_json(&s.queue, Some(s.members)))
            .collect()
    } else {
        saw_app::queues::of_user(&state.app, user.id)
            .await?
            .iter()
            .map(|q| queue_json(q, None))
            .collect()
    };
    Ok(Json(json!({ "items": list })))
}

#[cfg(test)]
mod tests {
    /// Every route registered above is in the OpenAPI document with its methods, so the
    /// document stays complete as the API grows.
    #[test]
    fn the_openapi_document_names_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let source = include_str!("mod.rs");
        let mut checked = 0;
        let body = &source[..source.find("mod tests").unwrap_or(source.len())];
        for (i, _) in body.match_indices(".route(") {
            let rest = body[i + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let path = &rest[..rest.find('"').unwrap()];
            // The route's handlers: up to the next route (rustfmt may wrap them).
            let end = [rest.find(".route("), rest.find(".fallback(")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(rest.len());
            let line = &rest[..end];
            let methods = ["get", "post"]
                .into_iter()
                .filter(|m| line.contains(&format!("{m}(")));
            for method in methods {
                assert!(
                    doc["paths"][path][method].is_object(),
                    "{method} {path} is missing from openapi.json"
                );
                checked += 1;
            }
        }
        assert!(checked >= 8, "only {checked} routes found");
    }
}
