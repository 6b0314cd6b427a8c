//! SAW's channel adapters, inbound side: check that traffic really comes from the
//! provider, then turn each provider's wire format into one shape, [`InboundEvent`].
//!
//! Everything here is pure: bytes and strings in, values out, no network, no database, no
//! clock (except the `parse_update`/`parse_get_updates` conveniences, which stamp button
//! taps with the current time). That keeps the web layer's webhook handlers thin and lets
//! every provider payload in `tests/fixtures` be tested without a server.
//!
//! Reading order:
//! - [`inbound`]: the channel-neutral events the engine consumes;
//! - [`contact_card`]: shared contact cards, one shape for every channel;
//! - [`whatsapp`]: signature and handshake checks, webhook bodies;
//! - [`telegram`]: secret-token check, updates and `getUpdates` answers;
//! - [`error`]: what a malformed body is reported as.
//!
//! Sending (the outbound half of each adapter) belongs to the dispatcher and lives
//! elsewhere; it must record Telegram message ids in the same `"{chat}:{message}"` form
//! ([`telegram::message_external_id`]).

pub mod contact_card;
pub mod error;
pub mod inbound;
mod json;
pub mod outbound;
mod serde_text;
pub mod telegram;
pub mod whatsapp;

pub use contact_card::ContactCard;
pub use error::ParseError;
pub use inbound::{
    ChosenOption, InboundEvent, InboundMedia, InboundMessage, Location, ProviderError, StatusUpdate,
};
