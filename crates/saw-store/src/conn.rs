//! The driver interface: what a backend must do so that every query in [`crate::repo`] runs
//! on it unchanged.
//!
//! Queries use `$1, $2, …` placeholders, which PostgreSQL understands natively and the SQLite
//! driver binds by name. Times go in and out as `DateTime<Utc>` (timestamptz on PostgreSQL,
//! milliseconds on SQLite) and booleans as `bool` (BOOLEAN / 0-1).

use chrono::{DateTime, Utc};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One bound parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    I64(i64),
    Text(&'a str),
    Bool(bool),
    Time(DateTime<Utc>),
    Bytes(&'a [u8]),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}
impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Bytes(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<DateTime<Utc>> for Value<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Time(v)
    }
}
impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

macro_rules! id_values {
    ($($id:ident),*) => {$(
        impl From<saw_core::ids::$id> for Value<'_> {
            fn from(v: saw_core::ids::$id) -> Self {
                Value::I64(v.get())
            }
        }
    )*};
}
id_values!(
    AccountId,
    UserId,
    QueueId,
    ChannelId,
    ContactId,
    TicketId,
    TicketEventId,
    MessageId,
    TagId,
    QuickReplyId,
    ApiTokenId,
    AuditEntryId
);

/// `params![a, b]` builds the `&[Value]` a query takes.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::Value::from($v)),*] };
}

/// One result row, read by column index.
pub trait Row {
    fn i64(&self, idx: usize) -> Result<i64, StoreError>;
    fn opt_i64(&self, idx: usize) -> Result<Option<i64>, StoreError>;
    fn text(&self, idx: usize) -> Result<String, StoreError>;
    fn opt_text(&self, idx: usize) -> Result<Option<String>, StoreError>;
    fn bool(&self, idx: usize) -> Result<bool, StoreError>;
    fn opt_time(&self, idx: usize) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn opt_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, StoreError>;

    fn time(&self, idx: usize) -> Result<DateTime<Utc>, StoreError> {
        self.opt_time(idx)?
            .ok_or_else(|| StoreError::Database(format!("column {idx} is unexpectedly NULL")))
    }
}

/// A connection inside a transaction. Every function in [`crate::repo`] takes one.
pub trait Conn {
    fn dialect(&self) -> Dialect;
    /// Runs one statement; answers the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError>;
    /// Runs one statement and hands each result row to `each`.
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs several statements without parameters (migrations).
    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Runs an `INSERT … RETURNING id` of one row and answers the new row's id.
    fn insert_returning_id(&mut self, sql: &str, params: &[Value<'_>]) -> Result<i64, StoreError> {
        let mut id = None;
        self.query_each(sql, params, &mut |row| {
            id = Some(row.i64(0)?);
            Ok(())
        })?;
        id.ok_or(StoreError::NotFound)
    }
}

impl dyn Conn + '_ {
    pub fn query_all<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl Fn(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.query_each(sql, params, &mut |row| {
            out.push(map(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl Fn(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut out = None;
        self.query_each(sql, params, &mut |row| {
            if out.is_none() {
                out = Some(map(row)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Like [`Self::query_opt`], with [`StoreError::NotFound`] for no row.
    pub fn query_one<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl Fn(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, params, map)?
            .ok_or(StoreError::NotFound)
    }

    /// For an `UPDATE`/`DELETE` of one row named by its key: [`StoreError::NotFound`] when
    /// no row matched (it does not exist, or belongs to another account).
    pub fn execute_one(&mut self, sql: &str, params: &[Value<'_>]) -> Result<(), StoreError> {
        match self.execute(sql, params)? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// For `SELECT COUNT(*) …` and other single numbers.
    pub fn scalar_i64(&mut self, sql: &str, params: &[Value<'_>]) -> Result<i64, StoreError> {
        self.query_one(sql, params, |r| r.i64(0))
    }
}
