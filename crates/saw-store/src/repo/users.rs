use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, UserId};
use saw_core::user::{Email, Role, User};

use crate::conn::{Conn, Row};
use crate::{StoreError, params};

const COLUMNS: &str =
    "id, account_id, name, email, role, active, must_change_password, totp_enabled, created_at";

pub(crate) fn from_row_at(r: &dyn Row, at: usize) -> Result<User, StoreError> {
    let email = r.text(at + 3)?;
    let role = r.text(at + 4)?;
    Ok(User {
        id: UserId::new(r.i64(at)?),
        account_id: AccountId::new(r.i64(at + 1)?),
        name: r.text(at + 2)?,
        email: Email::parse(&email).map_err(|_| super::corrupt("e-mail", &email))?,
        role: Role::parse(&role).map_err(|_| super::corrupt("role", &role))?,
        active: r.bool(at + 5)?,
        must_change_password: r.bool(at + 6)?,
        totp_enabled: r.bool(at + 7)?,
        created_at: r.time(at + 8)?,
    })
}

fn from_row(r: &dyn Row) -> Result<User, StoreError> {
    from_row_at(r, 0)
}

/// The columns of a user, prefixed with `alias.`, for joins.
pub(crate) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct NewUser<'a> {
    pub account_id: AccountId,
    pub name: &'a str,
    pub email: &'a Email,
    pub role: Role,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

/// What sign-in checks; kept apart from [`User`] so hashes never travel further than needed.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
}

pub fn insert(c: &mut dyn Conn, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<UserId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO users (account_id, name, email, role, password_hash, must_change_password, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        params![u.account_id, u.name, u.email.as_str(), u.role.as_str(), u.password_hash, u.must_change_password, now],
    )
    .map(UserId::new)
}

pub fn count(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.scalar_i64("SELECT COUNT(*) FROM users", &[])
}

pub fn by_id(c: &mut dyn Conn, account: AccountId, id: UserId) -> Result<User, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE account_id = $1 AND id = $2");
    c.query_one(&sql, params![account, id], from_row)
}

pub fn by_email(c: &mut dyn Conn, account: AccountId, email: &Email) -> Result<User, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE account_id = $1 AND email = $2");
    c.query_one(&sql, params![account, email.as_str()], from_row)
}

/// Sign-in looks a user up by e-mail alone: e-mail addresses are unique across accounts.
pub fn credentials_by_email(
    c: &mut dyn Conn,
    email: &Email,
) -> Result<Option<Credentials>, StoreError> {
    let sql = format!("SELECT {COLUMNS}, password_hash, totp_secret FROM users WHERE email = $1");
    c.query_opt(&sql, params![email.as_str()], credentials_from_row)
}

pub fn credentials(c: &mut dyn Conn, id: UserId) -> Result<Credentials, StoreError> {
    let sql = format!("SELECT {COLUMNS}, password_hash, totp_secret FROM users WHERE id = $1");
    c.query_one(&sql, params![id], credentials_from_row)
}

fn credentials_from_row(r: &dyn Row) -> Result<Credentials, StoreError> {
    Ok(Credentials {
        user: from_row(r)?,
        password_hash: r.text(9)?,
        totp_secret: r.opt_bytes(10)?,
    })
}

pub fn list(c: &mut dyn Conn, account: AccountId) -> Result<Vec<User>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM users WHERE account_id = $1 ORDER BY active DESC, name, id");
    c.query_all(&sql, params![account], from_row)
}

/// The first admin created (who a CLI-made API token acts as by default).
pub fn first_admin(c: &mut dyn Conn, account: AccountId) -> Result<User, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND role = 'admin' AND active = TRUE ORDER BY id LIMIT 1"
    );
    c.query_one(&sql, params![account], from_row)
}

pub fn count_active_admins(c: &mut dyn Conn, account: AccountId) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM users WHERE account_id = $1 AND role = 'admin' AND active = TRUE",
        params![account],
    )
}

pub fn update_profile(
    c: &mut dyn Conn,
    account: AccountId,
    id: UserId,
    name: &str,
    email: &Email,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE users SET name = $3, email = $4, role = $5, updated_at = $6 WHERE account_id = $1 AND id = $2",
        params![account, id, name, email.as_str(), role.as_str(), now],
    )
}

pub fn set_active(
    c: &mut dyn Conn,
    account: AccountId,
    id: UserId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE users SET active = $3, updated_at = $4 WHERE account_id = $1 AND id = $2",
        params![account, id, active, now],
    )
}

pub fn set_password(
    c: &mut dyn Conn,
    id: UserId,
    password_hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1",
        params![id, password_hash, must_change, now],
    )
}

/// Stores the (encrypted) TOTP secret; `enabled` turns two-factor sign-in on or off.
pub fn set_totp(
    c: &mut dyn Conn,
    id: UserId,
    secret: Option<&[u8]>,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = $4 WHERE id = $1",
        params![id, secret, enabled, now],
    )
    .map(drop)
}

/// Records `step` as the last accepted TOTP time step; answers false when that step (or a
/// later one) was used already — a code works once.
pub fn claim_totp_step(c: &mut dyn Conn, id: UserId, step: i64) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        params![id, step],
    )?;
    Ok(changed > 0)
}
