//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json` (no token needed: it
//! describes the API, it holds no data).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua",
        description = "Document management and digital signatures for public one-stop counters. \
            The endpoints marked with the bearer scheme need `Authorization: Bearer <token>` \
            (the ledger's too, unless the service runs with --ledger-public), or the session \
            cookie `__Host-motcua-session` from `POST /api/v1/session` (a person signed in): \
            with the cookie, every request that changes something sends the session's \
            `csrf_token` as `X-CSRF-Token` (else 403 `csrf`); the same rights get the same \
            answers either way. The public \
            check pages (`/verify`, `/verify/{code}`), the probes (`/healthz`, `/readyz`) and \
            this document need none. Errors are `{\"error\": {\"code\", \"message\"}}` with \
            the stable codes listed per response; 429 and 503 come with Retry-After."
    ),
    paths(
        super::dossiers::submit,
        super::dossiers::show,
        super::dossiers::reads,
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
        super::accounts::sign_in,
        super::accounts::who,
        super::accounts::sign_out,
        super::accounts::sign_out_everywhere,
        super::oidc::begin,
        super::oidc::callback,
        super::accounts::begin_enrolment,
        super::accounts::confirm_enrolment,
        super::accounts::change_password,
        super::accounts::create,
        super::accounts::list,
        super::accounts::show,
        super::accounts::disable,
        super::accounts::enable,
        super::accounts::reset,
        super::accounts::events,
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
        // Wherever a bearer token is accepted, a session is too.
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let session = SecurityRequirement::new("session", Vec::<String>::new());
                if let Some(security) = operation.security.as_mut().filter(|s| !s.is_empty())
                    && !security.contains(&session)
                {
                    security.push(session);
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-motcua-session",
                "The session cookie POST /api/v1/session sets; state-changing requests also \
                 send X-CSRF-Token",
            ))),
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
