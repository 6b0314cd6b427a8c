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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use saw_app::App;
use saw_app::events::{Event, Numbered, Resume};
use saw_app::tickets::Audience;
use saw_core::ids::QueueId;
use saw_core::user::User;
use serde_json::json;
use tokio::sync::OnceCell;
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
    /// The queues `user` works in, read with the user.
    queues: Vec<QueueId>,
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
        queues: Vec::new(),
        // Read the queues before the first event.
        checked_at: tokio::time::Instant::now() - RECHECK_USER,
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
            if let Some((kind, data)) = self.shown(&numbered).await {
                return Some(
                    SseEvent::default()
                        .id(numbered.id.to_string())
                        .event(kind)
                        .data(data),
                );
            }
        }
    }

    /// Reads the user and their queues again; `false` once they were deactivated (or
    /// removed).
    async fn still_active(&mut self) -> bool {
        self.checked_at = tokio::time::Instant::now();
        let (account, id) = (self.user.account_id, self.user.id);
        match saw_app::users::current(&self.state.app, account, id).await {
            Ok(user) if user.active => {
                self.user = user;
                if let Ok(queues) = saw_app::queues::of_user(&self.state.app, id).await {
                    self.queues = queues.into_iter().map(|q| q.id).collect();
                }
                true
            }
            _ => false,
        }
    }

    /// The event as this reader sees it (kind and JSON), or `None` when it may not. Message
    /// and ticket events are read and serialised once for every reader ([`Rendered`]); who
    /// may see them is decided here, in memory.
    async fn shown(&self, numbered: &Numbered) -> Option<(&'static str, String)> {
        let event = numbered.event.as_ref();
        match event {
            Event::ChannelHealth {
                channel_id,
                healthy,
                ..
            } => self.user.role.sees_all_queues().then(|| {
                (
                    "channel.health",
                    json!({"type": "channel.health", "channel_id": channel_id, "healthy": healthy})
                        .to_string(),
                )
            }),
            Event::PresenceChanged { user_id, .. } => Some((
                "presence.changed",
                json!({"type": "presence.changed", "user_id": user_id}).to_string(),
            )),
            Event::UserChanged { .. } | Event::QueueChanged { .. } => None,
            _ => {
                let rendered = self.state.rendered.get(&self.state.app, numbered).await?;
                rendered
                    .audience
                    .admits(&self.user, &self.queues)
                    .then(|| (rendered.kind, rendered.data.clone()))
            }
        }
    }
}

/// A message or ticket event as every reader who may see it gets it: read from the store
/// and serialised once, however many streams are open.
pub struct Rendered {
    kind: &'static str,
    data: String,
    audience: Audience,
}

/// The latest events' [`Rendered`] forms, each made by the first reader that needs it while
/// the others wait for it.
#[derive(Default)]
pub struct RenderedEvents {
    recent: Mutex<VecDeque<(u64, Slot)>>,
}

/// One event's rendering, filled once (`None`: its rows are gone).
type Slot = Arc<OnceCell<Option<Arc<Rendered>>>>;

/// Events kept rendered: readers more than this far behind render again (the bus itself
/// keeps fewer).
const RENDERED_KEPT: usize = 4096;

impl RenderedEvents {
    async fn get(&self, app: &App, numbered: &Numbered) -> Option<Arc<Rendered>> {
        let cell = {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            match recent.iter().rev().find(|(id, _)| *id == numbered.id) {
                Some((_, cell)) => cell.clone(),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    recent.push_back((numbered.id, cell.clone()));
                    if recent.len() > RENDERED_KEPT {
                        recent.pop_front();
                    }
                    cell
                }
            }
        };
        cell.get_or_init(|| render(app, numbered.event.as_ref()))
            .await
            .clone()
    }
}

async fn render(app: &App, event: &Event) -> Option<Arc<Rendered>> {
    let message = |kind: &'static str,
                   account,
                   ticket_id,
                   message_id,
                   status: Option<&'static str>| async move {
        let (row, audience) =
            saw_app::tickets::message_for_everyone(app, account, ticket_id, message_id)
                .await
                .ok()?;
        let mut data = json!({"type": kind, "ticket_id": ticket_id, "message": message_json(&row)});
        if let Some(status) = status {
            data["status"] = json!(status);
        }
        Some(Rendered {
            kind,
            data: data.to_string(),
            audience,
        })
    };
    let rendered = match event {
        Event::MessageCreated {
            account_id,
            ticket_id,
            message_id,
            ..
        } => {
            message(
                "message.created",
                *account_id,
                *ticket_id,
                *message_id,
                None,
            )
            .await
        }
        Event::MessageStatus {
            account_id,
            ticket_id,
            message_id,
            status,
            ..
        } => {
            message(
                "message.status",
                *account_id,
                *ticket_id,
                *message_id,
                Some(status.as_str()),
            )
            .await
        }
        Event::MessageUpdated {
            account_id,
            ticket_id,
            message_id,
            ..
        } => {
            message(
                "message.updated",
                *account_id,
                *ticket_id,
                *message_id,
                None,
            )
            .await
        }
        Event::TicketCreated {
            account_id,
            ticket_id,
            ..
        }
        | Event::TicketChanged {
            account_id,
            ticket_id,
            ..
        } => {
            let kind = match event {
                Event::TicketCreated { .. } => "ticket.created",
                _ => "ticket.updated",
            };
            let ticket = saw_app::tickets::for_everyone(app, *account_id, *ticket_id)
                .await
                .ok()?;
            Some(Rendered {
                kind,
                data: json!({"type": kind, "ticket": ticket_json(&ticket)}).to_string(),
                audience: Audience::of(&ticket),
            })
        }
        _ => None,
    };
    rendered.map(Arc::new)
}
