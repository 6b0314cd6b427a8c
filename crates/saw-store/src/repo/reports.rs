//! What the reports read: the history of the tickets that did something in a time range,
//! message counts, presence, the bot's records and the live picture. The figures
//! themselves (docs/metrics.md) are computed by the application from these rows, the same
//! way on both backends.

use chrono::{DateTime, Utc};
use saw_core::conversation::{TicketEventKind, TicketStatus};
use saw_core::ids::{AccountId, ChannelId, QueueId, TagId, TicketId, UserId};

use crate::conn::{Conn, Value};
use crate::repo::corrupt;
use crate::{StoreError, params};

/// A time range `[start, end)` of one account, and what the store itself can narrow by:
/// a ticket's channel and tag do not change with its history, so they filter in SQL.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub account: AccountId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub channel: Option<ChannelId>,
    pub tag: Option<TagId>,
}

impl Scope {
    /// `$1…$3` are the account and the range; the channel and tag follow when set.
    fn params(&self) -> Vec<Value<'static>> {
        let mut params = vec![
            Value::from(self.account),
            Value::from(self.start),
            Value::from(self.end),
        ];
        params.extend(self.channel.map(Value::from));
        params.extend(self.tag.map(Value::from));
        params
    }

    /// The predicates on a ticket aliased `t` for the channel and tag filters.
    fn ticket_filters(&self) -> String {
        let mut sql = String::new();
        let mut n = 3;
        if self.channel.is_some() {
            n += 1;
            sql.push_str(&format!(" AND t.channel_id = ${n}"));
        }
        if self.tag.is_some() {
            n += 1;
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.ticket_id = t.id AND tt.tag_id = ${n})"
            ));
        }
        sql
    }

    /// The tickets something happened to in the range: a history event, the first agent
    /// reply or the satisfaction question.
    fn tickets_sql(&self) -> String {
        format!(
            "SELECT t.id FROM tickets t WHERE t.id IN (
               SELECT ticket_id FROM ticket_events WHERE account_id = $1 AND at >= $2 AND at < $3
               UNION SELECT id FROM tickets WHERE account_id = $1 AND first_agent_reply_at >= $2 AND first_agent_reply_at < $3
               UNION SELECT id FROM tickets WHERE account_id = $1 AND csat_asked_at >= $2 AND csat_asked_at < $3
             ){}",
            self.ticket_filters()
        )
    }
}

/// One ticket as the reports need it.
#[derive(Debug, Clone)]
pub struct TicketFacts {
    pub id: TicketId,
    pub protocol: String,
    pub channel: ChannelId,
    pub queue: Option<QueueId>,
    pub assignee: Option<UserId>,
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    pub first_agent_reply_at: Option<DateTime<Utc>>,
    /// Who wrote that first reply.
    pub first_reply_by: Option<UserId>,
    pub csat_asked_at: Option<DateTime<Utc>>,
    pub csat_rating: Option<i64>,
    pub contact_name: String,
    pub contact_phone: Option<String>,
    pub events: Vec<EventFacts>,
    pub tags: Vec<TagId>,
}

#[derive(Debug, Clone, Copy)]
pub struct EventFacts {
    pub kind: TicketEventKind,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub to_queue: Option<QueueId>,
    pub to_user: Option<UserId>,
}

/// The tickets of [`Scope::tickets_sql`] with their whole history (events before the range
/// too: a wait may start before it) and tags, ordered by id.
pub fn tickets(c: &mut dyn Conn, scope: &Scope) -> Result<Vec<TicketFacts>, StoreError> {
    let params = scope.params();
    let chosen = scope.tickets_sql();
    let mut tickets = c.query_all(
        &format!(
            "SELECT t.id, t.protocol, t.channel_id, t.queue_id, t.assignee_id, t.status, t.created_at,
                    t.first_agent_reply_at,
                    CASE WHEN t.first_agent_reply_at IS NULL THEN NULL ELSE
                      (SELECT m.author_user_id FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out'
                         AND m.is_note = FALSE AND m.author_user_id IS NOT NULL ORDER BY m.id LIMIT 1) END,
                    t.csat_asked_at, t.csat_rating, c.name, c.phone
             FROM tickets t JOIN contacts c ON c.id = t.contact_id
             WHERE t.id IN ({chosen}) ORDER BY t.id"
        ),
        &params,
        |r| {
            let status = r.text(5)?;
            Ok(TicketFacts {
                id: TicketId::new(r.i64(0)?),
                protocol: r.text(1)?,
                channel: ChannelId::new(r.i64(2)?),
                queue: r.opt_i64(3)?.map(QueueId::new),
                assignee: r.opt_i64(4)?.map(UserId::new),
                status: TicketStatus::parse(&status)
                    .ok_or_else(|| corrupt("ticket status", &status))?,
                created_at: r.time(6)?,
                first_agent_reply_at: r.opt_time(7)?,
                first_reply_by: r.opt_i64(8)?.map(UserId::new),
                csat_asked_at: r.opt_time(9)?,
                csat_rating: r.opt_i64(10)?,
                contact_name: r.opt_text(11)?.unwrap_or_default(),
                contact_phone: r.opt_text(12)?,
                events: Vec::new(),
                tags: Vec::new(),
            })
        },
    )?;
    let mut position = 0;
    c.query_each(
        &format!(
            "SELECT e.ticket_id, e.kind, e.at, e.actor_user_id, e.to_queue_id, e.to_user_id
             FROM ticket_events e WHERE e.ticket_id IN ({chosen}) ORDER BY e.ticket_id, e.id"
        ),
        &params,
        &mut |r| {
            let ticket = r.i64(0)?;
            let Some(at) = seek(&tickets, &mut position, ticket) else {
                return Ok(());
            };
            let kind = r.text(1)?;
            tickets[at].events.push(EventFacts {
                kind: TicketEventKind::parse(&kind)
                    .ok_or_else(|| corrupt("ticket event", &kind))?,
                at: r.time(2)?,
                actor: r.opt_i64(3)?.map(UserId::new),
                to_queue: r.opt_i64(4)?.map(QueueId::new),
                to_user: r.opt_i64(5)?.map(UserId::new),
            });
            Ok(())
        },
    )?;
    position = 0;
    c.query_each(
        &format!(
            "SELECT tt.ticket_id, tt.tag_id FROM ticket_tags tt
             WHERE tt.ticket_id IN ({chosen}) ORDER BY tt.ticket_id, tt.tag_id"
        ),
        &params,
        &mut |r| {
            if let Some(at) = seek(&tickets, &mut position, r.i64(0)?) {
                tickets[at].tags.push(TagId::new(r.i64(1)?));
            }
            Ok(())
        },
    )?;
    Ok(tickets)
}

/// Where `ticket` is in `tickets` (ordered by id), moving `position` forward: rows of the
/// later queries come in the same order.
fn seek(tickets: &[TicketFacts], position: &mut usize, ticket: i64) -> Option<usize> {
    while *position < tickets.len() && tickets[*position].id.get() < ticket {
        *position += 1;
    }
    (tickets.get(*position)?.id.get() == ticket).then_some(*position)
}

/// Messages customers and the team exchanged in the range (private notes are not
/// messages), grouped by what the filters and the per-queue and per-agent figures need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCount {
    pub inbound: bool,
    pub channel: ChannelId,
    pub queue: Option<QueueId>,
    /// The ticket's agent now.
    pub assignee: Option<UserId>,
    /// Who wrote it (outbound; `None` for the bot and for customers).
    pub author: Option<UserId>,
    pub count: i64,
}

pub fn message_counts(c: &mut dyn Conn, scope: &Scope) -> Result<Vec<MessageCount>, StoreError> {
    c.query_all(
        &format!(
            "SELECT m.direction, t.channel_id, t.queue_id, t.assignee_id, m.author_user_id, COUNT(*)
             FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.account_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND m.is_note = FALSE{}
             GROUP BY m.direction, t.channel_id, t.queue_id, t.assignee_id, m.author_user_id",
            scope.ticket_filters()
        ),
        &scope.params(),
        |r| {
            Ok(MessageCount {
                inbound: r.text(0)? == "in",
                channel: ChannelId::new(r.i64(1)?),
                queue: r.opt_i64(2)?.map(QueueId::new),
                assignee: r.opt_i64(3)?.map(UserId::new),
                author: r.opt_i64(4)?.map(UserId::new),
                count: r.i64(5)?,
            })
        },
    )
}

/// One stretch of a person having the inbox open.
#[derive(Debug, Clone, Copy)]
pub struct PresenceSpan {
    pub user: UserId,
    pub started_at: DateTime<Utc>,
    /// `None` while still online.
    pub ended_at: Option<DateTime<Utc>>,
}

/// The presence that overlaps the range.
pub fn presence(
    c: &mut dyn Conn,
    account: AccountId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<PresenceSpan>, StoreError> {
    c.query_all(
        "SELECT user_id, started_at, ended_at FROM user_presence
         WHERE account_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)",
        params![account, start, end],
        |r| {
            Ok(PresenceSpan {
                user: UserId::new(r.i64(0)?),
                started_at: r.time(1)?,
                ended_at: r.opt_time(2)?,
            })
        },
    )
}

/// The bot's records in the range, counted by kind and detail (the JSON of the record).
pub fn bot_counts(
    c: &mut dyn Conn,
    scope: &Scope,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    c.query_all(
        &format!(
            "SELECT b.kind, b.detail, COUNT(*) FROM bot_records b JOIN tickets t ON t.id = b.ticket_id
             WHERE b.account_id = $1 AND b.at >= $2 AND b.at < $3
               AND b.kind IN ('option_chosen', 'auto_reply', 'idle_closed'){}
             GROUP BY b.kind, b.detail",
            scope.ticket_filters()
        ),
        &scope.params(),
        |r| Ok((r.text(0)?, r.text(1)?, r.i64(2)?)),
    )
}

/// The live picture of an account's unresolved tickets (people's open tickets come with
/// the team, [`crate::repo::team::members`]).
#[derive(Debug, Clone, Default)]
pub struct Now {
    /// (queue, tickets waiting, since when the oldest waits).
    pub waiting: Vec<(Option<QueueId>, i64, Option<DateTime<Utc>>)>,
    pub with_bot: i64,
}

pub fn now(c: &mut dyn Conn, account: AccountId) -> Result<Now, StoreError> {
    let waiting = c.query_all(
        "SELECT queue_id, COUNT(*), MIN(queued_at) FROM tickets
         WHERE account_id = $1 AND status = 'pending' GROUP BY queue_id",
        params![account],
        |r| Ok((r.opt_i64(0)?.map(QueueId::new), r.i64(1)?, r.opt_time(2)?)),
    )?;
    let with_bot = c.scalar_i64(
        "SELECT COUNT(*) FROM tickets WHERE account_id = $1 AND status = 'bot'",
        params![account],
    )?;
    Ok(Now { waiting, with_bot })
}
