//! Business hours as admins set them: the account's weekly schedule and special dates, and
//! optionally a queue's own. A fresh install has none and is open at all hours; the bot
//! reads them ([`load`]) to tell a customer routed to a closed queue when it opens again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use saw_bot::hours::{self as schedule, BusinessHours, Interval, SpecialDay, WEEK};
use saw_core::account::{Account, Language};
use saw_core::ids::{AccountId, QueueId};
use saw_store::repo::hours::{self, ExceptionRow};
use saw_store::repo::{audit, queues};
use saw_store::{Conn, StoreError, now};

use crate::{Actor, App, AppError};

/// The account's hours and those of the queues that keep their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedules {
    pub account: BusinessHours,
    pub queues: BTreeMap<QueueId, BusinessHours>,
}

impl Schedules {
    /// The hours that apply to `queue`: its own, else the account's.
    pub fn of_queue(&self, queue: QueueId) -> &BusinessHours {
        self.queues.get(&queue).unwrap_or(&self.account)
    }
}

/// Every schedule of the account, in its time zone. A stored row that no longer makes an
/// interval is logged and left out rather than closing the team for good.
pub fn load(c: &mut dyn Conn, account: AccountId, zone: Tz) -> Result<Schedules, StoreError> {
    let (weekly, exceptions) = hours::all(c, account)?;
    let mut scopes: BTreeMap<Option<QueueId>, BusinessHours> = BTreeMap::new();
    fn scope(
        scopes: &mut BTreeMap<Option<QueueId>, BusinessHours>,
        queue: Option<QueueId>,
        zone: Tz,
    ) -> &mut BusinessHours {
        scopes
            .entry(queue)
            .or_insert_with(|| BusinessHours::always_open(zone))
    }
    for (queue, weekday, opens, closes) in weekly {
        let day = usize::try_from(weekday).ok().and_then(|d| WEEK.get(d));
        match (day, Interval::from_minutes(opens, closes)) {
            (Some(day), Some(interval)) => scope(&mut scopes, queue, zone)
                .weekly
                .day_mut(*day)
                .push(interval),
            _ => tracing::warn!(
                weekday,
                opens,
                closes,
                "skipping a stored business-hours row"
            ),
        }
    }
    for row in exceptions {
        let Ok(date) = chrono::NaiveDate::parse_from_str(&row.day, "%Y-%m-%d") else {
            tracing::warn!(day = %row.day, "skipping a stored special date");
            continue;
        };
        let interval = row.hours.and_then(|(o, c)| Interval::from_minutes(o, c));
        let hours = scope(&mut scopes, row.queue, zone);
        match hours.special_days.iter_mut().find(|d| d.date == date) {
            Some(day) => day.hours.extend(interval),
            None => hours.special_days.push(SpecialDay {
                date,
                hours: interval.into_iter().collect(),
                name: (!row.description.is_empty()).then_some(row.description),
            }),
        }
    }
    for hours in scopes.values_mut() {
        for day in WEEK {
            hours.weekly.day_mut(day).sort();
        }
    }
    let account_hours = scopes
        .remove(&None)
        .unwrap_or_else(|| BusinessHours::always_open(zone));
    let queues = scopes
        .into_iter()
        .filter_map(|(queue, hours)| Some((queue?, hours)))
        .collect();
    Ok(Schedules {
        account: account_hours,
        queues,
    })
}

/// The schedules of `account`, read on their own.
pub async fn get(app: &App, account: &Account) -> Result<Schedules, AppError> {
    let (id, zone) = (account.id, account.time_zone.tz());
    Ok(app.store.read(move |c| load(c, id, zone)).await?)
}

/// What is wrong with a schedule typed on the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursProblem {
    /// Weekday `day` (0 = Monday) is not a list of intervals.
    #[error("{}: '{value}' is not a list of intervals such as 08:00-12:00, 13:00-18:00", DAY_NAMES[*day])]
    Day { day: usize, value: String },
    #[error(
        "'{0}' is not a special date such as '25/12/2026 fechado Natal' or '24/12/2026 08:00-12:00 Véspera'"
    )]
    SpecialDate(String),
    #[error("{0} is listed twice: put all of that date's hours on one line")]
    DateTwice(String),
}

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A schedule from the form's fields: one line of intervals per weekday, Monday first
/// (`08:00-12:00, 13:00-18:00`, blank for closed), and special dates one per line
/// (`25/12/2026 fechado Natal`). All blank is `None`: no schedule of its own.
pub fn parse_form(
    days: &[&str; 7],
    special: &str,
    zone: Tz,
) -> Result<Option<BusinessHours>, AppError> {
    let mut hours = BusinessHours::always_open(zone);
    for (n, (day, raw)) in WEEK.iter().zip(days).enumerate() {
        *hours.weekly.day_mut(*day) = schedule::parse_day(raw).map_err(|_| {
            AppError::InvalidHours(HoursProblem::Day {
                day: n,
                value: raw.trim().to_owned(),
            })
        })?;
    }
    for line in special.lines().filter(|l| !l.trim().is_empty()) {
        let day = SpecialDay::parse_line(line)
            .map_err(|_| AppError::InvalidHours(HoursProblem::SpecialDate(line.trim().into())))?;
        if hours.special_days.iter().any(|d| d.date == day.date) {
            let date = day.date.format("%d/%m/%Y").to_string();
            return Err(AppError::InvalidHours(HoursProblem::DateTwice(date)));
        }
        hours.special_days.push(day);
    }
    hours.special_days.sort_by_key(|d| d.date);
    Ok((!hours.weekly.is_empty() || !hours.special_days.is_empty()).then_some(hours))
}

/// What the form shows for `hours`: each weekday's intervals, Monday first, and the special
/// dates one per line, in the account's language.
pub fn form_fields(hours: &BusinessHours, language: Language) -> ([String; 7], String) {
    let days = WEEK.map(|day| schedule::format_day(hours.weekly.day(day)));
    let special = hours
        .special_days
        .iter()
        .map(|d| d.to_line(language))
        .collect::<Vec<_>>()
        .join("\n");
    (days, special)
}

/// Whether the team is there at `at`, and if not, when it is back ("segunda-feira às 08:00").
pub enum OpenNow {
    /// No schedule: open at all hours.
    AlwaysOpen,
    Open,
    /// Closed; back at the time said, or not within a year.
    Closed(Option<String>),
}

pub fn open_now(hours: &BusinessHours, at: DateTime<Utc>, language: Language) -> OpenNow {
    if hours.weekly.is_empty() && hours.special_days.is_empty() {
        OpenNow::AlwaysOpen
    } else if hours.is_open(at) {
        OpenNow::Open
    } else {
        OpenNow::Closed(hours.describe_next_opening(at, language))
    }
}

/// Replaces the account's schedule (`queue` `None`) or a queue's. `None` hours clear it:
/// the account is open at all hours again, the queue follows the account's schedule.
pub async fn set(
    app: &App,
    actor: &Actor,
    account: AccountId,
    queue: Option<QueueId>,
    hours: Option<BusinessHours>,
) -> Result<(), AppError> {
    let mut weekly = Vec::new();
    let mut exceptions = Vec::new();
    if let Some(hours) = &hours {
        for (n, day) in WEEK.iter().enumerate() {
            for i in hours.weekly.day(*day) {
                weekly.push((
                    n as i64,
                    i64::from(i.start_minutes()),
                    i64::from(i.closes_minute()),
                ));
            }
        }
        for day in &hours.special_days {
            let row = |hours: Option<&Interval>| ExceptionRow {
                queue,
                day: day.date.format("%Y-%m-%d").to_string(),
                hours: hours.map(|i| (i64::from(i.start_minutes()), i64::from(i.closes_minute()))),
                description: day.name.clone().unwrap_or_default(),
            };
            match day.hours.is_empty() {
                true => exceptions.push(row(None)),
                false => exceptions.extend(day.hours.iter().map(|i| row(Some(i)))),
            }
        }
    }
    let target = match queue {
        Some(q) => format!("queue {q}"),
        None => "account".to_owned(),
    };
    let mut entry = actor.audit(account, "hours.changed", target);
    entry.detail = Some(match &hours {
        Some(_) => format!(
            "{} weekly intervals, {} special dates",
            weekly.len(),
            hours.as_ref().map_or(0, |h| h.special_days.len())
        ),
        None if queue.is_some() => "follows the account's hours".to_owned(),
        None => "open at all hours".to_owned(),
    });
    app.store
        .write(move |c| {
            if let Some(q) = queue {
                queues::by_id(c, account, q)?;
            }
            hours::replace(c, account, queue, &weekly, &exceptions)?;
            audit::record(c, &entry, now())
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: Tz = chrono_tz::America::Sao_Paulo;

    #[test]
    fn the_form_names_what_is_wrong() {
        let days = ["08:00-18:00", "", "", "", "", "", ""];
        assert_eq!(parse_form(&[""; 7], " \n", SP).unwrap(), None);
        let hours = parse_form(&days, "25/12/2026 fechado Natal\n\n", SP)
            .unwrap()
            .unwrap();
        assert_eq!(hours.weekly.monday.len(), 1);
        assert_eq!(hours.special_days.len(), 1);
        let bad = ["", "", "8h-18h", "", "", "", ""];
        let err = parse_form(&bad, "", SP).unwrap_err().to_string();
        assert!(err.contains("Wednesday") && err.contains("8h-18h"), "{err}");
        let twice = "25/12/2026 fechado\n25/12/2026 08:00-12:00";
        let err = parse_form(&days, twice, SP).unwrap_err().to_string();
        assert!(err.contains("25/12/2026 is listed twice"), "{err}");
    }
}
