//! PAdES B-LT: after the B-T signature, a second incremental update stores the validation
//! material (every certificate of the signer's and the TSA's paths, the CRLs and OCSP answers
//! that establish their status) in the DSS, and pyHanko validates the result from that material
//! alone.

use motcua::signature::sign::{Level, PdfSignOptions, SignError, sign_pdf_with};
use motcua::signature::{Indication, pades};

use crate::signing::{PKI, identity, loopback_tsa, options, run};

fn minimal_pdf() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    ))
    .unwrap()
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM)
}

/// The DER streams listed under `key` in the catalog's /DSS.
fn dss_streams(pdf: &[u8], key: &[u8]) -> Vec<Vec<u8>> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let dss = doc
        .catalog()
        .unwrap()
        .get(b"DSS")
        .unwrap()
        .as_reference()
        .unwrap();
    let dss = doc.get_dictionary(dss).unwrap();
    dss.get(key)
        .and_then(lopdf::Object::as_array)
        .map(|a| {
            a.iter()
                .map(|o| {
                    let id = o.as_reference().unwrap();
                    doc.get_object(id)
                        .unwrap()
                        .as_stream()
                        .unwrap()
                        .content
                        .clone()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn der_of_pem(file: &str) -> Vec<u8> {
    openssl::x509::X509::from_pem(&std::fs::read(format!("{PKI}/{file}")).unwrap())
        .unwrap()
        .to_der()
        .unwrap()
}

/// pyHanko's summary of each signature, validated from the DSS alone (validate_with_dss.py).
fn pyhanko_from_dss(pdf: &std::path::Path, root: &str) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/validate_with_dss.py"
    );
    let (_, text) = run(
        "python3",
        &[script.as_ref(), pdf.as_os_str(), root.as_ref()],
    );
    text
}

fn b_lt(signer: &str) -> Result<Vec<u8>, SignError> {
    let tsa = loopback_tsa();
    let validation = options();
    let options = PdfSignOptions {
        level: Level::BLT,
        tsa: Some(&tsa),
        validation: Some(&validation),
        ..PdfSignOptions::new(now(), "Signature1")
    };
    sign_pdf_with(&minimal_pdf(), &identity(signer), &options)
}

#[test]
fn b_lt_stores_the_certificates_and_crls_of_the_signer_and_the_tsa_in_the_dss() {
    let pdf = b_lt("rsa").unwrap();
    let certs = dss_streams(&pdf, b"Certs");
    for (what, file) in [
        ("the signer", "signer-rsa.pem"),
        ("the issuing CA", "intermediate-ca.pem"),
        ("the root", "root-ca.pem"),
        ("the TSA", "tsa/tsa.pem"),
    ] {
        assert!(
            certs.contains(&der_of_pem(file)),
            "{what} is not in the DSS"
        );
    }
    let crls = dss_streams(&pdf, b"CRLs");
    for file in ["root.crl.der", "intermediate.crl.der"] {
        let der = std::fs::read(format!("{PKI}/{file}")).unwrap();
        assert!(crls.contains(&der), "{file} is not in the DSS");
    }
    // Nothing twice.
    let mut unique = certs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), certs.len());
    // Three revisions: the original, the signature, the DSS.
    assert_eq!(
        pdf.windows(5).filter(|w| w == b"%%EOF").count(),
        minimal_pdf().windows(5).filter(|w| w == b"%%EOF").count() + 2
    );
}

#[test]
fn a_b_lt_signature_validates_in_motcua_and_from_the_dss_alone_in_pyhanko() {
    let pdf = b_lt("ecdsa").unwrap();
    let report = pades::verify(&pdf, &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(report.signatures[0].signing_time_source, "timestamp");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b-lt.pdf");
    std::fs::write(&path, &pdf).unwrap();
    // The certificates name a CRL distribution point nobody answers (127.0.0.1:1): with
    // fetching off and revocation checking hard-fail, pyHanko can only succeed with what the
    // DSS holds.
    let root = format!("{PKI}/root-ca.pem");
    let summary = pyhanko_from_dss(&path, &root);
    assert!(
        summary.contains(
            "Signature1 INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"
        ),
        "{summary}"
    );
    // The same check fails when the DSS lacks the CRLs: the check is real.
    let signed_end = motcua::pdf::signatures(&pdf).unwrap()[0].signed_end as usize;
    let signed_only = &pdf[..signed_end];
    let mut material =
        motcua::signature::ltv::validation_material(signed_only, &options()).unwrap();
    material.crls.clear();
    let without_crls = dir.path().join("no-crls.pdf");
    std::fs::write(
        &without_crls,
        motcua::signature::ltv::write_dss(signed_only, &material).unwrap(),
    )
    .unwrap();
    let summary = pyhanko_from_dss(&without_crls, &root);
    assert!(!summary.contains("INTACT:TRUSTED,"), "{summary}");
    // The ordinary validation agrees (the DSS update is an allowed change after the
    // signature); pdfsig: valid, not "total document signed" (the DSS comes after, by design).
    crate::signing::assert_valid_everywhere(
        &path,
        &[&root],
        "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>",
        false,
    );
}

#[test]
fn b_lt_refuses_a_revoked_signer_and_a_missing_tsa_or_trust_store() {
    match b_lt("revoked") {
        Err(SignError::Failed(m)) => assert!(m.contains("revoked"), "{m}"),
        other => panic!("a revoked signer got {other:?}"),
    }
    let validation = options();
    let no_tsa = PdfSignOptions {
        level: Level::BLT,
        validation: Some(&validation),
        ..PdfSignOptions::new(now(), "Signature1")
    };
    match sign_pdf_with(&minimal_pdf(), &identity("rsa"), &no_tsa) {
        Err(SignError::Failed(m)) => assert!(m.contains("time-stamping authority"), "{m}"),
        other => panic!("B-LT without a TSA got {other:?}"),
    }
    let tsa = loopback_tsa();
    let no_trust = PdfSignOptions {
        level: Level::BLT,
        tsa: Some(&tsa),
        ..PdfSignOptions::new(now(), "Signature1")
    };
    match sign_pdf_with(&minimal_pdf(), &identity("rsa"), &no_trust) {
        Err(SignError::Failed(m)) => assert!(m.contains("trust anchors"), "{m}"),
        other => panic!("B-LT without trust anchors got {other:?}"),
    }
}

#[test]
fn a_second_b_lt_signature_extends_the_dss_without_repeating_what_it_holds() {
    let first = b_lt("rsa").unwrap();
    let tsa = loopback_tsa();
    let validation = options();
    let options = PdfSignOptions {
        level: Level::BLT,
        tsa: Some(&tsa),
        validation: Some(&validation),
        ..PdfSignOptions::new(now(), "Signature2")
    };
    let second = sign_pdf_with(&first, &identity("ecdsa"), &options).unwrap();
    let certs = dss_streams(&second, b"Certs");
    assert!(certs.contains(&der_of_pem("signer-rsa.pem")));
    assert!(certs.contains(&der_of_pem("signer-ecdsa.pem")));
    let mut unique = certs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), certs.len(), "a certificate is stored twice");
    let report = pades::verify(&second, &crate::signing::options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.pdf");
    std::fs::write(&path, &second).unwrap();
    crate::signing::assert_valid_everywhere(
        &path,
        &[&format!("{PKI}/root-ca.pem")],
        "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>",
        false,
    );
}

#[test]
fn the_sign_command_makes_b_lt_with_trust_and_crls_and_refuses_it_without() {
    let tsa = loopback_tsa();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b-lt.pdf");
    let input = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let key = format!("{PKI}/signer-rsa.key.pem");
    let cert = format!("{PKI}/signer-rsa.pem");
    let chain = format!("{PKI}/intermediate-ca.pem");
    let root = format!("{PKI}/root-ca.pem");
    let crl1 = format!("{PKI}/root.crl.der");
    let crl2 = format!("{PKI}/intermediate.crl.der");
    let base: Vec<&std::ffi::OsStr> = vec![
        "sign".as_ref(),
        "--key".as_ref(),
        key.as_ref(),
        "--cert".as_ref(),
        cert.as_ref(),
        "--chain".as_ref(),
        chain.as_ref(),
        "--level".as_ref(),
        "B-LT".as_ref(),
    ];
    // Without --tsa and --trust: exit 3, nothing written.
    let mut args = base.clone();
    args.extend::<[&std::ffi::OsStr; 2]>([input.as_ref(), out.as_os_str()]);
    let (code, text) = crate::signing::motcua(&args, &[]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("--tsa"), "{text}");
    assert!(!out.exists());

    let mut args = base.clone();
    args.extend::<[&std::ffi::OsStr; 12]>([
        "--tsa".as_ref(),
        tsa.as_ref(),
        "--trust".as_ref(),
        root.as_ref(),
        "--crl".as_ref(),
        crl1.as_ref(),
        "--crl".as_ref(),
        crl2.as_ref(),
        "--field".as_ref(),
        "KQ".as_ref(),
        input.as_ref(),
        out.as_os_str(),
    ]);
    let (code, text) = crate::signing::motcua(&args, &[]);
    assert_eq!(code, Some(0), "{text}");
    let pdf = std::fs::read(&out).unwrap();
    assert!(!dss_streams(&pdf, b"CRLs").is_empty());
    let report = pades::verify(&pdf, &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    crate::signing::assert_valid_everywhere(
        &out,
        &[&root],
        "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>",
        false,
    );
}
