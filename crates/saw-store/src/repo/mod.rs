//! Every query SAW makes, written once for both backends. Each function takes the
//! transaction's [`crate::Conn`]; callers compose several into one `Store::read`/`write`.
//! Every query that touches an account's data names the account.

pub mod accounts;
pub mod audit;
pub mod bot;
pub mod channels;
pub mod contacts;
pub mod csat;
pub mod distribution;
pub mod hours;
pub mod inbox;
pub mod media;
pub mod messages;
pub mod ops;
pub mod outbox;
pub mod push;
pub mod queues;
pub mod quick_replies;
pub mod recovery_codes;
pub mod reports;
pub mod sessions;
pub mod settings;
pub mod tags;
pub mod tallies;
pub mod team;
pub mod templates;
pub mod tickets;
pub mod tokens;
pub mod users;

use crate::StoreError;
use crate::conn::Dialect;

/// How a lease's subquery reads the rows it may take and locks the ones it takes: `index` is
/// a partial index of those rows in id order. SQLite is told to walk it (its planner would
/// read every candidate and sort them); PostgreSQL skips rows another instance holds.
/// Answers (what follows `FROM table alias`, what ends the subquery).
pub(crate) fn lease_walk(dialect: Dialect, index: &str) -> (String, &'static str) {
    match dialect {
        Dialect::Postgres => (String::new(), "FOR UPDATE SKIP LOCKED"),
        Dialect::Sqlite => (format!("INDEXED BY {index}"), ""),
    }
}

/// Lower-cased form used for case-insensitive unique names (queues, tags).
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(format!("unexpected {what} '{value}' in the database"))
}
