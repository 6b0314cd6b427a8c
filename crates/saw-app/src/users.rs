//! Users as an admin (or the CLI) manages them, and a user's own password.

use saw_core::ids::{AccountId, QueueId, UserId};
use saw_core::queue::Queue;
use saw_core::user::{Email, Password, Role, User, user_name};
use saw_store::now;
use saw_store::repo::{accounts, audit, queues, sessions, users};

use crate::events::Event;
use crate::{Actor, App, AppError, passwords, random};

/// A user to create, as typed in the form or on the command line.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// `None`: SAW generates one, shown once, to be changed at the first sign-in.
    pub password: Option<String>,
    pub queues: Vec<QueueId>,
}

#[derive(Debug)]
pub struct CreatedUser {
    pub user: User,
    pub generated_password: Option<String>,
}

/// What an admin may change on the edit page.
#[derive(Debug, Clone)]
pub struct UserChanges {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub queues: Vec<QueueId>,
}

pub async fn list(app: &App, account: AccountId) -> Result<Vec<(User, Vec<Queue>)>, AppError> {
    app.store
        .read(move |c| {
            let list = users::list(c, account)?;
            let mut out = Vec::with_capacity(list.len());
            for user in list {
                let member_of = queues::of_user(c, user.id)?;
                out.push((user, member_of));
            }
            Ok(out)
        })
        .await
}

/// The user as stored now (no queues): what a long-lived connection checks again.
pub async fn current(app: &App, account: AccountId, id: UserId) -> Result<User, AppError> {
    Ok(app
        .store
        .read(move |c| users::by_id(c, account, id))
        .await?)
}

pub async fn get(
    app: &App,
    account: AccountId,
    id: UserId,
) -> Result<(User, Vec<Queue>), AppError> {
    app.store
        .read(move |c| Ok((users::by_id(c, account, id)?, queues::of_user(c, id)?)))
        .await
}

pub async fn by_email(app: &App, account: AccountId, email: &str) -> Result<User, AppError> {
    let email = Email::parse(email)?;
    app.store
        .read(move |c| Ok(users::by_email(c, account, &email)?))
        .await
}

pub async fn create(
    app: &App,
    actor: &Actor,
    account: AccountId,
    input: NewUserInput,
) -> Result<CreatedUser, AppError> {
    let name = user_name(&input.name)?;
    let email = Email::parse(&input.email)?;
    let (password, generated) = match input.password {
        Some(p) => (Password::parse(&p)?, false),
        None => (Password::parse(&random::password())?, true),
    };
    let hash = passwords::hash(&password).await?;
    let mut entry = actor.audit(account, "user.created", email.as_str());
    entry.detail = Some(format!("role {}", input.role.as_str()));
    let role = input.role;
    let queue_ids = input.queues;
    let user = app
        .store
        .write(move |c| {
            let new = users::NewUser {
                account_id: account,
                name: &name,
                email: &email,
                role,
                password_hash: &hash,
                must_change_password: generated,
            };
            let id = users::insert(c, &new, now())?;
            queues::set_user_queues(c, account, id, &queue_ids)?;
            audit::record(c, &entry, now())?;
            Ok::<_, AppError>(users::by_id(c, account, id)?)
        })
        .await?;
    Ok(CreatedUser {
        user,
        generated_password: generated.then(|| password.expose().to_owned()),
    })
}

/// Saves an admin's edits. A new role ends the user's sessions at once; the last active
/// admin cannot lose the role.
pub async fn update(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: UserId,
    changes: UserChanges,
) -> Result<(), AppError> {
    let name = user_name(&changes.name)?;
    let email = Email::parse(&changes.email)?;
    let actor = actor.clone();
    app.store
        .write(move |c| {
            accounts::lock(c, account)?;
            let before = users::by_id(c, account, id)?;
            let demoting_admin = before.role == Role::Admin && changes.role != Role::Admin;
            if demoting_admin && before.active && users::count_active_admins(c, account)? <= 1 {
                return Err(AppError::LastAdmin);
            }
            users::update_profile(c, account, id, &name, &email, changes.role, now())?;
            queues::set_user_queues(c, account, id, &changes.queues)?;
            let mut entry = actor.audit(account, "user.updated", email.as_str());
            if before.role != changes.role {
                sessions::delete_for_user(c, id)?;
                entry.action = "user.role_changed".into();
                entry.detail = Some(format!(
                    "{} → {}",
                    before.role.as_str(),
                    changes.role.as_str()
                ));
            }
            audit::record(c, &entry, now())?;
            Ok(())
        })
        .await?;
    app.events.publish([Event::UserChanged {
        account_id: account,
        user_id: id,
    }]);
    Ok(())
}

/// Deactivates (ending every session and API access at once) or reactivates a user.
pub async fn set_active(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: UserId,
    active: bool,
) -> Result<User, AppError> {
    let actor = actor.clone();
    let user = app
        .store
        .write(move |c| {
            accounts::lock(c, account)?;
            let user = users::by_id(c, account, id)?;
            if !active
                && user.role == Role::Admin
                && user.active
                && users::count_active_admins(c, account)? <= 1
            {
                return Err(AppError::LastAdmin);
            }
            users::set_active(c, account, id, active, now())?;
            if !active {
                sessions::delete_for_user(c, id)?;
            }
            let action = if active {
                "user.reactivated"
            } else {
                "user.deactivated"
            };
            audit::record(c, &actor.audit(account, action, user.email.as_str()), now())?;
            Ok(users::by_id(c, account, id)?)
        })
        .await?;
    app.events.publish([Event::UserChanged {
        account_id: account,
        user_id: id,
    }]);
    Ok(user)
}

/// An admin sets a new password for someone: the given one, or a generated one that must be
/// changed at the next sign-in. Every session of that user ends.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: UserId,
    password: Option<String>,
) -> Result<Option<String>, AppError> {
    let (password, generated) = match password {
        Some(p) => (Password::parse(&p)?, false),
        None => (Password::parse(&random::password())?, true),
    };
    let hash = passwords::hash(&password).await?;
    let actor = actor.clone();
    app.store
        .write(move |c| {
            let user = users::by_id(c, account, id)?;
            users::set_password(c, id, &hash, generated, now())?;
            sessions::delete_for_user(c, id)?;
            audit::record(
                c,
                &actor.audit(account, "user.password_reset", user.email.as_str()),
                now(),
            )?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(generated.then(|| password.expose().to_owned()))
}

/// A user changes their own password; every session of theirs ends (the caller signs the
/// current browser in again).
pub async fn change_own_password(
    app: &App,
    actor: &Actor,
    user: &User,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let new = Password::parse(new)?;
    let id = user.id;
    let stored = app.store.read(move |c| users::credentials(c, id)).await?;
    if !passwords::verify(current, Some(stored.password_hash)).await {
        return Err(AppError::WrongCurrentPassword);
    }
    let hash = passwords::hash(&new).await?;
    let entry = actor.audit(user.account_id, "password.changed", user.email.as_str());
    app.store
        .write(move |c| {
            users::set_password(c, id, &hash, false, now())?;
            sessions::delete_for_user(c, id)?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

/// The first active admin (who a CLI-made API token acts as by default).
pub async fn first_admin(app: &App, account: AccountId) -> Result<User, AppError> {
    app.store
        .read(move |c| Ok(users::first_admin(c, account)?))
        .await
}
