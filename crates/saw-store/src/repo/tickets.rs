//! Tickets and their history. Every change of state is also a `ticket_events` row (time and
//! actor), which is what metrics are derived from.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use saw_core::conversation::{TicketEventKind, TicketStatus};
use saw_core::ids::{AccountId, ChannelId, ContactId, QueueId, TicketId, UserId};

use crate::conn::{Conn, Dialect, Row};
use crate::{StoreError, params};

/// The contact's ticket on this channel that is not resolved yet, if any (the newest), with
/// its status.
pub fn open_for_contact(
    c: &mut dyn Conn,
    contact: ContactId,
    channel: ChannelId,
) -> Result<Option<(TicketId, TicketStatus)>, StoreError> {
    c.query_opt(
        "SELECT id, status FROM tickets WHERE contact_id = $1 AND channel_id = $2 AND status <> 'resolved'
         ORDER BY id DESC LIMIT 1",
        params![contact, channel],
        |r| Ok((TicketId::new(r.i64(0)?), status(r, 1)?)),
    )
}

/// The contact's last ticket on this channel if it was resolved at or after `since` (a
/// message within the reopening window continues it).
pub fn resolved_since(
    c: &mut dyn Conn,
    contact: ContactId,
    channel: ChannelId,
    since: DateTime<Utc>,
) -> Result<Option<TicketId>, StoreError> {
    c.query_opt(
        "SELECT id FROM tickets WHERE contact_id = $1 AND channel_id = $2 AND status = 'resolved'
           AND resolved_at >= $3 ORDER BY id DESC LIMIT 1",
        params![contact, channel, since],
        |r| Ok(TicketId::new(r.i64(0)?)),
    )
}

/// Where a reopened ticket goes: back to its agent while they are active, else pending in
/// its queue.
pub fn reopen(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    now: DateTime<Utc>,
) -> Result<TicketStatus, StoreError> {
    let (assignee_active, queue) = c.query_one(
        "SELECT COALESCE(u.active, FALSE), t.queue_id FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id
         WHERE t.id = $1",
        params![ticket],
        |r| Ok((r.bool(0)?, r.opt_i64(1)?)),
    )?;
    let status = if assignee_active {
        TicketStatus::Open
    } else {
        TicketStatus::Pending
    };
    c.execute(
        "UPDATE tickets SET status = $2, resolved_at = NULL, updated_at = $3,
                assignee_id = CASE WHEN CAST($2 AS TEXT) = 'open' THEN assignee_id ELSE NULL END,
                queued_at = CASE WHEN CAST($2 AS TEXT) = 'pending' THEN $3 ELSE queued_at END
         WHERE id = $1",
        params![ticket, status.as_str(), now],
    )?;
    let queue = queue.map(QueueId::new);
    record_event(
        c,
        account,
        ticket,
        TicketEventKind::Reopened,
        now,
        None,
        None,
        queue,
    )?;
    if status == TicketStatus::Pending {
        record_event(
            c,
            account,
            ticket,
            TicketEventKind::Queued,
            now,
            None,
            None,
            queue,
        )?;
    }
    Ok(status)
}

/// A user's public reply to a ticket still with the bot or waiting in a queue takes it: it
/// becomes open and theirs. Answers whether it changed hands.
pub fn take_on_reply(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'open', assignee_id = $2, accepted_at = COALESCE(accepted_at, $3),
                bot_state = NULL, updated_at = $3 WHERE id = $1 AND status IN ('bot', 'pending')",
        params![ticket, user, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::Accepted,
        Some(user),
        None,
    )
}

/// A person accepts a pending ticket: open and theirs; `false` when it was not pending any
/// more (someone else was quicker).
pub fn accept(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'open', assignee_id = $3, accepted_at = COALESCE(accepted_at, $4),
                bot_state = NULL, updated_at = $4
         WHERE id = $1 AND account_id = $2 AND status = 'pending'",
        params![ticket, account, user, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::Accepted,
        Some(user),
        None,
    )
}

/// A person resolves a ticket that is not resolved yet; `false` when it already was.
pub fn resolve_by_user(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'resolved', resolved_at = $3, bot_state = NULL, updated_at = $3
         WHERE id = $1 AND account_id = $2 AND status <> 'resolved'",
        params![ticket, account, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::Resolved,
        Some(user),
        None,
    )
}

/// A person hands a pending or open ticket back to the bot: no agent, no queue, the bot's
/// conversation to start afresh; `false` when it was with the bot or resolved.
pub fn return_to_bot(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let from_queue = state(c, ticket)?.queue_id;
    let changed = c.execute(
        "UPDATE tickets SET status = 'bot', assignee_id = NULL, queue_id = NULL, bot_state = NULL, updated_at = $3
         WHERE id = $1 AND account_id = $2 AND status IN ('pending', 'open')",
        params![ticket, account, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::ReturnedToBot,
        Some(user),
        from_queue,
    )
}

/// Where a person sends a ticket: a queue, a person, or both.
#[derive(Debug, Clone, Copy)]
pub struct TransferTarget<'a> {
    pub queue: Option<QueueId>,
    pub user: Option<UserId>,
    pub note: Option<&'a str>,
}

/// A person moves an unresolved ticket. To a queue alone it waits there, pending and
/// unassigned, for that queue's agents; to a person it is open and theirs (in the queue
/// given, or the one it was in). `false` when it was resolved meanwhile.
pub fn transfer(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    actor: UserId,
    to: TransferTarget<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let from_queue = state(c, ticket)?.queue_id;
    let status = match to.user {
        Some(_) => TicketStatus::Open,
        None => TicketStatus::Pending,
    };
    let changed = c.execute(
        "UPDATE tickets SET status = $3, queue_id = COALESCE($4, queue_id), assignee_id = $5,
                queued_at = CASE WHEN CAST($3 AS TEXT) = 'pending' THEN $6 ELSE queued_at END,
                accepted_at = CASE WHEN CAST($3 AS TEXT) = 'open' THEN COALESCE(accepted_at, $6) ELSE accepted_at END,
                bot_state = NULL, updated_at = $6
         WHERE id = $1 AND account_id = $2 AND status <> 'resolved'",
        params![ticket, account, status.as_str(), to.queue, to.user, now],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    let to_queue = state(c, ticket)?.queue_id;
    c.execute(
        "INSERT INTO ticket_events (account_id, ticket_id, kind, at, actor_user_id, from_queue_id, to_queue_id, to_user_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            account,
            ticket,
            TicketEventKind::Transferred.as_str(),
            now,
            actor,
            from_queue,
            to_queue,
            to.user,
            to.note
        ],
    )?;
    if status == TicketStatus::Pending {
        record_event(
            c,
            account,
            ticket,
            TicketEventKind::Queued,
            now,
            None,
            None,
            to_queue,
        )?;
    }
    Ok(true)
}

/// A person reopens a resolved ticket: open again and theirs; `false` when it was not
/// resolved (any more).
pub fn reopen_by_user(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'open', assignee_id = $3, resolved_at = NULL,
                accepted_at = COALESCE(accepted_at, $4), bot_state = NULL, updated_at = $4
         WHERE id = $1 AND account_id = $2 AND status = 'resolved'",
        params![ticket, account, user, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::Reopened,
        Some(user),
        None,
    )
}

/// Where a ticket stands, for the events that announce a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketState {
    pub account_id: AccountId,
    pub status: TicketStatus,
    pub queue_id: Option<QueueId>,
    pub assignee_id: Option<UserId>,
}

pub fn state(c: &mut dyn Conn, ticket: TicketId) -> Result<TicketState, StoreError> {
    c.query_one(
        "SELECT account_id, status, queue_id, assignee_id FROM tickets WHERE id = $1",
        params![ticket],
        |r| {
            Ok(TicketState {
                account_id: AccountId::new(r.i64(0)?),
                status: status(r, 1)?,
                queue_id: r.opt_i64(2)?.map(QueueId::new),
                assignee_id: r.opt_i64(3)?.map(UserId::new),
            })
        },
    )
}

/// The bot hands the ticket to a queue: pending there, the bot silent from now on.
pub fn queue_from_bot(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    queue: Option<QueueId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE tickets SET status = 'pending', queue_id = $2, queued_at = $3, bot_state = NULL, updated_at = $3
         WHERE id = $1",
        params![ticket, queue, now],
    )?;
    record_event(
        c,
        account,
        ticket,
        TicketEventKind::Queued,
        now,
        None,
        None,
        queue,
    )
}

/// How many tickets wait as pending in `queue` (a counter the database's triggers keep, so
/// it costs the same however long the queue is).
pub fn pending_in_queue(c: &mut dyn Conn, queue: QueueId) -> Result<i64, StoreError> {
    Ok(c.query_opt(
        "SELECT waiting FROM queue_waiting WHERE queue_id = $1",
        params![queue],
        |r| r.i64(0),
    )?
    .unwrap_or(0))
}

/// The customer needed nothing more: resolved by the bot, never having reached a queue.
pub fn resolve_by_bot(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE tickets SET status = 'resolved', resolved_at = $2, bot_state = NULL, updated_at = $2 WHERE id = $1",
        params![ticket, now],
    )?;
    record_event(
        c,
        account,
        ticket,
        TicketEventKind::Resolved,
        now,
        None,
        None,
        None,
    )
}

/// Tickets of the account still with the bot and silent since before `cutoff`, oldest
/// first.
pub fn idle_with_bot(
    c: &mut dyn Conn,
    account: AccountId,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TicketId>, StoreError> {
    c.query_all(
        "SELECT id FROM tickets WHERE account_id = $1 AND status = 'bot'
           AND COALESCE(last_message_at, created_at) < $2 ORDER BY id LIMIT $3",
        params![account, cutoff, limit],
        |r| Ok(TicketId::new(r.i64(0)?)),
    )
}

/// Resolves a ticket the bot waited on in vain, unless the customer wrote since `cutoff`
/// (the conditional update settles a race with an arriving message); `false` then.
pub fn resolve_idle(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE tickets SET status = 'resolved', resolved_at = $3, bot_state = NULL, updated_at = $3
         WHERE id = $1 AND status = 'bot' AND COALESCE(last_message_at, created_at) < $2",
        params![ticket, cutoff, now],
    )?;
    record_if(
        c,
        changed,
        account,
        ticket,
        now,
        TicketEventKind::Resolved,
        None,
        None,
    )
}

/// The channel and contact of a ticket.
pub fn channel_and_contact(
    c: &mut dyn Conn,
    ticket: TicketId,
) -> Result<(ChannelId, ContactId), StoreError> {
    c.query_one(
        "SELECT channel_id, contact_id FROM tickets WHERE id = $1",
        params![ticket],
        |r| Ok((ChannelId::new(r.i64(0)?), ContactId::new(r.i64(1)?))),
    )
}

/// The protocol number customers are told.
pub fn protocol(c: &mut dyn Conn, ticket: TicketId) -> Result<String, StoreError> {
    c.query_one(
        "SELECT protocol FROM tickets WHERE id = $1",
        params![ticket],
        |r| r.text(0),
    )
}

pub struct NewTicket {
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub channel_id: ChannelId,
    pub queue_id: Option<QueueId>,
    pub status: TicketStatus,
}

/// Creates a ticket with its protocol number — the date and the ticket's id,
/// `20261125-000042` — shown to customers. Records `created` (and `queued` when it starts
/// in a queue) in its history. Answers the id and the protocol.
pub fn insert(
    c: &mut dyn Conn,
    t: &NewTicket,
    now: DateTime<Utc>,
) -> Result<(TicketId, String), StoreError> {
    let queued_at = (t.status == TicketStatus::Pending).then_some(now);
    let date = now.format("%Y%m%d").to_string();
    // The id is chosen in the statement so that the protocol is written with the row: SQLite
    // gives a new row the highest id plus one anyway (one writer), PostgreSQL takes it from
    // the identity's sequence. Ids past six digits are written whole.
    let insert = match c.dialect() {
        Dialect::Sqlite => {
            "INSERT INTO tickets (id, account_id, contact_id, channel_id, queue_id, status, protocol, created_at, queued_at, updated_at, last_message_at)
             SELECT n.id, $1, $2, $3, $4, $5, $6 || '-' || printf('%06d', n.id), $7, $8, $7, $7
             FROM (SELECT COALESCE(MAX(id), 0) + 1 AS id FROM tickets) n RETURNING id"
        }
        Dialect::Postgres => {
            "INSERT INTO tickets (id, account_id, contact_id, channel_id, queue_id, status, protocol, created_at, queued_at, updated_at, last_message_at)
             SELECT n.id, $1, $2, $3, $4, $5, CAST($6 AS TEXT) || '-' || lpad(n.id::text, GREATEST(6, length(n.id::text)), '0'), $7, $8, $7, $7
             FROM (SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id) n RETURNING id"
        }
    };
    let id = c.insert_returning_id(
        insert,
        params![
            t.account_id,
            t.contact_id,
            t.channel_id,
            t.queue_id,
            t.status.as_str(),
            &date,
            now,
            queued_at
        ],
    )?;
    let protocol = format!("{date}-{id:06}");
    let ticket = TicketId::new(id);
    record_event(
        c,
        t.account_id,
        ticket,
        TicketEventKind::Created,
        now,
        None,
        None,
        t.queue_id,
    )?;
    if t.status == TicketStatus::Pending {
        record_event(
            c,
            t.account_id,
            ticket,
            TicketEventKind::Queued,
            now,
            None,
            None,
            t.queue_id,
        )?;
    }
    Ok((ticket, protocol))
}

#[allow(clippy::too_many_arguments)]
pub fn record_event(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    kind: TicketEventKind,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    from_queue: Option<QueueId>,
    to_queue: Option<QueueId>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO ticket_events (account_id, ticket_id, kind, at, actor_user_id, from_queue_id, to_queue_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![account, ticket, kind.as_str(), at, actor, from_queue, to_queue],
    )
    .map(drop)
}

/// After a conditional update: records the change in the ticket's history when it
/// happened (`changed` rows), and answers whether it did.
#[allow(clippy::too_many_arguments)]
fn record_if(
    c: &mut dyn Conn,
    changed: u64,
    account: AccountId,
    ticket: TicketId,
    at: DateTime<Utc>,
    kind: TicketEventKind,
    actor: Option<UserId>,
    from_queue: Option<QueueId>,
) -> Result<bool, StoreError> {
    if changed == 0 {
        return Ok(false);
    }
    record_event(c, account, ticket, kind, at, actor, from_queue, None)?;
    Ok(true)
}

pub fn touch_last_message(
    c: &mut dyn Conn,
    ticket: TicketId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE tickets SET last_message_at = $2, updated_at = $2 WHERE id = $1",
        params![ticket, at],
    )
    .map(drop)
}

/// Records a customer's message sent at `sent_at`: it refreshes the ticket's 24-hour
/// customer-service window.
pub fn touch_inbound(
    c: &mut dyn Conn,
    ticket: TicketId,
    sent_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sent_at = sent_at.min(now);
    c.execute(
        "UPDATE tickets SET last_message_at = $2, updated_at = $2,
                last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $3 THEN $3
                                       ELSE last_inbound_at END
         WHERE id = $1",
        params![ticket, now, sent_at],
    )
    .map(drop)
}

/// When the customer last wrote on this ticket (the start of its 24-hour window).
pub fn last_inbound_at(
    c: &mut dyn Conn,
    ticket: TicketId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    c.query_one(
        "SELECT last_inbound_at FROM tickets WHERE id = $1",
        params![ticket],
        |r| r.opt_time(0),
    )
}

/// Records the first public reply of an agent and who wrote it (first response time is
/// measured to it).
pub fn mark_agent_reply(
    c: &mut dyn Conn,
    ticket: TicketId,
    author: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE tickets SET first_agent_reply_by = CASE WHEN first_agent_reply_at IS NULL THEN $3 ELSE first_agent_reply_by END,
                first_agent_reply_at = COALESCE(first_agent_reply_at, $2), last_message_at = $2,
                updated_at = $2 WHERE id = $1",
        params![ticket, at, author],
    )
    .map(drop)
}

/// A ticket as lists and the API show it, with the names of what it points at.
#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: TicketId,
    pub status: TicketStatus,
    pub protocol: String,
    pub queue: Option<(QueueId, String)>,
    pub assignee: Option<(UserId, String)>,
    pub channel_id: ChannelId,
    pub channel_kind: String,
    pub channel_name: String,
    pub contact_id: ContactId,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_external_id: String,
    /// The contact asked for no proactive messages ("SAIR").
    pub contact_opted_out: bool,
    pub created_at: DateTime<Utc>,
    pub last_message_at: Option<DateTime<Utc>>,
    /// The customer's answer to the satisfaction question, 1 to 5.
    pub csat_rating: Option<i64>,
    /// Filled by [`with_tags`]; empty until then.
    pub tags: Vec<super::tags::Tag>,
}

/// Fills each row's tags (one query for all of them).
pub fn with_tags(c: &mut dyn Conn, mut rows: Vec<TicketRow>) -> Result<Vec<TicketRow>, StoreError> {
    fill_tags(c, rows.iter_mut().collect())?;
    Ok(rows)
}

/// Fills the tags of rows held elsewhere (in the inbox's rows), in one query.
pub(crate) fn fill_tags(c: &mut dyn Conn, mut rows: Vec<&mut TicketRow>) -> Result<(), StoreError> {
    let ids: Vec<TicketId> = rows.iter().map(|r| r.id).collect();
    for (ticket, tag) in super::tags::of_tickets(c, &ids)? {
        if let Some(row) = rows.iter_mut().find(|r| r.id == ticket) {
            row.tags.push(tag);
        }
    }
    Ok(())
}

/// Who may see which tickets: supervisors and admins all of their account, agents those of
/// their queues and those assigned to them.
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    Account,
    Agent(UserId),
}

impl Visibility {
    pub(crate) fn agent_id(self) -> i64 {
        match self {
            Visibility::Account => 0,
            Visibility::Agent(user) => user.get(),
        }
    }
}

/// The columns [`row`] reads, then the joins they need (`t` the ticket, `k` its contact).
pub(crate) const ROW_COLUMNS: &str =
    "t.id, t.status, t.protocol, q.id, q.name, u.id, u.name, ch.id, ch.kind, ch.name,
        k.id, k.name, k.phone, k.external_id, t.created_at, t.last_message_at, k.opted_out,
        t.csat_rating";
const ROW_COLUMN_COUNT: usize = columns_in(ROW_COLUMNS);
pub(crate) const ROW_JOINS: &str = "FROM tickets t
    JOIN contacts k ON k.id = t.contact_id
    JOIN channels ch ON ch.id = t.channel_id
    LEFT JOIN queues q ON q.id = t.queue_id
    LEFT JOIN users u ON u.id = t.assignee_id";

/// `($3 = 0 OR …)`: agents see their queues' tickets and their own.
pub(crate) const VISIBLE_TO: &str = "($3 = 0 OR t.assignee_id = $3
        OR t.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $3))";

pub(crate) fn row(r: &dyn Row) -> Result<TicketRow, StoreError> {
    let pair = |id: Option<i64>, name: Option<String>| id.zip(name);
    Ok(TicketRow {
        id: TicketId::new(r.i64(0)?),
        status: status(r, 1)?,
        protocol: r.text(2)?,
        queue: pair(r.opt_i64(3)?, r.opt_text(4)?).map(|(id, n)| (QueueId::new(id), n)),
        assignee: pair(r.opt_i64(5)?, r.opt_text(6)?).map(|(id, n)| (UserId::new(id), n)),
        channel_id: ChannelId::new(r.i64(7)?),
        channel_kind: r.text(8)?,
        channel_name: r.text(9)?,
        contact_id: ContactId::new(r.i64(10)?),
        contact_name: r.opt_text(11)?,
        contact_phone: r.opt_text(12)?,
        contact_external_id: r.text(13)?,
        created_at: r.time(14)?,
        last_message_at: r.opt_time(15)?,
        contact_opted_out: r.bool(16)?,
        csat_rating: r.opt_i64(17)?,
        tags: Vec::new(),
    })
}

/// One page of tickets in id order, after `after` (0 for the first page); `status` `None`
/// for every status.
pub fn page(
    c: &mut dyn Conn,
    account: AccountId,
    status: Option<TicketStatus>,
    visibility: Visibility,
    after: i64,
    limit: i64,
) -> Result<Vec<TicketRow>, StoreError> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} {ROW_JOINS} WHERE t.account_id = $1 AND ($2 = 'all' OR t.status = $2) AND {VISIBLE_TO}
         AND t.id > $4 ORDER BY t.id LIMIT $5"
    );
    let status = status.map_or("all", TicketStatus::as_str);
    let rows = c.query_all(
        &sql,
        params![account, status, visibility.agent_id(), after, limit],
        row,
    )?;
    with_tags(c, rows)
}

/// One ticket, if it exists in the account and `visibility` allows it.
pub fn visible(
    c: &mut dyn Conn,
    account: AccountId,
    id: TicketId,
    visibility: Visibility,
) -> Result<TicketRow, StoreError> {
    // The live streams read a ticket for every change: its tags come in the same query, a
    // row per tag.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {ROW_COLUMNS}, g.id, g.name, g.color {ROW_JOINS}
             LEFT JOIN ticket_tags x ON x.ticket_id = t.id LEFT JOIN tags g ON g.id = x.tag_id
             WHERE t.account_id = $1 AND t.id = $2 AND {VISIBLE_TO} ORDER BY g.name_key"
        )
    });
    let mut found: Option<TicketRow> = None;
    c.query_each(
        &SQL,
        params![account, id, visibility.agent_id()],
        &mut |r| {
            let ticket = match &mut found {
                Some(ticket) => ticket,
                None => found.insert(row(r)?),
            };
            ticket
                .tags
                .extend(super::tags::tag_at(r, ROW_COLUMN_COUNT)?);
            Ok(())
        },
    )?;
    found.ok_or(StoreError::NotFound)
}

/// A contact's tickets that `visibility` allows, newest first.
pub fn of_contact(
    c: &mut dyn Conn,
    account: AccountId,
    contact: ContactId,
    visibility: Visibility,
    limit: i64,
) -> Result<Vec<TicketRow>, StoreError> {
    let sql = format!(
        "SELECT {ROW_COLUMNS} {ROW_JOINS} WHERE t.account_id = $1 AND t.contact_id = $2 AND {VISIBLE_TO}
         ORDER BY t.id DESC LIMIT $4"
    );
    let rows = c.query_all(
        &sql,
        params![account, contact, visibility.agent_id(), limit],
        row,
    )?;
    with_tags(c, rows)
}

/// Keeps a note (a resolution's reason) on the ticket's last history entry of `kind`.
pub fn note_last_event(
    c: &mut dyn Conn,
    ticket: TicketId,
    kind: TicketEventKind,
    note: &str,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE ticket_events SET note = $3 WHERE id = (SELECT MAX(id) FROM ticket_events
         WHERE ticket_id = $1 AND kind = $2)",
        params![ticket, kind.as_str(), note],
    )
    .map(drop)
}

fn status(r: &dyn Row, idx: usize) -> Result<TicketStatus, StoreError> {
    let text = r.text(idx)?;
    TicketStatus::parse(&text).ok_or_else(|| super::corrupt("ticket status", &text))
}

/// How many columns a `SELECT` list without functions names.
const fn columns_in(list: &str) -> usize {
    let bytes = list.as_bytes();
    let (mut i, mut columns) = (0, 1);
    while i < bytes.len() {
        if bytes[i] == b',' {
            columns += 1;
        }
        i += 1;
    }
    columns
}
