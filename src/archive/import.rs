//! Import of existing scanned records (`motcua archive import`): a folder of files and a CSV of
//! their metadata become closed dossiers, their files stored and everything logged.
//!
//! The CSV has a header and these columns (any order; others are refused):
//! `file` (path inside the folder), `source_code` (the record's code in the old archive; rows
//! sharing it are one dossier), `procedure` (a catalogue code), `applicant_name`, `tax_code` or
//! `id_number` (one of them), `submitted_on` and `closed_on` (YYYY-MM-DD), and `title`
//! (optional).
//!
//! Everything is checked before anything is written; every bad row is reported at once. Each
//! source record is then one transaction: its files are stored first, then the dossier, its
//! documents (provenance `import`), its closing and a `record_imported` entry commit together.
//! A record imported already is skipped, so a run can be repeated and an interrupted run
//! resumed: it goes on where it stopped. A record whose files differ from the imported ones is
//! reported, never changed.
//!
//! Owns: the CSV format and the import transaction. Never reaches: axum, SQL text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::AsyncReadExt as _;

use crate::content::MediaType;
use crate::db::{Db, DbError, ImportRow, NewDocument, NewDossier};
use crate::dossier::{Catalogue, DossierCode, DossierStatus, IdNumber, TaxCode, UnitCode};
use crate::ledger::{self, EntryDraft, EntryKind, LedgerError};
use crate::storage::{ObjectStore, StorageError, StoredObject};
use crate::timestamp::Timestamp;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The CSV or the folder is wrong: every problem, by line.
    #[error(
        "{} in the import:\n{}",
        if .0.len() == 1 { "1 problem".to_owned() } else { format!("{} problems", .0.len()) },
        .0.join("\n")
    )]
    Invalid(Vec<String>),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The log failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The object store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The applicant of an imported record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportApplicant {
    /// A business, by tax code.
    Business(TaxCode),
    /// A citizen, by identification number.
    Citizen(IdNumber),
}

/// One file of a record.
#[derive(Debug, Clone)]
pub struct ImportFile {
    /// Its CSV line.
    pub line: usize,
    /// Its path in the folder.
    pub path: PathBuf,
    /// Its name as recorded.
    pub filename: String,
    /// What it is.
    pub media_type: MediaType,
    /// The paper it is (a component of the procedure), if given.
    pub component: Option<String>,
}

/// One record of the old archive: one dossier.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// Its code in the old archive.
    pub source_code: String,
    /// Catalogue code.
    pub procedure: String,
    /// Applicant name.
    pub applicant_name: String,
    /// Applicant.
    pub applicant: ImportApplicant,
    /// When it was filed.
    pub submitted_on: time::Date,
    /// When it closed (its retention counts from this year).
    pub closed_on: time::Date,
    /// A title, if given.
    pub title: Option<String>,
    /// Its files, in CSV order.
    pub files: Vec<ImportFile>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Records imported by this run.
    pub imported: u64,
    /// Records imported before (skipped).
    pub skipped: u64,
    /// Files stored by this run.
    pub files: u64,
    /// Bytes stored by this run.
    pub bytes: u64,
    /// Records imported before whose files now differ (left as they are).
    pub conflicts: Vec<String>,
    /// The dossiers this run made (ids).
    pub dossiers: Vec<String>,
}

const COLUMNS: [&str; 10] = [
    "file",
    "component",
    "source_code",
    "procedure",
    "applicant_name",
    "tax_code",
    "id_number",
    "submitted_on",
    "closed_on",
    "title",
];

fn date(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Reads and checks the CSV against the folder and the catalogue: the records to import, or
/// every problem found.
pub fn read_csv(
    csv_text: &[u8],
    folder: &Path,
    catalogue: &Catalogue,
) -> Result<Vec<ImportRecord>, ImportError> {
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ImportError::Invalid(vec![format!("the header: {e}")])),
    };
    let mut index = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h) {
            problems.push(format!(
                "line 1: unknown column {h:?} (columns: {})",
                COLUMNS.join(", ")
            ));
        } else if index.insert(h.to_owned(), i).is_some() {
            problems.push(format!("line 1: column {h:?} twice"));
        }
    }
    for required in [
        "file",
        "source_code",
        "procedure",
        "applicant_name",
        "submitted_on",
        "closed_on",
    ] {
        if !index.contains_key(required) {
            problems.push(format!("line 1: the column {required:?} is missing"));
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let mut records: Vec<ImportRecord> = Vec::new();
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_files = BTreeMap::new();
    for (n, row) in reader.records().enumerate() {
        let line = n + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let field = |name: &str| {
            index
                .get(name)
                .and_then(|&i| row.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        // Every problem of the row is reported, not only the first.
        let before = problems.len();
        let mut bad = |m: String| problems.push(format!("line {line}: {m}"));
        let (file, source_code, procedure, name) = (
            field("file"),
            field("source_code"),
            field("procedure"),
            field("applicant_name"),
        );
        for (column, value) in [
            ("file", &file),
            ("source_code", &source_code),
            ("procedure", &procedure),
            ("applicant_name", &name),
        ] {
            if value.is_none() {
                bad(format!("{column} is required"));
            }
        }
        // Identifiers as the paper records them: format checked, the check digit not (records
        // made before the rule keep the code they were filed under; see `identifiers`).
        let applicant = match (field("tax_code"), field("id_number")) {
            (Some(t), None) => match TaxCode::parse_recorded(&t) {
                Ok(t) => Some(ImportApplicant::Business(t)),
                Err(e) => {
                    bad(format!("tax_code: {}", e.rule));
                    None
                }
            },
            (None, Some(i)) => match IdNumber::parse_recorded(&i) {
                Ok(i) => Some(ImportApplicant::Citizen(i)),
                Err(e) => {
                    bad(format!("id_number: {}", e.rule));
                    None
                }
            },
            _ => {
                bad("give exactly one of tax_code and id_number".into());
                None
            }
        };
        let dates = match (
            field("submitted_on").as_deref().and_then(date),
            field("closed_on").as_deref().and_then(date),
        ) {
            (Some(submitted_on), Some(closed_on)) => {
                if closed_on < submitted_on || closed_on > crate::workflow::calendar::today() {
                    bad("closed_on is between submitted_on and today".into());
                    None
                } else {
                    Some((submitted_on, closed_on))
                }
            }
            _ => {
                bad("submitted_on and closed_on are dates (YYYY-MM-DD)".into());
                None
            }
        };
        let catalogued = procedure.as_ref().and_then(|procedure| {
            let found = catalogue.get(procedure);
            if found.is_none() {
                bad(format!("procedure {procedure:?} is not in the catalogue"));
            }
            found
        });
        let component = field("component");
        if let (Some(c), Some(catalogued), Some(procedure)) = (&component, catalogued, &procedure)
            && !catalogued.components.iter().any(|k| &k.code == c)
        {
            bad(format!(
                "component {c:?} is not a paper of {procedure} ({})",
                catalogued
                    .components
                    .iter()
                    .map(|k| k.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // The file: a relative path that stays inside the folder, of a kind motcua stores.
        let mut media = None;
        if let Some(file) = &file {
            let rel = PathBuf::from(file);
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                bad(format!("file {file:?} is not a path inside the folder"));
            } else {
                let path = folder.join(&rel);
                match std::fs::File::open(&path).and_then(|mut f| {
                    let mut head = vec![0u8; crate::content::HEAD_LEN];
                    let n = std::io::Read::read(&mut f, &mut head)?;
                    head.truncate(n);
                    Ok(head)
                }) {
                    Err(e) => bad(format!("file {file:?}: {e}")),
                    Ok(head) => match crate::content::detect(&head) {
                        Some(m) => media = Some((rel, path, m)),
                        None => bad(format!(
                            "file {file:?} is not a PDF, JPEG, PNG, TIFF or CMS signature"
                        )),
                    },
                }
            }
            if let Some(first) = seen_files.insert(file.clone(), line) {
                bad(format!("file {file:?} is listed on line {first} already"));
            }
        }
        let (
            Some(file),
            Some(source_code),
            Some(procedure),
            Some(name),
            Some(applicant),
            Some((submitted_on, closed_on)),
            Some((rel, path, media_type)),
        ) = (file, source_code, procedure, name, applicant, dates, media)
        else {
            continue;
        };
        if problems.len() > before {
            continue;
        }
        let mut bad = |m: String| problems.push(format!("line {line}: {m}"));
        let import_file = ImportFile {
            line,
            filename: rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.clone()),
            path,
            media_type,
            component,
        };
        let title = field("title");
        match by_code.get(&source_code) {
            Some(&i) => {
                let r = &mut records[i];
                if r.procedure != procedure
                    || r.applicant != applicant
                    || r.applicant_name != name
                    || r.submitted_on != submitted_on
                    || r.closed_on != closed_on
                {
                    bad(format!(
                        "the record {source_code:?} is described differently on line {}",
                        r.files[0].line
                    ));
                    continue;
                }
                r.files.push(import_file);
            }
            None => {
                by_code.insert(source_code.clone(), records.len());
                records.push(ImportRecord {
                    source_code,
                    procedure,
                    applicant_name: name,
                    applicant,
                    submitted_on,
                    closed_on,
                    title,
                    files: vec![import_file],
                });
            }
        }
    }
    if records.is_empty() && problems.is_empty() {
        problems.push("the CSV has no rows".into());
    }
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(ImportError::Invalid(problems))
    }
}

/// Told of each record done: records done, files stored so far.
pub trait ImportProgress: Send {
    /// After each record.
    fn record_done(&mut self, records_done: u64, bytes: u64);
}

impl ImportProgress for () {
    fn record_done(&mut self, _: u64, _: u64) {}
}

/// Imports records into one unit's dossiers.
pub struct Importer {
    db: Db,
    store: ObjectStore,
    unit: UnitCode,
}

async fn hash_file(path: &Path) -> Result<crate::storage::Sha256Digest, ImportError> {
    let io = |source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    let mut hasher = crate::storage::StreamingHasher::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await.map_err(io)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}

/// Noon in Vietnam on `day`, the instant an imported date stands for.
fn noon(day: time::Date) -> Timestamp {
    Timestamp::from(
        day.with_time(time::macros::time!(12:00))
            .assume_offset(crate::timestamp::VIETNAM),
    )
}

impl Importer {
    /// An importer writing to this database and store, under this unit's dossier codes.
    pub fn new(db: Db, store: ObjectStore, unit: UnitCode) -> Self {
        Self { db, store, unit }
    }

    async fn store_file(&self, path: &Path) -> Result<StoredObject, ImportError> {
        let io = |source| ImportError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let mut upload = self.store.begin_upload().await?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    upload.abort().await;
                    return Err(io(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = upload.write(Bytes::copy_from_slice(&buf[..n])).await {
                upload.abort().await;
                return Err(e.into());
            }
        }
        Ok(upload.finish().await?)
    }

    /// Imports `records` as the import run `run` (a token id): each in its own transaction,
    /// skipping those imported before.
    pub async fn run(
        &self,
        records: &[ImportRecord],
        run: &str,
        progress: &mut dyn ImportProgress,
    ) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        for (n, record) in records.iter().enumerate() {
            if let Some(done) = self.db.archive_import(&record.source_code).await? {
                let had: Vec<String> = self
                    .db
                    .documents_of(&done.dossier_id)
                    .await?
                    .into_iter()
                    .map(|d| d.sha256)
                    .collect();
                let mut now = Vec::with_capacity(record.files.len());
                for f in &record.files {
                    now.push(hash_file(&f.path).await?.to_hex());
                }
                if had != now {
                    report.conflicts.push(format!(
                        "{}: imported before with other files; left as it is",
                        record.source_code
                    ));
                }
                report.skipped += 1;
            } else {
                let mut stored = Vec::with_capacity(record.files.len());
                for f in &record.files {
                    stored.push(self.store_file(&f.path).await?);
                }
                let id = self.import_one(record, &stored, run).await?;
                report.dossiers.push(id);
                report.imported += 1;
                report.files += stored.len() as u64;
                report.bytes += stored.iter().map(|o| o.size).sum::<u64>();
            }
            progress.record_done(n as u64 + 1, report.bytes);
        }
        Ok(report)
    }

    async fn import_one(
        &self,
        record: &ImportRecord,
        stored: &[StoredObject],
        run: &str,
    ) -> Result<String, ImportError> {
        let now = Timestamp::now();
        let now_text = now.to_string();
        let submitted = noon(record.submitted_on).to_string();
        let id = uuid::Uuid::new_v4().to_string();
        let details = serde_json::json!({
            "title": record.title,
            "data": {"source_code": record.source_code, "closed_on": record.closed_on.to_string()},
        })
        .to_string();
        let mut tx = self.db.begin().await?;
        // Another run may have imported it since the check: the source code is unique, and
        // this transaction then fails without effect; the next run skips it.
        let sequence = tx
            .next_dossier_sequence(
                self.unit.as_str(),
                &DossierCode::day_key(record.submitted_on),
            )
            .await?;
        let code = DossierCode::new(
            &self.unit,
            record.submitted_on,
            u32::try_from(sequence).unwrap_or(u32::MAX),
        );
        let (kind, tax_code, id_number) = match &record.applicant {
            ImportApplicant::Business(t) => ("business", Some(t.as_str()), None),
            ImportApplicant::Citizen(i) => ("citizen", None, Some(i.as_str())),
        };
        let mut row = NewDossier {
            id: &id,
            code: code.as_str(),
            procedure_code: &record.procedure,
            status: DossierStatus::Submitted.as_str(),
            applicant_kind: kind,
            applicant_tax_code: tax_code,
            applicant_id_number: id_number,
            applicant_name: &record.applicant_name,
            details: &details,
            submitted_by: run,
            submitted_at: &submitted,
            ledger_index: 0,
            // Received by an earlier system: the one-stop reports do not count it.
            channel: None,
        };
        let doc_ids: Vec<String> = stored
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let mut drafts = vec![
            EntryDraft::new(EntryKind::DossierSubmitted)
                .text("dossier", id.clone())
                .text("code", code.as_str())
                .text("procedure", record.procedure.clone())
                .text(
                    "record_sha256",
                    crate::ledger::DossierRecord::from(&row).digest().to_hex(),
                ),
        ];
        for ((f, o), doc) in record.files.iter().zip(stored).zip(&doc_ids) {
            let draft = EntryDraft::new(EntryKind::DocumentStored)
                .text("dossier", id.clone())
                .text("document", doc.clone())
                .text("sha256", o.sha256.to_hex())
                .number("size", o.size)
                .text("media_type", f.media_type.as_str())
                .text("provenance", "import");
            drafts.push(match &f.component {
                Some(c) => draft.text("component", c.clone()),
                None => draft,
            });
        }
        drafts.push(
            EntryDraft::new(EntryKind::RecordImported)
                .text("dossier", id.clone())
                .text("source_code", record.source_code.clone())
                .text("closed_on", record.closed_on.to_string())
                .text("run", run),
        );
        let appended = ledger::append(&mut tx, &now, &drafts).await?;
        row.ledger_index = appended[0].index as i64;
        tx.insert_dossier(&row).await?;
        for (position, (((f, o), doc), entry)) in record
            .files
            .iter()
            .zip(stored)
            .zip(&doc_ids)
            .zip(&appended[1..])
            .enumerate()
        {
            let sha = o.sha256.to_hex();
            tx.insert_object(&sha, o.size as i64, &now_text).await?;
            tx.insert_document(&NewDocument {
                id: doc,
                dossier_id: &id,
                position: position as i64,
                filename: &f.filename,
                media_type: f.media_type.as_str(),
                size: o.size as i64,
                sha256: &sha,
                created_at: &now_text,
                ledger_index: entry.index as i64,
            })
            .await?;
            tx.tag_document(doc, "import", f.component.as_deref())
                .await?;
        }
        tx.insert_archive_import(&ImportRow {
            source_code: record.source_code.clone(),
            dossier_id: id.clone(),
            closed_on: record.closed_on.to_string(),
            imported_by: run.to_owned(),
            imported_at: now_text.clone(),
            ledger_index: appended[appended.len() - 1].index as i64,
        })
        .await?;
        // It arrives closed: the record was returned long ago.
        crate::dossier::transitions::record_system_move(
            &mut tx,
            &now,
            &id,
            DossierStatus::Submitted,
            DossierStatus::Returned,
            &format!(
                "imported from the archive (source {}, closed on {})",
                record.source_code, record.closed_on
            ),
        )
        .await
        .map_err(|e| ImportError::Invalid(vec![e.to_string()]))?;
        tx.commit().await?;
        Ok(id)
    }
}
