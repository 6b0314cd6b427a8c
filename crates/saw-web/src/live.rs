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
use saw_app::tickets::{Audience, Shown, ShownRow};
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

/// The latest events' [`Rendered`] forms. The first reader that needs one renders it
/// together with the events published after it (one read for them all) while the other
/// readers wait for it.
#[derive(Default)]
pub struct RenderedEvents {
    recent: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    slots: VecDeque<(u64, Slot)>,
    /// The newest event id a slot was made for.
    newest: u64,
}

/// Events rendered together, and where one event is among them.
#[derive(Clone)]
struct Slot {
    batch: Arc<Batch>,
    index: usize,
}

struct Batch {
    events: Vec<Numbered>,
    /// Filled once (`None` for an event whose rows are gone).
    rendered: OnceCell<Vec<Option<Arc<Rendered>>>>,
}

/// Events kept rendered: readers more than this far behind render again (the bus itself
/// keeps fewer).
const RENDERED_KEPT: usize = 4096;
/// The most events rendered in one read.
const RENDER_TOGETHER: usize = 64;

impl RenderedEvents {
    async fn get(&self, app: &App, numbered: &Numbered) -> Option<Arc<Rendered>> {
        let slot = {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            match recent.slots.iter().rev().find(|(id, _)| *id == numbered.id) {
                Some((_, slot)) => slot.clone(),
                None => recent.make_slots(app, numbered),
            }
        };
        let rendered = slot
            .batch
            .rendered
            .get_or_init(|| render(app, &slot.batch.events))
            .await;
        rendered.get(slot.index).cloned().flatten()
    }
}

impl Recent {
    /// Slots for `numbered` and for the renderable events published after it that have none
    /// yet, all in one batch; answers `numbered`'s.
    fn make_slots(&mut self, app: &App, numbered: &Numbered) -> Slot {
        let mut events = vec![numbered.clone()];
        if numbered.id >= self.newest {
            events.extend(
                app.events
                    .published_after(numbered.id, RENDER_TOGETHER - 1)
                    .into_iter()
                    .filter(|n| row_shown(&n.event).is_some()),
            );
        }
        let batch = Arc::new(Batch {
            events,
            rendered: OnceCell::new(),
        });
        for (index, event) in batch.events.iter().enumerate() {
            self.newest = self.newest.max(event.id);
            let slot = Slot {
                batch: batch.clone(),
                index,
            };
            self.slots.push_back((event.id, slot));
            if self.slots.len() > RENDERED_KEPT {
                self.slots.pop_front();
            }
        }
        Slot { batch, index: 0 }
    }
}

/// The row an event shows, and the kind of the live event it becomes.
fn row_shown(event: &Event) -> Option<(&'static str, Shown)> {
    match *event {
        Event::MessageCreated {
            account_id,
            ticket_id,
            message_id,
            ..
        } => Some((
            "message.created",
            Shown::Message(account_id, ticket_id, message_id),
        )),
        Event::MessageStatus {
            account_id,
            ticket_id,
            message_id,
            ..
        } => Some((
            "message.status",
            Shown::Message(account_id, ticket_id, message_id),
        )),
        Event::MessageUpdated {
            account_id,
            ticket_id,
            message_id,
            ..
        } => Some((
            "message.updated",
            Shown::Message(account_id, ticket_id, message_id),
        )),
        Event::TicketCreated {
            account_id,
            ticket_id,
            ..
        } => Some(("ticket.created", Shown::Ticket(account_id, ticket_id))),
        Event::TicketChanged {
            account_id,
            ticket_id,
            ..
        } => Some(("ticket.updated", Shown::Ticket(account_id, ticket_id))),
        _ => None,
    }
}

async fn render(app: &App, events: &[Numbered]) -> Vec<Option<Arc<Rendered>>> {
    let kinds: Vec<_> = events.iter().map(|n| row_shown(&n.event)).collect();
    let wanted = kinds.iter().flatten().map(|(_, shown)| *shown).collect();
    let Ok(rows) = saw_app::tickets::shown_rows(app, wanted).await else {
        return vec![None; events.len()];
    };
    let mut rows = rows.into_iter();
    events
        .iter()
        .zip(kinds)
        .map(|(numbered, kind)| {
            let (kind, _) = kind?;
            let rendered = match rows.next()?? {
                ShownRow::Ticket(ticket) => Rendered {
                    kind,
                    data: json!({"type": kind, "ticket": ticket_json(&ticket)}).to_string(),
                    audience: Audience::of(&ticket),
                },
                ShownRow::Message(message, audience) => {
                    let ticket_id = message.ticket_id;
                    let mut data =
                        json!({"type": kind, "ticket_id": ticket_id, "message": message_json(&message)});
                    if let Event::MessageStatus { status, .. } = numbered.event.as_ref() {
                        data["status"] = json!(status.as_str());
                    }
                    Rendered {
                        kind,
                        data: data.to_string(),
                        audience,
                    }
                }
            };
            Some(Arc::new(rendered))
        })
        .collect()
}
