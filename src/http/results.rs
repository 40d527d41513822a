//! Results: `POST /api/v1/dossiers/{id}/results` (an officer issues one), `GET
//! /api/v1/dossiers/{id}/results`, `GET /api/v1/results/{code}` and `/pdf`, `POST
//! /api/v1/results/{code}/revocation`; and the public verification pages, without a token:
//! `GET /verify/{code}` (is this result genuine, who signed it and when), `GET /verify` and
//! `POST /verify` (upload a PDF to check it).

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::pdf::render::ResultKind;
use crate::result::{IssueRequest, IssuedResult, ResultError, UploadVerdict, is_genuine};
use crate::signature::Report;

use super::error::{multipart_error, read_part_limited};
use super::extract::{Form, Id, JsonBody, OfDossier};
use super::pages::public::{ResultView, SignerView, VerifyView, verify_page as verify_html};
use super::pages::request_lang;
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn api_router() -> Router<AppState> {
    Router::new()
        .route("/dossiers/{id}/results", post(issue).get(list))
        .route("/results/{code}", get(show))
        .route("/results/{code}/pdf", get(pdf))
        .route("/results/{code}/revocation", post(revoke))
}

pub(super) fn public_router() -> Router<AppState> {
    Router::new()
        .route("/verify", get(upload_form).post(check_upload))
        .route("/verify/{code}", get(verify_page))
        // The upload's own limit (413 `file_too_large`) decides; the framework's 2 MB default
        // would refuse most scanned results first.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024))
}

impl From<ResultError> for ApiError {
    fn from(e: ResultError) -> Self {
        let message = e.to_string();
        match e {
            ResultError::NotFound => ApiError::not_found("result or dossier"),
            ResultError::Render(_) | ResultError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_result", message)
            }
            ResultError::KindNotForProcedure { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "kind_not_for_procedure",
                message,
            ),
            ResultError::AlreadyRevoked(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_revoked", message)
            }
            ResultError::NoIssuer => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_issuer", message)
            }
            ResultError::Signing(crate::signature::sign::SignError::Timestamp(_)) => {
                tracing::error!(error = %message, "time-stamping failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timestamp_unavailable",
                    "the time-stamping authority gave no usable token; nothing was issued, please retry later",
                )
            }
            ResultError::Dossier(d) => d.into(),
            ResultError::Gate(g) => g.into(),
            ResultError::Storage(s) => crate::dossier::DossierError::Storage(s).into(),
            other => ApiError::internal(&other),
        }
    }
}

/// What an officer sends to issue a result.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueJson {
    /// `business_registration`, `birth_registration`, `outcome_notice` (a notice of the
    /// outcome, for procedures without a template of their own): each only for a part whose
    /// procedure issues it (the catalogue's `results`); `dossier_receipt` (the whole dossier's,
    /// issued by the lead agency or the one-stop counter); or `certified_copy` (a certified
    /// electronic copy, "SAO Y", of the scan `document_id` of this dossier, also the lead
    /// agency's or the counter's).
    #[schema(example = "business_registration")]
    kind: String,
    /// For `certified_copy`: the scanned original (a document of this dossier: PDF, JPEG, PNG
    /// or TIFF).
    document_id: Option<String>,
    /// The title; the kind's default when absent.
    #[serde(default)]
    title: String,
    /// Label/value rows printed as the body, in order.
    #[serde(default)]
    #[schema(example = json!([["Tên doanh nghiệp", "Công ty TNHH Ánh Dương"], ["Mã số doanh nghiệp", "0101234565"]]))]
    fields: Vec<(String, String)>,
    /// The place printed before the date (địa danh); required except for `certified_copy`.
    #[schema(example = "Hà Nội")]
    #[serde(default)]
    place: String,
    /// The due date (receipts), YYYY-MM-DD.
    due_date: Option<String>,
    /// For an interlinked dossier (liên thông): the procedure whose part this result
    /// completes; the dossier's own when absent (never with `dossier_receipt`, which completes
    /// no part). Only that part's agency (or the one-stop counter) issues it. The last part's
    /// result moves a PROCESSING dossier to RESULT_ISSUED.
    #[serde(default)]
    procedure: Option<String>,
}

/// An issued result.
#[derive(Serialize, ToSchema)]
pub struct ResultJson {
    id: String,
    /// `<dossier code>-KQ<n>`.
    #[schema(example = "DEMO-261128-0001-KQ1")]
    code: String,
    dossier_id: String,
    kind: String,
    title: String,
    sha256: String,
    size: u64,
    agency: String,
    /// The signing certificate's subject.
    signer: String,
    /// PAdES level.
    level: String,
    issued_at: String,
    ledger_index: u64,
    /// The public verification page.
    verify_url: String,
    /// `issued` or `revoked`.
    status: &'static str,
    revocation: Option<RevocationJson>,
}

/// A revocation.
#[derive(Serialize, ToSchema)]
pub struct RevocationJson {
    reason: String,
    revoked_at: String,
    ledger_index: u64,
}

impl From<&IssuedResult> for ResultJson {
    fn from(r: &IssuedResult) -> Self {
        Self {
            id: r.id.clone(),
            code: r.code.clone(),
            dossier_id: r.dossier_id.clone(),
            kind: r.kind.clone(),
            title: r.title.clone(),
            sha256: r.sha256.to_hex(),
            size: r.size,
            agency: r.agency.clone(),
            signer: r.signer.clone(),
            level: r.level.clone(),
            issued_at: r.issued_at.clone(),
            ledger_index: r.ledger_index,
            verify_url: r.verify_url.clone(),
            status: if r.revocation.is_some() {
                "revoked"
            } else {
                "issued"
            },
            revocation: r.revocation.as_ref().map(|v| RevocationJson {
                reason: v.reason.clone(),
                revoked_at: v.revoked_at.clone(),
                ledger_index: v.ledger_index,
            }),
        }
    }
}

/// Issue a result for a dossier: rendered from a template, signed by the agency (PAdES, visible
/// signature block, QR code to the verification page), stored and logged. Officers: for an
/// interlinked dossier, each agency issues its own part's result, in a kind its procedure
/// issues; the lead agency (the dossier's own procedure's) the receipt and certified copies;
/// the one-stop counter (an officer without an agency) any of them.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/results", tag = "results",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    request_body(content = IssueJson, content_type = "application/json"),
    responses(
        (status = 201, body = ResultJson, description = "Issued; `Location` names it"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: not an officer, or another agency's part, or (for the receipt and certified copies) not the lead agency"),
        (status = 404, body = ErrorBody, description = "not_found (also a dossier the caller may not see)"),
        (status = 409, body = ErrorBody, description = "part_done"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_result (unknown kind, empty field, unprintable character, too long for one page), kind_not_for_procedure (a kind the part's procedure does not issue: see the catalogue's `results`), invalid_request (a part the dossier does not have)"),
        (status = 503, body = ErrorBody, description = "no_issuer, timestamp_unavailable, storage_unavailable")),
    security(("bearer" = [])))]
async fn issue(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
    JsonBody(request): JsonBody<IssueJson>,
) -> Result<Response, ApiError> {
    if request.kind == "certified_copy" {
        let document = request.document_id.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_result",
                "a certified copy names the scanned original: document_id",
            )
        })?;
        if uuid::Uuid::parse_str(document).is_err() {
            return Err(ApiError::not_found("document"));
        }
        let issued = state
            .results
            .certify_copy(&principal, &id, document)
            .await?;
        return Ok(created(&issued));
    }
    if request.document_id.is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_result",
            "document_id belongs to certified_copy results only",
        ));
    }
    let kind = ResultKind::parse(&request.kind).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_result",
            format!(
                "unknown result kind {:?}: {} or certified_copy",
                request.kind,
                ResultKind::ALL.map(ResultKind::as_str).join(", ")
            ),
        )
    })?;
    let due_date = match request.due_date.as_deref() {
        None => None,
        Some(d) => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_result",
                        format!("due_date {d:?}: use YYYY-MM-DD"),
                    )
                })?,
        ),
    };
    let issued = state
        .results
        .issue(
            &principal,
            &id,
            IssueRequest {
                kind,
                title: request.title,
                fields: request.fields,
                place: request.place,
                due_date,
                procedure: request.procedure,
            },
        )
        .await?;
    Ok(created(&issued))
}

fn created(issued: &IssuedResult) -> Response {
    let mut response = json(StatusCode::CREATED, ResultJson::from(issued));
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/results/{}", issued.code)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// A dossier's results, in order.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/results", tag = "results",
    params(("id" = String, Path, description = "Dossier id (UUID)")),
    responses((status = 200, body = Vec<ResultJson>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDossier>,
) -> Result<Response, ApiError> {
    let results = state.results.list(&principal, &id).await?;
    Ok(Json(results.iter().map(ResultJson::from).collect::<Vec<_>>()).into_response())
}

/// A result (applicants see their own; staff see all; archivists' reads are logged).
#[utoipa::path(get, path = "/api/v1/results/{code}", tag = "results",
    params(("code" = String, Path, description = "Result code")),
    responses((status = 200, body = ResultJson), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let result = state.results.get(&principal, &code).await?;
    Ok(Json(ResultJson::from(&result)).into_response())
}

/// The signed PDF, exactly as issued (also after revocation: the `Motcua-Result-Status` header
/// then says `revoked`).
#[utoipa::path(get, path = "/api/v1/results/{code}/pdf", tag = "results",
    params(("code" = String, Path, description = "Result code")),
    responses((status = 200, content_type = "application/pdf", description = "The signed PDF; `ETag` is its SHA-256"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn pdf(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let result = state.results.get(&principal, &code).await?;
    let stream = state.results.pdf(&result).await?;
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(result.size));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", result.sha256.to_hex())) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.pdf\"", result.code)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        "motcua-result-status",
        HeaderValue::from_static(if result.revocation.is_some() {
            "revoked"
        } else {
            "issued"
        }),
    );
    Ok(response)
}

/// Why a result is revoked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeJson {
    /// Required, 1 to 2000 characters.
    reason: String,
}

/// Revoke a result: a new logged event; the PDF stays retrievable, marked revoked. By whoever
/// may issue it: the agency of the part it completed (the lead agency for a receipt or a
/// certified copy), or the one-stop counter.
#[utoipa::path(post, path = "/api/v1/results/{code}/revocation", tag = "results",
    params(("code" = String, Path, description = "Result code")),
    request_body(content = RevokeJson, content_type = "application/json"),
    responses((status = 200, body = ResultJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "forbidden: not an officer, or another agency's result"),
        (status = 404, body = ErrorBody, description = "not_found (also a result the caller may not see)"),
        (status = 409, body = ErrorBody, description = "already_revoked"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<RevokeJson>,
) -> Result<Response, ApiError> {
    let result = state
        .results
        .revoke(&principal, &code, &request.reason)
        .await?;
    Ok(Json(ResultJson::from(&result)).into_response())
}

// ---- public pages ----------------------------------------------------------------------

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// What the public page shows of a check (`http::pages::public` draws it).
fn view(
    verdict: &'static str,
    asked: &str,
    result: Option<&IssuedResult>,
    report: Option<&Report>,
    sha256: Option<String>,
) -> VerifyView {
    VerifyView {
        verdict,
        asked: asked.to_owned(),
        result: result.map(|r| ResultView {
            code: r.code.clone(),
            title: r.title.clone(),
            agency: r.agency.clone(),
            issued_at: r.issued_at.clone(),
            sha256: r.sha256.to_hex(),
            revoked: r
                .revocation
                .as_ref()
                .map(|v| (v.revoked_at.clone(), v.reason.clone())),
        }),
        signers: report
            .map(|report| {
                report
                    .signatures
                    .iter()
                    .map(|s| SignerView {
                        who: s
                            .signer
                            .as_ref()
                            .map(|i| match (&i.organization, &i.common_name) {
                                (Some(o), Some(c)) if o != c => format!("{c} ({o})"),
                                (_, Some(c)) => c.clone(),
                                _ => i.subject.clone(),
                            })
                            .unwrap_or_else(|| "?".into()),
                        at: s.signing_time.clone(),
                        indication: s.indication.as_str().to_owned(),
                        sub_indication: s.sub_indication.map(|x| x.as_str().to_owned()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        sha256,
    }
}

/// The public JSON answer of the verification page.
#[derive(Serialize, ToSchema)]
pub struct PublicVerification {
    /// `genuine`, `revoked` or `invalid`.
    verdict: &'static str,
    result: Option<PublicResult>,
    /// SHA-256 of the checked file (uploads).
    sha256: Option<String>,
    /// motcua's verification report of the PDF's signatures.
    #[schema(value_type = Object)]
    report: serde_json::Value,
}

/// What the public page shows of a result: no applicant data.
#[derive(Serialize, ToSchema)]
pub struct PublicResult {
    code: String,
    title: String,
    agency: String,
    signer: String,
    issued_at: String,
    sha256: String,
    revoked_at: Option<String>,
    revocation_reason: Option<String>,
}

fn public_result(r: &IssuedResult) -> PublicResult {
    PublicResult {
        code: r.code.clone(),
        title: r.title.clone(),
        agency: r.agency.clone(),
        signer: r.signer.clone(),
        issued_at: r.issued_at.clone(),
        sha256: r.sha256.to_hex(),
        revoked_at: r.revocation.as_ref().map(|v| v.revoked_at.clone()),
        revocation_reason: r.revocation.as_ref().map(|v| v.reason.clone()),
    }
}

fn verdict(result: Option<&IssuedResult>, report: &Report) -> &'static str {
    match result {
        Some(r) if r.revocation.is_some() => "revoked",
        Some(r) if is_genuine(r, report) => "genuine",
        _ => "invalid",
    }
}

/// The public verification page of a result (no token): whether it is genuine, who signed it
/// and when. `Accept: application/json` gives the same as JSON.
#[utoipa::path(get, path = "/verify/{code}", tag = "results",
    params(("code" = String, Path, description = "Result code")),
    responses((status = 200, body = PublicVerification, description = "HTML page, or JSON with Accept: application/json"),
        (status = 404, body = ErrorBody)))]
async fn verify_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (result, report) = match state.results.public_status(&code).await {
        Ok(found) => found,
        Err(ResultError::NotFound) if !wants_json(&headers) => {
            return Ok(verify_html(
                request_lang(&headers),
                format!("/verify/{code}"),
                Some(view("not_found", &code, None, None, None)),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let verdict = verdict(Some(&result), &report);
    if wants_json(&headers) {
        return Ok(Json(PublicVerification {
            verdict,
            result: Some(public_result(&result)),
            sha256: None,
            report: serde_json::to_value(&report).unwrap_or_default(),
        })
        .into_response());
    }
    Ok(verify_html(
        request_lang(&headers),
        format!("/verify/{code}"),
        Some(view(verdict, &code, Some(&result), Some(&report), None)),
    ))
}

/// The public page where anyone uploads a printed result's PDF to check it (no token).
#[utoipa::path(get, path = "/verify", tag = "results",
    responses((status = 200, description = "HTML form posting `file` to `POST /verify`"),
        (status = 429, body = ErrorBody, description = "rate_limited (Retry-After)")))]
pub(super) async fn upload_form(headers: HeaderMap) -> Response {
    verify_html(request_lang(&headers), "/verify".into(), None)
}

/// Largest PDF the public check accepts.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// Check an uploaded PDF (no token): its signatures against the agency trust store, and whether
/// its bytes are those of a result issued here. Multipart, one part `file`.
#[utoipa::path(post, path = "/verify", tag = "results",
    request_body(content_type = "multipart/form-data", description = "`file`: the PDF"),
    responses((status = 200, body = PublicVerification, description = "HTML page, or JSON with Accept: application/json"),
        (status = 400, body = ErrorBody), (status = 408, description = "request_timeout", body = ErrorBody),
        (status = 413, description = "file_too_large (32 MiB), document_too_large_to_process", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "rate_limited: too many checks from this address (Retry-After)", body = ErrorBody),
        (status = 503, description = "overloaded (Retry-After)", body = ErrorBody)))]
async fn check_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(mut multipart): Form,
) -> Result<Response, ApiError> {
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        if field.name() == Some("file") && file.is_none() {
            file = Some(read_part_limited(field, MAX_UPLOAD, "file_too_large", "the file").await?);
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_part",
            "send the PDF as the part `file`",
        )
    })?;
    let verdict_of: UploadVerdict = state.results.check_upload(file).await?;
    let matched = verdict_of.matches.first();
    let verdict = match matched {
        Some(r) => verdict(Some(r), &verdict_of.report),
        None => "invalid",
    };
    if wants_json(&headers) {
        return Ok(Json(PublicVerification {
            verdict,
            result: matched.map(public_result),
            sha256: Some(verdict_of.sha256.to_hex()),
            report: serde_json::to_value(&verdict_of.report).unwrap_or_default(),
        })
        .into_response());
    }
    let sha256 = verdict_of.sha256.to_hex();
    Ok(verify_html(
        request_lang(&headers),
        "/verify".into(),
        Some(view(
            verdict,
            &sha256,
            matched,
            Some(&verdict_of.report),
            Some(sha256.clone()),
        )),
    ))
}
