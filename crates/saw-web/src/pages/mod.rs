//! The pages people use. Each module renders one area; [`Chrome`] is what every signed-in
//! page's layout needs.

pub mod account;
pub mod admin_audit;
pub mod admin_channels;
pub mod admin_flows;
pub mod admin_hours;
pub mod admin_queues;
pub mod admin_settings;
pub mod admin_tags;
pub mod admin_users;
pub mod inbox;
pub mod login;
pub mod quick_replies;
pub mod reports;
pub mod sandbox;
pub mod sandbox_public;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use saw_core::user::Role;
use serde::Deserialize;

use crate::error::PageError;
use crate::extract::{Guest, Viewer};
use crate::i18n::Tr;
use crate::state::AppState;

/// The layout's data: language, CSRF token, who is signed in, which nav item is current, and
/// an optional notice.
pub struct Chrome {
    pub t: Tr,
    pub csrf: String,
    pub user_name: String,
    pub company: String,
    pub is_admin: bool,
    pub sees_all: bool,
    pub nav: &'static str,
    pub flash: Option<String>,
    pub error: Option<String>,
    /// Channels that stopped sending (admins only): name, id and why.
    pub unhealthy_channels: Vec<(String, i64, String)>,
}

impl Chrome {
    pub fn new(viewer: &Viewer, nav: &'static str) -> Self {
        Self {
            t: viewer.t,
            csrf: viewer.csrf.clone(),
            user_name: viewer.user.name.clone(),
            company: viewer.account.name.clone(),
            is_admin: viewer.user.role.is_admin(),
            sees_all: viewer.user.role.sees_all_queues(),
            nav,
            flash: None,
            error: None,
            unhealthy_channels: viewer
                .unhealthy_channels
                .iter()
                .filter_map(|c| {
                    let health = c.health.as_ref()?;
                    Some((c.name.clone(), c.id.get(), health.reason.clone()))
                })
                .collect(),
        }
    }

    /// With the notice named by `?ok=…` after a redirect (only known keys are shown).
    pub fn with_flash(mut self, flash: &Flash) -> Self {
        self.flash = flash.ok.as_deref().and_then(|key| {
            let full = format!("flash.{key}");
            let text = self.t.get(&full);
            (text != full).then(|| text.to_owned())
        });
        self
    }

    pub fn with_error(mut self, error: String) -> Self {
        self.error = Some(error);
        self
    }
}

/// `?ok=user_created` after a redirect: which success notice to show.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    pub ok: Option<String>,
}

pub type FlashQuery = Query<Flash>;

/// The catalogue key of a role's name.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Supervisor => "role.supervisor",
        Role::Agent => "role.agent",
    }
}

/// `/`: the inbox for someone signed in, the sign-in page otherwise.
pub async fn home(guest: Guest) -> Redirect {
    match guest.session {
        Some(s) if !s.mfa_pending => Redirect::to("/inbox"),
        _ => Redirect::to("/login"),
    }
}

pub async fn not_found(State(state): State<AppState>) -> Response {
    PageError::not_found(crate::session::fallback_tr(&state).await).into_response()
}
