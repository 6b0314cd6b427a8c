//! SAW's domain: the types every other crate speaks, and the rules that need no I/O.
//!
//! Reading order: [`ids`] (typed ids), [`account`], [`user`] (roles, validated email and
//! password), [`queue`], [`channel`] (a channel's settings and secrets), then [`conversation`]
//! (channel kinds, tickets, messages — the vocabulary the channel and bot work builds on).

/// A closed set of values stored and sent as text: `as_str`, `parse` and `ALL`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

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
