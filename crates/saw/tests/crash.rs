//! Invariant 1, acknowledged means durable: SIGKILL the real server during a burst of
//! webhooks; after a restart every webhook that got its 200 is there, once.

mod common;

use std::sync::Arc;

use common::*;
use reqwest::StatusCode;
use saw_store::Store;

fn body(i: usize) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"104952389402837","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"5511940028922","phone_number_id":"{FIXTURE_NUMBER}"}},"contacts":[{{"profile":{{"name":"Cliente {c}"}},"wa_id":"55119{c:08}"}}],"messages":[{{"from":"55119{c:08}","id":"wamid.crash.{i}","timestamp":"1795518000","type":"text","text":{{"body":"mensagem {i}"}}}}]}}}}]}}]}}"#,
        c = i % 50
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_a_burst_loses_no_acknowledged_webhook() {
    let db = saw_testkit::sqlite();
    let server = Server::start(&db);
    add_fixture_whatsapp(&db, "v-token-123", NO_PROVIDER);

    let url = server.url("/webhooks/whatsapp");
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for worker in 0..16 {
        let (client, url, acknowledged) = (client.clone(), url.clone(), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            for n in 0..200 {
                let i = n * 16 + worker;
                let body = body(i);
                let signature =
                    saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), body.as_bytes());
                let sent = client
                    .post(&url)
                    .header("x-hub-signature-256", signature)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == StatusCode::OK => acknowledged.lock().unwrap().push(i),
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Let the burst run, then pull the plug.
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if acknowledged.lock().unwrap().len() >= 300 {
            break;
        }
    }
    server.kill_hard();
    for s in senders {
        let _ = s.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300);

    // A restart recovers the database; every acknowledged message is there exactly once.
    let again = Server::start_with(&db, &[]);
    let store = Store::open(&db.url).await.unwrap();
    let stored: Vec<String> = store
        .read(|c| {
            c.query_all(
                "SELECT provider_id FROM messages WHERE provider_id LIKE 'wamid.crash.%'",
                &[],
                |r| r.text(0),
            )
        })
        .await
        .unwrap();
    for i in &acknowledged {
        let id = format!("wamid.crash.{i}");
        assert_eq!(
            stored.iter().filter(|s| **s == id).count(),
            1,
            "{id} was acknowledged but is not stored once"
        );
    }
    drop(again);
}
