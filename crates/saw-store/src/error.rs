use std::fmt;

/// Everything the store can answer instead of a result. Callers match on the first three;
/// the rest are failures to report (their text never contains customer data or secrets).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (or belongs to another account).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write: `table` and its `columns`.
    #[error("already exists: {0}")]
    Conflict(Constraint),
    /// A foreign key refused the write or delete: the row is referenced or references nothing.
    #[error("still referenced by other records")]
    Referenced,
    /// The database could not be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The schema is not what this binary expects (edited or newer migrations).
    #[error("{0}")]
    Schema(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

/// Which unique constraint a [`StoreError::Conflict`] hit, the same on every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub table: String,
    pub columns: Vec<String>,
}

impl Constraint {
    /// True when the conflict is on `table` and involves `column`.
    pub fn is(&self, table: &str, column: &str) -> bool {
        self.table == table && self.columns.iter().any(|c| c == column)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.table, self.columns.join(", "))
    }
}

impl StoreError {
    /// True for a unique-constraint conflict on `table.column`.
    pub fn is_conflict_on(&self, table: &str, column: &str) -> bool {
        matches!(self, StoreError::Conflict(c) if c.is(table, column))
    }
}
