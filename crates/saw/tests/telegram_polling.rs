//! Long polling against a fake Bot API: a bot added with the CLI while SAW runs is polled
//! within seconds, its updates are stored, the offset moves past them only afterwards, and
//! new tickets are greeted through sendMessage.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use common::*;
use saw_store::Store;
use serde_json::{Value, json};

const BOT_TOKEN: &str = "7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

#[derive(Clone, Default)]
struct FakeBot {
    /// (method, body) of every call.
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn bot_api(State(fake): State<FakeBot>, uri: Uri, Json(body): Json<Value>) -> Json<Value> {
    let method = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
    let first_poll = {
        let mut calls = fake.calls.lock().unwrap();
        let first = method == "getUpdates" && !calls.iter().any(|(m, _)| m == "getUpdates");
        calls.push((method.clone(), body.clone()));
        first
    };
    match method.as_str() {
        "getUpdates" if first_poll => {
            let path = format!(
                "{}/../saw-channels/tests/fixtures/telegram/getupdates-response.json",
                env!("CARGO_MANIFEST_DIR")
            );
            Json(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
        }
        "getUpdates" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Json(json!({"ok": true, "result": []}))
        }
        "sendMessage" => Json(json!({"ok": true, "result": {
            "message_id": 9000, "date": 1795518000, "chat": {"id": body["chat_id"], "type": "private"}, "text": body["text"]}})),
        "deleteWebhook" | "setWebhook" | "answerCallbackQuery" => {
            Json(json!({"ok": true, "result": true}))
        }
        _ => Json(json!({"ok": false, "error_code": 404, "description": "Not Found"})),
    }
}

#[tokio::test]
async fn a_polling_bot_is_polled_stored_and_greeted() {
    let db = saw_testkit::sqlite();
    let fake = FakeBot::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .fallback(axum::routing::post(bot_api))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let server = Server::start(&db);
    let added = cli(
        &db,
        &[
            "channel",
            "add",
            "telegram",
            "--name",
            "Bot",
            "--bot-token",
            BOT_TOKEN,
            "--api-base",
            &base,
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));

    let store = Store::open(&db.url).await.unwrap();
    let mut inbound = 0;
    for _ in 0..150 {
        inbound = store
            .read(|c| c.scalar_i64("SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[]))
            .await
            .unwrap();
        let greeted = fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|(m, _)| m == "sendMessage");
        if inbound == 4 && greeted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(inbound, 4, "three messages and a button tap");

    let calls = fake.calls.lock().unwrap().clone();
    let polls: Vec<&Value> = calls
        .iter()
        .filter(|(m, _)| m == "getUpdates")
        .map(|(_, b)| b)
        .collect();
    assert!(
        polls[0].get("offset").is_none(),
        "the first poll asks for everything pending"
    );
    assert_eq!(
        polls[1]["offset"], 874512310,
        "the offset moves past the stored updates"
    );
    let greeting = calls
        .iter()
        .find(|(m, _)| m == "sendMessage")
        .map(|(_, b)| b)
        .unwrap();
    assert!(greeting["chat_id"].is_i64(), "{greeting}");
    assert!(
        greeting["text"].as_str().unwrap().contains("protocolo"),
        "{greeting}"
    );
    assert_eq!(
        calls[0].0, "deleteWebhook",
        "a webhook left behind would block polling"
    );
    for _ in 0..50 {
        if fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|(m, _)| m == "answerCallbackQuery")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let calls = fake.calls.lock().unwrap().clone();
    let answer = calls
        .iter()
        .find(|(m, _)| m == "answerCallbackQuery")
        .map(|(_, b)| b)
        .expect("the button tap is answered");
    assert!(answer["callback_query_id"].is_string(), "{answer}");
    drop(server);
}

#[tokio::test]
async fn a_webhook_bot_is_registered_with_the_public_url_and_its_secret() {
    let db = saw_testkit::sqlite();
    let fake = FakeBot::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .fallback(axum::routing::post(bot_api))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let server = Server::start_with(
        &db,
        &[
            ("SAW_ADMIN_EMAIL", ADMIN_EMAIL),
            ("SAW_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("SAW_PUBLIC_URL", "https://saw.loja.com.br"),
        ],
    );
    let added = cli(
        &db,
        &[
            "channel",
            "add",
            "telegram",
            "--name",
            "Bot",
            "--bot-token",
            BOT_TOKEN,
            "--mode",
            "webhook",
            "--api-base",
            &base,
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let mut registered = None;
    for _ in 0..100 {
        registered = fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .find(|(m, _)| m == "setWebhook")
            .map(|(_, b)| b.clone());
        if registered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = registered.expect("setWebhook is called");
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://saw.loja.com.br/webhooks/telegram/"),
        "{body}"
    );
    let secret = body["secret_token"].as_str().unwrap();
    assert!(secret.len() >= 16, "{body}");
    assert!(
        !fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|(m, _)| m == "getUpdates"),
        "a webhook bot is not polled"
    );
    // Telegram's calls with that secret are accepted.
    let path = url.trim_start_matches("https://saw.loja.com.br");
    let update = std::fs::read(format!(
        "{}/../saw-channels/tests/fixtures/telegram/update-text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let response = server
        .api()
        .post(server.url(path))
        .header("x-telegram-bot-api-secret-token", secret)
        .header("content-type", "application/json")
        .body(update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), axum::http::StatusCode::OK);
}
