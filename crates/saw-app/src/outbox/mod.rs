//! The dispatcher: the only code that sends to providers. It leases due outbox rows, sends
//! each through its channel's API, and records the outcome: sent (with the provider's id),
//! retried later with exponential backoff and jitter (network errors, 5xx, rate limits), or
//! failed with the provider's reason for the agent to see. A lease is taken before the call
//! and the result written after it, so SAW never sends one row twice on its own; a crash
//! mid-call leaves the lease to expire and the row is sent again (at-least-once, the
//! provider's answer being lost with the process).
//!
//! Rates are kept per channel and per customer ([`pacing`]). A channel-level failure (an
//! expired token, a blocked number) or a flood of failures in a row marks the channel
//! unhealthy: its rows are held, not failed, and one probe goes every few minutes until a
//! send succeeds or an admin fixes the channel.

mod pacing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::Rng;
use saw_channels::outbound::{self, SendOutcome};
use saw_core::channel::ChannelConfig;
use saw_core::conversation::DeliveryStatus;
use saw_core::outbound::{MediaPayload, OutboundPayload};
use saw_store::repo::outbox::{self, Leased};
use saw_store::repo::{channels as channel_repo, messages};
use saw_store::{StoreError, now};

pub use self::pacing::{Held, Pacing};
use crate::events::Event;
use crate::{App, AppError, channels};

/// Failed sends in a row (retries included) after which a channel is marked unhealthy.
pub const FAILURE_FLOOD: i64 = 20;

/// The longest one provider call may take (`saw serve --provider-timeout` may lower it;
/// the lease below assumes no call takes longer).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows leased per round. They go out together: a round leases at most one row per
/// ticket (the next one waits for it to be sent), so no conversation is reordered.
const BATCH: i64 = 64;
/// A lease covers the whole round — every row at once, a media upload and its send each at
/// the longest call — so no other instance takes a row this one is still going to send.
const LEASE: Duration = Duration::from_secs(30 * 2 + 30);
/// After this many attempts (about 1 h 20 min of backoff) a transient failure is permanent.
pub const MAX_ATTEMPTS: i64 = 24;
/// The longest wait a provider's `retry_after` may impose.
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// The longest a send waits for its channel's rate inside a round before its row is put
/// back: a round of 64 at 1,000/s fits, and a busy channel holds the other channels' sends
/// of its round back no longer than this.
const LONGEST_CHANNEL_WAIT: Duration = Duration::from_millis(100);
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
    http_client_with_timeout(CALL_TIMEOUT)
}

/// A provider client whose calls may take up to `timeout` (media downloads take longer
/// than sends).
pub fn http_client_with_timeout(timeout: Duration) -> Result<reqwest::Client, AppError> {
    // No redirects: a token must never follow a redirect to another host.
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("SAW/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Secrets(format!("cannot set up the HTTP client: {e}")))
}

/// A failed provider call in words: the error and its causes ("connection refused",
/// "timed out"), never the URL (Telegram's holds the bot token).
pub fn network_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = format!("network: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Asks a running dispatcher to stop between two sends.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(crate) fn requested(&self) -> bool {
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
    let pacing = Pacing::default();
    let mut rounds = 0u64;
    while !stop.requested() {
        rounds += 1;
        if rounds.is_multiple_of(600) {
            pacing.forget_idle();
        }
        let_writes_go_first(|| app.store.writes_waiting(), &stop).await;
        if stop.requested() {
            // A round now would lease rows only to leave them held until the lease ends.
            break;
        }
        match dispatch_once(&app, &http, &pacing, &stop).await {
            Ok(0) => tokio::time::sleep(IDLE_POLL).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "outbox round failed");
                tokio::time::sleep(IDLE_POLL * 10).await;
            }
        }
    }
}

/// In a burst the writer is what every webhook waits for, and a webhook not yet acknowledged
/// is one the provider sends again, while a reply already queued is safe in the outbox. So
/// while this many writes are queued or running (the benchmark's burst keeps most of its 64
/// webhooks in flight waiting for the writer), the dispatcher waits before its next round
/// and leaves the writer and the core to the webhooks.
const BUSY_WRITER: usize = 16;
/// The longest the dispatcher waits before a round: in a burst that does not end, replies
/// go out more slowly, never not at all.
const LONGEST_WAIT_FOR_WRITES: Duration = Duration::from_millis(500);
/// How often a waiting dispatcher looks at the writer again.
const WRITES_RECHECK: Duration = Duration::from_millis(5);

/// Waits while `writes_waiting` says the writer is busy ([`BUSY_WRITER`]), at most
/// [`LONGEST_WAIT_FOR_WRITES`], or until a stop is asked for.
async fn let_writes_go_first(writes_waiting: impl Fn() -> usize, stop: &Stop) {
    let until = tokio::time::Instant::now() + LONGEST_WAIT_FOR_WRITES;
    while writes_waiting() >= BUSY_WRITER
        && !stop.requested()
        && tokio::time::Instant::now() < until
    {
        tokio::time::sleep(WRITES_RECHECK).await;
    }
}

/// One round: lease due rows and send them; answers how many were handled.
pub async fn dispatch_once(
    app: &App,
    http: &reqwest::Client,
    pacing: &Pacing,
    stop: &Stop,
) -> Result<usize, AppError> {
    apply_crossed_statuses(app).await?;
    let at = now();
    let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let leased = app
        .store
        .write_replayable(move |c| outbox::lease_due(c, at, until, BATCH))
        .await?;
    let count = leased.len();
    let sends = leased.iter().map(|row| async move {
        if stop.requested() {
            // Not sent: the lease expires and the row goes in a later round.
            return Ok(());
        }
        let outcome = send(app, http, pacing, row).await;
        record(app, row, outcome).await
    });
    // Concurrent recordings share the store's commits.
    for recorded in futures_util::future::join_all(sends).await {
        recorded?;
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

/// What became of a leased row: the provider's verdict, or a wait imposed by pacing.
enum Attempt {
    Sent(SendOutcome),
    Paced(Duration),
}

async fn send(app: &App, http: &reqwest::Client, pacing: &Pacing, row: &Leased) -> Attempt {
    let config =
        match channels::for_sending(app, row.account_id, row.channel_id, row.channel_updated_at)
            .await
        {
            Ok((channel, config)) if channel.active => config,
            Ok(_) => {
                return Attempt::Sent(SendOutcome::Failed {
                    reason: "the channel is deactivated".into(),
                });
            }
            Err(e) => {
                return Attempt::Sent(SendOutcome::Failed {
                    reason: format!("the channel cannot be used: {e}"),
                });
            }
        };
    // A send held by its channel's rate waits for it here, briefly: putting the row back
    // costs a write and another lease, and the channel's next slot is milliseconds away at
    // WhatsApp's rates. The round waits for its slowest send, so the wait stays short; a
    // customer's pace (seconds), or a longer wait, puts the row back.
    let started = tokio::time::Instant::now();
    loop {
        match pacing.admit(
            row.channel_id,
            config.kind(),
            config.max_per_second(),
            &row.to,
        ) {
            Ok(()) => break,
            Err(Held::Channel(wait)) if started.elapsed() + wait <= LONGEST_CHANNEL_WAIT => {
                tokio::time::sleep(wait).await;
            }
            Err(held) => return Attempt::Paced(held.wait()),
        }
    }
    Attempt::Sent(call_provider(app, http, &config, row).await)
}

async fn call_provider(
    app: &App,
    http: &reqwest::Client,
    config: &ChannelConfig,
    row: &Leased,
) -> SendOutcome {
    let mut payload = match row.payload.as_deref() {
        None => OutboundPayload::Text {
            body: row.body.clone(),
        },
        Some(json) => match serde_json::from_str::<OutboundPayload>(json) {
            Ok(payload) => payload,
            Err(e) => {
                return SendOutcome::Failed {
                    reason: format!("the stored message cannot be read: {e}"),
                };
            }
        },
    };
    let reply_to = row.reply_to.as_deref();
    if let OutboundPayload::Media(media) = &mut payload
        && media.provider_media_id.is_none()
        && !matches!(config, ChannelConfig::Sandbox)
    {
        let file = match read_file(app, row).await {
            Ok(file) => file,
            Err(reason) => return SendOutcome::Failed { reason },
        };
        match config {
            ChannelConfig::WhatsApp(wa) => {
                let id = match upload_to_whatsapp(http, wa, media, file).await {
                    Ok(id) => id,
                    Err(outcome) => return outcome,
                };
                media.provider_media_id = Some(id);
                // A retry of the send must not upload the file again.
                if let Ok(json) = serde_json::to_string(&payload) {
                    let leased = row.clone();
                    let _ = app
                        .store
                        .write(move |c| outbox::set_payload(c, &leased, &json))
                        .await;
                }
            }
            ChannelConfig::Telegram(tg) => {
                return send_file_to_telegram(http, tg, row, media, file).await;
            }
            ChannelConfig::Sandbox => {}
        }
    }
    let (url, body, classify): (String, serde_json::Value, Classifier) = match config {
        ChannelConfig::Sandbox => {
            return SendOutcome::Sent {
                provider_id: format!("sandbox:{}", row.id),
            };
        }
        ChannelConfig::WhatsApp(wa) => (
            outbound::whatsapp::messages_url(&wa.settings.api_base, &wa.phone_number_id),
            outbound::whatsapp::request(&row.to, &payload, reply_to),
            outbound::whatsapp::outcome,
        ),
        ChannelConfig::Telegram(tg) => {
            let (method, body) = match outbound::telegram::request(&row.to, &payload, reply_to) {
                Ok(request) => request,
                Err(unsupported) => {
                    return SendOutcome::Failed {
                        reason: unsupported.to_string(),
                    };
                }
            };
            (
                outbound::telegram::method_url(
                    &tg.settings.api_base,
                    tg.secrets.bot_token.expose(),
                    method,
                ),
                body,
                outbound::telegram::outcome,
            )
        }
    };
    let mut request = http.post(&url).json(&body);
    if let ChannelConfig::WhatsApp(wa) = config {
        request = request.bearer_auth(wa.secrets.access_token.expose());
    }
    exchange(request, classify).await
}

/// Sends a request and reads the provider's answer into what to do next.
async fn exchange(request: reqwest::RequestBuilder, classify: Classifier) -> SendOutcome {
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
            reason: network_error(e),
            after: None,
        },
    }
}

/// The bytes of a media message's file, from the media store.
async fn read_file(app: &App, row: &Leased) -> Result<Vec<u8>, String> {
    let path = row
        .media_path
        .as_deref()
        .and_then(|name| app.media.path_of(name))
        .ok_or("the message has no file to send")?;
    tokio::fs::read(&path)
        .await
        .map_err(|e| format!("the file cannot be read from the media store: {e}"))
}

fn file_part(media: &MediaPayload, file: Vec<u8>) -> Result<reqwest::multipart::Part, SendOutcome> {
    let name = media.filename.clone().unwrap_or_else(|| "arquivo".into());
    reqwest::multipart::Part::bytes(file)
        .file_name(name)
        .mime_str(&media.mime_type)
        .map_err(|_| SendOutcome::Failed {
            reason: format!("'{}' is not a media type", media.mime_type),
        })
}

/// `POST /{phone_number_id}/media`: Meta keeps the file and answers its media id.
async fn upload_to_whatsapp(
    http: &reqwest::Client,
    wa: &saw_core::channel::WhatsAppConfig,
    media: &MediaPayload,
    file: Vec<u8>,
) -> Result<String, SendOutcome> {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in outbound::whatsapp::media_upload_fields(&media.mime_type) {
        form = form.text(name, value);
    }
    form = form.part(
        outbound::whatsapp::MEDIA_UPLOAD_FILE_FIELD,
        file_part(media, file)?,
    );
    let url = outbound::whatsapp::media_upload_url(&wa.settings.api_base, &wa.phone_number_id);
    let response = http
        .post(url)
        .bearer_auth(wa.secrets.access_token.expose())
        .multipart(form)
        .send()
        .await
        .map_err(|e| SendOutcome::Retry {
            reason: network_error(e),
            after: None,
        })?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| SendOutcome::Retry {
        reason: format!("reading the answer failed: {}", e.without_url()),
        after: None,
    })?;
    if !(200..300).contains(&status) {
        return Err(outbound::whatsapp::error_outcome(status, &body));
    }
    outbound::whatsapp::parse_media_upload(&body).map_err(|e| SendOutcome::Retry {
        reason: format!("the upload's answer named no media id: {e}"),
        after: None,
    })
}

/// Telegram takes the file in the send itself (`sendPhoto`, `sendDocument`, …).
async fn send_file_to_telegram(
    http: &reqwest::Client,
    tg: &saw_core::channel::TelegramConfig,
    row: &Leased,
    media: &MediaPayload,
    file: Vec<u8>,
) -> SendOutcome {
    let upload = outbound::telegram::upload(&row.to, media, row.reply_to.as_deref());
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in upload.fields {
        form = form.text(name, value);
    }
    form = match file_part(media, file) {
        Ok(part) => form.part(upload.file_field, part),
        Err(outcome) => return outcome,
    };
    let url = outbound::telegram::method_url(
        &tg.settings.api_base,
        tg.secrets.bot_token.expose(),
        upload.method,
    );
    exchange(http.post(url).multipart(form), outbound::telegram::outcome).await
}

async fn record(app: &App, row: &Leased, attempt: Attempt) -> Result<(), AppError> {
    let outcome = match attempt {
        Attempt::Paced(wait) => {
            let (row, until) = (row.clone(), now() + chrono_wait(wait));
            app.store
                .write(move |c| outbox::defer(c, &row, until))
                .await?;
            return Ok(());
        }
        Attempt::Sent(outcome) => outcome,
    };
    let (id, attempts) = (row.id, row.attempts);
    match &outcome {
        SendOutcome::Sent { .. } => tracing::debug!(message = %id, "sent"),
        SendOutcome::Retry { reason, .. } => {
            tracing::info!(message = %id, attempts, %reason, "send failed, will retry")
        }
        SendOutcome::Failed { reason } => {
            tracing::warn!(message = %id, %reason, "send failed for good")
        }
        SendOutcome::ChannelDown { reason } => {
            tracing::warn!(message = %id, channel = %row.channel_id, %reason, "channel down, holding its messages")
        }
    }
    let leased = row.clone();
    let result = app
        .store
        .write_replayable(move |c| record_outcome(c, &leased, outcome.clone()))
        .await?;
    if !result.recorded {
        tracing::warn!(message = %id, "the lease ran out before the result was written; another round owns the row");
        return Ok(());
    }
    let mut events = Vec::new();
    if let Some(status) = result.status {
        events.push(Event::MessageStatus {
            account_id: row.account_id,
            ticket_id: row.ticket_id,
            message_id: row.id,
            status,
        });
    }
    if let Some(healthy) = result.health_changed {
        events.push(Event::ChannelHealth {
            account_id: row.account_id,
            channel_id: row.channel_id,
            healthy,
        });
    }
    app.events.publish(events);
    Ok(())
}

/// What writing an outcome changed.
struct Recorded {
    /// False when the lease ran out first (another round owns the row now).
    recorded: bool,
    /// The message's status afterwards, when it moved.
    status: Option<DeliveryStatus>,
    /// `Some(healthy)` when the channel's health flipped.
    health_changed: Option<bool>,
}

fn record_outcome(
    c: &mut dyn saw_store::Conn,
    row: &Leased,
    outcome: SendOutcome,
) -> Result<Recorded, StoreError> {
    let at = now();
    let attempts = row.attempts;
    let mut result = Recorded {
        recorded: false,
        status: None,
        health_changed: None,
    };
    match outcome {
        SendOutcome::Sent { provider_id } => {
            let Some(early_statuses) = outbox::mark_sent(c, row, &provider_id, at)? else {
                return Ok(result);
            };
            result.recorded = true;
            let sandbox = provider_id.starts_with("sandbox:");
            if sandbox {
                messages::apply_status(
                    c,
                    row.channel_id,
                    &provider_id,
                    DeliveryStatus::Delivered,
                    None,
                    at,
                )?;
            }
            // Only a status applied since the send moved it past `sent`.
            result.status = Some(if early_statuses || sandbox {
                messages::status_of(c, row.id)?
            } else {
                DeliveryStatus::Sent
            });
            if channel_repo::mark_healthy(c, row.channel_id)? {
                result.health_changed = Some(true);
            }
        }
        SendOutcome::Retry { reason, .. } if attempts + 1 >= MAX_ATTEMPTS => {
            let reason = format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)");
            result.recorded = outbox::mark_failed(c, row, &reason, at)?;
            result.status = result.recorded.then_some(DeliveryStatus::Failed);
            count_failure(c, row, &reason, &mut result)?;
        }
        SendOutcome::Retry { reason, after } => {
            let wait = after
                .unwrap_or_else(|| backoff(attempts))
                .clamp(backoff(attempts) / 2, MAX_WAIT);
            result.recorded = outbox::schedule_retry(c, row, at + chrono_wait(wait), &reason, at)?;
            count_failure(c, row, &reason, &mut result)?;
        }
        SendOutcome::Failed { reason } => {
            result.recorded = outbox::mark_failed(c, row, &reason, at)?;
            result.status = result.recorded.then_some(DeliveryStatus::Failed);
        }
        SendOutcome::ChannelDown { reason } => {
            // Not the message's fault: it waits, unattempted, for the channel to recover.
            result.recorded = outbox::defer(c, row, at)?;
            if channel_repo::mark_unhealthy(c, row.channel_id, &reason, at)? {
                result.health_changed = Some(false);
            }
        }
    }
    Ok(result)
}

/// A transient failure counts toward the flood that marks a channel unhealthy.
fn count_failure(
    c: &mut dyn saw_store::Conn,
    row: &Leased,
    reason: &str,
    result: &mut Recorded,
) -> Result<(), StoreError> {
    let failures = channel_repo::count_failure(c, row.channel_id)?;
    if failures >= FAILURE_FLOOD {
        let why = format!("{failures} sends in a row failed; the last: {reason}");
        if channel_repo::mark_unhealthy(c, row.channel_id, &why, now())? {
            result.health_changed = Some(false);
        }
    }
    Ok(())
}

fn chrono_wait(wait: Duration) -> chrono::Duration {
    chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::hours(1))
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

    // The clock is tokio's paused one: these durations are exact, not measured.
    async fn waited_for_writes(writes_waiting: impl Fn() -> usize, stop: &Stop) -> Duration {
        let started = tokio::time::Instant::now();
        tokio::time::timeout(
            LONGEST_WAIT_FOR_WRITES * 10,
            let_writes_go_first(writes_waiting, stop),
        )
        .await
        .expect("the dispatcher waited past its longest wait");
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn the_dispatcher_waits_for_a_busy_writer_but_never_long() {
        let stop = Stop::default();
        assert_eq!(waited_for_writes(|| 0, &stop).await, Duration::ZERO);
        assert_eq!(
            waited_for_writes(|| BUSY_WRITER - 1, &stop).await,
            Duration::ZERO
        );

        // A burst that does not end holds each round back by the longest wait, no more.
        let waited = waited_for_writes(|| 500, &stop).await;
        assert!(waited >= LONGEST_WAIT_FOR_WRITES, "{waited:?}");
        assert!(
            waited < LONGEST_WAIT_FOR_WRITES + WRITES_RECHECK * 2,
            "{waited:?}"
        );

        // A burst that ends: the round goes as soon as the writer has caught up.
        let looks = std::cell::Cell::new(0);
        let waited = waited_for_writes(
            || {
                looks.set(looks.get() + 1);
                if looks.get() <= 3 { BUSY_WRITER } else { 2 }
            },
            &stop,
        )
        .await;
        assert_eq!(waited, WRITES_RECHECK * 3);

        stop.stop();
        assert_eq!(waited_for_writes(|| 500, &stop).await, Duration::ZERO);
    }
}
