//! [`Store`]: the backend picked once from the database URL.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SubsecRound, Utc};

use crate::StoreError;
use crate::conn::Conn;
use crate::migrate;
use crate::postgres::PostgresStore;
use crate::sqlite::SqliteStore;

/// Where the data lives, parsed from `SAW_DATABASE_URL` (or the data dir's SQLite file).
/// An unknown scheme is an error, never a silent empty SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("the SQLite URL names no file: use sqlite://path/to/saw.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = raw.split_once(':').map_or(raw, |(s, _)| s);
        Err(format!(
            "unsupported database URL scheme '{scheme}': use postgres://user@host/db or sqlite://path/to/saw.db"
        ))
    }

    /// The URL without its password, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').map_or((rest, ""), |(a, t)| (a, t));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let masked = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        user.to_owned()
    };
    let slash = if rest.contains('/') { "/" } else { "" };
    let tail = tail.split_once('?').map_or(tail, |(t, _)| t);
    format!("{scheme}://{masked}@{host}{slash}{tail}")
}

/// The one store interface: run a read or a write transaction made of [`crate::repo`] calls.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// Opens the database, creating the SQLite file if needed, and applies pending migrations.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, StoreError> {
        let store = Self::connect(url).await?;
        let applied = store.migrate().await?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(store)
    }

    /// Opens the database without touching its schema.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.clone();
                let opened = tokio::task::spawn_blocking(move || SqliteStore::open(&path));
                Ok(Store::Sqlite(join(opened.await)??))
            }
            DatabaseUrl::Postgres(url) => {
                let url = url.clone();
                let connected = tokio::task::spawn_blocking(move || PostgresStore::connect(&url));
                Ok(Store::Postgres(join(connected.await)??))
            }
        }
    }

    /// Applies the migrations this binary has and the database lacks; answers how many.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let migrations = match self {
            Store::Sqlite(_) => migrate::SQLITE,
            Store::Postgres(_) => migrate::POSTGRES,
        };
        self.write(move |c| migrate::run(c, migrations)).await
    }

    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        match self {
            Store::Sqlite(s) => s.write(f).await,
            Store::Postgres(s) => s.write(f).await,
        }
    }

    /// [`Store::write`] for the busiest writes (webhooks, the outbox): `f` may run more than
    /// once, because a later write of its batch failed and the batch's replayable writes were
    /// rolled back and run again, each on the database as it first found it. So `f` must
    /// change nothing outside the transaction (what it returns is the last run's). In
    /// exchange such writes share one savepoint instead of paying for one each.
    pub async fn write_replayable<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        match self {
            Store::Sqlite(s) => s.write_replayable(f).await,
            Store::Postgres(s) => s.write_replayable(f).await,
        }
    }

    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        match self {
            Store::Sqlite(s) => s.read(f).await,
            Store::Postgres(s) => s.read(f).await,
        }
    }

    /// How many writes are queued for the writer thread or running on it: how far behind
    /// the writes are, for work that can wait (the outbox) to stand aside.
    pub fn writes_waiting(&self) -> usize {
        match self {
            Store::Sqlite(s) => s.writes_waiting(),
            Store::Postgres(s) => s.writes_waiting(),
        }
    }

    /// Waits until every write queued before this call is committed (at shutdown).
    pub async fn flush(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.write(|_| Ok::<_, StoreError>(())).await,
            Store::Postgres(_) => Ok(()),
        }
    }

    /// Answers whether the database serves queries (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.scalar_i64("SELECT 1", &[]).map(drop)).await
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Store::Sqlite(s) => Some(s.path()),
            Store::Postgres(_) => None,
        }
    }
}

fn join<T>(r: Result<T, tokio::task::JoinError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Database(format!("database task failed: {e}")))
}

/// The current time at the precision every backend keeps (milliseconds), so a value read
/// back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_a_backend_or_say_why_not() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/saw.db"),
            Ok(DatabaseUrl::Sqlite("data/saw.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        let err = DatabaseUrl::parse("mysql://root@localhost/saw").unwrap_err();
        assert!(err.contains("'mysql'"), "{err}");
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://saw:s3cret@db.internal:5432/saw?sslmode=require")
            .unwrap();
        let shown = url.redacted();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(shown, "postgres://saw:***@db.internal:5432/saw");
        assert_eq!(
            DatabaseUrl::parse("postgres://h/db").unwrap().redacted(),
            "postgres://h/db"
        );
    }
}
