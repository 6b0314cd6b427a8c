//! A user's own account: their details, password and two-factor sign-in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use saw_app::auth::{self, TotpEnrollment};
use saw_app::{Actor, AppError};
use saw_core::queue::Queue;
use saw_core::user::User;

use super::{Chrome, FlashQuery, role_key};
use crate::error::{self, PageError, render};
use crate::extract::{FormFields, Viewer};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    chrome: Chrome,
    user: User,
    role_key: &'static str,
    queues: Vec<Queue>,
    codes_left: String,
    enrollment: Option<TotpEnrollment>,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    chrome: Chrome,
    must_change: bool,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
}

fn actor(viewer: &Viewer) -> Actor {
    Actor::user(&viewer.user, viewer.client.ip.clone())
}

async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let queues = saw_app::queues::of_user(&state.app, viewer.user.id).await?;
        let left = auth::remaining_recovery_codes(&state.app, viewer.user.id).await?;
        let enrollment = if viewer.user.totp_enabled {
            None
        } else {
            auth::pending_totp(&state.app, &viewer.user).await?
        };
        Ok::<_, AppError>((queues, left, enrollment))
    };
    let (queues, left, enrollment) = match loaded.await {
        Ok(v) => v,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let qr_svg = enrollment
        .as_ref()
        .map(|e| qr_code(&e.otpauth_url))
        .unwrap_or_default();
    let page = AccountPage {
        codes_left: viewer.t.fmt("twofa.codes_left", &[("n", &left)]),
        chrome,
        user: viewer.user.clone(),
        role_key: role_key(viewer.user.role),
        queues,
        enrollment,
        qr_svg,
    };
    (status, render(&page, viewer.t)).into_response()
}

/// The otpauth URL as an SVG QR code (SAW's own markup; the URL holds no customer text).
fn qr_code(url: &str) -> String {
    QrCode::new(url.as_bytes())
        .map(|code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, flash: FlashQuery) -> Response {
    let chrome = Chrome::new(&viewer, "account").with_flash(&flash);
    account_page(&state, &viewer, chrome, StatusCode::OK).await
}

pub async fn show_password(viewer: Viewer) -> Response {
    let page = PasswordPage {
        must_change: viewer.user.must_change_password,
        chrome: Chrome::new(&viewer, "account"),
    };
    render(&page, viewer.t)
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormFields,
) -> Response {
    let failed = |message: String, status: StatusCode| {
        let page = PasswordPage {
            must_change: viewer.user.must_change_password,
            chrome: Chrome::new(&viewer, "account").with_error(message),
        };
        (status, render(&page, viewer.t)).into_response()
    };
    if form.get("new") != form.get("confirm") {
        return failed(
            viewer.t.get("password.mismatch").to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let changed = saw_app::users::change_own_password(
        &state.app,
        &actor(&viewer),
        &viewer.user,
        form.get("current"),
        form.get("new"),
    )
    .await;
    if let Err(e) = changed {
        return failed(error::message(viewer.t, &e), error::status_of(&e));
    }
    // Every session of the user ended with the change; this browser gets a new one.
    let mut user = viewer.user.clone();
    user.must_change_password = false;
    match auth::start_session(&state.app, &user, false, &viewer.client).await {
        Ok(token) => super::login::set_session_cookie(
            &state,
            Redirect::to("/inbox?ok=password_changed").into_response(),
            &token,
        ),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

pub async fn start_two_factor(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.user.totp_enabled {
        return Redirect::to("/account").into_response();
    }
    match auth::begin_totp(&state.app, &viewer.user).await {
        Ok(_) => Redirect::to("/account").into_response(),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

pub async fn confirm_two_factor(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormFields,
) -> Response {
    match auth::confirm_totp(&state.app, &actor(&viewer), &viewer.user, form.get("code")).await {
        Ok(codes) => render(
            &RecoveryCodesPage {
                chrome: Chrome::new(&viewer, "account"),
                codes,
            },
            viewer.t,
        ),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "account").with_error(error::message(viewer.t, &e));
            account_page(&state, &viewer, chrome, error::status_of(&e)).await
        }
    }
}

pub async fn disable_two_factor(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormFields,
) -> Response {
    match auth::disable_totp(
        &state.app,
        &actor(&viewer),
        &viewer.user,
        form.get("password"),
    )
    .await
    {
        Ok(()) => Redirect::to("/account?ok=two_factor_disabled").into_response(),
        Err(e) => {
            let chrome = Chrome::new(&viewer, "account").with_error(error::message(viewer.t, &e));
            account_page(&state, &viewer, chrome, error::status_of(&e)).await
        }
    }
}
