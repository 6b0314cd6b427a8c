//! SAW's channel adapters for the WhatsApp Cloud API and the Telegram Bot API.
//!
//! Inbound: check that traffic really comes from the provider, then turn each provider's
//! wire format into one shape, [`InboundEvent`]. Outbound: turn a channel-neutral
//! [`saw_core::outbound::OutboundPayload`] into the provider's request, and say what the
//! provider's answer means ([`outbound::SendOutcome`]).
//!
//! Everything here is pure: bytes and strings in, values out, no network, no database, no
//! clock (except the `parse_update`/`parse_get_updates` conveniences, which stamp button
//! taps with the current time). That keeps the webhook handlers and the dispatcher thin
//! and lets every provider payload in `tests/fixtures` be tested without a server.
//!
//! Reading order:
//! - [`inbound`]: the channel-neutral events the engine consumes;
//! - [`contact_card`]: shared contact cards, one shape for every channel;
//! - [`whatsapp`]: signature and handshake checks, webhook bodies;
//! - [`telegram`]: secret-token check, updates and `getUpdates` answers;
//! - [`outbound`]: requests for sends and other provider calls, and their answers;
//! - [`error`]: what a malformed body is reported as.
//!
//! Sent Telegram messages are recorded as `"{chat}:{message}"`, the same form inbound
//! messages get ([`telegram::message_external_id`]), so replies and reactions find them.

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
