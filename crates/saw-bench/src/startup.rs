//! `--scenario startup`: `saw serve` on an existing database with 100,000 tickets (by
//! default): time from spawning to `/readyz` answering, and memory once idle. Baseline:
//! the same start on an empty database, in the same run.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use saw_store::Store;

use crate::report::{Figure, Report};
use crate::saw_process::{self, Saw};
use crate::seed::{self, Shape};
use crate::{Args, database};

/// Starts measured on each database; the median is reported.
const STARTS: usize = 5;

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let pin = saw_process::can_pin() && saw_process::pin_self_to_last_core();
    let tickets = args.tickets;
    let empty = database::Fresh::new(args).await?;
    let full = database::Fresh::new(args).await?;
    {
        let store = Store::open(&full.url)
            .await
            .context("opening the database")?;
        eprintln!("seeding {tickets} tickets…");
        seed::history(
            &store,
            &Shape {
                messages: tickets * 4,
                per_ticket: 4,
                days: args.days,
                agents: args.agents.unwrap_or(20),
                queues: 4,
            },
            Utc::now(),
        )
        .await?;
    }
    let mut figures = Vec::new();
    for db in [&empty, &full] {
        let saw = Saw::on(args, db);
        // The first start creates the admin (and migrates the empty database).
        saw.serve(pin).await?.stop();
        let mut starts = Vec::with_capacity(STARTS);
        let (mut idle, mut own) = (0, 0);
        for _ in 0..STARTS {
            let serving = saw.serve(pin).await?;
            starts.push(serving.start_to_ready.as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_secs(2)).await;
            idle = serving.memory().map_or(0, |(now, _)| now);
            own = serving.own_memory().unwrap_or(0);
            serving.stop();
        }
        starts.sort_by(f64::total_cmp);
        figures.push((starts[STARTS / 2], idle as f64 / 1e6, own as f64 / 1e6));
    }
    let ((empty_start, empty_rss, _), (full_start, full_rss, full_own)) = (figures[0], figures[1]);
    let mut report = Report::new("startup", database::name(args.backend));
    report.setup = vec![
        ("tickets".into(), tickets.to_string()),
        ("messages".into(), (tickets * 4).to_string()),
        ("starts measured".into(), STARTS.to_string()),
    ];
    report.figures = vec![
        Figure::new(
            "baseline: start to ready, empty database",
            empty_start,
            "ms",
        ),
        Figure::new("baseline: idle RSS, empty database", empty_rss, "MB"),
        Figure::new(
            format!("start to ready, {tickets} tickets"),
            full_start,
            "ms",
        )
        .against("empty database", empty_start),
        Figure::new(format!("idle RSS, {tickets} tickets"), full_rss, "MB")
            .against("empty database", empty_rss),
        Figure::new(
            format!("idle RssAnon (its own), {tickets} tickets"),
            full_own,
            "MB",
        )
        .against("all of its RSS", full_rss),
    ];
    empty.remove(args.keep_data).await;
    full.remove(args.keep_data).await;
    Ok(report)
}
