//! The outbox: outbound messages with status `queued` (private notes excluded). Rows are
//! written in the same transaction as whatever decided to send them; the dispatcher leases
//! due rows, sends them, and records the outcome. One row is never sent twice by SAW itself:
//! a lease is taken before the call and the result written after it.

use chrono::{DateTime, Utc};
use saw_core::conversation::{DeliveryStatus, MessageDirection, MessageKind};
use saw_core::ids::{AccountId, ChannelId, MessageId, TicketId, UserId};

use crate::conn::Conn;
use crate::repo::messages::{self, StatusApplied};
use crate::repo::tallies;
use crate::{StoreError, params};

pub struct NewOutbound<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub channel_id: ChannelId,
    pub body: &'a str,
    /// `None` for what the system or the bot sends.
    pub author: Option<UserId>,
}

/// Queues a text message for sending.
pub fn enqueue_text(
    c: &mut dyn Conn,
    m: &NewOutbound<'_>,
    now: DateTime<Utc>,
) -> Result<MessageId, StoreError> {
    enqueue(c, m, MessageKind::Text, None, None, now)
}

/// Queues a message of any kind: `body` is what the inbox shows (a menu's text, a caption),
/// `payload` the JSON of what to send when it is more than text, `reply_to` the message it
/// quotes.
pub fn enqueue(
    c: &mut dyn Conn,
    m: &NewOutbound<'_>,
    kind: MessageKind,
    payload: Option<&str>,
    reply_to: Option<MessageId>,
    now: DateTime<Utc>,
) -> Result<MessageId, StoreError> {
    let id = c.insert_returning_id(
        "INSERT INTO messages (account_id, ticket_id, channel_id, direction, kind, body, status, author_user_id,
                               is_note, attempts, created_at, updated_at, payload, reply_to_id, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, 0, $9, $9, $10, $11,
                 (SELECT CASE WHEN o.next_attempt_at > $9 THEN o.next_attempt_at END FROM messages o
                  WHERE o.ticket_id = $2 AND o.direction = 'out' AND o.status = 'queued' AND o.is_note = FALSE
                  ORDER BY o.id DESC LIMIT 1))
         RETURNING id",
        params![
            m.account_id,
            m.ticket_id,
            m.channel_id,
            MessageDirection::Outbound.as_str(),
            kind.as_str(),
            m.body,
            DeliveryStatus::Queued.as_str(),
            m.author,
            now,
            payload,
            reply_to
        ],
    )?;
    tallies::count(
        c,
        &tallies::Counted {
            account_id: m.account_id,
            ticket_id: m.ticket_id,
            channel_id: m.channel_id,
            direction: MessageDirection::Outbound,
            author: m.author,
            at: now,
        },
    )?;
    Ok(MessageId::new(id))
}

/// A leased row, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: MessageId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub ticket_id: TicketId,
    pub body: String,
    /// The JSON of what to send when it is more than `body` as text.
    pub payload: Option<String>,
    /// The provider's id of the message this one quotes.
    pub reply_to: Option<String>,
    /// The file to upload, by its name in the media store, for media messages.
    pub media_path: Option<String>,
    /// The customer's id on the channel (`wa_id`, Telegram chat id).
    pub to: String,
    pub attempts: i64,
    /// The lease this holder got; results are written only while it still holds it.
    pub lease: DateTime<Utc>,
    /// When the channel's settings last changed: a copy of them older than this is stale.
    pub channel_updated_at: DateTime<Utc>,
}

/// Leases up to `limit` due rows until `lease_until`, earliest due first: the oldest queued
/// message of each ticket only, so a conversation's messages leave in order. A row is due
/// from its `next_attempt_at` (a pace, a retry), or from its creation.
pub fn lease_due(
    c: &mut dyn Conn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Leased>, StoreError> {
    let (walk, lock) = super::lease_walk(c.dialect(), "messages_outbox_due");
    let sql = format!(
        "UPDATE messages SET claimed_until = $2 WHERE id IN (
            SELECT m.id FROM messages m {walk}
            WHERE m.direction = 'out' AND m.status = 'queued' AND m.is_note = FALSE
              AND COALESCE(m.next_attempt_at, m.created_at) <= $1
              AND (m.claimed_until IS NULL OR m.claimed_until <= $1)
              AND NOT EXISTS (SELECT 1 FROM channels ch WHERE ch.id = m.channel_id
                              AND ch.health_error IS NOT NULL AND ch.health_retry_at > $1)
              AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.ticket_id = m.ticket_id AND o.direction = 'out'
                              AND o.status = 'queued' AND o.is_note = FALSE AND o.id < m.id)
            ORDER BY COALESCE(m.next_attempt_at, m.created_at), m.id LIMIT $3 {lock})
         RETURNING id, account_id, channel_id, ticket_id, COALESCE(body, ''),
                   (SELECT k.external_id FROM tickets t JOIN contacts k ON k.id = t.contact_id
                    WHERE t.id = messages.ticket_id),
                   attempts, payload,
                   (SELECT q.provider_id FROM messages q WHERE q.id = messages.reply_to_id),
                   media_path,
                   (SELECT ch.updated_at FROM channels ch WHERE ch.id = messages.channel_id)"
    );
    // What sending needs comes back with the lease itself: one statement, not one per row.
    let mut leased = c.query_all(&sql, params![now, lease_until, limit], |r| {
        Ok(Leased {
            id: MessageId::new(r.i64(0)?),
            account_id: AccountId::new(r.i64(1)?),
            channel_id: ChannelId::new(r.i64(2)?),
            ticket_id: TicketId::new(r.i64(3)?),
            body: r.text(4)?,
            to: r.text(5)?,
            attempts: r.i64(6)?,
            payload: r.opt_text(7)?,
            reply_to: r.opt_text(8)?,
            media_path: r.opt_text(9)?,
            lease: lease_until,
            channel_updated_at: r.time(10)?,
        })
    })?;
    leased.sort_by_key(|l| l.id);
    Ok(leased)
}

/// The provider took the message: record its id, then apply any status that arrived for
/// that id before SAW knew it. `None` when the lease was lost (nothing recorded), else
/// whether such statuses were applied (the message's status is then no longer `sent`).
pub fn mark_sent(
    c: &mut dyn Conn,
    row: &Leased,
    provider_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<bool>, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET status = 'sent', provider_id = $2, attempts = attempts + 1, claimed_until = NULL,
                next_attempt_at = NULL, error = NULL, updated_at = $3
         WHERE id = $1 AND status = 'queued' AND claimed_until = $4",
        params![row.id, provider_id, now, row.lease],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    apply_early_statuses(c, row.channel_id, provider_id).map(Some)
}

/// Applies the statuses that arrived for `provider_id` before SAW recorded that id, in the
/// order they arrived; answers whether there were any.
pub fn apply_early_statuses(
    c: &mut dyn Conn,
    channel: ChannelId,
    provider_id: &str,
) -> Result<bool, StoreError> {
    let mut early = c.query_all(
        "DELETE FROM pending_statuses WHERE channel_id = $1 AND provider_id = $2
         RETURNING id, status, error, at",
        params![channel, provider_id],
        |r| Ok((r.i64(0)?, r.text(1)?, r.opt_text(2)?, r.time(3)?)),
    )?;
    early.sort_by_key(|(id, ..)| *id);
    for (_, status, error, at) in &early {
        if let Some(status) = DeliveryStatus::parse(status) {
            let applied =
                messages::apply_status(c, channel, provider_id, status, error.as_deref(), *at)?;
            debug_assert_ne!(applied, StatusApplied::Kept);
        }
    }
    Ok(!early.is_empty())
}

/// Waiting statuses whose message is now known (a status and the send's answer can cross:
/// on PostgreSQL both transactions may miss each other), as (channel, provider id).
pub fn early_statuses_now_known(
    c: &mut dyn Conn,
    limit: i64,
) -> Result<Vec<(ChannelId, String)>, StoreError> {
    c.query_all(
        "SELECT DISTINCT p.channel_id, p.provider_id FROM pending_statuses p
         JOIN messages m ON m.channel_id = p.channel_id AND m.provider_id = p.provider_id LIMIT $1",
        params![limit],
        |r| Ok((ChannelId::new(r.i64(0)?), r.text(1)?)),
    )
}

/// A transient failure: try again at `next_attempt_at`.
pub fn schedule_retry(
    c: &mut dyn Conn,
    row: &Leased,
    next_attempt_at: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET attempts = attempts + 1, next_attempt_at = $2, claimed_until = NULL, error = $3,
                updated_at = $4 WHERE id = $1 AND status = 'queued' AND claimed_until = $5",
        params![row.id, next_attempt_at, error, now, row.lease],
    )?;
    if changed > 0 {
        hold_back_later_rows(c, row, next_attempt_at)?;
    }
    Ok(changed > 0)
}

/// The ticket's later queued rows wait until `until` too: they may not go before `row`, and
/// left due they would be walked past at every lease until then (so would a row queued
/// meanwhile, which [`enqueue`] makes wait as long as the ticket's last one). This only
/// keeps them out of the lease's walk: the order itself is kept by the lease's check for an
/// older queued row, whatever the times say (a resent failed row, or on PostgreSQL a row
/// queued while another instance defers, may be due before the rows ahead of it).
fn hold_back_later_rows(
    c: &mut dyn Conn,
    row: &Leased,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE messages SET next_attempt_at = $3
         WHERE ticket_id = $1 AND id > $2 AND direction = 'out' AND status = 'queued' AND is_note = FALSE
           AND COALESCE(next_attempt_at, created_at) < $3",
        params![row.ticket_id, row.id, until],
    )
    .map(drop)
}

/// Records what a send learned before the provider took the message (the media id an
/// upload gave), so a retry does not upload again.
pub fn set_payload(c: &mut dyn Conn, row: &Leased, payload: &str) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET payload = $2 WHERE id = $1 AND status = 'queued' AND claimed_until = $3",
        params![row.id, payload, row.lease],
    )?;
    Ok(changed > 0)
}

/// A file an agent sends: stored in the media store already (`ready`), uploaded to the
/// provider by the dispatcher.
pub fn attach_file(
    c: &mut dyn Conn,
    message: MessageId,
    path: &str,
    mime_type: &str,
    size: i64,
    filename: Option<&str>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE messages SET media_state = 'ready', media_path = $2, media_type = $3, media_size = $4,
                media_filename = $5 WHERE id = $1",
        params![message, path, mime_type, size, filename],
    )
}

/// Puts a leased row back without counting an attempt, to go at `until` (a pace to keep)
/// or when its channel is healthy again.
pub fn defer(c: &mut dyn Conn, row: &Leased, until: DateTime<Utc>) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET next_attempt_at = $2, claimed_until = NULL
         WHERE id = $1 AND status = 'queued' AND claimed_until = $3",
        params![row.id, until, row.lease],
    )?;
    if changed > 0 {
        hold_back_later_rows(c, row, until)?;
    }
    Ok(changed > 0)
}

/// A permanent failure: the row stays, `failed`, with the provider's reason for the agent.
pub fn mark_failed(
    c: &mut dyn Conn,
    row: &Leased,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET status = 'failed', attempts = attempts + 1, claimed_until = NULL, error = $2,
                updated_at = $3 WHERE id = $1 AND status = 'queued' AND claimed_until = $4",
        params![row.id, error, now, row.lease],
    )?;
    Ok(changed > 0)
}

/// A person sends a failed message again: back in the outbox, its attempts counted afresh
/// and its reason cleared. `false` when it is not a failed outbound message of the ticket.
pub fn requeue_failed(
    c: &mut dyn Conn,
    ticket: TicketId,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET status = 'queued', attempts = 0, error = NULL, next_attempt_at = NULL,
                claimed_until = NULL, updated_at = $3
         WHERE id = $1 AND ticket_id = $2 AND direction = 'out' AND status = 'failed' AND is_note = FALSE",
        params![message, ticket, now],
    )?;
    Ok(changed > 0)
}

/// How many rows wait to be sent (the outbox depth).
pub fn depth(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'queued' AND is_note = FALSE",
        &[],
    )
}
