//! SAW's application services: every operation a person (through the web or the REST API) or
//! an operator (through the CLI) performs, each one store transaction with its audit entry.
//!
//! Reading order: [`App`] (what the services share), [`error`], then [`auth`] (passwords,
//! sessions, second factor, API tokens), [`users`], [`queues`], [`channels`], [`account`] and
//! [`bootstrap`] (the very first start). Crypto helpers live in [`secrets`] and [`random`].

pub mod account;
pub mod auth;
pub mod bootstrap;
pub mod bot;
pub mod bot_config;
pub mod bot_idle;
pub mod channels;
pub mod connection_check;
pub mod contacts;
pub mod conversations;
pub mod csat;
pub mod distribution;
mod error;
pub mod events;
pub mod flows;
pub mod hours;
pub mod inbound;
pub mod inbox;
pub mod media;
pub mod ops;
pub mod outbox;
pub mod passwords;
pub mod push;
pub mod queues;
pub mod quick_replies;
pub mod random;
pub mod reports;
pub mod sandbox;
pub mod secrets;
pub mod tags;
pub mod team;
pub mod telegram_poller;
pub mod templates;
pub mod tickets;
pub mod users;

use chrono::Duration;
use saw_store::Store;
use saw_store::repo::audit::NewEntry;

pub use error::AppError;
pub use saw_core::user::User;

/// Tunables of sign-in and sessions (flags of `saw serve`).
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_lifetime: Duration,
    /// Failed sign-ins from one address within `lockout_window` before it is refused.
    pub max_failed_sign_ins: i64,
    pub lockout_window: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            session_idle: Duration::hours(12),
            session_lifetime: Duration::days(14),
            max_failed_sign_ins: 5,
            lockout_window: Duration::minutes(15),
        }
    }
}

/// What every service needs: the store, the secrets key, the sign-in policy, the event bus
/// and the media store.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub secrets: secrets::SecretBox,
    pub policy: AuthPolicy,
    pub events: events::EventBus,
    pub media: media::MediaStore,
    pub counters: std::sync::Arc<events::Counters>,
    /// Who has the inbox open in this process.
    pub presence: team::Presence,
    /// The active channels with their secrets, for webhooks and sends.
    pub active_channels: channels::ActiveChannels,
    /// What the bot reads about each account at every turn.
    pub bot_configs: bot_config::BotConfigs,
}

impl App {
    /// The services over `store`, keeping media files under `data_dir/media`.
    pub fn new(
        store: Store,
        secrets: secrets::SecretBox,
        policy: AuthPolicy,
        data_dir: &std::path::Path,
    ) -> Self {
        Self {
            store,
            secrets,
            policy,
            events: events::EventBus::default(),
            counters: Default::default(),
            presence: Default::default(),
            active_channels: Default::default(),
            bot_configs: Default::default(),
            media: media::MediaStore::new(data_dir.join("media")),
        }
    }
}

/// Who performs an action, for permissions and the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: Option<User>,
    /// The readable name in the audit log: the user's e-mail, "cli" or "system".
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(user: &User, ip: Option<String>) -> Self {
        Self {
            label: user.email.to_string(),
            user: Some(user.clone()),
            ip,
        }
    }

    /// A user acting through an API token.
    pub fn api(user: &User) -> Self {
        Self {
            label: format!("{} (api)", user.email),
            user: Some(user.clone()),
            ip: None,
        }
    }

    pub fn cli() -> Self {
        Self {
            user: None,
            label: "cli".into(),
            ip: None,
        }
    }

    pub fn system() -> Self {
        Self {
            user: None,
            label: "system".into(),
            ip: None,
        }
    }

    /// An audit entry by this actor in `account`.
    pub fn audit(
        &self,
        account: saw_core::ids::AccountId,
        action: &str,
        target: impl Into<String>,
    ) -> NewEntry {
        NewEntry {
            account_id: Some(account),
            actor_user_id: self.user.as_ref().map(|u| u.id),
            actor: self.label.clone(),
            action: action.to_owned(),
            target: Some(target.into()),
            detail: None,
            ip: self.ip.clone(),
        }
    }
}
