//! Archive packages: an archivist exports dossiers as BagIt bags (from the command line or the
//! API) that the Library of Congress `bagit` tool accepts and that `motcua archive verify`
//! proves offline against the log's key; any change to a bag is found.

use std::path::{Path, PathBuf};
use std::time::Duration;

use motcua::auth::Role;
use serde_json::{Value, json};

use crate::support::{
    TestApp, binary, error_code, form, openssl_detached_signature, overwrite_object, pdf,
    sha256_hex, store_args,
};

const TAX_CODE: &str = "0106869738";

/// A business files a signed application (verified at intake: a signature report), an officer
/// issues a result, and the log is checkpointed past all of it. Returns the dossier JSON and the
/// result code.
async fn archived_dossier(app: &TestApp) -> (Value, String) {
    let business = app.business_token(TAX_CODE).await;
    let doc = pdf("giay de nghi dang ky");
    let p7s = openssl_detached_signature("signer-rsa", &doc);
    let dossier = json!({
        "procedure": "business-registration",
        "applicant": {"tax_code": TAX_CODE, "name": "Công ty TNHH Mẫu"}
    });
    let d = app
        .submit_ok(
            &business,
            form(
                &dossier,
                vec![
                    ("Giấy đề nghị.pdf", "application/pdf", doc.clone()),
                    ("Giấy đề nghị.pdf.p7s", "application/pkcs7-signature", p7s),
                ],
            ),
        )
        .await;
    assert_eq!(d["signatures"][0]["indication"], "TOTAL_PASSED", "{d}");
    let officer = app.token(Role::Officer).await;
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/dossiers/{}/results",
            d["id"].as_str().unwrap()
        )))
        .bearer_auth(&officer)
        .json(&json!({"kind": "business_registration",
            "fields": [["Tên doanh nghiệp", "CÔNG TY TNHH MẪU"], ["Mã số doanh nghiệp", TAX_CODE]],
            "place": "Hà Nội"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let result: Value = r.json().await.unwrap();
    let code = result["code"].as_str().unwrap().to_owned();
    // Reading the result's proof has the service sign a checkpoint covering everything so far
    // (it also does so every checkpoint interval).
    let r = app
        .get(&officer, &format!("/api/v1/results/{code}/proof"))
        .await;
    assert_eq!(r.status(), 200);
    (d, code)
}

async fn export(app: &TestApp, args: &[&str]) -> std::process::Output {
    binary()
        .args(["archive", "export"])
        .args(store_args(&app.settings))
        .args(args)
        .output()
        .await
        .unwrap()
}

async fn verify(bag: &Path, key: Option<&str>) -> (i32, String) {
    let mut c = binary();
    c.args(["archive", "verify"]).arg(bag);
    if let Some(k) = key {
        c.args(["--key", k]);
    }
    let out = c.output().await.unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The Library of Congress tool's verdict (`bagit.py --validate`).
fn bagit_validates(bag: &Path) -> bool {
    std::process::Command::new("bagit.py")
        .arg("--validate")
        .arg(bag)
        .output()
        .expect("bagit.py (pip install bagit) runs")
        .status
        .success()
}

fn key_of(app: &TestApp) -> String {
    app.state().ledger.verifier().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Rewrites both manifests to match the files as they now are: what someone who changes a bag
/// and wants the change unnoticed would do.
fn rewrite_manifests(bag: &Path) {
    fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let mut all = Vec::new();
    files(bag, bag, &mut all);
    all.sort();
    let line = |p: &String| {
        format!(
            "{}  {p}\n",
            sha256_hex(&std::fs::read(bag.join(p)).unwrap())
        )
    };
    let manifest: String = all
        .iter()
        .filter(|p| p.starts_with("data/"))
        .map(line)
        .collect();
    std::fs::write(bag.join("manifest-sha256.txt"), manifest).unwrap();
    let payload: Vec<&String> = all.iter().filter(|p| p.starts_with("data/")).collect();
    let octets: u64 = payload
        .iter()
        .map(|p| std::fs::metadata(bag.join(p)).unwrap().len())
        .sum();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let info: String = info
        .lines()
        .map(|l| match l.starts_with("Payload-Oxum:") {
            true => format!("Payload-Oxum: {octets}.{}\n", payload.len()),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::write(bag.join("bag-info.txt"), info).unwrap();
    let tags: String = all
        .iter()
        .filter(|p| !p.starts_with("data/") && *p != "tagmanifest-sha256.txt")
        .map(line)
        .collect();
    std::fs::write(bag.join("tagmanifest-sha256.txt"), tags).unwrap();
}

fn find(bag: &Path, under: &str, suffix: &str) -> PathBuf {
    std::fs::read_dir(bag.join(under))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {under}/*{suffix}"))
}

#[tokio::test]
async fn an_exported_dossier_is_a_bag_that_bagit_accepts_and_that_proves_itself_offline() {
    let app = TestApp::spawn().await;
    let (d, result_code) = archived_dossier(&app).await;
    let code = d["code"].as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let bag = out.path().join("bag");

    let run = export(
        &app,
        &["--progress", "--dossier", code, bag.to_str().unwrap()],
    )
    .await;
    assert!(run.status.success(), "{run:?}");
    let bar = String::from_utf8_lossy(&run.stderr);
    assert!(
        bar.contains("[##############################]") && bar.contains(" files, "),
        "a progress bar that ends full: {bar}"
    );

    // Its layout: the payload, the manifests, the metadata.
    let docs = bag.join(format!("data/{code}/documents"));
    assert_eq!(
        std::fs::read(docs.join("01-Giay de nghi.pdf")).unwrap(),
        pdf("giay de nghi dang ky"),
        "the document as filed, its name made portable"
    );
    assert!(docs.join("02-Giay de nghi.pdf.p7s").is_file());
    let result = bag.join(format!("data/{code}/results/{result_code}.pdf"));
    assert!(std::fs::read(&result).unwrap().starts_with(b"%PDF-"));
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    for line in [
        format!("Dossier-Code: {code}"),
        "Dossier-Procedure: business-registration".into(),
        "Dossier-Retention: PERMANENT".into(),
        "Payload-Oxum: ".into(),
        "Bagging-Date: ".into(),
    ] {
        assert!(info.contains(&line), "{line:?} in {info}");
    }
    assert!(info.contains("Dossier-Agency: "), "{info}");
    assert_eq!(
        std::fs::read_to_string(bag.join("proofs/verifier-key.txt"))
            .unwrap()
            .trim(),
        key_of(&app)
    );
    let description: Value = serde_json::from_slice(
        &std::fs::read(bag.join(format!("data/{code}/dossier.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(description["code"], code);
    assert_eq!(description["files"].as_array().unwrap().len(), 5);

    // The Library of Congress tool accepts it.
    assert!(bagit_validates(&bag));

    // And it proves itself offline, against the key the agency publishes: the record, both
    // documents, the result and the signature report, each against the log.
    let (status, report) = verify(&bag, Some(&key_of(&app))).await;
    assert_eq!(status, 0, "{report}");
    assert!(
        report.contains("bag valid: 5 files proven against the log, 1 described"),
        "{report}"
    );
    // The same verdict for programs.
    let out = binary()
        .args(["archive", "verify", "--json", "--key", &key_of(&app)])
        .arg(&bag)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], true, "{json}");
    assert_eq!(json["proven"].as_array().unwrap().len(), 5, "{json}");
    assert_eq!(json["key_from_bag"], false, "{json}");
    // Without a key it uses the bag's own, and says so.
    let (status, report) = verify(&bag, None).await;
    assert_eq!(status, 0, "{report}");
    assert!(report.contains("key inside the bag"), "{report}");

    // Each proof is also a proof `motcua ledger verify-proof` checks on its own.
    let proof = bag.join(format!(
        "proofs/{code}/results/{result_code}.pdf.proof.json"
    ));
    let out = binary()
        .args(["ledger", "verify-proof"])
        .arg(&proof)
        .args(["--key", &key_of(&app), "--document"])
        .arg(&result)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // The export was logged as an archivist's read.
    let head = app.state().ledger.size().await.unwrap();
    let entries = app.state().ledger.entries(0, head).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.entry.contains("\"record_read\"") && e.entry.contains("cli:archive-export")),
        "the export is a logged read"
    );
}

#[tokio::test]
async fn any_change_to_a_bag_is_found_even_with_its_manifests_rewritten() {
    let app = TestApp::spawn().await;
    let (d, result_code) = archived_dossier(&app).await;
    let code = d["code"].as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let bag = out.path().join("bag");
    assert!(
        export(&app, &["--dossier", code, bag.to_str().unwrap()])
            .await
            .status
            .success()
    );
    let key = key_of(&app);
    let variant = |name: &str| {
        let dir = out.path().join(name);
        copy_dir(&bag, &dir);
        dir
    };

    // One byte of a document changed: the manifest says so, and so does bagit.
    let flipped = variant("flipped");
    let doc = find(&flipped, &format!("data/{code}/documents"), ".pdf");
    let mut bytes = std::fs::read(&doc).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&doc, &bytes).unwrap();
    let (status, report) = verify(&flipped, Some(&key)).await;
    assert_eq!(status, 1, "{report}");
    assert!(report.contains("01-Giay de nghi.pdf: changed"), "{report}");
    assert!(!bagit_validates(&flipped));

    // The same change with both manifests rewritten: bagit is satisfied, the log is not.
    let forged = variant("forged");
    let doc = find(&forged, &format!("data/{code}/documents"), ".pdf");
    std::fs::write(&doc, pdf("a different application")).unwrap();
    rewrite_manifests(&forged);
    assert!(
        bagit_validates(&forged),
        "a consistent forgery fools the manifests"
    );
    let (status, report) = verify(&forged, Some(&key)).await;
    assert_eq!(status, 1, "{report}");
    assert!(report.contains("it was altered"), "{report}");

    // A result taken out with its proof and manifest lines: the description still lists it.
    let pruned = variant("pruned");
    std::fs::remove_file(pruned.join(format!("data/{code}/results/{result_code}.pdf"))).unwrap();
    std::fs::remove_file(pruned.join(format!(
        "proofs/{code}/results/{result_code}.pdf.proof.json"
    )))
    .unwrap();
    rewrite_manifests(&pruned);
    let (status, report) = verify(&pruned, Some(&key)).await;
    assert_eq!(status, 1, "{report}");
    assert!(report.contains("but not in the bag"), "{report}");

    // A file slipped into the payload, listed in the manifests: it has no proof.
    let padded = variant("padded");
    std::fs::write(
        padded.join(format!("data/{code}/documents/03-extra.pdf")),
        pdf("x"),
    )
    .unwrap();
    rewrite_manifests(&padded);
    let (status, report) = verify(&padded, Some(&key)).await;
    assert_eq!(status, 1, "{report}");
    assert!(report.contains("03-extra.pdf: no usable proof"), "{report}");

    // A proof re-pointed at another record: it no longer matches its file.
    let swapped = variant("swapped");
    let proofs = swapped.join(format!("proofs/{code}/documents"));
    let first = find(
        &swapped,
        &format!("proofs/{code}/documents"),
        ".pdf.proof.json",
    );
    let second = find(
        &swapped,
        &format!("proofs/{code}/documents"),
        ".p7s.proof.json",
    );
    let a = std::fs::read(&first).unwrap();
    std::fs::write(&first, std::fs::read(&second).unwrap()).unwrap();
    std::fs::write(&second, a).unwrap();
    assert!(proofs.is_dir());
    rewrite_manifests(&swapped);
    let (status, report) = verify(&swapped, Some(&key)).await;
    assert_eq!(status, 1, "{report}");

    // A dossier relabelled in bag-info.txt, manifests rewritten: the records say otherwise.
    let relabelled = variant("relabelled");
    let info = std::fs::read_to_string(relabelled.join("bag-info.txt")).unwrap();
    std::fs::write(
        relabelled.join("bag-info.txt"),
        info.replace(
            &format!("Dossier-Code: {code}"),
            "Dossier-Code: DEMO-000101-0001",
        ),
    )
    .unwrap();
    rewrite_manifests(&relabelled);
    assert!(bagit_validates(&relabelled));
    let (status, report) = verify(&relabelled, Some(&key)).await;
    assert_eq!(status, 1, "{report}");
    assert!(
        report.contains("bag-info.txt names the dossiers"),
        "{report}"
    );

    // The bag checked against another log's key: nothing holds.
    let other = TestApp::spawn().await;
    let (status, report) = verify(&bag, Some(&key_of(&other))).await;
    assert_eq!(status, 1, "{report}");
    assert!(report.contains("proofs/verifier-key.txt names"), "{report}");

    // The original is untouched by all this.
    assert_eq!(verify(&bag, Some(&key)).await.0, 0);
}

#[tokio::test]
async fn archivists_download_bags_over_the_api_and_others_cannot() {
    let app = TestApp::spawn().await;
    let (first, _) = archived_dossier(&app).await;
    let (second, _) = archived_dossier(&app).await;
    let id = first["id"].as_str().unwrap();
    let code = first["code"].as_str().unwrap();
    let archivist = app.token(Role::Archivist).await;
    let out = tempfile::tempdir().unwrap();

    let untar = |bytes: &[u8], dir: &Path| {
        std::fs::create_dir_all(dir).unwrap();
        let tar = dir.join("bag.tar");
        std::fs::write(&tar, bytes).unwrap();
        let status = std::process::Command::new("tar")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::remove_file(tar).unwrap();
    };

    // One dossier.
    let r = app
        .get(&archivist, &format!("/api/v1/dossiers/{id}/bag"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let bytes = r.bytes().await.unwrap();
    let one = out.path().join("one");
    untar(&bytes, &one);
    let bag = one.join(code);
    assert!(bagit_validates(&bag));
    let (status, report) = verify(&bag, Some(&key_of(&app))).await;
    assert_eq!(status, 0, "{report}");

    // Every dossier a search finds.
    let r = app
        .get(
            &archivist,
            &format!("/api/v1/archive/bag?tax_code={TAX_CODE}&procedure=business-registration"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let many = out.path().join("many");
    untar(&bytes, &many);
    let bag = std::fs::read_dir(&many)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(bag.join(format!("data/{code}/record.json")).is_file());
    assert!(
        bag.join(format!(
            "data/{}/record.json",
            second["code"].as_str().unwrap()
        ))
        .is_file()
    );
    assert!(bagit_validates(&bag));
    let (status, report) = verify(&bag, Some(&key_of(&app))).await;
    assert_eq!(status, 0, "{report}");
    assert!(report.contains("10 files proven"), "{report}");

    // The same search from the command line.
    let cli = out.path().join("cli");
    let run = export(
        &app,
        &[
            "--query",
            &format!("tax_code={TAX_CODE}&procedure=business-registration"),
            cli.to_str().unwrap(),
        ],
    )
    .await;
    assert!(run.status.success(), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("exported 2 dossiers"),
        "{run:?}"
    );
    let info = std::fs::read_to_string(cli.join("bag-info.txt")).unwrap();
    assert_eq!(info.matches("Dossier-Code: ").count(), 2, "{info}");
    let (status, report) = verify(&cli, Some(&key_of(&app))).await;
    assert_eq!(status, 0, "{report}");

    // Refusals.
    let officer = app.token(Role::Officer).await;
    let business = app.business_token(TAX_CODE).await;
    for token in [&officer, &business] {
        let r = app.get(token, &format!("/api/v1/dossiers/{id}/bag")).await;
        assert_eq!(error_code(r).await, (403, "forbidden".into()));
    }
    let r = app.get("", &format!("/api/v1/dossiers/{id}/bag")).await;
    assert_eq!(r.status(), 401);
    let r = app
        .get(&archivist, &format!("/api/v1/dossiers/{}/bag", uuid_like()))
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    let r = app.get(&archivist, "/api/v1/archive/bag?limit=5").await;
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));
    let r = app.get(&archivist, "/api/v1/archive/bag?colour=red").await;
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));
    let r = app
        .get(&archivist, "/api/v1/archive/bag?tax_code=0100109106")
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
}

fn uuid_like() -> &'static str {
    "00000000-0000-4000-8000-000000000000"
}

#[tokio::test]
async fn a_bad_export_is_refused_and_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let (d, _) = archived_dossier(&app).await;
    let code = d["code"].as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let bag = out.path().join("bag");
    let bag_arg = bag.to_str().unwrap();

    // No such dossier; a query the API would refuse; a destination that exists.
    let run = export(&app, &["--dossier", "DEMO-000101-0001", bag_arg]).await;
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("no dossier DEMO-000101-0001"));
    let run = export(&app, &["--query", "status=NOPE", bag_arg]).await;
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("--query: status"));
    let run = export(&app, &["--query", "tax_code=0100109106", bag_arg]).await;
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    std::fs::create_dir(&bag).unwrap();
    let run = export(&app, &["--dossier", code, bag_arg]).await;
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("already exists"));
    std::fs::remove_dir(&bag).unwrap();

    // A stored document changed behind motcua's back: nothing is exported.
    let sha = d["documents"][0]["sha256"].as_str().unwrap();
    overwrite_object(&app, sha, pdf("changed in the store")).await;
    let run = export(&app, &["--dossier", code, bag_arg]).await;
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("now hashes to"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "neither the bag nor a partial one is left"
    );

    // Something that is not a bag.
    let (status, report) = verify(out.path(), None).await;
    assert_eq!(status, 3, "{report}");
    assert!(report.contains("is not a BagIt bag"), "{report}");
}

#[tokio::test]
async fn an_export_waits_for_a_signed_checkpoint_and_says_so() {
    // The service signs checkpoints once an hour here, and nothing asks for one sooner.
    let app =
        TestApp::spawn_with(|s| s.ledger.checkpoint_interval = Duration::from_secs(3600)).await;
    let business = app.business_token(TAX_CODE).await;
    let d = app
        .submit_ok(
            &business,
            form(
                &crate::support::business_dossier(TAX_CODE),
                vec![("don.pdf", "application/pdf", pdf("not yet checkpointed"))],
            ),
        )
        .await;
    let out = tempfile::tempdir().unwrap();
    let bag = out.path().join("bag");
    let run = export(
        &app,
        &[
            "--dossier",
            d["code"].as_str().unwrap(),
            bag.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("no signed checkpoint covers"),
        "{run:?}"
    );
    assert!(!bag.exists());
}
