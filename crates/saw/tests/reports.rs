//! Reports end to end: after the sandbox has seen a few conversations, a supervisor opens
//! the dashboard and sees their counts, times and charts, filters by queue and agent and
//! downloads the CSV; the REST API gives the same numbers; agents see their own.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(server: &Server, token: &str, path: &str) -> (StatusCode, String) {
    let resp = server
        .api()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn reply(server: &Server, token: &str, ticket: i64, text: &str) {
    let resp = server
        .api()
        .post(server.url(&format!("/api/v1/tickets/{ticket}/messages")))
        .bearer_auth(token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

fn pending_id(list: &Value, queue: &str) -> i64 {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["queue"]["name"] == queue)
        .unwrap_or_else(|| panic!("a ticket waits in {queue}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

/// The value on the dashboard's card for `figure`.
fn card(page: &str, figure: &str) -> String {
    let card = between(page, &format!("data-figure=\"{figure}\">"), "</div>")
        .unwrap_or_else(|| panic!("a card for {figure}"));
    between(&card, "<span class=\"big\">", "</span>").unwrap()
}

#[tokio::test]
async fn a_supervisor_reads_the_sandbox_conversations_on_the_dashboard_and_the_api_agrees() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let token = api_token(&db);
        let ana = add_agent(&db, "ana@loja.com.br", "Ana", "Comercial");
        let caio = add_agent(&db, "caio@loja.com.br", "Caio", "Suporte");
        add_supervisor(&db, "sueli@loja.com.br", "Sueli");

        // Three customers: one to Comercial, one to Suporte, one stays with the bot.
        say_as(&admin, "joana", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "joana", "Comercial", None, "protocolo").await;
        say_as(&admin, "pedro", "oi", None, "Como podemos ajudar?").await;
        say_as(&admin, "pedro", "Suporte", None, "Sobre o que é?").await;
        say_as(
            &admin,
            "pedro",
            "Status do pedido",
            None,
            "número do seu pedido",
        )
        .await;
        say_as(&admin, "pedro", "4521", None, "protocolo").await;
        say_as(&admin, "lia", "oi", None, "Como podemos ajudar?").await;
        let pending = get_json(&server, &token, "/api/v1/tickets?status=pending").await;
        let (comercial_ticket, suporte_ticket) = (
            pending_id(&pending, "Comercial"),
            pending_id(&pending, "Suporte"),
        );

        // Ana takes hers, answers and resolves; Caio takes his and answers.
        let (status, _) = post_api(
            &server,
            &ana,
            &format!("/api/v1/tickets/{comercial_ticket}/accept"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        reply(&server, &ana, comercial_ticket, "Olá Joana, já vejo isso").await;
        customer_writes(&admin, "joana", "Obrigada!").await;
        let (status, _) = post_api(
            &server,
            &ana,
            &format!("/api/v1/tickets/{comercial_ticket}/resolve"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let (status, _) = post_api(
            &server,
            &caio,
            &format!("/api/v1/tickets/{suporte_ticket}/accept"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        reply(&server, &caio, suporte_ticket, "Seu pedido 4521 saiu hoje").await;

        let queues = get_json(&server, &token, "/api/v1/queues").await;
        let comercial = id_named(&queues, "Comercial");
        let users = get_json(&server, &token, "/api/v1/users").await;
        let (ana_id, caio_id) = (id_named(&users, "Ana"), id_named(&users, "Caio"));

        // The API: the whole week.
        let summary = get_json(&server, &token, "/api/v1/reports/summary").await;
        assert_eq!(summary["tickets_created"], 3, "{name}: {summary}");
        assert_eq!(summary["tickets_resolved"], 1, "{name}");
        assert_eq!(summary["tickets_accepted"], 2, "{name}");
        assert_eq!(
            summary["messages_in"], 8,
            "{name}: customers wrote 3 + 4 + 1"
        );
        assert!(summary["messages_out"].as_i64().unwrap() > 2, "{name}");
        assert_eq!(summary["bot_contained"], 0, "{name}");
        for figure in ["wait_time", "first_response_time"] {
            assert_eq!(summary[figure]["count"], 2, "{name}: {figure}");
            assert!(summary[figure]["median_s"].is_i64(), "{name}: {figure}");
        }
        assert_eq!(summary["resolution_time"]["count"], 1, "{name}");
        assert_eq!(summary["csat"]["avg"], Value::Null, "{name}");
        assert_eq!(summary["csat"]["distribution"]["5"], 0, "{name}");
        let ana_row = summary["by_agent"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "Ana")
            .unwrap();
        assert_eq!(
            (&ana_row["tickets_accepted"], &ana_row["tickets_resolved"]),
            (&json!(1), &json!(1)),
            "{name}"
        );
        assert_eq!(ana_row["messages_out"], 1, "{name}");
        let comercial_row = summary["by_queue"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == "Comercial")
            .unwrap();
        assert_eq!(comercial_row["tickets_resolved"], 1, "{name}");

        // Filters by queue and by agent.
        let (from, to) = (
            summary["from"].as_str().unwrap().to_owned(),
            summary["to"].as_str().unwrap().to_owned(),
        );
        let range = format!("from={from}&to={to}");
        let only_comercial = get_json(
            &server,
            &token,
            &format!("/api/v1/reports/summary?{range}&queue_id={comercial}"),
        )
        .await;
        assert_eq!(only_comercial["tickets_accepted"], 1, "{name}");
        assert_eq!(only_comercial["tickets_resolved"], 1, "{name}");
        assert_eq!(
            only_comercial["messages_in"], 1,
            "{name}: what Joana wrote while in Comercial (before, she was with the bot)"
        );
        let only_caio = get_json(
            &server,
            &token,
            &format!("/api/v1/reports/summary?{range}&user_id={caio_id}"),
        )
        .await;
        assert_eq!(
            (
                &only_caio["tickets_accepted"],
                &only_caio["tickets_resolved"]
            ),
            (&json!(1), &json!(0)),
            "{name}: {only_caio}"
        );

        // The heat map and the CSV behind the same view.
        let heat = get_json(&server, &token, &format!("/api/v1/reports/heatmap?{range}")).await;
        assert_eq!(heat["total"], 3, "{name}");
        assert_eq!(heat["counts"].as_array().unwrap().len(), 7);
        assert_eq!(heat["counts"][0].as_array().unwrap().len(), 24);
        let csv = server
            .api()
            .get(server.url(&format!("/api/v1/reports/tickets.csv?{range}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert_eq!(
            csv.headers()["content-type"],
            "text/csv; charset=utf-8",
            "{name}"
        );
        let csv = csv.text().await.unwrap();
        assert_eq!(
            csv.lines().count(),
            4,
            "{name}: a header and three tickets\n{csv}"
        );
        assert!(csv.starts_with("ticket_id,protocol,channel,contact_name,"));
        assert!(csv.contains(",Ana,"), "{name}: {csv}");

        // Wrong parameters are refused with what to fix; other people's tokens see their own.
        for (query, code) in [
            ("from=2026-13-01", "invalid_report"),
            ("from=2026-11-30&to=2026-11-01", "invalid_report"),
            ("from=2020-01-01&to=2026-01-01", "invalid_report"),
            ("business_hours=talvez", "invalid_report"),
            ("queue_id=abc", "invalid_report"),
            ("queue_id=999999", "unknown_queue"),
            ("user_id=999999", "unknown_user"),
            ("channel_id=999999", "invalid_report"),
            ("tag=nenhuma", "unknown_tag"),
        ] {
            let (status, body) =
                get(&server, &token, &format!("/api/v1/reports/summary?{query}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {query}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["error"]["code"], code, "{name}: {query}: {body}");
        }
        let own = get_json(&server, &ana, "/api/v1/reports/summary").await;
        assert_eq!(own["filters"]["user_id"], ana_id, "{name}");
        assert_eq!(own["by_agent"].as_array().unwrap().len(), 1, "{name}");
        let (status, _) = get(
            &server,
            &ana,
            &format!("/api/v1/reports/summary?user_id={caio_id}"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        let (status, _) = get(&server, "not-a-token", "/api/v1/reports/summary").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");

        // The supervisor's dashboard shows the same numbers and draws them.
        let sueli = server.browser();
        assert!(
            sueli
                .sign_in("sueli@loja.com.br", AGENT_PASSWORD)
                .await
                .status
                .is_redirection()
        );
        let page = sueli.get("/reports").await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        let body = &page.body;
        assert_eq!(card(body, "reports.created"), "3", "{name}");
        assert_eq!(card(body, "reports.resolved"), "1", "{name}");
        assert_eq!(
            card(body, "reports.messages"),
            format!("8 / {}", summary["messages_out"]),
            "{name}"
        );
        assert!(
            body.contains("<polyline class=\"series created\""),
            "{name}"
        );
        assert_eq!(
            body.matches("<rect class=\"cell\"").count(),
            7 * 24,
            "{name}"
        );
        assert!(body.contains("<td>Ana</td>"), "{name}");
        assert!(
            body.contains("name=\"user_id\""),
            "{name}: supervisors filter by agent"
        );
        assert!(
            body.contains(&format!(
                "href=\"/reports/tickets.csv?from={from}&#38;to={to}\""
            )),
            "{name}: {:?}",
            between(body, "id=\"report-csv\"", ">")
        );
        let filtered = sueli
            .get(&format!("/reports?range=custom&{range}&user_id={ana_id}"))
            .await;
        assert_eq!(card(&filtered.body, "reports.resolved"), "1", "{name}");
        let filtered = sueli
            .get(&format!("/reports?range=7d&queue_id={comercial}"))
            .await;
        assert_eq!(card(&filtered.body, "reports.created"), "1", "{name}");
        let download = sueli.get(&format!("/reports/tickets.csv?{range}")).await;
        assert_eq!(download.status, StatusCode::OK, "{name}");
        assert_eq!(download.body, csv, "{name}: the download is the API's CSV");
        let now = sueli.get("/reports/now").await;
        assert_eq!(now.status, StatusCode::OK, "{name}");
        assert!(now.body.contains("<td>Caio</td>"), "{name}: {}", now.body);
        let wrong = sueli.get("/reports?range=custom&from=ontem").await;
        assert_eq!(wrong.status, StatusCode::OK, "{name}");
        assert!(
            wrong.body.contains("ontem"),
            "{name}: the error names the value"
        );
        assert!(!wrong.body.contains("data-figure"), "{name}");

        // An agent's dashboard is their own.
        let ana_browser = server.browser();
        ana_browser.sign_in("ana@loja.com.br", AGENT_PASSWORD).await;
        let page = ana_browser.get("/reports").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert!(!page.body.contains("name=\"user_id\""), "{name}");
        assert_eq!(card(&page.body, "reports.resolved"), "1", "{name}");
        assert!(!page.body.contains("<td>Caio</td>"), "{name}");
    }
}
