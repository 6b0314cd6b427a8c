//! Telegram webhooks against the real server: the bot's secret token, storing before the
//! 200, redelivery, unknown channels and malformed updates.

mod common;

use common::*;
use reqwest::StatusCode;
use saw_app::{App, AuthPolicy};
use saw_core::channel::ChannelConfig;
use saw_store::Store;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../saw-channels/tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The channel id and the webhook secret SAW generated for the bot (read as the server does).
async fn telegram_channel(db: &TestDb) -> (i64, String) {
    let store = Store::open(&db.url).await.unwrap();
    let (secrets, _) = saw_app::secrets::SecretBox::load(None, &db.data_dir()).unwrap();
    let app = App::new(store, secrets, AuthPolicy::default(), &db.data_dir());
    let account = saw_app::account::current(&app).await.unwrap();
    let listed = saw_app::channels::list(&app, account.id).await.unwrap();
    let channel = listed
        .iter()
        .find(|c| c.channel.kind.as_str() == "telegram")
        .unwrap()
        .channel
        .id;
    match saw_app::channels::get_decrypted(&app, account.id, channel)
        .await
        .unwrap()
        .1
    {
        ChannelConfig::Telegram(config) => (
            channel.get(),
            config.secrets.webhook_secret.expose().to_owned(),
        ),
        other => panic!("{other:?}"),
    }
}

async fn messages(db: &TestDb) -> i64 {
    let store = Store::open(&db.url).await.unwrap();
    store
        .read(|c| c.scalar_i64("SELECT COUNT(*) FROM messages WHERE direction = 'in'", &[]))
        .await
        .unwrap()
}

#[tokio::test]
async fn updates_with_the_bots_secret_are_stored_once() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let added = cli(
            &db,
            &[
                "channel",
                "add",
                "telegram",
                "--name",
                "Bot da Padaria",
                "--bot-token",
                "7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
                "--mode",
                "webhook",
                "--api-base",
                NO_PROVIDER,
            ],
        );
        assert!(added.status.success(), "{}", stderr(&added));
        let (channel, secret) = telegram_channel(&db).await;
        let post = |path: String, token: Option<String>, body: Vec<u8>| {
            let mut request = server
                .api()
                .post(server.url(&path))
                .header("content-type", "application/json")
                .body(body);
            if let Some(token) = token {
                request = request.header("x-telegram-bot-api-secret-token", token);
            }
            async move { request.send().await.unwrap().status() }
        };
        let path = format!("/webhooks/telegram/{channel}");
        let text = fixture("update-text.json");

        assert_eq!(
            post(path.clone(), None, text.clone()).await,
            StatusCode::UNAUTHORIZED,
            "{}",
            db.name
        );
        assert_eq!(
            post(path.clone(), Some("errado".into()), text.clone()).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            messages(&db).await,
            0,
            "{}: refused updates store nothing",
            db.name
        );

        assert_eq!(
            post(path.clone(), Some(secret.clone()), text.clone()).await,
            StatusCode::OK,
            "{}",
            db.name
        );
        assert_eq!(
            post(path.clone(), Some(secret.clone()), text).await,
            StatusCode::OK,
            "redelivery"
        );
        assert_eq!(messages(&db).await, 1, "{}: stored once", db.name);

        for name in [
            "update-photo.json",
            "update-voice.json",
            "update-callback-query.json",
            "update-location.json",
        ] {
            assert_eq!(
                post(path.clone(), Some(secret.clone()), fixture(name)).await,
                StatusCode::OK,
                "{name}"
            );
        }
        assert_eq!(messages(&db).await, 5, "{}", db.name);

        assert_eq!(
            post(
                "/webhooks/telegram/9999".into(),
                Some(secret.clone()),
                fixture("update-text.json")
            )
            .await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(path.clone(), Some(secret), b"{\"update_id\":".to_vec()).await,
            StatusCode::BAD_REQUEST
        );
    }
}
