//! What the bot reads about the account at every turn — the account itself, its flows
//! parsed, its queues' names and its business hours — kept in memory.
//!
//! Every customer message the bot answers needed all of it, read again inside the writer's
//! transaction; it changes only when an admin edits it. Triggers in the store change one
//! stamp whenever any of those rows changes ([`bot::config_stamp`]), so a turn reads that one
//! row and keeps using the copy while the stamp is the one the copy was read at. A change
//! made anywhere — this process, the CLI, another instance on the same PostgreSQL database —
//! is seen by the next turn.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use saw_bot::Flow;
use saw_bot::hours::BusinessHours;
use saw_core::account::Account;
use saw_core::ids::{AccountId, ChannelId, QueueId};
use saw_store::repo::{accounts, bot, name_key, queues};
use saw_store::{Conn, StoreError};

use crate::hours::Schedules;

/// The account as the bot sees it, read at one stamp.
pub struct BotConfig {
    pub account: Account,
    /// The account's flows, oldest first: each channel's own and the default (`None`).
    flows: Vec<(Option<ChannelId>, Arc<Flow>)>,
    /// The built-in flow, for an account that stored none.
    example: Arc<Flow>,
    queues: Vec<QueueName>,
    pub schedules: Schedules,
    /// The hours of the queues that keep their own, by the queue's name (the bot names
    /// queues, not ids).
    pub queue_hours: BTreeMap<String, BusinessHours>,
}

struct QueueName {
    id: QueueId,
    name: String,
    /// The name as queues are looked up: case and surrounding spaces ignored.
    key: String,
    is_default: bool,
}

impl BotConfig {
    /// Reads it all from the store.
    pub fn load(c: &mut dyn Conn, account: AccountId) -> Result<Self, StoreError> {
        let account = accounts::by_id(c, account)?;
        let example = Arc::new(with_greeting(Flow::example(account.language), &account));
        let flows = bot::flows(c, account.id)?
            .into_iter()
            .map(|(channel, name, yaml)| {
                let flow = match Flow::from_yaml(&yaml) {
                    Ok(flow) => Arc::new(with_greeting(flow, &account)),
                    Err(error) => {
                        tracing::warn!(flow = %name, %error, "the stored flow is invalid; using the example flow");
                        example.clone()
                    }
                };
                (channel, flow)
            })
            .collect();
        let queues = queues::list(c, account.id)?
            .into_iter()
            .map(|q| QueueName {
                key: name_key(&q.name),
                id: q.id,
                name: q.name,
                is_default: q.is_default,
            })
            .collect::<Vec<_>>();
        let schedules = crate::hours::load(c, account.id, account.time_zone.tz())?;
        let queue_hours = queues
            .iter()
            .filter_map(|q| Some((q.name.clone(), schedules.queues.get(&q.id)?.clone())))
            .collect();
        Ok(Self {
            account,
            flows,
            example,
            queues,
            schedules,
            queue_hours,
        })
    }

    /// The flow that answers on `channel`: its own, else the account's default, else the
    /// built-in example (a stored flow that no longer parses is replaced by it, so customers
    /// are never left without an answer).
    pub fn flow(&self, channel: ChannelId) -> Arc<Flow> {
        let own = self.flows.iter().find(|(c, _)| *c == Some(channel));
        let default = || self.flows.iter().find(|(c, _)| c.is_none());
        own.or_else(default)
            .map_or_else(|| self.example.clone(), |(_, flow)| flow.clone())
    }

    /// The default queue's id and name.
    pub fn default_queue(&self) -> Option<(QueueId, &str)> {
        self.queues
            .iter()
            .find(|q| q.is_default)
            .map(|q| (q.id, q.name.as_str()))
    }

    /// The queue called `name`, ignoring case and surrounding spaces.
    pub fn queue_named(&self, name: &str) -> Option<QueueId> {
        let key = name_key(name);
        self.queues.iter().find(|q| q.key == key).map(|q| q.id)
    }
}

/// `flow` with the account's own greeting, when it set one.
pub(crate) fn with_greeting(mut flow: Flow, account: &Account) -> Flow {
    if let Some(greeting) = &account.conversations.greeting {
        flow.greeting = greeting.clone();
    }
    flow
}

/// Each account's copy with the stamp it was read at.
type Copies = HashMap<AccountId, (i64, Arc<BotConfig>)>;

/// The copies of this process, one per account; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct BotConfigs {
    copies: Arc<Mutex<Copies>>,
}

impl BotConfigs {
    /// The account's configuration as the store has it now, from memory when the stamp has
    /// not changed since it was read. Call it inside the transaction that uses it.
    pub fn current(
        &self,
        c: &mut dyn Conn,
        account: AccountId,
    ) -> Result<Arc<BotConfig>, StoreError> {
        // The stamp first: a change committed between it and the rows read next makes the
        // copy newer than its stamp, and the next turn reads it again; never older.
        let stamp = bot::config_stamp(c)?;
        if let Some((read_at, config)) = self.lock().get(&account)
            && *read_at == stamp
        {
            return Ok(config.clone());
        }
        let config = Arc::new(BotConfig::load(c, account)?);
        self.lock().insert(account, (stamp, config.clone()));
        Ok(config)
    }

    /// [`Self::current`] for a piece of work that may not need it: read at the first
    /// [`Lazy::get`], then kept.
    pub fn lazy(&self, account: AccountId) -> Lazy<'_> {
        Lazy {
            configs: self,
            account,
            read: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Copies> {
        self.copies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// See [`BotConfigs::lazy`]: a message to a ticket already with people needs no bot.
pub struct Lazy<'a> {
    configs: &'a BotConfigs,
    account: AccountId,
    read: Option<Arc<BotConfig>>,
}

impl Lazy<'_> {
    pub fn get(&mut self, c: &mut dyn Conn) -> Result<Arc<BotConfig>, StoreError> {
        if let Some(config) = &self.read {
            return Ok(config.clone());
        }
        let config = self.configs.current(c, self.account)?;
        self.read = Some(config.clone());
        Ok(config)
    }
}
