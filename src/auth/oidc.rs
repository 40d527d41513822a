//! Sign-in through an identity provider: OpenID Connect's authorization code flow with PKCE
//! (OpenID Connect Core 1.0 §3.1; RFC 7636 with S256), and the mapping of the provider's claims
//! to accounts.
//!
//! A flow is begun on one node and may finish on any: its state lives in the database
//! (`oidc_flows`: the PKCE verifier, the nonce, where to go afterwards; keyed by the SHA-256 of
//! the `state`), taken (deleted) by the callback, so it is good once, and refused after
//! [`FLOW_LIFETIME`]. The `state` also goes into a cookie of the browser that began the flow, and
//! the callback must bring both: a callback someone else's browser was made to open (login
//! CSRF) finds no cookie to match.
//!
//! The ID token is verified by the `openidconnect` crate: signature against the provider's keys
//! (JWKS), issuer, audience, expiry, and the flow's nonce. Its claims (and, when they lack the
//! ones mapped, the user-info endpoint's, whose `sub` must be the token's) are mapped to an
//! account by [`IdentityProvider::finish`]:
//! 1. the account already bound to the provider's `iss` and `sub`, of any role;
//! 2. else a staff account whose username is the username claim, which is then bound;
//! 3. else the citizen account with the identification-number claim (created, without a
//!    password, named from the `name` claim, when there is none), bound;
//! 4. else the business account with the tax-code claim, likewise.
//!
//! Anything else is refused ([`OidcError::NoAccount`]), as is a disabled account, and recorded
//! as a security event. A session opened here needs no local second factor: the provider owns
//! how people prove who they are, its second factor included.
//!
//! Requests to the provider go through `http_client` (10 s, 256 KiB, no redirects), off the
//! async workers. The provider's metadata and keys are discovered at the first sign-in, not at
//! start (a provider down then does not stop the service; sign-in answers
//! [`OidcError::Unavailable`] until it is back), kept for [`METADATA_MAX_AGE`], and fetched again
//! sooner when an ID token is signed with a key they lack (the provider rotated its keys).
//!
//! Never logs or returns the client secret, a code, a token, the PKCE verifier or the nonce.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest,
    HttpResponse, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse as _,
};
use serde_json::{Map, Value};

use crate::db::{AccountRow, Db, DbError, OidcFlowRow};
use crate::http_client::{self, PostError};
use crate::storage::Sha256Digest;
use crate::timestamp::Timestamp;
use crate::vocabulary::{IdNumber, TaxCode};

use super::accounts::{AccountError, Accounts, Manager, NewAccount, NewSession, Username};
use super::{NewToken, Role};

/// How long a flow may take, from the redirect to the provider to the callback: long enough to
/// type a password and a code, short enough that an abandoned flow's row goes soon.
pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// How long the provider's metadata and keys are kept before they are fetched again.
pub const METADATA_MAX_AGE: Duration = Duration::from_secs(3600);

/// After a failed discovery, how long sign-ins are answered 503 at once rather than each trying
/// the provider again (one attempt at a time per node, whatever the traffic).
const RETRY_DISCOVERY_AFTER: Duration = Duration::from_secs(2);

/// Keys at least this old are fetched again when an ID token's signature does not verify
/// against them (the provider may have rotated its keys); younger ones are not, so a bad
/// token cannot make every sign-in fetch them.
const REFRESH_KEYS_AFTER: Duration = Duration::from_secs(60);

/// The longest `return_to` kept.
const MAX_RETURN_TO: usize = 1024;

/// The path of the callback under the service's public URL.
pub const CALLBACK_PATH: &str = "/api/v1/session/oidc/callback";

/// How the deployment's identity provider is reached and what its claims mean.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer (`https://`, or `http://` on the loopback only).
    pub issuer: String,
    /// This service's client id at the provider.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// Where the provider sends the browser back (this service's callback).
    pub redirect_url: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The claim that names a staff member's username; `None`: staff are matched only by an
    /// account already bound to their subject.
    pub username_claim: Option<String>,
    /// The claim that carries a citizen's identification number; `None`: not used.
    pub id_number_claim: Option<String>,
    /// The claim that carries a business's tax code; `None`: not used.
    pub tax_code_claim: Option<String>,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("username_claim", &self.username_claim)
            .field("id_number_claim", &self.id_number_claim)
            .field("tax_code_claim", &self.tax_code_claim)
            .finish()
    }
}

impl OidcSettings {
    /// Checks the settings; the setting at fault (as its config-file key) and the rule.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        issuer_url(&self.issuer).map_err(|rule| ("oidc_issuer", rule))?;
        if self.client_id.trim().is_empty() {
            return Err(("oidc_client_id", "must not be empty".into()));
        }
        if self.client_secret.is_empty() {
            return Err((
                "oidc_client_secret_file",
                "the client secret is empty".into(),
            ));
        }
        let redirect = openidconnect::url::Url::parse(&self.redirect_url)
            .map_err(|e| ("oidc_redirect_url", format!("not a URL: {e}")))?;
        if !matches!(redirect.scheme(), "http" | "https") || redirect.host().is_none() {
            return Err((
                "oidc_redirect_url",
                "must be an http:// or https:// URL".into(),
            ));
        }
        for scope in &self.scopes {
            if scope.is_empty() || !scope.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
                return Err(("oidc_scopes", format!("{scope:?} is not a scope")));
            }
        }
        for (setting, claim) in [
            ("oidc_username_claim", &self.username_claim),
            ("oidc_id_number_claim", &self.id_number_claim),
            ("oidc_tax_code_claim", &self.tax_code_claim),
        ] {
            if claim.as_deref().is_some_and(|c| c.trim().is_empty()) {
                return Err((setting, "must name a claim, or be `none`".into()));
            }
        }
        Ok(())
    }
}

/// The issuer as a URL: `https://`, or `http://` on the loopback (a provider on the same
/// machine, as in tests), without a query or fragment (OpenID Connect Discovery 1.0 §2).
fn issuer_url(issuer: &str) -> Result<IssuerUrl, String> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("not a URL: {e}"))?;
    let parsed = url.url();
    let loopback = match parsed.host() {
        Some(openidconnect::url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("must name a host".into()),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "must be https:// (http:// only for a provider on this machine's loopback)".into(),
            );
        }
        _ => return Err("must be an https:// URL".into()),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("must have no query or fragment".into());
    }
    Ok(url)
}

/// Where to send the browser once signed in: a path of this service (`/`, `/dossiers?x=1`),
/// never another site (`//host`, `https://...`, `/\host`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

impl ReturnTo {
    /// Parses a `return_to` the client sent; `None` when it is not a relative path.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.starts_with('/')
            && !text.starts_with("//")
            && !text.contains('\\')
            && text.len() <= MAX_RETURN_TO
            && !text.chars().any(|c| c.is_control() || c.is_whitespace());
        ok.then(|| Self(text.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ReturnTo {
    fn default() -> Self {
        Self("/".into())
    }
}

/// Why a sign-in through the provider was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The deployment has no identity provider.
    #[error("this service has no identity provider configured: sign in with a password")]
    NotConfigured,
    /// The provider could not be reached or answered nothing usable (discovery, keys, token or
    /// user info).
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// `return_to` is not a path of this service.
    #[error("return_to must be a path of this service, such as /dossiers")]
    InvalidReturnTo,
    /// The callback's `state` is unknown, already used, or not this browser's.
    #[error("this sign-in is unknown, was already finished, or was begun in another browser")]
    InvalidState,
    /// The flow took longer than [`FLOW_LIFETIME`].
    #[error("this sign-in took longer than ten minutes: begin again")]
    Expired,
    /// The person refused, or cancelled at the provider (`error=access_denied`).
    #[error("the identity provider did not sign you in: {0}")]
    Denied(String),
    /// The provider answered the authorization request with another error (RFC 6749 §4.1.2.1).
    #[error("the identity provider refused the sign-in request: {0}")]
    ProviderError(String),
    /// The callback names another issuer than ours (RFC 9207: a mix-up).
    #[error("the callback comes from another identity provider than this service's")]
    IssuerMismatch,
    /// The token endpoint refused the code (used, expired, or not this client's).
    #[error("the identity provider refused the authorization code: {0}")]
    CodeRefused(String),
    /// The ID token is missing or does not verify (signature, issuer, audience, expiry, nonce).
    #[error("the identity provider's ID token is not valid: {0}")]
    InvalidIdToken(String),
    /// A mapped claim is present but breaks its rule (an identification number, a tax code).
    #[error("the identity provider's {claim} claim is not valid: {rule}")]
    InvalidClaim {
        /// The claim.
        claim: String,
        /// Its rule.
        rule: String,
    },
    /// No account answers to the identity.
    #[error("no account of this service answers to this identity")]
    NoAccount,
    /// The account is disabled.
    #[error("this account is disabled")]
    Disabled,
    /// The account service failed.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A flow just begun: where to send the browser, and the `state` for its cookie.
pub struct Begun {
    /// The provider's authorization URL, with the request.
    pub url: String,
    /// The `state`, which the browser keeps in a cookie until the callback.
    pub state: String,
}

impl std::fmt::Debug for Begun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Begun").finish_non_exhaustive()
    }
}

/// What the provider sent back through the browser (RFC 6749 §4.1.2), and the state the
/// browser kept.
#[derive(Default)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state.
    pub state: Option<String>,
    /// An error instead of a code.
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
    /// The issuer (RFC 9207), when the provider sends it.
    pub iss: Option<String>,
    /// The state kept in the browser's cookie.
    pub browser_state: Option<String>,
    /// The client's address.
    pub address: Option<IpAddr>,
}

/// A sign-in through the provider, done.
#[derive(Debug)]
pub struct SignedIn {
    /// The session.
    pub session: NewSession,
    /// Where the browser goes now.
    pub return_to: ReturnTo,
}

/// Every other claim of an ID token or a user-info answer (the standard ones are the crate's).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct OtherClaims(Map<String, Value>);

impl AdditionalClaims for OtherClaims {}

type TokenFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type TokenAnswer = StandardTokenResponse<TokenFields, CoreTokenType>;

/// The client as discovery makes it: authorization endpoint set, token and user-info
/// endpoints as the provider names them.
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenAnswer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The HTTP client `openidconnect` uses: `http_client`, off the async workers.
async fn http(request: HttpRequest) -> Result<HttpResponse, PostError> {
    tokio::task::spawn_blocking(move || http_client::send(request))
        .await
        .map_err(|e| PostError::Exchange(format!("request task: {e}")))?
}

/// The discovered client and when it was discovered; when discovery last failed.
#[derive(Default)]
struct Discovered {
    client: Option<(Instant, Arc<OidcClient>)>,
    failed_at: Option<Instant>,
}

struct Inner {
    settings: OidcSettings,
    issuer: IssuerUrl,
    db: Db,
    accounts: Accounts,
    discovered: tokio::sync::Mutex<Discovered>,
}

/// Sign-in through the deployment's identity provider (or, without one, refusals).
#[derive(Clone)]
pub struct IdentityProvider {
    inner: Option<Arc<Inner>>,
}

/// What the provider says about the person, as the settings name the claims.
#[derive(Debug, Default)]
struct Identity {
    /// `<iss> <sub>`, as `accounts.oidc_subject` keeps it.
    subject: String,
    username: Option<String>,
    id_number: Option<String>,
    tax_code: Option<String>,
    name: Option<String>,
}

impl Identity {
    fn maps_to_something(&self) -> bool {
        self.username.is_some() || self.id_number.is_some() || self.tax_code.is_some()
    }

    /// Fills what is missing from `claims` (a JSON object of claims).
    fn fill(&mut self, claims: &Map<String, Value>, settings: &OidcSettings) {
        let text = |name: &Option<String>| {
            name.as_deref()
                .and_then(|n| claims.get(n))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        self.username = self
            .username
            .take()
            .or_else(|| text(&settings.username_claim));
        self.id_number = self
            .id_number
            .take()
            .or_else(|| text(&settings.id_number_claim));
        self.tax_code = self
            .tax_code
            .take()
            .or_else(|| text(&settings.tax_code_claim));
        self.name = self.name.take().or_else(|| text(&Some("name".into())));
    }
}

/// Claims as a JSON object (the crate's claim types serialise to what the provider sent).
fn claims_object(claims: &impl serde::Serialize) -> Map<String, Value> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

impl IdentityProvider {
    /// The provider of `settings` (none: sign-in through a provider is refused), over `db`,
    /// opening sessions through `accounts`. Contacts nothing yet.
    pub fn new(db: Db, accounts: Accounts, settings: Option<OidcSettings>) -> Self {
        let inner = settings.and_then(|settings| {
            let issuer = match issuer_url(&settings.issuer) {
                Ok(i) => i,
                Err(rule) => {
                    // `config` checked it; a caller that did not gets no provider.
                    tracing::error!(%rule, "oidc_issuer: identity provider disabled");
                    return None;
                }
            };
            tracing::info!(issuer = %issuer.as_str(), client_id = %settings.client_id,
                "sign-in through the identity provider (contacted at the first sign-in)");
            Some(Arc::new(Inner {
                settings,
                issuer,
                db,
                accounts,
                discovered: tokio::sync::Mutex::new(Discovered::default()),
            }))
        });
        Self { inner }
    }

    /// Whether the deployment has an identity provider.
    pub fn is_configured(&self) -> bool {
        self.inner.is_some()
    }

    fn inner(&self) -> Result<&Inner, OidcError> {
        self.inner.as_deref().ok_or(OidcError::NotConfigured)
    }

    /// Begins a sign-in: records the flow and returns the provider's authorization URL (with
    /// the PKCE challenge, `state` and `nonce`) and the state for the browser's cookie.
    pub async fn begin(&self, return_to: Option<&str>) -> Result<Begun, OidcError> {
        let inner = self.inner()?;
        let return_to = match return_to {
            None | Some("") => ReturnTo::default(),
            Some(t) => ReturnTo::parse(t).ok_or(OidcError::InvalidReturnTo)?,
        };
        let client = inner.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &inner.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let now = Timestamp::now();
        let expired_before = Timestamp::from(now.as_offset_date_time() - FLOW_LIFETIME);
        inner
            .db
            .insert_oidc_flow(
                &OidcFlowRow {
                    state_hash: state_hash(state.secret()),
                    pkce_verifier: verifier.secret().clone(),
                    nonce: nonce.secret().clone(),
                    return_to: return_to.as_str().to_owned(),
                    created_at: now.to_string(),
                },
                &expired_before.to_string(),
            )
            .await?;
        Ok(Begun {
            url: url.to_string(),
            state: state.secret().clone(),
        })
    }

    /// Finishes a sign-in: takes the flow, exchanges the code, verifies the ID token, finds or
    /// makes the account and opens its session.
    pub async fn finish(&self, callback: Callback) -> Result<SignedIn, OidcError> {
        let inner = self.inner()?;
        let address = callback.address.map(|a| a.to_string());
        let address = address.as_deref();
        let flow = inner.take_flow(&callback).await?;
        if let Some(error) = callback.error.as_deref() {
            let description = callback
                .error_description
                .as_deref()
                .map(|d| d.chars().filter(|c| !c.is_control()).take(200).collect())
                .unwrap_or_else(|| error.to_owned());
            inner
                .refused(None, None, address, &format!("provider answered {error}"))
                .await;
            return Err(if error == "access_denied" {
                OidcError::Denied(description)
            } else {
                OidcError::ProviderError(description)
            });
        }
        let code = callback.code.ok_or(OidcError::InvalidState)?;
        if let Some(iss) = callback.iss.as_deref()
            && iss.trim_end_matches('/') != inner.issuer.as_str().trim_end_matches('/')
        {
            inner
                .refused(None, None, address, "callback from another issuer")
                .await;
            return Err(OidcError::IssuerMismatch);
        }
        let client = inner.client(false).await?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| OidcError::Unavailable("the provider names no token endpoint".into()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    OidcError::CodeRefused(r.error().as_ref().to_owned())
                }
                RequestTokenError::Request(e) => OidcError::Unavailable(e.to_string()),
                RequestTokenError::Parse(e, _) => {
                    OidcError::Unavailable(format!("token response: {e}"))
                }
                RequestTokenError::Other(e) => OidcError::Unavailable(e),
            })?;
        let nonce = Nonce::new(flow.nonce);
        let id_token = answer
            .id_token()
            .ok_or_else(|| OidcError::InvalidIdToken("the token response has none".into()))?;
        let (client, claims) = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => (client.clone(), claims_object(c)),
            Err(ClaimsVerificationError::SignatureVerification(_))
                if inner.keys_older_than(REFRESH_KEYS_AFTER).await =>
            {
                // The provider may have rotated its keys since they were fetched.
                let fresh = inner.client(true).await?;
                let claims = id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(|e| OidcError::InvalidIdToken(e.to_string()))?;
                (fresh.clone(), claims_object(claims))
            }
            Err(e) => {
                inner
                    .refused(None, None, address, &format!("ID token: {e}"))
                    .await;
                return Err(OidcError::InvalidIdToken(e.to_string()));
            }
        };
        let (Some(iss), Some(sub)) = (
            claims.get("iss").and_then(Value::as_str),
            claims.get("sub").and_then(Value::as_str),
        ) else {
            return Err(OidcError::InvalidIdToken("no iss or sub".into()));
        };
        let mut identity = Identity {
            subject: format!("{iss} {sub}"),
            ..Identity::default()
        };
        identity.fill(&claims, &inner.settings);
        let row = match inner.db.account_by_oidc_subject(&identity.subject).await? {
            Some(row) => row,
            None => {
                if !identity.maps_to_something() {
                    inner
                        .user_info(&client, &answer, sub, &mut identity)
                        .await?;
                }
                inner.account_for(&identity, address).await?
            }
        };
        if row.disabled_at.is_some() {
            inner
                .refused(Some(&row), None, address, "account disabled")
                .await;
            return Err(OidcError::Disabled);
        }
        let session = inner
            .accounts
            .open_session(&row, address, "identity_provider")
            .await?;
        Ok(SignedIn {
            session,
            return_to: ReturnTo(flow.return_to),
        })
    }
}

/// The stored form of a flow's `state`.
fn state_hash(state: &str) -> String {
    Sha256Digest::of(state.as_bytes()).to_hex()
}

impl Inner {
    /// The discovered client: discovered now when there is none, when it is older than
    /// [`METADATA_MAX_AGE`], or when `fresh` is asked for; a stale one serves while the provider
    /// cannot be reached.
    async fn client(&self, fresh: bool) -> Result<Arc<OidcClient>, OidcError> {
        let mut d = self.discovered.lock().await;
        let current = d
            .client
            .as_ref()
            .filter(|(at, _)| !fresh && at.elapsed() < METADATA_MAX_AGE)
            .map(|(_, c)| c.clone());
        if let Some(c) = current {
            return Ok(c);
        }
        if let Some(failed) = d.failed_at
            && failed.elapsed() < RETRY_DISCOVERY_AFTER
        {
            return d
                .client
                .as_ref()
                .map(|(_, c)| c.clone())
                .ok_or_else(|| OidcError::Unavailable("its discovery failed a moment ago".into()));
        }
        match CoreProviderMetadata::discover_async(self.issuer.clone(), &http).await {
            Ok(metadata) => {
                let client = OidcClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.settings.client_id.clone()),
                    Some(ClientSecret::new(self.settings.client_secret.clone())),
                )
                .set_redirect_uri(
                    RedirectUrl::new(self.settings.redirect_url.clone())
                        .map_err(|e| OidcError::Unavailable(format!("redirect URL: {e}")))?,
                );
                let client = Arc::new(client);
                d.client = Some((Instant::now(), client.clone()));
                d.failed_at = None;
                tracing::info!(issuer = %self.issuer.as_str(), "identity provider discovered");
                Ok(client)
            }
            Err(e) => {
                d.failed_at = Some(Instant::now());
                tracing::warn!(issuer = %self.issuer.as_str(), error = %e,
                    "identity provider discovery failed");
                match &d.client {
                    Some((_, stale)) => Ok(stale.clone()),
                    None => Err(OidcError::Unavailable(e.to_string())),
                }
            }
        }
    }

    async fn keys_older_than(&self, age: Duration) -> bool {
        let d = self.discovered.lock().await;
        d.client.as_ref().is_none_or(|(at, _)| at.elapsed() >= age)
    }

    /// Takes the callback's flow: the browser's cookie must hold the same state, the flow must
    /// exist (it is deleted as it is taken) and be younger than [`FLOW_LIFETIME`].
    async fn take_flow(&self, callback: &Callback) -> Result<OidcFlowRow, OidcError> {
        let address = callback.address.map(|a| a.to_string());
        let (Some(state), Some(kept)) = (&callback.state, &callback.browser_state) else {
            self.refused(
                None,
                None,
                address.as_deref(),
                "no state or no state cookie",
            )
            .await;
            return Err(OidcError::InvalidState);
        };
        if state.len() != kept.len() || !openssl::memcmp::eq(state.as_bytes(), kept.as_bytes()) {
            self.refused(None, None, address.as_deref(), "state is not the browser's")
                .await;
            return Err(OidcError::InvalidState);
        }
        let Some(flow) = self.db.take_oidc_flow(&state_hash(state)).await? else {
            self.refused(None, None, address.as_deref(), "unknown or used state")
                .await;
            return Err(OidcError::InvalidState);
        };
        let begun = Timestamp::parse(&flow.created_at)
            .map_err(|e| AccountError::Corrupt(format!("oidc flow: {e}")))?;
        if Timestamp::now().as_offset_date_time() - begun.as_offset_date_time() > FLOW_LIFETIME {
            self.refused(None, None, address.as_deref(), "flow expired")
                .await;
            return Err(OidcError::Expired);
        }
        Ok(flow)
    }

    /// Adds the user-info endpoint's claims to `identity` (when the provider has one): many
    /// providers put scope claims there rather than in the ID token.
    async fn user_info(
        &self,
        client: &OidcClient,
        answer: &TokenAnswer,
        sub: &str,
        identity: &mut Identity,
    ) -> Result<(), OidcError> {
        let Ok(request) = client.user_info(
            answer.access_token().clone(),
            Some(openidconnect::SubjectIdentifier::new(sub.to_owned())),
        ) else {
            return Ok(());
        };
        let claims = request
            .request_async::<OtherClaims, _, CoreGenderClaim>(&http)
            .await
            .map_err(|e| OidcError::Unavailable(format!("user info: {e}")))?;
        identity.fill(&claims_object(&claims), &self.settings);
        Ok(())
    }

    /// The account the identity maps to (see the module's documentation), bound to its
    /// subject; refusals recorded.
    async fn account_for(
        &self,
        identity: &Identity,
        address: Option<&str>,
    ) -> Result<AccountRow, OidcError> {
        let typed = identity.username.as_deref().and_then(Username::parse);
        if let Some(username) = &typed
            && let Some(row) = self.db.account_by_username(username.as_str()).await?
            && Role::parse(&row.role).is_some_and(Role::is_staff)
        {
            return self.bind(row, identity, "username claim", address).await;
        }
        let applicant = if let Some(number) = &identity.id_number {
            let claim = self.settings.id_number_claim.clone().unwrap_or_default();
            let n = IdNumber::parse(number).map_err(|e| OidcError::InvalidClaim {
                claim,
                rule: e.rule,
            })?;
            Some((Role::Citizen, n.as_str().to_owned()))
        } else if let Some(code) = &identity.tax_code {
            let claim = self.settings.tax_code_claim.clone().unwrap_or_default();
            let t = TaxCode::parse(code).map_err(|e| OidcError::InvalidClaim {
                claim,
                rule: e.rule,
            })?;
            Some((Role::Business, t.as_str().to_owned()))
        } else {
            None
        };
        let Some((role, number)) = applicant else {
            self.refused(
                None,
                typed.as_ref().map(Username::as_str),
                address,
                "no account for the identity",
            )
            .await;
            return Err(OidcError::NoAccount);
        };
        let existing = self.db.applicant_accounts(role.as_str(), &number).await?;
        match existing.as_slice() {
            [] => {
                self.create_applicant(role, &number, identity, address)
                    .await
            }
            [row] => {
                let claim = match role {
                    Role::Citizen => "identification number claim",
                    _ => "tax code claim",
                };
                self.bind(row.clone(), identity, claim, address).await
            }
            _ => {
                self.refused(None, None, address, "several accounts have the number")
                    .await;
                Err(OidcError::NoAccount)
            }
        }
    }

    /// Binds `row` to the identity's subject, unless it is bound to another.
    async fn bind(
        &self,
        row: AccountRow,
        identity: &Identity,
        how: &str,
        address: Option<&str>,
    ) -> Result<AccountRow, OidcError> {
        if row.disabled_at.is_some() {
            self.refused(Some(&row), None, address, "account disabled")
                .await;
            return Err(OidcError::Disabled);
        }
        let now = Timestamp::now().to_string();
        let bound = match &row.oidc_subject {
            Some(s) => s == &identity.subject,
            None => {
                self.db
                    .bind_oidc_subject(&row.id, &identity.subject, &now)
                    .await?
                    // Bound meanwhile (another node, the same person): to this subject?
                    || self
                        .db
                        .account(&row.id)
                        .await?
                        .is_some_and(|r| r.oidc_subject.as_deref() == Some(&identity.subject))
            }
        };
        if !bound {
            self.refused(
                Some(&row),
                None,
                address,
                "account bound to another identity",
            )
            .await;
            return Err(OidcError::NoAccount);
        }
        if row.oidc_subject.is_none() {
            self.accounts
                .event(
                    "identity_provider_bound",
                    Some(&row),
                    None,
                    None,
                    address,
                    Some(how),
                )
                .await;
        }
        Ok(AccountRow {
            oidc_subject: Some(identity.subject.clone()),
            ..row
        })
    }

    /// Creates the applicant's account at their first sign-in: no password, named from the
    /// `name` claim, username `citizen-<number>` or `business-<tax code>`; bound to the subject.
    async fn create_applicant(
        &self,
        role: Role,
        number: &str,
        identity: &Identity,
        address: Option<&str>,
    ) -> Result<AccountRow, OidcError> {
        let username = Username::parse(&format!("{}-{number}", role.as_str()))
            .ok_or_else(|| AccountError::Corrupt(format!("username for {role}")))?;
        let name = identity.name.clone().filter(|n| {
            n.chars().count() <= super::MAX_TOKEN_TEXT_CHARS && !n.chars().any(char::is_control)
        });
        let rights = NewToken {
            role,
            tax_code: (role == Role::Business)
                .then(|| TaxCode::parse(number).ok())
                .flatten(),
            id_number: (role == Role::Citizen)
                .then(|| IdNumber::parse(number).ok())
                .flatten(),
            agency: None,
            name,
            branches: false,
            unit: None,
        };
        let created = self
            .accounts
            .create(
                Manager::IdentityProvider,
                NewAccount {
                    username: username.clone(),
                    rights,
                    password: None,
                },
                &|_| false,
                &|_| false,
            )
            .await;
        let row = match created {
            Ok(account) => self.db.account(&account.id).await?,
            // Made meanwhile by another sign-in of the same person (or the username is an
            // account of someone else's: then its number differs and it is refused below).
            Err(AccountError::UsernameTaken) => {
                self.db.account_by_username(username.as_str()).await?
            }
            Err(e) => return Err(e.into()),
        };
        let row = row
            .filter(|r| {
                r.role == role.as_str()
                    && (r.id_number.as_deref() == Some(number)
                        || r.tax_code.as_deref() == Some(number))
            })
            .ok_or(OidcError::NoAccount)?;
        self.bind(row, identity, "created at first sign-in", address)
            .await
    }

    /// Records a refused sign-in through the provider.
    async fn refused(
        &self,
        row: Option<&AccountRow>,
        username: Option<&str>,
        address: Option<&str>,
        why: &str,
    ) {
        self.accounts
            .event(
                "identity_provider_refused",
                row,
                username,
                None,
                address,
                Some(why),
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "https://id.example.gov.vn/realms/motcua".into(),
            client_id: "motcua".into(),
            client_secret: "s3cr3t-value".into(),
            redirect_url: "https://motcua.example.gov.vn/api/v1/session/oidc/callback".into(),
            scopes: vec!["profile".into()],
            username_claim: Some("preferred_username".into()),
            id_number_claim: Some("id_number".into()),
            tax_code_claim: Some("tax_code".into()),
        }
    }

    #[test]
    fn return_to_is_a_path_of_this_service_only() {
        for ok in [
            "/",
            "/dossiers",
            "/dossiers?status=RECEIVED&x=%2F",
            "/a/b#c",
        ] {
            assert_eq!(ReturnTo::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "dossiers",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/a b",
            "/a\r\nSet-Cookie: x=y",
            &format!("/{}", "a".repeat(MAX_RETURN_TO)),
        ] {
            assert_eq!(ReturnTo::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn issuers_are_https_or_on_the_loopback() {
        for ok in [
            "https://id.example.gov.vn",
            "https://id.example.gov.vn/realms/motcua",
            "http://127.0.0.1:8081",
            "http://localhost:8081/",
            "http://[::1]:8081",
        ] {
            assert!(issuer_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://id.example.gov.vn",
            "http://10.0.0.1",
            "ftp://id.example.gov.vn",
            "https://id.example.gov.vn/?realm=x",
            "id.example.gov.vn",
        ] {
            assert!(issuer_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_name_the_one_at_fault() {
        assert_eq!(settings().check(), Ok(()));
        let fault = |s: OidcSettings| s.check().unwrap_err().0;
        assert_eq!(
            fault(OidcSettings {
                issuer: "http://id.example.gov.vn".into(),
                ..settings()
            }),
            "oidc_issuer"
        );
        assert_eq!(
            fault(OidcSettings {
                client_id: " ".into(),
                ..settings()
            }),
            "oidc_client_id"
        );
        assert_eq!(
            fault(OidcSettings {
                redirect_url: "/api/v1/session/oidc/callback".into(),
                ..settings()
            }),
            "oidc_redirect_url"
        );
        assert_eq!(
            fault(OidcSettings {
                scopes: vec!["a\"b".into()],
                ..settings()
            }),
            "oidc_scopes"
        );
        assert_eq!(
            fault(OidcSettings {
                tax_code_claim: Some(String::new()),
                ..settings()
            }),
            "oidc_tax_code_claim"
        );
    }

    #[test]
    fn the_client_secret_is_never_printed() {
        let printed = format!("{:?}", settings());
        assert!(!printed.contains("s3cr3t-value"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn claims_are_read_by_the_names_the_settings_give() {
        let claims = serde_json::json!({
            "sub": "x", "preferred_username": " canbo1 ", "id_number": 1203004567,
            "ma_so_thue": "0101234567", "name": "Nguyễn Văn An",
        });
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        let mut s = settings();
        s.tax_code_claim = Some("ma_so_thue".into());
        let mut identity = Identity::default();
        identity.fill(&claims, &s);
        assert_eq!(identity.username.as_deref(), Some("canbo1"));
        // A number is not an identification number: its leading zeros are lost.
        assert_eq!(identity.id_number, None);
        assert_eq!(identity.tax_code.as_deref(), Some("0101234567"));
        assert_eq!(identity.name.as_deref(), Some("Nguyễn Văn An"));

        s.username_claim = None;
        let mut identity = Identity::default();
        identity.fill(&claims, &s);
        assert_eq!(identity.username, None, "`none` turns the claim off");
    }
}
