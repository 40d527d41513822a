//! The administrator's screens (issue 16, part 4), under `/admin`: the one-stop processing
//! report as tables and server-drawn SVG charts (`reports`), accounts (`accounts`), units
//! (`units`), machine tokens (`tokens`) and the procedure catalogue (`procedures`), each a
//! real form that works without script.
//!
//! Owns: the pages and their forms, and turning a service's refusal into words on the form it
//! came from. Never decides a right: every read and change goes through the same service call
//! as the API's handler (`state.accounts`, `state.tokens`, the units, `Reports`,
//! `publish_catalogue`) with the signed-in person's principal, so a page cannot do what the API
//! would refuse; never logs or keeps a password or a new token (they are shown once, on a page
//! that is not cached).

mod accounts;
mod procedures;
mod reports;
mod tokens;
mod units;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::super::{ApiError, AppState};
use super::i18n::{Lang, Messages};
use super::{Signed, UserBar, page};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(hub))
        .merge(reports::router())
        .merge(accounts::router())
        .merge(units::router())
        .merge(tokens::router())
        .merge(procedures::router())
}

/// A service's refusal, to show on the form again: the code's plain words (else the status's),
/// the code for support, and the service's own message (in English) folded away.
struct Refusal {
    words: String,
    detail: String,
}

impl Refusal {
    fn of(t: &Messages, e: &ApiError) -> Self {
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
            tracing::error!(
                code = e.code(),
                message = e.message(),
                "an admin form failed"
            );
        }
        Self {
            words: t.with_args("error-with-code", &[("words", &words), ("code", e.code())]),
            detail: if e.status().is_server_error() {
                String::new()
            } else {
                e.message().to_owned()
            },
        }
    }
}

/// A choice of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The units as `<select>` choices, `chosen` selected: the units in `reach`, by code, each
/// with its name.
fn unit_choices(all: &[crate::unit::Unit], reach: &[String], chosen: &str) -> Vec<Choice> {
    all.iter()
        .filter(|u| reach.iter().any(|r| r == u.code.as_str()))
        .map(|u| Choice {
            value: u.code.as_str().to_owned(),
            label: format!("{} — {}", u.code.as_str(), u.name),
            selected: u.code.as_str() == chosen,
        })
        .collect()
}

struct Task {
    href: &'static str,
    title: String,
    hint: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct HubPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    tasks: Vec<Task>,
}

/// The administrator's start: the five screens, each with what it is for.
async fn hub(signed: Signed) -> Response {
    let t = signed.t();
    let task = |href, key: &str| Task {
        href,
        title: t.get(&format!("admin-{key}-title")),
        hint: t.get(&format!("admin-{key}-hint")),
    };
    page(
        StatusCode::OK,
        HubPage {
            lang: signed.lang,
            t,
            back: "/admin",
            user: signed.bar(),
            tasks: vec![
                task("/admin/reports", "reports"),
                task("/admin/accounts", "accounts"),
                task("/admin/units", "units"),
                task("/admin/tokens", "tokens"),
                task("/admin/procedures", "procedures"),
            ],
        }
        .render(),
    )
}
