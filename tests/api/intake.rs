//! Submitting dossiers: what is accepted, what comes back, and every refusal with its code.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_business_submits_a_dossier_and_gets_its_code_and_documents() {
    let app = TestApp::spawn().await;
    let token = app.business_token("0101234565").await;
    let pdf = pdf("application form");
    let body = app
        .submit_ok(
            &token,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("don-dang-ky.pdf", "application/pdf", pdf.clone()),
                    ("chu-ky.p7s", "application/pkcs7-signature", p7s()),
                    ("cccd.png", "image/png", png()),
                    ("anh.jpg", "image/jpeg", jpeg()),
                ],
            ),
        )
        .await;
    // The technical checks passed: received, with the official receipt time.
    assert_eq!(body["status"], "RECEIVED");
    assert_eq!(body["received_at"], body["submitted_at"]);
    assert_eq!(body["procedure"], "business-registration");
    assert_eq!(body["applicant"]["tax_code"], "0101234565");
    let code = body["code"].as_str().unwrap();
    let parts: Vec<&str> = code.split('-').collect();
    assert_eq!(parts.len(), 3, "{code}");
    assert_eq!(parts[0], "TEST");
    assert_eq!(parts[1].len(), 6);
    assert_eq!(parts[2], "0001");
    let docs = body["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0]["filename"], "don-dang-ky.pdf");
    assert_eq!(docs[0]["media_type"], "application/pdf");
    assert_eq!(docs[0]["size"], pdf.len());
    assert_eq!(docs[0]["sha256"], sha256_hex(&pdf));
    assert_eq!(docs[1]["media_type"], "application/pkcs7-signature");
    assert_eq!(docs[2]["media_type"], "image/png");
    assert_eq!(docs[3]["media_type"], "image/jpeg");

    // Read back.
    let id = body["id"].as_str().unwrap();
    let r = app.get(&token, &format!("/api/v1/dossiers/{id}")).await;
    assert_eq!(r.status(), 200);
    let again: serde_json::Value = r.json().await.unwrap();
    assert_eq!(again["code"], code);
    assert_eq!(again["documents"], body["documents"]);
    assert_eq!(again["title"], "Đăng ký thành lập doanh nghiệp");
}

#[tokio::test]
async fn a_citizen_files_with_an_id_number() {
    let app = TestApp::spawn().await;
    let token = app.citizen_token("001203004567").await;
    let dossier = json!({
        "procedure": "birth-registration",
        "applicant": {"id_number": "001203004567", "name": "Nguyễn Văn A"},
        "contact": {"phone": "0912345678"},
        "data": {"child_name": "Nguyễn Văn B", "born": "2026-11-20"}
    });
    let body = app
        .submit_ok(
            &token,
            form(&dossier, vec![("to-khai.pdf", "application/pdf", pdf("x"))]),
        )
        .await;
    assert_eq!(body["applicant"]["kind"], "citizen");
    assert_eq!(body["applicant"]["id_number"], "001203004567");
    assert_eq!(body["details"]["data"]["child_name"], "Nguyễn Văn B");
}

#[tokio::test]
async fn identical_bytes_are_stored_once() {
    let app = TestApp::spawn().await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let same = pdf("same");
    let a = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", same.clone())],
            ),
        )
        .await;
    let b = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0107654326"),
                vec![("b.pdf", "application/pdf", same.clone())],
            ),
        )
        .await;
    assert_eq!(a["documents"][0]["sha256"], b["documents"][0]["sha256"]);
    assert_ne!(a["documents"][0]["id"], b["documents"][0]["id"]);
    if backend() == Backend::Embedded {
        let objects = walk_files(&app.data_dir().join("objects/objects"));
        assert_eq!(objects.len(), 1, "{objects:?}");
    } else {
        let sha =
            motcua::storage::Sha256Digest::from_hex(a["documents"][0]["sha256"].as_str().unwrap())
                .unwrap();
        assert_eq!(
            app.state().store.size(&sha).await.unwrap(),
            Some(same.len() as u64)
        );
    }
}

pub fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn refused(app: &TestApp, token: &str, form: Form) -> (u16, String) {
    error_code(app.submit(token, form).await).await
}

#[tokio::test]
async fn refusals_carry_status_and_stable_codes() {
    let app = TestApp::spawn().await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let ok = business_dossier("0101234565");
    let good_pdf = || ("a.pdf", "application/pdf", pdf("a"));

    // Missing parts and fields: 422.
    let only_files = Form::new().part("file", Part::bytes(pdf("a")).file_name("a.pdf"));
    assert_eq!(
        refused(&app, &officer, only_files).await,
        (422, "missing_part".into())
    );
    assert_eq!(
        refused(&app, &officer, form(&ok, vec![])).await,
        (422, "missing_part".into())
    );
    let no_applicant = json!({"procedure": "business-registration"});
    assert_eq!(
        refused(&app, &officer, form(&no_applicant, vec![good_pdf()])).await,
        (422, "invalid_dossier".into())
    );
    let not_json = Form::new()
        .part("dossier", Part::text("{not json"))
        .part("file", Part::bytes(pdf("a")).file_name("a.pdf"));
    assert_eq!(
        refused(&app, &officer, not_json).await,
        (422, "invalid_dossier".into())
    );
    let bad_tax = json!({"procedure": "business-registration", "applicant": {"tax_code": "12AB", "name": "X"}});
    assert_eq!(
        refused(&app, &officer, form(&bad_tax, vec![good_pdf()])).await,
        (422, "invalid_field".into())
    );
    let unknown =
        json!({"procedure": "moon-landing", "applicant": {"tax_code": "0101234565", "name": "X"}});
    assert_eq!(
        refused(&app, &officer, form(&unknown, vec![good_pdf()])).await,
        (422, "unknown_procedure".into())
    );
    let no_name = Form::new()
        .part("dossier", Part::text(ok.to_string()))
        .part("file", Part::bytes(pdf("a")));
    assert_eq!(
        refused(&app, &officer, no_name).await,
        (422, "missing_filename".into())
    );
    let stray = form(&ok, vec![good_pdf()]).part("extra", Part::text("?"));
    assert_eq!(
        refused(&app, &officer, stray).await,
        (422, "unexpected_part".into())
    );
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("empty.pdf", "application/pdf", vec![])])
        )
        .await,
        (422, "empty_file".into())
    );

    // Unsupported or mislabelled content: 415.
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("a.txt", "text/plain", b"hello".to_vec())])
        )
        .await,
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        refused(
            &app,
            &officer,
            form(
                &ok,
                vec![(
                    "a.bin",
                    "application/octet-stream",
                    b"MZ\x90\0 not ours".to_vec()
                )]
            )
        )
        .await,
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("photo.pdf", "application/pdf", png())])
        )
        .await,
        (415, "media_type_mismatch".into())
    );
    assert_eq!(
        refused(
            &app,
            &officer,
            form(
                &ok,
                vec![("scan.png", "application/octet-stream", pdf("a"))]
            )
        )
        .await,
        (415, "media_type_mismatch".into())
    );
    let fake_pdf = b"%PDF-1.7\nthis is not a PDF at all\n".to_vec();
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("fake.pdf", "application/pdf", fake_pdf)])
        )
        .await,
        (415, "invalid_pdf".into())
    );
    let mut truncated = pdf("t");
    truncated.truncate(truncated.len() - 30);
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("cut.pdf", "application/pdf", truncated)])
        )
        .await,
        (415, "invalid_pdf".into())
    );

    // Malformed multipart: 400.
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&officer)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\r\n{}\r\n--XY")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (400, "malformed_multipart".into()));
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .bearer_auth(&officer)
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (400, "malformed_multipart".into()));

    // Nothing of the above was recorded.
    let r = app.get(&officer, "/api/v1/dossiers").await;
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "{page}");
}

#[tokio::test]
async fn size_limits_per_file_and_per_request_answer_413() {
    let app = TestApp::spawn_with(|s| {
        s.limits.max_file_size = 64 * 1024;
        s.limits.max_request_size = 100 * 1024;
    })
    .await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let ok = business_dossier("0101234565");
    let big = |n: usize| {
        let mut v = png();
        v.resize(n, 0);
        v
    };
    assert_eq!(
        refused(
            &app,
            &officer,
            form(&ok, vec![("big.png", "image/png", big(65 * 1024))])
        )
        .await,
        (413, "file_too_large".into())
    );
    assert_eq!(
        refused(
            &app,
            &officer,
            form(
                &ok,
                vec![
                    ("a.png", "image/png", big(60 * 1024)),
                    ("b.png", "image/png", big(60 * 1024))
                ]
            )
        )
        .await
        .0,
        413
    );
    // Just under the limits is fine.
    app.submit_ok(
        &officer,
        form(&ok, vec![("a.png", "image/png", big(64 * 1024))]),
    )
    .await;
}

#[tokio::test]
async fn codes_count_up_per_unit_and_day() {
    let app = TestApp::spawn().await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let mut codes = Vec::new();
    for i in 0..3 {
        let b = app
            .submit_ok(
                &officer,
                form(
                    &business_dossier("0101234565"),
                    vec![("a.pdf", "application/pdf", pdf(&i.to_string()))],
                ),
            )
            .await;
        codes.push(b["code"].as_str().unwrap().to_owned());
    }
    let seqs: Vec<&str> = codes
        .iter()
        .map(|c| c.rsplit('-').next().unwrap())
        .collect();
    assert_eq!(seqs, ["0001", "0002", "0003"]);
}
