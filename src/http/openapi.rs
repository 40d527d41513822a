//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json` (no token needed: it
//! describes the API, it holds no data).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua",
        description = "Document management and digital signatures for public one-stop counters. \
            The endpoints marked with the bearer scheme need `Authorization: Bearer <token>` \
            (the ledger's too, unless the service runs with --ledger-public); the public \
            check pages (`/verify`, `/verify/{code}`), the probes (`/healthz`, `/readyz`) and \
            this document need none. Errors are `{\"error\": {\"code\", \"message\"}}` with \
            the stable codes listed per response; 429 and 503 come with Retry-After."
    ),
    paths(
        super::dossiers::submit,
        super::dossiers::show,
        super::dossiers::list,
        super::dossiers::procedures,
        super::dossiers::publish,
        super::dossiers::me,
        super::workflow::transition,
        super::workflow::deadlines,
        super::originals::show,
        super::originals::decide,
        super::originals::scans,
        super::originals::supplement,
        super::tokens::create,
        super::tokens::revoke,
        super::units::list,
        super::units::show,
        super::units::add,
        super::units::rename,
        super::units::publish,
        super::reports::processing,
        super::audits::fixity,
        super::audits::retention,
        super::audits::dossier_bag,
        super::audits::request_disposal,
        super::audits::withdraw_disposal,
        super::audits::approve_disposal,
        super::audits::search_bag,
        super::audits::place_hold,
        super::audits::lift_hold,
        super::documents::show,
        super::documents::content,
        super::ledger::document_proof,
        super::ledger::result_proof,
        super::ledger::report_proof,
        super::ledger::key,
        super::ledger::checkpoint,
        super::ledger::entries,
        super::ledger::inclusion,
        super::ledger::consistency,
        super::signatures::report,
        super::signatures::verify,
        super::results::issue,
        super::results::list,
        super::results::show,
        super::results::pdf,
        super::results::revoke,
        super::results::verify_page,
        super::results::check_upload,
        super::results::upload_form,
        super::ops::healthz,
        super::ops::readyz,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as JSON text.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve))
}

async fn serve() -> Response {
    let mut r = openapi_json().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
