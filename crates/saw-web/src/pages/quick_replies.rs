//! `/quick-replies`: everyone keeps their own quick replies; admins and supervisors also the
//! team's shared ones.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_core::ids::QuickReplyId;
use saw_store::repo::quick_replies::QuickReply;

use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{FormFields, Viewer};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "quick_replies.html")]
struct QuickRepliesPage {
    chrome: Chrome,
    /// Each with whether this person may delete it.
    replies: Vec<(QuickReply, bool)>,
    may_share: bool,
    typed: (String, String, bool),
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    typed: (String, String, bool),
    status: StatusCode,
) -> Response {
    let replies = match saw_app::quick_replies::usable(&state.app, &viewer.user).await {
        Ok(r) => r,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let may_share = viewer.user.role.sees_all_queues();
    let replies = replies
        .into_iter()
        .map(|q| {
            let may_delete = saw_app::quick_replies::may_change(&viewer.user, &q);
            (q, may_delete)
        })
        .collect();
    let page = QuickRepliesPage {
        chrome,
        replies,
        may_share,
        typed,
    };
    (status, render(&page, viewer.t)).into_response()
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, flash: FlashQuery) -> Response {
    let chrome = Chrome::new(&viewer, "quick_replies").with_flash(&flash);
    page(&state, &viewer, chrome, Default::default(), StatusCode::OK).await
}

pub async fn create(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Response {
    let (shortcut, body, shared) = (
        form.get("shortcut"),
        form.get("body"),
        form.checked("shared"),
    );
    match saw_app::quick_replies::create(&state.app, &viewer.user, shortcut, body, shared).await {
        Ok(_) => Redirect::to("/quick-replies?ok=quick_reply_saved").into_response(),
        Err(e) => {
            let chrome =
                Chrome::new(&viewer, "quick_replies").with_error(error::message(viewer.t, &e));
            let typed = (shortcut.to_owned(), body.to_owned(), shared);
            page(&state, &viewer, chrome, typed, error::status_of(&e)).await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Response {
    match saw_app::quick_replies::delete(&state.app, &viewer.user, QuickReplyId::new(id)).await {
        Ok(()) => Redirect::to("/quick-replies?ok=quick_reply_deleted").into_response(),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
