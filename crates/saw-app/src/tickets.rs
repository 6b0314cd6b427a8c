//! Tickets as people and scripts read them, scoped the same way everywhere: supervisors and
//! admins see their whole account, agents their queues' tickets and those assigned to them.

use std::collections::HashMap;

use saw_core::conversation::{
    ChannelKind, DeliveryStatus, MessageDirection, MessageKind, TicketEventKind, TicketStatus,
};
use saw_core::ids::{AccountId, MessageId, QueueId, TicketId, UserId};
use saw_core::outbound::OutboundPayload;
use saw_core::user::User;
use saw_core::validation::{ValidationError, message_text};
use saw_store::now;
use saw_store::repo::messages::{self, MessageRow};
use saw_store::repo::tickets::{self, TicketRow, Visibility};
use saw_store::repo::{audit, channels, outbox};

use crate::events::{self, Event};
use crate::{App, AppError};

pub const MAX_PAGE: i64 = 500;

pub(crate) fn visibility(user: &User) -> Visibility {
    if user.role.sees_all_queues() {
        Visibility::Account
    } else {
        Visibility::Agent(user.id)
    }
}

/// One page of the tickets `user` may see, in a stable order; answers the page and the
/// cursor of the next one (`None` at the end).
pub async fn page(
    app: &App,
    user: &User,
    status: Option<TicketStatus>,
    cursor: Option<i64>,
    limit: i64,
) -> Result<(Vec<TicketRow>, Option<i64>), AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    let after = cursor.unwrap_or(0);
    // One more than asked tells whether another page follows.
    let mut rows = app
        .store
        .read(move |c| tickets::page(c, account, status, visibility, after, limit + 1))
        .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|t| t.id.get())
    } else {
        None
    };
    Ok((rows, next))
}

/// Whether `user` may see the ticket now (a store error counts as no).
pub async fn may_see(app: &App, user: &User, id: TicketId) -> bool {
    let (account, visibility) = (user.account_id, visibility(user));
    app.store
        .read(move |c| tickets::visible(c, account, id, visibility))
        .await
        .is_ok()
}

/// One ticket `user` may see; [`AppError::NotFound`] otherwise.
pub async fn one(app: &App, user: &User, id: TicketId) -> Result<TicketRow, AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    Ok(app
        .store
        .read(move |c| tickets::visible(c, account, id, visibility))
        .await?)
}

/// Who may see a ticket: whoever sees every queue, its agent, and its queue's members —
/// the rule of [`visibility`], for deciding in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    pub queue: Option<QueueId>,
    pub assignee: Option<UserId>,
}

impl Audience {
    pub fn of(row: &TicketRow) -> Audience {
        Audience {
            queue: row.queue.as_ref().map(|(id, _)| *id),
            assignee: row.assignee.as_ref().map(|(id, _)| *id),
        }
    }

    /// Whether `user`, a member of `queues`, may see the ticket.
    pub fn admits(&self, user: &User, queues: &[QueueId]) -> bool {
        user.role.sees_all_queues()
            || self.assignee == Some(user.id)
            || self.queue.is_some_and(|q| queues.contains(&q))
    }
}

/// A row a live event shows, to read once for every reader (the live stream decides who
/// may see it with [`Audience`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Ticket(AccountId, TicketId),
    Message(AccountId, TicketId, MessageId),
}

/// What a [`Shown`] reads as.
pub enum ShownRow {
    Ticket(TicketRow),
    Message(MessageRow, Audience),
}

/// Reads the rows several live events show, in ONE read; `None` where a row is gone (or a
/// message is not of the ticket named).
pub async fn shown_rows(app: &App, wanted: Vec<Shown>) -> Result<Vec<Option<ShownRow>>, AppError> {
    app.store
        .read(move |c| {
            // A burst's events are mostly about a few tickets (the customer's message, the
            // bot's replies, the hand-over): each is read once for them all.
            let mut read = HashMap::new();
            let mut rows = Vec::with_capacity(wanted.len());
            for shown in wanted {
                rows.push(match shown {
                    Shown::Ticket(account, id) => ticket_once(c, &mut read, account, id)
                        .cloned()
                        .map(ShownRow::Ticket),
                    Shown::Message(account, ticket_id, id) => {
                        let audience =
                            ticket_once(c, &mut read, account, ticket_id).map(Audience::of);
                        let message = messages::by_id(c, account, id).ok();
                        match (audience, message) {
                            (Some(audience), Some(message)) if message.ticket_id == ticket_id => {
                                Some(ShownRow::Message(message, audience))
                            }
                            _ => None,
                        }
                    }
                });
            }
            Ok::<_, AppError>(rows)
        })
        .await
}

/// The ticket row, read only the first time it is asked for.
fn ticket_once<'r>(
    c: &mut dyn saw_store::Conn,
    read: &'r mut HashMap<TicketId, Option<TicketRow>>,
    account: AccountId,
    id: TicketId,
) -> Option<&'r TicketRow> {
    read.entry(id)
        .or_insert_with(|| tickets::visible(c, account, id, Visibility::Account).ok())
        .as_ref()
}

/// One message of a ticket `user` may see; [`AppError::NotFound`] otherwise.
pub async fn message(
    app: &App,
    user: &User,
    ticket: TicketId,
    id: MessageId,
) -> Result<MessageRow, AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    app.store
        .read(move |c| {
            tickets::visible(c, account, ticket, visibility)?;
            let row = messages::by_id(c, account, id)?;
            match row.ticket_id == ticket {
                true => Ok(row),
                false => Err(AppError::NotFound),
            }
        })
        .await
}

/// A ticket's messages, oldest first; [`AppError::NotFound`] when `user` may not see it.
pub async fn messages(
    app: &App,
    user: &User,
    id: TicketId,
) -> Result<(TicketRow, Vec<MessageRow>), AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    app.store
        .read(move |c| {
            let ticket = tickets::visible(c, account, id, visibility)?;
            let list = messages::of_ticket(c, account, id)?;
            Ok((ticket, list))
        })
        .await
}

/// What a user sends: plain text, or a menu or template (the API's `menu`/`template`).
#[derive(Debug, Clone)]
pub enum Compose {
    Text(String),
    Payload(OutboundPayload),
    /// A file already written to the media store ([`crate::media::receive_upload`]).
    File(crate::media::Upload),
}

impl Compose {
    /// The text the conversation shows and, for more than text, the payload to send; notes
    /// are text only.
    fn checked(self, private: bool) -> Result<(String, Option<OutboundPayload>), AppError> {
        match self {
            Compose::Text(text) | Compose::Payload(OutboundPayload::Text { body: text }) => {
                Ok((message_text(&text)?, None))
            }
            Compose::Payload(_) if private => {
                Err(AppError::Unsendable("a private note is text only".into()))
            }
            Compose::Payload(OutboundPayload::Menu(menu)) => {
                menu.validate()?;
                Ok((menu.body.clone(), Some(OutboundPayload::Menu(menu))))
            }
            Compose::Payload(OutboundPayload::Template(t)) => {
                if t.name.trim().is_empty() || t.language.trim().is_empty() {
                    return Err(AppError::Unsendable(
                        "a template needs its name and language (e.g. pt_BR)".into(),
                    ));
                }
                let mut shown = format!("[{}]", t.name);
                if !t.body_params.is_empty() {
                    shown.push(' ');
                    shown.push_str(&t.body_params.join(" · "));
                }
                Ok((shown, Some(OutboundPayload::Template(t))))
            }
            Compose::Payload(OutboundPayload::Media(_)) => Err(AppError::Unsendable(
                "send the file itself (multipart/form-data), not a media payload".into(),
            )),
            Compose::File(_) if private => {
                Err(AppError::Unsendable("a private note is text only".into()))
            }
            Compose::File(mut upload) => {
                upload.caption = upload
                    .caption
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty());
                if upload
                    .caption
                    .as_ref()
                    .is_some_and(|c| c.chars().count() > crate::media::CAPTION_MAX)
                {
                    return Err(AppError::Unsendable(format!(
                        "a caption has at most {} characters",
                        crate::media::CAPTION_MAX
                    )));
                }
                let shown = upload
                    .caption
                    .clone()
                    .or_else(|| upload.filename.clone())
                    .unwrap_or_default();
                Ok((shown, Some(OutboundPayload::Media(upload.payload()))))
            }
        }
    }
}

/// What a person writes on a ticket: the content, whether it is a private note, the
/// customer's (or a sent) message it answers (quoted on WhatsApp and Telegram), and an
/// idempotency key.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub content: Compose,
    pub private: bool,
    pub reply_to: Option<MessageId>,
    pub idempotency_key: Option<String>,
}

impl Outgoing {
    /// A public text reply, quoting nothing.
    pub fn text(text: String) -> Self {
        Self {
            content: Compose::Text(text),
            private: false,
            reply_to: None,
            idempotency_key: None,
        }
    }
}

/// What [`post_message`] stored, and whether it is the answer to an earlier call with the
/// same idempotency key.
pub struct Posted {
    pub message: MessageRow,
    pub replayed: bool,
}

/// A reply written by `user` on a ticket they may see: queued in the outbox, or with
/// `private` a note that is never sent. A public reply takes a ticket still with the bot or
/// pending (it becomes open and theirs); on WhatsApp it is refused once the customer's
/// 24-hour window has closed. With an idempotency key, a repeated call answers the
/// first result instead of sending again.
pub async fn post_message(
    app: &App,
    user: &User,
    id: TicketId,
    outgoing: Outgoing,
) -> Result<Posted, AppError> {
    let Outgoing {
        content,
        private,
        reply_to,
        idempotency_key,
    } = outgoing;
    let file = match &content {
        Compose::File(upload) => Some(upload.clone()),
        _ => None,
    };
    let (text, payload) = content.checked(private)?;
    if let Some(key) = &idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(AppError::Invalid(ValidationError::InvalidSecret(
            "Idempotency-Key",
        )));
    }
    let (account, visibility, author) = (user.account_id, visibility(user), user.id);
    app.store
        .write(move |c| {
            if let Some(key) = &idempotency_key
                && let Some((ticket, message)) = messages::by_idempotency_key(c, author, key)?
            {
                if ticket != id {
                    return Err(AppError::IdempotencyKeyReused);
                }
                return Ok((
                    Posted {
                        message: messages::by_id(c, account, message)?,
                        replayed: true,
                    },
                    Vec::new(),
                ));
            }
            let ticket = tickets::visible(c, account, id, visibility)?;
            if ticket.status == TicketStatus::Resolved {
                return Err(AppError::TicketResolved);
            }
            if let Some(quoted) = reply_to {
                let quoted =
                    messages::by_id(c, account, quoted).map_err(|_| AppError::UnknownReplyTo)?;
                if quoted.ticket_id != id || quoted.is_note {
                    return Err(AppError::UnknownReplyTo);
                }
            }
            let at = now();
            let mut changes = Vec::new();
            let message = if private {
                messages::insert_note(c, account, id, ticket.channel_id, author, &text, at)?
            } else {
                let whatsapp = ticket.channel_kind == ChannelKind::WhatsApp.as_str();
                match &payload {
                    Some(OutboundPayload::Template(template)) => {
                        if !whatsapp {
                            return Err(AppError::WhatsAppOnly);
                        }
                        crate::templates::check(c, ticket.channel_id, template)?;
                    }
                    _ if whatsapp => check_window(c, id, at)?,
                    _ => {}
                }
                let new = outbox::NewOutbound {
                    account_id: account,
                    ticket_id: id,
                    channel_id: ticket.channel_id,
                    body: &text,
                    author: Some(author),
                };
                let message = match &payload {
                    None => outbox::enqueue(c, &new, MessageKind::Text, None, reply_to, at)?,
                    Some(payload) => {
                        let json = serde_json::to_string(payload).map_err(|e| {
                            AppError::Unsendable(format!("the message cannot be stored: {e}"))
                        })?;
                        let message = outbox::enqueue(
                            c,
                            &new,
                            payload.message_kind(),
                            Some(&json),
                            reply_to,
                            at,
                        )?;
                        if let Some(file) = &file {
                            outbox::attach_file(
                                c,
                                message,
                                &file.saved.name,
                                &file.mime_type,
                                file.saved.size as i64,
                                file.filename.as_deref(),
                            )?;
                        }
                        message
                    }
                };
                tickets::mark_agent_reply(c, id, author, at)?;
                if tickets::take_on_reply(c, account, id, author, at)? {
                    changes.push(events::ticket_changed(c, id)?);
                }
                message
            };
            changes.push(Event::MessageCreated {
                account_id: account,
                ticket_id: id,
                message_id: message,
                direction: MessageDirection::Outbound,
            });
            if let Some(key) = &idempotency_key {
                messages::remember_idempotency_key(c, author, key, id, message, at)?;
            }
            Ok((
                Posted {
                    message: messages::by_id(c, account, message)?,
                    replayed: false,
                },
                changes,
            ))
        })
        .await
        .map(|(posted, changes)| {
            app.events.publish(changes);
            posted
        })
}

/// Sends a failed outbound message again (the agent's retry button): it goes back to the
/// outbox with its attempts counted afresh. Refused unless it failed, on a resolved ticket,
/// and on WhatsApp once the customer's window has closed (templates excepted).
pub async fn retry_message(
    app: &App,
    user: &User,
    id: TicketId,
    message: MessageId,
) -> Result<MessageRow, AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    let (row, changes) = app
        .store
        .write(move |c| {
            let ticket = tickets::visible(c, account, id, visibility)?;
            let row = messages::by_id(c, account, message)?;
            if row.ticket_id != id || row.direction != MessageDirection::Outbound || row.is_note {
                return Err(AppError::NotFound);
            }
            if row.status != DeliveryStatus::Failed {
                return Err(AppError::NotFailed(row.status.as_str().to_owned()));
            }
            if ticket.status == TicketStatus::Resolved {
                return Err(AppError::TicketResolved);
            }
            let at = now();
            let whatsapp = ticket.channel_kind == ChannelKind::WhatsApp.as_str();
            if whatsapp && row.kind != MessageKind::Template {
                check_window(c, id, at)?;
            }
            if !outbox::requeue_failed(c, id, message, at)? {
                return Err(AppError::NotFailed(row.status.as_str().to_owned()));
            }
            let change = Event::MessageStatus {
                account_id: account,
                ticket_id: id,
                message_id: message,
                status: DeliveryStatus::Queued,
            };
            Ok((messages::by_id(c, account, message)?, vec![change]))
        })
        .await?;
    app.events.publish(changes);
    Ok(row)
}

/// What a person's state change on a ticket needs after the conditional update: the
/// account as the bot sees it, the ticket's channel and its row as it was.
struct Changed<'a> {
    config: &'a crate::bot_config::BotConfig,
    channel: &'a saw_core::channel::Channel,
    ticket: &'a TicketRow,
    at: chrono::DateTime<chrono::Utc>,
}

/// The conditional update of a [`Transition`]: `Ok(false)` when the ticket was not in a
/// state it applies to.
type Change = Box<
    dyn FnOnce(
            &mut dyn saw_store::Conn,
            AccountId,
            TicketId,
            UserId,
            chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, AppError>
        + Send,
>;
type Then =
    fn(&mut dyn saw_store::Conn, Changed<'_>, &mut Vec<Event>) -> Result<(), saw_store::StoreError>;

/// A race-safe state change a person makes on a ticket: `change` is the conditional update
/// (`false`: refused with `refusal`), `then` what follows it (messages to the customer).
struct Transition {
    action: &'static str,
    refusal: fn() -> AppError,
    change: Change,
    then: Then,
}

/// A conditional update of the store (`false`: the ticket was not in a state it applies to).
type StoreUpdate = fn(
    &mut dyn saw_store::Conn,
    AccountId,
    TicketId,
    UserId,
    chrono::DateTime<chrono::Utc>,
) -> Result<bool, saw_store::StoreError>;

/// A store update as a [`Change`].
fn conditional(update: StoreUpdate) -> Change {
    Box::new(move |c, account, id, user, at| Ok(update(c, account, id, user, at)?))
}

/// Runs `t` by `user` on a ticket they may see, in one transaction with its audit entry;
/// answers the ticket as it is now (also when it left the user's queues: they moved it).
async fn transition(
    app: &App,
    actor: &crate::Actor,
    user: &User,
    id: TicketId,
    t: Transition,
) -> Result<TicketRow, AppError> {
    let (account, visibility, author) = (user.account_id, visibility(user), user.id);
    let entry = actor.audit(account, t.action, format!("ticket {id}"));
    let configs = app.bot_configs.clone();
    let (row, changes) = app
        .store
        .write(move |c| {
            let ticket = tickets::visible(c, account, id, visibility)?;
            let at = now();
            if !(t.change)(c, account, id, author, at)? {
                return Err((t.refusal)());
            }
            let mut changes = vec![events::ticket_changed(c, id)?];
            let config = configs.current(c, account)?;
            let channel = channels::by_id(c, account, ticket.channel_id)?.channel;
            let changed = Changed {
                config: &config,
                channel: &channel,
                ticket: &ticket,
                at,
            };
            (t.then)(c, changed, &mut changes)?;
            audit::record(c, &entry, at)?;
            Ok((
                tickets::visible(c, account, id, Visibility::Account)?,
                changes,
            ))
        })
        .await?;
    app.events.publish(changes);
    Ok(row)
}

/// What a person does to a ticket as a whole (the API's `accept`, `resolve`, `reopen`,
/// `return-to-bot`, `transfer`), each a race-safe [`Transition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// A pending ticket becomes open and theirs. When two accept at once exactly one wins;
    /// the other gets [`AppError::NotPending`].
    Accept,
    /// The ticket leaves every inbox, its history records who resolved it, and the customer
    /// gets the satisfaction question when the account asks it; [`AppError::AlreadyResolved`]
    /// when it was resolved already (by someone else meanwhile). The optional reason is kept
    /// in the history and shown to the team as a private note.
    Resolve { reason: Option<String> },
    /// A resolved ticket is open again and theirs; [`AppError::NotResolved`] when it is not
    /// resolved, [`AppError::OtherTicketOpen`] when the customer has another ticket under way
    /// on the channel.
    Reopen,
    /// A pending or open ticket goes back to the bot, which greets the customer and shows
    /// its first menu again; [`AppError::NotWithPeople`] when it is with the bot or resolved.
    ReturnToBot,
    /// To a queue (pending there), to a person (open and theirs), or both, with an optional
    /// note kept in the history and shown to the team as a private note.
    Transfer(Transfer),
}

/// Where [`TicketAction::Transfer`] sends a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transfer {
    pub queue: Option<QueueId>,
    pub user: Option<UserId>,
    pub note: Option<String>,
}

/// The longest transfer note or resolution reason.
pub const TRANSFER_NOTE_MAX: usize = 1000;

/// A transfer note or resolution reason as typed: trimmed, `None` when blank, refused when
/// too long.
fn checked_note(note: Option<&str>) -> Result<Option<&str>, AppError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > TRANSFER_NOTE_MAX) {
        return Err(AppError::Invalid(ValidationError::NoteTooLong {
            max: TRANSFER_NOTE_MAX,
        }));
    }
    Ok(note)
}

impl TicketAction {
    fn transition(self) -> Transition {
        match self {
            TicketAction::Accept => Transition {
                action: "ticket.accepted",
                refusal: || AppError::NotPending,
                change: conditional(tickets::accept),
                then: |_, _, _| Ok(()),
            },
            TicketAction::Resolve { reason } => Transition {
                action: "ticket.resolved",
                refusal: || AppError::AlreadyResolved,
                change: Box::new(move |c, account, id, user, at| {
                    let reason = checked_note(reason.as_deref())?;
                    if !tickets::resolve_by_user(c, account, id, user, at)? {
                        return Ok(false);
                    }
                    if let Some(reason) = reason {
                        tickets::note_last_event(c, id, TicketEventKind::Resolved, reason)?;
                        let channel = tickets::channel_and_contact(c, id)?.0;
                        messages::insert_note(c, account, id, channel, user, reason, at)?;
                    }
                    Ok(true)
                }),
                then: |c, done, changes| match done.channel.active {
                    true => crate::csat::ask(
                        c,
                        done.config,
                        done.channel,
                        done.ticket.id,
                        done.ticket.contact_id,
                        done.at,
                        changes,
                    ),
                    false => Ok(()),
                },
            },
            TicketAction::Reopen => Transition {
                action: "ticket.reopened",
                refusal: || AppError::NotResolved,
                change: Box::new(|c, account, id, user, at| {
                    let (channel, contact) = tickets::channel_and_contact(c, id)?;
                    if let Some((other, _)) = tickets::open_for_contact(c, contact, channel)?
                        && other != id
                    {
                        return Err(AppError::OtherTicketOpen(other));
                    }
                    Ok(tickets::reopen_by_user(c, account, id, user, at)?)
                }),
                then: |_, _, _| Ok(()),
            },
            TicketAction::ReturnToBot => Transition {
                action: "ticket.returned_to_bot",
                refusal: || AppError::NotWithPeople,
                change: conditional(tickets::return_to_bot),
                then: |c, done, changes| {
                    crate::bot::converse(
                        c,
                        done.config,
                        done.channel,
                        done.ticket.id,
                        done.ticket.contact_id,
                        crate::bot::Turn::Restart,
                        done.at,
                        changes,
                    )
                },
            },
            TicketAction::Transfer(to) => Transition {
                action: "ticket.transferred",
                refusal: || AppError::TransferResolved,
                change: Box::new(move |c, account, id, user, at| {
                    transfer(c, account, id, user, to, at)
                }),
                then: |_, _, _| Ok(()),
            },
        }
    }
}

/// The checks and the update of a transfer: the queue and the person exist in the account,
/// the person is active, and the note (kept as a private note too) is not too long.
fn transfer(
    c: &mut dyn saw_store::Conn,
    account: AccountId,
    id: TicketId,
    actor: UserId,
    to: Transfer,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, AppError> {
    if to.queue.is_none() && to.user.is_none() {
        return Err(AppError::NoTransferTarget);
    }
    let note = checked_note(to.note.as_deref())?;
    if let Some(queue) = to.queue {
        saw_store::repo::queues::by_id(c, account, queue)
            .map_err(|_| AppError::UnknownQueue(queue.to_string()))?;
    }
    if let Some(user) = to.user {
        match saw_store::repo::users::by_id(c, account, user) {
            Ok(u) if u.active => {}
            _ => return Err(AppError::UnknownUser(user.to_string())),
        }
    }
    let target = tickets::TransferTarget {
        queue: to.queue,
        user: to.user,
        note,
    };
    if !tickets::transfer(c, account, id, actor, target, at)? {
        return Ok(false);
    }
    if let Some(note) = note {
        let channel = tickets::channel_and_contact(c, id)?.0;
        messages::insert_note(c, account, id, channel, actor, note, at)?;
    }
    Ok(true)
}

/// `user` does `action` to a ticket they may see; answers the ticket as it is now.
pub async fn act(
    app: &App,
    actor: &crate::Actor,
    user: &User,
    id: TicketId,
    action: TicketAction,
) -> Result<TicketRow, AppError> {
    transition(app, actor, user, id, action.transition()).await
}

/// [`AppError::WindowClosed`] once the customer's 24-hour window is over at `at`.
fn check_window(
    c: &mut dyn saw_store::Conn,
    ticket: TicketId,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    match window_open(tickets::last_inbound_at(c, ticket)?, at) {
        true => Ok(()),
        false => Err(AppError::WindowClosed),
    }
}

/// WhatsApp's customer-service window: free-form messages only within 24 hours of the
/// customer's last message (protocols.md A10).
pub const SERVICE_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// Whether a free-form message may still go at `at`, the customer having last written at
/// `last_inbound`.
pub fn window_open(
    last_inbound: Option<chrono::DateTime<chrono::Utc>>,
    at: chrono::DateTime<chrono::Utc>,
) -> bool {
    last_inbound.is_some_and(|last| at - last < SERVICE_WINDOW)
}
