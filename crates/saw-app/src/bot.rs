//! The chatbot at work: runs `saw_bot`'s state machine on a ticket still with the bot,
//! inside the inbound message's transaction, and turns what it decides into rows — replies
//! in the outbox, the state with the ticket, the ticket handed to a queue or resolved, the
//! contact's collected fields, and a record of each step for the metrics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use saw_bot::{BotState, Context, Flow, Input, Outcome, Record};
use saw_channels::inbound::InboundMessage;
use saw_core::account::Account;
use saw_core::channel::Channel;
use saw_core::conversation::MessageDirection;
use saw_core::ids::{ContactId, QueueId, TicketId};
use saw_core::outbound::OutboundPayload;
use saw_store::repo::{bot, contacts, outbox, tickets};
use saw_store::{Conn, StoreError};

use crate::bot_config::{BotConfig, with_greeting};
use crate::events::{self, Event};

/// A draft flow written in `yaml`, parsed only when that text was not parsed lately: every
/// message of a sandbox conversation trying the draft reads it again. (Published flows are
/// parsed once per change, in [`BotConfig`].)
fn parsed(yaml: &str) -> Result<Flow, saw_bot::FlowError> {
    /// The texts parsed last, newest at the end.
    static PARSED: Mutex<Vec<(String, Flow)>> = Mutex::new(Vec::new());
    const KEPT: usize = 16;
    let cached = {
        let parsed = PARSED.lock().unwrap_or_else(|e| e.into_inner());
        parsed
            .iter()
            .find(|(text, _)| text == yaml)
            .map(|(_, flow)| flow.clone())
    };
    if let Some(flow) = cached {
        return Ok(flow);
    }
    let flow = Flow::from_yaml(yaml)?;
    let mut parsed = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    parsed.push((yaml.to_owned(), flow.clone()));
    if parsed.len() > KEPT {
        parsed.remove(0);
    }
    Ok(flow)
}

/// The flow a ticket talks with: the published one, or the draft for a sandbox ticket
/// started to try it (while that draft exists; drafts are checked when saved).
pub(crate) fn flow_of_ticket(
    c: &mut dyn Conn,
    config: &BotConfig,
    channel: &Channel,
    ticket: TicketId,
) -> Result<Arc<Flow>, StoreError> {
    let trial = bot::is_trial(c, ticket)?;
    flow_of(c, config, channel, trial)
}

/// [`flow_of_ticket`] once the ticket is known to be a `trial` of the draft or not.
fn flow_of(
    c: &mut dyn Conn,
    config: &BotConfig,
    channel: &Channel,
    trial: bool,
) -> Result<Arc<Flow>, StoreError> {
    if trial
        && let Some(flow) =
            bot::draft_for(c, config.account.id, channel.id)?.and_then(|yaml| parsed(&yaml).ok())
    {
        return Ok(Arc::new(with_greeting(flow, &config.account)));
    }
    Ok(config.flow(channel.id))
}

/// What the bot needs to know about this conversation.
fn context(
    config: &BotConfig,
    protocol: String,
    fields: &str,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Context {
    let default_queue = config
        .default_queue()
        .map(|(_, name)| name.to_owned())
        .unwrap_or_default();
    let mut ctx = Context::new(config.account.name.clone(), protocol, default_queue, now);
    ctx.contact_name = name
        .and_then(|n| n.split_whitespace().next())
        .map(str::to_owned);
    ctx.language = config.account.language;
    ctx.hours = config.schedules.account.clone();
    ctx.queue_hours = config.queue_hours.clone();
    ctx.fields = serde_json::from_str::<BTreeMap<String, String>>(fields).unwrap_or_default();
    ctx
}

/// What the customer's message is to the bot: a tapped option, text, or something else.
pub(crate) fn input_of(message: &InboundMessage) -> Input {
    match (&message.interactive_reply, &message.text) {
        (Some(chosen), _) => Input::Choice(chosen.id.clone()),
        (None, Some(text)) => Input::Text(text.clone()),
        (None, None) => Input::Other,
    }
}

/// What the bot answers: a customer's message, or nothing (it starts over: greeting and
/// first menu).
pub(crate) enum Turn<'a> {
    /// The first message of a new ticket: the bot greets instead of answering it.
    NewTicket(&'a InboundMessage),
    Message(&'a InboundMessage),
    /// An agent handed the ticket back to the bot.
    Restart,
}

/// Runs one step of the bot on a ticket with it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn converse(
    c: &mut dyn Conn,
    config: &BotConfig,
    channel: &Channel,
    ticket: TicketId,
    contact: ContactId,
    turn: Turn<'_>,
    now: DateTime<Utc>,
    changes: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let seen = bot::ticket_for_bot(c, ticket)?;
    let flow = flow_of(c, config, channel, seen.trial)?;
    let name = match turn {
        Turn::NewTicket(m) | Turn::Message(m) => m.contact_name.as_deref(),
        Turn::Restart => seen.contact_name.as_deref(),
    };
    let mut ctx = context(config, seen.protocol, &seen.contact_fields, name, now);
    let stored = match turn {
        Turn::Message(message) => seen
            .state
            .and_then(|json| serde_json::from_str::<BotState>(&json).ok())
            .map(|state| (state, message)),
        Turn::NewTicket(_) | Turn::Restart => None,
    };
    let run = |ctx: &Context| match &stored {
        Some((state, message)) => saw_bot::step(&flow, state, &input_of(message), ctx),
        None => saw_bot::start(&flow, ctx),
    };
    let mut step = run(&ctx);
    let target = match &step.outcome {
        Outcome::RouteToQueue { queue, .. } => Some(routed_queue(config, queue)),
        _ => None,
    };
    // The hand-over text tells the customer's place in the queue; the bot is pure, so the
    // same step runs again once the place is known.
    if let Some(Some(queue)) = target {
        let waiting = tickets::pending_in_queue(c, queue)?;
        ctx.queue_position = u32::try_from(waiting + 1).ok();
        step = run(&ctx);
    }
    for reply in &step.replies {
        send(c, channel, ticket, reply, now, changes)?;
    }
    keep_records(c, &config.account, ticket, contact, &step.records, now)?;
    // Handing over and resolving clear the bot's state themselves.
    if !matches!(
        step.outcome,
        Outcome::RouteToQueue { .. } | Outcome::Resolved
    ) {
        let state = step
            .state
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok());
        bot::set_state(c, ticket, state.as_deref())?;
    }
    match step.outcome {
        Outcome::Continue => return Ok(()),
        Outcome::RouteToQueue { reason, .. } => {
            tracing::debug!(ticket = %ticket, ?reason, "the bot hands the ticket to a queue");
            tickets::queue_from_bot(c, config.account.id, ticket, target.flatten(), now)?;
        }
        Outcome::Resolved => {
            tickets::resolve_by_bot(c, config.account.id, ticket, now)?;
            changes.push(events::ticket_changed(c, ticket)?);
            return crate::csat::ask(c, config, channel, ticket, contact, now, changes);
        }
        Outcome::OptedOut => {
            contacts::opt_out(c, contact)?;
            if step.state.is_none() {
                tickets::resolve_by_bot(c, config.account.id, ticket, now)?;
            }
        }
    }
    changes.push(events::ticket_changed(c, ticket)?);
    Ok(())
}

/// The queue a flow names, or the default queue when it names none that exists.
fn routed_queue(config: &BotConfig, name: &str) -> Option<QueueId> {
    config.queue_named(name).or_else(|| {
        tracing::warn!(queue = %name, "the flow names a queue that does not exist; using the default queue");
        config.default_queue().map(|(id, _)| id)
    })
}

/// Queues what the bot says in the outbox and announces it.
pub(crate) fn send(
    c: &mut dyn Conn,
    channel: &Channel,
    ticket: TicketId,
    reply: &OutboundPayload,
    now: DateTime<Utc>,
    changes: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let id = enqueue(c, channel, ticket, reply, now)?;
    changes.push(Event::MessageCreated {
        account_id: channel.account_id,
        ticket_id: ticket,
        message_id: id,
        direction: MessageDirection::Outbound,
    });
    Ok(())
}

fn enqueue(
    c: &mut dyn Conn,
    channel: &Channel,
    ticket: TicketId,
    reply: &OutboundPayload,
    now: DateTime<Utc>,
) -> Result<saw_core::ids::MessageId, StoreError> {
    let (body, payload) = match reply {
        OutboundPayload::Text { body } => (body.clone(), None),
        OutboundPayload::Menu(menu) => (menu.body.clone(), serde_json::to_string(reply).ok()),
        other => (String::new(), serde_json::to_string(other).ok()),
    };
    let new = outbox::NewOutbound {
        account_id: channel.account_id,
        ticket_id: ticket,
        channel_id: channel.id,
        body: &body,
        author: None,
    };
    outbox::enqueue(c, &new, reply.message_kind(), payload.as_deref(), None, now)
}

fn keep_records(
    c: &mut dyn Conn,
    account: &Account,
    ticket: TicketId,
    contact: ContactId,
    records: &[Record],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut collected = Vec::new();
    for record in records {
        let kind = match record {
            Record::OptionChosen { .. } => "option_chosen",
            Record::AutoReply { .. } => "auto_reply",
            Record::FieldCollected { field, value } => {
                collected.push((field.clone(), value.clone()));
                "field_collected"
            }
            Record::Miss => "miss",
        };
        let detail = serde_json::to_string(record).unwrap_or_default();
        bot::record(c, account.id, ticket, kind, &detail, now)?;
    }
    if !collected.is_empty() {
        let mut fields = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
            &contacts::fields(c, contact)?,
        )
        .unwrap_or_default();
        for (field, value) in collected {
            fields.insert(field, serde_json::Value::String(value));
        }
        contacts::set_fields(c, contact, &serde_json::Value::Object(fields).to_string())?;
    }
    Ok(())
}
