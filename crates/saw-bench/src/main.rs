//! `saw-bench`: SAW's benchmarks, each on a fresh temporary data dir and each figure beside a
//! baseline measured in the same run (the machine is shared and noisy; ratios travel better
//! than seconds). `--json` prints the same figures as JSON.
//!
//! - `--scenario dashboard`: a month of history (1 million messages by default) and the time
//!   the reports take over it.

mod dashboard;
mod database;
mod report;
mod seed;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// The reports (summary, heat map, CSV) over a month of history.
    Dashboard,
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
    #[arg(long, value_enum, default_value = "dashboard")]
    pub scenario: Scenario,
    /// How many messages the history or the load has.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// Days of history the messages spread over (dashboard).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Agents of the team.
    #[arg(long, default_value_t = 20)]
    pub agents: usize,
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
    let figures = match args.scenario {
        Scenario::Dashboard => dashboard::run(&args).await?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print!("{}", figures.table());
    }
    Ok(())
}
