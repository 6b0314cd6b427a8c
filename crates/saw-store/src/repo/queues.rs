use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, QueueId, UserId};
use saw_core::queue::{Distribution, Queue};

use crate::conn::{Conn, Row};
use crate::{StoreError, params};

const COLUMNS: &str = "id, account_id, name, color, is_default, distribution, max_wait_minutes";

fn from_row(r: &dyn Row) -> Result<Queue, StoreError> {
    Ok(Queue {
        id: QueueId::new(r.i64(0)?),
        account_id: AccountId::new(r.i64(1)?),
        name: r.text(2)?,
        color: r.text(3)?,
        is_default: r.bool(4)?,
        distribution: {
            let raw = r.text(5)?;
            Distribution::parse(&raw).ok_or_else(|| super::corrupt("distribution", &raw))?
        },
        max_wait_minutes: r.i64(6)?,
    })
}

pub fn insert(
    c: &mut dyn Conn,
    account: AccountId,
    name: &str,
    color: &str,
    now: DateTime<Utc>,
) -> Result<QueueId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO queues (account_id, name, name_key, color, is_default, created_at)
         VALUES ($1, $2, $3, $4, FALSE, $5) RETURNING id",
        params![account, name, &super::name_key(name), color, now],
    )
    .map(QueueId::new)
}

pub fn list(c: &mut dyn Conn, account: AccountId) -> Result<Vec<Queue>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queues WHERE account_id = $1 ORDER BY name_key, id");
    c.query_all(&sql, params![account], from_row)
}

pub fn by_id(c: &mut dyn Conn, account: AccountId, id: QueueId) -> Result<Queue, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queues WHERE account_id = $1 AND id = $2");
    c.query_one(&sql, params![account, id], from_row)
}

/// Finds a queue by name, ignoring case and surrounding spaces.
pub fn by_name(
    c: &mut dyn Conn,
    account: AccountId,
    name: &str,
) -> Result<Option<Queue>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queues WHERE account_id = $1 AND name_key = $2");
    c.query_opt(&sql, params![account, &super::name_key(name)], from_row)
}

pub fn default_queue(c: &mut dyn Conn, account: AccountId) -> Result<Option<Queue>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM queues WHERE account_id = $1 AND is_default = TRUE");
    c.query_opt(&sql, params![account], from_row)
}

pub fn update(
    c: &mut dyn Conn,
    account: AccountId,
    id: QueueId,
    name: &str,
    color: &str,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE queues SET name = $3, name_key = $4, color = $5 WHERE account_id = $1 AND id = $2",
        params![account, id, name, &super::name_key(name), color],
    )
}

/// Makes `id` the account's one default queue.
pub fn set_default(c: &mut dyn Conn, account: AccountId, id: QueueId) -> Result<(), StoreError> {
    by_id(c, account, id)?;
    c.execute(
        "UPDATE queues SET is_default = FALSE WHERE account_id = $1 AND is_default = TRUE",
        params![account],
    )?;
    c.execute(
        "UPDATE queues SET is_default = TRUE WHERE account_id = $1 AND id = $2",
        params![account, id],
    )
    .map(drop)
}

/// Deletes a queue; [`StoreError::Referenced`] while tickets or history still point at it.
pub fn delete(c: &mut dyn Conn, account: AccountId, id: QueueId) -> Result<(), StoreError> {
    c.execute_one(
        "DELETE FROM queues WHERE account_id = $1 AND id = $2",
        params![account, id],
    )
}

pub fn member_ids(c: &mut dyn Conn, queue: QueueId) -> Result<Vec<UserId>, StoreError> {
    c.query_all(
        "SELECT user_id FROM queue_members WHERE queue_id = $1 ORDER BY user_id",
        params![queue],
        |r| Ok(UserId::new(r.i64(0)?)),
    )
}

/// How many members each queue of the account has.
pub fn member_counts(
    c: &mut dyn Conn,
    account: AccountId,
) -> Result<Vec<(QueueId, i64)>, StoreError> {
    c.query_all(
        "SELECT q.id, COUNT(m.user_id) FROM queues q LEFT JOIN queue_members m ON m.queue_id = q.id
         WHERE q.account_id = $1 GROUP BY q.id",
        params![account],
        |r| Ok((QueueId::new(r.i64(0)?), r.i64(1)?)),
    )
}

pub fn of_user(c: &mut dyn Conn, user: UserId) -> Result<Vec<Queue>, StoreError> {
    let sql = format!(
        "SELECT {} FROM queues q JOIN queue_members m ON m.queue_id = q.id WHERE m.user_id = $1 ORDER BY q.name_key",
        COLUMNS
            .split(", ")
            .map(|c| format!("q.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    c.query_all(&sql, params![user], from_row)
}

pub fn add_member(c: &mut dyn Conn, queue: QueueId, user: UserId) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO queue_members (queue_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        params![queue, user],
    )
    .map(drop)
}

pub fn remove_member(c: &mut dyn Conn, queue: QueueId, user: UserId) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM queue_members WHERE queue_id = $1 AND user_id = $2",
        params![queue, user],
    )
    .map(drop)
}

/// Makes the user a member of exactly `queues` (each must belong to `account`).
pub fn set_user_queues(
    c: &mut dyn Conn,
    account: AccountId,
    user: UserId,
    queues: &[QueueId],
) -> Result<(), StoreError> {
    for queue in queues {
        by_id(c, account, *queue)?;
    }
    c.execute(
        "DELETE FROM queue_members WHERE user_id = $1",
        params![user],
    )?;
    for queue in queues {
        add_member(c, *queue, user)?;
    }
    Ok(())
}

/// How the queue hands out its waiting tickets, and how long one may wait.
pub fn set_distribution(
    c: &mut dyn Conn,
    account: AccountId,
    id: QueueId,
    distribution: Distribution,
    max_wait_minutes: i64,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE queues SET distribution = $3, max_wait_minutes = $4 WHERE account_id = $1 AND id = $2",
        params![account, id, distribution.as_str(), max_wait_minutes],
    )
}
