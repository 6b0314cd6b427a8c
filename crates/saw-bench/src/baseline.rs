//! The machine's own limits, measured in the same run as the figures they are compared to:
//! an empty HTTP handler under the same load generator, and single-row commits through
//! SAW's store on a bare table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use saw_store::{Store, StoreError, params};

use crate::load::{self, Timeline, Webhook};
use crate::saw_process;
use crate::{Args, database};

/// Serves `POST /webhooks/whatsapp` with an empty 200 on `port` until killed (the hidden
/// `--empty-server` mode of this binary, run as its own process like `saw serve`).
pub async fn serve_empty(port: u16) -> anyhow::Result<()> {
    let app = axum::Router::new().route(
        "/webhooks/whatsapp",
        axum::routing::post(|| async { axum::http::StatusCode::OK }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Requests per second an empty handler answers, flat out, with the same bodies.
pub async fn empty_handler(
    hooks: &Arc<Vec<Webhook>>,
    concurrency: usize,
    pin: bool,
) -> anyhow::Result<f64> {
    let port = saw_process::free_port()?;
    let exe = std::env::current_exe()?;
    let mut child = saw_process::pinned(&exe, pin)
        .args(["--empty-server", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting the empty server")?;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/webhooks/whatsapp");
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.post(&url).send().await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "the empty server did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let n = hooks.len().min(20_000);
    let timeline = Timeline::new(hooks.len());
    let sent = load::flat_out(&client, &url, hooks, 0..n, concurrency, &timeline).await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(sent.ok as f64 / sent.elapsed.as_secs_f64())
}

/// Single-row commits per second, one after the other, through the store on a fresh
/// database of the chosen backend.
pub async fn single_row_commits(args: &Args) -> anyhow::Result<f64> {
    let db = database::Fresh::new(args).await?;
    let store = Store::connect(&db.url).await?;
    store
        .write(|c| c.execute_batch("CREATE TABLE bench_commits (id BIGINT PRIMARY KEY, v TEXT)"))
        .await?;
    let started = Instant::now();
    let mut n: i64 = 0;
    while started.elapsed() < Duration::from_secs(2) {
        n += 1;
        store
            .write(move |c| {
                c.execute(
                    "INSERT INTO bench_commits (id, v) VALUES ($1, $2)",
                    params![n, "x"],
                )
                .map(drop)
            })
            .await
            .map_err(|e: StoreError| anyhow::anyhow!(e))?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(store);
    db.remove(false).await;
    Ok(rate)
}
