//! Applicants' notifications: written with the move that causes them, delivered to the webhook
//! signed with HMAC-SHA256, retried after a failure with the same delivery id; over https:// to
//! a receiver whose certificate chains to a trusted root, and to no other.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use motcua::auth::Role;
use motcua::config::WebhookSettings;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder};
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

/// An app delivering to the webhook at `url` with the test's secret, retrying fast; the secret's
/// file lives as long as the second value.
async fn app_with_webhook(url: String) -> (TestApp, tempfile::NamedTempFile) {
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
    (app, secret)
}

#[tokio::test]
async fn moves_are_announced_to_the_webhook_signed_and_retried_until_accepted() {
    let (url, seen) = receiver().await;
    let (app, _secret) = app_with_webhook(url).await;
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

/// An EC P-256 key and a certificate for it, valid from now for a day, signed by `issuer`
/// (or by itself).
fn certificate(
    common_name: &str,
    issuer: Option<(&X509, &PKey<Private>)>,
    extensions: impl FnOnce(&mut X509Builder, Option<&X509>),
) -> (X509, PKey<Private>) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", common_name).unwrap();
    let name = name.build();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&*name, |(cert, _)| cert.subject_name()))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    extensions(&mut b, issuer.map(|(cert, _)| cert));
    b.sign(issuer.map_or(&key, |(_, k)| k), MessageDigest::sha256())
        .unwrap();
    (b.build(), key)
}

/// A certificate authority made for one test.
fn authority(common_name: &str) -> (X509, PKey<Private>) {
    certificate(common_name, None, |b, _| {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        let usage = KeyUsage::new().critical().key_cert_sign().build().unwrap();
        b.append_extension(usage).unwrap();
    })
}

/// A TLS server certificate for 127.0.0.1 issued by `ca`.
fn server_certificate(ca: &(X509, PKey<Private>)) -> (X509, PKey<Private>) {
    certificate("127.0.0.1", Some((&ca.0, &ca.1)), |b, issuer| {
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .build(&b.x509v3_context(issuer.map(|i| &**i), None))
            .unwrap();
        b.append_extension(san).unwrap();
        let eku = ExtendedKeyUsage::new().server_auth().build().unwrap();
        b.append_extension(eku).unwrap();
    })
}

/// What a TLS receiver saw on one connection: a request (its head and body), or a handshake
/// that failed.
type Call = Result<(String, Vec<u8>), String>;

/// The value of header `name` in a request head.
fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .unwrap_or_else(|| panic!("no {name} header in {head}"))
}

/// Reads one request (head, then Content-Length bytes of body).
fn read_request(stream: &mut impl std::io::Read) -> (String, Vec<u8>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).into_owned();
            let length: usize = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return (head, request[end + 4..end + 4 + length].to_vec());
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&request).into_owned(), Vec::new()),
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
}

/// A webhook receiver speaking only TLS (OpenSSL) on the loopback, with `identity` as its
/// certificate and key: it answers every request 204 and reports each connection.
fn tls_receiver(
    identity: (X509, PKey<Private>),
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Call>) {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    acceptor.set_certificate(&identity.0).unwrap();
    acceptor.set_private_key(&identity.1).unwrap();
    let acceptor = acceptor.build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let call = match acceptor.accept(stream) {
                Ok(mut tls) => {
                    use std::io::Write as _;
                    let request = read_request(&mut tls);
                    let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                    let _ = tls.shutdown();
                    Ok(request)
                }
                Err(e) => Err(e.to_string()),
            };
            if tx.send(call).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// The next connection the receiver reports (within 20 s).
async fn next_call(calls: &mut tokio::sync::mpsc::UnboundedReceiver<Call>) -> Call {
    tokio::time::timeout(Duration::from_secs(20), calls.recv())
        .await
        .expect("a delivery attempt within 20 s")
        .unwrap()
}

#[tokio::test]
async fn an_https_webhook_whose_certificate_chains_to_ssl_cert_file_is_delivered_signed() {
    // The receiver's authority is trusted the standard way: SSL_CERT_FILE names the roots
    // motcua trusts (in place of the platform's). A process of its own, so the variable is set
    // from its start.
    let ca = authority("motcua test webhook CA");
    let (url, mut calls) = tls_receiver(server_certificate(&ca));
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let roots = dir.path().join("roots.pem");
    std::fs::write(&roots, ca.0.to_pem().unwrap()).unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, SECRET).unwrap();
    let officer = cli_token(&settings, "officer", &[]).await;
    let server = spawn_process_with_env(
        &settings,
        &[
            "--webhook-url",
            &url,
            "--webhook-secret-file",
            secret.to_str().unwrap(),
        ],
        &[("SSL_CERT_FILE", roots.as_os_str())],
    )
    .await;

    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/dossiers", server.base))
        .bearer_auth(&officer)
        .multipart(form(
            &business_dossier("0101234565"),
            vec![("don.pdf", "application/pdf", pdf("don"))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let dossier: Value = r.json().await.unwrap();

    let (head, body) = next_call(&mut calls)
        .await
        .expect("the TLS handshake succeeds");
    assert!(head.starts_with("POST /hook HTTP/1.1\r\n"), "{head}");
    let timestamp: i64 = header(&head, "x-motcua-timestamp").parse().unwrap();
    assert_eq!(
        header(&head, "x-motcua-signature"),
        motcua::notify::signature(SECRET, timestamp, &body),
        "the signature covers the timestamp and the body, as over http://"
    );
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["event"], "dossier.received");
    assert_eq!(payload["event"], header(&head, "x-motcua-event"));
    assert_eq!(payload["delivery"], header(&head, "x-motcua-delivery"));
    assert_eq!(payload["dossier_id"], dossier["id"]);
}

#[tokio::test]
async fn an_https_receiver_whose_certificate_is_not_trusted_gets_nothing_and_is_tried_again() {
    // An authority nobody trusts: motcua refuses the handshake, sends nothing, records a failed
    // attempt that says why, and tries again later (fail closed, never "deliver anyway").
    let (url, mut calls) = tls_receiver(server_certificate(&authority("nobody's CA")));
    let (app, _secret) = app_with_webhook(url).await;
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

    // Two attempts, both cut off in the handshake: the second comes only once the first was
    // recorded as failed.
    for attempt in 1..=2 {
        let call = next_call(&mut calls).await;
        assert!(call.is_err(), "attempt {attempt} got through: {call:?}");
    }
    let rows = app
        .state()
        .dossiers
        .db()
        .notifications_of(d["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert!(
        row.delivered_at.is_none() && row.failed_at.is_none(),
        "{row:?}"
    );
    assert!(row.attempts >= 1, "{row:?}");
    let error = row.last_error.as_deref().unwrap();
    assert!(
        error.starts_with("TLS: ") && error.contains("certificate"),
        "the recorded error says the certificate was refused: {error}"
    );
}
