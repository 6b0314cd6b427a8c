//! A stand-in for Meta's Graph API that answers every send as Meta does
//! (`{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}`) and counts them, so
//! the benchmark can tell how fast SAW's bot replies leave.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct FakeGraph {
    pub base: String,
    counters: Arc<Counters>,
}

struct Counters {
    started: Instant,
    sent: AtomicU64,
    /// Microseconds since `started` of the first and the latest send.
    first_us: AtomicU64,
    last_us: AtomicU64,
}

impl FakeGraph {
    pub async fn start() -> anyhow::Result<FakeGraph> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Counters {
            started: Instant::now(),
            sent: AtomicU64::new(0),
            first_us: AtomicU64::new(u64::MAX),
            last_us: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(axum::routing::post(send))
            .with_state(counters.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(FakeGraph { base, counters })
    }

    /// Messages sent so far.
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// Seconds between the first and the latest send.
    pub fn span_s(&self) -> f64 {
        let first = self.counters.first_us.load(Ordering::Relaxed);
        let last = self.counters.last_us.load(Ordering::Relaxed);
        if first == u64::MAX || last <= first {
            return 0.0;
        }
        (last - first) as f64 / 1e6
    }

    /// When the latest send arrived.
    pub fn last_send(&self) -> Option<Instant> {
        let last = self.counters.last_us.load(Ordering::Relaxed);
        (last > 0).then(|| self.counters.started + std::time::Duration::from_micros(last))
    }
}

async fn send(State(c): State<Arc<Counters>>, Json(body): Json<Value>) -> Json<Value> {
    let n = c.sent.fetch_add(1, Ordering::Relaxed) + 1;
    let now = c.started.elapsed().as_micros() as u64;
    c.first_us.fetch_min(now, Ordering::Relaxed);
    c.last_us.fetch_max(now, Ordering::Relaxed);
    let to = body["to"].clone();
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": format!("wamid.bench.{n}")}]
    }))
}
