//! Embedded migrations, one list per backend, applied in order at start.
//!
//! A migration is never edited once released: each applied one is recorded with a checksum,
//! and a changed file, or a database migrated by a newer SAW, stops the start with a clear
//! message instead of guessing.

use sha2::{Digest, Sha256};

use crate::conn::{Conn, Dialect};
use crate::{StoreError, now, params};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Both backends have the same migrations, by version and name; each its own SQL file,
/// `migrations/{backend}/{version:04}_{name}.sql`.
macro_rules! migrations {
    ($backend:literal: $(($version:literal, $file:literal, $name:literal)),* $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../migrations/", $backend, "/", $file, "_", $name, ".sql")),
        }),*]
    };
}

macro_rules! every_migration {
    ($backend:literal) => {
        migrations!($backend:
            (1, "0001", "initial"),
            (2, "0002", "totp_replay_and_audit_target"),
            (3, "0003", "channel_provider_key"),
            (4, "0004", "inbound"),
            (5, "0005", "outbox"),
            (6, "0006", "idempotency"),
            (7, "0007", "conversations"),
            (8, "0008", "bot"),
            (9, "0009", "idle_csat_drafts"),
            (10, "0010", "inbox"),
            (11, "0011", "reports"),
            (12, "0012", "outbox_due"),
            (13, "0013", "media_due"),
            (14, "0014", "queue_waiting"),
            (15, "0015", "outbox_failed"),
            (16, "0016", "check_without_lists"),
            (17, "0017", "config_stamp"),
            (18, "0018", "tickets_by_contact_channel"),
            (19, "0019", "tally_without_trigger"),
            (20, "0020", "ticket_indexes_by_status"),
            (21, "0021", "outbox_by_due_time"),
        )
    };
}

pub const SQLITE: &[Migration] = every_migration!("sqlite");
pub const POSTGRES: &[Migration] = every_migration!("postgres");

const CREATE_TABLE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
const CREATE_TABLE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)";
/// Several instances may start at once on one PostgreSQL database; one migrates, the others wait.
const POSTGRES_LOCK: &str = "SELECT pg_advisory_xact_lock(7265827)";

/// Applies every pending migration inside the caller's transaction; answers how many ran.
pub fn run(c: &mut dyn Conn, migrations: &[Migration]) -> Result<usize, StoreError> {
    match c.dialect() {
        Dialect::Sqlite => c.execute_batch(CREATE_TABLE_SQLITE)?,
        Dialect::Postgres => {
            c.query_each(POSTGRES_LOCK, &[], &mut |_| Ok(()))?;
            c.execute_batch(CREATE_TABLE_POSTGRES)?;
        }
    }
    let applied = c.query_all(
        "SELECT version, checksum FROM schema_migrations ORDER BY version",
        &[],
        |r| Ok((r.i64(0)?, r.text(1)?)),
    )?;
    let newest_known = migrations.last().map_or(0, |m| m.version);
    if let Some((version, _)) = applied.iter().find(|(v, _)| *v > newest_known) {
        return Err(StoreError::Schema(format!(
            "the database was migrated by a newer SAW (schema version {version}, this binary knows up to {newest_known}); run that version of SAW or newer"
        )));
    }
    let mut ran = 0;
    for migration in migrations {
        let checksum = checksum(migration.sql);
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, recorded)) if *recorded == checksum => continue,
            Some(_) => {
                return Err(StoreError::Schema(format!(
                    "migration {} ({}) differs from the one applied to this database; migrations must never be edited once released",
                    migration.version, migration.name
                )));
            }
            None => {}
        }
        c.execute_batch(migration.sql)?;
        c.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
            params![migration.version, migration.name, &checksum, now()],
        )?;
        ran += 1;
    }
    Ok(ran)
}

/// The current schema version recorded in the database (0 when none).
pub fn current_version(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ordered_and_match_across_backends() {
        for list in [SQLITE, POSTGRES] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1);
            }
        }
        let names = |l: &[Migration]| l.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
    }
}
