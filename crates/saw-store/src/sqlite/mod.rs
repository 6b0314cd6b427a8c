//! The SQLite backend: one writer thread that group-commits ([`crate::group_commit`]), and a
//! small pool of readers.
//!
//! sqlx-style drivers cross to a worker thread for every statement, which costs more than the
//! commit itself; here a whole write transaction (a closure over [`Conn`]) runs on the writer
//! thread with prepared statements, and the fsync is paid once per batch.

mod driver;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::StoreError;
use crate::conn::Conn;
use crate::group_commit::{Backend, Transaction, Writer};
use driver::SqliteConn;

/// How many reads may run at once (each on its own connection and blocking thread).
const READERS: usize = 4;
/// How long a statement waits for another process's lock (the CLI, a backup) before failing.
const BUSY_TIMEOUT_MS: u32 = 10_000;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Arc<Semaphore>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and starts the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let writer_conn = open_connection(path, false)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_connection(path, true)?);
        }
        let writer = Writer::start("saw-sqlite-writer", WriterConn(writer_conn))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer,
                readers: Mutex::new(readers),
                reader_permits: Arc::new(Semaphore::new(READERS)),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in a write transaction on the writer thread, possibly batched with others.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.inner.writer.write(f).await
    }

    /// [`SqliteStore::write`] for a write that may run more than once
    /// ([`crate::Store::write_replayable`]).
    pub async fn write_replayable<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.inner.writer.write_replayable(f).await
    }

    /// Writes waiting for the writer thread ([`crate::Store::writes_waiting`]).
    pub fn writes_waiting(&self) -> usize {
        self.inner.writer.waiting()
    }

    /// Runs `f` in a read transaction (one consistent snapshot) on a reader connection.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        // The permit travels with the connection into the blocking task, so a caller that
        // gives up waiting cannot free a place while its read still runs.
        let permit = self
            .inner
            .reader_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| E::from(StoreError::Unavailable("the database is closed".into())))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let reader = BorrowedReader::take(inner, permit)?;
            run_read(reader.conn(), f)
        })
        .await
        .map_err(|e| E::from(StoreError::Database(format!("read task failed: {e}"))))?
    }
}

/// A reader connection on loan; it goes back to the pool when dropped, even after a panic,
/// with any transaction left open rolled back.
struct BorrowedReader {
    conn: Option<Connection>,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl BorrowedReader {
    fn take<E: From<StoreError>>(
        inner: Arc<Inner>,
        permit: OwnedSemaphorePermit,
    ) -> Result<Self, E> {
        let conn = inner
            .readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        match conn {
            Some(conn) => Ok(Self {
                conn: Some(conn),
                inner,
                _permit: permit,
            }),
            None => Err(E::from(StoreError::Database(
                "no reader connection free".into(),
            ))),
        }
    }

    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl Drop for BorrowedReader {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            self.inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
    }
}

fn run_read<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
) -> Result<T, E> {
    run_cached(conn, "BEGIN")?;
    let result = f(&mut SqliteConn::new(conn));
    // A read changes nothing, so ending it can only fail if the connection is broken.
    let _ = run_cached(conn, "COMMIT");
    result
}

/// Runs one statement without parameters or rows (`BEGIN`, `SAVEPOINT job`…) from the
/// connection's statement cache: every transaction and every job of a group commit runs
/// them, and parsing them each time is a measurable part of a small write.
fn run_cached(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    SqliteConn::new(conn).execute(sql, &[]).map(drop)
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot open the SQLite database {}: {e}",
            path.display()
        ))
    })?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))
        .map_err(driver::map_error)?;
    if !read_only {
        // WAL lets readers work while the writer commits; FULL makes a commit survive power loss.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(driver::map_error)?;
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(driver::map_error)?;
    // Plans that depend on a bound value (a `LIMIT $n`, for one) mark their statement to be
    // compiled again whenever that value is bound, even to the same value: every run of a
    // cached statement then paid a fresh parse and plan. SAW's queries are written for one
    // plan whatever their values, so the planner is told to keep it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(driver::map_error)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// The writer's connection, as the group commit drives it.
struct WriterConn(Connection);

/// A write transaction on the writer's connection.
struct WriterTx<'c>(&'c Connection);

impl Backend for WriterConn {
    type Tx<'a> = WriterTx<'a>;

    fn begin(&mut self) -> Result<WriterTx<'_>, StoreError> {
        run_cached(&self.0, "BEGIN IMMEDIATE")?;
        Ok(WriterTx(&self.0))
    }
}

impl Transaction for WriterTx<'_> {
    fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        run_cached(self.0, sql)
    }

    fn run(&mut self, write: &mut dyn FnMut(&mut dyn Conn) -> bool) -> bool {
        write(&mut SqliteConn::new(self.0))
    }

    fn lost(&self) -> bool {
        self.0.is_autocommit()
    }

    fn commit(self) -> Result<(), StoreError> {
        let commit = run_cached(self.0, "COMMIT");
        if commit.is_err() {
            self.roll_back();
        }
        commit
    }

    fn roll_back(self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    #[test]
    fn a_cached_statement_keeps_its_plan_when_its_values_are_bound_again() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_connection(&dir.path().join("saw.db"), false).unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT NOT NULL)")
            .unwrap();
        let sql = "SELECT id FROM t WHERE status = 'queued' ORDER BY id LIMIT ?1";
        for limit in [10, 10, 20] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            stmt.query_map([limit], |r| r.get::<_, i64>(0))
                .unwrap()
                .for_each(drop);
            assert_eq!(
                stmt.get_status(StatementStatus::RePrepare),
                0,
                "binding LIMIT {limit} compiled the statement again"
            );
        }
    }
}
