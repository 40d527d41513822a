//! People: accounts, signing in with a password and a second factor, sessions, and the
//! administrators' account management, over the rows of `db`.
//!
//! An account's rights are those of a token with the same attributes ([`NewToken`]): the same
//! [`Principal`] comes out of either, so a session and a bearer token get the same answers. The
//! principal of a session names its account as `account:<id>` wherever a token's id would be
//! recorded.
//!
//! Owns: the sign-in decision (credentials, throttling per [`super::throttle`], second factor),
//! session secrets (only their SHA-256 is stored), CSRF tokens, recovery codes, and the security
//! events of accounts. Never logs or returns a password, a TOTP key after enrolment, a session
//! secret or a recovery code after it is shown once.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use rand::RngCore as _;

use crate::db::{AccountRow, Db, DbError, SecurityEventRow, SessionRow};
use crate::timestamp::Timestamp;
use crate::vocabulary::{IdNumber, TaxCode, UnitCode};

use super::password::{self, Password, PasswordRule};
use super::throttle::{self, KeyKind};
use super::totp::{self, TotpKey};
use super::{NewToken, Principal, Role, TokenRequestError};

/// The cookie that carries a session. `__Host-`: set only over a secure connection (browsers
/// count `http://localhost` as one), for this host only, for every path.
pub const SESSION_COOKIE: &str = "__Host-motcua-session";

/// How accounts sign in and how long sessions last: the deployment's choices.
#[derive(Debug, Clone)]
pub struct AccountPolicy {
    /// Roles that must sign in with a second factor.
    pub second_factor_roles: Vec<Role>,
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, used or not.
    pub lifetime: Duration,
    /// The name authenticator apps show beside the account.
    pub issuer: String,
    /// Sign-in through an identity provider (OpenID Connect), when the deployment has one.
    pub oidc: Option<super::oidc::OidcSettings>,
    /// Reverse proxies (load balancers) that terminate TLS in front of motcua: requests from
    /// them that say `X-Forwarded-Proto: https` came over TLS, and their `X-Forwarded-For`
    /// names the client.
    pub trusted_proxies: Vec<IpAddr>,
}

/// How a request reached motcua, as far as the connection and trusted proxies tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// The connection's peer.
    pub peer: Option<IpAddr>,
    /// Whether a trusted proxy says the client spoke https to it.
    pub forwarded_https: bool,
}

impl AccountPolicy {
    /// Whether credentials and session cookies may travel this way: over TLS ended by a trusted
    /// proxy, or on the loopback (a proxy on the same machine, or someone at the machine).
    /// Plain http from anywhere else would show passwords and cookies to the network.
    pub fn transport_is_private(&self, t: Transport) -> bool {
        match t.peer {
            Some(peer) if peer.is_loopback() => true,
            Some(peer) => t.forwarded_https && self.trusted_proxies.contains(&peer),
            None => false,
        }
    }

    /// Whether `peer` is a trusted proxy, whose `X-Forwarded-*` headers are believed.
    pub fn trusts(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|p| self.trusted_proxies.contains(&p))
    }
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            second_factor_roles: vec![Role::Admin, Role::Archivist],
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
            issuer: "motcua".into(),
            oidc: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// A username: 3 to 64 characters from `a-z 0-9 . _ - @`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parses (lower-casing first); `None` when it breaks the rule.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        let ok = (3..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_@".contains(&b));
        ok.then_some(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The username.
    pub username: Username,
    /// Its rights, checked as a token's are (name, role, unit, agency, tax code...).
    pub rights: NewToken,
    /// Its password; none for an account that signs in only through the identity provider.
    pub password: Option<Password>,
}

/// An account as shown to administrators and to its owner.
#[derive(Debug, Clone)]
pub struct Account {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// The rights it signs in with.
    pub principal: Principal,
    /// Whether it has a password (else it signs in through the identity provider only).
    pub has_password: bool,
    /// Whether a second factor is enrolled.
    pub second_factor: bool,
    /// Whether it signs in through the identity provider.
    pub identity_provider: bool,
    /// When it was disabled, if it is.
    pub disabled_at: Option<String>,
    /// Instant.
    pub created_at: String,
    /// The last successful sign-in.
    pub last_sign_in_at: Option<String>,
}

/// Something that happened to an account (a sign-in, a failure, a lock, a change).
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    /// Instant.
    pub at: String,
    /// What (`sign_in`, `sign_in_failed`, `locked`, `account_disabled`, ...).
    pub kind: String,
    /// Who made the change, when someone else did.
    pub actor: Option<String>,
    /// The client's address.
    pub address: Option<String>,
    /// A short note (never a secret).
    pub detail: Option<String>,
}

/// Who creates or changes an account.
#[derive(Debug, Clone, Copy)]
pub enum Manager<'a> {
    /// An administrator through the API, with the units it reaches (`None`: all).
    Caller(&'a Principal, Option<&'a [String]>),
    /// The command line (the operator of the deployment).
    Cli,
    /// The identity provider, creating an applicant's account at their first sign-in
    /// (`super::oidc`).
    IdentityProvider,
}

impl Manager<'_> {
    fn label(&self) -> String {
        match self {
            Self::Caller(p, _) => p.token_id.clone(),
            Self::Cli => "cli".into(),
            Self::IdentityProvider => "identity_provider".into(),
        }
    }

    /// Whether it manages accounts of this unit (applicants and unbound staff: only
    /// administrators bound to no unit, and the command line).
    fn reaches(&self, unit: Option<&str>) -> bool {
        match self {
            Self::Cli => true,
            Self::IdentityProvider => unit.is_none(),
            Self::Caller(_, None) => true,
            Self::Caller(_, Some(units)) => unit.is_some_and(|u| units.iter().any(|r| r == u)),
        }
    }
}

/// What a sign-in presents.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The username as typed.
    pub username: String,
    /// The password as typed.
    pub password: Password,
    /// A TOTP code or a recovery code, when the account has a second factor.
    pub second_factor: Option<String>,
    /// The client's address.
    pub address: Option<IpAddr>,
}

/// A session just opened: its secret goes into the cookie, once.
pub struct NewSession {
    /// The cookie's value.
    pub secret: String,
    /// What state-changing requests must send as `X-CSRF-Token`.
    pub csrf_token: String,
    /// Who signed in.
    pub principal: Principal,
    /// The account's username.
    pub username: String,
    /// The account must enrol a second factor before anything else.
    pub enrol_only: bool,
    /// When it ends at the latest.
    pub expires_at: Timestamp,
    /// When it ends if unused.
    pub idle: Duration,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("principal", &self.principal.token_id)
            .field("enrol_only", &self.enrol_only)
            .finish_non_exhaustive()
    }
}

/// A live session, as a request presents it.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// SHA-256 of its secret (not a secret).
    pub id_hash: String,
    /// The account.
    pub account_id: String,
    /// The account's username.
    pub username: String,
    /// Who it stands for.
    pub principal: Principal,
    /// The token state-changing requests must echo.
    pub csrf_token: String,
    /// Whether it may only enrol a second factor.
    pub enrol_only: bool,
    /// When it ends at the latest.
    pub expires_at: String,
}

impl LiveSession {
    /// Whether `sent` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, sent: &[u8]) -> bool {
        let expected = self.csrf_token.as_bytes();
        sent.len() == expected.len() && openssl::memcmp::eq(sent, expected)
    }
}

/// A second factor being enrolled: the key to show once (as text and as an `otpauth://` URI).
pub struct Enrolment {
    /// The base32 key.
    pub key: String,
    /// The URI for an authenticator app.
    pub uri: String,
}

/// Why an account operation was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The caller may not manage accounts (or this one).
    #[error("only administrators manage accounts, and only those of the units they reach")]
    Forbidden,
    /// No such account (or not one the caller reaches).
    #[error("no such account")]
    NotFound,
    /// The username breaks the rule.
    #[error("a username has 3 to 64 characters from a-z, 0-9, '.', '_', '-' and '@'")]
    InvalidUsername,
    /// The username is taken.
    #[error("this username is taken")]
    UsernameTaken,
    /// The rights do not fit the role.
    #[error(transparent)]
    Rights(#[from] TokenRequestError),
    /// A new password breaks the rule.
    #[error(transparent)]
    Password(#[from] PasswordRule),
    /// Wrong username, password or second factor, or a disabled account: one answer for all.
    #[error("the username, password or code is wrong")]
    InvalidCredentials,
    /// Too many failures: try again after this long.
    #[error("too many failed sign-ins; try again in {} seconds", .0.as_secs().max(1))]
    Throttled(Duration),
    /// The code does not confirm the enrolment.
    #[error("the code does not match the key being enrolled (check the phone's clock)")]
    WrongCode,
    /// No enrolment is in progress.
    #[error("no second factor is being enrolled: start again")]
    NoEnrolment,
    /// Only a person signed in may do this.
    #[error("only a person signed in to their account may do this")]
    NotAnAccount,
    /// A stored row does not parse: it was changed outside motcua.
    #[error("{0}")]
    Corrupt(String),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Accounts and sessions.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Db,
    policy: AccountPolicy,
}

impl Accounts {
    /// The service over `db`.
    pub fn new(db: Db, policy: AccountPolicy) -> Self {
        Self { db, policy }
    }

    /// The deployment's policy.
    pub fn policy(&self) -> &AccountPolicy {
        &self.policy
    }

    /// Creates an account. `known_agency` and `known_unit` check the rights as a token's are
    /// checked; an administrator bound to a unit creates staff accounts of its units only.
    pub async fn create(
        &self,
        manager: Manager<'_>,
        mut new: NewAccount,
        known_agency: &(dyn Fn(&str) -> bool + Sync),
        known_unit: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Account, AccountError> {
        if let Manager::Caller(p, _) = manager
            && p.role != Role::Admin
        {
            return Err(AccountError::Forbidden);
        }
        if let Manager::Caller(_, Some(_)) = manager
            && new.rights.unit.is_none()
        {
            return Err(TokenRequestError::UnitRequired.into());
        }
        // The provider creates applicants' accounts only: staff accounts exist before their
        // owners sign in.
        if let Manager::IdentityProvider = manager
            && new.rights.role.is_staff()
        {
            return Err(AccountError::Forbidden);
        }
        new.rights.validate(known_agency, known_unit)?;
        if !manager.reaches(new.rights.unit.as_ref().map(UnitCode::as_str)) {
            return Err(AccountError::Forbidden);
        }
        let password_hash = match &new.password {
            Some(p) => {
                let name = new.rights.name.clone().unwrap_or_default();
                p.check_new(&[new.username.as_str(), &name])?;
                Some(hash_blocking(p.clone()).await?)
            }
            None => None,
        };
        let now = Timestamp::now().to_string();
        let row = AccountRow {
            id: uuid::Uuid::new_v4().to_string(),
            username: new.username.as_str().to_owned(),
            name: new.rights.name.clone(),
            role: new.rights.role.as_str().to_owned(),
            unit_code: new.rights.unit.as_ref().map(|u| u.as_str().to_owned()),
            agency: new.rights.agency.clone(),
            tax_code: new.rights.tax_code.as_ref().map(|t| t.as_str().to_owned()),
            id_number: new.rights.id_number.as_ref().map(|n| n.as_str().to_owned()),
            branches: i64::from(new.rights.branches),
            password_hash,
            oidc_subject: None,
            totp_secret: None,
            totp_pending: None,
            totp_last_step: None,
            last_sign_in_address: None,
            last_sign_in_at: None,
            disabled_at: None,
            created_by: manager.label(),
            created_at: now.clone(),
            updated_at: now,
        };
        match self.db.insert_account(&row).await {
            Err(e) if e.is_unique_violation() => return Err(AccountError::UsernameTaken),
            other => other?,
        }
        self.event(
            "account_created",
            Some(&row),
            None,
            Some(&manager.label()),
            None,
            Some(&row.role),
        )
        .await;
        account_of(row)
    }

    /// The accounts `manager` manages, by username.
    pub async fn list(&self, manager: Manager<'_>) -> Result<Vec<Account>, AccountError> {
        let units = match manager {
            Manager::Caller(p, _) if p.role != Role::Admin => return Err(AccountError::Forbidden),
            Manager::Caller(_, units) => units,
            Manager::Cli => None,
            Manager::IdentityProvider => return Err(AccountError::Forbidden),
        };
        self.db
            .list_accounts(units)
            .await?
            .into_iter()
            .map(account_of)
            .collect()
    }

    /// One account `manager` manages.
    pub async fn get(&self, manager: Manager<'_>, username: &str) -> Result<Account, AccountError> {
        account_of(self.managed_row(manager, username).await?)
    }

    async fn managed_row(
        &self,
        manager: Manager<'_>,
        username: &str,
    ) -> Result<AccountRow, AccountError> {
        match manager {
            Manager::Caller(p, _) if p.role != Role::Admin => return Err(AccountError::Forbidden),
            Manager::IdentityProvider => return Err(AccountError::Forbidden),
            _ => {}
        }
        let username = Username::parse(username).ok_or(AccountError::NotFound)?;
        let row = self
            .db
            .account_by_username(username.as_str())
            .await?
            .ok_or(AccountError::NotFound)?;
        if !manager.reaches(row.unit_code.as_deref()) {
            return Err(AccountError::NotFound);
        }
        Ok(row)
    }

    /// Disables (and signs out everywhere) or enables an account.
    pub async fn set_disabled(
        &self,
        manager: Manager<'_>,
        username: &str,
        disabled: bool,
    ) -> Result<Account, AccountError> {
        let row = self.managed_row(manager, username).await?;
        let now = Timestamp::now().to_string();
        self.db
            .set_account_disabled(&row.id, disabled.then_some(now.as_str()), &now)
            .await?;
        if disabled {
            self.db.end_sessions_of(&row.id, None, &now).await?;
        }
        let kind = if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        };
        self.event(kind, Some(&row), None, Some(&manager.label()), None, None)
            .await;
        self.get(manager, username).await
    }

    /// Resets an account's password: to `password` when given, else to a new random one that is
    /// returned (once). With `clear_second_factor` the TOTP key and recovery codes go too (for
    /// someone who lost their phone). Every session of the account ends; its failures are
    /// forgotten.
    pub async fn reset(
        &self,
        manager: Manager<'_>,
        username: &str,
        password: Option<Password>,
        clear_second_factor: bool,
    ) -> Result<Option<Password>, AccountError> {
        let row = self.managed_row(manager, username).await?;
        let (password, generated) = match password {
            Some(p) => {
                p.check_new(&[&row.username, row.name.as_deref().unwrap_or_default()])?;
                (p, false)
            }
            None => (generate_password(), true),
        };
        let hash = hash_blocking(password.clone()).await?;
        let now = Timestamp::now().to_string();
        self.db
            .set_password(&row.id, &hash, clear_second_factor, &now)
            .await?;
        self.db.end_sessions_of(&row.id, None, &now).await?;
        self.db
            .clear_throttle(&account_key(Some(&row), &row.username))
            .await?;
        let detail = if clear_second_factor {
            "password and second factor"
        } else {
            "password"
        };
        self.event(
            "account_reset",
            Some(&row),
            None,
            Some(&manager.label()),
            None,
            Some(detail),
        )
        .await;
        Ok(generated.then_some(password))
    }

    /// The latest security events of an account `manager` manages (newest first).
    pub async fn events(
        &self,
        manager: Manager<'_>,
        username: &str,
    ) -> Result<Vec<SecurityEvent>, AccountError> {
        let row = self.managed_row(manager, username).await?;
        Ok(self
            .db
            .security_events_of(&row.id, &row.username, 200)
            .await?
            .into_iter()
            .map(|e| SecurityEvent {
                at: e.at,
                kind: e.kind,
                actor: e.actor,
                address: e.address,
                detail: e.detail,
            })
            .collect())
    }

    /// Signs in: the password, then the second factor when the account has one. Any wrong
    /// credential (unknown username, wrong password, wrong or missing code, disabled account)
    /// is [`AccountError::InvalidCredentials`]; too many failures in a row are
    /// [`AccountError::Throttled`] before anything is checked.
    pub async fn sign_in(&self, attempt: SignIn) -> Result<NewSession, AccountError> {
        let typed = attempt.username.trim().to_lowercase();
        let address = attempt.address.map(|a| a.to_string());
        let row = match Username::parse(&typed) {
            Some(u) => self.db.account_by_username(u.as_str()).await?,
            None => None,
        };
        let account_key = account_key(row.as_ref(), &typed);
        let address_key = address.as_deref().map(|a| format!("address:{a}"));
        // The owner's usual address is not held back by failures from elsewhere.
        let from_usual_address = row.as_ref().is_some_and(|r| {
            address.is_some() && r.last_sign_in_address.as_deref() == address.as_deref()
        });
        let now = Timestamp::now();
        for (key, skip) in [
            (Some(&account_key), from_usual_address),
            (address_key.as_ref(), false),
        ] {
            let Some(key) = key.filter(|_| !skip) else {
                continue;
            };
            if let Some(wait) = self.locked_for(key, now).await? {
                let which = if key.starts_with("address:") {
                    "address locked"
                } else {
                    "username locked"
                };
                // Attempts while locked are recorded once a minute per key and address: a
                // flood of them cannot fill the table.
                let minute = now.as_offset_date_time().unix_timestamp() / 60;
                let id = crate::storage::Sha256Digest::of(
                    format!(
                        "refused|{key}|{}|{minute}",
                        address.as_deref().unwrap_or("-")
                    )
                    .as_bytes(),
                )
                .to_hex();
                self.event_once(
                    id,
                    "sign_in_refused_locked",
                    row.as_ref(),
                    None,
                    None,
                    address.as_deref(),
                    Some(which),
                )
                .await;
                return Err(AccountError::Throttled(wait));
            }
        }
        let verdict = self.check_credentials(row.as_ref(), &attempt).await?;
        let Some(row) = verdict else {
            let failed = self.fail(&account_key, address_key.as_deref(), now).await?;
            self.attempt_event("sign_in_failed", row.as_ref(), address.as_deref(), None)
                .await;
            if let Some(wait) = failed.filter(|w| throttle::is_lock(*w)) {
                self.attempt_event(
                    "locked",
                    row.as_ref(),
                    address.as_deref(),
                    Some(&format!("{} s", wait.as_secs())),
                )
                .await;
            }
            return Err(AccountError::InvalidCredentials);
        };
        self.db.clear_throttle(&account_key).await?;
        self.open_session(&row, address.as_deref(), "password")
            .await
    }

    /// The account whose credentials these are, or `None` (the same work either way where it
    /// matters: a username with no account still costs one Argon2 check).
    async fn check_credentials(
        &self,
        row: Option<&AccountRow>,
        attempt: &SignIn,
    ) -> Result<Option<AccountRow>, AccountError> {
        let password = attempt.password.clone();
        let Some(row) = row.filter(|r| r.password_hash.is_some()) else {
            tokio::task::spawn_blocking(move || password::verify_nothing(&password))
                .await
                .ok();
            return Ok(None);
        };
        let stored = row.password_hash.clone().unwrap_or_default();
        let good = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
            .await
            .unwrap_or(false);
        if !good || row.disabled_at.is_some() {
            return Ok(None);
        }
        if row.totp_secret.is_some()
            && !self
                .check_second_factor(row, attempt.second_factor.as_deref())
                .await?
        {
            return Ok(None);
        }
        Ok(Some(row.clone()))
    }

    /// A TOTP code (once per step) or an unused recovery code.
    async fn check_second_factor(
        &self,
        row: &AccountRow,
        code: Option<&str>,
    ) -> Result<bool, AccountError> {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(false);
        };
        let key = row
            .totp_secret
            .as_deref()
            .and_then(TotpKey::from_stored)
            .ok_or_else(|| AccountError::Corrupt(format!("account {}: TOTP key", row.id)))?;
        let last = row.totp_last_step.and_then(|s| u64::try_from(s).ok());
        if let Some(step) = key.check(code, unix_now(), last) {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            return Ok(self.db.use_totp_step(&row.id, step).await?);
        }
        if code.len() >= 16 {
            let used = self
                .db
                .use_recovery_code(
                    &row.id,
                    &totp::recovery_code_hash(code),
                    &Timestamp::now().to_string(),
                )
                .await?;
            if used {
                self.event("recovery_code_used", Some(row), None, None, None, None)
                    .await;
            }
            return Ok(used);
        }
        Ok(false)
    }

    /// Opens a session for an account that proved who it is (`how`: `password` or
    /// `identity_provider`). A session opened through the identity provider never waits for a
    /// local second factor: the provider owns how people prove who they are, second factor
    /// included.
    pub async fn open_session(
        &self,
        row: &AccountRow,
        address: Option<&str>,
        how: &str,
    ) -> Result<NewSession, AccountError> {
        let principal = principal_of(row)?;
        let enrol_only = row.totp_secret.is_none()
            && how == "password"
            && self.policy.second_factor_roles.contains(&principal.role);
        let secret = format!("mcs_{}", random_text(32));
        let csrf_token = random_text(32);
        let now = Timestamp::now();
        let expires_at = Timestamp::from(now.as_offset_date_time() + self.policy.lifetime);
        self.db
            .insert_session(&SessionRow {
                id_hash: session_hash(&secret),
                account_id: row.id.clone(),
                csrf_token: csrf_token.clone(),
                enrol_only: i64::from(enrol_only),
                address: address.map(str::to_owned),
                created_at: now.to_string(),
                last_seen_at: now.to_string(),
                expires_at: expires_at.to_string(),
                ended_at: None,
            })
            .await?;
        self.db
            .record_sign_in(&row.id, address, &now.to_string())
            .await?;
        self.event("sign_in", Some(row), None, None, address, Some(how))
            .await;
        tracing::info!(account = %row.id, role = %row.role, how, "signed in");
        Ok(NewSession {
            secret,
            csrf_token,
            principal,
            username: row.username.clone(),
            enrol_only,
            expires_at,
            idle: self.policy.idle,
        })
    }

    /// The live session a cookie's secret opens, or `None` (unknown, signed out, idle too
    /// long, past its end, or its account disabled).
    pub async fn session(&self, secret: &str) -> Result<Option<LiveSession>, AccountError> {
        let id_hash = session_hash(secret);
        let Some(s) = self.db.session(&id_hash).await? else {
            return Ok(None);
        };
        let now = Timestamp::now();
        let parse = |t: &str| {
            Timestamp::parse(t).map_err(|e| AccountError::Corrupt(format!("session: {e}")))
        };
        let idle_end =
            Timestamp::from(parse(&s.last_seen_at)?.as_offset_date_time() + self.policy.idle);
        if now >= parse(&s.expires_at)? || now >= idle_end {
            self.db.end_session(&id_hash, &now.to_string()).await?;
            return Ok(None);
        }
        let Some(row) = self.db.account(&s.account_id).await? else {
            return Ok(None);
        };
        if row.disabled_at.is_some() {
            return Ok(None);
        }
        // Activity is written at most once a minute: a page's many requests cost one write.
        if now.as_offset_date_time() - parse(&s.last_seen_at)?.as_offset_date_time()
            > time::Duration::minutes(1)
        {
            self.db.touch_session(&id_hash, &now.to_string()).await?;
        }
        Ok(Some(LiveSession {
            id_hash,
            account_id: row.id.clone(),
            username: row.username.clone(),
            principal: principal_of(&row)?,
            csrf_token: s.csrf_token,
            enrol_only: s.enrol_only != 0,
            expires_at: s.expires_at,
        }))
    }

    /// Signs a session out.
    pub async fn sign_out(&self, session: &LiveSession) -> Result<(), AccountError> {
        self.db
            .end_session(&session.id_hash, &Timestamp::now().to_string())
            .await?;
        self.event_for(&session.account_id, &session.username, "sign_out", None)
            .await;
        Ok(())
    }

    /// Signs out every session of the account; how many there were.
    pub async fn sign_out_everywhere(&self, session: &LiveSession) -> Result<u64, AccountError> {
        let n = self
            .db
            .end_sessions_of(&session.account_id, None, &Timestamp::now().to_string())
            .await?;
        self.event_for(
            &session.account_id,
            &session.username,
            "sign_out_everywhere",
            Some(&n.to_string()),
        )
        .await;
        Ok(n)
    }

    /// Starts enrolling a second factor: a new key, shown once; confirmed by
    /// [`Self::confirm_enrolment`]. Replaces an enrolment in progress; an account that has one
    /// already keeps it until the new one is confirmed.
    pub async fn begin_enrolment(&self, session: &LiveSession) -> Result<Enrolment, AccountError> {
        let key = TotpKey::generate();
        self.db
            .set_totp_pending(
                &session.account_id,
                key.expose(),
                &Timestamp::now().to_string(),
            )
            .await?;
        Ok(Enrolment {
            uri: key.uri(&self.policy.issuer, &session.username),
            key: key.expose().to_owned(),
        })
    }

    /// Confirms an enrolment with a code from the new key: the key becomes the account's second
    /// factor, the session loses any enrol-only restriction, and ten recovery codes are
    /// returned (once).
    pub async fn confirm_enrolment(
        &self,
        session: &LiveSession,
        code: &str,
    ) -> Result<Vec<String>, AccountError> {
        let row = self
            .db
            .account(&session.account_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        let pending = row
            .totp_pending
            .as_deref()
            .ok_or(AccountError::NoEnrolment)?;
        let key = TotpKey::from_stored(pending).ok_or_else(|| {
            AccountError::Corrupt(format!("account {}: pending TOTP key", row.id))
        })?;
        let step = key
            .check(code, unix_now(), None)
            .ok_or(AccountError::WrongCode)?;
        let codes = totp::generate_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
        let confirmed = self
            .db
            .confirm_totp(
                &row.id,
                pending,
                i64::try_from(step).unwrap_or(i64::MAX),
                &hashes,
                &Timestamp::now().to_string(),
            )
            .await?;
        if !confirmed {
            return Err(AccountError::NoEnrolment);
        }
        self.db.complete_session(&session.id_hash).await?;
        self.event("second_factor_enrolled", Some(&row), None, None, None, None)
            .await;
        Ok(codes)
    }

    /// The owner changes their password (the current one proves it is them); their other
    /// sessions end.
    pub async fn change_password(
        &self,
        session: &LiveSession,
        current: &Password,
        new: Password,
    ) -> Result<(), AccountError> {
        let row = self
            .db
            .account(&session.account_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        let stored = row
            .password_hash
            .clone()
            .ok_or(AccountError::InvalidCredentials)?;
        let typed = current.clone();
        let good = tokio::task::spawn_blocking(move || password::verify(&typed, &stored))
            .await
            .unwrap_or(false);
        if !good {
            return Err(AccountError::InvalidCredentials);
        }
        new.check_new(&[&row.username, row.name.as_deref().unwrap_or_default()])?;
        let hash = hash_blocking(new).await?;
        let now = Timestamp::now().to_string();
        self.db.set_password(&row.id, &hash, false, &now).await?;
        // This session stays: the person changing their password is the one using it.
        self.db
            .end_sessions_of(&row.id, Some(&session.id_hash), &now)
            .await?;
        self.event("password_changed", Some(&row), None, None, None, None)
            .await;
        Ok(())
    }

    /// How long `key` is still refused, if it is.
    async fn locked_for(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Duration>, AccountError> {
        let Some(t) = self.db.throttle(key).await? else {
            return Ok(None);
        };
        let Some(until) = t
            .locked_until
            .as_deref()
            .and_then(|u| Timestamp::parse(u).ok())
        else {
            return Ok(None);
        };
        let left = until.as_offset_date_time() - now.as_offset_date_time();
        Ok((left > time::Duration::ZERO)
            .then(|| Duration::try_from(left).unwrap_or(Duration::from_secs(1))))
    }

    /// Counts a failure against the account's and the address's keys and sets their waits;
    /// the longer wait of the two.
    async fn fail(
        &self,
        account_key: &str,
        address_key: Option<&str>,
        now: Timestamp,
    ) -> Result<Option<Duration>, AccountError> {
        let forget_before =
            Timestamp::from(now.as_offset_date_time() - throttle::FORGET_AFTER).to_string();
        let mut longest: Option<Duration> = None;
        for (key, kind) in [
            (Some(account_key), KeyKind::Account),
            (address_key, KeyKind::Address),
        ] {
            let Some(key) = key else { continue };
            let n = self
                .db
                .count_failure(key, &now.to_string(), &forget_before)
                .await?;
            let wait = throttle::wait_after(kind, u64::try_from(n).unwrap_or(0));
            if !wait.is_zero() {
                let until = Timestamp::from(now.as_offset_date_time() + wait);
                self.db.lock_key(key, &until.to_string()).await?;
                longest = Some(longest.map_or(wait, |l| l.max(wait)));
            }
        }
        Ok(longest)
    }

    /// Records a security event (and logs it).
    pub(super) async fn event(
        &self,
        kind: &str,
        row: Option<&AccountRow>,
        username: Option<&str>,
        actor: Option<&str>,
        address: Option<&str>,
        detail: Option<&str>,
    ) {
        self.event_once(
            uuid::Uuid::new_v4().to_string(),
            kind,
            row,
            username,
            actor,
            address,
            detail,
        )
        .await;
    }

    /// [`Self::event`] under a given id: a second event with the same id is not recorded.
    #[allow(clippy::too_many_arguments)]
    async fn event_once(
        &self,
        id: String,
        kind: &str,
        row: Option<&AccountRow>,
        username: Option<&str>,
        actor: Option<&str>,
        address: Option<&str>,
        detail: Option<&str>,
    ) {
        let record = SecurityEventRow {
            id,
            at: Timestamp::now().to_string(),
            kind: kind.to_owned(),
            username: row
                .map(|r| r.username.clone())
                .or(username.map(str::to_owned)),
            account_id: row.map(|r| r.id.clone()),
            actor: actor.map(str::to_owned),
            address: address.map(str::to_owned),
            detail: detail.map(str::to_owned),
        };
        tracing::info!(
            kind,
            account = record.account_id.as_deref().unwrap_or("-"),
            address = address.unwrap_or("-"),
            by = actor.unwrap_or("-"),
            "account event"
        );
        // The event is a record for people; failing to write it must not turn a sign-in into
        // an error, but it is reported.
        if let Err(e) = self.db.insert_security_event(&record).await {
            tracing::warn!(error = %e, kind, "could not record a security event");
        }
    }

    /// An event of a sign-in attempt. What was typed is kept only when it names an account
    /// (`row`): people type their password into the username field, and a secret must never be
    /// recorded.
    async fn attempt_event(
        &self,
        kind: &str,
        row: Option<&AccountRow>,
        address: Option<&str>,
        detail: Option<&str>,
    ) {
        self.event(kind, row, None, None, address, detail).await;
    }

    async fn event_for(&self, account_id: &str, username: &str, kind: &str, detail: Option<&str>) {
        if let Ok(Some(row)) = self.db.account(account_id).await {
            self.event(kind, Some(&row), None, None, None, detail).await;
        } else {
            self.event(kind, None, Some(username), None, None, detail)
                .await;
        }
    }
}

/// The throttle key of the account a sign-in names: its id; for a username no account has, one
/// of 65,536 buckets of such names (16 bits of the SHA-256 of what was typed). Unknown names
/// are locked like known ones, so the answer never tells which exist, and what was typed (a
/// password in the wrong field, perhaps) is never kept in any recoverable form.
fn account_key(row: Option<&AccountRow>, typed: &str) -> String {
    match row {
        Some(row) => format!("account:{}", row.id),
        None => {
            let digest = crate::storage::Sha256Digest::of(typed.as_bytes());
            let bytes = digest.as_bytes();
            format!("unknown:{:02x}{:02x}", bytes[0], bytes[1])
        }
    }
}

async fn hash_blocking(p: Password) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || password::hash(&p))
        .await
        .map_err(|e| AccountError::Corrupt(format!("hashing task: {e}")))?
        .map_err(AccountError::from)
}

fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The stored form of a session's secret.
pub fn session_hash(secret: &str) -> String {
    crate::storage::Sha256Digest::of(secret.as_bytes()).to_hex()
}

/// A random password for a reset: 20 characters of base64url (120 bits), always accepted by
/// the password rule.
fn generate_password() -> Password {
    Password::new(random_text(15))
}

/// The rights an account signs in with.
pub fn principal_of(row: &AccountRow) -> Result<Principal, AccountError> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| AccountError::Corrupt(format!("account {}: role {:?}", row.id, row.role)))?;
    let unit = row
        .unit_code
        .as_deref()
        .map(UnitCode::parse)
        .transpose()
        .map_err(|e| AccountError::Corrupt(format!("account {}: unit: {}", row.id, e.rule)))?;
    Ok(Principal {
        token_id: format!("account:{}", row.id),
        role,
        tax_code: row
            .tax_code
            .as_deref()
            .and_then(|t| TaxCode::parse_recorded(t).ok()),
        id_number: row
            .id_number
            .as_deref()
            .and_then(|n| IdNumber::parse_recorded(n).ok()),
        agency: row.agency.clone(),
        branches: row.branches != 0,
        name: row.name.clone(),
        unit,
    })
}

fn account_of(row: AccountRow) -> Result<Account, AccountError> {
    Ok(Account {
        principal: principal_of(&row)?,
        id: row.id,
        username: row.username,
        has_password: row.password_hash.is_some(),
        second_factor: row.totp_secret.is_some(),
        identity_provider: row.oidc_subject.is_some(),
        disabled_at: row.disabled_at,
        created_at: row.created_at,
        last_sign_in_at: row.last_sign_in_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain_lower_case_words() {
        assert_eq!(
            Username::parse(" NguyenVanA ").unwrap().as_str(),
            "nguyenvana"
        );
        assert_eq!(
            Username::parse("can.bo-01@hn").unwrap().as_str(),
            "can.bo-01@hn"
        );
        assert!(Username::parse("ab").is_none());
        assert!(Username::parse("nguyễn").is_none());
        assert!(Username::parse("a b c").is_none());
        assert!(Username::parse(&"a".repeat(65)).is_none());
    }

    #[test]
    fn credentials_travel_only_over_tls_or_the_loopback() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let policy = AccountPolicy {
            trusted_proxies: vec![proxy],
            ..AccountPolicy::default()
        };
        let t = |peer: &str, forwarded_https| Transport {
            peer: Some(peer.parse().unwrap()),
            forwarded_https,
        };
        assert!(policy.transport_is_private(t("127.0.0.1", false)));
        assert!(policy.transport_is_private(t("::1", false)));
        assert!(policy.transport_is_private(t("10.0.0.5", true)));
        assert!(
            !policy.transport_is_private(t("10.0.0.5", false)),
            "plain http behind it"
        );
        assert!(
            !policy.transport_is_private(t("10.0.0.9", true)),
            "an untrusted peer's word"
        );
        assert!(!policy.transport_is_private(t("192.168.1.20", false)));
        assert!(!policy.transport_is_private(Transport {
            peer: None,
            forwarded_https: false
        }));
    }

    #[test]
    fn generated_passwords_pass_the_rule() {
        for _ in 0..20 {
            assert_eq!(generate_password().check_new(&[]), Ok(()));
        }
    }
}
