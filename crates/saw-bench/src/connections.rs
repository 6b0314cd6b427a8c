//! `--scenario connections`: 10,000 idle agent live streams (by default) open at once on
//! `saw serve`, and its memory then. Baseline: the same server with none open.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::load::{self, Timeline};
use crate::report::{Figure, Report};
use crate::saw_process::{self, ADMIN_EMAIL, Saw};
use crate::{Args, database};

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let pin = saw_process::can_pin() && saw_process::pin_self_to_last_core();
    let wanted = args.connections;
    // Each stream is a socket in this process and one in the server, which inherits this
    // process's limit.
    let needed = wanted as u64 + 1024;
    let (limit, raised) = raise_open_files(needed);
    if !raised {
        eprintln!(
            "could not raise the open-files limit to {needed} (it is {limit}): fewer streams may open"
        );
    }
    let db = database::Fresh::new(args).await?;
    let saw = Saw::on(args, &db);
    let serving = saw.serve(pin).await?;
    let token = saw
        .cli(&[
            "token",
            "create",
            "--name",
            "streams",
            "--user",
            ADMIN_EMAIL,
        ])?
        .trim()
        .to_owned();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = serving.memory().map_or(0, |(now, _)| now);

    let timeline = Timeline::new(0);
    let connected = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut streams = Vec::with_capacity(wanted);
    // In waves, so the server's accept queue is never the limit measured.
    for wave in (0..wanted).collect::<Vec<_>>().chunks(500) {
        for _ in wave {
            streams.push(tokio::spawn(load::listen(
                args.stream,
                serving.base.clone(),
                token.clone(),
                timeline.clone(),
                connected.clone(),
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = connected.load(Ordering::Relaxed);
        if now >= wanted || (now == last && now > 0 && started.elapsed() > Duration::from_secs(10))
        {
            break;
        }
        last = now;
    }
    let open = connected.load(Ordering::Relaxed);
    let opening = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (with_streams, peak) = serving.memory().unwrap_or((0, 0));
    for stream in &streams {
        stream.abort();
    }
    serving.stop();
    db.remove(args.keep_data).await;

    let mut report = Report::new("connections", database::name(args.backend));
    report.setup = vec![
        ("streams asked".into(), wanted.to_string()),
        ("read as".into(), args.stream.name().into()),
        ("streams open".into(), open.to_string()),
        ("open-files limit".into(), limit.to_string()),
        ("opening them took".into(), format!("{opening:.1} s")),
    ];
    let per_stream = (with_streams as f64 - idle as f64) / open.max(1) as f64;
    report.figures = vec![
        Figure::new(
            "baseline: server RSS with no stream",
            idle as f64 / 1e6,
            "MB",
        ),
        Figure::new(
            format!("server RSS with {open} idle streams"),
            with_streams as f64 / 1e6,
            "MB",
        )
        .against("no stream", idle as f64 / 1e6),
        Figure::new("server RSS peak", peak as f64 / 1e6, "MB"),
        Figure::new("memory per idle stream", per_stream / 1e3, "KB"),
    ];
    Ok(report)
}

/// Raises this process's open-files limit towards `wanted` (up to the hard limit); answers
/// the limit now and whether it reaches `wanted`.
fn raise_open_files(wanted: u64) -> (u64, bool) {
    let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() else {
        return (0, false);
    };
    let target = wanted.min(hard).max(soft);
    if target > soft {
        let _ = rlimit::Resource::NOFILE.set(target, hard);
    }
    let now = rlimit::Resource::NOFILE.get().map_or(soft, |(s, _)| s);
    (now, now >= wanted)
}
