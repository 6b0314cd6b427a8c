//! Long polling for Telegram bots in `polling` mode, so a shop with no public address still
//! receives messages.
//!
//! One poller per bot (Telegram refuses two). Each round asks `getUpdates` for what follows
//! the last stored update, stores every update of the answer in one transaction, and only
//! then moves its offset past them — the next call confirms them to Telegram. A crash between
//! the two redelivers the batch, which the store's dedupe absorbs. A supervisor looks at the
//! channels every couple of seconds, so one added with the CLI starts polling without a
//! restart, and a removed one stops.

use std::collections::HashMap;
use std::time::Duration;

use saw_channels::outbound;
use saw_channels::telegram;
use saw_core::channel::{ChannelConfig, TelegramConfig, TelegramMode};
use saw_core::conversation::ChannelKind;
use saw_core::ids::ChannelId;
use saw_store::repo::channels as channel_rows;
use serde_json::json;

use crate::inbound::{WebhookOutcome, commit};
use crate::{App, AppError, channels};

/// Seconds Telegram holds a `getUpdates` call open when there is nothing new.
const LONG_POLL_SECS: u64 = 25;
const RESCAN: Duration = Duration::from_secs(2);

/// Starts the supervisor in the background; abort the handle to stop it (and its pollers).
pub fn spawn(app: App, http: reqwest::Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(supervise(app, http))
}

/// A poller task that stops when its handle is dropped (with the supervisor).
struct Poller(tokio::task::JoinHandle<()>);

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn supervise(app: App, http: reqwest::Client) {
    let mut running: HashMap<ChannelId, (TelegramConfig, Poller)> = HashMap::new();
    loop {
        match polling_channels(&app).await {
            Ok(wanted) => {
                running.retain(|id, (config, task)| {
                    wanted.iter().any(|(w, c)| w == id && c == config) && !task.0.is_finished()
                });
                for (id, config) in wanted {
                    if let std::collections::hash_map::Entry::Vacant(slot) = running.entry(id) {
                        tracing::info!(channel = %id, "Telegram long polling started");
                        let task = Poller(tokio::spawn(poll(
                            app.clone(),
                            http.clone(),
                            id,
                            config.clone(),
                        )));
                        slot.insert((config, task));
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot list Telegram channels"),
        }
        tokio::time::sleep(RESCAN).await;
    }
}

async fn polling_channels(app: &App) -> Result<Vec<(ChannelId, TelegramConfig)>, AppError> {
    let stored = app
        .store
        .read(|c| channel_rows::active_of_kind(c, ChannelKind::Telegram))
        .await?;
    let mut out = Vec::new();
    for row in stored {
        match channels::get_decrypted(app, row.channel.account_id, row.channel.id).await {
            Ok((_, ChannelConfig::Telegram(config)))
                if config.settings.mode == TelegramMode::Polling =>
            {
                out.push((row.channel.id, config));
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(channel = %row.channel.id, error = %e, "Telegram channel unreadable")
            }
        }
    }
    Ok(out)
}

async fn poll(app: App, http: reqwest::Client, id: ChannelId, config: TelegramConfig) {
    let url = outbound::telegram::method_url(
        &config.settings.api_base,
        config.secrets.bot_token.expose(),
        "getUpdates",
    );
    let mut offset: Option<i64> = None;
    let mut failures: u32 = 0;
    loop {
        match round(&app, &http, &url, id, offset).await {
            Ok(next) => {
                failures = 0;
                offset = next.or(offset);
            }
            Err(error) => {
                failures += 1;
                let wait = Duration::from_secs(u64::from(failures.min(6)).pow(2))
                    .max(Duration::from_secs(1));
                tracing::warn!(channel = %id, %error, retry_in_s = wait.as_secs(), "Telegram getUpdates failed");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// One `getUpdates` call and its storage; answers the next offset when updates came.
async fn round(
    app: &App,
    http: &reqwest::Client,
    url: &str,
    id: ChannelId,
    offset: Option<i64>,
) -> Result<Option<i64>, String> {
    let mut body = json!({"timeout": LONG_POLL_SECS, "allowed_updates": ["message", "edited_message", "callback_query"]});
    if let Some(offset) = offset {
        body["offset"] = json!(offset);
    }
    let response = http
        .post(url)
        .timeout(Duration::from_secs(LONG_POLL_SECS + 10))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("network: {}", e.without_url()))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {}", e.without_url()))?;
    if status != 200 {
        let outcome = outbound::telegram::outcome(status, &bytes);
        return Err(outcome
            .reason()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned));
    }
    let updates = telegram::parse_get_updates(&bytes).map_err(|e| e.to_string())?;
    let Some(last) = updates.iter().map(|(update_id, _)| *update_id).max() else {
        return Ok(None);
    };
    let channel = app
        .store
        .read(move |c| channel_rows::active_of_kind(c, ChannelKind::Telegram))
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|s| s.channel.id == id)
        .ok_or("the channel is gone")?
        .channel;
    let events: Vec<_> = updates
        .into_iter()
        .filter_map(|(_, event)| event)
        .map(|event| (channel.clone(), event))
        .collect();
    let outcome = commit(app, events, WebhookOutcome::default())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(channel = %id, stored = outcome.messages_stored, duplicates = outcome.duplicates, "Telegram updates");
    Ok(Some(last + 1))
}
