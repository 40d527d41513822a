//! `/api/v1/units`: the administrative units — anyone signed in reads them; administrators add,
//! rename and publish them (the whole set as a TOML file, as the procedure catalogue).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::unit::{Actor, NewUnit, Unit};
use crate::vocabulary::UnitCode;

use super::extract::{JsonBody, TomlBody};
use super::{ApiError, AppState, Caller, ErrorBody, json};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/units", get(list).post(add).put(publish))
        .route("/units/{code}", get(show).patch(rename))
}

/// An administrative unit.
#[derive(Serialize, ToSchema)]
pub struct UnitJson {
    /// Its code, the first part of its dossiers' codes.
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
    /// province, district, commune, department or agency.
    pub level: &'static str,
    /// The level's Vietnamese name.
    pub level_vi: &'static str,
    /// The unit above it.
    pub parent: Option<String>,
}

impl From<Unit> for UnitJson {
    fn from(u: Unit) -> Self {
        Self {
            code: u.code.as_str().to_owned(),
            name: u.name,
            level: u.level.as_str(),
            level_vi: u.level.name_vi(),
            parent: u.parent.map(|p| p.as_str().to_owned()),
        }
    }
}

/// A unit to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitJson {
    /// 1 to 32 letters, digits or dots; fixed for good.
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
    /// province, district, commune, department or agency [default: one tier below the parent;
    /// a province at the top].
    #[serde(default)]
    pub level: Option<String>,
    /// The code of the unit above it.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A unit's new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameUnitJson {
    /// Its Vietnamese name.
    pub name: String,
}

/// Every unit, by code.
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    responses((status = 200, body = Vec<UnitJson>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let units = state.dossiers.units().list().await?;
    Ok(json(
        StatusCode::OK,
        units.into_iter().map(UnitJson::from).collect::<Vec<_>>(),
    ))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = UnitJson), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no unit has the code {code:?}"),
        )
    };
    let code = UnitCode::parse(&code).map_err(|_| not_found())?;
    let unit = state
        .dossiers
        .units()
        .get(&code)
        .await?
        .ok_or_else(not_found)?;
    Ok(json(StatusCode::OK, UnitJson::from(unit)))
}

/// Add a unit (administrators). Logged.
#[utoipa::path(post, path = "/api/v1/units", tag = "units",
    request_body(content = NewUnitJson, content_type = "application/json"),
    responses((status = 201, body = UnitJson, description = "Added; `Location` names it"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "unit_exists"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_unit (code, name, level, or a parent that does not exist or cannot hold that level)")),
    security(("bearer" = [])))]
async fn add(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(r): JsonBody<NewUnitJson>,
) -> Result<Response, ApiError> {
    let unit = add_unit(&state, &principal, r).await?;
    let location = format!("/api/v1/units/{}", unit.code.as_str());
    let mut response = json(StatusCode::CREATED, UnitJson::from(unit));
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Adds a unit as `principal` asks (the API's handler and the administrator's page).
pub(super) async fn add_unit(
    state: &AppState,
    principal: &crate::auth::Principal,
    r: NewUnitJson,
) -> Result<Unit, ApiError> {
    let level = r.level.as_deref().map(str::parse).transpose().map_err(
        |e: crate::vocabulary::InvalidField| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_unit",
                e.to_string(),
            )
        },
    )?;
    Ok(state
        .dossiers
        .units()
        .add(
            Actor::Caller(principal),
            NewUnit {
                code: r.code,
                name: r.name,
                level,
                parent: r.parent,
            },
        )
        .await?)
}

/// Rename a unit (administrators). Logged.
#[utoipa::path(patch, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "Unit code")),
    request_body(content = RenameUnitJson, content_type = "application/json"),
    responses((status = 200, body = UnitJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_json, invalid_unit")),
    security(("bearer" = [])))]
async fn rename(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
    JsonBody(r): JsonBody<RenameUnitJson>,
) -> Result<Response, ApiError> {
    let unit = state
        .dossiers
        .units()
        .rename(Actor::Caller(&principal), &code, &r.name)
        .await?;
    Ok(json(StatusCode::OK, UnitJson::from(unit)))
}

/// Publish the whole set of units (administrators) as TOML: `[[unit]]` tables with `code`,
/// `name`, `level` and `parent`, parents anywhere in the file. New units are added and changed
/// names renamed in one transaction, each logged; every existing unit must be listed, with its
/// level and parent unchanged (units are never removed: dossier codes name them).
#[utoipa::path(put, path = "/api/v1/units", tag = "units",
    request_body(content = String, content_type = "application/toml"),
    responses((status = 200, body = Vec<UnitJson>, description = "The units now"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "unit_exists"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_unit: the file's problem")),
    security(("bearer" = [])))]
async fn publish(
    State(state): State<AppState>,
    Caller(principal): Caller,
    TomlBody(text): TomlBody,
) -> Result<Response, ApiError> {
    let units = state
        .dossiers
        .units()
        .publish(Actor::Caller(&principal), &text)
        .await?;
    Ok(json(
        StatusCode::OK,
        units.into_iter().map(UnitJson::from).collect::<Vec<_>>(),
    ))
}
