//! The chatbot end to end, on a fresh install's example flow: through the sandbox a
//! customer walks a three-level menu, gets an FAQ answer by typing it, gives an order number
//! and lands in Suporte; on WhatsApp the menu is a native list and a tapped row routes the
//! same as a typed option.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Writes on the sandbox as Maria and waits until the bot's answer (containing `expect`).
async fn say(browser: &Browser, text: &str, option: Option<&str>, expect: &str) -> String {
    let mut fields = vec![
        ("cliente", "maria-bot"),
        ("nome", "Maria Souza"),
        ("texto", text),
    ];
    if let Some(option) = option {
        fields.push(("opcao", option));
    }
    let sent = browser.submit("/sandbox", "/sandbox", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let back = sent.location.unwrap();
    let mut page = String::new();
    for _ in 0..100 {
        page = browser.get(&back).await.body;
        // The answer comes after the customer's message on the phone.
        if page.rfind(expect) > page.rfind(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer with {expect:?} after {text:?}: {page}");
}

#[tokio::test]
async fn a_customer_walks_the_example_menu_to_suporte_through_the_sandbox() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let browser = server.admin_browser().await;
        let token = api_token(&db);

        let page = say(&browser, "oi", None, "Como podemos ajudar?").await;
        assert!(page.contains("Olá, Maria!"), "{}: {page}", db.name);

        // An FAQ typed in chat language, answered by the bot itself.
        say(
            &browser,
            "qual o horario de vcs?",
            None,
            "Atendemos de segunda a sexta",
        )
        .await;
        // "Posso ajudar em algo mais?" → yes, back to the menu.
        say(&browser, "sim", None, "Como podemos ajudar?").await;

        // A typo still finds Suporte; then the second level; then the question.
        say(&browser, "suprte", None, "Sobre o que é?").await;
        say(
            &browser,
            "Status do pedido",
            None,
            "Qual o número do seu pedido?",
        )
        .await;
        let page = say(&browser, "4521", None, "protocolo").await;
        assert!(page.contains("4521"), "{page}");

        let tickets = get_json(&server, &token, "/api/v1/tickets").await;
        let ticket = &tickets["items"][0];
        assert_eq!(ticket["status"], "pending", "{}: {tickets}", db.name);
        assert_eq!(ticket["queue"]["name"], "Suporte");
        let fields = scalar_text(&db, "SELECT fields FROM contacts").await;
        let fields: Value = serde_json::from_str(&fields).unwrap();
        assert_eq!(fields["pedido"], "4521", "{}", db.name);
        let chosen = scalar(
            &db,
            "SELECT COUNT(*) FROM bot_records WHERE kind = 'option_chosen'",
        )
        .await;
        assert!(chosen >= 2, "each option chosen is recorded");

        // The bot is silent now: a message waits for an agent.
        let before = scalar(&db, "SELECT COUNT(*) FROM messages WHERE direction = 'out'").await;
        let sent = browser
            .submit(
                "/sandbox",
                "/sandbox",
                &[
                    ("cliente", "maria-bot"),
                    ("nome", "Maria Souza"),
                    ("texto", "alô?"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = scalar(&db, "SELECT COUNT(*) FROM messages WHERE direction = 'out'").await;
        assert_eq!(
            before, after,
            "{}: the bot stays silent in a queue",
            db.name
        );
    }
}

async fn scalar_text(db: &TestDb, sql: &'static str) -> String {
    saw_store::Store::open(&db.url)
        .await
        .unwrap()
        .read(move |c| c.query_one(sql, &[], |r| r.text(0)))
        .await
        .unwrap()
}

#[tokio::test]
async fn on_whatsapp_the_menu_is_a_list_and_a_tapped_row_routes_like_a_typed_option() {
    let db = saw_testkit::sqlite();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let recorded = sent.clone();
    let router = axum::Router::new().fallback(axum::routing::post(
        move |axum::Json(body): axum::Json<Value>| {
            let recorded = recorded.clone();
            async move {
                let n = {
                    let mut all = recorded.lock().unwrap();
                    all.push(body);
                    all.len()
                };
                axum::Json(json!({"messaging_product": "whatsapp",
                    "messages": [{"id": format!("wamid.bot.{n}")}]}))
            }
        },
    ));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v", &base);

    deliver_whatsapp(&server, &fresh_whatsapp_text()).await;
    for _ in 0..100 {
        if sent.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    {
        let sent = sent.lock().unwrap();
        let menu = &sent[1];
        assert_eq!(menu["type"], "interactive", "{menu}");
        assert_eq!(menu["interactive"]["type"], "list", "four options: a list");
        let rows = &menu["interactive"]["action"]["sections"][0]["rows"];
        assert_eq!(rows[0]["id"], "comercial", "{menu}");
    }

    // The customer taps "Comercial" in the list.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let tap = String::from_utf8(whatsapp_fixture("webhook-list-reply.json"))
        .unwrap()
        .replace("fila_financeiro", "comercial")
        .replace("\"Financeiro\"", "\"Comercial\"")
        .replace("1795518540", &now.to_string());
    deliver_whatsapp(&server, tap.as_bytes()).await;
    let token = api_token(&db);
    let tickets = get_json(&server, &token, "/api/v1/tickets").await;
    assert_eq!(tickets["items"][0]["status"], "pending", "{tickets}");
    assert_eq!(tickets["items"][0]["queue"]["name"], "Comercial");
}

#[tokio::test]
async fn flows_are_exported_and_imported_as_yaml_and_a_bad_file_changes_nothing() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let exported = cli(&db, &["flow", "export"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let yaml = stdout(&exported);
    assert!(
        yaml.contains("menu: inicio") && yaml.contains("Suporte"),
        "{yaml}"
    );

    // A menu that names a menu that does not exist: refused with the field's path.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, yaml.replace("menu: suporte", "menu: suprte")).unwrap();
    let refused = cli(&db, &["flow", "import", broken.to_str().unwrap()]);
    assert!(!refused.status.success());
    let why = stderr(&refused);
    assert!(
        why.contains("menus[0].options[1].action.menu") && why.contains("suprte"),
        "{why}"
    );
    // Not YAML at all: refused with the line.
    let garbage = dir.path().join("garbage.yaml");
    std::fs::write(&garbage, "name: x\nmenus: [\n").unwrap();
    let refused = cli(&db, &["flow", "import", garbage.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("line"), "{}", stderr(&refused));
    assert_eq!(
        stdout(&cli(&db, &["flow", "export"])),
        yaml,
        "nothing changed"
    );

    // A new greeting, imported, greets the next customer.
    let mine = dir.path().join("mine.yaml");
    let edited = yaml.replacen(
        &yaml
            .lines()
            .find(|l| l.starts_with("greeting:"))
            .unwrap()
            .to_owned(),
        "greeting: Oi! Aqui é a Padaria Estrela.",
        1,
    );
    std::fs::write(&mine, edited).unwrap();
    let imported = cli(&db, &["flow", "import", mine.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let browser = server.admin_browser().await;
    let page = say(&browser, "oi", None, "Como podemos ajudar?").await;
    assert!(page.contains("Oi! Aqui é a Padaria Estrela."), "{page}");
}
