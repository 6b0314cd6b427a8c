//! `GET /api/v1/reports/{summary,tickets.csv,heatmap,now}`: the dashboard's figures for
//! scripts. Same parameters everywhere (`from`, `to`, `queue_id`, `user_id`, `channel_id`,
//! `tag`, `business_hours`); an agent's token reports on that agent alone.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use saw_app::User;
use saw_app::reports::{self, ReportParams, ReportQuery};
use saw_core::account::Account;

use crate::error::ApiError;
use crate::extract::ApiUser;
use crate::state::AppState;

async fn checked(
    state: &AppState,
    user: &User,
    params: &ReportParams,
) -> Result<(Account, ReportQuery), ApiError> {
    let account = saw_app::account::get(&state.app, user.account_id).await?;
    let query = reports::query(&state.app, user, &account, params).await?;
    Ok((account, query))
}

pub async fn summary(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<ReportParams>,
) -> Result<Json<reports::Summary>, ApiError> {
    let (account, query) = checked(&state, &user, &params).await?;
    Ok(Json(reports::summary(&state.app, &account, &query).await?))
}

pub async fn heatmap(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<ReportParams>,
) -> Result<Json<reports::Heatmap>, ApiError> {
    let (account, query) = checked(&state, &user, &params).await?;
    Ok(Json(reports::heatmap(&state.app, &account, &query).await?))
}

pub async fn tickets_csv(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let (account, query) = checked(&state, &user, &params).await?;
    Ok(csv_download(&state, &account, &query).await?)
}

pub async fn now(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<reports::NowPanel>, ApiError> {
    let account = saw_app::account::get(&state.app, user.account_id).await?;
    Ok(Json(reports::now(&state.app, &user, &account).await?))
}

/// The CSV of a report as a file to save (the API and the dashboard's download).
pub async fn csv_download(
    state: &AppState,
    account: &Account,
    query: &ReportQuery,
) -> Result<Response, saw_app::AppError> {
    let lines = reports::ticket_lines(&state.app, account, query).await?;
    let body = reports::tickets_csv(&lines, account.time_zone.tz());
    let disposition = format!(
        "attachment; filename=\"saw-tickets-{}-{}.csv\"",
        query.from, query.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
