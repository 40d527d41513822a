//! A 1 GiB upload streams through with bounded memory and comes back intact.

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use sha2::{Digest as _, Sha256};

use crate::support::*;

const SIZE: u64 = 1 << 30;
const CHUNK: usize = 1 << 20;

fn template() -> Vec<u8> {
    (0..CHUNK).map(|i| (i * 31 % 251) as u8).collect()
}

fn chunk(template: &[u8], i: u64) -> Vec<u8> {
    let mut c = template.to_vec();
    if i == 0 {
        c[..4].copy_from_slice(b"II*\0");
    }
    c[8..16].copy_from_slice(&i.to_le_bytes());
    c
}

/// A deterministic 1 GiB "TIFF" produced chunk by chunk, with its SHA-256.
fn big_file() -> (
    impl futures_util::Stream<Item = Result<Bytes, std::io::Error>>,
    String,
) {
    let t = std::sync::Arc::new(template());
    let mut hasher = Sha256::new();
    for i in 0..SIZE / CHUNK as u64 {
        hasher.update(chunk(&t, i));
    }
    let sha = hex::encode(hasher.finalize());
    let stream = futures_util::stream::iter(
        (0..SIZE / CHUNK as u64).map(move |i| Ok(Bytes::from(chunk(&t, i)))),
    );
    (stream, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_upload_streams_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let token = cli_token(&settings, "officer", &[]).await;
    let server = spawn_process(
        &settings,
        &["--max-file-size", "2GiB", "--max-request-size", "2GiB"],
    )
    .await;
    let client = reqwest::Client::new();
    // Warm up (first request, connection pools), then take the idle footprint.
    let r = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let idle_kib = server.memory_kib("VmRSS");

    let (stream, sha) = big_file();
    let form = Form::new()
        .part(
            "dossier",
            Part::text(business_dossier("0101234565").to_string()),
        )
        .part(
            "file",
            Part::stream_with_length(reqwest::Body::wrap_stream(stream), SIZE)
                .file_name("archive-scan.tif")
                .mime_str("image/tiff")
                .unwrap(),
        );
    let r = client
        .post(format!("{}/api/v1/dossiers", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let peak_kib = server.memory_kib("VmHWM");
    let above_idle_mib = peak_kib.saturating_sub(idle_kib) / 1024;
    eprintln!(
        "1 GiB upload: idle {idle_kib} KiB, peak {peak_kib} KiB, {above_idle_mib} MiB above idle"
    );
    assert!(
        above_idle_mib < 64,
        "peak memory {above_idle_mib} MiB above idle"
    );

    let doc = &body["documents"][0];
    assert_eq!(doc["size"], SIZE);
    assert_eq!(doc["sha256"], sha.as_str());
    assert_eq!(doc["media_type"], "image/tiff");

    // The last bytes come back through a range request.
    let id = doc["id"].as_str().unwrap();
    let r = client
        .get(format!("{}/api/v1/documents/{id}/content", server.base))
        .bearer_auth(&token)
        .header("range", "bytes=-16")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let tail = r.bytes().await.unwrap();
    let last = SIZE / CHUNK as u64 - 1;
    let expected = chunk(&template(), last);
    assert_eq!(tail.as_ref(), &expected[CHUNK - 16..]);
}
