//! `saw flow export|import`

use std::io::Read;

use saw_app::{Actor, App};

use super::CliError;
use crate::cli::FlowCommand;

pub async fn run(app: &App, command: FlowCommand) -> Result<(), CliError> {
    let account = saw_app::account::current(app).await?;
    match command {
        FlowCommand::Export { channel } => {
            let yaml = saw_app::flows::export(app, account.id, channel).await?;
            print!("{yaml}");
        }
        FlowCommand::Import { file, channel } => {
            let yaml = read(&file)?;
            let flow =
                saw_app::flows::import(app, &Actor::cli(), account.id, channel, &yaml).await?;
            let target = match channel {
                Some(id) => format!("channel {id}"),
                None => "every channel without a flow of its own".to_owned(),
            };
            println!(
                "imported flow '{}' ({} menus) for {target}",
                flow.name,
                flow.menus.len()
            );
        }
    }
    Ok(())
}

fn read(file: &str) -> Result<String, CliError> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| CliError::usage(format!("cannot read {file}: {e}")))?;
    Ok(text)
}
