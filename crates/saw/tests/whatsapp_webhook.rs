//! WhatsApp webhooks against the real server, with the fixtures' payloads and signatures:
//! handshake, signature checks, storing before acknowledging, redelivery, batches, statuses
//! before their message, numbers SAW does not serve, malformed and oversized bodies.

mod common;

use common::*;
use reqwest::StatusCode;
use saw_store::Store;

const VERIFY_TOKEN: &str = "token-de-verificacao-123";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../saw-channels/tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn signatures() -> serde_json::Value {
    serde_json::from_slice(&fixture("signatures.json")).unwrap()
}

fn add_channel(db: &TestDb) {
    add_fixture_whatsapp(db, VERIFY_TOKEN, NO_PROVIDER);
}

async fn post(server: &Server, body: &[u8], signature: Option<&str>) -> StatusCode {
    let mut request = server
        .api()
        .post(server.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap().status()
}

/// (tickets, messages, statuses waiting for their message) in the test's database.
async fn counts(db: &TestDb) -> (i64, i64, i64) {
    let store = Store::open(&db.url).await.unwrap();
    store
        .read(|c| {
            Ok::<_, saw_store::StoreError>((
                c.scalar_i64("SELECT COUNT(*) FROM tickets", &[])?,
                c.scalar_i64("SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[])?,
                c.scalar_i64("SELECT COUNT(*) FROM pending_statuses", &[])?,
            ))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_handshake_answers_the_challenge_only_for_our_verify_token() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    add_channel(&db);
    let get = |token: &str| {
        server
            .api()
            .get(server.url(&format!(
                "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
            )))
            .send()
    };
    let ok = get(VERIFY_TOKEN).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(
        get("outro-token").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn signed_webhooks_are_stored_once_and_bad_signatures_store_nothing() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        add_channel(&db);
        let sigs = signatures();
        let text = fixture("webhook-text-wire.json");
        let good = sigs["files"][0]["x_hub_signature_256"].as_str().unwrap();

        assert_eq!(
            post(&server, &text, None).await,
            StatusCode::UNAUTHORIZED,
            "{}: no signature",
            db.name
        );
        for bad in sigs["negative_examples"].as_array().unwrap() {
            let bad = bad["x_hub_signature_256"].as_str().unwrap();
            assert_eq!(
                post(&server, &text, Some(bad)).await,
                StatusCode::UNAUTHORIZED,
                "{}",
                db.name
            );
        }
        assert_eq!(
            counts(&db).await,
            (0, 0, 0),
            "{}: refused webhooks store nothing",
            db.name
        );

        assert_eq!(
            post(&server, &text, Some(good)).await,
            StatusCode::OK,
            "{}",
            db.name
        );
        assert_eq!(
            counts(&db).await,
            (1, 1, 0),
            "{}: one ticket, one message",
            db.name
        );
        assert_eq!(
            post(&server, &text, Some(good)).await,
            StatusCode::OK,
            "{}: redelivery is acknowledged",
            db.name
        );
        assert_eq!(
            counts(&db).await,
            (1, 1, 0),
            "{}: and changes nothing",
            db.name
        );

        // Two customers and a status for a message SAW has not stored yet, in one POST.
        let batch = fixture("webhook-batch.json");
        let batch_sig = sigs["files"][1]["x_hub_signature_256"].as_str().unwrap();
        assert_eq!(
            post(&server, &batch, Some(batch_sig)).await,
            StatusCode::OK,
            "{}",
            db.name
        );
        assert_eq!(counts(&db).await, (3, 3, 1), "{}", db.name);

        // The tickets over the API, as scripts see them.
        let token = stdout(&cli(&db, &["token", "create", "--name", "tests"]))
            .trim()
            .to_owned();
        let api = server.api();
        let get = |path: String, token: String| {
            let request = api.get(server.url(&path)).bearer_auth(token);
            async move {
                let response = request.send().await.unwrap();
                (
                    response.status(),
                    response
                        .json::<serde_json::Value>()
                        .await
                        .unwrap_or_default(),
                )
            }
        };
        let (status, page) = get("/api/v1/tickets?status=bot&limit=2".into(), token.clone()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}: {page}", db.name);
        assert!(
            items[0]["queue"].is_null(),
            "new tickets are with the bot, in no queue yet"
        );
        assert_eq!(items[0]["channel"]["kind"], "whatsapp");
        assert!(items[0]["protocol"].as_str().unwrap().len() == 15);
        let cursor = page["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_owned();
        let (_, rest) = get(
            format!("/api/v1/tickets?status=bot&limit=2&cursor={cursor}"),
            token.clone(),
        )
        .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next_cursor"].is_null());
        let names: Vec<String> = items
            .iter()
            .chain(rest["items"].as_array().unwrap())
            .filter_map(|t| t["contact"]["name"].as_str().map(str::to_owned))
            .collect();
        assert!(
            names.contains(&"Maria Souza".to_owned())
                && names.contains(&"Carlos Oliveira".to_owned()),
            "{names:?}"
        );
        let maria = items
            .iter()
            .chain(rest["items"].as_array().unwrap())
            .find(|t| t["contact"]["name"] == "Maria Souza")
            .unwrap();
        assert_eq!(maria["contact"]["phone"], "+5511987654321");

        let (status, messages) = get(
            format!("/api/v1/tickets/{}/messages", maria["id"]),
            token.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let first = &messages["items"][0];
        assert_eq!(
            (first["direction"].as_str(), first["kind"].as_str()),
            (Some("in"), Some("text")),
            "{messages}"
        );
        assert!(
            first["raw"].is_null(),
            "raw JSON only for unsupported kinds"
        );

        let (status, error) = get("/api/v1/tickets?limit=501".into(), token.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(
            get("/api/v1/tickets?status=aberto".into(), token.clone())
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            get("/api/v1/tickets/999999/messages".into(), token.clone())
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        // An agent sees the tickets of their queues only.
        for (email, queue) in [
            ("comercial@loja.com.br", "Comercial"),
            ("suporte@loja.com.br", "Suporte"),
        ] {
            let added = cli(
                &db,
                &[
                    "user",
                    "add",
                    "--email",
                    email,
                    "--name",
                    queue,
                    "--role",
                    "agent",
                    "--password",
                    "senha-do-agente",
                    "--queue",
                    queue,
                ],
            );
            assert!(added.status.success(), "{}", stderr(&added));
        }
        let comercial = stdout(&cli(
            &db,
            &[
                "token",
                "create",
                "--name",
                "c",
                "--user",
                "comercial@loja.com.br",
            ],
        ))
        .trim()
        .to_owned();
        let suporte = stdout(&cli(
            &db,
            &[
                "token",
                "create",
                "--name",
                "s",
                "--user",
                "suporte@loja.com.br",
            ],
        ))
        .trim()
        .to_owned();
        // Tickets with the bot are in no queue: no agent sees them until the bot routes them.
        assert_eq!(
            get("/api/v1/tickets".into(), suporte.clone()).await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            0,
            "{}",
            db.name
        );
        Store::open(&db.url)
            .await
            .unwrap()
            .write(|c| {
                c.execute(
                    "UPDATE tickets SET status = 'pending', queue_id = (SELECT id FROM queues WHERE name = 'Suporte')",
                    &[],
                )
            })
            .await
            .unwrap();
        assert_eq!(
            get("/api/v1/tickets".into(), comercial.clone()).await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            0,
            "{}",
            db.name
        );
        assert_eq!(
            get("/api/v1/tickets".into(), suporte).await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            3,
            "{}",
            db.name
        );
        let hidden = get(
            format!("/api/v1/tickets/{}/messages", maria["id"]),
            comercial,
        )
        .await
        .0;
        assert_eq!(
            hidden,
            StatusCode::NOT_FOUND,
            "another queue's ticket is not found"
        );
    }
}

#[tokio::test]
async fn every_fixture_is_accepted_and_foreign_or_broken_bodies_are_handled() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    add_channel(&db);
    let dir = format!(
        "{}/../saw-channels/tests/fixtures/whatsapp",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("webhook-"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        let body = fixture(name);
        let signature = saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), &body);
        assert_eq!(
            post(&server, &body, Some(&signature)).await,
            StatusCode::OK,
            "{name}"
        );
    }
    let (tickets, messages, _) = counts(&db).await;
    assert!(
        tickets >= 5 && messages >= 15,
        "tickets {tickets}, messages {messages}"
    );

    // A validly signed payload for a number SAW does not serve: acknowledged, stored nowhere.
    let foreign = String::from_utf8(fixture("webhook-text.json"))
        .unwrap()
        .replace(FIXTURE_NUMBER, "999999999999999");
    let foreign = foreign.replace("wamid.", "wamid.foreign.");
    let signature = saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), foreign.as_bytes());
    assert_eq!(
        post(&server, foreign.as_bytes(), Some(&signature)).await,
        StatusCode::OK
    );
    assert_eq!(
        counts(&db).await.1,
        messages,
        "nothing stored for a foreign number"
    );
    // Counted, and shown to admins with the number, which is usually a typo.
    let page = server.admin_browser().await.get("/admin/channels").await;
    let notice = between(&page.body, "id=\"unknown-numbers\">", "</p>").expect("the notice");
    assert!(
        notice.contains("1 aviso") && notice.contains("999999999999999"),
        "{notice}"
    );

    let broken = b"{\"object\": \"whatsapp_business_account\", \"entry\": [";
    let signature = saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), broken);
    assert_eq!(
        post(&server, broken, Some(&signature)).await,
        StatusCode::BAD_REQUEST
    );

    let huge = vec![b' '; 1024 * 1024 + 1];
    let signature = saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), &huge);
    assert_eq!(
        post(&server, &huge, Some(&signature)).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

/// The fixture's text message, with a reaction to it (or its removal, with no emoji).
fn reaction_to_text(emoji: &str, id: &str) -> Vec<u8> {
    let text: serde_json::Value = serde_json::from_slice(&fixture("webhook-text.json")).unwrap();
    let target = text["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut reaction: serde_json::Value =
        serde_json::from_slice(&fixture("webhook-reaction.json")).unwrap();
    let message = &mut reaction["entry"][0]["changes"][0]["value"]["messages"][0];
    message["id"] = id.into();
    message["reaction"]["message_id"] = target.into();
    message["reaction"]["emoji"] = emoji.into();
    serde_json::to_vec(&reaction).unwrap()
}

async fn text_of(db: &TestDb, sql: &'static str) -> Option<String> {
    Store::open(&db.url)
        .await
        .unwrap()
        .read(move |c| c.query_one(sql, &[], |r| r.opt_text(0)))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reaction_marks_its_message_and_never_opens_a_ticket_or_wakes_the_bot() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        add_channel(&db);
        let signed =
            |body: &[u8]| saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), body);
        let text = fixture("webhook-text.json");
        assert_eq!(
            post(&server, &text, Some(&signed(&text))).await,
            StatusCode::OK
        );
        // The bot's greeting and menu to the new ticket.
        let outbound = "SELECT COUNT(*) FROM messages WHERE direction = 'out'";
        let before = (counts(&db).await, scalar(&db, outbound).await);

        let heart = reaction_to_text("❤️", "wamid.reaction.1");
        assert_eq!(
            post(&server, &heart, Some(&signed(&heart))).await,
            StatusCode::OK
        );
        let reacted = "SELECT reaction FROM messages WHERE direction = 'in'";
        assert_eq!(
            text_of(&db, reacted).await.as_deref(),
            Some("❤️"),
            "{}",
            db.name
        );

        // Resolved since: a reaction (and its removal) still opens nothing.
        let store = Store::open(&db.url).await.unwrap();
        store
            .write(|c| {
                c.execute(
                    "UPDATE tickets SET status = 'resolved', bot_state = NULL",
                    &[],
                )
            })
            .await
            .unwrap();
        let removed = reaction_to_text("", "wamid.reaction.2");
        assert_eq!(
            post(&server, &removed, Some(&signed(&removed))).await,
            StatusCode::OK
        );
        assert_eq!(text_of(&db, reacted).await, None, "{}: removed", db.name);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let after = (counts(&db).await, scalar(&db, outbound).await);
        assert_eq!(
            before, after,
            "{}: no ticket, no stored chat message, no bot reply",
            db.name
        );
    }
}
