//! The procedure catalogue (`/admin/procedures`): the catalogue in force as a table; a TOML
//! file uploaded (`POST /admin/procedures/preview`) is checked and compared with it (procedures
//! added, removed, and each field changed, before and after), then published from that page
//! (`POST /admin/procedures/publish`) as `PUT /api/v1/procedures` does.
//!
//! Never decides: the check is the catalogue's own (`Catalogue::from_toml`), the comparison
//! its `differences`, and publishing `publish_catalogue` with the person's principal (which
//! refuses anyone but an administrator). Publishing refuses a preview drawn against a
//! catalogue that has changed since, so no one publishes differences they did not see.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::dossier::catalogue::{Catalogue, Difference};
use crate::dossier::{ApplicantKind, Procedure};
use crate::storage::Sha256Digest;

use super::super::super::error::{multipart_error, read_part_limited};
use super::super::super::extract::Form as Multipart;
use super::super::super::{ApiError, AppState};
use super::super::format::number;
use super::super::i18n::{Lang, Messages};
use super::super::{Signed, UserBar, failure, page, see_other};
use super::Refusal;

/// The largest catalogue file, as `PUT /api/v1/procedures` takes.
const MAX_FILE: usize = 1024 * 1024;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/procedures", get(show))
        .route("/admin/procedures/preview", post(preview))
        .route("/admin/procedures/publish", post(publish))
}

fn name_of(p: &Procedure, lang: Lang) -> String {
    match lang {
        Lang::Vi => p.name_vi.clone(),
        Lang::En => p.name_en.clone(),
    }
}

/// The catalogue in force, as a fingerprint a preview carries to its publish form.
fn fingerprint(c: &Catalogue) -> String {
    let all: Vec<&Procedure> = c.iter().collect();
    Sha256Digest::of(&serde_json::to_vec(&all).unwrap_or_default()).to_hex()
}

struct Row {
    code: String,
    name: String,
    agency: String,
    days: String,
    online: String,
    applicants: String,
    originals: String,
    papers: String,
}

fn rows(c: &Catalogue, t: &Messages, lang: Lang) -> Vec<Row> {
    c.iter()
        .map(|p| Row {
            code: p.code.clone(),
            name: name_of(p, lang),
            agency: p.agency.clone(),
            days: number(u64::from(p.processing_days)),
            online: t.get(match p.level {
                crate::dossier::catalogue::ProvisionLevel::Full => "admin-online-full",
                crate::dossier::catalogue::ProvisionLevel::Partial => "admin-online-partial",
            }),
            applicants: p
                .applicants
                .iter()
                .map(|a| {
                    t.get(match a {
                        ApplicantKind::Business => "role-business",
                        ApplicantKind::Citizen => "role-citizen",
                    })
                })
                .collect::<Vec<_>>()
                .join(", "),
            originals: t.get(if p.originals_required {
                "admin-yes"
            } else {
                "admin-no"
            }),
            papers: number(p.components.len() as u64),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct CataloguePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<Refusal>,
    csrf_token: String,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    published: Option<u8>,
}

fn catalogue_page(
    state: &AppState,
    signed: &Signed,
    notice: Option<String>,
    refused: Option<&ApiError>,
) -> Response {
    let t = signed.t();
    page(
        refused.map_or(StatusCode::OK, ApiError::status),
        CataloguePage {
            lang: signed.lang,
            t,
            back: "/admin/procedures",
            user: signed.bar(),
            rows: rows(&state.dossiers.catalogue(), t, signed.lang),
            notice,
            error: refused.map(|e| Refusal::of(t, e)),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

/// The catalogue in force and the upload form.
async fn show(State(state): State<AppState>, signed: Signed, Query(done): Query<Done>) -> Response {
    let notice = done
        .published
        .map(|_| signed.t().get("admin-catalogue-published"));
    catalogue_page(&state, &signed, notice, None)
}

/// A procedure added or removed.
struct Named {
    code: String,
    name: String,
}

/// A field changed.
struct Change {
    field: String,
    before: String,
    after: String,
}

/// A procedure changed, with its fields.
struct Changed {
    code: String,
    name: String,
    changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "admin_procedures_preview.html")]
struct PreviewPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    filename: String,
    added: Vec<Named>,
    removed: Vec<Named>,
    changed: Vec<Changed>,
    text: String,
    current: String,
    csrf_token: String,
}

/// Reads the upload form: its token first (nothing is read before it is checked), then the
/// file, as text.
async fn read_upload(
    signed: &Signed,
    multipart: &mut axum::extract::Multipart,
) -> Result<(String, String), ApiError> {
    signed.check_multipart(multipart).await?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "catalogue" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let bytes =
                read_part_limited(field, MAX_FILE, "request_too_large", "the catalogue").await?;
            let text = String::from_utf8(bytes).map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "the catalogue is not UTF-8 text",
                )
            })?;
            return Ok((filename, text));
        }
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
        "no catalogue file was chosen",
    ))
}

/// Checks an uploaded catalogue and shows what publishing it would change.
async fn preview(
    State(state): State<AppState>,
    signed: Signed,
    Multipart(mut multipart): Multipart,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let (filename, text) = match read_upload(&signed, &mut multipart).await {
        Ok(x) => x,
        Err(e) if e.code() == "form_expired" => return failure(lang, &e),
        Err(e) => return catalogue_page(&state, &signed, None, Some(&e)),
    };
    let new = match Catalogue::from_toml(&text) {
        Ok(c) => c,
        Err(e) => {
            let e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                e.to_string(),
            );
            return catalogue_page(&state, &signed, None, Some(&e));
        }
    };
    let current = state.dossiers.catalogue();
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for d in current.differences(&new) {
        match d {
            Difference::Added(code) => added.push(Named {
                name: new.get(&code).map(|p| name_of(p, lang)).unwrap_or_default(),
                code,
            }),
            Difference::Removed(code) => removed.push(Named {
                name: current
                    .get(&code)
                    .map(|p| name_of(p, lang))
                    .unwrap_or_default(),
                code,
            }),
            Difference::Changed(code, fields) => changed.push(Changed {
                name: new.get(&code).map(|p| name_of(p, lang)).unwrap_or_default(),
                code,
                changes: fields
                    .into_iter()
                    .map(|f| {
                        let key = format!("admin-field-{}", f.field);
                        let words = t.get(&key);
                        Change {
                            field: if words == key {
                                f.field.to_owned()
                            } else {
                                words
                            },
                            before: f.before,
                            after: f.after,
                        }
                    })
                    .collect(),
            }),
        }
    }
    page(
        StatusCode::OK,
        PreviewPage {
            lang,
            t,
            back: "/admin/procedures",
            user: signed.bar(),
            filename,
            added,
            removed,
            changed,
            text,
            current: fingerprint(&current),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

#[derive(Debug, Default, Deserialize)]
struct PublishForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    text: String,
}

/// Publishes the previewed catalogue, as `PUT /api/v1/procedures` does, unless the catalogue
/// in force changed since the preview.
async fn publish(
    State(state): State<AppState>,
    signed: Signed,
    Form(f): Form<PublishForm>,
) -> Response {
    let lang = signed.lang;
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    if f.current != fingerprint(&state.dossiers.catalogue()) {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::CONFLICT,
                "catalogue_changed",
                "the catalogue in force changed since the preview",
            ),
        );
    }
    match state
        .dossiers
        // A browser sends a text field's line ends as CRLF: the file as it was uploaded.
        .publish_catalogue(signed.principal(), &f.text.replace("\r\n", "\n"))
        .await
    {
        Ok(_) => see_other("/admin/procedures?published=1"),
        Err(e) => failure(lang, &ApiError::from(e)),
    }
}
