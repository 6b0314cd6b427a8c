//! Group commit, shared by both backends: one writer thread drains the writes waiting for
//! it into ONE transaction — each in its own savepoint, so one failing write does not undo
//! the others — and answers every caller only after the shared commit. A commit costs a
//! disk flush (SQLite) or a round trip and a WAL flush (PostgreSQL); under load many
//! webhooks share one.
//!
//! A backend supplies [`Backend`]: how to begin a transaction on its one writing connection,
//! and how that transaction runs statements, a write, and commits.

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::conn::Conn;

/// How many queued writes one transaction may take in.
const MAX_BATCH: usize = 512;

/// Tells a caller how its write ended once the batch's commit is known.
pub(crate) type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A write transaction waiting for the writer. It is handed the connection, or the reason the
/// transaction could not start, and answers whether it succeeded and how to tell its caller.
pub(crate) type Job =
    Box<dyn FnOnce(Result<&mut dyn Conn, &StoreError>) -> (bool, Completion) + Send>;

/// The writing connection of a backend.
pub(crate) trait Backend: Send + 'static {
    type Tx<'a>: Transaction
    where
        Self: 'a;

    /// Begins a write transaction (taking the database's write lock where it has one).
    fn begin(&mut self) -> Result<Self::Tx<'_>, StoreError>;
}

/// An open write transaction.
pub(crate) trait Transaction {
    /// Runs one statement that returns nothing (`SAVEPOINT job`, …).
    fn execute(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Hands the transaction to a job.
    fn run(&mut self, job: Job) -> (bool, Completion);
    /// True when the database rolled the whole transaction back on its own (SQLite after a
    /// full disk or an I/O error): nothing more may run in it.
    fn lost(&self) -> bool;
    /// Commits; on failure the transaction is rolled back.
    fn commit(self) -> Result<(), StoreError>;
}

/// The queue in front of the writer thread.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread over `backend`.
    pub(crate) fn start(name: &str, backend: impl Backend) -> Result<Self, StoreError> {
        let (jobs, queued) = mpsc::channel::<Job>(4 * MAX_BATCH);
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || writer_loop(backend, queued))
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { jobs })
    }

    /// Runs `f` in a write transaction on the writer thread, possibly batched with others.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
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
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn writer_loop(mut backend: impl Backend, mut queued: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queued.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queued.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut backend, batch.drain(..));
    }
    tracing::debug!("database writer stopped");
}

fn commit_batch(backend: &mut impl Backend, mut batch: impl Iterator<Item = Job>) {
    let mut tx = match backend.begin() {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, "cannot begin a write transaction");
            refuse_all(batch, &error);
            return;
        }
    };
    let mut completions: Vec<(bool, Completion)> = Vec::new();
    while let Some(job) = batch.next() {
        completions.push(run_in_savepoint(&mut tx, job));
        if tx.lost() {
            // Nothing of this batch is stored, and the rest must not run outside it.
            let error = StoreError::Database(
                "the write transaction was rolled back by the database (disk full or I/O error?)"
                    .into(),
            );
            tracing::error!(%error, "write batch lost");
            for (_, complete) in completions {
                complete(Err(error.clone()));
            }
            refuse_all(batch, &error);
            return;
        }
    }
    let commit = tx.commit();
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

/// Undoes what the job wrote, and only that.
fn roll_back_job(tx: &mut impl Transaction) {
    let _ = tx.execute("ROLLBACK TO SAVEPOINT job");
    let _ = tx.execute("RELEASE SAVEPOINT job");
}

fn run_in_savepoint(tx: &mut impl Transaction, job: Job) -> (bool, Completion) {
    if let Err(e) = tx.execute("SAVEPOINT job") {
        return job(Err(&e));
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.run(job)));
    match outcome {
        Ok((true, complete)) => {
            let _ = tx.execute("RELEASE SAVEPOINT job");
            (true, complete)
        }
        Ok((false, complete)) => {
            roll_back_job(tx);
            (false, complete)
        }
        Err(_) => {
            // The closure panicked and its answer channel was dropped with it: the caller sees
            // the writer as stopped for that one call; everything else carries on.
            tracing::error!("a write transaction panicked and was rolled back");
            roll_back_job(tx);
            (false, Box::new(|_| {}))
        }
    }
}
