//! Figures for operators (`/metrics`): the outbox, tickets by state, people online, the
//! database writer's backlog.

use crate::{App, AppError};

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub outbox_queued: i64,
    pub outbox_failed: i64,
    /// (status, count) for every status.
    pub tickets: Vec<(&'static str, i64)>,
    pub online: i64,
    /// Writes queued or running on the database's writer.
    pub writes_waiting: usize,
}

pub async fn figures(app: &App) -> Result<Figures, AppError> {
    Ok(app.store.read(saw_store::repo::ops::figures).await.map(
        |(outbox_queued, outbox_failed, tickets, online)| Figures {
            outbox_queued,
            outbox_failed,
            tickets,
            online,
            writes_waiting: app.store.writes_waiting(),
        },
    )?)
}
