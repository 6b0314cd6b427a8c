//! The sandbox page: play a customer writing to the business, with no provider account.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_core::conversation::DeliveryStatus;
use saw_core::outbound::OutboundPayload;
use serde::Deserialize;

use super::Chrome;
use crate::error::{self, PageError, render};
use crate::extract::{FormFields, Guest, Viewer};
use crate::i18n::Tr;
use crate::state::AppState;

const DEFAULT_CUSTOMER: &str = "cliente-teste";

pub struct Bubble {
    pub from_customer: bool,
    pub text: String,
    pub time: String,
    pub status: String,
    /// WhatsApp's ticks for the status: ✓ sent, ✓✓ delivered, blue ✓✓ read (class `read`).
    pub ticks: &'static str,
    pub status_class: &'static str,
    /// A menu's options (id, title), shown as buttons the pretend customer can tap.
    pub options: Vec<(String, String)>,
}

fn menu_options(payload: Option<&str>) -> Vec<(String, String)> {
    match payload.and_then(|p| serde_json::from_str::<OutboundPayload>(p).ok()) {
        Some(OutboundPayload::Menu(menu)) => {
            menu.options.into_iter().map(|o| (o.id, o.title)).collect()
        }
        _ => Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "sandbox.html")]
struct SandboxPage {
    chrome: Chrome,
    t: Tr,
    csrf: String,
    available: bool,
    customer: String,
    name: String,
    /// `cliente=…&nome=…`, URL-encoded, to reload this conversation.
    refresh_query: String,
    messages: Vec<Bubble>,
    /// A flow draft waits: offer to start the conversation with it.
    draft_available: bool,
}

/// The phone's bubbles: times in the account's zone, delivery words, menu buttons.
pub(super) fn bubbles(
    messages: Vec<saw_store::repo::messages::MessageRow>,
    t: Tr,
    zone: chrono_tz::Tz,
) -> Vec<Bubble> {
    messages
        .into_iter()
        .map(|m| Bubble {
            options: menu_options(m.payload.as_deref()),
            from_customer: m.direction == saw_core::conversation::MessageDirection::Inbound,
            text: m.body.unwrap_or_else(|| format!("[{}]", m.kind.as_str())),
            time: m
                .created_at
                .with_timezone(&zone)
                .format("%H:%M")
                .to_string(),
            status: t.get(&format!("status.{}", m.status.as_str())).to_owned(),
            ticks: ticks(m.status),
            status_class: m.status.as_str(),
        })
        .collect()
}

/// WhatsApp's ticks for a delivery status (the sandbox's phone and the inbox alike).
pub(super) fn ticks(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Queued => "🕓",
        DeliveryStatus::Sent => "✓",
        DeliveryStatus::Delivered | DeliveryStatus::Read => "✓✓",
        DeliveryStatus::Failed => "⚠",
    }
}

/// Who may play customers: supervisors and admins (the conversations cross every queue).
fn refused(viewer: &Viewer) -> Option<Response> {
    (!viewer.user.role.sees_all_queues()).then(|| PageError::forbidden(viewer.t).into_response())
}

fn query_of(customer: &str, name: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("cliente", customer)
        .append_pair("nome", name)
        .finish()
}

#[derive(Debug, Default, Deserialize)]
pub struct Who {
    cliente: Option<String>,
    pub(super) nome: Option<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    customer: String,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let account = viewer.account.id;
    let loaded = async {
        let available = saw_app::sandbox::channel(&state.app, account)
            .await?
            .is_some();
        let messages = if available {
            saw_app::sandbox::conversation(&state.app, account, &customer).await?
        } else {
            Vec::new()
        };
        let draft = saw_app::flows::has_draft(&state.app, account).await?;
        Ok::<_, saw_app::AppError>((available, messages, draft))
    };
    let (available, messages, draft_available) = match loaded.await {
        Ok(v) => v,
        Err(saw_app::AppError::Invalid(_)) => (true, Vec::new(), false),
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let zone = viewer.account.time_zone.tz();
    let mut chrome = Chrome::new(viewer, "sandbox");
    if let Some(message) = error {
        chrome = chrome.with_error(message);
    }
    let messages = bubbles(messages, viewer.t, zone);
    (
        status,
        render(
            &SandboxPage {
                t: viewer.t,
                csrf: chrome.csrf.clone(),
                chrome,
                available,
                refresh_query: query_of(&customer, &name),
                customer,
                name,
                messages,
                draft_available,
            },
            viewer.t,
        ),
    )
        .into_response()
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    guest: Guest,
    headers: axum::http::HeaderMap,
    Query(who): Query<Who>,
) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(sign_in) => {
            return super::sandbox_public::show(&state, guest, &headers, who.nome, sign_in).await;
        }
    };
    if let Some(refused) = refused(&viewer) {
        return refused;
    }
    let customer = who
        .cliente
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_CUSTOMER.into());
    let name = who
        .nome
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| viewer.t.get("sandbox.default_name").to_owned());
    page(&state, &viewer, customer, name, None, StatusCode::OK).await
}

pub async fn send(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    guest: Guest,
    headers: axum::http::HeaderMap,
    form: FormFields,
) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(sign_in) => {
            return super::sandbox_public::send(&state, guest, &headers, &form, sign_in).await;
        }
    };
    if let Some(refused) = refused(&viewer) {
        return refused;
    }
    let (customer, name, text) = (form.get("cliente"), form.get("nome"), form.get("texto"));
    let option = Some(form.get("opcao")).filter(|o| !o.is_empty());
    match saw_app::sandbox::customer_writes(
        &state.app,
        viewer.account.id,
        customer,
        name,
        text,
        option,
        form.get("rascunho") == "on",
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/sandbox?{}", query_of(customer, name))).into_response(),
        Err(e) if !error::status_of(&e).is_server_error() => {
            let status = error::status_of(&e);
            page(
                &state,
                &viewer,
                customer.to_owned(),
                name.to_owned(),
                Some(error::message(viewer.t, &e)),
                status,
            )
            .await
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
