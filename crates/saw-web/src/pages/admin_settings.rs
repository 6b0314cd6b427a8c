//! Admin: the account's settings — company name, time zone, language — and how
//! conversations start and end (greeting, reopening window, the bot's waiting time, the
//! satisfaction question).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::Actor;
use saw_core::account::{Account, AccountSettings, ConversationForm, ConversationSettings};

use super::{Chrome, FlashQuery};
use crate::error::{self, render};
use crate::extract::{AdminViewer, FormFields};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    name: String,
    time_zone: String,
    language: String,
    zones: Vec<&'static str>,
    greeting: String,
    reopen_grace_minutes: String,
    sandbox_public: bool,
    bot_idle_minutes: String,
    csat: bool,
    signature: bool,
}

fn page(chrome: Chrome, account: &Account) -> SettingsPage {
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    SettingsPage {
        chrome,
        name: account.name.clone(),
        time_zone: account.time_zone.name().to_owned(),
        language: account.language.as_str().to_owned(),
        zones,
        greeting: account.conversations.greeting.clone().unwrap_or_default(),
        reopen_grace_minutes: account.conversations.reopen_grace_minutes.to_string(),
        sandbox_public: account.conversations.sandbox_public,
        bot_idle_minutes: account.conversations.bot_idle_minutes.to_string(),
        csat: account.conversations.csat,
        signature: account.conversations.signature,
    }
}

pub async fn show(AdminViewer(viewer): AdminViewer, flash: FlashQuery) -> Response {
    let chrome = Chrome::new(&viewer, "settings").with_flash(&flash);
    render(&page(chrome, &viewer.account), viewer.t)
}

/// `POST /admin/settings/conversations`: the greeting and the reopening window.
pub async fn save_conversations(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let typed = ConversationForm {
        greeting: form.get("greeting"),
        reopen_grace_minutes: form.get("reopen_grace_minutes"),
        sandbox_public: form.get("sandbox_public") == "on",
        bot_idle_minutes: form.get("bot_idle_minutes"),
        csat: form.get("csat") == "on",
        signature: form.get("signature") == "on",
    };
    let actor = Actor::user(&viewer.user, viewer.client.ip.clone());
    let saved = match ConversationSettings::parse(typed) {
        Ok(settings) => {
            saw_app::account::update_conversations(&state.app, &actor, viewer.account.id, settings)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match saved {
        Ok(()) => Redirect::to("/admin/settings?ok=settings_saved").into_response(),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "settings").with_error(error::message(viewer.t, &e));
            let mut p = page(chrome, &viewer.account);
            p.greeting = typed.greeting.to_owned();
            p.reopen_grace_minutes = typed.reopen_grace_minutes.to_owned();
            p.sandbox_public = typed.sandbox_public;
            p.bot_idle_minutes = typed.bot_idle_minutes.to_owned();
            p.csat = typed.csat;
            p.signature = typed.signature;
            (error::status_of(&e), render(&p, viewer.t)).into_response()
        }
    }
}

pub async fn save(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let (name, zone, language) = (
        form.get("name"),
        form.get("time_zone"),
        form.get("language"),
    );
    let actor = Actor::user(&viewer.user, viewer.client.ip.clone());
    let saved = match AccountSettings::parse(name, zone, language) {
        Ok(settings) => {
            saw_app::account::update_settings(&state.app, &actor, viewer.account.id, settings).await
        }
        Err(e) => Err(e.into()),
    };
    match saved {
        Ok(()) => Redirect::to("/admin/settings?ok=settings_saved").into_response(),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "settings").with_error(error::message(viewer.t, &e));
            let mut p = page(chrome, &viewer.account);
            p.name = name.to_owned();
            p.time_zone = zone.to_owned();
            p.language = language.to_owned();
            (error::status_of(&e), render(&p, viewer.t)).into_response()
        }
    }
}
