//! `/api/v1/ledger/*`: the verifier key, the latest signed checkpoint, entries, inclusion and
//! consistency proofs; and `/api/v1/documents/{id}/proof`, everything needed to check one
//! document offline. Ledger endpoints need a staff token unless the log is public
//! (`--ledger-public`); a document proof needs a token that may see the document.

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ledger::proof;
use crate::ledger::{Hash, LedgerError};

use super::extract::{Id, OfDocument, OfReport};
use super::wire::DocumentJson;
use super::{ApiError, AppState, Caller, ErrorBody};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger/key", get(key))
        .route("/ledger/checkpoint", get(checkpoint))
        .route("/ledger/entries", get(entries))
        .route("/ledger/proof/inclusion", get(inclusion))
        .route("/ledger/proof/consistency", get(consistency))
        .route("/documents/{id}/proof", get(document_proof))
        .route("/results/{code}/proof", get(result_proof))
        .route("/signature-reports/{id}/proof", get(report_proof))
}

/// Access to the log: a staff token (officer, archivist, admin), or anyone when the log is
/// configured public.
struct LogReader;

impl FromRequestParts<AppState> for LogReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.ledger_public {
            return Ok(Self);
        }
        let Caller(p) = Caller::from_request_parts(parts, state).await?;
        if p.role.is_staff() {
            Ok(Self)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the integrity log is for officers, archivists and admins",
            ))
        }
    }
}

fn ledger_error(e: LedgerError) -> ApiError {
    match e {
        LedgerError::OutOfRange(m) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "out_of_range", m)
        }
        other => ApiError::internal(&other),
    }
}

fn text(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The log's verifier key, `<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>`.
#[utoipa::path(get, path = "/api/v1/ledger/key", tag = "ledger",
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn key(State(state): State<AppState>, _r: LogReader) -> Response {
    text(format!("{}\n", state.ledger.verifier()))
}

/// The latest signed checkpoint (C2SP tlog-checkpoint, a signed note). It never lags the log by
/// more than the checkpoint interval (default 5 s).
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger",
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn checkpoint(State(state): State<AppState>, _r: LogReader) -> Result<Response, ApiError> {
    let cp = state
        .ledger
        .checkpoint_covering(0)
        .await
        .map_err(ledger_error)?;
    Ok(text(cp.note))
}

/// Entry range.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EntriesParams {
    /// First index.
    start: u64,
    /// One past the last index (at most start + 1000 is served).
    end: u64,
}

/// A log entry.
#[derive(Serialize, ToSchema)]
pub struct EntryJson {
    /// Position in the log.
    pub index: u64,
    /// SHA-256(0x00 || entry bytes), hex.
    pub leaf_hash: String,
    /// The exact entry bytes, base64.
    pub entry_b64: String,
    /// The entry, parsed.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

impl EntryJson {
    fn from_row(row: crate::ledger::LoggedEntry) -> Self {
        Self {
            index: row.index,
            entry: serde_json::from_str(&row.entry).unwrap_or(serde_json::Value::Null),
            entry_b64: base64::engine::general_purpose::STANDARD.encode(row.entry.as_bytes()),
            leaf_hash: row.leaf_hash,
        }
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|r| ApiError::invalid_query(r.body_text()))
}

/// Entries `start` to `end` (exclusive), at most 1000.
#[utoipa::path(get, path = "/api/v1/ledger/entries", tag = "ledger", params(EntriesParams),
    responses((status = 200, body = Vec<EntryJson>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, description = "out_of_range", body = ErrorBody)),
    security(("bearer" = [])))]
async fn entries(
    State(state): State<AppState>,
    _r: LogReader,
    q: Result<Query<EntriesParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let rows = state
        .ledger
        .entries(p.start, p.end)
        .await
        .map_err(ledger_error)?;
    Ok(Json(
        rows.into_iter()
            .map(EntryJson::from_row)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InclusionParams {
    /// Entry index.
    index: u64,
    /// Tree size (at most the log's size).
    tree_size: u64,
}

/// An inclusion proof (RFC 9162 §2.1.3).
#[derive(Serialize, ToSchema)]
pub struct InclusionJson {
    /// Entry index.
    pub index: u64,
    /// Tree size.
    pub tree_size: u64,
    /// The entry's leaf hash, hex.
    pub leaf_hash: String,
    /// The audit path, hex, leaf side first.
    pub path: Vec<String>,
}

fn hexes(path: Vec<Hash>) -> Vec<String> {
    path.iter().map(hex::encode).collect()
}

/// The inclusion proof of an entry in a tree size.
#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", tag = "ledger", params(InclusionParams),
    responses((status = 200, body = InclusionJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, description = "out_of_range", body = ErrorBody)),
    security(("bearer" = [])))]
async fn inclusion(
    State(state): State<AppState>,
    _r: LogReader,
    q: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let path = state
        .ledger
        .inclusion_proof(p.index, p.tree_size)
        .await
        .map_err(ledger_error)?;
    let entry = state.ledger.entry(p.index).await.map_err(ledger_error)?;
    Ok(Json(InclusionJson {
        index: p.index,
        tree_size: p.tree_size,
        leaf_hash: entry.leaf_hash,
        path: hexes(path),
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ConsistencyParams {
    /// The older tree size.
    first: u64,
    /// The newer tree size.
    second: u64,
}

/// A consistency proof (RFC 9162 §2.1.4).
#[derive(Serialize, ToSchema)]
pub struct ConsistencyJson {
    /// Older size.
    pub first: u64,
    /// Newer size.
    pub second: u64,
    /// The proof, hex.
    pub path: Vec<String>,
}

/// The consistency proof between two tree sizes.
#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", tag = "ledger", params(ConsistencyParams),
    responses((status = 200, body = ConsistencyJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, description = "out_of_range", body = ErrorBody)),
    security(("bearer" = [])))]
async fn consistency(
    State(state): State<AppState>,
    _r: LogReader,
    q: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let path = state
        .ledger
        .consistency_proof(p.first, p.second)
        .await
        .map_err(ledger_error)?;
    Ok(Json(ConsistencyJson {
        first: p.first,
        second: p.second,
        path: hexes(path),
    })
    .into_response())
}

/// A document's proof: entry, inclusion proof, signed checkpoint.
#[utoipa::path(get, path = "/api/v1/documents/{id}/proof", tag = "documents",
    params(("id" = String, Path, description = "Document id (UUID)")),
    responses((status = 200, description = "A motcua-document-proof/v1 JSON object: document, entry, inclusion, checkpoint, verifier_key"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn document_proof(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfDocument>,
) -> Result<Response, ApiError> {
    let doc = state.dossiers.document(&principal, &id).await?;
    let index = doc
        .ledger_index
        .ok_or_else(|| ApiError::internal(&format!("document {id} has no log entry")))?;
    record_proof(
        &state,
        proof::FORMAT,
        serde_json::to_value(DocumentJson::from(&doc)).unwrap_or_default(),
        index,
    )
    .await
}

/// An issued result's proof: its `result_issued` entry, inclusion proof, signed checkpoint.
#[utoipa::path(get, path = "/api/v1/results/{code}/proof", tag = "results",
    params(("code" = String, Path, description = "Result code")),
    responses((status = 200, description = "A motcua-result-proof/v1 JSON object: document (the result: id, code, sha256 of the signed PDF), entry, inclusion, checkpoint, verifier_key"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn result_proof(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let result = state.results.get(&principal, &code).await?;
    let record = serde_json::json!({
        "id": result.id,
        "code": result.code,
        "sha256": result.sha256.to_hex(),
    });
    record_proof(&state, proof::RESULT_FORMAT, record, result.ledger_index).await
}

/// A signature verification report's proof: its `signature_verified` entry, inclusion proof,
/// signed checkpoint.
#[utoipa::path(get, path = "/api/v1/signature-reports/{id}/proof", tag = "signatures",
    params(("id" = String, Path, description = "Report id (UUID)")),
    responses((status = 200, description = "A motcua-report-proof/v1 JSON object: document (the report: id, sha256 of the stored report), entry, inclusion, checkpoint, verifier_key"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn report_proof(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Id(id, _): Id<OfReport>,
) -> Result<Response, ApiError> {
    let row = state
        .dossiers
        .signature_report_record(&principal, &id)
        .await?;
    let index = row
        .ledger_index
        .ok_or_else(|| ApiError::internal(&format!("report {id} has no log entry")))?;
    let record = serde_json::json!({"id": row.id, "sha256": row.report_sha256});
    record_proof(&state, proof::REPORT_FORMAT, record, index as u64).await
}

/// A record's proof in `format`: its entry at `index`, the entry's inclusion proof in the
/// latest signed checkpoint that covers it, the checkpoint and the log's key.
async fn record_proof(
    state: &AppState,
    format: &str,
    record: serde_json::Value,
    index: u64,
) -> Result<Response, ApiError> {
    let ledger = &state.ledger;
    let cp = ledger
        .checkpoint_covering(index + 1)
        .await
        .map_err(ledger_error)?;
    let proof = ledger
        .record_proof(format, record, index, &cp)
        .await
        .map_err(ledger_error)?;
    Ok(Json(proof).into_response())
}
