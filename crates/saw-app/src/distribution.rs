//! Automatic distribution: a queue set to `round_robin` or `least_busy` gives each waiting
//! ticket, oldest first, to one of its agents who is active, available ("Disponível") and
//! online. It runs when something could change the answer — a ticket starts waiting, someone
//! comes online or becomes available — and every few seconds in case an event was missed.
//! Each assignment is a conditional update: an agent who accepts by hand at the same moment
//! wins or loses cleanly.

use std::time::Duration;

use saw_core::ids::UserId;
use saw_core::queue::Distribution;
use saw_store::now;
use saw_store::repo::distribution::{self, Waiting};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::events::{self, Event};
use crate::{App, AppError};

/// The safety net's period.
const SWEEP: Duration = Duration::from_secs(5);
/// Tickets handed out per queue and round at most.
const BATCH: i64 = 100;

pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = app.events.subscribe();
        loop {
            if let Err(error) = distribute(&app).await {
                tracing::warn!(%error, "distributing waiting tickets failed");
            }
            // Wait for a change that matters, or the sweep.
            let _ = tokio::time::timeout(SWEEP, async {
                loop {
                    match events.recv().await {
                        Ok(published) if published.iter().any(|n| matters(&n.event)) => break,
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => std::future::pending::<()>().await,
                    }
                }
                // One round, which reads what is waiting now, answers every change already
                // published: a burst is one round, not one per ticket.
                while let Ok(_) | Err(TryRecvError::Lagged(_)) = events.try_recv() {}
            })
            .await;
        }
    })
}

fn matters(event: &Event) -> bool {
    matches!(
        event,
        Event::TicketChanged { .. }
            | Event::PresenceChanged { .. }
            | Event::UserChanged { .. }
            | Event::QueueChanged { .. }
    )
}

/// The agent who gets the next ticket: `agents` are the eligible ones by id, with their open
/// tickets; round-robin takes the first after `last`, least busy the one with fewest open
/// (the first by id on a tie).
pub fn pick(
    distribution: Distribution,
    agents: &[(UserId, i64)],
    last: Option<UserId>,
) -> Option<UserId> {
    match distribution {
        Distribution::Manual => None,
        Distribution::RoundRobin => {
            let after = last.map_or(0, UserId::get);
            agents
                .iter()
                .find(|(id, _)| id.get() > after)
                .or_else(|| agents.first())
                .map(|(id, _)| *id)
        }
        Distribution::LeastBusy => agents
            .iter()
            .min_by_key(|(id, open)| (*open, id.get()))
            .map(|(id, _)| *id),
    }
}

/// One round over every queue that distributes and has tickets waiting; answers how many
/// were handed out.
pub async fn distribute(app: &App) -> Result<usize, AppError> {
    let queues = app.store.read(distribution::queues_with_waiting).await?;
    let mut handed = 0;
    for queue in queues {
        handed += distribute_queue(app, queue).await?;
    }
    Ok(handed)
}

async fn distribute_queue(app: &App, queue: Waiting) -> Result<usize, AppError> {
    let (changes, handed) = app
        .store
        .write(move |c| {
            let mut agents = distribution::eligible(c, queue.queue_id)?;
            if agents.is_empty() {
                return Ok::<_, AppError>((Vec::new(), 0));
            }
            let (mut last, mut changes, at) = (queue.last_assigned, Vec::new(), now());
            for ticket in distribution::waiting(c, queue.queue_id, BATCH)? {
                let Some(agent) = pick(queue.distribution, &agents, last) else {
                    break;
                };
                if distribution::assign(c, queue.account_id, queue.queue_id, ticket, agent, at)? {
                    changes.push(events::ticket_changed(c, ticket)?);
                    if let Some(entry) = agents.iter_mut().find(|(id, _)| *id == agent) {
                        entry.1 += 1;
                    }
                    last = Some(agent);
                }
            }
            let handed = changes.len();
            Ok((changes, handed))
        })
        .await?;
    app.events.publish(changes);
    Ok(handed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agents(list: &[(i64, i64)]) -> Vec<(UserId, i64)> {
        list.iter()
            .map(|(id, open)| (UserId::new(*id), *open))
            .collect()
    }

    #[test]
    fn round_robin_takes_the_next_agent_after_the_last_and_wraps() {
        let team = agents(&[(3, 0), (5, 9), (8, 1)]);
        let rr = Distribution::RoundRobin;
        assert_eq!(pick(rr, &team, None), Some(UserId::new(3)));
        assert_eq!(pick(rr, &team, Some(UserId::new(3))), Some(UserId::new(5)));
        assert_eq!(pick(rr, &team, Some(UserId::new(6))), Some(UserId::new(8)));
        assert_eq!(pick(rr, &team, Some(UserId::new(8))), Some(UserId::new(3)));
    }

    #[test]
    fn least_busy_takes_the_fewest_open_then_the_first() {
        let team = agents(&[(3, 2), (5, 1), (8, 1)]);
        assert_eq!(
            pick(Distribution::LeastBusy, &team, None),
            Some(UserId::new(5))
        );
        assert_eq!(pick(Distribution::Manual, &team, None), None);
        assert_eq!(pick(Distribution::LeastBusy, &[], None), None);
    }
}
