//! Units (`/admin/units`): the administrative units as a tree (code, name, level, the unit
//! above), a form to add one below a unit the administrator manages, and one to rename a unit.
//!
//! Never decides: adding and renaming go through the units' service with the person's
//! principal, as `/api/v1/units` does (administrators only; a unit's administrator within its
//! own subtree), and its refusals come back in words on the form.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::unit::{Actor, Unit};
use crate::vocabulary::{UnitCode, UnitLevel};

use super::super::super::units::{NewUnitJson, add_unit};
use super::super::super::{ApiError, AppState};
use super::super::i18n::{Lang, Messages};
use super::super::{Signed, UserBar, failure, page, see_other};
use super::{Choice, Refusal, unit_choices};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/units", get(list).post(add))
        .route("/admin/units/rename", post(rename))
}

/// A unit as a row of the tree.
struct Row {
    code: String,
    name: String,
    level: String,
    parent: String,
    depth: usize,
}

/// The units depth first from the top ones, each after the unit above it, by code.
fn tree(all: &[Unit]) -> Vec<(&Unit, usize)> {
    fn below<'a>(
        all: &'a [Unit],
        parent: Option<&UnitCode>,
        depth: usize,
        out: &mut Vec<(&'a Unit, usize)>,
    ) {
        let mut children: Vec<&Unit> = all.iter().filter(|u| u.parent.as_ref() == parent).collect();
        children.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        for u in children {
            // A unit is listed once even if the stored tree were ever to loop.
            if out.iter().any(|(o, _)| o.code == u.code) {
                continue;
            }
            out.push((u, depth));
            below(all, Some(&u.code), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    below(all, None, 0, &mut out);
    // A unit whose parent is missing still shows, at the end.
    for u in all {
        if !out.iter().any(|(o, _)| o.code == u.code) {
            out.push((u, 0));
        }
    }
    out
}

fn level_words(t: &Messages, level: UnitLevel) -> String {
    t.get(&format!("admin-level-{}", level.as_str()))
}

#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    parent: String,
}

#[derive(Debug, Default, Deserialize)]
struct RenameForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    rows: Vec<Row>,
    parents: Vec<Choice>,
    levels: Vec<Choice>,
    renamable: Vec<Choice>,
    add: AddForm,
    rename_name: String,
    notice: Option<String>,
    add_error: Option<Refusal>,
    rename_error: Option<Refusal>,
    csrf_token: String,
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    added: String,
    #[serde(default)]
    renamed: String,
}

/// What went wrong, and on which form.
enum Refused<'e> {
    Nothing,
    Adding(&'e ApiError),
    Renaming(&'e ApiError),
}

async fn units_page(
    state: &AppState,
    signed: &Signed,
    add: AddForm,
    rename: RenameForm,
    notice: Option<String>,
    refused: Refused<'_>,
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
    let rows = tree(&all)
        .into_iter()
        .map(|(u, depth)| Row {
            code: u.code.as_str().to_owned(),
            name: u.name.clone(),
            level: level_words(t, u.level),
            parent: u
                .parent
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            depth: depth.min(5),
        })
        .collect();
    let mut parents = vec![Choice {
        value: String::new(),
        label: t.get("admin-unit-top"),
        selected: add.parent.is_empty(),
    }];
    parents.extend(unit_choices(&all, &reach, &add.parent));
    let mut levels = vec![Choice {
        value: String::new(),
        label: t.get("admin-level-default"),
        selected: add.level.is_empty(),
    }];
    levels.extend(UnitLevel::ALL.iter().map(|l| Choice {
        value: l.as_str().to_owned(),
        label: level_words(t, *l),
        selected: add.level == l.as_str(),
    }));
    let renamable = unit_choices(&all, &reach, &rename.code);
    let (status, add_error, rename_error) = match refused {
        Refused::Nothing => (StatusCode::OK, None, None),
        Refused::Adding(e) => (e.status(), Some(Refusal::of(t, e)), None),
        Refused::Renaming(e) => (e.status(), None, Some(Refusal::of(t, e))),
    };
    page(
        status,
        UnitsPage {
            lang,
            t,
            back: "/admin/units",
            user: signed.bar(),
            rows,
            parents,
            levels,
            renamable,
            add,
            rename_name: rename.name,
            notice,
            add_error,
            rename_error,
            csrf_token: signed.session.csrf_token.clone(),
        }
        .render(),
    )
}

/// The tree and the two forms.
async fn list(State(state): State<AppState>, signed: Signed, Query(done): Query<Done>) -> Response {
    let t = signed.t();
    let notice = if !done.added.is_empty() {
        Some(t.with("admin-unit-added", "code", &done.added))
    } else if !done.renamed.is_empty() {
        Some(t.with("admin-unit-renamed", "code", &done.renamed))
    } else {
        None
    };
    units_page(
        &state,
        &signed,
        AddForm::default(),
        RenameForm::default(),
        notice,
        Refused::Nothing,
    )
    .await
}

/// Adds a unit, as `POST /api/v1/units` does.
async fn add(State(state): State<AppState>, signed: Signed, Form(f): Form<AddForm>) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let request = NewUnitJson {
        code: f.code.trim().to_owned(),
        name: f.name.trim().to_owned(),
        level: Some(f.level.trim().to_owned()).filter(|l| !l.is_empty()),
        parent: Some(f.parent.trim().to_owned()).filter(|p| !p.is_empty()),
    };
    match add_unit(&state, signed.principal(), request).await {
        Ok(u) => see_other(&format!(
            "/admin/units?{}",
            serde_urlencoded::to_string([("added", u.code.as_str())]).unwrap_or_default()
        )),
        Err(e) => {
            units_page(
                &state,
                &signed,
                f,
                RenameForm::default(),
                None,
                Refused::Adding(&e),
            )
            .await
        }
    }
}

/// Renames a unit, as `PATCH /api/v1/units/{code}` does.
async fn rename(
    State(state): State<AppState>,
    signed: Signed,
    Form(f): Form<RenameForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let result = state
        .dossiers
        .units()
        .rename(Actor::Caller(signed.principal()), f.code.trim(), &f.name)
        .await;
    match result {
        Ok(u) => see_other(&format!(
            "/admin/units?{}",
            serde_urlencoded::to_string([("renamed", u.code.as_str())]).unwrap_or_default()
        )),
        Err(e) => {
            let e = ApiError::from(e);
            units_page(
                &state,
                &signed,
                AddForm::default(),
                f,
                None,
                Refused::Renaming(&e),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_lists_each_unit_under_the_one_above_it() {
        let unit = |code: &str, parent: Option<&str>| Unit {
            code: UnitCode::parse(code).unwrap(),
            name: code.into(),
            level: UnitLevel::Commune,
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        };
        let all = [
            unit("HN.D2", Some("HN")),
            unit("HN", None),
            unit("HN.D1.W1", Some("HN.D1")),
            unit("HN.D1", Some("HN")),
            unit("SG", None),
        ];
        let order: Vec<(&str, usize)> = tree(&all)
            .into_iter()
            .map(|(u, d)| (u.code.as_str(), d))
            .collect();
        assert_eq!(
            order,
            [
                ("HN", 0),
                ("HN.D1", 1),
                ("HN.D1.W1", 2),
                ("HN.D2", 1),
                ("SG", 0)
            ]
        );
    }
}
