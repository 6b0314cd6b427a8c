//! Server-side sign-in sessions. The cookie carries a random token; only its hash is stored.

use chrono::{DateTime, Utc};
use saw_core::ids::UserId;
use saw_core::user::User;

use crate::conn::Conn;
use crate::{StoreError, params};

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub csrf_token: &'a str,
    /// Password checked, second factor still to come: the session opens nothing else.
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub struct Session {
    pub token_hash: String,
    pub user: User,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn insert(c: &mut dyn Conn, s: &NewSession<'_>) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        params![s.token_hash, s.user_id, s.csrf_token, s.mfa_pending, s.created_at, s.expires_at, s.ip, s.user_agent],
    )
    .map(drop)
}

/// The session and its user, if the token is known; expiry is the caller's to judge.
pub fn find(c: &mut dyn Conn, token_hash: &str) -> Result<Option<Session>, StoreError> {
    let sql = format!(
        "SELECT s.token_hash, s.csrf_token, s.mfa_pending, s.created_at, s.last_seen_at, s.expires_at, {}
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        super::users::columns_of("u")
    );
    c.query_opt(&sql, params![token_hash], |r| {
        Ok(Session {
            token_hash: r.text(0)?,
            csrf_token: r.text(1)?,
            mfa_pending: r.bool(2)?,
            created_at: r.time(3)?,
            last_seen_at: r.time(4)?,
            expires_at: r.time(5)?,
            user: super::users::from_row_at(r, 6)?,
        })
    })
}

pub fn touch(c: &mut dyn Conn, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute(
        "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
        params![token_hash, now],
    )
    .map(drop)
}

pub fn delete(c: &mut dyn Conn, token_hash: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        params![token_hash],
    )
    .map(drop)
}

/// Ends every session of a user (deactivated, new role, new password).
pub fn delete_for_user(c: &mut dyn Conn, user: UserId) -> Result<u64, StoreError> {
    c.execute("DELETE FROM sessions WHERE user_id = $1", params![user])
}

/// Removes sessions past their absolute expiry or idle longer than allowed.
pub fn delete_expired(
    c: &mut dyn Conn,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    c.execute(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        params![now, idle_since],
    )
}
