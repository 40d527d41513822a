//! Interlinked procedures (liên thông): one dossier with a part per procedure, each handled by
//! its own agency and completed by its own result; the dossier completes when every part has.

use motcua::auth::{NewToken, Role};
use serde_json::{Value, json};

use crate::support::*;

async fn officer_of(app: &TestApp, agency: Option<&str>) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &NewToken {
            role: Role::Officer,
            tax_code: None,
            id_number: None,
            agency: agency.map(str::to_owned),
            name: Some("officer".into()),
            branches: false,
            unit: None,
        },
    )
    .await
    .unwrap()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn birth_dossier(linked: Value) -> Value {
    json!({"procedure": "birth-registration",
           "applicant": {"id_number": "001203004567", "name": "Nguyễn Thị Hoa"},
           "linked": linked})
}

/// A result for the part of `procedure` (the dossier's own, birth registration, when `None`),
/// in the kind that procedure issues: the birth registration extract, or the notice of the
/// outcome for the procedures without a template of their own.
fn result_for(procedure: Option<&str>) -> Value {
    let kind = match procedure {
        None | Some("birth-registration") => "birth_registration",
        Some(_) => "outcome_notice",
    };
    let mut body = json!({"kind": kind,
                          "fields": [["Họ và tên", "Nguyễn Minh An"]], "place": "Hà Nội"});
    if let Some(p) = procedure {
        body["procedure"] = p.into();
    }
    body
}

#[tokio::test]
async fn each_agency_completes_its_part_and_the_last_result_completes_the_dossier() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen_token("001203004567").await;
    let d = app
        .submit_ok(
            &citizen,
            form(
                &birth_dossier(json!(["permanent-residence", "health-insurance-card"])),
                vec![("to-khai.pdf", "application/pdf", pdf("to khai"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let parts: Vec<(String, bool)> = d["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["procedure"].as_str().unwrap().to_owned(),
                p["done"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("birth-registration".to_owned(), false),
            ("health-insurance-card".to_owned(), false),
            ("permanent-residence".to_owned(), false)
        ]
    );

    let counter = officer_of(&app, None).await;
    let commune = officer_of(&app, Some("Ủy ban nhân dân cấp xã")).await;
    let police = officer_of(&app, Some("Công an cấp xã")).await;
    let insurance = officer_of(&app, Some("Bảo hiểm xã hội cấp huyện")).await;
    let health = officer_of(&app, Some("Sở Y tế")).await;
    // Each agency of a part sees the dossier; others do not.
    for token in [&counter, &commune, &police, &insurance] {
        assert_eq!(
            app.get(token, &format!("/api/v1/dossiers/{id}"))
                .await
                .status(),
            200
        );
        let list: Value = app
            .get(token, "/api/v1/dossiers")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        app.get(&health, &format!("/api/v1/dossiers/{id}"))
            .await
            .status(),
        404
    );

    // Through the counter to processing.
    let moves = format!("/api/v1/dossiers/{id}/transitions");
    let r = post(&app, &counter, &moves, json!({"to": "ACCEPTED"})).await;
    assert_eq!(r.status(), 200);
    for paper in ["declaration", "birth-certificate"] {
        let r = app
            .client
            .put(app.url(&format!("/api/v1/dossiers/{id}/originals/{paper}")))
            .bearer_auth(&counter)
            .json(&json!({"outcome": "matches"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = post(&app, &counter, &moves, json!({"to": "PROCESSING"})).await;
    assert_eq!(r.status(), 200);

    // Not complete while parts wait.
    let r = post(&app, &counter, &moves, json!({"to": "RESULT_ISSUED"})).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "parts_pending", "{body}");

    let results = format!("/api/v1/dossiers/{id}/results");
    // An agency issues for its own part only.
    let (status, code) = error_code(
        post(
            &app,
            &police,
            &results,
            result_for(Some("health-insurance-card")),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    let r = post(
        &app,
        &police,
        &results,
        result_for(Some("permanent-residence")),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (status, code) = error_code(
        post(
            &app,
            &police,
            &results,
            result_for(Some("permanent-residence")),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "part_done"));
    // The dossier's own procedure, by default.
    let r = post(&app, &commune, &results, result_for(None)).await;
    assert_eq!(r.status(), 201);
    let d: Value = app
        .get(&counter, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["status"], "PROCESSING");
    // The last part completes the dossier.
    let r = post(
        &app,
        &insurance,
        &results,
        result_for(Some("health-insurance-card")),
    )
    .await;
    assert_eq!(r.status(), 201);
    let d: Value = app
        .get(&counter, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["status"], "RESULT_ISSUED");
    assert!(
        d["parts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["done"] == true)
    );
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["to"].as_str(), last["actor"].as_str()),
        (Some("RESULT_ISSUED"), Some("system"))
    );
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn only_linked_procedures_open_to_the_applicant_can_be_filed_together() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen_token("001203004567").await;
    for linked in [
        json!(["business-registration"]),
        json!(["permanent-residence", "permanent-residence"]),
        json!(["no-such-procedure"]),
    ] {
        let r = app
            .submit(
                &citizen,
                form(
                    &birth_dossier(linked.clone()),
                    vec![("a.pdf", "application/pdf", pdf("a"))],
                ),
            )
            .await;
        let (status, code) = error_code(r).await;
        assert_eq!((status, code.as_str()), (422, "invalid_field"), "{linked}");
    }
    // A dossier of one procedure has no parts, and its result names no other procedure.
    let d = app
        .submit_ok(
            &citizen,
            form(
                &birth_dossier(json!([])),
                vec![("a.pdf", "application/pdf", pdf("b"))],
            ),
        )
        .await;
    assert!(d.get("parts").is_none(), "{d}");
    let officer = officer_of(&app, None).await;
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/dossiers/{}/results", d["id"].as_str().unwrap()),
        result_for(Some("permanent-residence")),
    )
    .await;
    assert_eq!(error_code(r).await, (422, "invalid_request".into()));
}

async fn staff_at(app: &TestApp, role: Role, unit: &str, agency: Option<&str>) -> String {
    motcua::app::create_token(
        app.state().dossiers.db(),
        &NewToken {
            role,
            tax_code: None,
            id_number: None,
            agency: agency.map(str::to_owned),
            name: Some(format!("{role} at {unit}")),
            branches: false,
            unit: Some(motcua::vocabulary::UnitCode::parse(unit).unwrap()),
        },
    )
    .await
    .unwrap()
}

/// A ward receives a birth registration with the health-insurance card linked; the card is the
/// district's social insurance's, so its part is processed at the district above the ward, whose
/// officers see the dossier and issue that part's result, and nothing else of it. Another ward
/// sees nothing.
#[tokio::test]
async fn a_part_is_processed_at_the_unit_above_whose_level_handles_its_procedure() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let top = app.settings.unit_code.as_str().to_owned();
    for (code, parent) in [("Q1", top.as_str()), ("P1", "Q1"), ("P2", "Q1")] {
        let r = post(
            &app,
            &admin,
            "/api/v1/units",
            json!({"code": code, "name": format!("Đơn vị {code}"), "parent": parent}),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let catalogue = motcua::dossier::catalogue::BUILTIN.replace(
        "code = \"health-insurance-card\"\n",
        "code = \"health-insurance-card\"\nreceived_at = [\"district\"]\n",
    );
    let r = app
        .client
        .put(app.url("/api/v1/procedures"))
        .bearer_auth(&admin)
        .header("content-type", "application/toml")
        .body(catalogue)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let ward = staff_at(&app, Role::Officer, "P1", None).await;
    let d = app
        .submit_ok(
            &ward,
            form(
                &birth_dossier(json!(["health-insurance-card"])),
                vec![("to-khai.pdf", "application/pdf", pdf("to khai"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let units: Vec<(&str, &str)> = d["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["procedure"].as_str().unwrap(),
                p["unit"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        units,
        [
            ("birth-registration", "P1"),
            ("health-insurance-card", "Q1")
        ]
    );

    let district_insurance =
        staff_at(&app, Role::Officer, "Q1", Some("Bảo hiểm xã hội cấp huyện")).await;
    let district_counter = staff_at(&app, Role::Officer, "Q1", None).await;
    let other_ward = staff_at(&app, Role::Officer, "P2", None).await;
    for token in [&ward, &district_insurance, &district_counter] {
        let r = app.get(token, &format!("/api/v1/dossiers/{id}")).await;
        assert_eq!(r.status(), 200);
        let list: Value = app
            .get(token, "/api/v1/dossiers")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    }
    let r = app
        .get(&other_ward, &format!("/api/v1/dossiers/{id}"))
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    let list: Value = app
        .get(&other_ward, "/api/v1/dossiers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));

    // The district may not move the ward's dossier (no moves offered, a move refused).
    let seen: Value = app
        .get(&district_counter, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["allowed_moves"], json!([]), "{seen}");
    let moves = format!("/api/v1/dossiers/{id}/transitions");
    let r = post(&app, &district_counter, &moves, json!({"to": "ACCEPTED"})).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));

    // The ward takes it to processing; the district issues its part, and only its part.
    assert_eq!(
        post(&app, &ward, &moves, json!({"to": "ACCEPTED"}))
            .await
            .status(),
        200
    );
    for paper in ["declaration", "birth-certificate"] {
        let r = app
            .client
            .put(app.url(&format!("/api/v1/dossiers/{id}/originals/{paper}")))
            .bearer_auth(&ward)
            .json(&json!({"outcome": "matches"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        post(&app, &ward, &moves, json!({"to": "PROCESSING"}))
            .await
            .status(),
        200
    );
    let results = format!("/api/v1/dossiers/{id}/results");
    let r = post(&app, &district_insurance, &results, result_for(None)).await;
    assert_eq!(
        error_code(r).await,
        (403, "forbidden".into()),
        "the ward's own part"
    );
    let r = post(
        &app,
        &district_insurance,
        &results,
        result_for(Some("health-insurance-card")),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(&app, &ward, &results, result_for(None)).await;
    assert_eq!(r.status(), 201);
    let d: Value = app
        .get(&ward, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["status"], "RESULT_ISSUED");
    crate::ledger::verify_app(&app).await;
}
