//! Fixity audits: every stored object re-hashed in the background, resumable, each problem kept,
//! each finished audit logged and summarised for archivists.

use motcua::auth::Role;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn an_audit_resumes_where_it_stopped_finds_changed_objects_and_is_logged() {
    let app = TestApp::spawn().await;
    let business = app.business_token("0101234565").await;
    let d = app
        .submit_ok(
            &business,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("a.pdf", "application/pdf", pdf("fixity a")),
                    ("b.pdf", "application/pdf", pdf("fixity b")),
                    ("c.png", "image/png", png()),
                ],
            ),
        )
        .await;
    let auditor = &app.state().fixity;
    // Interrupted after one object: unfinished, and the next run goes on from there.
    let first = auditor.run(Some(1)).await.unwrap();
    assert_eq!(first.checked, 1);
    assert!(first.finished_at.is_none());
    let done = auditor.run(None).await.unwrap();
    assert_eq!(done.id, first.id, "the same audit resumed");
    assert_eq!((done.checked, done.problems), (3, 0));
    assert!(done.finished_at.is_some());

    // An object changed behind motcua's back is found by the next audit.
    let sha = d["documents"][1]["sha256"].as_str().unwrap().to_owned();
    let mut bytes = pdf("fixity b");
    bytes[12] ^= 1;
    overwrite_object(&app, &sha, bytes).await;
    let next = auditor.run(None).await.unwrap();
    assert_ne!(next.id, done.id);
    assert_eq!((next.checked, next.problems), (3, 1));

    let archivist = app.token(Role::Archivist).await;
    let summary: Value = app
        .get(&archivist, "/api/v1/audits/fixity")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["audits"].as_array().unwrap().len(), 2);
    assert_eq!(summary["audits"][0]["id"], next.id.as_str());
    assert_eq!(summary["findings"][0]["sha256"], sha.as_str());
    assert!(
        summary["findings"][0]["problem"]
            .as_str()
            .unwrap()
            .starts_with("changed"),
        "{summary}"
    );
    // Each finished audit is in the log.
    let entries: Vec<Value> = app
        .get(&archivist, "/api/v1/ledger/entries?start=0&end=100")
        .await
        .json()
        .await
        .unwrap();
    let audits: Vec<&Value> = entries
        .iter()
        .filter(|e| e["entry"]["kind"] == "fixity_audited")
        .collect();
    assert_eq!(audits.len(), 2);
    assert_eq!(audits[1]["entry"]["problems"], 1);
    // Not for applicants or officers.
    for token in [business, app.token(Role::Officer).await] {
        assert_eq!(
            error_code(app.get(&token, "/api/v1/audits/fixity").await)
                .await
                .0,
            403
        );
    }
}
