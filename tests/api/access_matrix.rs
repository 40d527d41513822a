//! The access rules as a matrix: each staff role placed at the dossier's own unit, a unit beside
//! it, the unit above it and a unit below it, by token and by a person's session, against every
//! endpoint that reads or changes a dossier: what is not yours is 404, as if it did not exist,
//! and a session gets exactly the answers of a token with the same rights.

use motcua::auth::{NewToken, Role};
use serde_json::{Value, json};

use crate::support::*;

const PASSWORD: &str = "ngựa-phi-đường-xa-2026";
const REGISTRAR: &str = "Phòng Đăng ký kinh doanh, Sở Kế hoạch và Đầu tư";

/// How a caller presents itself.
enum Credential {
    Token(String),
    Session { cookie: String, csrf: String },
}

impl Credential {
    fn on(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Self::Token(t) => r.bearer_auth(t),
            Self::Session { cookie, csrf } => {
                r.header("cookie", cookie).header("x-csrf-token", csrf)
            }
        }
    }
}

async fn token_at(app: &TestApp, role: Role, unit: &str, agency: Option<&str>) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &NewToken {
            role,
            tax_code: None,
            id_number: None,
            agency: agency.map(str::to_owned),
            name: Some(format!("{role} {unit}")),
            branches: false,
            unit: Some(motcua::vocabulary::UnitCode::parse(unit).unwrap()),
        },
    )
    .await
    .unwrap()
}

/// An account with the same rights, signed in.
async fn session_at(app: &TestApp, admin: &str, role: Role, unit: &str) -> Credential {
    let username = format!("{role}.{unit}").to_lowercase();
    let r = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(admin)
        .json(
            &json!({"username": username, "password": PASSWORD, "role": role.as_str(),
                      "unit": unit, "name": format!("{role} {unit}")}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: Value = r.json().await.unwrap();
    Credential::Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// Every answer a caller gets about the dossier, as (what, status) pairs.
async fn answers(
    app: &TestApp,
    who: &Credential,
    id: &str,
    paths: &[String],
    code: &str,
) -> Vec<(String, u16)> {
    let mut seen = Vec::new();
    for path in paths {
        let r = who.on(app.client.get(app.url(path))).send().await.unwrap();
        seen.push((format!("GET {path}"), r.status().as_u16()));
    }
    let r = who
        .on(app
            .client
            .post(app.url(&format!("/api/v1/dossiers/{id}/transitions"))))
        .json(&json!({"to": "RETURNED"}))
        .send()
        .await
        .unwrap();
    seen.push(("move".into(), r.status().as_u16()));
    let r = who
        .on(app
            .client
            .post(app.url(&format!("/api/v1/results/{code}/revocation"))))
        .json(&json!({"reason": ""}))
        .send()
        .await
        .unwrap();
    seen.push(("revoke".into(), r.status().as_u16()));
    let list: Value = who
        .on(app.client.get(app.url("/api/v1/dossiers")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|item| item["id"] == id);
    seen.push(("listed".into(), u16::from(listed)));
    seen
}

#[tokio::test]
async fn each_role_at_each_unit_sees_exactly_its_reach_by_token_and_by_session() {
    let app = TestApp::spawn_with(|s| s.accounts.second_factor_roles.clear()).await;
    let city = app.token(Role::Admin).await;
    let top = app.settings.unit_code.as_str().to_owned();
    // TEST (the city) → Q1, Q2 (districts) ; Q1 → P1 (a ward).
    for (code, parent) in [("Q1", top.as_str()), ("Q2", top.as_str()), ("P1", "Q1")] {
        let r = app
            .client
            .post(app.url("/api/v1/units"))
            .bearer_auth(&city)
            .json(&json!({"code": code, "name": format!("Đơn vị {code}"), "parent": parent}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }

    // A business files a signed registration at Q1; Q1's registrar issues its result.
    let owner = app.business_token("0106869738").await;
    let doc = pdf("signed application");
    let signature = openssl_detached_signature("signer-rsa", &doc);
    let d = app
        .submit_ok(
            &owner,
            form(
                &json!({"procedure": "business-registration", "unit": "Q1",
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
    assert_eq!(d["unit"], "Q1");
    let id = d["id"].as_str().unwrap().to_owned();
    let document = d["documents"][0]["id"].as_str().unwrap().to_owned();
    let report = d["signatures"][0]["id"].as_str().unwrap().to_owned();
    let registrar = token_at(&app, Role::Officer, "Q1", Some(REGISTRAR)).await;
    let issued = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/results")))
        .bearer_auth(&registrar)
        .json(&json!({"kind": "business_registration",
                      "fields": [["Mã số doanh nghiệp", "0106869738"]], "place": "Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let code = issued.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let paths = [
        format!("/api/v1/dossiers/{id}"),
        format!("/api/v1/dossiers/{id}/originals"),
        format!("/api/v1/dossiers/{id}/reads"),
        format!("/api/v1/documents/{document}"),
        format!("/api/v1/documents/{document}/content"),
        format!("/api/v1/documents/{document}/proof"),
        format!("/api/v1/signature-reports/{report}"),
        format!("/api/v1/dossiers/{id}/results"),
        format!("/api/v1/results/{code}"),
        format!("/api/v1/results/{code}/pdf"),
    ];

    // What each sees: an officer its own unit only; an archivist and an administrator their
    // unit and every unit below it.
    let placements = [
        ("own", "Q1"),
        ("beside", "Q2"),
        ("above", top.as_str()),
        ("below", "P1"),
    ];
    for role in [Role::Officer, Role::Archivist, Role::Admin] {
        for (placement, unit) in placements {
            let sees = match (role, placement) {
                (_, "own") => true,
                (Role::Officer, _) => false,
                (_, "above") => true,
                _ => false,
            };
            let token = Credential::Token(token_at(&app, role, unit, None).await);
            let by_token = answers(&app, &token, &id, &paths, &code).await;
            for (what, status) in &by_token {
                let expected = match (what.as_str(), sees) {
                    ("listed", sees) => u16::from(sees),
                    (_, false) => 404,
                    // Seen: an illegal move, refused as a conflict; nothing changes.
                    ("move", true) => 409,
                    // Seen: officers may revoke (the empty reason is refused); others never.
                    ("revoke", true) if role == Role::Officer => 422,
                    ("revoke", true) => 403,
                    (_, true) => 200,
                };
                assert_eq!(*status, expected, "{role} {placement} ({unit}): {what}");
            }
            let session = session_at(&app, &city, role, unit).await;
            let by_session = answers(&app, &session, &id, &paths, &code).await;
            assert_eq!(
                by_session, by_token,
                "{role} {placement}: a session answers as a token"
            );
        }
    }

    // Applicants: the owner sees it; another business, by token or session, does not.
    let other = Credential::Token(app.business_token("0109999982").await);
    for (what, status) in answers(&app, &other, &id, &paths, &code).await {
        let expected = if what == "listed" { 0 } else { 404 };
        assert_eq!(status, expected, "another business: {what}");
    }
    let mine = answers(&app, &Credential::Token(owner), &id, &paths, &code).await;
    for (what, status) in mine {
        let expected = match what.as_str() {
            "listed" => 1,
            "move" => 409,
            "revoke" => 403,
            _ => 200,
        };
        assert_eq!(status, expected, "the owner: {what}");
    }
    crate::ledger::verify_app(&app).await;
}
