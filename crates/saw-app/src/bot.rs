//! The chatbot at work: runs `saw_bot`'s state machine on a ticket still with the bot,
//! inside the inbound message's transaction, and turns what it decides into rows — replies
//! in the outbox, the state with the ticket, the ticket handed to a queue or resolved, the
//! contact's collected fields, and a record of each step for the metrics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use saw_bot::{BotState, Context, Flow, Input, Outcome, Record};
use saw_channels::inbound::InboundMessage;
use saw_core::account::Account;
use saw_core::channel::Channel;
use saw_core::conversation::MessageDirection;
use saw_core::ids::{ContactId, TicketId};
use saw_core::outbound::OutboundPayload;
use saw_store::repo::{bot, contacts, outbox, queues, tickets};
use saw_store::{Conn, StoreError};

use crate::events::{self, Event};

/// The flow that answers on the channel: its own, else the account's default, else the
/// built-in example (a stored flow that no longer parses is logged and replaced by it, so
/// customers are never left without an answer).
pub fn flow_for(
    c: &mut dyn Conn,
    account: &Account,
    channel: &Channel,
) -> Result<Flow, StoreError> {
    let mut flow = match bot::flow_for(c, account.id, channel.id)? {
        Some((name, yaml)) => Flow::from_yaml(&yaml).unwrap_or_else(|error| {
            tracing::warn!(flow = %name, %error, "the stored flow is invalid; using the example flow");
            Flow::example(account.language)
        }),
        None => Flow::example(account.language),
    };
    if let Some(greeting) = &account.conversations.greeting {
        flow.greeting = greeting.clone();
    }
    Ok(flow)
}

/// What the bot needs to know about this conversation.
fn context(
    c: &mut dyn Conn,
    account: &Account,
    ticket: TicketId,
    contact: ContactId,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Context, StoreError> {
    let default_queue = queues::default_queue(c, account.id)?
        .map(|q| q.name)
        .unwrap_or_default();
    let mut ctx = Context::new(
        account.name.clone(),
        tickets::protocol(c, ticket)?,
        default_queue,
        now,
    );
    ctx.contact_name = name
        .and_then(|n| n.split_whitespace().next())
        .map(str::to_owned);
    ctx.language = account.language;
    ctx.fields = serde_json::from_str::<BTreeMap<String, String>>(&contacts::fields(c, contact)?)
        .unwrap_or_default();
    Ok(ctx)
}

/// What the customer's message is to the bot: a tapped option, text, or something else.
fn input_of(message: &InboundMessage) -> Input {
    match (&message.interactive_reply, &message.text) {
        (Some(chosen), _) => Input::Choice(chosen.id.clone()),
        (None, Some(text)) => Input::Text(text.clone()),
        (None, None) => Input::Other,
    }
}

/// Runs one step of the bot on a ticket with it; on a new ticket the bot greets instead
/// of answering `message`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn converse(
    c: &mut dyn Conn,
    account: &Account,
    channel: &Channel,
    ticket: TicketId,
    contact: ContactId,
    message: &InboundMessage,
    new_ticket: bool,
    now: DateTime<Utc>,
    changes: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let flow = flow_for(c, account, channel)?;
    let ctx = context(
        c,
        account,
        ticket,
        contact,
        message.contact_name.as_deref(),
        now,
    )?;
    let stored = match new_ticket {
        true => None,
        false => {
            bot::state(c, ticket)?.and_then(|json| serde_json::from_str::<BotState>(&json).ok())
        }
    };
    let step = match stored {
        Some(state) => saw_bot::step(&flow, &state, &input_of(message), &ctx),
        None => saw_bot::start(&flow, &ctx),
    };
    for reply in &step.replies {
        let id = enqueue(c, channel, ticket, reply, now)?;
        changes.push(Event::MessageCreated {
            account_id: account.id,
            ticket_id: ticket,
            message_id: id,
            direction: MessageDirection::Outbound,
        });
    }
    keep_records(c, account, ticket, contact, &step.records, now)?;
    let state = step
        .state
        .as_ref()
        .and_then(|s| serde_json::to_string(s).ok());
    bot::set_state(c, ticket, state.as_deref())?;
    match step.outcome {
        Outcome::Continue => return Ok(()),
        Outcome::RouteToQueue { queue, reason } => {
            let target = match queues::by_name(c, account.id, &queue)? {
                Some(q) => Some(q.id),
                None => {
                    tracing::warn!(queue = %queue, "the flow names a queue that does not exist; using the default queue");
                    queues::default_queue(c, account.id)?.map(|q| q.id)
                }
            };
            tracing::debug!(ticket = %ticket, ?reason, "the bot hands the ticket to a queue");
            tickets::queue_from_bot(c, account.id, ticket, target, now)?;
        }
        Outcome::Resolved => tickets::resolve_by_bot(c, account.id, ticket, now)?,
        Outcome::OptedOut => {
            contacts::opt_out(c, contact)?;
            if step.state.is_none() {
                tickets::resolve_by_bot(c, account.id, ticket, now)?;
            }
        }
    }
    changes.push(events::ticket_changed(c, ticket)?);
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
