//! Channels: a readable `settings` JSON, `credentials` already sealed by the caller (the
//! store never sees a secret in the clear), and the provider key a webhook is routed by.

use chrono::{DateTime, Utc};
use saw_core::channel::{Channel, ChannelHealth};
use saw_core::conversation::ChannelKind;
use saw_core::ids::{AccountId, ChannelId};

use crate::conn::{Conn, Dialect, Row};
use crate::{StoreError, params};

const COLUMNS: &str = "id, account_id, kind, name, provider_key, active, created_at, updated_at, settings, credentials,
    health_error, health_since";

pub struct NewChannel<'a> {
    pub account_id: AccountId,
    pub kind: ChannelKind,
    pub name: &'a str,
    /// Unique per kind across the installation; `None` for the sandbox.
    pub provider_key: Option<&'a str>,
    /// JSON with nothing secret in it.
    pub settings: &'a str,
    /// The secrets, encrypted; `None` when the channel has none.
    pub credentials: Option<&'a [u8]>,
}

impl<'a> NewChannel<'a> {
    /// A sandbox channel: no provider, no settings, no secrets.
    pub fn sandbox(account_id: AccountId, name: &'a str) -> Self {
        NewChannel {
            account_id,
            kind: ChannelKind::Sandbox,
            name,
            provider_key: None,
            settings: "{}",
            credentials: None,
        }
    }
}

/// A channel as stored: the row, its settings JSON and its sealed credentials.
#[derive(Debug, Clone)]
pub struct StoredChannel {
    pub channel: Channel,
    pub settings: String,
    pub credentials: Option<Vec<u8>>,
}

fn from_row(r: &dyn Row) -> Result<StoredChannel, StoreError> {
    let kind = r.text(2)?;
    Ok(StoredChannel {
        channel: Channel {
            id: ChannelId::new(r.i64(0)?),
            account_id: AccountId::new(r.i64(1)?),
            kind: ChannelKind::parse(&kind).ok_or_else(|| super::corrupt("channel kind", &kind))?,
            name: r.text(3)?,
            provider_key: r.opt_text(4)?,
            active: r.bool(5)?,
            health: r
                .opt_text(10)?
                .zip(r.opt_time(11)?)
                .map(|(reason, since)| ChannelHealth { reason, since }),
            created_at: r.time(6)?,
            updated_at: r.time(7)?,
        },
        settings: r.text(8)?,
        credentials: r.opt_bytes(9)?,
    })
}

/// [`StoreError::Conflict`] on `channels(kind, provider_key)` when the number or bot is
/// connected already (deactivated channels included).
pub fn insert(
    c: &mut dyn Conn,
    ch: &NewChannel<'_>,
    now: DateTime<Utc>,
) -> Result<ChannelId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO channels (account_id, kind, name, provider_key, settings, credentials, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) RETURNING id",
        params![ch.account_id, ch.kind.as_str(), ch.name, ch.provider_key, ch.settings, ch.credentials, now],
    )
    .map(ChannelId::new)
}

pub fn list(c: &mut dyn Conn, account: AccountId) -> Result<Vec<StoredChannel>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE account_id = $1 ORDER BY id");
    c.query_all(&sql, params![account], from_row)
}

pub fn by_id(
    c: &mut dyn Conn,
    account: AccountId,
    id: ChannelId,
) -> Result<StoredChannel, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE account_id = $1 AND id = $2");
    c.query_one(&sql, params![account, id], from_row)
}

/// Every active channel, across accounts.
pub fn active(c: &mut dyn Conn) -> Result<Vec<StoredChannel>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE active = TRUE ORDER BY id");
    c.query_all(&sql, params![], from_row)
}

/// The channel a webhook names by its provider key. Not scoped by account: the webhook
/// carries no account, and the key is unique across the installation.
pub fn by_provider_key(
    c: &mut dyn Conn,
    kind: ChannelKind,
    key: &str,
) -> Result<Option<StoredChannel>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE kind = $1 AND provider_key = $2");
    c.query_opt(&sql, params![kind.as_str(), key], from_row)
}

/// Deletes a channel; [`StoreError::Referenced`] while tickets or messages point at it.
pub fn delete(c: &mut dyn Conn, account: AccountId, id: ChannelId) -> Result<(), StoreError> {
    c.execute_one(
        "DELETE FROM channels WHERE account_id = $1 AND id = $2",
        params![account, id],
    )
}

/// New name, settings and sealed credentials (the provider key never changes).
pub fn update_config(
    c: &mut dyn Conn,
    account: AccountId,
    id: ChannelId,
    name: &str,
    settings: &str,
    credentials: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE channels SET name = $3, settings = $4, credentials = $5, updated_at = $6
         WHERE account_id = $1 AND id = $2",
        params![account, id, name, settings, credentials, now],
    )
}

pub fn set_active(
    c: &mut dyn Conn,
    account: AccountId,
    id: ChannelId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE channels SET active = $3, updated_at = $4 WHERE account_id = $1 AND id = $2",
        params![account, id, active, now],
    )
}

/// True while any ticket or message points at the channel (it cannot be deleted then).
pub fn is_referenced(c: &mut dyn Conn, id: ChannelId) -> Result<bool, StoreError> {
    let n = c.scalar_i64(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM tickets WHERE channel_id = $1)
                       OR EXISTS (SELECT 1 FROM messages WHERE channel_id = $1)
                THEN 1 ELSE 0 END",
        params![id],
    )?;
    Ok(n != 0)
}

/// Holds the channel row until the transaction ends, so no ticket starts pointing at it
/// between [`is_referenced`] and [`delete`]. SQLite's single writer already runs write
/// transactions one at a time; PostgreSQL locks the row (a new ticket's foreign-key check
/// waits for it).
pub fn lock(c: &mut dyn Conn, account: AccountId, id: ChannelId) -> Result<(), StoreError> {
    match c.dialect() {
        Dialect::Sqlite => Ok(()),
        Dialect::Postgres => c.query_each(
            "SELECT id FROM channels WHERE account_id = $1 AND id = $2 FOR UPDATE",
            params![account, id],
            &mut |_| Ok(()),
        ),
    }
}

/// How long an unhealthy channel waits before one probe send is let through.
pub const HEALTH_PROBE_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// Marks the channel unhealthy (keeping the first `since`); its outbox is held until
/// [`mark_healthy`] or the next probe. Answers whether it was healthy before.
pub fn mark_unhealthy(
    c: &mut dyn Conn,
    id: ChannelId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let was_healthy = c
        .query_opt(
            "SELECT health_error FROM channels WHERE id = $1",
            params![id],
            |r| r.opt_text(0),
        )?
        .flatten()
        .is_none();
    c.execute(
        "UPDATE channels SET health_error = $2, health_since = COALESCE(health_since, $3),
                health_retry_at = $4 WHERE id = $1",
        params![id, reason, now, now + HEALTH_PROBE_EVERY],
    )?;
    Ok(was_healthy)
}

/// Clears the channel's health error and failure count; answers whether it was unhealthy.
/// Writes nothing when there is nothing to clear (it runs after every successful send).
pub fn mark_healthy(c: &mut dyn Conn, id: ChannelId) -> Result<bool, StoreError> {
    let state = c.query_opt(
        "SELECT health_error IS NOT NULL, consecutive_failures FROM channels WHERE id = $1",
        params![id],
        |r| Ok((r.bool(0)?, r.i64(1)?)),
    )?;
    let Some((unhealthy, failures)) = state else {
        return Ok(false);
    };
    if unhealthy || failures != 0 {
        c.execute(
            "UPDATE channels SET health_error = NULL, health_since = NULL, health_retry_at = NULL,
                    consecutive_failures = 0 WHERE id = $1",
            params![id],
        )?;
    }
    Ok(unhealthy)
}

/// Counts one more failed send in a row; answers the new count.
pub fn count_failure(c: &mut dyn Conn, id: ChannelId) -> Result<i64, StoreError> {
    c.execute(
        "UPDATE channels SET consecutive_failures = consecutive_failures + 1 WHERE id = $1",
        params![id],
    )?;
    c.scalar_i64(
        "SELECT consecutive_failures FROM channels WHERE id = $1",
        params![id],
    )
}

/// The unhealthy channels of an account (for the admins' banner).
pub fn unhealthy(c: &mut dyn Conn, account: AccountId) -> Result<Vec<StoredChannel>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels WHERE account_id = $1 AND health_error IS NOT NULL AND active = TRUE ORDER BY id"
    );
    c.query_all(&sql, params![account], from_row)
}
