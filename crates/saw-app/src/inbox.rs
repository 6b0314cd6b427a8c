//! What the agents' inbox reads: a tab a page at a time, one conversation (its last
//! messages, the contact and their earlier tickets), and what each person has read.

use saw_core::conversation::ChannelKind;
use saw_core::ids::{MessageId, TicketId};
use saw_core::user::User;
use saw_store::repo::contacts::{self, ContactCard};
use saw_store::repo::inbox::{self, Cursor, Filter, InboxRow, Tab};
use saw_store::repo::messages::{self, MessageRow};
use saw_store::repo::templates::{self, Template};
use saw_store::repo::tickets::{self, TicketRow};

use crate::tickets::visibility;
use crate::{App, AppError};

/// How many tickets a page of a tab has.
pub const PAGE: i64 = 50;
/// How many messages a conversation shows at first, and per "older messages" step.
pub const MESSAGES_PAGE: i64 = 100;

/// A page of one tab, the cursor of the next page, and the counters of the tabs.
pub struct TabPage {
    pub rows: Vec<InboxRow>,
    pub next: Option<Cursor>,
    pub pending: i64,
    pub mine: i64,
}

pub async fn tab(
    app: &App,
    user: &User,
    tab: Tab,
    filter: Filter,
    after: Option<Cursor>,
) -> Result<TabPage, AppError> {
    let (account, visibility, viewer) = (user.account_id, visibility(user), user.id);
    app.store
        .read(move |c| {
            let mut rows = inbox::page(
                c,
                account,
                visibility,
                viewer,
                tab,
                &filter,
                after,
                PAGE + 1,
            )?;
            let next = if rows.len() as i64 > PAGE {
                rows.truncate(PAGE as usize);
                rows.last().map(|r| r.cursor)
            } else {
                None
            };
            let (pending, mine) = inbox::counts(c, account, visibility, viewer)?;
            Ok(TabPage {
                rows,
                next,
                pending,
                mine,
            })
        })
        .await
}

/// One conversation as an agent reads it.
pub struct Conversation {
    pub ticket: TicketRow,
    /// The last messages (before `before`), oldest first.
    pub messages: Vec<MessageRow>,
    /// Where the older messages start, when there are more.
    pub older: Option<MessageId>,
    pub contact: ContactCard,
    pub contact_tags: Vec<saw_store::repo::tags::Tag>,
    /// The contact's other tickets on every channel, newest first.
    pub history: Vec<TicketRow>,
    /// WhatsApp's 24-hour window is closed: only an approved template can go.
    pub needs_template: bool,
    /// The channel's approved templates (WhatsApp).
    pub templates: Vec<Template>,
}

/// A WhatsApp channel's approved templates.
pub fn approved(
    c: &mut dyn saw_store::Conn,
    channel: saw_core::ids::ChannelId,
) -> Result<Vec<Template>, saw_store::StoreError> {
    Ok(templates::of_channel(c, channel)?
        .into_iter()
        .filter(|t| t.status == "APPROVED")
        .collect())
}

/// The account's active WhatsApp channels and their approved templates (for "Nova conversa").
pub async fn template_channels(
    app: &App,
    user: &User,
) -> Result<Vec<(saw_core::channel::Channel, Vec<Template>)>, AppError> {
    let account = user.account_id;
    app.store
        .read(move |c| {
            let mut out = Vec::new();
            for stored in saw_store::repo::channels::list(c, account)? {
                let channel = stored.channel;
                if channel.kind == ChannelKind::WhatsApp && channel.active {
                    let list = approved(c, channel.id)?;
                    out.push((channel, list));
                }
            }
            Ok(out)
        })
        .await
}

/// Reads a conversation `user` may see; showing its latest messages marks them read.
pub async fn conversation(
    app: &App,
    user: &User,
    id: TicketId,
    before: Option<MessageId>,
) -> Result<Conversation, AppError> {
    let (account, visibility, viewer) = (user.account_id, visibility(user), user.id);
    app.store
        .write(move |c| {
            let ticket = tickets::visible(c, account, id, visibility)?;
            let mut list = messages::of_ticket_before(c, account, id, before, MESSAGES_PAGE + 1)?;
            let older = if list.len() as i64 > MESSAGES_PAGE {
                list.remove(0);
                list.first().map(|m| m.id)
            } else {
                None
            };
            if before.is_none()
                && let Some(last) = list.last()
            {
                inbox::mark_read(c, viewer, id, last.id)?;
            }
            let contact = contacts::card(c, account, ticket.contact_id)?;
            let contact_tags = saw_store::repo::tags::of(
                c,
                saw_store::repo::tags::Tagged::Contact(ticket.contact_id),
            )?;
            let history = tickets::of_contact(c, account, ticket.contact_id, visibility, 20)?
                .into_iter()
                .filter(|t| t.id != id)
                .collect();
            let whatsapp = ticket.channel_kind == ChannelKind::WhatsApp.as_str();
            let needs_template = whatsapp
                && ticket.status != saw_core::conversation::TicketStatus::Resolved
                && !crate::tickets::window_open(tickets::last_inbound_at(c, id)?, saw_store::now());
            let templates = match whatsapp {
                true => approved(c, ticket.channel_id)?,
                false => Vec::new(),
            };
            Ok(Conversation {
                ticket,
                messages: list,
                older,
                contact,
                contact_tags,
                history,
                needs_template,
                templates,
            })
        })
        .await
}
