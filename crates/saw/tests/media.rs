//! Inbound media end to end: a WhatsApp image or document is fetched after the webhook is
//! acknowledged (media id → URL → bytes, with the token, from a fake Graph API), kept in the
//! media store, and served only to someone who may see the ticket — inline for an image,
//! as a download for anything else, never as something that runs in SAW's origin.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0 not really a photo, but bytes all the same";
const PDF: &[u8] = b"%PDF-1.7 comprovante";

#[derive(Clone, Default)]
struct Graph {
    base: Arc<Mutex<String>>,
    /// (path, authorization) of every call.
    calls: Arc<Mutex<Vec<(String, String)>>>,
    /// The type the download is served as, by media id (to serve a lie).
    served_as: Arc<Mutex<Vec<(String, String)>>>,
}

fn file_of(media_id: &str) -> (&'static [u8], &'static str) {
    match media_id {
        "5859471419507812" => (JPEG, "image/jpeg"),
        _ => (PDF, "application/pdf"),
    }
}

fn auth(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn media_info(
    State(g): State<Graph>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> impl IntoResponse {
    g.calls
        .lock()
        .unwrap()
        .push((format!("/info/{id}"), auth(&headers)));
    let (bytes, mime) = file_of(&id);
    let base = g.base.lock().unwrap().clone();
    axum::Json(json!({
        "url": format!("{base}/download/{id}"),
        "mime_type": mime,
        "sha256": hex::encode(Sha256::digest(bytes)),
        "file_size": bytes.len().to_string(),
        "id": id,
        "messaging_product": "whatsapp",
    }))
}

async fn download(
    State(g): State<Graph>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let authorization = auth(&headers);
    g.calls
        .lock()
        .unwrap()
        .push((format!("/download/{id}"), authorization.clone()));
    if authorization != format!("Bearer {FIXTURE_ACCESS_TOKEN}") {
        return (
            StatusCode::UNAUTHORIZED,
            [("content-type", "text/plain")],
            Vec::new(),
        );
    }
    let (bytes, mime) = file_of(&id);
    let served = g
        .served_as
        .lock()
        .unwrap()
        .iter()
        .find(|(m, _)| *m == id)
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| mime.to_owned());
    let served: &'static str = Box::leak(served.into_boxed_str());
    (StatusCode::OK, [("content-type", served)], bytes.to_vec())
}

async fn send(axum::Json(body): axum::Json<Value>) -> impl IntoResponse {
    axum::Json(
        json!({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                      "messages": [{"id": format!("wamid.out.{}", rand_suffix())}]}),
    )
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn start_graph(g: Graph) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    *g.base.lock().unwrap() = base.clone();
    let app = axum::Router::new()
        .route("/{version}/{id}", get(media_info))
        .route("/{version}/{id}/messages", post(send))
        .route("/download/{id}", get(download))
        .with_state(g);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The first inbound message with media, once its media left `pending`.
async fn settled_media(server: &Server, token: &str) -> (i64, Value) {
    for _ in 0..200 {
        let tickets = get_json(server, token, "/api/v1/tickets").await;
        if let Some(ticket) = tickets["items"][0]["id"].as_i64() {
            let messages =
                get_json(server, token, &format!("/api/v1/tickets/{ticket}/messages")).await;
            let media = messages["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| !m["media"].is_null())
                .cloned();
            if let Some(m) = media
                && m["media"]["state"] != "pending"
            {
                return (ticket, m);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the media never settled");
}

#[tokio::test]
async fn an_image_is_fetched_with_the_token_and_served_inline_to_who_may_see_it() {
    let db = saw_testkit::sqlite();
    let graph = Graph::default();
    let base = start_graph(graph.clone()).await;
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v-token", &base);
    let token = api_token(&db);

    deliver_whatsapp(&server, &whatsapp_fixture("webhook-image.json")).await;
    let (_, message) = settled_media(&server, &token).await;
    let media = &message["media"];
    assert_eq!(media["state"], "ready", "{message}");
    assert_eq!(media["type"], "image/jpeg");
    assert_eq!(media["size"], JPEG.len());
    {
        let calls = graph.calls.lock().unwrap();
        let want = format!("Bearer {FIXTURE_ACCESS_TOKEN}");
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[0].0, "/info/5859471419507812");
        assert!(calls.iter().all(|(_, a)| *a == want), "token on both calls");
    }
    let url = media["url"].as_str().unwrap();
    let response = server
        .api()
        .get(server.url(url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), JPEG);

    // The file sits in the data dir's media store under a name SAW made.
    let media_dir = db.data_dir().join("media");
    let stored: Vec<_> = files_under(&media_dir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(!stored[0].to_string_lossy().contains("5859471419507812"));

    // No token, no file; a signed-in browser gets it through its session.
    let anonymous = server.api().get(server.url(url)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let browser = server.admin_browser().await;
    let page_url = url.trim_start_matches("/api/v1");
    let page = browser.get(page_url).await;
    assert_eq!(page.status, StatusCode::OK, "{page_url}");
}

#[tokio::test]
async fn a_document_is_a_download_and_a_file_that_lies_about_its_type_is_unavailable() {
    let db = saw_testkit::sqlite();
    let graph = Graph::default();
    let base = start_graph(graph.clone()).await;
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v-token", &base);
    let token = api_token(&db);

    deliver_whatsapp(&server, &whatsapp_fixture("webhook-document.json")).await;
    let (_, message) = settled_media(&server, &token).await;
    assert_eq!(message["media"]["state"], "ready", "{message}");
    assert_eq!(message["media"]["filename"], "comprovante-pix-2411.pdf");
    let response = server
        .api()
        .get(server.url(message["media"]["url"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let h = response.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("comprovante-pix-2411.pdf"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);

    // An "image" whose download is HTML is refused, not stored.
    let db = saw_testkit::sqlite();
    let graph = Graph::default();
    graph
        .served_as
        .lock()
        .unwrap()
        .push(("5859471419507812".into(), "text/html".into()));
    let base = start_graph(graph.clone()).await;
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v-token", &base);
    let token = api_token(&db);
    deliver_whatsapp(&server, &whatsapp_fixture("webhook-image.json")).await;
    let (_, message) = settled_media(&server, &token).await;
    assert_eq!(message["media"]["state"], "unavailable", "{message}");
    assert!(message["media"]["url"].is_null());
    assert!(
        message["media"]["error"]
            .as_str()
            .unwrap()
            .contains("text/html"),
        "{message}"
    );
    assert!(files_under(&db.data_dir().join("media")).is_empty());
}
