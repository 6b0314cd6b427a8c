//! `saw token …`

use chrono::{DateTime, Duration, Utc};
use saw_app::{Actor, App, AppError};

use super::CliError;
use crate::cli::TokenCommand;
use crate::output;

pub async fn run(app: &App, command: TokenCommand) -> Result<(), CliError> {
    let account = saw_app::account::current(app).await?;
    let actor = Actor::cli();
    match command {
        TokenCommand::Create {
            name,
            user,
            expires_in_days,
        } => {
            let owner = match user {
                Some(email) => saw_app::users::by_email(app, account.id, &email)
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound => CliError::usage(format!(
                            "no user with e-mail {email} (see `saw user list`)"
                        )),
                        other => other.into(),
                    })?,
                None => saw_app::users::first_admin(app, account.id).await?,
            };
            if !owner.active {
                return Err(CliError::usage(format!(
                    "{} is deactivated; a token for them would not work",
                    owner.email
                )));
            }
            let expires = expires_in_days.map(|d| saw_store::now() + Duration::days(d.into()));
            let (token, plaintext) =
                saw_app::auth::create_api_token(app, &actor, account.id, owner.id, &name, expires)
                    .await?;
            // The token alone on stdout, so `TOKEN=$(saw token create --name ci)` works.
            println!("{plaintext}");
            eprintln!(
                "created API token '{}' (id {}) acting as {} ({}); it is shown only now",
                token.name,
                token.id,
                owner.email,
                owner.role.as_str()
            );
        }
        TokenCommand::List => {
            let tokens = saw_app::auth::list_api_tokens(app, account.id).await?;
            let now = saw_store::now();
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    let status = if t.revoked_at.is_some() {
                        "revoked"
                    } else if t.expires_at.is_some_and(|e| e <= now) {
                        "expired"
                    } else {
                        "active"
                    };
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        t.user_email.clone(),
                        format!("{}…", t.token_prefix),
                        day(Some(t.created_at)),
                        day(t.expires_at),
                        day(t.last_used_at),
                        status.to_owned(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "NAME",
                    "USER",
                    "TOKEN",
                    "CREATED",
                    "EXPIRES",
                    "LAST USED",
                    "STATUS",
                ],
                &rows,
            );
        }
        TokenCommand::Revoke { token } => {
            let revoked = saw_app::auth::revoke_api_token(app, &actor, account.id, &token)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => {
                        CliError::usage(format!("no active token '{token}' (see `saw token list`)"))
                    }
                    other => other.into(),
                })?;
            println!("revoked API token '{}' (id {})", revoked.name, revoked.id);
        }
    }
    Ok(())
}

fn day(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}
