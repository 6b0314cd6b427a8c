//! Contacts as people read and edit them. An agent reaches a contact through a ticket they
//! may see; supervisors and admins reach every contact of the account.

use saw_core::ids::ContactId;
use saw_core::user::User;
use saw_core::validation::{ValidationError, display_name};
use saw_store::now;
use saw_store::repo::audit;
use saw_store::repo::contacts::{self, ContactCard, ContactEdit};
use saw_store::repo::tickets::{self, TicketRow};

use crate::tickets::visibility;
use crate::{App, AppError};

/// The longest contact name and free notes.
pub const NAME_MAX: usize = 120;
pub const NOTES_MAX: usize = 4000;

/// A contact and their tickets that `user` may see, newest first.
pub async fn get(
    app: &App,
    user: &User,
    id: ContactId,
) -> Result<(ContactCard, Vec<TicketRow>), AppError> {
    let (account, visibility) = (user.account_id, visibility(user));
    let sees_all = user.role.sees_all_queues();
    app.store
        .read(move |c| {
            let card = contacts::card(c, account, id)?;
            let tickets = tickets::of_contact(c, account, id, visibility, 100)?;
            if tickets.is_empty() && !sees_all {
                return Err(AppError::NotFound);
            }
            Ok((card, tickets))
        })
        .await
}

/// Saves what a person changed on a contact they may see: a name (blank keeps the one the
/// provider gives), free notes, the opt-out flag and the bot's fields (a JSON object).
pub async fn edit(
    app: &App,
    actor: &crate::Actor,
    user: &User,
    id: ContactId,
    edit: ContactEdit<'_>,
) -> Result<(), AppError> {
    get(app, user, id).await?;
    let name = match edit.name.map(str::trim) {
        Some("") | None => None,
        Some(name) => Some(display_name(name, NAME_MAX)?),
    };
    let notes = edit.notes.map(|n| n.trim().to_owned());
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTES_MAX)
    {
        return Err(AppError::Invalid(ValidationError::NoteTooLong {
            max: NOTES_MAX,
        }));
    }
    let fields = match edit.fields {
        None => None,
        Some(raw) => match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(v @ serde_json::Value::Object(_)) => Some(v.to_string()),
            _ => {
                return Err(AppError::Malformed(
                    "fields must be a JSON object such as {\"cpf\": \"123\"}".into(),
                ));
            }
        },
    };
    let opted_out = edit.opted_out;
    let account = user.account_id;
    let entry = actor.audit(account, "contact.updated", format!("contact {id}"));
    let changes = app
        .store
        .write(move |c| {
            let at = now();
            let changes = ContactEdit {
                name: name.as_deref(),
                notes: notes.as_deref(),
                opted_out,
                fields: fields.as_deref(),
            };
            contacts::edit(c, account, id, &changes, at)?;
            audit::record(c, &entry, at)?;
            // Lists and conversations show the contact: their tickets under way are
            // announced again.
            let mut changes = Vec::new();
            for ticket in tickets::of_contact(c, account, id, tickets::Visibility::Account, 100)? {
                if ticket.status != saw_core::conversation::TicketStatus::Resolved {
                    changes.push(crate::events::ticket_changed(c, ticket.id)?);
                }
            }
            Ok::<_, AppError>(changes)
        })
        .await?;
    app.events.publish(changes);
    Ok(())
}
