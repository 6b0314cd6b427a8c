//! The sandbox round trip with only `saw serve`: a person plays a customer, writes "oi",
//! gets the greeting, and the ticket appears over the API.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn writing_oi_on_the_sandbox_opens_a_greeted_ticket() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let browser = server.admin_browser().await;
        let page = browser.get("/sandbox").await;
        assert_eq!(page.status, StatusCode::OK, "{}", db.name);
        assert!(
            page.body.contains("Cliente Teste") && page.body.contains("Nenhuma mensagem ainda"),
            "{}",
            page.body
        );

        let sent = browser
            .submit(
                "/sandbox",
                "/sandbox",
                &[
                    ("cliente", "maria-01"),
                    ("nome", "Maria Souza"),
                    ("texto", "oi"),
                ],
            )
            .await;
        assert_eq!(
            sent.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            db.name,
            sent.body
        );
        let back = sent.location.unwrap();

        let mut conversation = String::new();
        for _ in 0..100 {
            conversation = browser.get(&back).await.body;
            if conversation.contains("Olá, Maria!") && conversation.contains("Como podemos ajudar?")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(conversation.contains(">oi<"), "{}: {conversation}", db.name);
        assert!(
            conversation.contains("Olá, Maria!")
                && conversation.contains("Como podemos ajudar?")
                && conversation.contains("name=\"opcao\" value=\"suporte\""),
            "{}: the bot's greeting and menu {conversation}",
            db.name
        );

        let token = stdout(&cli(&db, &["token", "create", "--name", "sandbox"]))
            .trim()
            .to_owned();
        let tickets: serde_json::Value = server
            .api()
            .get(server.url("/api/v1/tickets"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = tickets["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}: {tickets}", db.name);
        assert_eq!(items[0]["channel"]["kind"], "sandbox");
        assert_eq!(items[0]["contact"]["name"], "Maria Souza");
        assert_eq!(items[0]["status"], "bot", "the bot has the ticket");

        // The phone showed the replies: they are read, with blue ticks.
        let ticket = items[0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/tickets/{ticket}/messages");
        let mut statuses = Vec::new();
        let mut page = String::new();
        for _ in 0..100 {
            page = browser.get(&back).await.body;
            let messages = get_json(&server, &token, &path).await;
            statuses = messages["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["direction"] == "out")
                .map(|m| m["status"].as_str().unwrap().to_owned())
                .collect();
            if !statuses.is_empty() && statuses.iter().all(|s| s == "read") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            !statuses.is_empty() && statuses.iter().all(|s| s == "read"),
            "{}: {statuses:?}",
            db.name
        );
        let page = browser.get(&back).await.body.clone() + &page;
        assert!(page.contains("class=\"ticks read\""), "{}: {page}", db.name);

        // Customer text is data: escaped on the page, never markup.
        let evil = browser
            .submit(
                &back,
                "/sandbox",
                &[
                    ("cliente", "maria-01"),
                    ("nome", "Maria Souza"),
                    ("texto", "<script>alert(1)</script>"),
                ],
            )
            .await;
        assert_eq!(evil.status, StatusCode::SEE_OTHER);
        let shown = browser.get(&back).await.body;
        let escaped = shown.contains("&#60;script&#62;") || shown.contains("&lt;script&gt;");
        assert!(
            !shown.contains("<script>alert(1)</script>") && escaped,
            "{shown}"
        );

        let empty = browser
            .submit(
                &back,
                "/sandbox",
                &[
                    ("cliente", "maria-01"),
                    ("nome", "Maria Souza"),
                    ("texto", "   "),
                ],
            )
            .await;
        assert_eq!(
            empty.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            db.name
        );
        assert!(empty.body.contains("Escreva a mensagem"));
    }
}

#[tokio::test]
async fn a_menu_shows_as_buttons_and_a_tap_comes_back_as_the_chosen_option() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let browser = server.admin_browser().await;
    let who = [("cliente", "joao-02"), ("nome", "João")];
    let sent = browser
        .submit("/sandbox", "/sandbox", &[who[0], who[1], ("texto", "oi")])
        .await;
    let back = sent.location.unwrap();
    let token = api_token(&db);
    let api = server.api();
    let ticket = get_json(&server, &token, "/api/v1/tickets").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let url = server.url(&format!("/api/v1/tickets/{ticket}/messages"));
    let posted = api
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"menu": {"body": "Escolha uma opção", "options": [
            {"id": "comercial", "title": "Comercial"}, {"id": "suporte", "title": "Suporte <2>"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::CREATED);
    let mut shown = String::new();
    for _ in 0..100 {
        shown = browser.get(&back).await.body;
        if shown.contains("name=\"opcao\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        shown.contains("value=\"suporte\"")
            && (shown.contains("Suporte &#60;2&#62;") || shown.contains("Suporte &lt;2&gt;")),
        "{shown}"
    );
    let tapped = browser
        .submit(
            &back,
            "/sandbox",
            &[
                who[0],
                who[1],
                ("opcao", "suporte"),
                ("texto", "Suporte <2>"),
            ],
        )
        .await;
    assert_eq!(tapped.status, StatusCode::SEE_OTHER, "{}", tapped.body);
    let messages: serde_json::Value = api
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = messages["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "interactive", "{last}");
    assert_eq!(last["chosen_option"]["id"], "suporte");
}

#[tokio::test]
async fn a_public_sandbox_lets_visitors_write_within_a_limit_per_address() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let visitor = server.browser();
    let closed = visitor.get("/sandbox").await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(closed.location.as_deref(), Some("/login"));

    let admin = server.admin_browser().await;
    let saved = admin
        .submit(
            "/admin/settings",
            "/admin/settings/conversations",
            &[
                ("greeting", "Oi, {{nome}}! Protocolo {{protocolo}}."),
                ("reopen_grace_minutes", "120"),
                ("bot_idle_minutes", "30"),
                ("sandbox_public", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let open = visitor.get("/sandbox").await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);
    assert!(open.body.contains("Visitante"), "{}", open.body);
    let sent = visitor
        .submit(
            "/sandbox",
            "/sandbox",
            &[
                ("nome", "Ana"),
                ("texto", "oi"),
                ("cliente", "outra-pessoa"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let back = sent.location.unwrap();
    let mut shown = String::new();
    for _ in 0..100 {
        shown = visitor.get(&back).await.body;
        if shown.contains("Oi, Ana! Protocolo") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        shown.contains("Oi, Ana! Protocolo"),
        "the account's greeting: {shown}"
    );

    // The visitor is the customer of their cookie, whatever the form claims.
    let token = api_token(&db);
    let tickets = get_json(&server, &token, "/api/v1/tickets").await;
    let external = tickets["items"][0]["contact"]["external_id"]
        .as_str()
        .unwrap();
    assert!(external.starts_with("visitante-"), "{tickets}");

    // A burst from one address is slowed down.
    let mut statuses = Vec::new();
    for i in 0..8 {
        let page = visitor
            .submit(
                &back,
                "/sandbox",
                &[("nome", "Ana"), ("texto", &format!("msg {i}"))],
            )
            .await;
        statuses.push(page.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
