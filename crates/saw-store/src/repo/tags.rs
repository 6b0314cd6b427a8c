//! Tags: the account's labels, put on tickets and on contacts.

use chrono::{DateTime, Utc};
use saw_core::ids::{AccountId, ContactId, TagId, TicketId};

use crate::conn::{Conn, Row};
use crate::{StoreError, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    pub color: String,
}

fn tag(r: &dyn crate::Row) -> Result<Tag, StoreError> {
    Ok(Tag {
        id: TagId::new(r.i64(0)?),
        name: r.text(1)?,
        color: r.text(2)?,
    })
}

/// What a tag is put on: the link table and its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Ticket(TicketId),
    Contact(ContactId),
}

impl Tagged {
    fn table(self) -> (&'static str, &'static str, i64) {
        match self {
            Tagged::Ticket(id) => ("ticket_tags", "ticket_id", id.get()),
            Tagged::Contact(id) => ("contact_tags", "contact_id", id.get()),
        }
    }
}

pub fn list(c: &mut dyn Conn, account: AccountId) -> Result<Vec<Tag>, StoreError> {
    c.query_all(
        "SELECT id, name, color FROM tags WHERE account_id = $1 ORDER BY name_key",
        params![account],
        tag,
    )
}

pub fn insert(
    c: &mut dyn Conn,
    account: AccountId,
    name: &str,
    color: &str,
    now: DateTime<Utc>,
) -> Result<TagId, StoreError> {
    c.insert_returning_id(
        "INSERT INTO tags (account_id, name, name_key, color, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
        params![account, name, &super::name_key(name), color, now],
    )
    .map(TagId::new)
}

pub fn delete(c: &mut dyn Conn, account: AccountId, id: TagId) -> Result<(), StoreError> {
    for table in ["ticket_tags", "contact_tags"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE tag_id = $1"),
            params![id],
        )?;
    }
    c.execute_one(
        "DELETE FROM tags WHERE account_id = $1 AND id = $2",
        params![account, id],
    )
}

/// The account's tag by id or by name (any case).
pub fn find(c: &mut dyn Conn, account: AccountId, id_or_name: &str) -> Result<Tag, StoreError> {
    let id = id_or_name.trim().parse::<i64>().unwrap_or(0);
    c.query_one(
        "SELECT id, name, color FROM tags WHERE account_id = $1 AND (id = $2 OR name_key = $3)
         ORDER BY id LIMIT 1",
        params![account, id, &super::name_key(id_or_name)],
        tag,
    )
}

/// Puts the tag on; answers whether it was not on already.
pub fn add(c: &mut dyn Conn, on: Tagged, tag: TagId) -> Result<bool, StoreError> {
    let (table, column, id) = on.table();
    c.execute(
        &format!("INSERT INTO {table} ({column}, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"),
        params![id, tag],
    )
    .map(|n| n > 0)
}

/// Takes the tag off; answers whether it was on.
pub fn remove(c: &mut dyn Conn, on: Tagged, tag: TagId) -> Result<bool, StoreError> {
    let (table, column, id) = on.table();
    c.execute(
        &format!("DELETE FROM {table} WHERE {column} = $1 AND tag_id = $2"),
        params![id, tag],
    )
    .map(|n| n > 0)
}

/// The tags on one ticket or contact, by name.
pub fn of(c: &mut dyn Conn, on: Tagged) -> Result<Vec<Tag>, StoreError> {
    let (table, column, id) = on.table();
    c.query_all(
        &format!(
            "SELECT g.id, g.name, g.color FROM {table} x JOIN tags g ON g.id = x.tag_id
             WHERE x.{column} = $1 ORDER BY g.name_key"
        ),
        params![id],
        tag,
    )
}

/// The tags on each of `tickets`, in one query.
pub fn of_tickets(
    c: &mut dyn Conn,
    tickets: &[TicketId],
) -> Result<Vec<(TicketId, Tag)>, StoreError> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=tickets.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT x.ticket_id, g.id, g.name, g.color FROM ticket_tags x JOIN tags g ON g.id = x.tag_id
         WHERE x.ticket_id IN ({}) ORDER BY g.name_key",
        placeholders.join(", ")
    );
    let values: Vec<crate::Value<'_>> = tickets.iter().map(|t| (*t).into()).collect();
    c.query_all(&sql, &values, |r| {
        let tag = tag_at(r, 1)?.ok_or_else(|| super::corrupt("ticket tag", "no tag"))?;
        Ok((TicketId::new(r.i64(0)?), tag))
    })
}

/// The tag in columns `first..first + 3` (id, name, color); `None` when an outer join found
/// none.
pub(crate) fn tag_at(r: &dyn Row, first: usize) -> Result<Option<Tag>, StoreError> {
    let Some(id) = r.opt_i64(first)? else {
        return Ok(None);
    };
    Ok(Some(Tag {
        id: TagId::new(id),
        name: r.text(first + 1)?,
        color: r.text(first + 2)?,
    }))
}
