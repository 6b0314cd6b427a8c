//! The in-process event bus: every committed change to a conversation (a message stored, a
//! delivery status, a ticket moving) is published here after its transaction commits, for
//! the live inbox and the API's event stream.
//!
//! It is a broadcast channel of [`Published`] lists, one per commit: a subscriber takes a
//! commit's events in one receive. A subscriber that falls behind by more than the buffer is
//! told it lagged, or finds itself [`EventBus::is_behind`], and should reload instead of
//! slowing the publishers. Events carry ids, never
//! message text: subscribers read what they are allowed to see from the store. A later
//! multi-instance mode can put PostgreSQL's LISTEN/NOTIFY behind the same two methods.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use saw_core::conversation::{DeliveryStatus, MessageDirection, TicketStatus};
use saw_core::ids::{AccountId, ChannelId, MessageId, QueueId, TicketId, UserId};
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events are kept for readers that reconnect, and how far behind a subscriber may
/// fall (in events, [`EventBus::is_behind`], or in publishes, when it is told it lagged).
pub const BUFFER: usize = 4096;

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    MessageCreated {
        account_id: AccountId,
        ticket_id: TicketId,
        message_id: MessageId,
        #[serde(serialize_with = "as_str::direction")]
        direction: MessageDirection,
    },
    MessageStatus {
        account_id: AccountId,
        ticket_id: TicketId,
        message_id: MessageId,
        #[serde(serialize_with = "as_str::delivery")]
        status: DeliveryStatus,
    },
    /// Something else about a message changed (its media arrived or is unavailable).
    MessageUpdated {
        account_id: AccountId,
        ticket_id: TicketId,
        message_id: MessageId,
    },
    TicketChanged {
        account_id: AccountId,
        ticket_id: TicketId,
        #[serde(serialize_with = "as_str::ticket")]
        status: TicketStatus,
        queue_id: Option<QueueId>,
        assignee_id: Option<UserId>,
    },
    ChannelHealth {
        account_id: AccountId,
        channel_id: ChannelId,
        healthy: bool,
    },
    /// A ticket was opened (a customer's first message, or one after the reopening window).
    TicketCreated {
        account_id: AccountId,
        ticket_id: TicketId,
    },
    /// A person's role, queues or access changed: their open streams check what they may
    /// still see (a deactivated user's end at once).
    UserChanged {
        account_id: AccountId,
        user_id: UserId,
    },
    /// Someone came online, went offline or changed their status (Disponível, Pausa,
    /// Ausente).
    PresenceChanged {
        account_id: AccountId,
        user_id: UserId,
    },
    /// How a queue hands out its tickets changed.
    QueueChanged {
        account_id: AccountId,
        queue_id: QueueId,
    },
}

impl Event {
    pub fn account_id(&self) -> AccountId {
        match self {
            Event::MessageCreated { account_id, .. }
            | Event::MessageStatus { account_id, .. }
            | Event::MessageUpdated { account_id, .. }
            | Event::TicketChanged { account_id, .. }
            | Event::TicketCreated { account_id, .. }
            | Event::UserChanged { account_id, .. }
            | Event::PresenceChanged { account_id, .. }
            | Event::QueueChanged { account_id, .. }
            | Event::ChannelHealth { account_id, .. } => *account_id,
        }
    }

    /// The ticket the event is about, if any.
    pub fn ticket_id(&self) -> Option<TicketId> {
        match self {
            Event::MessageCreated { ticket_id, .. }
            | Event::MessageStatus { ticket_id, .. }
            | Event::MessageUpdated { ticket_id, .. }
            | Event::TicketChanged { ticket_id, .. }
            | Event::TicketCreated { ticket_id, .. } => Some(*ticket_id),
            Event::ChannelHealth { .. }
            | Event::UserChanged { .. }
            | Event::PresenceChanged { .. }
            | Event::QueueChanged { .. } => None,
        }
    }
}

/// The event announcing a ticket's current state, read inside the transaction that
/// changed it.
pub(crate) fn ticket_changed(
    c: &mut dyn saw_store::Conn,
    ticket: TicketId,
) -> Result<Event, saw_store::StoreError> {
    let state = saw_store::repo::tickets::state(c, ticket)?;
    Ok(Event::TicketChanged {
        account_id: state.account_id,
        ticket_id: ticket,
        status: state.status,
        queue_id: state.queue_id,
        assignee_id: state.assignee_id,
    })
}

mod as_str {
    use saw_core::conversation::{DeliveryStatus, MessageDirection, TicketStatus};
    use serde::Serializer;

    pub fn direction<S: Serializer>(d: &MessageDirection, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(d.as_str())
    }
    pub fn delivery<S: Serializer>(d: &DeliveryStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(d.as_str())
    }
    pub fn ticket<S: Serializer>(t: &TicketStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }
}

/// Counts of things that leave no row behind, for operators (the metrics endpoint).
#[derive(Debug, Default)]
pub struct Counters {
    /// Validly signed WhatsApp webhook elements for numbers SAW does not serve.
    pub unknown_whatsapp_numbers: std::sync::atomic::AtomicU64,
    /// The phone number id of the last of them, for the channels page.
    pub last_unknown_whatsapp_number: std::sync::Mutex<Option<String>>,
}

impl Counters {
    pub fn count_unknown_whatsapp_number(&self, number: &str) {
        self.unknown_whatsapp_numbers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut last) = self.last_unknown_whatsapp_number.lock() {
            *last = Some(number.to_owned());
        }
    }

    /// How many arrived since the start, and the last number among them.
    pub fn unknown_whatsapp_numbers(&self) -> (u64, Option<String>) {
        let count = self
            .unknown_whatsapp_numbers
            .load(std::sync::atomic::Ordering::Relaxed);
        let last = self
            .last_unknown_whatsapp_number
            .lock()
            .ok()
            .and_then(|l| l.clone());
        (count, last)
    }
}

/// An event with its place in the stream: ids grow by one per event, and start from the
/// process's start time in microseconds, so an id from before a restart is always older
/// than anything this process can replay.
#[derive(Debug, Clone)]
pub struct Numbered {
    pub id: u64,
    pub event: Arc<Event>,
}

/// The events of one publish (one commit), in order. With 50 live streams, receiving each
/// event on its own cost every stream a few atomic operations per event, ≈ 2 % of the server
/// in a burst; a list costs them once per commit.
pub type Published = Arc<[Numbered]>;

/// Publishes committed changes to whoever listens, and keeps the last [`BUFFER`] of them so
/// a reader that reconnects with the last id it saw resumes without a gap.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<std::sync::Mutex<Recent>>,
    sender: broadcast::Sender<Published>,
    /// The id the next event will get: changed only by `publish`, under the lock, and read
    /// without it by [`EventBus::is_behind`].
    next_id: Arc<AtomicU64>,
}

struct Recent {
    events: std::collections::VecDeque<Numbered>,
}

impl Default for EventBus {
    fn default() -> Self {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        Self {
            inner: Arc::new(std::sync::Mutex::new(Recent {
                events: std::collections::VecDeque::with_capacity(BUFFER),
            })),
            sender: broadcast::channel(BUFFER).0,
            next_id: Arc::new(AtomicU64::new(start)),
        }
    }
}

/// What a reader resuming after `last_id` gets: the events it missed, or `Gap` when they
/// are no longer kept (it should reload what it shows), then the live receiver.
pub enum Resume {
    Missed(Vec<Numbered>),
    Gap,
}

impl EventBus {
    /// Call only after the transaction that made the changes committed.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        let Ok(mut recent) = self.inner.lock() else {
            return;
        };
        // Only here, under the lock, does the next id move.
        let mut next_id = self.next_id.load(Ordering::Relaxed);
        let mut published = Vec::new();
        for event in events {
            let numbered = Numbered {
                id: next_id,
                event: Arc::new(event),
            };
            next_id += 1;
            if recent.events.len() == BUFFER {
                recent.events.pop_front();
            }
            recent.events.push_back(numbered.clone());
            published.push(numbered);
        }
        self.next_id.store(next_id, Ordering::Relaxed);
        if !published.is_empty() {
            // No subscriber is fine: nobody is watching.
            let _ = self.sender.send(published.into());
        }
    }

    /// Whether a subscriber reading event `id` now is more than [`BUFFER`] events behind:
    /// what it shows is better read again than caught up with. A publish may carry many
    /// events, so being fewer than [`BUFFER`] publishes behind does not tell.
    pub fn is_behind(&self, id: u64) -> bool {
        self.next_id.load(Ordering::Relaxed).saturating_sub(id) > BUFFER as u64
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.sender.subscribe()
    }

    /// Subscribes, and answers what was published after `last_id` (a reconnecting
    /// reader's `Last-Event-ID`) that the receiver will not see.
    pub fn resume(&self, last_id: u64) -> (Resume, broadcast::Receiver<Published>) {
        let Ok(recent) = self.inner.lock() else {
            return (Resume::Gap, self.sender.subscribe());
        };
        let receiver = self.sender.subscribe();
        let next_id = self.next_id.load(Ordering::Relaxed);
        let oldest_kept = recent.events.front().map_or(next_id, |n| n.id);
        // Older than what is kept, or an id this process never gave (from before a restart).
        let resume = if last_id.saturating_add(1) < oldest_kept || last_id >= next_id {
            Resume::Gap
        } else {
            Resume::Missed(
                recent
                    .events
                    .iter()
                    .filter(|n| n.id > last_id)
                    .cloned()
                    .collect(),
            )
        };
        (resume, receiver)
    }

    /// Up to `max` of the events published after `id` that are still kept, oldest first.
    pub fn published_after(&self, id: u64, max: usize) -> Vec<Numbered> {
        let Ok(recent) = self.inner.lock() else {
            return Vec::new();
        };
        let next_id = self.next_id.load(Ordering::Relaxed);
        let oldest_kept = recent.events.front().map_or(next_id, |n| n.id);
        let skip = (id + 1).saturating_sub(oldest_kept) as usize;
        recent.events.iter().skip(skip).take(max).cloned().collect()
    }

    /// How many subscribers listen now (for metrics).
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_get_events_published_after_they_subscribed() {
        let bus = EventBus::default();
        bus.publish([Event::ChannelHealth {
            account_id: AccountId::new(1),
            channel_id: ChannelId::new(1),
            healthy: true,
        }]);
        let mut rx = bus.subscribe();
        let event = Event::MessageCreated {
            account_id: AccountId::new(1),
            ticket_id: TicketId::new(2),
            message_id: MessageId::new(3),
            direction: MessageDirection::Inbound,
        };
        bus.publish([event.clone()]);
        let published = rx.recv().await.unwrap();
        assert_eq!(published.len(), 1);
        assert_eq!(*published[0].event, event);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "message_created", "account_id": 1, "ticket_id": 2,
                               "message_id": 3, "direction": "in"})
        );
    }

    fn events_of(numbered: &[Numbered]) -> Vec<Event> {
        numbered.iter().map(|n| n.event.as_ref().clone()).collect()
    }

    fn health(channel: i64) -> Event {
        Event::ChannelHealth {
            account_id: AccountId::new(1),
            channel_id: ChannelId::new(channel),
            healthy: true,
        }
    }

    #[tokio::test]
    async fn a_reader_that_reconnects_gets_what_it_missed_then_the_live_events() {
        let bus = EventBus::default();
        bus.publish([health(1), health(2), health(3)]);
        let mut live = bus.subscribe();
        bus.publish([health(4)]);
        let seen = live.recv().await.unwrap()[0].id;
        let (missed, mut live) = bus.resume(seen - 3);
        let Resume::Missed(missed) = missed else {
            panic!("the last events are kept")
        };
        assert_eq!(events_of(&missed), [health(2), health(3), health(4)]);
        bus.publish([health(5)]);
        let newest = live.recv().await.unwrap()[0].clone();
        assert_eq!(*newest.event, health(5));
        assert!(matches!(bus.resume(newest.id).0, Resume::Missed(m) if m.is_empty()));
    }

    #[tokio::test]
    async fn one_publish_reaches_a_subscriber_as_one_list_in_order() {
        let bus = EventBus::default();
        let mut live = bus.subscribe();
        bus.publish([health(1), health(2), health(3)]);
        bus.publish([]);
        bus.publish([health(4)]);
        let first = live.recv().await.unwrap();
        assert_eq!(events_of(&first), [health(1), health(2), health(3)]);
        assert_eq!(
            first.iter().map(|n| n.id - first[0].id).collect::<Vec<_>>(),
            [0, 1, 2],
            "consecutive ids"
        );
        let second = live.recv().await.unwrap();
        assert_eq!(second.len(), 1, "an empty publish sends nothing");
        assert_eq!(second[0].id, first[2].id + 1);
    }

    #[test]
    fn a_subscriber_more_than_the_buffer_behind_is_behind() {
        let bus = EventBus::default();
        bus.publish([health(1)]);
        let first = bus.published_after(0, 1)[0].id;
        bus.publish((0..BUFFER as i64 - 1).map(health));
        assert!(!bus.is_behind(first), "{BUFFER} events published since");
        bus.publish([health(2)]);
        assert!(bus.is_behind(first), "one more");
        assert!(!bus.is_behind(first + 1));
    }

    #[test]
    fn an_id_older_than_what_is_kept_or_from_before_a_restart_is_a_gap() {
        let bus = EventBus::default();
        for i in 0..(BUFFER as i64 + 10) {
            bus.publish([health(i)]);
        }
        assert!(matches!(bus.resume(1).0, Resume::Gap));
        assert!(matches!(bus.resume(u64::MAX - 5).0, Resume::Gap));
    }
}
