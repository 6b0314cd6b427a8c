//! The live event stream, as Server-Sent Events: `GET /api/v1/events` for integrations (a
//! token) and `GET /inbox/events` for the inbox (the browser's session). Both apply the
//! rules of the HTTP handlers to every event, when it is sent: an agent gets only events
//! of tickets they may see now (taken out of a queue, they stop getting its events at
//! once), and a deactivated user's stream ends.
//!
//! Each event is `event: {type}` with an `id` and, as `data`, JSON with its `type` and the
//! object as the API shows it: `message.created`, `message.status` and `message.updated`
//! carry the `message`, `ticket.created` and `ticket.updated` the `ticket`. A reader that
//! reconnects with `Last-Event-ID` gets what it missed; when that is no longer kept (or the
//! server restarted) it gets `event: reload` and should read again what it shows.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use saw_app::events::{Event, Numbered, Resume};
use saw_core::user::User;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::api::tickets::{message_json, ticket_json};
use crate::state::AppState;

/// The id a reconnecting reader last saw (`Last-Event-ID`), if it sent one.
pub fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// How often a stream reads its user again, for changes made outside this process (the
/// CLI, another SAW on the same database); changes made here apply at once.
const RECHECK_USER: Duration = Duration::from_secs(2);

struct Reader {
    /// For the inbox's stream: the person counts as online while it is open.
    _online: Option<saw_app::team::Online>,
    _counted: crate::metrics::StreamGuard,
    state: AppState,
    user: User,
    checked_at: tokio::time::Instant,
    backlog: VecDeque<Numbered>,
    receiver: broadcast::Receiver<Numbered>,
    reload: bool,
}

pub fn stream(
    state: AppState,
    user: User,
    last_seen: Option<u64>,
    online: Option<saw_app::team::Online>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let (backlog, receiver, reload) = match last_seen {
        None => (VecDeque::new(), state.app.events.subscribe(), false),
        Some(id) => match state.app.events.resume(id) {
            (Resume::Missed(missed), receiver) => (missed.into(), receiver, false),
            (Resume::Gap, receiver) => (VecDeque::new(), receiver, true),
        },
    };
    let reader = Reader {
        _counted: state.metrics.stream_opened(),
        _online: online,
        state,
        user,
        checked_at: tokio::time::Instant::now(),
        backlog,
        receiver,
        reload,
    };
    let events = futures_util::stream::unfold(reader, |mut reader| async move {
        let sse = reader.next().await?;
        Some((Ok(sse), reader))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

impl Reader {
    /// The next event this reader may see; `None` ends the stream.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if std::mem::take(&mut self.reload) {
                return Some(SseEvent::default().event("reload").data("{}"));
            }
            let numbered = match self.backlog.pop_front() {
                Some(n) => n,
                None => match self.receiver.recv().await {
                    Ok(n) => n,
                    Err(RecvError::Lagged(_)) => {
                        self.reload = true;
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            let event = numbered.event.as_ref();
            if event.account_id() != self.user.account_id {
                continue;
            }
            let about_me =
                matches!(event, Event::UserChanged { user_id, .. } if *user_id == self.user.id);
            if (about_me || self.checked_at.elapsed() >= RECHECK_USER) && !self.still_active().await
            {
                return None;
            }
            if let Some((kind, data)) = self.shown(event).await {
                return Some(
                    SseEvent::default()
                        .id(numbered.id.to_string())
                        .event(kind)
                        .data(data.to_string()),
                );
            }
        }
    }

    /// Reads the user again; `false` once they were deactivated (or removed).
    async fn still_active(&mut self) -> bool {
        self.checked_at = tokio::time::Instant::now();
        let (account, id) = (self.user.account_id, self.user.id);
        match saw_app::users::current(&self.state.app, account, id).await {
            Ok(user) if user.active => {
                self.user = user;
                true
            }
            _ => false,
        }
    }

    /// The event as this reader sees it, or `None` when it may not.
    async fn shown(&self, event: &Event) -> Option<(&'static str, Value)> {
        let app = &self.state.app;
        let user = &self.user;
        let message = |ticket, message| async move {
            saw_app::tickets::message(app, user, ticket, message)
                .await
                .ok()
                .map(|m| message_json(&m))
        };
        match event {
            Event::MessageCreated {
                ticket_id,
                message_id,
                ..
            } => Some((
                "message.created",
                json!({"type": "message.created", "ticket_id": ticket_id,
                       "message": message(*ticket_id, *message_id).await?}),
            )),
            Event::MessageStatus {
                ticket_id,
                message_id,
                status,
                ..
            } => Some((
                "message.status",
                json!({"type": "message.status", "ticket_id": ticket_id, "status": status.as_str(),
                       "message": message(*ticket_id, *message_id).await?}),
            )),
            Event::MessageUpdated {
                ticket_id,
                message_id,
                ..
            } => Some((
                "message.updated",
                json!({"type": "message.updated", "ticket_id": ticket_id,
                       "message": message(*ticket_id, *message_id).await?}),
            )),
            Event::TicketCreated { ticket_id, .. } | Event::TicketChanged { ticket_id, .. } => {
                let kind = match event {
                    Event::TicketCreated { .. } => "ticket.created",
                    _ => "ticket.updated",
                };
                let ticket = saw_app::tickets::one(app, user, *ticket_id).await.ok()?;
                Some((kind, json!({"type": kind, "ticket": ticket_json(&ticket)})))
            }
            Event::ChannelHealth {
                channel_id,
                healthy,
                ..
            } => user.role.sees_all_queues().then(|| {
                (
                    "channel.health",
                    json!({"type": "channel.health", "channel_id": channel_id, "healthy": healthy}),
                )
            }),
            Event::PresenceChanged { user_id, .. } => Some((
                "presence.changed",
                json!({"type": "presence.changed", "user_id": user_id}),
            )),
            Event::UserChanged { .. } | Event::QueueChanged { .. } => None,
        }
    }
}
