//! Automatic distribution: the waiting tickets of queues that hand them out, and the
//! agents who may get them (members of the queue, active, available and online).

use chrono::{DateTime, Utc};
use saw_core::conversation::TicketEventKind;
use saw_core::ids::{AccountId, QueueId, TicketId, UserId};
use saw_core::queue::Distribution;

use crate::conn::Conn;
use crate::{StoreError, params};

/// A queue that distributes and has tickets waiting.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub account_id: AccountId,
    pub queue_id: QueueId,
    pub distribution: Distribution,
    /// Round-robin's place: the last agent who got one.
    pub last_assigned: Option<UserId>,
}

pub fn queues_with_waiting(c: &mut dyn Conn) -> Result<Vec<Waiting>, StoreError> {
    c.query_all(
        "SELECT q.account_id, q.id, q.distribution, q.last_assigned_user_id FROM queues q
         WHERE q.distribution <> 'manual'
           AND EXISTS (SELECT 1 FROM tickets t WHERE t.queue_id = q.id AND t.status = 'pending')
         ORDER BY q.id",
        params![],
        |r| {
            let raw = r.text(2)?;
            Ok(Waiting {
                account_id: AccountId::new(r.i64(0)?),
                queue_id: QueueId::new(r.i64(1)?),
                distribution: Distribution::parse(&raw)
                    .ok_or_else(|| super::corrupt("distribution", &raw))?,
                last_assigned: r.opt_i64(3)?.map(UserId::new),
            })
        },
    )
}

/// The agents who may get the queue's tickets now, by id, with how many they have open.
pub fn eligible(c: &mut dyn Conn, queue: QueueId) -> Result<Vec<(UserId, i64)>, StoreError> {
    c.query_all(
        "SELECT u.id, (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status = 'open')
         FROM queue_members m JOIN users u ON u.id = m.user_id
         WHERE m.queue_id = $1 AND u.active = TRUE AND u.status = 'available'
           AND EXISTS (SELECT 1 FROM user_presence p WHERE p.user_id = u.id AND p.ended_at IS NULL)
         ORDER BY u.id",
        params![queue],
        |r| Ok((UserId::new(r.i64(0)?), r.i64(1)?)),
    )
}

/// The queue's waiting tickets, oldest first.
pub fn waiting(c: &mut dyn Conn, queue: QueueId, limit: i64) -> Result<Vec<TicketId>, StoreError> {
    c.query_all(
        "SELECT id FROM tickets WHERE queue_id = $1 AND status = 'pending'
         ORDER BY COALESCE(queued_at, created_at), id LIMIT $2",
        params![queue, limit],
        |r| Ok(TicketId::new(r.i64(0)?)),
    )
}

/// Gives a ticket still waiting in `queue` to `user`: open and theirs, recorded as accepted
/// by nobody (SAW) for them. `false` when someone accepted it meanwhile.
pub fn assign(
    c: &mut dyn Conn,
    account: AccountId,
    queue: QueueId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'open', assignee_id = $4, accepted_at = COALESCE(accepted_at, $5),
                bot_state = NULL, updated_at = $5
         WHERE id = $1 AND account_id = $2 AND queue_id = $3 AND status = 'pending'",
        params![ticket, account, queue, user, now],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO ticket_events (account_id, ticket_id, kind, at, to_queue_id, to_user_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            account,
            ticket,
            TicketEventKind::Accepted.as_str(),
            now,
            queue,
            user
        ],
    )?;
    c.execute(
        "UPDATE queues SET last_assigned_user_id = $2 WHERE id = $1",
        params![queue, user],
    )?;
    Ok(true)
}
