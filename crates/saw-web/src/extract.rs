//! What handlers ask for: a signed-in [`Viewer`], an [`AdminViewer`], the [`Guest`] of the
//! sign-in pages, an [`ApiUser`] behind a bearer token, and [`FormFields`].

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::auth::{AuthSession, Client};
use saw_core::account::Account;
use saw_core::user::User;

use crate::client::{client_ip, user_agent};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::session::{RequestSession, fallback_tr};
use crate::state::AppState;

/// Pages a user who must change a generated password may still open.
const ALLOWED_BEFORE_PASSWORD_CHANGE: [&str; 2] = ["/account/password", "/logout"];

/// A signed-in person with a complete session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub account: Account,
    pub csrf: String,
    pub session: AuthSession,
    pub client: Client,
    pub t: Tr,
    /// For admins: the channels that stopped sending, and why (the layout's banner).
    pub unhealthy_channels: Vec<saw_core::channel::Channel>,
}

pub fn request_client(parts: &Parts, state: &AppState) -> Client {
    Client {
        ip: client_ip(parts, &state.web).map(|ip| ip.to_string()),
        user_agent: user_agent(&parts.headers),
    }
}

fn session_of(parts: &Parts) -> Option<AuthSession> {
    parts
        .extensions
        .get::<RequestSession>()
        .and_then(|s| s.0.clone())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(session) = session_of(parts) else {
            return Err(Redirect::to("/login").into_response());
        };
        if session.mfa_pending {
            return Err(Redirect::to("/login/2fa").into_response());
        }
        let path = parts.uri.path();
        if session.user.must_change_password && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&path) {
            return Err(Redirect::to("/account/password").into_response());
        }
        let account = saw_app::account::get(&state.app, session.user.account_id)
            .await
            .map_err(|e| PageError::from_app(Tr::new(Default::default()), e).into_response())?;
        let unhealthy_channels = if session.user.role.is_admin() {
            saw_app::channels::unhealthy(&state.app, account.id)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Viewer {
            unhealthy_channels,
            user: session.user.clone(),
            t: Tr::new(account.language),
            account,
            csrf: session.csrf_token.clone(),
            client: request_client(parts, state),
            session,
        })
    }
}

/// A viewer who is an admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct AdminViewer(pub Viewer);

impl FromRequestParts<AppState> for AdminViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if !viewer.user.role.is_admin() {
            tracing::info!(user = %viewer.user.id, path = %parts.uri.path(), "refused a non-admin on an admin page");
            return Err(PageError::forbidden(viewer.t).into_response());
        }
        Ok(AdminViewer(viewer))
    }
}

/// Someone on the sign-in pages: maybe with a half-finished (second factor) session.
pub struct Guest {
    pub session: Option<AuthSession>,
    pub client: Client,
    pub t: Tr,
}

impl FromRequestParts<AppState> for Guest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Guest {
            session: session_of(parts),
            client: request_client(parts, state),
            t: fallback_tr(state).await,
        })
    }
}

/// The user an API token acts as. Session cookies are ignored here on purpose: the API is for
/// scripts, and accepting cookies would expose it to cross-site requests.
#[derive(Debug, Clone)]
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        match saw_app::auth::api_token_user(&state.app, token).await? {
            Some(user) => Ok(ApiUser(user)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// An urlencoded form as name/value pairs (repeated names kept, for multi-selects).
#[derive(Debug, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        Ok(FormFields(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        ))
    }
}
