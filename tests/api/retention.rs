//! Retention and legal holds: a closed dossier is kept its procedure's years from the year it
//! closed, permanent records for ever, and a held one whatever its retention.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn retention_counts_from_the_closing_year_and_a_legal_hold_suspends_disposal() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen_token("001203004567").await;
    let d = app
        .submit_ok(
            &citizen,
            form(
                &json!({"procedure": "health-insurance-card",
                        "applicant": {"id_number": "001203004567", "name": "Nguyễn Minh An"}}),
                vec![("to-khai.pdf", "application/pdf", pdf("to khai"))],
            ),
        )
        .await;
    let id = d["id"].as_str().unwrap();
    let archivist = app.token(Role::Archivist).await;
    let retention = |token: String| {
        let app = &app;
        let path = format!("/api/v1/dossiers/{id}/retention");
        async move {
            let r = app.get(&token, &path).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let open = retention(archivist.clone()).await;
    assert_eq!(open["retention"], "10 years");
    assert!(open.get("closed_year").is_none() && open.get("disposable_from").is_none());

    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(&officer)
        .json(&json!({"to": "REJECTED", "reason": "Trẻ đã có thẻ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let year = motcua::workflow::calendar::today().year();
    let closed = retention(citizen.clone()).await;
    assert_eq!(closed["closed_year"], year);
    assert_eq!(closed["disposable_from"], format!("{}-01-01", year + 11));

    let hold = |method: reqwest::Method, token: String, reason: &str| {
        let app = &app;
        let url = app.url(&format!("/api/v1/dossiers/{id}/legal-hold"));
        let body = json!({"reason": reason});
        async move {
            app.client
                .request(method, url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let (status, _) = error_code(hold(reqwest::Method::PUT, officer.clone(), "vụ án").await).await;
    assert_eq!(status, 403);
    let stranger = app.citizen_token("001203009999").await;
    let (status, _) = error_code(hold(reqwest::Method::PUT, stranger, "vụ án").await).await;
    assert_eq!(status, 404);
    let (status, code) = error_code(hold(reqwest::Method::PUT, archivist.clone(), " ").await).await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));

    let r = hold(
        reqwest::Method::PUT,
        archivist.clone(),
        "Yêu cầu của Tòa án số 12/2026",
    )
    .await;
    assert_eq!(r.status(), 200);
    let held: Value = r.json().await.unwrap();
    assert_eq!(
        held["legal_hold"]["reason"],
        "Yêu cầu của Tòa án số 12/2026"
    );
    assert!(
        held.get("disposable_from").is_none(),
        "never disposable while held: {held}"
    );
    let (status, _) =
        error_code(hold(reqwest::Method::PUT, archivist.clone(), "lần hai").await).await;
    assert_eq!(status, 422);

    let r = hold(
        reqwest::Method::DELETE,
        archivist.clone(),
        "Tòa án đã xét xử xong",
    )
    .await;
    assert_eq!(r.status(), 200);
    let lifted: Value = r.json().await.unwrap();
    assert_eq!(lifted["disposable_from"], format!("{}-01-01", year + 11));
    let (status, _) =
        error_code(hold(reqwest::Method::DELETE, archivist.clone(), "again").await).await;
    assert_eq!(status, 404);

    // Both are in the log, the reasons as digests only.
    let entries: Vec<Value> = app
        .get(&archivist, "/api/v1/ledger/entries?start=0&end=100")
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["entry"]["kind"].as_str())
        .filter(|k| k.starts_with("legal_hold"))
        .collect();
    assert_eq!(kinds, ["legal_hold_placed", "legal_hold_lifted"]);
    assert!(!serde_json::to_string(&entries).unwrap().contains("Tòa án"));

    // A permanent record has no disposal date, closed or not.
    let business = app.business_token("0101234565").await;
    let b = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", pdf("a"))],
            ),
        )
        .await;
    let v: Value = app
        .get(
            &business,
            &format!("/api/v1/dossiers/{}/retention", b["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["retention"], "PERMANENT");
}
