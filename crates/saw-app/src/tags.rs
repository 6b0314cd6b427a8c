//! Tags: admins keep the account's list; anyone puts them on the tickets and contacts they
//! may see, and takes them off.

use saw_core::ids::{AccountId, ContactId, TagId, TicketId};
use saw_core::user::User;
use saw_core::validation::display_name;
use saw_store::now;
use saw_store::repo::audit;
use saw_store::repo::tags::{self, Tag, Tagged};

use crate::{Actor, App, AppError};

/// The longest tag name: it must fit in a list row.
pub const NAME_MAX: usize = 40;
/// The color of a tag created without one.
pub const DEFAULT_COLOR: &str = "#64748b";

pub async fn list(app: &App, account: AccountId) -> Result<Vec<Tag>, AppError> {
    Ok(app.store.read(move |c| tags::list(c, account)).await?)
}

pub async fn create(
    app: &App,
    actor: &Actor,
    account: AccountId,
    name: &str,
    color: Option<&str>,
) -> Result<Tag, AppError> {
    let name = display_name(name, NAME_MAX)?;
    let color = match color.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => saw_core::queue::color(c)?,
        None => DEFAULT_COLOR.to_owned(),
    };
    let entry = actor.audit(account, "tag.created", &name);
    app.store
        .write(move |c| {
            let at = now();
            let id = tags::insert(c, account, &name, &color, at)?;
            audit::record(c, &entry, at)?;
            Ok(Tag { id, name, color })
        })
        .await
}

pub async fn delete(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: TagId,
) -> Result<(), AppError> {
    let entry = actor.audit(account, "tag.deleted", format!("tag {id}"));
    app.store
        .write(move |c| {
            tags::delete(c, account, id)?;
            audit::record(c, &entry, now())?;
            Ok(())
        })
        .await
}

/// What a tag goes on, checked against what `user` may see.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Ticket(TicketId),
    Contact(ContactId),
}

/// Puts the account's tag (by id or name) on a ticket or contact `user` may see; answers its
/// tags now. An unknown tag is [`AppError::UnknownTag`]: admins create tags.
pub async fn add(app: &App, user: &User, target: Target, tag: &str) -> Result<Vec<Tag>, AppError> {
    change(app, user, target, tag.to_owned(), true).await
}

/// Takes a tag off; answers the tags left.
pub async fn remove(
    app: &App,
    user: &User,
    target: Target,
    tag: &str,
) -> Result<Vec<Tag>, AppError> {
    change(app, user, target, tag.to_owned(), false).await
}

/// The tags on a ticket or contact `user` may see.
pub async fn of(app: &App, user: &User, target: Target) -> Result<Vec<Tag>, AppError> {
    let on = reachable(app, user, target).await?;
    Ok(app.store.read(move |c| tags::of(c, on)).await?)
}

async fn reachable(app: &App, user: &User, target: Target) -> Result<Tagged, AppError> {
    Ok(match target {
        Target::Ticket(id) => {
            crate::tickets::one(app, user, id).await?;
            Tagged::Ticket(id)
        }
        Target::Contact(id) => {
            crate::contacts::get(app, user, id).await?;
            Tagged::Contact(id)
        }
    })
}

async fn change(
    app: &App,
    user: &User,
    target: Target,
    tag: String,
    put: bool,
) -> Result<Vec<Tag>, AppError> {
    let on = reachable(app, user, target).await?;
    let account = user.account_id;
    let (list, changes) = app
        .store
        .write(move |c| {
            let found = tags::find(c, account, &tag).map_err(|e| match e {
                saw_store::StoreError::NotFound => AppError::UnknownTag(tag.clone()),
                e => e.into(),
            })?;
            let changed = match put {
                true => tags::add(c, on, found.id)?,
                false => tags::remove(c, on, found.id)?,
            };
            let mut changes = Vec::new();
            if changed && let Tagged::Ticket(id) = on {
                changes.push(crate::events::ticket_changed(c, id)?);
            }
            Ok::<_, AppError>((tags::of(c, on)?, changes))
        })
        .await?;
    app.events.publish(changes);
    Ok(list)
}
