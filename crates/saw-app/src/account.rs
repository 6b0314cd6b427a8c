//! The account settings page: company name, time zone, language, and how conversations
//! start (the greeting) and end (the reopening window).

use saw_core::account::{Account, AccountSettings, ConversationSettings};
use saw_core::ids::AccountId;
use saw_store::now;
use saw_store::repo::{accounts, audit};

use crate::{Actor, App, AppError};

/// The installation's account; [`AppError::NotSetUp`] before the first start.
pub async fn current(app: &App) -> Result<Account, AppError> {
    app.store
        .read(accounts::first)
        .await?
        .ok_or(AppError::NotSetUp)
}

pub async fn get(app: &App, id: AccountId) -> Result<Account, AppError> {
    Ok(app.store.read(move |c| accounts::by_id(c, id)).await?)
}

pub async fn update_settings(
    app: &App,
    actor: &Actor,
    account: AccountId,
    settings: AccountSettings,
) -> Result<(), AppError> {
    let mut entry = actor.audit(account, "account.settings_changed", settings.name.clone());
    entry.detail = Some(format!(
        "time zone {}, language {}",
        settings.time_zone.name(),
        settings.language.as_str()
    ));
    app.store
        .write(move |c| {
            accounts::update_settings(c, account, &settings)?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

/// The greeting of new tickets and the reopening window.
pub async fn update_conversations(
    app: &App,
    actor: &Actor,
    account: AccountId,
    settings: ConversationSettings,
) -> Result<(), AppError> {
    let mut entry = actor.audit(account, "account.conversations_changed", "conversations");
    entry.detail = Some(
        format!(
            "greeting {}, reopen within {} minutes",
            if settings.greeting.is_some() {
                "custom"
            } else {
                "built-in"
            },
            settings.reopen_grace_minutes
        ) + &format!(
            ", bot closes after {} idle minutes, satisfaction survey {}, signature {}",
            settings.bot_idle_minutes,
            if settings.csat { "on" } else { "off" },
            if settings.signature { "on" } else { "off" }
        ),
    );
    app.store
        .write(move |c| {
            accounts::update_conversations(c, account, &settings)?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

/// The newest audit entries of the account.
pub async fn audit_log(
    app: &App,
    account: AccountId,
    limit: i64,
) -> Result<Vec<audit::Entry>, AppError> {
    Ok(app
        .store
        .read(move |c| audit::recent(c, account, limit))
        .await?)
}
