//! How conversations hold together: one contact per phone however WhatsApp writes it, one
//! unresolved ticket per customer, the reopening window, a reply that takes the ticket,
//! WhatsApp's 24-hour window, and the event stream that reports each change.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use saw_store::{Store, params};
use serde_json::{Value, json};

/// The fixture's text message from `wa_id`, with its own id, sent `age` ago.
fn text_from(wa_id: &str, id: &str, age: Duration) -> Vec<u8> {
    let sent = std::time::SystemTime::now() - age;
    let secs = sent
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    String::from_utf8(whatsapp_fixture("webhook-text-wire.json"))
        .unwrap()
        .replace("5521998765432", wa_id)
        .replace("BR.5647382910564738", &format!("BR.{id}"))
        .replace("wamid.", &format!("wamid.{id}."))
        .replace("1795519300", &secs.to_string())
        .into_bytes()
}

async fn sql(db: &TestDb, statement: &'static str, minutes_ago: i64) {
    let store = Store::open(&db.url).await.unwrap();
    let at = saw_store::now() - chrono::Duration::minutes(minutes_ago);
    store
        .write(move |c| c.execute(statement, params![at]).map(drop))
        .await
        .unwrap();
}

#[tokio::test]
async fn one_phone_is_one_contact_and_a_resolved_ticket_reopens_within_the_window() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        add_fixture_whatsapp(&db, "v", NO_PROVIDER);
        let token = api_token(&db);

        // An old account's 8-digit wa_id, then the same phone with the ninth digit.
        deliver_whatsapp(&server, &text_from("551187654321", "a", Duration::ZERO)).await;
        deliver_whatsapp(&server, &text_from("5511987654321", "b", Duration::ZERO)).await;
        let tickets = get_json(&server, &token, "/api/v1/tickets").await;
        let items = tickets["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}: {tickets}", db.name);
        assert_eq!(items[0]["contact"]["phone"], "+5511987654321");
        assert_eq!(
            items[0]["contact"]["external_id"], "5511987654321",
            "{}: replies go to the id WhatsApp used last",
            db.name
        );
        let first = items[0]["id"].as_i64().unwrap();
        let messages = get_json(
            &server,
            &token,
            &format!("/api/v1/tickets/{first}/messages"),
        )
        .await;
        let inbound = messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "in")
            .count();
        assert_eq!(inbound, 2, "{}", db.name);

        // Resolved a minute ago: the customer's next message reopens the same ticket.
        sql(
            &db,
            "UPDATE tickets SET status = 'resolved', resolved_at = $1",
            1,
        )
        .await;
        deliver_whatsapp(&server, &text_from("5511987654321", "c", Duration::ZERO)).await;
        let tickets = get_json(&server, &token, "/api/v1/tickets").await;
        assert_eq!(tickets["items"].as_array().unwrap().len(), 1, "{}", db.name);
        assert_eq!(tickets["items"][0]["status"], "pending", "{}", db.name);

        // Resolved three hours ago (the window is two): a new ticket with a new protocol.
        sql(
            &db,
            "UPDATE tickets SET status = 'resolved', resolved_at = $1",
            180,
        )
        .await;
        deliver_whatsapp(&server, &text_from("5511987654321", "d", Duration::ZERO)).await;
        let tickets = get_json(&server, &token, "/api/v1/tickets").await;
        let items = tickets["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}: {tickets}", db.name);
        assert_ne!(items[0]["protocol"], items[1]["protocol"]);

        // The database itself refuses a second unresolved ticket for the customer.
        let store = Store::open(&db.url).await.unwrap();
        let second = store
            .write(|c| {
                c.execute(
                    "UPDATE tickets SET status = 'pending', resolved_at = NULL",
                    &[],
                )
            })
            .await;
        assert!(
            second.is_err(),
            "{}: the partial unique index holds",
            db.name
        );
    }
}

#[tokio::test]
async fn a_reply_takes_the_ticket_and_a_closed_window_is_refused_before_meta() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        add_fixture_whatsapp(&db, "v", NO_PROVIDER);
        let token = api_token(&db);
        deliver_whatsapp(&server, &text_from("5521998765432", "a", Duration::ZERO)).await;
        let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
            .as_i64()
            .unwrap();
        let reply = |text: &'static str| {
            server
                .api()
                .post(server.url(&format!("/api/v1/tickets/{ticket}/messages")))
                .bearer_auth(&token)
                .json(&json!({"text": text}))
                .send()
        };
        let response = reply("Oi, João! Entregamos sim.").await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{}", db.name);
        let tickets = get_json(&server, &token, "/api/v1/tickets?status=open").await;
        assert_eq!(tickets["items"][0]["id"], ticket, "{}: taken", db.name);
        assert_eq!(tickets["items"][0]["assignee"]["name"], "Administrador");

        // The customer wrote 25 hours ago: WhatsApp would refuse a free-form message.
        sql(&db, "UPDATE tickets SET last_inbound_at = $1", 25 * 60).await;
        let response = reply("Ainda está aí?").await.unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT, "{}", db.name);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "window_closed", "{body}");
        let messages = get_json(
            &server,
            &token,
            &format!("/api/v1/tickets/{ticket}/messages"),
        )
        .await;
        let texts: Vec<_> = messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert!(
            !texts.contains(&"Ainda está aí?"),
            "{}: nothing stored",
            db.name
        );
        // A private note is always allowed.
        let note = server
            .api()
            .post(server.url(&format!("/api/v1/tickets/{ticket}/messages")))
            .bearer_auth(&token)
            .json(&json!({"text": "cliente sumiu", "private": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(note.status(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn the_event_stream_reports_new_tickets_and_messages() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v", NO_PROVIDER);
    let token = api_token(&db);
    let response = server
        .api()
        .get(server.url("/api/v1/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut response = response;
    deliver_whatsapp(&server, &text_from("5521998765432", "a", Duration::ZERO)).await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(seen.contains("event: ticket.created")
        && seen.contains("event: message.created")
        && seen.contains("\"direction\":\"in\"")
        && seen.contains("\"direction\":\"out\""))
    {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the events arrive")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("Vocês entregam em São Paulo?"),
        "each event carries the object itself, the message with its text: {seen}"
    );
    assert!(
        seen.contains("\nid: "),
        "events have ids to resume from: {seen}"
    );

    let anonymous = server
        .api()
        .get(server.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
