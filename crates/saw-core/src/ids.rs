//! Typed ids: a `TicketId` cannot be passed where a `ContactId` is expected.
//!
//! Every id is a database-assigned 64-bit integer underneath; the wrapper only exists so the
//! compiler keeps them apart:
//!
//! ```compile_fail
//! use saw_core::ids::{ContactId, TicketId};
//! fn close(ticket: TicketId) {}
//! close(ContactId::new(7)); // a contact's id is not a ticket's
//! ```

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    )*};
}

typed_id!(
    /// One company (conta / empresa).
    AccountId,
    /// An admin, supervisor or agent.
    UserId,
    /// A department the menu routes into (fila / setor).
    QueueId,
    /// One WhatsApp number, Telegram bot or sandbox (conexão / canal).
    ChannelId,
    /// One customer on one channel family.
    ContactId,
    /// One conversation episode from first message to resolution.
    TicketId,
    /// One row of a ticket's history.
    TicketEventId,
    /// One inbound or outbound message, or a private note.
    MessageId,
    /// A label on tickets and contacts (etiqueta).
    TagId,
    /// Canned text an agent inserts with `/` (resposta rápida).
    QuickReplyId,
    /// A token for the REST API.
    ApiTokenId,
    /// One line of the audit log.
    AuditEntryId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id: TicketId = "42".parse().unwrap();
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
    }
}
