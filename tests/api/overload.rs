//! Under load the service refuses clearly instead of collapsing: a token over its rate gets 429,
//! a node at capacity answers 503, both with Retry-After, and health probes still answer.

use std::time::Duration;

use motcua::auth::Role;

use crate::support::*;

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_retry_after_and_other_tokens_are_unaffected() {
    // 2 per second, bursts of 4.
    let app = TestApp::spawn_with(|s| s.rate_limit = 2).await;
    let busy = app.token(Role::Officer).await;
    let calm = app.token(Role::Officer).await;
    for _ in 0..4 {
        assert_eq!(app.get(&busy, "/api/v1/me").await.status(), 200);
    }
    let r = app.get(&busy, "/api/v1/me").await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(error_code(r).await, (429, "rate_limited".into()));
    assert_eq!(app.get(&calm, "/api/v1/me").await.status(), 200);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn at_capacity_the_node_answers_503_with_retry_after_instead_of_queueing() {
    let app = TestApp::spawn_with(|s| s.max_in_flight = 1).await;
    let token = app.business_token("0101234567").await;
    // An upload that has started and is not finished holds the only slot.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    tx.send(Ok(
        b"--x\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\r\n".to_vec(),
    ))
    .await
    .unwrap();
    let held = {
        let request = app
            .client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=x")
            .body(reqwest::Body::wrap_stream(body));
        tokio::spawn(request.send())
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let r = app.get(&token, "/api/v1/me").await;
        if r.status() == 503 {
            break r;
        }
        assert_eq!(r.status(), 200);
        assert!(tokio::time::Instant::now() < deadline, "never at capacity");
        tokio::task::yield_now().await;
    };
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(error_code(refused).await, (503, "overloaded".into()));
    // Probes still answer.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // The upload ends (badly); its slot is free again.
    drop(tx);
    let _ = held.await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = app.get(&token, "/api/v1/me").await;
        if r.status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot was never freed"
        );
        tokio::task::yield_now().await;
    }
}
