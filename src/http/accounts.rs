//! People over the API: signing in and out (`/api/v1/session`, `/api/v1/sessions`), the signed-in
//! person's own account (`/api/v1/account/...`: second factor, password), and administrators'
//! account management (`/api/v1/accounts`). The session cookie is set and cleared here; the
//! decisions are `auth::Accounts`'.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::accounts::{
    Account, AccountError, Manager, NewAccount, NewSession, SESSION_COOKIE, SignIn, Transport,
    Username,
};
use crate::auth::password::Password;
use crate::auth::{Principal, Role};

use super::auth::{SessionCaller, client_address};
use super::extract::JsonBody;
use super::tokens::{TokenRequestJson, new_token};
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(sign_in).get(who).delete(sign_out))
        .route("/sessions", delete(sign_out_everywhere))
        .route("/account/second-factor", post(begin_enrolment))
        .route("/account/second-factor/confirm", post(confirm_enrolment))
        .route("/account/password", put(change_password))
        .route("/accounts", get(list).post(create))
        .route("/accounts/{username}", get(show))
        .route("/accounts/{username}/disable", post(disable))
        .route("/accounts/{username}/enable", post(enable))
        .route("/accounts/{username}/reset", post(reset))
        .route("/accounts/{username}/events", get(events))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        let unprocessable =
            |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string());
        match &e {
            AccountError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            AccountError::NotFound => ApiError::not_found("account"),
            AccountError::InvalidUsername => unprocessable("invalid_username"),
            AccountError::UsernameTaken => {
                ApiError::new(StatusCode::CONFLICT, "username_taken", e.to_string())
            }
            AccountError::Rights(_) => unprocessable("invalid_account_request"),
            AccountError::Password(_) => unprocessable("weak_password"),
            AccountError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                e.to_string(),
            ),
            AccountError::Throttled(wait) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "sign_in_locked",
                e.to_string(),
            )
            .with_retry_after(wait.as_secs().max(1)),
            AccountError::WrongCode => unprocessable("wrong_code"),
            AccountError::NoEnrolment => {
                ApiError::new(StatusCode::CONFLICT, "no_enrolment", e.to_string())
            }
            AccountError::NotAnAccount => {
                ApiError::new(StatusCode::FORBIDDEN, "not_an_account", e.to_string())
            }
            _ => ApiError::internal(&e),
        }
    }
}

/// A sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInJson {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
    /// A code from the authenticator app, or one of the recovery codes, for an account with a
    /// second factor.
    #[serde(default)]
    pub totp: Option<String>,
}

/// The rights a person signs in with, as the session and account answers show them.
#[derive(Serialize, ToSchema)]
pub struct RightsJson {
    /// Role.
    #[schema(value_type = String)]
    pub role: Role,
    /// Display name.
    pub name: Option<String>,
    /// Staff: the unit.
    pub unit: Option<String>,
    /// Staff: the agency.
    pub agency: Option<String>,
    /// Business: the tax code.
    pub tax_code: Option<String>,
    /// Citizen: the identification number.
    pub id_number: Option<String>,
}

impl From<&Principal> for RightsJson {
    fn from(p: &Principal) -> Self {
        Self {
            role: p.role,
            name: p.name.clone(),
            unit: p.unit.as_ref().map(|u| u.as_str().to_owned()),
            agency: p.agency.clone(),
            tax_code: p.tax_code.as_ref().map(|t| t.as_str().to_owned()),
            id_number: p.id_number.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

/// The signed-in person.
#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    /// The account's username.
    pub username: String,
    /// Role, name, unit, agency, tax code, identification number.
    #[serde(flatten)]
    pub rights: RightsJson,
    /// What every state-changing request made with the session cookie sends as
    /// `X-CSRF-Token`.
    pub csrf_token: String,
    /// The account must enrol a second factor before anything else
    /// (`POST /api/v1/account/second-factor`).
    pub enrol_second_factor: bool,
    /// The latest the session ends (it ends sooner when unused for `idle_seconds`).
    pub expires_at: String,
    /// Seconds without a request after which the session ends.
    pub idle_seconds: u64,
}

fn session_json(
    username: &str,
    p: &Principal,
    csrf: &str,
    enrol: bool,
    expires_at: String,
    idle: u64,
) -> SessionJson {
    SessionJson {
        username: username.to_owned(),
        rights: RightsJson::from(p),
        csrf_token: csrf.to_owned(),
        enrol_second_factor: enrol,
        expires_at,
        idle_seconds: idle,
    }
}

/// The cookie that carries `secret`, or (empty) the one that clears it.
pub(super) fn cookie(secret: Option<&str>) -> HeaderValue {
    let text = match secret {
        Some(s) => format!("{SESSION_COOKIE}={s}; Path=/; Secure; HttpOnly; SameSite=Lax"),
        None => format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client's address: the connection's peer, or, behind a trusted proxy, the last address
/// its `X-Forwarded-For` names (the one the proxy saw).
pub(super) struct Address(pub(super) Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<AppState> for Address {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = client_address(parts);
        if state.accounts.policy().trusts(peer)
            && let Some(forwarded) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                // The entry the proxy appended; those before it are the client's to make up.
                .and_then(|v| v.rsplit(',').next())
                .and_then(|a| a.trim().parse().ok())
        {
            return Ok(Self(Some(forwarded)));
        }
        Ok(Self(peer))
    }
}

/// A request whose credentials and cookies travel privately (see
/// `AccountPolicy::transport_is_private`); else 403 `https_required`.
pub(super) struct PrivateTransport;

impl axum::extract::FromRequestParts<AppState> for PrivateTransport {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let transport = Transport {
            peer: client_address(parts),
            forwarded_https: parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")),
        };
        if state.accounts.policy().transport_is_private(transport) {
            Ok(Self)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "https_required",
                "sign in over https: passwords and session cookies never travel in plain http \
                 beyond this machine (behind a TLS proxy, list it in --trusted-proxies)",
            ))
        }
    }
}

/// Sign in with a username and password (and the second factor's code where the account has
/// one). Any wrong credential is 401 `invalid_credentials`; repeated failures are slowed and
/// then locked for a while (429 `sign_in_locked` with Retry-After).
#[utoipa::path(post, path = "/api/v1/session", tag = "sessions",
    request_body(content = SignInJson, content_type = "application/json"),
    responses((status = 200, body = SessionJson, description = "Signed in; the session cookie is set"),
        (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 403, body = ErrorBody, description = "https_required: plain http from beyond the loopback and trusted proxies"),
        (status = 422, body = ErrorBody, description = "invalid_json"),
        (status = 429, body = ErrorBody, description = "sign_in_locked, with Retry-After")))]
async fn sign_in(
    State(state): State<AppState>,
    _: PrivateTransport,
    Address(address): Address,
    JsonBody(r): JsonBody<SignInJson>,
) -> Result<Response, ApiError> {
    let session = state
        .accounts
        .sign_in(SignIn {
            username: r.username,
            password: Password::new(r.password),
            second_factor: r.totp,
            address,
        })
        .await?;
    Ok(opened(session))
}

/// The answer to a sign-in: the person, and the cookie.
pub(super) fn opened(s: NewSession) -> Response {
    let body = session_json(
        &s.username,
        &s.principal,
        &s.csrf_token,
        s.enrol_only,
        s.expires_at.to_string(),
        s.idle.as_secs(),
    );
    let mut response = json(StatusCode::OK, body);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(Some(&s.secret)));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Who is signed in (and the session's CSRF token, for a page that lost it).
#[utoipa::path(get, path = "/api/v1/session", tag = "sessions",
    responses((status = 200, body = SessionJson), (status = 401, body = ErrorBody, description = "no_session, session_expired")),
    security(("session" = [])))]
async fn who(State(state): State<AppState>, SessionCaller(s): SessionCaller) -> Response {
    let idle = state.accounts.policy().idle.as_secs();
    let mut response = json(
        StatusCode::OK,
        session_json(
            &s.username,
            &s.principal,
            &s.csrf_token,
            s.enrol_only,
            s.expires_at.clone(),
            idle,
        ),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Sign out (this session).
#[utoipa::path(delete, path = "/api/v1/session", tag = "sessions",
    responses((status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "csrf")),
    security(("session" = [])))]
async fn sign_out(
    State(state): State<AppState>,
    SessionCaller(s): SessionCaller,
) -> Result<Response, ApiError> {
    state.accounts.sign_out(&s).await?;
    Ok(cleared())
}

fn cleared() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(None));
    response
}

/// Sign out of every session of the account (every browser, every node).
#[utoipa::path(delete, path = "/api/v1/sessions", tag = "sessions",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "csrf")),
    security(("session" = [])))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    SessionCaller(s): SessionCaller,
) -> Result<Response, ApiError> {
    state.accounts.sign_out_everywhere(&s).await?;
    Ok(cleared())
}

/// A second factor being enrolled.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentJson {
    /// The key (base32), to type into an authenticator app. Shown this once.
    pub key: String,
    /// The same as an `otpauth://` URI, to show as a QR code.
    pub uri: String,
}

/// Start enrolling a second factor (TOTP): a new key, shown once. Confirm it with a code.
#[utoipa::path(post, path = "/api/v1/account/second-factor", tag = "sessions",
    responses((status = 201, body = EnrolmentJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "csrf")),
    security(("session" = [])))]
async fn begin_enrolment(
    State(state): State<AppState>,
    SessionCaller(s): SessionCaller,
) -> Result<Response, ApiError> {
    let e = state.accounts.begin_enrolment(&s).await?;
    let mut response = json(
        StatusCode::CREATED,
        EnrolmentJson {
            key: e.key,
            uri: e.uri,
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeJson {
    /// Six digits.
    pub code: String,
}

/// The recovery codes, each good once in place of a code from the app.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesJson {
    /// Shown this once: keep them on paper.
    pub recovery_codes: Vec<String>,
}

/// Confirm the second factor with a code from the new key; returns ten single-use recovery
/// codes (shown once).
#[utoipa::path(post, path = "/api/v1/account/second-factor/confirm", tag = "sessions",
    request_body(content = CodeJson, content_type = "application/json"),
    responses((status = 200, body = RecoveryCodesJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "csrf"),
        (status = 409, body = ErrorBody, description = "no_enrolment"),
        (status = 422, body = ErrorBody, description = "wrong_code")),
    security(("session" = [])))]
async fn confirm_enrolment(
    State(state): State<AppState>,
    SessionCaller(s): SessionCaller,
    JsonBody(r): JsonBody<CodeJson>,
) -> Result<Response, ApiError> {
    let codes = state.accounts.confirm_enrolment(&s, &r.code).await?;
    let mut response = json(
        StatusCode::OK,
        RecoveryCodesJson {
            recovery_codes: codes,
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeJson {
    /// The current password.
    pub current: String,
    /// The new one (at least 12 characters, not common or guessable).
    pub new: String,
}

/// Change one's own password; every other session of the account ends.
#[utoipa::path(put, path = "/api/v1/account/password", tag = "sessions",
    request_body(content = PasswordChangeJson, content_type = "application/json"),
    responses((status = 204), (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 403, body = ErrorBody, description = "csrf"),
        (status = 422, body = ErrorBody, description = "weak_password")),
    security(("session" = [])))]
async fn change_password(
    State(state): State<AppState>,
    SessionCaller(s): SessionCaller,
    JsonBody(r): JsonBody<PasswordChangeJson>,
) -> Result<Response, ApiError> {
    state
        .accounts
        .change_password(&s, &Password::new(r.current), Password::new(r.new))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An account to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRequestJson {
    /// 3 to 64 characters from a-z, 0-9, `.`, `_`, `-`, `@` (stored lower-case).
    pub username: String,
    /// The first password (at least 12 characters, not common or guessable); none for an
    /// account that signs in only through the identity provider.
    #[serde(default)]
    pub password: Option<String>,
    /// business, citizen, officer, archivist or admin.
    pub role: String,
    /// A business's tax code (required for business).
    #[serde(default)]
    pub tax_code: Option<String>,
    /// A citizen's identification number (required for citizen).
    #[serde(default)]
    pub id_number: Option<String>,
    /// A staff member's agency, as the procedure catalogue names it.
    #[serde(default)]
    pub agency: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// A business account that also covers its branches.
    #[serde(default)]
    pub branches: bool,
    /// A staff member's unit (a unit's administrator must give one in its reach).
    #[serde(default)]
    pub unit: Option<String>,
}

/// An account.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    /// Username.
    pub username: String,
    /// Role, name, unit, agency, tax code, identification number.
    #[serde(flatten)]
    pub rights: RightsJson,
    /// Business: also its branches.
    pub branches: bool,
    /// It has a password (else it signs in through the identity provider only).
    pub password: bool,
    /// A second factor is enrolled.
    pub second_factor: bool,
    /// It is bound to an identity-provider subject.
    pub identity_provider: bool,
    /// When it was disabled, if it is.
    pub disabled_at: Option<String>,
    /// Instant.
    pub created_at: String,
    /// The last successful sign-in.
    pub last_sign_in_at: Option<String>,
}

fn account_json(a: Account) -> AccountJson {
    AccountJson {
        rights: RightsJson::from(&a.principal),
        username: a.username,
        branches: a.principal.branches,
        password: a.has_password,
        second_factor: a.second_factor,
        identity_provider: a.identity_provider,
        disabled_at: a.disabled_at,
        created_at: a.created_at,
        last_sign_in_at: a.last_sign_in_at,
    }
}

/// The units an administrator manages accounts of: `None` for one bound to no unit (all,
/// applicants' too).
pub(super) async fn managed_units(
    state: &AppState,
    p: &Principal,
) -> Result<Option<Vec<String>>, ApiError> {
    if p.unit.is_none() {
        return Ok(None);
    }
    Ok(Some(state.dossiers.units_in_reach(p).await?))
}

/// Create an account (administrators; a unit's administrator, staff of its units only).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    request_body(content = AccountRequestJson, content_type = "application/json"),
    responses((status = 201, body = AccountJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "username_taken"),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_username, invalid_account_request, weak_password")),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(r): JsonBody<AccountRequestJson>,
) -> Result<Response, ApiError> {
    let account = create_account(&state, &principal, r).await?;
    Ok(json(StatusCode::CREATED, account_json(account)))
}

/// Creates an account as `principal` asks (the API's handler and the administrator's page).
pub(super) async fn create_account(
    state: &AppState,
    principal: &Principal,
    r: AccountRequestJson,
) -> Result<Account, ApiError> {
    let username = Username::parse(&r.username).ok_or(AccountError::InvalidUsername)?;
    let rights = new_token(
        TokenRequestJson {
            role: r.role,
            tax_code: r.tax_code,
            id_number: r.id_number,
            agency: r.agency,
            name: r.name,
            branches: r.branches,
            unit: r.unit,
        },
        "invalid_account_request",
    )?;
    let units = managed_units(state, principal).await?;
    let catalogue = state.dossiers.catalogue();
    let reach = state.dossiers.units_in_reach(principal).await?;
    Ok(state
        .accounts
        .create(
            Manager::Caller(principal, units.as_deref()),
            NewAccount {
                username,
                rights,
                password: r.password.map(Password::new),
            },
            &|agency| catalogue.iter().any(|p| p.agency == agency),
            &|unit| reach.iter().any(|u| u == unit),
        )
        .await?)
}

/// The accounts an administrator manages.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, body = [AccountJson]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let units = managed_units(&state, &principal).await?;
    let accounts = state
        .accounts
        .list(Manager::Caller(&principal, units.as_deref()))
        .await?;
    Ok(json(
        StatusCode::OK,
        accounts.into_iter().map(account_json).collect::<Vec<_>>(),
    ))
}

/// One account an administrator manages.
#[utoipa::path(get, path = "/api/v1/accounts/{username}", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let units = managed_units(&state, &principal).await?;
    let account = state
        .accounts
        .get(Manager::Caller(&principal, units.as_deref()), &username)
        .await?;
    Ok(json(StatusCode::OK, account_json(account)))
}

async fn set_disabled(
    state: AppState,
    principal: Principal,
    username: String,
    disabled: bool,
) -> Result<Response, ApiError> {
    let units = managed_units(&state, &principal).await?;
    let account = state
        .accounts
        .set_disabled(
            Manager::Caller(&principal, units.as_deref()),
            &username,
            disabled,
        )
        .await?;
    Ok(json(StatusCode::OK, account_json(account)))
}

/// Disable an account: it can no longer sign in, and its sessions end.
#[utoipa::path(post, path = "/api/v1/accounts/{username}/disable", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn disable(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(state, principal, username, true).await
}

/// Enable a disabled account.
#[utoipa::path(post, path = "/api/v1/accounts/{username}/enable", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn enable(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(state, principal, username, false).await
}

/// A reset.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResetJson {
    /// The new password; none: a random one is made and returned once.
    #[serde(default)]
    pub password: Option<String>,
    /// Also remove the second factor and recovery codes (a lost phone); the person enrols again
    /// at the next sign-in.
    #[serde(default)]
    pub second_factor: bool,
}

/// The reset's outcome.
#[derive(Serialize, ToSchema)]
pub struct ResetDoneJson {
    /// The password made for the account when none was given: shown this once.
    pub password: Option<String>,
}

/// Reset an account's password (and, if asked, its second factor); its sessions end.
#[utoipa::path(post, path = "/api/v1/accounts/{username}/reset", tag = "accounts",
    params(("username" = String, Path)),
    request_body(content = ResetJson, content_type = "application/json"),
    responses((status = 200, body = ResetDoneJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "weak_password")),
    security(("bearer" = [])))]
async fn reset(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(username): Path<String>,
    JsonBody(r): JsonBody<ResetJson>,
) -> Result<Response, ApiError> {
    let units = managed_units(&state, &principal).await?;
    let made = state
        .accounts
        .reset(
            Manager::Caller(&principal, units.as_deref()),
            &username,
            r.password.map(Password::new),
            r.second_factor,
        )
        .await?;
    let mut response = json(
        StatusCode::OK,
        ResetDoneJson {
            password: made.map(|p| p.expose().to_owned()),
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A security event of an account.
#[derive(Serialize, ToSchema)]
pub struct SecurityEventJson {
    /// Instant.
    pub at: String,
    /// sign_in, sign_in_failed, sign_in_refused_locked, locked, sign_out, sign_out_everywhere,
    /// account_created, account_disabled, account_enabled, account_reset, password_changed,
    /// second_factor_enrolled, recovery_code_used, identity_provider_bound,
    /// identity_provider_refused.
    pub kind: String,
    /// Who made the change, when someone else did.
    pub actor: Option<String>,
    /// The client's address.
    pub address: Option<String>,
    /// A short note.
    pub detail: Option<String>,
}

/// An account's latest security events (sign-ins, failures, lockouts, changes), newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{username}/events", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = [SecurityEventJson]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn events(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let units = managed_units(&state, &principal).await?;
    let events = state
        .accounts
        .events(Manager::Caller(&principal, units.as_deref()), &username)
        .await?;
    Ok(json(
        StatusCode::OK,
        events
            .into_iter()
            .map(|e| SecurityEventJson {
                at: e.at,
                kind: e.kind,
                actor: e.actor,
                address: e.address,
                detail: e.detail,
            })
            .collect::<Vec<_>>(),
    ))
}
