//! `--scenario loop`: the whole loop on the real `saw serve` — signed WhatsApp webhooks in,
//! stored, routed by the example flow, bot replies out to a fake Graph API, events out to
//! the agents' live streams — first flat out, then at a fixed rate with each message timed
//! from its POST to its event on a stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::fake_graph::FakeGraph;
use crate::load::{self, Timeline};
use crate::report::{Figure, Report};
use crate::saw_process::{self, ADMIN_EMAIL, PASSWORD, Saw, Serving};
use crate::{Args, baseline, database};

/// Webhooks in flight when sending flat out (Meta delivers many at once).
const CONCURRENCY: usize = 64;
/// The share of the messages sent flat out; the rest go at `--rate`.
const FLAT_OUT_SHARE: f64 = 0.6;

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let pin = saw_process::can_pin() && saw_process::pin_self_to_last_core();
    let messages = args.messages.unwrap_or(50_000).max(10);
    eprintln!("preparing {messages} signed webhooks…");
    let hooks = Arc::new(load::webhooks(messages));

    eprintln!("baselines: an empty handler, single-row commits…");
    let empty_rps = baseline::empty_handler(&hooks, CONCURRENCY, pin).await?;
    let commits = baseline::single_row_commits(args).await?;

    let db = database::Fresh::new(args).await?;
    let saw = Saw::on(args, &db);
    let fake = FakeGraph::start().await?;
    let serving = saw.serve(pin).await?;
    let statistics = db.keep_statistics().await?;
    let start_ms = serving.start_to_ready.as_secs_f64() * 1000.0;
    connect_whatsapp(&saw, &fake)?;
    let agent_count = args.agents.unwrap_or(50);
    eprintln!("signing in {agent_count} agents…");
    let tokens = agents(&saw, agent_count)?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .build()?;
    let timeline = Timeline::new(messages);
    let connected = Arc::new(AtomicUsize::new(0));
    let streams: Vec<_> = tokens
        .iter()
        .map(|token| {
            tokio::spawn(load::listen(
                args.stream,
                serving.base.clone(),
                token.clone(),
                timeline.clone(),
                connected.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while connected.load(Ordering::Relaxed) < tokens.len() {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} live streams connected",
                connected.load(Ordering::Relaxed),
                tokens.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = serving.memory().map_or(0, |(now, _)| now);

    let url = format!("{}/webhooks/whatsapp", serving.base);
    let split = ((messages as f64 * FLAT_OUT_SHARE) as usize).max(1);
    eprintln!("{split} webhooks flat out…");
    let cpu_before = serving.cpu_time();
    let flat = load::flat_out(&client, &url, &hooks, 0..split, CONCURRENCY, &timeline).await;
    let flat_lag = drained(&fake, &serving, &client, Instant::now()).await;
    let sent_after_flat = fake.sent();
    // Everything the flat-out messages cost: stored, answered, sent and shown.
    let cpu_per_message = match (cpu_before, serving.cpu_time()) {
        (Some(before), Some(after)) => (after - before).as_secs_f64() * 1e6 / split as f64,
        _ => f64::NAN,
    };
    eprintln!("{} webhooks at {}/s…", messages - split, args.rate);
    let rated = load::at_rate(&client, &url, &hooks, split..messages, args.rate, &timeline).await;
    let rated_lag = drained(&fake, &serving, &client, Instant::now()).await;
    let (latencies, missing) = timeline.latencies(split..messages);
    let (_, flat_missing) = timeline.latencies(0..split);
    let peak_rss = serving.memory().map_or(0, |(_, peak)| peak);
    for stream in &streams {
        stream.abort();
    }
    serving.stop();
    let analyzed_here = statistics.is_some();
    drop(statistics);
    db.remove(args.keep_data).await;

    if flat.failed + rated.failed > 0 {
        eprintln!(
            "warning: {} webhooks were not acknowledged",
            flat.failed + rated.failed
        );
    }
    let acknowledged = flat.ok as f64 / flat.elapsed.as_secs_f64();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let bot_replies = fake.sent();
    let mut report = Report::new("loop", database::name(args.backend));
    report.setup = vec![
        ("messages".into(), messages.to_string()),
        ("customers".into(), (messages / 4).max(1).to_string()),
        (
            "agent live streams".into(),
            format!("{} ({})", tokens.len(), args.stream.name()),
        ),
        (
            "flat out / at rate".into(),
            format!("{split} / {} at {}/s", messages - split, args.rate),
        ),
        (
            "cores".into(),
            if pin {
                "server on core 0, load generator on the last".into()
            } else {
                "not pinned (taskset missing or one core)".to_owned()
            },
        ),
        (
            "not acknowledged".into(),
            (flat.failed + rated.failed).to_string(),
        ),
        (
            "bot replies sent".into(),
            format!(
                "{sent_after_flat} once the flat-out phase's outbox was empty, {bot_replies} in all"
            ),
        ),
        (
            "never seen on a live stream".into(),
            format!("{flat_missing} flat out, {missing} at rate"),
        ),
        (
            "start to ready (fresh database)".into(),
            format!("{start_ms:.0} ms"),
        ),
    ];
    if analyzed_here {
        report.setup.push((
            "statistics".into(),
            "this PostgreSQL runs without autovacuum: the benchmark ran ANALYZE every 5 s in its place".into(),
        ));
    }
    report.figures = vec![
        Figure::new("baseline: empty handler, flat out", empty_rps, "req/s"),
        Figure::new("baseline: single-row commits", commits, "commits/s"),
        Figure::new("acknowledged webhooks, flat out", acknowledged, "msg/s")
            .against("empty handler", empty_rps),
        Figure::new("acknowledged webhooks vs commits", acknowledged, "msg/s")
            .against("single-row commits", commits),
        Figure::new(
            "server CPU per message, flat out (until sent)",
            cpu_per_message,
            "µs",
        )
        .against("an empty request", 1e6 / empty_rps),
        Figure::new(
            format!("webhook → agent event p50 at {}/s", args.rate),
            percentile(0.5),
            "ms",
        ),
        Figure::new(
            format!("webhook → agent event p99 at {}/s", args.rate),
            percentile(0.99),
            "ms",
        ),
        Figure::new(
            format!("webhook → agent event max at {}/s", args.rate),
            latencies.last().copied().unwrap_or(f64::NAN),
            "ms",
        ),
        Figure::new(
            "bot replies sent to the Graph API",
            bot_replies as f64 / fake.span_s().max(1e-3),
            "msg/s",
        )
        .against("single-row commits", commits),
        Figure::new(
            "outbox lag after flat out",
            flat_lag.as_secs_f64() * 1000.0,
            "ms",
        ),
        Figure::new(
            "outbox lag after the rate phase",
            rated_lag.as_secs_f64() * 1000.0,
            "ms",
        ),
        Figure::new(
            "server RSS idle (streams open)",
            idle_rss as f64 / 1e6,
            "MB",
        ),
        Figure::new("server RSS peak", peak_rss as f64 / 1e6, "MB"),
    ];
    Ok(report)
}

/// Waits until the outbox is empty (or, where `/metrics` cannot be read, until nothing
/// was sent for a second, and says so), two minutes at most; answers how long after
/// `since` the last reply left. Replies held by WhatsApp's pace per customer count: the
/// outbox is not empty while they wait.
async fn drained(
    fake: &FakeGraph,
    serving: &Serving,
    client: &reqwest::Client,
    since: Instant,
) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = (fake.sent(), Instant::now());
    let mut unread = false;
    loop {
        if Instant::now() >= deadline {
            eprintln!("warning: the outbox was not empty after two minutes; its lag is cut there");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = fake.sent();
        match serving.outbox_depth(client).await {
            Some(0) => break,
            Some(_) => {}
            None => {
                if !unread {
                    eprintln!(
                        "warning: /metrics cannot be read; the outbox counts as drained after a second with nothing sent"
                    );
                    unread = true;
                }
                if sent == last.0 && last.1.elapsed() >= Duration::from_secs(1) {
                    break;
                }
            }
        }
        if sent != last.0 {
            last = (sent, Instant::now());
        }
    }
    fake.last_send()
        .map_or(Duration::ZERO, |at| at.saturating_duration_since(since))
}

/// Connects the benchmark's WhatsApp number, its Graph API the fake, its send rate the
/// highest a number may have (so the fake, not the default 80/s, is the limit).
fn connect_whatsapp(saw: &Saw, fake: &FakeGraph) -> anyhow::Result<()> {
    let created = saw.cli(&[
        "channel",
        "add",
        "whatsapp",
        "--name",
        "WhatsApp Benchmark",
        "--phone-number-id",
        load::PHONE_NUMBER_ID,
        "--waba-id",
        "104952389402837",
        "--access-token",
        "EAAG-benchmark",
        "--app-secret",
        load::APP_SECRET,
        "--verify-token",
        "benchmark",
        "--api-base",
        &fake.base,
    ])?;
    let id = created
        .split("(id ")
        .nth(1)
        .and_then(|rest| rest.split([',', ')']).next())
        .context("the channel's id in `saw channel add`'s answer")?
        .trim()
        .to_owned();
    saw.cli(&["channel", "update", &id, "--max-per-second", "1000"])?;
    Ok(())
}

/// API tokens for `count` live streams: the admin's (it sees every ticket) and agents of
/// the example flow's queues.
fn agents(saw: &Saw, count: usize) -> anyhow::Result<Vec<String>> {
    let token = |email: &str, name: &str| -> anyhow::Result<String> {
        Ok(saw
            .cli(&["token", "create", "--name", name, "--user", email])?
            .trim()
            .to_owned())
    };
    let mut tokens = vec![token(ADMIN_EMAIL, "benchmark")?];
    for n in 1..count.max(1) {
        let email = format!("agente{n}@bench.local");
        let queue = if n % 2 == 0 { "Suporte" } else { "Comercial" };
        saw.cli(&[
            "user",
            "add",
            "--email",
            &email,
            "--name",
            &format!("Agente {n}"),
            "--role",
            "agent",
            "--queue",
            queue,
            "--password",
            PASSWORD,
        ])?;
        tokens.push(token(&email, &format!("agente{n}"))?);
    }
    Ok(tokens)
}
