//! Operational endpoints and the OpenAPI document.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["storage"], "ok");
    let expected = if backend() == Backend::Embedded {
        "local"
    } else {
        "s3"
    };
    assert_eq!(body["checks"]["storage_backend"], expected);
    // Object Lock, detected at start: nothing to lock in a directory, and Garage has none.
    let lock = body["checks"]["object_lock"].as_str().unwrap();
    if backend() == Backend::Embedded {
        assert_eq!(lock, "not applicable (local directory)");
    } else {
        assert!(lock.starts_with("unsupported by the S3 service"), "{lock}");
    }
}

#[tokio::test]
async fn a_client_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith space")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id\twith space");
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/dossiers",
        "/api/v1/dossiers/{id}",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/content",
        "/api/v1/procedures",
        "/api/v1/me",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(
        doc["paths"]["/api/v1/dossiers"]["post"]["requestBody"]["content"]["multipart/form-data"]
            .is_object()
    );
}
