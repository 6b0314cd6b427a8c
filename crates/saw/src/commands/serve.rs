//! `saw serve`: open everything, announce the first admin once, serve until Ctrl-C/SIGTERM.

use std::net::SocketAddr;

use chrono::Duration;
use saw_app::AuthPolicy;
use saw_web::{AppState, WebConfig, config as web_config};
use tokio::net::TcpListener;

use super::CliError;
use crate::cli::{CommonArgs, ServeArgs};
use crate::config::{self, Setup};

pub async fn run(common: &CommonArgs, args: ServeArgs) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    let bind: SocketAddr = args.bind.trim().parse().map_err(|_| {
        CliError::config(format!(
            "SAW_BIND '{}' is not an address and port such as 127.0.0.1:8080 or 0.0.0.0:8080",
            args.bind
        ))
    })?;
    let public_url = match args.public_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(raw) => Some(
            web_config::parse_public_url(raw)
                .map_err(|e| CliError::config(format!("SAW_PUBLIC_URL: {e}")))?,
        ),
        None => None,
    };
    let trusted_proxies = web_config::parse_trusted_proxies(&args.trusted_proxies)
        .map_err(|e| CliError::config(format!("SAW_TRUSTED_PROXIES: {e}")))?;
    if args.max_body < 1024 {
        return Err(CliError::config(
            "SAW_MAX_BODY must be at least 1024 bytes".into(),
        ));
    }
    if args.session_idle_hours == 0
        || args.session_lifetime_days == 0
        || args.max_failed_sign_ins == 0
    {
        return Err(CliError::config(
            "session and sign-in limits must be at least 1 (SAW_SESSION_IDLE_HOURS, SAW_SESSION_LIFETIME_DAYS, SAW_MAX_FAILED_SIGN_INS)".into(),
        ));
    }
    let policy = AuthPolicy {
        session_idle: Duration::hours(args.session_idle_hours.into()),
        session_lifetime: Duration::days(args.session_lifetime_days.into()),
        max_failed_sign_ins: args.max_failed_sign_ins.into(),
        ..AuthPolicy::default()
    };

    let app = config::open_app(common, Setup::CreateIfMissing, policy).await?;
    let listener = TcpListener::bind(bind).await.map_err(|e| {
        CliError::config(format!(
            "cannot listen on {bind}: {e}; choose another address with --bind or SAW_BIND"
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::config(format!("cannot read the bound address: {e}")))?;
    let address = public_url.clone().unwrap_or_else(|| browser_url(local));

    let first = saw_app::bootstrap::first_start(
        &app,
        args.admin_email.as_deref(),
        args.admin_password.as_deref(),
    )
    .await
    .map_err(|e| match e {
        saw_app::AppError::Invalid(v) => {
            CliError::config(format!("SAW_ADMIN_EMAIL / SAW_ADMIN_PASSWORD: {v}"))
        }
        other => other.into(),
    })?;
    if let Some(admin) = first {
        announce_first_admin(&address, &admin);
    }

    let state = AppState::new(
        app.clone(),
        WebConfig {
            public_url: public_url.clone(),
            trusted_proxies,
            max_body: args.max_body,
            metrics_token: args
                .metrics_token
                .clone()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        },
    );
    tracing::info!(
        address = %address,
        listen = %local,
        database = app.store.backend_name(),
        ready_ms = started.elapsed().as_millis() as u64,
        "SAW is ready"
    );
    let http = saw_app::outbox::http_client_with_timeout(std::time::Duration::from_secs(
        args.provider_timeout,
    ))?;
    let (stop_dispatcher, dispatcher) = saw_app::outbox::spawn(app.clone(), http.clone());
    let poller = saw_app::telegram_poller::spawn(app.clone(), http, public_url.clone());
    let media_http =
        saw_app::outbox::http_client_with_timeout(saw_app::media::fetch::CALL_TIMEOUT)?;
    let (stop_media, media) = saw_app::media::fetch::spawn(app.clone(), media_http);
    let bot_idle = saw_app::bot_idle::spawn(app.clone());
    if let Err(error) = saw_app::team::reset_presence(&app).await {
        tracing::warn!(%error, "marking everyone offline at start failed");
    }
    let distributor = saw_app::distribution::spawn(app.clone());
    let push_http = saw_app::outbox::http_client_with_timeout(std::time::Duration::from_secs(10))?;
    let pusher = saw_app::push::spawn(app.clone(), push_http);
    saw_web::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| CliError::config(format!("the server stopped: {e}")))?;
    // A send in flight finishes and is recorded, so the next start does not send it again.
    stop_dispatcher.stop();
    if tokio::time::timeout(std::time::Duration::from_secs(40), dispatcher)
        .await
        .is_err()
    {
        tracing::warn!(
            "the dispatcher did not stop in time; an unrecorded send may be repeated after restart"
        );
    }
    poller.abort();
    bot_idle.abort();
    distributor.abort();
    pusher.abort();
    // A download in flight is simply fetched again after a restart.
    stop_media.stop();
    media.abort();
    if let Err(error) = app.store.flush().await {
        tracing::warn!(%error, "could not flush the last writes");
    }
    tracing::info!("SAW stopped");
    Ok(())
}

/// The address to print: a wildcard bind is reached through localhost.
fn browser_url(local: SocketAddr) -> String {
    if local.ip().is_unspecified() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{local}")
    }
}

/// Printed once, on the console (not in the logs), when the first administrator is created.
fn announce_first_admin(address: &str, admin: &saw_app::bootstrap::FirstAdmin) {
    let password = match &admin.generated_password {
        Some(p) => format!("{p}   (gerada agora; troque no primeiro acesso)"),
        None => "(a definida em SAW_ADMIN_PASSWORD)".to_owned(),
    };
    println!();
    println!("  ┌──────────────────────────────────────────────────────────────");
    println!("  │ SAW está pronto. Primeiro acesso / first sign-in:");
    println!("  │");
    println!("  │   Endereço: {address}");
    println!("  │   E-mail:   {}", admin.email);
    println!("  │   Senha:    {password}");
    println!("  │");
    println!("  │ Experimente como cliente, sem conta no WhatsApp / try it as a customer:");
    println!("  │   {address}/sandbox");
    println!("  │");
    println!("  │ Esta senha não será mostrada de novo. / Shown only this once.");
    println!("  └──────────────────────────────────────────────────────────────");
    println!();
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
