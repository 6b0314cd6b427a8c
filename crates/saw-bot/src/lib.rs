//! SAW's chatbot, with no I/O: the app stores a [`BotState`] with each ticket, calls
//! [`start`] for a new ticket and [`step`] for each customer message, sends the replies
//! and acts on the [`Outcome`].
//!
//! Reading order: [`flow`] (what admins write, and its YAML form), [`matcher`] (what a
//! message means, on top of [`text`]), [`engine`] (the state machine), [`hours`] (business
//! hours), [`fields`] (checking answers), [`template`] (placeholders in texts).

pub mod csat;
pub mod engine;
pub mod fields;
pub mod flow;
pub mod hours;
pub mod matcher;
pub mod template;
pub mod text;

pub use engine::{Awaiting, BotState, Context, Outcome, Record, RouteReason, Step, start, step};
pub use flow::{Flow, FlowError, Problem};
pub use hours::BusinessHours;
pub use matcher::Input;
