//! From ticket histories to figures, as docs/metrics.md defines them. A ticket's events are
//! walked once, in order, into *facts* (a creation, an accept ending a wait, the first
//! response, a resolution, a satisfaction answer), each kept with the queue and agent it
//! belongs to and only when its closing event falls in the range; every figure, total or
//! split, is then a fold over the facts a filter admits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use saw_core::conversation::TicketEventKind;
use saw_core::ids::{QueueId, UserId};
use saw_store::repo::reports::{MessageCount, TicketFacts};
use serde::Serialize;

use super::stats::DurationStats;
use crate::hours::Schedules;

/// The range and how durations are measured.
pub struct Measure<'a> {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Business hours only, by the schedule of the queue involved; wall clock when `None`.
    pub business: Option<&'a Schedules>,
}

impl Measure<'_> {
    fn in_range(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    fn seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>, queue: Option<QueueId>) -> i64 {
        match self.business {
            Some(schedules) => {
                let hours = match queue {
                    Some(queue) => schedules.of_queue(queue),
                    None => &schedules.account,
                };
                hours.open_seconds(from, to)
            }
            None => (to - from).num_seconds().max(0),
        }
    }
}

/// Whom a fact belongs to: the queue and agent at its closing event, and its ticket (an
/// index into the histories it came from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub queue: Option<QueueId>,
    pub agent: Option<UserId>,
    pub ticket: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Timed {
    pub at: DateTime<Utc>,
    pub seconds: i64,
    pub place: Place,
}

#[derive(Debug, Clone, Copy)]
pub struct Resolution {
    pub at: DateTime<Utc>,
    /// From creation.
    pub seconds: i64,
    /// From the first accept, when a person ever had it.
    pub handling: Option<i64>,
    /// Resolved by the bot (or for silence) without reaching a queue or a person.
    pub contained: bool,
    pub place: Place,
}

/// One ticket's times, for the exported table.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub first_queued_at: Option<DateTime<Utc>>,
    pub first_accepted_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub wait: Option<i64>,
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    pub handling: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub created: Vec<(DateTime<Utc>, Place)>,
    pub accepted: Vec<Timed>,
    pub first_responses: Vec<Timed>,
    pub resolved: Vec<Resolution>,
    pub csat: Vec<(Option<i64>, Place)>,
    /// Per ticket (same index as the histories).
    pub lines: Vec<Line>,
}

impl Facts {
    pub fn of(tickets: &[TicketFacts], measure: &Measure<'_>) -> Facts {
        let mut facts = Facts {
            lines: Vec::with_capacity(tickets.len()),
            ..Facts::default()
        };
        for (index, ticket) in tickets.iter().enumerate() {
            let line = facts.walk(index, ticket, measure);
            facts.lines.push(line);
        }
        facts
    }

    fn walk(&mut self, index: usize, t: &TicketFacts, m: &Measure<'_>) -> Line {
        let place = |queue, agent| Place {
            queue,
            agent,
            ticket: index,
        };
        let mut line = Line::default();
        let (mut queue, mut agent) = (None::<QueueId>, None::<UserId>);
        let mut waiting_since: Option<(DateTime<Utc>, Option<QueueId>)> = None;
        let mut first_queued: Option<(DateTime<Utc>, Option<QueueId>)> = None;
        let mut reached_people = false;
        let mut reply = t.first_agent_reply_at;
        // The first reply with the queue and the first wait of that moment.
        let mut replied = None;
        for e in &t.events {
            if let Some(at) = reply.filter(|at| *at < e.at) {
                replied = Some((at, queue, first_queued));
                reply = None;
            }
            match e.kind {
                TicketEventKind::Created => {
                    queue = e.to_queue.or(queue);
                    if m.in_range(e.at) {
                        self.created.push((e.at, place(t.queue, t.assignee)));
                    }
                }
                TicketEventKind::Queued => {
                    queue = e.to_queue.or(queue);
                    waiting_since = Some((e.at, queue));
                    first_queued.get_or_insert((e.at, queue));
                    line.first_queued_at.get_or_insert(e.at);
                    reached_people = true;
                }
                TicketEventKind::Accepted | TicketEventKind::Transferred => {
                    if let Some(to) = e.to_queue {
                        queue = Some(to);
                    }
                    // An accept, or a transfer straight to a person, ends a wait.
                    let taker = match e.kind {
                        TicketEventKind::Accepted => e.to_user.or(e.actor),
                        _ => e.to_user,
                    };
                    reached_people = true;
                    let Some(taker) = taker else { continue };
                    agent = Some(taker);
                    line.first_accepted_at.get_or_insert(e.at);
                    if let Some((since, waited_in)) = waiting_since.take() {
                        let seconds = m.seconds(since, e.at, waited_in);
                        line.wait.get_or_insert(seconds);
                        if m.in_range(e.at) {
                            self.accepted.push(Timed {
                                at: e.at,
                                seconds,
                                place: place(waited_in, Some(taker)),
                            });
                        }
                    }
                }
                TicketEventKind::ReturnedToBot => {
                    (queue, agent, waiting_since) = (None, None, None);
                }
                TicketEventKind::Reopened => {}
                TicketEventKind::Resolved => {
                    waiting_since = None;
                    let seconds = m.seconds(t.created_at, e.at, queue);
                    let handling = line.first_accepted_at.map(|a| m.seconds(a, e.at, queue));
                    (line.resolved_at, line.resolution, line.handling) =
                        (Some(e.at), Some(seconds), handling);
                    if m.in_range(e.at) {
                        self.resolved.push(Resolution {
                            at: e.at,
                            seconds,
                            handling,
                            contained: !reached_people,
                            place: place(queue, e.actor.or(agent)),
                        });
                    }
                }
            }
        }
        if let Some(at) = reply {
            replied = Some((at, queue, first_queued));
        }
        // Only an answer to a customer who waited counts (not a conversation an agent
        // started, nor a ticket taken straight from the bot).
        if let Some((at, queue, Some((since, waited_in)))) = replied
            && since <= at
        {
            let seconds = m.seconds(since, at, waited_in);
            (line.first_response_at, line.first_response) = (Some(at), Some(seconds));
            if m.in_range(at) {
                self.first_responses.push(Timed {
                    at,
                    seconds,
                    place: place(queue, t.first_reply_by),
                });
            }
        }
        if t.csat_asked_at.is_some_and(|at| m.in_range(at)) {
            self.csat.push((t.csat_rating, place(t.queue, t.assignee)));
        }
        line
    }

    /// The tickets behind the facts `keep` admits, in order.
    pub fn tickets(&self, keep: &dyn Fn(&Place) -> bool) -> Vec<usize> {
        let mut seen = vec![false; self.lines.len()];
        let places = self
            .created
            .iter()
            .map(|(_, p)| p)
            .chain(self.accepted.iter().map(|f| &f.place))
            .chain(self.first_responses.iter().map(|f| &f.place))
            .chain(self.resolved.iter().map(|f| &f.place))
            .chain(self.csat.iter().map(|(_, p)| p));
        for place in places.filter(|p| keep(p)) {
            seen[place.ticket] = true;
        }
        (0..seen.len()).filter(|i| seen[*i]).collect()
    }

    /// The ticket figures over the facts `keep` admits.
    pub fn figures(&self, keep: &dyn Fn(&Place) -> bool) -> TicketFigures {
        let durations = |facts: &[Timed]| {
            DurationStats::of(
                facts
                    .iter()
                    .filter(|f| keep(&f.place))
                    .map(|f| f.seconds)
                    .collect(),
            )
        };
        let resolved: Vec<&Resolution> = self.resolved.iter().filter(|r| keep(&r.place)).collect();
        TicketFigures {
            tickets_created: self.created.iter().filter(|(_, p)| keep(p)).count(),
            tickets_accepted: self.accepted.iter().filter(|f| keep(&f.place)).count(),
            tickets_resolved: resolved.len(),
            bot_contained: resolved.iter().filter(|r| r.contained).count(),
            wait_time: durations(&self.accepted),
            first_response_time: durations(&self.first_responses),
            resolution_time: DurationStats::of(resolved.iter().map(|r| r.seconds).collect()),
            handling_time: DurationStats::of(resolved.iter().filter_map(|r| r.handling).collect()),
            csat: Csat::of(
                self.csat
                    .iter()
                    .filter(|(_, p)| keep(p))
                    .map(|(rating, _)| *rating),
            ),
        }
    }
}

/// The figures of a set of tickets (docs/metrics.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketFigures {
    pub tickets_created: usize,
    pub tickets_accepted: usize,
    pub tickets_resolved: usize,
    pub bot_contained: usize,
    pub wait_time: DurationStats,
    pub first_response_time: DurationStats,
    pub resolution_time: DurationStats,
    pub handling_time: DurationStats,
    pub csat: Csat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Csat {
    /// Rounded to two decimals.
    pub avg: Option<f64>,
    pub responses: usize,
    /// Questions asked in the range.
    pub asked: usize,
    /// Responses ÷ questions asked, rounded to three decimals.
    pub response_rate: Option<f64>,
    /// `"1"` … `"5"`: how many answered each.
    pub distribution: BTreeMap<String, usize>,
}

impl Csat {
    fn of(asked: impl Iterator<Item = Option<i64>>) -> Csat {
        let mut distribution: BTreeMap<String, usize> =
            (1..=5).map(|n| (n.to_string(), 0)).collect();
        let (mut asked_n, mut responses, mut sum) = (0, 0, 0);
        for rating in asked {
            asked_n += 1;
            if let Some(r) = rating.filter(|r| (1..=5).contains(r)) {
                responses += 1;
                sum += r;
                *distribution.entry(r.to_string()).or_default() += 1;
            }
        }
        let round = |x: f64, places: i32| {
            let f = 10f64.powi(places);
            (x * f).round() / f
        };
        Csat {
            avg: (responses > 0).then(|| round(sum as f64 / responses as f64, 2)),
            responses,
            asked: asked_n,
            response_rate: (asked_n > 0).then(|| round(responses as f64 / asked_n as f64, 3)),
            distribution,
        }
    }
}

/// Messages in and out among the counts `keep` admits.
pub fn messages(counts: &[MessageCount], keep: &dyn Fn(&MessageCount) -> bool) -> (i64, i64) {
    counts
        .iter()
        .filter(|m| keep(m))
        .fold((0, 0), |(i, o), m| match m.inbound {
            true => (i + m.count, o),
            false => (i, o + m.count),
        })
}

/// A message is an agent's when they wrote it (out) or the ticket is theirs (in).
pub fn message_is_agents(m: &MessageCount, agent: UserId) -> bool {
    match m.inbound {
        true => m.assignee == Some(agent),
        false => m.author == Some(agent),
    }
}
