//! The archivist's screens (issue 16, part 3): the archive's search (`GET /archive`: the API's
//! filters, a table sortable by code, date, procedure and retention, paging by cursor, a link
//! that keeps the search), a record's page (`GET /archive/{id}`: proof status of each paper and
//! result — its log entry, the checkpoint, checked now —, retention, the legal hold placed and
//! lifted with a reason, the disposal asked for, withdrawn and approved, the bag to download),
//! and the fixity audits' findings (`GET /archive/fixity`).
//!
//! Never decides a right itself: every read and act goes through the services the API's
//! handlers call (`DossierService`, `ResultService`, `FixityAuditor`, `Ledger`), with the
//! person's principal, and a refusal comes back as the API's code in words. Whether a person
//! works in the archive at all is `archive::works_in_archive`, the rule the fixity audits use.
//! Forms show only the acts of the person's role (a disposal is asked for by an archivist and
//! approved by an administrator); the services refuse the rest anyway. Never reaches `db`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::{Principal, Role};
use crate::dossier::catalogue::Retention;
use crate::dossier::retention::RetentionView;
use crate::dossier::{Dossier, DossierStatus};
use crate::ledger::proof;
use crate::timestamp::Timestamp;

use super::super::dossiers::{ListParams, to_query};
use super::super::wire::DocumentJson;
use super::super::{ApiError, AppState};
use super::counter::day_start;
use super::format::{date, moment, number};
use super::i18n::{Lang, Messages};
use super::{Signed, UserBar, failure, page, see_other};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/archive", get(search))
        .route("/archive/fixity", get(fixity))
        .route("/archive/{id}", get(record))
        .route("/archive/{id}/hold", post(place_hold))
        .route("/archive/{id}/hold/lift", post(lift_hold))
        .route("/archive/{id}/disposal", post(request_disposal))
        .route("/archive/{id}/disposal/withdraw", post(withdraw_disposal))
        .route("/archive/{id}/disposal/approve", post(approve_disposal))
}

/// The page size of the search.
const PAGE: u32 = 50;

/// The refusal of anyone who does not work in the archive, as the archive's API refuses them.
fn refused(signed: &Signed) -> Option<Response> {
    crate::archive::works_in_archive(signed.principal())
        .err()
        .map(|e| {
            failure(
                signed.lang,
                &ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            )
        })
}

fn procedure_name(state: &AppState, lang: Lang, code: &str) -> String {
    state.dossiers.catalogue().get(code).map_or_else(
        || code.to_owned(),
        |p| match lang {
            Lang::Vi => p.name_vi.clone(),
            Lang::En => p.name_en.clone(),
        },
    )
}

/// A retention in words: `Vĩnh viễn`, `10 năm`.
fn retention_words(r: Retention, t: &Messages) -> String {
    match r {
        Retention::Permanent => t.get("retention-permanent"),
        Retention::Years(n) => t.with("retention-years", "n", &n.to_string()),
    }
}

/// An RFC 3339 instant as the pages write it (as recorded when it does not parse).
fn instant(text: &str) -> String {
    Timestamp::parse(text).map_or_else(|_| text.to_owned(), |t| moment(&t))
}

/// The search's fields, as the form sends them. Dates are `dd/mm/yyyy` (or `yyyy-mm-dd`).
#[derive(Debug, Default, Deserialize)]
struct SearchParams {
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    result_code: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

impl SearchParams {
    /// The filters as given (trimmed, empty ones left out), in the form's order.
    fn filters(&self) -> Vec<(&'static str, &str)> {
        [
            ("procedure", self.procedure.as_str()),
            ("status", self.status.as_str()),
            ("code", self.code.as_str()),
            ("tax_code", self.tax_code.as_str()),
            ("id_number", self.id_number.as_str()),
            ("name", self.name.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("result_code", self.result_code.as_str()),
            ("sha256", self.sha256.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// This search's page, sorted by `sort`, from `cursor`.
    fn link(&self, sort: &str, cursor: &str) -> String {
        let mut pairs = self.filters();
        if !sort.is_empty() {
            pairs.push(("sort", sort));
        }
        if !cursor.is_empty() {
            pairs.push(("cursor", cursor));
        }
        let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if encoded.is_empty() {
            "/archive".to_owned()
        } else {
            format!("/archive?{encoded}")
        }
    }

    /// The API's search parameters (`GET /api/v1/dossiers`, `/api/v1/archive/bag`), the days
    /// turned into instants in Vietnam (`to` inclusive). Invalid days are `invalid_query`.
    fn api_pairs(&self) -> Result<Vec<(&'static str, String)>, ApiError> {
        let bad_day = || ApiError::invalid_query("from and to are dates (dd/mm/yyyy)");
        let from = day_start(&self.from, 0).map_err(|()| bad_day())?;
        let to = day_start(&self.to, 1).map_err(|()| bad_day())?;
        let mut out = Vec::new();
        for (k, v) in self.filters() {
            match k {
                "from" => out.push(("submitted_from", from.clone().unwrap_or_default())),
                "to" => out.push(("submitted_to", to.clone().unwrap_or_default())),
                _ => out.push((k, v.to_owned())),
            }
        }
        Ok(out)
    }
}

/// The listing parameters of the API from its search pairs.
fn list_params(pairs: &[(&'static str, String)], cursor: &str) -> ListParams {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    ListParams {
        procedure: get("procedure"),
        status: get("status"),
        tax_code: get("tax_code"),
        id_number: get("id_number"),
        code: get("code"),
        name: get("name"),
        result_code: get("result_code"),
        sha256: get("sha256").map(|s| s.to_ascii_lowercase()),
        agency: None,
        submitted_from: get("submitted_from"),
        submitted_to: get("submitted_to"),
        limit: Some(PAGE),
        cursor: Some(cursor.to_owned()).filter(|c| !c.is_empty()),
    }
}

/// A column the results sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Code,
    Date,
    Procedure,
    Retention,
}

impl SortKey {
    const ALL: [SortKey; 4] = [Self::Code, Self::Date, Self::Procedure, Self::Retention];

    fn name(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Date => "date",
            Self::Procedure => "procedure",
            Self::Retention => "retention",
        }
    }

    /// `code` (ascending) or `-code` (descending); nothing else sorts.
    fn read(text: &str) -> Option<(Self, bool)> {
        let (name, descending) = match text.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .map(|k| (k, descending))
    }
}

/// One found dossier, with what it sorts by.
struct Found {
    id: String,
    code: String,
    applicant: String,
    procedure: String,
    status: String,
    submitted: String,
    submitted_at: Timestamp,
    retention: String,
    /// Years kept; permanent sorts last.
    retention_years: u32,
}

/// Sorts one page of results (the service lists newest first and has no other order).
fn sort_found(rows: &mut [Found], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let order = match key {
            SortKey::Code => a.code.cmp(&b.code),
            SortKey::Date => a.submitted_at.cmp(&b.submitted_at),
            SortKey::Procedure => a.procedure.to_lowercase().cmp(&b.procedure.to_lowercase()),
            SortKey::Retention => a.retention_years.cmp(&b.retention_years),
        };
        if descending { order.reverse() } else { order }
    });
}

struct Column {
    label: String,
    href: String,
    /// `ascending`, `descending`, or empty.
    sorted: &'static str,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "archive_search.html")]
struct SearchPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    p: SearchParams,
    procedures: Vec<Choice>,
    statuses: Vec<Choice>,
    columns: Vec<Column>,
    rows: Vec<Found>,
    next: Option<String>,
    /// This search, to keep (a link).
    keep: String,
    /// The bag of everything found (archivists).
    bag: Option<String>,
    searched: bool,
}

/// The archive's search.
async fn search(
    State(state): State<AppState>,
    signed: Signed,
    Query(p): Query<SearchParams>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if let Some(r) = refused(&signed) {
        return r;
    }
    let principal = signed.principal();
    let pairs = match p.api_pairs() {
        Ok(pairs) => pairs,
        Err(e) => return failure(lang, &e),
    };
    let query = match to_query(list_params(&pairs, &p.cursor)) {
        Ok(q) => q,
        Err(e) => return failure(lang, &e),
    };
    let listing = match state.dossiers.list(principal, query).await {
        Ok(l) => l,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let catalogue = state.dossiers.catalogue();
    let mut rows: Vec<Found> = listing
        .items
        .iter()
        .map(|d| {
            // The procedure's retention (a paper may keep the record longer: its page says).
            let retention = catalogue
                .get(&d.procedure)
                .map_or(Retention::Permanent, |pr| pr.retention);
            Found {
                id: d.id.clone(),
                code: d.code.to_string(),
                applicant: d.applicant.name().to_owned(),
                procedure: procedure_name(&state, lang, &d.procedure),
                status: t.get(&format!("status-{}", d.status.as_str())),
                submitted: moment(&d.submitted_at),
                submitted_at: d.submitted_at,
                retention: retention_words(retention, t),
                retention_years: match retention {
                    Retention::Permanent => u32::MAX,
                    Retention::Years(n) => n,
                },
            }
        })
        .collect();
    let sorted = SortKey::read(&p.sort);
    if let Some((key, descending)) = sorted {
        sort_found(&mut rows, key, descending);
    }
    let columns = SortKey::ALL
        .into_iter()
        .map(|key| {
            let (sorted, next) = match sorted {
                Some((k, false)) if k == key => ("ascending", format!("-{}", key.name())),
                Some((k, true)) if k == key => ("descending", key.name().to_owned()),
                _ => ("", key.name().to_owned()),
            };
            Column {
                label: t.get(&format!("archive-sort-{}", key.name())),
                href: p.link(&next, &p.cursor),
                sorted,
            }
        })
        .collect();
    let mut procedures = vec![Choice {
        value: String::new(),
        label: t.get("queue-any-procedure"),
        selected: p.procedure.is_empty(),
    }];
    procedures.extend(catalogue.iter().map(|pr| Choice {
        value: pr.code.clone(),
        label: procedure_name(&state, lang, &pr.code),
        selected: pr.code == p.procedure.trim(),
    }));
    let mut statuses = vec![Choice {
        value: String::new(),
        label: t.get("archive-any-status"),
        selected: p.status.is_empty(),
    }];
    statuses.extend(DossierStatus::ALL.into_iter().map(|s| Choice {
        value: s.as_str().to_owned(),
        label: t.get(&format!("status-{}", s.as_str())),
        selected: s.as_str() == p.status.trim(),
    }));
    let bag = crate::archive::export::may_export(principal)
        .ok()
        .map(|()| {
            let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            if encoded.is_empty() {
                "/api/v1/archive/bag".to_owned()
            } else {
                format!("/api/v1/archive/bag?{encoded}")
            }
        });
    let next = listing.next_cursor.map(|c| p.link(&p.sort, &c));
    let keep = p.link(&p.sort, "");
    page(
        StatusCode::OK,
        SearchPage {
            lang,
            t,
            back: p.link(&p.sort, &p.cursor),
            user: signed.bar(),
            searched: !p.filters().is_empty(),
            procedures,
            statuses,
            columns,
            rows,
            next,
            keep,
            bag,
            p,
        }
        .render(),
    )
}

struct Fact {
    label: String,
    value: String,
}

/// One logged thing of the record (a paper or a result) and what checking its proof says now.
struct Proven {
    kind: String,
    name: String,
    index: String,
    class: &'static str,
    verdict: String,
    why: String,
    /// What the newest fixity audit says of its bytes.
    fixity: String,
    /// Whether that is a problem.
    fixity_bad: bool,
}

struct Hold {
    reason: String,
    placed: String,
}

struct Disposal {
    pending: bool,
    decision: String,
    reason: String,
    requested: String,
    by: String,
    disposed: String,
    objects: String,
}

#[derive(Template)]
#[template(path = "archive_record.html")]
struct RecordPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: String,
    user: Option<UserBar>,
    id: String,
    code: String,
    notice: Option<String>,
    facts: Vec<Fact>,
    retention: Vec<Fact>,
    hold: Option<Hold>,
    disposal: Option<Disposal>,
    proofs: Vec<Proven>,
    checkpoint_size: String,
    checkpoint_root: String,
    checkpoint_note: String,
    fixity_line: String,
    csrf_token: String,
    may_request: bool,
    may_approve: bool,
    may_export: bool,
}

#[derive(Deserialize, Default)]
struct RecordParams {
    #[serde(default)]
    done: String,
}

/// Where a retention comes from, in the person's words: the service records it in English
/// (`the procedure X`, `the procedure X (no longer catalogued)`, `the paper Y (name)`).
fn retention_source(recorded: &str, state: &AppState, lang: Lang, t: &Messages) -> String {
    if let Some(rest) = recorded.strip_prefix("the procedure ") {
        return match rest.strip_suffix(" (no longer catalogued)") {
            Some(code) => t.with("retention-from-old-procedure", "procedure", code),
            None => t.with(
                "retention-from-procedure",
                "procedure",
                &procedure_name(state, lang, rest),
            ),
        };
    }
    if let Some(rest) = recorded.strip_prefix("the paper ") {
        let name = rest
            .split_once(" (")
            .and_then(|(_, n)| n.strip_suffix(')'))
            .unwrap_or(rest);
        return t.with("retention-from-paper", "paper", name);
    }
    recorded.to_owned()
}

/// A record's page.
async fn record(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(params): Query<RecordParams>,
) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    if let Some(r) = refused(&signed) {
        return r;
    }
    let principal = signed.principal();
    let dossier = match state.dossiers.get(principal, &id).await {
        Ok(d) => d,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let view = match state.dossiers.retention_of(&dossier).await {
        Ok(v) => v,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let results = match state.results.list(principal, &dossier.id).await {
        Ok(r) => r,
        Err(e) => return failure(lang, &ApiError::from(e)),
    };
    let summary = match state.fixity.summary(principal, 1).await {
        Ok(s) => s,
        Err(e) => {
            return failure(
                lang,
                &ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            );
        }
    };
    let notice = match params.done.as_str() {
        "hold-placed" | "hold-lifted" | "disposal-requested" | "disposal-withdrawn"
        | "disposal-approved" => Some(t.get(&format!("archive-done-{}", params.done))),
        _ => None,
    };
    let findings: HashMap<&str, &str> = summary
        .findings
        .iter()
        .map(|f| (f.sha256.as_str(), f.problem.as_str()))
        .collect();
    let fixity_line = match summary.audits.first() {
        None => t.get("fixity-none-yet"),
        Some(a) => match &a.finished_at {
            Some(done) => t.with_args(
                "fixity-last",
                &[
                    ("date", &instant(done)),
                    ("checked", &number(a.checked.max(0) as u64)),
                    ("problems", &number(a.problems.max(0) as u64)),
                ],
            ),
            None => t.with("fixity-running", "date", &instant(&a.started_at)),
        },
    };
    let audited = summary
        .audits
        .first()
        .is_some_and(|a| a.finished_at.is_some());
    let (proofs, checkpoint) = proofs(&state, t, &dossier, &results, &findings, audited).await;
    let (checkpoint_size, checkpoint_root, checkpoint_note) = match checkpoint {
        Some(cp) => (number(cp.size), hex::encode(cp.root), cp.note),
        None => Default::default(),
    };
    let retention = retention_facts(&state, lang, t, &view);
    let hold = view.legal_hold.as_ref().map(|h| Hold {
        reason: h.reason.clone(),
        placed: instant(&h.placed_at),
    });
    let disposal = view.disposal.as_ref().map(|d| Disposal {
        pending: d.approved_at.is_none(),
        decision: d.decision.clone(),
        reason: d.reason.clone(),
        requested: instant(&d.requested_at),
        by: if d.requested_by == principal.token_id {
            t.get("disposal-by-you")
        } else {
            t.get("disposal-by-other")
        },
        disposed: d.approved_at.as_deref().map(instant).unwrap_or_default(),
        objects: match (d.objects_deleted, d.objects_kept) {
            (Some(del), Some(kept)) => t.with_args(
                "disposal-objects",
                &[
                    ("deleted", &number(del.max(0) as u64)),
                    ("kept", &number(kept.max(0) as u64)),
                ],
            ),
            _ => String::new(),
        },
    });
    let facts = vec![
        Fact {
            label: t.get("field-procedure"),
            value: procedure_name(&state, lang, &dossier.procedure),
        },
        Fact {
            label: t.get("field-applicant"),
            value: dossier.applicant.name().to_owned(),
        },
        Fact {
            label: t.get("field-status"),
            value: t.get(&format!("status-{}", dossier.status.as_str())),
        },
        Fact {
            label: t.get("field-submitted"),
            value: moment(&dossier.submitted_at),
        },
    ];
    page(
        StatusCode::OK,
        RecordPage {
            lang,
            t,
            back: format!("/archive/{}", dossier.id),
            user: signed.bar(),
            id: dossier.id.clone(),
            code: dossier.code.to_string(),
            notice,
            facts,
            retention,
            hold,
            disposal,
            proofs,
            checkpoint_size,
            checkpoint_root,
            checkpoint_note,
            fixity_line,
            csrf_token: signed.session.csrf_token.clone(),
            // What each role does with a disposal (the service refuses the others anyway).
            may_request: principal.role == Role::Archivist,
            may_approve: principal.role == Role::Admin,
            may_export: crate::archive::export::may_export(principal).is_ok(),
        }
        .render(),
    )
}

fn retention_facts(state: &AppState, lang: Lang, t: &Messages, v: &RetentionView) -> Vec<Fact> {
    let mut out = vec![
        Fact {
            label: t.get("retention-kept"),
            value: retention_words(v.retention, t),
        },
        Fact {
            label: t.get("retention-source"),
            value: retention_source(&v.retention_from, state, lang, t),
        },
        Fact {
            label: t.get("retention-closed"),
            value: v
                .closed_year
                .map_or_else(|| t.get("retention-open"), |y| y.to_string()),
        },
    ];
    let disposable = match (v.retention, v.disposable_from, &v.legal_hold) {
        (Retention::Permanent, ..) => t.get("retention-never"),
        (_, _, Some(_)) => t.get("retention-held"),
        (_, Some(day), None) => date(day),
        (_, None, None) => t.get("retention-not-started"),
    };
    out.push(Fact {
        label: t.get("retention-disposable-from"),
        value: disposable,
    });
    out
}

/// Each paper's and result's proof, built as the API's `/proof` endpoints build it and checked
/// now against the log's key (`ledger::proof::verify_document_proof`) and the fingerprint the
/// record holds; with the newest fixity audit's finding on its bytes, if any. Also the
/// checkpoint the proofs were checked in.
async fn proofs(
    state: &AppState,
    t: &Messages,
    d: &Dossier,
    results: &[crate::result::IssuedResult],
    findings: &HashMap<&str, &str>,
    audited: bool,
) -> (Vec<Proven>, Option<crate::ledger::SignedCheckpoint>) {
    struct Item {
        kind: String,
        name: String,
        index: Option<u64>,
        format: &'static str,
        record: serde_json::Value,
        sha256: String,
    }
    let mut items: Vec<Item> = d
        .documents
        .iter()
        .map(|doc| Item {
            kind: t.get("proof-kind-paper"),
            name: doc.filename.clone(),
            index: doc.ledger_index,
            format: proof::FORMAT,
            record: serde_json::to_value(DocumentJson::from(doc)).unwrap_or_default(),
            sha256: doc.sha256.to_hex(),
        })
        .collect();
    items.extend(results.iter().map(|r| Item {
        kind: t.get("proof-kind-result"),
        name: r.code.clone(),
        index: Some(r.ledger_index),
        format: proof::RESULT_FORMAT,
        record: serde_json::json!({"id": r.id, "code": r.code, "sha256": r.sha256.to_hex()}),
        sha256: r.sha256.to_hex(),
    }));
    let highest = items.iter().filter_map(|i| i.index).max();
    let checkpoint = match highest {
        Some(h) => match state.ledger.checkpoint_covering(h + 1).await {
            Ok(cp) => Some(cp),
            Err(e) => {
                tracing::error!(error = %e, "reading the checkpoint for a record's page");
                None
            }
        },
        None => None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let (class, verdict, why) = match (item.index, &checkpoint) {
            (None, _) => ("invalid", t.get("proof-unlogged"), String::new()),
            (Some(_), None) => ("unknown", t.get("proof-unchecked"), String::new()),
            (Some(index), Some(cp)) => {
                match state
                    .ledger
                    .record_proof(item.format, item.record, index, cp)
                    .await
                {
                    Err(e) => {
                        tracing::error!(error = %e, index, "building a proof for a record's page");
                        ("unknown", t.get("proof-unchecked"), String::new())
                    }
                    Ok(p) => match proof::verify_document_proof(
                        &p,
                        state.ledger.verifier(),
                        Some(&item.sha256),
                    ) {
                        Ok(_) => ("valid", t.get("proof-verified"), String::new()),
                        Err(why) => ("invalid", t.get("proof-failed"), why),
                    },
                }
            }
        };
        // A finding of the newest audit, else intact if that audit finished (objects stored
        // since it finished wait for the next one).
        let finding = findings.get(item.sha256.as_str());
        let fixity = match finding {
            Some(problem) => fixity_problem(problem, t),
            None if audited => t.get("proof-fixity-ok"),
            None => t.get("proof-fixity-none"),
        };
        out.push(Proven {
            kind: item.kind,
            name: item.name,
            index: item.index.map(number).unwrap_or_default(),
            class,
            verdict,
            why,
            fixity,
            fixity_bad: finding.is_some(),
        });
    }
    (out, checkpoint)
}

/// A fixity problem in the person's words: the auditor records `missing from the store`,
/// `unreadable: ...` or `changed: ...`.
fn fixity_problem(recorded: &str, t: &Messages) -> String {
    if recorded.starts_with("missing") {
        t.get("fixity-missing")
    } else if recorded.starts_with("unreadable") {
        t.get("fixity-unreadable")
    } else if recorded.starts_with("changed") {
        t.get("fixity-changed")
    } else {
        recorded.to_owned()
    }
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct DisposalForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// Back to the record's page, which says what was done; or the refusal in words.
fn after(
    lang: Lang,
    id: &str,
    done: &str,
    outcome: Result<RetentionView, crate::dossier::DossierError>,
) -> Response {
    match outcome {
        Ok(_) => see_other(&format!("/archive/{id}?done={done}")),
        Err(e) => failure(lang, &ApiError::from(e)),
    }
}

/// Places a legal hold: `PUT /api/v1/dossiers/{id}/legal-hold`'s decision.
async fn place_hold(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let outcome = state
        .dossiers
        .place_legal_hold(signed.principal(), &id, &f.reason)
        .await;
    after(signed.lang, &id, "hold-placed", outcome)
}

/// Lifts a legal hold: `DELETE /api/v1/dossiers/{id}/legal-hold`'s decision.
async fn lift_hold(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let outcome = state
        .dossiers
        .lift_legal_hold(signed.principal(), &id, &f.reason)
        .await;
    after(signed.lang, &id, "hold-lifted", outcome)
}

/// Asks for a disposal: `POST /api/v1/dossiers/{id}/disposal`'s decision.
async fn request_disposal(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<DisposalForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let outcome = state
        .dossiers
        .request_disposal(signed.principal(), &id, &f.decision, &f.reason)
        .await;
    after(signed.lang, &id, "disposal-requested", outcome)
}

/// Withdraws a disposal request: `DELETE /api/v1/dossiers/{id}/disposal`'s decision.
async fn withdraw_disposal(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let outcome = state
        .dossiers
        .withdraw_disposal(signed.principal(), &id, &f.reason)
        .await;
    after(signed.lang, &id, "disposal-withdrawn", outcome)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// Approves a disposal and carries it out: `POST /api/v1/dossiers/{id}/disposal/approval`'s
/// decision (an administrator who did not ask for it). The record's page then says it was
/// disposed of (its rows and log entries stay; its files are gone).
async fn approve_disposal(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.refuse_form(&f.csrf_token) {
        return refused;
    }
    let outcome = state
        .dossiers
        .approve_disposal(signed.principal(), &id)
        .await;
    after(signed.lang, &id, "disposal-approved", outcome)
}

struct AuditRow {
    started: String,
    finished: String,
    checked: String,
    bytes: String,
    problems: String,
    index: String,
}

struct FindingRow {
    sha256: String,
    problem: String,
    detail: String,
    found: String,
    search: String,
}

#[derive(Template)]
#[template(path = "archive_fixity.html")]
struct FixityPage<'a> {
    lang: Lang,
    t: &'a Messages,
    back: &'a str,
    user: Option<UserBar>,
    audits: Vec<AuditRow>,
    findings: Vec<FindingRow>,
}

/// The fixity audits and the newest one's findings: `GET /api/v1/audits/fixity` as a page.
async fn fixity(State(state): State<AppState>, signed: Signed) -> Response {
    let lang = signed.lang;
    let t = signed.t();
    let principal: &Principal = signed.principal();
    let summary = match state.fixity.summary(principal, 20).await {
        Ok(s) => s,
        Err(crate::archive::ArchiveError::Forbidden) => {
            return refused(&signed).unwrap_or_else(|| {
                failure(
                    lang,
                    &ApiError::new(StatusCode::FORBIDDEN, "forbidden", "not for this role"),
                )
            });
        }
        Err(e) => return failure(lang, &ApiError::internal(&e)),
    };
    let audits = summary
        .audits
        .iter()
        .map(|a| AuditRow {
            started: instant(&a.started_at),
            finished: a
                .finished_at
                .as_deref()
                .map_or_else(|| t.get("fixity-unfinished"), instant),
            checked: number(a.checked.max(0) as u64),
            bytes: t.with("size-bytes", "n", &number(a.bytes.max(0) as u64)),
            problems: number(a.problems.max(0) as u64),
            index: a
                .ledger_index
                .map(|i| number(i.max(0) as u64))
                .unwrap_or_default(),
        })
        .collect();
    let findings = summary
        .findings
        .iter()
        .map(|f| FindingRow {
            sha256: f.sha256.clone(),
            problem: fixity_problem(&f.problem, t),
            detail: f.problem.clone(),
            found: instant(&f.found_at),
            search: format!(
                "/archive?{}",
                serde_urlencoded::to_string([("sha256", f.sha256.as_str())]).unwrap_or_default()
            ),
        })
        .collect();
    page(
        StatusCode::OK,
        FixityPage {
            lang,
            t,
            back: "/archive/fixity",
            user: signed.bar(),
            audits,
            findings,
        }
        .render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(code: &str, minute: u8, procedure: &str, years: u32) -> Found {
        Found {
            id: String::new(),
            code: code.into(),
            applicant: String::new(),
            procedure: procedure.into(),
            status: String::new(),
            submitted: String::new(),
            submitted_at: Timestamp::parse(&format!("2026-03-02T08:{minute:02}:00Z")).unwrap(),
            retention: String::new(),
            retention_years: years,
        }
    }

    fn codes(rows: &[Found]) -> Vec<&str> {
        rows.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_page_of_results_sorts_by_each_column_both_ways() {
        let mut rows = vec![
            found("HN-260302-0002", 10, "Khai sinh", 10),
            found("HN-260302-0001", 30, "Đăng ký kinh doanh", u32::MAX),
            found("HN-260302-0003", 20, "bảo hiểm y tế", 20),
        ];
        sort_found(&mut rows, SortKey::Code, false);
        assert_eq!(
            codes(&rows),
            ["HN-260302-0001", "HN-260302-0002", "HN-260302-0003"]
        );
        sort_found(&mut rows, SortKey::Date, true);
        assert_eq!(
            codes(&rows),
            ["HN-260302-0001", "HN-260302-0003", "HN-260302-0002"],
            "newest first"
        );
        sort_found(&mut rows, SortKey::Retention, false);
        assert_eq!(
            codes(&rows),
            ["HN-260302-0002", "HN-260302-0003", "HN-260302-0001"],
            "permanent records last"
        );
        sort_found(&mut rows, SortKey::Procedure, false);
        assert_eq!(
            codes(&rows)[0],
            "HN-260302-0003",
            "case does not count: bảo before Khai"
        );
    }

    #[test]
    fn only_the_four_columns_sort() {
        assert_eq!(SortKey::read("code"), Some((SortKey::Code, false)));
        assert_eq!(
            SortKey::read("-retention"),
            Some((SortKey::Retention, true))
        );
        assert_eq!(SortKey::read("applicant"), None);
        assert_eq!(SortKey::read(""), None);
    }

    #[test]
    fn a_search_keeps_its_filters_in_its_link_and_gives_the_api_instants() {
        let p = SearchParams {
            procedure: "birth-registration".into(),
            name: " Nguyễn ".into(),
            from: "02/03/2026".into(),
            to: "2026-03-31".into(),
            ..SearchParams::default()
        };
        assert_eq!(
            p.link("-code", "abc"),
            "/archive?procedure=birth-registration&name=Nguy%E1%BB%85n&from=02%2F03%2F2026\
             &to=2026-03-31&sort=-code&cursor=abc"
        );
        let pairs = p.api_pairs().unwrap();
        assert!(pairs.contains(&("submitted_from", "2026-03-02T00:00:00+07:00".into())));
        assert!(
            pairs.contains(&("submitted_to", "2026-04-01T00:00:00+07:00".into())),
            "to is inclusive"
        );
        assert!(pairs.contains(&("name", "Nguyễn".into())));
        let bad = SearchParams {
            from: "hôm qua".into(),
            ..SearchParams::default()
        };
        assert_eq!(bad.api_pairs().unwrap_err().code(), "invalid_query");
        assert_eq!(SearchParams::default().link("", ""), "/archive");
    }

    #[test]
    fn where_a_retention_comes_from_is_said_in_words() {
        let vi = Messages::of(Lang::Vi);
        assert_eq!(
            fixity_problem("changed: its bytes now hash to abc", vi),
            vi.get("fixity-changed")
        );
        assert_eq!(
            fixity_problem("missing from the store", vi),
            vi.get("fixity-missing")
        );
        assert_eq!(retention_words(Retention::Years(10), vi), "10 năm");
        assert_eq!(retention_words(Retention::Permanent, vi), "Vĩnh viễn");
    }
}
