//! The satisfaction question (CSAT): when the account wants it, a ticket resolved by an
//! agent or by the bot (the customer needed nothing more) asks the customer for a rating
//! from 1 to 5. The customer's next message, when it is a rating, is recorded with that
//! ticket and thanked; it neither reopens the ticket nor opens a new one.

use chrono::{DateTime, Duration, Utc};
use saw_bot::csat;
use saw_bot::template::{Vars, render};
use saw_channels::inbound::InboundMessage;
use saw_core::account::Account;
use saw_core::channel::Channel;
use saw_core::ids::{ContactId, TicketId};
use saw_core::outbound::OutboundPayload;
use saw_store::repo::{bot, contacts, csat as csat_rows, tickets};
use saw_store::{Conn, StoreError};

use crate::bot_config::BotConfig;
use crate::events::Event;

/// How long after the question a rating is still taken as its answer.
pub const ANSWER_WINDOW: Duration = Duration::hours(24);

/// Asks the question on a ticket just resolved, when the account wants it.
pub(crate) fn ask(
    c: &mut dyn Conn,
    config: &BotConfig,
    channel: &Channel,
    ticket: TicketId,
    contact: ContactId,
    at: DateTime<Utc>,
    changes: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let account = &config.account;
    if !account.conversations.csat || contacts::opted_out(c, contact)? {
        return Ok(());
    }
    let flow = crate::bot::flow_of_ticket(c, config, channel, ticket)?;
    let mut vars = Vars::new();
    vars.insert("protocolo".into(), tickets::protocol(c, ticket)?);
    vars.insert("empresa".into(), account.name.clone());
    let text = render(&flow.texts.csat_question, &vars);
    let question = csat::question(&text, account.language);
    crate::bot::send(c, channel, ticket, &question, at, changes)?;
    csat_rows::mark_asked(c, ticket, at)
}

/// When `message` rates the customer's last resolved ticket that asked for it, records the
/// rating and answers that ticket (the message is stored there; [`thank`] follows it).
pub(crate) fn take_rating(
    c: &mut dyn Conn,
    account: &Account,
    channel: &Channel,
    contact: ContactId,
    message: &InboundMessage,
    at: DateTime<Utc>,
) -> Result<Option<TicketId>, StoreError> {
    let Some(rating) = csat::rating(&crate::bot::input_of(message)) else {
        return Ok(None);
    };
    let Some(ticket) = csat_rows::awaiting_answer(c, contact, channel.id, at - ANSWER_WINDOW)?
    else {
        return Ok(None);
    };
    if !csat_rows::record(c, ticket, rating, at)? {
        return Ok(None);
    }
    let detail = serde_json::json!({ "rating": rating }).to_string();
    bot::record(c, account.id, ticket, "csat", &detail, at)?;
    Ok(Some(ticket))
}

/// Thanks the customer for the rating [`take_rating`] recorded.
pub(crate) fn thank(
    c: &mut dyn Conn,
    config: &BotConfig,
    channel: &Channel,
    ticket: TicketId,
    at: DateTime<Utc>,
    changes: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let flow = crate::bot::flow_of_ticket(c, config, channel, ticket)?;
    let thanks = OutboundPayload::Text {
        body: flow.texts.csat_thanks.clone(),
    };
    crate::bot::send(c, channel, ticket, &thanks, at, changes)
}
