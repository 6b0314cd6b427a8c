//! `saw channel …`
//!
//! Secrets reach this command as flags, `SAW_*` variables or standard input, go straight into
//! the service (which seals them) and are never printed back: `list` shows them masked. The
//! one exception is a verify token SAW generated, printed once because Meta asks for it.

use saw_app::channels::{ChannelChanges, NewChannelInput, Removal};
use saw_app::{Actor, App, AppError};
use saw_core::channel::{Channel, TelegramMode};
use saw_core::conversation::ChannelKind;

use super::CliError;
use crate::cli::{ChannelAddCommand, ChannelCommand, SecretArg, TelegramModeArg};
use crate::output;

pub async fn run(app: &App, command: ChannelCommand) -> Result<(), CliError> {
    let account = saw_app::account::current(app).await?;
    let actor = Actor::cli();
    match command {
        ChannelCommand::Add(add) => {
            let input = input_of(add)?;
            let added = saw_app::channels::add(app, &actor, account.id, input).await?;
            println!("created {}", describe(&added.channel));
            if let Some(token) = added.generated_verify_token {
                println!("verify token: {token}");
                println!(
                    "(shown only now; Meta asks for it, with the callback URL, when you set up the webhook)"
                );
            }
            if added.channel.kind != ChannelKind::Sandbox {
                eprintln!(
                    "the provider was not contacted: the credentials are first used when the channel starts talking to it"
                );
            }
        }
        ChannelCommand::List => {
            let channels = saw_app::channels::list(app, account.id).await?;
            if channels.is_empty() {
                println!(
                    "no channels yet: add one with `saw channel add whatsapp|telegram|sandbox`"
                );
                return Ok(());
            }
            let pairs = |list: &[(&str, String)]| {
                if list.is_empty() {
                    "-".to_owned()
                } else {
                    list.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            let rows: Vec<Vec<String>> = channels
                .iter()
                .map(|s| {
                    let c = &s.channel;
                    vec![
                        c.id.to_string(),
                        c.kind.as_str().to_owned(),
                        c.name.clone(),
                        c.provider_key.clone().unwrap_or_else(|| "-".to_owned()),
                        pairs(&s.settings),
                        if s.unreadable.is_some() {
                            "(unreadable)".to_owned()
                        } else {
                            pairs(&s.secrets)
                        },
                        if c.active { "active" } else { "deactivated" }.to_owned(),
                    ]
                })
                .collect();
            output::table(
                &["ID", "KIND", "NAME", "KEY", "SETTINGS", "SECRETS", "STATUS"],
                &rows,
            );
            for s in &channels {
                if let Some(why) = &s.unreadable {
                    eprintln!("channel {}: {why}", s.channel.id);
                }
            }
        }
        ChannelCommand::Remove { id } => {
            let (channel, removal) = saw_app::channels::remove(app, &actor, account.id, id)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        CliError::usage(format!("no channel with id {id} (see `saw channel list`)"))
                    }
                    other => other.into(),
                })?;
            let what = describe(&channel);
            match removal {
                Removal::Deleted => println!("removed {what}"),
                Removal::Deactivated => println!(
                    "deactivated {what} instead of removing it: tickets or messages point at it, and its history stays"
                ),
                Removal::AlreadyDeactivated => println!(
                    "{what} is already deactivated and cannot be removed: tickets or messages point at it"
                ),
            }
        }
        ChannelCommand::Update(args) => {
            let (id, mode) = (args.id, args.mode);
            let [token, app_secret] =
                secrets([(args.token, "token"), (args.app_secret, "app secret")])?;
            let changes = ChannelChanges {
                name: args.name,
                token,
                app_secret,
                api_base: args.api_base,
                mode: mode.map(|m| match m {
                    TelegramModeArg::Polling => TelegramMode::Polling,
                    TelegramModeArg::Webhook => TelegramMode::Webhook,
                }),
                max_per_second: args.max_per_second,
                activate: args.activate,
            };
            let channel = saw_app::channels::update(app, &actor, account.id, id, changes)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        CliError::usage(format!("no channel with id {id} (see `saw channel list`)"))
                    }
                    other => other.into(),
                })?;
            println!("updated {}", describe(&channel));
        }
        ChannelCommand::Templates { id, sync } => {
            let list = if sync {
                saw_app::templates::sync(app, &actor, account.id, id).await?
            } else {
                saw_app::templates::list(app, account.id, id).await?
            };
            if list.is_empty() {
                println!(
                    "no templates{}",
                    if sync {
                        " at Meta for this number"
                    } else {
                        " synced yet: run with --sync"
                    }
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        t.language.clone(),
                        t.status.clone(),
                        t.category.clone().unwrap_or_default(),
                        t.body_params.to_string(),
                        t.header_params.to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "NAME",
                    "LANGUAGE",
                    "STATUS",
                    "CATEGORY",
                    "BODY PARAMS",
                    "HEADER PARAMS",
                ],
                &rows,
            );
        }
    }
    Ok(())
}

/// "whatsapp channel 'WhatsApp Loja' (id 3, phone number id 112233445566778)"
fn describe(c: &Channel) -> String {
    let key = match (c.kind, c.provider_key.as_deref()) {
        (ChannelKind::WhatsApp, Some(key)) => format!(", phone number id {key}"),
        (ChannelKind::Telegram, Some(key)) => format!(", bot {key}"),
        _ => String::new(),
    };
    format!(
        "{} channel '{}' (id {}{key})",
        c.kind.as_str(),
        c.name,
        c.id
    )
}

fn input_of(add: ChannelAddCommand) -> Result<NewChannelInput, CliError> {
    Ok(match add {
        ChannelAddCommand::Whatsapp(a) => {
            let [access_token, app_secret, verify_token] = secrets([
                (Some(a.access_token), "access token"),
                (Some(a.app_secret), "app secret"),
                (a.verify_token, "verify token"),
            ])?;
            NewChannelInput::WhatsApp {
                name: a.name,
                phone_number_id: a.phone_number_id,
                waba_id: a.waba_id,
                // An empty one is refused by the service with the field's name.
                access_token: access_token.unwrap_or_default(),
                app_secret: app_secret.unwrap_or_default(),
                verify_token,
                api_base: Some(a.api_base),
            }
        }
        ChannelAddCommand::Telegram(a) => {
            let [bot_token] = secrets([(Some(a.bot_token), "bot token")])?;
            NewChannelInput::Telegram {
                name: a.name,
                bot_token: bot_token.unwrap_or_default(),
                mode: match a.mode {
                    TelegramModeArg::Polling => TelegramMode::Polling,
                    TelegramModeArg::Webhook => TelegramMode::Webhook,
                },
                api_base: Some(a.api_base),
            }
        }
        ChannelAddCommand::Sandbox(a) => NewChannelInput::Sandbox { name: a.name },
    })
}

/// The secret flags, "-" read from standard input. Only one may be "-": standard input has
/// one line to give.
fn secrets<const N: usize>(
    values: [(Option<SecretArg>, &'static str); N],
) -> Result<[Option<String>; N], CliError> {
    let from_stdin = values
        .iter()
        .filter(|(v, _)| v.as_ref().is_some_and(|v| v.0 == "-"))
        .count();
    if from_stdin > 1 {
        return Err(CliError::usage(
            "only one secret can come from standard input (\"-\") per command; give the others as flags or SAW_* variables".into(),
        ));
    }
    let mut out = [const { None }; N];
    for (slot, (value, what)) in out.iter_mut().zip(values) {
        *slot = output::secret(value.map(|v| v.0), what)?;
    }
    Ok(out)
}
