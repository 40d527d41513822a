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
    let (business, d) = filed(&app, "0101234565").await;
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
    let (_, d) = filed(&app, "0101234565").await;
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
    let (owner, d) = filed(&app, "0101234565").await;
    let id = d["id"].as_str().unwrap();
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;
    for token in [&owner, &archivist, &admin] {
        let (status, code) =
            error_code(post_move(&app, token, id, json!({"to": "ACCEPTED"})).await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"));
    }
    // Another business, a citizen, a made-up id and a malformed one: nothing to move.
    let stranger = app.business_token("0109999982").await;
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
    let (owner, d) = filed(&app, "0101234565").await;
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
    let (_, d) = filed(&app, "0101234565").await;
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
    let (_, d) = filed(&app, "0101234565").await;
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
    let (_, d) = filed(&app, "0101234565").await;
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

mod deadlines {
    use motcua::auth::Role;
    use motcua::dossier::DossierStatus as S;
    use motcua::dossier::transitions::due_date;
    use motcua::workflow::Calendar;
    use serde_json::{Value, json};
    use time::macros::{date, datetime};

    use super::{dossier, filed, move_ok};
    use crate::support::*;

    #[test]
    fn due_dates_count_working_days_from_receipt_skipping_weekends_holidays_and_waits() {
        // Thursday 10 December 2026 is a holiday in this calendar.
        let calendar = Calendar::new([date!(2026 - 12 - 10)]);
        let received = datetime!(2026-12-04 10:00 +7); // a Friday
        let moves = [(received, S::Received)];
        // Mon 7, Tue 8, Wed 9: three working days after Friday.
        assert_eq!(due_date(&calendar, 3, &moves), Some(date!(2026 - 12 - 09)));
        // Over the holiday: Mon 7 … Fri 11, Thursday skipped.
        assert_eq!(due_date(&calendar, 4, &moves), Some(date!(2026 - 12 - 11)));
        // Received at 23:30 UTC on Thursday is Friday morning in Vietnam.
        let late = [(datetime!(2026-12-03 23:30 UTC), S::Received)];
        assert_eq!(due_date(&calendar, 3, &late), Some(date!(2026 - 12 - 09)));

        // A supplement requested on Monday and answered on Wednesday: the two working days
        // waited for the applicant (Tue, Wed) push the due date out by two working days
        // (Wed 9 → Mon 14, Thursday being a holiday).
        let mut with_wait = vec![
            (received, S::Received),
            (datetime!(2026-12-07 09:00 +7), S::SupplementRequested),
        ];
        assert_eq!(
            due_date(&calendar, 3, &with_wait),
            None,
            "no due date while waiting"
        );
        with_wait.push((datetime!(2026-12-09 15:00 +7), S::Received));
        assert_eq!(
            due_date(&calendar, 3, &with_wait),
            Some(date!(2026 - 12 - 14))
        );
        // Waiting for paper originals pauses the clock the same way.
        let originals = [
            (received, S::Received),
            (datetime!(2026-12-07 09:00 +7), S::Accepted),
            (datetime!(2026-12-07 09:00 +7), S::AwaitingOriginals),
            (datetime!(2026-12-08 11:00 +7), S::OriginalsVerified),
        ];
        assert_eq!(
            due_date(&calendar, 3, &originals),
            Some(date!(2026 - 12 - 11))
        );
        // Never received: no clock.
        assert_eq!(due_date(&calendar, 3, &[]), None);
    }

    async fn app_with_holidays(text: &str) -> TestApp {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let (_file, path) = file.keep().unwrap();
        TestApp::spawn_with(|s| s.holidays = Some(path)).await
    }

    #[tokio::test]
    async fn a_dossier_shows_its_due_date_from_the_configured_holidays_and_none_while_it_waits() {
        let today = motcua::workflow::calendar::today();
        // The next two days are holidays, whatever day today is.
        let holidays = format!(
            "# test holidays\n{}\n{}\n",
            today.next_day().unwrap(),
            today.next_day().unwrap().next_day().unwrap()
        );
        let calendar = Calendar::parse_holidays(&holidays).unwrap();
        let app = app_with_holidays(&holidays).await;
        let (_, d) = filed(&app, "0101234565").await;
        // business-registration: 3 working days.
        let due = calendar.add_working_days(today, 3).to_string();
        assert_eq!(d["due_date"], due.as_str(), "{d}");
        assert_eq!(d["overdue"], false);
        let id = d["id"].as_str().unwrap();
        let officer = app.token(Role::Officer).await;
        let d = move_ok(
            &app,
            &officer,
            id,
            json!({"to": "SUPPLEMENT_REQUESTED", "reason": "Thiếu giấy tờ"}),
        )
        .await;
        assert!(d.get("due_date").is_none(), "{d}");
        let owner = app.business_token("0101234565").await;
        let d = move_ok(&app, &owner, id, json!({"to": "RECEIVED"})).await;
        // Asked and answered the same day: no working day was lost.
        assert_eq!(d["due_date"], due.as_str(), "{d}");

        let (status, _) = error_code(
            app.get(
                &app.token(Role::Officer).await,
                "/api/v1/deadlines?within=61",
            )
            .await,
        )
        .await;
        assert_eq!(status, 400);
    }

    async fn set_due(app: &TestApp, id: &str, due: &str) {
        use sqlx::Executor as _;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&app.settings.store.database_url)
            .await
            .unwrap();
        pool.execute(sqlx::AssertSqlSafe(format!(
            "UPDATE dossiers SET due_on = '{due}' WHERE id = '{id}'"
        )))
        .await
        .unwrap();
        pool.close().await;
    }

    #[tokio::test]
    async fn staff_list_overdue_and_due_soon_dossiers_per_agency() {
        let app = TestApp::spawn().await;
        let today = motcua::workflow::calendar::today();
        let (_, late) = filed(&app, "0101234565").await;
        let (_, soon) = filed(&app, "0101234572").await;
        let (_, later) = filed(&app, "0101234597").await;
        let (_, done) = filed(&app, "0101234607").await;
        // As if received weeks ago: the clock is not ours to move, so the stored due dates are.
        let ids = |d: &Value| d["id"].as_str().unwrap().to_owned();
        set_due(&app, &ids(&late), "2026-01-05").await;
        set_due(&app, &ids(&soon), &today.to_string()).await;
        set_due(&app, &ids(&later), "2099-12-31").await;
        set_due(&app, &ids(&done), "2026-01-05").await;
        let officer = app.token(Role::Officer).await;
        move_ok(
            &app,
            &officer,
            &ids(&done),
            json!({"to": "REJECTED", "reason": "Không đủ điều kiện"}),
        )
        .await;

        let r = app.get(&officer, "/api/v1/deadlines").await;
        assert_eq!(r.status(), 200);
        let list: Value = r.json().await.unwrap();
        assert_eq!(list["today"], today.to_string());
        let agencies = list["agencies"].as_array().unwrap();
        assert_eq!(agencies.len(), 1, "{list}");
        let agency = agencies[0]["agency"].as_str().unwrap();
        assert!(agency.contains("Đăng ký kinh doanh"), "{agency}");
        let codes = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned())
                .collect()
        };
        // The rejected one is closed; the one due in 2099 is not soon.
        assert_eq!(codes(&agencies[0]["overdue"]), [ids(&late)]);
        assert_eq!(codes(&agencies[0]["due_soon"]), [ids(&soon)]);
        assert_eq!(agencies[0]["overdue"][0]["overdue"], true);
        assert_eq!(dossier(&app, &officer, &ids(&late)).await["overdue"], true);
        assert_eq!(dossier(&app, &officer, &ids(&done)).await["overdue"], false);

        let other = app
            .get(
                &officer,
                "/api/v1/deadlines?agency=S%E1%BB%9F%20Y%20t%E1%BA%BF",
            )
            .await;
        let other: Value = other.json().await.unwrap();
        assert_eq!(other["agencies"], json!([]));
        // Applicants have no such list.
        let business = app.business_token("0101234565").await;
        let (status, code) = error_code(app.get(&business, "/api/v1/deadlines").await).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"));
    }
}

#[tokio::test]
async fn the_applicant_answers_a_supplement_request_with_documents_and_the_dossier_is_received_again()
 {
    use reqwest::multipart::{Form, Part};
    let app = TestApp::spawn().await;
    let (owner, d) = filed(&app, "0101234565").await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let add = |token: String, bytes: Vec<u8>| {
        let app = &app;
        let url = app.url(&format!("/api/v1/dossiers/{id}/documents"));
        async move {
            let form = Form::new().part(
                "file",
                Part::bytes(bytes)
                    .file_name("dieu-le.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
            app.client
                .post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    // Nothing was asked for yet.
    let (status, code) = error_code(add(owner.clone(), pdf("early")).await).await;
    assert_eq!((status, code.as_str()), (409, "not_awaiting_supplement"));
    move_ok(
        &app,
        &officer,
        id,
        json!({"to": "SUPPLEMENT_REQUESTED", "reason": "Thiếu Điều lệ công ty"}),
    )
    .await;
    // Not the archivist's to add, and a stranger does not see the dossier.
    let archivist = app.token(Role::Archivist).await;
    assert_eq!(error_code(add(archivist, pdf("x")).await).await.0, 403);
    let stranger = app.business_token("0109999982").await;
    assert_eq!(error_code(add(stranger, pdf("x")).await).await.0, 404);
    // A file that is not what it claims is refused, and nothing moves.
    let (status, _) = error_code(add(owner.clone(), b"not a pdf at all".to_vec()).await).await;
    assert_eq!(status, 415);

    let charter = pdf("điều lệ");
    let r = add(owner.clone(), charter.clone()).await;
    let status = r.status();
    let d: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "RECEIVED");
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from"].as_str(), last["actor"].as_str()),
        (Some("SUPPLEMENT_REQUESTED"), Some("applicant"))
    );
    let docs = d["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["sha256"], sha256_hex(&charter));
    assert!(d["due_date"].is_string(), "the clock runs again: {d}");
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.is_ok(), "{:?}", report.problems);
}
