//! The whole-system audit that `motcua ledger verify` runs: the log (`ledger::verify`), then
//! everything its entries vouch for, from the stored data alone:
//!
//! 4. the records: each dossier, document, result, move, decision on originals, import,
//!    disposal, legal hold and disposal request matches its entry, and each entry's record still
//!    exists;
//! 5. fixity: every stored object re-hashed, streaming, against its SHA-256.
//!
//! It reports every problem it finds, each naming the entry, row or object. Above the domain:
//! it reads the database and the store directly, and the dossier record through
//! `ledger::DossierRecord`.

use std::collections::HashMap;

use serde_json::Value;

use crate::db::{Db, DbError};
use crate::ledger::DossierRecord;
use crate::ledger::LedgerError;
use crate::ledger::verify::{PAGE, VerifyOptions, VerifyReport, verify_log};
use crate::storage::{Fixity, ObjectStore, Sha256Digest};
use crate::timestamp::Timestamp;
use crate::vocabulary::DossierStatus;
use crate::workflow::lifecycle::{self, Milestone};

/// What a `document_stored` or `dossier_submitted` entry says, kept for the record checks.
struct Vouched {
    index: u64,
    fields: Value,
}

/// Runs every check. `progress` is called with (bytes hashed, bytes to hash) during fixity.
pub async fn verify(
    db: &Db,
    store: &ObjectStore,
    options: VerifyOptions<'_>,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, LedgerError> {
    let mut report = VerifyReport::default();
    let mut documents: HashMap<String, Vouched> = HashMap::new();
    let mut dossiers: HashMap<String, Vouched> = HashMap::new();
    let mut results: HashMap<String, Vouched> = HashMap::new();
    // Moves by "<dossier>/<version>", and each dossier's last move as the log tells it.
    let mut transitions: HashMap<String, Vouched> = HashMap::new();
    let mut latest: HashMap<String, (u64, String)> = HashMap::new();
    // The days the reports count each dossier by, as its logged moves tell them.
    let mut milestones: HashMap<String, Milestones> = HashMap::new();
    // Decisions on paper originals, by entry index.
    let mut checks: HashMap<String, Vouched> = HashMap::new();
    // The archive: imports and disposals by dossier, and every object a disposal deleted.
    let mut archive = ArchiveVouched::default();
    // Units: each one's `unit_added` entry, and its latest name's (index, digest).
    let mut units_added: HashMap<String, Vouched> = HashMap::new();
    let mut unit_names: HashMap<String, (u64, String)> = HashMap::new();

    // 1 to 3. The log; what each entry vouches for is kept.
    report.entries = verify_log(db, &options, &mut report, |index, value| {
        let value = value.clone();
        let row_idx = index as i64;
        let vouched = Vouched {
            index: row_idx as u64,
            fields: value.clone(),
        };
        match value["kind"].as_str() {
            Some("document_stored") => {
                if let Some(id) = value["document"].as_str() {
                    documents.insert(id.to_owned(), vouched);
                }
            }
            Some("dossier_submitted") => {
                if let Some(id) = value["dossier"].as_str() {
                    dossiers.insert(id.to_owned(), vouched);
                }
            }
            Some("result_issued") => {
                if let Some(id) = value["result"].as_str() {
                    results.insert(id.to_owned(), vouched);
                }
            }
            Some("original_checked") => {
                checks.insert(row_idx.to_string(), vouched);
            }
            Some("record_imported") => {
                if let Some(id) = value["dossier"].as_str() {
                    archive.imports.insert(id.to_owned(), vouched);
                }
            }
            Some(
                kind @ ("legal_hold_placed" | "legal_hold_lifted" | "disposal_requested"
                | "disposal_withdrawn"),
            ) => {
                if let Some(id) = value["dossier"].as_str() {
                    let last = (row_idx as u64, kind.to_owned());
                    if kind.starts_with("legal_hold") {
                        archive.holds.insert(id.to_owned(), last);
                    } else {
                        archive.requests.insert(id.to_owned(), last);
                    }
                }
            }
            Some("dossier_disposed") => {
                if let Some(id) = value["dossier"].as_str() {
                    archive.requests.insert(
                        id.to_owned(),
                        (row_idx as u64, "dossier_disposed".to_owned()),
                    );
                }
                let deleted = value["deleted"].as_str().unwrap_or_default();
                archive.deleted.extend(
                    deleted
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
                if let Some(id) = value["dossier"].as_str() {
                    archive.disposals.insert(id.to_owned(), vouched);
                }
            }
            Some("dossier_transition") => {
                if let (Some(id), Some(version), Some(status)) = (
                    value["dossier"].as_str(),
                    value["version"].as_u64(),
                    value["status"].as_str(),
                ) {
                    let last = latest.entry(id.to_owned()).or_default();
                    if version > last.0 {
                        *last = (version, status.to_owned());
                    }
                    let day = value["time"]
                        .as_str()
                        .and_then(|t| Timestamp::parse(t).ok())
                        .map(|t| t.vietnam_date().to_string());
                    let m = milestones.entry(id.to_owned()).or_default();
                    match DossierStatus::parse(status).and_then(lifecycle::milestone) {
                        // Entries come in log order: the first receipt is the earliest.
                        Some(Milestone::Received) if m.received.is_none() => m.received = day,
                        Some(Milestone::Closed) => m.closed = day,
                        _ => {}
                    }
                    transitions.insert(format!("{id}/{version}"), vouched);
                }
            }
            Some(kind @ ("unit_added" | "unit_renamed")) => {
                if let Some(code) = value["unit"].as_str() {
                    let name = value["name_sha256"].as_str().unwrap_or_default().to_owned();
                    unit_names.insert(code.to_owned(), (row_idx as u64, name));
                    if kind == "unit_added" {
                        units_added.insert(code.to_owned(), vouched);
                    }
                }
            }
            _ => {}
        }
    })
    .await?;

    // 4. Records against their entries.
    check_documents(db, &mut documents, &mut report).await?;
    check_dossiers(db, &mut dossiers, &latest, &milestones, &mut report).await?;
    check_results(db, &mut results, &mut report).await?;
    check_transitions(db, &mut transitions, &mut report).await?;
    check_originals(db, &mut checks, &mut report).await?;
    check_archive(db, &mut archive, &mut report).await?;
    check_units(db, &mut units_added, &unit_names, &mut report).await?;
    for (index, v) in checks {
        report.problem(format!(
            "the decision on {} of dossier {} (entry {index}) is missing (deleted)",
            v.fields["component"].as_str().unwrap_or("?"),
            v.fields["dossier"].as_str().unwrap_or("?"),
        ));
    }
    for (key, v) in transitions {
        report.problem(format!(
            "the move {key} (entry {}) is missing from the dossier's history (deleted)",
            v.index
        ));
    }
    for (id, v) in results {
        report.problem(format!(
            "result {id} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }
    for (id, v) in documents {
        report.problem(format!(
            "document {id} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }
    for (id, v) in dossiers {
        report.problem(format!(
            "dossier {id} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }

    // 5. Fixity.
    if options.fixity {
        let total = db.object_bytes().await?.max(0) as u64;
        let mut after = String::new();
        loop {
            let page = db.objects_after(&after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.sha256.clone();
            for object in page {
                report.objects += 1;
                let Ok(sha) = Sha256Digest::from_hex(&object.sha256) else {
                    report.problem(format!("object row {:?} is not a SHA-256", object.sha256));
                    continue;
                };
                let bytes = &mut report.bytes;
                let found = store
                    .fixity(&sha, object.size.max(0) as u64, |n| {
                        *bytes += n;
                        progress(*bytes, total);
                    })
                    .await;
                match found {
                    Fixity::Intact => {}
                    Fixity::Missing => {
                        report.problem(format!("object {sha} is missing from the store"))
                    }
                    Fixity::Unreadable(e) => {
                        report.problem(format!("object {sha} could not be read: {e}"))
                    }
                    Fixity::Changed(actual) => report.problem(format!(
                        "object {sha} has changed: its bytes now hash to {actual}"
                    )),
                    Fixity::WrongSize(size) => report.problem(format!(
                        "object {sha}: recorded size {} but {size} bytes stored",
                        object.size
                    )),
                }
            }
        }
    }
    Ok(report)
}

/// Every row of a table, read page by page in key order: `fetch(after)` gives the rows after
/// the key `after` (empty: from the start), `key` a row's key; `each` sees every row once.
async fn each_row<T>(
    mut fetch: impl AsyncFnMut(&str) -> Result<Vec<T>, DbError>,
    key: impl Fn(&T) -> String,
    mut each: impl FnMut(T),
) -> Result<(), LedgerError> {
    let mut after = String::new();
    loop {
        let page = fetch(&after).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = key(last);
        page.into_iter().for_each(&mut each);
    }
}

/// What the log says of the archive.
#[derive(Default)]
struct ArchiveVouched {
    /// `record_imported` entries by dossier.
    imports: HashMap<String, Vouched>,
    /// `dossier_disposed` entries by dossier.
    disposals: HashMap<String, Vouched>,
    /// Every object a logged disposal deleted.
    deleted: std::collections::HashSet<String>,
    /// Each dossier's last hold entry (index, kind): placed means a hold must be on it.
    holds: HashMap<String, (u64, String)>,
    /// Each dossier's last disposal entry (index, kind): requested means a pending request.
    requests: HashMap<String, (u64, String)>,
}

/// Imports and disposals against their entries, and every disposed object against a logged
/// disposal: an object marked disposed without one would be hidden from the fixity check.
async fn check_archive(
    db: &Db,
    vouched: &mut ArchiveVouched,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.archive_imports_after(after, PAGE).await,
        |row| row.dossier_id.clone(),
        |i| {
            report.records += 1;
            let matches = vouched.imports.remove(&i.dossier_id).is_some_and(|v| {
                v.fields["source_code"].as_str() == Some(&i.source_code)
                    && v.fields["closed_on"].as_str() == Some(&i.closed_on)
                    && i.ledger_index == v.index as i64
            });
            if !matches {
                report.problem(format!(
                    "the import of dossier {} (source {}, closed on {}) does not match its log \
                     entry (record edited: its retention depends on it)",
                    i.dossier_id, i.source_code, i.closed_on
                ));
            }
        },
    )
    .await?;
    each_row(
        async |after: &str| db.disposals_after(after, PAGE, true).await,
        |row| row.dossier_id.clone(),
        |d| {
            report.records += 1;
            let matches = vouched.disposals.remove(&d.dossier_id).is_some_and(|v| {
                v.fields["decision"].as_str() == Some(&d.decision)
                    && d.approval_index == Some(v.index as i64)
            });
            if !matches {
                report.problem(format!(
                    "the disposal of dossier {} does not match its log entry (record edited)",
                    d.dossier_id
                ));
            }
        },
    )
    .await?;
    each_row(
        async |after: &str| db.disposed_objects_after(after, PAGE).await,
        |sha| sha.clone(),
        |sha| {
            if !vouched.deleted.contains(&sha) {
                report.problem(format!(
                    "object {sha} is marked disposed, but no logged disposal deleted it (hidden \
                     from the fixity check)"
                ));
            }
        },
    )
    .await?;
    // Holds decide whether a dossier may be disposed of: each must be the one last logged.
    each_row(
        async |after: &str| db.legal_holds_after(after, PAGE).await,
        |row| row.dossier_id.clone(),
        |h| {
            report.records += 1;
            let last = vouched.holds.remove(&h.dossier_id);
            let matches = last.as_ref().is_some_and(|(index, kind)| {
                kind == "legal_hold_placed" && *index == h.ledger_index as u64
            });
            if !matches {
                report.problem(format!(
                    "the legal hold on dossier {} does not match the log (placed behind \
                     motcua's back or edited)",
                    h.dossier_id
                ));
            }
        },
    )
    .await?;
    for (id, (index, kind)) in vouched.holds.drain() {
        if kind == "legal_hold_placed" {
            report.problem(format!(
                "the legal hold on dossier {id} (entry {index}) is missing from the database \
                 (deleted: the dossier would look disposable)"
            ));
        }
    }
    each_row(
        async |after: &str| db.disposals_after(after, PAGE, false).await,
        |row| row.dossier_id.clone(),
        |d| {
            report.records += 1;
            let last = vouched.requests.remove(&d.dossier_id);
            let matches = last.as_ref().is_some_and(|(index, kind)| {
                kind == "disposal_requested" && *index == d.request_index as u64
            });
            if !matches {
                report.problem(format!(
                    "the disposal request for dossier {} does not match the log (inserted \
                     behind motcua's back or edited)",
                    d.dossier_id
                ));
            }
        },
    )
    .await?;
    for (id, (index, kind)) in vouched.requests.drain() {
        if kind == "disposal_requested" {
            report.problem(format!(
                "the disposal request for dossier {id} (entry {index}) is missing from the \
                 database (deleted)"
            ));
        }
    }
    for (id, v) in vouched.imports.drain() {
        report.problem(format!(
            "the import of dossier {id} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }
    for (id, v) in vouched.disposals.drain() {
        report.problem(format!(
            "the disposal of dossier {id} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }
    Ok(())
}

async fn check_documents(
    db: &Db,
    vouched: &mut HashMap<String, Vouched>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.documents_after(after, PAGE).await,
        |row| row.id.clone(),
        |d| {
            report.records += 1;
            let Some(v) = vouched.remove(&d.id) else {
                report.problem(format!(
                    "document {} has no log entry (inserted behind motcua's back)",
                    d.id
                ));
                return;
            };
            let f = &v.fields;
            let matches = f["dossier"].as_str() == Some(&d.dossier_id)
                && f["sha256"].as_str() == Some(&d.sha256)
                && f["size"].as_u64() == Some(d.size as u64)
                && f["media_type"].as_str() == Some(&d.media_type)
                // The paper it is decides its retention: it must be the one logged.
                && f["component"].as_str() == d.component.as_deref()
                && d.ledger_index == Some(v.index as i64);
            if !matches {
                report.problem(format!(
                    "document {} does not match its log entry {} (record edited)",
                    d.id, v.index
                ));
            }
        },
    )
    .await
}

/// Issued results against their `result_issued` entries: code, dossier, PDF digest and size.
async fn check_results(
    db: &Db,
    vouched: &mut HashMap<String, Vouched>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.results_after(after, PAGE).await,
        |row| row.id.clone(),
        |r| {
            report.records += 1;
            let Some(v) = vouched.remove(&r.id) else {
                report.problem(format!(
                    "result {} has no log entry (inserted behind motcua's back)",
                    r.code
                ));
                return;
            };
            let f = &v.fields;
            let matches = f["dossier"].as_str() == Some(&r.dossier_id)
                && f["code"].as_str() == Some(&r.code)
                && f["sha256"].as_str() == Some(&r.sha256)
                && f["size"].as_u64() == Some(r.size as u64)
                && r.ledger_index == v.index as i64;
            if !matches {
                report.problem(format!(
                    "result {} does not match its log entry {} (record edited)",
                    r.code, v.index
                ));
            }
        },
    )
    .await
}

/// Each dossier's history against its `dossier_transition` entries: statuses, actor, version
/// and the reason's digest.
async fn check_transitions(
    db: &Db,
    vouched: &mut HashMap<String, Vouched>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.transitions_after(after, PAGE).await,
        |row| row.id.clone(),
        |t| {
            report.records += 1;
            let key = format!("{}/{}", t.dossier_id, t.version);
            let Some(v) = vouched.remove(&key) else {
                report.problem(format!(
                    "the move {key} to {} has no log entry (inserted behind motcua's back)",
                    t.to_status
                ));
                return;
            };
            let f = &v.fields;
            let reason = t
                .reason
                .as_ref()
                .map(|r| crate::storage::Sha256Digest::of(r.as_bytes()).to_hex());
            let matches = f["from"].as_str() == Some(&t.from_status)
                && f["status"].as_str() == Some(&t.to_status)
                && f["actor"].as_str() == Some(&t.actor)
                && f["reason_sha256"].as_str() == reason.as_deref()
                && t.ledger_index == v.index as i64;
            if !matches {
                report.problem(format!(
                    "the move {key} to {} does not match its log entry {} (record edited)",
                    t.to_status, v.index
                ));
            }
        },
    )
    .await
}

/// Decisions on paper originals against their `original_checked` entries.
async fn check_originals(
    db: &Db,
    vouched: &mut HashMap<String, Vouched>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.originals_checks_after(after, PAGE).await,
        |row| row.id.clone(),
        |c| {
            report.records += 1;
            let Some(v) = vouched.remove(&c.ledger_index.to_string()) else {
                report.problem(format!(
                    "the decision on {} of dossier {} has no log entry (inserted behind \
                     motcua's back)",
                    c.component, c.dossier_id
                ));
                return;
            };
            let f = &v.fields;
            let note = c
                .note
                .as_ref()
                .map(|n| crate::storage::Sha256Digest::of(n.as_bytes()).to_hex());
            let matches = f["dossier"].as_str() == Some(&c.dossier_id)
                && f["component"].as_str() == Some(&c.component)
                && f["outcome"].as_str() == Some(&c.outcome)
                && f["note_sha256"].as_str() == note.as_deref();
            if !matches {
                report.problem(format!(
                    "the decision on {} of dossier {} does not match its log entry {} (record \
                     edited)",
                    c.component, c.dossier_id, v.index
                ));
            }
        },
    )
    .await
}

/// The days of a dossier's first receipt and of the end of its handling (Vietnam), from its
/// logged moves.
#[derive(Default)]
struct Milestones {
    received: Option<String>,
    closed: Option<String>,
}

async fn check_dossiers(
    db: &Db,
    vouched: &mut HashMap<String, Vouched>,
    latest: &HashMap<String, (u64, String)>,
    milestones: &HashMap<String, Milestones>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    each_row(
        async |after: &str| db.dossiers_after(after, PAGE).await,
        |row| row.id.clone(),
        |d| {
            report.records += 1;
            let Some(v) = vouched.remove(&d.id) else {
                report.problem(format!(
                    "dossier {} has no log entry (inserted behind motcua's back)",
                    d.id
                ));
                return;
            };
            let matches = v.fields["record_sha256"].as_str() == Some(&DossierRecord::from(&d).digest().to_hex())
                && v.fields["code"].as_str() == Some(&d.code)
                && d.ledger_index == Some(v.index as i64);
            if !matches {
                report.problem(format!(
                    "dossier {} ({}) does not match its log entry {} (record edited)",
                    d.id, d.code, v.index
                ));
            }
            // Its status and version are those of its last logged move (none: as filed).
            let (version, status) = latest
                .get(&d.id)
                .map_or((1, "SUBMITTED"), |(v, s)| (*v, s.as_str()));
            if d.status != status || d.version != version as i64 {
                report.problem(format!(
                    "dossier {} ({}) is {} at version {}, but its last logged move made it {status} \
                     at version {version} (status edited)",
                    d.id, d.code, d.status, d.version
                ));
            }
            // The days the reports count it by are those of its logged moves.
            let m = milestones.get(&d.id);
            let received = m.and_then(|m| m.received.as_deref());
            let closed = m.and_then(|m| m.closed.as_deref());
            if d.received_on.as_deref() != received || d.closed_on.as_deref() != closed {
                report.problem(format!(
                    "dossier {} ({}) is recorded as received on {} and ended on {}, but its \
                     logged moves say {} and {} (report days edited)",
                    d.id,
                    d.code,
                    d.received_on.as_deref().unwrap_or("none"),
                    d.closed_on.as_deref().unwrap_or("none"),
                    received.unwrap_or("none"),
                    closed.unwrap_or("none"),
                ));
            }
        },
    )
    .await
}

/// Units against their entries (the `unit_added` one for code, level and parent; the latest for
/// the name), and every dossier's unit against its code, which its entry vouches for.
async fn check_units(
    db: &Db,
    added: &mut HashMap<String, Vouched>,
    names: &HashMap<String, (u64, String)>,
    report: &mut VerifyReport,
) -> Result<(), LedgerError> {
    for u in db.units().await? {
        report.records += 1;
        let Some(v) = added.remove(&u.code) else {
            report.problem(format!(
                "unit {} has no log entry (inserted behind motcua's back)",
                u.code
            ));
            continue;
        };
        let f = &v.fields;
        let name = Sha256Digest::of(u.name.as_bytes()).to_hex();
        let matches = f["level"].as_str() == Some(&u.level)
            && f["parent"].as_str() == u.parent_code.as_deref()
            && names
                .get(&u.code)
                .is_some_and(|(index, digest)| *digest == name && *index == u.ledger_index as u64);
        if !matches {
            report.problem(format!(
                "unit {} does not match its log entries (record edited)",
                u.code
            ));
        }
    }
    for (code, v) in added.drain() {
        report.problem(format!(
            "unit {code} (entry {}) is missing from the database (deleted)",
            v.index
        ));
    }
    for code in db.dossiers_off_their_unit(MAX_OFF_UNIT).await? {
        report.problem(format!(
            "dossier {code} is recorded as received by another unit than its code names \
             (record edited)"
        ));
    }
    Ok(())
}

/// Dossiers listed at most as off their unit.
const MAX_OFF_UNIT: i64 = 50;
