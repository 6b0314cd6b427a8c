//! SAW's domain: the types every other crate speaks, and the rules that need no I/O.
//!
//! Reading order: [`ids`] (typed ids), [`account`], [`user`] (roles, validated email and
//! password), [`queue`], [`channel`] (a channel's settings and secrets), then [`conversation`]
//! (channel kinds, tickets, messages — the vocabulary the channel and bot work builds on).

pub mod account;
pub mod channel;
pub mod conversation;
pub mod ids;
pub mod outbound;
pub mod phone;
pub mod queue;
pub mod user;
pub mod validation;

pub use validation::ValidationError;
