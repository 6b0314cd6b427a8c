//! The audit log: who did what, when, from where.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, AuditEntryId, UserId};

use crate::conn::Conn;
use crate::{StoreError, params};

/// One administrative action or security event about to be recorded.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub account_id: Option<AccountId>,
    pub actor_user_id: Option<UserId>,
    /// Who acted, readable on its own: a user's e-mail, or "cli", or "system".
    pub actor: String,
    /// A stable verb such as `user.created`, `sign_in.failed`.
    pub action: String,
    /// What it acted on (an e-mail, a queue's name, a token's name).
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: AuditEntryId,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn record(c: &mut dyn Conn, e: &NewEntry, now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_log (account_id, actor_user_id, actor, action, target, detail, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![e.account_id, e.actor_user_id, &e.actor, &e.action, e.target.as_deref(), e.detail.as_deref(), e.ip.as_deref(), now],
    )
    .map(drop)
}

/// The newest entries of the account (and those tied to no account, such as failed sign-ins
/// with an unknown e-mail).
pub fn recent(c: &mut dyn Conn, account: AccountId, limit: i64) -> Result<Vec<Entry>, StoreError> {
    c.query_all(
        "SELECT id, actor, action, target, detail, ip, created_at FROM audit_log
         WHERE account_id = $1 OR account_id IS NULL ORDER BY id DESC LIMIT $2",
        params![account, limit],
        |r| {
            Ok(Entry {
                id: AuditEntryId::new(r.i64(0)?),
                actor: r.text(1)?,
                action: r.text(2)?,
                target: r.opt_text(3)?,
                detail: r.opt_text(4)?,
                ip: r.opt_text(5)?,
                created_at: r.time(6)?,
            })
        },
    )
}

/// How many times `action` was recorded from `ip` since `since` (sign-in throttling).
pub fn count_from_ip_since(
    c: &mut dyn Conn,
    action: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND ip = $2 AND created_at > $3",
        params![action, ip, since],
    )
}

/// How many times `action` was recorded about `target` since `since` (second-factor throttling).
pub fn count_for_target_since(
    c: &mut dyn Conn,
    action: &str,
    target: &str,
    since: DateTime<Utc>,
) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND target = $2 AND created_at > $3",
        params![action, target, since],
    )
}

/// The time of the `nth` (0 = oldest) matching entry since `since`: when the lockout that
/// the entries after it cause will end.
pub fn nth_from_ip_since(
    c: &mut dyn Conn,
    action: &str,
    ip: &str,
    since: DateTime<Utc>,
    nth: i64,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    c.query_opt(
        "SELECT created_at FROM audit_log WHERE action = $1 AND ip = $2 AND created_at > $3
         ORDER BY created_at, id LIMIT 1 OFFSET $4",
        params![action, ip, since, nth],
        |r| r.time(0),
    )
}
