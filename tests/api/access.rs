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
            &business_dossier("0101234565"),
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
    let mine = app.business_token("0101234565").await;
    let theirs = app.business_token("0107654326").await;
    let officer = app.token(Role::Officer).await;
    let d = app
        .submit_ok(
            &theirs,
            form(
                &business_dossier("0107654326"),
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
        .get(&mine, "/api/v1/dossiers?tax_code=0107654326")
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
    let mine = app.business_token("0101234565").await;
    let r = app
        .submit(
            &mine,
            form(
                &business_dossier("0107654326"),
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
                &business_dossier("0101234565"),
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
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    // A citizen cannot file for a business.
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    // And a business applicant cannot use a citizen's procedure, whoever files it.
    let officer = app.token(Role::Officer).await;
    let birth = serde_json::json!({"procedure": "birth-registration", "applicant": {"tax_code": "0101234565", "name": "X"}});
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
    let t = app.business_token("0101234565").await;
    let me: serde_json::Value = app.get(&t, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["role"], "business");
    assert_eq!(me["tax_code"], "0101234565");
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
    let row = app
        .state()
        .dossiers
        .db()
        .find_token(&hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.role, "admin");
}

/// Every endpoint that names a dossier, or something in one, driven with every kind of caller:
/// the owner and staff who may see it get an answer; other applicants, officers of other
/// agencies and guessed ids get 404, never a hint that the thing exists; roles that see it but
/// may not act get 403.
#[tokio::test]
async fn every_endpoint_with_every_role_answers_404_where_the_caller_may_not_know() {
    use serde_json::{Value, json};
    let app = TestApp::spawn().await;
    let business_agency = "Phòng Đăng ký kinh doanh, Sở Kế hoạch và Đầu tư";
    let owner = app.business_token("0106869738").await;
    let doc = pdf("signed application");
    let signature = openssl_detached_signature("signer-rsa", &doc);
    let d = app
        .submit_ok(
            &owner,
            form(
                &json!({"procedure": "business-registration",
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
    let id = d["id"].as_str().unwrap().to_owned();
    let document = d["documents"][0]["id"].as_str().unwrap().to_owned();
    let report = d["signatures"][0]["id"].as_str().unwrap().to_owned();
    let staff = |agency: Option<&str>| {
        let app = &app;
        let agency = agency.map(str::to_owned);
        async move {
            motcua::app::create_token(
                app.state().dossiers.db(),
                &motcua::auth::NewToken {
                    role: Role::Officer,
                    tax_code: None,
                    id_number: None,
                    agency,
                    name: Some("officer".into()),
                    branches: false,
                    unit: None,
                },
            )
            .await
            .unwrap()
        }
    };
    let counter = staff(None).await;
    let registrar = staff(Some(business_agency)).await;
    let commune = staff(Some("Ủy ban nhân dân cấp xã")).await;
    let issued = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/results")))
        .bearer_auth(&registrar)
        .json(&json!({"kind": "business_registration", "fields": [["Mã số doanh nghiệp", "0106869738"]], "place": "Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let code = issued.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();

    let callers = [
        ("owner", owner.clone(), true, false),
        (
            "another business",
            app.business_token("0109999982").await,
            false,
            false,
        ),
        (
            "a citizen",
            app.citizen_token("001203004567").await,
            false,
            false,
        ),
        ("the one-stop counter", counter, true, true),
        ("the registrar's officer", registrar, true, true),
        ("another agency's officer", commune.clone(), false, true),
        (
            "an archivist",
            app.token(Role::Archivist).await,
            true,
            false,
        ),
        ("an admin", app.token(Role::Admin).await, true, false),
    ];
    let reads = [
        format!("/api/v1/dossiers/{id}"),
        format!("/api/v1/dossiers/{id}/originals"),
        format!("/api/v1/documents/{document}"),
        format!("/api/v1/documents/{document}/content"),
        format!("/api/v1/documents/{document}/proof"),
        format!("/api/v1/signature-reports/{report}"),
        format!("/api/v1/dossiers/{id}/results"),
        format!("/api/v1/results/{code}"),
        format!("/api/v1/results/{code}/pdf"),
    ];
    let guessed = uuid::Uuid::new_v4();
    let guesses = [
        format!("/api/v1/dossiers/{guessed}"),
        format!("/api/v1/dossiers/{guessed}/originals"),
        format!("/api/v1/documents/{guessed}"),
        format!("/api/v1/documents/{guessed}/content"),
        format!("/api/v1/signature-reports/{guessed}"),
        format!("/api/v1/dossiers/{guessed}/results"),
        format!("/api/v1/results/{}-KQ9", d["code"].as_str().unwrap()),
    ];
    for (who, token, sees, officer) in &callers {
        for path in &reads {
            let status = app.get(token, path).await.status().as_u16();
            let expected = if *sees { 200 } else { 404 };
            assert_eq!(status, expected, "{who} GET {path}");
        }
        for path in &guesses {
            let r = app.get(token, path).await;
            assert_eq!(error_code(r).await.0, 404, "{who} GET {path}");
        }
        // Moving it: an illegal move for those who see it (nothing changes), 404 otherwise.
        let r = app
            .client
            .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
            .bearer_auth(token)
            .json(&json!({"to": "RETURNED"}))
            .send()
            .await
            .unwrap();
        let expected = if *sees { 409 } else { 404 };
        assert_eq!(error_code(r).await.0, expected, "{who} moves it");
        // Revoking: officers only; 404 for those who do not see it, 403 for the others who do.
        let r = app
            .client
            .post(app.url(&format!("/api/v1/results/{code}/revocation")))
            .bearer_auth(token)
            .json(&json!({"reason": ""}))
            .send()
            .await
            .unwrap();
        let (status, _) = error_code(r).await;
        let expected = match (officer, sees) {
            (_, false) => 404,
            (false, true) => 403,
            (true, true) => 422, // seen, but the empty reason is refused: nothing revoked
        };
        assert_eq!(status, expected, "{who} revokes it");
        // Listings only ever show what the caller may see.
        let list: Value = app
            .get(token, "/api/v1/dossiers")
            .await
            .json()
            .await
            .unwrap();
        let listed = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"] == id.as_str());
        assert_eq!(listed, *sees, "{who} lists it");
    }
    // The other agency's deadline list is its own.
    let list: Value = app
        .get(&commune, "/api/v1/deadlines?within=60&agency=x")
        .await
        .json()
        .await
        .unwrap();
    assert!(list["agencies"].as_array().unwrap().is_empty(), "{list}");
}

/// A business token created with branches sees, and files for, the dossiers of its branches and
/// dependent units (`<tax code>-NNN`); without, or the other way round, they stay invisible.
#[tokio::test]
async fn a_business_with_branches_sees_its_branches_dossiers_and_no_one_else_s() {
    use serde_json::Value;
    let app = TestApp::spawn().await;
    let parent = motcua::app::create_token(
        app.state().dossiers.db(),
        &motcua::auth::NewToken {
            role: Role::Business,
            tax_code: Some(motcua::dossier::TaxCode::parse("0101234565").unwrap()),
            id_number: None,
            agency: None,
            name: Some("head office".into()),
            branches: true,
            unit: None,
        },
    )
    .await
    .unwrap();
    let parent_alone = app.business_token("0101234565").await;
    let branch = app.business_token("0101234565-001").await;
    let from_branch = app
        .submit_ok(
            &branch,
            form(
                &business_dossier("0101234565-001"),
                vec![("a.pdf", "application/pdf", pdf("branch"))],
            ),
        )
        .await;
    let from_parent = app
        .submit_ok(
            &parent,
            form(
                &business_dossier("0101234565-002"),
                vec![("b.pdf", "application/pdf", pdf("filed for a branch"))],
            ),
        )
        .await;
    let own = app
        .submit_ok(
            &parent,
            form(
                &business_dossier("0101234565"),
                vec![("c.pdf", "application/pdf", pdf("head office"))],
            ),
        )
        .await;
    let other = app.business_token("0101234572-001").await;
    let path = |d: &Value| format!("/api/v1/dossiers/{}", d["id"].as_str().unwrap());
    assert_eq!(app.get(&parent, &path(&from_branch)).await.status(), 200);
    assert_eq!(app.get(&parent, &path(&from_parent)).await.status(), 200);
    assert_eq!(
        app.get(&parent_alone, &path(&from_branch)).await.status(),
        404
    );
    assert_eq!(app.get(&branch, &path(&own)).await.status(), 404);
    assert_eq!(app.get(&other, &path(&from_branch)).await.status(), 404);
    let listed = |token: &str, query: &str| {
        let app = &app;
        let url = format!("/api/v1/dossiers{query}");
        let token = token.to_owned();
        async move {
            let list: Value = app.get(&token, &url).await.json().await.unwrap();
            list["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(listed(&parent, "").await, 3);
    assert_eq!(listed(&parent, "?tax_code=0101234565-001").await, 1);
    assert_eq!(listed(&parent_alone, "").await, 1);
    assert_eq!(listed(&parent_alone, "?tax_code=0101234565-001").await, 0);
    assert_eq!(listed(&branch, "").await, 1);
    // Without branches, filing for one is refused.
    let r = app
        .submit(
            &parent_alone,
            form(
                &business_dossier("0101234565-001"),
                vec![("d.pdf", "application/pdf", pdf("no"))],
            ),
        )
        .await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
}

/// Administrators manage tokens over the API: created (shown once), usable at once, revoked
/// (refused at once); nobody else may, and a request that does not fit its role is refused.
#[tokio::test]
async fn administrators_create_and_revoke_tokens_and_nobody_else_may() {
    use serde_json::{Value, json};
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let create = |token: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/tokens"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let agency = "Công an cấp xã";
    let r = create(
        admin.clone(),
        json!({"role": "officer", "agency": agency, "name": "Trần Văn Bình"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let me: Value = app.get(&token, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(
        (me["role"].as_str(), me["agency"].as_str()),
        (Some("officer"), Some(agency))
    );

    for (body, expected) in [
        (json!({"role": "business"}), "invalid_token_request"),
        (
            json!({"role": "officer", "agency": "Bộ Không Tồn Tại"}),
            "invalid_token_request",
        ),
        (json!({"role": "king"}), "invalid_token_request"),
        (
            json!({"role": "business", "tax_code": "123"}),
            "invalid_token_request",
        ),
        (json!({"role": "admin", "extra": true}), "invalid_json"),
    ] {
        let (status, code) = error_code(create(admin.clone(), body.clone()).await).await;
        assert_eq!((status, code.as_str()), (422, expected), "{body}");
    }
    for role in [Role::Officer, Role::Archivist] {
        let other = app.token(role).await;
        let (status, _) = error_code(create(other, json!({"role": "admin"})).await).await;
        assert_eq!(status, 403);
    }
    let officer = app.token(Role::Officer).await;
    let delete = |by: &str, id: &str| {
        let app = &app;
        let (by, id) = (by.to_owned(), id.to_owned());
        async move {
            app.client
                .delete(app.url(&format!("/api/v1/tokens/{id}")))
                .bearer_auth(by)
                .send()
                .await
                .unwrap()
        }
    };
    let id = created["id"].as_str().unwrap();
    assert_eq!(error_code(delete(&officer, id).await).await.0, 403);
    let r = delete(&admin, id).await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        error_code(app.get(&token, "/api/v1/me").await).await,
        (401, "invalid_token".into())
    );
    assert_eq!(error_code(delete(&admin, id).await).await.0, 404);
}

/// Administrators publish the procedure catalogue: checked, logged, in force at once, and on a
/// node started afterwards; nobody else may, and a broken catalogue changes nothing.
#[tokio::test]
async fn administrators_publish_the_catalogue_and_every_node_uses_it() {
    use serde_json::{Value, json};
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let publish = |token: String, body: String, content_type: &'static str| {
        let app = &app;
        async move {
            app.client
                .put(app.url("/api/v1/procedures"))
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let extended = format!(
        "{}\n[[procedure]]\ncode = \"marriage-registration\"\nname_vi = \"Đăng ký kết hôn\"\n\
         name_en = \"Marriage registration\"\nagency = \"Ủy ban nhân dân cấp xã\"\nlevel = \"PARTIAL\"\n\
         applicants = [\"citizen\"]\nprocessing_days = 5\noriginals_required = true\n",
        motcua::dossier::catalogue::BUILTIN
    );
    let officer = app.token(Role::Officer).await;
    let (status, _) =
        error_code(publish(officer, extended.clone(), "application/toml").await).await;
    assert_eq!(status, 403);
    let (status, _) =
        error_code(publish(admin.clone(), extended.clone(), "application/json").await).await;
    assert_eq!(status, 415);
    let broken = extended.replace(
        "applicants = [\"citizen\"]\nprocessing_days = 5",
        "applicants = []\nprocessing_days = 5",
    );
    let (status, code) = error_code(publish(admin.clone(), broken, "application/toml").await).await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));

    let r = publish(admin.clone(), extended, "application/toml").await;
    assert_eq!(r.status(), 200);
    let listed: Value = r.json().await.unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "marriage-registration")
    );
    // In force: a citizen files under it.
    let citizen = app.citizen_token("001203004567").await;
    let dossier = json!({"procedure": "marriage-registration",
                         "applicant": {"id_number": "001203004567", "name": "Lê Thu"}});
    let d = app
        .submit_ok(
            &citizen,
            form(&dossier, vec![("a.pdf", "application/pdf", pdf("a"))]),
        )
        .await;
    assert_eq!(d["procedure"], "marriage-registration");
    // A node started afterwards runs it too.
    let sibling = app.sibling().await;
    assert!(
        sibling
            .state()
            .dossiers
            .catalogue()
            .get("marriage-registration")
            .is_some()
    );
    sibling.stop().await.unwrap();
    let entries: Vec<Value> = app
        .get(&admin, "/api/v1/ledger/entries?start=0&end=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["entry"]["kind"] == "catalogue_published")
    );
}
