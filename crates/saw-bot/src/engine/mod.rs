//! The bot as a state machine: (flow, state, customer message, context) → (new state,
//! replies, outcome, records). No I/O and no clock of its own, so a restart resumes
//! mid-menu from the stored [`BotState`] and every conversation can be replayed in tests.
//!
//! Every [`Step`] either keeps the bot talking (`state: Some`, [`Outcome::Continue`]) or
//! ends it (`state: None` and another outcome): a ticket never has neither.
//!
//! What a message does depends on what the bot asked last ([`Awaiting`]):
//! - **a menu**: the order of [`crate::matcher`]; a tap on an option of another menu (an
//!   older message) counts when only one menu has that id.
//! - **a question**: opt-out and navigation words ("voltar" leaves the question), then the
//!   answer if its kind accepts it, then automatic replies (answered, and the question
//!   asked again), else the kind's "invalid" text.
//! - **"Posso ajudar em algo mais?"**: the menu order over "sim"/"não" and their synonyms;
//!   then an option of the menu named by title ("suporte" means yes, and which).
//!   Yes shows the first menu; no says goodbye and resolves the ticket.
//!
//! A miss anywhere hints and asks again; the `max_misses`-th in a row hands the ticket to
//! the default queue. Handing over always tells the protocol, and when the queue is
//! closed, when it opens again.

mod run;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use saw_core::account::Language;
use saw_core::outbound::OutboundPayload;
use serde::{Deserialize, Serialize};

use crate::flow::Flow;
use crate::hours::BusinessHours;
use crate::matcher::Input;
use run::Run;

/// What the bot knows besides the flow, supplied by the app at each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// `{{nome}}`; when `None`, a collected field `nome` stands in.
    pub contact_name: Option<String>,
    /// `{{empresa}}`.
    pub company: String,
    /// The ticket's protocol number, `{{protocolo}}`.
    pub protocol: String,
    pub now: DateTime<Utc>,
    /// The language of dates in texts ("segunda-feira às 08:00").
    pub language: Language,
    /// The account's hours, in the account's time zone.
    pub hours: BusinessHours,
    /// Hours of queues that keep their own, by queue name; other queues follow `hours`.
    pub queue_hours: BTreeMap<String, BusinessHours>,
    /// Where `human` and too many misses send the ticket.
    pub default_queue: String,
    /// `{{posicao}}`: the ticket's place in the queue it is routed to, when the app knows
    /// it; the text's `{{#posicao}}…{{/posicao}}` part is left out otherwise.
    pub queue_position: Option<u32>,
    /// The contact's fields collected so far, each a placeholder (`{{pedido}}`).
    pub fields: BTreeMap<String, String>,
}

impl Context {
    /// A context open at all hours in São Paulo time, with no name, position or fields.
    pub fn new(
        company: impl Into<String>,
        protocol: impl Into<String>,
        default_queue: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Context {
            contact_name: None,
            company: company.into(),
            protocol: protocol.into(),
            now,
            language: Language::PtBr,
            hours: BusinessHours::default(),
            queue_hours: BTreeMap::new(),
            default_queue: default_queue.into(),
            queue_position: None,
            fields: BTreeMap::new(),
        }
    }
}

/// Where a bot conversation stands; stored as JSON with the ticket. It names menus and
/// options by id, so after a flow is edited a conversation carries on where that still
/// exists and starts again at the first menu otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotState {
    /// The menu the customer is at.
    pub menu: String,
    /// The menus before it, for "voltar".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trail: Vec<String>,
    #[serde(default)]
    pub awaiting: Awaiting,
    /// Unrecognised answers in a row.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub misses: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What the bot asked last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Awaiting {
    /// An option of the menu.
    #[default]
    Menu,
    /// The answer to the question of option `option` of the menu; `depth` counts the
    /// questions before it in that option's chain (`ask … then: ask …`).
    Answer { option: String, depth: u32 },
    /// Yes or no to "Posso ajudar em algo mais?".
    AnythingElse,
}

/// The result of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `None` when the bot is done with this ticket.
    pub state: Option<BotState>,
    /// To send, in order.
    pub replies: Vec<OutboundPayload>,
    pub outcome: Outcome,
    /// What happened, for the metrics.
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// The bot waits for the customer's next message.
    Continue,
    /// The ticket becomes pending in this queue (by name); the bot stays silent from now on.
    RouteToQueue { queue: String, reason: RouteReason },
    /// The customer needs nothing more: resolved by the bot.
    Resolved,
    /// The customer asked for no proactive messages; the app flags the contact.
    OptedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteReason {
    /// An option (or an answered question) leads to the queue.
    Option,
    /// The customer asked for a person (`human`).
    Human,
    /// `max_misses` answers in a row were not understood.
    TooManyMisses,
    /// The flow has no usable first menu; a person takes over rather than nobody.
    BrokenFlow,
}

/// One thing worth counting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    OptionChosen {
        menu: String,
        option: String,
    },
    /// The automatic reply at this index of `flow.auto_replies`.
    AutoReply {
        rule: usize,
    },
    FieldCollected {
        field: String,
        value: String,
    },
    Miss,
}

/// The first reply to a new ticket: the greeting and the first menu.
pub fn start(flow: &Flow, ctx: &Context) -> Step {
    let mut run = Run::new(flow, ctx);
    run.say(&flow.greeting);
    run.show_root()
}

/// The reply to one customer message. Never panics, whatever the state and the flow.
pub fn step(flow: &Flow, state: &BotState, input: &Input, ctx: &Context) -> Step {
    let run = Run::new(flow, ctx);
    if flow.find_menu(&state.menu).is_none() {
        return run.show_root();
    }
    match &state.awaiting {
        Awaiting::Menu => run.at_menu(state, input),
        Awaiting::Answer { option, depth } => run.at_question(state, option, *depth, input),
        Awaiting::AnythingElse => run.at_anything_else(state, input),
    }
}
