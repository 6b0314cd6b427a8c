//! The outbox against a fake Graph API speaking Meta's wire format: a new ticket's greeting
//! is sent once, transient errors are retried, permanent ones fail with Meta's reason, and
//! a later `delivered` status moves the message forward.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use common::*;
use saw_store::Store;
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Fake {
    /// Calls to answer only after this long (a provider that hangs).
    stall: Arc<Mutex<VecDeque<Duration>>>,
    /// (path, authorization, body) of every call.
    calls: Arc<Mutex<Vec<(String, String, Value)>>>,
    /// Answers to give first, in order; then success.
    script: Arc<Mutex<VecDeque<(u16, Value)>>>,
}

async fn graph(
    State(fake): State<Fake>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let n = {
        let mut calls = fake.calls.lock().unwrap();
        calls.push((uri.path().to_owned(), auth, body.clone()));
        calls.len()
    };
    let stall = fake.stall.lock().unwrap().pop_front();
    if let Some(stall) = stall {
        tokio::time::sleep(stall).await;
    }
    if let Some((status, answer)) = fake.script.lock().unwrap().pop_front() {
        return (StatusCode::from_u16(status).unwrap(), Json(answer));
    }
    let to = body["to"].clone();
    (
        StatusCode::OK,
        Json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": format!("wamid.fake.{n}")}]}),
        ),
    )
}

/// Meta's media upload: records the form (the file as its length and type) and answers an id.
async fn upload(
    State(fake): State<Fake>,
    uri: Uri,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> impl IntoResponse {
    let mut fields = serde_json::Map::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            fields.insert("file_type".into(), json!(field.content_type()));
            fields.insert("file_name".into(), json!(field.file_name()));
            fields.insert("file_len".into(), json!(field.bytes().await.unwrap().len()));
        } else {
            fields.insert(name, json!(field.text().await.unwrap()));
        }
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    fake.calls
        .lock()
        .unwrap()
        .push((uri.path().to_owned(), auth, Value::Object(fields)));
    Json(json!({"id": "media-789"}))
}

async fn start_fake(fake: Fake) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/{version}/{number}/media",
            axum::routing::post(upload).with_state(fake.clone()),
        )
        .route(
            "/{version}/{waba}/message_templates",
            axum::routing::get(|| async {
                let page = std::fs::read(format!(
                    "{}/../saw-channels/tests/fixtures/local/whatsapp/response-message-templates.json",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap();
                ([("content-type", "application/json")], page)
            }),
        )
        .route(
            "/{version}/{number}",
            axum::routing::get(|| async {
                Json(json!({"verified_name": "Padaria Estrela", "display_phone_number": "+55 11 4002-8922"}))
            }),
        )
        .fallback(axum::routing::post(graph))
        .with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// (status, provider id, error, attempts) of the outbound messages, oldest first.
async fn outbound(db: &TestDb) -> Vec<(String, Option<String>, Option<String>, i64)> {
    let store = Store::open(&db.url).await.unwrap();
    store
        .read(|c| {
            c.query_all(
                "SELECT status, provider_id, error, attempts FROM messages WHERE direction = 'out' ORDER BY id",
                &[],
                |r| Ok((r.text(0)?, r.opt_text(1)?, r.opt_text(2)?, r.i64(3)?)),
            )
        })
        .await
        .unwrap()
}

async fn wait_for(
    db: &TestDb,
    done: impl Fn(&[(String, Option<String>, Option<String>, i64)]) -> bool,
) -> Vec<(String, Option<String>, Option<String>, i64)> {
    for _ in 0..200 {
        let rows = outbound(db).await;
        if done(&rows) {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not get there: {:?}", outbound(db).await);
}

/// The bot's first answer to a new ticket: its greeting and its menu.
const BOT_OPENING: usize = 2;

/// The texts of the outbound messages, oldest first.
async fn bodies(db: &TestDb) -> Vec<String> {
    let store = Store::open(&db.url).await.unwrap();
    store
        .read(|c| {
            c.query_all(
                "SELECT COALESCE(body, '') FROM messages WHERE direction = 'out' ORDER BY id",
                &[],
                |r| r.text(0),
            )
        })
        .await
        .unwrap()
}

/// Waits until the bot's greeting and menu to the first customer went out.
async fn opening_sent(db: &TestDb) -> Vec<(String, Option<String>, Option<String>, i64)> {
    wait_for(db, |rows| {
        rows.len() >= BOT_OPENING && rows[..BOT_OPENING].iter().all(|r| r.0 == "sent")
    })
    .await
}

/// The id of the message a status webhook speaks of.
fn status_message_id(webhook: &str) -> String {
    saw_channels::whatsapp::parse(webhook.as_bytes())
        .unwrap()
        .into_iter()
        .find_map(|(_, e)| match e {
            saw_channels::InboundEvent::Status(s) => Some(s.message_external_id),
            _ => None,
        })
        .unwrap()
}

async fn setup(db: &TestDb, fake: &Fake) -> Server {
    let base = start_fake(fake.clone()).await;
    let server = Server::start(db);
    add_fixture_whatsapp(db, "v-token-123", &base);
    server
}

#[tokio::test]
async fn a_new_ticket_is_greeted_once_and_statuses_move_it_forward() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        let server = setup(&db, &fake).await;
        deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
        let rows = opening_sent(&db).await;
        assert_eq!(rows.len(), BOT_OPENING, "{}: greeting and menu", db.name);
        assert_eq!(rows[0].1.as_deref(), Some("wamid.fake.1"));
        {
            let calls = fake.calls.lock().unwrap();
            assert_eq!(calls.len(), BOT_OPENING, "{}: each sent once", db.name);
            assert_eq!(calls[1].2["type"], "interactive", "the menu");
            let (path, auth, body) = &calls[0];
            assert_eq!(path, &format!("/v26.0/{FIXTURE_NUMBER}/messages"));
            assert_eq!(auth, &format!("Bearer {FIXTURE_ACCESS_TOKEN}"));
            assert_eq!(
                body["to"], "5521998765432",
                "answered to the wa_id as received"
            );
            assert_eq!(body["type"], "text");
            let text = body["text"]["body"].as_str().unwrap();
            assert!(text.starts_with("Olá, João!"), "{text}");
        }
        // A second message on the same ticket gets no second greeting.
        let second = String::from_utf8(whatsapp_fixture("webhook-text-wire.json"))
            .unwrap()
            .replace("wamid.", "wamid.second.");
        deliver_whatsapp(&server, second.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let greetings = bodies(&db)
            .await
            .iter()
            .filter(|b| b.starts_with("Olá, João!"))
            .count();
        assert_eq!(greetings, 1, "{}", db.name);

        let delivered =
            String::from_utf8(whatsapp_fixture("webhook-status-delivered.json")).unwrap();
        let old_id = status_message_id(&delivered);
        deliver_whatsapp(
            &server,
            delivered.replace(&old_id, "wamid.fake.1").as_bytes(),
        )
        .await;
        assert_eq!(outbound(&db).await[0].0, "delivered", "{}", db.name);
        let sent = String::from_utf8(whatsapp_fixture("webhook-status-sent.json")).unwrap();
        let old_sent = sent
            .split("\"id\": \"")
            .nth(2)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        deliver_whatsapp(&server, sent.replace(&old_sent, "wamid.fake.1").as_bytes()).await;
        assert_eq!(
            outbound(&db).await[0].0,
            "delivered",
            "{}: a late `sent` never moves it back",
            db.name
        );
    }
}

#[tokio::test]
async fn transient_errors_are_retried_and_permanent_ones_fail_with_the_reason() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    fake.script.lock().unwrap().push_back((
        500,
        json!({"error": {"message": "(#131000) Something went wrong", "type": "OAuthException", "code": 131000}}),
    ));
    let server = setup(&db, &fake).await;
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
    let rows = opening_sent(&db).await;
    assert_eq!(rows[0].3, 2, "sent on the second attempt");
    assert_eq!(
        fake.calls.lock().unwrap().len(),
        3,
        "greeting twice, menu once"
    );

    let error: Value = serde_json::from_slice(&whatsapp_fixture("error-131047.json")).unwrap();
    fake.script.lock().unwrap().push_back((400, error));
    // Written now, so that the customer's 24-hour window is open for the retry below.
    let other = String::from_utf8(fresh_whatsapp_text())
        .unwrap()
        .replace("wamid.", "wamid.other.")
        .replace("5521998765432", "5531991234567")
        .replace("BR.5647382910564738", "BR.9999999999999999");
    deliver_whatsapp(&server, other.as_bytes()).await;
    // The second customer's greeting fails for good; their menu still goes.
    let rows = wait_for(&db, |rows| {
        rows.len() == 4 && rows[2].0 == "failed" && rows[3].0 == "sent"
    })
    .await;
    let reason = rows[2].2.as_deref().unwrap();
    assert!(
        reason.contains("131047") && reason.contains("24 hours"),
        "{reason}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        fake.calls.lock().unwrap().len(),
        5,
        "a permanent failure is not retried"
    );

    // The agent sends it again by hand: queued afresh, then sent once.
    let token = api_token(&db);
    let failed = scalar(&db, "SELECT id FROM messages WHERE status = 'failed'").await;
    let ticket = scalar(
        &db,
        "SELECT ticket_id FROM messages WHERE status = 'failed'",
    )
    .await;
    let retry = |message: i64| {
        server
            .api()
            .post(server.url(&format!(
                "/api/v1/tickets/{ticket}/messages/{message}/retry"
            )))
            .bearer_auth(&token)
            .send()
    };
    let resp = retry(failed).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "queued", "{body}");
    assert_eq!(body["error"], Value::Null, "{body}");
    let rows = wait_for(&db, |rows| rows[2].0 == "sent").await;
    assert_eq!(
        rows[2].3, 1,
        "counted afresh: sent on its first new attempt"
    );
    assert_eq!(fake.calls.lock().unwrap().len(), 6, "sent once more");

    // Only a failed message goes again; another ticket's message is not found.
    let resp = retry(failed).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CONFLICT);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_failed", "{body}");
    let first = scalar(&db, "SELECT MIN(id) FROM messages WHERE direction = 'out'").await;
    let resp = retry(first).await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn agents_reply_through_the_api_once_per_idempotency_key() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        let server = setup(&db, &fake).await;
        // The customer writes now: their 24-hour window is open.
        deliver_whatsapp(&server, &fresh_whatsapp_text()).await;
        opening_sent(&db).await;
        let token = api_token(&db);
        let api = server.api();
        let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        let url = server.url(&format!("/api/v1/tickets/{ticket}/messages"));
        let post = |body: Value, key: Option<&str>| {
            let mut request = api.post(&url).bearer_auth(&token).json(&body);
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            async move {
                let response = request.send().await.unwrap();
                let replayed = response
                    .headers()
                    .get("idempotent-replayed")
                    .map(|v| v.to_str().unwrap().to_owned());
                (
                    response.status(),
                    replayed,
                    response.json::<Value>().await.unwrap(),
                )
            }
        };
        let (status, replayed, first) = post(
            json!({"text": "Bom dia! Como posso ajudar?"}),
            Some("pedido-1"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {first}", db.name);
        assert_eq!(replayed.as_deref(), Some("false"));
        assert_eq!(first["status"], "queued");
        assert_eq!(first["author"]["name"], "Administrador");
        let (status, replayed, again) = post(
            json!({"text": "Bom dia! Como posso ajudar?"}),
            Some("pedido-1"),
        )
        .await;
        assert_eq!(
            (status, replayed.as_deref()),
            (StatusCode::CREATED, Some("true"))
        );
        assert_eq!(
            again["id"], first["id"],
            "{}: the retry answers the first result",
            db.name
        );

        let (status, _, note) = post(
            json!({"text": "cliente VIP, atenção", "private": true}),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(note["private"], true);
        let (status, _, error) = post(json!({"text": "   "}), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

        let rows = wait_for(&db, |rows| rows.len() == 4 && rows[2].0 == "sent").await;
        assert_eq!(rows[3].0, "delivered", "the note is never sent");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let calls = fake.calls.lock().unwrap();
        assert_eq!(
            calls.len(),
            3,
            "{}: the bot's greeting and menu, one reply; the note and the retry send nothing",
            db.name
        );
        assert_eq!(calls[2].2["text"]["body"], "Bom dia! Como posso ajudar?");
    }
}

/// Rows still queued when SAW stops are sent after the next start, once.
#[tokio::test]
async fn queued_rows_are_sent_after_a_restart() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    for _ in 0..3 {
        fake.script
            .lock()
            .unwrap()
            .push_back((503, json!({"error": {"message": "unavailable", "code": 2}})));
    }
    let server = setup(&db, &fake).await;
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
    wait_for(&db, |rows| rows.first().is_some_and(|r| r.3 >= 1)).await;
    server.kill_hard();
    let before = fake.calls.lock().unwrap().len();
    fake.script.lock().unwrap().clear();

    let again = Server::start_with(&db, &[]);
    let rows = opening_sent(&db).await;
    assert_eq!(rows.len(), BOT_OPENING);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = fake.calls.lock().unwrap().len();
    assert_eq!(
        after,
        before + BOT_OPENING,
        "greeting and menu sent exactly once each after the restart"
    );
    drop(again);
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&whatsapp_fixture(name)).unwrap()
}

#[tokio::test]
async fn a_throughput_limit_is_retried_then_sent() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    fake.script
        .lock()
        .unwrap()
        .push_back((429, fixture_json("error-130429.json")));
    let server = setup(&db, &fake).await;
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
    let rows = opening_sent(&db).await;
    assert_eq!(rows[0].3, 2, "one refused attempt, one accepted");
    assert_eq!(fake.calls.lock().unwrap().len(), 3);
    drop(server);
}

#[tokio::test]
async fn an_expired_token_holds_the_channel_until_the_connection_works_again() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        fake.script
            .lock()
            .unwrap()
            .push_back((401, fixture_json("error-190.json")));
        let server = setup(&db, &fake).await;
        deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
        for _ in 0..200 {
            if !fake.calls.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The greeting is held, not failed, and not retried while the channel is down.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(fake.calls.lock().unwrap().len(), 1, "{}", db.name);
        let rows = outbound(&db).await;
        assert_eq!(rows[0].0, "queued", "{}: {rows:?}", db.name);
        assert_eq!(rows[0].3, 0, "{}: no attempt burnt", db.name);

        // Admins see why, on every page.
        let admin = server.admin_browser().await;
        let inbox = admin.get("/inbox").await;
        assert!(
            inbox.body.contains("parou de enviar") && inbox.body.contains("190"),
            "{}: {}",
            db.name,
            inbox.body
        );
        let channel = scalar(&db, "SELECT id FROM channels WHERE kind = 'whatsapp'").await;
        let path = format!("/admin/channels/{channel}");
        let tested = admin.submit(&path, &format!("{path}/test"), &[]).await;
        assert!(tested.body.contains("Padaria Estrela"), "{}", tested.body);

        // A working connection releases the held message.
        let rows = wait_for(&db, |rows| rows.first().is_some_and(|r| r.0 == "sent")).await;
        assert_eq!(rows[0].3, 1, "{}", db.name);
        assert!(!admin.get("/inbox").await.body.contains("parou de enviar"));
    }
}

// Multi-threaded: the CLI call blocks this thread while the fake Graph API answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menus_and_templates_leave_in_whatsapps_wire_format() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        let server = setup(&db, &fake).await;
        deliver_whatsapp(&server, &fresh_whatsapp_text()).await;
        opening_sent(&db).await;
        let token = api_token(&db);
        let api = server.api();
        let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        let url = server.url(&format!("/api/v1/tickets/{ticket}/messages"));
        let post = |body: Value| api.post(&url).bearer_auth(&token).json(&body).send();

        let menu = json!({"menu": {"body": "Como podemos ajudar?", "options": [
            {"id": "comercial", "title": "Comercial"}, {"id": "suporte", "title": "Suporte"}]}});
        let response = post(menu).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{}", db.name);
        let stored: Value = response.json().await.unwrap();
        assert_eq!(stored["kind"], "interactive");
        assert_eq!(stored["text"], "Como podemos ajudar?");
        wait_for(&db, |rows| rows.len() == 3 && rows[2].0 == "sent").await;
        {
            let calls = fake.calls.lock().unwrap();
            let body = &calls.last().unwrap().2;
            assert_eq!(body["type"], "interactive", "{body}");
            assert_eq!(body["interactive"]["type"], "button");
            assert_eq!(
                body["interactive"]["action"]["buttons"][1]["reply"],
                json!({"id": "suporte", "title": "Suporte"})
            );
        }

        // Templates come from Meta; only the channel's API base gets the token (the next
        // page points at graph.facebook.com and is not followed).
        let channel = scalar(&db, "SELECT id FROM channels WHERE kind = 'whatsapp'")
            .await
            .to_string();
        let out = cli(&db, &["channel", "templates", &channel, "--sync"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let listed = stdout(&out);
        assert!(
            listed.contains("confirmacao_agendamento") && listed.contains("PAUSED"),
            "{listed}"
        );

        // After 24 hours without a word from the customer only a template goes.
        Store::open(&db.url)
            .await
            .unwrap()
            .write(|c| {
                let old = saw_store::now() - chrono::Duration::hours(30);
                c.execute(
                    "UPDATE tickets SET last_inbound_at = $1",
                    saw_store::params![old],
                )
            })
            .await
            .unwrap();
        let refused = post(json!({"text": "Oi?"})).await.unwrap();
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let wrong = post(
            json!({"template": {"name": "confirmacao_agendamento", "language": "pt_BR",
                                              "body_params": ["João"]}}),
        )
        .await
        .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = wrong.json().await.unwrap();
        assert_eq!(body["error"]["code"], "template_parameters", "{body}");
        let paused = post(json!({"template": {"name": "promocao_semana", "language": "pt_BR"}}))
            .await
            .unwrap();
        assert_eq!(paused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let ok = post(
            json!({"template": {"name": "confirmacao_agendamento", "language": "pt_BR",
                                           "header_params": ["#4521"],
                                           "body_params": ["João", "4521", "amanhã às 14h"]}}),
        )
        .await
        .unwrap();
        assert_eq!(ok.status(), StatusCode::CREATED, "{}", db.name);
        wait_for(&db, |rows| rows.len() == 4 && rows[3].0 == "sent").await;
        let calls = fake.calls.lock().unwrap();
        let body = &calls.last().unwrap().2;
        assert_eq!(body["type"], "template", "{body}");
        assert_eq!(body["template"]["name"], "confirmacao_agendamento");
        assert_eq!(body["template"]["language"]["code"], "pt_BR");
    }
}

#[tokio::test]
async fn a_new_token_releases_the_held_messages_and_is_used_from_then_on() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    fake.script
        .lock()
        .unwrap()
        .push_back((401, fixture_json("error-190.json")));
    let server = setup(&db, &fake).await;
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
    for _ in 0..200 {
        if !fake.calls.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(outbound(&db).await[0].0, "queued");
    let channel = scalar(&db, "SELECT id FROM channels WHERE kind = 'whatsapp'")
        .await
        .to_string();
    let out = cli(
        &db,
        &[
            "channel",
            "update",
            &channel,
            "--token",
            "EAAG-token-novo",
            "--max-per-second",
            "1000",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&cli(&db, &["channel", "list"]));
    assert!(
        !listed.contains("EAAG-token-novo"),
        "still masked: {listed}"
    );
    wait_for(&db, |rows| rows.first().is_some_and(|r| r.0 == "sent")).await;
    let calls = fake.calls.lock().unwrap();
    assert_eq!(calls.last().unwrap().1, "Bearer EAAG-token-novo");
    drop(server);
}

#[tokio::test]
async fn an_agents_photo_is_uploaded_to_meta_first_then_sent_by_its_id() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    let server = setup(&db, &fake).await;
    deliver_whatsapp(&server, &fresh_whatsapp_text()).await;
    opening_sent(&db).await;
    let token = api_token(&db);
    let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let url = server.url(&format!("/api/v1/tickets/{ticket}/messages"));
    let photo = b"\xff\xd8\xff\xe0 uma foto do bolo".to_vec();
    let send = |part: reqwest::multipart::Part| {
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("caption", "Seu bolo ficou assim 🎂");
        server
            .api()
            .post(&url)
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let part = reqwest::multipart::Part::bytes(photo.clone())
        .file_name("bolo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let response = send(part).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["kind"], "image", "{stored}");
    assert_eq!(stored["text"], "Seu bolo ficou assim 🎂");
    assert_eq!(stored["media"]["state"], "ready");
    assert_eq!(stored["media"]["size"], photo.len());
    wait_for(&db, |rows| rows.len() == 3 && rows[2].0 == "sent").await;
    {
        let calls = fake.calls.lock().unwrap();
        let (path, auth, form) = &calls[calls.len() - 2];
        assert_eq!(path, &format!("/v26.0/{FIXTURE_NUMBER}/media"));
        assert_eq!(auth, &format!("Bearer {FIXTURE_ACCESS_TOKEN}"));
        assert_eq!(form["messaging_product"], "whatsapp");
        assert_eq!(form["type"], "image/jpeg");
        assert_eq!(form["file_type"], "image/jpeg");
        assert_eq!(form["file_len"], photo.len());
        let body = &calls.last().unwrap().2;
        assert_eq!(body["type"], "image", "{body}");
        assert_eq!(body["image"]["id"], "media-789");
        assert_eq!(body["image"]["caption"], "Seu bolo ficou assim 🎂");
    }
    // The agent can open what they sent.
    let file = server
        .api()
        .get(server.url(stored["media"]["url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), photo.as_slice());

    // A page is not a photo, and a photo over WhatsApp's 5 MB is refused: nothing is kept.
    let files_before = files_under(&db.data_dir().join("media")).len();
    let html = reqwest::multipart::Part::bytes(b"<script>alert(1)</script>".to_vec())
        .file_name("x.html")
        .mime_str("text/html")
        .unwrap();
    let refused = send(html).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let big = reqwest::multipart::Part::bytes(vec![0u8; 5_000_001])
        .file_name("grande.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let refused = send(big).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsendable", "{body}");
    assert_eq!(outbound(&db).await.len(), 3, "nothing queued");
    let files_after = files_under(&db.data_dir().join("media")).len();
    assert_eq!((files_before, files_after), (1, 1), "only the photo sent");
}

#[tokio::test]
async fn a_provider_that_hangs_times_out_and_the_message_is_retried() {
    let db = saw_testkit::sqlite();
    let fake = Fake::default();
    fake.stall.lock().unwrap().push_back(Duration::from_secs(4));
    let base = start_fake(fake.clone()).await;
    let server = Server::start_with(
        &db,
        &[
            ("SAW_ADMIN_EMAIL", ADMIN_EMAIL),
            ("SAW_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("SAW_PROVIDER_TIMEOUT", "1"),
        ],
    );
    add_fixture_whatsapp(&db, "v-token-123", &base);
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
    let rows = wait_for(&db, |rows| rows.first().is_some_and(|r| r.0 == "sent")).await;
    assert_eq!(
        rows[0].3, 2,
        "one timed-out attempt, one accepted: {rows:?}"
    );
    drop(server);
}

#[tokio::test]
async fn a_status_that_beats_the_send_record_is_kept_and_applied() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        let server = setup(&db, &fake).await;
        // Meta's `delivered` for the first message SAW will send arrives before SAW has
        // recorded that message's id: acknowledged and kept.
        let delivered =
            String::from_utf8(whatsapp_fixture("webhook-status-delivered.json")).unwrap();
        let old_id = status_message_id(&delivered);
        deliver_whatsapp(
            &server,
            delivered.replace(&old_id, "wamid.fake.1").as_bytes(),
        )
        .await;
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM pending_statuses").await,
            1
        );

        deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
        let rows = wait_for(&db, |rows| rows.first().is_some_and(|r| r.0 == "delivered")).await;
        assert_eq!(rows[0].1.as_deref(), Some("wamid.fake.1"), "{}", db.name);
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM pending_statuses").await,
            0,
            "{}: applied once, then gone",
            db.name
        );
    }
}

#[tokio::test]
async fn a_blocked_or_locked_number_holds_its_messages_and_tells_admins() {
    let blocked = json!({"error": {
        "message": "(#368) Temporarily blocked for policies violations",
        "type": "OAuthException", "code": 368, "fbtrace_id": "AbC12dEf34GhI"}});
    let locked = json!({"error": {
        "message": "(#131031) Business Account locked",
        "type": "OAuthException", "code": 131031,
        "error_data": {"messaging_product": "whatsapp", "details": "The business account is locked."},
        "fbtrace_id": "JkL56mNo78PqR"}});
    for (status, answer, code) in [(403, blocked, "368"), (400, locked, "131031")] {
        let db = saw_testkit::sqlite();
        let fake = Fake::default();
        fake.script.lock().unwrap().push_back((status, answer));
        let server = setup(&db, &fake).await;
        deliver_whatsapp(&server, &whatsapp_fixture("webhook-text-wire.json")).await;
        for _ in 0..200 {
            if !fake.calls.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            fake.calls.lock().unwrap().len(),
            1,
            "{code}: nothing more is tried"
        );
        let rows = outbound(&db).await;
        assert!(
            rows.iter().all(|r| r.0 == "queued" && r.3 == 0),
            "{code}: {rows:?}"
        );
        let page = server.admin_browser().await.get("/admin/channels").await;
        assert!(
            page.body.contains(code),
            "{code}: the reason is shown: {}",
            page.body
        );
    }
}

/// Waits until the fake Graph API was asked to send a template to `to`, and answers that call.
async fn template_sent_to(fake: &Fake, to: &str) -> Value {
    for _ in 0..200 {
        let found = fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(_, _, body)| body["type"] == "template" && body["to"] == to)
            .map(|(_, _, body)| body.clone());
        if let Some(body) = found {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no template was sent to {to}: {:?}",
        fake.calls.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_write_first_and_after_the_window_with_approved_templates() {
    for db in saw_testkit::backends() {
        let fake = Fake::default();
        let server = setup(&db, &fake).await;
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let channel = scalar(&db, "SELECT id FROM channels WHERE kind = 'whatsapp'").await;
        let out = cli(
            &db,
            &["channel", "templates", &channel.to_string(), "--sync"],
        );
        assert!(out.status.success(), "{}", stderr(&out));

        let form = admin.get("/inbox/new").await;
        assert!(
            form.body.contains("confirmacao_agendamento"),
            "{}",
            form.body
        );
        assert!(
            !form.body.contains("promocao_semana"),
            "paused templates are not offered"
        );
        let channel = channel.to_string();
        let start = |phone: &'static str| {
            let channel = channel.clone();
            let admin = &admin;
            async move {
                admin
                    .submit(
                        "/inbox/new",
                        "/inbox/new",
                        &[
                            ("channel_id", channel.as_str()),
                            ("phone", phone),
                            ("name", "Carla Dias"),
                            ("template", "confirmacao_agendamento"),
                            ("language", "pt_BR"),
                            ("header_param", "#4521"),
                            ("body_param", "Carla"),
                            ("body_param", "4521"),
                            ("body_param", "amanhã às 14h"),
                        ],
                    )
                    .await
            }
        };
        let bad = start("12345").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", db.name);
        assert!(bad.body.contains("O telefone não é válido"), "{}", bad.body);

        let started = start("+55 (31) 97654-3210").await;
        assert_eq!(
            started.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            db.name,
            started.body
        );
        let opened = started.location.unwrap();
        assert!(opened.starts_with("/inbox/tickets/"), "{opened}");
        let sent = template_sent_to(&fake, "5531976543210").await;
        assert_eq!(
            sent["template"]["name"], "confirmacao_agendamento",
            "{sent}"
        );
        let ticket =
            get_json(&server, &token, "/api/v1/tickets?status=open").await["items"][0].clone();
        assert_eq!(ticket["contact"]["phone"], "+5531976543210", "{ticket}");
        assert_eq!(ticket["contact"]["name"], "Carla Dias");
        assert_eq!(ticket["assignee"]["name"], "Administrador");

        // The conversation never had a customer message: the reply box offers templates.
        let page = admin.get(&opened).await.body;
        assert!(page.contains("Faz mais de 24 horas"), "{page}");
        let id = ticket["id"].as_i64().unwrap();
        let again = admin
            .submit(
                &opened,
                &format!("/inbox/tickets/{id}/template"),
                &[
                    ("template", "confirmacao_agendamento"),
                    ("language", "pt_BR"),
                    ("header_param", "#4522"),
                    ("body_param", "Carla"),
                    ("body_param", "4522"),
                    ("body_param", "sexta às 9h"),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);

        // A contact who said SAIR is never contacted first.
        let contact = ticket["contact"]["id"].as_i64().unwrap();
        let opted = server
            .api()
            .patch(server.url(&format!("/api/v1/contacts/{contact}")))
            .bearer_auth(&token)
            .json(&json!({"opted_out": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(opted.status(), StatusCode::OK);
        let refused = start("+55 31 97654-3210").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", db.name);
        assert!(refused.body.contains("SAIR"), "{}", refused.body);
    }
}
