//! The channels admin page: add a WhatsApp number, see what to paste at Meta, test the
//! connection against a fake Graph API, and remove it.

mod common;

use axum::Json;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn phone_number(headers: HeaderMap) -> (AxumStatus, Json<serde_json::Value>) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth == "Bearer EAAG-bom" {
        (
            AxumStatus::OK,
            Json(
                json!({"verified_name": "Padaria Estrela", "display_phone_number": "+55 11 94002-8922", "id": "112233445566778"}),
            ),
        )
    } else {
        (
            AxumStatus::UNAUTHORIZED,
            Json(
                json!({"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}),
            ),
        )
    }
}

#[tokio::test]
async fn an_admin_connects_and_tests_a_whatsapp_number() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(axum::routing::get(phone_number));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let list = admin.get("/admin/channels").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("Sandbox"),
        "the first start's sandbox is listed"
    );

    let add = |pnid: &'static str, token: &'static str| {
        let fake = fake.clone();
        let admin = &admin;
        async move {
            admin
                .submit(
                    "/admin/channels",
                    "/admin/channels",
                    &[
                        ("kind", "whatsapp"),
                        ("name", "WhatsApp Loja"),
                        ("phone_number_id", pnid),
                        ("waba_id", "104952389402837"),
                        ("access_token", token),
                        ("app_secret", "segredo-do-app"),
                        ("api_base", &fake),
                    ],
                )
                .await
        }
    };
    let bad_id = add("não-é-número", "EAAG-bom").await;
    assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);

    let created = add("112233445566778", "EAAG-bom").await;
    let location = created.location.expect("redirect to the channel");
    assert!(location.ends_with("?ok=channel_created"), "{location}");
    let page = admin.get(&location).await;
    assert!(page.body.contains("Conexão adicionada."));
    assert!(
        page.body
            .contains(&format!("{}/webhooks/whatsapp", server.base)),
        "the callback URL to paste at Meta"
    );
    assert!(page.body.contains("Token de verificação"));
    assert!(
        !page.body.contains("EAAG-bom") && !page.body.contains("segredo-do-app"),
        "secrets stay masked"
    );

    let path = location.split('?').next().unwrap().to_owned();
    let tested = admin.submit(&path, &format!("{path}/test"), &[]).await;
    assert!(
        tested
            .body
            .contains("Conexão funcionando: Padaria Estrela."),
        "{}",
        tested.body
    );

    let other = add("998877665544332", "EAAG-vencido")
        .await
        .location
        .unwrap();
    let other = other.split('?').next().unwrap().to_owned();
    let refused = admin.submit(&other, &format!("{other}/test"), &[]).await;
    assert!(
        refused.body.contains("O token foi recusado"),
        "{}",
        refused.body
    );

    let duplicate = add("112233445566778", "EAAG-bom").await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);

    let removed = admin.submit(&other, &format!("{other}/remove"), &[]).await;
    assert_eq!(
        removed.location.as_deref(),
        Some("/admin/channels?ok=channel_removed")
    );
}

/// getMe answers for the one token the fake knows.
async fn get_me(uri: axum::http::Uri) -> axum::Json<serde_json::Value> {
    if uri
        .path()
        .contains("7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    {
        axum::Json(
            serde_json::json!({"ok": true, "result": {"id": 7712345678u64, "is_bot": true,
            "first_name": "Padaria", "username": "padaria_estrela_bot"}}),
        )
    } else {
        axum::Json(
            serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        )
    }
}

#[tokio::test]
async fn a_pasted_bot_token_is_checked_with_get_me_before_it_is_stored() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(get_me);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let add = |token: &'static str| {
        let fake = fake.clone();
        let admin = &admin;
        async move {
            admin
                .submit(
                    "/admin/channels",
                    "/admin/channels",
                    &[
                        ("kind", "telegram"),
                        ("name", "Bot da padaria"),
                        ("bot_token", token),
                        ("mode", "polling"),
                        ("api_base", &fake),
                    ],
                )
                .await
        }
    };
    let revoked = add("7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDxxx").await;
    assert_eq!(revoked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !stdout(&cli(&db, &["channel", "list"])).contains("Bot da padaria"),
        "nothing stored"
    );
    let created = add("7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(stdout(&cli(&db, &["channel", "list"])).contains("Bot da padaria"));
}
