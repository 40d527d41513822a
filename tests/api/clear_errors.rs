//! Every bad input gets a clear error, the same wherever it enters (issue 13, finding 7 and what
//! a newcomer tripped on): a tax code with a wrong check digit is refused at intake, by the token
//! API and command line, and on a result; token texts are bounded and the command line refuses
//! the agencies the API refuses; errors never echo a megabyte back; a file name that is not
//! UTF-8 is called that; the OpenAPI document says which endpoints are public.

use motcua::auth::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

async fn post_json(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn error_of(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A dossier filed by the business 0101234565.
async fn filed_by_a_business(app: &TestApp) -> Value {
    let business = app.business_token("0101234565").await;
    app.submit_ok(
        &business,
        form(
            &business_dossier("0101234565"),
            vec![("a.pdf", "application/pdf", pdf("a"))],
        ),
    )
    .await
}

/// The certificate the review found was issued for 0101234567, whose check digit should be 5.
const WRONG_CHECK_DIGIT: &str = "0101234567";

#[tokio::test]
async fn a_tax_code_with_a_wrong_check_digit_is_refused_wherever_it_enters() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let admin = app.token(Role::Admin).await;

    // Intake, at the counter.
    let r = app
        .submit(
            &officer,
            form(
                &business_dossier(WRONG_CHECK_DIGIT),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "invalid_field"), "{message}");
    assert!(message.contains("should be 5"), "{message}");

    // The token API.
    let r = post_json(
        &app,
        &admin,
        "/api/v1/tokens",
        &json!({"role": "business", "tax_code": WRONG_CHECK_DIGIT}),
    )
    .await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "invalid_token_request"));
    assert!(message.contains("should be 5"), "{message}");

    // The command line.
    let out = binary()
        .args([
            "token",
            "create",
            "--role",
            "business",
            "--tax-code",
            WRONG_CHECK_DIGIT,
        ])
        .args(store_args(&app.settings))
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("should be 5"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A result that prints it.
    let filed = filed_by_a_business(&app).await;
    let r = post_json(
        &app,
        &officer,
        &format!("/api/v1/dossiers/{}/results", filed["id"].as_str().unwrap()),
        &json!({"kind": "business_registration", "place": "Hà Nội",
                "fields": [["Mã số doanh nghiệp", WRONG_CHECK_DIGIT]]}),
    )
    .await;
    let (status, code, message) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "invalid_result"),
        "{message}"
    );
    assert!(message.contains("should be 5"), "{message}");

    // Searching for one recorded before the rule is still possible.
    let r = app
        .get(
            &officer,
            &format!("/api/v1/dossiers?tax_code={WRONG_CHECK_DIGIT}"),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn token_texts_are_bounded_and_the_command_line_refuses_the_agencies_the_api_refuses() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let r = post_json(
        &app,
        &admin,
        "/api/v1/tokens",
        &json!({"role": "officer", "name": "n".repeat(100_000)}),
    )
    .await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "invalid_token_request"));
    assert!(message.contains("at most 200 characters"), "{message}");

    for agency in ["Sở Mặt Trăng", "Công an cấp xã"] {
        let api = post_json(
            &app,
            &admin,
            "/api/v1/tokens",
            &json!({"role": "officer", "agency": agency}),
        )
        .await;
        let cli = binary()
            .args(["token", "create", "--role", "officer", "--agency", agency])
            .args(store_args(&app.settings))
            .output()
            .await
            .unwrap();
        if api.status() == 201 {
            assert!(cli.status.success(), "{agency}: {cli:?}");
            let stdout = String::from_utf8_lossy(&cli.stdout);
            assert!(stdout.contains("created an officer token"), "{stdout}");
        } else {
            assert_eq!(error_of(api).await.1, "invalid_token_request");
            assert!(!cli.status.success(), "{agency}: the CLI accepted it");
            assert!(
                String::from_utf8_lossy(&cli.stderr).contains("handles no procedure"),
                "{cli:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_error_never_echoes_a_megabyte_back() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let huge = "p".repeat(1 << 20);
    let form = Form::new()
        .part(
            "dossier",
            Part::text(business_dossier("0101234565").to_string()),
        )
        .part(huge, Part::bytes(pdf("a")).file_name("a.pdf"));
    let r = app.submit(&officer, form).await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "unexpected_part"));
    assert!(
        message.chars().count() <= 601,
        "{} characters",
        message.len()
    );

    // A JSON body far beyond any request's size is refused as such.
    let admin = app.token(Role::Admin).await;
    let r = post_json(
        &app,
        &admin,
        "/api/v1/tokens",
        &json!({"role": "officer", "name": "n".repeat(1 << 20)}),
    )
    .await;
    assert_eq!(error_of(r).await.1, "request_too_large");
}

#[tokio::test]
async fn a_file_name_that_is_not_utf8_is_called_that() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let declaration = business_dossier("0101234565").to_string();
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--x\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\
             Content-Type: application/json\r\n\r\n{declaration}\r\n\
             --x\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
        )
        .as_bytes(),
    );
    body.extend_from_slice(b"gi\xe1y.pdf");
    body.extend_from_slice(b"\"\r\nContent-Type: application/pdf\r\n\r\n");
    body.extend_from_slice(&pdf("a"));
    body.extend_from_slice(b"\r\n--x--\r\n");
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&officer)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "invalid_filename"),
        "{message}"
    );
    assert!(message.contains("not UTF-8"), "{message}");
}

#[tokio::test]
async fn a_file_that_is_neither_pdf_nor_signature_is_told_so_in_plain_words() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url("/api/v1/verify"))
        .bearer_auth(&officer)
        .multipart(Form::new().part("file", Part::bytes(b"hello, world".to_vec())))
        .send()
        .await
        .unwrap();
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "unverifiable"));
    assert!(message.contains("neither a signed PDF nor"), "{message}");
    assert!(
        !message.contains("ASN.1") && !message.contains("DER"),
        "{message}"
    );
}

#[tokio::test]
async fn approving_a_disposal_nobody_asked_for_says_so() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (business, _) = crate::disposal::imported(&app, dir.path()).await;
    let admin = app.token(Role::Admin).await;
    let r = crate::disposal::post(
        &app,
        &admin,
        &format!(
            "/api/v1/dossiers/{}/disposal/approval",
            business["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    let (status, code, message) = error_of(r).await;
    assert_eq!((status, code.as_str()), (409, "no_disposal_request"));
    assert!(message.contains("no disposal of this dossier was requested"));
}

#[tokio::test]
async fn the_openapi_document_says_which_endpoints_are_public() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    for (path, method) in [
        ("/verify", "get"),
        ("/verify", "post"),
        ("/verify/{code}", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
        assert!(
            security(path, method).is_null(),
            "{method} {path} needs no token"
        );
    }
    assert_eq!(
        security("/api/v1/dossiers", "post"),
        json!([{"bearer": []}, {"session": []}])
    );
    assert!(
        !doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("Every endpoint needs")
    );
}

#[tokio::test]
async fn a_trust_store_that_does_not_exist_is_not_called_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.pdf");
    std::fs::write(&file, pdf("a")).unwrap();
    let out = binary()
        .args(["verify", "--trust", "/nonexistent/roots.pem"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot read /nonexistent/roots.pem"),
        "{stderr}"
    );
    assert!(!stderr.contains("malformed"), "{stderr}");
}

#[tokio::test]
async fn the_public_page_shows_times_in_vietnam_time_as_the_pdf_prints_them() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let filed = filed_by_a_business(&app).await;
    let r = post_json(
        &app,
        &officer,
        &format!("/api/v1/dossiers/{}/results", filed["id"].as_str().unwrap()),
        &json!({"kind": "business_registration", "place": "Hà Nội",
                "fields": [["Mã số doanh nghiệp", "0101234565"]]}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let issued: Value = r.json().await.unwrap();
    let page = app
        .client
        .get(app.url(&format!("/verify/{}", issued["code"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let utc = motcua::timestamp::Timestamp::parse(issued["issued_at"].as_str().unwrap()).unwrap();
    let local = utc
        .as_offset_date_time()
        .to_offset(motcua::timestamp::VIETNAM);
    let shown = format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute()
    );
    assert!(page.contains(&shown), "{shown} in {page}");
    assert!(page.contains("(UTC+07:00)"), "{page}");
    assert!(
        !page.contains(issued["issued_at"].as_str().unwrap()),
        "{page}"
    );
}
