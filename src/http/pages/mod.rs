//! The screens for people (issue 16, part 1): server-rendered HTML from templates compiled into
//! the binary (askama, `templates/`), words from the message files (`i18n`), our own stylesheet,
//! no script and no request to any other host. Every control is a real link or form.
//!
//! Owns: the page routes, the language cookie, the sign-in form's own CSRF token (a cookie and
//! a hidden field that must match, against login CSRF), the security headers of pages. Never
//! decides anything the API would not: pages call the same services, with the same rules.

mod account;
mod admin;
mod applicant;
mod archive;
mod counter;
mod format;
pub mod i18n;
mod issue;
mod originals;
pub(super) mod public;
mod receive;
mod script;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::AccountError;
use crate::auth::accounts::SignIn;
use crate::auth::password::Password;

use super::AppState;
use super::accounts::{Address, PrivateTransport, cookie};
use super::auth::{cookie_value, session_secret};
use i18n::{Lang, Messages};

/// The cookie and hidden field of the sign-in form (double submit).
const FORM_COOKIE: &str = "__Host-motcua-form";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/language", post(language))
        .route("/assets/motcua.css", get(stylesheet))
        .route("/assets/fonts/{name}", get(font))
        .route("/assets/upload.js", get(script::upload_js))
        .merge(account::router())
        .merge(applicant::router())
        .merge(receive::router())
        .merge(issue::router())
        .merge(originals::router())
        .merge(counter::router())
        .merge(public::router())
        .merge(archive::router())
        .merge(admin::router())
}

/// What the header shows of the person signed in: their name, their role, the links of their
/// work and the sign-out form (which carries the session's CSRF token).
pub(super) struct UserBar {
    name: String,
    role: String,
    csrf_token: String,
    /// Staff see the work queue.
    staff: bool,
    /// Archivists and administrators see the archive.
    archive: bool,
    /// Administrators see their screens.
    admin: bool,
}

/// A signed-in person on a page: their session and language. Without a session, the page
/// sends them to the sign-in form; an account that must enrol a second factor goes to the
/// start page, which says so.
pub(super) struct Signed {
    session: crate::auth::accounts::LiveSession,
    lang: Lang,
}

impl Signed {
    fn principal(&self) -> &crate::auth::Principal {
        &self.session.principal
    }

    fn t(&self) -> &'static Messages {
        Messages::of(self.lang)
    }

    fn bar(&self) -> Option<UserBar> {
        Some(user_bar(&self.session, self.t()))
    }

    /// `None` when the form's hidden CSRF token is the session's; else the page saying the
    /// form expired.
    fn refuse_form(&self, token: &str) -> Option<Response> {
        (!self.session.csrf_matches(token.as_bytes())).then(|| failure(self.lang, &form_expired()))
    }

    /// A multipart form's first field is its CSRF token, and it is the session's: checked
    /// before any other field is read, so nothing is stored for a form from elsewhere.
    async fn check_multipart(
        &self,
        multipart: &mut axum::extract::Multipart,
    ) -> Result<(), super::ApiError> {
        let first = multipart
            .next_field()
            .await
            .map_err(|e| super::error::multipart_error(&e))?
            .ok_or_else(form_expired)?;
        if first.name() != Some("csrf_token") {
            return Err(form_expired());
        }
        let token =
            super::error::read_part_limited(first, 256, "request_too_large", "the form's token")
                .await?;
        if self.session.csrf_matches(&token) {
            Ok(())
        } else {
            Err(form_expired())
        }
    }
}

fn user_bar(s: &crate::auth::accounts::LiveSession, t: &Messages) -> UserBar {
    let p = &s.principal;
    UserBar {
        name: p.name.clone().unwrap_or_else(|| s.username.clone()),
        role: t.get(&format!("role-{}", p.role)),
        csrf_token: s.csrf_token.clone(),
        staff: p.role.is_staff(),
        archive: crate::archive::works_in_archive(p).is_ok(),
        admin: p.role == crate::auth::Role::Admin,
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        signed(parts, state, false).await
    }
}

/// A signed-in person who may still have to enrol a second factor (the enrolment pages).
pub(super) struct Enrolling(Signed);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        signed(parts, state, true).await.map(Self)
    }
}

async fn signed(parts: &Parts, state: &AppState, enrolling: bool) -> Result<Signed, Response> {
    let lang = request_lang(&parts.headers);
    let Some(secret) = session_secret(&parts.headers) else {
        return Err(see_other("/sign-in"));
    };
    match state.accounts.session(&secret).await {
        Ok(Some(session)) if session.enrol_only && !enrolling => Err(see_other("/")),
        Ok(Some(session)) => Ok(Signed { session, lang }),
        Ok(None) => Err(see_other("/sign-in")),
        Err(e) => {
            tracing::error!(error = %e, "reading a session");
            Err(error_page(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                Messages::of(lang).get("error-unavailable"),
            ))
        }
    }
}

/// The files of a browser's multipart form (after its CSRF token): every part is `file`; an
/// input left empty, which browsers still send with no name and no bytes, is skipped.
pub(super) async fn browser_files(
    state: &AppState,
    multipart: &mut axum::extract::Multipart,
) -> Result<crate::dossier::intake::PendingFiles, super::ApiError> {
    let mut files = crate::dossier::intake::PendingFiles::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| super::error::multipart_error(&e))?
    {
        if field.name() != Some("file") {
            return Err(super::ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unexpected_part",
                "the form sends its files as \"file\"",
            ));
        }
        let filename = super::error::part_filename(&field)?;
        if filename.as_deref().is_none_or(str::is_empty) {
            continue;
        }
        let content_type = field.content_type().map(str::to_owned);
        state
            .dossiers
            .receive_file(
                &mut files,
                filename.as_deref(),
                content_type.as_deref(),
                field,
            )
            .await?;
    }
    Ok(files)
}

/// A form whose CSRF token is not the session's (from another site, or an old page).
pub(super) fn form_expired() -> super::ApiError {
    super::ApiError::new(
        StatusCode::FORBIDDEN,
        "form_expired",
        "the form's token does not match the session",
    )
}

/// The page for an error of the API's vocabulary: the same status, the code's plain words
/// (`error-<code>` in the message files, else the status's), and the code itself for support.
pub(super) fn failure(lang: Lang, e: &super::ApiError) -> Response {
    let t = Messages::of(lang);
    let key = format!("error-{}", e.code());
    let mut words = t.get(&key);
    if words == key {
        let by_status = format!("error-status-{}", e.status().as_u16());
        words = t.get(&by_status);
        if words == by_status {
            words = t.get("error-unavailable");
        }
    }
    if e.status().is_server_error() {
        tracing::error!(code = e.code(), message = e.message(), "a page failed");
    }
    let mut r = error_page(
        lang,
        e.status(),
        t.with_args("error-with-code", &[("words", &words), ("code", e.code())]),
    );
    if let Some(seconds) = e.retry_after()
        && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Whether the request comes from a browser that wants a page (it accepts HTML).
pub(super) fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The person's language, from their cookie.
pub(super) fn request_lang(headers: &HeaderMap) -> Lang {
    Lang::parse(cookie_value(headers, Lang::COOKIE).as_deref())
}

/// The person's language, from their cookie.
struct PageLang(Lang);

impl FromRequestParts<AppState> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(request_lang(&parts.headers)))
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    form_token: String,
    username: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    welcome: String,
    role: String,
    unit: Option<String>,
    enrol: bool,
    staff: bool,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    message: String,
}

/// A rendered page with the headers every page carries: no caching, a strict Content-Security-
/// Policy (nothing but this host; no inline script or style; no framing), nosniff, and a
/// referrer policy that keeps paths (which may hold dossier codes) on this host.
fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let Ok(body) = html else {
        tracing::error!("a page template failed to render");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

fn error_page(lang: Lang, status: StatusCode, message: String) -> Response {
    let t = Messages::of(lang);
    page(
        status,
        ErrorPage {
            lang,
            t,
            back: "/",
            user: None,
            message,
        }
        .render(),
    )
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The start page: who is signed in (else to the sign-in page).
async fn home(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
) -> Response {
    let t = Messages::of(lang);
    let session = match session_secret(&headers) {
        Some(secret) => match state.accounts.session(&secret).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "reading a session");
                return error_page(
                    lang,
                    StatusCode::SERVICE_UNAVAILABLE,
                    t.get("error-unavailable"),
                );
            }
        },
        None => None,
    };
    let Some(s) = session else {
        return see_other("/sign-in");
    };
    let p = &s.principal;
    let name = p.name.clone().unwrap_or_else(|| s.username.clone());
    page(
        StatusCode::OK,
        HomePage {
            lang,
            t,
            back: "/",
            user: Some(user_bar(&s, t)),
            welcome: t.with("welcome", "name", &name),
            role: t.with("signed-in-as", "role", &t.get(&format!("role-{}", p.role))),
            unit: p.unit.as_ref().map(|u| t.with("unit", "unit", u.as_str())),
            enrol: s.enrol_only,
            staff: p.role.is_staff(),
            csrf_token: s.csrf_token.clone(),
        }
        .render(),
    )
}

fn sign_in_form(
    lang: Lang,
    status: StatusCode,
    username: String,
    error: Option<String>,
) -> Response {
    let t = Messages::of(lang);
    let form_token = uuid::Uuid::new_v4().simple().to_string();
    let mut r = page(
        status,
        SignInPage {
            lang,
            t,
            back: "/sign-in",
            user: None,
            form_token: form_token.clone(),
            username,
            error,
        }
        .render(),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={form_token}; Path=/; Secure; HttpOnly; SameSite=Strict"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The sign-in form.
async fn sign_in_page(PageLang(lang): PageLang) -> Response {
    sign_in_form(lang, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

/// Signs in from the form: the same decision as `POST /api/v1/session`, its errors as plain
/// words on the form again.
async fn sign_in(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    transport: Result<PrivateTransport, super::ApiError>,
    Address(address): Address,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let t = Messages::of(lang);
    if transport.is_err() {
        return sign_in_form(
            lang,
            StatusCode::FORBIDDEN,
            f.username,
            Some(t.get("error-https_required")),
        );
    }
    let expected = cookie_value(&headers, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != f.form_token {
        return sign_in_form(
            lang,
            StatusCode::FORBIDDEN,
            f.username,
            Some(t.get("error-form_expired")),
        );
    }
    let attempt = SignIn {
        username: f.username.clone(),
        password: Password::new(f.password),
        second_factor: Some(f.totp).filter(|c| !c.trim().is_empty()),
        address,
    };
    match state.accounts.sign_in(attempt).await {
        Ok(session) => {
            let mut r = see_other("/");
            r.headers_mut()
                .append(header::SET_COOKIE, cookie(Some(&session.secret)));
            r
        }
        Err(AccountError::InvalidCredentials) => sign_in_form(
            lang,
            StatusCode::UNAUTHORIZED,
            f.username,
            Some(t.get("error-invalid_credentials")),
        ),
        Err(AccountError::Throttled(wait)) => {
            let seconds = wait.as_secs().max(1);
            let mut r = sign_in_form(
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                f.username,
                Some(t.with("error-sign_in_locked", "seconds", &seconds.to_string())),
            );
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "signing in from the form");
            error_page(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                t.get("error-unavailable"),
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// Signs out from the form (its hidden field carries the session's CSRF token).
async fn sign_out(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let t = Messages::of(lang);
    let session = match session_secret(&headers) {
        Some(secret) => state.accounts.session(&secret).await.ok().flatten(),
        None => None,
    };
    let Some(s) = session else {
        return see_other("/sign-in");
    };
    if !s.csrf_matches(f.csrf_token.as_bytes()) {
        return error_page(lang, StatusCode::FORBIDDEN, t.get("error-form_expired"));
    }
    if let Err(e) = state.accounts.sign_out(&s).await {
        tracing::error!(error = %e, "signing out");
        return error_page(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            t.get("error-unavailable"),
        );
    }
    let mut r = see_other("/sign-in");
    r.headers_mut().append(header::SET_COOKIE, cookie(None));
    r
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Remembers the chosen language for a year and goes back to the page it was chosen on (a
/// path of this site only).
async fn language(Form(f): Form<LanguageForm>) -> Response {
    let lang = Lang::parse(Some(&f.lang));
    let back = if f.back.starts_with('/') && !f.back.starts_with("//") && !f.back.contains('\\') {
        f.back.as_str()
    } else {
        "/"
    };
    let mut r = see_other(back);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        Lang::COOKIE,
        lang.tag()
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A file of the pages served from the binary, with its type and caching.
pub(super) fn asset(
    body: impl IntoResponse,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The font of the pages (DejaVu Sans, which covers Vietnamese; the same files the result
/// documents embed), so a counter with no Vietnamese font installed still reads right.
async fn font(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let bytes = match name.as_str() {
        "DejaVuSans.ttf" => crate::pdf::font::REGULAR_TTF,
        "DejaVuSans-Bold.ttf" => crate::pdf::font::BOLD_TTF,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    asset(bytes, "font/ttf", "public, max-age=31536000, immutable")
}

async fn stylesheet() -> Response {
    asset(
        include_str!("../../../assets/web/motcua.css"),
        "text/css; charset=utf-8",
        "public, max-age=3600",
    )
}
