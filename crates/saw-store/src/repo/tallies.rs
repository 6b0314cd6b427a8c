//! Messages counted per hour as they are stored, with the ticket's queue and agent of that
//! moment and the author (0 for none), for the reports (`reports::message_counts`). A month
//! of counts is a few thousand rows, not a million messages. Private notes are not counted.
//!
//! Who counts differs by backend, for what each charges:
//! - SQLite: [`count`], run right after the statement that stores a message (0019; before,
//!   a trigger did). A statement with a trigger keeps a statement journal there, a copy of
//!   every page it touches, which was several per cent of the CPU of each message.
//! - PostgreSQL: the trigger of 0011 (`saw_tally_message`), the same upsert. A statement
//!   more per message is a round trip more there (docs/performance.md has the
//!   measurement), and a trigger keeps no journal.
//!
//! A test stores messages on both and checks the same counts.

use chrono::{DateTime, Utc};
use saw_core::conversation::MessageDirection;
use saw_core::ids::{AccountId, ChannelId, TicketId, UserId};

use crate::conn::{Conn, Dialect};
use crate::{StoreError, params};

/// What a message is counted by.
pub struct Counted {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub channel_id: ChannelId,
    pub direction: MessageDirection,
    pub author: Option<UserId>,
    /// When the message was written (its `created_at`).
    pub at: DateTime<Utc>,
}

/// Adds one message to its hour's count (on PostgreSQL its trigger already has). A
/// single-row `VALUES` (the ticket's queue and agent read by subqueries) keeps this
/// statement itself free of a statement journal.
pub fn count(c: &mut dyn Conn, m: &Counted) -> Result<(), StoreError> {
    if c.dialect() == Dialect::Postgres {
        return Ok(());
    }
    c.execute(
        "INSERT INTO message_tallies (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction, n)
         VALUES ($1, $2, $3,
                 COALESCE((SELECT queue_id FROM tickets WHERE id = $4), 0),
                 COALESCE((SELECT assignee_id FROM tickets WHERE id = $4), 0),
                 $5, $6, 1)
         ON CONFLICT (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction)
         DO UPDATE SET n = message_tallies.n + 1",
        params![
            m.account_id,
            hour_of(m.at),
            m.channel_id,
            m.ticket_id,
            m.author.map_or(0, UserId::get),
            m.direction.as_str()
        ],
    )
    .map(drop)
}

/// Counts the account's stored messages again from scratch, by their tickets' queue and
/// agent of now: for a history written in bulk (`INSERT … VALUES (…), (…)`), which nothing
/// counted on SQLite (on PostgreSQL the trigger did; counting again rebuilds the same
/// rows).
pub fn recount(c: &mut dyn Conn, account: AccountId) -> Result<(), StoreError> {
    let hour = match c.dialect() {
        Dialect::Sqlite => "m.created_at - (m.created_at % 3600000)",
        Dialect::Postgres => {
            "date_trunc('hour', m.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        }
    };
    c.execute(
        "DELETE FROM message_tallies WHERE account_id = $1",
        params![account],
    )?;
    c.execute(
        &format!(
            "INSERT INTO message_tallies (account_id, hour, channel_id, queue_id, assignee_id, author_user_id, direction, n)
             SELECT m.account_id, {hour}, m.channel_id, COALESCE(t.queue_id, 0), COALESCE(t.assignee_id, 0),
                    COALESCE(m.author_user_id, 0), m.direction, COUNT(*)
             FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.account_id = $1 AND m.is_note = FALSE
             GROUP BY 1, 2, 3, 4, 5, 6, 7"
        ),
        params![account],
    )
    .map(drop)
}

/// The start of `at`'s hour, in UTC, as 0011's trigger computed it from the stored
/// milliseconds.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let ms = at.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms % MILLIS_PER_HOUR).unwrap_or(at)
}

const MILLIS_PER_HOUR: i64 = 3_600_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_starts_at_its_first_millisecond() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T13:59:59.999Z")
            .unwrap()
            .to_utc();
        let hour = DateTime::parse_from_rfc3339("2026-12-05T13:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(hour_of(at), hour);
        assert_eq!(hour_of(hour), hour);
    }
}
