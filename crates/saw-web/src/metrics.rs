//! `GET /metrics` for operators, in Prometheus' text format: HTTP requests and their
//! latency (webhooks apart), live stream connections, the outbox's depth and failures,
//! tickets by state and people online. Off until `SAW_METRICS_TOKEN` is set (404), then
//! answered only with `Authorization: Bearer <token>` (401 otherwise).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];
/// What a request was, for its labels.
const KINDS: [&str; 4] = ["page", "api", "webhook", "static"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// One latency histogram.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((seconds * 1_000_000.0) as u64, Ordering::Relaxed);
    }
}

/// The counters the middleware and the live streams keep.
#[derive(Default)]
pub struct Metrics {
    requests: [[AtomicU64; CLASSES.len()]; KINDS.len()],
    latency: [Histogram; KINDS.len()],
    live_connections: AtomicI64,
}

impl Metrics {
    /// A live stream opened; the guard counts it closed when dropped.
    pub fn stream_opened(self: &std::sync::Arc<Self>) -> StreamGuard {
        self.live_connections.fetch_add(1, Ordering::Relaxed);
        StreamGuard(self.clone())
    }
}

/// Counts a live stream while it is open.
pub struct StreamGuard(std::sync::Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.live_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

fn kind_of(path: &str) -> usize {
    match path {
        p if p.starts_with("/api/") => 1,
        p if p.starts_with("/webhooks/") => 2,
        p if p.starts_with("/static/") || p == "/sw.js" => 3,
        _ => 0,
    }
}

/// Counts every request and its latency (to the response's head; a stream's life is not a
/// latency).
pub async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let kind = kind_of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    let class = (response.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    let m = &state.metrics;
    m.requests[kind][class].fetch_add(1, Ordering::Relaxed);
    m.latency[kind].observe(started.elapsed().as_secs_f64());
    response
}

pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.web.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let figures = match saw_app::ops::figures(&state.app).await {
        Ok(f) => f,
        Err(error) => {
            tracing::warn!(%error, "reading the figures for /metrics failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let body = render(&state.metrics, &figures);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn render(m: &Metrics, f: &saw_app::ops::Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP saw_http_requests_total HTTP requests answered, by kind and status class."
    );
    let _ = writeln!(out, "# TYPE saw_http_requests_total counter");
    for (k, kind) in KINDS.iter().enumerate() {
        for (c, class) in CLASSES.iter().enumerate() {
            let n = m.requests[k][c].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "saw_http_requests_total{{kind=\"{kind}\",status=\"{class}\"}} {n}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP saw_http_request_duration_seconds Time to answer a request (webhooks: kind=\"webhook\")."
    );
    let _ = writeln!(out, "# TYPE saw_http_request_duration_seconds histogram");
    for (k, kind) in KINDS.iter().enumerate() {
        let h = &m.latency[k];
        for (bucket, bound) in h.buckets.iter().zip(BUCKETS) {
            let n = bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "saw_http_request_duration_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {n}"
            );
        }
        let count = h.count.load(Ordering::Relaxed);
        let sum = h.sum_us.load(Ordering::Relaxed) as f64 / 1_000_000.0;
        let _ = writeln!(
            out,
            "saw_http_request_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "saw_http_request_duration_seconds_sum{{kind=\"{kind}\"}} {sum}"
        );
        let _ = writeln!(
            out,
            "saw_http_request_duration_seconds_count{{kind=\"{kind}\"}} {count}"
        );
    }
    let gauges: [(&str, &str, i64); 5] = [
        (
            "saw_live_connections",
            "Open live event streams (inbox and API).",
            m.live_connections.load(Ordering::Relaxed),
        ),
        (
            "saw_outbox_depth",
            "Outbound messages waiting to be sent.",
            f.outbox_queued,
        ),
        (
            "saw_outbox_failed",
            "Outbound messages that failed for good.",
            f.outbox_failed,
        ),
        ("saw_people_online", "People with the inbox open.", f.online),
        (
            "saw_store_writes_waiting",
            "Database writes queued for the writer or running on it.",
            i64::try_from(f.writes_waiting).unwrap_or(i64::MAX),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP saw_tickets Tickets by state.\n# TYPE saw_tickets gauge"
    );
    for (status, n) in &f.tickets {
        let _ = writeln!(out, "saw_tickets{{status=\"{status}\"}} {n}");
    }
    out
}
