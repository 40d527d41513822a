//! Under load and under attack the service refuses clearly instead of collapsing: a token over
//! its rate gets 429, a node at capacity 503, both with Retry-After, and health probes still
//! answer; slow and silent clients (issue 13, finding 2) are cut off and never hold what other
//! callers need: uploads have their own slots and a share per caller, a body that stalls gets
//! 408, a head that never ends or an idle connection is closed, one address holds a bounded
//! number of connections, the public pages are rate limited per address, and `/readyz` says
//! when the node is saturated.

use std::time::Duration;

use motcua::auth::Role;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::*;

/// An upload that has sent its head and the start of its multipart body, and then whatever its
/// sender sends: the request is in flight until the sender is dropped.
struct OpenUpload {
    more: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    response: tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
}

async fn open_upload(app: &TestApp, token: &str) -> OpenUpload {
    let (more, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    more.send(Ok(
        b"--x\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\r\n".to_vec(),
    ))
    .await
    .unwrap();
    let request = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(token)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(reqwest::Body::wrap_stream(body));
    OpenUpload {
        more,
        response: tokio::spawn(request.send()),
    }
}

/// Waits until `check` holds, polling; panics after `secs` seconds (a liveness bound, not a
/// measurement).
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn readyz(app: &TestApp) -> (u16, serde_json::Value) {
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_full_upload_pool_refuses_uploads_with_503_while_reads_go_on_and_readyz_says_saturated() {
    let app = TestApp::spawn_with(|s| {
        s.admission.max_in_flight = 4;
        s.admission.max_uploads = 1;
    })
    .await;
    let token = app.business_token("0101234565").await;
    assert_eq!(readyz(&app).await.0, 200);
    // An upload that has started and is not finished holds the only upload slot.
    let held = open_upload(&app, &token).await;
    eventually(10, "the upload pool is full", || async {
        readyz(&app).await.0 == 503
    })
    .await;
    let (_, ready) = readyz(&app).await;
    assert_eq!(ready["error"]["code"], "saturated", "{ready}");
    assert_eq!(ready["checks"]["uploads_in_flight"], 1);
    let second = app
        .submit(
            &token,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    assert_eq!(second.headers()["retry-after"], "1");
    assert_eq!(error_code(second).await, (503, "overloaded".into()));
    // Reads are not uploads: they are served all along.
    for _ in 0..10 {
        assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
    }
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // The upload ends (badly); its slot is free again and the node ready.
    drop(held.more);
    let _ = held.response.await;
    eventually(10, "the slot is freed", || async {
        readyz(&app).await.0 == 200
    })
    .await;
    app.submit_ok(
        &token,
        form(
            &business_dossier("0101234565"),
            vec![("a.pdf", "application/pdf", pdf("a"))],
        ),
    )
    .await;
}

#[tokio::test]
async fn the_node_at_capacity_answers_503_with_retry_after_instead_of_queueing() {
    let app = TestApp::spawn_with(|s| s.admission.max_in_flight = 1).await;
    let token = app.business_token("0101234565").await;
    // Many reads at once on one slot: some are refused, none waits in a queue, all answer.
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/dossiers"),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client.get(url).bearer_auth(token).send().await.unwrap()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "1");
        }
        statuses.push(r.status().as_u16());
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
}

#[tokio::test]
async fn a_caller_holds_at_most_its_share_of_uploads_and_others_still_upload() {
    let app = TestApp::spawn_with(|s| s.admission.max_uploads_per_caller = 2).await;
    let greedy = app.business_token("0101234565").await;
    let other = app.business_token("0109999982").await;
    let first = open_upload(&app, &greedy).await;
    let second = open_upload(&app, &greedy).await;
    eventually(10, "two uploads in flight", || async {
        readyz(&app).await.1["checks"]["uploads_in_flight"] == 2
    })
    .await;
    let third = app
        .submit(
            &greedy,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    assert_eq!(error_code(third).await, (429, "too_many_uploads".into()));
    app.submit_ok(
        &other,
        form(
            &business_dossier("0109999982"),
            vec![("b.pdf", "application/pdf", pdf("b"))],
        ),
    )
    .await;
    drop((first.more, second.more));
}

#[tokio::test]
async fn a_body_that_stalls_is_cut_with_408_and_gives_its_slot_back() {
    let app = TestApp::spawn_with(|s| {
        s.admission.max_uploads = 1;
        s.connections.body_window = Duration::from_secs(1);
        s.connections.min_body_rate = 1024;
    })
    .await;
    let token = app.business_token("0101234565").await;
    // It sent its first bytes, then one byte now and then: far below 1 KiB per second.
    let stalled = open_upload(&app, &token).await;
    let trickle = {
        let more = stalled.more.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if more.send(Ok(b"{".to_vec())).await.is_err() {
                    return;
                }
            }
        })
    };
    let r = tokio::time::timeout(Duration::from_secs(20), stalled.response)
        .await
        .expect("the stalled upload is answered")
        .unwrap()
        .unwrap();
    assert_eq!(r.headers()["connection"], "close");
    assert_eq!(error_code(r).await, (408, "request_timeout".into()));
    trickle.abort();
    // Its upload slot (the only one) is free: a real upload goes through.
    app.submit_ok(
        &token,
        form(
            &business_dossier("0101234565"),
            vec![("a.pdf", "application/pdf", pdf("a"))],
        ),
    )
    .await;
    // Nothing was recorded for the stalled one.
    let list: serde_json::Value = app
        .get(&token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

/// Reads what the server sends until it closes the connection (or `secs` pass: a liveness
/// bound).
async fn read_until_closed(stream: &mut TcpStream, secs: u64) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return String::from_utf8_lossy(&got).into_owned(),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the connection was never closed; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

fn address(app: &TestApp) -> String {
    app.url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

#[tokio::test]
async fn a_head_that_never_ends_and_an_idle_connection_are_closed() {
    let app = TestApp::spawn_with(|s| s.connections.header_timeout = Duration::from_secs(1)).await;
    // Half a head, then nothing.
    let mut half = TcpStream::connect(address(&app)).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_until_closed(&mut half, 15).await;
    // Nothing at all.
    let mut silent = TcpStream::connect(address(&app)).await.unwrap();
    assert_eq!(read_until_closed(&mut silent, 15).await, "");
    // A whole request, answered, then an idle kept-alive connection.
    let mut idle = TcpStream::connect(address(&app)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut idle, 15).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

#[tokio::test]
async fn connections_beyond_the_cap_per_address_are_answered_503_and_closed() {
    let app = TestApp::spawn_with(|s| {
        s.connections.per_address = 2;
        s.connections.header_timeout = Duration::from_secs(30);
    })
    .await;
    let held = [
        TcpStream::connect(address(&app)).await.unwrap(),
        TcpStream::connect(address(&app)).await.unwrap(),
    ];
    // Give the server the moment it takes to accept both.
    eventually(10, "the third connection is refused", || async {
        let mut third = TcpStream::connect(address(&app)).await.unwrap();
        let answer = read_until_closed(&mut third, 15).await;
        answer.starts_with("HTTP/1.1 503") && answer.contains("too_many_connections")
    })
    .await;
    drop(held);
    eventually(10, "a connection is accepted again", || async {
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}

#[tokio::test]
async fn the_public_pages_are_rate_limited_per_address() {
    // 1 per second, bursts of 4.
    let app = TestApp::spawn_with(|s| s.admission.public_rate_limit = 1).await;
    for _ in 0..4 {
        let r = app.client.get(app.url("/verify")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = app
        .client
        .get(app.url("/verify/TEST-260101-0001-KQ1"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_code(r).await, (429, "rate_limited".into()));
    // The API is not the public pages: a token's calls go on.
    let token = app.token(Role::Officer).await;
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
}

/// The attack that found finding 2, scaled down: many slow uploads from four tokens, one byte
/// at a time. All along, every other caller's reads and uploads are served, and the slow ones
/// are cut with 408.
#[tokio::test]
async fn slow_uploads_from_four_tokens_do_not_starve_anyone_else() {
    let app = TestApp::spawn_with(|s| {
        // The defaults' proportions (64 upload slots, 8 per caller), scaled down: four
        // callers can take at most half of the upload slots.
        s.admission.max_in_flight = 32;
        s.admission.max_uploads = 32;
        s.admission.max_uploads_per_caller = 4;
        s.connections.body_window = Duration::from_secs(2);
    })
    .await;
    let mut attackers = Vec::new();
    for tax_code in ["0101234572", "0101234597", "0101234607", "0101234614"] {
        attackers.push(app.business_token(tax_code).await);
    }
    let mut slow = Vec::new();
    for token in &attackers {
        for _ in 0..8 {
            let upload = open_upload(&app, token).await;
            let more = upload.more.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if more.send(Ok(b"x".to_vec())).await.is_err() {
                        return;
                    }
                }
            });
            slow.push(upload);
        }
    }
    let citizen = app.citizen_token("001203004567").await;
    let business = app.business_token("0109999982").await;
    for round in 0..5 {
        assert_eq!(
            app.get(&citizen, "/api/v1/dossiers").await.status(),
            200,
            "round {round}"
        );
        app.submit_ok(
            &business,
            form(
                &business_dossier("0109999982"),
                vec![("a.pdf", "application/pdf", pdf(&format!("round {round}")))],
            ),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The slow uploads that got in are cut for stalling; the others were refused at once.
    for upload in slow {
        let r = tokio::time::timeout(Duration::from_secs(30), upload.response)
            .await
            .expect("every slow upload is answered")
            .unwrap()
            .unwrap();
        let (status, code) = error_code(r).await;
        assert!(
            matches!(
                (status, code.as_str()),
                (408, "request_timeout") | (429, "too_many_uploads") | (503, "overloaded")
            ),
            "{status} {code}"
        );
    }
}

#[tokio::test]
async fn a_token_over_its_rate_gets_429_with_retry_after_and_other_tokens_are_unaffected() {
    // 2 per second, bursts of 4.
    let app = TestApp::spawn_with(|s| s.admission.rate_limit = 2).await;
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
