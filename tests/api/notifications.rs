//! Applicants' notifications: written with the move that causes them, delivered to the webhook
//! signed with HMAC-SHA256, retried after a failure with the same delivery id.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use motcua::auth::Role;
use motcua::config::WebhookSettings;
use serde_json::{Value, json};

use crate::support::*;

const SECRET: &[u8] = b"a webhook secret of some length";

#[derive(Default)]
struct Received {
    calls: Vec<(HeaderMap, Vec<u8>)>,
}

/// A receiver on the loopback that refuses its first call (500) and accepts the rest (204).
async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let seen = Arc::new(Mutex::new(Received::default()));
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let mut s = state.lock().unwrap();
                s.calls.push((headers, body.to_vec()));
                if s.calls.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn moves_are_announced_to_the_webhook_signed_and_retried_until_accepted() {
    let (url, seen) = receiver().await;
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), SECRET).unwrap();
    let secret_path = secret.path().to_owned();
    let app = TestApp::spawn_with(|s| {
        s.webhook = Some(WebhookSettings {
            url,
            secret_file: Some(secret_path),
            retry_base: Duration::from_millis(50),
            poll: Duration::from_millis(50),
        });
    })
    .await;
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("don.pdf", "application/pdf", pdf("don"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(&officer)
        .json(&json!({"to": "SUPPLEMENT_REQUESTED", "reason": "Thiếu Điều lệ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The receipt fails once and is sent again; then the supplement request.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().calls.len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "not delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calls = std::mem::take(&mut seen.lock().unwrap().calls);
    let mut deliveries = Vec::new();
    for (headers, body) in &calls {
        let header = |n: &str| headers[n].to_str().unwrap().to_owned();
        let timestamp: i64 = header("x-motcua-timestamp").parse().unwrap();
        assert_eq!(
            header("x-motcua-signature"),
            motcua::notify::signature(SECRET, timestamp, body),
            "the signature covers the timestamp and the body"
        );
        assert_ne!(
            header("x-motcua-signature"),
            motcua::notify::signature(b"another secret of some length", timestamp, body)
        );
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["delivery"], header("x-motcua-delivery"));
        assert_eq!(payload["event"], header("x-motcua-event"));
        assert_eq!(payload["dossier_id"], id);
        deliveries.push(payload);
    }
    assert_eq!(deliveries[0]["event"], "dossier.received");
    assert_eq!(
        deliveries[0], deliveries[1],
        "the retry is the same delivery"
    );
    assert_eq!(deliveries[2]["event"], "dossier.supplement_requested");
    assert_eq!(deliveries[2]["reason"], "Thiếu Điều lệ");
    assert_eq!(deliveries[2]["status"], "SUPPLEMENT_REQUESTED");

    // The sender marks a delivery done once it has the receiver's answer, which may be just
    // after the receiver saw the request: wait for it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let rows = loop {
        let rows = app
            .state()
            .dossiers
            .db()
            .notifications_of(id)
            .await
            .unwrap();
        if rows.iter().all(|r| r.delivered_at.is_some()) {
            break rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries not marked done: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].attempts, 2);
    assert!(rows[0].last_error.as_deref().unwrap().contains("500"));
}

#[tokio::test]
async fn without_a_webhook_nothing_is_queued() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("don.pdf", "application/pdf", pdf("don"))],
            ),
        )
        .await;
    let rows = app
        .state()
        .dossiers
        .db()
        .notifications_of(d["id"].as_str().unwrap())
        .await
        .unwrap();
    assert!(rows.is_empty());
}
