//! `/reports`: the dashboard. A period (today, 7 or 30 days, or custom dates) and filters
//! (queue, agent, channel, tag) over the figures of docs/metrics.md, drawn as numbers and
//! SVG charts; the "now" panel follows the live stream. Agents see their own figures.

mod charts;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Days, Utc};
use saw_app::reports::{self, NowPanel, ReportParams, ReportQuery, Split, Summary};
use serde::Deserialize;

use super::Chrome;
use crate::error::{PageError, render};
use crate::extract::Viewer;
use crate::i18n::Tr;
use crate::live::LiveRequest;
use crate::state::AppState;
use charts::{BarChart, HeatChart, LineChart, human};

/// The dashboard's query string: a preset period or custom dates, and the filters.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    /// `today`, `7d` (the default), `30d` or `custom` (then `from` and `to`).
    range: Option<String>,
    #[serde(flatten)]
    params: ReportParams,
}

impl DashboardQuery {
    /// The report's parameters with a preset period turned into dates.
    fn params(&self, viewer: &Viewer) -> (String, ReportParams) {
        let today = Utc::now()
            .with_timezone(&viewer.account.time_zone.tz())
            .date_naive();
        let range = self.range.as_deref().unwrap_or("7d");
        let days_back = match range {
            "today" => Some(0),
            "30d" => Some(29),
            "custom" => None,
            _ => Some(6),
        };
        let mut params = self.params.clone();
        if let Some(back) = days_back {
            let from = today.checked_sub_days(Days::new(back)).unwrap_or(today);
            params.from = Some(from.to_string());
            params.to = Some(today.to_string());
        }
        let range = match days_back {
            None => "custom",
            Some(0) => "today",
            Some(29) => "30d",
            _ => "7d",
        };
        (range.to_owned(), params)
    }
}

/// What the filter form shows.
struct Form {
    range: String,
    from: String,
    to: String,
    queue: String,
    user: String,
    channel: String,
    tag: String,
    business_hours: bool,
    /// The query string of this view, for the CSV link.
    query: String,
}

/// A number on a card.
struct Card {
    label: &'static str,
    value: String,
    detail: String,
}

/// One row of the per-queue or per-agent table.
struct Row {
    name: String,
    created: usize,
    accepted: usize,
    resolved: usize,
    messages: String,
    wait: String,
    first_response: String,
    resolution: String,
    csat: String,
    online: Option<String>,
}

impl Row {
    fn of(split: &Split) -> Row {
        let f = &split.figures;
        Row {
            name: split.name.clone(),
            created: f.tickets_created,
            accepted: f.tickets_accepted,
            resolved: f.tickets_resolved,
            messages: match (split.messages_in, split.messages_out) {
                (Some(i), Some(o)) => format!("{i} / {o}"),
                _ => "—".to_owned(),
            },
            wait: human(f.wait_time.median_s),
            first_response: human(f.first_response_time.median_s),
            resolution: human(f.resolution_time.median_s),
            csat: csat_text(f.csat.avg, f.csat.responses),
            online: split.time_online_s.map(|s| human(Some(s))),
        }
    }
}

fn csat_text(avg: Option<f64>, responses: usize) -> String {
    match avg {
        Some(avg) => format!("{avg:.2} ({responses})"),
        None => "—".to_owned(),
    }
}

/// The live panel, ready to show.
pub struct NowView {
    waiting_total: i64,
    longest: String,
    with_bot: i64,
    online: usize,
    queues: Vec<(String, i64, String, bool)>,
    agents: Vec<(String, String, bool, i64)>,
    sees_all: bool,
}

impl NowView {
    fn of(now: NowPanel, sees_all: bool) -> NowView {
        NowView {
            waiting_total: now.waiting_total,
            longest: human(now.longest_wait_s),
            with_bot: now.with_bot,
            online: now.online,
            queues: now
                .waiting
                .into_iter()
                .map(|q| (q.name, q.waiting, human(q.longest_wait_s), q.late))
                .collect(),
            agents: now
                .agents
                .into_iter()
                .map(|a| (a.name, a.status, a.online, a.open))
                .collect(),
            sees_all,
        }
    }
}

struct Figures {
    cards: Vec<Card>,
    line: LineChart,
    queue_bars: BarChart,
    agent_bars: BarChart,
    heat: HeatChart,
    queues: Vec<Row>,
    agents: Vec<Row>,
    options: Vec<(String, i64)>,
    auto_replies: Vec<(i64, i64)>,
    bot_contained: usize,
    bot_abandoned: i64,
    csat_distribution: Vec<(String, usize)>,
    csat_rate: String,
}

#[derive(Template)]
#[template(path = "reports/page.html")]
struct DashboardPage {
    chrome: Chrome,
    t: Tr,
    form: Form,
    sees_all: bool,
    queues: Vec<(i64, String)>,
    users: Vec<(i64, String)>,
    channels: Vec<(i64, String)>,
    tags: Vec<String>,
    figures: Option<Figures>,
    now: NowView,
    line_width: f64,
    line_height: f64,
    line_right: f64,
    bar_width: f64,
    heat_cell: f64,
    heat_left: f64,
    heat_top: f64,
    weekdays: [&'static str; 7],
}

#[derive(Template)]
#[template(path = "reports/now.html")]
struct NowFragment {
    t: Tr,
    now: NowView,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let (range, params) = q.params(&viewer);
    let app = &state.app;
    let sees_all = viewer.user.role.sees_all_queues();
    let mut chrome = Chrome::new(&viewer, "reports");
    let checked = reports::query(app, &viewer.user, &viewer.account, &params).await;
    let figures = match &checked {
        Ok(query) => {
            let (summary, heat) = match reports::overview(app, &viewer.account, query).await {
                Ok(both) => both,
                Err(e) => return PageError::from_app(viewer.t, e).into_response(),
            };
            Some(figures(&summary, &heat))
        }
        Err(e) => {
            chrome = chrome.with_error(crate::error::message(viewer.t, e));
            None
        }
    };
    let lists = tokio::try_join!(
        saw_app::queues::list(app, viewer.account.id),
        saw_app::users::list(app, viewer.account.id),
        saw_app::channels::names(app, viewer.account.id),
        saw_app::tags::list(app, viewer.account.id),
        reports::now(app, &viewer.user, &viewer.account),
    );
    let (queues, users, channels, tags, now) = match lists {
        Ok(all) => all,
        Err(e) => return PageError::from_app(viewer.t, e).into_response(),
    };
    let form = form(range, &params, checked.as_ref().ok());
    let page = DashboardPage {
        chrome,
        t: viewer.t,
        form,
        sees_all,
        queues: queues
            .into_iter()
            .map(|q| (q.queue.id.get(), q.queue.name))
            .collect(),
        users: users
            .into_iter()
            .filter(|(u, _)| u.active)
            .map(|(u, _)| (u.id.get(), u.name))
            .collect(),
        channels: channels.into_iter().map(|c| (c.id.get(), c.name)).collect(),
        tags: tags.into_iter().map(|t| t.name).collect(),
        figures,
        now: NowView::of(now, sees_all),
        line_width: charts::LINE_WIDTH,
        line_height: charts::LINE_HEIGHT,
        line_right: charts::LINE_RIGHT,
        bar_width: charts::BAR_WIDTH,
        heat_cell: charts::HEAT_CELL,
        heat_left: charts::HEAT_LEFT,
        heat_top: charts::HEAT_TOP,
        weekdays: [
            "reports.mon",
            "reports.tue",
            "reports.wed",
            "reports.thu",
            "reports.fri",
            "reports.sat",
            "reports.sun",
        ],
    };
    render(&page, viewer.t)
}

fn form(range: String, params: &ReportParams, checked: Option<&ReportQuery>) -> Form {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (from, to) = match checked {
        Some(q) => (q.from.to_string(), q.to.to_string()),
        None => (text(&params.from), text(&params.to)),
    };
    let business_hours = checked.is_some_and(|q| q.business_hours);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("from", &from).append_pair("to", &to);
    for (key, value) in [
        ("queue_id", &params.queue_id),
        ("user_id", &params.user_id),
        ("channel_id", &params.channel_id),
        ("tag", &params.tag),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(key, v);
        }
    }
    if business_hours {
        query.append_pair("business_hours", "true");
    }
    Form {
        range,
        from,
        to,
        queue: text(&params.queue_id),
        user: text(&params.user_id),
        channel: text(&params.channel_id),
        tag: text(&params.tag),
        business_hours,
        query: query.finish(),
    }
}

fn figures(s: &Summary, heat: &reports::Heatmap) -> Figures {
    let t = &s.totals;
    let card = |label, value: String, detail: String| Card {
        label,
        value,
        detail,
    };
    let median = |d: &saw_app::reports::stats::DurationStats| human(d.median_s);
    let spread = |d: &saw_app::reports::stats::DurationStats| {
        format!("p90 {} · {}", human(d.p90_s), d.count)
    };
    let cards = vec![
        card(
            "reports.created",
            t.tickets_created.to_string(),
            String::new(),
        ),
        card(
            "reports.resolved",
            t.tickets_resolved.to_string(),
            String::new(),
        ),
        card(
            "reports.messages",
            format!("{} / {}", s.messages_in, s.messages_out),
            String::new(),
        ),
        card("reports.wait", median(&t.wait_time), spread(&t.wait_time)),
        card(
            "reports.first_response",
            median(&t.first_response_time),
            spread(&t.first_response_time),
        ),
        card(
            "reports.resolution",
            median(&t.resolution_time),
            spread(&t.resolution_time),
        ),
        card(
            "reports.handling",
            median(&t.handling_time),
            spread(&t.handling_time),
        ),
        card(
            "reports.csat",
            csat_text(t.csat.avg, t.csat.responses),
            String::new(),
        ),
        card(
            "reports.bot_contained",
            t.bot_contained.to_string(),
            String::new(),
        ),
    ];
    let bars = |splits: &[Split]| {
        BarChart::new(
            splits
                .iter()
                .map(|s| (s.name.clone(), s.figures.tickets_resolved))
                .collect(),
        )
    };
    Figures {
        cards,
        line: LineChart::new(&s.daily),
        queue_bars: bars(&s.by_queue),
        agent_bars: bars(&s.by_agent),
        heat: HeatChart::new(heat),
        queues: s.by_queue.iter().map(Row::of).collect(),
        agents: s.by_agent.iter().map(Row::of).collect(),
        options: s
            .bot
            .options
            .iter()
            .map(|o| (format!("{} → {}", o.menu, o.option), o.count))
            .collect(),
        auto_replies: s
            .bot
            .auto_replies
            .iter()
            .map(|a| (a.rule, a.count))
            .collect(),
        bot_contained: s.bot.contained,
        bot_abandoned: s.bot.abandoned,
        csat_distribution: t
            .csat
            .distribution
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        csat_rate: match t.csat.response_rate {
            Some(rate) => format!(
                "{:.0}% ({}/{})",
                rate * 100.0,
                t.csat.responses,
                t.csat.asked
            ),
            None => "—".to_owned(),
        },
    }
}

/// `/reports/now`: the live panel alone, for the dashboard to refresh.
pub async fn now(State(state): State<AppState>, viewer: Viewer) -> Response {
    match reports::now(&state.app, &viewer.user, &viewer.account).await {
        Ok(now) => render(
            &NowFragment {
                t: viewer.t,
                now: NowView::of(now, viewer.user.role.sees_all_queues()),
            },
            viewer.t,
        ),
        Err(e) => PageError::from_app(viewer.t, e).into_response(),
    }
}

/// `/reports/tickets.csv`: the dashboard's download.
pub async fn tickets_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ReportParams>,
) -> Response {
    let result = async {
        let query = reports::query(&state.app, &viewer.user, &viewer.account, &params).await?;
        crate::api::reports::csv_download(&state, &viewer.account, &query).await
    }
    .await;
    result.unwrap_or_else(|e| PageError::from_app(viewer.t, e).into_response())
}

/// `/reports/events`: the live stream for the dashboard. Unlike the inbox's it does not
/// count its reader as online: watching figures is not being there for customers.
pub async fn events(State(state): State<AppState>, viewer: Viewer, live: LiveRequest) -> Response {
    live.serve(state, viewer.user, None)
}
