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

const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 a photo from Telegram";

/// `GET {base}/file/bot{token}/{path}`: the file behind a `getFile` path.
async fn file(uri: Uri) -> Vec<u8> {
    assert_eq!(
        uri.path(),
        format!("/file/bot{BOT_TOKEN}/photos/file_12.jpg")
    );
    PHOTO.to_vec()
}

/// `sendPhoto` with the file in the form, as SAW sends an agent's photo.
async fn send_photo(
    State(fake): State<FakeBot>,
    mut form: axum::extract::Multipart,
) -> Json<Value> {
    let mut fields = serde_json::Map::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            fields.insert(
                "photo_len".into(),
                json!(field.bytes().await.unwrap().len()),
            );
        } else {
            fields.insert(name, json!(field.text().await.unwrap()));
        }
    }
    let chat = fields["chat_id"].clone();
    fake.calls
        .lock()
        .unwrap()
        .push(("sendPhoto".into(), Value::Object(fields)));
    Json(
        json!({"ok": true, "result": {"message_id": 9100, "date": 1795518000,
        "chat": {"id": chat.as_str().and_then(|c| c.parse::<i64>().ok()), "type": "private"}}}),
    )
}

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
        // Message ids are unique within a chat.
        "sendMessage" => Json(json!({"ok": true, "result": {
            "message_id": 9000 + fake.calls.lock().unwrap().len(), "date": 1795518000, "chat": {"id": body["chat_id"], "type": "private"}, "text": body["text"]}})),
        "getFile" => Json(json!({"ok": true, "result": {"file_id": body["file_id"],
            "file_unique_id": "AgADOwbmNkjrDco1", "file_size": PHOTO.len(), "file_path": "photos/file_12.jpg"}})),
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
        .route("/{bot}/sendPhoto", axum::routing::post(send_photo))
        .fallback(axum::routing::post(bot_api).get(file))
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
        greeting["text"].as_str().unwrap().starts_with("Olá"),
        "the bot's greeting: {greeting}"
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

    // The photo is fetched through getFile into the media store.
    let mut ready = 0;
    for _ in 0..100 {
        ready = scalar(
            &db,
            "SELECT COUNT(*) FROM messages WHERE kind = 'image' AND media_state = 'ready' AND media_type = 'image/jpeg'",
        )
        .await;
        if ready == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, 1, "the photo arrives");
    let stored = files_under(&db.data_dir().join("media"));
    assert_eq!(std::fs::read(&stored[0]).unwrap(), PHOTO);

    // A menu goes as an inline keyboard whose buttons carry the option ids.
    let token = api_token(&db);
    let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let posted = server
        .api()
        .post(server.url(&format!("/api/v1/tickets/{ticket}/messages")))
        .bearer_auth(&token)
        .json(&json!({"menu": {"body": "Escolha", "options": [
            {"id": "comercial", "title": "Comercial"}, {"id": "suporte", "title": "Suporte"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), axum::http::StatusCode::CREATED);
    let mut keyboard = None;
    for _ in 0..100 {
        keyboard = fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == "sendMessage")
            .find_map(|(_, b)| b.get("reply_markup").cloned());
        if keyboard.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let keyboard = keyboard.expect("the menu is sent");
    assert_eq!(
        keyboard["inline_keyboard"][1][0],
        json!({"text": "Suporte", "callback_data": "suporte"})
    );

    // An agent's photo goes to Telegram in the send itself.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(PHOTO.to_vec())
                .file_name("bolo.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .text("caption", "Olha o bolo");
    let posted = server
        .api()
        .post(server.url(&format!("/api/v1/tickets/{ticket}/messages")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), axum::http::StatusCode::CREATED);
    let mut photo = None;
    for _ in 0..100 {
        photo = fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .find(|(m, _)| m == "sendPhoto")
            .map(|(_, b)| b.clone());
        if photo.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let photo = photo.expect("sendPhoto is called");
    assert_eq!(photo["photo_len"], PHOTO.len(), "{photo}");
    assert_eq!(photo["caption"], "Olha o bolo");
    let sent = scalar(
        &db,
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND kind = 'image' AND status = 'sent'",
    )
    .await;
    assert_eq!(sent, 1);
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

#[tokio::test]
async fn a_webhook_bot_without_a_public_https_url_is_polled_instead() {
    let db = saw_testkit::sqlite();
    let fake = FakeBot::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .fallback(axum::routing::post(bot_api))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let _server = Server::start(&db);
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
    let mut inbound = 0;
    for _ in 0..150 {
        inbound = scalar(&db, "SELECT COUNT(*) FROM messages WHERE direction = 'in'").await;
        if inbound > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(inbound > 0, "the bot's messages arrive by polling");
    let calls = fake.calls.lock().unwrap().clone();
    assert!(calls.iter().any(|(m, _)| m == "getUpdates"));
    assert!(
        !calls.iter().any(|(m, _)| m == "setWebhook"),
        "Telegram would refuse a plain http webhook"
    );
}
