//! Instance-wide key/value facts.

use crate::conn::Conn;
use crate::{StoreError, params};

pub fn get(c: &mut dyn Conn, key: &str) -> Result<Option<String>, StoreError> {
    c.query_opt(
        "SELECT value FROM settings WHERE key = $1",
        params![key],
        |r| r.text(0),
    )
}

pub fn put(c: &mut dyn Conn, key: &str, value: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(drop)
}
