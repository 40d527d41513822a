//! Receiving a dossier at the counter (`GET /dossiers/new`, `POST /dossiers/new`): for a
//! walk-in, or typed in on an applicant's behalf. The officer chooses the procedure, fills the
//! declaration, attaches a file (or scan) for each paper of the catalogue's checklist, and
//! submits; the page then shows the dossier with its signature verdicts and originals decision.
//!
//! The form is turned into the API's declaration and its files are streamed into the same
//! intake as `POST /api/v1/dossiers` (`begin_intake`, `receive_file`, `commit_intake`), so a
//! page can never accept what the API would refuse. The form's CSRF token must be its first
//! field: nothing is stored before it is checked.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::dossier::{ApplicantKind, Procedure};

use super::super::error::{multipart_error, part_filename, read_part_limited};
use super::super::extract::Form;
use super::super::{ApiError, AppState};
use super::i18n::{Lang, Messages};
use super::{Signed, UserBar, failure, page, see_other};
use axum::extract::Form as Form2;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/dossiers/new", get(form).post(receive))
        .route("/dossiers/new/check", post(check))
        .route("/dossiers/new/edit", post(edit))
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct PaperInput {
    index: usize,
    label: String,
}

#[derive(Template)]
#[template(path = "receive.html")]
struct ReceivePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    procedures: Vec<Choice>,
    /// The chosen procedure's code and name, once chosen.
    chosen: Option<(String, String)>,
    business: bool,
    citizen: bool,
    papers: Vec<PaperInput>,
    ask_unit: bool,
    csrf_token: String,
}

#[derive(Deserialize, Default)]
struct FormParams {
    #[serde(default)]
    procedure: String,
}

fn name_of(p: &Procedure, lang: Lang) -> String {
    match lang {
        Lang::Vi => p.name_vi.clone(),
        Lang::En => p.name_en.clone(),
    }
}

/// The form: first the procedure, then the declaration and the papers of its checklist.
async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Query(params): Query<FormParams>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if !signed.principal().role.is_staff() {
        return online_form(&state, &signed, params.procedure.trim(), None).await;
    }
    let catalogue = state.dossiers.catalogue();
    let chosen = catalogue.get(params.procedure.trim());
    let procedures = catalogue
        .iter()
        .map(|p| Choice {
            value: p.code.clone(),
            label: name_of(p, lang),
            selected: chosen.is_some_and(|c| c.code == p.code),
        })
        .collect();
    let papers = chosen
        .map(|p| {
            p.components
                .iter()
                .enumerate()
                .map(|(index, c)| PaperInput {
                    index,
                    label: match lang {
                        Lang::Vi => c.name_vi.clone(),
                        Lang::En => c.name_en.clone(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    // Staff bound to no unit name the receiving unit when there are several.
    let ask_unit = signed.principal().unit.is_none()
        && match state.dossiers.units().list().await {
            Ok(units) => units.len() > 1,
            Err(e) => return failure(lang, &ApiError::unavailable(&e)),
        };
    let back = match chosen {
        Some(p) => format!("/dossiers/new?procedure={}", p.code),
        None => "/dossiers/new".to_owned(),
    };
    page(
        StatusCode::OK,
        ReceivePage {
            lang,
            t,
            back,
            user: signed.bar(),
            procedures,
            business: chosen.is_some_and(|p| p.applicants.contains(&ApplicantKind::Business)),
            citizen: chosen.is_some_and(|p| p.applicants.contains(&ApplicantKind::Citizen)),
            chosen: chosen.map(|p| (p.code.clone(), name_of(p, lang))),
            papers,
            ask_unit,
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

/// The declaration's fields, as the form names them.
#[derive(Default, Clone, Deserialize)]
#[serde(default)]
struct Declared {
    procedure: String,
    applicant_kind: String,
    applicant_number: String,
    applicant_name: String,
    phone: String,
    email: String,
    address: String,
    title: String,
    content: String,
    unit: String,
}

impl Declared {
    fn set(&mut self, name: &str, value: String) -> bool {
        let slot = match name {
            "procedure" => &mut self.procedure,
            "applicant_kind" => &mut self.applicant_kind,
            "applicant_number" => &mut self.applicant_number,
            "applicant_name" => &mut self.applicant_name,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            "address" => &mut self.address,
            "title" => &mut self.title,
            "content" => &mut self.content,
            "unit" => &mut self.unit,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The API's declaration (`POST /api/v1/dossiers`' `dossier` part).
    fn declaration(&self) -> serde_json::Value {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut applicant = serde_json::Map::new();
        let key = if self.applicant_kind == "business" {
            "tax_code"
        } else {
            "id_number"
        };
        applicant.insert(key.into(), self.applicant_number.trim().into());
        applicant.insert("name".into(), self.applicant_name.trim().into());
        let mut contact = serde_json::Map::new();
        for (k, v) in [
            ("phone", &self.phone),
            ("email", &self.email),
            ("address", &self.address),
        ] {
            if let Some(v) = some(v) {
                contact.insert(k.into(), v.into());
            }
        }
        let mut d = serde_json::json!({
            "procedure": self.procedure.trim(),
            "applicant": applicant,
        });
        if let Some(title) = some(&self.title) {
            d["title"] = title.into();
        }
        if !contact.is_empty() {
            d["contact"] = contact.into();
        }
        if let Some(content) = some(&self.content) {
            d["data"] = serde_json::json!({ "content": content });
        }
        if let Some(unit) = some(&self.unit) {
            d["unit"] = unit.into();
        }
        d
    }
}

/// The applicant's own kind and number, which the online form never asks for: the intake
/// would refuse any other anyway.
fn own_identity(p: &crate::auth::Principal) -> Option<(&'static str, String)> {
    if let Some(tax) = &p.tax_code {
        return Some(("business", tax.as_str().to_owned()));
    }
    p.id_number
        .as_ref()
        .map(|n| ("citizen", n.as_str().to_owned()))
}

#[derive(Template)]
#[template(path = "file_online.html")]
struct OnlinePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    procedures: Vec<Choice>,
    chosen: Option<(String, String)>,
    number: String,
    values: Declared,
    ask_unit: bool,
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "file_check.html")]
struct CheckPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    values: Declared,
    shown: Vec<(String, String)>,
    papers: Vec<PaperInput>,
    csrf_token: String,
    script_integrity: &'static str,
}

/// The applicant's online form, step 1: the procedure (those their kind may file), then the
/// declaration, filled again with `values` when they come back to correct it.
async fn online_form(
    state: &AppState,
    signed: &Signed,
    procedure: &str,
    values: Option<Declared>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let Some((kind, number)) = own_identity(signed.principal()) else {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this account files for no applicant",
            ),
        );
    };
    let kind = if kind == "business" {
        ApplicantKind::Business
    } else {
        ApplicantKind::Citizen
    };
    let catalogue = state.dossiers.catalogue();
    let chosen = catalogue
        .get(procedure)
        .filter(|p| p.applicants.contains(&kind));
    let procedures = catalogue
        .iter()
        .filter(|p| p.applicants.contains(&kind))
        .map(|p| Choice {
            value: p.code.clone(),
            label: name_of(p, lang),
            selected: chosen.is_some_and(|c| c.code == p.code),
        })
        .collect();
    let ask_unit = match state.dossiers.units().list().await {
        Ok(units) => units.len() > 1,
        Err(e) => return failure(lang, &ApiError::unavailable(&e)),
    };
    let mut values = values.unwrap_or_default();
    if values.applicant_name.is_empty() {
        values.applicant_name = signed.principal().name.clone().unwrap_or_default();
    }
    page(
        StatusCode::OK,
        OnlinePage {
            lang,
            t,
            back: match chosen {
                Some(p) => format!("/dossiers/new?procedure={}", p.code),
                None => "/dossiers/new".to_owned(),
            },
            user: signed.bar(),
            procedures,
            chosen: chosen.map(|p| (p.code.clone(), name_of(p, lang))),
            number,
            values,
            ask_unit,
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

#[derive(Deserialize)]
struct StepForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    values: Declared,
}

/// Step 2, the check before filing: the declaration as it will be filed, then the papers
/// (with a progress bar where scripts run) and the button that files it.
async fn check(
    State(state): State<AppState>,
    signed: Signed,
    Form2(f): Form2<StepForm>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let Some((kind, number)) = own_identity(signed.principal()) else {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this account files for no applicant",
            ),
        );
    };
    let mut values = f.values;
    values.applicant_kind = kind.to_owned();
    values.applicant_number = number;
    // The declaration is checked as the intake will check it (procedure, applicant, fields),
    // before any file is chosen; nothing is stored.
    let declaration = values.declaration().to_string();
    if let Err(e) = state
        .dossiers
        .begin_intake(signed.principal(), declaration.as_bytes())
        .await
    {
        return failure(lang, &ApiError::from(e));
    }
    let catalogue = state.dossiers.catalogue();
    let Some(procedure) = catalogue.get(values.procedure.trim()) else {
        return failure(lang, &ApiError::not_found("procedure"));
    };
    let mut shown = vec![
        (t.get("field-procedure"), name_of(procedure, lang)),
        (
            t.get(if kind == "business" {
                "field-tax-code"
            } else {
                "field-id-number"
            }),
            values.applicant_number.clone(),
        ),
        (t.get("receive-name"), values.applicant_name.clone()),
    ];
    for (key, value) in [
        ("receive-phone", &values.phone),
        ("receive-email", &values.email),
        ("receive-address", &values.address),
        ("receive-subject", &values.title),
        ("receive-content", &values.content),
        ("receive-unit", &values.unit),
    ] {
        if !value.trim().is_empty() {
            shown.push((t.get(key), value.trim().to_owned()));
        }
    }
    let papers = procedure
        .components
        .iter()
        .enumerate()
        .map(|(index, c)| PaperInput {
            index,
            label: match lang {
                Lang::Vi => c.name_vi.clone(),
                Lang::En => c.name_en.clone(),
            },
        })
        .collect();
    page(
        StatusCode::OK,
        CheckPage {
            lang,
            t,
            back: format!("/dossiers/new?procedure={}", procedure.code),
            user: signed.bar(),
            values,
            shown,
            papers,
            csrf_token: signed.session.csrf_token.clone(),
            script_integrity: super::script::integrity(),
        }
        .render(),
    )
}

/// Back from the check to correct the declaration, with what was typed.
async fn edit(
    State(state): State<AppState>,
    signed: Signed,
    Form2(f): Form2<StepForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let procedure = f.values.procedure.clone();
    online_form(&state, &signed, procedure.trim(), Some(f.values)).await
}

/// A text field of the form is small; the files are what is large.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Receives the dossier: checks the form's token, then streams each chosen file into the
/// intake as the API does, and commits. Inputs left empty (no file chosen) are skipped.
async fn receive(
    State(state): State<AppState>,
    signed: Signed,
    Form(mut multipart): Form,
) -> Response {
    let lang = signed.lang;
    match receive_inner(&state, &signed, &mut multipart).await {
        Ok(id) => see_other(&format!("/dossiers/{id}?received=1")),
        Err(e) => failure(lang, &e),
    }
}

async fn receive_inner(
    state: &AppState,
    signed: &Signed,
    multipart: &mut axum::extract::Multipart,
) -> Result<String, ApiError> {
    let service = &state.dossiers;
    let principal = signed.principal();
    signed.check_multipart(multipart).await?;
    let mut declared = Declared::default();
    let mut pending = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = part_filename(&field)?;
            // A file input left empty still sends a part, with no name and no bytes.
            if filename.as_deref().is_none_or(str::is_empty) {
                continue;
            }
            if pending.is_none() {
                let declaration = declared.declaration().to_string();
                pending = Some(
                    service
                        .begin_intake(principal, declaration.as_bytes())
                        .await?,
                );
            }
            let content_type = field.content_type().map(str::to_owned);
            if let Some(p) = pending.as_mut() {
                service
                    .receive_file(p, filename.as_deref(), content_type.as_deref(), field)
                    .await?;
            }
            continue;
        }
        if pending.is_some() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unexpected_part",
                "the declaration's fields come before the files",
            ));
        }
        let value =
            read_part_limited(field, MAX_FIELD_BYTES, "request_too_large", "a field").await?;
        if !declared.set(&name, String::from_utf8_lossy(&value).into_owned()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unexpected_part",
                format!("the form has no field {name:?}"),
            ));
        }
    }
    let pending = match pending {
        Some(p) => p,
        // No file at all: the intake's own rule says so (after checking the declaration).
        None => {
            let declaration = declared.declaration().to_string();
            service
                .begin_intake(principal, declaration.as_bytes())
                .await?
        }
    };
    let dossier = service.commit_intake(principal, pending).await?;
    Ok(dossier.id)
}
