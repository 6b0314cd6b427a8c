//! The live event stream: `GET /api/v1/events` for integrations (a token), `GET
//! /inbox/events` for the inbox and `GET /reports/events` for the dashboard (the browser's
//! session). Each path answers as Server-Sent Events, or as a WebSocket when the request
//! asks to upgrade: an idle WebSocket costs the server a few KB, where an idle SSE response
//! keeps the HTTP connection's fixed 16 KB of buffers, so the inbox uses the WebSocket and
//! falls back to SSE. Every stream applies the rules of the HTTP handlers to every event,
//! when it is sent: an agent gets only events of tickets they may see now (taken out of a
//! queue, they stop getting its events at once), and a deactivated user's stream ends.
//!
//! As SSE, each event is `event: {type}` with an `id` and, as `data`, JSON with its `type`
//! and the object as the API shows it: `message.created`, `message.status` and
//! `message.updated` carry the `message`, `ticket.created` and `ticket.updated` the
//! `ticket`. As a WebSocket, each text message is `{"id": …, "event": type, "data": {…}}`
//! with the same `data`. A reader that reconnects with the last id it saw (`Last-Event-ID`,
//! or `?last_event_id=` where a WebSocket cannot send headers) gets what it missed; when
//! that is no longer kept (or the server restarted) it gets a `reload` event and should
//! read again what it shows.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{FutureExt, SinkExt, Stream, StreamExt};
use saw_app::App;
use saw_app::events::{Event, EventBus, Numbered, Published, Resume};
use saw_app::tickets::{Audience, Shown, ShownRow};
use saw_core::ids::{QueueId, TicketId};
use saw_core::user::User;
use serde::Serialize;
use serde_json::json;
use tokio::sync::OnceCell;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use crate::api::views::{MessageView, TicketView};
use crate::state::AppState;

/// How often an idle stream shows it is alive (an SSE comment, a WebSocket ping), so
/// proxies keep it open and a vanished reader is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events ready together are written together up to this size; an idle socket keeps no
/// write buffer, a busy one keeps about this much.
const WEBSOCKET_WRITE_BUFFER: usize = 4 * 1024;
/// A WebSocket reader sends nothing but pongs and a close: a small read buffer is enough.
/// tungstenite's default of 128 KiB, zero-filled on every read, would be most of what an
/// idle stream costs.
const WEBSOCKET_READ_BUFFER: usize = 512;
/// The largest frame or message a reader may send. tungstenite reserves a frame's declared
/// length as soon as it reads the header, so its 16 MiB default would let any signed-in
/// reader pin that much memory per socket.
const WEBSOCKET_MAX_FRAME: usize = 4 * 1024;
/// A socket that has answered nothing (not even a ping) for this long is gone: its reader
/// stops counting as online.
const WEBSOCKET_SILENCE: Duration = Duration::from_secs(2 * KEEP_ALIVE.as_secs() + 5);

/// How the reader asked for the stream, and from which event on.
pub struct LiveRequest {
    upgrade: Option<WebSocketUpgrade>,
    last_seen: Option<u64>,
}

impl<S: Send + Sync> FromRequestParts<S> for LiveRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let last_seen = last_event_id(&parts.headers).or_else(|| {
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(key, _)| key == "last_event_id")
                .and_then(|(_, value)| value.trim().parse().ok())
        });
        let upgrade = if asks_for_websocket(&parts.headers) {
            // A malformed handshake gets axum's explanation, not an SSE response it cannot read.
            Some(
                WebSocketUpgrade::from_request_parts(parts, state)
                    .await
                    .map_err(IntoResponse::into_response)?,
            )
        } else {
            None
        };
        Ok(LiveRequest { upgrade, last_seen })
    }
}

/// Whether the request asks to become a WebSocket (`Upgrade: websocket`).
pub fn asks_for_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The id a reconnecting reader last saw (`Last-Event-ID`), if it sent one.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// How often a stream reads its user again, for changes made outside this process (the
/// CLI, another SAW on the same database); changes made here apply at once.
const RECHECK_USER: Duration = Duration::from_secs(2);

/// A number that moves on every [`RECHECK_USER`], which the streams compare instead of
/// asking the clock at every event: with 50 streams, one clock read per event per stream was
/// ≈ 2 % of the server's CPU in a burst. A stream checked in an earlier period checks again.
#[derive(Default)]
pub struct RecheckPeriods {
    period: Arc<AtomicU64>,
    ticking: std::sync::OnceLock<()>,
}

impl RecheckPeriods {
    fn current(&self) -> u64 {
        // Started by the first stream, inside the server's runtime; ends with the state.
        self.ticking.get_or_init(|| {
            let period = Arc::downgrade(&self.period);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(RECHECK_USER);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    let Some(period) = period.upgrade() else {
                        return;
                    };
                    period.fetch_add(1, Ordering::Relaxed);
                }
            });
        });
        self.period.load(Ordering::Relaxed)
    }
}

struct Reader {
    /// For the inbox's stream: the person counts as online while it is open.
    _online: Option<saw_app::team::Online>,
    _counted: crate::metrics::StreamGuard,
    state: AppState,
    user: User,
    /// The queues `user` works in, read with the user.
    queues: Vec<QueueId>,
    /// The [`RecheckPeriods`] period the user was last read in.
    checked_in: u64,
    feed: Feed,
    reload: bool,
    place: Place,
}

/// The events a reader goes through: what it missed when it reconnected, then one commit's
/// events at a time from the bus.
struct Feed {
    receiver: broadcast::Receiver<Published>,
    /// The events at hand (`None` while the reader waits, so that a quiet reader keeps no
    /// events alive), and how many of them it has gone through.
    pending: Option<Published>,
    taken: usize,
}

/// Where [`Feed::advance`] got to.
#[derive(Debug, PartialEq, Eq)]
enum Advanced {
    /// To the next event, [`Feed::current`].
    Event,
    /// The reader fell too far behind: it should read again what it shows. It goes on from
    /// the events published from now on.
    Behind,
    /// The bus is gone.
    Closed,
}

impl Feed {
    fn new(receiver: broadcast::Receiver<Published>, missed: Option<Vec<Numbered>>) -> Feed {
        Feed {
            receiver,
            pending: missed.map(Published::from),
            taken: 0,
        }
    }

    /// Moves to the next event: at once when one is at hand or already published, else once
    /// one is published. Before it waits, the reader lets go of its `place`, so that a quiet
    /// reader keeps no batch alive.
    async fn advance(&mut self, bus: &EventBus, place: &mut Place) -> Advanced {
        loop {
            if let Some(next) = self.pending.as_ref().and_then(|p| p.get(self.taken)) {
                if bus.is_behind(next.id) {
                    return self.fall_behind();
                }
                self.taken += 1;
                return Advanced::Event;
            }
            let received = match self.receiver.try_recv() {
                Ok(published) => Ok(published),
                Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
                Err(TryRecvError::Empty) => {
                    self.pending = None;
                    place.let_go();
                    self.receiver.recv().await
                }
            };
            match received {
                Ok(published) => (self.pending, self.taken) = (Some(published), 0),
                Err(RecvError::Lagged(_)) => return self.fall_behind(),
                Err(RecvError::Closed) => return Advanced::Closed,
            }
        }
    }

    /// Skips to the events published from now on: what is still queued is older yet, and
    /// the reload the reader is told to do covers it.
    fn fall_behind(&mut self) -> Advanced {
        self.receiver = self.receiver.resubscribe();
        self.pending = None;
        Advanced::Behind
    }

    /// The event [`Feed::advance`] moved to.
    fn current(&self) -> Option<&Numbered> {
        self.pending.as_ref()?.get(self.taken.checked_sub(1)?)
    }
}

/// What a reader is sent next, whatever carries it.
enum Item {
    /// What the reader shows may be out of date: read it again.
    Reload,
    /// An event made for this reader alone.
    Event {
        id: u64,
        kind: &'static str,
        /// JSON.
        data: String,
    },
    /// A message or ticket event, the same for every reader who may see it.
    Rendered(Arc<Rendered>),
}

impl Item {
    fn into_sse(self) -> SseEvent {
        let event = |id: u64, kind: &'static str, data: &str| {
            SseEvent::default()
                .id(id.to_string())
                .event(kind)
                .data(data)
        };
        match self {
            Item::Reload => SseEvent::default().event("reload").data("{}"),
            Item::Event { id, kind, data } => event(id, kind, &data),
            Item::Rendered(rendered) => event(rendered.id, rendered.kind, rendered.data()),
        }
    }

    fn into_websocket(self) -> Message {
        match self {
            Item::Reload => {
                Message::Text(Utf8Bytes::from_static(r#"{"event":"reload","data":{}}"#))
            }
            Item::Event { id, kind, data } => Message::Text(websocket_text(id, kind, &data).into()),
            // Shared with every other socket sending it: not copied per reader.
            Item::Rendered(rendered) => Message::Text(rendered.websocket.clone()),
        }
    }
}

/// An event as a WebSocket text message; `data` is JSON already: placed as it is, not parsed
/// and written again.
fn websocket_text(id: u64, kind: &str, data: &str) -> String {
    format!(r#"{{"id":{id},"event":"{kind}","data":{data}}}"#)
}

impl LiveRequest {
    /// The stream for `user`, as the reader asked for it.
    pub fn serve(
        self,
        state: AppState,
        user: User,
        online: Option<saw_app::team::Online>,
    ) -> Response {
        let reader = Reader::new(state, user, self.last_seen, online);
        match self.upgrade {
            Some(upgrade) => upgrade
                .read_buffer_size(WEBSOCKET_READ_BUFFER)
                .write_buffer_size(WEBSOCKET_WRITE_BUFFER)
                .max_frame_size(WEBSOCKET_MAX_FRAME)
                .max_message_size(WEBSOCKET_MAX_FRAME)
                .on_upgrade(move |socket| websocket(socket, reader)),
            None => {
                let events = reader
                    .items()
                    .map(|item| Ok::<_, Infallible>(item.into_sse()));
                Sse::new(events)
                    .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
                    .into_response()
            }
        }
    }
}

/// Sends the reader's events over the socket until either side ends it.
async fn websocket(mut socket: WebSocket, reader: Reader) {
    // `next()` on the stream may be dropped by `select!` without losing an event: the event
    // being prepared stays inside the stream.
    let mut items = std::pin::pin!(reader.items());
    let mut keep_alive =
        tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard_at = tokio::time::Instant::now();
    loop {
        tokio::select! {
            item = items.next() => {
                // In a burst, the events already there go out together: one write to the
                // socket for them all instead of one each.
                let mut next = item;
                loop {
                    let Some(item) = next else {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    };
                    if socket.feed(item.into_websocket()).await.is_err() {
                        return;
                    }
                    match items.next().now_or_never() {
                        Some(ready) => next = ready,
                        None => break,
                    }
                }
                if socket.flush().await.is_err() {
                    return;
                }
            }
            // Pings are answered inside the socket; anything else the reader sends (pongs
            // above all) only shows it is still there.
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => heard_at = tokio::time::Instant::now(),
            },
            _ = keep_alive.tick() => {
                if heard_at.elapsed() > WEBSOCKET_SILENCE {
                    tracing::debug!("closing a live socket that stopped answering pings");
                    return;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

impl Reader {
    fn new(
        state: AppState,
        user: User,
        last_seen: Option<u64>,
        online: Option<saw_app::team::Online>,
    ) -> Reader {
        let (feed, reload) = match last_seen {
            None => (Feed::new(state.app.events.subscribe(), None), false),
            Some(id) => match state.app.events.resume(id) {
                (Resume::Missed(missed), receiver) => (Feed::new(receiver, Some(missed)), false),
                (Resume::Gap, receiver) => (Feed::new(receiver, None), true),
            },
        };
        Reader {
            _counted: state.metrics.stream_opened(),
            _online: online,
            state,
            user,
            queues: Vec::new(),
            // Read the queues before the first event.
            checked_in: u64::MAX,
            feed,
            reload,
            place: Place::Nowhere,
        }
    }

    fn items(self) -> impl Stream<Item = Item> {
        futures_util::stream::unfold(self, |mut reader| async move {
            let item = reader.next().await?;
            Some((item, reader))
        })
    }

    /// The next event this reader may see; `None` ends the stream.
    async fn next(&mut self) -> Option<Item> {
        loop {
            if std::mem::take(&mut self.reload) {
                return Some(Item::Reload);
            }
            match self
                .feed
                .advance(&self.state.app.events, &mut self.place)
                .await
            {
                Advanced::Event => {}
                Advanced::Behind => {
                    self.reload = true;
                    continue;
                }
                Advanced::Closed => return None,
            }
            let Some(numbered) = self.feed.current() else {
                continue;
            };
            let event = numbered.event.as_ref();
            if event.account_id() != self.user.account_id {
                continue;
            }
            let about_me =
                matches!(event, Event::UserChanged { user_id, .. } if *user_id == self.user.id);
            let due = self.checked_in != self.state.recheck.current();
            if (about_me || due) && !self.still_active().await {
                return None;
            }
            let Some(numbered) = self.feed.current() else {
                continue;
            };
            if let Some(item) = shown(
                &self.state,
                &self.user,
                &self.queues,
                &mut self.place,
                numbered,
            )
            .await
            {
                return Some(item);
            }
        }
    }

    /// Reads the user and their queues again; `false` once they were deactivated (or
    /// removed).
    async fn still_active(&mut self) -> bool {
        self.checked_in = self.state.recheck.current();
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
}

/// The event as `user`, a member of `queues`, sees it, or `None` when they may not. Message
/// and ticket events are read and serialised once for every reader ([`Rendered`]); who may
/// see them is decided here, in memory.
async fn shown(
    state: &AppState,
    user: &User,
    queues: &[QueueId],
    place: &mut Place,
    numbered: &Numbered,
) -> Option<Item> {
    let id = numbered.id;
    match numbered.event.as_ref() {
        Event::ChannelHealth {
            channel_id,
            healthy,
            ..
        } => user.role.sees_all_queues().then(|| Item::Event {
            id,
            kind: "channel.health",
            data: json!({"type": "channel.health", "channel_id": channel_id, "healthy": healthy})
                .to_string(),
        }),
        Event::PresenceChanged { user_id, .. } => Some(Item::Event {
            id,
            kind: "presence.changed",
            data: json!({"type": "presence.changed", "user_id": user_id}).to_string(),
        }),
        Event::UserChanged { .. } | Event::QueueChanged { .. } => None,
        _ => {
            let rendered = state.rendered.get(&state.app, numbered, place).await?;
            // Most readers may not see most events: those cost no reference count.
            rendered
                .audience
                .admits(user, queues)
                .then(|| Item::Rendered(rendered.clone()))
        }
    }
}

/// A message or ticket event as every reader who may see it gets it: read from the store
/// and serialised once, however many streams are open.
pub struct Rendered {
    id: u64,
    kind: &'static str,
    /// The whole WebSocket message, which holds the SSE `data` too.
    websocket: Utf8Bytes,
    /// Where the JSON `data` lies in `websocket`.
    data: std::ops::Range<usize>,
    audience: Audience,
}

impl Rendered {
    fn new(id: u64, kind: &'static str, data: &str, audience: Audience) -> Self {
        let websocket = websocket_text(id, kind, data);
        // The data is the text's last field, before its closing brace.
        let end = websocket.len() - 1;
        Rendered {
            id,
            kind,
            data: end - data.len()..end,
            websocket: websocket.into(),
            audience,
        }
    }

    /// The JSON `data` of the event.
    fn data(&self) -> &str {
        &self.websocket[self.data.clone()]
    }
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
    /// By event id: every reader looks up every event, and a burst publishes hundreds at once.
    slots: BTreeMap<u64, Slot>,
    /// The newest event id a slot was made for.
    newest: u64,
}

/// Events rendered together, and where one event is among them.
#[derive(Clone)]
struct Slot {
    batch: Arc<Batch>,
    index: usize,
}

impl Slot {
    fn downgrade(&self) -> WeakSlot {
        WeakSlot {
            batch: Arc::downgrade(&self.batch),
            index: self.index,
        }
    }

    /// Where event `id` is in this batch, when it comes after this slot's event. A batch's
    /// ids ascend; other accounts' events may lie between a reader's two.
    fn index_of_later(&self, id: u64) -> Option<usize> {
        let after = self.batch.events.get(self.index + 1..)?;
        let offset = after.binary_search_by_key(&id, |n| n.id).ok()?;
        Some(self.index + 1 + offset)
    }
}

/// A [`Slot`] that does not keep its batch alive.
struct WeakSlot {
    batch: std::sync::Weak<Batch>,
    index: usize,
}

impl WeakSlot {
    /// Event `id`'s slot, when it comes after this one in the same batch (still kept).
    fn later(&self, id: u64) -> Option<Slot> {
        let slot = Slot {
            batch: self.batch.upgrade()?,
            index: self.index,
        };
        let index = slot.index_of_later(id)?;
        Some(Slot { index, ..slot })
    }
}

/// Where a reader's last rendered event was: its next one is usually just after it, in the
/// same batch. Every reader looks up every event, so moving along a batch it holds costs no
/// lock, search of the shared map or reference count; a reader lets go of its place while
/// it waits for events, so that a quiet reader keeps no batch alive.
enum Place {
    Nowhere,
    Held(Slot),
    LetGo(WeakSlot),
}

impl Place {
    /// Moves to event `id` when it comes after this place in the same batch, still kept.
    fn move_to_later(&mut self, id: u64) -> bool {
        match self {
            Place::Held(slot) => match slot.index_of_later(id) {
                Some(index) => {
                    slot.index = index;
                    true
                }
                None => false,
            },
            Place::LetGo(weak) => match weak.later(id) {
                Some(slot) => {
                    *self = Place::Held(slot);
                    true
                }
                None => false,
            },
            Place::Nowhere => false,
        }
    }

    fn let_go(&mut self) {
        if let Place::Held(slot) = self {
            *self = Place::LetGo(slot.downgrade());
        }
    }
}

struct Batch {
    events: Vec<Numbered>,
    /// Filled once (`None` for an event whose rows are gone).
    rendered: OnceCell<Vec<Option<Arc<Rendered>>>>,
}

/// Events kept rendered: as many as a reader may fall behind before it is told to reload
/// ([`EventBus::is_behind`]), so that a reader catching up finds its events rendered.
const RENDERED_KEPT: usize = saw_app::events::BUFFER;
/// The most events rendered in one read.
const RENDER_TOGETHER: usize = 64;

impl RenderedEvents {
    /// `numbered` rendered; `place` is where the reader's previous event was, and becomes
    /// this one's. The shared map (a lock and a search) is only asked when the event is not
    /// after `place` in its batch.
    async fn get<'p>(
        &self,
        app: &App,
        numbered: &Numbered,
        place: &'p mut Place,
    ) -> Option<&'p Arc<Rendered>> {
        if !place.move_to_later(numbered.id) {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            let slot = match recent.slots.get(&numbered.id) {
                Some(slot) => slot.clone(),
                None => recent.make_slots(app, numbered),
            };
            *place = Place::Held(slot);
        }
        let Place::Held(slot) = place else {
            return None;
        };
        let rendered = slot
            .batch
            .rendered
            .get_or_init(|| render(app, &slot.batch.events))
            .await;
        rendered.get(slot.index)?.as_ref()
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
            self.slots.insert(event.id, slot);
            if self.slots.len() > RENDERED_KEPT {
                self.slots.pop_first();
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

/// The `data` of a ticket event.
#[derive(Serialize)]
struct TicketEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    ticket: TicketView<'a>,
}

/// The `data` of a message event; `status` only in `message.status`.
#[derive(Serialize)]
struct MessageEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    ticket_id: TicketId,
    message: MessageView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
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
                ShownRow::Ticket(ticket) => {
                    let data = TicketEvent {
                        kind,
                        ticket: TicketView::of(&ticket),
                    };
                    let data = serde_json::to_string(&data).ok()?;
                    Rendered::new(numbered.id, kind, &data, Audience::of(&ticket))
                }
                ShownRow::Message(message, audience) => {
                    let status = match numbered.event.as_ref() {
                        Event::MessageStatus { status, .. } => Some(status.as_str()),
                        _ => None,
                    };
                    let data = MessageEvent {
                        kind,
                        ticket_id: message.ticket_id,
                        message: MessageView::of(&message),
                        status,
                    };
                    let data = serde_json::to_string(&data).ok()?;
                    Rendered::new(numbered.id, kind, &data, audience)
                }
            };
            Some(Arc::new(rendered))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence(user: i64) -> Event {
        Event::PresenceChanged {
            account_id: saw_core::ids::AccountId::new(1),
            user_id: saw_core::ids::UserId::new(user),
        }
    }

    /// A batch of events with these ids, not rendered yet.
    fn batch_of(ids: &[u64]) -> Arc<Batch> {
        let events = ids
            .iter()
            .map(|&id| Numbered {
                id,
                event: Arc::new(presence(1)),
            })
            .collect();
        Arc::new(Batch {
            events,
            rendered: OnceCell::new(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_reads_its_user_again_once_a_period_has_passed() {
        let periods = RecheckPeriods::default();
        let first = periods.current();
        tokio::time::sleep(RECHECK_USER / 2).await;
        assert_eq!(periods.current(), first, "not yet");
        tokio::time::sleep(RECHECK_USER).await;
        assert_ne!(periods.current(), first, "within one period more");
    }

    #[test]
    fn a_readers_next_event_is_found_after_its_last_one_while_their_batch_is_kept() {
        let batch = batch_of(&[3, 5, 9, 12]);
        let at = |index| WeakSlot {
            batch: Arc::downgrade(&batch),
            index,
        };
        let found = |slot: Option<Slot>| slot.map(|s| s.index);
        assert_eq!(found(at(0).later(5)), Some(1), "the next one");
        assert_eq!(
            found(at(0).later(9)),
            Some(2),
            "one further, past another account's"
        );
        assert_eq!(found(at(1).later(12)), Some(3));
        assert!(at(1).later(3).is_none(), "an earlier event");
        assert!(at(1).later(5).is_none(), "the same event again");
        assert!(at(0).later(4).is_none(), "an event not in the batch");
        assert!(at(3).later(13).is_none(), "the batch ends at 12");
        let kept = at(0).later(5).expect("kept");
        assert!(Arc::ptr_eq(&kept.batch, &batch));
        drop(kept);
        let last = at(0);
        drop(batch);
        assert!(
            last.later(5).is_none(),
            "a batch no longer kept is not kept alive"
        );
    }

    #[test]
    fn a_reader_holds_its_place_while_it_has_events_and_lets_go_while_it_waits() {
        let batch = batch_of(&[3, 5, 9]);
        let index = |place: &Place| match place {
            Place::Held(slot) => Some(slot.index),
            _ => None,
        };
        let mut place = Place::Held(Slot {
            batch: batch.clone(),
            index: 0,
        });
        assert!(place.move_to_later(5));
        assert_eq!(index(&place), Some(1));
        assert_eq!(Arc::strong_count(&batch), 2, "still one reference");
        assert!(!place.move_to_later(4), "not in the batch");
        assert_eq!(index(&place), Some(1), "a failed move stays put");

        place.let_go();
        assert_eq!(
            Arc::strong_count(&batch),
            1,
            "a waiting reader keeps nothing"
        );
        assert!(place.move_to_later(9), "the batch is still kept");
        assert_eq!(index(&place), Some(2));
        assert_eq!(Arc::strong_count(&batch), 2, "held again");

        place.let_go();
        drop(batch);
        assert!(!place.move_to_later(12), "a batch no longer kept is gone");
        assert!(!Place::Nowhere.move_to_later(3));
    }

    #[test]
    fn a_feed_goes_through_what_was_missed_then_each_commits_events() {
        let bus = EventBus::default();
        bus.publish([presence(1), presence(2)]);
        let first = bus.published_after(0, 1)[0].id;
        let (Resume::Missed(missed), receiver) = bus.resume(first) else {
            panic!("kept")
        };
        let mut feed = Feed::new(receiver, Some(missed));
        bus.publish([presence(3), presence(4)]);
        let mut place = Place::Nowhere;
        let mut seen = Vec::new();
        while let Some(advanced) = feed.advance(&bus, &mut place).now_or_never() {
            assert_eq!(advanced, Advanced::Event);
            seen.push(feed.current().unwrap().event.as_ref().clone());
        }
        assert_eq!(seen, [presence(2), presence(3), presence(4)]);
    }

    #[test]
    fn a_waiting_feed_lets_go_of_its_place_and_keeps_no_events() {
        let bus = EventBus::default();
        let mut feed = Feed::new(bus.subscribe(), None);
        bus.publish([presence(1)]);
        let batch = batch_of(&[]);
        let mut place = Place::Held(Slot {
            batch: batch.clone(),
            index: 0,
        });
        let advanced = feed.advance(&bus, &mut place).now_or_never();
        assert_eq!(advanced, Some(Advanced::Event));
        let published = feed.pending.clone().expect("at hand");
        assert_eq!(Arc::strong_count(&batch), 2, "an event at hand: held");

        let waiting = feed.advance(&bus, &mut place).now_or_never();
        assert!(waiting.is_none(), "nothing more published");
        assert_eq!(Arc::strong_count(&batch), 1, "the place is let go");
        assert_eq!(Arc::strong_count(&published), 1, "the events are not kept");
        assert!(feed.current().is_none());
    }

    #[test]
    fn a_feed_far_behind_is_told_so_and_goes_on_from_new_events() {
        let bus = EventBus::default();
        let mut feed = Feed::new(bus.subscribe(), None);
        // Few publishes, many events: the channel alone would not call it lagging.
        for _ in 0..5 {
            bus.publish((0..1000).map(presence));
        }
        let mut place = Place::Nowhere;
        let advanced = feed.advance(&bus, &mut place).now_or_never();
        assert_eq!(advanced, Some(Advanced::Behind));
        bus.publish([presence(7)]);
        let advanced = feed.advance(&bus, &mut place).now_or_never();
        assert_eq!(advanced, Some(Advanced::Event));
        assert_eq!(
            *feed.current().unwrap().event,
            presence(7),
            "what was queued before is skipped"
        );

        // Or in the middle of a commit's events.
        bus.publish((0..10).map(presence));
        let advanced = feed.advance(&bus, &mut place).now_or_never();
        assert_eq!(advanced, Some(Advanced::Event));
        bus.publish((0..saw_app::events::BUFFER as i64).map(presence));
        let advanced = feed.advance(&bus, &mut place).now_or_never();
        assert_eq!(advanced, Some(Advanced::Behind));
        assert!(feed.current().is_none());
    }

    #[test]
    fn a_rendered_event_is_one_websocket_message_that_holds_the_sse_data() {
        let data =
            json!({"type": "message.created", "message": {"text": "Olá, <b>\"tudo\"</b> 🙂"}})
                .to_string();
        let audience = Audience {
            queue: None,
            assignee: None,
        };
        let rendered = Rendered::new(42, "message.created", &data, audience);
        assert_eq!(rendered.data(), data);
        let message: serde_json::Value = serde_json::from_str(&rendered.websocket).unwrap();
        assert_eq!(
            message,
            json!({"id": 42, "event": "message.created", "data": serde_json::from_str::<serde_json::Value>(&data).unwrap()})
        );
    }
}
