//! A month of a busy team's history, written in bulk: tickets that the bot answers alone
//! and tickets routed to a queue, accepted, answered and resolved by an agent of it, with
//! their events, messages and satisfaction answers — the rows the reports read, shaped as
//! SAW writes them.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use saw_core::ids::{AccountId, ChannelId, QueueId, UserId};
use saw_core::user::{Email, Role};
use saw_store::repo::{accounts, channels, queues, tallies, users};
use saw_store::{Conn, Store, StoreError, Value};

/// Rows per multi-row INSERT (well under both backends' parameter limits).
const ROWS_PER_INSERT: usize = 400;
/// Tickets per write transaction.
const TICKETS_PER_TRANSACTION: usize = 5_000;

pub struct Shape {
    pub messages: usize,
    pub per_ticket: usize,
    pub days: u32,
    pub agents: usize,
    pub queues: usize,
}

pub struct Seeded {
    pub account: AccountId,
    pub tickets: usize,
    pub messages: usize,
    pub events: usize,
}

/// Writes the history ending at `end`.
pub async fn history(store: &Store, shape: &Shape, end: DateTime<Utc>) -> anyhow::Result<Seeded> {
    let start = end - Duration::days(i64::from(shape.days));
    let (queue_count, agent_count) = (shape.queues.max(1), shape.agents.max(1));
    let (account, channel, queues, agents) = store
        .write(move |c| {
            let account = accounts::create(c, "Loja de Testes", start)?;
            let channel =
                channels::insert(c, &channels::NewChannel::sandbox(account, "Sandbox"), start)?;
            let queues = (0..queue_count)
                .map(|n| queues::insert(c, account, &format!("Fila {n}"), "#0f766e", start))
                .collect::<Result<Vec<_>, _>>()?;
            let mut agents = Vec::new();
            for n in 0..agent_count {
                let email = Email::parse(&format!("agente{n}@loja.com.br"))
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                let user = users::insert(
                    c,
                    &users::NewUser {
                        account_id: account,
                        name: &format!("Agente {n}"),
                        email: &email,
                        role: Role::Agent,
                        password_hash: "-",
                        must_change_password: false,
                    },
                    start,
                )?;
                queues::add_member(c, queues[n % queues.len()], user)?;
                agents.push(user);
            }
            Ok::<_, StoreError>((account, channel, queues, agents))
        })
        .await
        .context("creating the account")?;

    let per_ticket = shape.per_ticket.max(2);
    let tickets = (shape.messages / per_ticket).max(1);
    let spacing = Duration::days(i64::from(shape.days)).num_milliseconds() / tickets as i64;
    let mut rng = StdRng::seed_from_u64(20_261_201);
    let mut seeded = Seeded {
        account,
        tickets,
        messages: 0,
        events: 0,
    };
    let world = World { queues, agents };
    let mut first = 0;
    while first < tickets {
        let last = (first + TICKETS_PER_TRANSACTION).min(tickets);
        let mut rows = Rows {
            account,
            channel,
            contacts: Vec::new(),
            tickets: Vec::new(),
            events: Vec::new(),
            messages: Vec::new(),
        };
        for n in first..last {
            let created = start
                + Duration::milliseconds(spacing * n as i64 + rng.gen_range(0..spacing.max(1)));
            world.ticket(&mut rows, &mut rng, n as i64 + 1, created, per_ticket);
        }
        seeded.messages += rows.messages.len();
        seeded.events += rows.events.len();
        store
            .write(move |c| rows.insert(c))
            .await
            .context("writing the history")?;
        first = last;
    }
    store
        .write(move |c| tallies::recount(c, account))
        .await
        .context("counting the messages per hour")?;
    Ok(seeded)
}

struct World {
    queues: Vec<QueueId>,
    agents: Vec<UserId>,
}

type Time = DateTime<Utc>;
/// ticket, kind, at, actor, to queue.
type EventRow = (i64, &'static str, Time, Option<UserId>, Option<QueueId>);

struct Rows {
    account: AccountId,
    channel: ChannelId,
    contacts: Vec<(i64, String, Time)>,
    tickets: Vec<TicketRow>,
    events: Vec<EventRow>,
    /// ticket, inbound, author, at.
    messages: Vec<(i64, bool, Option<UserId>, Time)>,
}

struct TicketRow {
    id: i64,
    queue: Option<QueueId>,
    agent: Option<UserId>,
    created: Time,
    queued: Option<Time>,
    accepted: Option<Time>,
    first_reply: Option<Time>,
    resolved: Time,
    rating: Option<i64>,
}

impl World {
    fn ticket(&self, rows: &mut Rows, rng: &mut StdRng, id: i64, created: Time, messages: usize) {
        let seconds =
            |rng: &mut StdRng, from: i64, to: i64| Duration::seconds(rng.gen_range(from..to));
        rows.contacts
            .push((id, format!("55119{:08}", id % 100_000_000), created));
        rows.events.push((id, "created", created, None, None));
        // One in twelve the bot answers alone.
        if id % 12 == 0 {
            let resolved = created + seconds(rng, 60, 600);
            rows.events.push((id, "resolved", resolved, None, None));
            for m in 0..messages {
                let at = created + (resolved - created) * m as i32 / messages as i32;
                rows.messages.push((id, m % 2 == 0, None, at));
            }
            rows.tickets.push(TicketRow {
                id,
                queue: None,
                agent: None,
                created,
                queued: None,
                accepted: None,
                first_reply: None,
                resolved,
                rating: None,
            });
            return;
        }
        let n = rng.gen_range(0..self.agents.len());
        let agent = self.agents[n];
        let queue = self.queues[n % self.queues.len()];
        let queued = created + seconds(rng, 30, 240);
        let accepted = queued + seconds(rng, 5, 1_800);
        let first_reply = accepted + seconds(rng, 5, 300);
        let resolved = first_reply + seconds(rng, 300, 7_200);
        rows.events.push((id, "queued", queued, None, Some(queue)));
        rows.events
            .push((id, "accepted", accepted, Some(agent), None));
        rows.events
            .push((id, "resolved", resolved, Some(agent), None));
        // The conversation with the bot, then with the agent.
        rows.messages.push((id, true, None, created));
        rows.messages
            .push((id, false, None, created + Duration::seconds(1)));
        rows.messages.push((id, false, Some(agent), first_reply));
        let rest = messages.saturating_sub(3);
        for m in 0..rest {
            let at = first_reply + (resolved - first_reply) * (m as i32 + 1) / (rest as i32 + 1);
            let inbound = m % 2 == 0;
            rows.messages
                .push((id, inbound, (!inbound).then_some(agent), at));
        }
        rows.tickets.push(TicketRow {
            id,
            queue: Some(queue),
            agent: Some(agent),
            created,
            queued: Some(queued),
            accepted: Some(accepted),
            first_reply: Some(first_reply),
            resolved,
            rating: rng.gen_bool(0.4).then(|| rng.gen_range(1..=5)),
        });
    }
}

impl Rows {
    fn insert(self, c: &mut dyn Conn) -> Result<(), StoreError> {
        let (account, channel) = (self.account, self.channel);
        bulk(
            c,
            "contacts (id, account_id, family, external_id, name, phone, created_at, updated_at)",
            &self.contacts,
            |(id, phone, at)| {
                vec![
                    Value::I64(*id),
                    Value::from(account),
                    Value::Text("sandbox"),
                    Value::Text(phone),
                    Value::Text("Cliente"),
                    Value::Text(phone),
                    Value::Time(*at),
                    Value::Time(*at),
                ]
            },
        )?;
        let protocols: Vec<String> = self
            .tickets
            .iter()
            .map(|t| format!("{}-{:06}", t.created.format("%Y%m%d"), t.id))
            .collect();
        let tickets: Vec<(&TicketRow, &String)> = self.tickets.iter().zip(&protocols).collect();
        bulk(
            c,
            "tickets (id, account_id, contact_id, channel_id, queue_id, assignee_id, status, protocol,
                      created_at, queued_at, accepted_at, first_agent_reply_at, resolved_at,
                      last_message_at, updated_at, csat_asked_at, csat_rating)",
            &tickets,
            |(t, protocol)| {
                let asked = t.agent.map(|_| t.resolved);
                vec![
                    Value::I64(t.id),
                    Value::from(account),
                    Value::I64(t.id),
                    Value::from(channel),
                    Value::from(t.queue),
                    Value::from(t.agent),
                    Value::Text("resolved"),
                    Value::Text(protocol),
                    Value::Time(t.created),
                    Value::from(t.queued),
                    Value::from(t.accepted),
                    Value::from(t.first_reply),
                    Value::Time(t.resolved),
                    Value::Time(t.resolved),
                    Value::Time(t.resolved),
                    Value::from(asked),
                    Value::from(t.rating),
                ]
            },
        )?;
        bulk(
            c,
            "ticket_events (account_id, ticket_id, kind, at, actor_user_id, to_queue_id)",
            &self.events,
            |(ticket, kind, at, actor, queue)| {
                vec![
                    Value::from(account),
                    Value::I64(*ticket),
                    Value::Text(kind),
                    Value::Time(*at),
                    Value::from(*actor),
                    Value::from(*queue),
                ]
            },
        )?;
        bulk(
            c,
            "messages (account_id, ticket_id, channel_id, direction, kind, body, status, author_user_id,
                       is_note, created_at, updated_at)",
            &self.messages,
            |(ticket, inbound, author, at)| {
                vec![
                    Value::from(account),
                    Value::I64(*ticket),
                    Value::from(channel),
                    Value::Text(if *inbound { "in" } else { "out" }),
                    Value::Text("text"),
                    Value::Text("Olá, tudo bem? Queria saber do meu pedido."),
                    Value::Text(if *inbound { "delivered" } else { "read" }),
                    Value::from(*author),
                    Value::Bool(false),
                    Value::Time(*at),
                    Value::Time(*at),
                ]
            },
        )
    }
}

/// `INSERT INTO {table} VALUES (…), (…)` for `rows`, [`ROWS_PER_INSERT`] at a time.
fn bulk<T>(
    c: &mut dyn Conn,
    table: &str,
    rows: &[T],
    values: impl for<'a> Fn(&'a T) -> Vec<Value<'a>>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut params: Vec<Value<'_>> = Vec::new();
        let mut groups = Vec::with_capacity(chunk.len());
        for row in chunk {
            let row = values(row);
            let first = params.len();
            groups.push(format!(
                "({})",
                (first + 1..=first + row.len())
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            params.extend(row);
        }
        c.execute(
            &format!("INSERT INTO {table} VALUES {}", groups.join(", ")),
            &params,
        )?;
    }
    Ok(())
}
