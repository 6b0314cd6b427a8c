//! Group commit, shared by both backends: one writer thread drains the writes waiting for
//! it into ONE transaction, and answers every caller only after the shared commit. A commit
//! costs a disk flush (SQLite) or a round trip and a WAL flush (PostgreSQL); under load many
//! webhooks share one.
//!
//! One failing write must not undo the others. A write that runs once has its own
//! savepoint. Replayable writes ([`Writer::write_replayable`], the hot paths) that follow
//! each other share one: when one of them fails, the run is rolled back and the others run
//! again. A savepoint is not free (SQLite copies every page a write touches first into its
//! journal, PostgreSQL pays a round trip), and failures are rare.
//!
//! A backend supplies [`Backend`]: how to begin a transaction on its one writing connection,
//! and how that transaction runs statements, a write, and commits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::conn::Conn;

/// How many queued writes one transaction may take in.
const MAX_BATCH: usize = 512;

/// A write transaction waiting for the writer, with its caller's answer.
pub(crate) trait Job: Send {
    /// Whether it may run again after being rolled back.
    fn replayable(&self) -> bool;
    /// Runs the write; answers whether it succeeded. The result is kept for [`Job::finish`].
    fn run(&mut self, conn: &mut dyn Conn) -> bool;
    /// Fails the write without running it (again).
    fn refuse(&mut self, error: StoreError);
    /// Answers the caller once the commit is known: the write's own error if it failed,
    /// the commit's if the write succeeded and the commit did not.
    fn finish(self: Box<Self>, commit: Result<(), &StoreError>);
}

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
    /// Hands the transaction to a write; answers whether it succeeded.
    fn run(&mut self, write: &mut dyn FnMut(&mut dyn Conn) -> bool) -> bool;
    /// True when the database rolled the whole transaction back on its own (SQLite after a
    /// full disk or an I/O error): nothing more may run in it.
    fn lost(&self) -> bool;
    /// Commits; on failure the transaction is rolled back.
    fn commit(self) -> Result<(), StoreError>;
    /// Rolls everything back (if the database has not already).
    fn roll_back(self);
}

/// The queue in front of the writer thread.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// Writes queued or running: each job holds one [`Backlog`] until the writer is done with it.
    backlog: Arc<AtomicUsize>,
}

impl Writer {
    /// Starts the writer thread over `backend`.
    pub(crate) fn start(name: &str, backend: impl Backend) -> Result<Self, StoreError> {
        let (jobs, queued) = mpsc::channel::<Box<dyn Job>>(4 * MAX_BATCH);
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || writer_loop(backend, queued))
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            jobs,
            backlog: Arc::default(),
        })
    }

    /// Runs `f` in a write transaction on the writer thread, possibly batched with others.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.queue(Once(Some(f))).await
    }

    /// [`Writer::write`] for a write that may run more than once: when a later write of its
    /// batch fails, it is rolled back and runs again, on the database as it found it the
    /// first time. `f` must change nothing outside the transaction. Replayable writes that
    /// follow each other share a savepoint instead of taking one each.
    pub(crate) async fn write_replayable<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.queue(Replayable(f)).await
    }

    /// How many writes are queued or running now: the writer's backlog. A write whose caller
    /// gave up still counts until the writer has run it (or dropped it).
    pub(crate) fn waiting(&self) -> usize {
        self.backlog.load(Ordering::Relaxed)
    }

    /// Queues `write` for the writer thread and waits for its answer after the commit.
    async fn queue<W, T, E>(&self, write: W) -> Result<T, E>
    where
        W: Write<T, E> + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (answer, answered) = Answer::new();
        let job = Box::new(Queued {
            write,
            answer,
            _counted: Backlog::count(&self.backlog),
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

/// One write counted in [`Writer::waiting`], from its queueing until its job is dropped:
/// answered, refused, or never taken in.
struct Backlog(Arc<AtomicUsize>);

impl Backlog {
    fn count(backlog: &Arc<AtomicUsize>) -> Self {
        backlog.fetch_add(1, Ordering::Relaxed);
        Backlog(backlog.clone())
    }
}

impl Drop for Backlog {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where a write's result waits for the commit, and whom it goes to.
struct Answer<T, E> {
    to: oneshot::Sender<Result<T, E>>,
    result: Option<Result<T, E>>,
}

impl<T: Send, E: From<StoreError> + Send> Answer<T, E> {
    fn new() -> (Self, oneshot::Receiver<Result<T, E>>) {
        let (to, answered) = oneshot::channel();
        (Answer { to, result: None }, answered)
    }

    fn keep(&mut self, result: Result<T, E>) -> bool {
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn send(self, commit: Result<(), &StoreError>) {
        let answer = match (self.result, commit) {
            (Some(Ok(_)), Err(error)) => Err(E::from(error.clone())),
            (Some(result), _) => result,
            (None, _) => Err(E::from(StoreError::Database(
                "the write did not run".into(),
            ))),
        };
        let _ = self.to.send(answer);
    }
}

/// A queued write with its caller's answer; `W` says how it runs and whether it may run
/// again.
struct Queued<W, T, E> {
    write: W,
    answer: Answer<T, E>,
    _counted: Backlog,
}

/// How a queued write runs.
trait Write<T, E>: Send {
    const REPLAYABLE: bool;
    fn call(&mut self, conn: &mut dyn Conn) -> Result<T, E>;
}

/// A [`Writer::write`]: runs once.
struct Once<F>(Option<F>);

impl<F, T, E> Write<T, E> for Once<F>
where
    E: From<StoreError>,
    F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send,
{
    const REPLAYABLE: bool = false;

    fn call(&mut self, conn: &mut dyn Conn) -> Result<T, E> {
        match self.0.take() {
            Some(f) => f(conn),
            None => Err(E::from(StoreError::Database(
                "a write that runs once was asked to run again".into(),
            ))),
        }
    }
}

/// A [`Writer::write_replayable`]: may run again.
struct Replayable<F>(F);

impl<F, T, E> Write<T, E> for Replayable<F>
where
    F: Fn(&mut dyn Conn) -> Result<T, E> + Send,
{
    const REPLAYABLE: bool = true;

    fn call(&mut self, conn: &mut dyn Conn) -> Result<T, E> {
        (self.0)(conn)
    }
}

impl<W, T, E> Job for Queued<W, T, E>
where
    W: Write<T, E>,
    T: Send,
    E: From<StoreError> + Send,
{
    fn replayable(&self) -> bool {
        W::REPLAYABLE
    }

    fn run(&mut self, conn: &mut dyn Conn) -> bool {
        let result = self.write.call(conn);
        self.answer.keep(result)
    }

    fn refuse(&mut self, error: StoreError) {
        self.answer.keep(Err(E::from(error)));
    }

    fn finish(self: Box<Self>, commit: Result<(), &StoreError>) {
        self.answer.send(commit);
    }
}

fn writer_loop(mut backend: impl Backend, mut queued: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
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

/// A job that ran in the batch, and whether it succeeded (the last time it ran).
type Ran = (Box<dyn Job>, bool);

fn commit_batch(backend: &mut impl Backend, mut batch: impl Iterator<Item = Box<dyn Job>>) {
    let mut tx = match backend.begin() {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, "cannot begin a write transaction");
            let cannot_start = StoreError::Unavailable(error.to_string());
            refuse_all(batch, &cannot_start);
            return;
        }
    };
    let mut ran: Vec<Ran> = Vec::new();
    // Where the replayable jobs under the open `run` savepoint start in `ran`.
    let mut run_start: Option<usize> = None;
    while let Some(mut job) = batch.next() {
        let went_on = if job.replayable() {
            add_to_run(&mut tx, &mut run_start, &mut ran, job)
        } else {
            if run_start.take().is_some() {
                let _ = tx.execute("RELEASE SAVEPOINT run");
            }
            let result = run_in_savepoint(&mut tx, &mut *job);
            ran.push((job, matches!(result, Ok(true))));
            result.map(drop)
        };
        let cannot_go_on = match went_on {
            Err(error) => Some(error),
            // Nothing of this batch is stored, and the rest must not run outside it.
            Ok(()) if tx.lost() => Some(StoreError::Database(
                "the write transaction was rolled back by the database (disk full or I/O error?)"
                    .into(),
            )),
            Ok(()) => None,
        };
        if let Some(error) = cannot_go_on {
            tracing::error!(%error, "write batch lost");
            tx.roll_back();
            for (job, _) in ran {
                job.finish(Err(&error));
            }
            refuse_all(batch, &error);
            return;
        }
    }
    if run_start.is_some() {
        let _ = tx.execute("RELEASE SAVEPOINT run");
    }
    let commit = tx.commit();
    for (job, _) in ran {
        job.finish(commit.as_ref().map(|_| ()));
    }
}

/// Answers every job with `error` without running it.
fn refuse_all(jobs: impl Iterator<Item = Box<dyn Job>>, error: &StoreError) {
    for mut job in jobs {
        job.refuse(error.clone());
        job.finish(Ok(()));
    }
}

/// Runs a replayable job in the open run, opening one if there is none. An error means
/// the batch cannot go on: a write that failed could not be undone.
fn add_to_run(
    tx: &mut impl Transaction,
    run_start: &mut Option<usize>,
    ran: &mut Vec<Ran>,
    mut job: Box<dyn Job>,
) -> Result<(), StoreError> {
    let start = match *run_start {
        Some(start) => start,
        None => match tx.execute("SAVEPOINT run") {
            Ok(()) => *run_start.insert(ran.len()),
            Err(error) => {
                job.refuse(error);
                ran.push((job, false));
                return Ok(());
            }
        },
    };
    let succeeded = run_guarded(tx, &mut *job);
    ran.push((job, succeeded));
    if !succeeded {
        replay(tx, &mut ran[start..])?;
        // The run ends here, so a later failure replays only the jobs after this one: no
        // job runs more than twice.
        let _ = tx.execute("RELEASE SAVEPOINT run");
        *run_start = None;
    }
    Ok(())
}

/// A replayable job of `run` failed: the run is rolled back and the jobs that had succeeded
/// run again, in order, on the database as they first found it. One that fails now (the
/// clock moved, say) is left out and the others run again.
fn replay(tx: &mut impl Transaction, run: &mut [Ran]) -> Result<(), StoreError> {
    loop {
        tx.execute("ROLLBACK TO SAVEPOINT run")?;
        let mut all_again = true;
        for (job, succeeded) in run.iter_mut().filter(|(_, succeeded)| *succeeded) {
            let again = run_guarded(tx, &mut **job);
            if tx.lost() {
                // The caller sees it and answers everyone.
                return Ok(());
            }
            if !again {
                *succeeded = false;
                all_again = false;
                break;
            }
        }
        if all_again {
            return Ok(());
        }
    }
}

/// Runs the job; a panic counts as a failure (and is logged), not the end of the writer.
fn run_guarded(tx: &mut impl Transaction, job: &mut dyn Job) -> bool {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.run(&mut |conn| job.run(conn))
    }));
    outcome.unwrap_or_else(|_| {
        tracing::error!("a write transaction panicked and was rolled back");
        job.refuse(StoreError::Database(
            "the write panicked and was rolled back".into(),
        ));
        false
    })
}

/// Runs a job that runs once in its own savepoint, and undoes what it wrote, and only that,
/// when it fails. An error means the batch cannot go on: the failed write could not be
/// undone.
fn run_in_savepoint(tx: &mut impl Transaction, job: &mut dyn Job) -> Result<bool, StoreError> {
    if let Err(error) = tx.execute("SAVEPOINT job") {
        job.refuse(error);
        return Ok(false);
    }
    let succeeded = run_guarded(tx, job);
    if !succeeded {
        tx.execute("ROLLBACK TO SAVEPOINT job")?;
    }
    let _ = tx.execute("RELEASE SAVEPOINT job");
    Ok(succeeded)
}
