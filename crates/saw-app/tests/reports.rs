//! The reports over a known history, on every backend: five tickets with fixed times around
//! a weekend and a holiday (Friday 20/11/2026, Consciência Negra), and the exact figures
//! docs/metrics.md says they make — on the wall clock and in business hours only.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use saw_app::reports::{self, ReportParams, Summary};
use saw_app::secrets::SecretBox;
use saw_app::{App, AuthPolicy, User};
use saw_core::account::Account;
use saw_core::conversation::TicketStatus;
use saw_core::ids::{AccountId, ChannelId, ContactId, QueueId, TicketId, UserId};
use saw_core::user::{Email, Role};
use saw_store::repo::hours::ExceptionRow;
use saw_store::repo::outbox::NewOutbound;
use saw_store::repo::tickets::{NewTicket, TransferTarget};
use saw_store::repo::{
    accounts, bot, channels, contacts, csat, hours, messages, outbox, queues, tags, team, tickets,
    users,
};
use saw_store::{Conn, Store, StoreError};

/// A São Paulo wall-clock time.
fn sp(at: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::America::Sao_Paulo
        .from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

struct World {
    app: App,
    account: Account,
    admin: User,
    ana: UserId,
    bruno: UserId,
    vendas: QueueId,
    suporte: QueueId,
}

fn person(c: &mut dyn Conn, account: AccountId, name: &str, role: Role) -> UserId {
    let email = Email::parse(&format!("{}@loja.com.br", name.to_lowercase())).unwrap();
    users::insert(
        c,
        &users::NewUser {
            account_id: account,
            name,
            email: &email,
            role,
            password_hash: "hash",
            must_change_password: false,
        },
        sp("2026-11-01 08:00"),
    )
    .unwrap()
}

fn ticket(
    c: &mut dyn Conn,
    account: AccountId,
    channel: ChannelId,
    contact: ContactId,
    queue: Option<QueueId>,
    at: &str,
) -> TicketId {
    let status = match queue {
        Some(_) => TicketStatus::Pending,
        None => TicketStatus::Bot,
    };
    let (id, _) = tickets::insert(
        c,
        &NewTicket {
            account_id: account,
            contact_id: contact,
            channel_id: channel,
            queue_id: queue,
            status,
        },
        sp(at),
    )
    .unwrap();
    id
}

fn customer_says(c: &mut dyn Conn, account: AccountId, t: TicketId, ch: ChannelId, at: &str) {
    let id = format!("in-{t}-{at}");
    messages::insert_inbound(
        c,
        &messages::NewInbound {
            account_id: account,
            ticket_id: t,
            channel_id: ch,
            provider_id: &id,
            kind: saw_core::conversation::MessageKind::Text,
            body: Some("Olá"),
            media_ref: None,
            media_type: None,
            media_filename: None,
            reply_to_provider_id: None,
            raw: None,
            at: sp(at),
        },
        sp(at),
    )
    .unwrap();
}

fn team_says(
    c: &mut dyn Conn,
    account: AccountId,
    t: TicketId,
    ch: ChannelId,
    author: Option<UserId>,
    at: &str,
) {
    let new = NewOutbound {
        account_id: account,
        ticket_id: t,
        channel_id: ch,
        body: "Bom dia!",
        author,
    };
    outbox::enqueue_text(c, &new, sp(at)).unwrap();
    if let Some(author) = author {
        tickets::mark_agent_reply(c, t, author, sp(at)).unwrap();
    }
}

/// The history the figures below are computed from.
async fn world(db: &saw_testkit::TestDb) -> World {
    let store = Store::open(&db.url).await.unwrap();
    let ids = store
        .write(|c| {
            let account = accounts::create(c, "Loja", sp("2026-11-01 08:00"))?;
            let admin = person(c, account, "Admin", Role::Admin);
            let ana = person(c, account, "Ana", Role::Agent);
            let bruno = person(c, account, "Bruno", Role::Agent);
            let vendas = queues::insert(c, account, "Vendas", "#0f766e", sp("2026-11-01 08:00"))?;
            let suporte = queues::insert(c, account, "Suporte", "#b45309", sp("2026-11-01 08:00"))?;
            let ch = channels::insert(
                c,
                &channels::NewChannel::sandbox(account, "Sandbox"),
                sp("2026-11-01 08:00"),
            )?;
            let contact = |c: &mut dyn Conn, id: &str, name: &str, phone: Option<&str>| {
                contacts::upsert_seen(
                    c,
                    &contacts::SeenContact {
                        account_id: account,
                        family: "sandbox",
                        external_id: id,
                        name: Some(name),
                        phone,
                        provider_user_id: None,
                    },
                    sp("2026-11-01 08:00"),
                )
            };
            // Monday to Friday 08:00–18:00; Friday 20/11 is a holiday.
            let weekdays: Vec<(i64, i64, i64)> = (0..5).map(|d| (d, 8 * 60, 18 * 60)).collect();
            hours::replace(
                c,
                account,
                None,
                &weekdays,
                &[ExceptionRow {
                    queue: None,
                    day: "2026-11-20".into(),
                    hours: None,
                    description: "Consciência Negra".into(),
                }],
            )?;

            // T1, Monday: the bot routes to Vendas, Ana accepts after 5 min, answers after
            // 10 min in the queue and resolves; rated 5. Tagged vip.
            let c1 = contact(c, "c1", "Maria", Some("+5511999990001"))?;
            let t1 = ticket(c, account, ch, c1, None, "2026-11-16 09:00");
            customer_says(c, account, t1, ch, "2026-11-16 09:00");
            team_says(c, account, t1, ch, None, "2026-11-16 09:00");
            bot::record(
                c,
                account,
                t1,
                "option_chosen",
                r#"{"type":"option_chosen","menu":"root","option":"vendas"}"#,
                sp("2026-11-16 09:05"),
            )?;
            tickets::queue_from_bot(c, account, t1, Some(vendas), sp("2026-11-16 09:10"))?;
            tickets::accept(c, account, t1, ana, sp("2026-11-16 09:15"))?;
            messages::insert_note(
                c,
                account,
                t1,
                ch,
                ana,
                "cliente antigo",
                sp("2026-11-16 09:16"),
            )?;
            customer_says(c, account, t1, ch, "2026-11-16 09:18");
            team_says(c, account, t1, ch, Some(ana), "2026-11-16 09:20");
            tickets::resolve_by_user(c, account, t1, ana, sp("2026-11-16 10:10"))?;
            csat::mark_asked(c, t1, sp("2026-11-16 10:10"))?;
            csat::record(c, t1, 5, sp("2026-11-16 10:12"))?;
            let vip = tags::insert(c, account, "vip", "#000000", sp("2026-11-01 08:00"))?;
            tags::add(c, tags::Tagged::Ticket(t1), vip)?;

            // T2, Thursday 17:00 straight into Suporte; Bruno accepts Monday 09:00 after
            // the holiday and the weekend, answers 09:30, resolves 10:00; asked, no answer.
            let c2 = contact(c, "c2", "=HYPERLINK(\"http://x\")", Some("+5511999990002"))?;
            let t2 = ticket(c, account, ch, c2, Some(suporte), "2026-11-19 17:00");
            customer_says(c, account, t2, ch, "2026-11-19 17:00");
            tickets::accept(c, account, t2, bruno, sp("2026-11-23 09:00"))?;
            team_says(c, account, t2, ch, Some(bruno), "2026-11-23 09:30");
            tickets::resolve_by_user(c, account, t2, bruno, sp("2026-11-23 10:00"))?;
            csat::mark_asked(c, t2, sp("2026-11-23 10:00"))?;

            // T3, Tuesday: the bot answers and closes it within 3 minutes; it went idle.
            let c3 = contact(c, "c3", "João", None)?;
            let t3 = ticket(c, account, ch, c3, None, "2026-11-17 14:00");
            tickets::resolve_by_bot(c, account, t3, sp("2026-11-17 14:03"))?;
            bot::record(c, account, t3, "idle_closed", "{}", sp("2026-11-17 14:03"))?;
            bot::record(
                c,
                account,
                t3,
                "auto_reply",
                r#"{"type":"auto_reply","rule":0}"#,
                sp("2026-11-17 14:01"),
            )?;

            // T4, Saturday: Vendas; Ana accepts after 2 min, answers, sends it to Suporte,
            // where Bruno accepts after 10 min. Still open.
            let c4 = contact(c, "c4", "Pedro", None)?;
            let t4 = ticket(c, account, ch, c4, Some(vendas), "2026-11-21 11:00");
            customer_says(c, account, t4, ch, "2026-11-21 11:00");
            tickets::accept(c, account, t4, ana, sp("2026-11-21 11:02"))?;
            team_says(c, account, t4, ch, Some(ana), "2026-11-21 11:03");
            tickets::transfer(
                c,
                account,
                t4,
                ana,
                TransferTarget {
                    queue: Some(suporte),
                    user: None,
                    note: None,
                },
                sp("2026-11-21 11:05"),
            )?;
            tickets::accept(c, account, t4, bruno, sp("2026-11-21 11:15"))?;

            // T5, created the Friday before the range; resolved Monday 08:30; rated 3.
            let c5 = contact(c, "c5", "Lia", None)?;
            let t5 = ticket(c, account, ch, c5, Some(vendas), "2026-11-13 10:00");
            tickets::accept(c, account, t5, ana, sp("2026-11-13 10:05"))?;
            tickets::resolve_by_user(c, account, t5, ana, sp("2026-11-16 08:30"))?;
            csat::mark_asked(c, t5, sp("2026-11-16 08:30"))?;
            csat::record(c, t5, 3, sp("2026-11-16 08:40"))?;

            // Ana had the inbox open three hours on Monday.
            team::came_online(c, account, ana, sp("2026-11-16 09:00"))?;
            team::went_offline(c, ana, sp("2026-11-16 12:00"))?;
            Ok::<_, StoreError>((account, admin, ana, bruno, vendas, suporte))
        })
        .await
        .unwrap();
    let (account, admin, ana, bruno, vendas, suporte) = ids;
    let (account, admin) = store
        .read(move |c| {
            let admin = users::list(c, account)?
                .into_iter()
                .find(|u| u.id == admin)
                .unwrap();
            Ok::<_, StoreError>((accounts::by_id(c, account)?, admin))
        })
        .await
        .unwrap();
    let app = App::new(
        store,
        SecretBox::from_key([7; 32]),
        AuthPolicy::default(),
        &db.data_dir(),
    );
    World {
        app,
        account,
        admin,
        ana,
        bruno,
        vendas,
        suporte,
    }
}

fn week() -> ReportParams {
    ReportParams {
        from: Some("2026-11-16".into()),
        to: Some("2026-11-23".into()),
        ..ReportParams::default()
    }
}

async fn summary(w: &World, viewer: &User, params: ReportParams) -> Summary {
    let query = reports::query(&w.app, viewer, &w.account, &params)
        .await
        .unwrap();
    reports::summary(&w.app, &w.account, &query).await.unwrap()
}

/// (median, average, p90, count).
fn figures(d: &reports::stats::DurationStats) -> (Option<i64>, Option<f64>, Option<i64>, usize) {
    (d.median_s, d.avg_s, d.p90_s, d.count)
}

#[tokio::test]
async fn a_known_week_gives_exact_figures_on_every_backend() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let w = world(&db).await;
        let s = summary(&w, &w.admin, week()).await;
        let t = &s.totals;
        assert_eq!(
            (t.tickets_created, t.tickets_resolved, t.tickets_accepted),
            (4, 4, 4),
            "{name}"
        );
        assert_eq!(
            (s.messages_in, s.messages_out),
            (4, 4),
            "{name}: notes are not messages"
        );
        assert_eq!(
            (t.bot_contained, s.bot.contained, s.bot.abandoned),
            (1, 1, 1),
            "{name}"
        );
        assert_eq!(s.bot.options.len(), 1, "{name}");
        assert_eq!(s.bot.auto_replies.len(), 1, "{name}");
        assert_eq!(
            (s.bot.auto_replies[0].rule, s.bot.auto_replies[0].count),
            (1, 1),
            "{name}: rules are numbered from 1"
        );
        assert_eq!(
            (s.bot.options[0].option.as_str(), s.bot.options[0].count),
            ("vendas", 1)
        );
        // Waits: T4 2 min in Vendas, T1 5 min, T4 10 min in Suporte, T2 88 h.
        assert_eq!(
            figures(&t.wait_time),
            (Some(300), Some(79_455.0), Some(316_800), 4),
            "{name}"
        );
        assert_eq!(
            figures(&t.first_response_time),
            (Some(600), Some(106_460.0), Some(318_600), 3),
            "{name}"
        );
        assert_eq!(
            figures(&t.resolution_time),
            (Some(4200), Some(144_645.0), Some(320_400), 4),
            "{name}"
        );
        assert_eq!(
            figures(&t.handling_time),
            (Some(3600), Some(86_800.0), Some(253_500), 3),
            "{name}"
        );
        assert_eq!(t.csat.avg, Some(4.0), "{name}");
        assert_eq!((t.csat.responses, t.csat.asked), (2, 3), "{name}");
        assert_eq!(t.csat.response_rate, Some(0.667), "{name}");
        let distribution: Vec<usize> = t.csat.distribution.values().copied().collect();
        assert_eq!(distribution, vec![0, 0, 1, 0, 1], "{name}");

        let queue = |id: QueueId| s.by_queue.iter().find(|q| q.id == id.get()).unwrap();
        let vendas = queue(w.vendas);
        assert_eq!(
            (
                vendas.figures.tickets_accepted,
                vendas.figures.tickets_resolved,
                vendas.figures.tickets_created
            ),
            (2, 2, 1),
            "{name}: Vendas"
        );
        let suporte = queue(w.suporte);
        assert_eq!(
            (
                suporte.figures.tickets_accepted,
                suporte.figures.tickets_resolved,
                suporte.figures.wait_time.median_s
            ),
            (2, 1, Some(600)),
            "{name}: Suporte"
        );
        let agent = |id: UserId| s.by_agent.iter().find(|a| a.id == id.get()).unwrap();
        let ana = agent(w.ana);
        assert_eq!(
            (
                ana.figures.tickets_accepted,
                ana.figures.tickets_resolved,
                ana.figures.first_response_time.count,
                ana.time_online_s
            ),
            (2, 2, 2, Some(3 * 3600)),
            "{name}: Ana"
        );
        assert_eq!(
            (ana.messages_in, ana.messages_out),
            (Some(1), Some(2)),
            "{name}"
        );
        assert_eq!(
            ana.figures.csat.avg,
            Some(4.0),
            "{name}: T1 and T5 are Ana's"
        );
        let bruno = agent(w.bruno);
        assert_eq!(
            (
                bruno.figures.tickets_resolved,
                bruno.figures.first_response_time.median_s
            ),
            (1, Some(318_600)),
            "{name}: Bruno"
        );
        let daily: Vec<(String, usize, usize)> = s
            .daily
            .iter()
            .map(|d| (d.date.to_string(), d.created, d.resolved))
            .filter(|(_, c, r)| c + r > 0)
            .collect();
        assert_eq!(
            daily,
            vec![
                ("2026-11-16".into(), 1, 2),
                ("2026-11-17".into(), 1, 1),
                ("2026-11-19".into(), 1, 0),
                ("2026-11-21".into(), 1, 0),
                ("2026-11-23".into(), 0, 1),
            ],
            "{name}"
        );
    }
}

#[tokio::test]
async fn business_hours_skip_the_weekend_and_the_holiday() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let w = world(&db).await;
        let s = summary(
            &w,
            &w.admin,
            ReportParams {
                business_hours: Some("true".into()),
                ..week()
            },
        )
        .await;
        let t = &s.totals;
        // T2 waited Thursday 17–18 and Monday 08–09: two hours, not 88. T4's waits were on
        // a Saturday: nothing.
        assert_eq!(
            figures(&t.wait_time),
            (Some(0), Some(1875.0), Some(7200), 4),
            "{name}"
        );
        assert_eq!(
            figures(&t.first_response_time),
            (Some(600), Some(3200.0), Some(9000), 3),
            "{name}"
        );
        assert_eq!(
            figures(&t.resolution_time),
            (Some(4200), Some(11_445.0), Some(30_600), 4),
            "{name}"
        );
        assert_eq!(
            figures(&t.handling_time),
            (Some(3600), Some(12_400.0), Some(30_300), 3),
            "{name}"
        );
    }
}

#[tokio::test]
async fn filters_narrow_every_figure_and_agents_see_their_own() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let w = world(&db).await;
        let by_queue = summary(
            &w,
            &w.admin,
            ReportParams {
                queue_id: Some(w.vendas.to_string()),
                ..week()
            },
        )
        .await;
        assert_eq!(
            (
                by_queue.totals.tickets_accepted,
                by_queue.totals.tickets_resolved,
                by_queue.totals.bot_contained
            ),
            (2, 2, 0),
            "{name}"
        );
        assert_eq!(by_queue.by_queue.len(), 1, "{name}");
        let vip = summary(
            &w,
            &w.admin,
            ReportParams {
                tag: Some("VIP".into()),
                ..week()
            },
        )
        .await;
        assert_eq!(
            (vip.totals.tickets_created, vip.totals.tickets_resolved),
            (1, 1),
            "{name}"
        );
        assert_eq!((vip.messages_in, vip.messages_out), (2, 2), "{name}");

        let ana = w
            .app
            .store
            .read({
                let (account, id) = (w.account.id, w.ana);
                move |c| {
                    Ok::<_, StoreError>(
                        users::list(c, account)?
                            .into_iter()
                            .find(|u| u.id == id)
                            .unwrap(),
                    )
                }
            })
            .await
            .unwrap();
        let own = summary(&w, &ana, week()).await;
        assert_eq!(own.filters.user_id, Some(w.ana), "{name}");
        assert_eq!(
            (own.totals.tickets_accepted, own.totals.tickets_resolved),
            (2, 2),
            "{name}"
        );
        assert_eq!(own.by_agent.len(), 1, "{name}: only herself");
        let someone_else = reports::query(
            &w.app,
            &ana,
            &w.account,
            &ReportParams {
                user_id: Some(w.bruno.to_string()),
                ..week()
            },
        )
        .await;
        assert!(
            matches!(someone_else, Err(saw_app::AppError::Forbidden)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn heatmap_and_csv_show_the_same_tickets() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let w = world(&db).await;
        let query = reports::query(&w.app, &w.admin, &w.account, &week())
            .await
            .unwrap();
        let heat = reports::heatmap(&w.app, &w.account, &query).await.unwrap();
        assert_eq!((heat.total, heat.max), (4, 1), "{name}");
        for (day, hour) in [(0, 9), (1, 14), (3, 17), (5, 11)] {
            assert_eq!(heat.counts[day][hour], 1, "{name}: {day} {hour}h");
        }
        let lines = reports::ticket_lines(&w.app, &w.account, &query)
            .await
            .unwrap();
        let csv =
            String::from_utf8(reports::tickets_csv(&lines, w.account.time_zone.tz())).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 6, "{name}: a header and five tickets\n{csv}");
        assert!(
            rows[0].starts_with("ticket_id,protocol,channel,contact_name"),
            "{name}"
        );
        assert!(
            csv.contains("'=HYPERLINK"),
            "{name}: a formula is neutralised\n{csv}"
        );
        assert!(csv.contains("'+5511999990001"), "{name}\n{csv}");
        let t1 = rows.iter().find(|r| r.contains(",Maria,")).unwrap();
        assert!(
            t1.contains("2026-11-16 09:00:00,2026-11-16 09:10:00,2026-11-16 09:15:00,2026-11-16 09:20:00,2026-11-16 10:10:00,300,600,4200,3300,5,yes"),
            "{name}: {t1}"
        );
        let bad = reports::query(
            &w.app,
            &w.admin,
            &w.account,
            &ReportParams {
                from: Some("2026-11-30".into()),
                to: Some("2026-11-01".into()),
                ..ReportParams::default()
            },
        )
        .await;
        assert!(
            matches!(
                bad,
                Err(saw_app::AppError::InvalidReport(
                    reports::ReportProblem::Backwards
                ))
            ),
            "{name}"
        );
    }
}
