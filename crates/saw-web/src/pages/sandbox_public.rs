//! The public sandbox: when an admin turns it on, anyone with the address plays a customer
//! without signing in — for demos and for trying the bot. Each visitor is one customer (a
//! random id in a cookie), forms carry the double-submit CSRF cookie of guest forms, and
//! each address may send only a few messages a minute.

use std::num::NonZeroU32;
use std::sync::LazyLock;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::sandbox::{Bubble, bubbles};
use crate::error::{self, PageError, render};
use crate::extract::{FormFields, Guest};
use crate::i18n::Tr;
use crate::session::{self, LOGIN_CSRF_COOKIE};
use crate::state::AppState;

const VISITOR_COOKIE: &str = "saw_visitante";
/// Messages one address may send: a burst of 5, then one every 6 seconds.
static PER_ADDRESS: LazyLock<DefaultKeyedRateLimiter<String>> = LazyLock::new(|| {
    let quota = Quota::per_minute(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN));
    RateLimiter::keyed(quota)
});

#[derive(Template)]
#[template(path = "sandbox_public.html")]
struct PublicPage {
    t: Tr,
    csrf: String,
    customer: String,
    name: String,
    refresh_query: String,
    messages: Vec<Bubble>,
    error: Option<String>,
    /// Visitors never try drafts (the shared chat template asks).
    draft_available: bool,
}

/// The visitor's customer id from their cookie, if it is one SAW made.
fn visitor(headers: &HeaderMap) -> Option<String> {
    session::read_cookies(headers)
        .remove(VISITOR_COOKIE)
        .filter(|v| {
            v.strip_prefix("visitante-")
                .is_some_and(|rest| rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        })
}

async fn is_public(state: &AppState) -> bool {
    saw_app::account::current(&state.app)
        .await
        .is_ok_and(|a| a.conversations.sandbox_public)
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

async fn page(
    state: &AppState,
    t: Tr,
    headers: &HeaderMap,
    name: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let account = match saw_app::account::current(&state.app).await {
        Ok(a) => a,
        Err(e) => return PageError::from_app(t, e).into_response(),
    };
    let customer = visitor(headers)
        .unwrap_or_else(|| format!("visitante-{}", hex::encode(saw_app::random::bytes::<6>())));
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| t.get("sandbox.visitor_name").to_owned());
    let messages = saw_app::sandbox::conversation(&state.app, account.id, &customer)
        .await
        .unwrap_or_default();
    let csrf = saw_app::random::token();
    let refresh_query = form_urlencoded::Serializer::new(String::new())
        .append_pair("nome", &name)
        .finish();
    let page = PublicPage {
        draft_available: false,
        t,
        csrf: csrf.clone(),
        refresh_query,
        messages: bubbles(messages, t, account.time_zone.tz()),
        customer: customer.clone(),
        name,
        error,
    };
    let year = Some(chrono::Duration::days(365));
    with_cookies(
        (status, render(&page, t)).into_response(),
        &[
            session::cookie_header(&state.web, LOGIN_CSRF_COOKIE, &csrf, None),
            session::cookie_header(&state.web, VISITOR_COOKIE, &customer, year),
        ],
    )
}

/// `GET /sandbox` without a session: the public page, or `sign_in` while it is off.
pub async fn show(
    state: &AppState,
    guest: Guest,
    headers: &HeaderMap,
    name: Option<String>,
    sign_in: Response,
) -> Response {
    if !is_public(state).await {
        return sign_in;
    }
    page(state, guest.t, headers, name, None, StatusCode::OK).await
}

/// `POST /sandbox` without a session: the visitor writes (or taps a menu option).
pub async fn send(
    state: &AppState,
    guest: Guest,
    headers: &HeaderMap,
    form: &FormFields,
    sign_in: Response,
) -> Response {
    if !is_public(state).await {
        return sign_in;
    }
    let t = guest.t;
    let name = form.get("nome").to_owned();
    let address = guest.client.ip.clone().unwrap_or_default();
    if PER_ADDRESS.check_key(&address).is_err() {
        let message = t.get("sandbox.slow_down").to_owned();
        return page(
            state,
            t,
            headers,
            Some(name),
            Some(message),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    // The visitor writes as the customer their cookie names, never as one the form claims.
    let Some(customer) = visitor(headers) else {
        return Redirect::to("/sandbox").into_response();
    };
    let account = match saw_app::account::current(&state.app).await {
        Ok(a) => a,
        Err(e) => return PageError::from_app(t, e).into_response(),
    };
    let option = Some(form.get("opcao")).filter(|o| !o.is_empty());
    let written = saw_app::sandbox::customer_writes(
        &state.app,
        account.id,
        &customer,
        &name,
        form.get("texto"),
        option,
        false,
    )
    .await;
    match written {
        Ok(_) => {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("nome", &name)
                .finish();
            Redirect::to(&format!("/sandbox?{query}")).into_response()
        }
        Err(e) if !error::status_of(&e).is_server_error() => {
            let status = error::status_of(&e);
            page(
                state,
                t,
                headers,
                Some(name),
                Some(error::message(t, &e)),
                status,
            )
            .await
        }
        Err(e) => PageError::from_app(t, e).into_response(),
    }
}
