//! Operational endpoints, no token: `/healthz` (the process answers) and `/readyz` (the database
//! and the object store answer).

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

async fn healthz() -> Response {
    json(StatusCode::OK, json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let (db, store) = tokio::join!(state.db.ping(), state.store.check());
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
    let checks = json!({
        "database": database,
        "storage": storage,
        "storage_backend": match state.store {
            crate::storage::ObjectStore::Local(_) => "local",
            crate::storage::ObjectStore::S3(_) => "s3",
        },
        "object_lock": state.object_lock.to_string(),
    });
    if db.is_ok() && store.is_ok() {
        json(StatusCode::OK, json!({"status": "ready", "checks": checks}))
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
