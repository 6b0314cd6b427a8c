//! What is wrong with a report's parameters, said so a person can fix it.

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportProblem {
    #[error("{field} must be a date such as 2026-11-30, not '{value}'")]
    Date { field: &'static str, value: String },
    #[error("{field} must be a number (an id), not '{value}'")]
    Id { field: &'static str, value: String },
    #[error("{field} must be true or false, not '{value}'")]
    Flag { field: &'static str, value: String },
    #[error("from is after to: swap the dates")]
    Backwards,
    #[error("a report covers at most {max_days} days: choose a shorter range")]
    TooLong { max_days: u64 },
    #[error("unknown channel '{0}'")]
    UnknownChannel(String),
}

pub(super) fn date(field: &'static str, value: &str) -> AppError {
    AppError::InvalidReport(ReportProblem::Date {
        field,
        value: value.to_owned(),
    })
}

pub(super) fn id(field: &'static str, value: &str) -> AppError {
    AppError::InvalidReport(ReportProblem::Id {
        field,
        value: value.to_owned(),
    })
}

pub(super) fn flag(field: &'static str, value: &str) -> AppError {
    AppError::InvalidReport(ReportProblem::Flag {
        field,
        value: value.to_owned(),
    })
}
