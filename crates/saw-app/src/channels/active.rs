//! The active channels with their secrets opened, kept in memory for the hot paths: every
//! webhook checks its signature against them and every send needs its channel's token.
//! Reading and decrypting them per request cost a database round trip each time.
//!
//! A change made through this process ([`super::add`], [`super::update`],
//! [`super::remove`]) forgets the copy at once. A change made elsewhere — the CLI, or
//! another instance sharing a PostgreSQL database — is seen within [`FRESH_FOR`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use saw_core::channel::{Channel, ChannelConfig, TelegramConfig, WhatsAppConfig};
use saw_core::ids::ChannelId;
use saw_store::repo::channels;

use crate::{App, AppError};

/// How long a copy is used before the store is read again.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// A copy this new is not read again on suspicion ([`reread`]).
const REREAD_AFTER: Duration = Duration::from_millis(50);

/// Every active channel whose configuration could be read.
pub struct Snapshot {
    pub channels: Vec<(Channel, ChannelConfig)>,
}

impl Snapshot {
    pub fn whatsapp(&self) -> impl Iterator<Item = (&Channel, &WhatsAppConfig)> {
        self.channels
            .iter()
            .filter_map(|(channel, config)| match config {
                ChannelConfig::WhatsApp(wa) => Some((channel, wa)),
                _ => None,
            })
    }

    pub fn telegram(&self, id: ChannelId) -> Option<(&Channel, &TelegramConfig)> {
        self.channels
            .iter()
            .find_map(|(channel, config)| match config {
                ChannelConfig::Telegram(tg) if channel.id == id => Some((channel, tg)),
                _ => None,
            })
    }

    pub fn get(&self, id: ChannelId) -> Option<&(Channel, ChannelConfig)> {
        self.channels.iter().find(|(channel, _)| channel.id == id)
    }
}

struct Cached {
    read_at: Instant,
    snapshot: Arc<Snapshot>,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// Counts [`ActiveChannels::forget`]s, so a read that started before one is not kept.
    forgotten: u64,
}

/// The in-memory copy; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct ActiveChannels {
    state: Arc<std::sync::Mutex<State>>,
    /// One refresh at a time: a burst of webhooks on an expired copy reads the store once.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl ActiveChannels {
    /// Drops the copy; the next caller reads the store.
    pub fn forget(&self) {
        let mut state = self.lock();
        state.cached = None;
        state.forgotten += 1;
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        self.lock()
            .cached
            .as_ref()
            .filter(|cached| cached.read_at.elapsed() < FRESH_FOR)
            .map(|cached| cached.snapshot.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The active channels, from memory when the copy is fresh.
pub async fn snapshot(app: &App) -> Result<Arc<Snapshot>, AppError> {
    let cache = &app.active_channels;
    if let Some(snapshot) = cache.fresh() {
        return Ok(snapshot);
    }
    let _one_refresh = cache.refreshing.lock().await;
    if let Some(snapshot) = cache.fresh() {
        return Ok(snapshot);
    }
    read(app).await
}

/// The active channels read from the store now, when what is in memory proved stale (a
/// signature no known secret checks, a channel changed since the copy was made). A copy
/// read less than [`REREAD_AFTER`] ago is answered instead, so a stream of bad requests
/// cannot turn into a stream of reads.
pub async fn reread(app: &App) -> Result<Arc<Snapshot>, AppError> {
    let cache = &app.active_channels;
    let _one_refresh = cache.refreshing.lock().await;
    if let Some(cached) = &cache.lock().cached
        && cached.read_at.elapsed() < REREAD_AFTER
    {
        return Ok(cached.snapshot.clone());
    }
    read(app).await
}

/// What `look` finds in the copy or, when it finds nothing there, in the channels read again
/// ([`reread`]): a channel added or changed elsewhere since the copy was made is found on the
/// first request that needs it.
pub async fn find<T>(
    app: &App,
    look: impl Fn(&Snapshot) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if let Ok(found) = look(&*snapshot(app).await?) {
        return Ok(found);
    }
    look(&*reread(app).await?)
}

async fn read(app: &App) -> Result<Arc<Snapshot>, AppError> {
    let cache = &app.active_channels;
    let (read_at, forgotten) = (Instant::now(), cache.lock().forgotten);
    let stored = app.store.read(channels::active).await?;
    let channels = stored
        .into_iter()
        .filter_map(|s| match super::open(&app.secrets, &s) {
            Ok(config) => Some((s.channel, config)),
            Err(e) => {
                tracing::warn!(channel = %s.channel.id, error = %e, "channel unreadable");
                None
            }
        })
        .collect();
    let snapshot = Arc::new(Snapshot { channels });
    let mut state = cache.lock();
    if state.forgotten == forgotten {
        state.cached = Some(Cached {
            read_at,
            snapshot: snapshot.clone(),
        });
    }
    Ok(snapshot)
}
