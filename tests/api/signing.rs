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
fn signed_pdfs_are_accepted_by_pyhanko_pdfsig_and_qpdf() {
    let dir = tempfile::tempdir().unwrap();
    let nss = nss_database_trusting_the_demo_root(dir.path());
    let path = dir.path().join("signed-by-the-demo-agency.pdf");
    let pdf = signed_by_the_demo_agency();
    std::fs::write(&path, &pdf).unwrap();
    assert_pyhanko_accepts(&path);
    assert_pdfsig_accepts(&path, &nss);
    assert_qpdf_accepts(&path);

    let mut options = options();
    options.store = Store {
        anchors: load::certs(format!("{CERTS}/demo-root-ca.pem").as_ref()).unwrap(),
        ..Store::default()
    };
    // The demo identity publishes no revocation information.
    options.revocation = RevocationMode::Off;
    let report = motcua::signature::pades::verify(&pdf, &options).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
}

/// The demo agency identity that `scripts/make-demo-certs.sh` made into `certs/`.
const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");

fn signed_by_the_demo_agency() -> Vec<u8> {
    let demo = |f: &str| std::fs::read(format!("{CERTS}/{f}")).unwrap();
    let identity =
        SigningIdentity::from_pem(&demo("demo-agency.key.pem"), &demo("demo-agency.pem"), b"")
            .unwrap();
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    ))
    .unwrap();
    let time = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    motcua::signature::sign::sign_pdf(&input, &identity, time, "Signature1").unwrap()
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required (scripts/test.sh installs it): {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn assert_pyhanko_accepts(pdf: &std::path::Path) {
    let root = format!("{CERTS}/demo-root-ca.pem");
    let (ok, text) = run(
        "pyhanko",
        &[
            "sign".as_ref(),
            "validate".as_ref(),
            "--trust".as_ref(),
            root.as_ref(),
            "--trust-replace".as_ref(),
            // The demo identity publishes no revocation information.
            "--no-revocation-check".as_ref(),
            pdf.as_os_str(),
        ],
    );
    assert!(ok, "pyHanko rejected {pdf:?}:\n{text}");
    assert!(
        text.contains("INTACT:TRUSTED,UNTOUCHED"),
        "pyHanko did not report INTACT:TRUSTED,UNTOUCHED for {pdf:?}:\n{text}"
    );
}

/// poppler reads trust anchors from an NSS database, never from loose files.
fn nss_database_trusting_the_demo_root(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("nss");
    std::fs::create_dir(&db).unwrap();
    let spec = format!("sql:{}", db.display());
    let (ok, text) = run(
        "certutil",
        &[
            "-N".as_ref(),
            "--empty-password".as_ref(),
            "-d".as_ref(),
            spec.as_ref(),
        ],
    );
    assert!(ok, "certutil -N: {text}");
    {
        let (nick, trust) = ("motcua-demo-root", "CT,C,C");
        let file = format!("{CERTS}/demo-root-ca.pem");
        let (ok, text) = run(
            "certutil",
            &[
                "-A".as_ref(),
                "-d".as_ref(),
                spec.as_ref(),
                "-n".as_ref(),
                nick.as_ref(),
                "-t".as_ref(),
                trust.as_ref(),
                "-i".as_ref(),
                file.as_ref(),
            ],
        );
        assert!(ok, "certutil -A {nick}: {text}");
    }
    db
}

/// No `-no-ocsp`: poppler 22.12 then reports every certificate as "Unknown issue"; the demo
/// certificates name no OCSP responder, so nothing is fetched anyway.
fn assert_pdfsig_accepts(pdf: &std::path::Path, nss: &std::path::Path) {
    let (ok, text) = run(
        "pdfsig",
        &["-nssdir".as_ref(), nss.as_os_str(), pdf.as_os_str()],
    );
    assert!(ok, "pdfsig failed on {pdf:?}:\n{text}");
    for verdict in [
        "Signature Validation: Signature is Valid.",
        "Certificate Validation: Certificate is Trusted.",
        "Total document signed",
    ] {
        assert!(
            text.contains(verdict),
            "pdfsig did not say {verdict:?} for {pdf:?}:\n{text}"
        );
    }
}

fn assert_qpdf_accepts(pdf: &std::path::Path) {
    let (ok, text) = run("qpdf", &["--check".as_ref(), pdf.as_os_str()]);
    assert!(ok, "qpdf --check failed on {pdf:?}:\n{text}");
    assert!(
        text.contains("No syntax or stream encoding errors found"),
        "{text}"
    );
}
