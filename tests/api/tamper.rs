//! Tampering with what motcua stored, behind its back, on either backend: `motcua ledger verify`
//! finds every kind of change, names what changed, and exits 1; on intact data it exits 0.

use motcua::auth::Role;
use sqlx::Executor as _;

use crate::support::*;

/// A populated app: two dossiers, three documents, a checkpoint. Returns the first dossier.
async fn populated() -> (TestApp, serde_json::Value) {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let d = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![
                    ("a.pdf", "application/pdf", pdf("tamper a")),
                    ("b.png", "image/png", png()),
                ],
            ),
        )
        .await;
    app.submit_ok(
        &officer,
        form(
            &business_dossier("0107654326"),
            vec![("c.pdf", "application/pdf", pdf("tamper c"))],
        ),
    )
    .await;
    app.state().ledger.publish_checkpoint().await.unwrap();
    (app, d)
}

/// Runs `motcua ledger verify` on the app's database and store; returns the exit code and output.
async fn verify_cli(app: &TestApp, extra: &[&str]) -> (i32, String) {
    let out = binary()
        .args(["ledger", "verify"])
        .args(store_args(&app.settings))
        .args(extra)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

pub async fn sql(app: &TestApp, statement: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.settings.store.database_url)
        .await
        .unwrap();
    pool.execute(sqlx::AssertSqlSafe(statement.to_owned()))
        .await
        .unwrap();
    pool.close().await;
}

async fn assert_detected(app: &TestApp, expected: &str) {
    let (code, out) = verify_cli(app, &[]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
}

#[tokio::test]
async fn intact_data_verifies() {
    let (app, _) = populated().await;
    let (code, out) = verify_cli(&app, &[]).await;
    assert_eq!(code, 0, "{out}");
    // The first unit; two dossiers: filed, received by the system, and their three documents.
    assert!(out.contains("entries: 8"), "{out}");
    assert!(out.contains("objects: 3"), "{out}");
}

#[tokio::test]
async fn a_flipped_byte_in_a_stored_object_is_found() {
    let (app, d) = populated().await;
    let sha = d["documents"][0]["sha256"].as_str().unwrap().to_owned();
    let mut bytes = pdf("tamper a");
    bytes[20] ^= 0x01;
    overwrite_object(&app, &sha, bytes).await;
    assert_detected(&app, &format!("object {sha} has changed")).await;
}

#[tokio::test]
async fn an_edited_entry_is_found() {
    let (app, _) = populated().await;
    sql(
        &app,
        "UPDATE ledger_entries SET entry = replace(entry, 'image/png', 'image/gif') WHERE idx = 3",
    )
    .await;
    assert_detected(
        &app,
        "entry 3: its stored leaf hash does not match its bytes",
    )
    .await;
}

#[tokio::test]
async fn a_deleted_entry_is_found() {
    let (app, _) = populated().await;
    sql(&app, "DELETE FROM ledger_entries WHERE idx = 1").await;
    assert_detected(&app, "entry 1 is missing").await;
}

#[tokio::test]
async fn reordered_entries_are_found() {
    let (app, _) = populated().await;
    sql(&app, "UPDATE ledger_entries SET idx = 100 WHERE idx = 1").await;
    sql(&app, "UPDATE ledger_entries SET idx = 1 WHERE idx = 2").await;
    sql(&app, "UPDATE ledger_entries SET idx = 2 WHERE idx = 100").await;
    assert_detected(&app, "entry 1 says it is entry 2").await;
}

#[tokio::test]
async fn an_edited_record_is_found() {
    let (app, d) = populated().await;
    let id = d["id"].as_str().unwrap();
    sql(
        &app,
        &format!("UPDATE dossiers SET applicant_name = 'Someone Else' WHERE id = '{id}'"),
    )
    .await;
    assert_detected(&app, &format!("dossier {id}")).await;
    let doc = d["documents"][1]["id"].as_str().unwrap();
    sql(
        &app,
        &format!("UPDATE documents SET media_type = 'application/pdf' WHERE id = '{doc}'"),
    )
    .await;
    assert_detected(
        &app,
        &format!("document {doc} does not match its log entry"),
    )
    .await;
}

#[tokio::test]
async fn a_log_rolled_back_behind_a_published_checkpoint_is_found() {
    let (app, _) = populated().await;
    // Keep the published checkpoint outside the database, as a witness would.
    let note = app
        .state()
        .ledger
        .checkpoint_covering(7)
        .await
        .unwrap()
        .note;
    let file = app.data_dir().with_file_name("published-checkpoint.txt");
    std::fs::write(&file, &note).unwrap();
    // Roll back to the first dossier: keep the first unit's entry and the first dossier's four
    // (filed, two documents, received), drop the rest and their records, and fix up the tree
    // and head so that the rolled-back log is self-consistent.
    let query = |statement: &'static str| {
        let app = &app;
        async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&app.settings.store.database_url)
                .await
                .unwrap();
            let row: (String,) = sqlx::query_as(statement).fetch_one(&pool).await.unwrap();
            pool.close().await;
            row.0
        }
    };
    let leaf4 = query("SELECT leaf_hash FROM ledger_entries WHERE idx = 4").await;
    // Size 5: the subtree (level 2, index 0) and leaf 4.
    let subtree = query("SELECT hash FROM ledger_nodes WHERE level = 2 AND idx = 0").await;
    let frontier = format!("{subtree},{leaf4}");
    for statement in [
        "DELETE FROM dossier_transitions WHERE ledger_index >= 5".to_owned(),
        "DELETE FROM documents WHERE ledger_index >= 5".to_owned(),
        "DELETE FROM dossiers WHERE ledger_index >= 5".to_owned(),
        "DELETE FROM ledger_entries WHERE idx >= 5".to_owned(),
        "DELETE FROM ledger_nodes WHERE (level = 0 AND idx >= 5) OR (level = 1 AND idx >= 2) OR (level = 2 AND idx >= 1) OR level >= 3".to_owned(),
        format!("UPDATE ledger_head SET size = 5, last_leaf = '{leaf4}', frontier = '{frontier}' WHERE id = 1"),
    ] {
        sql(&app, &statement).await;
    }
    // With its checkpoints still stored, the database betrays itself.
    assert_detected(&app, "the log was rolled back").await;
    // Even when the stored checkpoints are removed too, the published one catches it.
    sql(&app, "DELETE FROM ledger_checkpoints WHERE tree_size > 5").await;
    let (code, out) = verify_cli(&app, &["--no-fixity"]).await;
    assert_eq!(
        code, 0,
        "the rolled-back database alone looks consistent: {out}"
    );
    let (code, out) = verify_cli(
        &app,
        &["--no-fixity", "--checkpoint", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the log was rolled back"), "{out}");
}

#[tokio::test]
async fn an_issued_result_is_vouched_by_its_entry_and_an_edited_or_deleted_one_is_found() {
    let (app, d) = populated().await;
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/dossiers/{}/results",
            d["id"].as_str().unwrap()
        )))
        .bearer_auth(&officer)
        .json(&serde_json::json!({"kind": "dossier_receipt", "place": "Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let result: serde_json::Value = r.json().await.unwrap();
    let code = result["code"].as_str().unwrap().to_owned();
    let (status, out) = verify_cli(&app, &[]).await;
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("objects: 4"),
        "the signed PDF is re-hashed too: {out}"
    );

    // Pointing the result at another PDF is caught...
    let other = d["documents"][0]["sha256"].as_str().unwrap();
    sql(
        &app,
        &format!("UPDATE results SET sha256 = '{other}' WHERE code = '{code}'"),
    )
    .await;
    assert_detected(&app, &format!("result {code} does not match its log entry")).await;
    // ...and so is removing it.
    sql(&app, &format!("DELETE FROM results WHERE code = '{code}'")).await;
    assert_detected(&app, "is missing from the database (deleted)").await;
}

#[tokio::test]
async fn an_edited_status_or_an_edited_or_deleted_move_is_found() {
    let (app, d) = populated().await;
    let id = d["id"].as_str().unwrap();
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/dossiers/{id}/transitions")))
        .bearer_auth(&officer)
        .json(&serde_json::json!({"to": "REJECTED", "reason": "Hồ sơ không hợp lệ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (code, out) = verify_cli(&app, &["--no-fixity"]).await;
    assert_eq!(code, 0, "{out}");

    // A rejected dossier quietly put back on the desk.
    sql(
        &app,
        &format!("UPDATE dossiers SET status = 'PROCESSING' WHERE id = '{id}'"),
    )
    .await;
    assert_detected(&app, "(status edited)").await;
    sql(
        &app,
        &format!("UPDATE dossiers SET status = 'REJECTED' WHERE id = '{id}'"),
    )
    .await;
    // The reason rewritten.
    sql(
        &app,
        &format!(
            "UPDATE dossier_transitions SET reason = 'Đã xử lý' WHERE dossier_id = '{id}' AND to_status = 'REJECTED'"
        ),
    )
    .await;
    assert_detected(&app, "does not match its log entry").await;
    // The move deleted.
    sql(
        &app,
        &format!(
            "DELETE FROM dossier_transitions WHERE dossier_id = '{id}' AND to_status = 'REJECTED'"
        ),
    )
    .await;
    assert_detected(&app, "is missing from the dossier's history (deleted)").await;
}
