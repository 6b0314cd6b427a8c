//! Messages of a ticket. `(channel_id, provider_id)` is unique: a provider's redelivery of a
//! message is recognised and changes nothing.

use chrono::{DateTime, Utc};
use saw_core::conversation::{DeliveryStatus, MessageDirection, MessageKind};
use saw_core::ids::{AccountId, ChannelId, MessageId, TicketId, UserId};

use crate::conn::Conn;
use crate::repo::tallies;
use crate::{StoreError, params};

pub fn exists(c: &mut dyn Conn, channel: ChannelId, provider_id: &str) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT id FROM messages WHERE channel_id = $1 AND provider_id = $2",
        params![channel, provider_id],
        |r| r.i64(0),
    )?
    .is_some())
}

pub struct NewInbound<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub channel_id: ChannelId,
    pub provider_id: &'a str,
    pub kind: MessageKind,
    pub body: Option<&'a str>,
    pub media_ref: Option<&'a str>,
    pub media_type: Option<&'a str>,
    pub media_filename: Option<&'a str>,
    pub reply_to_provider_id: Option<&'a str>,
    /// The provider's JSON: kept for unsupported kinds only, and structured extras
    /// (location, contact cards, the chosen option).
    pub raw: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub fn insert_inbound(
    c: &mut dyn Conn,
    m: &NewInbound<'_>,
    now: DateTime<Utc>,
) -> Result<MessageId, StoreError> {
    let reply_to = match m.reply_to_provider_id {
        Some(quoted) => c.query_opt(
            "SELECT id FROM messages WHERE channel_id = $1 AND provider_id = $2",
            params![m.channel_id, quoted],
            |r| r.i64(0),
        )?,
        None => None,
    };
    let id = c.insert_returning_id(
        "INSERT INTO messages (account_id, ticket_id, channel_id, direction, kind, body, media_ref, media_type,
                               provider_id, status, reply_to_id, raw, created_at, updated_at, media_filename,
                               media_state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 CASE WHEN CAST($7 AS TEXT) IS NULL THEN NULL ELSE 'pending' END) RETURNING id",
        params![
            m.account_id,
            m.ticket_id,
            m.channel_id,
            MessageDirection::Inbound.as_str(),
            m.kind.as_str(),
            m.body,
            m.media_ref,
            m.media_type,
            m.provider_id,
            DeliveryStatus::Delivered.as_str(),
            reply_to,
            m.raw,
            m.at,
            now,
            m.media_filename
        ],
    )?;
    tallies::count(
        c,
        &tallies::Counted {
            account_id: m.account_id,
            ticket_id: m.ticket_id,
            channel_id: m.channel_id,
            direction: MessageDirection::Inbound,
            author: None,
            at: m.at,
        },
    )?;
    Ok(MessageId::new(id))
}

/// Sets (or with `None` removes) the customer's reaction on a message; answers the message
/// and its ticket when the message is known.
pub fn set_reaction(
    c: &mut dyn Conn,
    channel: ChannelId,
    provider_id: &str,
    emoji: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<(MessageId, TicketId)>, StoreError> {
    let found = c.query_opt(
        "SELECT id, ticket_id FROM messages WHERE channel_id = $1 AND provider_id = $2",
        params![channel, provider_id],
        |r| Ok((MessageId::new(r.i64(0)?), TicketId::new(r.i64(1)?))),
    )?;
    if let Some((id, _)) = found {
        c.execute(
            "UPDATE messages SET reaction = $2, updated_at = $3 WHERE id = $1",
            params![id, emoji, now],
        )?;
    }
    Ok(found)
}

/// A message's delivery status.
pub fn status_of(c: &mut dyn Conn, id: MessageId) -> Result<DeliveryStatus, StoreError> {
    let status = c.query_one(
        "SELECT status FROM messages WHERE id = $1",
        params![id],
        |r| r.text(0),
    )?;
    DeliveryStatus::parse(&status).ok_or_else(|| super::corrupt("message status", &status))
}

/// What became of a delivery status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusApplied {
    Updated {
        message: MessageId,
        ticket: TicketId,
    },
    /// The message already had this or a later status: a status never moves backwards.
    Stale,
    /// No such message yet: kept in `pending_statuses` until it appears.
    Kept,
}

pub fn apply_status(
    c: &mut dyn Conn,
    channel: ChannelId,
    provider_id: &str,
    status: DeliveryStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<StatusApplied, StoreError> {
    let current = c.query_opt(
        "SELECT id, status, ticket_id FROM messages WHERE channel_id = $1 AND provider_id = $2",
        params![channel, provider_id],
        |r| Ok((r.i64(0)?, r.text(1)?, r.i64(2)?)),
    )?;
    let Some((id, current, ticket)) = current else {
        c.execute(
            "INSERT INTO pending_statuses (channel_id, provider_id, status, error, at) VALUES ($1, $2, $3, $4, $5)",
            params![channel, provider_id, status.as_str(), error, at],
        )?;
        return Ok(StatusApplied::Kept);
    };
    let current = DeliveryStatus::parse(&current)
        .ok_or_else(|| super::corrupt("message status", &current))?;
    if status.rank() <= current.rank() {
        return Ok(StatusApplied::Stale);
    }
    c.execute(
        "UPDATE messages SET status = $2, error = COALESCE($3, error), updated_at = $4 WHERE id = $1",
        params![id, status.as_str(), error, at],
    )?;
    Ok(StatusApplied::Updated {
        message: MessageId::new(id),
        ticket: TicketId::new(ticket),
    })
}

/// How many statuses wait for their message (for tests and health pages).
pub fn pending_status_count(c: &mut dyn Conn, channel: ChannelId) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM pending_statuses WHERE channel_id = $1",
        params![channel],
    )
}

/// A message as the API and pages show it.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub direction: MessageDirection,
    pub kind: MessageKind,
    pub body: Option<String>,
    pub media_ref: Option<String>,
    pub media_type: Option<String>,
    pub provider_id: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub author: Option<(UserId, String)>,
    pub is_note: bool,
    pub reply_to: Option<MessageId>,
    pub reaction: Option<String>,
    pub raw: Option<String>,
    pub created_at: DateTime<Utc>,
    pub media: Option<MediaInfo>,
    /// What an outbound message sends when it is more than text (a menu, a template), as
    /// JSON.
    pub payload: Option<String>,
}

/// Where a message's file stands.
#[derive(Debug, Clone)]
pub struct MediaInfo {
    /// `pending`, `ready` or `unavailable`.
    pub state: String,
    pub size: Option<i64>,
    pub filename: Option<String>,
    /// Why it is unavailable (or why the last fetch failed).
    pub error: Option<String>,
}

const ROW_SELECT: &str =
    "SELECT m.id, m.direction, m.kind, m.body, m.media_ref, m.media_type, m.provider_id, m.status,
        m.error, u.id, u.name, m.is_note, m.reply_to_id, m.reaction, m.raw, m.created_at,
        m.ticket_id, m.media_state, m.media_size, m.media_filename, m.media_error, m.payload
    FROM messages m LEFT JOIN users u ON u.id = m.author_user_id";

fn message_row(r: &dyn crate::Row) -> Result<MessageRow, StoreError> {
    let (direction, kind, status) = (r.text(1)?, r.text(2)?, r.text(7)?);
    Ok(MessageRow {
        id: MessageId::new(r.i64(0)?),
        direction: MessageDirection::parse(&direction)
            .ok_or_else(|| super::corrupt("direction", &direction))?,
        kind: MessageKind::parse(&kind).ok_or_else(|| super::corrupt("message kind", &kind))?,
        body: r.opt_text(3)?,
        media_ref: r.opt_text(4)?,
        media_type: r.opt_text(5)?,
        provider_id: r.opt_text(6)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| super::corrupt("message status", &status))?,
        error: r.opt_text(8)?,
        author: r
            .opt_i64(9)?
            .zip(r.opt_text(10)?)
            .map(|(id, name)| (UserId::new(id), name)),
        is_note: r.bool(11)?,
        reply_to: r.opt_i64(12)?.map(MessageId::new),
        reaction: r.opt_text(13)?,
        raw: r.opt_text(14)?,
        created_at: r.time(15)?,
        ticket_id: TicketId::new(r.i64(16)?),
        media: match r.opt_text(17)? {
            Some(state) => Some(MediaInfo {
                state,
                size: r.opt_i64(18)?,
                filename: r.opt_text(19)?,
                error: r.opt_text(20)?,
            }),
            None => None,
        },
        payload: r.opt_text(21)?,
    })
}

/// The messages of a ticket, oldest first.
pub fn of_ticket(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
) -> Result<Vec<MessageRow>, StoreError> {
    let sql = format!(
        "{ROW_SELECT} WHERE m.account_id = $1 AND m.ticket_id = $2 ORDER BY m.created_at, m.id"
    );
    c.query_all(&sql, params![account, ticket], message_row)
}

/// A ticket's last `limit` messages before `before` (all of them when `None`), oldest first:
/// a long conversation is read a page at a time, from its end.
pub fn of_ticket_before(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let sql = format!(
        "{ROW_SELECT} WHERE m.account_id = $1 AND m.ticket_id = $2 AND ($3 = 0 OR m.id < $3)
         ORDER BY m.id DESC LIMIT $4"
    );
    let before = before.map_or(0, MessageId::get);
    let mut rows = c.query_all(&sql, params![account, ticket, before, limit], message_row)?;
    rows.reverse();
    Ok(rows)
}

/// The last `limit` messages exchanged with one customer of a channel, across tickets,
/// oldest first (what that customer's phone would show).
pub fn with_customer(
    c: &mut dyn Conn,
    account: AccountId,
    channel: ChannelId,
    external_id: &str,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let sql = format!(
        "{ROW_SELECT} JOIN tickets t ON t.id = m.ticket_id JOIN contacts k ON k.id = t.contact_id
         WHERE m.account_id = $1 AND m.channel_id = $2 AND k.external_id = $3 AND m.is_note = FALSE
         ORDER BY m.id DESC LIMIT $4"
    );
    let mut rows = c.query_all(
        &sql,
        params![account, channel, external_id, limit],
        message_row,
    )?;
    rows.reverse();
    Ok(rows)
}

/// One message of the account.
pub fn by_id(
    c: &mut dyn Conn,
    account: AccountId,
    id: MessageId,
) -> Result<MessageRow, StoreError> {
    let sql = format!("{ROW_SELECT} WHERE m.account_id = $1 AND m.id = $2");
    c.query_one(&sql, params![account, id], message_row)
}

/// A private note: kept with the conversation, never sent.
pub fn insert_note(
    c: &mut dyn Conn,
    account: AccountId,
    ticket: TicketId,
    channel: ChannelId,
    author: UserId,
    body: &str,
    now: DateTime<Utc>,
) -> Result<MessageId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO messages (account_id, ticket_id, channel_id, direction, kind, body, status, author_user_id,
                               is_note, created_at, updated_at)
         VALUES ($1, $2, $3, 'out', 'text', $4, 'delivered', $5, TRUE, $6, $6) RETURNING id",
        params![account, ticket, channel, body, author, now],
    )
    .map(MessageId::new)
}

/// The message a user's earlier call with this idempotency key created, and its ticket.
pub fn by_idempotency_key(
    c: &mut dyn Conn,
    user: UserId,
    key: &str,
) -> Result<Option<(TicketId, MessageId)>, StoreError> {
    c.query_opt(
        "SELECT ticket_id, message_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        params![user, key],
        |r| Ok((TicketId::new(r.i64(0)?), MessageId::new(r.i64(1)?))),
    )
}

pub fn remember_idempotency_key(
    c: &mut dyn Conn,
    user: UserId,
    key: &str,
    ticket: TicketId,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO idempotency_keys (user_id, key, ticket_id, message_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![user, key, ticket, message, now],
    )
    .map(drop)
}
