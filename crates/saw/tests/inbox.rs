//! The agents' workspace over HTTP: transfers, reopening, the queue rule on every ticket
//! endpoint and on the live stream, resuming the stream, and the inbox pages themselves.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A customer of the sandbox walks the example menu into `queue` ("Comercial" or
/// "Suporte"); answers the ticket's id.
async fn customer_waits_in(
    server: &Server,
    admin: &Browser,
    token: &str,
    who: &str,
    queue: &str,
) -> i64 {
    say_as(admin, who, "oi", None, "Como podemos ajudar?").await;
    if queue == "Suporte" {
        say_as(admin, who, "Suporte", None, "Sobre o que é?").await;
        say_as(admin, who, "Status do pedido", None, "número do seu pedido").await;
        say_as(admin, who, "4521", None, "protocolo").await;
    } else {
        say_as(admin, who, queue, None, "protocolo").await;
    }
    let list = get_json(server, token, "/api/v1/tickets?status=pending").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["queue"]["name"] == queue && t["contact"]["external_id"] == who)
        .unwrap_or_else(|| panic!("{who} waits in {queue}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

async fn post_json(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = server
        .api()
        .post(server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

async fn status_of(server: &Server, token: &str, path: &str) -> StatusCode {
    server
        .api()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn tickets_move_between_queues_and_people_and_each_agent_sees_only_theirs() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let ana = add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        let caio = add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        let ticket = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
        let base = format!("/api/v1/tickets/{ticket}");

        // Caio (Suporte) may not read or touch a ticket of Comercial.
        for path in ["", "/messages"] {
            let status = status_of(&server, &caio, &format!("{base}{path}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}: GET {path}", db.name);
        }
        for action in ["accept", "resolve", "reopen", "return-to-bot"] {
            let (status, _) = post_api(&server, &caio, &format!("{base}/{action}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{}: {action}", db.name);
        }
        let (status, _) = post_json(
            &server,
            &caio,
            &format!("{base}/transfer"),
            json!({"user_id": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}: transfer", db.name);

        let queues = get_json(&server, &ana, "/api/v1/queues").await;
        assert_eq!(queues["items"].as_array().unwrap().len(), 1, "{queues}");
        let all_queues = get_json(&server, &token, "/api/v1/queues").await;
        let suporte = id_named(&all_queues, "Suporte");
        let people = get_json(&server, &caio, "/api/v1/users").await;
        let ana_id = id_named(&people, "Ana");

        let (status, _) = post_api(&server, &ana, &format!("{base}/accept")).await;
        assert_eq!(status, StatusCode::OK, "{}", db.name);

        // Nowhere to go, or somewhere that does not exist: refused, nothing changes.
        for (body, code) in [
            (json!({}), "no_transfer_target"),
            (json!({"note": "só a nota"}), "no_transfer_target"),
            (json!({"queue_id": 999_999}), "unknown_queue"),
            (json!({"user_id": 999_999}), "unknown_user"),
            (
                json!({"queue_id": suporte, "note": "x".repeat(1001)}),
                "note_too_long",
            ),
        ] {
            let (status, answer) =
                post_json(&server, &ana, &format!("{base}/transfer"), body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            assert_eq!(answer["error"]["code"], code, "{}: {body}", db.name);
        }
        let still = get_json(&server, &ana, &base).await;
        assert_eq!(still["status"], "open", "{}: {still}", db.name);
        assert_eq!(still["assignee"]["name"], "Ana");

        // To a queue alone: pending there, nobody's.
        let (status, moved) = post_json(
            &server,
            &ana,
            &format!("{base}/transfer"),
            json!({"queue_id": suporte, "note": "Quer a 2ª via do boleto"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {moved}", db.name);
        assert_eq!(moved["status"], "pending");
        assert_eq!(moved["queue"]["name"], "Suporte");
        assert_eq!(moved["assignee"], Value::Null);
        assert_eq!(
            status_of(&server, &ana, &base).await,
            StatusCode::NOT_FOUND,
            "{}: it left Ana's queues",
            db.name
        );
        let conversation = get_json(&server, &caio, &format!("{base}/messages")).await;
        let note = conversation["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["private"] == true)
            .unwrap_or_else(|| panic!("the note travels with the ticket: {conversation}"));
        assert_eq!(note["text"], "Quer a 2ª via do boleto");
        assert_eq!(note["author"]["name"], "Ana");

        // To a person: open and theirs, in the queue it was in.
        let (status, moved) = post_json(
            &server,
            &caio,
            &format!("{base}/transfer"),
            json!({"user_id": ana_id}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {moved}", db.name);
        assert_eq!(moved["status"], "open");
        assert_eq!(moved["assignee"]["name"], "Ana");
        assert_eq!(moved["queue"]["name"], "Suporte");
        assert_eq!(status_of(&server, &ana, &base).await, StatusCode::OK);

        // Resolved with a reason, kept in the history and shown to the team; no transfer
        // then; reopening makes it the reopener's, once.
        let resolve = format!("{base}/resolve");
        let (status, _) =
            post_json(&server, &ana, &resolve, json!({"reason": "x".repeat(1001)})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", db.name);
        let (status, resolved) = post_json(
            &server,
            &ana,
            &resolve,
            json!({"reason": "Boleto enviado por e-mail"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {resolved}", db.name);
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM ticket_events WHERE kind = 'resolved' AND note = 'Boleto enviado por e-mail'"
            )
            .await,
            1,
            "{}",
            db.name
        );
        let conversation = get_json(&server, &ana, &format!("{base}/messages")).await;
        assert!(
            conversation["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["private"] == true && m["text"] == "Boleto enviado por e-mail"),
            "{conversation}"
        );
        let (status, answer) = post_json(
            &server,
            &ana,
            &format!("{base}/transfer"),
            json!({"queue_id": suporte}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(answer["error"]["code"], "transfer_resolved", "{answer}");
        let (status, reopened) = post_api(&server, &token, &format!("{base}/reopen")).await;
        assert_eq!(status, StatusCode::OK, "{}: {reopened}", db.name);
        assert_eq!(reopened["status"], "open");
        assert_eq!(reopened["assignee"]["name"], "Administrador");
        let (status, answer) = post_api(&server, &token, &format!("{base}/reopen")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(answer["error"]["code"], "not_resolved");

        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM ticket_events WHERE kind = 'transferred'"
            )
            .await,
            2,
            "{}",
            db.name
        );
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM ticket_events WHERE kind = 'transferred' AND note = 'Quer a 2ª via do boleto'"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('ticket.transferred', 'ticket.reopened')"
            )
            .await,
            3,
            "{}",
            db.name
        );
    }
}

/// How a test reads the live stream: the same rules hold either way.
#[derive(Clone, Copy, Debug)]
enum Transport {
    Sse,
    WebSocket,
}

/// An open live stream of `/api/v1/events`.
enum Live {
    Sse(reqwest::Response),
    Socket(LiveSocket),
}

impl Transport {
    async fn open(self, server: &Server, token: &str, last_id: Option<u64>) -> Live {
        match self {
            Transport::Sse => {
                let mut request = server
                    .api()
                    .get(server.url("/api/v1/events"))
                    .bearer_auth(token);
                if let Some(id) = last_id {
                    request = request.header("last-event-id", id.to_string());
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                Live::Sse(response)
            }
            // A WebSocket cannot send Last-Event-ID: the id goes in the query.
            Transport::WebSocket => {
                let query = last_id.map_or(String::new(), |id| format!("?last_event_id={id}"));
                Live::Socket(token_websocket(server, token, &query).await)
            }
        }
    }

    /// How an event of `kind` shows in what was read.
    fn event(self, kind: &str) -> String {
        match self {
            Transport::Sse => format!("event: {kind}"),
            Transport::WebSocket => format!("\"event\":\"{kind}\""),
        }
    }

    /// The ids of the events in `seen`, in the order they came.
    fn ids(self, seen: &str) -> Vec<u64> {
        match self {
            Transport::Sse => seen
                .split("\n\n")
                .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("id: ")))
                .map(|id| id.parse().unwrap())
                .collect(),
            Transport::WebSocket => seen
                .lines()
                .map(|line| serde_json::from_str::<Value>(line).expect("each message is JSON"))
                .filter_map(|message| {
                    assert_eq!(
                        message["event"], message["data"]["type"],
                        "a message names its event and carries the same data as SSE: {message}"
                    );
                    message["id"].as_u64()
                })
                .collect(),
        }
    }
}

impl Live {
    /// Reads until `done` holds for what arrived (a WebSocket's messages one per line).
    async fn read_until(&mut self, seen: &mut String, done: impl Fn(&str) -> bool) {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !done(seen) {
            match self {
                Live::Sse(response) => {
                    let chunk = tokio::time::timeout_at(deadline, response.chunk())
                        .await
                        .unwrap_or_else(|_| panic!("the events arrive: {seen}"))
                        .unwrap()
                        .unwrap_or_else(|| panic!("the stream stays open: {seen}"));
                    seen.push_str(&String::from_utf8_lossy(&chunk));
                }
                Live::Socket(socket) => {
                    let message = tokio::time::timeout_at(deadline, socket.next())
                        .await
                        .unwrap_or_else(|_| panic!("the events arrive: {seen}"))
                        .unwrap_or_else(|| panic!("the socket stays open: {seen}"))
                        .unwrap_or_else(|e| panic!("the socket stays open ({e}): {seen}"));
                    if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                        seen.push_str(text.as_str());
                        seen.push('\n');
                    }
                }
            }
        }
    }

    /// Whether the server ends the stream (closes the socket) within 10 s.
    async fn ends(&mut self) -> bool {
        use futures_util::StreamExt;
        tokio::time::timeout(Duration::from_secs(10), async {
            match self {
                Live::Sse(response) => while let Ok(Some(_)) = response.chunk().await {},
                Live::Socket(socket) => {
                    while let Some(Ok(message)) = socket.next().await {
                        if message.is_close() {
                            return;
                        }
                    }
                }
            }
        })
        .await
        .is_ok()
    }
}

#[tokio::test]
async fn the_live_stream_keeps_the_queue_rule_resumes_and_ends_for_a_deactivated_agent() {
    for transport in [Transport::Sse, Transport::WebSocket] {
        let db = saw_testkit::sqlite();
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let ana = add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        let caio = add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        let mut ana_stream = transport.open(&server, &ana, None).await;
        let mut caio_stream = transport.open(&server, &caio, None).await;

        let comercial = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
        customer_waits_in(&server, &admin, &token, "pedro", "Suporte").await;
        let (mut ana_seen, mut caio_seen) = (String::new(), String::new());
        let pending_in = |queue: &'static str| {
            move |seen: &str| seen.contains("\"status\":\"pending\"") && seen.contains(queue)
        };
        ana_stream
            .read_until(&mut ana_seen, pending_in("\"name\":\"Comercial\""))
            .await;
        caio_stream
            .read_until(&mut caio_seen, pending_in("\"name\":\"Suporte\""))
            .await;
        // Events arrive in order: had Caio been sent Comercial's ticket, it would be here.
        assert!(
            !caio_seen.contains(&format!("\"ticket_id\":{comercial},"))
                && !caio_seen.contains(&format!("\"id\":{comercial},\"last_message_at\""))
                && !caio_seen.contains("joana"),
            "{transport:?}: an agent never receives an event of a queue they are not in: {caio_seen}"
        );
        assert!(!ana_seen.contains("pedro"), "{transport:?}: {ana_seen}");
        assert!(
            ana_seen.contains(&transport.event("message.created"))
                && ana_seen.contains("\"text\":\"Comercial\""),
            "{transport:?}: message events carry the message itself: {ana_seen}"
        );
        let ids = transport.ids(&ana_seen);
        assert!(
            !ids.is_empty() && ids.windows(2).all(|w| w[0] < w[1]),
            "{transport:?}: events come with increasing ids to resume from: {ids:?}"
        );

        // Ana's connection drops; what happens meanwhile arrives when she resumes.
        drop(ana_stream);
        let (status, _) = post_json(
            &server,
            &token,
            &format!("/api/v1/tickets/{comercial}/messages"),
            json!({"text": "enquanto você estava fora"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let mut resumed = transport.open(&server, &ana, ids.last().copied()).await;
        let mut again = String::new();
        resumed
            .read_until(&mut again, |s| s.contains("enquanto você estava fora"))
            .await;
        assert!(
            !again.contains("\"text\":\"Comercial\""),
            "{transport:?}: only what was missed is sent again: {again}"
        );
        let mut stale = transport.open(&server, &ana, Some(1)).await;
        let mut reload = String::new();
        let reload_event = transport.event("reload");
        stale
            .read_until(&mut reload, |s| s.contains(&reload_event))
            .await;

        // Deactivated: Caio's open stream ends at once.
        let caio_id = scalar(&db, "SELECT id FROM users WHERE email = 'caio@loja.com.br'").await;
        let off = admin
            .submit(
                "/admin/users",
                &format!("/admin/users/{caio_id}/active"),
                &[],
            )
            .await;
        assert!(off.status.is_redirection(), "{}", off.body);
        assert!(
            caio_stream.ends().await,
            "{transport:?}: the deactivated agent's stream ends"
        );
    }
}

#[tokio::test]
async fn the_inbox_socket_rides_on_the_session_and_checks_the_origin() {
    use tokio_tungstenite::tungstenite;
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let token = api_token(&db);
    add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
    let comercial = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;

    // The browser would send the session cookie with another site's socket too.
    let page = agent_browser(&server, "ana@loja.com.br").await;
    match page
        .websocket("/inbox/events", Some("https://golpe.example"))
        .await
    {
        Err(tungstenite::Error::Http(refused)) => {
            assert_eq!(refused.status(), StatusCode::FORBIDDEN)
        }
        Err(other) => panic!("refused with 403, not {other}"),
        Ok(_) => panic!("a socket from another origin with the session cookie is refused"),
    }
    let mut inbox = Live::Socket(
        page.websocket("/inbox/events", None)
            .await
            .expect("the inbox opens its socket"),
    );
    let (status, _) = post_json(
        &server,
        &token,
        &format!("/api/v1/tickets/{comercial}/messages"),
        json!({"text": "pela página"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut on_page = String::new();
    inbox
        .read_until(&mut on_page, |s| s.contains("pela página"))
        .await;

    // A reader sends pongs and a close, nothing large: a big frame ends its socket before
    // the server holds it.
    let mut flooding = token_websocket(&server, &token, "").await;
    {
        use futures_util::SinkExt;
        let _ = flooding
            .send(tungstenite::Message::text("x".repeat(64 * 1024)))
            .await;
    }
    assert!(
        Live::Socket(flooding).ends().await,
        "a frame larger than a reader ever sends ends the socket"
    );

    let anonymous = tokio_tungstenite::connect_async(
        server.url("/api/v1/events").replacen("http://", "ws://", 1),
    )
    .await;
    match anonymous {
        Err(tungstenite::Error::Http(refused)) => {
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED)
        }
        _ => panic!("a socket without a token is refused with 401"),
    }
}

/// An agent signed in with a browser-like client.
async fn agent_browser(server: &Server, email: &str) -> Browser {
    let browser = server.browser();
    let page = browser.sign_in(email, AGENT_PASSWORD).await;
    assert!(page.status.is_redirection(), "{}", page.body);
    browser
}

#[tokio::test]
async fn agents_answer_from_the_inbox_pages_and_customer_text_stays_text() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        let ticket = customer_waits_in(&server, &admin, &token, "xss", "Comercial").await;
        let attack = "<img src=x onerror=alert(1)>";
        customer_writes(&admin, "xss", attack).await;
        let ana = agent_browser(&server, "ana@loja.com.br").await;
        let caio = agent_browser(&server, "caio@loja.com.br").await;

        let list = ana.get("/inbox").await;
        assert_eq!(list.status, StatusCode::OK, "{}", db.name);
        assert!(
            list.body.contains(&format!("data-ticket-id=\"{ticket}\"")),
            "{}",
            list.body
        );
        assert!(
            list.body.contains("Maria Souza"),
            "the contact's name is listed"
        );
        let elsewhere = caio.get("/inbox").await;
        assert!(
            !elsewhere
                .body
                .contains(&format!("data-ticket-id=\"{ticket}\"")),
            "{}: not in Caio's queues",
            db.name
        );
        assert_eq!(
            caio.get(&format!("/inbox/tickets/{ticket}")).await.status,
            StatusCode::NOT_FOUND
        );

        let open = ana.get(&format!("/inbox/tickets/{ticket}")).await;
        assert_eq!(open.status, StatusCode::OK);
        assert!(
            open.body.contains("&#60;img src=x onerror=alert(1)&#62;")
                && !open.body.contains(attack),
            "{}: customer text is escaped: {}",
            db.name,
            open.body
        );
        assert!(
            open.body.contains("Como podemos ajudar?"),
            "the bot's part is shown"
        );

        // Accept, reply (signed), note; the customer reads the reply, never the note.
        let accepted = ana
            .submit(
                &format!("/inbox/tickets/{ticket}"),
                &format!("/inbox/tickets/{ticket}/accept"),
                &[],
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
        let back = accepted.location.unwrap();
        assert!(
            back.contains("aba=meus") && back.contains("ok=ticket_accepted"),
            "{back}"
        );
        let second = caio
            .submit("/inbox", &format!("/inbox/tickets/{ticket}/accept"), &[])
            .await;
        assert_eq!(second.status, StatusCode::NOT_FOUND);

        let signed = admin
            .submit(
                "/admin/settings",
                "/admin/settings/conversations",
                &[
                    ("greeting", ""),
                    ("reopen_grace_minutes", "120"),
                    ("bot_idle_minutes", "30"),
                    ("signature", "on"),
                ],
            )
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        let page = format!("/inbox/tickets/{ticket}");
        let reply_key = between(&ana.get(&page).await.body, "name=\"key\" value=\"", "\"").unwrap();
        for _ in 0..2 {
            // A double submit of the same form sends once.
            let sent = ana
                .submit(
                    &page,
                    &format!("/inbox/tickets/{ticket}/reply"),
                    &[("text", "Olá! Posso ajudar."), ("key", &reply_key)],
                )
                .await;
            assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        }
        let noted = ana
            .submit(
                &page,
                &format!("/inbox/tickets/{ticket}/reply"),
                &[("text", "cliente VIP"), ("private", "on")],
            )
            .await;
        assert_eq!(noted.status, StatusCode::SEE_OTHER);
        customer_writes(&admin, "xss", "obrigada").await;
        let phone = admin
            .get("/sandbox?cliente=xss&nome=Maria+Souza")
            .await
            .body;
        assert_eq!(
            phone.matches("*Ana*: Olá! Posso ajudar.").count(),
            1,
            "{}: the customer gets the signed reply once",
            db.name
        );
        assert!(
            !phone.contains("cliente VIP"),
            "notes never reach the customer"
        );

        // Unread counter: Ana's list counts the customer's new message until she opens it.
        let mine = ana.get("/inbox?aba=meus").await;
        assert!(mine.body.contains("class=\"unread\""), "{}", mine.body);
        ana.get(&page).await;
        let mine = ana.get("/inbox?aba=meus").await;
        assert!(!mine.body.contains("class=\"unread\""), "{}", mine.body);

        // Search finds message text; the contact is edited from the panel.
        let found = ana.get("/inbox?aba=meus&busca=obrigada").await;
        assert!(found.body.contains(&format!("data-ticket-id=\"{ticket}\"")));
        let none = ana.get("/inbox?aba=meus&busca=nada-disso").await;
        assert!(!none.body.contains(&format!("data-ticket-id=\"{ticket}\"")));
        let saved = ana
            .submit(
                &page,
                &format!("/inbox/tickets/{ticket}/contact"),
                &[
                    ("name", "Maria S. (VIP)"),
                    ("notes", "Prefere ser chamada à tarde"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let contact = get_json(&server, &token, &format!("/api/v1/tickets/{ticket}")).await;
        assert_eq!(contact["contact"]["name"], "Maria S. (VIP)", "{}", db.name);

        // Transferred to Suporte: it leaves Ana's view and Caio sees it waiting.
        let suporte = scalar(&db, "SELECT id FROM queues WHERE name = 'Suporte'").await;
        let moved = ana
            .submit(
                &page,
                &format!("/inbox/tickets/{ticket}/transfer"),
                &[("queue_id", &suporte.to_string()), ("note", "boleto")],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
        assert!(
            moved.location.unwrap().starts_with("/inbox?"),
            "back to the list"
        );
        let waiting = caio.get("/inbox").await;
        assert!(
            waiting
                .body
                .contains(&format!("data-ticket-id=\"{ticket}\"")),
            "{}",
            db.name
        );

        // A refused action shows why, on the page.
        let resolved = caio
            .submit(&page, &format!("/inbox/tickets/{ticket}/resolve"), &[])
            .await;
        assert_eq!(resolved.status, StatusCode::SEE_OTHER);
        let again = caio
            .submit(
                &page,
                &format!("/inbox/tickets/{ticket}/transfer"),
                &[("queue_id", &suporte.to_string())],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", db.name);
        assert!(again.body.contains("reabra-o antes"), "{}", again.body);
    }
}

async fn request(
    server: &Server,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = server
        .api()
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tags_quick_replies_and_contacts_follow_the_same_rules() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let ana = add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        let caio = add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        let ticket = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
        let post = reqwest::Method::POST;

        // Admins create tags; a second with the same name, or one by an agent, is refused.
        let (status, vip) = request(
            &server,
            post.clone(),
            &token,
            "/api/v1/tags",
            Some(json!({"name": "VIP", "color": "#EAB308"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {vip}", db.name);
        assert_eq!(vip["color"], "#eab308");
        let (status, answer) = request(
            &server,
            post.clone(),
            &token,
            "/api/v1/tags",
            Some(json!({"name": " vip "})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "tag_name_taken");
        let (status, _) = request(
            &server,
            post.clone(),
            &ana,
            "/api/v1/tags",
            Some(json!({"name": "Reclamação"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Agents tag what they see, by name or id; not an unknown tag, not another queue's.
        let on_ticket = format!("/api/v1/tickets/{ticket}/tags");
        let (status, tags) = request(
            &server,
            post.clone(),
            &ana,
            &on_ticket,
            Some(json!({"tag": "vip"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {tags}", db.name);
        assert_eq!(tags["items"][0]["name"], "VIP");
        let (status, answer) = request(
            &server,
            post.clone(),
            &ana,
            &on_ticket,
            Some(json!({"tag": "Inexistente"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer["error"]["code"], "unknown_tag");
        let (status, _) = request(
            &server,
            post.clone(),
            &caio,
            &on_ticket,
            Some(json!({"tag": "VIP"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let shown = get_json(&server, &ana, &format!("/api/v1/tickets/{ticket}")).await;
        assert_eq!(shown["tags"][0]["name"], "VIP", "{shown}");
        // Two tags: the one ticket, its tags in name order.
        let (_, late) = request(
            &server,
            post.clone(),
            &token,
            "/api/v1/tags",
            Some(json!({"name": "Atraso", "color": "#dc2626"})),
        )
        .await;
        let (status, _) = request(
            &server,
            post.clone(),
            &ana,
            &on_ticket,
            Some(json!({"tag": "Atraso"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let both = get_json(&server, &ana, &format!("/api/v1/tickets/{ticket}")).await;
        let names: Vec<_> = both["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["name"])
            .collect();
        assert_eq!(names, ["Atraso", "VIP"], "{}: {both}", db.name);
        assert_eq!(both["tags"][0]["color"], "#dc2626");
        assert_eq!(both["protocol"], shown["protocol"]);
        let (status, _) = request(
            &server,
            reqwest::Method::DELETE,
            &ana,
            &format!("{on_ticket}/{}", late["id"]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let ana_page = {
            let b = server.browser();
            b.sign_in("ana@loja.com.br", AGENT_PASSWORD).await;
            b
        };
        let vip_id = vip["id"].as_i64().unwrap();
        let filtered = ana_page.get(&format!("/inbox?etiqueta={vip_id}")).await;
        assert!(
            filtered
                .body
                .contains(&format!("data-ticket-id=\"{ticket}\""))
        );

        // The contact: read, tagged, changed; another queue's agent cannot reach it.
        let contact = shown["contact"]["id"].as_i64().unwrap();
        let path = format!("/api/v1/contacts/{contact}");
        assert_eq!(
            status_of(&server, &caio, &path).await,
            StatusCode::NOT_FOUND
        );
        let (status, changed) = request(
            &server,
            reqwest::Method::PATCH,
            &ana,
            &path,
            Some(json!({"notes": "Cliente desde 2019", "fields": {"cpf": "123.456.789-00"}})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {changed}", db.name);
        assert_eq!(changed["notes"], "Cliente desde 2019");
        assert_eq!(changed["fields"]["cpf"], "123.456.789-00");
        assert_eq!(changed["name"], "Maria Souza", "unsent fields are kept");
        assert_eq!(changed["tickets"][0]["id"], ticket);
        let (status, _) = request(
            &server,
            reqwest::Method::PATCH,
            &ana,
            &path,
            Some(json!({"nickname": "Jo"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "unknown fields are refused"
        );
        let (status, tags) = request(
            &server,
            post.clone(),
            &ana,
            &format!("{path}/tags"),
            Some(json!({"tag": vip_id})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{tags}");
        let (status, tags) = request(
            &server,
            reqwest::Method::DELETE,
            &ana,
            &format!("{on_ticket}/{vip_id}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(tags["items"], json!([]));

        // The same from the conversation's page.
        let conversation = format!("/inbox/tickets/{ticket}");
        let tagged = ana_page
            .submit(
                &conversation,
                &format!("{conversation}/tag"),
                &[("tag", &vip_id.to_string())],
            )
            .await;
        assert_eq!(tagged.status, StatusCode::SEE_OTHER, "{}", tagged.body);
        let page = ana_page.get(&conversation).await.body;
        assert!(
            page.contains(&format!("action=\"{conversation}/untag?")),
            "{}: the tag shows with its remove button",
            db.name
        );
        let untagged = ana_page
            .submit(
                &conversation,
                &format!("{conversation}/untag"),
                &[("tag", &vip_id.to_string())],
            )
            .await;
        assert_eq!(untagged.status, StatusCode::SEE_OTHER);
        let shown = get_json(&server, &ana, &format!("/api/v1/tickets/{ticket}")).await;
        assert_eq!(shown["tags"], json!([]), "{}", db.name);

        // Quick replies: one's own, the team's; filled in for the conversation.
        let (status, _) = request(
            &server,
            post.clone(),
            &ana,
            "/api/v1/quick-replies",
            Some(json!({"shortcut": "equipe", "body": "x", "shared": true})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "agents keep their own only");
        let made = ana_page
            .submit(
                "/quick-replies",
                "/quick-replies",
                &[
                    ("shortcut", "/Saudacao"),
                    (
                        "body",
                        "Olá, {{nome}}! Aqui é {{atendente}}, da {{empresa}}.",
                    ),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let again = ana_page
            .submit(
                "/quick-replies",
                "/quick-replies",
                &[("shortcut", "saudacao"), ("body", "outra")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", db.name);
        let bad = ana_page
            .submit(
                "/quick-replies",
                "/quick-replies",
                &[("shortcut", "duas palavras"), ("body", "outra")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = request(
            &server,
            post.clone(),
            &token,
            "/api/v1/quick-replies",
            Some(json!({"shortcut": "pix", "body": "Nossa chave PIX é o CNPJ.", "shared": true})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let mine = get_json(&server, &ana, "/api/v1/quick-replies").await;
        let shortcuts: Vec<&str> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["shortcut"].as_str().unwrap())
            .collect();
        assert_eq!(shortcuts, ["pix", "saudacao"], "{}", db.name);
        let theirs = get_json(&server, &caio, "/api/v1/quick-replies").await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 1, "{theirs}");
        let conversation = ana_page.get(&format!("/inbox/tickets/{ticket}")).await.body;
        assert!(
            conversation.contains("data-body=\"Olá, Maria Souza! Aqui é Ana, da Minha Empresa.\""),
            "{}: {}",
            db.name,
            conversation
        );
    }
}

/// Waits until the ticket is open and answers who has it.
async fn assignee_of(server: &Server, token: &str, ticket: i64) -> String {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = get_json(server, token, &format!("/api/v1/tickets/{ticket}")).await;
        if last["status"] == "open" {
            return last["assignee"]["name"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the ticket was not handed out: {last}");
}

#[tokio::test]
async fn a_queue_hands_out_its_tickets_in_turn_to_available_agents_online() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        add_agent(&db, "bia@loja.com.br", "Bia", "Comercial");
        add_agent(&db, "caio@loja.com.br", "Caio", "Comercial");
        let comercial = scalar(&db, "SELECT id FROM queues WHERE name = 'Comercial'").await;
        let set = admin
            .submit(
                &format!("/admin/queues/{comercial}"),
                &format!("/admin/queues/{comercial}/distribution"),
                &[("distribution", "round_robin"), ("max_wait_minutes", "10")],
            )
            .await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
        let wrong = admin
            .submit(
                &format!("/admin/queues/{comercial}"),
                &format!("/admin/queues/{comercial}/distribution"),
                &[("distribution", "sorteio"), ("max_wait_minutes", "10")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Ana and Bia have the inbox open; Caio does not, so he gets nothing.
        let ana = agent_browser(&server, "ana@loja.com.br").await;
        let bia = agent_browser(&server, "bia@loja.com.br").await;
        let mut streams = Vec::new();
        for who in [&ana, &bia] {
            let live = who
                .http
                .get(format!("{}/inbox/events", who.base))
                .send()
                .await
                .unwrap();
            assert_eq!(live.status(), StatusCode::OK);
            streams.push(live);
        }

        let mut got = Vec::new();
        for customer in ["c1", "c2", "c3"] {
            let ticket = {
                say_as(&admin, customer, "oi", None, "Como podemos ajudar?").await;
                say_as(&admin, customer, "Comercial", None, "protocolo").await;
                let list = get_json(&server, &token, "/api/v1/tickets?status=all").await;
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["contact"]["external_id"] == customer)
                    .unwrap()["id"]
                    .as_i64()
                    .unwrap()
            };
            got.push(assignee_of(&server, &token, ticket).await);
        }
        assert_eq!(got, ["Ana", "Bia", "Ana"], "{}: in turn", db.name);

        // Bia takes a break: the next ones go to Ana alone.
        let paused = bia
            .submit("/inbox", "/inbox/status", &[("status", "paused")])
            .await;
        assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
        let bad = bia
            .submit("/inbox", "/inbox/status", &[("status", "dormindo")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        say_as(&admin, "c4", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "c4", "Comercial", None, "protocolo").await;
        let c4 = get_json(&server, &token, "/api/v1/tickets?status=all").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["contact"]["external_id"] == "c4")
            .map(|t| t["id"].as_i64().unwrap())
            .expect("c4 has a ticket");
        assert_eq!(assignee_of(&server, &token, c4).await, "Ana", "{}", db.name);

        // Ana away too: the next waits, and goes to Bia the moment she is back.
        ana.submit("/inbox", "/inbox/status", &[("status", "away")])
            .await;
        say_as(&admin, "c5", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "c5", "Comercial", None, "protocolo").await;
        let c5 = ticket_of(&server, &token, "pending").await["id"]
            .as_i64()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let waiting = get_json(&server, &token, &format!("/api/v1/tickets/{c5}")).await;
        assert_eq!(
            waiting["status"], "pending",
            "{}: nobody is available",
            db.name
        );
        bia.submit("/inbox", "/inbox/status", &[("status", "available")])
            .await;
        assert_eq!(assignee_of(&server, &token, c5).await, "Bia", "{}", db.name);

        // The team as everyone sees it: who is online, their status, how many open.
        let page = ana.get("/inbox").await.body;
        let team = between(&page, "id=\"team\"", "</section>").unwrap();
        assert!(team.contains("Ana") && team.contains("Ausente"), "{team}");
        assert!(
            team.contains("Bia") && team.contains("2 em atendimento"),
            "{team}"
        );
        assert!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM user_presence WHERE ended_at IS NULL"
            )
            .await
                >= 2,
            "{}: presence is recorded",
            db.name
        );
        drop(streams);
    }
}

#[tokio::test]
async fn the_reply_box_sends_files_with_the_session_and_its_csrf_header() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let token = api_token(&db);
    add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
    let ticket = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
    let ana = agent_browser(&server, "ana@loja.com.br").await;
    let page = ana.get(&format!("/inbox/tickets/{ticket}")).await;
    let url = format!("{}/inbox/tickets/{ticket}/upload", ana.base);
    let form = || {
        let part = reqwest::multipart::Part::bytes(b"Pedido 4521: 2 caixas".to_vec())
            .file_name("pedido <4521>.txt")
            .mime_str("text/plain")
            .unwrap();
        reqwest::multipart::Form::new()
            .part("file", part)
            .text("caption", "Segue o pedido")
    };
    let refused = ana.http.post(&url).multipart(form()).send().await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "no CSRF header, no upload"
    );
    let sent = ana
        .http
        .post(&url)
        .header("x-csrf-token", page.csrf())
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let message: Value = sent.json().await.unwrap();
    assert_eq!(message["kind"], "document", "{message}");
    assert_eq!(message["text"], "Segue o pedido");
    assert_eq!(message["author"]["name"], "Ana");
    let conversation = ana.get(&format!("/inbox/tickets/{ticket}")).await.body;
    assert!(
        conversation.contains("pedido &#60;4521&#62;.txt")
            && !conversation.contains("pedido <4521>"),
        "file names are escaped: {conversation}"
    );
    let ticket_now = get_json(&server, &token, &format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(
        ticket_now["assignee"]["name"], "Ana",
        "a reply takes the ticket"
    );
}

/// An EBML element: its id's bytes, an 8-byte size, its content.
fn ebml(id: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.push(0x01);
    out.extend_from_slice(&(content.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(content);
    out
}

/// A one-second WebM/Opus recording as Chrome's MediaRecorder writes it (a live segment of
/// unknown size), with 50 packets of 20 ms.
fn browser_recording() -> Vec<u8> {
    let header = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &ebml(&[0x42, 0x82], b"webm"));
    let audio = ebml(&[0x9F], &[1]);
    let entry = [
        ebml(&[0xD7], &[1]),
        ebml(&[0x83], &[2]),
        ebml(&[0x86], b"A_OPUS"),
        ebml(&[0xE1], &audio),
    ]
    .concat();
    let tracks = ebml(&[0x16, 0x54, 0xAE, 0x6B], &ebml(&[0xAE], &entry));
    let mut cluster = ebml(&[0xE7], &[0]);
    for i in 0..50u8 {
        let block = [&[0x81, 0x00, i, 0x80][..], &[0xF8, 0xFF, 0xFE, i]].concat();
        cluster.extend(ebml(&[0xA3], &block));
    }
    let mut segment = vec![
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    segment.extend(tracks);
    segment.extend(ebml(&[0x1F, 0x43, 0xB6, 0x75], &cluster));
    [header, segment].concat()
}

#[tokio::test]
async fn a_voice_note_recorded_in_the_browser_goes_as_ogg_opus() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let token = api_token(&db);
    add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
    let ticket = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
    let ana = agent_browser(&server, "ana@loja.com.br").await;
    let csrf = ana.get(&format!("/inbox/tickets/{ticket}")).await.csrf();
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("audio.webm")
            .mime_str("audio/webm")
            .unwrap();
        ana.http
            .post(format!("{}/inbox/tickets/{ticket}/upload", ana.base))
            .header("x-csrf-token", &csrf)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let sent = upload(browser_recording()).await.unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let message: Value = sent.json().await.unwrap();
    assert_eq!(message["kind"], "audio", "{message}");
    assert_eq!(message["media"]["type"], "audio/ogg", "{message}");
    let file = server
        .api()
        .get(server.url(message["media"]["url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(file.starts_with(b"OggS"), "an Ogg file");
    assert!(
        file.windows(8).any(|w| w == b"OpusHead"),
        "with its Opus header"
    );

    let broken = upload(b"not a recording".to_vec()).await.unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = broken.json().await.unwrap();
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the recording could not be read"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_reply_quotes_the_message_it_answers() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let token = api_token(&db);
    let first = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
    let other = customer_waits_in(&server, &admin, &token, "pedro", "Comercial").await;
    customer_writes(&admin, "joana", "Qual o prazo de entrega?").await;
    let messages = get_json(
        &server,
        &token,
        &format!("/api/v1/tickets/{first}/messages"),
    )
    .await;
    let question = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"] == "Qual o prazo de entrega?")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, reply) = post_json(
        &server,
        &token,
        &format!("/api/v1/tickets/{first}/messages"),
        json!({"text": "Três dias úteis.", "reply_to": question}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["reply_to"], question);
    let page = admin.get(&format!("/inbox/tickets/{first}")).await.body;
    assert!(
        page.contains("<blockquote class=\"quoted\">Qual o prazo de entrega?</blockquote>"),
        "the quote shows above the reply: {page}"
    );
    let (status, answer) = post_json(
        &server,
        &token,
        &format!("/api/v1/tickets/{other}/messages"),
        json!({"text": "Oi", "reply_to": question}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "unknown_reply_to");
}

/// Each notification a fake push service got: (path, headers, body).
type Pushed = std::sync::Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap, Vec<u8>)>>>;

/// A push service that records each notification and answers `410 Gone` for endpoints
/// under `/gone/`.
async fn fake_push_service() -> (String, Pushed) {
    use axum::extract::{Request, State};
    let seen: Pushed = Default::default();
    let app = axum::Router::new()
        .fallback(|State(seen): State<Pushed>, request: Request| async move {
            let path = request.uri().path().to_owned();
            let headers = request.headers().clone();
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            let gone = path.starts_with("/gone/");
            seen.lock().unwrap().push((path, headers, body.to_vec()));
            if gone {
                StatusCode::GONE
            } else {
                StatusCode::CREATED
            }
        })
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// The notifications sent to `path`, once there are `count` of them (or after 5 s).
async fn pushed_to(
    seen: &Pushed,
    path: &str,
    count: usize,
) -> Vec<(axum::http::HeaderMap, Vec<u8>)> {
    let mut found = Vec::new();
    for _ in 0..100 {
        found = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, headers, body)| (headers.clone(), body.clone()))
            .collect();
        if found.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    found
}

#[tokio::test]
async fn web_push_reaches_an_agent_whose_inbox_is_closed() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    let admin = server.admin_browser().await;
    let token = api_token(&db);
    add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
    let ana = agent_browser(&server, "ana@loja.com.br").await;
    let (push, seen) = fake_push_service().await;

    // The browser's side of a subscription: its key pair and auth secret.
    let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    let public = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
    let auth = [7u8; 16];
    let key: Value = ana.get("/inbox/push/key").await.body.parse().unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(key["public_key"].as_str().unwrap())
            .unwrap()
            .len(),
        65,
        "an uncompressed P-256 point: {key}"
    );
    let csrf = ana.get("/inbox").await.csrf();
    let subscribe = |endpoint: String| {
        ana.http
            .post(format!("{}/inbox/push", ana.base))
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(
                json!({"endpoint": endpoint, "expirationTime": null,
                       "keys": {"p256dh": public, "auth": URL_SAFE_NO_PAD.encode(auth)}})
                .to_string(),
            )
            .send()
    };
    assert_eq!(
        subscribe(format!("{push}/ana")).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        subscribe(format!("{push}/gone/old-phone"))
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let bad = ana
        .http
        .post(format!("{}/inbox/push", ana.base))
        .header("x-csrf-token", &csrf)
        .body("{\"endpoint\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // A customer waits in Comercial; Ana's inbox is closed: her phone hears of it.
    let ticket = customer_waits_in(&server, &admin, &token, "joana", "Comercial").await;
    let (headers, body) = pushed_to(&seen, "/ana", 1)
        .await
        .into_iter()
        .next()
        .expect("the push service got the notification");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(
        headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("vapid t="),
        "{headers:?}"
    );
    assert_eq!(headers["ttl"], "3600");
    assert!(
        !String::from_utf8_lossy(&body).contains("Maria"),
        "the payload is encrypted"
    );
    let auth = web_push_native::Auth::clone_from_slice(&auth);
    let plain = web_push_native::decrypt(body, &secret, &auth).expect("the browser can read it");
    let message: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(message["title"], "Novo atendimento aguardando", "{message}");
    assert_eq!(message["ticket_id"], ticket);
    assert_eq!(message["body"], "Maria Souza · Comercial");

    // The next customer who waits is told of too, once.
    let next = customer_waits_in(&server, &admin, &token, "pedro", "Comercial").await;
    let to_ana = pushed_to(&seen, "/ana", 2).await;
    assert_eq!(to_ana.len(), 2, "one notification per waiting ticket");
    let plain = web_push_native::decrypt(to_ana[1].1.clone(), &secret, &auth).unwrap();
    let message: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(message["ticket_id"], next, "{message}");

    // The push service forgot the old phone: so does SAW.
    let mut left = 2;
    for _ in 0..100 {
        left = scalar(&db, "SELECT COUNT(*) FROM push_subscriptions").await;
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 1, "the gone endpoint is removed");
}
