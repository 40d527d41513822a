//! Settings: from the command line, the environment (`MOTCUA_*`, and the standard `AWS_*`
//! variables for S3 credentials), and a TOML config file, in that order of precedence, then
//! defaults. Every setting is documented in `motcua serve --help`.
//!
//! Each setting is declared once, in [`StoreArgs`] or [`ServeArgs`]: its flag, its variable
//! (clap's `env`), its config-file key (the field's name, through serde) and its type, which
//! parses its values for all three (sizes, addresses, modes). `resolve` then takes each from the
//! command line or the environment, else from the file, else the default, and checks what holds
//! across settings. Errors are [`ConfigError`]s naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::dossier::originals::ScanQuality;
use crate::dossier::{IntakeLimits, UnitCode};
use crate::pki::RevocationMode;
use crate::signature::sign::Level;
use crate::storage::S3Settings;

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("reading config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML, has a key no setting has, or a value of the wrong form.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A value breaks a rule.
    #[error("{setting}: {rule}")]
    Invalid {
        /// The setting, as its config-file key.
        setting: &'static str,
        /// The rule it breaks.
        rule: String,
    },
}

fn invalid(setting: &'static str, rule: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        rule: rule.into(),
    }
}

/// Declares a set of settings once: the struct is clap's arguments (flags and variables) and
/// serde's config-file form at the same time, every field an `Option` (unset), and gets
/// `KEYS` (the config-file keys) and `or` (each setting from `self`, else from the fallback).
/// A `flatten NAME: TYPE;` line first embeds another such set.
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(flatten $inner:ident : $inner_ty:ty;)?
            $(
                $(#[$field_meta:meta])*
                pub $field:ident : Option<$ty:ty>,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(clap::Args, Debug, Clone, Default, Deserialize)]
        pub struct $name {
            $(
                /// The settings it embeds.
                #[command(flatten)]
                #[serde(flatten)]
                pub $inner: $inner_ty,
            )?
            $(
                $(#[$field_meta])*
                pub $field: Option<$ty>,
            )*
        }

        impl $name {
            /// The keys a config file may hold for these settings.
            pub fn keys() -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut keys = vec![$(stringify!($field)),*];
                $(keys.extend(<$inner_ty>::keys());)?
                keys.retain(|k| *k != "config");
                keys
            }

            /// Each setting from `self` when set, else from `fallback`.
            pub fn or(self, fallback: Self) -> Self {
                Self {
                    $($inner: self.$inner.or(fallback.$inner),)?
                    $($field: self.$field.or(fallback.$field),)*
                }
            }
        }
    };
}

settings! {
    /// Settings every command that opens the database and store shares.
    pub struct StoreArgs {
    /// Data directory for the embedded defaults: the SQLite database (motcua.db) and the local
    /// object store (objects/). [default: ./data]
    #[arg(long, env = "MOTCUA_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// TOML config file; its keys are the long option names with underscores
    /// (database_url = "...", s3_bucket = "...", max_file_size = "100MiB", ...).
    #[arg(long, env = "MOTCUA_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Database URL: postgres://USER:PASSWORD@HOST:PORT/DB for production, or sqlite://FILE.
    /// [default: sqlite://DATA/motcua.db]
    #[arg(
        long,
        env = "MOTCUA_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Most database connections per app instance. [default: 16]
    #[arg(long, env = "MOTCUA_DB_MAX_CONNECTIONS", value_name = "N")]
    pub db_max_connections: Option<u32>,
    /// S3 bucket. When set, objects are stored there instead of in the data directory.
    /// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or any standard AWS
    /// source: profile, instance role).
    #[arg(long, env = "MOTCUA_S3_BUCKET", value_name = "BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 endpoint URL for S3-compatible storage (Garage, Ceph, MinIO), e.g.
    /// http://127.0.0.1:3900. [default: AWS]
    #[arg(long, env = "MOTCUA_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region. [default: AWS_REGION, else us-east-1]
    #[arg(long, env = "MOTCUA_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    /// Key prefix inside the bucket, e.g. motcua/. [default: none]
    #[arg(long, env = "MOTCUA_S3_PREFIX", value_name = "PREFIX")]
    pub s3_prefix: Option<String>,
    /// Path-style addressing (endpoint/bucket/key), which most S3-compatible servers need;
    /// false for virtual-hosted style (bucket.endpoint/key). [default: true]
    #[arg(long, env = "MOTCUA_S3_PATH_STYLE", value_name = "BOOL")]
    pub s3_path_style: Option<bool>,
    /// Multipart upload part size (at least 5MiB). [default: 8MiB]
    #[arg(long, env = "MOTCUA_S3_PART_SIZE", value_name = "SIZE")]
    pub s3_part_size: Option<ByteSize>,
}
}

settings! {
    /// Settings of `motcua serve`.
    pub struct ServeArgs {
        flatten store: StoreArgs;
    /// Address to listen on. [default: 127.0.0.1:8080]
    #[arg(long, env = "MOTCUA_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Code of the receiving unit (mã đơn vị), the first part of every dossier code
    /// (<unit>-<YYMMDD>-<sequence>). [default: DEMO]
    #[arg(long, env = "MOTCUA_UNIT_CODE", value_name = "CODE")]
    pub unit_code: Option<String>,
    /// Largest accepted file (e.g. 100MiB, 1GiB, or bytes). [default: 100MiB]
    #[arg(long, env = "MOTCUA_MAX_FILE_SIZE", value_name = "SIZE")]
    pub max_file_size: Option<ByteSize>,
    /// Largest accepted request, all files of a dossier together. [default: 1GiB]
    #[arg(long, env = "MOTCUA_MAX_REQUEST_SIZE", value_name = "SIZE")]
    pub max_request_size: Option<ByteSize>,
    /// Most files in one dossier. [default: 100]
    #[arg(long, env = "MOTCUA_MAX_FILES", value_name = "N")]
    pub max_files: Option<usize>,
    /// Procedure catalogue (TOML) replacing the built-in one (catalogue/procedures.toml).
    #[arg(long, env = "MOTCUA_PROCEDURES", value_name = "FILE")]
    pub procedures: Option<PathBuf>,
    /// Most requests handled at once by this node; beyond it, 503 `overloaded` with
    /// Retry-After. [default: 256]
    #[arg(long, env = "MOTCUA_MAX_IN_FLIGHT", value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Requests per second per token on average (bursts of twice as many); beyond it, 429
    /// `rate_limited` with Retry-After. 0: no limit. [default: 50]
    #[arg(long, env = "MOTCUA_RATE_LIMIT", value_name = "PER_SECOND")]
    pub rate_limit: Option<u32>,
    /// Uploads (multipart forms, large bodies) handled at once by this node, in a pool apart
    /// from other requests; beyond it, 503 `overloaded`. [default: 64]
    #[arg(long, env = "MOTCUA_MAX_UPLOADS", value_name = "N")]
    pub max_uploads: Option<usize>,
    /// Uploads one caller (token, else address) may have in flight at once; beyond it, 429
    /// `too_many_uploads`. [default: 8]
    #[arg(long, env = "MOTCUA_MAX_UPLOADS_PER_CALLER", value_name = "N")]
    pub max_uploads_per_caller: Option<usize>,
    /// Requests per second per client address on the public pages (/verify, /verify/CODE),
    /// bursts of four times as many; beyond it, 429. 0: no limit. [default: 5]
    #[arg(long, env = "MOTCUA_PUBLIC_RATE_LIMIT", value_name = "PER_SECOND")]
    pub public_rate_limit: Option<u32>,
    /// Seconds a client has to send a whole request head, on a new connection or a kept-alive
    /// idle one; then the connection is closed. [default: 10]
    #[arg(long, env = "MOTCUA_HEADER_TIMEOUT_SECS", value_name = "SECONDS")]
    pub header_timeout_secs: Option<u64>,
    /// Bytes per second a request body must keep up, over each window of
    /// --body-window-secs; a body that falls behind is cut with 408 `request_timeout`. 0: no
    /// pace. [default: 1024]
    #[arg(long, env = "MOTCUA_MIN_BODY_RATE", value_name = "BYTES_PER_SECOND")]
    pub min_body_rate: Option<u64>,
    /// The window over which --min-body-rate is measured. [default: 10]
    #[arg(long, env = "MOTCUA_BODY_WINDOW_SECS", value_name = "SECONDS")]
    pub body_window_secs: Option<u64>,
    /// Open connections one client address may hold; beyond it, new ones are answered 503
    /// `too_many_connections` and closed. 0: no cap (behind a load balancer, which connects
    /// from one address). [default: 256]
    #[arg(long, env = "MOTCUA_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N")]
    pub max_connections_per_address: Option<usize>,
    /// Memory this node lends to reading and verifying untrusted documents at once (PDFs,
    /// signatures, scans); work that must wait longer than a few seconds for its share gets
    /// 503 `overloaded`, work that could never fit 413. [default: 256MiB]
    #[arg(long, env = "MOTCUA_DOCUMENT_MEMORY", value_name = "SIZE")]
    pub document_memory: Option<ByteSize>,
    /// Deliver applicants' notifications (received, supplement requested, originals requested,
    /// rejected, result ready) to this webhook (`https://` or `http://`), signed with
    /// HMAC-SHA256.
    #[arg(long, env = "MOTCUA_WEBHOOK_URL", value_name = "URL")]
    pub webhook_url: Option<String>,
    /// A file holding the webhook's HMAC secret. [default: the MOTCUA_WEBHOOK_SECRET variable]
    #[arg(long, env = "MOTCUA_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Counter scans of paper originals below 200 dpi or not in colour: reject (422
    /// `scan_quality`, nothing recorded) or warn (recorded, the problems returned). [default:
    /// reject]
    #[arg(long, env = "MOTCUA_SCAN_QUALITY", value_name = "reject|warn")]
    pub scan_quality: Option<ScanQuality>,
    /// Hours between fixity audits (every stored object re-hashed); 0: none. [default: 24]
    #[arg(long, env = "MOTCUA_FIXITY_INTERVAL_HOURS", value_name = "HOURS")]
    pub fixity_interval_hours: Option<u64>,
    /// The fixity audit's pace, in MiB per second; 0: as fast as the store goes. [default: 20]
    #[arg(long, env = "MOTCUA_FIXITY_RATE", value_name = "MIB_PER_SECOND")]
    pub fixity_rate: Option<u64>,
    /// Public holidays for deadlines in working days: one date (YYYY-MM-DD) per line, `#`
    /// comments. [default: Vietnam's 2026 public holidays, built in]
    #[arg(long, env = "MOTCUA_HOLIDAYS", value_name = "FILE")]
    pub holidays: Option<PathBuf>,
    /// Log format: text or json. The level comes from MOTCUA_LOG (e.g. info, motcua=debug).
    /// [default: text]
    #[arg(long, env = "MOTCUA_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Trust anchors for business and citizen signers (public CA roots such as the national
    /// root): a PEM/DER file or a folder. Signatures at intake and /api/v1/verify are validated
    /// against it; without it no signature is trusted and paper originals are always required.
    #[arg(long, env = "MOTCUA_BUSINESS_TRUST", value_name = "PATH")]
    pub business_trust: Option<PathBuf>,
    /// CRLs used when checking signers' revocation status: a file or a folder.
    #[arg(long, env = "MOTCUA_BUSINESS_CRLS", value_name = "PATH")]
    pub business_crls: Option<PathBuf>,
    /// Trust anchors for government and agency signers (the state CA roots), kept apart from
    /// the business ones: `POST /api/v1/verify?trust=agency` checks against them.
    #[arg(long, env = "MOTCUA_AGENCY_TRUST", value_name = "PATH")]
    pub agency_trust: Option<PathBuf>,
    /// Revocation checking at intake: soft (unknown status is a warning), require or off.
    /// [default: soft]
    #[arg(long, env = "MOTCUA_INTAKE_REVOCATION", value_name = "require|soft|off")]
    pub intake_revocation: Option<RevocationMode>,
    /// The log's Ed25519 signing key (PKCS#8 PEM). Created at first start when absent.
    /// Every instance of one deployment must use the same key. [default: DATA/ledger-key.pem]
    #[arg(long, env = "MOTCUA_LEDGER_KEY", value_name = "FILE")]
    pub ledger_key: Option<PathBuf>,
    /// The log's origin: the first line of its checkpoints and its key name, a stable
    /// identifier such as motcua.example.gov.vn/log. [default: motcua/<unit code>]
    #[arg(long, env = "MOTCUA_LEDGER_ORIGIN", value_name = "ORIGIN")]
    pub ledger_origin: Option<String>,
    /// Seconds between checkpoints: the served checkpoint never lags the log by more.
    /// [default: 5]
    #[arg(long, env = "MOTCUA_CHECKPOINT_INTERVAL_SECS", value_name = "SECONDS")]
    pub checkpoint_interval_secs: Option<u64>,
    /// Serve the log's key, checkpoints, entries and proofs without a token (entries hold ids
    /// and digests only). [default: false]
    #[arg(long, env = "MOTCUA_LEDGER_PUBLIC", value_name = "BOOL")]
    pub ledger_public: Option<bool>,
    /// Seconds an unreferenced object or unfinished upload is kept before the orphan sweep
    /// removes it; the sweep runs at start and then every half of this. [default: 3600]
    #[arg(long, env = "MOTCUA_ORPHAN_GRACE_SECS", value_name = "SECONDS")]
    pub orphan_grace_secs: Option<u64>,
    /// The agency's signing key for results: a PEM file (with --issuer-cert), a PKCS#12 file,
    /// or a `pkcs11:` URI (the key stays in the token/HSM). Its passphrase or PIN comes from
    /// MOTCUA_ISSUER_SECRET or --issuer-secret-file, and is never logged. [default: the demo
    /// identity of certs/, on the embedded defaults only]
    #[arg(long, env = "MOTCUA_ISSUER_KEY", value_name = "KEY")]
    pub issuer_key: Option<String>,
    /// The issuing certificate (PEM).
    #[arg(long, env = "MOTCUA_ISSUER_CERT", value_name = "FILE")]
    pub issuer_cert: Option<PathBuf>,
    /// Intermediate certificates (PEM) sent with result signatures.
    #[arg(long, env = "MOTCUA_ISSUER_CHAIN", value_name = "FILE")]
    pub issuer_chain: Option<PathBuf>,
    /// A file holding the key's passphrase or the token's PIN.
    #[arg(long, env = "MOTCUA_ISSUER_SECRET_FILE", value_name = "FILE")]
    pub issuer_secret_file: Option<PathBuf>,
    /// The PKCS#11 module for a `pkcs11:` key. [default: MOTCUA_PKCS11_MODULE, else SoftHSM2]
    #[arg(long, env = "MOTCUA_PKCS11_MODULE", value_name = "LIB")]
    pub pkcs11_module: Option<PathBuf>,
    /// The issuing agency's name, printed on results and in their signature block.
    #[arg(long, env = "MOTCUA_ISSUER_NAME", value_name = "NAME")]
    pub issuer_name: Option<String>,
    /// PAdES level of results: B-B, B-T (needs --issuer-tsa) or B-LT (also needs the agency
    /// trust store). [default: B-T with --issuer-tsa, else B-B]
    #[arg(long, env = "MOTCUA_ISSUER_LEVEL", value_name = "LEVEL")]
    pub issuer_level: Option<Level>,
    /// RFC 3161 time-stamping authority for result signatures (http:// URL).
    #[arg(long, env = "MOTCUA_ISSUER_TSA", value_name = "URL")]
    pub issuer_tsa: Option<String>,
    /// A seal image (PNG with transparency) drawn in results' signature block.
    #[arg(long, env = "MOTCUA_ISSUER_SEAL", value_name = "PNG")]
    pub issuer_seal: Option<PathBuf>,
    /// How the signing time is shown in signature blocks (a `time` crate format description).
    /// [default: [day]/[month]/[year] [hour]:[minute]:[second] +07:00]
    #[arg(long, env = "MOTCUA_SIGNATURE_TIME_PATTERN", value_name = "PATTERN")]
    pub signature_time_pattern: Option<String>,
    /// Sign results with the demo identity of certs/ even with PostgreSQL or S3 configured
    /// (never in production). [default: only on the embedded defaults]
    #[arg(long, env = "MOTCUA_DEMO_ISSUER", value_name = "BOOL")]
    pub demo_issuer: Option<bool>,
    /// Reverse proxies or load balancers that end TLS in front of this node, comma-separated
    /// addresses: their `X-Forwarded-Proto: https` lets people sign in through them, and their
    /// `X-Forwarded-For` names the client (for sign-in throttling and records). Elsewhere
    /// than on the loopback, sign-in over plain http is refused. [default: none]
    #[arg(long, env = "MOTCUA_TRUSTED_PROXIES", value_name = "ADDRS")]
    pub trusted_proxies: Option<String>,
    /// Roles that must sign in with a second factor (TOTP): a comma-separated list of officer,
    /// archivist, admin, business, citizen, or `none`. [default: admin,archivist]
    #[arg(long, env = "MOTCUA_SECOND_FACTOR_ROLES", value_name = "ROLES")]
    pub second_factor_roles: Option<String>,
    /// Minutes without a request after which a session ends. [default: 30]
    #[arg(long, env = "MOTCUA_SESSION_IDLE_MINUTES", value_name = "MINUTES")]
    pub session_idle_minutes: Option<u64>,
    /// Hours after sign-in at which a session ends, used or not. [default: 12]
    #[arg(long, env = "MOTCUA_SESSION_HOURS", value_name = "HOURS")]
    pub session_hours: Option<u64>,
    /// The public base URL of this service, for the verification links printed on results
    /// (e.g. https://motcua.example.gov.vn). [default: http://LISTEN]
    #[arg(long, env = "MOTCUA_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// The identity provider (OpenID Connect) people may sign in through: its issuer URL
    /// (https://, or http:// on the loopback). Needs --oidc-client-id and a client secret.
    /// [default: none, password sign-in only]
    #[arg(long, env = "MOTCUA_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// This service's client id at the identity provider.
    #[arg(long, env = "MOTCUA_OIDC_CLIENT_ID", value_name = "ID")]
    pub oidc_client_id: Option<String>,
    /// A file holding the client secret, never logged. [default: the
    /// MOTCUA_OIDC_CLIENT_SECRET variable]
    #[arg(long, env = "MOTCUA_OIDC_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// Where the provider sends people back, as registered there. [default:
    /// PUBLIC_URL/api/v1/session/oidc/callback]
    #[arg(long, env = "MOTCUA_OIDC_REDIRECT_URL", value_name = "URL")]
    pub oidc_redirect_url: Option<String>,
    /// Scopes asked for, besides openid (space- or comma-separated). [default: profile]
    #[arg(long, env = "MOTCUA_OIDC_SCOPES", value_name = "SCOPES")]
    pub oidc_scopes: Option<String>,
    /// The claim naming a staff member's username here, or `none` (staff then sign in only
    /// once bound). It must be one the provider controls, not one people choose.
    /// [default: preferred_username]
    #[arg(long, env = "MOTCUA_OIDC_USERNAME_CLAIM", value_name = "CLAIM")]
    pub oidc_username_claim: Option<String>,
    /// The claim carrying a citizen's identification number, or `none`. [default: id_number]
    #[arg(long, env = "MOTCUA_OIDC_ID_NUMBER_CLAIM", value_name = "CLAIM")]
    pub oidc_id_number_claim: Option<String>,
    /// The claim carrying a business's tax code, or `none`. [default: tax_code]
    #[arg(long, env = "MOTCUA_OIDC_TAX_CODE_CLAIM", value_name = "CLAIM")]
    pub oidc_tax_code_claim: Option<String>,
}
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// A size in bytes, written as `123`, `100KiB`, `100MiB`, `1GiB` (or KB/MB/GB, powers of ten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a size (e.g. 100MiB)"))?;
        let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kib" | "k" => 1 << 10,
            "mib" | "m" => 1 << 20,
            "gib" | "g" => 1 << 30,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
        };
        n.checked_mul(factor)
            .map(ByteSize)
            .ok_or_else(|| format!("{s:?} is too large"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Reads a config file as settings of type `T`. Every key must be a setting's (of `serve`,
/// which the other commands' settings are part of, so one file serves every command).
fn read_file<T: serde::de::DeserializeOwned + Default>(
    path: Option<&Path>,
) -> Result<T, ConfigError> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let file_error = |message: String| ConfigError::File {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| file_error(e.to_string()))?;
    let known = ServeArgs::keys();
    if let Some(unknown) = table.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(file_error(format!("{unknown:?} is not a setting")));
    }
    T::deserialize(table).map_err(|e| file_error(e.to_string()))
}

/// Where objects go.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// A local directory.
    Local(PathBuf),
    /// An S3 bucket.
    S3(S3Settings),
}

/// What every command needs to open the database and the store.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// Pool size.
    pub db_max_connections: u32,
    /// Object store.
    pub storage: StorageSettings,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Database and store.
    pub store: StoreSettings,
    /// Listen address.
    pub listen: SocketAddr,
    /// Unit code for dossier codes.
    pub unit_code: UnitCode,
    /// Intake budgets.
    pub limits: IntakeLimits,
    /// Replacement procedure catalogue.
    pub procedures: Option<PathBuf>,
    /// Public holidays (else the built-in 2026 list).
    pub holidays: Option<PathBuf>,
    /// Requests in flight, uploads, and rates.
    pub admission: crate::http::AdmissionLimits,
    /// Timeouts and caps on what clients send.
    pub connections: crate::http::ConnectionLimits,
    /// Memory lent to reading untrusted documents, in bytes.
    pub document_memory: u64,
    /// Where notifications go, if anywhere.
    pub webhook: Option<WebhookSettings>,
    /// Counter scans below the quality rule.
    pub scan_quality: ScanQuality,
    /// Time between fixity audits (zero: none).
    pub fixity_interval: Duration,
    /// Fixity audit pace in bytes per second (0: unlimited).
    pub fixity_rate: u64,
    /// Log format.
    pub log_format: LogFormat,
    /// Orphan grace period.
    pub orphan_grace: Duration,
    /// The integrity log.
    pub ledger: LedgerSettings,
    /// Signature verification at intake.
    pub signatures: SignatureSettings,
    /// Who signs results.
    pub issuer: IssuerSettings,
    /// How people sign in, and how long sessions last.
    pub accounts: crate::auth::AccountPolicy,
}

/// The notification webhook.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The receiver (`https://` or `http://`).
    pub url: String,
    /// The HMAC secret's file (else MOTCUA_WEBHOOK_SECRET).
    pub secret_file: Option<PathBuf>,
    /// The first retry's wait; doubled each time, at most an hour.
    pub retry_base: Duration,
    /// How often the outbox is looked at.
    pub poll: Duration,
}

/// Settings of result issuing.
#[derive(Debug, Clone, Default)]
pub struct IssuerSettings {
    /// Key file or `pkcs11:` URI; `None` for the demo identity (when allowed) or none.
    pub key: Option<String>,
    /// Certificate file.
    pub cert: Option<PathBuf>,
    /// Intermediates file.
    pub chain: Option<PathBuf>,
    /// Passphrase or PIN file (else MOTCUA_ISSUER_SECRET).
    pub secret_file: Option<PathBuf>,
    /// PKCS#11 module.
    pub pkcs11_module: Option<PathBuf>,
    /// Agency name.
    pub name: Option<String>,
    /// PAdES level (else chosen by whether a TSA is set).
    pub level: Option<Level>,
    /// TSA URL.
    pub tsa: Option<String>,
    /// Seal image.
    pub seal: Option<PathBuf>,
    /// Signing time display pattern.
    pub time_pattern: Option<String>,
    /// Whether the demo identity may sign without a key configured.
    pub demo: bool,
    /// The public base URL for verification links.
    pub public_url: String,
}

/// Settings of signature verification.
#[derive(Debug, Clone, Default)]
pub struct SignatureSettings {
    /// Business trust anchors (file or folder).
    pub business_trust: Option<PathBuf>,
    /// CRLs (file or folder).
    pub business_crls: Option<PathBuf>,
    /// Agency trust anchors (file or folder).
    pub agency_trust: Option<PathBuf>,
    /// Revocation mode at intake.
    pub revocation: RevocationMode,
}

/// Settings of the integrity log.
#[derive(Debug, Clone)]
pub struct LedgerSettings {
    /// The signing key file.
    pub key_file: PathBuf,
    /// The origin line and key name.
    pub origin: String,
    /// How often checkpoints are signed.
    pub checkpoint_interval: Duration,
    /// Whether the log is readable without a token.
    pub public: bool,
}

impl StoreArgs {
    /// Resolves against the config file and defaults.
    pub fn resolve(&self) -> Result<StoreSettings, ConfigError> {
        self.clone()
            .or(read_file(self.config.as_deref())?)
            .settings()
    }

    /// The settings, from these values (already merged with the file) and the defaults.
    fn settings(self) -> Result<StoreSettings, ConfigError> {
        let data_dir = self.data.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = self.database_url.unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("motcua.db").display())
        });
        let storage = match self.s3_bucket {
            None => StorageSettings::Local(data_dir.join("objects")),
            Some(bucket) => {
                let part_size = self.s3_part_size.unwrap_or(ByteSize(8 << 20)).0;
                if part_size < 5 << 20 {
                    return Err(invalid(
                        "s3_part_size",
                        "must be at least 5MiB (an S3 rule)",
                    ));
                }
                StorageSettings::S3(S3Settings {
                    bucket,
                    endpoint: self.s3_endpoint,
                    region: self
                        .s3_region
                        .or_else(|| std::env::var("AWS_REGION").ok())
                        .unwrap_or_else(|| "us-east-1".into()),
                    prefix: self.s3_prefix.unwrap_or_default(),
                    path_style: self.s3_path_style.unwrap_or(true),
                    part_size: usize::try_from(part_size)
                        .map_err(|_| invalid("s3_part_size", "too large"))?,
                })
            }
        };
        Ok(StoreSettings {
            data_dir,
            database_url,
            db_max_connections: self.db_max_connections.unwrap_or(16).max(1),
            storage,
        })
    }
}

impl ServeArgs {
    /// Resolves against the config file and defaults.
    pub fn resolve(&self) -> Result<ServeSettings, ConfigError> {
        let args = self.clone().or(read_file(self.store.config.as_deref())?);
        let listen = args
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        let oidc = oidc_settings(&args, &public_url)?;
        let store = args.store.settings()?;
        let unit = args.unit_code.unwrap_or_else(|| "DEMO".into());
        let unit_code = UnitCode::parse(&unit)
            .map_err(|e| invalid("unit_code", format!("{unit:?}: {}", e.rule)))?;
        let defaults = IntakeLimits::default();
        let limits = IntakeLimits {
            max_file_size: args.max_file_size.map_or(defaults.max_file_size, |b| b.0),
            max_request_size: args
                .max_request_size
                .map_or(defaults.max_request_size, |b| b.0),
            max_files: args.max_files.unwrap_or(defaults.max_files),
        };
        if limits.max_file_size == 0 || limits.max_request_size == 0 || limits.max_files == 0 {
            return Err(invalid(
                "max_file_size, max_request_size, max_files",
                "size and file-count limits must be above zero",
            ));
        }
        if matches!(store.storage, StorageSettings::S3(_)) && limits.max_file_size > 5 << 30 {
            // An object reaches its content address by one CopyObject, which S3 limits to 5 GiB.
            return Err(invalid(
                "max_file_size",
                "with S3 storage, it can be at most 5GiB",
            ));
        }
        let ledger = LedgerSettings {
            key_file: args
                .ledger_key
                .unwrap_or_else(|| store.data_dir.join("ledger-key.pem")),
            origin: args
                .ledger_origin
                .unwrap_or_else(|| format!("motcua/{unit}")),
            checkpoint_interval: Duration::from_secs(
                args.checkpoint_interval_secs.unwrap_or(5).max(1),
            ),
            public: args.ledger_public.unwrap_or(false),
        };
        let embedded = store.database_url.starts_with("sqlite:")
            && matches!(store.storage, StorageSettings::Local(_));
        let issuer = IssuerSettings {
            key: args.issuer_key,
            cert: args.issuer_cert,
            chain: args.issuer_chain,
            secret_file: args.issuer_secret_file,
            pkcs11_module: args.pkcs11_module,
            name: args.issuer_name,
            level: args.issuer_level,
            tsa: args.issuer_tsa,
            seal: args.issuer_seal,
            time_pattern: args.signature_time_pattern,
            demo: args.demo_issuer.unwrap_or(embedded),
            public_url,
        };
        let admission = {
            let d = crate::http::AdmissionLimits::default();
            crate::http::AdmissionLimits {
                max_in_flight: args.max_in_flight.unwrap_or(d.max_in_flight),
                max_uploads: args.max_uploads.unwrap_or(d.max_uploads),
                max_uploads_per_caller: args
                    .max_uploads_per_caller
                    .unwrap_or(d.max_uploads_per_caller),
                rate_limit: args.rate_limit.unwrap_or(d.rate_limit),
                public_rate_limit: args.public_rate_limit.unwrap_or(d.public_rate_limit),
            }
        };
        let connections = {
            let d = crate::http::ConnectionLimits::default();
            crate::http::ConnectionLimits {
                header_timeout: args
                    .header_timeout_secs
                    .map_or(d.header_timeout, Duration::from_secs),
                per_address: args.max_connections_per_address.unwrap_or(d.per_address),
                body_window: args
                    .body_window_secs
                    .map_or(d.body_window, |s| Duration::from_secs(s.max(1))),
                min_body_rate: args.min_body_rate.unwrap_or(d.min_body_rate),
            }
        };
        let webhook = args.webhook_url.map(|url| WebhookSettings {
            url,
            secret_file: args.webhook_secret_file,
            retry_base: Duration::from_secs(2),
            poll: Duration::from_secs(1),
        });
        let accounts = {
            let d = crate::auth::AccountPolicy::default();
            let second_factor_roles = match args.second_factor_roles.as_deref().map(str::trim) {
                None => d.second_factor_roles,
                Some("none" | "") => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(|r| {
                        crate::auth::Role::parse(r.trim()).ok_or_else(|| {
                            invalid(
                                "second_factor_roles",
                                format!(
                                    "{r:?}: officer, archivist, admin, business, citizen or none"
                                ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
            let minutes = |m: u64| Duration::from_secs(60 * m.max(1));
            crate::auth::AccountPolicy {
                second_factor_roles,
                idle: args.session_idle_minutes.map_or(d.idle, minutes),
                lifetime: args
                    .session_hours
                    .map_or(d.lifetime, |h| Duration::from_secs(3600 * h.max(1))),
                issuer: format!("motcua {unit}"),
                oidc,
                trusted_proxies: args
                    .trusted_proxies
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.parse().map_err(|_| {
                            invalid("trusted_proxies", format!("{a:?} is not an IP address"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            }
        };
        Ok(ServeSettings {
            accounts,
            issuer,
            signatures: SignatureSettings {
                business_trust: args.business_trust,
                business_crls: args.business_crls,
                agency_trust: args.agency_trust,
                revocation: args.intake_revocation.unwrap_or_default(),
            },
            ledger,
            store,
            listen,
            unit_code,
            limits,
            procedures: args.procedures,
            holidays: args.holidays,
            admission,
            connections,
            document_memory: args
                .document_memory
                .map_or(crate::gate::DEFAULT_DOCUMENT_MEMORY, |b| b.0),
            fixity_interval: Duration::from_secs(3600 * args.fixity_interval_hours.unwrap_or(24)),
            fixity_rate: args.fixity_rate.unwrap_or(20) * 1024 * 1024,
            scan_quality: args.scan_quality.unwrap_or_default(),
            webhook,
            log_format: args.log_format.unwrap_or_default(),
            orphan_grace: Duration::from_secs(args.orphan_grace_secs.unwrap_or(3600)),
        })
    }
}

/// The identity provider's settings, when `oidc_issuer` is set; the client secret read from its
/// file or `MOTCUA_OIDC_CLIENT_SECRET`.
fn oidc_settings(
    args: &ServeArgs,
    public_url: &str,
) -> Result<Option<crate::auth::oidc::OidcSettings>, ConfigError> {
    let Some(issuer) = args.oidc_issuer.clone() else {
        let stray = [
            ("oidc_client_id", args.oidc_client_id.is_some()),
            (
                "oidc_client_secret_file",
                args.oidc_client_secret_file.is_some(),
            ),
            ("oidc_redirect_url", args.oidc_redirect_url.is_some()),
            ("oidc_scopes", args.oidc_scopes.is_some()),
        ];
        if let Some((setting, _)) = stray.into_iter().find(|(_, set)| *set) {
            return Err(invalid(setting, "needs oidc_issuer"));
        }
        return Ok(None);
    };
    let client_id = args
        .oidc_client_id
        .clone()
        .ok_or_else(|| invalid("oidc_client_id", "required with oidc_issuer"))?;
    let client_secret = match &args.oidc_client_secret_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            invalid(
                "oidc_client_secret_file",
                format!("{}: {e}", path.display()),
            )
        })?,
        None => std::env::var("MOTCUA_OIDC_CLIENT_SECRET").map_err(|_| {
            invalid(
                "oidc_client_secret_file",
                "the client secret is required: a file, or MOTCUA_OIDC_CLIENT_SECRET",
            )
        })?,
    };
    let claim = |value: &Option<String>, default: &str| match value.as_deref().map(str::trim) {
        None => Some(default.to_owned()),
        Some("none") => None,
        Some(c) => Some(c.to_owned()),
    };
    let settings = crate::auth::oidc::OidcSettings {
        issuer,
        client_id,
        client_secret: client_secret.trim().to_owned(),
        redirect_url: args.oidc_redirect_url.clone().unwrap_or_else(|| {
            format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                crate::auth::oidc::CALLBACK_PATH
            )
        }),
        scopes: args
            .oidc_scopes
            .as_deref()
            .unwrap_or("profile")
            .split([' ', ','])
            .filter(|s| !s.is_empty() && *s != "openid")
            .map(str::to_owned)
            .collect(),
        username_claim: claim(&args.oidc_username_claim, "preferred_username"),
        id_number_claim: claim(&args.oidc_id_number_claim, "id_number"),
        tax_code_claim: claim(&args.oidc_tax_code_claim, "tax_code"),
    };
    settings
        .check()
        .map_err(|(setting, rule)| invalid(setting, rule))?;
    Ok(Some(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!("100MiB".parse::<ByteSize>(), Ok(ByteSize(100 << 20)));
        assert_eq!("1GiB".parse::<ByteSize>(), Ok(ByteSize(1 << 30)));
        assert_eq!("2 MB".parse::<ByteSize>(), Ok(ByteSize(2_000_000)));
        assert_eq!("512".parse::<ByteSize>(), Ok(ByteSize(512)));
        assert!("lots".parse::<ByteSize>().is_err());
        assert!("5 parsecs".parse::<ByteSize>().is_err());
    }

    #[test]
    fn defaults_are_the_embedded_ones() {
        let s = ServeArgs::default().resolve().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert!(
            s.store
                .database_url
                .starts_with("sqlite://./data/motcua.db")
        );
        assert!(matches!(s.store.storage, StorageSettings::Local(ref p) if p.ends_with("objects")));
        assert_eq!(s.limits.max_file_size, 100 << 20);
    }

    #[test]
    fn the_command_line_beats_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("motcua.toml");
        std::fs::write(
            &path,
            "unit_code = \"FILE\"\nmax_file_size = \"5MiB\"\ns3_bucket = \"b\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            store: StoreArgs {
                config: Some(path),
                ..StoreArgs::default()
            },
            unit_code: Some("CLI".into()),
            ..ServeArgs::default()
        };
        let s = args.resolve().unwrap();
        assert_eq!(s.unit_code.as_str(), "CLI");
        assert_eq!(s.limits.max_file_size, 5 << 20);
        assert!(matches!(s.store.storage, StorageSettings::S3(ref b) if b.bucket == "b"));
    }

    /// `motcua serve`'s arguments, as the binary declares them.
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn every_setting_has_one_name_as_flag_variable_and_config_key() {
        use clap::CommandFactory as _;
        let keys = ServeArgs::keys();
        let command = Serve::command();
        let mut flags = 0;
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let key = long.replace('-', "_");
            let env = arg.get_env().and_then(|e| e.to_str()).unwrap_or_default();
            assert_eq!(env, format!("MOTCUA_{}", key.to_uppercase()), "--{long}");
            assert!(
                key == "config" || keys.contains(&key.as_str()),
                "--{long} has no config-file key"
            );
            flags += 1;
        }
        // The file takes every setting but the path of the file itself.
        assert_eq!(keys.len(), flags - 1);
    }

    #[test]
    fn modes_and_sizes_are_read_alike_from_the_file_and_the_command_line() {
        use clap::Parser as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("motcua.toml");
        std::fs::write(
            &path,
            "scan_quality = \"warn\"\nintake_revocation = \"off\"\nissuer_level = \"B-B\"\n\
             document_memory = \"64MiB\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let config = path.to_str().unwrap();
        let from_file = Serve::parse_from(["serve", "--config", config])
            .args
            .resolve()
            .unwrap();
        assert_eq!(from_file.scan_quality, ScanQuality::Warn);
        assert_eq!(from_file.signatures.revocation, RevocationMode::Off);
        assert_eq!(from_file.issuer.level, Some(Level::BB));
        assert_eq!(from_file.document_memory, 64 << 20);
        assert_eq!(from_file.log_format, LogFormat::Json);

        let flags = Serve::parse_from([
            "serve",
            "--config",
            config,
            "--scan-quality",
            "reject",
            "--intake-revocation",
            "require",
            "--issuer-level",
            "b-lt",
        ])
        .args
        .resolve()
        .unwrap();
        assert_eq!(flags.scan_quality, ScanQuality::Reject);
        assert_eq!(flags.signatures.revocation, RevocationMode::Require);
        assert_eq!(flags.issuer.level, Some(Level::BLT));
        assert_eq!(
            flags.document_memory,
            64 << 20,
            "the file still fills the rest"
        );
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_setting() {
        use clap::Parser as _;
        let flag = Serve::try_parse_from(["serve", "--scan-quality", "maybe"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            flag.contains("--scan-quality") && flag.contains("reject or warn"),
            "{flag}"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("motcua.toml");
        std::fs::write(&path, "intake_revocation = \"sometimes\"\n").unwrap();
        let args = ServeArgs {
            store: StoreArgs {
                config: Some(path),
                ..StoreArgs::default()
            },
            ..ServeArgs::default()
        };
        let file = args.resolve().unwrap_err().to_string();
        assert!(
            file.contains("intake_revocation") && file.contains("require, soft or off"),
            "{file}"
        );

        let args = ServeArgs {
            unit_code: Some("không hợp lệ".into()),
            ..ServeArgs::default()
        };
        assert!(matches!(
            args.resolve(),
            Err(ConfigError::Invalid {
                setting: "unit_code",
                ..
            })
        ));
    }

    #[test]
    fn the_identity_provider_is_checked_naming_the_setting_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("oidc-secret");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        let args = ServeArgs {
            oidc_issuer: Some("https://id.example.gov.vn/realms/motcua".into()),
            oidc_client_id: Some("motcua".into()),
            oidc_client_secret_file: Some(secret.clone()),
            public_url: Some("https://motcua.example.gov.vn/".into()),
            oidc_tax_code_claim: Some("none".into()),
            ..ServeArgs::default()
        };
        let oidc = args.resolve().unwrap().accounts.oidc.unwrap();
        assert_eq!(oidc.client_secret, "s3cr3t");
        assert_eq!(
            oidc.redirect_url,
            "https://motcua.example.gov.vn/api/v1/session/oidc/callback"
        );
        assert_eq!(oidc.scopes, ["profile"]);
        assert_eq!(oidc.username_claim.as_deref(), Some("preferred_username"));
        assert_eq!(oidc.id_number_claim.as_deref(), Some("id_number"));
        assert_eq!(oidc.tax_code_claim, None);
        assert!(
            ServeArgs::default()
                .resolve()
                .unwrap()
                .accounts
                .oidc
                .is_none()
        );

        let fault = |args: ServeArgs| match args.resolve() {
            Err(ConfigError::Invalid { setting, .. }) => setting,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fault(ServeArgs {
                oidc_issuer: Some("http://id.example.gov.vn".into()),
                ..args.clone()
            }),
            "oidc_issuer"
        );
        assert_eq!(
            fault(ServeArgs {
                oidc_client_id: None,
                ..args.clone()
            }),
            "oidc_client_id"
        );
        assert_eq!(
            fault(ServeArgs {
                oidc_client_secret_file: Some(dir.path().join("absent")),
                ..args.clone()
            }),
            "oidc_client_secret_file"
        );
        assert_eq!(
            fault(ServeArgs {
                oidc_issuer: None,
                ..args.clone()
            }),
            "oidc_client_id"
        );
        let printed = format!("{:?}", args.resolve().unwrap().accounts);
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }

    #[test]
    fn unknown_config_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("motcua.toml");
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        let args = StoreArgs {
            config: Some(path),
            ..StoreArgs::default()
        };
        let error = args.resolve().unwrap_err().to_string();
        assert!(
            error.contains("\"databse_url\" is not a setting"),
            "{error}"
        );
    }
}
