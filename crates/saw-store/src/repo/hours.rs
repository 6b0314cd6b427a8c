//! Business hours: weekly intervals (weekday 0 = Monday, minutes after midnight; a close
//! before the open runs past midnight) and exceptional dates, for the account (`queue`
//! `None`) or one queue.

use saw_core::ids::{AccountId, QueueId};

use crate::conn::Conn;
use crate::{StoreError, params};

/// One weekly interval: (queue, weekday, opens, closes).
pub type WeeklyRow = (Option<QueueId>, i64, i64, i64);

/// One exceptional date: (queue, day `YYYY-MM-DD`, opens and closes minutes when not closed
/// all day, description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRow {
    pub queue: Option<QueueId>,
    pub day: String,
    pub hours: Option<(i64, i64)>,
    pub description: String,
}

/// Every schedule of the account, the account's and each queue's.
pub fn all(
    c: &mut dyn Conn,
    account: AccountId,
) -> Result<(Vec<WeeklyRow>, Vec<ExceptionRow>), StoreError> {
    let weekly = c.query_all(
        "SELECT queue_id, weekday, opens_minute, closes_minute FROM business_hours
         WHERE account_id = $1 ORDER BY id",
        params![account],
        |r| {
            Ok((
                r.opt_i64(0)?.map(QueueId::new),
                r.i64(1)?,
                r.i64(2)?,
                r.i64(3)?,
            ))
        },
    )?;
    let exceptions = c.query_all(
        "SELECT queue_id, day, closed, opens_minute, closes_minute, description
         FROM business_hours_exceptions WHERE account_id = $1 ORDER BY id",
        params![account],
        |r| {
            let closed = r.bool(2)?;
            let hours = match (closed, r.opt_i64(3)?, r.opt_i64(4)?) {
                (false, Some(open), Some(close)) => Some((open, close)),
                _ => None,
            };
            Ok(ExceptionRow {
                queue: r.opt_i64(0)?.map(QueueId::new),
                day: r.text(1)?,
                hours,
                description: r.text(5)?,
            })
        },
    )?;
    Ok((weekly, exceptions))
}

/// Replaces the schedule of the account (`queue` `None`) or of one queue.
pub fn replace(
    c: &mut dyn Conn,
    account: AccountId,
    queue: Option<QueueId>,
    weekly: &[(i64, i64, i64)],
    exceptions: &[ExceptionRow],
) -> Result<(), StoreError> {
    let scope =
        "account_id = $1 AND ((CAST($2 AS BIGINT) IS NULL AND queue_id IS NULL) OR queue_id = $2)";
    c.execute(
        &format!("DELETE FROM business_hours WHERE {scope}"),
        params![account, queue],
    )?;
    c.execute(
        &format!("DELETE FROM business_hours_exceptions WHERE {scope}"),
        params![account, queue],
    )?;
    for (weekday, opens, closes) in weekly {
        c.execute(
            "INSERT INTO business_hours (account_id, queue_id, weekday, opens_minute, closes_minute)
             VALUES ($1, $2, $3, $4, $5)",
            params![account, queue, *weekday, *opens, *closes],
        )?;
    }
    for e in exceptions {
        let (opens, closes) = e.hours.unzip();
        c.execute(
            "INSERT INTO business_hours_exceptions (account_id, queue_id, day, closed, opens_minute, closes_minute, description)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![account, queue, &e.day, e.hours.is_none(), opens, closes, &e.description],
        )?;
    }
    Ok(())
}
