//! The middleware in front of every page: finds the session behind the cookie (once per
//! request), and refuses any state-changing request that fails the Origin check or does not
//! carry the CSRF token — forms in the `_csrf` field, htmx and scripts in `X-CSRF-Token`.
//! A WebSocket opened with the session cookie passes the same Origin check.
//!
//! Signed-in requests compare against the session's own token; the sign-in form, which has
//! no session yet, uses a double-submit cookie.

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use saw_app::auth::{self, AuthSession};
use subtle::ConstantTimeEq;

use crate::config::WebConfig;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "saw_session";
pub const LOGIN_CSRF_COOKIE: &str = "saw_csrf";
/// The forms someone without a session may post (with the double-submit cookie).
const GUEST_FORMS: [&str; 2] = ["/login", "/sandbox"];
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Forms are small; anything larger is not a form SAW rendered.
const FORM_LIMIT: usize = 1024 * 1024;

/// The session found for this request, if any (inserted by [`middleware`]).
#[derive(Clone, Debug)]
pub struct RequestSession(pub Option<AuthSession>);

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let cookies = read_cookies(&parts.headers);
    let session = match cookies.get(SESSION_COOKIE) {
        Some(token) => match auth::session(&state.app, token).await {
            Ok(found) => found,
            Err(e) => return PageError::from_app(fallback_tr(&state).await, e).into_response(),
        },
        None => None,
    };
    let mut body = body;
    // A page of another site may open a WebSocket to SAW, and the browser would send the
    // session cookie with it: a stream that carries the session checks its Origin like a form.
    let session_socket = session.is_some() && crate::live::asks_for_websocket(&parts.headers);
    if (is_state_changing(&parts.method) || session_socket)
        && let Err((claimed, expected)) = check_origin(&parts, &state.web)
    {
        tracing::warn!(
            path = %parts.uri.path(),
            origin = %claimed,
            expected = %expected,
            "refused a form or live stream from another origin; behind a proxy, set SAW_PUBLIC_URL to the address people use"
        );
        return PageError::new(
            tr_for(&state, session.as_ref()).await,
            StatusCode::FORBIDDEN,
            "error.bad_origin",
        )
        .into_response();
    }
    if is_state_changing(&parts.method) {
        let (provided, rebuilt) = match provided_token(&parts, body).await {
            Ok(found) => found,
            Err(status) => {
                return PageError::new(
                    tr_for(&state, session.as_ref()).await,
                    status,
                    "error.form_too_large",
                )
                .into_response();
            }
        };
        body = rebuilt;
        // The double-submit cookie counts only for the forms guests may post: the sign-in
        // form and the public sandbox.
        let login_token = GUEST_FORMS
            .contains(&parts.uri.path())
            .then(|| cookies.get(LOGIN_CSRF_COOKIE))
            .flatten();
        let expected = [
            session.as_ref().map(|s| s.csrf_token.as_str()),
            login_token.map(String::as_str),
        ];
        let valid = provided.as_deref().is_some_and(|p| {
            expected
                .iter()
                .flatten()
                .any(|e| !e.is_empty() && bool::from(e.as_bytes().ct_eq(p.as_bytes())))
        });
        if !valid {
            tracing::info!(path = %parts.uri.path(), "refused a request without a valid CSRF token");
            return PageError::new(
                tr_for(&state, session.as_ref()).await,
                StatusCode::FORBIDDEN,
                "error.csrf",
            )
            .into_response();
        }
    }
    parts.extensions.insert(RequestSession(session));
    next.run(Request::from_parts(parts, body)).await
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The token from the header, or from the urlencoded form (the body is read and put back).
async fn provided_token(parts: &Parts, body: Body) -> Result<(Option<String>, Body), StatusCode> {
    if let Some(value) = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok((Some(value.to_owned()), body));
    }
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    Ok((token, Body::from(bytes)))
}

/// A browser always names the page's origin on cross-site POSTs; it must be SAW's own.
/// On refusal, answers the origin claimed and the one expected (for the log).
fn check_origin(parts: &Parts, web: &WebConfig) -> Result<(), (String, String)> {
    let claimed = parts
        .headers
        .get(header::ORIGIN)
        .or_else(|| parts.headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else {
        // Not a browser (or a very old one): the CSRF token alone decides.
        return Ok(());
    };
    let claimed_origin = origin_of(claimed);
    let allowed = match web.public_url.as_deref().and_then(origin_of) {
        Some(expected) => {
            if claimed_origin.as_deref() == Some(expected.as_str()) {
                return Ok(());
            }
            expected
        }
        None => {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let same_host = claimed_origin
                .as_deref()
                .and_then(|o| o.split_once("://"))
                .is_some_and(|(scheme, h)| {
                    h == host_with_default_port_removed(scheme, &host.to_ascii_lowercase())
                });
            if same_host {
                return Ok(());
            }
            format!("the Host header '{host}'")
        }
    };
    Err((claimed.chars().take(200).collect(), allowed))
}

/// `scheme://host[:port]` of a URL, lower-cased and without the scheme's default port;
/// `None` for "null" and other non-URLs.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    (!host.is_empty()).then(|| {
        format!(
            "{scheme}://{}",
            host_with_default_port_removed(&scheme, &host)
        )
    })
}

fn host_with_default_port_removed<'h>(scheme: &str, host: &'h str) -> &'h str {
    match (scheme, host.rsplit_once(':')) {
        ("https", Some((name, "443"))) | ("http", Some((name, "80"))) => name,
        _ => host,
    }
}

pub fn read_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

/// A `Set-Cookie` value SAW uses: HttpOnly, SameSite=Lax, `Secure` over https.
pub fn cookie_header(
    web: &WebConfig,
    name: &str,
    value: &str,
    max_age: Option<chrono::Duration>,
) -> String {
    let mut c = Cookie::new(name.to_owned(), value.to_owned());
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(web.secure_cookies());
    if let Some(age) = max_age {
        c.set_max_age(cookie::time::Duration::seconds(age.num_seconds()));
    }
    c.to_string()
}

/// A `Set-Cookie` value that removes the cookie.
pub fn expired_cookie_header(web: &WebConfig, name: &str) -> String {
    cookie_header(web, name, "", Some(chrono::Duration::zero()))
}

async fn tr_for(state: &AppState, session: Option<&AuthSession>) -> Tr {
    match session {
        Some(s) => match saw_app::account::get(&state.app, s.user.account_id).await {
            Ok(account) => Tr::new(account.language),
            Err(_) => Tr::new(Default::default()),
        },
        None => fallback_tr(state).await,
    }
}

/// The installation's language, for pages shown before anyone signs in.
pub async fn fallback_tr(state: &AppState) -> Tr {
    match saw_app::account::current(&state.app).await {
        Ok(account) => Tr::new(account.language),
        Err(_) => Tr::new(Default::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Saw.example.com:8443/inbox?x=1").unwrap(),
            "https://saw.example.com:8443"
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(
            origin_of("https://saw.example.com:443/x").unwrap(),
            "https://saw.example.com"
        );
        assert_eq!(
            origin_of("http://saw.local:80").unwrap(),
            "http://saw.local"
        );
    }
}
