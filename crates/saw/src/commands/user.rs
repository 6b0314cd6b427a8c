//! `saw user …`

use saw_app::users::NewUserInput;
use saw_app::{Actor, App};
use saw_core::user::Role;

use super::CliError;
use crate::cli::UserCommand;
use crate::output;

pub async fn run(app: &App, command: UserCommand) -> Result<(), CliError> {
    let account = saw_app::account::current(app).await?;
    let actor = Actor::cli();
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            password,
            queues,
        } => {
            let role = Role::parse(&role).map_err(|e| CliError::usage(e.to_string()))?;
            let password = output::secret(password, "password")?;
            let queues = saw_app::queues::ids_by_name(app, account.id, queues).await?;
            let input = NewUserInput {
                name,
                email,
                role,
                password,
                queues,
            };
            let created = saw_app::users::create(app, &actor, account.id, input).await?;
            println!(
                "created {} {} (id {})",
                created.user.role.as_str(),
                created.user.email,
                created.user.id
            );
            if let Some(password) = created.generated_password {
                println!("password: {password}");
                println!("(shown only now; it must be changed at the first sign-in)");
            }
        }
        UserCommand::List => {
            let users = saw_app::users::list(app, account.id).await?;
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|(u, queues)| {
                    vec![
                        u.id.to_string(),
                        u.email.to_string(),
                        u.name.clone(),
                        u.role.as_str().to_owned(),
                        if u.active { "active" } else { "deactivated" }.to_owned(),
                        queues
                            .iter()
                            .map(|q| q.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            output::table(&["ID", "EMAIL", "NAME", "ROLE", "STATUS", "QUEUES"], &rows);
        }
        UserCommand::ResetPassword { email, password } => {
            let password = output::secret(password, "password")?;
            let user = saw_app::users::by_email(app, account.id, &email)
                .await
                .map_err(|e| not_found(e, &email))?;
            let generated =
                saw_app::users::reset_password(app, &actor, account.id, user.id, password).await?;
            println!(
                "password of {} changed; their sessions have ended",
                user.email
            );
            if let Some(password) = generated {
                println!("password: {password}");
                println!("(shown only now; it must be changed at the next sign-in)");
            }
        }
        UserCommand::Deactivate { email } => {
            let user = saw_app::users::by_email(app, account.id, &email)
                .await
                .map_err(|e| not_found(e, &email))?;
            saw_app::users::set_active(app, &actor, account.id, user.id, false).await?;
            println!(
                "{} deactivated; their sessions and API tokens no longer work",
                user.email
            );
        }
    }
    Ok(())
}

fn not_found(e: saw_app::AppError, email: &str) -> CliError {
    match e {
        saw_app::AppError::NotFound => {
            CliError::usage(format!("no user with e-mail {email} (see `saw user list`)"))
        }
        other => other.into(),
    }
}
