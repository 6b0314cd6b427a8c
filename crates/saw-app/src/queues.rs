//! Queues and their members, as an admin manages them.

use saw_core::ids::{AccountId, QueueId, UserId};
use saw_core::queue::{self, Queue};
use saw_store::StoreError;
use saw_store::now;
use saw_store::repo::{accounts, audit, queues};

use crate::{Actor, App, AppError};

/// A queue with how many users work in it.
#[derive(Debug, Clone)]
pub struct QueueSummary {
    pub queue: Queue,
    pub members: i64,
}

pub async fn list(app: &App, account: AccountId) -> Result<Vec<QueueSummary>, AppError> {
    let (list, counts) = app
        .store
        .read(move |c| {
            Ok::<_, AppError>((
                queues::list(c, account)?,
                queues::member_counts(c, account)?,
            ))
        })
        .await?;
    Ok(list
        .into_iter()
        .map(|queue| {
            let members = counts
                .iter()
                .find(|(id, _)| *id == queue.id)
                .map_or(0, |(_, n)| *n);
            QueueSummary { queue, members }
        })
        .collect())
}

pub async fn get(
    app: &App,
    account: AccountId,
    id: QueueId,
) -> Result<(Queue, Vec<UserId>), AppError> {
    app.store
        .read(move |c| Ok((queues::by_id(c, account, id)?, queues::member_ids(c, id)?)))
        .await
}

pub async fn create(
    app: &App,
    actor: &Actor,
    account: AccountId,
    name: &str,
    color: &str,
) -> Result<QueueId, AppError> {
    let name = queue::queue_name(name)?;
    let color = queue::color(color)?;
    let entry = actor.audit(account, "queue.created", name.clone());
    app.store
        .write(move |c| {
            let id = queues::insert(c, account, &name, &color, now())?;
            audit::record(c, &entry, now())?;
            Ok(id)
        })
        .await
}

pub async fn update(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: QueueId,
    name: &str,
    color: &str,
    make_default: bool,
) -> Result<(), AppError> {
    let name = queue::queue_name(name)?;
    let color = queue::color(color)?;
    let entry = actor.audit(account, "queue.updated", name.clone());
    app.store
        .write(move |c| {
            queues::update(c, account, id, &name, &color)?;
            if make_default {
                accounts::lock(c, account)?;
                queues::set_default(c, account, id)?;
            }
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

pub async fn delete(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: QueueId,
) -> Result<(), AppError> {
    let actor = actor.clone();
    app.store
        .write(move |c| {
            accounts::lock(c, account)?;
            let queue = queues::by_id(c, account, id)?;
            if queue.is_default {
                return Err(AppError::DefaultQueue);
            }
            match queues::delete(c, account, id) {
                Err(StoreError::Referenced) => return Err(AppError::QueueInUse),
                other => other?,
            }
            audit::record(c, &actor.audit(account, "queue.deleted", queue.name), now())?;
            Ok(())
        })
        .await
}

/// Makes exactly `members` the users of the queue.
pub async fn set_members(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: QueueId,
    members: Vec<UserId>,
) -> Result<(), AppError> {
    let actor = actor.clone();
    let changed = app
        .store
        .write(move |c| {
            let queue = queues::by_id(c, account, id)?;
            let before = queues::member_ids(c, id)?;
            for user in &members {
                saw_store::repo::users::by_id(c, account, *user)?;
                queues::add_member(c, id, *user)?;
            }
            for user in before.iter().filter(|u| !members.contains(u)) {
                queues::remove_member(c, id, *user)?;
            }
            let mut entry = actor.audit(account, "queue.members_changed", queue.name);
            entry.detail = Some(format!("{} members", members.len()));
            audit::record(c, &entry, now())?;
            let mut changed: Vec<UserId> = members
                .iter()
                .filter(|u| !before.contains(u))
                .chain(before.iter().filter(|u| !members.contains(u)))
                .copied()
                .collect();
            changed.dedup();
            Ok::<_, AppError>(changed)
        })
        .await?;
    // Their open streams re-read what they may see.
    app.events.publish(
        changed
            .into_iter()
            .map(|user_id| crate::events::Event::UserChanged {
                account_id: account,
                user_id,
            }),
    );
    Ok(())
}

/// Resolves queue names (case-insensitive) to ids, naming the first unknown one.
pub async fn ids_by_name(
    app: &App,
    account: AccountId,
    names: Vec<String>,
) -> Result<Vec<QueueId>, AppError> {
    app.store
        .read(move |c| {
            let mut ids = Vec::with_capacity(names.len());
            for name in names {
                match queues::by_name(c, account, &name)? {
                    Some(q) => ids.push(q.id),
                    None => return Err(AppError::UnknownQueue(name)),
                }
            }
            Ok(ids)
        })
        .await
}

/// The queues a user works in.
pub async fn of_user(app: &App, user: UserId) -> Result<Vec<Queue>, AppError> {
    Ok(app.store.read(move |c| queues::of_user(c, user)).await?)
}

/// The longest a queue's waiting limit may be: one day.
pub const MAX_WAIT_LIMIT_MINUTES: i64 = 24 * 60;

/// How a queue hands out its waiting tickets, and after how many minutes (0: never) a
/// waiting ticket is shown as late.
pub async fn set_distribution(
    app: &App,
    actor: &Actor,
    account: AccountId,
    id: QueueId,
    distribution: &str,
    max_wait_minutes: &str,
) -> Result<(), AppError> {
    let distribution = queue::Distribution::parse(distribution.trim())
        .ok_or_else(|| AppError::InvalidDistribution(distribution.trim().to_owned()))?;
    let max_wait = max_wait_minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (0..=MAX_WAIT_LIMIT_MINUTES).contains(m))
        .ok_or(AppError::InvalidMaxWait {
            max: MAX_WAIT_LIMIT_MINUTES,
        })?;
    let entry = actor.audit(
        account,
        "queue.distribution",
        format!(
            "queue {id}: {}, late after {max_wait} min",
            distribution.as_str()
        ),
    );
    app.store
        .write(move |c| {
            queues::set_distribution(c, account, id, distribution, max_wait)?;
            audit::record(c, &entry, now())
        })
        .await?;
    // Tickets already waiting are handed out now.
    app.events.publish([crate::events::Event::QueueChanged {
        account_id: account,
        queue_id: id,
    }]);
    Ok(())
}
