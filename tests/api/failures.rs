//! Failures: the object store failing mid-upload, the client going away, and the orphan sweep.
//! In every case nothing is recorded and what was accepted before stays.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use motcua::auth::Role;
use motcua::config::StorageSettings;
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

/// A TCP proxy in front of the S3 server that, after forwarding `budget` request bytes, cuts
/// every connection and refuses new ones until healed: a real network failure, mid-upload.
struct FaultProxy {
    addr: std::net::SocketAddr,
    broken: Arc<AtomicBool>,
    budget: Arc<AtomicI64>,
}

impl FaultProxy {
    async fn start(upstream: String, budget: i64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let broken = Arc::new(AtomicBool::new(false));
        let budget = Arc::new(AtomicI64::new(budget));
        let (b, left) = (broken.clone(), budget.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if b.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (b, left) = (b.clone(), left.clone());
                tokio::spawn(pipe(client, server, b, left));
            }
        });
        Self {
            addr,
            broken,
            budget,
        }
    }

    fn heal(&self) {
        self.budget.store(i64::MAX, Ordering::SeqCst);
        self.broken.store(false, Ordering::SeqCst);
    }
}

async fn pipe(
    client: TcpStream,
    server: TcpStream,
    broken: Arc<AtomicBool>,
    budget: Arc<AtomicI64>,
) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up_broken = broken.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if up_broken.load(Ordering::SeqCst)
                || budget.fetch_sub(n as i64, Ordering::SeqCst) < n as i64
            {
                up_broken.store(true, Ordering::SeqCst);
                return;
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if broken.load(Ordering::SeqCst) || cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // Either direction ending (or the fault) drops both sockets.
    tokio::select! { _ = up => {}, _ = down => {} }
}

fn big_png(len: usize) -> Vec<u8> {
    let mut v = png();
    v.resize(len, 7);
    v
}

async fn recorded_dossiers(app: &TestApp, token: &str) -> usize {
    let page: serde_json::Value = app
        .get(token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_store_failure_mid_upload_leaves_no_record() {
    match backend() {
        Backend::Production => s3_failure_mid_upload().await,
        Backend::Embedded => local_failure_while_placing().await,
    }
}

async fn s3_failure_mid_upload() {
    let app = TestApp::spawn().await;
    let StorageSettings::S3(s3) = &app.settings.store.storage else {
        unreachable!("production runs on S3")
    };
    let endpoint = s3.endpoint.clone().unwrap();
    let upstream = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // A second instance over the same database and bucket, reaching S3 through the proxy.
    let fault = FaultProxy::start(upstream, 12 << 20).await;
    let mut settings = app.settings.clone();
    if let StorageSettings::S3(s3) = &mut settings.store.storage {
        s3.endpoint = Some(format!("http://{}", fault.addr));
    }
    let faulty = motcua::app::Server::start(&settings).await.unwrap();
    let officer = app.token(Role::Officer).await;
    let accepted = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("before.pdf", "application/pdf", pdf("before"))],
            ),
        )
        .await;

    let r = app
        .client
        .post(format!("http://{}/api/v1/dossiers", faulty.addr()))
        .bearer_auth(&officer)
        .multipart(form(
            &business_dossier("0101234565"),
            vec![("scan.png", "image/png", big_png(24 << 20))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (503, "storage_unavailable".into()));
    assert!(
        fault.broken.load(Ordering::SeqCst),
        "the fault really happened"
    );

    // Nothing recorded; what was accepted before is intact.
    assert_eq!(recorded_dossiers(&app, &officer).await, 1);
    let id = accepted["id"].as_str().unwrap();
    assert_eq!(
        app.get(&officer, &format!("/api/v1/dossiers/{id}"))
            .await
            .status(),
        200
    );

    // Once S3 is reachable again, the sweep removes the abandoned multipart upload.
    fault.heal();
    let report = faulty
        .state()
        .dossiers
        .sweep_orphans(Duration::ZERO)
        .await
        .unwrap();
    assert!(report.unfinished_removed >= 1, "{report:?}");
    assert_eq!(
        report.orphans_removed, 0,
        "the accepted dossier's object stays: {report:?}"
    );
    faulty.stop().await.unwrap();
}

async fn local_failure_while_placing() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let accepted = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("before.pdf", "application/pdf", pdf("before"))],
            ),
        )
        .await;
    // Occupy the shard directory the next object needs with a file: placing it fails for real.
    let bytes = big_png(3 << 20);
    let sha = sha256_hex(&bytes);
    let shard = app
        .data_dir()
        .join("objects/objects/sha256")
        .join(&sha[..2]);
    assert!(!shard.exists());
    std::fs::write(&shard, b"in the way").unwrap();

    let r = app
        .submit(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("scan.png", "image/png", bytes.clone())],
            ),
        )
        .await;
    assert_eq!(error_code(r).await, (503, "storage_unavailable".into()));
    assert_eq!(recorded_dossiers(&app, &officer).await, 1);
    let tmp: Vec<_> = std::fs::read_dir(app.data_dir().join("objects/tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "the partial upload was removed: {tmp:?}");
    let id = accepted["id"].as_str().unwrap();
    assert_eq!(
        app.get(&officer, &format!("/api/v1/dossiers/{id}"))
            .await
            .status(),
        200
    );

    // Repaired, the same upload goes through.
    std::fs::remove_file(&shard).unwrap();
    app.submit_ok(
        &officer,
        form(
            &business_dossier("0101234565"),
            vec![("scan.png", "image/png", bytes)],
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_mid_upload_leaves_no_record() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(big_png(1 << 20))),
        Ok(Bytes::from(vec![1u8; 1 << 20])),
        Err(std::io::Error::other("client crashed")),
    ];
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name("scan.png")
    .mime_str("image/png")
    .unwrap();
    let form = Form::new()
        .part(
            "dossier",
            Part::text(business_dossier("0101234565").to_string()),
        )
        .part("file", part);
    let sent = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&officer)
        .multipart(form)
        .send()
        .await;
    assert!(sent.is_err(), "the client aborted its request");
    assert_eq!(recorded_dossiers(&app, &officer).await, 0);
    if backend() == Backend::Embedded {
        // The server notices the broken body and removes its temporary file.
        let tmp = app.data_dir().join("objects/tmp");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_dir(&tmp).unwrap().next().is_some() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "temporary upload left behind"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn the_sweep_removes_orphans_and_keeps_referenced_objects() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let kept = pdf("kept");
    app.submit_ok(
        &officer,
        form(
            &business_dossier("0101234565"),
            vec![("a.pdf", "application/pdf", kept.clone())],
        ),
    )
    .await;
    let store = &app.state().store;
    let orphan = store
        .put_bytes(Bytes::from_static(b"%PDF-1.7 orphaned"))
        .await
        .unwrap();
    assert!(store.size(&orphan.sha256).await.unwrap().is_some());

    // Within the grace period nothing goes.
    let r = app
        .state()
        .dossiers
        .sweep_orphans(Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(r.orphans_removed, 0);
    assert!(store.size(&orphan.sha256).await.unwrap().is_some());

    // Past it, the orphan goes and the referenced object stays. (S3 timestamps have one-second
    // resolution, hence the short wait before a zero grace.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = app
        .state()
        .dossiers
        .sweep_orphans(Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(r.orphans_removed, 1, "{r:?}");
    assert!(store.size(&orphan.sha256).await.unwrap().is_none());
    let kept_sha = motcua::storage::Sha256Digest::of(&kept);
    assert_eq!(
        store.size(&kept_sha).await.unwrap(),
        Some(kept.len() as u64)
    );
}
