//! Signing: CAdES detached signatures made by motcua verify in motcua and in OpenSSL; signed
//! PDFs (PAdES B-B, incremental update) verify in motcua, pyHanko and poppler's pdfsig.

use motcua::pki::{RevocationMode, Store, load};
use motcua::signature::sign::{SigningIdentity, cades_detached};
use motcua::signature::{Indication, VerifyOptions, cms};

pub(crate) const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");

pub(crate) fn read(f: &str) -> Vec<u8> {
    std::fs::read(format!("{PKI}/{f}")).unwrap()
}

pub(crate) fn identity(signer: &str) -> SigningIdentity {
    SigningIdentity::from_pem(
        &read(&format!("signer-{signer}.key.pem")),
        &read(&format!("signer-{signer}.pem")),
        &read("intermediate-ca.pem"),
    )
    .unwrap()
}

pub(crate) fn options() -> VerifyOptions {
    crate::support::test_pki_options()
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
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{signer}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        assert_valid_everywhere(
            &path,
            &[&format!("{PKI}/root-ca.pem")],
            "INTACT:TRUSTED,UNTOUCHED",
            true,
        );
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
pub(crate) const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");

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

pub(crate) fn run(program: &str, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required (scripts/test.sh installs it): {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

pub(crate) fn assert_pyhanko_accepts(pdf: &std::path::Path) {
    assert_pyhanko_says(pdf, &[], "INTACT:TRUSTED,UNTOUCHED");
}

/// pyHanko validates `pdf` trusting the demo root and `more_roots` (and nothing else) and reports
/// `verdict`.
pub(crate) fn assert_pyhanko_says(pdf: &std::path::Path, more_roots: &[&str], verdict: &str) {
    let demo_root = format!("{CERTS}/demo-root-ca.pem");
    let mut args: Vec<&std::ffi::OsStr> = vec!["sign".as_ref(), "validate".as_ref()];
    for root in std::iter::once(demo_root.as_str()).chain(more_roots.iter().copied()) {
        args.extend::<[&std::ffi::OsStr; 2]>(["--trust".as_ref(), root.as_ref()]);
    }
    // The demo identity publishes no revocation information.
    args.extend::<[&std::ffi::OsStr; 3]>([
        "--trust-replace".as_ref(),
        "--no-revocation-check".as_ref(),
        pdf.as_os_str(),
    ]);
    let (ok, text) = run("pyhanko", &args);
    assert!(ok, "pyHanko rejected {pdf:?}:\n{text}");
    assert!(
        text.contains(verdict),
        "pyHanko did not report {verdict} for {pdf:?}:\n{text}"
    );
}

/// poppler reads trust anchors from an NSS database, never from loose files.
pub(crate) fn nss_database_trusting_the_demo_root(dir: &std::path::Path) -> std::path::PathBuf {
    nss_database_trusting(dir, &[])
}

/// An NSS database in `dir` trusting the demo root and `more_roots` (PEM files).
pub(crate) fn nss_database_trusting(
    dir: &std::path::Path,
    more_roots: &[&str],
) -> std::path::PathBuf {
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
    let demo = format!("{CERTS}/demo-root-ca.pem");
    for (i, file) in std::iter::once(demo.as_str())
        .chain(more_roots.iter().copied())
        .enumerate()
    {
        let nick = format!("motcua-root-{i}");
        let (ok, text) = run(
            "certutil",
            &[
                "-A".as_ref(),
                "-d".as_ref(),
                spec.as_ref(),
                "-n".as_ref(),
                nick.as_ref(),
                "-t".as_ref(),
                "CT,C,C".as_ref(),
                "-i".as_ref(),
                file.as_ref(),
            ],
        );
        assert!(ok, "certutil -A {file}: {text}");
    }
    db
}

/// No `-no-ocsp`: poppler 22.12 then reports every certificate as "Unknown issue"; the demo
/// certificates name no OCSP responder, so nothing is fetched anyway.
pub(crate) fn assert_pdfsig_accepts(pdf: &std::path::Path, nss: &std::path::Path) {
    assert_pdfsig_says(pdf, nss, true);
}

/// pdfsig finds every signature valid and every certificate trusted (NSS validates a PDF signer for the e-mail-signing usage, which the demo agency and the test-PKI
/// signers carry); with `whole_file`, the last signature also covers the whole file (not so
/// after a B-LT DSS update, by design).
///
/// The database is named with the `sql:` prefix: given a bare absolute path, poppler 22.12
/// reports "Unknown issue" for the certificate of every signature after the first in a file
/// (the same certificate it trusts in the first), whoever signed.
pub(crate) fn assert_pdfsig_says(pdf: &std::path::Path, nss: &std::path::Path, whole_file: bool) {
    let nssdir = format!("sql:{}", nss.display());
    let (ok, text) = run(
        "pdfsig",
        &["-nssdir".as_ref(), nssdir.as_ref(), pdf.as_os_str()],
    );
    assert!(ok, "pdfsig failed on {pdf:?}:\n{text}");
    let signatures = text.matches("Signature Validation:").count();
    assert!(
        signatures > 0,
        "pdfsig found no signature in {pdf:?}:\n{text}"
    );
    for verdict in [
        "Signature Validation: Signature is Valid.",
        "Certificate Validation: Certificate is Trusted.",
    ] {
        assert_eq!(
            text.matches(verdict).count(),
            signatures,
            "pdfsig did not say {verdict:?} of every signature in {pdf:?}:\n{text}"
        );
    }
    if whole_file {
        assert!(
            text.contains("Total document signed"),
            "pdfsig: the last signature does not cover {pdf:?}:\n{text}"
        );
    }
}

/// Every independent check the issue names, on a PDF motcua signed: pyHanko (trusting the demo
/// root and `more_roots`, reporting `pyhanko_verdict`), poppler's pdfsig (trust from an NSS
/// database, see [`assert_pdfsig_says`]), `qpdf --check`, and
/// motcua's own verifier.
pub(crate) fn assert_valid_everywhere(
    pdf: &std::path::Path,
    more_roots: &[&str],
    pyhanko_verdict: &str,
    whole_file: bool,
) {
    assert_pyhanko_says(pdf, more_roots, pyhanko_verdict);
    let dir = tempfile::tempdir().unwrap();
    let nss = nss_database_trusting(dir.path(), more_roots);
    assert_pdfsig_says(pdf, &nss, whole_file);
    assert_qpdf_accepts(pdf);
    let demo_root = format!("{CERTS}/demo-root-ca.pem");
    let mut args: Vec<&std::ffi::OsStr> = vec!["verify".as_ref()];
    for root in std::iter::once(demo_root.as_str()).chain(more_roots.iter().copied()) {
        args.extend::<[&std::ffi::OsStr; 2]>(["--trust".as_ref(), root.as_ref()]);
    }
    args.extend::<[&std::ffi::OsStr; 3]>([
        "--revocation".as_ref(),
        "off".as_ref(),
        pdf.as_os_str(),
    ]);
    let (code, text) = motcua(&args, &[]);
    assert_eq!(code, Some(0), "motcua verify {pdf:?}:\n{text}");
}

pub(crate) fn assert_qpdf_accepts(pdf: &std::path::Path) {
    let (ok, text) = run("qpdf", &["--check".as_ref(), pdf.as_os_str()]);
    assert!(ok, "qpdf --check failed on {pdf:?}:\n{text}");
    assert!(
        text.contains("No syntax or stream encoding errors found"),
        "{text}"
    );
}

pub(crate) fn motcua(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env_remove("MOTCUA_KEY_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

pub(crate) fn verified_by_motcua_cli(pdf: &std::path::Path) -> (Option<i32>, String) {
    let root = format!("{CERTS}/demo-root-ca.pem");
    motcua(
        &[
            "verify".as_ref(),
            "--trust".as_ref(),
            root.as_ref(),
            "--revocation".as_ref(),
            "off".as_ref(),
            pdf.as_os_str(),
        ],
        &[],
    )
}

#[test]
fn the_sign_command_signs_with_a_pem_key_and_a_second_signature_keeps_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let (key, cert) = (
        format!("{CERTS}/demo-agency.key.pem"),
        format!("{CERTS}/demo-agency.pem"),
    );
    let once = dir.path().join("once.pdf");
    let twice = dir.path().join("twice.pdf");
    let sign = |from: &std::path::Path, to: &std::path::Path, field: &str| {
        motcua(
            &[
                "sign".as_ref(),
                "--key".as_ref(),
                key.as_ref(),
                "--cert".as_ref(),
                cert.as_ref(),
                "--field".as_ref(),
                field.as_ref(),
                from.as_os_str(),
                to.as_os_str(),
            ],
            &[],
        )
    };
    let (code, text) = sign(input.as_ref(), &once, "Signature1");
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verified_by_motcua_cli(&once);
    assert_eq!(code, Some(0), "{text}");

    // A field name already in the document is refused, and nothing is written.
    let (code, text) = sign(&once, &twice, "Signature1");
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("already has a field named"), "{text}");
    assert!(!twice.exists());

    let (code, text) = sign(&once, &twice, "Signature2");
    assert_eq!(code, Some(0), "{text}");
    let pdf = std::fs::read(&twice).unwrap();
    assert!(
        pdf.starts_with(&std::fs::read(&once).unwrap()),
        "an incremental update"
    );
    let mut options = options();
    options.store = Store {
        anchors: load::certs(format!("{CERTS}/demo-root-ca.pem").as_ref()).unwrap(),
        ..Store::default()
    };
    options.revocation = RevocationMode::Off;
    let report = motcua::signature::pades::verify(&pdf, &options).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(report.signatures.len(), 2, "{report:#?}");
    assert_valid_everywhere(&twice, &[], "INTACT:TRUSTED,UNTOUCHED", true);
}

#[test]
fn the_sign_command_reads_pkcs12_with_the_passphrase_from_the_environment_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("agency.p12");
    let out = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-passout", "pass:mật khẩu"])
        .arg("-inkey")
        .arg(format!("{CERTS}/demo-agency.key.pem"))
        .arg("-in")
        .arg(format!("{CERTS}/demo-agency.pem"))
        .arg("-out")
        .arg(&p12)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let signed = dir.path().join("signed.pdf");
    let args = |extra: &[&std::ffi::OsStr]| -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> =
            vec!["sign".into(), "--key".into(), p12.clone().into()];
        a.extend(extra.iter().map(|s| s.to_os_string()));
        a.extend([input.clone().into(), signed.clone().into()]);
        a
    };
    let run_with = |extra: &[&std::ffi::OsStr], env: &[(&str, &str)]| {
        let a = args(extra);
        motcua(&a.iter().map(|s| s.as_os_str()).collect::<Vec<_>>(), env)
    };

    let (code, text) = run_with(&[], &[("MOTCUA_KEY_PASSPHRASE", "sai")]);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("wrong passphrase"), "{text}");
    assert!(
        !text.contains("sai"),
        "the passphrase is never printed: {text}"
    );
    assert!(!signed.exists());

    let (code, text) = run_with(&[], &[("MOTCUA_KEY_PASSPHRASE", "mật khẩu")]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verified_by_motcua_cli(&signed);
    assert_eq!(code, Some(0), "{text}");

    std::fs::remove_file(&signed).unwrap();
    let secret = dir.path().join("passphrase");
    std::fs::write(&secret, "mật khẩu\n").unwrap();
    let (code, text) = run_with(&["--passphrase-file".as_ref(), secret.as_os_str()], &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_valid_everywhere(&signed, &[], "INTACT:TRUSTED,UNTOUCHED", true);
}

#[test]
fn the_sign_command_refuses_unusable_inputs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pdf");
    let not_a_pdf = dir.path().join("note.txt");
    std::fs::write(&not_a_pdf, "Đây không phải PDF").unwrap();
    let minimal = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let demo_key = format!("{CERTS}/demo-agency.key.pem");
    let demo_cert = format!("{CERTS}/demo-agency.pem");
    let other_cert = format!("{PKI}/signer-rsa.pem");
    let cases: [(&str, &str, &std::path::Path, &str); 3] = [
        (
            &demo_key,
            &demo_cert,
            not_a_pdf.as_ref(),
            "cannot be signed",
        ),
        (
            &demo_key,
            &other_cert,
            minimal.as_ref(),
            "does not belong to the certificate",
        ),
        (&demo_cert, &demo_cert, minimal.as_ref(), "demo-agency.pem"),
    ];
    for (key, cert, input, expected) in cases {
        let (code, text) = motcua(
            &[
                "sign".as_ref(),
                "--key".as_ref(),
                key.as_ref(),
                "--cert".as_ref(),
                cert.as_ref(),
                input.as_os_str(),
                out.as_os_str(),
            ],
            &[],
        );
        assert_eq!(code, Some(3), "{key} {cert} {input:?}: {text}");
        assert!(text.contains(expected), "{text}");
        assert!(!out.exists());
    }
}

#[test]
fn the_sign_command_sends_the_chain_so_a_verifier_holding_only_the_root_can_build_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("signed.pdf");
    let input = format!(
        "{}/tests/data/pyhanko/pdf/minimal.pdf",
        env!("CARGO_MANIFEST_DIR")
    );
    let (key, cert, chain) = (
        format!("{PKI}/signer-rsa.key.pem"),
        format!("{PKI}/signer-rsa.pem"),
        format!("{PKI}/intermediate-ca.pem"),
    );
    let (root, root_crl, crl) = (
        format!("{PKI}/root-ca.pem"),
        format!("{PKI}/root.crl.der"),
        format!("{PKI}/intermediate.crl.der"),
    );
    let verify = || {
        motcua(
            &[
                "verify".as_ref(),
                "--trust".as_ref(),
                root.as_ref(),
                "--crl".as_ref(),
                root_crl.as_ref(),
                "--crl".as_ref(),
                crl.as_ref(),
                "--revocation".as_ref(),
                "require".as_ref(),
                signed.as_os_str(),
            ],
            &[],
        )
    };
    let sign = |with_chain: bool| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "sign".as_ref(),
            "--key".as_ref(),
            key.as_ref(),
            "--cert".as_ref(),
            cert.as_ref(),
        ];
        if with_chain {
            args.extend::<[&std::ffi::OsStr; 2]>(["--chain".as_ref(), chain.as_ref()]);
        }
        args.extend::<[&std::ffi::OsStr; 2]>([input.as_ref(), signed.as_os_str()]);
        motcua(&args, &[])
    };

    let (code, text) = sign(false);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verify();
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("NO_CERTIFICATE_CHAIN_FOUND"), "{text}");

    let (code, text) = sign(true);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = verify();
    assert_eq!(code, Some(0), "{text}");
    assert_valid_everywhere(
        &signed,
        &[&format!("{PKI}/root-ca.pem")],
        "INTACT:TRUSTED,UNTOUCHED",
        true,
    );
}

/// A loopback RFC 3161 responder: every POST is answered by `openssl ts -reply` with the test
/// TSA (tests/data/pki/tsa). Returns its URL; the thread lives as long as the test process.
pub(crate) fn loopback_tsa() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer_timestamp_request(stream);
        }
    });
    url
}

fn answer_timestamp_request(mut stream: std::net::TcpStream) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let dir = tempfile::tempdir()?;
    for f in ["tsa.pem", "tsa.key.pem", "tsa.cnf", "chain.pem"] {
        std::fs::copy(format!("{PKI}/tsa/{f}"), dir.path().join(f))?;
    }
    std::fs::write(dir.path().join("serial"), "01\n")?;
    std::fs::write(dir.path().join("q.tsq"), &request[head_end..])?;
    let status = std::process::Command::new("openssl")
        .current_dir(dir.path())
        .args(["ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq"])
        .args(["-out", "r.tsr"])
        .output()?
        .status;
    let (code, body) = if status.success() {
        ("200 OK", std::fs::read(dir.path().join("r.tsr"))?)
    } else {
        ("500 Internal Server Error", Vec::new())
    };
    write!(
        stream,
        "HTTP/1.0 {code}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

#[test]
fn b_t_signatures_carry_a_timestamp_that_motcua_pyhanko_and_openssl_ts_accept() {
    use der::{Decode as _, Encode as _};
    let tsa = loopback_tsa();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b-t.pdf");
    let (code, text) = motcua(
        &[
            "sign".as_ref(),
            "--key".as_ref(),
            format!("{CERTS}/demo-agency.key.pem").as_ref(),
            "--cert".as_ref(),
            format!("{CERTS}/demo-agency.pem").as_ref(),
            "--tsa".as_ref(),
            tsa.as_ref(),
            format!(
                "{}/tests/data/pyhanko/pdf/minimal.pdf",
                env!("CARGO_MANIFEST_DIR")
            )
            .as_ref(),
            path.as_os_str(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{text}");
    let pdf = std::fs::read(&path).unwrap();

    // motcua: the signing time is proven by the timestamp (TSA under the test root).
    let mut options = options();
    options
        .store
        .anchors
        .extend(load::certs(format!("{CERTS}/demo-root-ca.pem").as_ref()).unwrap());
    options.revocation = RevocationMode::Off;
    let report = motcua::signature::pades::verify(&pdf, &options).unwrap();
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert_eq!(
        report.signatures[0].signing_time_source, "timestamp",
        "{report:#?}"
    );

    // openssl ts: the token is over this signature's value and chains to the test root.
    let sig = motcua::pdf::signatures(&pdf).unwrap().remove(0);
    let ci = ::cms::content_info::ContentInfo::from_der(&sig.cms.unwrap()).unwrap();
    let sd: ::cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let si = sd.signer_infos.0.iter().next().unwrap();
    let token = si
        .unsigned_attrs
        .as_ref()
        .and_then(|a| {
            a.iter()
                .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.16.2.14")
        })
        .and_then(|a| a.values.iter().next())
        .expect("a signature timestamp attribute")
        .to_der()
        .unwrap();
    std::fs::write(dir.path().join("token.der"), token).unwrap();
    std::fs::write(dir.path().join("value.bin"), si.signature.as_bytes()).unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "ts",
            "-verify",
            "-token_in",
            "-in",
            "token.der",
            "-data",
            "value.bin",
        ])
        .arg("-CAfile")
        .arg(format!("{PKI}/root-ca.pem"))
        .arg("-untrusted")
        .arg(format!("{PKI}/tsa/chain.pem"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("Verification: OK"),
        "{text}"
    );

    // pyHanko: the signature and its timestamp are both intact and trusted; pdfsig, qpdf and
    // motcua's CLI agree.
    assert_valid_everywhere(
        &path,
        &[&format!("{PKI}/root-ca.pem")],
        "INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED",
        true,
    );
}

#[test]
fn an_unreachable_tsa_fails_the_signing_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pdf");
    let (code, text) = motcua(
        &[
            "sign".as_ref(),
            "--key".as_ref(),
            format!("{CERTS}/demo-agency.key.pem").as_ref(),
            "--cert".as_ref(),
            format!("{CERTS}/demo-agency.pem").as_ref(),
            "--tsa".as_ref(),
            "http://127.0.0.1:1/tsa".as_ref(),
            format!(
                "{}/tests/data/pyhanko/pdf/minimal.pdf",
                env!("CARGO_MANIFEST_DIR")
            )
            .as_ref(),
            out.as_os_str(),
        ],
        &[],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("time-stamping: http://127.0.0.1:1/tsa"),
        "{text}"
    );
    assert!(!out.exists());
}
