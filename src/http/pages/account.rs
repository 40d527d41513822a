//! A person's own account: enrolling a second factor (`POST /account/second-factor` shows a
//! new key as a QR code and text, `POST /account/second-factor/confirm` checks a code from it
//! and shows the recovery codes, once). The account service decides; these pages only show.
//!
//! Never logs or stores what it shows: the key and the recovery codes travel once, in the page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;

use super::super::{ApiError, AppState};
use super::i18n::{Lang, Messages};
use super::{Enrolling, UserBar, failure, page};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/second-factor", post(begin))
        .route("/account/second-factor/confirm", post(confirm))
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    key: String,
    uri: String,
    /// The QR code as one SVG path (dark modules), and its size in modules.
    qr_path: String,
    qr_size: usize,
    csrf_token: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery.html")]
struct RecoveryPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    codes: Vec<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    /// The key and URI shown, to show them again after a wrong code (the account holds the
    /// pending key; these only redraw the page).
    #[serde(default)]
    key: String,
    #[serde(default)]
    uri: String,
}

/// An SVG path drawing the dark modules of the QR code of `data`, one unit per module.
fn qr_path(data: &str) -> Option<(String, usize)> {
    let (size, modules) = crate::pdf::qr::qr_modules(data).ok()?;
    let mut path = String::new();
    for (i, dark) in modules.iter().enumerate() {
        if *dark {
            // A 4-module quiet zone around the code.
            path.push_str(&format!("M{} {}h1v1h-1z", i % size + 4, i / size + 4));
        }
    }
    Some((path, size + 8))
}

fn enrol_page(signed: &super::Signed, key: String, uri: String, error: Option<String>) -> Response {
    let (qr_path, qr_size) = qr_path(&uri).unwrap_or_default();
    page(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        EnrolPage {
            lang: signed.lang,
            t: signed.t(),
            back: "/",
            user: signed.bar(),
            key,
            uri,
            qr_path,
            qr_size,
            csrf_token: signed.session.csrf_token.clone(),
            error,
        }
        .render(),
    )
}

/// Starts an enrolment: a new key, shown once.
async fn begin(
    State(state): State<AppState>,
    Enrolling(signed): Enrolling,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    match state.accounts.begin_enrolment(&signed.session).await {
        Ok(e) => enrol_page(&signed, e.key, e.uri, None),
        Err(e) => failure(signed.lang, &ApiError::from(e)),
    }
}

/// Confirms the enrolment with a code from the new key; shows the recovery codes once.
async fn confirm(
    State(state): State<AppState>,
    Enrolling(signed): Enrolling,
    Form(f): Form<ConfirmForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    match state
        .accounts
        .confirm_enrolment(&signed.session, f.code.trim())
        .await
    {
        Ok(codes) => page(
            StatusCode::OK,
            RecoveryPage {
                lang: signed.lang,
                t: signed.t(),
                back: "/",
                user: signed.bar(),
                codes,
            }
            .render(),
        ),
        Err(crate::auth::AccountError::WrongCode) => {
            let words = signed.t().get("error-wrong_code");
            enrol_page(&signed, f.key, f.uri, Some(words))
        }
        Err(e) => failure(signed.lang, &ApiError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_drawn_with_a_quiet_zone() {
        let (path, size) = qr_path("otpauth://totp/motcua:admin?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(size >= 21 + 8, "at least a version-1 code and its margins");
        // The top-left finder pattern starts right after the quiet zone.
        assert!(path.starts_with("M4 4h1v1h-1z"));
    }
}
