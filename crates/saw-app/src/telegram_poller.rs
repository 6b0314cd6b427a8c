//! Long polling for Telegram bots in `polling` mode, so a shop with no public address still
//! receives messages.
//!
//! One poller per bot (Telegram refuses two). Each round asks `getUpdates` for what follows
//! the last stored update, stores every update of the answer in one transaction, and only
//! then moves its offset past them — the next call confirms them to Telegram. A crash between
//! the two redelivers the batch, which the store's dedupe absorbs. A supervisor looks at the
//! channels every couple of seconds, so one added with the CLI starts polling without a
//! restart, and a removed one stops. A poller first deletes any webhook the bot had
//! (Telegram refuses `getUpdates` while one is set).
//!
//! Bots in `webhook` mode are registered by the same supervisor: `setWebhook` with SAW's
//! public https URL and the bot's secret token, once per process and again whenever the
//! bot's settings change. Taps on inline buttons are answered (`answerCallbackQuery`) after
//! they are stored, whichever way they came.

use std::collections::HashMap;
use std::time::Duration;

use saw_channels::outbound;
use saw_channels::telegram;
use saw_core::channel::{ChannelConfig, TelegramConfig, TelegramMode};
use saw_core::ids::ChannelId;
use serde_json::json;

use crate::inbound::{WebhookOutcome, commit};
use crate::{App, AppError, channels};

/// Seconds Telegram holds a `getUpdates` call open when there is nothing new.
const LONG_POLL_SECS: u64 = 25;
const RESCAN: Duration = Duration::from_secs(2);

/// Starts the supervisor in the background; abort the handle to stop it (and its pollers).
/// `public_url` is where Telegram can reach SAW (`SAW_PUBLIC_URL`); webhook-mode bots need
/// it to be https.
pub fn spawn(
    app: App,
    http: reqwest::Client,
    public_url: Option<String>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(supervise(app, http, public_url))
}

/// Answers button taps so the customer's Telegram stops showing a spinner; best effort
/// (an unanswered tap only spins until Telegram gives up).
pub async fn answer_callbacks(http: &reqwest::Client, config: &TelegramConfig, ids: &[String]) {
    let url = outbound::telegram::method_url(
        &config.settings.api_base,
        config.secrets.bot_token.expose(),
        "answerCallbackQuery",
    );
    for id in ids {
        let body = outbound::telegram::answer_callback_query(id, None);
        if let Err(e) = http.post(&url).json(&body).send().await {
            tracing::debug!(error = %e.without_url(), "answerCallbackQuery failed");
        }
    }
}

/// Registers a webhook-mode bot with Telegram; answers why not when it failed.
async fn register_webhook(
    http: &reqwest::Client,
    id: ChannelId,
    config: &TelegramConfig,
    public_url: &str,
) -> Result<(), String> {
    let url = outbound::telegram::method_url(
        &config.settings.api_base,
        config.secrets.bot_token.expose(),
        "setWebhook",
    );
    let hook = format!(
        "{}/webhooks/telegram/{id}",
        public_url.trim_end_matches('/')
    );
    let body = outbound::telegram::set_webhook(&hook, config.secrets.webhook_secret.expose());
    let response = http
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(crate::outbox::network_error)?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {}", e.without_url()))?;
    outbound::telegram::acknowledged(status, &bytes)
        .map_err(|outcome| outcome.reason().unwrap_or("refused").to_owned())
}

/// A poller task that stops when its handle is dropped (with the supervisor).
struct Poller(tokio::task::JoinHandle<()>);

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn supervise(app: App, http: reqwest::Client, public_url: Option<String>) {
    let mut running: HashMap<ChannelId, (TelegramConfig, Poller)> = HashMap::new();
    let mut registered: HashMap<ChannelId, TelegramConfig> = HashMap::new();
    let mut next_try: HashMap<ChannelId, tokio::time::Instant> = HashMap::new();
    let public_https = public_url.as_deref().filter(|u| u.starts_with("https://"));
    let mut warned = std::collections::HashSet::new();
    loop {
        match channels_by_mode(&app).await {
            Ok((mut wanted, mut hooks)) => {
                // Telegram calls webhooks only on https: without a public https URL a bot in
                // webhook mode is polled instead, so it still receives its messages.
                if public_https.is_none() {
                    for (id, _) in &hooks {
                        if warned.insert(*id) {
                            tracing::warn!(channel = %id, "a Telegram bot in webhook mode needs SAW_PUBLIC_URL with https; polling it instead");
                        }
                    }
                    wanted.append(&mut hooks);
                }
                registered.retain(|id, config| hooks.iter().any(|(h, c)| h == id && c == config));
                for (id, config) in hooks {
                    if registered.contains_key(&id)
                        || next_try
                            .get(&id)
                            .is_some_and(|at| *at > tokio::time::Instant::now())
                    {
                        continue;
                    }
                    let Some(base) = public_https else {
                        continue;
                    };
                    match register_webhook(&http, id, &config, base).await {
                        Ok(()) => {
                            tracing::info!(channel = %id, "Telegram webhook registered");
                            next_try.remove(&id);
                            registered.insert(id, config);
                        }
                        Err(error) => {
                            tracing::warn!(channel = %id, %error, "Telegram setWebhook failed; retrying in a minute");
                            next_try
                                .insert(id, tokio::time::Instant::now() + Duration::from_secs(60));
                        }
                    }
                }
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

type Bots = Vec<(ChannelId, TelegramConfig)>;

/// The active bots, split into (polling, webhook) mode.
async fn channels_by_mode(app: &App) -> Result<(Bots, Bots), AppError> {
    let active = channels::active::snapshot(app).await?;
    let (mut polling, mut hooks) = (Vec::new(), Vec::new());
    for (channel, config) in &active.channels {
        if let ChannelConfig::Telegram(config) = config {
            if config.settings.mode == TelegramMode::Polling {
                polling.push((channel.id, config.clone()));
            } else {
                hooks.push((channel.id, config.clone()));
            }
        }
    }
    Ok((polling, hooks))
}

async fn poll(app: App, http: reqwest::Client, id: ChannelId, config: TelegramConfig) {
    let url = outbound::telegram::method_url(
        &config.settings.api_base,
        config.secrets.bot_token.expose(),
        "getUpdates",
    );
    // A bot that had a webhook (set here before, or by another tool) cannot be polled.
    let delete = outbound::telegram::method_url(
        &config.settings.api_base,
        config.secrets.bot_token.expose(),
        "deleteWebhook",
    );
    if let Err(e) = http
        .post(&delete)
        .json(&outbound::telegram::delete_webhook())
        .send()
        .await
    {
        tracing::debug!(channel = %id, error = %e.without_url(), "deleteWebhook failed");
    }
    let mut offset: Option<i64> = None;
    let mut failures: u32 = 0;
    loop {
        match round(&app, &http, &url, id, &config, offset).await {
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
    config: &TelegramConfig,
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
        .map_err(crate::outbox::network_error)?;
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
    let channel = channels::active::snapshot(app)
        .await
        .map_err(|e| e.to_string())?
        .telegram(id)
        .ok_or("the channel is gone")?
        .0
        .clone();
    let events: Vec<_> = updates
        .into_iter()
        .filter_map(|(_, event)| event)
        .map(|event| (channel.clone(), event))
        .collect();
    let outcome = commit(app, events, WebhookOutcome::default())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(channel = %id, stored = outcome.messages_stored, duplicates = outcome.duplicates, "Telegram updates");
    answer_callbacks(http, config, &outcome.callbacks).await;
    Ok(Some(last + 1))
}
