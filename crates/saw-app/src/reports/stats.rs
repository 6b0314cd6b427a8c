//! A duration figure: median, average and p90 (nearest-rank) of a set of seconds.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DurationStats {
    pub median_s: Option<i64>,
    /// Rounded to a tenth of a second.
    pub avg_s: Option<f64>,
    pub p90_s: Option<i64>,
    pub count: usize,
}

impl DurationStats {
    pub fn of(mut seconds: Vec<i64>) -> Self {
        if seconds.is_empty() {
            return DurationStats {
                median_s: None,
                avg_s: None,
                p90_s: None,
                count: 0,
            };
        }
        seconds.sort_unstable();
        let count = seconds.len();
        let sum: i64 = seconds.iter().sum();
        let avg = sum as f64 / count as f64;
        DurationStats {
            median_s: Some(nearest_rank(&seconds, 50)),
            avg_s: Some((avg * 10.0).round() / 10.0),
            p90_s: Some(nearest_rank(&seconds, 90)),
            count,
        }
    }
}

/// The smallest value with at least `percent`% of the values at or below it.
fn nearest_rank(sorted: &[i64], percent: usize) -> i64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_median_average_and_p90() {
        let none = DurationStats::of(Vec::new());
        assert_eq!((none.median_s, none.avg_s, none.count), (None, None, 0));
        let one = DurationStats::of(vec![42]);
        assert_eq!(
            (one.median_s, one.p90_s, one.avg_s),
            (Some(42), Some(42), Some(42.0))
        );
        let ten = DurationStats::of((1..=10).rev().map(|n| n * 60).collect());
        assert_eq!(ten.median_s, Some(300));
        assert_eq!(ten.p90_s, Some(540));
        assert_eq!(ten.avg_s, Some(330.0));
        assert_eq!(ten.count, 10);
        let three = DurationStats::of(vec![10, 20, 31]);
        assert_eq!(
            (three.median_s, three.p90_s, three.avg_s),
            (Some(20), Some(31), Some(20.3))
        );
    }
}
