//! The procedure catalogue (danh mục thủ tục hành chính): which procedures a dossier may be filed
//! under, and their rules. Loaded from TOML: `catalogue/procedures.toml` is built in, and
//! `--procedures FILE` replaces it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::pdf::render::ResultKind;

use crate::vocabulary::{ApplicantKind, UnitLevel};

/// The built-in catalogue.
pub const BUILTIN: &str = include_str!("../../catalogue/procedures.toml");

/// How much of a procedure can be done online (Decree 45/2020/ND-CP, art. 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProvisionLevel {
    /// Every step online, results included.
    #[serde(rename = "FULL")]
    Full,
    /// Some steps need the counter.
    #[serde(rename = "PARTIAL")]
    Partial,
}

/// One administrative procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Stable identifier used in the API, e.g. `business-registration`.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Responsible agency.
    pub agency: String,
    /// Online provision level.
    pub level: ProvisionLevel,
    /// Who may apply.
    pub applicants: Vec<ApplicantKind>,
    /// Processing time in working days.
    pub processing_days: u32,
    /// Whether paper originals must be shown when no valid digital signature covers them.
    pub originals_required: bool,
    /// Procedures that may be handled together with this one (liên thông).
    #[serde(default)]
    pub linked: Vec<String>,
    /// The papers (thành phần hồ sơ) a dossier of this procedure is made of; with
    /// `originals_required`, each is checked against its paper original at the counter.
    #[serde(default)]
    pub components: Vec<Component>,
    /// How long its records are kept (Law on Archives 2024): `"PERMANENT"` or a number of years
    /// (2 to 70) counted from the year the dossier closed. Permanent when not given.
    #[serde(default)]
    pub retention: Retention,
    /// The kinds of result that complete a dossier of this procedure, or its part of an
    /// interlinked one: an agency issues these for its procedure and no other. When not given,
    /// those of the built-in procedure with the same code (so a catalogue published before this
    /// list existed keeps its certificates), else the generic `outcome_notice`. Never the
    /// dossier receipt, which is the receiving counter's, not a procedure's result.
    #[serde(default, with = "result_kinds")]
    pub results: Vec<ResultKind>,
    /// The levels of unit whose counters receive it (`province`, `district`, `commune`,
    /// `department`, `agency`); every level when not given.
    #[serde(default)]
    pub received_at: Vec<UnitLevel>,
}

impl Procedure {
    /// Whether a unit of this level receives it.
    pub fn is_received_at(&self, level: UnitLevel) -> bool {
        self.received_at.is_empty() || self.received_at.contains(&level)
    }

    /// Whether a result of `kind` completes a dossier (or part) of this procedure.
    pub fn issues(&self, kind: ResultKind) -> bool {
        self.results.contains(&kind)
    }
}

/// `results` in TOML: kind names, at least one when given.
mod result_kinds {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use crate::pdf::render::ResultKind;

    pub fn serialize<S: Serializer>(kinds: &[ResultKind], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(kinds.iter().map(|k| k.as_str()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ResultKind>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        if names.is_empty() {
            // An empty list would leave the procedure's dossiers without a way to complete.
            return Err(D::Error::custom(
                "results names at least one kind of result (leave it out for the default)",
            ));
        }
        names
            .iter()
            .map(|n| {
                ResultKind::parse(n).ok_or_else(|| {
                    D::Error::custom(format!(
                        "unknown result kind {n:?} (one of {})",
                        ResultKind::ALL.map(ResultKind::as_str).join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// The result kinds of the built-in procedures, by code: the default for a procedure that names
/// none.
static BUILTIN_RESULTS: LazyLock<BTreeMap<String, Vec<ResultKind>>> = LazyLock::new(|| {
    let file: File = toml::from_str(BUILTIN).expect("the built-in catalogue is valid (tested)");
    file.procedure
        .into_iter()
        .map(|p| (p.code, p.results))
        .collect()
});

/// The result kinds a procedure that names none issues: the built-in procedure's of the same
/// code, else the generic notice of the outcome.
fn default_results(code: &str) -> Vec<ResultKind> {
    BUILTIN_RESULTS
        .get(code)
        .filter(|kinds| !kinds.is_empty())
        .cloned()
        .unwrap_or_else(|| vec![ResultKind::OutcomeNotice])
}

/// How long a procedure's records are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retention {
    /// Kept for ever.
    #[default]
    Permanent,
    /// Kept this many years after the year the dossier closed.
    Years(u32),
}

impl Retention {
    /// The longer of two retentions (permanent is the longest).
    pub fn longest(self, other: Self) -> Self {
        match (self, other) {
            (Self::Years(a), Self::Years(b)) => Self::Years(a.max(b)),
            _ => Self::Permanent,
        }
    }

    /// `PERMANENT` or `N years`.
    pub fn describe(self) -> String {
        match self {
            Self::Permanent => "PERMANENT".into(),
            Self::Years(n) => format!("{n} years"),
        }
    }
}

impl Serialize for Retention {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Permanent => s.serialize_str("PERMANENT"),
            Self::Years(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Years(i64),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "PERMANENT" => Ok(Self::Permanent),
            Raw::Years(n @ 2..=70) => Ok(Self::Years(n as u32)),
            _ => Err(serde::de::Error::custom(
                "retention is \"PERMANENT\" or a number of years from 2 to 70",
            )),
        }
    }
}

/// One paper of a dossier (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Stable identifier within the procedure, e.g. `application`.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Its own retention as a document class, when it must be kept longer than the procedure's
    /// records: a dossier keeps the longest retention of its documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// The catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// Not valid TOML or a field is wrong.
    #[error("procedure catalogue: {0}")]
    Syntax(#[from] toml::de::Error),
    /// A rule across entries is broken.
    #[error("procedure catalogue: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    procedure: Vec<Procedure>,
}

/// All procedures, by code.
#[derive(Debug, Clone)]
pub struct Catalogue {
    procedures: BTreeMap<String, Procedure>,
}

impl Catalogue {
    /// The catalogue shipped with motcua.
    pub fn builtin() -> Self {
        Self::from_toml(BUILTIN).expect("the built-in catalogue is valid (tested)")
    }

    /// Parses a catalogue and checks it: unique codes, at least one applicant kind each, links
    /// that name existing procedures, results that are a procedure's (not the receipt), each
    /// once. A procedure that names no results gets the default (see [`Procedure::results`]).
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        let file: File = toml::from_str(text)?;
        let mut procedures = BTreeMap::new();
        for mut p in file.procedure {
            if p.applicants.is_empty() {
                return Err(CatalogueError::Invalid(format!(
                    "procedure {} names no applicants",
                    p.code
                )));
            }
            if p.results.is_empty() {
                p.results = default_results(&p.code);
            }
            if p.results.contains(&ResultKind::DossierReceipt) {
                return Err(CatalogueError::Invalid(format!(
                    "procedure {}: dossier_receipt is the receiving counter's receipt, not the \
                     result of a procedure",
                    p.code
                )));
            }
            let repeated = p
                .results
                .iter()
                .enumerate()
                .find_map(|(i, k)| p.results[..i].contains(k).then_some(*k));
            if let Some(k) = repeated {
                return Err(CatalogueError::Invalid(format!(
                    "procedure {} lists result {} twice",
                    p.code,
                    k.as_str()
                )));
            }
            for (i, c) in p.components.iter().enumerate() {
                let plausible = !c.code.is_empty()
                    && c.code.len() <= 64
                    && c.code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !plausible {
                    return Err(CatalogueError::Invalid(format!(
                        "procedure {}: component code {:?} must be lowercase letters, digits and -",
                        p.code, c.code
                    )));
                }
                if p.components[..i].iter().any(|o| o.code == c.code) {
                    return Err(CatalogueError::Invalid(format!(
                        "procedure {} lists component {} twice",
                        p.code, c.code
                    )));
                }
            }
            if let Some(dup) = procedures.insert(p.code.clone(), p) {
                return Err(CatalogueError::Invalid(format!(
                    "procedure {} is listed twice",
                    dup.code
                )));
            }
        }
        for p in procedures.values() {
            if let Some(missing) = p.linked.iter().find(|l| !procedures.contains_key(*l)) {
                return Err(CatalogueError::Invalid(format!(
                    "procedure {} links to unknown procedure {missing}",
                    p.code
                )));
            }
        }
        Ok(Self { procedures })
    }

    /// The procedure with this code.
    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.procedures.get(code)
    }

    /// Every procedure, ordered by code.
    pub fn iter(&self) -> impl Iterator<Item = &Procedure> {
        self.procedures.values()
    }

    /// What publishing `new` in place of this catalogue would change, by procedure code:
    /// procedures added, removed, and changed (each field that differs, before and after).
    pub fn differences(&self, new: &Catalogue) -> Vec<Difference> {
        let mut codes: Vec<&String> = self
            .procedures
            .keys()
            .chain(new.procedures.keys())
            .collect();
        codes.sort();
        codes.dedup();
        codes
            .into_iter()
            .filter_map(
                |code| match (self.procedures.get(code), new.procedures.get(code)) {
                    (None, Some(_)) => Some(Difference::Added(code.clone())),
                    (Some(_), None) => Some(Difference::Removed(code.clone())),
                    (Some(a), Some(b)) if a != b => {
                        Some(Difference::Changed(code.clone(), field_changes(a, b)))
                    }
                    _ => None,
                },
            )
            .collect()
    }
}

/// One procedure's difference between two catalogues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Only in the new catalogue.
    Added(String),
    /// Only in the current one: no new dossier can be filed under it.
    Removed(String),
    /// In both, with the fields that differ.
    Changed(String, Vec<FieldChange>),
}

/// A field of a procedure that differs: its name in the TOML file, and its value before and
/// after as short text (lists joined with `, `; components by their codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's name in the file (`processing_days`).
    pub field: &'static str,
    /// Its value in the current catalogue.
    pub before: String,
    /// Its value in the new one.
    pub after: String,
}

fn field_changes(a: &Procedure, b: &Procedure) -> Vec<FieldChange> {
    fn text<T: Serialize>(value: &T) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Object(o) => o
                        .get("code")
                        .and_then(|c| c.as_str())
                        .map_or_else(|| v.to_string(), str::to_owned),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            Ok(other) => other.to_string(),
            Err(_) => String::new(),
        }
    }
    let mut out = Vec::new();
    let mut compare = |field: &'static str, before: String, after: String, same: bool| {
        if !same {
            out.push(FieldChange {
                field,
                before,
                after,
            });
        }
    };
    macro_rules! field {
        ($name:ident) => {
            compare(
                stringify!($name),
                text(&a.$name),
                text(&b.$name),
                a.$name == b.$name,
            )
        };
    }
    field!(name_vi);
    field!(name_en);
    field!(agency);
    field!(level);
    field!(applicants);
    field!(processing_days);
    field!(originals_required);
    field!(linked);
    field!(retention);
    field!(received_at);
    if a.results != b.results {
        let kinds = |p: &Procedure| {
            p.results
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        compare("results", kinds(a), kinds(b), false);
    }
    if a.components != b.components {
        // The same codes with other names or retention still differ: show them whole then.
        let codes = |p: &Procedure| text(&p.components);
        let (before, after) = if codes(a) == codes(b) {
            (
                serde_json::to_string(&a.components).unwrap_or_default(),
                serde_json::to_string(&b.components).unwrap_or_default(),
            )
        } else {
            (codes(a), codes(b))
        };
        compare("components", before, after, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_procedures_added_removed_and_the_fields_changed() {
        let current = Catalogue::builtin();
        let text = BUILTIN
            .replace("processing_days = 3\n", "processing_days = 5\n")
            .replace(
                "name_en = \"Business registration\"",
                "name_en = \"Enterprise registration\"",
            );
        // Birth registration links to the others; drop the last procedure and any link to it.
        let mut new = Catalogue::from_toml(&text).unwrap();
        let last = new.iter().last().unwrap().code.clone();
        new.procedures.remove(&last);
        for p in new.procedures.values_mut() {
            p.linked.retain(|l| *l != last);
        }
        let mut added = current.get("birth-registration").unwrap().clone();
        added.code = "birth-registration-copy".into();
        added.linked.clear();
        new.procedures.insert(added.code.clone(), added);

        let diff = current.differences(&new);
        assert!(diff.contains(&Difference::Added("birth-registration-copy".into())));
        assert!(diff.contains(&Difference::Removed(last.clone())));
        let business = diff
            .iter()
            .find_map(|d| match d {
                Difference::Changed(code, fields) if code == "business-registration" => {
                    Some(fields.clone())
                }
                _ => None,
            })
            .expect("business registration changed");
        assert_eq!(
            business,
            [
                FieldChange {
                    field: "name_en",
                    before: "Business registration".into(),
                    after: "Enterprise registration".into()
                },
                FieldChange {
                    field: "processing_days",
                    before: "3".into(),
                    after: "5".into()
                }
            ]
        );
        assert!(current.differences(&Catalogue::builtin()).is_empty());
    }

    #[test]
    fn the_builtin_catalogue_has_the_four_founding_procedures() {
        let c = Catalogue::builtin();
        for code in [
            "business-registration",
            "birth-registration",
            "permanent-residence",
            "health-insurance-card",
        ] {
            assert!(c.get(code).is_some(), "{code}");
        }
        assert!(c.get("no-such-procedure").is_none());
    }

    #[test]
    fn each_builtin_procedure_names_its_results_and_the_ones_without_a_template_issue_a_notice() {
        let c = Catalogue::builtin();
        let results = |code: &str| c.get(code).unwrap().results.clone();
        assert_eq!(
            results("business-registration"),
            [ResultKind::BusinessRegistration]
        );
        assert_eq!(
            results("birth-registration"),
            [ResultKind::BirthRegistration]
        );
        assert_eq!(results("permanent-residence"), [ResultKind::OutcomeNotice]);
        assert_eq!(
            results("health-insurance-card"),
            [ResultKind::OutcomeNotice]
        );
        // Written out in the file, not left to the default.
        assert!(BUILTIN_RESULTS.values().all(|kinds| !kinds.is_empty()));
        assert!(
            !c.get("birth-registration")
                .unwrap()
                .issues(ResultKind::OutcomeNotice)
        );
    }

    /// A catalogue published before procedures named their results still loads: the built-in
    /// procedures keep their own kinds, any other issues the generic notice.
    #[test]
    fn a_catalogue_without_results_gets_the_builtin_ones_or_the_notice() {
        let old: String = BUILTIN
            .lines()
            .filter(|l| !l.starts_with("results ="))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            + "[[procedure]]\ncode = \"marriage-registration\"\nname_vi = \"Đăng ký kết hôn\"\n\
               name_en = \"Marriage registration\"\nagency = \"Ủy ban nhân dân cấp xã\"\n\
               level = \"PARTIAL\"\napplicants = [\"citizen\"]\nprocessing_days = 5\n\
               originals_required = true\n";
        assert!(!old.contains("results ="));
        let c = Catalogue::from_toml(&old).unwrap();
        for p in Catalogue::builtin().iter() {
            assert_eq!(c.get(&p.code).unwrap().results, p.results, "{}", p.code);
        }
        assert_eq!(
            c.get("marriage-registration").unwrap().results,
            [ResultKind::OutcomeNotice]
        );
    }

    #[test]
    fn results_are_known_kinds_of_a_procedure_each_named_once() {
        let with = |results: &str| {
            BUILTIN.replacen(
                "results = [\"business_registration\"]",
                &format!("results = {results}"),
                1,
            )
        };
        assert!(BUILTIN.contains("results = [\"business_registration\"]"));
        let c =
            Catalogue::from_toml(&with(r#"["business_registration", "outcome_notice"]"#)).unwrap();
        assert!(
            c.get("business-registration")
                .unwrap()
                .issues(ResultKind::OutcomeNotice)
        );
        for (results, why) in [
            ("[]", "at least one"),
            (r#"["marriage_certificate"]"#, "unknown result kind"),
            (r#"["dossier_receipt"]"#, "receiving counter"),
            (r#"["outcome_notice", "outcome_notice"]"#, "twice"),
        ] {
            let e = Catalogue::from_toml(&with(results))
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{results}: {e}");
        }
    }

    #[test]
    fn links_must_name_known_procedures() {
        let text = BUILTIN.replace("\"permanent-residence\", \"health", "\"nowhere\", \"health");
        assert!(matches!(
            Catalogue::from_toml(&text),
            Err(CatalogueError::Invalid(_))
        ));
    }
}
