//! The chatbot's storage: flows (YAML), the bot's state on a ticket, what it did.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, ChannelId, TicketId};

use crate::conn::Conn;
use crate::{StoreError, params};

/// The flow that answers on `channel`: its own, else the account's default; as (name, YAML).
pub fn flow_for(
    c: &mut dyn Conn,
    account: AccountId,
    channel: ChannelId,
) -> Result<Option<(String, String)>, StoreError> {
    c.query_opt(
        "SELECT name, yaml FROM flows WHERE account_id = $1 AND (channel_id = $2 OR channel_id IS NULL)
         ORDER BY CASE WHEN channel_id IS NULL THEN 1 ELSE 0 END, id LIMIT 1",
        params![account, channel],
        |r| Ok((r.text(0)?, r.text(1)?)),
    )
}

/// Every flow of the account, as (channel, name, YAML), oldest first; channel `None` is the
/// default one.
pub fn flows(
    c: &mut dyn Conn,
    account: AccountId,
) -> Result<Vec<(Option<ChannelId>, String, String)>, StoreError> {
    c.query_all(
        "SELECT channel_id, name, yaml FROM flows WHERE account_id = $1 ORDER BY id",
        params![account],
        |r| Ok((r.opt_i64(0)?.map(ChannelId::new), r.text(1)?, r.text(2)?)),
    )
}

/// A number that changes with every change to what the bot reads at every turn: accounts,
/// queues' names, business hours, flows (kept by triggers; random, so it never comes back).
pub fn config_stamp(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.scalar_i64("SELECT stamp FROM config_stamp WHERE id = 1", &[])
}

/// The account's default flow, as (name, YAML).
pub fn default_flow(
    c: &mut dyn Conn,
    account: AccountId,
) -> Result<Option<(String, String)>, StoreError> {
    c.query_opt(
        "SELECT name, yaml FROM flows WHERE account_id = $1 AND channel_id IS NULL ORDER BY id LIMIT 1",
        params![account],
        |r| Ok((r.text(0)?, r.text(1)?)),
    )
}

/// Whether the account has a default flow (one for every channel without its own).
pub fn has_default_flow(c: &mut dyn Conn, account: AccountId) -> Result<bool, StoreError> {
    Ok(c.scalar_i64(
        "SELECT COUNT(*) FROM flows WHERE account_id = $1 AND channel_id IS NULL",
        params![account],
    )? > 0)
}

/// Stores a flow for `channel` (`None`: the account's default), replacing the one there.
pub fn put_flow(
    c: &mut dyn Conn,
    account: AccountId,
    channel: Option<ChannelId>,
    name: &str,
    yaml: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match channel {
        Some(ch) => c.execute(
            "DELETE FROM flows WHERE account_id = $1 AND channel_id = $2",
            params![account, ch],
        )?,
        None => c.execute(
            "DELETE FROM flows WHERE account_id = $1 AND channel_id IS NULL",
            params![account],
        )?,
    };
    c.execute(
        "INSERT INTO flows (account_id, channel_id, name, yaml, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        params![account, channel, name, yaml, now],
    )
    .map(drop)
}

/// The channels that have a flow of their own.
pub fn channels_with_own_flow(
    c: &mut dyn Conn,
    account: AccountId,
) -> Result<Vec<ChannelId>, StoreError> {
    c.query_all(
        "SELECT DISTINCT channel_id FROM flows WHERE account_id = $1 AND channel_id IS NOT NULL",
        params![account],
        |r| Ok(ChannelId::new(r.i64(0)?)),
    )
}

/// Drops a channel's own flow, so the account's default answers there; `false` when it had
/// none.
pub fn remove_channel_flow(
    c: &mut dyn Conn,
    account: AccountId,
    channel: ChannelId,
) -> Result<bool, StoreError> {
    let removed = c.execute(
        "DELETE FROM flows WHERE account_id = $1 AND channel_id = $2",
        params![account, channel],
    )?;
    Ok(removed > 0)
}

/// The draft being edited for `channel` (`None`: the account's default), as YAML.
pub fn draft(
    c: &mut dyn Conn,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    c.query_opt(
        "SELECT yaml, updated_at FROM flow_drafts WHERE account_id = $1
           AND ((CAST($2 AS BIGINT) IS NULL AND channel_id IS NULL) OR channel_id = $2)
         ORDER BY id DESC LIMIT 1",
        params![account, channel],
        |r| Ok((r.text(0)?, r.time(1)?)),
    )
}

/// The draft to try on `channel`: its own, else the default's.
pub fn draft_for(
    c: &mut dyn Conn,
    account: AccountId,
    channel: ChannelId,
) -> Result<Option<String>, StoreError> {
    c.query_opt(
        "SELECT yaml FROM flow_drafts WHERE account_id = $1 AND (channel_id = $2 OR channel_id IS NULL)
         ORDER BY CASE WHEN channel_id IS NULL THEN 1 ELSE 0 END, id DESC LIMIT 1",
        params![account, channel],
        |r| r.text(0),
    )
}

/// Whether any draft waits to be tried or published.
pub fn has_draft(c: &mut dyn Conn, account: AccountId) -> Result<bool, StoreError> {
    Ok(c.scalar_i64(
        "SELECT COUNT(*) FROM flow_drafts WHERE account_id = $1",
        params![account],
    )? > 0)
}

/// Keeps `yaml` as the draft of `channel` (`None`: the account's default), replacing it.
pub fn put_draft(
    c: &mut dyn Conn,
    account: AccountId,
    channel: Option<ChannelId>,
    yaml: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    discard_draft(c, account, channel)?;
    c.execute(
        "INSERT INTO flow_drafts (account_id, channel_id, yaml, updated_at) VALUES ($1, $2, $3, $4)",
        params![account, channel, yaml, now],
    )
    .map(drop)
}

/// Drops the draft of `channel` (`None`: the account's default); `false` when none.
pub fn discard_draft(
    c: &mut dyn Conn,
    account: AccountId,
    channel: Option<ChannelId>,
) -> Result<bool, StoreError> {
    let removed = c.execute(
        "DELETE FROM flow_drafts WHERE account_id = $1
           AND ((CAST($2 AS BIGINT) IS NULL AND channel_id IS NULL) OR channel_id = $2)",
        params![account, channel],
    )?;
    Ok(removed > 0)
}

/// Marks a new sandbox ticket as trying the draft flow.
pub fn mark_trial(c: &mut dyn Conn, ticket: TicketId) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE tickets SET bot_trial = TRUE WHERE id = $1",
        params![ticket],
    )
}

/// What the bot reads of a ticket and its contact at every turn, in one read.
pub struct TicketForBot {
    pub protocol: String,
    /// A sandbox ticket trying the draft flow.
    pub trial: bool,
    /// Where the bot is in the flow (JSON), if anywhere.
    pub state: Option<String>,
    pub contact_name: Option<String>,
    /// The fields the bot collected from the contact (JSON object).
    pub contact_fields: String,
}

pub fn ticket_for_bot(c: &mut dyn Conn, ticket: TicketId) -> Result<TicketForBot, StoreError> {
    c.query_one(
        "SELECT t.protocol, t.bot_trial, t.bot_state, k.name, k.fields
         FROM tickets t JOIN contacts k ON k.id = t.contact_id WHERE t.id = $1",
        params![ticket],
        |r| {
            Ok(TicketForBot {
                protocol: r.text(0)?,
                trial: r.bool(1)?,
                state: r.opt_text(2)?,
                contact_name: r.opt_text(3)?,
                contact_fields: r.text(4)?,
            })
        },
    )
}

pub fn is_trial(c: &mut dyn Conn, ticket: TicketId) -> Result<bool, StoreError> {
    c.query_one(
        "SELECT bot_trial FROM tickets WHERE id = $1",
        params![ticket],
        |r| r.bool(0),
    )
}

pub fn set_state(
    c: &mut dyn Conn,
    ticket: TicketId,
    state: Option<&str>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE tickets SET bot_state = $2 WHERE id = $1",
        params![ticket, state],
    )
}

/// One thing the bot did (`kind`: option_chosen, auto_reply, field_collected, miss; `detail`
/// its JSON), for the metrics.
pub fn record(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    kind: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO bot_records (account_id, ticket_id, kind, detail, at) VALUES ($1, $2, $3, $4, $5)",
        params![account, ticket, kind, detail, at],
    )
    .map(drop)
}
