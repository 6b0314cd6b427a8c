//! `/metrics` for operators: off without `SAW_METRICS_TOKEN`, then only with that token,
//! in Prometheus' text format.

mod common;

use common::*;
use reqwest::StatusCode;

async fn scrape(server: &Server, token: Option<&str>) -> (StatusCode, String) {
    let mut request = server.api().get(server.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_off_until_a_token_is_set() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    assert_eq!(scrape(&server, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(scrape(&server, Some("x")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn operators_read_requests_latency_streams_outbox_and_tickets() {
    let db = saw_testkit::sqlite();
    let server = Server::start_with(&db, &[("SAW_METRICS_TOKEN", "segredo-das-metricas")]);
    add_fixture_whatsapp(&db, "v", NO_PROVIDER);
    assert_eq!(scrape(&server, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&server, Some("outro")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let token = api_token(&db);
    deliver_whatsapp(&server, &fresh_whatsapp_text()).await;
    let live = server
        .api()
        .get(server.url("/api/v1/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    server.browser().get("/login").await;

    let (status, text) = scrape(&server, Some("segredo-das-metricas")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("# TYPE saw_http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("saw_http_requests_total{kind=\"page\",status=\"2xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("saw_http_request_duration_seconds_count{kind=\"webhook\"} 1"),
        "the webhook's latency is counted apart: {text}"
    );
    assert!(text.contains("saw_live_connections 1\n"), "{text}");
    assert!(text.contains("saw_tickets{status=\"bot\"} 1\n"), "{text}");
    assert!(text.contains("saw_outbox_depth "), "{text}");
    assert!(text.contains("saw_store_writes_waiting "), "{text}");
    assert!(text.contains("saw_people_online 0\n"), "{text}");
    drop(live);
}
