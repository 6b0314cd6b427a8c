//! SAW's HTTP side: the pages people use, the REST API scripts use, and health checks.
//!
//! Reading order: [`router`] (every route in one place), [`session`] (the middleware that
//! finds who is asking and enforces CSRF and Origin checks), [`extract`] (what handlers ask
//! for: a signed-in viewer, an admin, an API user, a form), [`error`] (every failure mapped to
//! a status and a message once), then [`pages`] and [`api`].

pub mod api;
pub mod assets;
pub mod client;
pub mod config;
pub mod error;
pub mod extract;
pub mod health;
pub mod i18n;
pub mod live;
pub mod media;
pub mod metrics;
pub mod pages;
pub mod session;
mod state;
pub mod webhooks;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use config::WebConfig;
pub use state::AppState;

/// Every route SAW serves.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login::show).post(pages::login::submit))
        .route(
            "/login/2fa",
            get(pages::login::show_second_factor).post(pages::login::submit_second_factor),
        )
        .route("/logout", post(pages::login::logout))
        .route("/inbox", get(pages::inbox::show))
        .route("/inbox/events", get(pages::inbox::events))
        .route("/reports", get(pages::reports::show))
        .route("/reports/now", get(pages::reports::now))
        .route("/reports/events", get(pages::reports::events))
        .route("/reports/tickets.csv", get(pages::reports::tickets_csv))
        .route("/inbox/status", post(pages::inbox::set_status))
        .route("/inbox/push", post(pages::inbox::push_subscribe))
        .route("/inbox/push/key", get(pages::inbox::push_key))
        .route(
            "/inbox/new",
            get(pages::inbox::new_conversation).post(pages::inbox::start_conversation),
        )
        .route(
            "/quick-replies",
            get(pages::quick_replies::show).post(pages::quick_replies::create),
        )
        .route(
            "/quick-replies/{id}/delete",
            post(pages::quick_replies::delete),
        )
        .route(
            "/admin/tags",
            get(pages::admin_tags::show).post(pages::admin_tags::create),
        )
        .route("/admin/tags/{id}/delete", post(pages::admin_tags::delete))
        .route("/inbox/tickets/{id}", get(pages::inbox::show_ticket))
        .route(
            "/inbox/tickets/{id}/upload",
            post(pages::inbox::upload).layer(axum::extract::DefaultBodyLimit::max(101 * 1_000_000)),
        )
        .route("/inbox/tickets/{id}/{action}", post(pages::inbox::act))
        .route(
            "/tickets/{ticket}/messages/{message}/media",
            get(media::for_viewer),
        )
        .route(
            "/sandbox",
            get(pages::sandbox::show).post(pages::sandbox::send),
        )
        .route("/account", get(pages::account::show))
        .route(
            "/account/password",
            get(pages::account::show_password).post(pages::account::change_password),
        )
        .route("/account/2fa/start", post(pages::account::start_two_factor))
        .route(
            "/account/2fa/confirm",
            post(pages::account::confirm_two_factor),
        )
        .route(
            "/account/2fa/disable",
            post(pages::account::disable_two_factor),
        )
        .route(
            "/admin/users",
            get(pages::admin_users::list).post(pages::admin_users::create),
        )
        .route("/admin/users/new", get(pages::admin_users::new_form))
        .route(
            "/admin/users/{id}",
            get(pages::admin_users::edit_form).post(pages::admin_users::update),
        )
        .route(
            "/admin/users/{id}/active",
            post(pages::admin_users::set_active),
        )
        .route(
            "/admin/users/{id}/reset-password",
            post(pages::admin_users::reset_password),
        )
        .route(
            "/admin/queues",
            get(pages::admin_queues::list).post(pages::admin_queues::create),
        )
        .route(
            "/admin/queues/{id}",
            get(pages::admin_queues::edit_form).post(pages::admin_queues::update),
        )
        .route(
            "/admin/queues/{id}/distribution",
            post(pages::admin_queues::set_distribution),
        )
        .route(
            "/admin/queues/{id}/delete",
            post(pages::admin_queues::delete),
        )
        .route(
            "/admin/channels",
            get(pages::admin_channels::list).post(pages::admin_channels::create),
        )
        .route("/admin/channels/{id}", get(pages::admin_channels::show))
        .route(
            "/admin/channels/{id}/templates",
            post(pages::admin_channels::sync_templates),
        )
        .route(
            "/admin/channels/{id}/test",
            post(pages::admin_channels::test),
        )
        .route(
            "/admin/channels/{id}/remove",
            post(pages::admin_channels::remove),
        )
        .route(
            "/admin/settings",
            get(pages::admin_settings::show).post(pages::admin_settings::save),
        )
        .route(
            "/admin/settings/conversations",
            post(pages::admin_settings::save_conversations),
        )
        .route(
            "/admin/flows",
            get(pages::admin_flows::show).post(pages::admin_flows::publish),
        )
        .route("/admin/flows/export", get(pages::admin_flows::export))
        .route("/admin/flows/tree", post(pages::admin_flows::edit_tree))
        .route(
            "/admin/flows/publish-draft",
            post(pages::admin_flows::publish_draft),
        )
        .route(
            "/admin/flows/discard",
            post(pages::admin_flows::discard_draft),
        )
        .route(
            "/admin/flows/default",
            post(pages::admin_flows::use_default),
        )
        .route(
            "/admin/hours",
            get(pages::admin_hours::show).post(pages::admin_hours::save),
        )
        .route("/admin/audit", get(pages::admin_audit::show))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::middleware,
        ));

    Router::new()
        .nest("/api/v1", api::router())
        .nest("/webhooks", webhooks::router(state.web.max_body))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::serve))
        .route("/readyz", get(health::readyz))
        .route("/static/app.css", get(assets::stylesheet))
        .route("/static/live.js", get(assets::live_script))
        .route("/static/inbox.js", get(assets::inbox_script))
        .route("/static/reports.js", get(assets::reports_script))
        .route("/static/manifest.webmanifest", get(assets::manifest))
        .route("/static/icon.svg", get(assets::icon))
        .route("/sw.js", get(assets::service_worker))
        .merge(pages)
        .layer(middleware::from_fn(assets::security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::measure,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let maintenance = tokio::spawn(purge_expired_sessions(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    maintenance.abort();
    result
}

async fn purge_expired_sessions(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match saw_app::auth::purge_sessions(&state.app).await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "expired sessions removed"),
            Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
        }
    }
}
