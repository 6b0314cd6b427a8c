//! What a benchmark prints: each figure with its unit, and beside it the same-run baseline it
//! is compared to.

use std::fmt::Write;
use std::sync::OnceLock;

/// The machine's cores, read before the benchmark pins itself to one.
pub static CORES: OnceLock<usize> = OnceLock::new();

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub backend: &'static str,
    pub date: String,
    pub cores: usize,
    /// What the run was made of (messages, tickets, days…).
    pub setup: Vec<(String, String)>,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// The baseline's name and value, in the same unit, when the figure has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<(String, f64)>,
    /// value ÷ baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

impl Figure {
    pub fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Figure {
            name: name.into(),
            value,
            unit,
            baseline: None,
            ratio: None,
        }
    }

    pub fn against(mut self, baseline: impl Into<String>, value: f64) -> Self {
        self.ratio = (value > 0.0).then(|| (self.value / value * 100.0).round() / 100.0);
        self.baseline = Some((baseline.into(), value));
        self
    }
}

impl Report {
    pub fn new(scenario: &'static str, backend: &'static str) -> Self {
        Report {
            scenario,
            backend,
            date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            cores: *CORES
                .get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            setup: Vec::new(),
            figures: Vec::new(),
        }
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "saw-bench {} on {} ({} cores, {})",
            self.scenario, self.backend, self.cores, self.date
        );
        for (what, value) in &self.setup {
            let _ = writeln!(out, "  {what}: {value}");
        }
        let _ = writeln!(out);
        for f in &self.figures {
            let _ = write!(out, "  {:<44} {:>12.1} {}", f.name, f.value, f.unit);
            if let (Some((name, value)), Some(ratio)) = (&f.baseline, f.ratio) {
                let _ = write!(out, "   ({ratio}× {name}: {value:.1} {})", f.unit);
            }
            let _ = writeln!(out);
        }
        out
    }
}
