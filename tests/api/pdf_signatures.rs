//! PDF signatures: pyHanko-signed files verify; coverage anomalies and later changes are never
//! confirmed; the parser survives every malformed sample without a panic or a hang.

use std::time::Duration;

use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
use motcua::signature::{Indication, SubIndication, VerifyOptions, pades};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pyhanko");

fn options() -> VerifyOptions {
    VerifyOptions {
        store: Store {
            anchors: load::certs(format!("{DIR}/crypto/testing-ca/root/root.cert.pem").as_ref())
                .unwrap(),
            certs: load::certs(
                format!("{DIR}/crypto/testing-ca/interm/signer1-long.cert.pem").as_ref(),
            )
            .unwrap_or_default(),
            crls: Vec::new(),
        },
        revocation: RevocationMode::Soft,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: false,
    }
}

fn read(f: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/pdf/{f}")).unwrap()
}

#[test]
fn pyhanko_signed_pdfs_verify_at_their_signing_time() {
    for f in [
        "sig-with-ski-sid.pdf",
        "pades-with-old-style-signing-cert-attr.pdf",
        "sig-no-signed-attrs.pdf",
    ] {
        let report = pades::verify(&read(f), &options()).unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{f}: {report:#?}"
        );
        assert_eq!(report.format, "PAdES");
        let s = &report.signatures[0];
        assert_eq!(s.signing_time_source, "claimed", "{f}");
        assert!(
            s.signer.as_ref().unwrap().subject.contains("Example Inc"),
            "{f}"
        );
    }
}

#[test]
fn a_changed_byte_or_a_later_revision_is_never_confirmed() {
    let original = read("sig-with-ski-sid.pdf");
    let mut flipped = original.clone();
    // Inside the first signed range, in the header's binary comment: still a PDF.
    flipped[12] ^= 0x01;
    let report = pades::verify(&flipped, &options()).unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::HashFailure))
    );

    let mut appended = original.clone();
    appended.extend_from_slice(b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n");
    let report = pades::verify(&appended, &options()).unwrap();
    assert_ne!(report.indication, Indication::TotalPassed);
    assert!(
        report.signatures[0]
            .errors
            .iter()
            .any(|e| e.contains("after this signature"))
    );
}

#[test]
fn coverage_anomalies_are_never_reported_as_covering_the_document() {
    for f in [
        "one-byterange.pdf",
        "signature-gap-too-big.pdf",
        "tail-uncovered.pdf",
        "weird-byterange.pdf",
    ] {
        let bytes = read(&format!("coverage-anomalies/{f}"));
        if let Ok(report) = pades::verify(&bytes, &options()) {
            assert_ne!(report.indication, Indication::TotalPassed, "{f}");
        }
        for s in motcua::pdf::signatures(&bytes).unwrap_or_default() {
            assert!(
                !(s.covers_whole_file && s.problem.is_none() && f != "tail-uncovered.pdf"),
                "{f}"
            );
        }
    }
}

fn pdfs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            pdfs(&p, out);
        } else if p.extension().is_some_and(|x| x == "pdf") {
            out.push(p);
        }
    }
}

#[test]
fn every_malformed_sample_is_parsed_or_refused_without_a_panic_or_a_hang() {
    let mut files = Vec::new();
    pdfs(format!("{DIR}/pdf").as_ref(), &mut files);
    assert!(files.len() > 100, "{}", files.len());
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                let _ = pades::verify(&bytes, &options());
            });
            let _ = tx.send(outcome.is_ok());
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(true) => {}
            Ok(false) => panic!("{} made the verifier panic", f.display()),
            Err(_) => panic!("{} made the verifier hang", f.display()),
        }
    }
}

#[test]
fn absurdly_deep_nesting_is_refused_before_parsing() {
    // A stack-exhausting recursion would abort the process; it must be refused instead.
    for open in ["[", "<<"] {
        let mut bytes = b"%PDF-1.7\n1 0 obj\n".to_vec();
        bytes.extend(open.repeat(200_000).as_bytes());
        bytes.extend_from_slice(b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        assert!(motcua::pdf::signatures(&bytes).is_err(), "{open}");
    }
    // Ordinary documents pass the budget.
    assert!(motcua::pdf::signatures(&read("minimal.pdf")).is_ok());
}
