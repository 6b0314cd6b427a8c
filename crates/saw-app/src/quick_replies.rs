//! Quick replies: each person keeps their own; admins and supervisors keep the team's
//! shared ones. Typed as `/shortcut` in the reply box, with `{{nome}}`, `{{protocolo}}`,
//! `{{atendente}}` and `{{empresa}}` filled for the conversation at hand.

use saw_core::ids::QuickReplyId;
use saw_core::user::User;
use saw_core::validation::message_text;
use saw_store::now;
use saw_store::repo::quick_replies::{self, QuickReply};
use saw_store::repo::tickets::TicketRow;

use crate::{App, AppError};

/// The longest shortcut.
pub const SHORTCUT_MAX: usize = 30;

/// A shortcut as typed: without its leading `/`, lower-case letters, digits, `-` and `_`.
pub fn shortcut(raw: &str) -> Result<String, AppError> {
    let s = raw.trim().trim_start_matches('/').to_lowercase();
    let valid = !s.is_empty()
        && s.chars().count() <= SHORTCUT_MAX
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    match valid {
        true => Ok(s),
        false => Err(AppError::InvalidShortcut),
    }
}

/// The ones `user` may use: the team's and their own.
pub async fn usable(app: &App, user: &User) -> Result<Vec<QuickReply>, AppError> {
    let (account, id) = (user.account_id, user.id);
    Ok(app
        .store
        .read(move |c| quick_replies::usable_by(c, account, id))
        .await?)
}

/// Who may change a quick reply: its owner, or for a shared one admins and supervisors.
pub fn may_change(user: &User, reply: &QuickReply) -> bool {
    match reply.owner {
        Some(owner) => owner == user.id,
        None => user.role.sees_all_queues(),
    }
}

pub async fn create(
    app: &App,
    user: &User,
    raw_shortcut: &str,
    body: &str,
    shared: bool,
) -> Result<QuickReply, AppError> {
    if shared && !user.role.sees_all_queues() {
        return Err(AppError::Forbidden);
    }
    let shortcut = shortcut(raw_shortcut)?;
    let body = message_text(body.trim())?;
    let (account, author) = (user.account_id, user.id);
    let owner = (!shared).then_some(author);
    app.store
        .write(move |c| {
            let id = quick_replies::insert(c, account, owner, &shortcut, &body, author, now())
                .map_err(taken)?;
            Ok(quick_replies::by_id(c, account, id)?)
        })
        .await
}

pub async fn update(
    app: &App,
    user: &User,
    id: QuickReplyId,
    raw_shortcut: &str,
    body: &str,
) -> Result<QuickReply, AppError> {
    let shortcut = shortcut(raw_shortcut)?;
    let body = message_text(body.trim())?;
    let user = user.clone();
    app.store
        .write(move |c| {
            let account = user.account_id;
            let reply = quick_replies::by_id(c, account, id)?;
            if !may_change(&user, &reply) {
                return Err(AppError::NotFound);
            }
            quick_replies::update(c, account, id, &shortcut, &body, now()).map_err(taken)?;
            Ok(quick_replies::by_id(c, account, id)?)
        })
        .await
}

pub async fn delete(app: &App, user: &User, id: QuickReplyId) -> Result<(), AppError> {
    let user = user.clone();
    app.store
        .write(move |c| {
            let reply = quick_replies::by_id(c, user.account_id, id)?;
            if !may_change(&user, &reply) {
                return Err(AppError::NotFound);
            }
            Ok(quick_replies::delete(c, user.account_id, id)?)
        })
        .await
}

fn taken(e: saw_store::StoreError) -> AppError {
    match e {
        saw_store::StoreError::Conflict(_) => AppError::ShortcutTaken,
        e => e.into(),
    }
}

/// The quick replies `user` may use, their texts filled for a ticket they are reading
/// (of the company `company`).
pub async fn filled_for(
    app: &App,
    user: &User,
    ticket: &TicketRow,
    company: &str,
) -> Result<Vec<QuickReply>, AppError> {
    let customer = ticket.contact_name.clone().unwrap_or_default();
    let values = [
        ("nome", customer.as_str()),
        ("protocolo", ticket.protocol.as_str()),
        ("atendente", user.name.as_str()),
        ("empresa", company),
    ];
    Ok(usable(app, user)
        .await?
        .into_iter()
        .map(|mut reply| {
            reply.body = fill(&reply.body, &values);
            reply
        })
        .collect())
}

/// Replaces each `{{name}}` by its value; unknown names stay as typed.
pub fn fill(body: &str, values: &[(&str, &str)]) -> String {
    let mut out = body.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_one_lower_case_word() {
        assert_eq!(shortcut(" /Boleto ").unwrap(), "boleto");
        assert_eq!(shortcut("2a-via_pix").unwrap(), "2a-via_pix");
        assert!(shortcut("/").is_err());
        assert!(shortcut("duas palavras").is_err());
        assert!(shortcut(&"a".repeat(31)).is_err());
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let body = "Olá, {{nome}}! Aqui é {{atendente}}. {{outro}}";
        assert_eq!(
            fill(body, &[("nome", "Joana"), ("atendente", "Ana")]),
            "Olá, Joana! Aqui é Ana. {{outro}}"
        );
    }
}
