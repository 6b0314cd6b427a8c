//! A fresh database per test, on every backend.
//!
//! SQLite always; PostgreSQL when `SAW_TEST_POSTGRES_URL` is set, each test in its own schema
//! (dropped afterwards). Without that variable the PostgreSQL runs are skipped and say so —
//! except under CI (`CI=true`), where skipping them is a failure.

use std::path::PathBuf;

use rand::Rng;
use saw_store::DatabaseUrl;

pub const POSTGRES_ENV: &str = "SAW_TEST_POSTGRES_URL";

/// One test database; removed when dropped.
pub struct TestDb {
    pub name: &'static str,
    /// A data dir for this test (also holds the SQLite file).
    pub dir: tempfile::TempDir,
    pub url: DatabaseUrl,
    schema: Option<(String, String)>,
}

impl TestDb {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// The URL as `--database-url` takes it.
    pub fn url_arg(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.schema.take() {
            // The blocking client must not run on an async thread; a plain thread is fine.
            let _ = std::thread::spawn(move || {
                if let Ok(mut client) = postgres::Client::connect(&base, postgres::NoTls) {
                    let _ =
                        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            })
            .join();
        }
    }
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("saw.db"));
    TestDb {
        name: "sqlite",
        dir,
        url,
        schema: None,
    }
}

/// A fresh PostgreSQL schema, or `None` (with a note on stderr) when no server is configured.
pub fn postgres() -> Option<TestDb> {
    let Some(base) = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()) else {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{POSTGRES_ENV} is not set, but CI must run the PostgreSQL tests");
        }
        eprintln!("SKIPPED: PostgreSQL run ({POSTGRES_ENV} is not set)");
        return None;
    };
    let schema = format!("saw_test_{:016x}", rand::thread_rng().r#gen::<u64>());
    let create = {
        let (base, schema) = (base.clone(), schema.clone());
        std::thread::spawn(move || -> Result<(), postgres::Error> {
            let mut client = postgres::Client::connect(&base, postgres::NoTls)?;
            client.batch_execute(&format!("CREATE SCHEMA {schema}"))
        })
        .join()
        .expect("schema thread")
    };
    if let Err(e) = create {
        panic!("{POSTGRES_ENV} is set but PostgreSQL refused a new schema: {e}");
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
    Some(TestDb {
        name: "postgres",
        dir: tempfile::tempdir().expect("temp dir"),
        url: DatabaseUrl::Postgres(url),
        schema: Some((base, schema)),
    })
}

/// Every backend this run can test: SQLite, then PostgreSQL when configured.
pub fn backends() -> Vec<TestDb> {
    let mut all = vec![sqlite()];
    all.extend(postgres());
    all
}
