//! One module per command; [`run`] dispatches.

mod channel;
mod flow;
mod serve;
mod token;
mod user;

use saw_app::{AppError, AuthPolicy};

use crate::cli::{Cli, Command};
use crate::config::{self, Setup};

/// A command's failure: the message a person reads and the exit code scripts see.
#[derive(Debug)]
pub struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// Bad configuration or environment (exit 2).
    pub fn config(message: String) -> Self {
        Self { message, code: 2 }
    }

    /// Bad arguments or refused input (exit 1).
    pub fn usage(message: String) -> Self {
        Self { message, code: 1 }
    }

    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(_) | AppError::Secrets(_) | AppError::NotSetUp => {
                CliError::config(e.to_string())
            }
            other => CliError::usage(other.to_string()),
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Version => {
            println!("saw {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(args) => {
            config::init_logging(&cli.common)?;
            serve::run(&cli.common, args).await
        }
        Command::Migrate => {
            config::init_logging(&cli.common)?;
            let app = config::open_app(&cli.common, Setup::CreateIfMissing, AuthPolicy::default())
                .await?;
            let version = app
                .store
                .read(saw_store::migrate::current_version)
                .await
                .map_err(|e| CliError::config(e.to_string()))?;
            println!(
                "database schema is at version {version} ({})",
                app.store.backend_name()
            );
            Ok(())
        }
        Command::User(command) => {
            config::init_logging(&cli.common)?;
            let app =
                config::open_app(&cli.common, Setup::MustExist, AuthPolicy::default()).await?;
            user::run(&app, command).await
        }
        Command::Token(command) => {
            config::init_logging(&cli.common)?;
            let app =
                config::open_app(&cli.common, Setup::MustExist, AuthPolicy::default()).await?;
            token::run(&app, command).await
        }
        Command::Channel(command) => {
            config::init_logging(&cli.common)?;
            let app =
                config::open_app(&cli.common, Setup::MustExist, AuthPolicy::default()).await?;
            channel::run(&app, command).await
        }
        Command::Flow(command) => {
            config::init_logging(&cli.common)?;
            let app =
                config::open_app(&cli.common, Setup::MustExist, AuthPolicy::default()).await?;
            flow::run(&app, command).await
        }
    }
}
