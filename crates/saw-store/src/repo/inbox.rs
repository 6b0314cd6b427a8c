//! The agents' inbox: its tabs, filters and search, a page at a time, with the last message
//! and the person's unread count on each ticket.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, ChannelId, MessageId, QueueId, TicketId, UserId};

use super::tickets::{ROW_COLUMNS, ROW_JOINS, TicketRow, VISIBLE_TO, Visibility, row};
use crate::conn::Conn;
use crate::{StoreError, params};

/// The inbox's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Waiting in the person's queues, oldest first.
    Pending,
    /// Open and theirs, latest message first.
    Mine,
    /// Resolved, latest first.
    Resolved,
    /// Everything not resolved that the person may see (supervisors: the whole account).
    All,
}

impl Tab {
    fn condition(self) -> &'static str {
        match self {
            Tab::Pending => "t.status = 'pending'",
            Tab::Mine => "t.status = 'open' AND t.assignee_id = $2",
            Tab::Resolved => "t.status = 'resolved'",
            // A list, not `<> 'resolved'`, so the status index finds them without a scan.
            Tab::All => "t.status IN ('bot', 'pending', 'open')",
        }
    }

    /// The time a tab is sorted by, and whether oldest come first.
    fn sort(self) -> (&'static str, bool) {
        match self {
            Tab::Pending => ("COALESCE(t.queued_at, t.created_at)", true),
            Tab::Mine | Tab::All => ("COALESCE(t.last_message_at, t.created_at)", false),
            // Every way of resolving sets `resolved_at`; the bare column lets its index sort.
            Tab::Resolved => ("t.resolved_at", false),
        }
    }
}

/// What narrows a tab: a queue, a channel, a tag, and words found in the contact's name,
/// phone or any message of the ticket.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub queue: Option<QueueId>,
    pub channel: Option<ChannelId>,
    pub tag: Option<i64>,
    pub search: Option<String>,
}

/// Where the next page starts: the last row's sort time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: TicketId,
}

/// A ticket as the inbox lists it.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub ticket: TicketRow,
    /// The last message the customer would see or wrote (notes excluded), and whether the
    /// customer wrote it.
    pub last_text: Option<String>,
    pub last_from_customer: bool,
    /// Customer messages this person has not read.
    pub unread: i64,
    /// Since when it waits in its queue (pending tickets).
    pub queued_at: Option<DateTime<Utc>>,
    /// Its queue's waiting limit in minutes (0: none).
    pub max_wait_minutes: i64,
    pub cursor: Cursor,
}

/// A `LIKE` pattern matching `words` anywhere, lower-cased, with `%` and `_` taken literally.
fn like_pattern(words: &str) -> String {
    let escaped = words
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[allow(clippy::too_many_arguments)]
pub fn page(
    c: &mut dyn Conn,
    account: AccountId,
    visibility: Visibility,
    viewer: UserId,
    tab: Tab,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<InboxRow>, StoreError> {
    let (sort, ascending) = tab.sort();
    let (cmp, order) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let sql = format!(
        "SELECT {ROW_COLUMNS},
            (SELECT m.body FROM messages m WHERE m.ticket_id = t.id AND m.is_note = FALSE
              ORDER BY m.id DESC LIMIT 1),
            (SELECT m.direction FROM messages m WHERE m.ticket_id = t.id AND m.is_note = FALSE
              ORDER BY m.id DESC LIMIT 1),
            (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'
              AND m.id > COALESCE((SELECT r.last_read_message_id FROM ticket_reads r
                                   WHERE r.user_id = $2 AND r.ticket_id = t.id), 0)),
            t.queued_at, {sort}, COALESCE(q.max_wait_minutes, 0)
         {ROW_JOINS}
         WHERE t.account_id = $1 AND {condition} AND {VISIBLE_TO}
           AND ($4 = 0 OR t.queue_id = $4) AND ($5 = 0 OR t.channel_id = $5)
           AND ($6 = 0 OR EXISTS (SELECT 1 FROM ticket_tags tt WHERE tt.ticket_id = t.id AND tt.tag_id = $6))
           AND ($7 = '' OR LOWER(COALESCE(k.name, '')) LIKE $7 ESCAPE '\\'
                OR COALESCE(k.phone, '') LIKE $7 ESCAPE '\\' OR k.external_id LIKE $7 ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id
                           AND LOWER(COALESCE(m.body, '')) LIKE $7 ESCAPE '\\'))
           AND ($8 = 0 OR {sort} {cmp} $9 OR ({sort} = $9 AND t.id {cmp} $10))
         ORDER BY {sort} {order}, t.id {order} LIMIT $11",
        condition = tab.condition(),
    );
    let search = filter
        .search
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(like_pattern)
        .unwrap_or_default();
    let (has_cursor, cursor_at, cursor_id) = match after {
        Some(c) => (1_i64, c.at, c.id.get()),
        None => (0, DateTime::<Utc>::UNIX_EPOCH, 0),
    };
    let mut rows = c.query_all(
        &sql,
        params![
            account,
            viewer,
            visibility.agent_id(),
            filter.queue.map_or(0, QueueId::get),
            filter.channel.map_or(0, ChannelId::get),
            filter.tag.unwrap_or(0),
            &search,
            has_cursor,
            cursor_at,
            cursor_id,
            limit
        ],
        |r| {
            let ticket = row(r)?;
            let id = ticket.id;
            Ok(InboxRow {
                ticket,
                last_text: r.opt_text(18)?,
                last_from_customer: r.opt_text(19)?.as_deref() == Some("in"),
                unread: r.i64(20)?,
                queued_at: r.opt_time(21)?,
                max_wait_minutes: r.i64(23)?,
                cursor: Cursor {
                    at: r.time(22)?,
                    id,
                },
            })
        },
    )?;
    super::tickets::fill_tags(c, rows.iter_mut().map(|r| &mut r.ticket).collect())?;
    Ok(rows)
}

/// How many tickets wait in the person's queues, and how many are open and theirs.
pub fn counts(
    c: &mut dyn Conn,
    account: AccountId,
    visibility: Visibility,
    viewer: UserId,
) -> Result<(i64, i64), StoreError> {
    let sql = format!(
        "SELECT
            (SELECT COUNT(*) FROM tickets t WHERE t.account_id = $1 AND t.status = 'pending' AND {VISIBLE_TO}),
            (SELECT COUNT(*) FROM tickets t WHERE t.account_id = $1 AND t.status = 'open' AND t.assignee_id = $2)"
    );
    c.query_one(&sql, params![account, viewer, visibility.agent_id()], |r| {
        Ok((r.i64(0)?, r.i64(1)?))
    })
}

/// The person has read the ticket up to `message`.
pub fn mark_read(
    c: &mut dyn Conn,
    user: UserId,
    ticket: TicketId,
    message: MessageId,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO ticket_reads (user_id, ticket_id, last_read_message_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, ticket_id) DO UPDATE SET last_read_message_id = excluded.last_read_message_id
         WHERE ticket_reads.last_read_message_id < excluded.last_read_message_id",
        params![user, ticket, message],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_taken_literally() {
        assert_eq!(like_pattern(" 100%_Ana "), "%100\\%\\_ana%");
    }
}
