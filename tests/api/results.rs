//! Results: an officer issues a signed result for a dossier; it is stored, logged and served,
//! verifiable by anyone on the public page (and by pyHanko, pdfsig and qpdf), never
//! overwritten, and revocable only as a new logged event.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::{TestApp, business_dossier, error_code, form, pdf};

async fn filed_dossier(app: &TestApp, tax_code: &str) -> (String, String) {
    let business = app.business_token(tax_code).await;
    let filed = app
        .submit_ok(
            &business,
            form(
                &business_dossier(tax_code),
                vec![("giay-de-nghi.pdf", "application/pdf", pdf("de nghi"))],
            ),
        )
        .await;
    (
        filed["id"].as_str().unwrap().to_owned(),
        filed["code"].as_str().unwrap().to_owned(),
    )
}

fn certificate_request() -> Value {
    json!({
        "kind": "business_registration",
        "fields": [
            ["Tên doanh nghiệp", "CÔNG TY TNHH MỘT THÀNH VIÊN ÁNH DƯƠNG"],
            ["Mã số doanh nghiệp", "0101234565"],
            ["Địa chỉ trụ sở chính", "Số 1 phố Láng Thượng, phường Láng Thượng, quận Đống Đa, Hà Nội"],
            ["Người đại diện theo pháp luật", "Nguyễn Thị Hồng Nhung"]
        ],
        "place": "Hà Nội"
    })
}

async fn issue(app: &TestApp, token: &str, dossier: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/dossiers/{dossier}/results")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn issue_ok(app: &TestApp, token: &str, dossier: &str) -> Value {
    let r = issue(app, token, dossier, &certificate_request()).await;
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/v1/results/{}", body["code"].as_str().unwrap()).as_str())
    );
    body
}

/// The public verification page's JSON answer for `code` (no token).
async fn public_verification(app: &TestApp, code: &str) -> Value {
    app.client
        .get(app.url(&format!("/verify/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn download(app: &TestApp, token: &str, code: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.get(token, &format!("/api/v1/results/{code}/pdf")).await;
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    (headers, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_officer_issues_a_signed_result_that_independent_validators_accept() {
    let app = TestApp::spawn().await;
    let (dossier, dossier_code) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let result = issue_ok(&app, &officer, &dossier).await;
    let code = result["code"].as_str().unwrap();
    assert_eq!(code, format!("{dossier_code}-KQ1"));
    assert_eq!(result["status"], "issued");
    assert_eq!(result["level"], "B-B");
    assert_eq!(
        result["verify_url"],
        app.url(&format!("/verify/{code}")).as_str()
    );

    let (headers, bytes) = download(&app, &officer, code).await;
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["etag"].to_str().unwrap(),
        format!("\"{}\"", result["sha256"].as_str().unwrap())
    );
    assert_eq!(crate::support::sha256_hex(&bytes), result["sha256"]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{code}.pdf"));
    std::fs::write(&path, &bytes).unwrap();
    crate::signing::assert_valid_everywhere(&path, &[], "INTACT:TRUSTED,UNTOUCHED", true);

    // What is printed: the codes, the agency, the Vietnamese text, and the signature block
    // with the +07:00 signing time.
    let (ok, text) = crate::signing::run(
        "pdftotext",
        &["-layout".as_ref(), path.as_os_str(), "-".as_ref()],
    );
    assert!(ok, "{text}");
    for expected in [
        code,
        dossier_code.as_str(),
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
        "Nguyễn Thị Hồng Nhung",
        "Ký bởi:",
        "+07:00",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is not printed:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_public_page_says_genuine_without_a_token_and_checks_uploads() {
    let app = TestApp::spawn().await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let result = issue_ok(&app, &officer, &dossier).await;
    let code = result["code"].as_str().unwrap();

    let page = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Văn bản này là thật"), "{html}");
    assert!(html.contains(code));
    assert!(html.contains("TOTAL_PASSED"), "{html}");
    // The applicant's data is not on the public page.
    assert!(!html.contains("0101234565"), "{html}");

    let as_json: Value = public_verification(&app, code).await;
    assert_eq!(as_json["verdict"], "genuine", "{as_json}");
    assert_eq!(as_json["report"]["indication"], "TOTAL_PASSED");

    // Uploading the issued file: genuine; a byte changed: not a result issued here, and the
    // signature fails.
    let (_, bytes) = download(&app, &officer, code).await;
    let check = |bytes: Vec<u8>| {
        let app = &app;
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("kq.pdf"),
            );
            let r = app
                .client
                .post(app.url("/verify"))
                .header("accept", "application/json")
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let genuine = check(bytes.clone()).await;
    assert_eq!(genuine["verdict"], "genuine", "{genuine}");
    assert_eq!(genuine["result"]["code"], code);
    let mut altered = bytes.clone();
    let at = altered.len() / 3;
    altered[at] ^= 0x01;
    let forged = check(altered).await;
    assert_eq!(forged["verdict"], "invalid", "{forged}");
    assert!(forged["result"].is_null());
    assert_ne!(forged["report"]["indication"], "TOTAL_PASSED");

    // An unknown code is a 404 page; the upload form is there for people.
    let missing = app
        .client
        .get(app.url("/verify/TEST-990101-0001-KQ1"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let form_page = app.client.get(app.url("/verify")).send().await.unwrap();
    assert_eq!(form_page.status(), 200);
    assert!(form_page.text().await.unwrap().contains("type=\"file\""));
    // In English for those who chose it.
    let html = app
        .client
        .get(app.url(&format!("/verify/{code}")))
        .header("cookie", "motcua-lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("This document is genuine"));
}

#[tokio::test]
async fn results_are_numbered_per_dossier_and_never_overwritten() {
    let app = TestApp::spawn().await;
    let (dossier, dossier_code) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    // Concurrent issues get consecutive numbers, none lost.
    let request = certificate_request();
    let issued =
        futures_util::future::join_all((0..4).map(|_| issue(&app, &officer, &dossier, &request)))
            .await;
    let mut codes = Vec::new();
    for r in issued {
        assert_eq!(r.status(), 201);
        codes.push(
            r.json::<Value>().await.unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    codes.sort();
    let expected: Vec<String> = (1..=4).map(|n| format!("{dossier_code}-KQ{n}")).collect();
    assert_eq!(codes, expected);

    let listed: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{dossier}/results"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    // Each is its own document, logged.
    let shas: std::collections::BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(shas.len(), 4);
    let entries: Value = app
        .get(&officer, "/api/v1/ledger/entries?start=0&end=100")
        .await
        .json()
        .await
        .unwrap();
    let issued_entries = entries.to_string().matches("result_issued").count();
    assert_eq!(issued_entries, 4, "{entries}");
}

#[tokio::test]
async fn revoking_is_a_logged_event_and_the_revoked_pdf_stays_retrievable() {
    let app = TestApp::spawn().await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let result = issue_ok(&app, &officer, &dossier).await;
    let code = result["code"].as_str().unwrap();
    let (_, before) = download(&app, &officer, code).await;

    let revoke = |reason: Value| {
        let app = &app;
        let officer = &officer;
        async move {
            app.client
                .post(app.url(&format!("/api/v1/results/{code}/revocation")))
                .bearer_auth(officer)
                .json(&reason)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        error_code(revoke(json!({"reason": "  "})).await).await,
        (422, "invalid_result".into())
    );
    let r = revoke(json!({"reason": "Cấp nhầm thông tin địa chỉ"})).await;
    assert_eq!(r.status(), 200);
    let revoked: Value = r.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        revoked["revocation"]["reason"],
        "Cấp nhầm thông tin địa chỉ"
    );
    assert!(
        revoked["revocation"]["ledger_index"].as_u64().unwrap()
            > result["ledger_index"].as_u64().unwrap()
    );
    assert_eq!(
        error_code(revoke(json!({"reason": "again"})).await).await,
        (409, "already_revoked".into())
    );

    // The same bytes, marked revoked.
    let (headers, after) = download(&app, &officer, code).await;
    assert_eq!(before, after);
    assert_eq!(headers["motcua-result-status"], "revoked");
    let public: Value = public_verification(&app, code).await;
    assert_eq!(public["verdict"], "revoked", "{public}");
    // The signature itself still verifies: revocation is the agency's decision, logged.
    assert_eq!(public["report"]["indication"], "TOTAL_PASSED");
}

#[tokio::test]
async fn only_officers_issue_and_applicants_see_only_their_own_results() {
    let app = TestApp::spawn().await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let owner = app.business_token("0101234565").await;
    let other = app.business_token("0312345673").await;
    let archivist = app.token(Role::Archivist).await;
    let officer = app.token(Role::Officer).await;

    for token in [&owner, &archivist] {
        assert_eq!(
            error_code(issue(&app, token, &dossier, &certificate_request()).await).await,
            (403, "forbidden".into())
        );
    }
    let result = issue_ok(&app, &officer, &dossier).await;
    let code = result["code"].as_str().unwrap();

    // The owner and staff read it; another business gets 404 for the result and its PDF.
    for token in [&owner, &archivist, &officer] {
        assert_eq!(
            app.get(token, &format!("/api/v1/results/{code}"))
                .await
                .status(),
            200
        );
    }
    for path in [
        format!("/api/v1/results/{code}"),
        format!("/api/v1/results/{code}/pdf"),
        format!("/api/v1/dossiers/{dossier}/results"),
    ] {
        assert_eq!(
            error_code(app.get(&other, &path).await).await.0,
            404,
            "{path}"
        );
    }
    // Without a token: 401 on the API.
    let anonymous = app
        .client
        .get(app.url(&format!("/api/v1/results/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn bad_issue_requests_get_clear_errors_and_issue_nothing() {
    let app = TestApp::spawn().await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let cases = [
        (
            json!({"kind": "marriage", "place": "Hà Nội"}),
            "invalid_result",
        ),
        (
            json!({"kind": "dossier_receipt", "place": ""}),
            "invalid_result",
        ),
        (
            json!({"kind": "dossier_receipt", "place": "Hà Nội", "due_date": "28/11/2026"}),
            "invalid_result",
        ),
        (
            json!({"kind": "business_registration", "place": "Hà Nội", "fields": [["Họ tên", "Nguyễn 中"]]}),
            "invalid_result",
        ),
        (
            json!({"kind": "dossier_receipt", "place": "Hà Nội", "extra": 1}),
            "invalid_json",
        ),
    ];
    for (body, code) in cases {
        let (status, got) = error_code(issue(&app, &officer, &dossier, &body).await).await;
        assert_eq!((status, got.as_str()), (422, code), "{body}");
    }
    let not_json = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{dossier}/results")))
        .bearer_auth(&officer)
        .body("kind=x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(not_json).await,
        (415, "unsupported_media_type".into())
    );
    let unknown = issue(
        &app,
        &officer,
        &uuid::Uuid::new_v4().to_string(),
        &certificate_request(),
    )
    .await;
    assert_eq!(error_code(unknown).await.0, 404);
    let listed: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{dossier}/results"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_receipt_with_its_due_date_is_issued_as_a_pades_b_t_result_with_a_timestamp() {
    let tsa = crate::signing::loopback_tsa();
    let app = TestApp::spawn_with(|s| s.issuer.tsa = Some(tsa.clone())).await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let r = issue(
        &app,
        &officer,
        &dossier,
        &json!({"kind": "dossier_receipt", "place": "Hà Nội", "due_date": "2026-12-04",
                "fields": [["Người nộp", "Nguyễn Văn An"]]}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["level"], "B-T");
    let (_, bytes) = download(&app, &officer, result["code"].as_str().unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, &bytes).unwrap();
    crate::signing::assert_valid_everywhere(
        &path,
        &[&format!("{}/root-ca.pem", crate::signing::PKI)],
        "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED",
        true,
    );
    let (ok, text) = crate::signing::run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(ok && text.contains("04/12/2026"), "{text}");
}

#[tokio::test]
async fn a_certified_copy_of_a_scan_in_the_dossier_is_issued_and_checked_like_any_result() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let scan = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scans/a4-rgb-100dpi.jpg"
    ))
    .unwrap();
    let filed = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("giay-de-nghi.pdf", "application/pdf", pdf("de nghi")),
                    ("ban-goc-scan.jpg", "image/jpeg", scan),
                ],
            ),
        )
        .await;
    let dossier = filed["id"].as_str().unwrap();
    let scan_id = filed["documents"][1]["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let r = issue(
        &app,
        &officer,
        dossier,
        &json!({"kind": "certified_copy", "document_id": scan_id}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let copy: Value = r.json().await.unwrap();
    assert_eq!(copy["kind"], "certified_copy");
    assert_eq!(copy["title"], "SAO Y: ban-goc-scan.jpg");
    let code = copy["code"].as_str().unwrap();

    let (_, bytes) = download(&app, &business, code).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sao-y.pdf");
    std::fs::write(&path, &bytes).unwrap();
    crate::signing::assert_valid_everywhere(&path, &[], "INTACT:TRUSTED,UNTOUCHED", true);
    let (ok, text) = crate::signing::run("pdftotext", &[path.as_os_str(), "-".as_ref()]);
    assert!(
        ok && text.contains("SAO Y") && text.contains("+07:00"),
        "{text}"
    );
    let public: Value = public_verification(&app, code).await;
    assert_eq!(public["verdict"], "genuine", "{public}");

    // Not a scan of this dossier: 404; no document named: 422.
    let other = filed_dossier(&app, "0101234565").await.0;
    let r = issue(
        &app,
        &officer,
        &other,
        &json!({"kind": "certified_copy", "document_id": scan_id}),
    )
    .await;
    assert_eq!(error_code(r).await.0, 404);
    let r = issue(&app, &officer, dossier, &json!({"kind": "certified_copy"})).await;
    assert_eq!(error_code(r).await, (422, "invalid_result".into()));
}

#[tokio::test]
async fn without_an_issuing_identity_issuing_answers_503_and_records_nothing() {
    let app = TestApp::spawn_with(|s| s.issuer.demo = false).await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let r = issue(&app, &officer, &dossier, &certificate_request()).await;
    assert_eq!(error_code(r).await, (503, "no_issuer".into()));
    let listed: Value = app
        .get(&officer, &format!("/api/v1/dossiers/{dossier}/results"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_configured_agency_identity_signs_and_the_agency_trust_store_judges_the_public_page() {
    let pki = crate::signing::PKI;
    let app = TestApp::spawn_with(|s| {
        s.issuer.demo = false;
        s.issuer.key = Some(format!("{pki}/signer-rsa.key.pem"));
        s.issuer.cert = Some(format!("{pki}/signer-rsa.pem").into());
        s.issuer.chain = Some(format!("{pki}/intermediate-ca.pem").into());
        s.issuer.name = Some("Sở Tư pháp thành phố Hà Nội".into());
        s.signatures.agency_trust = Some(format!("{pki}/root-ca.pem").into());
    })
    .await;
    let (dossier, _) = filed_dossier(&app, "0101234565").await;
    let officer = app.token(Role::Officer).await;
    let result = issue_ok(&app, &officer, &dossier).await;
    assert_eq!(result["agency"], "Sở Tư pháp thành phố Hà Nội");
    assert!(
        result["signer"]
            .as_str()
            .unwrap()
            .contains("MST:0106869738"),
        "{result}"
    );
    let code = result["code"].as_str().unwrap();
    let public: Value = public_verification(&app, code).await;
    assert_eq!(public["verdict"], "genuine", "{public}");
    let (_, bytes) = download(&app, &officer, code).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kq.pdf");
    std::fs::write(&path, &bytes).unwrap();
    crate::signing::assert_valid_everywhere(
        &path,
        &[&format!("{pki}/root-ca.pem")],
        "INTACT:TRUSTED,UNTOUCHED",
        true,
    );
}
