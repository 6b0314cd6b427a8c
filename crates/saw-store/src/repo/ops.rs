//! Counts for operators' metrics, over every account.

use saw_core::conversation::TicketStatus;

use crate::conn::Conn;
use crate::{StoreError, params};

/// (queued outbound, failed outbound, tickets by status, people online).
#[allow(clippy::type_complexity)]
pub fn figures(c: &mut dyn Conn) -> Result<(i64, i64, Vec<(&'static str, i64)>, i64), StoreError> {
    let (queued, failed) = c.query_one(
        "SELECT
           (SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'queued' AND is_note = FALSE),
           (SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'failed')",
        params![],
        |r| Ok((r.i64(0)?, r.i64(1)?)),
    )?;
    let mut tickets = Vec::new();
    for status in TicketStatus::ALL {
        let n = c.query_one(
            // Account by account (`CROSS JOIN` keeps SQLite from starting at the tickets),
            // so each count reads the status index, not every ticket.
            "SELECT COUNT(*) FROM accounts a CROSS JOIN tickets t
             WHERE t.account_id = a.id AND t.status = $1",
            params![status.as_str()],
            |r| r.i64(0),
        )?;
        tickets.push((status.as_str(), n));
    }
    let online = c.query_one(
        "SELECT COUNT(DISTINCT user_id) FROM user_presence WHERE ended_at IS NULL",
        params![],
        |r| r.i64(0),
    )?;
    Ok((queued, failed, tickets, online))
}
