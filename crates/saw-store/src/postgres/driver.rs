//! [`Conn`] on a PostgreSQL transaction.

use std::collections::HashMap;
use std::error::Error;

use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Statement, Transaction};

use crate::StoreError;
use crate::conn::{Conn, Dialect, Row, Value};
use crate::error::Constraint;

pub(super) struct PgConn<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
}

impl<'t, 'c> PgConn<'t, 'c> {
    pub(super) fn new(tx: &'t mut Transaction<'c>, statements: &'t mut Statements) -> Self {
        Self { tx, statements }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(prepared) = self.statements.0.get(sql) {
            return Ok(prepared.clone());
        }
        let prepared = self.tx.prepare(sql).map_err(map_error)?;
        if self.statements.0.len() >= MAX_STATEMENTS {
            self.statements.0.clear();
        }
        self.statements.0.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }
}

/// Statements prepared on one connection, by their SQL: a statement run through a prepared
/// one costs one round trip instead of two (parse, then execute). Prepared statements outlive
/// transactions, rolled back or not.
#[derive(Default)]
pub(super) struct Statements(HashMap<String, Statement>);

/// Past this many, the cache starts again (SQL built at run time could grow it without end).
const MAX_STATEMENTS: usize = 512;

#[derive(Debug)]
struct PgValue<'v, 'a>(&'v Value<'a>);

impl ToSql for PgValue<'_, '_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::I64(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Value::I64(v) if *ty == Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
            Value::I64(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bool(v) => v.to_sql(ty, out),
            Value::Time(v) => v.to_sql(ty, out),
            Value::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn with_params<R>(params: &[Value<'_>], f: impl FnOnce(&[&(dyn ToSql + Sync)]) -> R) -> R {
    let wrapped: Vec<PgValue<'_, '_>> = params.iter().map(PgValue).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = wrapped.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    f(&refs)
}

impl Conn for PgConn<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        with_params(params, |p| self.tx.execute(&statement, p)).map_err(map_error)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let rows = with_params(params, |p| self.tx.query(&statement, p)).map_err(map_error)?;
        for row in &rows {
            each(&PgRow(row))?;
        }
        Ok(())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(map_error)
    }
}

struct PgRow<'r>(&'r postgres::Row);

impl PgRow<'_> {
    fn get<'a, T: postgres::types::FromSql<'a>>(&'a self, idx: usize) -> Result<T, StoreError> {
        self.0
            .try_get(idx)
            .map_err(|e| StoreError::Database(format!("column {idx}: {e}")))
    }
}

impl Row for PgRow<'_> {
    fn i64(&self, idx: usize) -> Result<i64, StoreError> {
        self.opt_i64(idx)?
            .ok_or_else(|| StoreError::Database(format!("column {idx} is unexpectedly NULL")))
    }
    fn opt_i64(&self, idx: usize) -> Result<Option<i64>, StoreError> {
        match self.0.columns().get(idx).map(|c| c.type_().clone()) {
            Some(Type::INT4) => Ok(self.get::<Option<i32>>(idx)?.map(i64::from)),
            Some(Type::INT2) => Ok(self.get::<Option<i16>>(idx)?.map(i64::from)),
            _ => self.get(idx),
        }
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
        self.get(idx)
    }
    fn opt_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(idx)
    }
}

/// Turns PostgreSQL's errors into the store's, naming the constraint a conflict hit.
pub(super) fn map_error(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict(Constraint {
                table: db.table().unwrap_or_default().to_owned(),
                columns: parse_key_columns(db.detail().unwrap_or_default()),
            });
        }
        if *db.code() == SqlState::FOREIGN_KEY_VIOLATION {
            return StoreError::Referenced;
        }
        return StoreError::Database(format!("{}: {}", db.code().code(), db.message()));
    }
    if e.is_closed() {
        return StoreError::Unavailable(format!("the PostgreSQL connection closed: {e}"));
    }
    StoreError::Database(e.to_string())
}

/// "Key (account_id, email)=(1, a@b.c) already exists." → [account_id, email].
fn parse_key_columns(detail: &str) -> Vec<String> {
    detail
        .strip_prefix("Key (")
        .and_then(|rest| rest.split_once(")="))
        .map(|(cols, _)| cols.split(", ").map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_columns_from_detail() {
        assert_eq!(
            super::parse_key_columns("Key (account_id, name_key)=(1, suporte) already exists."),
            ["account_id", "name_key"]
        );
    }
}
