//! `cargo bench -p saw-bench`: the pieces of the inbound path one at a time — parsing a
//! WhatsApp webhook, checking its signature, the bot matching a customer's answer, and the
//! store writing an inbound message (a transaction with its commit).

use chrono::{TimeZone, Utc};
use saw_bot::flow::Flow;
use saw_bot::{Context, Input};
use saw_core::account::Language;
use saw_core::conversation::{MessageKind, TicketStatus};
use saw_store::repo::{accounts, channels, contacts, messages, tickets};
use saw_store::{DatabaseUrl, Store, StoreError};

fn main() {
    divan::main();
}

const SECRET: &[u8] = b"segredo-do-app-benchmark";

fn webhook() -> Vec<u8> {
    br#"{"object":"whatsapp_business_account","entry":[{"id":"104952389402837","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"5511940028922","phone_number_id":"112233445566778"},"contacts":[{"profile":{"name":"Jo\u00e3o Pereira"},"wa_id":"5521998765432"}],"messages":[{"from":"5521998765432","id":"wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFEJBQjFDN0FDQzgwNDE0MzhCRjQ1AA==","timestamp":"1795519300","type":"text","text":{"body":"Ol\u00e1! Voc\u00eas entregam em S\u00e3o Paulo?"}}]},"field":"messages"}]}]}"#.to_vec()
}

#[divan::bench]
fn webhook_parse(bencher: divan::Bencher) {
    let body = webhook();
    bencher.bench(|| saw_channels::whatsapp::parse(divan::black_box(&body)).unwrap());
}

#[divan::bench]
fn signature_check(bencher: divan::Bencher) {
    let body = webhook();
    let signature = saw_channels::whatsapp::sign(SECRET, &body);
    bencher.bench(|| {
        saw_channels::whatsapp::verify_signature(SECRET, Some(&signature), divan::black_box(&body))
            .unwrap()
    });
}

#[divan::bench(args = ["Comercial", "quero falar com o suporte", "2"])]
fn bot_matching(bencher: divan::Bencher, answer: &str) {
    let flow = Flow::example(Language::PtBr);
    let now = chrono_tz::America::Sao_Paulo
        .with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let ctx = Context::new(
        "Padaria Estrela",
        "20261130-000001",
        "Atendimento geral",
        now,
    );
    let state = saw_bot::start(&flow, &ctx)
        .state
        .expect("the example flow asks");
    // Every customer's message is new to the matcher (it keeps the last one it read): the
    // same answer in two spellings, taken in turn, measures that and not a repeat.
    let inputs = [answer.to_owned(), format!("{answer} ")].map(Input::Text);
    let mut turn = 0;
    bencher.bench_local(|| {
        turn += 1;
        let input = &inputs[turn % 2];
        saw_bot::step(&flow, &state, divan::black_box(input), &ctx)
    });
}

/// One inbound message written as the webhook path writes it: its own transaction, its
/// commit (WAL, `synchronous=FULL`) included.
#[divan::bench(sample_count = 200)]
fn store_insert_inbound(bencher: divan::Bencher) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime
        .block_on(Store::open(&DatabaseUrl::Sqlite(dir.path().join("saw.db"))))
        .unwrap();
    let (account, channel, ticket) = runtime
        .block_on(store.write(|c| {
            let now = saw_store::now();
            let account = accounts::create(c, "Loja", now)?;
            let channel =
                channels::insert(c, &channels::NewChannel::sandbox(account, "Sandbox"), now)?;
            let contact = contacts::upsert_seen(
                c,
                &contacts::SeenContact {
                    account_id: account,
                    family: "sandbox",
                    external_id: "5511999990000",
                    name: Some("Maria"),
                    phone: Some("+5511999990000"),
                    provider_user_id: None,
                },
                now,
            )?;
            let (ticket, _) = tickets::insert(
                c,
                &tickets::NewTicket {
                    account_id: account,
                    contact_id: contact,
                    channel_id: channel,
                    queue_id: None,
                    status: TicketStatus::Bot,
                },
                now,
            )?;
            Ok::<_, StoreError>((account, channel, ticket))
        }))
        .unwrap();
    let mut n = 0u64;
    bencher.bench_local(|| {
        n += 1;
        let id = format!("wamid.bench.{n}");
        runtime
            .block_on(store.write(move |c| {
                messages::insert_inbound(
                    c,
                    &messages::NewInbound {
                        account_id: account,
                        ticket_id: ticket,
                        channel_id: channel,
                        provider_id: &id,
                        kind: MessageKind::Text,
                        body: Some("Olá! Vocês entregam em São Paulo?"),
                        media_ref: None,
                        media_type: None,
                        media_filename: None,
                        reply_to_provider_id: None,
                        raw: None,
                        at: saw_store::now(),
                    },
                    saw_store::now(),
                )
            }))
            .unwrap()
    });
}
