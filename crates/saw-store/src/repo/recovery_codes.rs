//! Two-factor recovery codes: stored hashed, each usable once.

use chrono::{DateTime, Utc};
use saw_core::ids::UserId;

use crate::conn::Conn;
use crate::{StoreError, params};

pub fn replace(c: &mut dyn Conn, user: UserId, code_hashes: &[String]) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        params![user],
    )?;
    for hash in code_hashes {
        c.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
            params![user, hash],
        )?;
    }
    Ok(())
}

/// Marks the code used; answers false when it is unknown or was used already.
pub fn consume(
    c: &mut dyn Conn,
    user: UserId,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        params![user, code_hash, now],
    )?;
    Ok(changed > 0)
}

pub fn remaining(c: &mut dyn Conn, user: UserId) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        params![user],
    )
}
