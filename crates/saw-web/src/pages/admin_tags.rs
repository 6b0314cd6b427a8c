//! `/admin/tags`: the account's tags, which everyone puts on tickets and contacts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_core::ids::TagId;
use saw_store::repo::tags::Tag;

use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/tags.html")]
struct TagsPage {
    chrome: Chrome,
    tags: Vec<Tag>,
    typed: (String, String),
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    typed: (String, String),
    status: StatusCode,
) -> Response {
    match saw_app::tags::list(&state.app, viewer.account.id).await {
        Ok(tags) => (
            status,
            render(
                &TagsPage {
                    chrome,
                    tags,
                    typed,
                },
                viewer.t,
            ),
        )
            .into_response(),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

fn actor(viewer: &Viewer) -> saw_app::Actor {
    saw_app::Actor::user(&viewer.user, viewer.client.ip.clone())
}

pub async fn show(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    flash: FlashQuery,
) -> Response {
    let chrome = Chrome::new(&viewer, "tags").with_flash(&flash);
    let typed = (String::new(), saw_app::tags::DEFAULT_COLOR.to_owned());
    page(&state, &viewer, chrome, typed, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let (name, color) = (form.get("name"), form.get("color"));
    let account = viewer.account.id;
    match saw_app::tags::create(&state.app, &actor(&viewer), account, name, Some(color)).await {
        Ok(_) => Redirect::to("/admin/tags?ok=tag_created").into_response(),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "tags").with_error(error::message(viewer.t, &e));
            let typed = (name.to_owned(), color.to_owned());
            page(&state, &viewer, chrome, typed, error::status_of(&e)).await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let account = viewer.account.id;
    match saw_app::tags::delete(&state.app, &actor(&viewer), account, TagId::new(id)).await {
        Ok(()) => Redirect::to("/admin/tags?ok=tag_deleted").into_response(),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
