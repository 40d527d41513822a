//! PKCS#11: motcua signs with keys that stay in a token, here SoftHSM2 (Debian's `softhsm2`)
//! through OpenSSL's pkcs11 engine (`libengine-pkcs11-openssl`), and refuses what it cannot use
//! with clear errors that never show the PIN.
//!
//! SoftHSM finds its tokens through the `SOFTHSM2_CONF` environment variable only, and the engine
//! reads a module's token list once per process, so the whole test process shares one SoftHSM
//! store in a temporary directory, with one token per purpose, all made once (`hsm()`) before any
//! test loads a key:
//! - `motcua-agency`: the demo agency's key and certificate (`certs/`), imported;
//! - `motcua-wrong-pin`: the same key again, for the one test that logs in with a wrong PIN
//!   (a token logged in once stays logged in for the process, whatever PIN comes next);
//! - `motcua-generated`: an EC key generated inside the token, never outside it, with a
//!   certificate from a throwaway CA made here.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use motcua::signature::pkcs11::is_pkcs11_uri;
use motcua::signature::sign::{SignError, SigningIdentity, cades_detached, sign_pdf};
use openssl::pkey::{PKey, Private, Public};
use openssl::x509::X509;

use crate::signing::run;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// Distinctive, so that finding it in a message means it leaked.
const PIN: &str = "motcua-pin-4821";
const WRONG_PIN: &str = "motcua-wrong-pin-9073";
const SO_PIN: &str = "motcua-so-pin-5522";
const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs");

const AGENCY_TOKEN: &str = "motcua-agency";
const WRONG_PIN_TOKEN: &str = "motcua-wrong-pin";
const GENERATED_TOKEN: &str = "motcua-generated";

/// The demo agency key in its token, by label.
const AGENCY_KEY: &str = "pkcs11:token=motcua-agency;object=agency;type=private";

/// This process's SoftHSM store (removed at exit).
fn softhsm_dir() -> PathBuf {
    std::env::temp_dir().join(format!("motcua-softhsm-{}", std::process::id()))
}

/// Points SoftHSM at `softhsm_dir()` before `main`: changing the environment while other tests'
/// threads run would race with their `getenv` calls (glibc's are unsynchronised), and SoftHSM
/// reads nothing else. The directory itself is filled later, by `hsm()`.
#[used]
#[unsafe(link_section = ".init_array")]
static SET_SOFTHSM2_CONF_BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn set_softhsm2_conf() {
        // SAFETY: `.init_array` functions run before `main`, while the process has one thread.
        unsafe { std::env::set_var("SOFTHSM2_CONF", softhsm_dir().join("softhsm2.conf")) };
    }
    set_softhsm2_conf
};

extern "C" fn remove_softhsm_dir() {
    let _ = std::fs::remove_dir_all(softhsm_dir());
}

/// What `hsm()` made besides the tokens.
struct Hsm {
    /// The throwaway CA that certified the key generated in `motcua-generated` (PEM file).
    ca: PathBuf,
}

/// The SoftHSM store with its three tokens, made by the first test that needs it.
fn hsm() -> &'static Hsm {
    static HSM: OnceLock<Hsm> = OnceLock::new();
    HSM.get_or_init(make_tokens)
}

/// Runs a setup tool and insists that it worked.
fn must(program: &str, args: &[&str]) -> String {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let (ok, text) = run(program, &args);
    assert!(
        ok,
        "{program} {args:?} failed (scripts/test.sh installs it):\n{text}"
    );
    text
}

fn pkcs11_tool(token: &str, args: &[&str]) -> String {
    let mut all = vec![
        "--module",
        MODULE,
        "--token-label",
        token,
        "--login",
        "--pin",
        PIN,
    ];
    all.extend_from_slice(args);
    must("pkcs11-tool", &all)
}

fn make_tokens() -> Hsm {
    let dir = softhsm_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    assert_eq!(
        std::env::var_os("SOFTHSM2_CONF"),
        Some(dir.join("softhsm2.conf").into_os_string()),
        "set before main"
    );
    std::fs::write(
        dir.join("softhsm2.conf"),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
             slots.removable = false\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    // SAFETY: registers a plain function; it runs at process exit, after the tests.
    unsafe { libc::atexit(remove_softhsm_dir) };

    for token in [AGENCY_TOKEN, WRONG_PIN_TOKEN, GENERATED_TOKEN] {
        must(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                token,
                "--so-pin",
                SO_PIN,
                "--pin",
                PIN,
            ],
        );
    }
    // The demo agency key (PKCS#8 PEM); softhsm2-util marks it sensitive and not extractable.
    let demo_key = format!("{CERTS}/demo-agency.key.pem");
    for token in [AGENCY_TOKEN, WRONG_PIN_TOKEN] {
        must(
            "softhsm2-util",
            &[
                "--import", &demo_key, "--token", token, "--label", "agency", "--id", "01",
                "--pin", PIN,
            ],
        );
    }
    let demo_cert =
        X509::from_pem(&std::fs::read(format!("{CERTS}/demo-agency.pem")).unwrap()).unwrap();
    let demo_cert_der = dir.join("demo-agency.der");
    std::fs::write(&demo_cert_der, demo_cert.to_der().unwrap()).unwrap();
    pkcs11_tool(
        AGENCY_TOKEN,
        &[
            "--write-object",
            demo_cert_der.to_str().unwrap(),
            "--type",
            "cert",
            "--id",
            "01",
            "--label",
            "agency",
        ],
    );

    // A key born in the token: only its public half ever comes out.
    pkcs11_tool(
        GENERATED_TOKEN,
        &[
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--id",
            "02",
            "--label",
            "signer",
            "--usage-sign",
            "--sensitive",
        ],
    );
    let public_der = dir.join("generated.pub.der");
    pkcs11_tool(
        GENERATED_TOKEN,
        &[
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            "02",
            "-o",
            public_der.to_str().unwrap(),
        ],
    );
    let public = PKey::public_key_from_der(&std::fs::read(&public_der).unwrap()).unwrap();
    let (ca, cert) = throwaway_ca_certifying(&public);
    let ca_pem = dir.join("throwaway-ca.pem");
    std::fs::write(&ca_pem, ca.to_pem().unwrap()).unwrap();
    let cert_der = dir.join("generated.der");
    std::fs::write(&cert_der, cert.to_der().unwrap()).unwrap();
    pkcs11_tool(
        GENERATED_TOKEN,
        &[
            "--write-object",
            cert_der.to_str().unwrap(),
            "--type",
            "cert",
            "--id",
            "02",
            "--label",
            "signer",
        ],
    );
    Hsm { ca: ca_pem }
}

/// A self-signed CA (its key thrown away) and a signing certificate it issues for `subject_key`,
/// with the extensions the demo agency certificate has.
fn throwaway_ca_certifying(subject_key: &PKey<Public>) -> (X509, X509) {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::{BigNum, MsbOption};
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::x509::extension::{
        AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
    };
    use openssl::x509::{X509Builder, X509Name, X509NameBuilder};

    let name = |cn: &str| -> X509Name {
        let mut b = X509NameBuilder::new().unwrap();
        b.append_entry_by_text("C", "VN").unwrap();
        b.append_entry_by_text("O", "motcua TEST - throwaway")
            .unwrap();
        b.append_entry_by_text("CN", cn).unwrap();
        b.build()
    };
    let serial = || -> Asn1Integer {
        let mut n = BigNum::new().unwrap();
        n.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
        n.to_asn1_integer().unwrap()
    };
    let yesterday =
        Asn1Time::from_unix(time::OffsetDateTime::now_utc().unix_timestamp() - 86_400).unwrap();
    let next_year = Asn1Time::days_from_now(365).unwrap();
    let ca_key: PKey<Private> = PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap();

    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name("motcua TEST throwaway CA"))
        .unwrap();
    b.set_issuer_name(&name("motcua TEST throwaway CA"))
        .unwrap();
    b.set_pubkey(&ca_key).unwrap();
    b.set_not_before(&yesterday).unwrap();
    b.set_not_after(&next_year).unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(ski).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let ca = b.build();

    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name("motcua TEST key generated in a token"))
        .unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(subject_key).unwrap();
    b.set_not_before(&yesterday).unwrap();
    b.set_not_after(&next_year).unwrap();
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
    b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
        .unwrap();
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(ski).unwrap();
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(aki).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    (ca, b.build())
}

fn demo(file: &str) -> Vec<u8> {
    std::fs::read(format!("{CERTS}/{file}")).unwrap()
}

fn minimal_pdf() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    ))
    .unwrap()
}

/// The demo agency identity with its key in the token and its certificate given as PEM.
fn agency_in_the_token() -> SigningIdentity {
    hsm();
    SigningIdentity::from_pkcs11(
        AGENCY_KEY,
        Some(Path::new(MODULE)),
        Some(PIN),
        Some(&demo("demo-agency.pem")),
        b"",
    )
    .unwrap()
}

/// The identity generated in the token: default module, certificate read from the token.
fn generated_in_the_token() -> SigningIdentity {
    hsm();
    SigningIdentity::from_pkcs11(
        "pkcs11:token=motcua-generated;id=%02",
        None,
        Some(PIN),
        None,
        b"",
    )
    .unwrap()
}

/// The message of a refusal; it must never hold the PIN.
fn refusal(result: Result<SigningIdentity, SignError>) -> String {
    let message = match result {
        Ok(identity) => panic!("accepted: {identity:?}"),
        Err(SignError::Failed(message)) => message,
        Err(other) => panic!("not a key problem: {other}"),
    };
    for pin in [PIN, WRONG_PIN] {
        assert!(!message.contains(pin), "the PIN leaked: {message}");
    }
    message
}

/// Signs `minimal.pdf` with `identity` and has pyHanko (trusting the demo root and `more_roots`)
/// and qpdf accept it.
fn sign_and_validate(identity: &SigningIdentity, more_roots: &[&str]) {
    let time = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    let signed = sign_pdf(&minimal_pdf(), identity, time, "Signature1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed-in-a-token.pdf");
    std::fs::write(&path, &signed).unwrap();
    crate::signing::assert_valid_everywhere(&path, more_roots, "INTACT:TRUSTED,UNTOUCHED", true);
}

#[test]
fn a_key_imported_into_softhsm_signs_pdfs_that_pyhanko_and_qpdf_accept() {
    sign_and_validate(&agency_in_the_token(), &[]);
}

#[test]
fn a_key_generated_inside_the_token_signs_with_the_certificate_read_from_the_token() {
    let identity = generated_in_the_token();
    let ca = hsm().ca.to_str().unwrap();
    sign_and_validate(&identity, &[ca]);
}

#[test]
fn cades_signatures_made_in_the_token_verify_in_openssl_cms() {
    let data = b"Giay chung nhan dang ky doanh nghiep";
    let demo_root = format!("{CERTS}/demo-root-ca.pem");
    let ca = hsm().ca.to_str().unwrap().to_string();
    let agency_with_token_cert = SigningIdentity::from_pkcs11(
        // By id, the certificate from the token (the key and certificate objects share id 01).
        &format!("pkcs11:token={AGENCY_TOKEN};id=%01;type=private"),
        Some(Path::new(MODULE)),
        Some(PIN),
        None,
        b"",
    )
    .unwrap();
    for (identity, root) in [
        (agency_with_token_cert, demo_root.as_str()),
        (generated_in_the_token(), ca.as_str()),
    ] {
        let cms = cades_detached(&identity, &[data]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (sig, content) = (dir.path().join("sig.der"), dir.path().join("data"));
        std::fs::write(&sig, &cms).unwrap();
        std::fs::write(&content, data).unwrap();
        let (ok, text) = run(
            "openssl",
            &[
                "cms".as_ref(),
                "-verify".as_ref(),
                "-binary".as_ref(),
                "-inform".as_ref(),
                "DER".as_ref(),
                "-in".as_ref(),
                sig.as_os_str(),
                "-content".as_ref(),
                content.as_os_str(),
                "-CAfile".as_ref(),
                root.as_ref(),
                "-out".as_ref(),
                "/dev/null".as_ref(),
            ],
        );
        assert!(ok, "openssl cms -verify ({root}): {text}");
        assert!(text.contains("Verification successful"), "{text}");
    }
}

/// The `Access:` flags pkcs11-tool lists for the private key with `id` in `token`.
fn private_key_access(token: &str, id: &str) -> Vec<String> {
    let listing = pkcs11_tool(token, &["--list-objects", "--type", "privkey", "--id", id]);
    let access = listing
        .lines()
        .find_map(|l| l.trim().strip_prefix("Access:"))
        .unwrap_or_else(|| panic!("no private key {id} in {token}:\n{listing}"));
    access.split(',').map(|f| f.trim().to_string()).collect()
}

#[test]
fn the_private_keys_are_sensitive_and_cannot_be_read_out_of_the_token() {
    hsm();
    for (token, id) in [(AGENCY_TOKEN, "01"), (GENERATED_TOKEN, "02")] {
        let access = private_key_access(token, id);
        assert!(
            access.iter().any(|f| f == "sensitive"),
            "{token}: {access:?}"
        );
        assert!(
            !access.iter().any(|f| f == "extractable"),
            "{token}: {access:?}"
        );
        // pkcs11-tool has no way to export a private key; it writes nothing.
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("key.bin");
        let (_, text) = run(
            "pkcs11-tool",
            &[
                "--module",
                MODULE,
                "--token-label",
                token,
                "--login",
                "--pin",
                PIN,
                "--read-object",
                "--type",
                "privkey",
                "--id",
                id,
                "-o",
            ]
            .map(OsStr::new)
            .into_iter()
            .chain([file.as_os_str()])
            .collect::<Vec<_>>(),
        );
        assert!(
            std::fs::metadata(&file).map_or(true, |m| m.len() == 0),
            "{token}: the private key was written out: {text}"
        );
    }
    // The generated key was never outside the token, so signatures that verify (the tests above)
    // can only have been made inside it.
    let access = private_key_access(GENERATED_TOKEN, "02");
    for flag in ["always sensitive", "never extractable", "local"] {
        assert!(access.iter().any(|f| f == flag), "{flag}: {access:?}");
    }
}

#[test]
fn a_wrong_pin_or_none_is_refused_and_the_right_one_then_works() {
    hsm();
    let uri = format!("pkcs11:token={WRONG_PIN_TOKEN};object=agency");
    let cert = demo("demo-agency.pem");
    let load = |pin: Option<&str>| {
        SigningIdentity::from_pkcs11(&uri, Some(Path::new(MODULE)), pin, Some(&cert), b"")
    };
    // This token is used by this test only: once logged in, a process stays logged in to it.
    let none = refusal(load(None));
    assert!(none.contains("needs a PIN and none was given"), "{none}");
    let wrong = refusal(load(Some(WRONG_PIN)));
    assert!(wrong.contains("refused the PIN"), "{wrong}");
    assert!(wrong.contains(WRONG_PIN_TOKEN), "names the token: {wrong}");
    load(Some(PIN)).unwrap();
}

#[test]
fn unknown_objects_other_uris_missing_modules_and_foreign_certificates_are_refused_clearly() {
    hsm();
    let cert = demo("demo-agency.pem");
    let module = Some(Path::new(MODULE));

    let unknown = refusal(SigningIdentity::from_pkcs11(
        &format!("pkcs11:token={AGENCY_TOKEN};object=no-such-key;pin-value={PIN}"),
        module,
        None,
        Some(&cert),
        b"",
    ));
    assert!(unknown.contains("no private key matches"), "{unknown}");
    assert!(unknown.contains("object=no-such-key"), "{unknown}");

    let not_pkcs11 = refusal(SigningIdentity::from_pkcs11(
        &format!("{CERTS}/demo-agency.key.pem"),
        module,
        Some(PIN),
        Some(&cert),
        b"",
    ));
    assert!(not_pkcs11.contains("not a PKCS#11 URI"), "{not_pkcs11}");

    let no_token = refusal(SigningIdentity::from_pkcs11(
        "pkcs11:token=no-such-token;object=agency",
        module,
        Some(PIN),
        Some(&cert),
        b"",
    ));
    assert!(no_token.contains("no private key matches"), "{no_token}");
    assert!(no_token.contains("token=no-such-token"), "{no_token}");

    let dir = tempfile::tempdir().unwrap();
    let not_a_module = dir.path().join("not-a-module.so");
    std::fs::write(&not_a_module, "not a shared library").unwrap();
    let bad_module = refusal(SigningIdentity::from_pkcs11(
        AGENCY_KEY,
        Some(&not_a_module),
        Some(PIN),
        Some(&cert),
        b"",
    ));
    assert!(bad_module.contains("cannot be loaded"), "{bad_module}");

    // One module per process: SoftHSM is it (the identity first makes sure).
    agency_in_the_token();
    let copy = dir.path().join("another-pkcs11-module.so");
    std::fs::copy(MODULE, &copy).unwrap();
    let another = refusal(SigningIdentity::from_pkcs11(
        AGENCY_KEY,
        Some(&copy),
        Some(PIN),
        Some(&cert),
        b"",
    ));
    assert!(
        another.contains("already uses the PKCS#11 module"),
        "{another}"
    );

    let no_module = refusal(SigningIdentity::from_pkcs11(
        AGENCY_KEY,
        Some(Path::new("/usr/lib/no-such-pkcs11-module.so")),
        Some(PIN),
        Some(&cert),
        b"",
    ));
    assert!(
        no_module.contains("the PKCS#11 module /usr/lib/no-such-pkcs11-module.so cannot be used"),
        "{no_module}"
    );

    // The demo root's certificate, whose key is not the one in the token.
    let foreign = refusal(SigningIdentity::from_pkcs11(
        AGENCY_KEY,
        module,
        Some(PIN),
        Some(&demo("demo-root-ca.pem")),
        b"",
    ));
    assert!(
        foreign.contains("does not belong to the certificate"),
        "{foreign}"
    );
}

#[test]
fn the_pin_never_appears_in_the_identity_s_debug_output_or_in_errors() {
    hsm();
    let dir = tempfile::tempdir().unwrap();
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    let cert = demo("demo-agency.pem");
    for uri in [
        format!("{AGENCY_KEY};pin-value={PIN}"),
        format!("{AGENCY_KEY}?pin-source=file:{}", pin_file.display()),
    ] {
        assert!(is_pkcs11_uri(&uri));
        let identity =
            SigningIdentity::from_pkcs11(&uri, Some(Path::new(MODULE)), None, Some(&cert), b"")
                .unwrap();
        let debug = format!("{identity:?} {identity:#?}");
        assert!(!debug.contains(PIN), "{debug}");
        // Refusals that echo the URI show it without its PIN (`refusal` checks).
        let foreign = refusal(SigningIdentity::from_pkcs11(
            &uri,
            Some(Path::new(MODULE)),
            None,
            Some(&demo("demo-root-ca.pem")),
            b"",
        ));
        assert!(
            foreign.contains("pkcs11:token=motcua-agency;object=agency"),
            "{foreign}"
        );
    }
    let unsupported = refusal(SigningIdentity::from_pkcs11(
        &format!("pkcs11:slot-id=0;object=agency;pin-value={PIN}"),
        Some(Path::new(MODULE)),
        None,
        Some(&cert),
        b"",
    ));
    assert!(
        unsupported.contains("slot-id is not supported"),
        "{unsupported}"
    );
}

#[test]
fn the_sign_command_signs_through_the_token_with_the_pin_from_a_secret_file() {
    hsm();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signed.pdf");
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    let input = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    );
    let cert = format!("{CERTS}/demo-agency.pem");
    // The child inherits SOFTHSM2_CONF, set for this whole process before main.
    let (code, text) = crate::signing::motcua(
        &[
            "sign".as_ref(),
            "--key".as_ref(),
            AGENCY_KEY.as_ref(),
            "--cert".as_ref(),
            cert.as_ref(),
            "--pkcs11-module".as_ref(),
            MODULE.as_ref(),
            "--passphrase-file".as_ref(),
            pin_file.as_os_str(),
            "--visible".as_ref(),
            "UBND phường Láng Thượng".as_ref(),
            input.as_ref(),
            out.as_os_str(),
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains(PIN), "the PIN was printed: {text}");
    crate::signing::assert_valid_everywhere(&out, &[], "INTACT:TRUSTED,UNTOUCHED", true);

    // A wrong PIN: exit 3, a message without the PIN, nothing written.
    let wrong_out = dir.path().join("wrong.pdf");
    let wrong_key = format!("pkcs11:token={WRONG_PIN_TOKEN};object=agency;type=private");
    let (code, text) = crate::signing::motcua(
        &[
            "sign".as_ref(),
            "--key".as_ref(),
            wrong_key.as_ref(),
            "--cert".as_ref(),
            cert.as_ref(),
            input.as_ref(),
            wrong_out.as_os_str(),
        ],
        &[("MOTCUA_KEY_PASSPHRASE", WRONG_PIN)],
    );
    assert_eq!(code, Some(3), "{text}");
    assert!(!text.contains(WRONG_PIN), "the PIN was printed: {text}");
    assert!(!wrong_out.exists());
}
