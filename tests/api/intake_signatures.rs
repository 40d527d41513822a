//! Signatures at intake: a valid signature by the applicant waives the paper originals; any
//! other outcome requires them, with the reason; every report is stored and logged.

use motcua::auth::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");

/// A detached CMS signature (DER) over `data` by a signer of the test PKI, made by OpenSSL.
fn sign(signer: &str, data: &[u8]) -> Vec<u8> {
    crate::support::openssl_detached_signature(&format!("signer-{signer}"), data)
}

fn dossier_for(tax_code: &str) -> Value {
    json!({"procedure": "business-registration", "applicant": {"tax_code": tax_code, "name": "Công ty TNHH Mẫu"}})
}

fn signed_form(tax_code: &str, pdf_bytes: Vec<u8>, p7s: Vec<u8>) -> Form {
    form(
        &dossier_for(tax_code),
        vec![
            ("giay-de-nghi.pdf", "application/pdf", pdf_bytes),
            ("giay-de-nghi.pdf.p7s", "application/pkcs7-signature", p7s),
        ],
    )
}

#[tokio::test]
async fn a_valid_signature_by_the_applicant_waives_the_originals() {
    let app = TestApp::spawn().await;
    let token = app.business_token("0106869738").await;
    let doc = pdf("signed application");
    let d = app
        .submit_ok(
            &token,
            signed_form("0106869738", doc.clone(), sign("rsa", &doc)),
        )
        .await;
    assert_eq!(d["originals"], "waived", "{d}");
    assert!(d["originals_reason"].is_null());
    let s = &d["signatures"][0];
    assert_eq!(s["indication"], "TOTAL_PASSED");
    assert_eq!(s["signer_tax_code"], "0106869738");
    assert_eq!(s["signature_document_id"], d["documents"][1]["id"]);
    assert_eq!(s["signed_document_id"], d["documents"][0]["id"]);

    // The stored report reads back, for the owner only.
    let report: Value = app
        .get(&token, s["report_url"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["indication"], "TOTAL_PASSED");
    assert!(
        report["signatures"][0]["signer"]["subject"]
            .as_str()
            .unwrap()
            .contains("Công ty TNHH Mẫu")
    );
    let other = app.business_token("0100109106").await;
    let r = app.get(&other, s["report_url"].as_str().unwrap()).await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));

    // Read back, the dossier says the same; the log holds the verification.
    let again: Value = app
        .get(
            &token,
            &format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["originals"], "waived");
    assert_eq!(again["signatures"], d["signatures"]);
    let ledger = &app.state().ledger;
    let rows = ledger.entries(0, 10).await.unwrap();
    let entry: Value = rows
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.entry).unwrap())
        .find(|e| e["kind"] == "signature_verified")
        .expect("a signature_verified entry");
    assert_eq!(entry["indication"], "TOTAL_PASSED");
    assert_eq!(entry["report_sha256"], s["report_sha256"]);
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn originals_stay_required_with_the_reason() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let doc = pdf("application");
    let cases = [
        // (applicant, signer, signed bytes, expected indication, reason fragment)
        (
            "0100109106",
            "rsa",
            doc.clone(),
            "TOTAL_PASSED",
            "is not the applicant",
        ),
        (
            "0100109106",
            "revoked",
            doc.clone(),
            "TOTAL_FAILED",
            "REVOKED",
        ),
        (
            "0106869738",
            "rsa",
            pdf("another document"),
            "TOTAL_FAILED",
            "HASH_FAILURE",
        ),
        (
            "0106869738",
            "untrusted",
            doc.clone(),
            "INDETERMINATE",
            "NO_CERTIFICATE_CHAIN_FOUND",
        ),
        (
            "0100109106",
            "wrong-usage",
            doc.clone(),
            "INDETERMINATE",
            "SIG_CONSTRAINTS_FAILURE",
        ),
    ];
    for (applicant, signer, signed, indication, reason) in cases {
        let d = app
            .submit_ok(
                &officer,
                signed_form(applicant, doc.clone(), sign(signer, &signed)),
            )
            .await;
        assert_eq!(d["originals"], "required", "{signer}: {d}");
        assert_eq!(d["signatures"][0]["indication"], indication, "{signer}");
        assert!(
            d["originals_reason"].as_str().unwrap().contains(reason),
            "{signer}: {}",
            d["originals_reason"]
        );
    }
    let unsigned = app
        .submit_ok(
            &officer,
            form(
                &dossier_for("0106869738"),
                vec![("a.pdf", "application/pdf", pdf("x"))],
            ),
        )
        .await;
    assert_eq!(unsigned["originals"], "required");
    assert!(
        unsigned["originals_reason"]
            .as_str()
            .unwrap()
            .contains("no digitally signed file")
    );
    assert_eq!(unsigned["signatures"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_verify_endpoint_checks_without_filing() {
    let app = TestApp::spawn().await;
    let token = app.business_token("0106869738").await;
    let doc = pdf("check me");
    let verify = |f: Form| {
        let req = app
            .client
            .post(app.url("/api/v1/verify"))
            .bearer_auth(&token)
            .multipart(f);
        async move { req.send().await.unwrap() }
    };
    let ok = verify(
        Form::new()
            .part("file", Part::bytes(doc.clone()).file_name("a.pdf"))
            .part(
                "signature",
                Part::bytes(sign("ecdsa", &doc)).file_name("a.pdf.p7s"),
            ),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let report: Value = ok.json().await.unwrap();
    assert_eq!(report["indication"], "TOTAL_PASSED");
    assert_eq!(
        report["signatures"][0]["signer"]["tax_code"],
        "0106869738-012"
    );
    let bad = verify(
        Form::new()
            .part("file", Part::bytes(pdf("other")).file_name("a.pdf"))
            .part(
                "signature",
                Part::bytes(sign("ecdsa", &doc)).file_name("a.pdf.p7s"),
            ),
    )
    .await;
    let report: Value = bad.json().await.unwrap();
    assert_eq!(
        (
            report["indication"].as_str(),
            report["sub_indication"].as_str()
        ),
        (Some("TOTAL_FAILED"), Some("HASH_FAILURE"))
    );
    let pdf_only =
        verify(Form::new().part("file", Part::bytes(doc.clone()).file_name("a.pdf"))).await;
    assert_eq!(error_code(pdf_only).await, (422, "unverifiable".into()));
    let nothing = verify(Form::new().part("signature", Part::bytes(vec![1, 2, 3]))).await;
    assert_eq!(error_code(nothing).await, (422, "missing_part".into()));
    // Nothing was filed.
    let page: Value = app
        .get(&token, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_agency_trust_store_is_separate() {
    let doc = pdf("agency");
    let sig = sign("rsa", &doc);
    let verify_form = || {
        Form::new()
            .part("file", Part::bytes(doc.clone()).file_name("a.pdf"))
            .part("signature", Part::bytes(sig.clone()).file_name("a.pdf.p7s"))
    };
    // Without an agency store, asking for it is refused; with one, it is used.
    let app = TestApp::spawn().await;
    let token = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url("/api/v1/verify?trust=agency"))
        .bearer_auth(&token)
        .multipart(verify_form())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (422, "unverifiable".into()));
    let r = app
        .client
        .post(app.url("/api/v1/verify?trust=nonsense"))
        .bearer_auth(&token)
        .multipart(verify_form())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));

    let agency = TestApp::spawn_with(|s| {
        s.signatures.business_trust = None;
        s.signatures.agency_trust = Some(format!("{PKI}/root-ca.pem").into());
    })
    .await;
    let token = agency.token(Role::Officer).await;
    let r = agency
        .client
        .post(agency.url("/api/v1/verify?trust=agency"))
        .bearer_auth(&token)
        .multipart(verify_form())
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["indication"], "TOTAL_PASSED", "{report}");
    // The business store (empty here) does not trust it.
    let r = agency
        .client
        .post(agency.url("/api/v1/verify"))
        .bearer_auth(&token)
        .multipart(verify_form())
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        report["sub_indication"], "NO_CERTIFICATE_CHAIN_FOUND",
        "{report}"
    );
}
