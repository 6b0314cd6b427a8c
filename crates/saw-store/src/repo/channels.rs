//! Channels: a readable `settings` JSON, `credentials` already sealed by the caller (the
//! store never sees a secret in the clear), and the provider key a webhook is routed by.

use chrono::{DateTime, Utc};
use saw_core::channel::Channel;
use saw_core::conversation::ChannelKind;
use saw_core::ids::{AccountId, ChannelId};

use crate::conn::{Conn, Dialect, Row};
use crate::{StoreError, params};

const COLUMNS: &str = "id, account_id, kind, name, provider_key, active, created_at, updated_at, settings, credentials";

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

/// Every active channel of one kind, across accounts (webhooks carry no account).
pub fn active_of_kind(
    c: &mut dyn Conn,
    kind: ChannelKind,
) -> Result<Vec<StoredChannel>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM channels WHERE kind = $1 AND active = TRUE ORDER BY id");
    c.query_all(&sql, params![kind.as_str()], from_row)
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
