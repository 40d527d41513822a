//! CMS signatures made by `openssl cms -sign` over a test PKI (tests/data/pki, made by
//! scripts/make-test-pki.sh): each case gives its documented ETSI indication.

use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
use motcua::signature::{Indication, SubIndication, VerifyOptions, cms};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");

fn options(revocation: RevocationMode) -> VerifyOptions {
    let p = |f: &str| std::path::PathBuf::from(format!("{DIR}/{f}"));
    let mut store = Store {
        anchors: load::certs(&p("root-ca.pem")).unwrap(),
        ..Store::default()
    };
    store
        .crls
        .extend(load::crls(&p("intermediate.crl.pem")).unwrap());
    store.crls.extend(load::crls(&p("root.crl.der")).unwrap());
    VerifyOptions {
        store,
        revocation,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: true,
    }
}

fn read(f: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{f}")).unwrap()
}

fn verdict(signature: &str, content: &str) -> (Indication, Option<SubIndication>) {
    let report = cms::verify(
        &read(signature),
        Some(cms::Content::Bytes(&read(content))),
        &options(RevocationMode::Require),
    )
    .unwrap();
    (report.indication, report.sub_indication)
}

#[test]
fn valid_business_and_citizen_signatures_pass_with_their_identities() {
    for (file, tax_code) in [
        ("document.txt.rsa.p7s", Some("0106869738")),
        ("document.txt.rsa.pem.p7s", Some("0106869738")),
        ("document.txt.rsa-nocades.p7s", Some("0106869738")),
        ("document.txt.ecdsa.p7s", Some("0106869738-012")),
        ("document.txt.citizen.p7s", None),
    ] {
        let report = cms::verify(
            &read(file),
            Some(cms::Content::Bytes(&read("document.txt"))),
            &options(RevocationMode::Require),
        )
        .unwrap();
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{file}: {report:#?}"
        );
        let signer = report.signatures[0].signer.as_ref().unwrap();
        assert_eq!(signer.tax_code.as_deref(), tax_code, "{file}");
        assert_eq!(
            report.signatures[0].chain.len(),
            3,
            "root, issuing CA, signer"
        );
        assert_eq!(report.signatures[0].signing_time_source, "claimed");
        // The CRLs used (the root's for the issuing CA, the issuing CA's for the signer) are kept.
        let evidence = &report.signatures[0].revocation_evidence;
        assert_eq!(evidence.len(), 2, "{file}");
        assert!(
            evidence
                .iter()
                .all(|e| e.source == "crl" && !e.der_b64.is_empty())
        );
    }
    let citizen = cms::verify(
        &read("document.txt.citizen.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &options(RevocationMode::Require),
    )
    .unwrap();
    assert!(
        citizen.signatures[0]
            .signer
            .as_ref()
            .unwrap()
            .subject
            .contains("Nguyễn Văn An")
    );
    // Without the signing-certificate attribute, a warning says so.
    let plain = cms::verify(
        &read("document.txt.rsa-nocades.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &options(RevocationMode::Require),
    )
    .unwrap();
    assert!(
        plain.signatures[0]
            .warnings
            .iter()
            .any(|w| w.contains("signing-certificate"))
    );
}

#[test]
fn every_broken_signature_gets_its_documented_indication() {
    use Indication::*;
    use SubIndication::*;
    let cases = [
        (
            "document.txt.rsa.p7s",
            "tampered.txt",
            TotalFailed,
            Some(HashFailure),
        ),
        (
            "document.txt.revoked.p7s",
            "document.txt",
            TotalFailed,
            Some(Revoked),
        ),
        (
            "document.txt.wrong-usage.p7s",
            "document.txt",
            Indeterminate,
            Some(SigConstraintsFailure),
        ),
        (
            "document.txt.eku-server.p7s",
            "document.txt",
            Indeterminate,
            Some(SigConstraintsFailure),
        ),
        (
            "document.txt.short.p7s",
            "document.txt",
            Indeterminate,
            Some(OutOfBoundsNoPoe),
        ),
        (
            "document.txt.untrusted.p7s",
            "document.txt",
            Indeterminate,
            Some(NoCertificateChainFound),
        ),
        (
            "document.txt.under-not-a-ca.p7s",
            "document.txt",
            Indeterminate,
            Some(ChainConstraintsFailure),
        ),
        (
            "document.txt.rsa-sha1.p7s",
            "document.txt",
            Indeterminate,
            Some(CryptoConstraintsFailureNoPoe),
        ),
    ];
    for (sig, content, indication, sub) in cases {
        assert_eq!(
            verdict(sig, content),
            (indication, sub),
            "{sig} over {content}"
        );
    }
}

#[test]
fn two_signers_are_each_reported() {
    let report = cms::verify(
        &read("document.txt.two-signers.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &options(RevocationMode::Require),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::TotalPassed);
    assert_eq!(report.signatures.len(), 2);
}

#[test]
fn attached_content_and_missing_content() {
    let attached = cms::verify(
        &read("document.txt.rsa-attached.p7s"),
        None,
        &options(RevocationMode::Require),
    )
    .unwrap();
    assert_eq!(attached.indication, Indication::TotalPassed);
    assert_eq!(
        cms::verify(
            &read("document.txt.rsa.p7s"),
            None,
            &options(RevocationMode::Require)
        )
        .unwrap_err(),
        motcua::signature::InputError::MissingContent
    );
    assert!(matches!(
        cms::verify(b"not a signature", None, &options(RevocationMode::Require)),
        Err(motcua::signature::InputError::NotCms(_))
    ));
}

#[test]
fn soft_revocation_warns_where_require_fails() {
    let mut soft = options(RevocationMode::Soft);
    soft.store.crls.clear();
    let report = cms::verify(
        &read("document.txt.rsa.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &soft,
    )
    .unwrap();
    assert_eq!(report.indication, Indication::TotalPassed);
    assert!(
        report.signatures[0]
            .warnings
            .iter()
            .any(|w| w.contains("revocation status"))
    );
    let mut hard = options(RevocationMode::Require);
    hard.store.crls.clear();
    let report = cms::verify(
        &read("document.txt.rsa.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &hard,
    )
    .unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::Indeterminate, Some(SubIndication::TryLater))
    );
}

#[tokio::test]
async fn the_cli_exit_code_follows_the_indication() {
    let run = |sig: &'static str, content: &'static str| async move {
        crate::support::binary()
            .args(["verify", "--revocation", "require", "--trust"])
            .arg(format!("{DIR}/root-ca.pem"))
            .arg("--crl")
            .arg(format!("{DIR}/intermediate.crl.pem"))
            .arg("--crl")
            .arg(format!("{DIR}/root.crl.pem"))
            .arg("--detached")
            .arg(format!("{DIR}/{sig}"))
            .arg(format!("{DIR}/{content}"))
            .output()
            .await
            .unwrap()
    };
    let ok = run("document.txt.rsa.p7s", "document.txt").await;
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("HỢP LỆ / VALID") && text.contains("Mã số thuế / Tax code: 0106869738"),
        "{text}"
    );
    assert_eq!(
        run("document.txt.rsa.p7s", "tampered.txt")
            .await
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run("document.txt.untrusted.p7s", "document.txt")
            .await
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run("document.txt.rsa.p7s", "no-such-file")
            .await
            .status
            .code(),
        Some(3)
    );
}

/// A signer certificate made on the fly under the test issuing CA, with the key given.
fn issue(key: &openssl::pkey::PKey<openssl::pkey::Private>, cn: &str) -> openssl::x509::X509 {
    use openssl::x509::extension::{BasicConstraints, KeyUsage};
    use openssl::x509::{X509, X509NameBuilder};
    let ca = X509::from_pem(&read("intermediate-ca.pem")).unwrap();
    let ca_key =
        openssl::pkey::PKey::private_key_from_pem(&read("intermediate-ca.key.pem")).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("C", "VN").unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    name.append_entry_by_text("UID", "MST:0106869738").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &openssl::bn::BigNum::from_u32(rand_serial())
            .unwrap()
            .to_asn1_integer()
            .unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_str("20260101000000Z").unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_str("20460101000000Z").unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .non_repudiation()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&ca_key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    b.build()
}

fn rand_serial() -> u32 {
    let mut b = [0u8; 4];
    openssl::rand::rand_bytes(&mut b).unwrap();
    u32::from_be_bytes(b) | 1
}

#[test]
fn ecdsa_p521_and_rsa_pss_signatures_verify() {
    use openssl::cms::{CMSOptions, CmsContentInfo};
    let data = b"algorithms".to_vec();
    let chain = {
        let mut s = openssl::stack::Stack::new().unwrap();
        s.push(openssl::x509::X509::from_pem(&read("intermediate-ca.pem")).unwrap())
            .unwrap();
        s
    };
    // ECDSA on P-521.
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::SECP521R1).unwrap();
    let key =
        openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    let cert = issue(&key, "P-521 signer");
    let p7s = CmsContentInfo::sign(
        Some(&cert),
        Some(&key),
        Some(&chain),
        Some(&data),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap();
    let report = cms::verify(
        &p7s,
        Some(cms::Content::Bytes(&data)),
        &options(RevocationMode::Off),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");

    // RSASSA-PSS, signed by the openssl command line.
    let dir = tempfile::tempdir().unwrap();
    let rsa = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let cert = issue(&rsa, "PSS signer");
    std::fs::write(dir.path().join("c.pem"), cert.to_pem().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("k.pem"),
        rsa.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("d"), &data).unwrap();
    std::fs::write(dir.path().join("chain.pem"), read("intermediate-ca.pem")).unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "cms",
            "-sign",
            "-binary",
            "-in",
            "d",
            "-signer",
            "c.pem",
            "-inkey",
            "k.pem",
            "-keyopt",
            "rsa_padding_mode:pss",
            "-md",
            "sha256",
            "-certfile",
            "chain.pem",
            "-outform",
            "DER",
            "-out",
            "s.p7s",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p7s = std::fs::read(dir.path().join("s.p7s")).unwrap();
    let report = cms::verify(
        &p7s,
        Some(cms::Content::Bytes(&data)),
        &options(RevocationMode::Off),
    )
    .unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(
        report.signatures[0].signature_algorithm,
        "1.2.840.113549.1.1.10"
    );
}

#[test]
fn a_signature_before_the_certificate_is_valid_is_not_yet_valid() {
    let mut opts = options(RevocationMode::Off);
    opts.at = Some(1_748_736_000); // 2025-06-01, before the test PKI's 2026-01-01
    let report = cms::verify(
        &read("document.txt.rsa.p7s"),
        Some(cms::Content::Bytes(&read("document.txt"))),
        &opts,
    )
    .unwrap();
    assert_eq!(
        (report.indication, report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::NotYetValid))
    );
}
