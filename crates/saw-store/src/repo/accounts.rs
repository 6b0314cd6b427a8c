use chrono::{DateTime, Utc};
use saw_core::account::{Account, AccountSettings, ConversationSettings, Language, TimeZone};
use saw_core::ids::AccountId;

use crate::conn::{Conn, Dialect, Row};
use crate::{StoreError, params};

const COLUMNS: &str =
    "id, name, time_zone, language, greeting, reopen_grace_minutes, sandbox_public, bot_idle_minutes,
     csat_enabled, signature";

fn from_row(r: &dyn Row) -> Result<Account, StoreError> {
    let zone = r.text(2)?;
    let language = r.text(3)?;
    Ok(Account {
        id: AccountId::new(r.i64(0)?),
        name: r.text(1)?,
        time_zone: TimeZone::parse(&zone).map_err(|_| super::corrupt("time zone", &zone))?,
        language: Language::parse(&language).map_err(|_| super::corrupt("language", &language))?,
        conversations: ConversationSettings {
            greeting: r.opt_text(4)?,
            reopen_grace_minutes: r.i64(5)?,
            sandbox_public: r.bool(6)?,
            bot_idle_minutes: r.i64(7)?,
            csat: r.bool(8)?,
            signature: r.bool(9)?,
        },
    })
}

pub fn create(c: &mut dyn Conn, name: &str, now: DateTime<Utc>) -> Result<AccountId, StoreError> {
    let default_zone = TimeZone::default();
    c.insert_returning_id(
        "INSERT INTO accounts (name, time_zone, language, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        params![name, default_zone.name(), Language::default().as_str(), now],
    )
    .map(AccountId::new)
}

/// The installation's account (SAW serves one company per installation today).
pub fn first(c: &mut dyn Conn) -> Result<Option<Account>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY id LIMIT 1");
    c.query_opt(&sql, &[], from_row)
}

pub fn by_id(c: &mut dyn Conn, id: AccountId) -> Result<Account, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    c.query_one(&sql, params![id], from_row)
}

pub fn update_settings(
    c: &mut dyn Conn,
    id: AccountId,
    s: &AccountSettings,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE accounts SET name = $2, time_zone = $3, language = $4 WHERE id = $1",
        params![id, &s.name, s.time_zone.name(), s.language.as_str()],
    )
}

pub fn update_conversations(
    c: &mut dyn Conn,
    id: AccountId,
    s: &ConversationSettings,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE accounts SET greeting = $2, reopen_grace_minutes = $3, sandbox_public = $4,
                bot_idle_minutes = $5, csat_enabled = $6, signature = $7 WHERE id = $1",
        params![
            id,
            s.greeting.as_deref(),
            s.reopen_grace_minutes,
            s.sandbox_public,
            s.bot_idle_minutes,
            s.csat,
            s.signature
        ],
    )
}

/// Serialises writes that check-then-change account-wide rules (the last admin, the one
/// default queue). SQLite's single writer already runs write transactions one at a time;
/// PostgreSQL locks the account row until the transaction ends.
pub fn lock(c: &mut dyn Conn, id: AccountId) -> Result<(), StoreError> {
    match c.dialect() {
        Dialect::Sqlite => Ok(()),
        Dialect::Postgres => c.query_each(
            "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
            params![id],
            &mut |_| Ok(()),
        ),
    }
}
