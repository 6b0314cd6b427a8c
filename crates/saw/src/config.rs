//! Turns the command line into a running [`App`]: checks the data dir, picks the database,
//! loads the secrets key. Each failure says what is wrong and how to fix it.

use std::path::Path;

use saw_app::secrets::{KeySource, SecretBox};
use saw_app::{App, AuthPolicy};
use saw_store::{DatabaseUrl, Store};

use crate::cli::{CommonArgs, LogFormat};
use crate::commands::CliError;

/// Whether the command may create what is missing (`serve`, `migrate`) or must find an
/// existing installation (the admin commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    CreateIfMissing,
    MustExist,
}

pub fn init_logging(common: &CommonArgs) -> Result<(), CliError> {
    let filter = tracing_subscriber::EnvFilter::try_new(&common.log).map_err(|e| {
        CliError::config(format!(
            "SAW_LOG '{}' is not a valid log filter ({e}); try info or debug",
            common.log
        ))
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match common.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| CliError::config(format!("cannot set up logging: {e}")))
}

pub fn database_url(common: &CommonArgs) -> Result<DatabaseUrl, CliError> {
    match common
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(raw) => {
            DatabaseUrl::parse(raw).map_err(|e| CliError::config(format!("SAW_DATABASE_URL: {e}")))
        }
        None => Ok(DatabaseUrl::Sqlite(common.data_dir.join("saw.db"))),
    }
}

fn ensure_data_dir(dir: &Path, setup: Setup) -> Result<(), CliError> {
    if !dir.exists() {
        if setup == Setup::MustExist {
            return Err(CliError::config(format!(
                "the data dir {} does not exist: run `saw serve` once to set SAW up, or point --data-dir / SAW_DATA_DIR at the existing one",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::config(format!(
                "cannot create the data dir {}: {e}; choose a writable directory with --data-dir or SAW_DATA_DIR",
                dir.display()
            ))
        })?;
    }
    let probe = dir.join(".saw-write-test");
    std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe)).map_err(|e| {
        CliError::config(format!(
            "the data dir {} is not writable: {e}; fix its permissions or choose another with --data-dir or SAW_DATA_DIR",
            dir.display()
        ))
    })
}

/// Opens the store (applying migrations) and the secrets key, ready for the services.
pub async fn open_app(
    common: &CommonArgs,
    setup: Setup,
    policy: AuthPolicy,
) -> Result<App, CliError> {
    ensure_data_dir(&common.data_dir, setup)?;
    let url = database_url(common)?;
    if let DatabaseUrl::Sqlite(path) = &url {
        if setup == Setup::MustExist && !path.exists() {
            return Err(CliError::config(format!(
                "no SAW database at {}: run `saw serve` once to set SAW up, or point --data-dir / SAW_DATABASE_URL at the existing one",
                path.display()
            )));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent
            && !parent.exists()
        {
            return Err(CliError::config(format!(
                "the directory of the SQLite database {} does not exist",
                parent.display()
            )));
        }
    }
    // The key first: a malformed one must stop the start before anything is created.
    let (secrets, source) = SecretBox::load(common.secret_key.as_deref(), &common.data_dir)
        .map_err(|e| CliError::config(e.to_string()))?;
    let store = Store::open(&url).await.map_err(|e| {
        CliError::config(format!("cannot open the database {}: {e}", url.redacted()))
    })?;
    secrets
        .verify_against(&store)
        .await
        .map_err(|e| CliError::config(e.to_string()))?;
    match source {
        KeySource::Environment => tracing::debug!("secrets key from SAW_SECRET_KEY"),
        KeySource::ExistingFile => tracing::debug!("secrets key from the data dir"),
        KeySource::NewFile => tracing::info!(
            file = %common.data_dir.join(saw_app::secrets::KEY_FILE).display(),
            "created a new secrets key; back it up with the database"
        ),
    }
    tracing::debug!(database = %url.redacted(), "database open");
    Ok(App::new(store, secrets, policy, &common.data_dir))
}
