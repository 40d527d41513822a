//! Paper originals at the counter: the officer scans each paper original (checked: at least 200
//! dpi, in colour), records per paper whether it matches, and the dossier moves on by itself
//! once every paper is settled.

use motcua::auth::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

const SCANS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scans");

fn scan(name: &str) -> Vec<u8> {
    std::fs::read(format!("{SCANS}/{name}")).unwrap()
}

/// A business-registration dossier (four papers) awaiting its originals, and an officer.
async fn awaiting(app: &TestApp) -> (String, String) {
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("giay-de-nghi.pdf", "application/pdf", pdf("de nghi"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(&officer)
        .json(&json!({"to": "ACCEPTED"}))
        .send()
        .await
        .unwrap();
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["status"], "AWAITING_ORIGINALS", "{moved}");
    (id, officer)
}

async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    component: &str,
    files: &[(&str, &str, Vec<u8>)],
) -> reqwest::Response {
    let mut form = Form::new();
    for (name, mime, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str(mime)
                .unwrap(),
        );
    }
    app.client
        .post(app.url(&format!(
            "/api/v1/dossiers/{id}/originals/{component}/scans"
        )))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn decide(
    app: &TestApp,
    token: &str,
    id: &str,
    component: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/dossiers/{id}/originals/{component}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn decide_ok(app: &TestApp, token: &str, id: &str, component: &str, body: Value) -> Value {
    let r = decide(app, token, id, component, body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

const PAPERS: [&str; 4] = ["application", "charter", "members", "identity"];

#[tokio::test]
async fn an_officer_scans_the_originals_and_the_dossier_is_verified_once_every_paper_matches() {
    let app = TestApp::spawn().await;
    let (id, officer) = awaiting(&app).await;
    let r = upload(
        &app,
        &officer,
        &id,
        "application",
        &[("don-goc.jpg", "image/jpeg", scan("rgb-300dpi.jpg"))],
    )
    .await;
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["warnings"], json!([]));
    let scan_id = stored["scans"][0]["id"].as_str().unwrap().to_owned();

    let view: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{id}/originals"))
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = view["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, PAPERS);
    assert_eq!(view["components"][0]["scans"][0]["id"], scan_id.as_str());
    assert!(view["components"][0].get("outcome").is_none());

    for (i, paper) in PAPERS.iter().enumerate() {
        let v = decide_ok(&app, &officer, &id, paper, json!({"outcome": "matches"})).await;
        let expected = if i + 1 < PAPERS.len() {
            "AWAITING_ORIGINALS"
        } else {
            "ORIGINALS_VERIFIED"
        };
        assert_eq!(v["status"], expected, "after {paper}");
    }
    let d: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "ORIGINALS_VERIFIED");
    assert_eq!(last["actor"], "officer");
    // The scan is a document of the dossier, and every step is in the log.
    assert!(
        d["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|doc| doc["id"] == scan_id.as_str())
    );
    let entries: Vec<Value> = app
        .get(&officer, "/api/v1/ledger/entries?start=0&end=100")
        .await
        .json()
        .await
        .unwrap();
    let kinds = |kind: &str| {
        entries
            .iter()
            .filter(|e| e["entry"]["kind"] == kind && e["entry"]["dossier"] == id.as_str())
            .map(|e| e["entry"].clone())
            .collect::<Vec<Value>>()
    };
    assert_eq!(kinds("original_checked").len(), 4);
    let scans: Vec<Value> = kinds("document_stored")
        .into_iter()
        .filter(|e| e["provenance"] == "counter_scan")
        .collect();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0]["component"], "application");
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_mismatched_or_missing_original_needs_a_note_and_sends_the_dossier_to_originals_mismatch()
{
    let app = TestApp::spawn().await;
    let (id, officer) = awaiting(&app).await;
    let (status, code) = error_code(
        decide(
            &app,
            &officer,
            &id,
            "charter",
            json!({"outcome": "mismatch"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    let (status, code) =
        error_code(decide(&app, &officer, &id, "charter", json!({"outcome": "forged"})).await)
            .await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    decide_ok(
        &app,
        &officer,
        &id,
        "charter",
        json!({"outcome": "mismatch", "note": "Điều lệ thiếu chữ ký thành viên"}),
    )
    .await;
    decide_ok(
        &app,
        &officer,
        &id,
        "members",
        json!({"outcome": "missing", "note": "Không mang"}),
    )
    .await;
    decide_ok(
        &app,
        &officer,
        &id,
        "application",
        json!({"outcome": "matches"}),
    )
    .await;
    let v = decide_ok(
        &app,
        &officer,
        &id,
        "identity",
        json!({"outcome": "matches"}),
    )
    .await;
    assert_eq!(v["status"], "ORIGINALS_MISMATCH");
    let d: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let reason = d["history"].as_array().unwrap().last().unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("charter: mismatch — Điều lệ thiếu chữ ký thành viên"),
        "{reason}"
    );
    assert!(reason.contains("members: missing — Không mang"), "{reason}");
    // Settled: no more decisions until the dossier awaits its originals again.
    let (status, code) = error_code(
        decide(
            &app,
            &officer,
            &id,
            "charter",
            json!({"outcome": "matches"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "not_awaiting_originals"));
}

#[tokio::test]
async fn scans_below_200_dpi_or_not_in_colour_are_refused_or_with_warn_recorded_with_the_problem() {
    let app = TestApp::spawn().await;
    let (id, officer) = awaiting(&app).await;
    for (name, problem) in [
        ("gray-300dpi.jpg", "not in colour"),
        ("a4-rgb-100dpi.jpg", "below 200"),
        ("rgb-no-dpi.jpg", "states no resolution"),
    ] {
        let r = upload(
            &app,
            &officer,
            &id,
            "application",
            &[(name, "image/jpeg", scan(name))],
        )
        .await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(body["error"]["code"], "scan_quality");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(problem),
            "{body}"
        );
    }
    // PDF scans: every page's image, against the page's size.
    let as_pdf = |name: &str| motcua::pdf::image::images_to_pdf(&[&scan(name)]).unwrap();
    for (pdf_bytes, problem) in [
        (as_pdf("gray-300dpi.jpg"), "page 1: not in colour"),
        (as_pdf("a4-rgb-100dpi.jpg"), "below 200"),
        (pdf("typed, not scanned"), "page 1: no scanned image"),
    ] {
        let r = upload(
            &app,
            &officer,
            &id,
            "application",
            &[("scan.pdf", "application/pdf", pdf_bytes)],
        )
        .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "scan_quality", "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(problem),
            "{body}"
        );
    }
    let r = upload(
        &app,
        &officer,
        &id,
        "members",
        &[("members.pdf", "application/pdf", as_pdf("rgb-300dpi.jpg"))],
    )
    .await;
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["warnings"], json!([]));
    let (status, code) = error_code(
        upload(
            &app,
            &officer,
            &id,
            "application",
            &[("chu-ky.p7s", "application/pkcs7-signature", p7s())],
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    let view: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{id}/originals"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["components"][0]["scans"],
        json!([]),
        "nothing recorded"
    );

    let lenient = TestApp::spawn_with(|s| {
        s.scan_quality = motcua::dossier::originals::ScanQuality::Warn;
    })
    .await;
    let (id, officer) = awaiting(&lenient).await;
    let r = upload(
        &lenient,
        &officer,
        &id,
        "identity",
        &[("cccd.jpg", "image/jpeg", scan("gray-300dpi.jpg"))],
    )
    .await;
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["scans"].as_array().unwrap().len(), 1);
    assert!(
        stored["warnings"][0]
            .as_str()
            .unwrap()
            .contains("not in colour"),
        "{stored}"
    );
}

#[tokio::test]
async fn only_officers_who_see_the_dossier_handle_its_originals_and_only_while_it_awaits_them() {
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
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let good = || vec![("goc.jpg", "image/jpeg", scan("rgb-300dpi.jpg"))];
    // Not yet accepted.
    let (status, code) = error_code(upload(&app, &officer, id, "application", &good()).await).await;
    assert_eq!((status, code.as_str()), (409, "not_awaiting_originals"));
    let (id, officer) = awaiting(&app).await;
    let (status, code) = error_code(upload(&app, &officer, &id, "passport", &good()).await).await;
    assert_eq!((status, code.as_str()), (422, "unknown_component"));
    // The owner sees the dossier but does not scan at the counter; strangers do not see it.
    let owner = app.business_token("0101234565").await;
    let (status, _) = error_code(upload(&app, &owner, &id, "application", &good()).await).await;
    assert_eq!(status, 403);
    let (status, _) = error_code(
        decide(
            &app,
            &owner,
            &id,
            "application",
            json!({"outcome": "matches"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    let stranger = app.business_token("0109999982").await;
    let (status, _) = error_code(upload(&app, &stranger, &id, "application", &good()).await).await;
    assert_eq!(status, 404);
    let r = app
        .get(&stranger, &format!("/api/v1/dossiers/{id}/originals"))
        .await;
    assert_eq!(error_code(r).await.0, 404);
}

#[tokio::test]
async fn a_decision_edited_or_deleted_behind_motcua_s_back_is_found_by_ledger_verify() {
    use sqlx::Executor as _;
    let app = TestApp::spawn().await;
    let (id, officer) = awaiting(&app).await;
    decide_ok(
        &app,
        &officer,
        &id,
        "charter",
        json!({"outcome": "mismatch", "note": "Sai tên công ty"}),
    )
    .await;
    assert!(crate::ledger::verify_app(&app).await.is_ok());
    let sql = |statement: String| {
        let url = app.settings.store.database_url.clone();
        async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            pool.execute(sqlx::AssertSqlSafe(statement)).await.unwrap();
            pool.close().await;
        }
    };
    // A mismatch quietly turned into a match.
    sql(format!(
        "UPDATE originals_checks SET outcome = 'matches', note = NULL WHERE dossier_id = '{id}'"
    ))
    .await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("does not match its log entry")),
        "{:?}",
        report.problems
    );
    sql(format!(
        "DELETE FROM originals_checks WHERE dossier_id = '{id}'"
    ))
    .await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("is missing (deleted)")),
        "{:?}",
        report.problems
    );
}
