//! Signing: CAdES detached signatures made by motcua verify in motcua and in OpenSSL; signed
//! PDFs (PAdES B-B, incremental update) verify in motcua, pyHanko and poppler's pdfsig.

use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
use motcua::signature::sign::{SigningIdentity, cades_detached};
use motcua::signature::{Indication, VerifyOptions, cms};

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");

fn read(f: &str) -> Vec<u8> {
    std::fs::read(format!("{PKI}/{f}")).unwrap()
}

fn identity(signer: &str) -> SigningIdentity {
    SigningIdentity::from_pem(
        &read(&format!("signer-{signer}.key.pem")),
        &read(&format!("signer-{signer}.pem")),
        &read("intermediate-ca.pem"),
    )
    .unwrap()
}

fn options() -> VerifyOptions {
    let mut store = Store {
        anchors: load::certs(format!("{PKI}/root-ca.pem").as_ref()).unwrap(),
        ..Store::default()
    };
    store
        .crls
        .extend(load::crls(format!("{PKI}/root.crl.der").as_ref()).unwrap());
    store
        .crls
        .extend(load::crls(format!("{PKI}/intermediate.crl.der").as_ref()).unwrap());
    VerifyOptions {
        store,
        revocation: RevocationMode::Require,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: false,
    }
}

#[test]
fn cades_signatures_verify_in_motcua_and_openssl_without_a_signing_time() {
    let data = b"Giay chung nhan dang ky doanh nghiep".to_vec();
    for signer in ["rsa", "ecdsa"] {
        let p7s = cades_detached(&identity(signer), &[&data[..10], &data[10..]]).unwrap();
        let report = cms::verify(&p7s, Some(cms::Content::Bytes(&data)), &options()).unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{signer}: {report:#?}"
        );
        let s = &report.signatures[0];
        assert_eq!(
            s.signing_time_source, "none",
            "PAdES puts the time in /M, not in the CMS"
        );
        assert!(
            !s.warnings.iter().any(|w| w.contains("signing-certificate")),
            "{:?}",
            s.warnings
        );

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("d"), &data).unwrap();
        std::fs::write(dir.path().join("s.p7s"), &p7s).unwrap();
        let out = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "s.p7s",
                "-content",
                "d",
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ])
            .arg("-CAfile")
            .arg(format!("{PKI}/root-ca.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{signer}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn signed_pdf(signer: &str) -> Vec<u8> {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    ))
    .unwrap();
    let time = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    motcua::signature::sign::sign_pdf(&input, &identity(signer), time, "Signature1").unwrap()
}

#[test]
fn signed_pdfs_verify_in_motcua() {
    for signer in ["rsa", "ecdsa"] {
        let pdf = signed_pdf(signer);
        let report = motcua::signature::pades::verify(&pdf, &options()).unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{signer}: {report:#?}"
        );
        let s = &report.signatures[0];
        assert_eq!(s.covers_whole_file, Some(true));
        assert_eq!(s.signing_time_source, "claimed", "from /M");
        assert!(s.signing_time.is_some());
    }
}

#[test]
fn signed_pdfs_verify_in_pyhanko_and_pdfsig() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, signed_pdf("rsa")).unwrap();
    let out = std::process::Command::new("pyhanko")
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(format!("{PKI}/root-ca.pem"))
        .arg("--trust-replace")
        // The test PKI points its CRLs at an unreachable address on purpose.
        .arg("--no-revocation-check")
        .arg("--other-certs")
        .arg(format!("{PKI}/intermediate-ca.pem"))
        .arg(&path)
        .output()
        .expect("pyHanko is required for these tests: scripts/test.sh installs it");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for verdict in [
        "The signer's certificate is trusted.",
        "The signature is cryptographically sound.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(
            text.contains(verdict),
            "pyHanko did not say {verdict:?}:\n{text}"
        );
    }

    // poppler checks the cryptography independently of pyHanko; -nocert because
    // it reads trust anchors from an NSS database, not from files.
    let out = std::process::Command::new("pdfsig")
        .arg("-nocert")
        .arg(&path)
        .output()
        .expect("pdfsig is required for these tests: scripts/test.sh installs poppler-utils");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Signature Validation: Signature is Valid."),
        "{text}"
    );
    assert!(text.contains("Total document signed"), "{text}");
}
