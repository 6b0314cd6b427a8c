//! Web Push subscriptions: the browsers that asked to be notified, per person.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, QueueId, TicketId, UserId};

use crate::conn::Conn;
use crate::{StoreError, params};

/// Keeps a browser's subscription (the same endpoint again replaces it, for this person).
pub fn subscribe(
    c: &mut dyn Conn,
    account: AccountId,
    user: UserId,
    endpoint: &str,
    subscription: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM push_subscriptions WHERE endpoint = $1",
        params![endpoint],
    )?;
    c.execute(
        "INSERT INTO push_subscriptions (account_id, user_id, endpoint, subscription, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        params![account, user, endpoint, subscription, now],
    )
    .map(drop)
}

pub fn forget(c: &mut dyn Conn, endpoint: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM push_subscriptions WHERE endpoint = $1",
        params![endpoint],
    )
    .map(drop)
}

/// Whether any browser is subscribed at all: most servers have none, and then no event
/// needs its recipients looked up.
pub fn any(c: &mut dyn Conn) -> Result<bool, StoreError> {
    c.query_one(
        "SELECT EXISTS (SELECT 1 FROM push_subscriptions)",
        params![],
        |r| r.bool(0),
    )
}

/// (endpoint, subscription JSON) of each browser of the given people.
fn of_users_where(
    c: &mut dyn Conn,
    condition: &str,
    id: i64,
) -> Result<Vec<(UserId, String, String)>, StoreError> {
    c.query_all(
        &format!(
            "SELECT s.user_id, s.endpoint, s.subscription FROM push_subscriptions s
             JOIN users u ON u.id = s.user_id WHERE u.active = TRUE AND {condition}"
        ),
        params![id],
        |r| Ok((UserId::new(r.i64(0)?), r.text(1)?, r.text(2)?)),
    )
}

/// The browsers of a queue's members.
pub fn of_queue(
    c: &mut dyn Conn,
    queue: QueueId,
) -> Result<Vec<(UserId, String, String)>, StoreError> {
    of_users_where(
        c,
        "s.user_id IN (SELECT user_id FROM queue_members WHERE queue_id = $1)",
        queue.get(),
    )
}

/// The browsers of the person a ticket is assigned to.
pub fn of_assignee(
    c: &mut dyn Conn,
    ticket: TicketId,
) -> Result<Vec<(UserId, String, String)>, StoreError> {
    of_users_where(
        c,
        "s.user_id = (SELECT assignee_id FROM tickets WHERE id = $1)",
        ticket.get(),
    )
}
