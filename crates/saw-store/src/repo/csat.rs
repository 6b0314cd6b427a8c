//! The satisfaction question of resolved tickets: asked once, answered once.

use chrono::{DateTime, Utc};
use saw_core::ids::{ChannelId, ContactId, TicketId};

use crate::conn::Conn;
use crate::{StoreError, params};

pub fn mark_asked(c: &mut dyn Conn, ticket: TicketId, at: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE tickets SET csat_asked_at = $2 WHERE id = $1",
        params![ticket, at],
    )
}

/// The customer's last resolved ticket on the channel whose question, asked since `since`,
/// is still unanswered (while it is not reopened).
pub fn awaiting_answer(
    c: &mut dyn Conn,
    contact: ContactId,
    channel: ChannelId,
    since: DateTime<Utc>,
) -> Result<Option<TicketId>, StoreError> {
    c.query_opt(
        "SELECT id FROM tickets WHERE contact_id = $1 AND channel_id = $2 AND status = 'resolved'
           AND csat_asked_at >= $3 AND csat_rating IS NULL ORDER BY id DESC LIMIT 1",
        params![contact, channel, since],
        |r| Ok(TicketId::new(r.i64(0)?)),
    )
}

/// Records the rating; `false` when the ticket was rated already.
pub fn record(
    c: &mut dyn Conn,
    ticket: TicketId,
    rating: u8,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET csat_rating = $2, csat_answered_at = $3 WHERE id = $1 AND csat_rating IS NULL",
        params![ticket, i64::from(rating), at],
    )?;
    Ok(changed > 0)
}
