//! The in-process event bus: every committed change to a conversation (a message stored, a
//! delivery status, a ticket moving) is published here after its transaction commits, for
//! the live inbox and the API's event stream.
//!
//! It is a broadcast channel: a subscriber that falls behind by more than the buffer is told
//! it lagged (and should reload) instead of slowing the publishers. Events carry ids, never
//! message text: subscribers read what they are allowed to see from the store. A later
//! multi-instance mode can put PostgreSQL's LISTEN/NOTIFY behind the same two methods.

use std::sync::Arc;

use saw_core::conversation::{DeliveryStatus, MessageDirection, TicketStatus};
use saw_core::ids::{AccountId, ChannelId, MessageId, QueueId, TicketId, UserId};
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it is told it lagged.
const BUFFER: usize = 4096;

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
}

impl Event {
    pub fn account_id(&self) -> AccountId {
        match self {
            Event::MessageCreated { account_id, .. }
            | Event::MessageStatus { account_id, .. }
            | Event::MessageUpdated { account_id, .. }
            | Event::TicketChanged { account_id, .. }
            | Event::ChannelHealth { account_id, .. } => *account_id,
        }
    }

    /// The ticket the event is about, if any.
    pub fn ticket_id(&self) -> Option<TicketId> {
        match self {
            Event::MessageCreated { ticket_id, .. }
            | Event::MessageStatus { ticket_id, .. }
            | Event::MessageUpdated { ticket_id, .. }
            | Event::TicketChanged { ticket_id, .. } => Some(*ticket_id),
            Event::ChannelHealth { .. } => None,
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

/// Publishes committed changes to whoever listens.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl EventBus {
    /// Call only after the transaction that made the changes committed.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            // No subscriber is fine: nobody is watching.
            let _ = self.sender.send(Arc::new(event));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
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
        assert_eq!(*rx.recv().await.unwrap(), event);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "message_created", "account_id": 1, "ticket_id": 2,
                               "message_id": 3, "direction": "in"})
        );
    }
}
