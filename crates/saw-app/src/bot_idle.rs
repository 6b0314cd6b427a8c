//! Closing bot conversations the customer left: a ticket still with the bot and silent for
//! the account's idle time (`bot_idle_minutes`, 0 for never) gets the flow's polite
//! `idle_close` text and is resolved by the bot. Conversations with a queue or an agent are
//! never touched. A message arriving meanwhile wins: the close is a conditional update.

use std::time::Duration;

use saw_core::ids::TicketId;
use saw_core::outbound::OutboundPayload;
use saw_store::repo::{accounts, bot, channels, tickets};
use saw_store::{Conn, StoreError, now};

use crate::bot_config::BotConfig;
use crate::events::{self, Event};
use crate::{App, AppError};

/// How often the tickets are looked at.
const SCAN: Duration = Duration::from_secs(2);
/// Tickets closed per account and round at most.
const BATCH: i64 = 100;

/// Runs in the background until the task is aborted (at shutdown nothing is lost: a round
/// is one transaction).
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = close_idle(&app).await {
                tracing::warn!(%error, "closing idle bot conversations failed");
            }
            tokio::time::sleep(SCAN).await;
        }
    })
}

/// One round: closes every idle bot conversation; answers how many. Candidates are read
/// first, so a quiet round writes nothing.
pub async fn close_idle(app: &App) -> Result<usize, AppError> {
    let found = app
        .store
        .read(|c| {
            let Some(account) = accounts::first(c)? else {
                return Ok::<_, AppError>(None);
            };
            let minutes = account.conversations.bot_idle_minutes;
            if minutes <= 0 {
                return Ok(None);
            }
            let cutoff = now() - chrono::Duration::minutes(minutes);
            let idle = tickets::idle_with_bot(c, account.id, cutoff, BATCH)?;
            Ok((!idle.is_empty()).then_some((account, cutoff, idle)))
        })
        .await?;
    let Some((account, cutoff, idle)) = found else {
        return Ok(0);
    };
    let configs = app.bot_configs.clone();
    let (closed, changes) = app
        .store
        .write(move |c| {
            let (at, mut changes, mut closed) = (now(), Vec::new(), 0);
            let config = configs.current(c, account.id)?;
            for ticket in idle {
                if close(c, &config, ticket, cutoff, at, &mut changes)? {
                    closed += 1;
                }
            }
            Ok::<_, AppError>((closed, changes))
        })
        .await?;
    if closed > 0 {
        tracing::info!(closed, "bot conversations closed for want of an answer");
    }
    app.events.publish(changes);
    Ok(closed)
}

fn close(
    c: &mut dyn Conn,
    config: &BotConfig,
    ticket: TicketId,
    cutoff: chrono::DateTime<chrono::Utc>,
    at: chrono::DateTime<chrono::Utc>,
    changes: &mut Vec<Event>,
) -> Result<bool, StoreError> {
    let account = &config.account;
    if !tickets::resolve_idle(c, account.id, ticket, cutoff, at)? {
        return Ok(false);
    }
    let (channel, _) = tickets::channel_and_contact(c, ticket)?;
    let channel = channels::by_id(c, account.id, channel)?.channel;
    let flow = crate::bot::flow_of_ticket(c, config, &channel, ticket)?;
    let goodbye = OutboundPayload::Text {
        body: flow.texts.idle_close.clone(),
    };
    if channel.active {
        crate::bot::send(c, &channel, ticket, &goodbye, at, changes)?;
    }
    bot::record(c, account.id, ticket, "idle_closed", "{}", at)?;
    changes.push(events::ticket_changed(c, ticket)?);
    Ok(true)
}
