//! `/api/v1/reports/processing`: the one-stop figures of a unit and the units below it, per
//! procedure and period, as JSON or (`Accept: text/csv`) CSV. What each figure counts is the
//! `report` module's.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::report::{Figures, Range, Reader, Report, Reports};

use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/reports/processing", get(processing))
}

/// Report parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The unit (with every unit below it) [default: the caller's own unit; for staff bound to
    /// none, the top of the hierarchy].
    unit: Option<String>,
    /// The first day, YYYY-MM-DD (Vietnam).
    from: String,
    /// The last day, YYYY-MM-DD, at most ten years after `from`.
    to: String,
    /// month, quarter, year or none [default: none, the whole range as one period].
    group_by: Option<String>,
}

/// The figures of a row or of the total. Days are Vietnam's; "in the period" means from its
/// first day to its last.
#[derive(Serialize, ToSchema)]
pub struct FiguresJson {
    /// Carried over + received online + received at the counter.
    pub received: i64,
    /// Received in the period (the first move to RECEIVED), filed online by the applicant.
    pub received_online: i64,
    /// Received in the period, filed at the counter by staff.
    pub received_counter: i64,
    /// Received before the period and neither settled nor refused before it.
    pub carried_over: i64,
    /// Settled (result issued) in the period, on or before the due day.
    pub settled_on_time: i64,
    /// Settled in the period after the due day.
    pub settled_late: i64,
    /// Neither settled nor refused at the period's end, not past the due day (judged on the
    /// period's last day or today, whichever is earlier; waiting for the applicant: within
    /// time).
    pub in_progress_on_time: i64,
    /// Neither settled nor refused at the period's end, past the due day.
    pub overdue: i64,
    /// Refused (REJECTED) in the period: returned to the applicant unsettled.
    pub refused: i64,
    /// Supplement requests (moves to SUPPLEMENT_REQUESTED) made in the period.
    pub supplements_requested: i64,
    /// settled_on_time ÷ (settled_on_time + settled_late); null when nothing was settled.
    pub on_time_rate: Option<f64>,
}

impl From<&Figures> for FiguresJson {
    fn from(f: &Figures) -> Self {
        Self {
            received: f.received,
            received_online: f.received_online,
            received_counter: f.received_counter,
            carried_over: f.carried_over,
            settled_on_time: f.settled_on_time,
            settled_late: f.settled_late,
            in_progress_on_time: f.in_progress_on_time,
            overdue: f.overdue,
            refused: f.refused,
            supplements_requested: f.supplements_requested,
            on_time_rate: f.on_time_rate(),
        }
    }
}

/// One row: a unit with the units below it, a procedure, a period.
#[derive(Serialize, ToSchema)]
pub struct ReportRowJson {
    /// The unit's code; its figures count its own dossiers and those of every unit below it.
    pub unit: String,
    /// The procedure's code.
    pub procedure: String,
    /// `2026-03`, `2026-Q1`, `2026`, or `2026-01-01/2026-12-31` (group_by=none).
    pub period: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: FiguresJson,
}

/// A processing report.
#[derive(Serialize, ToSchema)]
pub struct ReportJson {
    /// The unit it is about.
    pub unit: String,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// month, quarter, year or none.
    pub group_by: &'static str,
    /// The day open dossiers are judged on at the end: `to`, or today if earlier.
    pub as_of: String,
    /// Per unit (the unit first, then those below it, depth first), procedure and period; a
    /// unit and procedure with nothing to count have no rows.
    pub rows: Vec<ReportRowJson>,
    /// The unit's figures (with every unit below it) over every procedure and the whole range.
    pub total: FiguresJson,
}

impl From<&Report> for ReportJson {
    fn from(r: &Report) -> Self {
        Self {
            unit: r.unit.as_str().to_owned(),
            from: r.range.from.to_string(),
            to: r.range.to.to_string(),
            group_by: r.range.group_by.as_str(),
            as_of: r.as_of.to_string(),
            rows: r
                .rows
                .iter()
                .map(|row| ReportRowJson {
                    unit: row.unit.as_str().to_owned(),
                    procedure: row.procedure.clone(),
                    period: row.period.clone(),
                    figures: FiguresJson::from(&row.figures),
                })
                .collect(),
            total: FiguresJson::from(&r.total),
        }
    }
}

/// The one-stop processing figures of a unit and the units below it.
///
/// Per procedure and period: received (carried over, online, at the counter), settled on time
/// and late, in progress within time and overdue, refused, supplements requested, and the
/// on-time rate; each row's unit counts its own dossiers and those of every unit below it, and
/// `received` = settled_on_time + settled_late + refused + in_progress_on_time + overdue in
/// every row. Counted afresh from the dossiers and their moves. Staff only: a unit's staff
/// (officers too) read its report and those of the units below it; staff bound to no unit read
/// every unit's. `Accept: text/csv` gives CSV (a header, one line per row, and the total with
/// an empty procedure).
#[utoipa::path(get, path = "/api/v1/reports/processing", tag = "reports", params(ReportParams),
    responses(
        (status = 200, body = ReportJson, description = "JSON, or CSV with Accept: text/csv"),
        (status = 400, body = ErrorBody, description = "invalid_query: a day that is not YYYY-MM-DD, from after to, more than ten years, an unknown group_by"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: applicants"),
        (status = 404, body = ErrorBody, description = "not_found: no such unit, or one beyond the caller's reach")),
    security(("bearer" = [])))]
async fn processing(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid_query(e.body_text()))?;
    let range = Range::parse(&params.from, &params.to, params.group_by.as_deref())?;
    let report = Reports::of(&state.dossiers)
        .processing(Reader::Caller(&principal), params.unit.as_deref(), range)
        .await?;
    let mut response = if wants_csv(&headers) {
        let mut r = report.to_csv().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        // Unit codes are letters, digits and dots; days are digits and dashes.
        if let Ok(v) = HeaderValue::from_str(&format!(
            "attachment; filename=\"report-{}-{}-{}.csv\"",
            report.unit.as_str(),
            report.range.from,
            report.range.to
        )) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        r
    } else {
        json(StatusCode::OK, ReportJson::from(&report))
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

/// Whether the client asked for CSV (and not JSON first).
fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv") && !v.contains("application/json"))
}
