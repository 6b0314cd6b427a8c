//! The SQLite backend: one writer thread that group-commits, and a small pool of readers.
//!
//! sqlx-style drivers cross to a worker thread for every statement, which costs more than the
//! commit itself; here a whole write transaction (a closure over [`Conn`]) runs on the writer
//! thread with prepared statements. Concurrent writes are drained into one transaction — each
//! in its own savepoint, so one failing write does not undo the others — and every caller is
//! answered only after the shared commit, which pays the fsync once per batch.

mod driver;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::StoreError;
use crate::conn::Conn;
use driver::SqliteConn;

/// How many queued writes one transaction may take in.
const MAX_BATCH: usize = 512;
/// How many reads may run at once (each on its own connection and blocking thread).
const READERS: usize = 4;
/// How long a statement waits for another process's lock (the CLI, a backup) before failing.
const BUSY_TIMEOUT_MS: u32 = 10_000;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A write transaction waiting for the writer. It is handed the connection, or the reason the
/// transaction could not start, and answers whether it succeeded and how to tell its caller.
type Job = Box<dyn FnOnce(Result<&mut dyn Conn, &StoreError>) -> (bool, Completion) + Send>;

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Job>,
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
        let (tx, rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        std::thread::Builder::new()
            .name("saw-sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: tx,
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
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| match conn.map(f) {
            Err(cannot_start) => {
                let error = E::from(StoreError::Unavailable(cannot_start.to_string()));
                (false, Box::new(move |_| drop(answer.send(Err(error)))))
            }
            Ok(Ok(value)) => (
                true,
                Box::new(move |commit: Result<(), StoreError>| {
                    let _ = answer.send(commit.map(|()| value).map_err(E::from));
                }),
            ),
            Ok(Err(error)) => (false, Box::new(move |_| drop(answer.send(Err(error))))),
        });
        let stopped = || {
            E::from(StoreError::Unavailable(
                "the database writer has stopped".into(),
            ))
        };
        self.inner.writer.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
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
    conn.execute_batch("BEGIN")
        .map_err(|e| E::from(driver::map_error(e)))?;
    let result = f(&mut SqliteConn::new(conn));
    // A read changes nothing, so ending it can only fail if the connection is broken.
    let _ = conn.execute_batch("COMMIT");
    result
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
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

fn writer_loop(conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, batch.drain(..));
    }
    tracing::debug!("SQLite writer stopped");
}

fn commit_batch(conn: &Connection, batch: impl Iterator<Item = Job>) {
    let mut batch = batch;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let error = driver::map_error(e);
        tracing::error!(%error, "cannot begin a write transaction");
        refuse_all(batch, &error);
        return;
    }
    let mut completions: Vec<(bool, Completion)> = Vec::new();
    while let Some(job) = batch.next() {
        completions.push(run_in_savepoint(conn, job));
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back on its own (disk full, I/O error):
            // nothing of this batch is stored, and the rest must not run outside it.
            let error = StoreError::Database(
                "the write transaction was rolled back by SQLite (disk full or I/O error?)".into(),
            );
            tracing::error!(%error, "write batch lost");
            for (_, complete) in completions {
                complete(Err(error.clone()));
            }
            refuse_all(batch, &error);
            return;
        }
    }
    let commit = conn.execute_batch("COMMIT").map_err(driver::map_error);
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for (succeeded, complete) in completions {
        match (&commit, succeeded) {
            (Err(e), true) => complete(Err(e.clone())),
            _ => complete(Ok(())),
        }
    }
}

/// Answers every job with `error` without running it.
fn refuse_all(jobs: impl Iterator<Item = Job>, error: &StoreError) {
    for job in jobs {
        let (_, complete) = job(Err(error));
        complete(Ok(()));
    }
}

fn run_in_savepoint(conn: &Connection, job: Job) -> (bool, Completion) {
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        return job(Err(&driver::map_error(e)));
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        job(Ok(&mut SqliteConn::new(conn)))
    }));
    match outcome {
        Ok((true, complete)) => {
            let _ = conn.execute_batch("RELEASE job");
            (true, complete)
        }
        Ok((false, complete)) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            (false, complete)
        }
        Err(_) => {
            // The closure panicked and its answer channel was dropped with it: the caller sees
            // the writer as stopped for that one call; everything else carries on.
            tracing::error!("a write transaction panicked and was rolled back");
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            (false, Box::new(|_| {}))
        }
    }
}
