//! What the reports read: the history of the tickets that did something in a time range,
//! message counts, presence, the bot's records and the live picture. The figures
//! themselves (docs/metrics.md) are computed by the application from these rows, the same
//! way on both backends.

use chrono::{DateTime, Utc};
use saw_core::conversation::{TicketEventKind, TicketStatus};
use saw_core::ids::{AccountId, ChannelId, QueueId, TagId, TicketId, UserId};

use crate::conn::{Conn, Row, Value};
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
    /// `$1…$3` are the account and two bounds (the range, or a span of ticket ids); the
    /// channel and tag follow when set.
    fn params(&self, from: Value<'static>, to: Value<'static>) -> Vec<Value<'static>> {
        let mut params = vec![Value::from(self.account), from, to];
        params.extend(self.channel.map(Value::from));
        params.extend(self.tag.map(Value::from));
        params
    }

    fn range(&self) -> Vec<Value<'static>> {
        self.params(Value::from(self.start), Value::from(self.end))
    }

    /// The predicates on a ticket aliased `t` for the channel and tag filters (`$4`, `$5`).
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
    /// Read only for the exported table.
    pub contact_name: String,
    pub contact_phone: Option<String>,
    /// In the order they happened.
    pub events: Vec<EventFacts>,
    pub tags: Vec<TagId>,
}

#[derive(Debug, Clone, Copy)]
pub struct EventFacts {
    pub id: i64,
    pub kind: TicketEventKind,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub to_queue: Option<QueueId>,
    pub to_user: Option<UserId>,
}

/// Ticket ids per `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

/// The tickets something happened to in the range (a history event, the first agent reply,
/// the satisfaction question) with their history up to the range's end — from before it
/// too: a wait may start before the range — and their tags, ordered by id. Contacts' names
/// and numbers only `with_contacts`.
pub fn tickets(
    c: &mut dyn Conn,
    scope: &Scope,
    with_contacts: bool,
) -> Result<Vec<TicketFacts>, StoreError> {
    // The range's events come from one index (ticket_events_report) without touching the
    // table; the rest is read by ticket.
    let mut events: Vec<(i64, EventFacts)> = c.query_all(
        "SELECT ticket_id, id, kind, at, actor_user_id, to_queue_id, to_user_id FROM ticket_events
         WHERE account_id = $1 AND at >= $2 AND at < $3",
        params![scope.account, scope.start, scope.end],
        |r| Ok((r.i64(0)?, event(r, 1)?)),
    )?;
    let mut candidates: Vec<i64> = events.iter().map(|(t, _)| *t).collect();
    candidates.extend(c.query_all(
        "SELECT id FROM tickets WHERE account_id = $1 AND first_agent_reply_at >= $2 AND first_agent_reply_at < $3
         UNION SELECT id FROM tickets WHERE account_id = $1 AND csat_asked_at >= $2 AND csat_asked_at < $3",
        params![scope.account, scope.start, scope.end],
        |r| r.i64(0),
    )?);
    candidates.sort_unstable();
    candidates.dedup();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }

    let contact_columns = if with_contacts {
        "c.name, c.phone"
    } else {
        "NULL, NULL"
    };
    let contact_join = if with_contacts {
        " JOIN contacts c ON c.id = t.contact_id"
    } else {
        ""
    };
    let select = format!(
        "SELECT t.id, t.protocol, t.channel_id, t.queue_id, t.assignee_id, t.status, t.created_at,
                t.first_agent_reply_at, t.first_agent_reply_by, t.csat_asked_at, t.csat_rating, {contact_columns}
         FROM tickets t{contact_join}"
    );
    let (lo, hi) = (candidates[0], candidates[candidates.len() - 1]);
    let mut tickets = Vec::with_capacity(candidates.len());
    let mut keep = |row: TicketFacts| {
        if candidates.binary_search(&row.id.get()).is_ok() {
            tickets.push(row);
        }
    };
    // Most of a range's tickets are consecutive ids: read the span when it is dense.
    if (hi - lo) as usize <= candidates.len() * 4 {
        let sql = format!(
            "{select} WHERE t.account_id = $1 AND t.id >= $2 AND t.id <= $3{} ORDER BY t.id",
            scope.ticket_filters()
        );
        c.query_each(&sql, &scope.params(lo.into(), hi.into()), &mut |r| {
            keep(ticket(r)?);
            Ok(())
        })?;
    } else {
        for chunk in candidates.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "{select} WHERE t.account_id = $1 AND t.id >= $2 AND t.id <= $3 AND t.id IN ({}){} ORDER BY t.id",
                id_list(chunk),
                scope.ticket_filters()
            );
            let params = scope.params(chunk[0].into(), chunk[chunk.len() - 1].into());
            c.query_each(&sql, &params, &mut |r| {
                keep(ticket(r)?);
                Ok(())
            })?;
        }
    }

    // Tickets created before the range bring their earlier history.
    let created_in_range: std::collections::HashSet<i64> = events
        .iter()
        .filter(|(_, e)| e.kind == TicketEventKind::Created)
        .map(|(t, _)| *t)
        .collect();
    let older: Vec<i64> = tickets
        .iter()
        .map(|t| t.id.get())
        .filter(|id| !created_in_range.contains(id))
        .collect();
    for chunk in older.chunks(IDS_PER_QUERY) {
        events.extend(c.query_all(
            &format!(
                "SELECT ticket_id, id, kind, at, actor_user_id, to_queue_id, to_user_id FROM ticket_events
                 WHERE ticket_id IN ({}) AND at < $1",
                id_list(chunk)
            ),
            params![scope.start],
            |r| Ok((r.i64(0)?, event(r, 1)?)),
        )?);
    }
    for (ticket, event) in events {
        if let Ok(at) = tickets.binary_search_by_key(&ticket, |t| t.id.get()) {
            tickets[at].events.push(event);
        }
    }
    for t in &mut tickets {
        t.events.sort_by_key(|e| (e.at, e.id));
    }

    c.query_each(
        "SELECT tt.ticket_id, tt.tag_id FROM ticket_tags tt
         WHERE tt.ticket_id >= $1 AND tt.ticket_id <= $2",
        params![lo, hi],
        &mut |r| {
            if let Ok(at) = tickets.binary_search_by_key(&r.i64(0)?, |t| t.id.get()) {
                tickets[at].tags.push(TagId::new(r.i64(1)?));
            }
            Ok(())
        },
    )?;
    Ok(tickets)
}

/// `1, 2, 3` for an `IN (…)` of ids (numbers only: nothing to escape).
fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn event(r: &dyn Row, from: usize) -> Result<EventFacts, StoreError> {
    let kind = r.text(from + 1)?;
    Ok(EventFacts {
        id: r.i64(from)?,
        kind: TicketEventKind::parse(&kind).ok_or_else(|| corrupt("ticket event", &kind))?,
        at: r.time(from + 2)?,
        actor: r.opt_i64(from + 3)?.map(UserId::new),
        to_queue: r.opt_i64(from + 4)?.map(QueueId::new),
        to_user: r.opt_i64(from + 5)?.map(UserId::new),
    })
}

fn ticket(r: &dyn Row) -> Result<TicketFacts, StoreError> {
    let status = r.text(5)?;
    Ok(TicketFacts {
        id: TicketId::new(r.i64(0)?),
        protocol: r.text(1)?,
        channel: ChannelId::new(r.i64(2)?),
        queue: r.opt_i64(3)?.map(QueueId::new),
        assignee: r.opt_i64(4)?.map(UserId::new),
        status: TicketStatus::parse(&status).ok_or_else(|| corrupt("ticket status", &status))?,
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
}

/// Messages customers and the team exchanged in the range (private notes are not
/// messages), grouped by what the filters and the per-queue and per-agent figures need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCount {
    pub inbound: bool,
    pub channel: ChannelId,
    /// The ticket's queue and agent when the message was written.
    pub queue: Option<QueueId>,
    pub assignee: Option<UserId>,
    /// Who wrote it (outbound; `None` for the bot and for customers).
    pub author: Option<UserId>,
    pub count: i64,
}

/// From `message_tallies` (counted per hour as messages are written); with a tag filter,
/// from the tagged tickets' messages themselves, split by the ticket's queue and agent now.
pub fn message_counts(c: &mut dyn Conn, scope: &Scope) -> Result<Vec<MessageCount>, StoreError> {
    let sql = match scope.tag {
        None => format!(
            "SELECT direction, channel_id, queue_id, assignee_id, author_user_id, CAST(SUM(n) AS BIGINT) FROM message_tallies
             WHERE account_id = $1 AND hour >= $2 AND hour < $3{}
             GROUP BY direction, channel_id, queue_id, assignee_id, author_user_id",
            if scope.channel.is_some() { " AND channel_id = $4" } else { "" }
        ),
        Some(_) => format!(
            "SELECT m.direction, t.channel_id, COALESCE(t.queue_id, 0), COALESCE(t.assignee_id, 0),
                    COALESCE(m.author_user_id, 0), COUNT(*)
             FROM tickets t JOIN messages m ON m.ticket_id = t.id
             WHERE t.account_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND m.is_note = FALSE{}
             GROUP BY m.direction, t.channel_id, t.queue_id, t.assignee_id, m.author_user_id",
            scope.ticket_filters()
        ),
    };
    let some = |id: i64| (id != 0).then_some(id);
    c.query_all(&sql, &scope.range(), |r| {
        Ok(MessageCount {
            inbound: r.text(0)? == "in",
            channel: ChannelId::new(r.i64(1)?),
            queue: some(r.i64(2)?).map(QueueId::new),
            assignee: some(r.i64(3)?).map(UserId::new),
            author: some(r.i64(4)?).map(UserId::new),
            count: r.i64(5)?,
        })
    })
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
        &scope.range(),
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
