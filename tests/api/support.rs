//! The test harness: a `TestApp` runs motcua in-process on port 0 over a fresh database and
//! object store, on the backend chosen by `MOTCUA_TEST_BACKEND`:
//!
//! - `embedded` (default): SQLite and a local directory in a temporary folder;
//! - `production`: a fresh PostgreSQL database on `MOTCUA_TEST_DATABASE_URL` (an admin URL) and a
//!   fresh key prefix in the S3 bucket named by `MOTCUA_S3_BUCKET`/`MOTCUA_S3_ENDPOINT`/
//!   `MOTCUA_S3_REGION` (Garage, started by `scripts/test.sh`), credentials from `AWS_*`.
//!
//! A production run with missing settings fails loudly rather than falling back.

use std::path::PathBuf;
use std::time::Duration;

use motcua::app::Server;
use motcua::auth::{NewToken, Role};
use motcua::config::{LedgerSettings, LogFormat, ServeSettings, StorageSettings, StoreSettings};
use motcua::dossier::{IdNumber, IntakeLimits, TaxCode, UnitCode};
use motcua::storage::S3Settings;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::Executor as _;

/// Which backend the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Production,
}

pub fn backend() -> Backend {
    match std::env::var("MOTCUA_TEST_BACKEND").as_deref() {
        Ok("production") => Backend::Production,
        Ok("embedded") | Err(_) => Backend::Embedded,
        Ok(other) => panic!("MOTCUA_TEST_BACKEND={other:?}: use embedded or production"),
    }
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("MOTCUA_TEST_BACKEND=production needs {name}; run the suite with scripts/test.sh")
    })
}

/// Fresh settings for one test: its own database and object store.
pub async fn fresh_settings(dir: &tempfile::TempDir) -> ServeSettings {
    let data_dir = dir.path().join("data");
    let store = match backend() {
        Backend::Embedded => StoreSettings {
            database_url: format!("sqlite://{}?mode=rwc", data_dir.join("motcua.db").display()),
            storage: StorageSettings::Local(data_dir.join("objects")),
            data_dir,
            db_max_connections: 8,
        },
        Backend::Production => {
            let admin = required_env("MOTCUA_TEST_DATABASE_URL");
            let name = format!("motcua_t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::postgres::PgConnectOptions::from_url(&admin.parse().unwrap())
                .unwrap()
                .connect()
                .await
                .expect("connecting to MOTCUA_TEST_DATABASE_URL");
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
            conn.close().await.unwrap();
            let (base, _) = admin.rsplit_once('/').expect("a database URL ends in /DB");
            StoreSettings {
                database_url: format!("{base}/{name}"),
                storage: StorageSettings::S3(S3Settings {
                    bucket: required_env("MOTCUA_S3_BUCKET"),
                    endpoint: Some(required_env("MOTCUA_S3_ENDPOINT")),
                    region: required_env("MOTCUA_S3_REGION"),
                    prefix: format!("t/{name}/"),
                    path_style: true,
                    part_size: 5 << 20,
                }),
                data_dir,
                db_max_connections: 8,
            }
        }
    };
    ServeSettings {
        signatures: motcua::config::SignatureSettings {
            business_trust: Some(
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki/root-ca.pem").into(),
            ),
            business_crls: Some(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/pki/intermediate.crl.pem"
                )
                .into(),
            ),
            agency_trust: None,
            revocation: motcua::pki::RevocationMode::Soft,
        },
        ledger: LedgerSettings {
            key_file: dir.path().join("ledger-key.pem"),
            origin: "motcua/TEST".into(),
            checkpoint_interval: Duration::from_secs(5),
            public: false,
        },
        store,
        listen: "127.0.0.1:0".parse().unwrap(),
        unit_code: UnitCode::parse("TEST").unwrap(),
        limits: IntakeLimits::default(),
        procedures: None,
        holidays: None,
        // Tests send many requests at once from one token and one address: only the tests of
        // admission itself set these.
        admission: motcua::http::AdmissionLimits {
            max_in_flight: 256,
            max_uploads: 256,
            max_uploads_per_caller: 256,
            rate_limit: 0,
            public_rate_limit: 0,
        },
        connections: motcua::http::ConnectionLimits {
            per_address: 0,
            ..motcua::http::ConnectionLimits::default()
        },
        document_memory: motcua::gate::DEFAULT_DOCUMENT_MEMORY,
        webhook: None,
        scan_quality: motcua::dossier::originals::ScanQuality::Reject,
        fixity_interval: Duration::ZERO,
        fixity_rate: 0,
        log_format: LogFormat::Text,
        orphan_grace: Duration::from_secs(3600),
        accounts: motcua::auth::AccountPolicy::default(),
        // Results are signed by the demo agency identity of certs/ on both backends.
        issuer: motcua::config::IssuerSettings {
            demo: true,
            public_url: "http://127.0.0.1:0".into(),
            ..motcua::config::IssuerSettings::default()
        },
    }
}

/// A running app and a client for it.
pub struct TestApp {
    pub server: Option<Server>,
    pub base: String,
    pub client: reqwest::Client,
    pub settings: ServeSettings,
    /// Keeps the temporary directory alive as long as the app.
    pub _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut ServeSettings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = fresh_settings(&dir).await;
        adjust(&mut settings);
        Self::start(settings, dir).await
    }

    async fn start(settings: ServeSettings, dir: tempfile::TempDir) -> Self {
        let server = Server::start(&settings).await.expect("server starts");
        let base = format!("http://{}", server.addr());
        Self {
            server: Some(server),
            base,
            client: reqwest::Client::new(),
            settings,
            _dir: dir,
        }
    }

    /// Another app instance over the same database and object store.
    pub async fn sibling(&self) -> Server {
        Server::start(&self.settings).await.expect("sibling starts")
    }

    pub fn state(&self) -> &motcua::http::AppState {
        self.server.as_ref().unwrap().state()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.settings.store.data_dir.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn token(&self, role: Role) -> String {
        self.token_for(role, None, None).await
    }

    pub async fn business_token(&self, tax_code: &str) -> String {
        self.token_for(Role::Business, Some(tax_code), None).await
    }

    pub async fn citizen_token(&self, id_number: &str) -> String {
        self.token_for(Role::Citizen, None, Some(id_number)).await
    }

    async fn token_for(&self, role: Role, tax: Option<&str>, id: Option<&str>) -> String {
        motcua::app::create_token(
            self.state().dossiers.db(),
            &NewToken {
                role,
                tax_code: tax.map(|t| TaxCode::parse(t).unwrap()),
                id_number: id.map(|n| IdNumber::parse(n).unwrap()),
                agency: None,
                name: Some("test".into()),
                branches: false,
                unit: None,
            },
        )
        .await
        .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn submit(&self, token: &str, form: Form) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/dossiers"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Submits and insists on 201; returns the body.
    pub async fn submit_ok(&self, token: &str, form: Form) -> Value {
        let r = self.submit(token, form).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }
}

/// A business registration declaration for this tax code.
pub fn business_dossier(tax_code: &str) -> Value {
    serde_json::json!({
        "procedure": "business-registration",
        "applicant": {"tax_code": tax_code, "name": "Công ty TNHH Mẫu"},
        "title": "Đăng ký thành lập doanh nghiệp",
    })
}

/// A form with a declaration and files `(filename, content type, bytes)`.
pub fn form(dossier: &Value, files: Vec<(&str, &str, Vec<u8>)>) -> Form {
    let mut form = Form::new().part(
        "dossier",
        Part::text(dossier.to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    for (name, ctype, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(ctype)
                .unwrap(),
        );
    }
    form
}

/// A small but complete PDF (catalog, page tree, one page, correct xref), with `marker` in a
/// comment so that different markers give different bytes.
pub fn pdf(marker: &str) -> Vec<u8> {
    crate::hostile::pdf_marked(
        marker,
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
        ],
    )
}

/// A 1x1 PNG.
pub fn png() -> Vec<u8> {
    hex::decode(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
         1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
    )
    .unwrap()
}

/// The first bytes of a JPEG (SOI, APP0/JFIF); enough for recognition.
pub fn jpeg() -> Vec<u8> {
    let mut v = hex::decode("ffd8ffe000104a46494600010100000100010000").unwrap();
    v.extend_from_slice(&[0u8; 64]);
    v.extend_from_slice(&[0xff, 0xd9]);
    v
}

/// A detached CMS signature made by `openssl cms -sign` (tests/data/SOURCE.md).
pub fn p7s() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/detached.p7s"
    ))
    .unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    motcua::storage::Sha256Digest::of(bytes).to_hex()
}

/// The error code of a JSON error body, checking its shape.
pub async fn error_code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("error bodies are JSON");
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"))
        .to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "no error.message in {body}"
    );
    (status, code)
}

/// The real `motcua` binary as a child process.
pub struct Process {
    pub child: tokio::process::Child,
    pub base: String,
}

/// Command-line arguments that point the binary at the same database and store as `settings`.
pub fn store_args(settings: &ServeSettings) -> Vec<String> {
    let s = &settings.store;
    let mut args = vec![
        "--data".to_owned(),
        s.data_dir.display().to_string(),
        "--database-url".to_owned(),
        s.database_url.clone(),
    ];
    if let StorageSettings::S3(s3) = &s.storage {
        args.extend([
            "--s3-bucket".to_owned(),
            s3.bucket.clone(),
            "--s3-endpoint".to_owned(),
            s3.endpoint.clone().unwrap_or_default(),
            "--s3-region".to_owned(),
            s3.region.clone(),
            "--s3-prefix".to_owned(),
            s3.prefix.clone(),
        ]);
    }
    args
}

pub fn binary() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
    c.env("MOTCUA_LOG", "warn").kill_on_drop(true);
    // The store is what a test passes (`store_args`), not the suite's S3 settings.
    for var in [
        "MOTCUA_S3_BUCKET",
        "MOTCUA_S3_ENDPOINT",
        "MOTCUA_S3_REGION",
        "MOTCUA_S3_PREFIX",
    ] {
        c.env_remove(var);
    }
    c
}

/// `motcua token create` through the CLI; the token is the last line of its output.
pub async fn cli_token(settings: &ServeSettings, role: &str, extra: &[&str]) -> String {
    let out = binary()
        .args(["token", "create", "--role", role])
        .args(extra)
        .args(store_args(settings))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout.lines().last().unwrap().trim().to_owned()
}

/// Starts `motcua serve` on a free port and waits for the line saying where it listens.
pub async fn spawn_process(settings: &ServeSettings, extra: &[&str]) -> Process {
    spawn_process_with_env(settings, extra, &[]).await
}

/// [`spawn_process`] with variables added to the process's environment.
pub async fn spawn_process_with_env(
    settings: &ServeSettings,
    extra: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Process {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = binary()
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0", "--unit-code", "TEST"])
        .args(store_args(settings))
        .arg("--ledger-key")
        .arg(&settings.ledger.key_file)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("motcua listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("motcua serve exited before listening");
    })
    .await
    .expect("motcua serve starts within a minute");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process { child, base }
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} not in /proc status"))
    }
}

/// Verification against the test PKI (tests/data/pki): its root, both CRLs, revocation
/// required, no OCSP fetching.
pub fn test_pki_options() -> motcua::signature::VerifyOptions {
    use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
    let mut store = Store {
        anchors: load::certs(format!("{pki}/root-ca.pem").as_ref()).unwrap(),
        ..Store::default()
    };
    for crl in ["root.crl.der", "intermediate.crl.der"] {
        store
            .crls
            .extend(load::crls(format!("{pki}/{crl}").as_ref()).unwrap());
    }
    motcua::signature::VerifyOptions {
        store,
        revocation: RevocationMode::Require,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: false,
    }
}

/// A detached CMS signature (DER) over `data`, made by OpenSSL with the key and certificate at
/// `tests/data/pki/{name}.key.pem` and `{name}.pem`, carrying the test intermediate CA.
pub fn openssl_detached_signature(name: &str, data: &[u8]) -> Vec<u8> {
    use openssl::cms::{CMSOptions, CmsContentInfo};
    use openssl::pkey::PKey;
    use openssl::stack::Stack;
    use openssl::x509::X509;
    let read = |f: String| {
        std::fs::read(format!("{}/tests/data/pki/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let cert = X509::from_pem(&read(format!("{name}.pem"))).unwrap();
    let key = PKey::private_key_from_pem(&read(format!("{name}.key.pem"))).unwrap();
    let mut chain = Stack::new().unwrap();
    chain
        .push(X509::from_pem(&read("intermediate-ca.pem".into())).unwrap())
        .unwrap();
    CmsContentInfo::sign(
        Some(&cert),
        Some(&key),
        Some(&chain),
        Some(data),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap()
}

/// Replaces a stored object's bytes behind motcua's back (local directory or S3 bucket).
pub async fn overwrite_object(app: &TestApp, sha: &str, bytes: Vec<u8>) {
    match &app.settings.store.storage {
        motcua::config::StorageSettings::Local(root) => {
            let path = root.join("objects/sha256").join(&sha[..2]).join(sha);
            std::fs::write(&path, &bytes).unwrap();
        }
        motcua::config::StorageSettings::S3(s3) => {
            let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_sdk_s3::config::Region::new(s3.region.clone()))
                .load()
                .await;
            let conf = aws_sdk_s3::config::Builder::from(&shared)
                .endpoint_url(s3.endpoint.clone().unwrap())
                .force_path_style(true)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
                .put_object()
                .bucket(&s3.bucket)
                .key(format!("{}objects/sha256/{sha}", s3.prefix))
                .body(bytes.into())
                .send()
                .await
                .unwrap();
        }
    }
}

/// `motcua gc --grace-secs 0`: the orphan sweep, now, with no grace (nothing else may be
/// storing objects meanwhile).
pub async fn gc_now(app: &TestApp) {
    let out = binary()
        .args(["gc", "--grace-secs", "0"])
        .args(store_args(&app.settings))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
