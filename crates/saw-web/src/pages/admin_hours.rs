//! Admin: business hours — the account's weekly schedule and special dates, and a queue's
//! own schedule where it differs. Blank everywhere means open at all hours (the account)
//! or following the account (a queue).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use saw_app::hours::{OpenNow, Schedules};
use saw_app::{Actor, AppError};
use saw_core::ids::QueueId;
use saw_core::queue::Queue;
use serde::Deserialize;

use super::{Chrome, FlashQuery};
use crate::error::{self, PageError, render};
use crate::extract::{AdminViewer, FormFields, Viewer};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/hours.html")]
struct HoursPage {
    chrome: Chrome,
    time_zone: String,
    /// The queue being edited; `None` for the account.
    queue: Option<Queue>,
    /// Every queue, and whether it keeps hours of its own.
    queues: Vec<(Queue, bool)>,
    /// Weekday key (`hours.day0`…) and the typed intervals.
    days: Vec<(String, String)>,
    special: String,
    /// "Aberto agora", "Fechado — volta …", as the customer would be told.
    status: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Scope {
    queue: Option<i64>,
}

fn status_text(viewer: &Viewer, schedules: &Schedules, queue: Option<QueueId>) -> String {
    let t = viewer.t;
    let hours = match queue {
        Some(q) => schedules.of_queue(q),
        None => &schedules.account,
    };
    let own = queue.is_none_or(|q| schedules.queues.contains_key(&q));
    match saw_app::hours::open_now(hours, saw_store::now(), viewer.account.language) {
        OpenNow::AlwaysOpen if own => t.get("hours.always_open").to_owned(),
        OpenNow::AlwaysOpen => t.get("hours.follows_always_open").to_owned(),
        OpenNow::Open => t.get("hours.open_now").to_owned(),
        OpenNow::Closed(Some(when)) => t.fmt("hours.closed_until", &[("when", &when)]),
        OpenNow::Closed(None) => t.get("hours.closed_for_good").to_owned(),
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    chrome: Chrome,
    queue: Option<QueueId>,
    typed: Option<([String; 7], String)>,
    status: StatusCode,
) -> Response {
    let account = &viewer.account;
    let loaded = async {
        let schedules = saw_app::hours::get(&state.app, account).await?;
        let queues = saw_app::queues::list(&state.app, account.id).await?;
        Ok::<_, AppError>((schedules, queues))
    };
    let (schedules, queues) = match loaded.await {
        Ok(found) => found,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let queues: Vec<(Queue, bool)> = queues
        .into_iter()
        .map(|s| {
            let own = schedules.queues.contains_key(&s.queue.id);
            (s.queue, own)
        })
        .collect();
    let editing = match queue {
        Some(id) => match queues.iter().find(|(q, _)| q.id == id) {
            Some((q, _)) => Some(q.clone()),
            None => return PageError::from_app(viewer.t, AppError::NotFound).into_response(),
        },
        None => None,
    };
    let (days, special) = typed.unwrap_or_else(|| {
        let shown = match queue {
            Some(q) => schedules.queues.get(&q),
            None => Some(&schedules.account),
        };
        shown.map_or_else(Default::default, |h| {
            saw_app::hours::form_fields(h, account.language)
        })
    });
    let p = HoursPage {
        status: status_text(viewer, &schedules, queue),
        chrome,
        time_zone: account.time_zone.name().to_owned(),
        queue: editing,
        queues,
        days: days
            .into_iter()
            .enumerate()
            .map(|(n, d)| (format!("hours.day{n}"), d))
            .collect(),
        special,
    };
    (status, render(&p, viewer.t)).into_response()
}

/// `GET /admin/hours[?queue=ID]`.
pub async fn show(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Query(scope): Query<Scope>,
    flash: FlashQuery,
) -> Response {
    let chrome = Chrome::new(&viewer, "hours").with_flash(&flash);
    let queue = scope.queue.map(QueueId::new);
    page(&state, &viewer, chrome, queue, None, StatusCode::OK).await
}

/// `POST /admin/hours`: `queue` (blank for the account), `day0`…`day6`, `special`.
pub async fn save(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    form: FormFields,
) -> Response {
    let queue = match form.get("queue").trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(QueueId::new(id)),
            Err(_) => return PageError::from_app(viewer.t, AppError::NotFound).into_response(),
        },
    };
    let days: [&str; 7] = std::array::from_fn(|n| form.get(&format!("day{n}")));
    let special = form.get("special");
    let actor = Actor::user(&viewer.user, viewer.client.ip.clone());
    let zone = viewer.account.time_zone.tz();
    let saved = match saw_app::hours::parse_form(&days, special, zone) {
        Ok(hours) => saw_app::hours::set(&state.app, &actor, viewer.account.id, queue, hours).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => {
            let back = match queue {
                Some(q) => format!("/admin/hours?queue={q}&ok=hours_saved"),
                None => "/admin/hours?ok=hours_saved".to_owned(),
            };
            Redirect::to(&back).into_response()
        }
        Err(e) => {
            let chrome = Chrome::new(&viewer, "hours").with_error(error::message(viewer.t, &e));
            let typed = (days.map(str::to_owned), special.to_owned());
            page(
                &state,
                &viewer,
                chrome,
                queue,
                Some(typed),
                error::status_of(&e),
            )
            .await
        }
    }
}
