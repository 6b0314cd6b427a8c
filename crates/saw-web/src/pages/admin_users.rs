//! Admin: users — list, create, edit, deactivate, reset a password.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::users::{NewUserInput, UserChanges};
use saw_app::{Actor, AppError};
use saw_core::ids::{QueueId, UserId};
use saw_core::queue::Queue;
use saw_core::user::{Role, User};

use super::{Chrome, FlashQuery, role_key};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::i18n::Tr;
use crate::state::AppState;

pub struct UserRow {
    pub user: User,
    pub role_key: &'static str,
    pub queues: Vec<Queue>,
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// A checkbox of a multi-select.
pub struct CheckOption {
    pub id: i64,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    chrome: Chrome,
    title_key: &'static str,
    action: String,
    is_new: bool,
    user_id: Option<UserId>,
    active: bool,
    name: String,
    email: String,
    roles: Vec<RoleOption>,
    queues: Vec<CheckOption>,
}

#[derive(Template)]
#[template(path = "admin/password_shown.html")]
struct PasswordShownPage {
    chrome: Chrome,
    title_key: &'static str,
    intro: String,
    password: String,
}

fn actor(viewer: &Viewer) -> Actor {
    Actor::user(&viewer.user, viewer.client.ip.clone())
}

fn role_options(t: Tr, selected: Role) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: t.get(role_key(*r)).to_owned(),
            selected: *r == selected,
        })
        .collect()
}

/// Queue ids ticked in the form (ignoring anything that is not a number).
fn selected_queues(form: &FormFields) -> Vec<QueueId> {
    form.all("queues").filter_map(|v| v.parse().ok()).collect()
}

pub async fn list(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    flash: FlashQuery,
) -> Response {
    match saw_app::users::list(&state.app, viewer.account.id).await {
        Ok(users) => {
            let rows = users
                .into_iter()
                .map(|(user, queues)| UserRow {
                    role_key: role_key(user.role),
                    user,
                    queues,
                })
                .collect();
            render(
                &UsersPage {
                    chrome: Chrome::new(&viewer, "users").with_flash(&flash),
                    rows,
                },
                viewer.t,
            )
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

/// What the form shows: the values typed (or stored) and where it posts.
struct FormState {
    user_id: Option<UserId>,
    active: bool,
    name: String,
    email: String,
    role: Role,
    queues: Vec<QueueId>,
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    form: FormState,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let all_queues = match saw_app::queues::list(&state.app, viewer.account.id).await {
        Ok(q) => q,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let mut chrome = Chrome::new(viewer, "users");
    if let Some(message) = error {
        chrome = chrome.with_error(message);
    }
    let page = UserFormPage {
        chrome,
        title_key: if form.user_id.is_some() {
            "users.edit"
        } else {
            "users.new"
        },
        action: form
            .user_id
            .map_or("/admin/users".to_owned(), |id| format!("/admin/users/{id}")),
        is_new: form.user_id.is_none(),
        user_id: form.user_id,
        active: form.active,
        roles: role_options(viewer.t, form.role),
        queues: all_queues
            .into_iter()
            .map(|s| CheckOption {
                id: s.queue.id.get(),
                checked: form.queues.contains(&s.queue.id),
                label: s.queue.name,
            })
            .collect(),
        name: form.name,
        email: form.email,
    };
    (status, render(&page, viewer.t)).into_response()
}

pub async fn new_form(State(state): State<AppState>, AdminViewer(viewer): AdminViewer) -> Response {
    let blank = FormState {
        user_id: None,
        active: true,
        name: String::new(),
        email: String::new(),
        role: Role::Agent,
        queues: vec![],
    };
    form_page(&state, &viewer, blank, None, StatusCode::OK).await
}

fn typed(form: &FormFields, user_id: Option<UserId>, active: bool) -> FormState {
    FormState {
        user_id,
        active,
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        role: Role::parse(form.get("role")).unwrap_or(Role::Agent),
        queues: selected_queues(form),
    }
}

pub async fn create(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let role = match Role::parse(form.get("role")) {
        Ok(r) => r,
        Err(e) => {
            return refused(&state, &viewer, typed(&form, None, true), AppError::from(e)).await;
        }
    };
    let password = Some(form.get("password").to_owned()).filter(|p| !p.is_empty());
    let input = NewUserInput {
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        role,
        password,
        queues: selected_queues(&form),
    };
    match saw_app::users::create(&state.app, &actor(&viewer), viewer.account.id, input).await {
        Ok(created) => match created.generated_password {
            Some(password) => show_password(&viewer, "users.created", &created.user, password),
            None => Redirect::to("/admin/users?ok=user_created").into_response(),
        },
        Err(e) => refused(&state, &viewer, typed(&form, None, true), e).await,
    }
}

async fn refused(state: &AppState, viewer: &Viewer, form: FormState, e: AppError) -> Response {
    let status = error::status_of(&e);
    if status.is_server_error() || status == StatusCode::NOT_FOUND {
        return PageError::from_app(viewer.t, e).into_response();
    }
    form_page(
        state,
        viewer,
        form,
        Some(error::message(viewer.t, &e)),
        status,
    )
    .await
}

fn show_password(
    viewer: &Viewer,
    title_key: &'static str,
    user: &User,
    password: String,
) -> Response {
    let page = PasswordShownPage {
        chrome: Chrome::new(viewer, "users"),
        title_key,
        intro: viewer
            .t
            .fmt("users.password_once", &[("email", &user.email)]),
        password,
    };
    let mut response = render(&page, viewer.t);
    // A password shown once must not linger in caches or the back button's copy.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

pub async fn edit_form(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    match saw_app::users::get(&state.app, viewer.account.id, UserId::new(id)).await {
        Ok((user, queues)) => {
            let form = FormState {
                user_id: Some(user.id),
                active: user.active,
                name: user.name,
                email: user.email.into_string(),
                role: user.role,
                queues: queues.iter().map(|q| q.id).collect(),
            };
            form_page(&state, &viewer, form, None, StatusCode::OK).await
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

pub async fn update(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
    form: FormFields,
) -> Response {
    let id = UserId::new(id);
    let current = match saw_app::users::get(&state.app, viewer.account.id, id).await {
        Ok((user, _)) => user,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let role = match Role::parse(form.get("role")) {
        Ok(r) => r,
        Err(e) => {
            return refused(
                &state,
                &viewer,
                typed(&form, Some(id), current.active),
                e.into(),
            )
            .await;
        }
    };
    let changes = UserChanges {
        name: form.get("name").to_owned(),
        email: form.get("email").to_owned(),
        role,
        queues: selected_queues(&form),
    };
    match saw_app::users::update(&state.app, &actor(&viewer), viewer.account.id, id, changes).await
    {
        Ok(()) => Redirect::to("/admin/users?ok=user_saved").into_response(),
        Err(e) => refused(&state, &viewer, typed(&form, Some(id), current.active), e).await,
    }
}

pub async fn set_active(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
    form: FormFields,
) -> Response {
    let active = form.checked("active");
    match saw_app::users::set_active(
        &state.app,
        &actor(&viewer),
        viewer.account.id,
        UserId::new(id),
        active,
    )
    .await
    {
        Ok(_) => {
            let key = if active {
                "user_reactivated"
            } else {
                "user_deactivated"
            };
            Redirect::to(&format!("/admin/users?ok={key}")).into_response()
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

pub async fn reset_password(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let id = UserId::new(id);
    let reset = async {
        let (user, _) = saw_app::users::get(&state.app, viewer.account.id, id).await?;
        let password = saw_app::users::reset_password(
            &state.app,
            &actor(&viewer),
            viewer.account.id,
            id,
            None,
        )
        .await?;
        Ok::<_, AppError>((user, password.unwrap_or_default()))
    };
    match reset.await {
        Ok((user, password)) => show_password(&viewer, "users.password_reset", &user, password),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
