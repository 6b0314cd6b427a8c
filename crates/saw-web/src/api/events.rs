//! `GET /api/v1/events`: the live event stream for a token ([`crate::live`]), as SSE or
//! as a WebSocket.

use axum::extract::State;
use axum::response::Response;

use crate::extract::ApiUser;
use crate::live::LiveRequest;
use crate::state::AppState;

pub async fn stream(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    live: LiveRequest,
) -> Response {
    live.serve(state, user, None)
}
