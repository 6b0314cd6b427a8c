//! The very first start: with no user yet, create the account, an administrator and two
//! example queues (Comercial, and Suporte as the default queue) with the admin in both,
//! and the sandbox channel.

use saw_core::queue::DEFAULT_QUEUE_COLOR;
use saw_core::user::{Email, Password, Role};
use saw_store::now;
use saw_store::repo::{accounts, audit, bot, queues, users};

use crate::{Actor, App, AppError, channels, passwords, random};

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@saw.local";
pub const DEFAULT_COMPANY_NAME: &str = "Minha Empresa";
pub const SANDBOX_NAME: &str = "Sandbox";
const EXAMPLE_QUEUES: [(&str, &str, bool); 2] = [
    ("Comercial", "#16a34a", false),
    ("Suporte", DEFAULT_QUEUE_COLOR, true),
];

/// The administrator just created, to announce once on the console.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: Email,
    /// Present when SAW chose the password (it must be changed at the first sign-in).
    pub generated_password: Option<String>,
}

/// Creates the account and first admin if no user exists; answers `None` otherwise.
/// `SAW_ADMIN_EMAIL` / `SAW_ADMIN_PASSWORD` arrive here as `email` / `password`.
pub async fn first_start(
    app: &App,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<Option<FirstAdmin>, AppError> {
    if app.store.read(users::count).await? > 0 {
        return Ok(None);
    }
    let email = Email::parse(email.unwrap_or(DEFAULT_ADMIN_EMAIL))?;
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (Password::parse(p)?, false),
        None => (Password::parse(&random::password())?, true),
    };
    let hash = passwords::hash(&password).await?;
    let admin_email = email.clone();
    let created = app
        .store
        .write(move |c| {
            // Several instances starting together on one PostgreSQL database: one creates.
            if c.dialect() == saw_store::Dialect::Postgres {
                c.query_each(
                    "SELECT pg_advisory_xact_lock(7265828)",
                    &[],
                    &mut |_| Ok(()),
                )?;
            }
            // Another instance may have won the race since the check above.
            if users::count(c)? > 0 {
                return Ok::<_, AppError>(None);
            }
            let at = now();
            let account = match accounts::first(c)? {
                Some(a) => a.id,
                None => accounts::create(c, DEFAULT_COMPANY_NAME, at)?,
            };
            let admin = users::insert(
                c,
                &users::NewUser {
                    account_id: account,
                    name: "Administrador",
                    email: &admin_email,
                    role: Role::Admin,
                    password_hash: &hash,
                    must_change_password: generated,
                },
                at,
            )?;
            for (name, color, is_default) in EXAMPLE_QUEUES {
                let queue = match queues::by_name(c, account, name)? {
                    Some(q) => q.id,
                    None => queues::insert(c, account, name, color, at)?,
                };
                if is_default && queues::default_queue(c, account)?.is_none() {
                    queues::set_default(c, account, queue)?;
                }
                queues::add_member(c, queue, admin)?;
            }
            audit::record(
                c,
                &Actor::system().audit(account, "user.created", admin_email.as_str()),
                at,
            )?;
            // The example flow, so the first "oi" in the sandbox already gets a menu.
            if !bot::has_default_flow(c, account)? {
                let language = accounts::by_id(c, account)?.language;
                let flow = saw_bot::Flow::example(language);
                bot::put_flow(c, account, None, &flow.name, &flow.to_yaml(), at)?;
            }
            Ok(Some(account))
        })
        .await?;
    let Some(account) = created else {
        return Ok(None);
    };
    // The built-in test channel, so SAW can be tried with no provider account.
    let sandbox = channels::NewChannelInput::Sandbox {
        name: SANDBOX_NAME.to_owned(),
    };
    channels::add(app, &Actor::system(), account, sandbox).await?;
    Ok(Some(FirstAdmin {
        email,
        generated_password: generated.then(|| password.expose().to_owned()),
    }))
}
