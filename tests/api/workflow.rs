//! The dossier lifecycle (Decree 45/2020/ND-CP): the system receives a dossier at intake,
//! officers move it on, every move is recorded with its actor, time and reason and logged, and
//! illegal, unauthorised, unexplained, stale or concurrent moves are refused with nothing
//! recorded.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::*;

async fn filed(app: &TestApp, tax_code: &str) -> (String, Value) {
    let business = app.business_token(tax_code).await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier(tax_code),
                vec![("giay-de-nghi.pdf", "application/pdf", pdf("de nghi"))],
            ),
        )
        .await;
    (business, d)
}

async fn post_move(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn move_ok(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let r = post_move(app, token, id, body.clone()).await;
    let status = r.status();
    let d: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body} → {d}");
    d
}

async fn dossier(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(token, &format!("/api/v1/dossiers/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn transition_entries(app: &TestApp, dossier: &str) -> Vec<Value> {
    let officer = app.token(Role::Officer).await;
    let r = app
        .get(&officer, "/api/v1/ledger/entries?start=0&end=1000")
        .await;
    assert_eq!(r.status(), 200);
    let entries: Vec<Value> = r.json().await.unwrap();
    entries
        .into_iter()
        .map(|e| e["entry"].clone())
        .filter(|e| e["kind"] == "dossier_transition" && e["dossier"] == dossier)
        .collect()
}

fn statuses(d: &Value) -> Vec<String> {
    d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_dossier_is_received_at_intake_and_walks_to_returned_with_every_move_logged() {
    let app = TestApp::spawn().await;
    let (business, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    // The technical checks at intake passed: the system received it, with the receipt time.
    assert_eq!(d["status"], "RECEIVED", "{d}");
    assert_eq!(d["version"], 2);
    assert_eq!(d["received_at"], d["submitted_at"]);
    assert_eq!(d["history"][0]["from"], "SUBMITTED");
    assert_eq!(d["history"][0]["actor"], "system");
    assert_eq!(d["originals"], "required");

    let officer = app.token(Role::Officer).await;
    let shown = dossier(&app, &officer, id).await;
    assert_eq!(
        shown["allowed_moves"],
        json!(["ACCEPTED", "SUPPLEMENT_REQUESTED", "REJECTED"])
    );
    // The applicant sees the dossier but has no move from here.
    assert_eq!(
        dossier(&app, &business, id).await["allowed_moves"],
        json!([])
    );

    // Accepting an unsigned dossier sends it to the counter for its paper originals.
    let d = move_ok(&app, &officer, id, json!({"to": "ACCEPTED", "version": 2})).await;
    assert_eq!(d["status"], "AWAITING_ORIGINALS");
    assert_eq!(d["version"], 4);
    for to in [
        "ORIGINALS_VERIFIED",
        "PROCESSING",
        "RESULT_ISSUED",
        "RETURNED",
    ] {
        let d = move_ok(&app, &officer, id, json!({"to": to})).await;
        assert_eq!(d["status"], to);
    }
    let d = dossier(&app, &officer, id).await;
    assert_eq!(
        statuses(&d),
        [
            "RECEIVED",
            "ACCEPTED",
            "AWAITING_ORIGINALS",
            "ORIGINALS_VERIFIED",
            "PROCESSING",
            "RESULT_ISSUED",
            "RETURNED"
        ]
    );
    let actors: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [
            "system", "officer", "system", "officer", "officer", "officer", "officer"
        ]
    );
    assert_eq!(d["version"], 8);
    assert_eq!(d["allowed_moves"], json!([]), "RETURNED is terminal");

    // Each move is in the log, naming the dossier and its new status, in order.
    let logged = transition_entries(&app, id).await;
    let logged_statuses: Vec<&str> = logged
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(logged_statuses, statuses(&d));
    for (entry, t) in logged.iter().zip(d["history"].as_array().unwrap()) {
        assert_eq!(entry["version"], t["version"]);
        assert_eq!(entry["index"], t["ledger_index"]);
    }
}

#[tokio::test]
async fn accepting_a_dossier_signed_by_its_applicant_waives_the_counter_visit() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0106869738").await;
    let doc = pdf("signed application");
    let signature = openssl_detached_signature("signer-rsa", &doc);
    let d = app
        .submit_ok(
            &business,
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
    assert_eq!(d["originals"], "waived", "{d}");
    let officer = app.token(Role::Officer).await;
    let id = d["id"].as_str().unwrap();
    let d = move_ok(&app, &officer, id, json!({"to": "ACCEPTED"})).await;
    assert_eq!(d["status"], "ORIGINALS_WAIVED");
    assert_eq!(d["allowed_moves"], json!(["PROCESSING"]));
    let d = move_ok(&app, &officer, id, json!({"to": "PROCESSING"})).await;
    assert_eq!(d["status"], "PROCESSING");
}

#[tokio::test]
async fn an_illegal_move_gets_409_listing_the_moves_the_caller_may_make() {
    let app = TestApp::spawn().await;
    let (_, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let r = post_move(&app, &officer, id, json!({"to": "PROCESSING"})).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "illegal_transition");
    assert_eq!(
        body["error"]["allowed"],
        json!(["ACCEPTED", "SUPPLEMENT_REQUESTED", "REJECTED"])
    );
    // Moving to where it already is, or back to SUBMITTED, is not a move either.
    for to in ["RECEIVED", "SUBMITTED", "RETURNED"] {
        let (status, code) =
            error_code(post_move(&app, &officer, id, json!({"to": to})).await).await;
        assert_eq!((status, code.as_str()), (409, "illegal_transition"), "{to}");
    }
    // A terminal dossier has no moves at all.
    move_ok(
        &app,
        &officer,
        id,
        json!({"to": "REJECTED", "reason": "Hồ sơ giả mạo"}),
    )
    .await;
    let r = post_move(&app, &officer, id, json!({"to": "RECEIVED"})).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["allowed"], json!([]));
    // Nothing was recorded by the refusals.
    assert_eq!(
        statuses(&dossier(&app, &officer, id).await),
        ["RECEIVED", "REJECTED"]
    );
}

#[tokio::test]
async fn roles_that_may_not_make_a_move_get_403_and_callers_who_may_not_see_it_404() {
    let app = TestApp::spawn().await;
    let (owner, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;
    for token in [&owner, &archivist, &admin] {
        let (status, code) =
            error_code(post_move(&app, token, id, json!({"to": "ACCEPTED"})).await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"));
    }
    // Another business, a citizen, a made-up id and a malformed one: nothing to move.
    let stranger = app.business_token("0109999999").await;
    let citizen = app.citizen_token("001203004567").await;
    for token in [&stranger, &citizen] {
        let (status, code) =
            error_code(post_move(&app, token, id, json!({"to": "ACCEPTED"})).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"));
    }
    let officer = app.token(Role::Officer).await;
    for other in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".into()] {
        let (status, _) =
            error_code(post_move(&app, &officer, &other, json!({"to": "ACCEPTED"})).await).await;
        assert_eq!(status, 404);
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .json(&json!({"to": "ACCEPTED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(dossier(&app, &officer, id).await["status"], "RECEIVED");
}

#[tokio::test]
async fn rejections_and_supplement_requests_need_a_reason_and_the_applicant_answers_a_request() {
    let app = TestApp::spawn().await;
    let (owner, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    for body in [
        json!({"to": "REJECTED"}),
        json!({"to": "REJECTED", "reason": "   "}),
        json!({"to": "SUPPLEMENT_REQUESTED", "reason": null}),
    ] {
        let (status, code) = error_code(post_move(&app, &officer, id, body.clone()).await).await;
        assert_eq!((status, code.as_str()), (422, "reason_required"), "{body}");
    }
    let (status, code) = error_code(
        post_move(
            &app,
            &officer,
            id,
            json!({"to": "REJECTED", "reason": "x".repeat(2001)}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "reason_too_long"));

    let missing = "Thiếu bản sao Điều lệ công ty";
    let d = move_ok(
        &app,
        &officer,
        id,
        json!({"to": "SUPPLEMENT_REQUESTED", "reason": missing}),
    )
    .await;
    assert_eq!(d["history"][1]["reason"], missing);
    // The applicant sees what is missing and sends the dossier back.
    let mine = dossier(&app, &owner, id).await;
    assert_eq!(mine["allowed_moves"], json!(["RECEIVED"]));
    let d = move_ok(&app, &owner, id, json!({"to": "RECEIVED"})).await;
    assert_eq!(d["history"][2]["actor"], "applicant");
    // The log holds the reason's digest, not its text.
    let logged = transition_entries(&app, id).await;
    let all = serde_json::to_string(&logged).unwrap();
    assert!(!all.contains("Điều lệ"), "{all}");
    assert_eq!(logged[1]["reason_sha256"], sha256_hex(missing.as_bytes()));
}

#[tokio::test]
async fn bad_move_requests_get_clear_errors() {
    let app = TestApp::spawn().await;
    let (_, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    for (body, expected) in [
        (json!({"to": "APPROVED"}), "unknown_status"),
        (json!({"status": "ACCEPTED"}), "invalid_json"),
        (json!({"to": "ACCEPTED", "version": "2"}), "invalid_json"),
        (json!(["ACCEPTED"]), "invalid_json"),
    ] {
        let (status, code) = error_code(post_move(&app, &officer, id, body.clone()).await).await;
        assert_eq!((status, code.as_str()), (422, expected), "{body}");
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(&officer)
        .body("to=ACCEPTED")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (415, "unsupported_media_type".into()));
    assert_eq!(dossier(&app, &officer, id).await["version"], 2);
}

#[tokio::test]
async fn a_stale_version_is_refused_and_nothing_is_recorded() {
    let app = TestApp::spawn().await;
    let (_, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let seen = d["version"].as_i64().unwrap();
    move_ok(
        &app,
        &officer,
        id,
        json!({"to": "ACCEPTED", "version": seen}),
    )
    .await;
    // A second officer still looking at the old version.
    let (status, code) = error_code(
        post_move(
            &app,
            &officer,
            id,
            json!({"to": "REJECTED", "reason": "trùng", "version": seen}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "stale_version"));
    let d = dossier(&app, &officer, id).await;
    assert_eq!(d["status"], "AWAITING_ORIGINALS");
    assert_eq!(d["history"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn concurrent_moves_from_one_version_record_exactly_one() {
    let app = TestApp::spawn().await;
    let (_, d) = filed(&app, "0101234567").await;
    let id = d["id"].as_str().unwrap().to_owned();
    let seen = d["version"].as_i64().unwrap();
    let mut officers = Vec::new();
    for _ in 0..6 {
        officers.push(app.token(Role::Officer).await);
    }
    let moves = officers.iter().enumerate().map(|(i, token)| {
        let body = if i % 2 == 0 {
            json!({"to": "ACCEPTED", "version": seen})
        } else {
            json!({"to": "REJECTED", "reason": format!("lý do {i}"), "version": seen})
        };
        post_move(&app, token, &id, body)
    });
    let replies = futures_util::future::join_all(moves).await;
    let mut won = 0;
    for r in replies {
        match r.status().as_u16() {
            200 => won += 1,
            409 => {
                let (_, code) = error_code(r).await;
                assert!(
                    code == "stale_version" || code == "illegal_transition",
                    "{code}"
                );
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!(won, 1);
    let officer = app.token(Role::Officer).await;
    let d = dossier(&app, &officer, &id).await;
    let officer_moves = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["actor"] == "officer")
        .count();
    assert_eq!(officer_moves, 1, "{d}");
    assert_eq!(
        transition_entries(&app, &id).await.len(),
        d["history"].as_array().unwrap().len()
    );
}
