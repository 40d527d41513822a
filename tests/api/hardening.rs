//! What an adversarial review found (issue 13), each pinned by the attack that found it:
//! decompression bombs and dense object streams cost bounded memory and get a clear answer; an
//! unreadable revision after a signature is never harmless; a truncated PDF is neither signed
//! nor called valid; intake and verification apply one structure check.

use motcua::signature::{Indication, InputError, Report, verify_document};
use serde_json::{Value, json};

use crate::hostile::*;
use crate::support::*;

const MIB: u64 = 1024 * 1024;

/// Every bomb, by name, as a file of about a thousandth of what it inflates to.
fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("object stream inflating to 2 GiB", object_stream_bomb(2048)),
        ("xref stream inflating to 2 GiB", xref_stream_bomb(2048)),
        (
            "content stream inflating to 2 GiB",
            content_stream_bomb(2048),
        ),
        (
            "object stream of 8 MiB of `0 ` tokens",
            dense_object_stream(8),
        ),
        (
            "signed PDF with a revision whose xref stream inflates to 2 GiB",
            append_xref_stream_bomb(&signed_minimal(), 2048),
        ),
    ]
}

fn not_valid(outcome: &Result<Report, InputError>) -> bool {
    match outcome {
        Ok(r) => r.indication != Indication::TotalPassed,
        Err(_) => true,
    }
}

#[test]
fn every_decompression_bomb_is_refused_within_a_bounded_memory() {
    let options = crate::support::test_pki_options();
    for (name, bomb) in bombs() {
        assert!(bomb.len() < 4 << 20, "{name}: {} bytes", bomb.len());
        let (outcome, verify_peak) = peak_bytes(|| verify_document(&bomb, None, &options));
        assert!(not_valid(&outcome), "{name}: {outcome:?}");
        let (_, check_peak) = peak_bytes(|| motcua::content::parse_pdf(&bomb));
        // Beyond the file itself, reading it never holds more than 48 MiB (lopdf's default
        // budget let one such file take 256 MiB), nor more than the gate reserved for it.
        let reserved = motcua::signature::working_set(&bomb, None);
        for (what, peak) in [("verify", verify_peak), ("structure check", check_peak)] {
            assert!(peak < 48 * MIB, "{name}: {what} held {} MiB", peak / MIB);
            assert!(
                peak <= reserved,
                "{name}: {what} held {peak} bytes, the gate reserved {reserved}"
            );
        }
    }
}

#[test]
fn the_bombs_are_refused_with_reasons_that_say_so() {
    let say = |pdf: &[u8]| motcua::content::parse_pdf(pdf).unwrap_err().to_string();
    assert!(
        say(&object_stream_bomb(64)).contains("object streams expand beyond"),
        "{}",
        say(&object_stream_bomb(64))
    );
    assert!(say(&xref_stream_bomb(64)).contains("expands beyond 4 MiB"));
    assert!(
        say(&dense_object_stream(3)).contains("more objects and values"),
        "{}",
        say(&dense_object_stream(3))
    );
    // A content stream is not inflated to read a document: the bomb is inert.
    assert_eq!(motcua::content::parse_pdf(&content_stream_bomb(64)), Ok(()));
}

#[test]
fn what_the_gate_reserves_covers_what_reading_real_documents_takes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pyhanko/pdf");
    let options = crate::support::test_pki_options();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let reserved = motcua::signature::working_set(&bytes, None);
        let (_, peak) = peak_bytes(|| verify_document(&bytes, None, &options));
        assert!(
            peak <= reserved,
            "{}: held {peak} bytes, reserved {reserved}",
            path.display()
        );
        checked += 1;
    }
    // And a dense document within the budget: 300 000 values in an object stream.
    let mut data = b"3 0 [".to_vec();
    data.extend(std::iter::repeat_n(b"12 ".as_slice(), 100_000).flatten());
    data.extend_from_slice(b"]");
    let dense = object_stream_pdf(&data, false);
    motcua::content::parse_pdf(&dense).unwrap();
    let (_, peak) = peak_bytes(|| motcua::content::parse_pdf(&dense));
    assert!(peak <= motcua::signature::working_set(&dense, None));
    assert!(checked > 5);
}

/// The signature is INDETERMINATE, with the reason, whenever what follows it cannot be read:
/// a revision whose cross-reference stream inflates beyond the budget, one that is garbage, or
/// bytes appended without a revision.
#[test]
fn an_unreadable_revision_after_a_signature_is_never_called_harmless() {
    let signed = signed_minimal();
    let mut garbage_revision = signed.clone();
    garbage_revision.extend_from_slice(
        format!(
            "\n7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Prev {} /Length 5 >>\nstream\n\x01\x02\x03\x04\x05\nendstream\nendobj\nstartxref\n{}\n%%EOF\n",
            startxref(&signed),
            signed.len() + 1
        )
        .as_bytes(),
    );
    let mut no_revision = signed.clone();
    no_revision.extend_from_slice(b"\n1 0 obj << /Type /Catalog >> endobj\n");
    for (what, pdf) in [
        ("a bomb", append_xref_stream_bomb(&signed, 2048)),
        ("garbage", garbage_revision),
        ("no revision", no_revision),
    ] {
        let report =
            motcua::signature::pades::verify(&pdf, &crate::support::test_pki_options()).unwrap();
        let s = &report.signatures[0];
        assert_eq!(s.indication, Indication::Indeterminate, "{what}: {s:#?}");
        assert_eq!(report.indication, Indication::Indeterminate, "{what}");
        assert_ne!(
            s.modifications,
            Some(motcua::pdf::changes::ChangeClass::None),
            "{what}"
        );
        assert!(
            s.errors.iter().any(|e| e.contains("cannot be analysed")
                || e.contains("not a revision that can be read")),
            "{what}: {:?}",
            s.errors
        );
    }
}

#[tokio::test]
async fn a_signed_pdf_with_an_unreadable_revision_never_waives_the_originals() {
    let app = TestApp::spawn().await;
    let token = app.business_token("0106869738").await;
    let declaration = json!({"procedure": "business-registration",
        "applicant": {"tax_code": "0106869738", "name": "Công ty TNHH Mẫu"}});
    // The same signed file, intact, waives them: the bomb is what changes the outcome.
    let intact = app
        .submit_ok(
            &token,
            form(
                &declaration,
                vec![("don.pdf", "application/pdf", signed_minimal())],
            ),
        )
        .await;
    assert_eq!(intact["originals"], "waived", "{intact}");
    let bombed = append_xref_stream_bomb(&signed_minimal(), 2048);
    let r = app
        .submit(
            &token,
            form(&declaration, vec![("don.pdf", "application/pdf", bombed)]),
        )
        .await;
    // Refused whole as a PDF no one can read within a budget; never recorded as waived.
    let (status, code) = error_code(r).await;
    assert_eq!((status, code.as_str()), (415, "invalid_pdf"));
}

#[test]
fn a_truncated_pdf_is_refused_for_signing_and_flagged_when_signed_anyway() {
    let cut = truncated(&minimal_pdf());
    let time = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    let identity = crate::signing::identity("rsa");
    let refused =
        motcua::signature::sign::sign_pdf(&cut, &identity, time, "Signature1").unwrap_err();
    assert!(refused.to_string().contains("damaged"), "{refused}");

    // What the old signer produced: the damaged document, read leniently, signed as an update.
    let lenient = lopdf::Document::load_mem(&cut).unwrap();
    let signed = motcua::signature::sign::sign_incremental_with(
        lopdf::IncrementalDocument::create_from(cut.clone(), lenient),
        &identity,
        &motcua::signature::sign::PdfSignOptions::new(time, "Signature1"),
    )
    .unwrap();
    let report = verify_document(&signed, None, &crate::support::test_pki_options()).unwrap();
    let s = &report.signatures[0];
    assert_eq!(s.indication, Indication::TotalFailed, "{s:#?}");
    assert!(
        s.errors.iter().any(|e| e.contains("structurally damaged")),
        "{:?}",
        s.errors
    );
}

#[tokio::test]
async fn the_command_line_refuses_to_sign_a_truncated_pdf_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cut.pdf");
    let output = dir.path().join("signed.pdf");
    std::fs::write(&input, truncated(&minimal_pdf())).unwrap();
    let pki = crate::signing::PKI;
    let out = binary()
        .arg("sign")
        .arg("--key")
        .arg(format!("{pki}/signer-rsa.key.pem"))
        .arg("--cert")
        .arg(format!("{pki}/signer-rsa.pem"))
        .arg(&input)
        .arg(&output)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("damaged"), "{stderr}");
    assert!(!output.exists(), "nothing is written");
}

#[tokio::test]
async fn intake_and_verification_refuse_the_same_nesting() {
    let app = TestApp::spawn().await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let too_deep = deeply_nested(motcua::pdf::MAX_NESTING + 1);
    let deep_enough = deeply_nested(motcua::pdf::MAX_NESTING);
    let declaration = business_dossier("0106869738");
    let r = app
        .submit(
            &officer,
            form(
                &declaration,
                vec![("deep.pdf", "application/pdf", too_deep.clone())],
            ),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_pdf", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 64"),
        "{body}"
    );
    let verify = app
        .client
        .post(app.url("/api/v1/verify"))
        .bearer_auth(&officer)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(too_deep).file_name("deep.pdf"),
        ))
        .send()
        .await
        .unwrap();
    let v: Value = verify.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unverifiable", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 64"),
        "{v}"
    );
    // One level less is a document like any other.
    app.submit_ok(
        &officer,
        form(
            &declaration,
            vec![("deep.pdf", "application/pdf", deep_enough)],
        ),
    )
    .await;
}

#[tokio::test]
async fn an_encrypted_pdf_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let officer = app.token(motcua::auth::Role::Officer).await;
    let mut encrypted = pdf_with_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
        b"<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>".to_vec(),
    ]);
    let at = encrypted
        .windows(8)
        .rposition(|w| w == b"/Root 1 ")
        .unwrap();
    encrypted.splice(at..at, b"/Encrypt 3 0 R ".iter().copied());
    let r = app
        .submit(
            &officer,
            form(
                &business_dossier("0106869738"),
                vec![("locked.pdf", "application/pdf", encrypted)],
            ),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_pdf", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("encrypted"),
        "{body}"
    );
}

/// Eight bombs at once on the public check page and eight on the API, against the real binary:
/// its peak memory grows by less than 256 MiB (it grew by about 2 GiB before), and every bomb
/// gets an answer saying the file cannot be read.
#[tokio::test]
async fn eight_concurrent_bombs_raise_the_servers_memory_by_less_than_256_mib() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fresh_settings(&dir).await;
    let server = spawn_process(
        &settings,
        &["--rate-limit", "0", "--public-rate-limit", "0"],
    )
    .await;
    let token = cli_token(&settings, "officer", &[]).await;
    let client = reqwest::Client::new();
    // Warm up: one real verification, so that what is measured is the bombs.
    let warm = client
        .post(format!("{}/verify", server.base))
        .header("accept", "application/json")
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(signed_minimal()).file_name("a.pdf"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);
    let before = server.memory_kib("VmHWM");
    let bombs: Vec<Vec<u8>> = vec![
        object_stream_bomb(2048),
        xref_stream_bomb(2048),
        dense_object_stream(8),
        append_xref_stream_bomb(&signed_minimal(), 2048),
    ];
    for (path, authorised) in [("/verify", false), ("/api/v1/verify", true)] {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (client, bomb) = (client.clone(), bombs[i % bombs.len()].clone());
            let mut request = client
                .post(format!("{}{path}", server.base))
                .header("accept", "application/json")
                .multipart(reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(bomb).file_name("bomb.pdf"),
                ));
            if authorised {
                request = request.bearer_auth(&token);
            }
            tasks.push(tokio::spawn(async move {
                let r = request.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }));
        }
        for task in tasks {
            let (status, body) = task.await.unwrap();
            let body: Value = serde_json::from_str(&body).unwrap();
            if authorised {
                // Refused as unreadable, or (the signed one) a report that says INDETERMINATE.
                match status {
                    422 => assert_eq!(body["error"]["code"], "unverifiable", "{body}"),
                    200 => assert_eq!(body["indication"], "INDETERMINATE", "{body}"),
                    _ => panic!("{status}: {body}"),
                }
            } else {
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["verdict"], "invalid", "{body}");
                assert_ne!(body["report"]["indication"], "TOTAL_PASSED", "{body}");
            }
        }
    }
    let grown = server.memory_kib("VmHWM").saturating_sub(before) * 1024;
    eprintln!(
        "sixteen bombs raised the server's peak memory by {} MiB",
        grown / MIB
    );
    assert!(grown < 256 * MIB, "peak memory grew by {} MiB", grown / MIB);
}
