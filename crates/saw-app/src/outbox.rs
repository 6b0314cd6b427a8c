//! The dispatcher: the only code that sends to providers. It leases due outbox rows, sends
//! each through its channel's API, and records the outcome: sent (with the provider's id),
//! retried later with exponential backoff and jitter (network errors, 5xx, rate limits), or
//! failed with the provider's reason for the agent to see. A lease is taken before the call
//! and the result written after it, so SAW never sends one row twice on its own; a crash
//! mid-call leaves the lease to expire and the row is sent again (at-least-once, the
//! provider's answer being lost with the process).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::Rng;
use saw_channels::outbound::{self, SendOutcome};
use saw_core::channel::ChannelConfig;
use saw_core::conversation::DeliveryStatus;
use saw_store::repo::messages;
use saw_store::repo::outbox::{self, Leased};
use saw_store::{StoreError, now};

use crate::{App, AppError, channels};

/// The longest one provider call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows leased per round; they are sent one after another.
const BATCH: i64 = 8;
/// A lease covers the whole round (every row at its longest call), so no other instance
/// takes a row this one is still going to send.
const LEASE: Duration = Duration::from_secs(30 * 8 + 30);
/// After this many attempts (about 1 h 20 min of backoff) a transient failure is permanent.
pub const MAX_ATTEMPTS: i64 = 24;
/// The longest wait a provider's `retry_after` may impose.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// How often an idle dispatcher looks for work.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s… up to 5 minutes, ±20 % jitter.
pub fn backoff(attempts: i64) -> Duration {
    let base = 1u64 << attempts.clamp(0, 8);
    let secs = base.min(300) as f64;
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_secs_f64(secs * jitter)
}

/// The HTTP client for provider calls.
pub fn http_client() -> Result<reqwest::Client, AppError> {
    // No redirects: a token must never follow a redirect to another host.
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("SAW/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Secrets(format!("cannot set up the HTTP client: {e}")))
}

/// Asks a running dispatcher to stop between two sends.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Starts the dispatcher in the background. To stop it, call [`Stop::stop`] and await the
/// handle: a send in flight finishes and is recorded first, so a restart does not send it
/// again.
pub fn spawn(app: App, http: reqwest::Client) -> (Stop, tokio::task::JoinHandle<()>) {
    let stop = Stop::default();
    (stop.clone(), tokio::spawn(run(app, http, stop)))
}

/// Runs until stopped; errors are logged and the loop goes on.
pub async fn run(app: App, http: reqwest::Client, stop: Stop) {
    while !stop.requested() {
        match dispatch_once(&app, &http, &stop).await {
            Ok(0) => tokio::time::sleep(IDLE_POLL).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "outbox round failed");
                tokio::time::sleep(IDLE_POLL * 10).await;
            }
        }
    }
}

/// One round: lease due rows and send them; answers how many were handled.
pub async fn dispatch_once(
    app: &App,
    http: &reqwest::Client,
    stop: &Stop,
) -> Result<usize, AppError> {
    apply_crossed_statuses(app).await?;
    let at = now();
    let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let leased = app
        .store
        .write(move |c| outbox::lease_due(c, at, until, BATCH))
        .await?;
    let count = leased.len();
    for row in leased {
        if stop.requested() {
            // Not sent: the lease expires and the row goes in a later round.
            break;
        }
        let outcome = send(app, http, &row).await;
        record(app, &row, outcome).await?;
    }
    Ok(count)
}

/// Statuses that arrived while their message's send was being recorded (the two can miss
/// each other on PostgreSQL) are applied here, on the next round.
async fn apply_crossed_statuses(app: &App) -> Result<(), AppError> {
    let waiting = app
        .store
        .read(|c| outbox::early_statuses_now_known(c, 100))
        .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    app.store
        .write(move |c| {
            for (channel, provider_id) in &waiting {
                outbox::apply_early_statuses(c, *channel, provider_id)?;
            }
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(())
}

/// Reads a provider's answer (status and body) into what to do next.
type Classifier = fn(u16, &[u8]) -> SendOutcome;

async fn send(app: &App, http: &reqwest::Client, row: &Leased) -> SendOutcome {
    let config = match channels::get_decrypted(app, row.account_id, row.channel_id).await {
        Ok((channel, _)) if !channel.active => {
            return SendOutcome::Failed {
                reason: "the channel is deactivated".into(),
            };
        }
        Ok((_, config)) => config,
        Err(e) => {
            return SendOutcome::Failed {
                reason: format!("the channel cannot be used: {e}"),
            };
        }
    };
    let (url, body, classify): (String, serde_json::Value, Classifier) = match &config {
        ChannelConfig::Sandbox => {
            return SendOutcome::Sent {
                provider_id: format!("sandbox:{}", row.id),
            };
        }
        ChannelConfig::WhatsApp(wa) => (
            outbound::whatsapp::messages_url(&wa.settings.api_base, &wa.phone_number_id),
            outbound::whatsapp::text(&row.to, &row.body),
            outbound::whatsapp::outcome,
        ),
        ChannelConfig::Telegram(tg) => (
            outbound::telegram::method_url(
                &tg.settings.api_base,
                tg.secrets.bot_token.expose(),
                "sendMessage",
            ),
            outbound::telegram::text(&row.to, &row.body),
            outbound::telegram::outcome,
        ),
    };
    let mut request = http.post(&url).json(&body);
    if let ChannelConfig::WhatsApp(wa) = &config {
        request = request.bearer_auth(wa.secrets.access_token.expose());
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) => classify(status, &bytes),
                Err(e) => SendOutcome::Retry {
                    reason: format!("reading the answer failed: {}", e.without_url()),
                    after: None,
                },
            }
        }
        // Never log the URL: Telegram's carries the bot token.
        Err(e) => SendOutcome::Retry {
            reason: format!("network: {}", e.without_url()),
            after: None,
        },
    }
}

async fn record(app: &App, row: &Leased, outcome: SendOutcome) -> Result<(), AppError> {
    let (id, attempts) = (row.id, row.attempts);
    match &outcome {
        SendOutcome::Sent { .. } => tracing::debug!(message = %id, "sent"),
        SendOutcome::Retry { reason, .. } => {
            tracing::info!(message = %id, attempts, %reason, "send failed, will retry")
        }
        SendOutcome::Failed { reason } => {
            tracing::warn!(message = %id, %reason, "send failed for good")
        }
    }
    let row = row.clone();
    let recorded = app
        .store
        .write(move |c| {
            let at = now();
            match outcome {
                SendOutcome::Sent { provider_id } => {
                    let recorded = outbox::mark_sent(c, &row, &provider_id, at)?;
                    if recorded && provider_id.starts_with("sandbox:") {
                        messages::apply_status(
                            c,
                            row.channel_id,
                            &provider_id,
                            DeliveryStatus::Delivered,
                            None,
                            at,
                        )?;
                    }
                    Ok::<_, StoreError>(recorded)
                }
                SendOutcome::Retry { reason, .. } if attempts + 1 >= MAX_ATTEMPTS => {
                    outbox::mark_failed(
                        c,
                        &row,
                        &format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"),
                        at,
                    )
                }
                SendOutcome::Retry { reason, after } => {
                    let wait = after
                        .unwrap_or_else(|| backoff(attempts))
                        .clamp(backoff(attempts) / 2, MAX_WAIT);
                    let next = at
                        + chrono::Duration::from_std(wait)
                            .unwrap_or_else(|_| chrono::Duration::hours(1));
                    outbox::schedule_retry(c, &row, next, &reason, at)
                }
                SendOutcome::Failed { reason } => outbox::mark_failed(c, &row, &reason, at),
            }
        })
        .await?;
    if !recorded {
        tracing::warn!(message = %id, "the lease ran out before the result was written; another round owns the row");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) < Duration::from_secs(2));
        assert!(backoff(3) >= Duration::from_secs_f64(6.4));
        assert!(backoff(30) <= Duration::from_secs(360));
    }
}
