//! OCSP against a real `openssl ocsp` responder on loopback (tests/data/pki/ocsp): good and
//! revoked answers decide; a responder that cannot be reached leaves the status unknown.

use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
use motcua::signature::{Indication, SubIndication, VerifyOptions, cms};

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
const PORT: u16 = 19888;

fn sign(signer: &str, data: &[u8]) -> Vec<u8> {
    crate::support::openssl_detached_signature(&format!("ocsp/{signer}"), data)
}

fn options() -> VerifyOptions {
    VerifyOptions {
        store: Store {
            anchors: load::certs(format!("{PKI}/root-ca.pem").as_ref()).unwrap(),
            certs: Vec::new(),
            // The issuing CA's own status comes from the root's CRL; the signers' from OCSP.
            crls: load::crls(format!("{PKI}/root.crl.der").as_ref()).unwrap(),
        },
        revocation: RevocationMode::Require,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: true,
    }
}

fn verdict(signer: &str) -> (Indication, Option<SubIndication>, Vec<String>) {
    let data = b"OCSP test document".to_vec();
    let report = cms::verify(
        &sign(signer, &data),
        Some(cms::Content::Bytes(&data)),
        &options(),
    )
    .unwrap();
    let errors = report.signatures[0].errors.clone();
    (report.indication, report.sub_indication, errors)
}

struct Responder(std::process::Child);

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_responder() -> Responder {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new("openssl")
        .current_dir(format!("{PKI}/ocsp"))
        .args([
            "ocsp",
            "-index",
            "index.txt",
            "-port",
            &PORT.to_string(),
            "-CA",
            "../intermediate-ca.pem",
        ])
        .args([
            "-rsigner",
            "ocsp-responder.pem",
            "-rkey",
            "ocsp-responder.key.pem",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    // Ready when it says so (a probing connection would occupy the single-threaded responder).
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("waiting for OCSP client connections") => break,
            Some(Ok(_)) => continue,
            _ => panic!("openssl ocsp did not start"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Responder(child)
}

#[test]
fn ocsp_answers_decide_and_silence_is_not_a_yes() {
    // No responder yet: the status cannot be established (revocation required).
    let (indication, sub, errors) = verdict("signer-ocsp-good");
    assert_eq!(
        (indication, sub),
        (Indication::Indeterminate, Some(SubIndication::TryLater)),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("OCSP")), "{errors:?}");

    let _responder = start_responder();
    let (indication, sub, errors) = verdict("signer-ocsp-good");
    assert_eq!(
        (indication, sub),
        (Indication::TotalPassed, None),
        "{errors:?}"
    );
    // The OCSP response is kept as evidence, beside the root's CRL for the issuing CA.
    let data = b"OCSP test document".to_vec();
    let report = cms::verify(
        &sign("signer-ocsp-good", &data),
        Some(cms::Content::Bytes(&data)),
        &options(),
    )
    .unwrap();
    let sources: Vec<&str> = report.signatures[0]
        .revocation_evidence
        .iter()
        .map(|e| e.source)
        .collect();
    assert_eq!(sources, ["crl", "ocsp"]);
    let (indication, sub, errors) = verdict("signer-ocsp-revoked");
    assert_eq!(
        (indication, sub),
        (Indication::TotalFailed, Some(SubIndication::Revoked)),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("keyCompromise")),
        "{errors:?}"
    );

    // Answers are remembered for a while (bounded by nextUpdate): with the responder gone, the
    // good answer still holds.
    drop(_responder);
    let (indication, _, errors) = verdict("signer-ocsp-good");
    assert_eq!(indication, Indication::TotalPassed, "{errors:?}");
}
