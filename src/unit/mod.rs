//! Administrative units: the hierarchy a city runs its counters in (province or city → district
//! → ward or commune; departments and other agencies beside them). Each unit has a code (the
//! first part of the codes of the dossiers it receives), a Vietnamese name, a level and a
//! parent.
//!
//! Owns: the units and their rules (codes unique and fixed; a parent that exists and sits above;
//! units never removed, since dossier codes name them), who may change them (administrators),
//! the published form (a TOML file, as the procedure catalogue), the log entries of every change
//! (`unit_added`, `unit_renamed`: code, level, parent, and the SHA-256 of the name), and the
//! start-up migration of a deployment that predates units (the configured unit becomes the
//! first; every existing dossier is assigned the unit its code names).
//!
//! Never: knows dossiers beyond assigning their unit at that migration; reaches HTTP; decides
//! who may see a dossier (that is `dossier::access`).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization as _;

use crate::auth::{Principal, Role};
use crate::db::{Db, DbError, UnitRow};
use crate::ledger::{self, EntryDraft, EntryKind, LedgerError};
use crate::storage::Sha256Digest;
use crate::timestamp::Timestamp;
use crate::vocabulary::{UnitCode, UnitLevel};

/// Longest unit name, in characters.
const MAX_NAME: usize = 200;
/// Largest published unit file.
pub const MAX_FILE: usize = 1024 * 1024;

/// An administrative unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Its code.
    pub code: UnitCode,
    /// Its Vietnamese name.
    pub name: String,
    /// Its level.
    pub level: UnitLevel,
    /// The unit above it.
    pub parent: Option<UnitCode>,
}

/// A unit to add. Without a level, it is one tier below its parent (a province at the top).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// Its code: 1 to 32 letters, digits or dots.
    pub code: String,
    /// Its Vietnamese name.
    pub name: String,
    /// Its level.
    #[serde(default)]
    pub level: Option<UnitLevel>,
    /// The code of the unit above it.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Who changes the units.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A caller of the API (administrators only).
    Caller(&'a Principal),
    /// The operator at the command line (`motcua unit add`).
    Cli,
    /// motcua itself, migrating a deployment that predates units.
    System,
}

impl Actor<'_> {
    fn id(&self) -> &str {
        match self {
            Self::Caller(p) => &p.token_id,
            Self::Cli => "cli",
            Self::System => "system",
        }
    }

    fn check(&self) -> Result<(), UnitError> {
        match self {
            Self::Caller(p) if p.role != Role::Admin => {
                Err(UnitError::Forbidden("only administrators manage units"))
            }
            _ => Ok(()),
        }
    }

    /// A unit's administrator manages that unit and the units below it: `code` must be among
    /// them. The city's administrators (bound to no unit), the command line and motcua itself
    /// manage all.
    fn check_within(&self, units: &[Unit], code: &UnitCode) -> Result<(), UnitError> {
        match self {
            Self::Caller(Principal {
                unit: Some(own), ..
            }) if !subtree_of(units, own).contains(code) => Err(UnitError::Forbidden(
                "a unit's administrator manages that unit and the units below it only",
            )),
            _ => Ok(()),
        }
    }

    /// Whether it manages every unit (the whole set is published only by those who do).
    fn manages_all(&self) -> bool {
        !matches!(self, Self::Caller(Principal { unit: Some(_), .. }))
    }
}

/// Why a unit change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    /// The caller may not change units.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A value breaks a rule (code, name, level, parent), or a published file is not whole.
    #[error("{0}")]
    Invalid(String),
    /// No unit has this code.
    #[error("no unit has the code {0}")]
    NotFound(String),
    /// The code is taken.
    #[error("a unit with the code {0} exists already")]
    Exists(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The log failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A stored unit does not parse: it was changed outside motcua.
    #[error("stored unit {0} is corrupt")]
    Corrupt(String),
}

/// The administrative units of the deployment.
#[derive(Debug, Clone)]
pub struct Units {
    db: Db,
}

impl Units {
    /// Over this database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Every unit, by code.
    pub async fn list(&self) -> Result<Vec<Unit>, UnitError> {
        self.db
            .units()
            .await?
            .into_iter()
            .map(unit_from_row)
            .collect()
    }

    /// The unit with this code.
    pub async fn get(&self, code: &UnitCode) -> Result<Option<Unit>, UnitError> {
        Ok(self.list().await?.into_iter().find(|u| &u.code == code))
    }

    /// The unit and every unit below it, by code.
    pub async fn subtree(&self, code: &UnitCode) -> Result<Vec<UnitCode>, UnitError> {
        Ok(subtree_of(&self.list().await?, code))
    }

    /// Adds a unit, logged.
    pub async fn add(&self, actor: Actor<'_>, new: NewUnit) -> Result<Unit, UnitError> {
        actor.check()?;
        let existing = self.list().await?;
        let unit = checked(new, &existing)?;
        match &unit.parent {
            Some(parent) => actor.check_within(&existing, parent)?,
            None if !actor.manages_all() => {
                return Err(UnitError::Forbidden(
                    "a unit's administrator adds units below it only",
                ));
            }
            None => {}
        }
        let mut tx = self.db.begin().await?;
        insert(&mut tx, actor, &unit).await?;
        tx.commit().await?;
        tracing::info!(unit = %unit.code.as_str(), level = %unit.level, by = actor.id(), "unit added");
        Ok(unit)
    }

    /// Renames a unit, logged.
    pub async fn rename(
        &self,
        actor: Actor<'_>,
        code: &str,
        name: &str,
    ) -> Result<Unit, UnitError> {
        actor.check()?;
        let name = checked_name(name)?;
        let all = self.list().await?;
        let mut unit = all
            .iter()
            .find(|u| u.code.as_str() == code)
            .cloned()
            .ok_or_else(|| UnitError::NotFound(code.to_owned()))?;
        actor.check_within(&all, &unit.code)?;
        if unit.name == name {
            return Ok(unit);
        }
        unit.name = name;
        let mut tx = self.db.begin().await?;
        rename(&mut tx, &unit).await?;
        tx.commit().await?;
        tracing::info!(unit = %code, by = actor.id(), "unit renamed");
        Ok(unit)
    }

    /// Publishes the whole set of units as a TOML file (`[[unit]]` tables with `code`, `name`,
    /// `level`, `parent`): new units are added, changed names renamed, in one transaction, each
    /// change logged. The file must hold every existing unit (units are never removed: dossier
    /// codes name them) with its level and parent unchanged. Returns the units now.
    pub async fn publish(&self, actor: Actor<'_>, toml_text: &str) -> Result<Vec<Unit>, UnitError> {
        actor.check()?;
        if !actor.manages_all() {
            return Err(UnitError::Forbidden(
                "the whole set of units is published by the city's administrators only",
            ));
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            unit: Vec<NewUnit>,
        }
        if toml_text.len() > MAX_FILE {
            return Err(UnitError::Invalid("a unit file is at most 1 MiB".into()));
        }
        let file: File = toml::from_str(toml_text)
            .map_err(|e| UnitError::Invalid(format!("the unit file: {e}")))?;
        let mut known = self.list().await?;
        let before: HashMap<String, Unit> = known
            .iter()
            .map(|u| (u.code.as_str().to_owned(), u.clone()))
            .collect();
        let mut listed = HashSet::new();
        let mut added = Vec::new();
        let mut renamed = Vec::new();
        // Parents first: a unit may name one further down the file.
        let mut pending = file.unit;
        while !pending.is_empty() {
            let ready = pending.iter().position(|n| {
                n.parent.as_deref().is_none_or(|p| {
                    known.iter().any(|u| u.code.as_str() == p)
                        || !pending.iter().any(|o| o.code == p)
                })
            });
            let new = pending.remove(ready.unwrap_or(0));
            if !listed.insert(new.code.clone()) {
                return Err(UnitError::Invalid(format!(
                    "unit {} is listed twice",
                    new.code
                )));
            }
            match before.get(&new.code) {
                Some(old) => {
                    let name = checked_name(&new.name)?;
                    let level = new.level.unwrap_or(old.level);
                    let parent = new.parent.as_deref();
                    if level != old.level || parent != old.parent.as_ref().map(UnitCode::as_str) {
                        return Err(UnitError::Invalid(format!(
                            "unit {}: its level and parent cannot change (they are {} and {})",
                            new.code,
                            old.level,
                            old.parent.as_ref().map_or("none", UnitCode::as_str)
                        )));
                    }
                    if name != old.name {
                        renamed.push(Unit {
                            name,
                            ..old.clone()
                        });
                    }
                }
                None => {
                    let unit = checked(new, &known)?;
                    known.push(unit.clone());
                    added.push(unit);
                }
            }
        }
        if let Some(missing) = before.keys().find(|c| !listed.contains(*c)) {
            return Err(UnitError::Invalid(format!(
                "unit {missing} is missing from the file: units are never removed (dossier codes \
                 name them)"
            )));
        }
        let mut tx = self.db.begin().await?;
        for unit in &added {
            insert(&mut tx, actor, unit).await?;
        }
        for unit in &renamed {
            rename(&mut tx, unit).await?;
        }
        tx.commit().await?;
        tracing::info!(
            added = added.len(),
            renamed = renamed.len(),
            by = actor.id(),
            "units published"
        );
        self.list().await
    }

    /// Brings a deployment that predates units (or a new one) into the hierarchy: with no unit
    /// yet, the configured one becomes the first (a province-level root, named by its code until
    /// renamed); then every dossier filed before is assigned the unit its code names, and a code
    /// naming no unit (from an earlier configuration) gets its unit added under the first. Safe
    /// to run on every start and on several nodes at once.
    pub async fn migrate(&self, configured: &UnitCode) -> Result<(), UnitError> {
        if self.db.units().await?.is_empty() {
            let first = Unit {
                code: configured.clone(),
                name: configured.as_str().to_owned(),
                level: UnitLevel::Province,
                parent: None,
            };
            self.insert_racing(&first).await?;
        }
        // Each round settles every dossier of one unit code: nothing to do on every start but
        // the first, one indexed look-up.
        while let Some(code) = self.db.dossier_without_unit().await? {
            let prefix = code.split('-').next().unwrap_or_default();
            let unit_code = UnitCode::parse(prefix)
                .map_err(|_| UnitError::Corrupt(format!("dossier {code}: no unit code")))?;
            let units = self.list().await?;
            if !units.iter().any(|u| u.code == unit_code) {
                // A unit of an earlier configuration: under the first, a tier below it.
                let root = units.iter().find(|u| u.parent.is_none());
                let unit = Unit {
                    name: unit_code.as_str().to_owned(),
                    code: unit_code,
                    level: UnitLevel::below(root.map(|r| r.level)),
                    parent: root.map(|r| r.code.clone()),
                };
                self.insert_racing(&unit).await?;
            }
            if self.db.assign_dossiers_to_unit(prefix).await? == 0 {
                // Only a code edited by hand (no `<unit>-` in front) can get here: say so
                // rather than look for it forever.
                return Err(UnitError::Corrupt(format!("dossier {code}: no unit code")));
            }
        }
        Ok(())
    }

    /// Inserts a unit unless another node just did.
    async fn insert_racing(&self, unit: &Unit) -> Result<(), UnitError> {
        let mut tx = self.db.begin().await?;
        match insert(&mut tx, Actor::System, unit).await {
            Ok(()) => {
                tx.commit().await?;
                tracing::info!(unit = %unit.code.as_str(), "unit added by the start-up migration");
                Ok(())
            }
            Err(UnitError::Db(e)) if e.is_unique_violation() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The unit `root` and every unit below it among `units`, by code.
pub fn subtree_of(units: &[Unit], root: &UnitCode) -> Vec<UnitCode> {
    let mut found = vec![root.clone()];
    let mut i = 0;
    while i < found.len() {
        let above = found[i].clone();
        for unit in units {
            // A cycle (only a database edited by hand could hold one) is walked once.
            if unit.parent.as_ref() == Some(&above) && !found.contains(&unit.code) {
                found.push(unit.code.clone());
            }
        }
        i += 1;
    }
    found.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    found
}

/// The unit that processes a linked procedure received at `receiving`: the receiving unit when
/// the procedure is handled at its level (or at every level: `levels` empty), else the nearest
/// unit above it of one of `levels` (a ward receives, the district processes). `None` when no
/// unit above has such a level.
pub fn processing_unit(
    units: &[Unit],
    receiving: &UnitCode,
    levels: &[UnitLevel],
) -> Option<UnitCode> {
    let mut at = units.iter().find(|u| &u.code == receiving)?;
    // At most as many steps as there are units: a cycle (a database edited by hand) ends.
    for _ in 0..=units.len() {
        if levels.is_empty() || levels.contains(&at.level) {
            return Some(at.code.clone());
        }
        let parent = at.parent.as_ref()?;
        at = units.iter().find(|u| &u.code == parent)?;
    }
    None
}

/// A unit to add, checked against the existing ones.
fn checked(new: NewUnit, existing: &[Unit]) -> Result<Unit, UnitError> {
    let code = UnitCode::parse(new.code.trim())
        .map_err(|e| UnitError::Invalid(format!("code {:?}: {}", new.code, e.rule)))?;
    if existing.iter().any(|u| u.code == code) {
        return Err(UnitError::Exists(code.as_str().to_owned()));
    }
    let name = checked_name(&new.name)?;
    let parent = match new.parent.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            existing
                .iter()
                .find(|u| u.code.as_str() == p)
                .ok_or_else(|| {
                    UnitError::Invalid(format!("parent {p:?}: no unit has this code"))
                })?,
        ),
    };
    let level = new
        .level
        .unwrap_or(UnitLevel::below(parent.map(|p| p.level)));
    if let Some(parent) = parent
        && !level.may_sit_under(parent.level)
    {
        return Err(UnitError::Invalid(format!(
            "a {level} cannot sit under a {} ({})",
            parent.level,
            parent.code.as_str()
        )));
    }
    Ok(Unit {
        code,
        name,
        level,
        parent: parent.map(|p| p.code.clone()),
    })
}

/// A name: trimmed, NFC, 1 to 200 characters, no control characters.
fn checked_name(name: &str) -> Result<String, UnitError> {
    let name: String = name.trim().nfc().collect();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME || name.chars().any(char::is_control) {
        return Err(UnitError::Invalid(format!(
            "a unit's name is 1 to {MAX_NAME} characters, without control characters"
        )));
    }
    Ok(name)
}

fn name_digest(name: &str) -> String {
    Sha256Digest::of(name.as_bytes()).to_hex()
}

async fn insert(tx: &mut crate::db::Tx, actor: Actor<'_>, unit: &Unit) -> Result<(), UnitError> {
    let now = Timestamp::now();
    let mut draft = EntryDraft::new(EntryKind::UnitAdded)
        .text("unit", unit.code.as_str())
        .text("level", unit.level.as_str())
        .text("name_sha256", name_digest(&unit.name));
    if let Some(parent) = &unit.parent {
        draft = draft.text("parent", parent.as_str());
    }
    let appended = ledger::append(tx, &now, &[draft]).await?;
    tx.insert_unit(&UnitRow {
        code: unit.code.as_str().to_owned(),
        name: unit.name.clone(),
        level: unit.level.as_str().to_owned(),
        parent_code: unit.parent.as_ref().map(|p| p.as_str().to_owned()),
        created_by: actor.id().to_owned(),
        created_at: now.to_string(),
        ledger_index: appended[0].index as i64,
    })
    .await?;
    Ok(())
}

async fn rename(tx: &mut crate::db::Tx, unit: &Unit) -> Result<(), UnitError> {
    let now = Timestamp::now();
    let appended = ledger::append(
        tx,
        &now,
        &[EntryDraft::new(EntryKind::UnitRenamed)
            .text("unit", unit.code.as_str())
            .text("name_sha256", name_digest(&unit.name))],
    )
    .await?;
    if !tx
        .rename_unit(unit.code.as_str(), &unit.name, appended[0].index as i64)
        .await?
    {
        return Err(UnitError::NotFound(unit.code.as_str().to_owned()));
    }
    Ok(())
}

fn unit_from_row(row: UnitRow) -> Result<Unit, UnitError> {
    let corrupt = || UnitError::Corrupt(row.code.clone());
    Ok(Unit {
        code: UnitCode::parse(&row.code).map_err(|_| corrupt())?,
        level: row.level.parse().map_err(|_| corrupt())?,
        parent: row
            .parent_code
            .as_deref()
            .map(UnitCode::parse)
            .transpose()
            .map_err(|_| corrupt())?,
        name: row.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, level: UnitLevel, parent: Option<&str>) -> Unit {
        Unit {
            code: UnitCode::parse(code).unwrap(),
            name: code.into(),
            level,
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        }
    }

    #[test]
    fn a_linked_part_is_processed_here_or_at_the_nearest_unit_above_of_its_level() {
        let units = [
            unit("HN", UnitLevel::Province, None),
            unit("Q1", UnitLevel::District, Some("HN")),
            unit("P1", UnitLevel::Commune, Some("Q1")),
        ];
        let p1 = UnitCode::parse("P1").unwrap();
        let at = |levels: &[UnitLevel]| {
            processing_unit(&units, &p1, levels).map(|c| c.as_str().to_owned())
        };
        assert_eq!(at(&[]).as_deref(), Some("P1"), "every level: here");
        assert_eq!(at(&[UnitLevel::Commune]).as_deref(), Some("P1"));
        assert_eq!(at(&[UnitLevel::District]).as_deref(), Some("Q1"));
        assert_eq!(at(&[UnitLevel::Province]).as_deref(), Some("HN"));
        assert_eq!(
            at(&[UnitLevel::Department]),
            None,
            "no unit above of that level"
        );
    }
}
