//! `saw-bench`: SAW's benchmarks, each on a fresh temporary data dir and each figure beside a
//! baseline measured in the same run (the machine is shared and noisy; ratios travel better
//! than seconds). `--json` prints the same figures as JSON.
//!
//! - `--scenario loop` (the default): the whole loop on the real `saw serve`, webhook in to
//!   agent event out (see [`pipeline`]).
//! - `--scenario dashboard`: a month of history (1 million messages by default) and the time
//!   the reports take over it.
//! - `--scenario startup`: start-to-ready and idle memory on a database with 100,000 tickets.
//! - `--scenario connections`: memory with 10,000 idle agent live streams open.

mod baseline;
mod connections;
mod dashboard;
mod database;
mod fake_graph;
mod load;
mod pipeline;
mod report;
mod saw_process;
mod seed;
mod startup;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Signed WhatsApp webhooks through the real `saw serve` to the agents' live streams.
    Loop,
    /// The reports (summary, heat map, CSV) over a month of history.
    Dashboard,
    /// Start-to-ready and idle memory on an existing database.
    Startup,
    /// Memory with many idle agent live streams open.
    Connections,
}

/// How the agents' live streams are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stream {
    /// A WebSocket, as the inbox reads it.
    #[value(name = "websocket")]
    WebSocket,
    /// Server-Sent Events, as integrations may read it.
    Sse,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::WebSocket => "WebSocket",
            Stream::Sse => "SSE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SAW's benchmarks: each runs on a fresh temporary database and reports every figure beside
/// a baseline measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "saw-bench", version)]
pub struct Args {
    /// What to measure.
    #[arg(long, value_enum, default_value = "loop")]
    pub scenario: Scenario,
    /// How many messages the load (default 50,000) or the history (default 1,000,000) has.
    #[arg(long)]
    pub messages: Option<usize>,
    /// Messages per second of the timed phase (loop).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Days of history the messages spread over (dashboard).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Agents: live streams open during the load (default 50), or the team of the history
    /// (default 20).
    #[arg(long)]
    pub agents: Option<usize>,
    /// Tickets of the existing database (startup).
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Idle live streams to open (connections).
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// How the live streams are read (loop, connections).
    #[arg(long, value_enum, default_value = "websocket")]
    pub stream: Stream,
    /// The `saw` binary to run (default: the one built beside this benchmark).
    #[arg(long, value_name = "PATH")]
    pub saw_binary: Option<PathBuf>,
    /// Internal: serve an empty handler on this port (the HTTP baseline).
    #[arg(long, hide = true, value_name = "PORT")]
    pub empty_server: Option<u16>,
    /// Where the data lives: a temporary SQLite file, or a fresh schema of the PostgreSQL
    /// server named by --postgres-url.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub backend: Backend,
    /// The PostgreSQL server for --backend postgres (a fresh schema is made and dropped).
    #[arg(
        long,
        env = "SAW_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres_url: String,
    /// Keep the benchmark's data dir (or PostgreSQL schema) afterwards and say where it is,
    /// to look into a query plan.
    #[arg(long)]
    pub keep_data: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    report::CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(port) = args.empty_server {
        return baseline::serve_empty(port).await;
    }
    let figures = match args.scenario {
        Scenario::Loop => pipeline::run(&args).await?,
        Scenario::Dashboard => dashboard::run(&args).await?,
        Scenario::Startup => startup::run(&args).await?,
        Scenario::Connections => connections::run(&args).await?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print!("{}", figures.table());
    }
    Ok(())
}
