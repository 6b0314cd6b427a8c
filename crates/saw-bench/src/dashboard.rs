//! `--scenario dashboard`: how long the reports take over a month of history (1 million
//! messages by default). Baseline: counting that month's messages alone, the least any
//! report over them must do.

use std::time::Instant;

use anyhow::Context;
use chrono::{Days, Utc};
use saw_app::reports::{self, ReportQuery};
use saw_app::secrets::SecretBox;
use saw_app::{App, AuthPolicy};
use saw_store::repo::{accounts, hours};
use saw_store::{Store, params};

use crate::report::{Figure, Report};
use crate::seed::{self, Shape};
use crate::{Args, database};

/// Timed runs of each figure; the median is reported.
const RUNS: usize = 5;

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let db = database::Fresh::new(args).await?;
    let store = Store::open(&db.url).await.context("opening the database")?;
    let shape = Shape {
        messages: args.messages.unwrap_or(1_000_000),
        per_ticket: 10,
        days: args.days,
        agents: args.agents.unwrap_or(20),
        queues: 4,
    };
    eprintln!(
        "seeding {} messages over {} days…",
        shape.messages, shape.days
    );
    let started = Instant::now();
    let seeded = seed::history(&store, &shape, Utc::now()).await?;
    let seeding = started.elapsed().as_secs_f64();
    let account_id = seeded.account;
    // Monday to Friday, 08:00–18:00: the business-hours figures do the arithmetic.
    store
        .write(move |c| {
            let weekdays: Vec<(i64, i64, i64)> = (0..5).map(|d| (d, 8 * 60, 18 * 60)).collect();
            hours::replace(c, account_id, None, &weekdays, &[])
        })
        .await?;
    let account = store.read(move |c| accounts::by_id(c, account_id)).await?;

    let app = App::new(
        store.clone(),
        SecretBox::from_key([0; 32]),
        AuthPolicy::default(),
        &db.data_dir,
    );
    let zone = account.time_zone.tz();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let from = today
        .checked_sub_days(Days::new(u64::from(args.days.max(1)) - 1))
        .unwrap_or(today);
    let query = ReportQuery {
        from,
        to: today,
        queue: None,
        user: None,
        channel: None,
        tag: None,
        business_hours: false,
    };
    let business = ReportQuery {
        business_hours: true,
        ..query.clone()
    };
    let (start, end) = (
        Utc::now() - chrono::Duration::days(i64::from(args.days) + 1),
        Utc::now() + chrono::Duration::days(1),
    );

    let baseline = median_ms(|| {
        let store = store.clone();
        async move {
            store
                .read(move |c| {
                    c.scalar_i64(
                        "SELECT COUNT(*) FROM messages WHERE account_id = $1 AND created_at >= $2 AND created_at < $3",
                        params![account_id, start, end],
                    )
                })
            .await
        }
    })
    .await?;
    let summary = median_ms(|| async { reports::summary(&app, &account, &query).await }).await?;
    let summary_business =
        median_ms(|| async { reports::summary(&app, &account, &business).await }).await?;
    let heatmap = median_ms(|| async { reports::heatmap(&app, &account, &query).await }).await?;
    let csv = median_ms(|| async {
        let lines = reports::ticket_lines(&app, &account, &query).await?;
        let csv = reports::tickets_csv(&lines, zone);
        anyhow::ensure!(!csv.is_empty(), "the CSV is empty");
        Ok(())
    })
    .await?;
    let check = reports::summary(&app, &account, &query).await?;

    let mut report = Report::new("dashboard", database::name(args.backend));
    report.setup = vec![
        ("messages".into(), seeded.messages.to_string()),
        ("tickets".into(), seeded.tickets.to_string()),
        ("ticket events".into(), seeded.events.to_string()),
        ("days".into(), args.days.to_string()),
        ("agents".into(), shape.agents.to_string()),
        (
            "seeding".into(),
            format!(
                "{seeding:.1} s ({:.0} messages/s)",
                seeded.messages as f64 / seeding
            ),
        ),
        (
            "the summary saw".into(),
            format!(
                "{} tickets created, {} resolved, {} messages in, {} out",
                check.totals.tickets_created,
                check.totals.tickets_resolved,
                check.messages_in,
                check.messages_out
            ),
        ),
    ];
    let base = "counting the month's messages";
    report.figures = vec![
        Figure::new("baseline: count the month's messages", baseline, "ms"),
        Figure::new(
            format!("summary ({} days, all filters off)", args.days),
            summary,
            "ms",
        )
        .against(base, baseline),
        Figure::new("summary, business hours only", summary_business, "ms").against(base, baseline),
        Figure::new("heat map", heatmap, "ms").against(base, baseline),
        Figure::new("ticket CSV", csv, "ms").against(base, baseline),
    ];
    drop(app);
    drop(store);
    db.remove(args.keep_data).await;
    Ok(report)
}

/// The median of [`RUNS`] timed runs after one to warm up, in milliseconds.
async fn median_ms<F, Fut, T, E>(mut run: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: Into<anyhow::Error>,
{
    run().await.map_err(Into::into)?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await.map_err(Into::into)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[RUNS / 2])
}
