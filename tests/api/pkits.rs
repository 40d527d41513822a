//! NIST PKITS, the RFC 5280 path-validation conformance suite (tests/data/pkits/SOURCE.md):
//! every case must give the expected verdict.

use motcua::pki::{AlgorithmPolicy, Cert, Crl, RevocationMode, Store, ValidationParams, validate};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pkits");

fn cert(name: &str) -> Cert {
    Cert::parse(&std::fs::read(format!("{DIR}/certs/{name}")).unwrap()).unwrap()
}

fn crl(name: &str) -> Crl {
    Crl::parse(&std::fs::read(format!("{DIR}/crls/{name}")).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// Runs one case; `Ok` when the verdict is the expected one.
fn run(case: &Value) -> Result<(), String> {
    let mut store = Store {
        anchors: vec![cert("TrustAnchorRootCertificate.crt")],
        certs: strings(&case["other_certs"])
            .iter()
            .map(|c| cert(c))
            .collect(),
        crls: strings(&case["crls"]).iter().map(|c| crl(c)).collect(),
    };
    store.crls.push(crl("TrustAnchorRootCRL.crl"));
    let p = &case["params"];
    let params = ValidationParams {
        time: time::OffsetDateTime::now_utc().unix_timestamp(),
        user_initial_policy_set: strings(&p["user_initial_policy_set"]),
        initial_explicit_policy: p["initial_explicit_policy"].as_bool().unwrap_or(false),
        initial_policy_mapping_inhibit: p["initial_policy_mapping_inhibit"]
            .as_bool()
            .unwrap_or(false),
        initial_any_policy_inhibit: p["initial_any_policy_inhibit"].as_bool().unwrap_or(false),
        revocation: if case["revocation"] == false {
            RevocationMode::Off
        } else {
            RevocationMode::Require
        },
        algorithms: AlgorithmPolicy { allow_sha1: true },
        ocsp: false,
    };
    let ee = cert(case["cert"].as_str().unwrap());
    let outcome = validate(&ee, &store, &params);
    match (&case["error"], outcome) {
        (Value::Null, Ok(_)) => Ok(()),
        (Value::Null, Err(e)) => Err(format!("expected valid, got: {e}")),
        (err, Ok(_)) => Err(format!("expected {}, got valid", err["class"])),
        (err, Err(e)) if err["class"] == e.class() => Ok(()),
        (err, Err(e)) => Err(format!(
            "expected {}, got {} ({e})",
            err["class"],
            e.class()
        )),
    }
}

#[test]
fn every_nist_pkits_case_gives_the_expected_verdict() {
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/pkits.json")).unwrap())
            .unwrap();
    assert_eq!(cases.len(), 246);
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run(case) {
            failures.push(format!("{} {}: {why}", case["id"], case["name"]));
        }
    }
    eprintln!(
        "PKITS: {} of {} cases as expected",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_real_vnpt_ca_certificate_yields_its_branch_tax_code_and_vietnamese_names() {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vn-certs/vnpt-ca-test-mst-branch.pem"
    ))
    .unwrap();
    let id = motcua::pki::identity::identity(&Cert::parse(&pem).unwrap());
    assert_eq!(id.tax_code.as_deref(), Some("0106869738-012"));
    assert_eq!(id.common_name.as_deref(), Some("VNPT_TEST"));
    assert!(id.subject.contains("ST=HẢI PHÒNG"), "{}", id.subject);
    assert!(id.subject.contains("L=Cầu Giấy"), "{}", id.subject);
    assert!(id.issuer.contains("CN=VNPT-CA SHA-256"), "{}", id.issuer);
}

#[tokio::test]
async fn cert_verify_answers_with_exit_codes() {
    let run = |args: Vec<String>| async move {
        crate::support::binary()
            .args(["cert", "verify", "--allow-sha1"])
            .args(args)
            .output()
            .await
            .unwrap()
    };
    let common = |ee: &str, revocation: &str| {
        vec![
            "--revocation".into(),
            revocation.into(),
            "--trust".into(),
            format!("{DIR}/certs/TrustAnchorRootCertificate.crt"),
            "--certs".into(),
            format!("{DIR}/certs/GoodCACert.crt"),
            "--crl".into(),
            format!("{DIR}/crls/GoodCACRL.crl"),
            "--crl".into(),
            format!("{DIR}/crls/TrustAnchorRootCRL.crl"),
            format!("{DIR}/certs/{ee}"),
        ]
    };
    let ok = run(common("ValidCertificatePathTest1EE.crt", "require")).await;
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let revoked = run(common("InvalidRevokedEETest3EE.crt", "require")).await;
    assert_eq!(revoked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&revoked.stdout).contains("revoked (keyCompromise)"));
    let mut json = common("InvalidRevokedEETest3EE.crt", "require");
    json.insert(0, "--json".into());
    let out = run(json).await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["error"]["class"], "RevokedError");
    let missing = run(common("NoSuchCert.crt", "soft")).await;
    assert_eq!(missing.status.code(), Some(3));
}
