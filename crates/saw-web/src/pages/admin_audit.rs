//! Admin: the audit log's newest entries, in the account's time zone.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::Chrome;
use crate::error::{PageError, render};
use crate::extract::AdminViewer;
use crate::state::AppState;

const SHOWN: i64 = 300;

pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditRow>,
}

pub async fn show(State(state): State<AppState>, AdminViewer(viewer): AdminViewer) -> Response {
    let zone = viewer.account.time_zone.tz();
    match saw_app::account::audit_log(&state.app, viewer.account.id, SHOWN).await {
        Ok(entries) => {
            let entries = entries
                .into_iter()
                .map(|e| AuditRow {
                    when: e
                        .created_at
                        .with_timezone(&zone)
                        .format("%d/%m/%Y %H:%M:%S")
                        .to_string(),
                    actor: e.actor,
                    action: e.action,
                    target: e.target.unwrap_or_default(),
                    detail: e.detail.unwrap_or_default(),
                    ip: e.ip.unwrap_or_default(),
                })
                .collect();
            render(
                &AuditPage {
                    chrome: Chrome::new(&viewer, "audit"),
                    entries,
                },
                viewer.t,
            )
        }
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}
