//! Quick replies: a shortcut and a text, a person's own or shared with the team.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, QuickReplyId, UserId};

use crate::conn::Conn;
use crate::{StoreError, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub shortcut: String,
    pub body: String,
    /// `None`: shared with the whole team.
    pub owner: Option<UserId>,
}

const COLUMNS: &str = "id, shortcut, body, owner_user_id";

fn quick_reply(r: &dyn crate::Row) -> Result<QuickReply, StoreError> {
    Ok(QuickReply {
        id: QuickReplyId::new(r.i64(0)?),
        shortcut: r.text(1)?,
        body: r.text(2)?,
        owner: r.opt_i64(3)?.map(UserId::new),
    })
}

/// The shared ones and `user`'s own, by shortcut (their own first on a tie).
pub fn usable_by(
    c: &mut dyn Conn,
    account: AccountId,
    user: UserId,
) -> Result<Vec<QuickReply>, StoreError> {
    c.query_all(
        &format!(
            "SELECT {COLUMNS} FROM quick_replies WHERE account_id = $1
               AND (owner_user_id IS NULL OR owner_user_id = $2)
             ORDER BY shortcut, owner_user_id IS NULL"
        ),
        params![account, user],
        quick_reply,
    )
}

pub fn by_id(
    c: &mut dyn Conn,
    account: AccountId,
    id: QuickReplyId,
) -> Result<QuickReply, StoreError> {
    c.query_one(
        &format!("SELECT {COLUMNS} FROM quick_replies WHERE account_id = $1 AND id = $2"),
        params![account, id],
        quick_reply,
    )
}

pub fn insert(
    c: &mut dyn Conn,
    account: AccountId,
    owner: Option<UserId>,
    shortcut: &str,
    body: &str,
    author: UserId,
    now: DateTime<Utc>,
) -> Result<QuickReplyId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO quick_replies (account_id, owner_user_id, shortcut, body, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        params![account, owner, shortcut, body, author, now],
    )
    .map(QuickReplyId::new)
}

pub fn update(
    c: &mut dyn Conn,
    account: AccountId,
    id: QuickReplyId,
    shortcut: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute_one(
        "UPDATE quick_replies SET shortcut = $3, body = $4, updated_at = $5 WHERE account_id = $1 AND id = $2",
        params![account, id, shortcut, body, now],
    )
}

pub fn delete(c: &mut dyn Conn, account: AccountId, id: QuickReplyId) -> Result<(), StoreError> {
    c.execute_one(
        "DELETE FROM quick_replies WHERE account_id = $1 AND id = $2",
        params![account, id],
    )
}
