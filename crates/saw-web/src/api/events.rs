//! `GET /api/v1/events`: the live event stream for a token ([`crate::live`]).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;

use crate::extract::ApiUser;
use crate::state::AppState;

pub async fn stream(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
) -> impl IntoResponse {
    crate::live::stream(state, user, crate::live::last_event_id(&headers), None)
}
