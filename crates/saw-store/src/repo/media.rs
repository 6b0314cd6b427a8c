//! Media files of messages: inbound ones wait (`media_state = 'pending'`) for the fetch job,
//! which leases them like the outbox leases sends, and ends `ready` (with the file's name in
//! the media store) or `unavailable` (with why).

use chrono::{DateTime, Utc};
use saw_core::conversation::MessageKind;
use saw_core::ids::{AccountId, ChannelId, MessageId, TicketId};

use crate::conn::Conn;
use crate::{StoreError, params};

/// A media file to fetch, leased until `lease`.
#[derive(Debug, Clone)]
pub struct PendingMedia {
    pub message_id: MessageId,
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub channel_id: ChannelId,
    pub kind: MessageKind,
    /// The provider's media id (WhatsApp media id, Telegram file id).
    pub media_ref: String,
    /// The type the webhook announced, if any.
    pub media_type: Option<String>,
    pub attempts: i64,
    pub lease: DateTime<Utc>,
}

pub fn lease_pending(
    c: &mut dyn Conn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PendingMedia>, StoreError> {
    let (walk, lock) = super::lease_walk(c.dialect(), "messages_media_due");
    let sql = format!(
        "UPDATE messages SET media_claimed_until = $2 WHERE id IN (
            SELECT id FROM messages {walk} WHERE media_state = 'pending'
              AND (media_next_at IS NULL OR media_next_at <= $1)
              AND (media_claimed_until IS NULL OR media_claimed_until <= $1)
            ORDER BY id LIMIT $3 {lock})
         RETURNING id, account_id, ticket_id, channel_id, kind, media_ref, media_type, media_attempts"
    );
    let mut rows = c.query_all(&sql, params![now, lease_until, limit], |r| {
        let kind = r.text(4)?;
        Ok(PendingMedia {
            message_id: MessageId::new(r.i64(0)?),
            account_id: AccountId::new(r.i64(1)?),
            ticket_id: TicketId::new(r.i64(2)?),
            channel_id: ChannelId::new(r.i64(3)?),
            kind: MessageKind::parse(&kind).ok_or_else(|| super::corrupt("message kind", &kind))?,
            media_ref: r.opt_text(5)?.unwrap_or_default(),
            media_type: r.opt_text(6)?,
            attempts: r.i64(7)?,
            lease: lease_until,
        })
    })?;
    rows.sort_by_key(|m| m.message_id);
    Ok(rows)
}

/// The file is in the media store; answers false when the lease ran out meanwhile.
pub fn mark_ready(
    c: &mut dyn Conn,
    m: &PendingMedia,
    path: &str,
    mime_type: &str,
    size: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET media_state = 'ready', media_path = $2, media_type = $3, media_size = $4,
                media_attempts = media_attempts + 1, media_claimed_until = NULL, media_error = NULL, updated_at = $5
         WHERE id = $1 AND media_state = 'pending' AND media_claimed_until = $6",
        params![m.message_id, path, mime_type, size, now, m.lease],
    )?;
    Ok(changed > 0)
}

pub fn schedule_retry(
    c: &mut dyn Conn,
    m: &PendingMedia,
    next: DateTime<Utc>,
    error: &str,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET media_attempts = media_attempts + 1, media_next_at = $2, media_error = $3,
                media_claimed_until = NULL
         WHERE id = $1 AND media_state = 'pending' AND media_claimed_until = $4",
        params![m.message_id, next, error, m.lease],
    )?;
    Ok(changed > 0)
}

/// Given up: agents see the media as unavailable, with why.
pub fn mark_unavailable(
    c: &mut dyn Conn,
    m: &PendingMedia,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = c.execute(
        "UPDATE messages SET media_state = 'unavailable', media_attempts = media_attempts + 1, media_error = $2,
                media_claimed_until = NULL, updated_at = $3
         WHERE id = $1 AND media_state = 'pending' AND media_claimed_until = $4",
        params![m.message_id, error, now, m.lease],
    )?;
    Ok(changed > 0)
}

/// A stored file as it is served.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub ticket_id: TicketId,
    pub path: String,
    pub mime_type: String,
    pub size: i64,
    pub filename: Option<String>,
}

/// The ready file of a message of the account, if any.
pub fn file_of(
    c: &mut dyn Conn,
    account: AccountId,
    message: MessageId,
) -> Result<Option<MediaFile>, StoreError> {
    c.query_opt(
        "SELECT ticket_id, media_path, COALESCE(media_type, 'application/octet-stream'), COALESCE(media_size, 0),
                media_filename
         FROM messages WHERE account_id = $1 AND id = $2 AND media_state = 'ready' AND media_path IS NOT NULL",
        params![account, message],
        |r| {
            Ok(MediaFile {
                ticket_id: TicketId::new(r.i64(0)?),
                path: r.text(1)?,
                mime_type: r.text(2)?,
                size: r.i64(3)?,
                filename: r.opt_text(4)?,
            })
        },
    )
}

/// How many files wait to be fetched.
pub fn pending_count(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.scalar_i64(
        "SELECT COUNT(*) FROM messages WHERE media_state = 'pending'",
        &[],
    )
}
