//! Issuing a result from the counter (`GET /dossiers/{id}/result`: the form; `POST`: preview
//! or sign): the officer picks one of the kinds the procedure issues, types the rows the
//! document prints (one `label: value` per line), reads an unsigned preview in a new tab, then
//! signs and issues it with the agency's identity. The result service decides everything (who
//! may, which kind, what fits on the page) exactly as for `POST /api/v1/dossiers/{id}/results`.
//!
//! Never signs or records on a preview; never keeps what it previews.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::pdf::render::ResultKind;
use crate::result::IssueRequest;

use super::super::{ApiError, AppState};
use super::i18n::{Lang, Messages};
use super::{Signed, UserBar, failure, page, see_other};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/dossiers/{id}/result", get(form).post(act))
}

struct Kind {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "issue.html")]
struct IssuePage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    id: String,
    code: String,
    kinds: Vec<Kind>,
    title: String,
    place: String,
    rows: String,
    csrf_token: String,
}

/// The form, filled with what the dossier already says (applicant, procedure, code).
async fn form(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let d = match state.dossiers.get(signed.principal(), &id).await {
        Ok(d) => d,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    if !signed.principal().role.is_staff() {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only staff issue results",
            ),
        );
    }
    let catalogue = state.dossiers.catalogue();
    let procedure = catalogue.get(&d.procedure);
    let allowed = procedure.map_or_else(|| vec![ResultKind::OutcomeNotice], |p| p.results.clone());
    let kinds = allowed
        .iter()
        .enumerate()
        .map(|(i, k)| Kind {
            value: k.as_str(),
            label: t.get(&format!("result-kind-{}", k.as_str())),
            selected: i == 0,
        })
        .collect();
    // The document prints in Vietnamese, as the records are.
    let vi = Messages::of(Lang::Vi);
    let mut rows = vec![format!(
        "{}: {}",
        vi.get("field-applicant"),
        d.applicant.name()
    )];
    if let Some(tax) = d.applicant.tax_code() {
        rows.push(format!("{}: {}", vi.get("field-tax-code"), tax.as_str()));
    }
    if let Some(n) = d.applicant.id_number() {
        rows.push(format!("{}: {}", vi.get("field-id-number"), n.as_str()));
    }
    // The receiving unit's name; the officer types a place if it is unknown.
    let place = super::counter::receiving_unit_name(&state, &d)
        .await
        .unwrap_or_default();
    page(
        StatusCode::OK,
        IssuePage {
            lang,
            t,
            back: format!("/dossiers/{id}/result"),
            user: signed.bar(),
            code: d.code.to_string(),
            id,
            kinds,
            title: String::new(),
            place,
            rows: rows.join("\n"),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

#[derive(Deserialize)]
struct IssueForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    rows: String,
}

/// The rows the document prints, one `label: value` per line; blank lines skipped.
fn rows(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            line.split_once(':')
                .map(|(l, v)| (l.trim().to_owned(), v.trim().to_owned()))
                .filter(|(l, _)| !l.is_empty())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_result_row",
                        format!("{line:?} is not \"label: value\""),
                    )
                })
        })
        .collect()
}

/// Previews (an unsigned PDF, shown in the browser) or signs and issues.
async fn act(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<IssueForm>,
) -> Response {
    let lang = signed.lang;
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let Some(kind) = ResultKind::parse(f.kind.trim()) else {
        return failure(
            lang,
            &ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_result",
                "choose one of the kinds of result offered",
            ),
        );
    };
    let fields = match rows(&f.rows) {
        Ok(r) => r,
        Err(e) => return failure(lang, &e),
    };
    let request = IssueRequest {
        kind,
        title: f.title.trim().to_owned(),
        fields,
        place: f.place.trim().to_owned(),
        due_date: None,
        procedure: None,
    };
    if f.action == "preview" {
        return match state
            .results
            .preview(signed.principal(), &id, &request)
            .await
        {
            Ok(pdf) => {
                let mut r = pdf.into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/pdf"),
                );
                h.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline; filename=\"xem-truoc.pdf\""),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                r
            }
            Err(e) => failure(lang, &ApiError::from(e)),
        };
    }
    match state.results.issue(signed.principal(), &id, request).await {
        Ok(r) => see_other(&format!("/dossiers/{id}?issued={}", r.code)),
        Err(e) => failure(lang, &ApiError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_a_label_and_a_value() {
        let r =
            rows("Họ và tên: Nguyễn Văn Bé\n\n Ngày sinh : 20/11/2026 \nGhi chú: a: b").unwrap();
        assert_eq!(
            r,
            vec![
                ("Họ và tên".into(), "Nguyễn Văn Bé".into()),
                ("Ngày sinh".into(), "20/11/2026".into()),
                ("Ghi chú".into(), "a: b".into()),
            ]
        );
        assert!(rows("no colon here").is_err());
        assert!(rows(": no label").is_err());
    }
}
