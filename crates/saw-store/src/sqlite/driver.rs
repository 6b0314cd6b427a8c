//! [`Conn`] on a rusqlite connection.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::StoreError;
use crate::conn::{Conn, Dialect, Row, Value};
use crate::error::Constraint;

pub(super) struct SqliteConn<'c> {
    conn: &'c Connection,
}

impl<'c> SqliteConn<'c> {
    pub(super) fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }
}

/// Binds `$N` placeholders by name, so a query may use them in any order or repeat one.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Value<'_>]) -> Result<(), StoreError> {
    for index in 1..=stmt.parameter_count() {
        let position = match stmt.parameter_name(index) {
            Some(name) => name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| StoreError::Database(format!("unsupported placeholder {name}")))?,
            None => index,
        };
        let value = params.get(position - 1).ok_or_else(|| {
            StoreError::Database(format!(
                "query expects parameter ${position}, {} given",
                params.len()
            ))
        })?;
        stmt.raw_bind_parameter(index, SqlValue(value))
            .map_err(map_error)?;
    }
    Ok(())
}

struct SqlValue<'v, 'a>(&'v Value<'a>);

impl rusqlite::ToSql for SqlValue<'_, '_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::I64(v) => ToSqlOutput::from(v),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bool(v) => ToSqlOutput::from(i64::from(v)),
            Value::Time(v) => ToSqlOutput::from(v.timestamp_millis()),
            Value::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

impl Conn for SqliteConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_error)?;
        bind(&mut stmt, params)?;
        let changed = stmt.raw_execute().map_err(map_error)?;
        Ok(changed as u64)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(map_error)?;
        bind(&mut stmt, params)?;
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(map_error)? {
            each(&SqliteRow(row))?;
        }
        Ok(())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(map_error)
    }

    /// SQLite keeps the rows of a `RETURNING` clause in a temporary table it creates and
    /// drops for every statement, which costs more than the insert itself: the same
    /// `INSERT` without it, then the connection's last rowid, is the same answer (a
    /// trigger's inserts do not change that rowid once the trigger is done).
    fn insert_returning_id(&mut self, sql: &str, params: &[Value<'_>]) -> Result<i64, StoreError> {
        let Some(insert) = sql.trim_end().strip_suffix("RETURNING id") else {
            return Err(StoreError::Database(format!(
                "an insert answering its id must end with RETURNING id: {sql}"
            )));
        };
        match self.execute(insert, params)? {
            1 => Ok(self.conn.last_insert_rowid()),
            _ => Err(StoreError::NotFound),
        }
    }
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>);

impl SqliteRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, idx: usize) -> Result<T, StoreError> {
        self.0.get(idx).map_err(map_error)
    }
}

impl Row for SqliteRow<'_, '_> {
    fn i64(&self, idx: usize) -> Result<i64, StoreError> {
        self.get(idx)
    }
    fn opt_i64(&self, idx: usize) -> Result<Option<i64>, StoreError> {
        self.get(idx)
    }
    fn text(&self, idx: usize) -> Result<String, StoreError> {
        self.get(idx)
    }
    fn opt_text(&self, idx: usize) -> Result<Option<String>, StoreError> {
        self.get(idx)
    }
    fn bool(&self, idx: usize) -> Result<bool, StoreError> {
        self.get(idx)
    }
    fn opt_time(&self, idx: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.get::<Option<i64>>(idx)? {
            None => Ok(None),
            Some(ms) => DateTime::from_timestamp_millis(ms)
                .map(Some)
                .ok_or_else(|| StoreError::Database(format!("time out of range in column {idx}"))),
        }
    }
    fn opt_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(idx)
    }
}

/// Turns SQLite's errors into the store's, naming the constraint a conflict hit.
pub(super) fn map_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(code, message) = &e {
        let message = message.as_deref().unwrap_or_default();
        match (code.code, code.extended_code) {
            (ErrorCode::ConstraintViolation, 2067 | 1555) => {
                return StoreError::Conflict(parse_unique(message));
            }
            (ErrorCode::ConstraintViolation, 787) => return StoreError::Referenced,
            (ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked, _) => {
                return StoreError::Unavailable(format!("the database is busy: {message}"));
            }
            (ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied, _) => {
                return StoreError::Unavailable(e.to_string());
            }
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}

/// "UNIQUE constraint failed: users.account_id, users.email" → users(account_id, email).
fn parse_unique(message: &str) -> Constraint {
    let list = message.rsplit(": ").next().unwrap_or_default();
    let mut table = String::new();
    let mut columns = Vec::new();
    for part in list.split(", ") {
        if let Some((t, c)) = part.split_once('.') {
            table = t.to_owned();
            columns.push(c.to_owned());
        }
    }
    Constraint { table, columns }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_name_table_and_columns() {
        let c = parse_unique("UNIQUE constraint failed: queues.account_id, queues.name_key");
        assert_eq!(c.table, "queues");
        assert_eq!(c.columns, ["account_id", "name_key"]);
    }
}
