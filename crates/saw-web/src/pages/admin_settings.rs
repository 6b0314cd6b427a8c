//! Admin: the account's settings — company name, time zone, language.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::Actor;
use saw_core::account::AccountSettings;

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
}

fn page(chrome: Chrome, name: String, time_zone: String, language: String) -> SettingsPage {
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    SettingsPage {
        chrome,
        name,
        time_zone,
        language,
        zones,
    }
}

pub async fn show(AdminViewer(viewer): AdminViewer, flash: FlashQuery) -> Response {
    let a = &viewer.account;
    let chrome = Chrome::new(&viewer, "settings").with_flash(&flash);
    let p = page(
        chrome,
        a.name.clone(),
        a.time_zone.name().to_owned(),
        a.language.as_str().to_owned(),
    );
    render(&p, viewer.t)
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
            let p = page(
                chrome,
                name.to_owned(),
                zone.to_owned(),
                language.to_owned(),
            );
            (error::status_of(&e), render(&p, viewer.t)).into_response()
        }
    }
}
