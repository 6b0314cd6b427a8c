//! Sign-in (with the second factor when turned on) and sign-out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::auth::{self, SignIn};
use serde::Deserialize;

use crate::error::{self, render};
use crate::extract::{FormFields, Guest};
use crate::i18n::Tr;
use crate::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf: String,
    email: String,
    error: Option<String>,
    signed_out: bool,
}

#[derive(Template)]
#[template(path = "login_2fa.html")]
struct SecondFactorPage {
    t: Tr,
    csrf: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    signed_out: Option<String>,
}

fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The sign-in form, with a fresh double-submit CSRF cookie.
fn login_page(
    state: &AppState,
    t: Tr,
    status: StatusCode,
    email: String,
    error: Option<String>,
    signed_out: bool,
) -> Response {
    let csrf = saw_app::random::token();
    let page = LoginPage {
        t,
        csrf: csrf.clone(),
        email,
        error,
        signed_out,
    };
    let response = (status, render(&page, t)).into_response();
    with_cookie(
        response,
        session::cookie_header(&state.web, LOGIN_CSRF_COOKIE, &csrf, None),
    )
}

pub async fn show(
    State(state): State<AppState>,
    guest: Guest,
    Query(q): Query<LoginQuery>,
) -> Response {
    if guest.session.as_ref().is_some_and(|s| !s.mfa_pending) {
        return Redirect::to("/inbox").into_response();
    }
    login_page(
        &state,
        guest.t,
        StatusCode::OK,
        String::new(),
        None,
        q.signed_out.is_some(),
    )
}

pub async fn submit(State(state): State<AppState>, guest: Guest, form: FormFields) -> Response {
    let email = form.get("email").trim().to_owned();
    match auth::sign_in(&state.app, &email, form.get("password"), &guest.client).await {
        Ok(SignIn::Complete { token, user }) => {
            tracing::info!(user = %user.id, "signed in");
            signed_in(&state, &token)
        }
        Ok(SignIn::SecondFactor { token }) => {
            let cookie = session::cookie_header(&state.web, SESSION_COOKIE, &token, None);
            with_cookie(Redirect::to("/login/2fa").into_response(), cookie)
        }
        Err(e) => {
            tracing::info!(
                reason = e.code(),
                ip = guest.client.ip.as_deref().unwrap_or("-"),
                "sign-in refused"
            );
            let status = error::status_of(&e);
            login_page(
                &state,
                guest.t,
                status,
                email,
                Some(error::message(guest.t, &e)),
                false,
            )
        }
    }
}

pub async fn show_second_factor(guest: Guest) -> Response {
    match guest.session {
        Some(s) if s.mfa_pending => render(
            &SecondFactorPage {
                t: guest.t,
                csrf: s.csrf_token,
                error: None,
            },
            guest.t,
        ),
        Some(_) => Redirect::to("/inbox").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn submit_second_factor(
    State(state): State<AppState>,
    guest: Guest,
    form: FormFields,
) -> Response {
    let Some(pending) = guest.session.filter(|s| s.mfa_pending) else {
        return Redirect::to("/login").into_response();
    };
    match auth::complete_second_factor(&state.app, &pending, form.get("code"), &guest.client).await
    {
        Ok(token) => {
            tracing::info!(user = %pending.user.id, "signed in with a second factor");
            signed_in(&state, &token)
        }
        Err(e) => {
            let page = SecondFactorPage {
                t: guest.t,
                csrf: pending.csrf_token,
                error: Some(error::message(guest.t, &e)),
            };
            (error::status_of(&e), render(&page, guest.t)).into_response()
        }
    }
}

pub async fn logout(State(state): State<AppState>, guest: Guest) -> Response {
    if let Some(s) = &guest.session
        && let Err(e) = auth::sign_out(&state.app, s).await
    {
        return error::PageError::from_app(guest.t, e).into_response();
    }
    let cookie = session::expired_cookie_header(&state.web, SESSION_COOKIE);
    with_cookie(Redirect::to("/login?signed_out=1").into_response(), cookie)
}

/// The redirect into the inbox with the new session's cookie; the sign-in form's CSRF cookie
/// has done its job and goes.
fn signed_in(state: &AppState, token: &str) -> Response {
    let done = session::expired_cookie_header(&state.web, LOGIN_CSRF_COOKIE);
    with_cookie(
        set_session_cookie(state, Redirect::to("/inbox").into_response(), token),
        done,
    )
}

pub(crate) fn set_session_cookie(state: &AppState, response: Response, token: &str) -> Response {
    let cookie = session::cookie_header(
        &state.web,
        SESSION_COOKIE,
        token,
        Some(state.app.policy.session_lifetime),
    );
    with_cookie(response, cookie)
}
