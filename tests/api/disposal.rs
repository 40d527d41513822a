//! Disposal: once a dossier's retention has run out, an archivist asks for its disposal citing
//! the decision, an administrator approves, and the bytes go while every log entry stays.
//! Permanent records, held ones and running retentions are refused; bytes another live record
//! holds are kept; the log proves what was disposed of.

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::import::{import, old_archive};
use crate::support::{TestApp, error_code, form, pdf};

/// The two records of the old archive, imported: the business registration (permanent) and
/// the citizen's health-insurance record (10 years from 2014: disposable since 2025).
pub async fn imported(app: &TestApp, dir: &std::path::Path) -> (Value, Value) {
    let folder = old_archive(dir);
    let out = import(app, &folder, &folder.join("records.csv"), &[]).await;
    assert!(out.status.success(), "{out:?}");
    let archivist = app.token(Role::Archivist).await;
    let one = |query: &'static str| {
        let archivist = archivist.clone();
        async move {
            let page: Value = app
                .get(&archivist, &format!("/api/v1/dossiers?{query}"))
                .await
                .json()
                .await
                .unwrap();
            let id = page["items"][0]["id"].as_str().unwrap().to_owned();
            app.get(&archivist, &format!("/api/v1/dossiers/{id}"))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    (
        one("tax_code=0101234565").await,
        one("id_number=001085012345").await,
    )
}

pub async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app.client.post(app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

pub fn request() -> Value {
    json!({"decision": "Quyết định số 12/QĐ-UBND ngày 02/01/2026",
           "reason": "Hết thời hạn bảo quản 10 năm"})
}

#[tokio::test]
async fn an_approved_disposal_deletes_the_bytes_and_keeps_a_provable_record() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (business, citizen) = imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let path = format!("/api/v1/dossiers/{id}/disposal");
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;
    let officer = app.token(Role::Officer).await;

    // Refused: the permanent record, a caller who is not an archivist, no decision cited.
    let r = post(
        &app,
        &archivist,
        &format!(
            "/api/v1/dossiers/{}/disposal",
            business["id"].as_str().unwrap()
        ),
        Some(request()),
    )
    .await;
    assert_eq!(error_code(r).await, (409, "not_disposable".into()));
    let r = post(&app, &officer, &path, Some(request())).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let r = post(
        &app,
        &archivist,
        &path,
        Some(json!({"decision": " ", "reason": "x"})),
    )
    .await;
    assert_eq!(error_code(r).await, (422, "invalid_request".into()));

    // Refused under a legal hold.
    let hold = app.url(&format!("/api/v1/dossiers/{id}/legal-hold"));
    let r = app
        .client
        .put(&hold)
        .bearer_auth(&archivist)
        .json(&json!({"reason": "Tranh chấp đang giải quyết"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(error_code(r).await, (409, "legal_hold".into()));
    let r = app
        .client
        .delete(&hold)
        .bearer_auth(&archivist)
        .json(&json!({"reason": "Đã giải quyết xong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Asked for, once.
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["disposal"]["status"], "requested", "{v}");
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(error_code(r).await, (409, "disposal_requested".into()));

    // Approved by an administrator only.
    let approval = format!("{path}/approval");
    let r = post(&app, &archivist, &approval, None).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
    let r = post(&app, &admin, &approval, None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["disposal"]["status"], "disposed", "{v}");
    assert_eq!(v["disposal"]["objects_deleted"], 1);
    assert_eq!(v["disposal"]["objects_kept"], 0);
    let r = post(&app, &admin, &approval, None).await;
    assert_eq!(error_code(r).await, (409, "disposed".into()));
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(error_code(r).await, (410, "disposed".into()));

    // Reads say so at once; the record itself stays.
    let doc = &citizen["documents"][0];
    let sha = motcua::storage::Sha256Digest::from_hex(doc["sha256"].as_str().unwrap()).unwrap();
    let r = app
        .get(&archivist, doc["content_url"].as_str().unwrap())
        .await;
    assert_eq!(error_code(r).await, (410, "disposed".into()));
    let r = app.get(&archivist, &format!("/api/v1/dossiers/{id}")).await;
    assert_eq!(r.status(), 200);
    // The bytes were written within the orphan grace period (the import was just now): a
    // request could be about to refer to the same bytes, so the orphan sweep removes them,
    // honouring that period. Run with no grace, it does so now.
    assert!(app.state().store.size(&sha).await.unwrap().is_some());
    crate::support::gc_now(&app).await;
    assert_eq!(app.state().store.size(&sha).await.unwrap(), None);

    // The log vouches for the disposal, and fixity does not miss the deleted bytes.
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Its archive package keeps the record and names what was disposed of.
    let r = app
        .get(&archivist, &format!("/api/v1/dossiers/{id}/bag"))
        .await;
    assert_eq!(r.status(), 200);
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("bag.tar"), r.bytes().await.unwrap()).unwrap();
    assert!(
        std::process::Command::new("tar")
            .arg("-xf")
            .arg(out.path().join("bag.tar"))
            .arg("-C")
            .arg(out.path())
            .status()
            .unwrap()
            .success()
    );
    let code = citizen["code"].as_str().unwrap();
    let bag = out.path().join(code);
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(info.contains("Dossier-Disposed: "), "{info}");
    let description: Value = serde_json::from_slice(
        &std::fs::read(bag.join(format!("data/{code}/dossier.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(description["disposal"]["files"][0]["sha256"], doc["sha256"]);
    assert!(!bag.join(format!("data/{code}/documents")).exists());
    let out = crate::support::binary()
        .args(["archive", "verify"])
        .arg(&bag)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // The same bytes filed again later are a live record's again.
    let person = app.citizen_token("001085012345").await;
    let again = app
        .submit_ok(
            &person,
            form(
                &json!({"procedure": "health-insurance-card",
                        "applicant": {"id_number": "001085012345", "name": "Nguyễn Văn Bình"}}),
                vec![("to-khai.pdf", "application/pdf", pdf("to khai bhyt 2014"))],
            ),
        )
        .await;
    assert_eq!(again["documents"][0]["sha256"], doc["sha256"]);
    let r = app
        .get(
            &person,
            again["documents"][0]["content_url"].as_str().unwrap(),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        pdf("to khai bhyt 2014").as_slice()
    );
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn bytes_another_live_record_holds_are_kept_and_a_request_can_be_withdrawn() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, citizen) = imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let path = format!("/api/v1/dossiers/{id}/disposal");
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;

    // Withdrawn, then asked for again.
    let r = post(&app, &archivist, &path, Some(request())).await;
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&archivist)
        .json(&json!({"reason": "Nhầm hồ sơ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v.get("disposal").is_none(), "{v}");
    // Nothing to approve: said so, not "not found".
    let r = post(&app, &admin, &format!("{path}/approval"), None).await;
    assert_eq!(error_code(r).await, (409, "no_disposal_request".into()));
    assert_eq!(
        post(&app, &archivist, &path, Some(request()))
            .await
            .status(),
        201
    );

    // The same bytes filed again today in a live dossier: the disposal keeps them.
    let person = app.citizen_token("001085012345").await;
    let live = app
        .submit_ok(
            &person,
            form(
                &json!({"procedure": "health-insurance-card",
                        "applicant": {"id_number": "001085012345", "name": "Nguyễn Văn Bình"}}),
                vec![("to-khai.pdf", "application/pdf", pdf("to khai bhyt 2014"))],
            ),
        )
        .await;
    assert_eq!(
        live["documents"][0]["sha256"],
        citizen["documents"][0]["sha256"]
    );
    let r = post(&app, &admin, &format!("{path}/approval"), None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["disposal"]["objects_deleted"], 0, "{v}");
    assert_eq!(v["disposal"]["objects_kept"], 1, "{v}");
    let r = app
        .get(
            &person,
            live["documents"][0]["content_url"].as_str().unwrap(),
        )
        .await;
    assert_eq!(r.status(), 200, "the live dossier's file is intact");
    let r = app
        .get(
            &archivist,
            citizen["documents"][0]["content_url"].as_str().unwrap(),
        )
        .await;
    assert_eq!(error_code(r).await, (410, "disposed".into()));
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn the_log_catches_a_disposal_or_an_import_edited_behind_motcuas_back() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (business, citizen) = imported(&app, dir.path()).await;
    let archivist = app.token(Role::Archivist).await;
    // A hold on the business's record, and a disposal asked for the citizen's.
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/dossiers/{}/legal-hold",
            business["id"].as_str().unwrap()
        )))
        .bearer_auth(&archivist)
        .json(&json!({"reason": "Tranh chấp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let path = format!(
        "/api/v1/dossiers/{}/disposal",
        citizen["id"].as_str().unwrap()
    );
    assert_eq!(
        post(&app, &archivist, &path, Some(request()))
            .await
            .status(),
        201
    );
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Deleting the hold would make the record look disposable; deleting the request would
    // hide that one was made.
    crate::tamper::sql(&app, "DELETE FROM legal_holds").await;
    crate::tamper::sql(&app, "DELETE FROM disposals").await;

    // Moving a record's closing day back would make it disposable early.
    crate::tamper::sql(
        &app,
        &format!(
            "UPDATE archive_imports SET closed_on = '2000-01-01' WHERE dossier_id = '{}'",
            business["id"].as_str().unwrap()
        ),
    )
    .await;
    // Marking an object disposed would hide it from the fixity check.
    crate::tamper::sql(
        &app,
        &format!(
            "UPDATE objects SET disposed_at = '2026-01-01T00:00:00Z' WHERE sha256 = '{}'",
            citizen["documents"][0]["sha256"].as_str().unwrap()
        ),
    )
    .await;
    let report = crate::ledger::verify_app(&app).await;
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("closed on 2000-01-01) does not match its log entry"),
        "{problems}"
    );
    assert!(
        problems.contains("no logged disposal deleted it"),
        "{problems}"
    );
    assert!(
        problems.contains("the legal hold on dossier")
            && problems.contains("would look disposable"),
        "{problems}"
    );
    assert!(
        problems.contains("the disposal request for dossier") && problems.contains("(deleted)"),
        "{problems}"
    );
}

#[tokio::test]
async fn a_paper_kept_longer_than_its_procedure_keeps_the_whole_dossier() {
    // Health-insurance records are kept 10 years; in this catalogue their declaration, 20.
    let dir = tempfile::tempdir().unwrap();
    let shipped = include_str!("../../catalogue/procedures.toml");
    let longer = shipped.replace(
        r#"name_en = "Health insurance declaration" }"#,
        r#"name_en = "Health insurance declaration", retention = 20 }"#,
    );
    assert_ne!(longer, shipped);
    let catalogue = dir.path().join("procedures.toml");
    std::fs::write(&catalogue, longer).unwrap();
    let app = TestApp::spawn_with(|s| s.procedures = Some(catalogue.clone())).await;
    let folder = old_archive(dir.path());
    let csv = dir.path().join("classes.csv");
    let with_component = |component: &str| {
        format!(
            "file,source_code,procedure,applicant_name,id_number,submitted_on,closed_on,component\n\
             2014/to-khai.pdf,HS-2014-0002,health-insurance-card,Nguyễn Văn Bình,001085012345,\
             2014-06-02,2014-06-10,{component}\n"
        )
    };
    let procedures = ["--procedures", catalogue.to_str().unwrap()];

    // A paper the procedure does not have is refused.
    std::fs::write(&csv, with_component("passport")).unwrap();
    let out = import(&app, &folder, &csv, &procedures).await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("component \"passport\" is not a paper"),
        "{out:?}"
    );

    std::fs::write(&csv, with_component("declaration")).unwrap();
    let out = import(&app, &folder, &csv, &procedures).await;
    assert!(out.status.success(), "{out:?}");
    let archivist = app.token(Role::Archivist).await;
    let page: Value = app
        .get(&archivist, "/api/v1/dossiers?id_number=001085012345")
        .await
        .json()
        .await
        .unwrap();
    let id = page["items"][0]["id"].as_str().unwrap();
    let r: Value = app
        .get(&archivist, &format!("/api/v1/dossiers/{id}/retention"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["retention"], "20 years", "{r}");
    assert!(
        r["retention_from"]
            .as_str()
            .unwrap()
            .contains("declaration"),
        "{r}"
    );
    assert_eq!(r["disposable_from"], "2035-01-01", "{r}");
    let r = post(
        &app,
        &archivist,
        &format!("/api/v1/dossiers/{id}/disposal"),
        Some(request()),
    )
    .await;
    assert_eq!(error_code(r).await, (409, "not_disposable".into()));

    // The paper a document is decides its retention: changing it is caught.
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    crate::tamper::sql(
        &app,
        &format!("UPDATE documents SET component = NULL WHERE dossier_id = '{id}'"),
    )
    .await;
    let report = crate::ledger::verify_app(&app).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("does not match its log entry")),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn bytes_written_before_the_grace_period_go_at_approval() {
    // On a local directory (whatever the database), where a test can say the bytes were
    // written long ago.
    let app = TestApp::spawn_with(|s| {
        // Where the command line (given --data) puts them too.
        s.store.storage = motcua::config::StorageSettings::Local(s.store.data_dir.join("objects"));
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (_, citizen) = imported(&app, dir.path()).await;
    let id = citizen["id"].as_str().unwrap();
    let sha = citizen["documents"][0]["sha256"].as_str().unwrap();
    let file = app
        .data_dir()
        .join("objects/objects/sha256")
        .join(&sha[..2])
        .join(sha);
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let archivist = app.token(Role::Archivist).await;
    let admin = app.token(Role::Admin).await;
    let path = format!("/api/v1/dossiers/{id}/disposal");
    assert_eq!(
        post(&app, &archivist, &path, Some(request()))
            .await
            .status(),
        201
    );
    let r = post(&app, &admin, &format!("{path}/approval"), None).await;
    assert_eq!(r.status(), 200);
    assert!(!file.exists(), "deleted at approval");
}
