//! A restart, even a crash, loses nothing that was acknowledged; a stop is graceful.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_right_after_the_acknowledgement_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let token = cli_token(&settings, "business", &["--tax-code", "0101234565"]).await;
    assert!(token.starts_with("mct_"), "{token}");

    let mut first = spawn_process(&settings, &[]).await;
    let client = reqwest::Client::new();
    let bytes = pdf("must survive");
    let r = client
        .post(format!("{}/api/v1/dossiers", first.base))
        .bearer_auth(&token)
        .multipart(form(
            &business_dossier("0101234565"),
            vec![("a.pdf", "application/pdf", bytes.clone())],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let acked: serde_json::Value = r.json().await.unwrap();
    // SIGKILL: no shutdown, no flushing beyond what the acknowledgement already guaranteed.
    first.child.kill().await.unwrap();

    let second = spawn_process(&settings, &[]).await;
    let id = acked["id"].as_str().unwrap();
    let r = client
        .get(format!("{}/api/v1/dossiers/{id}", second.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let again: serde_json::Value = r.json().await.unwrap();
    assert_eq!(again["code"], acked["code"]);
    assert_eq!(again["documents"], acked["documents"]);
    let doc = acked["documents"][0]["id"].as_str().unwrap();
    let content = client
        .get(format!("{}/api/v1/documents/{doc}/content", second.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(content.as_ref(), &bytes[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let mut p = spawn_process(&settings, &[]).await;
    let r = reqwest::get(format!("{}/healthz", p.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &p.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), p.child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn token_create_refuses_a_business_without_a_tax_code() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let out = binary()
        .args(["token", "create", "--role", "business"])
        .args(store_args(&settings))
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tax-code"));
    let out = binary()
        .args(["token", "create", "--role", "king"])
        .args(store_args(&settings))
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
}
