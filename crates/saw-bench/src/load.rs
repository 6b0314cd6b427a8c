//! The load generator: signed WhatsApp webhooks in Meta's wire format (many customers, each
//! going through the menu over several messages), sent flat out or at a fixed rate, and the
//! agents' live streams on which each message's arrival is timed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::Stream;

pub const APP_SECRET: &str = "segredo-do-app-benchmark";
pub const PHONE_NUMBER_ID: &str = "551140028922";

/// What each customer says, in order (then "obrigado" for the rest).
const SCRIPT: [&str; 3] = ["oi", "Comercial", "quero saber do meu pedido"];

/// One prepared webhook: its body and signature.
pub struct Webhook {
    pub body: Vec<u8>,
    pub signature: String,
}

/// `messages` webhooks from `messages / 4` customers; message `n` carries the marker
/// `ref{n}` so its arrival on a live stream can be timed.
pub fn webhooks(messages: usize) -> Vec<Webhook> {
    let customers = (messages / 4).max(1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (0..messages)
        .map(|n| {
            let (customer, turn) = (n % customers, n / customers);
            let phone = format!("55119{customer:08}");
            let said = SCRIPT.get(turn).copied().unwrap_or("obrigado");
            let body = json!({
                "object": "whatsapp_business_account",
                "entry": [{
                    "id": "104952389402837",
                    "changes": [{
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": PHONE_NUMBER_ID, "phone_number_id": PHONE_NUMBER_ID},
                            "contacts": [{"profile": {"name": format!("Cliente {customer}")}, "wa_id": phone}],
                            "messages": [{
                                "from": phone,
                                "id": format!("wamid.bench.in.{n}"),
                                "timestamp": now.to_string(),
                                "type": "text",
                                "text": {"body": format!("{said} ref{n}")}
                            }]
                        }
                    }]
                }]
            })
            .to_string()
            .into_bytes();
            let signature = saw_channels::whatsapp::sign(APP_SECRET.as_bytes(), &body);
            Webhook { body, signature }
        })
        .collect()
}

/// When each message was posted and first seen on a live stream, in microseconds since
/// `origin` (`u64::MAX`: not yet).
pub struct Timeline {
    pub origin: Instant,
    pub posted: Vec<AtomicU64>,
    pub seen: Vec<AtomicU64>,
}

impl Timeline {
    pub fn new(messages: usize) -> Arc<Timeline> {
        Arc::new(Timeline {
            origin: Instant::now(),
            posted: (0..messages).map(|_| AtomicU64::new(u64::MAX)).collect(),
            seen: (0..messages).map(|_| AtomicU64::new(u64::MAX)).collect(),
        })
    }

    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    /// Marks the messages `shown` (text of a live stream) shows as seen now.
    fn saw(&self, shown: &[u8]) {
        let at = self.now_us();
        for n in markers(shown) {
            if let Some(seen) = self.seen.get(n) {
                seen.fetch_min(at, Ordering::Relaxed);
            }
        }
    }

    /// Latencies (ms) of the messages in `range` seen on a stream, and how many were not.
    pub fn latencies(&self, range: std::ops::Range<usize>) -> (Vec<f64>, usize) {
        let mut missing = 0;
        let mut all = Vec::with_capacity(range.len());
        for n in range {
            let (posted, seen) = (
                self.posted[n].load(Ordering::Relaxed),
                self.seen[n].load(Ordering::Relaxed),
            );
            if posted == u64::MAX || seen == u64::MAX {
                missing += 1;
            } else {
                all.push(seen.saturating_sub(posted) as f64 / 1000.0);
            }
        }
        all.sort_by(f64::total_cmp);
        (all, missing)
    }
}

/// Reads one live stream (`/api/v1/events` with a token) until it ends, timing every
/// customer message it shows. `base` is the server's `http://` address.
pub async fn listen(
    stream: Stream,
    base: String,
    token: String,
    timeline: Arc<Timeline>,
    connected: Arc<AtomicUsize>,
) {
    let url = format!("{base}/api/v1/events");
    match stream {
        Stream::WebSocket => listen_websocket(url, token, timeline, connected).await,
        Stream::Sse => listen_sse(url, token, timeline, connected).await,
    }
}

async fn listen_sse(
    url: String,
    token: String,
    timeline: Arc<Timeline>,
    connected: Arc<AtomicUsize>,
) {
    // One client for every stream, as a browser has one per profile.
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client")
    });
    let Ok(mut response) = client.get(&url).bearer_auth(&token).send().await else {
        return;
    };
    if !response.status().is_success() {
        return;
    }
    connected.fetch_add(1, Ordering::Relaxed);
    let mut pending = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        pending.extend_from_slice(&chunk);
        // Markers never straddle a line: scan complete lines only.
        let Some(end) = pending.iter().rposition(|b| *b == b'\n') else {
            continue;
        };
        timeline.saw(&pending[..end]);
        pending.drain(..=end);
    }
}

async fn listen_websocket(
    url: String,
    token: String,
    timeline: Arc<Timeline>,
    connected: Arc<AtomicUsize>,
) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

    let Ok(mut request) = url.replacen("http://", "ws://", 1).into_client_request() else {
        return;
    };
    let Ok(bearer) = format!("Bearer {token}").parse() else {
        return;
    };
    request.headers_mut().insert("authorization", bearer);
    // Ten thousand of these live in this process: tungstenite's default 128 KiB read
    // buffer each would be more than a gigabyte.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let Ok((mut socket, _)) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await
    else {
        return;
    };
    connected.fetch_add(1, Ordering::Relaxed);
    while let Some(Ok(message)) = socket.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            timeline.saw(text.as_bytes());
        }
    }
}

/// The `ref{n}"` markers in `bytes`.
fn markers(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(at) = find(&bytes[from..], b" ref") {
            let digits_at = from + at + 4;
            from = digits_at;
            let digits = bytes[digits_at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits > 0 && bytes.get(digits_at + digits) == Some(&b'"') {
                from = digits_at + digits;
                let n = std::str::from_utf8(&bytes[digits_at..digits_at + digits]).ok()?;
                return n.parse().ok();
            }
        }
        None
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What a phase of sending got.
pub struct Sent {
    pub ok: usize,
    pub failed: usize,
    pub elapsed: Duration,
}

/// Posts `hooks[range]` to `url` with `concurrency` in flight, as fast as answers come.
pub async fn flat_out(
    client: &reqwest::Client,
    url: &str,
    hooks: &Arc<Vec<Webhook>>,
    range: std::ops::Range<usize>,
    concurrency: usize,
    timeline: &Arc<Timeline>,
) -> Sent {
    let next = Arc::new(AtomicUsize::new(range.start));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, hooks, timeline) = (
                client.clone(),
                url.to_owned(),
                hooks.clone(),
                timeline.clone(),
            );
            let (next, ok, failed, end) = (next.clone(), ok.clone(), failed.clone(), range.end);
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        break;
                    }
                    match post(&client, &url, &hooks[n], n, &timeline).await {
                        true => ok.fetch_add(1, Ordering::Relaxed),
                        false => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    Sent {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

/// Posts `hooks[range]` at `rate` per second, each on time whatever the answers do.
pub async fn at_rate(
    client: &reqwest::Client,
    url: &str,
    hooks: &Arc<Vec<Webhook>>,
    range: std::ops::Range<usize>,
    rate: f64,
    timeline: &Arc<Timeline>,
) -> Sent {
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(range.len());
    for (i, n) in range.enumerate() {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (client, url, hooks, timeline) = (
            client.clone(),
            url.to_owned(),
            hooks.clone(),
            timeline.clone(),
        );
        let (ok, failed) = (ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            match post(&client, &url, &hooks[n], n, &timeline).await {
                true => ok.fetch_add(1, Ordering::Relaxed),
                false => failed.fetch_add(1, Ordering::Relaxed),
            };
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    Sent {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    hook: &Webhook,
    n: usize,
    timeline: &Timeline,
) -> bool {
    timeline.posted[n].store(timeline.now_us(), Ordering::Relaxed);
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &hook.signature)
        .body(hook.body.clone())
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_in_a_stream_line() {
        let line = br#"data: {"message":{"text":"oi ref12"},"other":"x ref9 y"} {"text":"Comercial ref7"}"#;
        assert_eq!(markers(line).collect::<Vec<_>>(), vec![12, 7]);
    }
}
