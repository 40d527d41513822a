//! Authentication and the foundation's access rules.

use motcua::auth::Role;

use crate::support::*;

#[tokio::test]
async fn every_api_call_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/dossiers", "/api/v1/procedures", "/api/v1/me"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"motcua\"");
        assert_eq!(error_code(r).await, (401, "missing_token".into()), "{path}");
        let r = app.get("mct_not-a-real-token", path).await;
        assert_eq!(error_code(r).await, (401, "invalid_token".into()), "{path}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (401, "invalid_token".into()));
    let r = app
        .client
        .post(app.url("/api/v1/dossiers"))
        .multipart(form(
            &business_dossier("0101234567"),
            vec![("a.pdf", "application/pdf", pdf("a"))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (401, "missing_token".into()));
}

#[tokio::test]
async fn a_business_never_sees_another_business_dossier() {
    let app = TestApp::spawn().await;
    let mine = app.business_token("0101234567").await;
    let theirs = app.business_token("0107654321").await;
    let officer = app.token(Role::Officer).await;
    let d = app
        .submit_ok(
            &theirs,
            form(
                &business_dossier("0107654321"),
                vec![("a.pdf", "application/pdf", pdf("theirs"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap();
    let doc = d["documents"][0]["id"].as_str().unwrap();

    for path in [
        format!("/api/v1/dossiers/{id}"),
        format!("/api/v1/documents/{doc}"),
        format!("/api/v1/documents/{doc}/content"),
    ] {
        assert_eq!(
            error_code(app.get(&mine, &path).await).await,
            (404, "not_found".into()),
            "{path}"
        );
        assert_eq!(app.get(&theirs, &path).await.status(), 200, "{path}");
        assert_eq!(app.get(&officer, &path).await.status(), 200, "{path}");
    }
    // Listings are confined too, even when asking for the other tax code.
    let page: serde_json::Value = app
        .get(&mine, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let page: serde_json::Value = app
        .get(&mine, "/api/v1/dossiers?tax_code=0107654321")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let page: serde_json::Value = app
        .get(&theirs, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_business_files_only_for_itself_and_an_archivist_not_at_all() {
    let app = TestApp::spawn().await;
    let mine = app.business_token("0101234567").await;
    let r = app
        .submit(
            &mine,
            form(
                &business_dossier("0107654321"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let archivist = app.token(Role::Archivist).await;
    let r = app
        .submit(
            &archivist,
            form(
                &business_dossier("0101234567"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let citizen = app.citizen_token("001203004567").await;
    let r = app
        .submit(
            &citizen,
            form(
                &business_dossier("0101234567"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    // A citizen cannot file for a business.
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    // And a business applicant cannot use a citizen's procedure, whoever files it.
    let officer = app.token(Role::Officer).await;
    let birth = serde_json::json!({"procedure": "birth-registration", "applicant": {"tax_code": "0101234567", "name": "X"}});
    let r = app
        .submit(
            &officer,
            form(&birth, vec![("a.pdf", "application/pdf", pdf("a"))]),
        )
        .await;
    assert_eq!(error_code(r).await, (422, "applicant_not_eligible".into()));
}

#[tokio::test]
async fn the_token_tells_who_you_are() {
    let app = TestApp::spawn().await;
    let t = app.business_token("0101234567").await;
    let me: serde_json::Value = app.get(&t, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["role"], "business");
    assert_eq!(me["tax_code"], "0101234567");
    let procedures: serde_json::Value = app
        .get(&t, "/api/v1/procedures")
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = procedures
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for c in [
        "business-registration",
        "birth-registration",
        "permanent-residence",
        "health-insurance-card",
    ] {
        assert!(codes.contains(&c), "{c}");
    }
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let secret = app.token(Role::Admin).await;
    if backend() == Backend::Embedded {
        let db = std::fs::read(app.data_dir().join("motcua.db")).unwrap();
        let wal = std::fs::read(app.data_dir().join("motcua.db-wal")).unwrap_or_default();
        for bytes in [db, wal] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }
    // And the hash, not the token, finds it.
    let hash = motcua::auth::hash_token(&secret).to_hex();
    let row = app.state().db.find_token(&hash).await.unwrap().unwrap();
    assert_eq!(row.role, "admin");
}
