//! Admin: channels (conexões) — list, add a WhatsApp number, a Telegram bot or a sandbox,
//! see the webhook URL and verify token to paste at the provider, test the connection,
//! remove.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::channels::{NewChannelInput, Removal};
use saw_app::connection_check::Check;
use saw_app::{Actor, AppError};
use saw_core::channel::{ChannelConfig, TelegramMode};
use saw_core::ids::ChannelId;

use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::state::AppState;

pub struct Row {
    pub id: ChannelId,
    pub name: String,
    pub kind: &'static str,
    pub key: String,
    pub active: bool,
    /// Why the channel stopped sending, if it did.
    pub down: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/channels.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    /// Signed WhatsApp webhooks for numbers SAW does not serve since the start, with the
    /// last such number: usually a phone number id typed wrong.
    unknown_numbers: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/channel.html")]
struct DetailPage {
    chrome: Chrome,
    id: ChannelId,
    name: String,
    kind: &'static str,
    facts: Vec<(String, String)>,
    webhook_url: Option<String>,
    webhook_hint: &'static str,
    verify_token: Option<String>,
    check: Option<String>,
    check_ok: bool,
    /// WhatsApp only: the synced templates (name, language, status, body).
    templates: Option<Vec<(String, String, String, String)>>,
}

fn actor(viewer: &Viewer) -> Actor {
    Actor::user(&viewer.user, viewer.client.ip.clone())
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    status: StatusCode,
) -> Response {
    match saw_app::channels::list(&state.app, viewer.account.id).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|s| Row {
                    id: s.channel.id,
                    name: s.channel.name,
                    kind: s.channel.kind.as_str(),
                    key: s.channel.provider_key.unwrap_or_else(|| "-".into()),
                    active: s.channel.active,
                    down: s.channel.health.map(|h| h.reason),
                })
                .collect();
            let unknown_numbers = match state.app.counters.unknown_whatsapp_numbers() {
                (0, _) => None,
                (count, last) => Some(viewer.t.fmt(
                    "channels.unknown_numbers",
                    &[("count", &count), ("number", &last.unwrap_or_default())],
                )),
            };
            let page = ListPage {
                chrome,
                rows,
                unknown_numbers,
            };
            (status, render(&page, viewer.t)).into_response()
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    flash: FlashQuery,
) -> Response {
    let chrome = Chrome::new(&viewer, "channels").with_flash(&flash);
    list_page(&state, &viewer, chrome, StatusCode::OK).await
}

fn optional(form: &FormFields, name: &str) -> Option<String> {
    Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn create(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let name = form.get("name").to_owned();
    let input = match form.get("kind") {
        "whatsapp" => Ok(NewChannelInput::WhatsApp {
            name,
            phone_number_id: form.get("phone_number_id").to_owned(),
            waba_id: form.get("waba_id").to_owned(),
            access_token: form.get("access_token").trim().to_owned(),
            app_secret: form.get("app_secret").trim().to_owned(),
            verify_token: None,
            api_base: optional(&form, "api_base"),
        }),
        "telegram" => TelegramMode::parse(form.get("mode"))
            .map_err(AppError::from)
            .map(|mode| NewChannelInput::Telegram {
                name,
                bot_token: form.get("bot_token").trim().to_owned(),
                mode,
                api_base: optional(&form, "api_base"),
            }),
        "sandbox" => Ok(NewChannelInput::Sandbox { name }),
        _ => {
            return PageError::new(viewer.t, StatusCode::BAD_REQUEST, "error.not_found")
                .into_response();
        }
    };
    // A pasted bot token is checked with getMe before it is stored.
    if let Ok(NewChannelInput::Telegram {
        bot_token,
        api_base,
        ..
    }) = &input
        && saw_core::channel::ChannelConfig::telegram(bot_token, TelegramMode::Polling, None, "x")
            .is_ok()
    {
        let t = viewer.t;
        let refusal =
            match saw_app::connection_check::telegram_token(api_base.as_deref(), bot_token).await {
                Ok(Check::Works(_)) => None,
                Ok(Check::BadToken) => Some(t.get("channels.bad_token").to_owned()),
                Ok(Check::Network(why)) => Some(t.fmt("channels.network", &[("why", &why)])),
                Ok(Check::Other(why)) => Some(t.fmt("channels.other", &[("why", &why)])),
                Ok(_) => None,
                Err(e) => Some(error::message(t, &e)),
            };
        if let Some(refusal) = refusal {
            let chrome = Chrome::new(&viewer, "channels").with_error(refusal);
            return list_page(&state, &viewer, chrome, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
    let added = match input {
        Ok(input) => {
            saw_app::channels::add(&state.app, &actor(&viewer), viewer.account.id, input).await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(added) => Redirect::to(&format!(
            "/admin/channels/{}?ok=channel_created",
            added.channel.id
        ))
        .into_response(),
        Err(e) if !error::status_of(&e).is_server_error() => {
            let chrome = Chrome::new(&viewer, "channels").with_error(error::message(viewer.t, &e));
            list_page(&state, &viewer, chrome, error::status_of(&e)).await
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

/// SAW's address as the provider must call it: `SAW_PUBLIC_URL`, else what the browser used.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    state.web.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    })
}

async fn detail(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    id: ChannelId,
    chrome: Chrome,
    check: Option<(String, bool)>,
) -> Response {
    let (channel, config) =
        match saw_app::channels::get_decrypted(&state.app, viewer.account.id, id).await {
            Ok(found) => found,
            Err(e) => return PageError::from_app(viewer.t, e).into_response(),
        };
    let base = public_base(state, headers);
    let mut facts: Vec<(String, String)> = Vec::new();
    if let Some(key) = &channel.provider_key {
        facts.push((viewer.t.get("channels.key").to_owned(), key.clone()));
    }
    facts.extend(
        config
            .shown_settings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    facts.extend(
        config
            .masked_secrets()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let (webhook_url, webhook_hint, verify_token) = match &config {
        ChannelConfig::WhatsApp(wa) => (
            Some(format!("{base}/webhooks/whatsapp")),
            "channels.whatsapp_hint",
            Some(wa.secrets.verify_token.expose().to_owned()),
        ),
        ChannelConfig::Telegram(tg) if tg.settings.mode == TelegramMode::Webhook => (
            Some(format!("{base}/webhooks/telegram/{}", channel.id)),
            "channels.telegram_hint",
            None,
        ),
        _ => (None, "channels.whatsapp_hint", None),
    };
    let (check, check_ok) = check.map_or((None, false), |(text, ok)| (Some(text), ok));
    let templates = if channel.kind == saw_core::conversation::ChannelKind::WhatsApp {
        let list = saw_app::templates::list(&state.app, viewer.account.id, channel.id)
            .await
            .unwrap_or_default();
        Some(
            list.into_iter()
                .map(|t| {
                    (
                        t.name,
                        t.language,
                        t.status,
                        t.body_text.unwrap_or_default(),
                    )
                })
                .collect(),
        )
    } else {
        None
    };
    let page = DetailPage {
        templates,
        chrome,
        id: channel.id,
        name: channel.name,
        kind: channel.kind.as_str(),
        facts,
        webhook_url,
        webhook_hint,
        verify_token,
        check,
        check_ok,
    };
    let mut response = render(&page, viewer.t);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

pub async fn show(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    flash: FlashQuery,
) -> Response {
    let chrome = Chrome::new(&viewer, "channels").with_flash(&flash);
    detail(&state, &viewer, &headers, ChannelId::new(id), chrome, None).await
}

pub async fn test(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let id = ChannelId::new(id);
    let t = viewer.t;
    let result = match saw_app::connection_check::check(&state.app, viewer.account.id, id).await {
        Ok(Check::Works(name)) => (t.fmt("channels.works", &[("name", &name)]), true),
        Ok(Check::BadToken) => (t.get("channels.bad_token").to_owned(), false),
        Ok(Check::WrongId) => (t.get("channels.wrong_id").to_owned(), false),
        Ok(Check::Network(why)) => (t.fmt("channels.network", &[("why", &why)]), false),
        Ok(Check::Other(why)) => (t.fmt("channels.other", &[("why", &why)]), false),
        Ok(Check::NothingToCheck) => (t.get("channels.nothing").to_owned(), true),
        Err(e) => return PageError::from_app(t, e).into_response(),
    };
    detail(
        &state,
        &viewer,
        &headers,
        id,
        Chrome::new(&viewer, "channels"),
        Some(result),
    )
    .await
}

/// `POST /admin/channels/{id}/templates`: fetch the number's templates from Meta.
pub async fn sync_templates(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let id = ChannelId::new(id);
    let t = viewer.t;
    let result =
        match saw_app::templates::sync(&state.app, &actor(&viewer), viewer.account.id, id).await {
            Ok(list) => (
                t.fmt("channels.templates_synced", &[("count", &list.len())]),
                true,
            ),
            Err(e) => (crate::error::message(t, &e), false),
        };
    detail(
        &state,
        &viewer,
        &headers,
        id,
        Chrome::new(&viewer, "channels"),
        Some(result),
    )
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    match saw_app::channels::remove(
        &state.app,
        &actor(&viewer),
        viewer.account.id,
        ChannelId::new(id),
    )
    .await
    {
        Ok((_, Removal::Deleted)) => {
            Redirect::to("/admin/channels?ok=channel_removed").into_response()
        }
        Ok(_) => Redirect::to("/admin/channels?ok=channel_deactivated").into_response(),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
