//! A fresh database for one run: a SQLite file in a temporary data dir, or a new schema on
//! the PostgreSQL server (dropped afterwards).

use std::path::PathBuf;

use anyhow::Context;
use saw_store::{DatabaseUrl, Store, StoreError};

use crate::{Args, Backend};

pub struct Fresh {
    pub url: DatabaseUrl,
    pub data_dir: PathBuf,
    dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

pub fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

impl Fresh {
    pub async fn new(args: &Args) -> anyhow::Result<Fresh> {
        let dir = tempfile::tempdir().context("making a temporary data dir")?;
        let data_dir = dir.path().to_owned();
        match args.backend {
            Backend::Sqlite => Ok(Fresh {
                url: DatabaseUrl::Sqlite(data_dir.join("saw.db")),
                data_dir,
                dir: Some(dir),
                schema: None,
            }),
            Backend::Postgres => {
                let base = args.postgres_url.clone();
                let schema = format!("saw_bench_{}", std::process::id());
                run_on(&base, format!("CREATE SCHEMA {schema}"))
                    .await
                    .with_context(|| format!("making a schema on {base}"))?;
                let separator = if base.contains('?') { '&' } else { '?' };
                Ok(Fresh {
                    url: DatabaseUrl::Postgres(format!(
                        "{base}{separator}options=-csearch_path%3D{schema}"
                    )),
                    data_dir,
                    dir: Some(dir),
                    schema: Some((base, schema)),
                })
            }
        }
    }

    /// The URL as `saw --database-url` takes it.
    pub fn url_arg(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// Drops the PostgreSQL schema and the temporary dir, unless asked to keep them.
    pub async fn remove(mut self, keep: bool) {
        if keep {
            let dir = self.dir.take().map(tempfile::TempDir::keep);
            eprintln!("kept: {} {:?}", self.url.redacted(), dir);
            return;
        }
        if let Some((base, schema)) = &self.schema
            && let Err(e) = run_on(base, format!("DROP SCHEMA {schema} CASCADE")).await
        {
            eprintln!("could not drop the schema {schema}: {e}");
        }
    }
}

/// Keeps the PostgreSQL statistics of the run's tables current where the server runs
/// without autovacuum (PostgreSQL's default is on): without statistics the planner takes every
/// table for empty and picks plans no production server would, so the benchmark would measure
/// the missing maintenance, not SAW. Stops when dropped.
pub struct StatisticsKeeper(tokio::task::JoinHandle<()>);

impl Drop for StatisticsKeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often the keeper analyzes (autovacuum's own pace is one look a minute per database,
/// then each table that changed by a tenth).
const ANALYZE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl Fresh {
    /// A [`StatisticsKeeper`] when this is PostgreSQL and its autovacuum is off.
    pub async fn keep_statistics(&self) -> anyhow::Result<Option<StatisticsKeeper>> {
        if self.schema.is_none() {
            return Ok(None);
        }
        let store = Store::connect(&self.url).await?;
        let autovacuum = store
            .read(|c| c.query_one("SELECT current_setting('autovacuum')", &[], |r| r.text(0)))
            .await?;
        if autovacuum == "on" {
            return Ok(None);
        }
        Ok(Some(StatisticsKeeper(tokio::spawn(async move {
            loop {
                tokio::time::sleep(ANALYZE_EVERY).await;
                let analyzed = store
                    .write(|c| {
                        let tables = c.query_all(
                            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
                            &[],
                            |r| r.text(0),
                        )?;
                        c.execute_batch(&format!("ANALYZE {}", tables.join(", ")))
                    })
                    .await;
                if let Err(e) = analyzed {
                    eprintln!("ANALYZE failed: {e}");
                }
            }
        }))))
    }
}

async fn run_on(url: &str, sql: String) -> Result<(), StoreError> {
    let store = Store::connect(&DatabaseUrl::Postgres(url.to_owned())).await?;
    store.write(move |c| c.execute_batch(&sql)).await
}
