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
    say_as(browser, "maria-bot", text, option, expect).await
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

/// Today's and tomorrow's dates in São Paulo, as the hours form takes them.
fn closed_today_and_tomorrow() -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Sao_Paulo)
        .date_naive();
    let tomorrow = today.succ_opt().unwrap();
    format!(
        "{} fechado Feriado de teste\n{} fechado",
        today.format("%d/%m/%Y"),
        tomorrow.format("%d/%m/%Y")
    )
}

#[tokio::test]
async fn a_customer_routed_to_a_closed_queue_hears_when_it_opens_and_waits_there() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);

        // A fresh install is open at all hours.
        let page = admin.get("/admin/hours").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("aberto 24 horas"), "{}", page.body);

        // A typo is refused with the day named, and nothing is stored.
        let mut fields = vec![("queue", ""), ("special", "")];
        let days = ["day0", "day1", "day2", "day3", "day4", "day5", "day6"];
        for day in days {
            fields.push((day, "08:00-18:00"));
        }
        fields[4].1 = "8h-18h";
        let refused = admin.submit("/admin/hours", "/admin/hours", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("Quarta-feira: &#34;8h-18h&#34;")
                || refused.body.contains("Quarta-feira: &quot;8h-18h&quot;"),
            "{}",
            refused.body
        );
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM business_hours").await, 0);

        // Comercial keeps hours of its own: every day 08:00–18:00, but closed today and
        // tomorrow. The company (and so Suporte) stays open at all hours.
        let comercial = scalar(&db, "SELECT id FROM queues WHERE name = 'Comercial'")
            .await
            .to_string();
        let special = closed_today_and_tomorrow();
        fields[4].1 = "08:00-18:00";
        fields[0].1 = &comercial;
        fields[1].1 = &special;
        let saved = admin.submit("/admin/hours", "/admin/hours", &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = admin.get(saved.location.as_deref().unwrap()).await;
        assert!(page.body.contains("Horário de atendimento salvo."));
        assert!(page.body.contains("Fechado agora"), "{}", page.body);
        assert!(page.body.contains("Feriado de teste"), "{}", page.body);
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM business_hours").await, 7);

        // Routed to Comercial: the hand-over, the place in the queue and when it opens.
        say_as(&admin, "ana-hours", "oi", None, "Como podemos ajudar?").await;
        let page = say_as(
            &admin,
            "ana-hours",
            "Comercial",
            None,
            "Estamos fora do horário",
        )
        .await;
        assert!(page.contains("Sua posição na fila: 1."), "{page}");
        assert!(
            page.contains("Voltamos ") && page.contains(" às 08:00."),
            "{page}"
        );

        // Suporte follows the company's hours: open, no out-of-hours message.
        say_as(&admin, "bia-hours", "oi", None, "Como podemos ajudar?").await;
        say_as(
            &admin,
            "bia-hours",
            "Falar com um atendente",
            None,
            "protocolo",
        )
        .await;

        let tickets = get_json(&server, &token, "/api/v1/tickets?status=pending").await;
        let queues: Vec<&str> = tickets["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["queue"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(queues.len(), 2, "{}: {tickets}", db.name);
        assert!(queues.contains(&"Comercial") && queues.contains(&"Suporte"));
        let out_of_hours = scalar(
            &db,
            "SELECT COUNT(*) FROM messages WHERE body LIKE 'Estamos fora do horário%'",
        )
        .await;
        assert_eq!(
            out_of_hours, 1,
            "{}: only the closed queue says so",
            db.name
        );

        // Blank again: Comercial follows the company.
        let blank: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (*k, if *k == "queue" { *v } else { "" }))
            .collect();
        let cleared = admin.submit("/admin/hours", "/admin/hours", &blank).await;
        assert_eq!(cleared.status, StatusCode::SEE_OTHER);
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM business_hours").await, 0);
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM business_hours_exceptions").await,
            0
        );
    }
}

/// Saves the conversation settings page with the bot's waiting time and the survey.
async fn set_endings(admin: &Browser, idle_minutes: &str, csat: bool) {
    let mut fields = vec![
        ("greeting", ""),
        ("reopen_grace_minutes", "120"),
        ("bot_idle_minutes", idle_minutes),
    ];
    if csat {
        fields.push(("csat", "on"));
    }
    let saved = admin
        .submit("/admin/settings", "/admin/settings/conversations", &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

#[tokio::test]
async fn a_bot_conversation_left_unanswered_is_closed_politely() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        set_endings(&admin, "1", false).await;
        say_as(&admin, "quieta", "oi", None, "Como podemos ajudar?").await;
        // A customer talking to a person is never closed this way.
        say_as(&admin, "ocupado", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "ocupado", "Comercial", None, "protocolo").await;

        // Both went silent two hours ago.
        let store = saw_store::Store::open(&db.url).await.unwrap();
        let long_ago = chrono::Utc::now() - chrono::Duration::hours(2);
        store
            .write(move |c| {
                c.execute(
                    "UPDATE tickets SET last_message_at = $1, created_at = $1",
                    saw_store::params![long_ago],
                )
            })
            .await
            .unwrap();
        let mut closed = 0;
        for _ in 0..100 {
            closed = scalar(
                &db,
                "SELECT COUNT(*) FROM tickets WHERE status = 'resolved'",
            )
            .await;
            if closed > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(closed, 1, "{}: only the bot conversation", db.name);
        let page = admin
            .get("/sandbox?cliente=quieta&nome=Maria+Souza")
            .await
            .body;
        assert!(
            page.contains("Como não recebemos sua resposta, encerramos este atendimento."),
            "{}: {page}",
            db.name
        );
        let recorded = scalar(
            &db,
            "SELECT COUNT(*) FROM bot_records WHERE kind = 'idle_closed'",
        )
        .await;
        assert_eq!(recorded, 1);
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM tickets WHERE status = 'pending'").await,
            1
        );
    }
}

#[tokio::test]
async fn resolved_tickets_ask_for_a_rating_and_the_answer_reopens_nothing() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        set_endings(&admin, "30", true).await;

        // Resolved by the bot: the customer needs nothing more, then taps 5.
        say_as(&admin, "nota", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "nota", "Horário de atendimento", None, "algo mais").await;
        let page = say_as(&admin, "nota", "não", None, "de 1 a 5?").await;
        assert!(
            page.contains("name=\"opcao\" value=\"csat:5\""),
            "{}: the rating as buttons {page}",
            db.name
        );
        say_as(
            &admin,
            "nota",
            "5 - Excelente",
            Some("csat:5"),
            "Obrigado pela sua avaliação!",
        )
        .await;
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM tickets").await,
            1,
            "{}",
            db.name
        );
        assert_eq!(
            scalar(
                &db,
                "SELECT csat_rating FROM tickets WHERE status = 'resolved'"
            )
            .await,
            5
        );

        // Resolved by an agent over the API; the customer types the rating.
        say_as(&admin, "agente", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "agente", "Comercial", None, "protocolo").await;
        let ticket = ticket_of(&server, &token, "pending").await["id"]
            .as_i64()
            .unwrap();
        let path = format!("/api/v1/tickets/{ticket}/resolve");
        let (status, body) = post_api(&server, &token, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "resolved");
        let (status, body) = post_api(&server, &token, &path).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "already_resolved");
        let rows = get_json(
            &server,
            &token,
            &format!("/api/v1/tickets/{ticket}/messages"),
        )
        .await;
        let last = rows["items"].as_array().unwrap().last().unwrap().clone();
        assert!(
            last["text"].as_str().unwrap().contains("de 1 a 5?"),
            "{last}"
        );
        say_as(
            &admin,
            "agente",
            "nota 4",
            None,
            "Obrigado pela sua avaliação!",
        )
        .await;
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM tickets").await,
            2,
            "{}",
            db.name
        );
        let rated = scalar(
            &db,
            "SELECT COUNT(*) FROM tickets WHERE csat_rating = 4 AND status = 'resolved'",
        )
        .await;
        assert_eq!(rated, 1, "{}", db.name);

        // Anything else after the rating is conversation again: within the reopening
        // window the ticket is reopened, pending in its queue.
        let fields = [
            ("cliente", "agente"),
            ("nome", "Ana"),
            ("texto", "mais uma dúvida"),
        ];
        let sent = admin.submit("/sandbox", "/sandbox", &fields).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        assert_eq!(ticket_of(&server, &token, "pending").await["id"], ticket);
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM tickets").await,
            2,
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn an_agent_hands_a_ticket_back_to_the_bot_which_greets_again() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        say_as(&admin, "volta", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "volta", "Comercial", None, "protocolo").await;
        let ticket = ticket_of(&server, &token, "pending").await["id"]
            .as_i64()
            .unwrap();
        let menus = "SELECT COUNT(*) FROM messages WHERE body LIKE 'Como podemos ajudar?%'";
        assert_eq!(scalar(&db, menus).await, 1);

        let path = format!("/api/v1/tickets/{ticket}/return-to-bot");
        let (status, body) = post_api(&server, &token, &path).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", db.name);
        assert_eq!(body["status"], "bot");
        assert_eq!(body["queue"], Value::Null);
        assert_eq!(scalar(&db, menus).await, 2, "{}: the menu again", db.name);
        let (status, body) = post_api(&server, &token, &path).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "not_with_people");
        // The bot answers again: an option routes as before.
        say_as(&admin, "volta", "Falar com um atendente", None, "protocolo").await;
        assert_eq!(ticket_of(&server, &token, "pending").await["id"], ticket);
        let history = scalar(
            &db,
            "SELECT COUNT(*) FROM ticket_events WHERE kind = 'returned_to_bot'",
        )
        .await;
        assert_eq!(history, 1);
    }
}

#[tokio::test]
async fn an_admin_edits_the_flow_in_the_browser_and_a_mistake_changes_nothing() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let page = admin.get("/admin/flows").await;
    assert_eq!(page.status, StatusCode::OK);
    let shown = between(&page.body, "<textarea name=\"yaml\"", "</textarea>").unwrap();
    assert!(shown.contains("menus:"), "{shown}");

    // A menu pointing nowhere is refused with its path; nothing is stored.
    let broken = "name: Loja\nmenu: inicio\nmenus:\n- id: inicio\n  text: Oi\n  options:\n  - { id: a, title: A, action: { menu: nenhum } }\n";
    let refused = admin
        .submit(
            "/admin/flows",
            "/admin/flows",
            &[("channel", ""), ("yaml", broken)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("nenhum"), "{}", refused.body);
    assert!(
        refused.body.contains("menu: nenhum"),
        "the typed YAML is kept"
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM flows").await, 1);

    // The sandbox gets a flow of its own with a new greeting; the default stays.
    let sandbox = scalar(&db, "SELECT id FROM channels WHERE kind = 'sandbox'")
        .await
        .to_string();
    let export = admin
        .get(&format!("/admin/flows/export?channel={sandbox}"))
        .await;
    assert_eq!(export.status, StatusCode::OK);
    let edited = export.body.replace(
        "Bem-vindo(a) à {{empresa}}.",
        "Aqui é a loja de testes, {{empresa}}.",
    );
    assert_ne!(edited, export.body, "the greeting is in the export");
    let published = admin
        .submit(
            "/admin/flows",
            "/admin/flows",
            &[("channel", &sandbox), ("yaml", &edited)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let page = admin.get(published.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Fluxo publicado"), "{}", page.body);
    assert!(page.body.contains("fluxo próprio"));
    say_as(&admin, "novo-fluxo", "oi", None, "Aqui é a loja de testes").await;

    // Back to the default flow.
    let reset = admin
        .submit(
            &format!("/admin/flows?channel={sandbox}"),
            "/admin/flows/default",
            &[("channel", &sandbox)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM flows WHERE channel_id IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_draft_is_tried_on_the_sandbox_before_customers_get_it() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let yaml = admin.get("/admin/flows/export").await.body;
        let draft = yaml
            .replace("Bem-vindo(a) à {{empresa}}.", "Versão nova do bot!")
            .replace("Comercial", "Vendas");
        assert_ne!(draft, yaml);
        let saved = admin
            .submit(
                "/admin/flows",
                "/admin/flows",
                &[("channel", ""), ("yaml", &draft), ("action", "draft")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = admin.get(saved.location.as_deref().unwrap()).await.body;
        assert!(page.contains("id=\"draft-notice\""), "{page}");
        assert!(
            page.contains("Versão nova do bot!"),
            "the editor shows the draft"
        );

        // Customers still get the published flow.
        say_as(&admin, "cliente-real", "oi", None, "Como podemos ajudar?").await;
        let published = admin
            .get("/sandbox?cliente=cliente-real&nome=Maria")
            .await
            .body;
        assert!(!published.contains("Versão nova do bot!"), "{}", db.name);
        assert!(
            published.contains("name=\"rascunho\""),
            "the draft can be tried"
        );

        // The person testing starts a conversation with the draft, and it stays with it.
        let fields = [
            ("cliente", "testando"),
            ("nome", "Maria"),
            ("texto", "oi"),
            ("rascunho", "on"),
        ];
        let sent = admin.submit("/sandbox", "/sandbox", &fields).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        say_as(&admin, "testando", "menu", None, "Vendas").await;
        let page = admin.get("/sandbox?cliente=testando&nome=Maria").await.body;
        assert!(page.contains("Versão nova do bot!"), "{}: {page}", db.name);

        // Published: everyone gets it and the draft is gone.
        let published = admin
            .submit(
                "/admin/flows",
                "/admin/flows",
                &[("channel", ""), ("yaml", &draft), ("action", "publish")],
            )
            .await;
        assert_eq!(
            published.status,
            StatusCode::SEE_OTHER,
            "{}",
            published.body
        );
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM flow_drafts").await, 0);
        say_as(&admin, "mais-tarde", "oi", None, "Versão nova do bot!").await;
    }
}

#[tokio::test]
async fn the_tree_editor_changes_a_draft_that_is_published_as_a_whole() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let edit = |fields: Vec<(&'static str, &'static str)>| {
            let admin = &admin;
            async move {
                let mut all = vec![("channel", "")];
                all.extend(fields);
                let done = admin
                    .submit("/admin/flows", "/admin/flows/tree", &all)
                    .await;
                assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
            }
        };
        edit(vec![
            ("op", "add_option"),
            ("menu", "inicio"),
            ("title", "Pix"),
            ("kind", "answer"),
            ("answer", "Nossa chave Pix é o CNPJ 12.345.678/0001-90."),
        ])
        .await;
        edit(vec![
            ("op", "move_option"),
            ("menu", "inicio"),
            ("option", "pix"),
            ("dir", "up"),
        ])
        .await;
        edit(vec![
            ("op", "add_submenu"),
            ("menu", "inicio"),
            ("title", "Financeiro"),
            ("text", "Certo, financeiro. O que precisa?"),
            ("human_title", "Falar com um atendente"),
        ])
        .await;
        edit(vec![
            ("op", "add_option"),
            ("menu", "financeiro"),
            ("title", "Segunda via"),
            ("kind", "ask"),
            ("prompt", "Qual o CPF do titular?"),
            ("field", "cpf"),
            ("field_kind", "cpf_cnpj"),
            ("queue", "Comercial"),
        ])
        .await;
        edit(vec![
            ("op", "add_auto_reply"),
            ("keywords", "segunda via, boleto"),
            ("answer", "A segunda via está no site."),
        ])
        .await;
        let page = admin.get("/admin/flows").await.body;
        assert!(page.contains("id=\"menu-financeiro\""), "{page}");
        assert!(page.contains("→ responde: Nossa chave Pix"), "{page}");
        assert!(page.contains("segunda via, boleto"));

        // A change that would break the flow is refused and the draft stays as it was.
        let all = [
            ("channel", ""),
            ("op", "menu_text"),
            ("menu", "financeiro"),
            ("text", "  "),
        ];
        let refused = admin
            .submit("/admin/flows", "/admin/flows/tree", &all)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("Certo, financeiro."), "unchanged");

        // Customers still get the published menu until the draft is published.
        let menu = say_as(&admin, "antes", "oi", None, "Como podemos ajudar?").await;
        assert!(!menu.contains("value=\"pix\""), "{}", db.name);
        let publish = admin
            .submit(
                "/admin/flows",
                "/admin/flows/publish-draft",
                &[("channel", "")],
            )
            .await;
        assert_eq!(publish.status, StatusCode::SEE_OTHER, "{}", publish.body);
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM flow_drafts").await, 0);
        say_as(&admin, "depois-pix", "oi", None, "Como podemos ajudar?").await;
        let page = say_as(&admin, "depois-pix", "Pix", None, "Nossa chave Pix").await;
        assert!(page.contains("CNPJ 12.345.678/0001-90"), "{}", db.name);
        say_as(&admin, "depois-pix", "sim", None, "Como podemos ajudar?").await;
        say_as(&admin, "depois-pix", "Financeiro", None, "O que precisa?").await;
        say_as(
            &admin,
            "depois-pix",
            "Segunda via",
            None,
            "Qual o CPF do titular?",
        )
        .await;
        say_as(&admin, "depois-pix", "12345678909", None, "Comercial").await;
        let fields = scalar_text(
            &db,
            "SELECT fields FROM contacts WHERE external_id = 'depois-pix'",
        )
        .await;
        assert!(fields.contains("123.456.789-09"), "{}: {fields}", db.name);
    }
}

#[tokio::test]
async fn sair_stops_proactive_messages_and_agents_see_the_flag() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        set_endings(&admin, "30", true).await;
        say_as(&admin, "chega", "oi", None, "Como podemos ajudar?").await;
        say_as(
            &admin,
            "chega",
            "SAIR",
            None,
            "não vai mais receber mensagens",
        )
        .await;
        let ticket = ticket_of(&server, &token, "all").await;
        assert_eq!(
            ticket["contact"]["opted_out"], true,
            "{}: {ticket}",
            db.name
        );
        assert_eq!(ticket["status"], "resolved");
        assert_eq!(ticket["csat_rating"], Value::Null);
        let asked = scalar(
            &db,
            "SELECT COUNT(*) FROM tickets WHERE csat_asked_at IS NOT NULL",
        )
        .await;
        assert_eq!(asked, 0, "{}: no survey after an opt-out", db.name);
    }
}

#[tokio::test]
async fn two_accepts_at_once_give_the_ticket_to_exactly_one() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let ana = add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        let bia = add_agent(&db, "bia@loja.com.br", "Bia", "Comercial");
        let caio = add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        say_as(&admin, "disputado", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "disputado", "Comercial", None, "protocolo").await;
        let ticket = ticket_of(&server, &token, "pending").await["id"]
            .as_i64()
            .unwrap();
        let path = format!("/api/v1/tickets/{ticket}/accept");

        // An agent of another queue does not even see it.
        let (status, _) = post_api(&server, &caio, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", db.name);

        let (first, second) = tokio::join!(
            post_api(&server, &ana, &path),
            post_api(&server, &bia, &path)
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{}",
            db.name
        );
        let (won, lost) = if first.0 == StatusCode::OK {
            (first, second)
        } else {
            (second, first)
        };
        assert_eq!(won.1["status"], "open");
        assert_eq!(lost.1["error"]["code"], "not_pending");
        let winner = won.1["assignee"]["name"].as_str().unwrap().to_owned();
        assert!(winner == "Ana" || winner == "Bia", "{winner}");
        let accepted = scalar(
            &db,
            "SELECT COUNT(*) FROM ticket_events WHERE kind = 'accepted'",
        )
        .await;
        assert_eq!(accepted, 1, "{}: one history entry", db.name);
    }
}
