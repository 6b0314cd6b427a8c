//! Business hours: a weekly schedule in the account's time zone, with holidays and special
//! dates, answering "open now?" and "when do we open next?".
//!
//! Every interval is turned into two instants through the tz database on its own date, so
//! an interval crossing midnight, a daylight-saving change (São Paulo had them until 2019)
//! or a holiday in the middle of a weekend all come out right without fixed offsets.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use saw_core::account::Language;
use serde::{Deserialize, Serialize};

const DAY_MINUTES: u16 = 24 * 60;
/// How far [`BusinessHours::next_opening`] looks: beyond a year the answer helps no one.
const LOOKAHEAD_DAYS: u64 = 400;

/// Opening hours within one day, written `08:00-18:00`. `24:00` may end an interval; an
/// end before the start (`22:00-02:00`) runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    start: u16,
    end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an interval such as 08:00-18:00 (24:00 may end one; start and end must differ)"
)]
pub struct IntervalError(pub String);

impl Interval {
    /// The whole day.
    pub const ALL_DAY: Interval = Interval {
        start: 0,
        end: DAY_MINUTES,
    };

    /// From `(hour, minute)` pairs; `None` unless both are times of day (or 24:00 for the
    /// end) and they differ.
    pub fn new(start: (u16, u16), end: (u16, u16)) -> Option<Interval> {
        let minutes = |(h, m): (u16, u16)| {
            (m < 60)
                .then(|| h.checked_mul(60)?.checked_add(m))
                .flatten()
                .filter(|t| *t <= DAY_MINUTES)
        };
        let (start, end) = (minutes(start)?, minutes(end)?);
        (start < DAY_MINUTES && start != end).then_some(Interval { start, end })
    }

    /// Minutes after midnight at which it opens.
    pub fn start_minutes(self) -> u16 {
        self.start
    }

    /// Minutes after its own date's midnight at which it closes (past 1440 when it crosses
    /// midnight).
    pub fn end_minutes(self) -> u16 {
        if self.end < self.start {
            self.end + DAY_MINUTES
        } else {
            self.end
        }
    }

    /// From the store's form: minutes after midnight, a close before the open running past
    /// midnight (`closes` 1440 is 24:00).
    pub fn from_minutes(opens: i64, closes: i64) -> Option<Interval> {
        let hm = |t: i64| u16::try_from(t).ok().map(|t| (t / 60, t % 60));
        Interval::new(hm(opens)?, hm(closes)?)
    }

    /// Minutes after midnight at which it closes, as written (`22:00-02:00` closes at 120).
    pub fn closes_minute(self) -> u16 {
        self.end
    }
}

/// One day's hours as people type them: `08:00-12:00, 13:00-18:00`; blank means closed.
pub fn parse_day(raw: &str) -> Result<Vec<Interval>, IntervalError> {
    let mut intervals = raw
        .split([',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Interval>, _>>()?;
    intervals.sort();
    intervals.dedup();
    Ok(intervals)
}

/// One day's hours as [`parse_day`] reads them.
pub fn format_day(intervals: &[Interval]) -> String {
    intervals
        .iter()
        .map(Interval::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a line of special dates was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a special date: write the date (25/12/2026), then 'fechado' or hours such as 08:00-12:00, then an optional description"
)]
pub struct SpecialDayError(pub String);

/// Words that mark a special date closed all day.
const CLOSED_WORDS: [&str; 3] = ["fechado", "closed", "feriado"];

impl SpecialDay {
    /// One line as people type it: `25/12/2026 fechado Natal`,
    /// `24/12/2026 08:00-12:00 Véspera de Natal` (dates also as `2026-12-24`).
    pub fn parse_line(line: &str) -> Result<SpecialDay, SpecialDayError> {
        let err = || SpecialDayError(line.trim().to_owned());
        let mut words = line.split_whitespace().peekable();
        let date = words.next().ok_or_else(err)?;
        let date = NaiveDate::parse_from_str(date, "%d/%m/%Y")
            .or_else(|_| NaiveDate::parse_from_str(date, "%Y-%m-%d"))
            .map_err(|_| err())?;
        let mut hours = Vec::new();
        let mut closed = false;
        while let Some(word) = words.peek() {
            let word = word.trim_end_matches([',', ';']);
            if CLOSED_WORDS.contains(&word.to_lowercase().as_str()) && hours.is_empty() && !closed {
                closed = true;
            } else if !closed && word.contains(':') {
                hours.push(word.parse::<Interval>().map_err(|_| err())?);
            } else {
                break;
            }
            words.next();
        }
        if !closed && hours.is_empty() {
            return Err(err());
        }
        hours.sort();
        let name = words.collect::<Vec<_>>().join(" ");
        Ok(SpecialDay {
            date,
            hours,
            name: (!name.is_empty()).then_some(name),
        })
    }

    /// The line [`SpecialDay::parse_line`] reads back.
    pub fn to_line(&self, language: Language) -> String {
        let hours = match (self.hours.is_empty(), language) {
            (true, Language::PtBr) => "fechado".to_owned(),
            (true, Language::En) => "closed".to_owned(),
            (false, _) => format_day(&self.hours).replace(", ", " "),
        };
        let mut line = format!("{} {hours}", self.date.format("%d/%m/%Y"));
        if let Some(name) = &self.name {
            line.push(' ');
            line.push_str(name);
        }
        line
    }
}

impl FromStr for Interval {
    type Err = IntervalError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let err = || IntervalError(raw.to_owned());
        let time = |s: &str| -> Option<(u16, u16)> {
            let (h, m) = s.trim().split_once(':')?;
            let number = |p: &str| -> Option<u16> {
                let short_digits =
                    !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
                short_digits.then(|| p.parse().ok()).flatten()
            };
            Some((number(h)?, number(m)?))
        };
        let (start, end) = raw.split_once(['-', '–']).ok_or_else(err)?;
        Interval::new(time(start).ok_or_else(err)?, time(end).ok_or_else(err)?).ok_or_else(err)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |t: u16| format!("{:02}:{:02}", t / 60, t % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// The days of the week, Monday first (the store numbers them 0 to 6 in this order).
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Opening intervals per weekday; a day left empty is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weekly {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuesday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wednesday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thursday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub friday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saturday: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sunday: Vec<Interval>,
}

impl Weekly {
    /// The same intervals Monday to Friday; the weekend closed.
    pub fn weekdays(intervals: &[Interval]) -> Weekly {
        Weekly {
            monday: intervals.to_vec(),
            tuesday: intervals.to_vec(),
            wednesday: intervals.to_vec(),
            thursday: intervals.to_vec(),
            friday: intervals.to_vec(),
            ..Weekly::default()
        }
    }

    pub fn day(&self, day: Weekday) -> &[Interval] {
        match day {
            Weekday::Mon => &self.monday,
            Weekday::Tue => &self.tuesday,
            Weekday::Wed => &self.wednesday,
            Weekday::Thu => &self.thursday,
            Weekday::Fri => &self.friday,
            Weekday::Sat => &self.saturday,
            Weekday::Sun => &self.sunday,
        }
    }

    pub fn day_mut(&mut self, day: Weekday) -> &mut Vec<Interval> {
        match day {
            Weekday::Mon => &mut self.monday,
            Weekday::Tue => &mut self.tuesday,
            Weekday::Wed => &mut self.wednesday,
            Weekday::Thu => &mut self.thursday,
            Weekday::Fri => &mut self.friday,
            Weekday::Sat => &mut self.saturday,
            Weekday::Sun => &mut self.sunday,
        }
    }

    pub fn is_empty(&self) -> bool {
        WEEK.iter().all(|d| self.day(*d).is_empty())
    }
}

/// A date that does not follow the weekly schedule: a holiday (no hours: closed all day)
/// or special hours (Christmas Eve until noon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialDay {
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<Interval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// When a team answers. An empty weekly schedule means every ordinary day is open all
/// day (a fresh install answers at once); special days still apply. When a date is
/// listed twice, the first entry counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    #[serde(default = "default_zone")]
    pub zone: Tz,
    #[serde(default)]
    pub weekly: Weekly,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_days: Vec<SpecialDay>,
}

fn default_zone() -> Tz {
    chrono_tz::America::Sao_Paulo
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours::always_open(default_zone())
    }
}

impl BusinessHours {
    pub fn always_open(zone: Tz) -> Self {
        BusinessHours {
            zone,
            weekly: Weekly::default(),
            special_days: Vec::new(),
        }
    }

    fn open_all_the_time(&self) -> bool {
        self.weekly.is_empty() && self.special_days.is_empty()
    }

    /// The intervals that start on `date`, in order.
    fn intervals_on(&self, date: NaiveDate) -> Vec<Interval> {
        let mut intervals = match self.special_days.iter().find(|s| s.date == date) {
            Some(special) => special.hours.clone(),
            None if self.weekly.is_empty() => vec![Interval::ALL_DAY],
            None => self.weekly.day(date.weekday()).to_vec(),
        };
        intervals.sort();
        intervals
    }

    /// The instants a local date and minute stand for: in a daylight-saving gap, the
    /// first instant after it; when a local time happens twice, the first.
    fn instant(&self, date: NaiveDate, minutes: u16) -> Option<DateTime<Utc>> {
        let local = date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minutes));
        let at = match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
            LocalResult::None => self
                .zone
                .from_local_datetime(&(local + Duration::hours(1)))
                .earliest()?,
        };
        Some(at.with_timezone(&Utc))
    }

    /// Open spans `[start, end)` of the intervals starting on `date`.
    fn spans_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.intervals_on(date)
            .into_iter()
            .filter_map(|i| {
                Some((
                    self.instant(date, i.start_minutes())?,
                    self.instant(date, i.end_minutes())?,
                ))
            })
            .filter(|(start, end)| start < end)
            .collect()
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        if self.open_all_the_time() {
            return true;
        }
        let today = self.local_date(at);
        [today.pred_opt(), Some(today)]
            .into_iter()
            .flatten()
            .flat_map(|d| self.spans_on(d))
            .any(|(start, end)| start <= at && at < end)
    }

    /// The first instant from `at` on when the team is there: `at` itself when open, `None`
    /// when nothing opens within a year.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.open_all_the_time() {
            return Some(at);
        }
        let yesterday = self.local_date(at).pred_opt()?;
        (0..LOOKAHEAD_DAYS)
            .map_while(|n| yesterday.checked_add_days(Days::new(n)))
            .flat_map(|d| self.spans_on(d))
            .find(|(_, end)| *end > at)
            .map(|(start, _)| start.max(at))
    }

    /// How much of `[start, end)` falls within opening hours (special dates included), in
    /// whole seconds: a duration "in business hours only".
    pub fn open_seconds(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        if end <= start {
            return 0;
        }
        if self.open_all_the_time() {
            return (end - start).num_seconds();
        }
        let (Some(mut day), last) = (self.local_date(start).pred_opt(), self.local_date(end))
        else {
            return 0;
        };
        let mut spans = Vec::new();
        while day <= last {
            spans.extend(self.spans_on(day));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        spans.sort();
        // An interval past midnight may overlap the next day's: count each instant once.
        let (mut total, mut counted_to) = (0, start);
        for (open, close) in spans {
            let (from, to) = (open.max(counted_to), close.min(end));
            if from < to {
                total += (to - from).num_seconds();
                counted_to = to;
            }
        }
        total
    }

    /// [`BusinessHours::next_opening`] in words, as [`describe_opening`] says it.
    pub fn describe_next_opening(&self, at: DateTime<Utc>, language: Language) -> Option<String> {
        self.next_opening(at)
            .map(|opening| describe_opening(opening, at, self.zone, language))
    }
}

/// When the team is back, said from `now`: "hoje às 14:00", "amanhã às 08:00",
/// "segunda-feira às 08:00" within a week, "no dia 02/01 às 08:00" later (English:
/// "today at 14:00", "tomorrow at …", "on Monday at …", "on January 2 at …"). Written to
/// follow "Voltamos " / "We'll be back ".
pub fn describe_opening(
    opening: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: Tz,
    language: Language,
) -> String {
    let opening = opening.with_timezone(&zone);
    let today = now.with_timezone(&zone).date_naive();
    let date = opening.date_naive();
    let days = (date - today).num_days();
    let time = format!("{:02}:{:02}", opening.hour(), opening.minute());
    let same_year = date.year() == today.year();
    match language {
        Language::PtBr => {
            let day = match days {
                ..=0 => "hoje".to_owned(),
                1 => "amanhã".to_owned(),
                2..=6 => weekday_pt(date.weekday()).to_owned(),
                _ if same_year => format!("no dia {}", date.format("%d/%m")),
                _ => format!("no dia {}", date.format("%d/%m/%Y")),
            };
            format!("{day} às {time}")
        }
        Language::En => {
            let day = match days {
                ..=0 => "today".to_owned(),
                1 => "tomorrow".to_owned(),
                2..=6 => format!("on {}", date.format("%A")),
                _ if same_year => format!("on {}", date.format("%B %-d")),
                _ => format!("on {}", date.format("%B %-d, %Y")),
            };
            format!("{day} at {time}")
        }
    }
}

fn weekday_pt(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "segunda-feira",
        Weekday::Tue => "terça-feira",
        Weekday::Wed => "quarta-feira",
        Weekday::Thu => "quinta-feira",
        Weekday::Fri => "sexta-feira",
        Weekday::Sat => "sábado",
        Weekday::Sun => "domingo",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(s: &str) -> Interval {
        s.parse().unwrap()
    }

    /// A São Paulo local time as an instant.
    fn sp(date: &str, time: &str) -> DateTime<Utc> {
        let local =
            chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M")
                .unwrap();
        chrono_tz::America::Sao_Paulo
            .from_local_datetime(&local)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office() -> BusinessHours {
        BusinessHours {
            weekly: Weekly::weekdays(&[iv("08:00-12:00"), iv("13:00-18:00")]),
            ..BusinessHours::default()
        }
    }

    #[test]
    fn open_seconds_count_only_business_hours() {
        let hours = office();
        // Friday 17:00 → Monday 09:00: one hour on Friday, one on Monday.
        assert_eq!(
            hours.open_seconds(sp("2026-11-27", "17:00"), sp("2026-11-30", "09:00")),
            2 * 3600
        );
        // Lunch does not count; a span entirely closed counts nothing.
        assert_eq!(
            hours.open_seconds(sp("2026-11-30", "11:30"), sp("2026-11-30", "13:30")),
            3600
        );
        assert_eq!(
            hours.open_seconds(sp("2026-11-28", "10:00"), sp("2026-11-29", "20:00")),
            0
        );
        // A holiday closes its whole day.
        let mut holiday = office();
        holiday.special_days.push(SpecialDay {
            date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            hours: Vec::new(),
            name: Some("Feriado".into()),
        });
        assert_eq!(
            holiday.open_seconds(sp("2026-11-27", "17:00"), sp("2026-12-01", "09:00")),
            2 * 3600
        );
        // Always open: the wall clock; backwards: nothing.
        let always = BusinessHours::default();
        assert_eq!(
            always.open_seconds(sp("2026-11-28", "10:00"), sp("2026-11-28", "10:05")),
            300
        );
        assert_eq!(
            hours.open_seconds(sp("2026-11-30", "10:00"), sp("2026-11-30", "09:00")),
            0
        );
        // Overlapping intervals past midnight count once.
        let mut night = BusinessHours::default();
        night.weekly.monday = vec![iv("22:00-02:00")];
        night.weekly.tuesday = vec![iv("00:00-03:00")];
        assert_eq!(
            night.open_seconds(sp("2026-11-30", "00:00"), sp("2026-12-02", "00:00")),
            5 * 3600
        );
    }

    #[test]
    fn intervals_parse_and_print() {
        assert_eq!(iv("08:00-18:00").to_string(), "08:00-18:00");
        assert_eq!(iv("8:30 - 24:00").to_string(), "08:30-24:00");
        assert_eq!(iv("22:00-02:00").end_minutes(), 26 * 60);
        for bad in [
            "",
            "08:00",
            "08:00-08:00",
            "25:00-26:00",
            "08:60-09:00",
            "24:00-01:00",
            "a-b",
            "8-18",
        ] {
            assert!(bad.parse::<Interval>().is_err(), "{bad}");
        }
    }

    #[test]
    fn days_and_special_dates_as_typed() {
        assert_eq!(parse_day("  "), Ok(vec![]));
        assert_eq!(
            format_day(&parse_day("13:00-18:00; 8:00-12:00,").unwrap()),
            "08:00-12:00, 13:00-18:00"
        );
        assert!(parse_day("08:00-12:00, almoço").is_err());
        let natal = SpecialDay::parse_line(" 25/12/2026 FECHADO Natal ").unwrap();
        assert_eq!(natal.date, NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
        assert!(natal.hours.is_empty());
        assert_eq!(natal.name.as_deref(), Some("Natal"));
        assert_eq!(natal.to_line(Language::PtBr), "25/12/2026 fechado Natal");
        let eve = SpecialDay::parse_line("2026-12-24 08:00-12:00 Véspera de Natal").unwrap();
        assert_eq!(eve.hours, vec![iv("08:00-12:00")]);
        assert_eq!(
            eve.to_line(Language::PtBr),
            "24/12/2026 08:00-12:00 Véspera de Natal"
        );
        assert_eq!(SpecialDay::parse_line(&eve.to_line(Language::En)), Ok(eve));
        for bad in [
            "",
            "Natal",
            "32/12/2026 fechado",
            "25/12/2026",
            "25/12/2026 8h-12h",
        ] {
            assert!(SpecialDay::parse_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn intervals_round_trip_through_minutes() {
        for raw in ["08:00-18:00", "22:00-02:00", "00:00-24:00", "18:30-00:00"] {
            let i = iv(raw);
            let back =
                Interval::from_minutes(i64::from(i.start_minutes()), i64::from(i.closes_minute()));
            assert_eq!(back, Some(i), "{raw}");
        }
        assert_eq!(Interval::from_minutes(-1, 60), None);
        assert_eq!(Interval::from_minutes(60, 1441), None);
    }

    #[test]
    fn an_empty_schedule_is_always_open() {
        let hours = BusinessHours::default();
        let at = sp("2025-06-01", "03:00");
        assert!(hours.is_open(at));
        assert_eq!(hours.next_opening(at), Some(at));
    }

    #[test]
    fn weekdays_in_sao_paulo_time() {
        let hours = office();
        // 2025-06-02 is a Monday; São Paulo is UTC-3 (no DST since 2019).
        assert_eq!(
            sp("2025-06-02", "08:00").to_rfc3339(),
            "2025-06-02T11:00:00+00:00"
        );
        for (date, time, open) in [
            ("2025-06-02", "07:59", false),
            ("2025-06-02", "08:00", true),
            ("2025-06-02", "12:30", false),
            ("2025-06-02", "17:59", true),
            ("2025-06-02", "18:00", false),
            ("2025-06-07", "10:00", false),
            ("2025-06-08", "10:00", false),
        ] {
            assert_eq!(office().is_open(sp(date, time)), open, "{date} {time}");
        }
        assert_eq!(
            hours.next_opening(sp("2025-06-02", "12:30")),
            Some(sp("2025-06-02", "13:00"))
        );
        // Friday evening → Monday morning, across the weekend.
        assert_eq!(
            hours.next_opening(sp("2025-06-06", "18:30")),
            Some(sp("2025-06-09", "08:00"))
        );
        assert_eq!(
            hours.next_opening(sp("2025-06-03", "10:00")),
            Some(sp("2025-06-03", "10:00"))
        );
    }

    #[test]
    fn intervals_across_midnight() {
        let mut hours = BusinessHours::default();
        hours.weekly.friday = vec![iv("22:00-02:00")];
        assert!(!hours.is_open(sp("2025-06-06", "21:59")));
        assert!(hours.is_open(sp("2025-06-06", "23:30")));
        assert!(hours.is_open(sp("2025-06-07", "01:59")));
        assert!(!hours.is_open(sp("2025-06-07", "02:00")));
        assert_eq!(
            hours.next_opening(sp("2025-06-07", "03:00")),
            Some(sp("2025-06-13", "22:00"))
        );
        // A holiday on the Friday takes its night away too.
        hours.special_days.push(SpecialDay {
            date: NaiveDate::from_ymd_opt(2025, 6, 6).unwrap(),
            hours: vec![],
            name: None,
        });
        assert!(!hours.is_open(sp("2025-06-07", "01:00")));
    }

    #[test]
    fn holidays_and_special_hours() {
        let mut hours = office();
        hours.special_days = vec![
            SpecialDay {
                date: NaiveDate::from_ymd_opt(2025, 12, 24).unwrap(),
                hours: vec![iv("08:00-12:00")],
                name: Some("Véspera de Natal".into()),
            },
            SpecialDay {
                date: NaiveDate::from_ymd_opt(2025, 12, 25).unwrap(),
                hours: vec![],
                name: Some("Natal".into()),
            },
        ];
        assert!(hours.is_open(sp("2025-12-24", "11:00")));
        assert!(!hours.is_open(sp("2025-12-24", "14:00")));
        assert!(!hours.is_open(sp("2025-12-25", "10:00")));
        assert_eq!(
            hours.next_opening(sp("2025-12-24", "14:00")),
            Some(sp("2025-12-26", "08:00"))
        );
        // A holiday with an otherwise empty schedule: closed that day only.
        let open = BusinessHours {
            special_days: vec![hours.special_days[1].clone()],
            ..BusinessHours::default()
        };
        assert!(!open.is_open(sp("2025-12-25", "10:00")));
        assert!(open.is_open(sp("2025-12-26", "10:00")));
        assert_eq!(
            open.next_opening(sp("2025-12-25", "10:00")),
            Some(sp("2025-12-26", "00:00"))
        );
    }

    #[test]
    fn the_tz_database_knows_old_daylight_saving() {
        // Until 2019 São Paulo moved to UTC-2 in summer: 08:00 was 10:00 UTC.
        let hours = office();
        let monday = Utc.with_ymd_and_hms(2018, 11, 5, 10, 0, 0).unwrap();
        assert!(hours.is_open(monday));
        assert!(!hours.is_open(monday - Duration::minutes(1)));
        // DST began at midnight on Sunday 2018-11-04 (00:00 never happened): an interval
        // from 00:00 opens at 01:00 local, 03:00 UTC.
        let mut night = BusinessHours::default();
        night.weekly.sunday = vec![iv("00:00-06:00")];
        let saturday_noon = Utc.with_ymd_and_hms(2018, 11, 3, 12, 0, 0).unwrap();
        assert_eq!(
            night.next_opening(saturday_noon),
            Some(Utc.with_ymd_and_hms(2018, 11, 4, 3, 0, 0).unwrap())
        );
        // Back to UTC-3 on 2019-02-17: 23:00 happened twice; the first one counts.
        let mut late = BusinessHours::default();
        late.weekly.saturday = vec![iv("23:00-24:00")];
        let saturday_noon = Utc.with_ymd_and_hms(2019, 2, 16, 12, 0, 0).unwrap();
        assert_eq!(
            late.next_opening(saturday_noon),
            Some(Utc.with_ymd_and_hms(2019, 2, 17, 1, 0, 0).unwrap())
        );
    }

    #[test]
    fn nothing_opens_within_a_year() {
        let mut hours = office();
        let first = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        hours.special_days = (0..500)
            .map(|n| SpecialDay {
                date: first + Days::new(n),
                hours: vec![],
                name: None,
            })
            .collect();
        assert_eq!(hours.next_opening(sp("2025-06-02", "10:00")), None);
        assert!(!hours.is_open(sp("2025-06-02", "10:00")));
    }

    #[test]
    fn openings_in_words() {
        let zone = chrono_tz::America::Sao_Paulo;
        let now = sp("2025-06-06", "19:00"); // a Friday
        for (opening, pt, en) in [
            (sp("2025-06-06", "20:00"), "hoje às 20:00", "today at 20:00"),
            (
                sp("2025-06-07", "08:00"),
                "amanhã às 08:00",
                "tomorrow at 08:00",
            ),
            (
                sp("2025-06-09", "08:00"),
                "segunda-feira às 08:00",
                "on Monday at 08:00",
            ),
            (
                sp("2025-06-20", "08:00"),
                "no dia 20/06 às 08:00",
                "on June 20 at 08:00",
            ),
            (
                sp("2026-01-02", "08:00"),
                "no dia 02/01/2026 às 08:00",
                "on January 2, 2026 at 08:00",
            ),
        ] {
            assert_eq!(describe_opening(opening, now, zone, Language::PtBr), pt);
            assert_eq!(describe_opening(opening, now, zone, Language::En), en);
        }
        // 23:30 in São Paulo is already the next day in UTC: "amanhã" follows local dates.
        assert_eq!(
            describe_opening(
                sp("2025-06-07", "08:00"),
                sp("2025-06-06", "23:30"),
                zone,
                Language::PtBr
            ),
            "amanhã às 08:00"
        );
    }

    #[test]
    fn serde_is_readable() {
        let hours = office();
        let json = serde_json::to_string(&hours).unwrap();
        assert!(
            json.contains(r#""monday":["08:00-12:00","13:00-18:00"]"#),
            "{json}"
        );
        assert!(json.contains(r#""zone":"America/Sao_Paulo""#), "{json}");
        assert_eq!(serde_json::from_str::<BusinessHours>(&json).unwrap(), hours);
        assert_eq!(
            serde_json::from_str::<BusinessHours>("{}").unwrap(),
            BusinessHours::default()
        );
    }
}
