//! Paper originals at the counter: where no valid signature of the applicant covered a dossier,
//! an officer scans each paper original (per component of the procedure), the scans are checked
//! (at least 200 dpi, in colour) and stored as documents with provenance `counter_scan`, and the
//! officer records per component whether the original matches what was submitted, does not, or
//! is missing. Once every component is settled the dossier moves on by itself:
//! ORIGINALS_VERIFIED when all match, ORIGINALS_MISMATCH (with the notes as the reason)
//! otherwise.
//!
//! Owns: the scan quality rule, the decisions and the move they settle; who handles a dossier's
//! originals (its lead agency and the one-stop counter) is `access`'s. Never reaches: axum,
//! SQL text, S3 (scans are read back through `storage`'s streaming API, a bounded prefix only).

use crate::auth::Principal;
use crate::content::MediaType;
use crate::db::{NewDocument, OriginalsCheckRow};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::pdf::image::{Colour, inspect};
use crate::timestamp::Timestamp;
use crate::workflow::lifecycle::Actor;

use super::access::Act;
use super::intake::PendingFiles;
use super::model::{Document, DossierError};
use super::service::DossierService;
use super::transitions::{Move, record_move};
use crate::vocabulary::DossierStatus;

/// The least resolution a scan of a paper original may have, in dots per inch.
pub const MIN_SCAN_DPI: f32 = 200.0;

/// How much of an image scan is read back to judge it (its headers are at the start).
const INSPECT_PREFIX: u64 = 4 * 1024 * 1024;

/// A PDF scan is judged whole (its page images); larger ones are recorded unjudged, with a
/// warning.
const MAX_PDF_SCAN_CHECKED: u64 = 64 * 1024 * 1024;

/// What the officer found comparing a paper original with the dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The original matches what was submitted and declared.
    Matches,
    /// It does not.
    Mismatch,
    /// The applicant did not bring it.
    Missing,
}

impl Outcome {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matches => "matches",
            Self::Mismatch => "mismatch",
            Self::Missing => "missing",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Matches, Self::Mismatch, Self::Missing]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

pub use super::model::ScanQuality;

/// One paper of the procedure, as the counter sees it.
#[derive(Debug, Clone)]
pub struct ComponentOriginals {
    /// Component code.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// The officer's scans of its original.
    pub scans: Vec<Document>,
    /// The latest decision, if any.
    pub decision: Option<Decision>,
}

/// A decision on one paper.
#[derive(Debug, Clone)]
pub struct Decision {
    /// What was found.
    pub outcome: Outcome,
    /// The officer's note.
    pub note: Option<String>,
    /// When.
    pub at: Timestamp,
    /// Its entry in the integrity log.
    pub ledger_index: u64,
}

/// The originals of a dossier: each paper with its scans and decision, beside the submitted
/// documents (in the dossier itself).
#[derive(Debug, Clone)]
pub struct Originals {
    /// The dossier's status now.
    pub status: DossierStatus,
    /// The procedure's papers, in catalogue order.
    pub components: Vec<ComponentOriginals>,
}

impl DossierService {
    /// Records an officer's scans of `component`'s paper original for a dossier awaiting its
    /// originals. Each scan must be a PDF, JPEG, PNG or TIFF; images must state at least 200 dpi
    /// and be in colour (a PDF: the largest image of every page, against the page's size). With
    /// [`ScanQuality::Reject`] (the service's setting, `--scan-quality`) a scan below that is refused and nothing is recorded; with
    /// [`ScanQuality::Warn`] it is recorded and the problems are returned.
    pub async fn record_scans(
        &self,
        principal: &Principal,
        dossier_id: &str,
        component: &str,
        files: PendingFiles,
    ) -> Result<(Vec<Document>, Vec<String>), DossierError> {
        let quality = self.scan_quality();
        let dossier = self
            .awaiting_originals(principal, dossier_id, component)
            .await?;
        if files.files().is_empty() {
            return Err(DossierError::Invalid(
                "send the scans as one or more parts named \"file\"".into(),
            ));
        }
        let mut problems = Vec::new();
        for file in files.files() {
            let problem = match file.media_type {
                MediaType::Pdf if file.object.size > MAX_PDF_SCAN_CHECKED => {
                    problems.push(format!(
                        "{}: a PDF scan over {} MiB is not checked",
                        file.filename,
                        MAX_PDF_SCAN_CHECKED >> 20
                    ));
                    None
                }
                MediaType::Pdf | MediaType::Jpeg | MediaType::Png | MediaType::Tiff => {
                    self.scan_problem(&file.object.sha256, file.media_type, &file.filename)
                        .await?
                }
                _ => {
                    return Err(DossierError::Invalid(format!(
                        "{} is {}: a scan is a PDF, JPEG, PNG or TIFF",
                        file.filename,
                        file.media_type.as_str()
                    )));
                }
            };
            if let Some(p) = problem {
                if quality == ScanQuality::Reject {
                    return Err(DossierError::ScanQuality(p));
                }
                problems.push(p);
            }
        }
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let documents = add_documents(
            &mut tx,
            &now,
            &dossier.id,
            &files,
            "counter_scan",
            Some(component),
        )
        .await?;
        tx.commit().await?;
        self.protect(&dossier.id).await;
        tracing::info!(dossier = %dossier.id, component, scans = documents.len(),
            "counter scans recorded");
        Ok((documents, problems))
    }

    /// Records what the officer found for `component`'s original. A mismatch or a missing
    /// original needs a note. When this settles the last component, the dossier moves in the
    /// same transaction: ORIGINALS_VERIFIED if every original matches, else ORIGINALS_MISMATCH
    /// with the notes as the reason.
    pub async fn decide_original(
        &self,
        principal: &Principal,
        dossier_id: &str,
        component: &str,
        outcome: Outcome,
        note: Option<&str>,
    ) -> Result<Originals, DossierError> {
        let dossier = self
            .awaiting_originals(principal, dossier_id, component)
            .await?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if outcome != Outcome::Matches && note.is_none() {
            return Err(DossierError::Invalid(format!(
                "a note is required when the original {}",
                if outcome == Outcome::Missing {
                    "is missing"
                } else {
                    "does not match"
                }
            )));
        }
        if note.is_some_and(|n| n.chars().count() > 2000) {
            return Err(DossierError::Invalid(
                "a note is at most 2000 characters".into(),
            ));
        }
        let procedure = self
            .catalogue()
            .get(&dossier.procedure)
            .ok_or_else(|| DossierError::Corrupt(format!("procedure {}", dossier.procedure)))?
            .clone();
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let mut draft = EntryDraft::new(EntryKind::OriginalChecked)
            .text("dossier", dossier.id.clone())
            .text("component", component)
            .text("outcome", outcome.as_str());
        if let Some(n) = note {
            draft = draft.text(
                "note_sha256",
                crate::storage::Sha256Digest::of(n.as_bytes()).to_hex(),
            );
        }
        let appended = ledger::append(&mut tx, &now, &[draft]).await?;
        tx.insert_originals_check(&OriginalsCheckRow {
            id: uuid::Uuid::new_v4().to_string(),
            dossier_id: dossier.id.clone(),
            component: component.to_owned(),
            outcome: outcome.as_str().to_owned(),
            note: note.map(str::to_owned),
            checked_by: principal.token_id.clone(),
            checked_at: now.to_string(),
            ledger_index: appended[0].index as i64,
        })
        .await?;
        // The latest decision per component.
        let checks = tx.originals_checks_of(&dossier.id).await?;
        let latest = |code: &str| checks.iter().rev().find(|c| c.component == code);
        let settled: Option<Vec<&OriginalsCheckRow>> = procedure
            .components
            .iter()
            .map(|c| latest(&c.code))
            .collect();
        if let Some(settled) = settled {
            let failed: Vec<String> = settled
                .iter()
                .filter(|c| c.outcome != Outcome::Matches.as_str())
                .map(|c| {
                    format!(
                        "{}: {} — {}",
                        c.component,
                        c.outcome,
                        c.note.as_deref().unwrap_or("")
                    )
                })
                .collect();
            let (to, reason) = if failed.is_empty() {
                (DossierStatus::OriginalsVerified, None)
            } else {
                (DossierStatus::OriginalsMismatch, Some(failed.join("; ")))
            };
            crate::workflow::lifecycle::check(
                DossierStatus::AwaitingOriginals,
                to,
                Actor::Officer,
                reason.as_deref(),
            )?;
            record_move(
                &mut tx,
                &now,
                &Move {
                    dossier_id: &dossier.id,
                    from: DossierStatus::AwaitingOriginals,
                    to,
                    actor: Actor::Officer,
                    actor_token: Some(&principal.token_id),
                    reason: reason.as_deref(),
                    version: Some(dossier.version),
                    notify: self.notifies(),
                },
            )
            .await?
            .ok_or(DossierError::StaleVersion {
                current: dossier.version,
            })?;
            self.refresh_due(&mut tx, &dossier.id, &dossier.procedure)
                .await?;
        }
        tx.commit().await?;
        self.originals(principal, dossier_id).await
    }

    /// The originals of a dossier the caller may see: each paper of the procedure with the
    /// officer's scans and latest decision.
    pub async fn originals(
        &self,
        principal: &Principal,
        dossier_id: &str,
    ) -> Result<Originals, DossierError> {
        let dossier = self.get(principal, dossier_id).await?;
        let procedure = self.catalogue().get(&dossier.procedure).cloned();
        let scans = self.db().counter_scans_of(&dossier.id).await?;
        let checks = self.db().originals_checks_of(&dossier.id).await?;
        let components = procedure
            .map(|p| p.components)
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let decision = checks
                    .iter()
                    .rev()
                    .find(|k| k.component == c.code)
                    .map(|k| -> Result<Decision, DossierError> {
                        Ok(Decision {
                            outcome: Outcome::parse(&k.outcome).ok_or_else(|| {
                                DossierError::Corrupt(format!("outcome {:?}", k.outcome))
                            })?,
                            note: k.note.clone(),
                            at: Timestamp::parse(&k.checked_at).map_err(|_| {
                                DossierError::Corrupt(format!("time {:?}", k.checked_at))
                            })?,
                            ledger_index: k.ledger_index as u64,
                        })
                    })
                    .transpose()?;
                Ok(ComponentOriginals {
                    scans: dossier
                        .documents
                        .iter()
                        .filter(|d| {
                            scans
                                .iter()
                                .any(|(id, comp)| *id == d.id && *comp == c.code)
                        })
                        .cloned()
                        .collect(),
                    code: c.code,
                    name_vi: c.name_vi,
                    name_en: c.name_en,
                    decision,
                })
            })
            .collect::<Result<_, DossierError>>()?;
        Ok(Originals {
            status: dossier.status,
            components,
        })
    }

    /// Whether `principal` may upload scans of `component` for this dossier now (checked again
    /// when they are recorded): before the bytes are received, so that nobody else fills the
    /// store.
    pub async fn may_scan(
        &self,
        principal: &Principal,
        dossier_id: &str,
        component: &str,
    ) -> Result<(), DossierError> {
        self.awaiting_originals(principal, dossier_id, component)
            .await
            .map(|_| ())
    }

    /// The dossier, if `principal` may handle its paper originals ([`Act::HandleOriginals`]:
    /// its lead agency and the one-stop counter), it awaits them and its procedure has
    /// `component`.
    async fn awaiting_originals(
        &self,
        principal: &Principal,
        dossier_id: &str,
        component: &str,
    ) -> Result<super::Dossier, DossierError> {
        let row = self
            .acting_row(principal, dossier_id, Act::HandleOriginals)
            .await?;
        let dossier = super::model::dossier_from_row(row)?;
        if dossier.status != DossierStatus::AwaitingOriginals {
            return Err(DossierError::NotAwaitingOriginals(dossier.status));
        }
        let known = self
            .catalogue()
            .get(&dossier.procedure)
            .is_some_and(|p| p.components.iter().any(|c| c.code == component));
        if !known {
            return Err(DossierError::UnknownComponent(component.to_owned()));
        }
        Ok(dossier)
    }

    /// What is wrong with a scan, if anything: an image's first bytes, or a PDF's page images,
    /// read back from the store.
    async fn scan_problem(
        &self,
        sha256: &crate::storage::Sha256Digest,
        media_type: MediaType,
        filename: &str,
    ) -> Result<Option<String>, DossierError> {
        use futures_util::StreamExt as _;
        let mut stream = self.store().get(sha256, None).await?;
        let mut head = Vec::new();
        while let Some(chunk) = stream.next().await {
            head.extend_from_slice(&chunk.map_err(|e| {
                DossierError::Storage(crate::storage::StorageError::Io {
                    context: "reading a scan back".into(),
                    source: e,
                })
            })?);
            if media_type != MediaType::Pdf && head.len() as u64 >= INSPECT_PREFIX {
                break;
            }
        }
        if media_type == MediaType::Pdf {
            let pages = self
                .work_gate()
                .run_costed(
                    head,
                    |b| crate::pdf::read::working_set(b),
                    |b| crate::pdf::image::inspect_pdf(&b),
                )
                .await?;
            let pages = match pages {
                Ok(p) => p,
                Err(e) => return Ok(Some(format!("{filename}: cannot be read as a scan: {e}"))),
            };
            let mut wrong = Vec::new();
            for p in pages {
                let mut page = Vec::new();
                match p.dpi {
                    None => page.push("no scanned image".to_owned()),
                    Some((x, y)) if x.min(y) < MIN_SCAN_DPI => {
                        page.push(format!("{x}×{y} dpi, below {MIN_SCAN_DPI}"))
                    }
                    Some(_) => {}
                }
                if p.colour == Some(Colour::Gray) {
                    page.push("not in colour".to_owned());
                }
                if !page.is_empty() {
                    wrong.push(format!("page {}: {}", p.page, page.join(", ")));
                }
            }
            return Ok((!wrong.is_empty()).then(|| format!("{filename}: {}", wrong.join("; "))));
        }
        Ok(match inspect(&head) {
            Err(e) => Some(format!("{filename}: cannot be read as a scan: {e}")),
            Ok(info) => {
                let mut wrong = Vec::new();
                match info.dpi {
                    None => wrong.push("it states no resolution".to_owned()),
                    Some((x, y)) if x.min(y) < MIN_SCAN_DPI => {
                        wrong.push(format!("it is {x}×{y} dpi, below {MIN_SCAN_DPI}"))
                    }
                    Some(_) => {}
                }
                if matches!(info.colour, Colour::Gray) {
                    wrong.push("it is not in colour".to_owned());
                }
                (!wrong.is_empty()).then(|| format!("{filename}: {}", wrong.join("; ")))
            }
        })
    }
}

/// Records files already in the store as documents of a dossier (inside `tx`): their
/// `document_stored` entries (with their provenance, and the paper they are for), rows after
/// the dossier's last document, marked with `provenance`.
pub(super) async fn add_documents(
    tx: &mut crate::db::Tx,
    now: &Timestamp,
    dossier_id: &str,
    files: &PendingFiles,
    provenance: &str,
    component: Option<&str>,
) -> Result<Vec<Document>, DossierError> {
    let now_text = now.to_string();
    let ids: Vec<String> = files
        .files()
        .iter()
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let drafts: Vec<EntryDraft> = files
        .files()
        .iter()
        .zip(&ids)
        .map(|(f, id)| {
            let draft = EntryDraft::new(EntryKind::DocumentStored)
                .text("dossier", dossier_id)
                .text("document", id.clone())
                .text("sha256", f.object.sha256.to_hex())
                .number("size", f.object.size)
                .text("media_type", f.media_type.as_str())
                .text("provenance", provenance);
            match component {
                Some(c) => draft.text("component", c),
                None => draft,
            }
        })
        .collect();
    let appended = ledger::append(tx, now, &drafts).await?;
    let mut position = tx.next_document_position(dossier_id).await?;
    let mut documents = Vec::new();
    for ((file, id), entry) in files.files().iter().zip(&ids).zip(&appended) {
        let sha = file.object.sha256.to_hex();
        tx.insert_object(&sha, file.object.size as i64, &now_text)
            .await?;
        tx.insert_document(&NewDocument {
            id,
            dossier_id,
            position,
            filename: &file.filename,
            media_type: file.media_type.as_str(),
            size: file.object.size as i64,
            sha256: &sha,
            created_at: &now_text,
            ledger_index: entry.index as i64,
        })
        .await?;
        match component {
            Some(c) => tx.mark_counter_scan(id, c).await?,
            None => tx.mark_provenance(id, provenance).await?,
        }
        position += 1;
        documents.push(Document {
            id: id.clone(),
            dossier_id: dossier_id.to_owned(),
            filename: file.filename.clone(),
            media_type: file.media_type,
            size: file.object.size,
            sha256: file.object.sha256,
            created_at: *now,
            ledger_index: Some(entry.index),
        });
    }
    Ok(documents)
}
