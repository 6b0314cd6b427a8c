//! The dashboard's charts as plain SVG geometry (the templates draw them; labels are
//! escaped there like any text): a line chart of daily volume, horizontal bars, and the
//! weekday × hour heat map.

use saw_app::reports::{Day, Heatmap};

pub const LINE_WIDTH: f64 = 720.0;
pub const LINE_HEIGHT: f64 = 200.0;
const LINE_LEFT: f64 = 36.0;
const LINE_BOTTOM: f64 = 24.0;
/// Room for the last day's label.
pub const LINE_RIGHT: f64 = 24.0;

/// Two series over the days of the range: tickets created and resolved.
pub struct LineChart {
    pub created: String,
    pub resolved: String,
    /// (x, label) under the axis; at most about ten.
    pub days: Vec<(f64, String)>,
    /// (y, label) of the vertical axis: zero, half and the top.
    pub levels: Vec<(f64, String)>,
}

impl LineChart {
    pub fn new(daily: &[Day]) -> Self {
        let top = daily
            .iter()
            .map(|d| d.created.max(d.resolved))
            .max()
            .unwrap_or(0)
            .max(1);
        let plot_w = LINE_WIDTH - LINE_LEFT - LINE_RIGHT;
        let plot_h = LINE_HEIGHT - LINE_BOTTOM - 8.0;
        let step = plot_w / (daily.len().max(2) - 1) as f64;
        let x = |i: usize| LINE_LEFT + step * i as f64;
        let y = |v: usize| 8.0 + plot_h - plot_h * v as f64 / top as f64;
        let points = |value: fn(&Day) -> usize| {
            daily
                .iter()
                .enumerate()
                .map(|(i, d)| format!("{:.1},{:.1}", x(i), y(value(d))))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let every = daily.len().div_ceil(10).max(1);
        LineChart {
            created: points(|d| d.created),
            resolved: points(|d| d.resolved),
            days: daily
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(i, d)| (x(i), d.date.format("%d/%m").to_string()))
                .collect(),
            levels: [0, top.div_ceil(2), top]
                .into_iter()
                .map(|v| (y(v), v.to_string()))
                .collect(),
        }
    }
}

pub const BAR_WIDTH: f64 = 420.0;
const BAR_ROW: f64 = 26.0;

/// One bar per row (a queue, an agent), scaled to the largest.
pub struct BarChart {
    pub height: f64,
    pub bars: Vec<Bar>,
}

pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: f64,
    pub width: f64,
}

impl BarChart {
    pub fn new(rows: Vec<(String, usize)>) -> Self {
        let top = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
        let plot = BAR_WIDTH - 190.0;
        BarChart {
            height: BAR_ROW * rows.len().max(1) as f64,
            bars: rows
                .into_iter()
                .enumerate()
                .map(|(i, (label, value))| Bar {
                    label,
                    value: value.to_string(),
                    y: BAR_ROW * i as f64,
                    width: (plot * value as f64 / top as f64).max(if value > 0 {
                        2.0
                    } else {
                        0.0
                    }),
                })
                .collect(),
        }
    }
}

pub const HEAT_CELL: f64 = 24.0;
pub const HEAT_LEFT: f64 = 44.0;
pub const HEAT_TOP: f64 = 18.0;

/// 7 × 24 cells, darker where more tickets came in.
pub struct HeatChart {
    pub cells: Vec<HeatCell>,
    pub width: f64,
    pub height: f64,
}

pub struct HeatCell {
    pub x: f64,
    pub y: f64,
    pub opacity: String,
    pub count: usize,
    pub weekday: usize,
    pub hour: usize,
}

impl HeatChart {
    pub fn new(map: &Heatmap) -> Self {
        let max = map.max.max(1) as f64;
        let mut cells = Vec::with_capacity(7 * 24);
        for (weekday, hours) in map.counts.iter().enumerate() {
            for (hour, count) in hours.iter().enumerate() {
                cells.push(HeatCell {
                    x: HEAT_LEFT + HEAT_CELL * hour as f64,
                    y: HEAT_TOP + HEAT_CELL * weekday as f64,
                    opacity: format!("{:.2}", 0.06 + 0.94 * *count as f64 / max),
                    count: *count,
                    weekday,
                    hour,
                });
            }
        }
        HeatChart {
            cells,
            width: HEAT_LEFT + HEAT_CELL * 24.0,
            height: HEAT_TOP + HEAT_CELL * 7.0,
        }
    }
}

/// A duration as people read it: "45 s", "4 min 05 s", "2 h 10 min", "3 d 4 h"; "—" for
/// none.
pub fn human(seconds: Option<i64>) -> String {
    let Some(s) = seconds else {
        return "—".to_owned();
    };
    match s {
        ..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        3600..86_400 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(human(None), "—");
        assert_eq!(human(Some(45)), "45 s");
        assert_eq!(human(Some(245)), "4 min 05 s");
        assert_eq!(human(Some(7800)), "2 h 10 min");
        assert_eq!(human(Some(3 * 86_400 + 4 * 3600 + 59)), "3 d 4 h");
    }
}
