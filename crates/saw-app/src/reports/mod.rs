//! Reports: the figures of docs/metrics.md over a date range, filtered by queue, agent,
//! channel and tag — one computation behind the dashboard, the REST API and the CSV export.
//! An agent sees their own figures; supervisors and admins see everyone's.

mod export;
pub mod figures;
mod problem;
pub mod stats;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use saw_core::account::Account;
use saw_core::ids::{ChannelId, QueueId, TagId, UserId};
use saw_core::user::User;
use saw_store::repo::reports::{self as repo, MessageCount, PresenceSpan, Scope, TicketFacts};
use saw_store::repo::{channels, queues, tags, users};
use serde::{Deserialize, Serialize};

pub use export::tickets_csv;
use figures::{Facts, Measure, Place, TicketFigures};
pub use problem::ReportProblem;

use crate::{App, AppError};

/// The longest range a report covers.
pub const MAX_DAYS: u64 = 366;

/// A report's parameters as a query string gives them (`?from=2026-11-01&to=…`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub queue_id: Option<String>,
    pub user_id: Option<String>,
    pub channel_id: Option<String>,
    pub tag: Option<String>,
    pub business_hours: Option<String>,
}

/// Checked parameters: dates inclusive in the account's time zone.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub queue: Option<QueueId>,
    pub user: Option<UserId>,
    pub channel: Option<ChannelId>,
    pub tag: Option<TagId>,
    pub business_hours: bool,
}

impl ReportQuery {
    /// The range as instants: from the first day's midnight to the midnight after the last.
    fn instants(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| {
            let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
            zone.from_local_datetime(&local)
                .earliest()
                .unwrap_or_else(|| zone.from_utc_datetime(&local))
                .with_timezone(&Utc)
        };
        let after = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (midnight(self.from), midnight(after))
    }

    fn keeps(&self, place: &Place) -> bool {
        self.queue.is_none_or(|q| place.queue == Some(q))
            && self.user.is_none_or(|u| place.agent == Some(u))
    }

    fn keeps_message(&self, m: &MessageCount) -> bool {
        self.queue.is_none_or(|q| m.queue == Some(q))
            && self.user.is_none_or(|u| figures::message_is_agents(m, u))
    }
}

/// Checks `params` for `viewer`: unknown dates, ids, tags and ranges are refused with what
/// to fix; an agent's report is always their own.
pub async fn query(
    app: &App,
    viewer: &User,
    account: &Account,
    params: &ReportParams,
) -> Result<ReportQuery, AppError> {
    let zone = account.time_zone.tz();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let date = |field: &'static str, raw: &Option<String>| -> Result<Option<NaiveDate>, AppError> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| problem::date(field, raw)),
        }
    };
    let to = date("to", &params.to)?.unwrap_or(today);
    let from = match date("from", &params.from)? {
        Some(from) => from,
        None => to.checked_sub_days(Days::new(6)).unwrap_or(to),
    };
    if from > to {
        return Err(AppError::InvalidReport(ReportProblem::Backwards));
    }
    if (to - from).num_days() >= MAX_DAYS as i64 {
        return Err(AppError::InvalidReport(ReportProblem::TooLong {
            max_days: MAX_DAYS,
        }));
    }
    let id =
        |field: &'static str, raw: &Option<String>| -> Result<Option<(i64, String)>, AppError> {
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(raw) => raw
                    .parse::<i64>()
                    .map(|n| Some((n, raw.to_owned())))
                    .map_err(|_| problem::id(field, raw)),
            }
        };
    let queue = id("queue_id", &params.queue_id)?;
    let mut user = id("user_id", &params.user_id)?;
    let channel = id("channel_id", &params.channel_id)?;
    let tag = params
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if !viewer.role.sees_all_queues() {
        match &user {
            Some((n, _)) if *n != viewer.id.get() => return Err(AppError::Forbidden),
            _ => user = Some((viewer.id.get(), viewer.id.to_string())),
        }
    }
    let business_hours = match params.business_hours.as_deref().map(str::trim) {
        None | Some("" | "0" | "false" | "no" | "off") => false,
        Some("1" | "true" | "yes" | "on") => true,
        Some(other) => return Err(problem::flag("business_hours", other)),
    };
    let account_id = account.id;
    app.store
        .read(move |c| {
            let queue = match queue {
                None => None,
                Some((n, raw)) => Some(
                    queues::by_id(c, account_id, QueueId::new(n))
                        .map_err(|_| AppError::UnknownQueue(raw))?
                        .id,
                ),
            };
            let user = match user {
                None => None,
                Some((n, raw)) => Some(
                    users::by_id(c, account_id, UserId::new(n))
                        .map_err(|_| AppError::UnknownUser(raw))?
                        .id,
                ),
            };
            let channel = match channel {
                None => None,
                Some((n, raw)) => Some(
                    channels::by_id(c, account_id, ChannelId::new(n))
                        .map_err(|_| AppError::InvalidReport(ReportProblem::UnknownChannel(raw)))?
                        .channel
                        .id,
                ),
            };
            let tag = match tag {
                None => None,
                Some(raw) => Some(
                    tags::find(c, account_id, &raw)
                        .map_err(|_| AppError::UnknownTag(raw))?
                        .id,
                ),
            };
            Ok::<_, AppError>(ReportQuery {
                from,
                to,
                queue,
                user,
                channel,
                tag,
                business_hours,
            })
        })
        .await
}

/// Everything a report is computed from, read in one transaction.
struct Loaded {
    tickets: Vec<TicketFacts>,
    messages: Vec<MessageCount>,
    presence: Vec<PresenceSpan>,
    bot: Vec<(String, String, i64)>,
    schedules: Option<crate::hours::Schedules>,
    names: Names,
}

/// The account's queues, people, channels and tags, by id.
#[derive(Debug, Default)]
struct Names {
    queues: Vec<(QueueId, String)>,
    users: Vec<(UserId, String, bool)>,
    channels: Vec<(ChannelId, String)>,
    tags: Vec<(TagId, String)>,
}

impl Names {
    fn queue(&self, id: Option<QueueId>) -> String {
        self.queues
            .iter()
            .find(|(q, _)| Some(*q) == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
    fn user(&self, id: Option<UserId>) -> String {
        self.users
            .iter()
            .find(|(u, _, _)| Some(*u) == id)
            .map(|(_, n, _)| n.clone())
            .unwrap_or_default()
    }
    fn channel(&self, id: ChannelId) -> String {
        self.channels
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
    fn tag(&self, id: TagId) -> String {
        self.tags
            .iter()
            .find(|(t, _)| *t == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
}

/// What a report is computed from, and the facts of its tickets' histories.
async fn load(
    app: &App,
    account: &Account,
    q: &ReportQuery,
    what: Needs,
) -> Result<(Loaded, Facts), AppError> {
    let (start, end) = q.instants(account.time_zone.tz());
    let scope = Scope {
        account: account.id,
        start,
        end,
        channel: q.channel,
        tag: q.tag,
    };
    let (account_id, zone, business) = (account.id, account.time_zone.tz(), q.business_hours);
    let loaded: Loaded = app
        .store
        .read(move |c| {
            let tickets = repo::tickets(c, &scope, what == Needs::Lines)?;
            let (messages, presence, bot) = match what {
                Needs::Everything => (
                    repo::message_counts(c, &scope)?,
                    repo::presence(c, account_id, start, end)?,
                    repo::bot_counts(c, &scope)?,
                ),
                Needs::Tickets | Needs::Lines => Default::default(),
            };
            let schedules = match business {
                true => Some(crate::hours::load(c, account_id, zone)?),
                false => None,
            };
            let names = Names {
                queues: queues::list(c, account_id)?
                    .into_iter()
                    .map(|q| (q.id, q.name))
                    .collect(),
                users: users::list(c, account_id)?
                    .into_iter()
                    .map(|u| (u.id, u.name, u.active))
                    .collect(),
                channels: channels::list(c, account_id)?
                    .into_iter()
                    .map(|s| (s.channel.id, s.channel.name))
                    .collect(),
                tags: tags::list(c, account_id)?
                    .into_iter()
                    .map(|t| (t.id, t.name))
                    .collect(),
            };
            Ok::<_, saw_store::StoreError>(Loaded {
                tickets,
                messages,
                presence,
                bot,
                schedules,
                names,
            })
        })
        .await?;
    let facts = Facts::of(
        &loaded.tickets,
        &Measure {
            start,
            end,
            business: loaded.schedules.as_ref(),
        },
    );
    Ok((loaded, facts))
}

/// What a report reads besides the tickets' history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Messages, presence and the bot's records too (the summary).
    Everything,
    /// The history alone (the heat map).
    Tickets,
    /// The history with the contacts' names and numbers (the exported table).
    Lines,
}

/// The figures of one queue, agent, channel or tag.
#[derive(Debug, Clone, Serialize)]
pub struct Split {
    pub id: i64,
    pub name: String,
    #[serde(flatten)]
    pub figures: TicketFigures,
    /// `null` where messages cannot be split so (by tag).
    pub messages_in: Option<i64>,
    pub messages_out: Option<i64>,
    /// Agents only: seconds with the inbox open within the range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_online_s: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BotFigures {
    /// Resolved by the bot (or for silence) without reaching a queue or a person.
    pub contained: usize,
    /// Closed for silence while with the bot.
    pub abandoned: i64,
    pub options: Vec<OptionUse>,
    pub auto_replies: Vec<AutoReplyUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionUse {
    pub menu: String,
    pub option: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutoReplyUse {
    /// The rule's position in the flow's automatic replies, from 1.
    pub rule: i64,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub created: usize,
    pub resolved: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filters {
    pub queue_id: Option<QueueId>,
    pub user_id: Option<UserId>,
    pub channel_id: Option<ChannelId>,
    pub tag: Option<String>,
}

/// `GET /api/v1/reports/summary`: docs/metrics.md's figures for the range and filters.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub time_zone: String,
    pub business_hours: bool,
    pub filters: Filters,
    #[serde(flatten)]
    pub totals: TicketFigures,
    pub messages_in: i64,
    pub messages_out: i64,
    pub bot: BotFigures,
    pub by_queue: Vec<Split>,
    pub by_agent: Vec<Split>,
    pub by_channel: Vec<Split>,
    pub by_tag: Vec<Split>,
    pub daily: Vec<Day>,
}

pub async fn summary(app: &App, account: &Account, q: &ReportQuery) -> Result<Summary, AppError> {
    let (loaded, facts) = load(app, account, q, Needs::Everything).await?;
    Ok(summary_of(&loaded, &facts, account, q))
}

/// The summary and the heat map of one view, from one read (the dashboard shows both).
pub async fn overview(
    app: &App,
    account: &Account,
    q: &ReportQuery,
) -> Result<(Summary, Heatmap), AppError> {
    let (loaded, facts) = load(app, account, q, Needs::Everything).await?;
    let zone = account.time_zone.tz();
    Ok((
        summary_of(&loaded, &facts, account, q),
        heatmap_of(&facts, q, zone),
    ))
}

fn summary_of(loaded: &Loaded, facts: &Facts, account: &Account, q: &ReportQuery) -> Summary {
    let zone = account.time_zone.tz();
    let (start, end) = q.instants(zone);
    let names = &loaded.names;
    let keep = |p: &Place| q.keeps(p);
    let totals = facts.figures(&keep);
    let (messages_in, messages_out) = figures::messages(&loaded.messages, &|m| q.keeps_message(m));

    let by_queue = names
        .queues
        .iter()
        .filter(|(id, _)| q.queue.is_none_or(|f| f == *id))
        .map(|(id, name)| {
            let (i, o) = figures::messages(&loaded.messages, &|m| {
                q.keeps_message(m) && m.queue == Some(*id)
            });
            Split {
                id: id.get(),
                name: name.clone(),
                figures: facts.figures(&|p| keep(p) && p.queue == Some(*id)),
                messages_in: Some(i),
                messages_out: Some(o),
                time_online_s: None,
            }
        })
        .collect();

    let online = time_online(&loaded.presence, start, end);
    let mut agents: Vec<UserId> = names
        .users
        .iter()
        .filter(|(id, _, active)| *active || online.contains_key(id))
        .map(|(id, _, _)| *id)
        .collect();
    // People who left the team still own the figures of their tickets.
    for place in facts.resolved.iter().map(|r| r.place) {
        if let Some(agent) = place.agent.filter(|a| !agents.contains(a)) {
            agents.push(agent);
        }
    }
    let by_agent = agents
        .into_iter()
        .filter(|id| q.user.is_none_or(|f| f == *id))
        .map(|id| {
            let (i, o) = figures::messages(&loaded.messages, &|m| {
                q.keeps_message(m) && figures::message_is_agents(m, id)
            });
            Split {
                id: id.get(),
                name: names.user(Some(id)),
                figures: facts.figures(&|p| keep(p) && p.agent == Some(id)),
                messages_in: Some(i),
                messages_out: Some(o),
                time_online_s: Some(online.get(&id).copied().unwrap_or(0)),
            }
        })
        .collect();

    let by_channel = names
        .channels
        .iter()
        .filter(|(id, _)| q.channel.is_none_or(|f| f == *id))
        .map(|(id, name)| {
            let (i, o) = figures::messages(&loaded.messages, &|m| {
                q.keeps_message(m) && m.channel == *id
            });
            Split {
                id: id.get(),
                name: name.clone(),
                figures: facts.figures(&|p| keep(p) && loaded.tickets[p.ticket].channel == *id),
                messages_in: Some(i),
                messages_out: Some(o),
                time_online_s: None,
            }
        })
        .collect();
    let by_tag = names
        .tags
        .iter()
        .filter(|(id, _)| q.tag.is_none_or(|f| f == *id))
        .map(|(id, name)| Split {
            id: id.get(),
            name: name.clone(),
            figures: facts.figures(&|p| keep(p) && loaded.tickets[p.ticket].tags.contains(id)),
            messages_in: None,
            messages_out: None,
            time_online_s: None,
        })
        .collect();

    let mut daily: Vec<Day> = q
        .from
        .iter_days()
        .take_while(|d| *d <= q.to)
        .map(|date| Day {
            date,
            created: 0,
            resolved: 0,
        })
        .collect();
    let day_of = |at: DateTime<Utc>| (at.with_timezone(&zone).date_naive() - q.from).num_days();
    for (at, _) in facts.created.iter().filter(|(_, p)| keep(p)) {
        if let Some(day) = usize::try_from(day_of(*at))
            .ok()
            .and_then(|i| daily.get_mut(i))
        {
            day.created += 1;
        }
    }
    for r in facts.resolved.iter().filter(|r| keep(&r.place)) {
        if let Some(day) = usize::try_from(day_of(r.at))
            .ok()
            .and_then(|i| daily.get_mut(i))
        {
            day.resolved += 1;
        }
    }

    Summary {
        from: q.from,
        to: q.to,
        time_zone: zone.name().to_owned(),
        business_hours: q.business_hours,
        filters: Filters {
            queue_id: q.queue,
            user_id: q.user,
            channel_id: q.channel,
            tag: q.tag.map(|t| names.tag(t)),
        },
        bot: bot_figures(&loaded.bot, totals.bot_contained),
        totals,
        messages_in,
        messages_out,
        by_queue,
        by_agent,
        by_channel,
        by_tag,
        daily,
    }
}

/// Seconds online per person within `[start, end)`.
fn time_online(
    presence: &[PresenceSpan],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<UserId, i64> {
    let now = Utc::now();
    let mut online = BTreeMap::new();
    for span in presence {
        let from = span.started_at.max(start);
        let to = span.ended_at.unwrap_or(now).min(end);
        if from < to {
            *online.entry(span.user).or_insert(0) += (to - from).num_seconds();
        }
    }
    online
}

fn bot_figures(records: &[(String, String, i64)], contained: usize) -> BotFigures {
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default)]
        menu: String,
        #[serde(default)]
        option: String,
        #[serde(default)]
        rule: i64,
    }
    let mut options: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut auto_replies: BTreeMap<i64, i64> = BTreeMap::new();
    let mut abandoned = 0;
    for (kind, detail, count) in records {
        let detail: Option<Detail> = serde_json::from_str(detail).ok();
        match (kind.as_str(), detail) {
            ("option_chosen", Some(d)) => *options.entry((d.menu, d.option)).or_default() += count,
            ("auto_reply", Some(d)) => *auto_replies.entry(d.rule + 1).or_default() += count,
            ("idle_closed", _) => abandoned += count,
            _ => {}
        }
    }
    let mut options: Vec<OptionUse> = options
        .into_iter()
        .map(|((menu, option), count)| OptionUse {
            menu,
            option,
            count,
        })
        .collect();
    options.sort_by_key(|o| std::cmp::Reverse(o.count));
    BotFigures {
        contained,
        abandoned,
        options,
        auto_replies: auto_replies
            .into_iter()
            .map(|(rule, count)| AutoReplyUse { rule, count })
            .collect(),
    }
}

/// `GET /api/v1/reports/heatmap`: tickets created by weekday (Monday first) and hour.
#[derive(Debug, Clone, Serialize)]
pub struct Heatmap {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub time_zone: String,
    pub weekdays: [&'static str; 7],
    /// `counts[weekday][hour]`.
    pub counts: Vec<[usize; 24]>,
    pub total: usize,
    pub max: usize,
}

pub async fn heatmap(app: &App, account: &Account, q: &ReportQuery) -> Result<Heatmap, AppError> {
    let (_, facts) = load(app, account, q, Needs::Tickets).await?;
    Ok(heatmap_of(&facts, q, account.time_zone.tz()))
}

fn heatmap_of(facts: &Facts, q: &ReportQuery, zone: Tz) -> Heatmap {
    let mut counts = vec![[0usize; 24]; 7];
    let mut total = 0;
    for (at, _) in facts.created.iter().filter(|(_, p)| q.keeps(p)) {
        let local = at.with_timezone(&zone);
        counts[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        total += 1;
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(0);
    Heatmap {
        from: q.from,
        to: q.to,
        time_zone: zone.name().to_owned(),
        weekdays: [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
        counts,
        total,
        max,
    }
}

/// One exported ticket: its names and times.
#[derive(Debug, Clone)]
pub struct TicketLine {
    pub ticket: TicketFacts,
    pub channel: String,
    pub queue: String,
    pub agent: String,
    pub tags: Vec<String>,
    pub times: figures::Line,
}

/// The tickets behind a report, one line each, oldest first.
pub async fn ticket_lines(
    app: &App,
    account: &Account,
    q: &ReportQuery,
) -> Result<Vec<TicketLine>, AppError> {
    let (loaded, mut facts) = load(app, account, q, Needs::Lines).await?;
    let chosen = facts.tickets(&|p| q.keeps(p));
    let names = &loaded.names;
    let mut tickets: Vec<Option<TicketFacts>> = loaded.tickets.into_iter().map(Some).collect();
    Ok(chosen
        .into_iter()
        .filter_map(|i| {
            let ticket = tickets.get_mut(i)?.take()?;
            Some(TicketLine {
                channel: names.channel(ticket.channel),
                queue: names.queue(ticket.queue),
                agent: names.user(ticket.assignee),
                tags: ticket.tags.iter().map(|t| names.tag(*t)).collect(),
                times: std::mem::take(facts.lines.get_mut(i)?),
                ticket,
            })
        })
        .collect())
}

/// The live picture: waiting per queue with the longest wait, open per agent, who is
/// online. An agent sees their queues and themselves.
#[derive(Debug, Clone, Serialize)]
pub struct NowPanel {
    pub waiting: Vec<QueueNow>,
    pub waiting_total: i64,
    pub longest_wait_s: Option<i64>,
    pub with_bot: i64,
    pub agents: Vec<AgentNow>,
    pub online: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueNow {
    pub id: Option<QueueId>,
    pub name: String,
    pub waiting: i64,
    pub longest_wait_s: Option<i64>,
    /// Waiting past the queue's limit.
    pub late: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentNow {
    pub id: UserId,
    pub name: String,
    pub status: String,
    pub online: bool,
    pub open: i64,
}

pub async fn now(app: &App, viewer: &User, account: &Account) -> Result<NowPanel, AppError> {
    let (account_id, viewer_id) = (account.id, viewer.id);
    let sees_all = viewer.role.sees_all_queues();
    let (live, queues, mine, members) = app
        .store
        .read(move |c| {
            Ok::<_, saw_store::StoreError>((
                repo::now(c, account_id)?,
                queues::list(c, account_id)?,
                queues::of_user(c, viewer_id)?,
                saw_store::repo::team::members(c, account_id)?,
            ))
        })
        .await?;
    let at = Utc::now();
    let waiting: Vec<QueueNow> = live
        .waiting
        .iter()
        .filter(|(queue, _, _)| sees_all || mine.iter().any(|m| Some(m.id) == *queue))
        .map(|(queue, count, oldest)| {
            let found = queues.iter().find(|q| Some(q.id) == *queue);
            let longest = oldest.map(|o| (at - o).num_seconds().max(0));
            let limit = found.map_or(0, |q| q.max_wait_minutes);
            QueueNow {
                id: *queue,
                name: found.map(|q| q.name.clone()).unwrap_or_default(),
                waiting: *count,
                longest_wait_s: longest,
                late: limit > 0 && longest.is_some_and(|s| s > limit * 60),
            }
        })
        .collect();
    let agents: Vec<AgentNow> = members
        .into_iter()
        .filter(|m| sees_all || m.id == viewer_id)
        .map(|m| AgentNow {
            id: m.id,
            name: m.name,
            status: m.status.as_str().to_owned(),
            online: m.online,
            open: m.open,
        })
        .collect();
    Ok(NowPanel {
        waiting_total: waiting.iter().map(|w| w.waiting).sum(),
        longest_wait_s: waiting.iter().filter_map(|w| w.longest_wait_s).max(),
        with_bot: if sees_all { live.with_bot } else { 0 },
        online: agents.iter().filter(|a| a.online).count(),
        waiting,
        agents,
    })
}
