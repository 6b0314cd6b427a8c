//! The team as the inbox shows it: each person's status (available, paused, away), who is
//! online (has the inbox open), and how many tickets each has open. Presence rows also give
//! the time online to the metrics.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, UserId};
use saw_core::user::{AgentStatus, Role};

use crate::conn::Conn;
use crate::{StoreError, params};

pub fn set_status(
    c: &mut dyn Conn,
    account: AccountId,
    user: UserId,
    status: AgentStatus,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE users SET status = $3 WHERE account_id = $1 AND id = $2",
        params![account, user, status.as_str()],
    )
}

/// The person opened the inbox (their first connection).
pub fn came_online(
    c: &mut dyn Conn,
    account: AccountId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO user_presence (account_id, user_id, started_at) VALUES ($1, $2, $3)",
        params![account, user, now],
    )
    .map(drop)
}

/// The person closed their last inbox.
pub fn went_offline(c: &mut dyn Conn, user: UserId, now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute(
        "UPDATE user_presence SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
        params![user, now],
    )
    .map(drop)
}

/// At start: nobody is connected to this process yet.
pub fn everyone_offline(c: &mut dyn Conn, now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute(
        "UPDATE user_presence SET ended_at = $1 WHERE ended_at IS NULL",
        params![now],
    )
    .map(drop)
}

/// One person of the team.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub status: AgentStatus,
    pub online: bool,
    /// Tickets open and theirs.
    pub open: i64,
}

/// The account's active people, online first, then by name.
pub fn members(c: &mut dyn Conn, account: AccountId) -> Result<Vec<Member>, StoreError> {
    let mut list = c.query_all(
        "SELECT u.id, u.name, u.role, u.status,
                EXISTS (SELECT 1 FROM user_presence p WHERE p.user_id = u.id AND p.ended_at IS NULL),
                (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status = 'open')
         FROM users u WHERE u.account_id = $1 AND u.active = TRUE ORDER BY u.name",
        params![account],
        |r| {
            let (role, status) = (r.text(2)?, r.text(3)?);
            Ok(Member {
                id: UserId::new(r.i64(0)?),
                name: r.text(1)?,
                role: Role::parse(&role).map_err(|_| super::corrupt("role", &role))?,
                status: AgentStatus::parse(&status)
                    .ok_or_else(|| super::corrupt("agent status", &status))?,
                online: r.bool(4)?,
                open: r.i64(5)?,
            })
        },
    )?;
    list.sort_by_key(|m| !m.online);
    Ok(list)
}
