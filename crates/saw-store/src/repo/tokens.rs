//! API tokens: shown once at creation, stored as a hash, optionally expiring, revocable.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, ApiTokenId, UserId};
use saw_core::user::User;

use crate::conn::{Conn, Row};
use crate::{StoreError, params};

pub struct NewToken<'a> {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub name: &'a str,
    pub token_hash: &'a str,
    /// The first characters of the token, to recognise it in lists.
    pub token_prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub user_email: String,
    pub name: String,
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "t.id, t.account_id, t.user_id, u.email, t.name, t.token_prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

fn from_row(r: &dyn Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: ApiTokenId::new(r.i64(0)?),
        account_id: AccountId::new(r.i64(1)?),
        user_id: UserId::new(r.i64(2)?),
        user_email: r.text(3)?,
        name: r.text(4)?,
        token_prefix: r.text(5)?,
        created_at: r.time(6)?,
        expires_at: r.opt_time(7)?,
        last_used_at: r.opt_time(8)?,
        revoked_at: r.opt_time(9)?,
    })
}

pub fn insert(
    c: &mut dyn Conn,
    t: &NewToken<'_>,
    now: DateTime<Utc>,
) -> Result<ApiTokenId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO api_tokens (account_id, user_id, name, token_hash, token_prefix, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        params![t.account_id, t.user_id, t.name, t.token_hash, t.token_prefix, now, t.expires_at],
    )
    .map(ApiTokenId::new)
}

/// The token and the user it acts as; whether it is still valid is the caller's to judge.
pub fn find_by_hash(
    c: &mut dyn Conn,
    token_hash: &str,
) -> Result<Option<(ApiToken, User)>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        super::users::columns_of("u")
    );
    c.query_opt(&sql, params![token_hash], |r| {
        Ok((from_row(r)?, super::users::from_row_at(r, 10)?))
    })
}

pub fn list(c: &mut dyn Conn, account: AccountId) -> Result<Vec<ApiToken>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.account_id = $1 ORDER BY t.id"
    );
    c.query_all(&sql, params![account], from_row)
}

pub fn by_id(c: &mut dyn Conn, account: AccountId, id: ApiTokenId) -> Result<ApiToken, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.account_id = $1 AND t.id = $2"
    );
    c.query_one(&sql, params![account, id], from_row)
}

/// Tokens not yet revoked with this name.
pub fn active_by_name(
    c: &mut dyn Conn,
    account: AccountId,
    name: &str,
) -> Result<Vec<ApiToken>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.account_id = $1 AND t.name = $2 AND t.revoked_at IS NULL ORDER BY t.id"
    );
    c.query_all(&sql, params![account, name], from_row)
}

/// Answers false when the token was revoked already.
pub fn revoke(
    c: &mut dyn Conn,
    account: AccountId,
    id: ApiTokenId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE api_tokens SET revoked_at = $3 WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
        params![account, id, now],
    )?;
    Ok(changed > 0)
}

pub fn touch(c: &mut dyn Conn, id: ApiTokenId, now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
        params![id, now],
    )
    .map(drop)
}
