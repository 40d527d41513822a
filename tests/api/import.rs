//! Import of an existing paper archive: a folder of scans and a CSV of their metadata become
//! closed, logged dossiers, once however often the import runs; a bad CSV writes nothing.

use std::path::Path;

use motcua::auth::Role;
use serde_json::Value;

use crate::support::{TestApp, binary, pdf, png, store_args};

/// A folder of scans with its CSV. Two records: a business's (two files; its name holds a
/// comma, quoted) and a citizen's, closed in 2014 and 2015.
pub fn old_archive(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join("kho-luu-tru");
    std::fs::create_dir_all(folder.join("2014")).unwrap();
    std::fs::write(folder.join("2014/don-dang-ky.pdf"), pdf("don dang ky 2014")).unwrap();
    std::fs::write(folder.join("2014/giay-phep.png"), png()).unwrap();
    std::fs::write(folder.join("2014/to-khai.pdf"), pdf("to khai bhyt 2014")).unwrap();
    std::fs::write(
        folder.join("records.csv"),
        "file,source_code,procedure,applicant_name,tax_code,id_number,submitted_on,closed_on,title\n\
         2014/don-dang-ky.pdf,HS-2014-0001,business-registration,\"Công ty TNHH Ánh Dương, Hà Nội\",0101234565,,2014-03-03,2014-03-20,Đăng ký thành lập\n\
         2014/giay-phep.png,HS-2014-0001,business-registration,\"Công ty TNHH Ánh Dương, Hà Nội\",0101234565,,2014-03-03,2014-03-20,\n\
         2014/to-khai.pdf,HS-2014-0002,health-insurance-card,Nguyễn Văn Bình,,001085012345,2014-06-02,2014-06-10,\n",
    )
    .unwrap();
    folder
}

pub async fn import(
    app: &TestApp,
    folder: &Path,
    csv: &Path,
    extra: &[&str],
) -> std::process::Output {
    binary()
        .args(["archive", "import", "--unit-code", "TEST"])
        .args(store_args(&app.settings))
        .args(extra)
        .arg("--csv")
        .arg(csv)
        .arg(folder)
        .output()
        .await
        .unwrap()
}

async fn dossiers(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(token, &format!("/api/v1/dossiers?{query}")).await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_archive_folder_and_its_csv_become_closed_logged_dossiers_once() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = old_archive(dir.path());
    let csv = folder.join("records.csv");

    let out = import(&app, &folder, &csv, &["--progress"]).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("imported 2 records (3 files"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2/2 records"));

    // The business's record: closed, filed on its day, both files as scanned.
    let archivist = app.token(Role::Archivist).await;
    let found = dossiers(&app, &archivist, "tax_code=0101234565").await;
    assert_eq!(found.len(), 1);
    let id = found[0]["id"].as_str().unwrap();
    let d: Value = app
        .get(&archivist, &format!("/api/v1/dossiers/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["status"], "RETURNED", "{d}");
    assert!(
        d["code"].as_str().unwrap().starts_with("TEST-140303-"),
        "{d}"
    );
    assert!(
        d["submitted_at"]
            .as_str()
            .unwrap()
            .starts_with("2014-03-03")
    );
    assert_eq!(d["applicant"]["name"], "Công ty TNHH Ánh Dương, Hà Nội");
    let docs = d["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["media_type"], "image/png");
    let bytes = app
        .get(&archivist, docs[0]["content_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), pdf("don dang ky 2014").as_slice());
    // Its retention counts from the year the old archive says it closed.
    let citizen = dossiers(&app, &archivist, "id_number=001085012345").await;
    let r: Value = app
        .get(
            &archivist,
            &format!(
                "/api/v1/dossiers/{}/retention",
                citizen[0]["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["closed_year"], 2014, "{r}");
    assert_eq!(r["disposable_from"], "2025-01-01", "{r}");

    // Run again: nothing new.
    let out = import(&app, &folder, &csv, &[]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("imported 0 records (0 files, 0 bytes); 2 imported before"),
        "{out:?}"
    );
    assert_eq!(
        dossiers(&app, &archivist, "tax_code=0101234565")
            .await
            .len(),
        1
    );

    // The log vouches for all of it.
    let report = crate::ledger::verify_app(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn a_longer_csv_resumes_where_the_last_run_stopped_and_changed_files_are_reported() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = old_archive(dir.path());
    let csv = folder.join("records.csv");
    let full = std::fs::read_to_string(&csv).unwrap();
    // A first run that got through the first record only.
    let first: String = full.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("first.csv"), first).unwrap();
    let out = import(&app, &folder, &dir.path().join("first.csv"), &[]).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 1 record "),
        "{out:?}"
    );
    let out = import(&app, &folder, &csv, &[]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 1 record (1 file,")
            && String::from_utf8_lossy(&out.stdout).contains("1 imported before"),
        "{out:?}"
    );

    // A scan replaced in the folder after its import: reported, the record left as it is.
    std::fs::write(folder.join("2014/to-khai.pdf"), pdf("rescanned")).unwrap();
    let out = import(&app, &folder, &csv, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("CONFLICT HS-2014-0002"),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_bad_csv_is_refused_whole_with_every_problem_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = old_archive(dir.path());
    std::fs::write(folder.join("notes.txt"), "not a scan").unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "file,source_code,procedure,applicant_name,tax_code,id_number,submitted_on,closed_on\n\
         2014/don-dang-ky.pdf,A,business-registration,X,0101234565,,2014-03-03,2014-03-20\n\
         2014/missing.pdf,B,business-registration,X,0101234565,,2014-03-03,2014-03-20\n\
         2014/giay-phep.png,C,business-registration,X,12345,,2014-03-03,2014-03-20\n\
         2014/to-khai.pdf,D,no-such-procedure,X,,001085012345,2014-03-03,2014-03-20\n\
         notes.txt,E,business-registration,X,0101234565,,2014-03-03,2014-03-20\n\
         ../outside.pdf,F,business-registration,X,0101234565,,2014-03-03,2014-03-20\n\
         2014/don-dang-ky.pdf,G,business-registration,X,0101234565,,2014-03-20,2014-03-03\n\
         2014/nowhere.pdf,H,no-procedure,X,12,,2014-03-03,yesterday\n",
    )
    .unwrap();
    let out = import(&app, &folder, &csv, &[]).await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "line 3: file \"2014/missing.pdf\"",
        "line 4: tax_code",
        "line 5: procedure \"no-such-procedure\"",
        "line 6: file \"notes.txt\" is not a PDF",
        "line 7: file \"../outside.pdf\" is not a path inside the folder",
        "line 8: closed_on",
        // Every problem of one row, not only the first.
        "line 9: tax_code",
        "line 9: submitted_on and closed_on are dates",
        "line 9: procedure \"no-procedure\"",
        "line 9: file \"2014/nowhere.pdf\"",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
    assert!(
        !stderr.contains("line 2:"),
        "the good row is fine: {stderr}"
    );
    let archivist = app.token(Role::Archivist).await;
    assert!(
        dossiers(&app, &archivist, "").await.is_empty(),
        "nothing written"
    );

    // An unknown column, and a folder that is not one.
    std::fs::write(&csv, "file,colour\nx.pdf,red\n").unwrap();
    let out = import(&app, &folder, &csv, &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown column \"colour\""), "{stderr}");
    // One problem is one problem, not "1 problems".
    std::fs::write(
        &csv,
        "file,source_code,procedure,applicant_name,tax_code,submitted_on,closed_on\n\
         2014/don-dang-ky.pdf,A,no-such-procedure,X,0101234565,2014-03-03,2014-03-20\n",
    )
    .unwrap();
    let out = import(&app, &folder, &csv, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 problem in the import"), "{stderr}");
    let out = import(&app, &dir.path().join("nowhere"), &csv, &[]).await;
    assert_eq!(out.status.code(), Some(3));
}
