//! RFC 3161 signature timestamps made by a real `openssl ts` TSA (tests/data/pki/tsa): a valid
//! one makes the signing time proven; one over something else is ignored, with a warning.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfos};
use der::asn1::SetOfVec;
use der::{Any, Decode, Encode};
use motcua::signature::{Indication, VerifyOptions, cms as verifier};

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");

fn sign(data: &[u8]) -> Vec<u8> {
    crate::support::openssl_detached_signature("signer-rsa", data)
}

/// An RFC 3161 token from `openssl ts -reply` over `stamped`.
fn token(stamped: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    for f in ["tsa.pem", "tsa.key.pem", "tsa.cnf", "chain.pem"] {
        std::fs::copy(format!("{PKI}/tsa/{f}"), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("serial"), "01\n").unwrap();
    std::fs::write(dir.path().join("value.bin"), stamped).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "ts",
        "-query",
        "-data",
        "value.bin",
        "-sha256",
        "-cert",
        "-out",
        "q.tsq",
    ]);
    run(&[
        "ts",
        "-reply",
        "-config",
        "tsa.cnf",
        "-queryfile",
        "q.tsq",
        "-token_out",
        "-out",
        "token.der",
    ]);
    std::fs::read(dir.path().join("token.der")).unwrap()
}

/// Adds a signature-timestamp unsigned attribute (id-aa-signatureTimeStampToken) to the signer.
fn with_timestamp(p7s: &[u8], over: Option<&[u8]>) -> Vec<u8> {
    let mut ci = ContentInfo::from_der(p7s).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
    let stamped = over
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| si.signature.as_bytes().to_vec());
    let attr = x509_cert::attr::Attribute {
        oid: "1.2.840.113549.1.9.16.2.14".parse().unwrap(),
        values: SetOfVec::try_from(vec![Any::from_der(&token(&stamped)).unwrap()]).unwrap(),
    };
    si.unsigned_attrs = Some(SetOfVec::try_from(vec![attr]).unwrap());
    sd.signer_infos = SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
    ci.content = Any::encode_from(&sd).unwrap();
    ci.to_der().unwrap()
}

fn options() -> VerifyOptions {
    crate::support::test_pki_options()
}

#[test]
fn a_valid_timestamp_proves_the_signing_time() {
    let data = b"timestamped document".to_vec();
    let p7s = with_timestamp(&sign(&data), None);
    let report = verifier::verify(&p7s, Some(verifier::Content::Bytes(&data)), &options()).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    let s = &report.signatures[0];
    assert_eq!(s.signing_time_source, "timestamp", "{s:#?}");
    assert!(
        !s.warnings.iter().any(|w| w.contains("claims")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn a_timestamp_over_something_else_is_ignored_with_a_warning() {
    let data = b"timestamped document".to_vec();
    let p7s = with_timestamp(&sign(&data), Some(b"another signature value"));
    let report = verifier::verify(&p7s, Some(verifier::Content::Bytes(&data)), &options()).unwrap();
    let s = &report.signatures[0];
    assert_eq!(s.signing_time_source, "claimed");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("timestamp is not valid")),
        "{:?}",
        s.warnings
    );
}
