//! Accounts (`/admin/accounts`): the accounts an administrator manages (username, role, unit,
//! state, second factor), a form to create one, and each account's page with disable or
//! enable and a reset of its password (and, for a lost phone, its second factor).
//!
//! Never decides who may manage whom: the list, the creation and every change go through the
//! account service with the person's principal and the units they manage, exactly as
//! `/api/v1/accounts` does. A password typed or made here is never logged; one made by the
//! service is shown once, on a page that is not cached.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::Role;
use crate::auth::accounts::{Account, Manager};
use crate::auth::password::Password;
use crate::timestamp::Timestamp;

use super::super::super::accounts::{AccountRequestJson, create_account, managed_units};
use super::super::super::{ApiError, AppState};
use super::super::format::moment;
use super::super::i18n::{Lang, Messages};
use super::super::{Signed, UserBar, failure, page, see_other};
use super::{Choice, Refusal, unit_choices};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(list).post(create))
        .route("/admin/accounts/{username}", get(show))
        .route("/admin/accounts/{username}/disable", post(disable))
        .route("/admin/accounts/{username}/enable", post(enable))
        .route("/admin/accounts/{username}/reset", post(reset))
}

/// The roles an account may have, staff first.
const ROLES: [Role; 5] = [
    Role::Officer,
    Role::Archivist,
    Role::Admin,
    Role::Business,
    Role::Citizen,
];

fn when(t: &Messages, at: Option<&str>) -> String {
    at.and_then(|a| Timestamp::parse(a).ok())
        .map_or_else(|| t.get("admin-never"), |a| moment(&a))
}

/// An account as a row of the list.
struct Row {
    username: String,
    name: String,
    role: String,
    unit: String,
    state: String,
    disabled: bool,
    second_factor: String,
}

fn row(a: &Account, t: &Messages) -> Row {
    let p = &a.principal;
    Row {
        username: a.username.clone(),
        name: p.name.clone().unwrap_or_default(),
        role: t.get(&format!("role-{}", p.role)),
        unit: p
            .unit
            .as_ref()
            .map_or_else(|| t.get("admin-no-unit"), |u| u.as_str().to_owned()),
        state: match &a.disabled_at {
            Some(at) => t.with("admin-disabled-since", "date", &when(t, Some(at))),
            None => t.get("admin-active"),
        },
        disabled: a.disabled_at.is_some(),
        second_factor: if a.second_factor {
            t.get("admin-second-factor-on")
        } else {
            t.get("admin-second-factor-off")
        },
    }
}

/// What the creation form had, to show it again after a refusal (never the password).
#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct ListPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    rows: Vec<Row>,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    agencies: Vec<Choice>,
    form: CreateForm,
    error: Option<Refusal>,
    csrf_token: String,
}

/// The list and the creation form (after a refusal: the form as it was, and why).
async fn list_page(
    state: &AppState,
    signed: &Signed,
    form: CreateForm,
    refused: Option<&ApiError>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal = signed.principal();
    let units = match managed_units(state, principal).await {
        Ok(u) => u,
        Err(e) => return failure(lang, &e),
    };
    let accounts = match state
        .accounts
        .list(Manager::Caller(principal, units.as_deref()))
        .await
    {
        Ok(a) => a,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let all = match state.dossiers.units().list().await {
        Ok(all) => all,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let reach = match state.dossiers.units_in_reach(principal).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let mut unit_options = vec![Choice {
        value: String::new(),
        label: t.get("admin-no-unit"),
        selected: form.unit.is_empty(),
    }];
    unit_options.extend(unit_choices(&all, &reach, &form.unit));
    let roles = ROLES
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: t.get(&format!("role-{r}")),
            selected: form.role == r.as_str(),
        })
        .collect();
    let mut agencies: Vec<String> = state
        .dossiers
        .catalogue()
        .iter()
        .map(|p| p.agency.clone())
        .collect();
    agencies.sort();
    agencies.dedup();
    let mut agency_options = vec![Choice {
        value: String::new(),
        label: t.get("admin-no-agency"),
        selected: form.agency.is_empty(),
    }];
    agency_options.extend(agencies.into_iter().map(|a| Choice {
        selected: form.agency == a,
        label: a.clone(),
        value: a,
    }));
    let status = refused.map_or(StatusCode::OK, ApiError::status);
    page(
        status,
        ListPage {
            lang,
            t,
            back: "/admin/accounts",
            user: signed.bar(),
            rows: accounts.iter().map(|a| row(a, t)).collect(),
            roles,
            units: unit_options,
            agencies: agency_options,
            form,
            error: refused.map(|e| Refusal::of(t, e)),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    list_page(&state, &signed, CreateForm::default(), None).await
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Creates an account from the form, as `POST /api/v1/accounts` does; then its page.
async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(mut f): Form<CreateForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let password = std::mem::take(&mut f.password);
    let request = AccountRequestJson {
        username: f.username.trim().to_owned(),
        password: Some(password).filter(|p| !p.is_empty()),
        role: f.role.clone(),
        tax_code: some(&f.tax_code),
        id_number: some(&f.id_number),
        agency: some(&f.agency),
        name: some(&f.name),
        branches: false,
        unit: some(&f.unit),
    };
    match create_account(&state, signed.principal(), request).await {
        Ok(a) => see_other(&format!("/admin/accounts/{}?done=created", a.username)),
        Err(e) => list_page(&state, &signed, f, Some(&e)).await,
    }
}

struct Fact {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    username: String,
    facts: Vec<Fact>,
    disabled: bool,
    notice: Option<String>,
    error: Option<Refusal>,
    csrf_token: String,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: String,
}

async fn account_page(
    state: &AppState,
    signed: &Signed,
    username: &str,
    notice: Option<String>,
    refused: Option<&ApiError>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal = signed.principal();
    let units = match managed_units(state, principal).await {
        Ok(u) => u,
        Err(e) => return failure(lang, &e),
    };
    let a = match state
        .accounts
        .get(Manager::Caller(principal, units.as_deref()), username)
        .await
    {
        Ok(a) => a,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let r = row(&a, t);
    let p = &a.principal;
    let fact = |key: &str, value: String| Fact {
        label: t.get(key),
        value,
    };
    let mut facts = vec![
        fact("admin-username", a.username.clone()),
        fact("admin-name", r.name.clone()),
        fact("admin-role", r.role.clone()),
        fact("admin-unit", r.unit.clone()),
    ];
    if let Some(agency) = &p.agency {
        facts.push(fact("admin-agency", agency.clone()));
    }
    if let Some(tax) = &p.tax_code {
        facts.push(fact("field-tax-code", tax.as_str().to_owned()));
    }
    if let Some(n) = &p.id_number {
        facts.push(fact("field-id-number", n.as_str().to_owned()));
    }
    facts.extend([
        fact("admin-state", r.state.clone()),
        fact("admin-second-factor", r.second_factor.clone()),
        fact(
            "admin-password",
            if a.has_password {
                t.get("admin-password-set")
            } else {
                t.get("admin-password-none")
            },
        ),
        fact("admin-created", when(t, Some(&a.created_at))),
        fact("admin-last-sign-in", when(t, a.last_sign_in_at.as_deref())),
    ]);
    let status = refused.map_or(StatusCode::OK, ApiError::status);
    page(
        status,
        AccountPage {
            lang,
            t,
            back: format!("/admin/accounts/{}", a.username),
            user: signed.bar(),
            username: a.username.clone(),
            facts,
            disabled: r.disabled,
            notice,
            error: refused.map(|e| Refusal::of(t, e)),
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

/// One account's page: what it is, and what may be done to it.
async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let t = signed.t();
    let notice = match q.done.as_str() {
        "created" => Some(t.get("admin-account-created")),
        "disabled" => Some(t.get("admin-account-disabled")),
        "enabled" => Some(t.get("admin-account-enabled")),
        "reset" => Some(t.get("admin-account-reset")),
        _ => None,
    };
    account_page(&state, &signed, &username, notice, None).await
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn set_disabled(
    state: AppState,
    signed: Signed,
    username: String,
    disabled: bool,
) -> Response {
    let principal = signed.principal();
    let units = match managed_units(&state, principal).await {
        Ok(u) => u,
        Err(e) => return failure(signed.lang, &e),
    };
    match state
        .accounts
        .set_disabled(
            Manager::Caller(principal, units.as_deref()),
            &username,
            disabled,
        )
        .await
    {
        Ok(a) => see_other(&format!(
            "/admin/accounts/{}?done={}",
            a.username,
            if disabled { "disabled" } else { "enabled" }
        )),
        Err(e) => failure(signed.lang, &ApiError::from(e)),
    }
}

/// Disables an account: it can no longer sign in, and its sessions end.
async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    set_disabled(state, signed, username, true).await
}

/// Enables a disabled account.
async fn enable(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    set_disabled(state, signed, username, false).await
}

#[derive(Default, Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    second_factor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_secret.html")]
pub(super) struct SecretPage<'a> {
    pub(super) lang: Lang,
    pub(super) t: &'a Messages,
    pub(super) back: String,
    pub(super) user: Option<UserBar>,
    pub(super) title: String,
    pub(super) lead: String,
    pub(super) label: String,
    pub(super) secret: String,
    pub(super) facts: Vec<(String, String)>,
    pub(super) next: String,
    pub(super) next_label: String,
}

/// Resets an account's password (typed here, or made by the service and shown once) and, when
/// asked, its second factor; as `POST /api/v1/accounts/{username}/reset` does.
async fn reset(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let principal = signed.principal();
    let units = match managed_units(&state, principal).await {
        Ok(u) => u,
        Err(e) => return failure(lang, &e),
    };
    let clear_second_factor = f.second_factor.is_some();
    let typed = Some(f.password)
        .filter(|p| !p.is_empty())
        .map(Password::new);
    match state
        .accounts
        .reset(
            Manager::Caller(principal, units.as_deref()),
            &username,
            typed,
            clear_second_factor,
        )
        .await
    {
        Ok(None) => see_other(&format!("/admin/accounts/{username}?done=reset")),
        Ok(Some(made)) => page(
            StatusCode::OK,
            SecretPage {
                lang,
                t,
                back: format!("/admin/accounts/{username}"),
                user: signed.bar(),
                title: t.with("admin-reset-done-title", "username", &username),
                lead: if clear_second_factor {
                    t.get("admin-reset-done-second-factor")
                } else {
                    t.get("admin-reset-done")
                },
                label: t.get("admin-new-password"),
                secret: made.expose().to_owned(),
                facts: Vec::new(),
                next: format!("/admin/accounts/{username}"),
                next_label: t.get("admin-back-to-account"),
            }
            .render(),
        ),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status() == StatusCode::UNPROCESSABLE_ENTITY {
                account_page(&state, &signed, &username, None, Some(&e)).await
            } else {
                failure(lang, &e)
            }
        }
    }
}
