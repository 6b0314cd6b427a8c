//! Admin: queues — list, create, edit (name, color, default, members), delete.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::queues::QueueSummary;
use saw_app::{Actor, AppError};
use saw_core::ids::{QueueId, UserId};
use saw_core::queue::{DEFAULT_QUEUE_COLOR, Queue};

use super::admin_users::CheckOption;
use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/queues.html")]
struct QueuesPage {
    chrome: Chrome,
    queues: Vec<QueueSummary>,
    new_name: String,
    new_color: String,
}

#[derive(Template)]
#[template(path = "admin/queue_form.html")]
struct QueueFormPage {
    chrome: Chrome,
    queue: Queue,
    name: String,
    color: String,
    members: Vec<CheckOption>,
}

fn actor(viewer: &Viewer) -> Actor {
    Actor::user(&viewer.user, viewer.client.ip.clone())
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    typed: (String, String),
    status: StatusCode,
) -> Response {
    match saw_app::queues::list(&state.app, viewer.account.id).await {
        Ok(queues) => {
            let page = QueuesPage {
                chrome,
                queues,
                new_name: typed.0,
                new_color: typed.1,
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
    let chrome = Chrome::new(&viewer, "queues").with_flash(&flash);
    list_page(
        &state,
        &viewer,
        chrome,
        (String::new(), DEFAULT_QUEUE_COLOR.to_owned()),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let (name, color) = (form.get("name"), form.get("color"));
    match saw_app::queues::create(&state.app, &actor(&viewer), viewer.account.id, name, color).await
    {
        Ok(_) => Redirect::to("/admin/queues?ok=queue_created").into_response(),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "queues").with_error(error::message(viewer.t, &e));
            list_page(
                &state,
                &viewer,
                chrome,
                (name.to_owned(), color.to_owned()),
                error::status_of(&e),
            )
            .await
        }
    }
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: QueueId,
    typed: Option<(String, String, Vec<UserId>)>,
    error: Option<AppError>,
) -> Response {
    let loaded = async {
        let (queue, members) = saw_app::queues::get(&state.app, viewer.account.id, id).await?;
        let users = saw_app::users::list(&state.app, viewer.account.id).await?;
        Ok::<_, AppError>((queue, members, users))
    };
    let (queue, members, users) = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let (name, color, members) =
        typed.unwrap_or_else(|| (queue.name.clone(), queue.color.clone(), members));
    let mut chrome = Chrome::new(viewer, "queues");
    let mut status = StatusCode::OK;
    if let Some(e) = &error {
        chrome = chrome.with_error(error::message(viewer.t, e));
        status = error::status_of(e);
    }
    let page = QueueFormPage {
        chrome,
        queue,
        name,
        color,
        members: users
            .into_iter()
            .filter(|(u, _)| u.active || members.contains(&u.id))
            .map(|(u, _)| CheckOption {
                id: u.id.get(),
                checked: members.contains(&u.id),
                label: format!("{} <{}>", u.name, u.email),
            })
            .collect(),
    };
    (status, render(&page, viewer.t)).into_response()
}

pub async fn edit_form(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    form_page(&state, &viewer, QueueId::new(id), None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
    form: FormFields,
) -> Response {
    let id = QueueId::new(id);
    let members: Vec<UserId> = form.all("members").filter_map(|v| v.parse().ok()).collect();
    let (name, color) = (form.get("name"), form.get("color"));
    let actor = actor(&viewer);
    let saved = async {
        saw_app::queues::update(
            &state.app,
            &actor,
            viewer.account.id,
            id,
            name,
            color,
            form.checked("is_default"),
        )
        .await?;
        saw_app::queues::set_members(&state.app, &actor, viewer.account.id, id, members.clone())
            .await
    };
    match saved.await {
        Ok(()) => Redirect::to("/admin/queues?ok=queue_saved").into_response(),
        Err(e) => {
            form_page(
                &state,
                &viewer,
                id,
                Some((name.to_owned(), color.to_owned(), members)),
                Some(e),
            )
            .await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let id = QueueId::new(id);
    match saw_app::queues::delete(&state.app, &actor(&viewer), viewer.account.id, id).await {
        Ok(()) => Redirect::to("/admin/queues?ok=queue_deleted").into_response(),
        Err(AppError::NotFound) => PageError::not_found(viewer.t).into_response(),
        Err(e) => form_page(&state, &viewer, id, None, Some(e)).await,
    }
}

/// `POST /admin/queues/{id}/distribution`: manual, round robin or least busy, and the
/// waiting limit.
pub async fn set_distribution(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
    form: FormFields,
) -> Response {
    let id = QueueId::new(id);
    let saved = saw_app::queues::set_distribution(
        &state.app,
        &actor(&viewer),
        viewer.account.id,
        id,
        form.get("distribution"),
        form.get("max_wait_minutes"),
    )
    .await;
    match saved {
        Ok(()) => Redirect::to("/admin/queues?ok=queue_saved").into_response(),
        Err(e) => form_page(&state, &viewer, id, None, Some(e)).await,
    }
}
