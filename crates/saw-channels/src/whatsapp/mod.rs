//! WhatsApp Cloud API (Meta Graph API), inbound side (sending is
//! [`crate::outbound::whatsapp`]).
//!
//! Reading order: [`signature`] (is the POST from Meta; the GET handshake), then
//! [`webhook`] (the envelope: entries, changes, routing by `phone_number_id`), which hands
//! each `messages[]` element to `message` and each `statuses[]` element to `status`.
//! The wire format is described in the project's `protocols.md`, part A.

mod errors;
mod message;
pub mod signature;
mod status;
pub mod webhook;

pub use signature::{SignatureError, sign, verify_handshake, verify_signature};
pub use webhook::parse;
