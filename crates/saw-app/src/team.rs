//! The team: each person's status (Disponível, Pausa, Ausente), who is online — has the
//! inbox open; each open live stream counts, the last one closing takes them offline — and
//! how many tickets each has open. Coming online or becoming available lets the queues that
//! distribute tickets hand them waiting ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use saw_core::ids::{AccountId, UserId};
use saw_core::user::{AgentStatus, User};
use saw_store::now;
use saw_store::repo::team::{self, Member};

use crate::events::Event;
use crate::{App, AppError};

/// Open inbox connections per person, in this process.
#[derive(Clone, Default)]
pub struct Presence {
    connections: Arc<Mutex<HashMap<UserId, usize>>>,
}

impl Presence {
    /// Counts a connection; answers whether it is the person's first.
    fn connect(&self, user: UserId) -> bool {
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(user).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Whether the person has the inbox open in this process.
    pub fn is_online(&self, user: UserId) -> bool {
        let map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        map.contains_key(&user)
    }

    /// Counts a connection gone; answers whether it was the person's last.
    fn disconnect(&self, user: UserId) -> bool {
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&user) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                map.remove(&user);
                true
            }
            None => false,
        }
    }
}

/// Held while a person's inbox is connected; dropping it counts the connection gone.
pub struct Online {
    app: App,
    account: AccountId,
    user: UserId,
}

/// A person's inbox connected: the first connection records them online.
pub async fn connected(app: &App, user: &User) -> Online {
    let (account, id) = (user.account_id, user.id);
    if app.presence.connect(id) {
        let recorded = app
            .store
            .write(move |c| team::came_online(c, account, id, now()))
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "recording who is online failed");
        }
        app.events.publish([Event::PresenceChanged {
            account_id: account,
            user_id: id,
        }]);
    }
    Online {
        app: app.clone(),
        account,
        user: id,
    }
}

impl Drop for Online {
    fn drop(&mut self) {
        if !self.app.presence.disconnect(self.user) {
            return;
        }
        let (app, account, user) = (self.app.clone(), self.account, self.user);
        // Drop cannot wait: the record is written right after (at shutdown, with no runtime
        // left, the next start marks everyone offline).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let recorded = app
                .store
                .write(move |c| team::went_offline(c, user, now()))
                .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, "recording who went offline failed");
            }
            app.events.publish([Event::PresenceChanged {
                account_id: account,
                user_id: user,
            }]);
        });
    }
}

/// At start: whoever was online before (a crash, a restart) is not any more.
pub async fn reset_presence(app: &App) -> Result<(), AppError> {
    Ok(app
        .store
        .write(|c| team::everyone_offline(c, now()))
        .await?)
}

/// A person sets their own status.
pub async fn set_status(app: &App, user: &User, status: AgentStatus) -> Result<(), AppError> {
    let (account, id) = (user.account_id, user.id);
    app.store
        .write(move |c| team::set_status(c, account, id, status))
        .await?;
    app.events.publish([Event::PresenceChanged {
        account_id: account,
        user_id: id,
    }]);
    Ok(())
}

/// The account's people with their status, whether online, and their open tickets.
pub async fn members(app: &App, account: AccountId) -> Result<Vec<Member>, AppError> {
    Ok(app.store.read(move |c| team::members(c, account)).await?)
}
