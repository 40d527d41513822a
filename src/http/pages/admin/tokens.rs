//! Machine tokens (`/admin/tokens`): create one for a program (a kiosk, the national portal's
//! connector…), shown once; revoke one by its id. The token service keeps only a token's hash
//! and has no listing of the tokens issued, so this page cannot show them: it says so, and the
//! id shown at creation is what revoking asks for.
//!
//! Never decides: creating and revoking go through the token service with the person's
//! principal, as `/api/v1/tokens` does. The new token is never logged, and is shown once on a
//! page that is not cached.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::Role;

use super::super::super::tokens::{TokenRequestJson, create_token};
use super::super::super::{ApiError, AppState};
use super::super::i18n::{Lang, Messages};
use super::super::{Signed, UserBar, failure, page, see_other};
use super::accounts::SecretPage;
use super::{Choice, Refusal, unit_choices};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(show).post(create))
        .route("/admin/tokens/revoke", post(revoke))
}

#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    id_number: String,
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    id: String,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    form: CreateForm,
    revoke_id: String,
    notice: Option<String>,
    create_error: Option<Refusal>,
    revoke_error: Option<Refusal>,
    csrf_token: String,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    revoked: String,
}

async fn tokens_page(
    state: &AppState,
    signed: &Signed,
    form: CreateForm,
    revoke_id: String,
    notice: Option<String>,
    create_error: Option<&ApiError>,
    revoke_error: Option<&ApiError>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let all = match state.dossiers.units().list().await {
        Ok(all) => all,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let reach = match state.dossiers.units_in_reach(signed.principal()).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let mut units = vec![Choice {
        value: String::new(),
        label: t.get("admin-no-unit"),
        selected: form.unit.is_empty(),
    }];
    units.extend(unit_choices(&all, &reach, &form.unit));
    let roles = [
        Role::Business,
        Role::Citizen,
        Role::Officer,
        Role::Archivist,
        Role::Admin,
    ]
    .iter()
    .map(|r| Choice {
        value: r.as_str().to_owned(),
        label: t.get(&format!("role-{r}")),
        selected: form.role == r.as_str(),
    })
    .collect();
    let status = create_error
        .or(revoke_error)
        .map_or(StatusCode::OK, ApiError::status);
    page(
        status,
        TokensPage {
            lang,
            t,
            back: "/admin/tokens",
            user: signed.bar(),
            roles,
            units,
            form,
            revoke_id,
            notice,
            create_error: create_error.map(|e| Refusal::of(t, e)),
            revoke_error: revoke_error.map(|e| {
                let mut r = Refusal::of(t, e);
                if e.code() == "not_found" {
                    r.words = t.with_args(
                        "error-with-code",
                        &[("words", &t.get("admin-token-unknown")), ("code", e.code())],
                    );
                }
                r
            }),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

async fn show(State(state): State<AppState>, signed: Signed, Query(done): Query<Done>) -> Response {
    let notice = (!done.revoked.is_empty())
        .then(|| signed.t().with("admin-token-revoked", "id", &done.revoked));
    tokens_page(
        &state,
        &signed,
        CreateForm::default(),
        String::new(),
        notice,
        None,
        None,
    )
    .await
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Creates a token, as `POST /api/v1/tokens` does, and shows it this once.
async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(f): Form<CreateForm>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let request = TokenRequestJson {
        role: f.role.clone(),
        tax_code: some(&f.tax_code),
        id_number: some(&f.id_number),
        agency: None,
        name: some(&f.name),
        branches: false,
        unit: some(&f.unit),
    };
    match create_token(&state, signed.principal(), request).await {
        Ok((id, token)) => page(
            StatusCode::CREATED,
            SecretPage {
                lang,
                t,
                back: "/admin/tokens".into(),
                user: signed.bar(),
                title: t.get("admin-token-created-title"),
                lead: t.get("admin-token-created"),
                label: t.get("admin-token"),
                secret: token,
                facts: vec![(t.get("admin-token-id"), id)],
                next: "/admin/tokens".into(),
                next_label: t.get("admin-back-to-tokens"),
            }
            .render(),
        ),
        Err(e) => tokens_page(&state, &signed, f, String::new(), None, Some(&e), None).await,
    }
}

/// Revokes a token by its id, as `DELETE /api/v1/tokens/{id}` does.
async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let id = f.id.trim().to_owned();
    let refused = match state.tokens.revoke_by(signed.principal(), &id).await {
        Ok(true) => {
            return see_other(&format!(
                "/admin/tokens?{}",
                serde_urlencoded::to_string([("revoked", id.as_str())]).unwrap_or_default()
            ));
        }
        Ok(false) => ApiError::not_found("token"),
        Err(e) => ApiError::from(e),
    };
    tokens_page(
        &state,
        &signed,
        CreateForm::default(),
        id,
        None,
        None,
        Some(&refused),
    )
    .await
}
