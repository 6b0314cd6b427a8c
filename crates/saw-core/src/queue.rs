//! Queues (filas / setores): the departments tickets wait in for an agent.

use crate::ids::{AccountId, QueueId};
use crate::validation::{ValidationError, display_name};

pub const QUEUE_NAME_MAX: usize = 60;
pub const DEFAULT_QUEUE_COLOR: &str = "#2563eb";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub id: QueueId,
    pub account_id: AccountId,
    pub name: String,
    pub color: String,
    /// Where a ticket waits when nothing else routes it. Exactly one per account.
    pub is_default: bool,
    pub distribution: Distribution,
    /// A ticket waiting longer is shown as late and its supervisors are alerted; 0: no limit.
    pub max_wait_minutes: i64,
}

text_enum!(
    /// How a queue hands out its waiting tickets: agents accept them (`manual`), or SAW gives
    /// each to an available agent online, in turn (`round_robin`) or to the one with the
    /// fewest open tickets (`least_busy`).
    Distribution { Manual => "manual", RoundRobin => "round_robin", LeastBusy => "least_busy" }
);

pub fn queue_name(raw: &str) -> Result<String, ValidationError> {
    display_name(raw, QUEUE_NAME_MAX)
}

/// A `#rrggbb` color, lower-cased.
pub fn color(raw: &str) -> Result<String, ValidationError> {
    let c = raw.trim().to_ascii_lowercase();
    let valid =
        c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if valid {
        Ok(c)
    } else {
        Err(ValidationError::InvalidColor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors() {
        assert_eq!(color("#AABBCC"), Ok("#aabbcc".into()));
        assert!(color("red").is_err());
        assert!(color("#12345").is_err());
    }
}
