//! Tickets as people and scripts read them, scoped the same way everywhere: supervisors and
//! admins see their whole account, agents their queues' tickets and those assigned to them.

use saw_core::conversation::TicketStatus;
use saw_core::ids::TicketId;
use saw_core::user::User;
use saw_store::repo::messages::{self, MessageRow};
use saw_store::repo::tickets::{self, TicketRow, Visibility};

use crate::{App, AppError};

pub const MAX_PAGE: i64 = 500;

fn visibility(user: &User) -> Visibility {
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
