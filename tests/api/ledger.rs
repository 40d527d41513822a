//! The integrity log over HTTP: entries for every submission, proofs that verify against signed
//! checkpoints, document proofs checked offline, and one consistent tree under concurrency.

use base64::Engine as _;
use motcua::auth::Role;
use motcua::ledger::VerifierKey;
use motcua::ledger::merkle::{self, Hash};
use motcua::ledger::proof::{DocumentProof, verify_document_proof};
use serde_json::Value;

use crate::support::*;

fn h(text: &str) -> Hash {
    hex::decode(text).unwrap().try_into().unwrap()
}

async fn text(app: &TestApp, token: &str, path: &str) -> String {
    let r = app.get(token, path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

async fn json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(token, path).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn every_submission_is_logged_and_provable_against_a_signed_checkpoint() {
    let app =
        TestApp::spawn_with(|s| s.ledger.checkpoint_interval = std::time::Duration::from_secs(1))
            .await;
    let officer = app.token(Role::Officer).await;
    let d = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("a.pdf", "application/pdf", pdf("one")),
                    ("b.png", "image/png", png()),
                ],
            ),
        )
        .await;

    let key = VerifierKey::parse(&text(&app, &officer, "/api/v1/ledger/key").await).unwrap();
    // The served checkpoint catches up with the log within the checkpoint interval.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let cp = loop {
        let note = text(&app, &officer, "/api/v1/ledger/checkpoint").await;
        let cp = key.verify(&note).unwrap();
        // The first unit's entry, then the dossier, its two documents and its receipt.
        if cp.size == 5 {
            break cp;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "checkpoint stuck at {}",
            cp.size
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(cp.origin, "motcua/TEST");

    let entries = json(&app, &officer, "/api/v1/ledger/entries?start=0&end=10").await;
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 5);
    // A new deployment's log opens with its first unit.
    assert_eq!(entries[0]["entry"]["kind"], "unit_added");
    assert!(entries[0]["entry"]["prev"].is_null());
    assert_eq!(entries[1]["entry"]["kind"], "dossier_submitted");
    assert_eq!(entries[1]["entry"]["dossier"], d["id"]);
    assert_eq!(entries[1]["entry"]["code"], d["code"]);
    assert_eq!(entries[1]["entry"]["prev"], entries[0]["leaf_hash"]);
    assert_eq!(entries[2]["entry"]["kind"], "document_stored");
    assert_eq!(entries[2]["entry"]["sha256"], d["documents"][0]["sha256"]);
    assert_eq!(entries[2]["entry"]["prev"], entries[1]["leaf_hash"]);
    // The system received it after the technical checks.
    assert_eq!(entries[4]["entry"]["kind"], "dossier_transition");
    assert_eq!(entries[4]["entry"]["status"], "RECEIVED");
    assert_eq!(entries[4]["entry"]["dossier"], d["id"]);
    // No personal data in the log.
    let all = serde_json::to_string(&entries).unwrap();
    assert!(
        !all.contains("0101234565") && !all.contains("Công ty"),
        "{all}"
    );

    let mut leaves = Vec::new();
    for e in entries {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(e["entry_b64"].as_str().unwrap())
            .unwrap();
        let leaf = merkle::leaf_hash(&bytes);
        assert_eq!(hex::encode(leaf), e["leaf_hash"]);
        leaves.push(leaf);
    }
    assert_eq!(merkle::reference_root(&leaves), cp.root);

    for i in 0..5u64 {
        let p = json(
            &app,
            &officer,
            &format!("/api/v1/ledger/proof/inclusion?index={i}&tree_size=5"),
        )
        .await;
        let path: Vec<Hash> = p["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| h(x.as_str().unwrap()))
            .collect();
        merkle::verify_inclusion(&leaves[i as usize], i, 5, &path, &cp.root).unwrap();
    }

    // A later checkpoint is consistent with the earlier one.
    app.submit_ok(
        &officer,
        form(
            &business_dossier("0101234565"),
            vec![("c.pdf", "application/pdf", pdf("two"))],
        ),
    )
    .await;
    let later = app.state().ledger.publish_checkpoint().await.unwrap();
    assert_eq!(later.size, 8);
    let p = json(
        &app,
        &officer,
        "/api/v1/ledger/proof/consistency?first=5&second=8",
    )
    .await;
    let path: Vec<Hash> = p["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| h(x.as_str().unwrap()))
        .collect();
    merkle::verify_consistency(5, 8, &cp.root, &later.root, &path).unwrap();
}

#[tokio::test]
async fn a_document_proof_checks_offline_and_catches_a_swapped_document() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let bytes = pdf("proof me");
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", bytes.clone())],
            ),
        )
        .await;
    let doc = d["documents"][0]["id"].as_str().unwrap();
    // The owner may fetch the proof (right after submission: a checkpoint is signed on demand).
    let proof_json = json(&app, &business, &format!("/api/v1/documents/{doc}/proof")).await;
    let proof: DocumentProof = serde_json::from_value(proof_json.clone()).unwrap();
    let key = app.state().ledger.verifier().clone();
    let proven = verify_document_proof(&proof, &key, Some(&sha256_hex(&bytes))).unwrap();
    assert_eq!(proven.document, doc);

    // Another business cannot see it.
    let other = app.business_token("0107654326").await;
    let r = app
        .get(&other, &format!("/api/v1/documents/{doc}/proof"))
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));

    // A different document in hand fails; a forged entry fails; another key fails.
    assert!(verify_document_proof(&proof, &key, Some(&sha256_hex(b"forged"))).is_err());
    let mut forged = proof.clone();
    let mut entry = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&proof.entry.entry_b64)
            .unwrap(),
    )
    .unwrap();
    entry = entry.replace(&sha256_hex(&bytes), &sha256_hex(b"forged"));
    forged.entry.entry_b64 = base64::engine::general_purpose::STANDARD.encode(entry);
    assert!(verify_document_proof(&forged, &key, None).is_err());
    let stranger = motcua::ledger::LogSigner::generate("motcua/TEST").unwrap();
    assert!(verify_document_proof(&proof, stranger.verifier(), None).is_err());

    // The CLI does the same from files.
    let dir = tempfile::tempdir().unwrap();
    let proof_file = dir.path().join("proof.json");
    let doc_file = dir.path().join("a.pdf");
    std::fs::write(&proof_file, serde_json::to_vec(&proof_json).unwrap()).unwrap();
    std::fs::write(&doc_file, &bytes).unwrap();
    let ok = binary()
        .args(["ledger", "verify-proof"])
        .arg(&proof_file)
        .args(["--key", &key.to_string(), "--document"])
        .arg(&doc_file)
        .output()
        .await
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    std::fs::write(&doc_file, b"%PDF-1.7 altered").unwrap();
    let bad = binary()
        .args(["ledger", "verify-proof"])
        .arg(&proof_file)
        .args(["--key", &key.to_string(), "--document"])
        .arg(&doc_file)
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("altered"));
}

#[tokio::test]
async fn the_log_is_for_staff_unless_made_public() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    for path in [
        "/api/v1/ledger/key",
        "/api/v1/ledger/checkpoint",
        "/api/v1/ledger/entries?start=0&end=1",
    ] {
        assert_eq!(
            error_code(app.get(&business, path).await).await,
            (403, "forbidden".into()),
            "{path}"
        );
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(error_code(r).await.0, 401, "{path}");
    }
    let public = TestApp::spawn_with(|s| s.ledger.public = true).await;
    let r = public
        .client
        .get(public.url("/api/v1/ledger/checkpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let officer = app.token(Role::Officer).await;
    for (path, code) in [
        (
            "/api/v1/ledger/proof/inclusion?index=5&tree_size=2",
            "out_of_range",
        ),
        (
            "/api/v1/ledger/proof/inclusion?index=0&tree_size=99",
            "out_of_range",
        ),
        (
            "/api/v1/ledger/proof/consistency?first=3&second=1",
            "out_of_range",
        ),
    ] {
        assert_eq!(
            error_code(app.get(&officer, path).await).await,
            (422, code.into()),
            "{path}"
        );
    }
    assert_eq!(
        error_code(app.get(&officer, "/api/v1/ledger/entries?start=x").await).await,
        (400, "invalid_query".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_from_two_instances_make_one_consistent_tree() {
    let app = TestApp::spawn().await;
    let sibling = app.sibling().await;
    let bases = [app.base.clone(), format!("http://{}", sibling.addr())];
    let officer = app.token(Role::Officer).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let base = bases[i % 2].clone();
        let client = app.client.clone();
        let token = officer.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/dossiers"))
                .bearer_auth(token)
                .multipart(form(
                    &business_dossier("0101234565"),
                    vec![("a.pdf", "application/pdf", pdf(&format!("c{i}")))],
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    sibling.stop().await.unwrap();
    let ledger = &app.state().ledger;
    // The first unit; each dossier: filed, its document stored, received by the system.
    assert_eq!(ledger.size().await.unwrap(), 91);
    let cp = ledger.publish_checkpoint().await.unwrap();
    let rows = ledger.entries(0, 91).await.unwrap();
    let leaves: Vec<Hash> = rows
        .iter()
        .map(|r| merkle::leaf_hash(r.entry.as_bytes()))
        .collect();
    assert_eq!(merkle::reference_root(&leaves), cp.root);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.index as usize, i);
        let e: Value = serde_json::from_str(&r.entry).unwrap();
        let prev = if i == 0 {
            Value::Null
        } else {
            Value::String(hex::encode(leaves[i - 1]))
        };
        assert_eq!(e["prev"], prev, "chain at {i}");
    }
    let report = verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// Runs the library verifier against the app's database and store.
pub async fn verify_app(app: &TestApp) -> motcua::ledger::verify::VerifyReport {
    let s = app.state();
    motcua::audit::verify(
        s.dossiers.db(),
        &s.store,
        motcua::ledger::verify::VerifyOptions {
            key: s.ledger.verifier(),
            external_checkpoints: vec![],
            fixity: true,
        },
        |_, _| {},
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn every_archivist_read_is_logged() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let archivist = app.token(Role::Archivist).await;
    let d = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", pdf("read"))],
            ),
        )
        .await;
    let before = app.state().ledger.size().await.unwrap();
    // An officer's read is not an archival read.
    let id = d["id"].as_str().unwrap();
    assert_eq!(
        app.get(&officer, &format!("/api/v1/dossiers/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(app.state().ledger.size().await.unwrap(), before);

    let doc = d["documents"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.get(&archivist, &format!("/api/v1/dossiers/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&archivist, &format!("/api/v1/documents/{doc}/content"))
            .await
            .status(),
        200
    );
    let rows = app
        .state()
        .ledger
        .entries(before, before + 10)
        .await
        .unwrap();
    let kinds: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.entry).unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(kinds[0]["kind"], "record_read");
    assert_eq!(kinds[0]["dossier"], id);
    assert_eq!(kinds[1]["document"], doc);
    assert!(kinds[1]["reader"].as_str().is_some());
    let report = verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// An issued result and a signature report have proofs too, checked offline like a document's:
/// the right file in hand passes, any other fails.
#[tokio::test]
async fn results_and_signature_reports_are_provable_offline() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0106869738").await;
    let doc = pdf("signed application");
    let signature = crate::support::openssl_detached_signature("signer-rsa", &doc);
    let d = app
        .submit_ok(
            &business,
            form(
                &serde_json::json!({"procedure": "business-registration",
                    "applicant": {"tax_code": "0106869738", "name": "Công ty TNHH Mẫu"}}),
                vec![
                    ("giay-de-nghi.pdf", "application/pdf", doc),
                    (
                        "giay-de-nghi.pdf.p7s",
                        "application/pkcs7-signature",
                        signature,
                    ),
                ],
            ),
        )
        .await;
    let officer = app.token(Role::Officer).await;
    let issued: Value = app
        .client
        .post(app.url(&format!(
            "/api/v1/dossiers/{}/results",
            d["id"].as_str().unwrap()
        )))
        .bearer_auth(&officer)
        .json(&serde_json::json!({"kind": "business_registration",
            "fields": [["Mã số doanh nghiệp", "0106869738"]], "place": "Hà Nội"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = issued["code"].as_str().unwrap();
    app.state().ledger.publish_checkpoint().await.unwrap();
    let key = app.state().ledger.verifier().to_string();
    let report = d["signatures"][0]["id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (proof_path, file_path, format) in [
        (
            format!("/api/v1/results/{code}/proof"),
            format!("/api/v1/results/{code}/pdf"),
            "motcua-result-proof/v1",
        ),
        (
            format!("/api/v1/signature-reports/{report}/proof"),
            format!("/api/v1/signature-reports/{report}"),
            "motcua-report-proof/v1",
        ),
    ] {
        let proof: Value = app.get(&business, &proof_path).await.json().await.unwrap();
        assert_eq!(proof["format"], format);
        let bytes = app.get(&business, &file_path).await.bytes().await.unwrap();
        let (proof_file, held) = (dir.path().join("proof.json"), dir.path().join("held"));
        std::fs::write(&proof_file, serde_json::to_vec(&proof).unwrap()).unwrap();
        std::fs::write(&held, &bytes).unwrap();
        let check = || {
            binary()
                .args(["ledger", "verify-proof"])
                .arg(&proof_file)
                .args(["--key", &key, "--document"])
                .arg(&held)
                .output()
        };
        let ok = check().await.unwrap();
        assert!(
            ok.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&ok.stdout)
        );
        std::fs::write(&held, b"something else").unwrap();
        let bad = check().await.unwrap();
        assert_eq!(bad.status.code(), Some(1), "{format}");
        // Another applicant may not even ask.
        let stranger = app.business_token("0109999982").await;
        assert_eq!(app.get(&stranger, &proof_path).await.status(), 404);
    }
}
