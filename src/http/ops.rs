//! Operational endpoints, no token: `/healthz` (the process answers) and `/readyz` (the database
//! and the object store answer, and the node is not saturated: a load balancer should send new
//! work elsewhere while every slot of a pool or the document memory is taken).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::{AppState, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process answers (no token).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "`{\"status\": \"ok\"}`")))]
pub(super) async fn healthz() -> Response {
    json(StatusCode::OK, json!({"status": "ok"}))
}

/// Readiness (no token): the database and the object store answer and the node is not
/// saturated; `checks` says how full its pools and document memory are.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "`{\"status\": \"ready\", \"checks\": {…}}`"),
        (status = 503, body = super::ErrorBody,
         description = "not_ready (a dependency is down) or saturated (send new work elsewhere)")))]
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let (db, store) = tokio::join!(state.dossiers.ping_database(), state.store.check());
    let database = match &db {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database");
            "unreachable".to_owned()
        }
    };
    let storage = match &store {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: storage");
            "unreachable".to_owned()
        }
    };
    let saturation = state.admission.saturation();
    let gate = state.dossiers.work_gate();
    let (memory_in_use, memory_total) = (gate.in_use_mib(), gate.total_mib());
    let saturated = saturation.saturated() || memory_in_use >= memory_total;
    let checks = json!({
        "capacity": if saturated { "saturated" } else { "ok" },
        "requests_in_flight": saturation.in_flight,
        "max_in_flight": saturation.max_in_flight,
        "uploads_in_flight": saturation.uploads,
        "max_uploads": saturation.max_uploads,
        "document_memory_mib": memory_in_use,
        "max_document_memory_mib": memory_total,
        "database": database,
        "storage": storage,
        "storage_backend": match state.store {
            crate::storage::ObjectStore::Local(_) => "local",
            crate::storage::ObjectStore::S3(_) => "s3",
        },
        "object_lock": state.object_lock.to_string(),
    });
    if db.is_ok() && store.is_ok() && !saturated {
        json(StatusCode::OK, json!({"status": "ready", "checks": checks}))
    } else if db.is_ok() && store.is_ok() {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "error": {
                    "code": "saturated",
                    "message": "this node is at capacity; send new work to another node",
                },
                "checks": checks,
            }),
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "error": {
                    "code": "not_ready",
                    "message": format!("database: {database}; storage: {storage}"),
                },
                "checks": checks,
            }),
        )
    }
}
