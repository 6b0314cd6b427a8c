//! The inbox. Tickets arrive with the channels; until then it shows the tabs and the queues
//! the agent works in.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use saw_core::queue::Queue;

use super::{Chrome, FlashQuery};
use crate::error::{PageError, render};
use crate::extract::Viewer;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    queues: Vec<Queue>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, flash: FlashQuery) -> Response {
    let queues = match saw_app::queues::of_user(&state.app, viewer.user.id).await {
        Ok(q) => q,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let page = InboxPage {
        chrome: Chrome::new(&viewer, "inbox").with_flash(&flash),
        queues,
    };
    render(&page, viewer.t)
}
