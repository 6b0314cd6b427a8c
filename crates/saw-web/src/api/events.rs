//! `GET /api/v1/events`: the event bus as Server-Sent Events, for integrations and the
//! benchmark. Each event is `event: {type}` with its JSON (ids only, no message text); the
//! reader fetches what it needs through the API. A reader too slow for the stream gets
//! `event: lagged` with how many it missed, and should reload what it shows.
//!
//! A token sees its account's events; an agent's token only those of tickets they may see.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use saw_app::events::Event;
use saw_core::user::User;
use tokio::sync::broadcast::error::RecvError;

use crate::extract::ApiUser;
use crate::state::AppState;

pub async fn stream(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.app.events.subscribe();
    let app = state.app.clone();
    let events = futures_util::stream::unfold(
        (receiver, app, user),
        |(mut receiver, app, user)| async move {
            loop {
                let sse = match receiver.recv().await {
                    Ok(event) => {
                        if !may_see(&app, &user, &event).await {
                            continue;
                        }
                        to_sse(&event)
                    }
                    Err(RecvError::Lagged(missed)) => SseEvent::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}")),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok(sse), (receiver, app, user)));
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn to_sse(event: &Arc<Event>) -> SseEvent {
    let json = serde_json::to_value(event.as_ref()).unwrap_or_default();
    let kind = json["type"].as_str().unwrap_or("event").to_owned();
    SseEvent::default().event(kind).data(json.to_string())
}

async fn may_see(app: &saw_app::App, user: &User, event: &Event) -> bool {
    if event.account_id() != user.account_id {
        return false;
    }
    match (event, event.ticket_id()) {
        (Event::ChannelHealth { .. }, _) => user.role.sees_all_queues(),
        (_, Some(ticket)) if !user.role.sees_all_queues() => {
            saw_app::tickets::may_see(app, user, ticket).await
        }
        _ => true,
    }
}
