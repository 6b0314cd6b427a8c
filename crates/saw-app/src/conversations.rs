//! "Nova conversa": an agent writes first to a WhatsApp number, which WhatsApp allows only
//! with an approved template — and never to a contact who asked for no messages (SAIR).

use saw_core::conversation::{ChannelKind, TicketStatus};
use saw_core::ids::{ChannelId, TicketId};
use saw_core::outbound::{OutboundPayload, TemplatePayload};
use saw_core::phone::canonical_e164;
use saw_core::user::User;
use saw_store::now;
use saw_store::repo::{channels, contacts, queues, tickets};

use crate::events::{self, Event};
use crate::tickets::{Compose, Outgoing, Posted};
use crate::{App, AppError};

/// Who to write to, on which WhatsApp number, with which template.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub channel: ChannelId,
    pub phone: String,
    pub name: Option<String>,
    pub template: TemplatePayload,
}

/// Finds or creates the contact and their ticket (open and the user's) and sends the
/// template; answers the ticket and the message. A contact with a conversation under way
/// gets the template on that ticket.
pub async fn start(
    app: &App,
    user: &User,
    new: NewConversation,
) -> Result<(TicketId, Posted), AppError> {
    let phone = canonical_e164(&new.phone).ok_or(AppError::InvalidPhone)?;
    let name = new
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| saw_core::validation::display_name(n, crate::contacts::NAME_MAX))
        .transpose()?;
    let (account, author, channel_id) = (user.account_id, user.id, new.channel);
    let template = new.template.clone();
    let (ticket, changes) = app
        .store
        .write(move |c| {
            let channel = channels::by_id(c, account, channel_id)?.channel;
            if channel.kind != ChannelKind::WhatsApp || !channel.active {
                return Err(AppError::WhatsAppOnly);
            }
            crate::templates::check(c, channel_id, &template)?;
            let digits = phone.trim_start_matches('+').to_owned();
            let contact = contacts::upsert_seen(
                c,
                &contacts::SeenContact {
                    account_id: account,
                    family: ChannelKind::WhatsApp.as_str(),
                    external_id: &digits,
                    name: name.as_deref(),
                    phone: Some(&phone),
                    provider_user_id: None,
                },
                now(),
            )?;
            if contacts::opted_out(c, contact)? {
                return Err(AppError::ContactOptedOut);
            }
            let mut changes = Vec::new();
            let ticket = match tickets::open_for_contact(c, contact, channel_id)? {
                Some((ticket, _)) => ticket,
                None => {
                    let queue = queues::default_queue(c, account)?.map(|q| q.id);
                    let new_ticket = tickets::NewTicket {
                        account_id: account,
                        contact_id: contact,
                        channel_id,
                        queue_id: queue,
                        status: TicketStatus::Pending,
                    };
                    let (ticket, _) = tickets::insert(c, &new_ticket, now())?;
                    tickets::accept(c, account, ticket, author, now())?;
                    changes.push(Event::TicketCreated {
                        account_id: account,
                        ticket_id: ticket,
                    });
                    changes.push(events::ticket_changed(c, ticket)?);
                    ticket
                }
            };
            Ok((ticket, changes))
        })
        .await?;
    app.events.publish(changes);
    let outgoing = Outgoing {
        content: Compose::Payload(OutboundPayload::Template(new.template)),
        private: false,
        reply_to: None,
        idempotency_key: None,
    };
    let posted = crate::tickets::post_message(app, user, ticket, outgoing).await?;
    Ok((ticket, posted))
}
