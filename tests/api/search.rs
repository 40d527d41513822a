//! Finding dossiers: by a document's SHA-256, by a result code, by agency, always within what
//! the caller may see.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::*;

async fn ids(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = app.get(token, &format!("/api/v1/dossiers?{query}")).await;
    assert_eq!(r.status(), 200, "{query}");
    let page: Value = r.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn dossiers_are_found_by_document_digest_result_code_and_agency() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let doc = pdf("the one to find");
    let a = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", doc.clone())],
            ),
        )
        .await;
    let citizen = app.citizen_token("001203004567").await;
    let b = app
        .submit_ok(
            &citizen,
            form(
                &json!({"procedure": "birth-registration",
                        "applicant": {"id_number": "001203004567", "name": "Nguyễn Thị Hoa"}}),
                vec![("b.pdf", "application/pdf", pdf("other"))],
            ),
        )
        .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let officer = app.token(Role::Officer).await;
    let issued: Value = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{b_id}/results")))
        .bearer_auth(&officer)
        .json(&json!({"kind": "birth_registration", "fields": [["Họ và tên", "An"]], "place": "Hà Nội"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result_code = issued["code"].as_str().unwrap();

    let archivist = app.token(Role::Archivist).await;
    let sha = sha256_hex(&doc);
    assert_eq!(
        ids(&app, &archivist, &format!("sha256={sha}")).await,
        [a_id]
    );
    assert_eq!(
        ids(&app, &archivist, &format!("sha256={}", sha.to_uppercase())).await,
        [a_id]
    );
    assert_eq!(
        ids(&app, &archivist, &format!("result_code={result_code}")).await,
        [b_id]
    );
    let agency = "Ủy ban nhân dân cấp xã";
    let encoded: String = url_encode(agency);
    assert_eq!(
        ids(&app, &archivist, &format!("agency={encoded}")).await,
        [b_id]
    );
    assert!(
        ids(&app, &archivist, "result_code=TEST-000000-0000-KQ1")
            .await
            .is_empty()
    );
    // Within what the caller may see: the citizen does not find the business's document.
    assert!(
        ids(&app, &citizen, &format!("sha256={sha}"))
            .await
            .is_empty()
    );
    let (status, code) = error_code(app.get(&archivist, "/api/v1/dossiers?sha256=xyz").await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_query"));
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
