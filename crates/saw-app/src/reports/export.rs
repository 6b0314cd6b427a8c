//! The ticket table behind a report as CSV: a header row, then one row per ticket with its
//! times (in the account's time zone) and durations in seconds. A cell a spreadsheet would
//! run as a formula is neutralised.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::TicketLine;

pub const HEADER: [&str; 20] = [
    "ticket_id",
    "protocol",
    "channel",
    "contact_name",
    "contact_phone",
    "status",
    "queue",
    "agent",
    "tags",
    "created_at",
    "first_queued_at",
    "accepted_at",
    "first_response_at",
    "resolved_at",
    "wait_s",
    "first_response_s",
    "resolution_s",
    "handling_s",
    "csat",
    "csat_asked",
];

/// The CSV of `lines`.
pub fn tickets_csv(lines: &[TicketLine], zone: Tz) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory fails only on a bug; an error here would lose nothing but the row.
    let _ = out.write_record(HEADER);
    let time = |at: Option<DateTime<Utc>>| {
        at.map(|t| {
            t.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
    };
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    for line in lines {
        let t = &line.ticket;
        let times = &line.times;
        let row = [
            t.id.to_string(),
            t.protocol.clone(),
            line.channel.clone(),
            t.contact_name.clone(),
            t.contact_phone.clone().unwrap_or_default(),
            t.status.as_str().to_owned(),
            line.queue.clone(),
            line.agent.clone(),
            line.tags.join(", "),
            time(Some(t.created_at)),
            time(times.first_queued_at),
            time(times.first_accepted_at),
            time(times.first_response_at),
            time(times.resolved_at),
            number(times.wait),
            number(times.first_response),
            number(times.resolution),
            number(times.handling),
            number(t.csat_rating),
            if t.csat_asked_at.is_some() {
                "yes"
            } else {
                "no"
            }
            .to_owned(),
        ];
        let _ = out.write_record(row.iter().map(|cell| neutralise(cell).into_owned()));
    }
    out.into_inner().unwrap_or_default()
}

/// A cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
/// spreadsheets skip before looking) is a formula to a spreadsheet: a leading apostrophe
/// makes it text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_the_rest_stays() {
        for formula in ["=1+1", "+5511999990000", "-2", "@SUM(A1)", "\tx", "\r=x"] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        for plain in ["Maria", "", "5511", "a=b", "'quoted"] {
            assert_eq!(neutralise(plain), plain);
        }
    }
}
