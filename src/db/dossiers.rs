//! Dossier, document, object and dossier-code rows.

use sqlx::Row as _;

use super::{Db, DbError, Tx};

/// A dossier to insert.
#[derive(Debug, Clone)]
pub struct NewDossier<'a> {
    /// UUID.
    pub id: &'a str,
    /// Dossier code.
    pub code: &'a str,
    /// Procedure code.
    pub procedure_code: &'a str,
    /// Status name.
    pub status: &'a str,
    /// `business` or `citizen`.
    pub applicant_kind: &'a str,
    /// Business tax code.
    pub applicant_tax_code: Option<&'a str>,
    /// Citizen identification number.
    pub applicant_id_number: Option<&'a str>,
    /// Applicant name.
    pub applicant_name: &'a str,
    /// Further declared data, as JSON text.
    pub details: &'a str,
    /// Token id of the submitter.
    pub submitted_by: &'a str,
    /// Instant (RFC 3339 text).
    pub submitted_at: &'a str,
    /// Index of its `dossier_submitted` log entry.
    pub ledger_index: i64,
    /// `online` or `counter` (none for an imported record).
    pub channel: Option<&'a str>,
}

/// A document to insert.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    /// UUID.
    pub id: &'a str,
    /// Owning dossier.
    pub dossier_id: &'a str,
    /// Order within the dossier, from 0.
    pub position: i64,
    /// Client's file name.
    pub filename: &'a str,
    /// Detected media type.
    pub media_type: &'a str,
    /// Bytes.
    pub size: i64,
    /// Content address.
    pub sha256: &'a str,
    /// Instant.
    pub created_at: &'a str,
    /// Index of its `document_stored` log entry.
    pub ledger_index: i64,
}

/// A stored dossier.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DossierRow {
    /// UUID.
    pub id: String,
    /// Dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Status name.
    pub status: String,
    /// `business` or `citizen`.
    pub applicant_kind: String,
    /// Business tax code.
    pub applicant_tax_code: Option<String>,
    /// Citizen identification number.
    pub applicant_id_number: Option<String>,
    /// Applicant name.
    pub applicant_name: String,
    /// Declared data as JSON text.
    pub details: String,
    /// Token id of the submitter.
    pub submitted_by: String,
    /// Instant.
    pub submitted_at: String,
    /// Instant.
    pub updated_at: String,
    /// Index of its `dossier_submitted` log entry.
    pub ledger_index: Option<i64>,
    /// `waived` or `required` (paper originals).
    pub originals: Option<String>,
    /// Why originals are required.
    pub originals_reason: Option<String>,
    /// Bumped by every move (optimistic concurrency).
    pub version: i64,
    /// Due date (YYYY-MM-DD), none while waiting for the applicant.
    pub due_on: Option<String>,
    /// The unit that received it (the first part of its code).
    pub unit_code: Option<String>,
    /// The day (Vietnam) of its first move to RECEIVED.
    pub received_on: Option<String>,
    /// The day (Vietnam) its handling ended (RESULT_ISSUED or REJECTED).
    pub closed_on: Option<String>,
}

/// A stored document with its owner's identifying fields (for access decisions).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    /// UUID.
    pub id: String,
    /// Owning dossier.
    pub dossier_id: String,
    /// Order within the dossier.
    pub position: i64,
    /// Client's file name.
    pub filename: String,
    /// Media type.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// Content address.
    pub sha256: String,
    /// Instant.
    pub created_at: String,
    /// The owning dossier's applicant tax code.
    pub applicant_tax_code: Option<String>,
    /// The owning dossier's applicant identification number.
    pub applicant_id_number: Option<String>,
    /// The owning dossier's procedure.
    pub procedure_code: String,
    /// Index of its `document_stored` log entry.
    pub ledger_index: Option<i64>,
    /// The unit that received the owning dossier.
    pub unit_code: Option<String>,
}

/// Which dossiers a listing returns. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    /// Only this applicant tax code (also how a business is confined to its own).
    pub tax_code: Option<String>,
    /// With `tax_code`: its branches' codes (`<tax code>-NNN`) too.
    pub tax_code_branches: bool,
    /// Only this identification number (how a citizen is confined to their own).
    pub id_number: Option<String>,
    /// Only this procedure.
    pub procedure_code: Option<String>,
    /// Only these procedures (an agency's officer); empty matches nothing. With `part_agency`,
    /// also the dossiers with a part handled by that agency.
    pub procedure_codes: Option<Vec<String>>,
    /// See `procedure_codes`.
    pub part_agency: Option<String>,
    /// Only dossiers received by these units (staff bound to a unit); empty matches nothing.
    pub unit_codes: Option<Vec<String>>,
    /// Only the dossier of this result code.
    pub result_code: Option<String>,
    /// Only dossiers holding a document with this SHA-256.
    pub document_sha256: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only these statuses (a work queue's open ones).
    pub statuses: Option<Vec<String>>,
    /// Only this dossier code.
    pub code: Option<String>,
    /// Only applicants whose name contains this text.
    pub name_contains: Option<String>,
    /// Submitted at or after (RFC 3339 text).
    pub submitted_from: Option<String>,
    /// Submitted before (RFC 3339 text).
    pub submitted_to: Option<String>,
    /// Keyset cursor: rows strictly before this `(submitted_at, id)` in newest-first order.
    pub before: Option<(String, String)>,
    /// Page size.
    pub limit: i64,
}

pub(super) const DOSSIER_COLUMNS: &str = "id, code, procedure_code, status, applicant_kind, \
    applicant_tax_code, applicant_id_number, applicant_name, details, submitted_by, \
    submitted_at, updated_at, ledger_index, originals, originals_reason, version, due_on, \
    unit_code, received_on, closed_on";

impl Tx {
    /// Takes the next number in a unit's daily sequence. Atomic across connections and app
    /// instances: the upsert locks the counter row until this transaction ends, and a rollback
    /// gives the number back.
    pub async fn next_dossier_sequence(
        &mut self,
        unit_code: &str,
        day: &str,
    ) -> Result<i64, DbError> {
        let row = sqlx::query(
            "INSERT INTO dossier_code_sequences (unit_code, day, last_value) VALUES ($1, $2, 1) \
             ON CONFLICT (unit_code, day) DO UPDATE \
             SET last_value = dossier_code_sequences.last_value + 1 \
             RETURNING last_value",
        )
        .bind(unit_code)
        .bind(day)
        .fetch_one(&mut *self.inner)
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Inserts a dossier.
    pub async fn insert_dossier(&mut self, d: &NewDossier<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO dossiers (id, code, procedure_code, status, applicant_kind, \
             applicant_tax_code, applicant_id_number, applicant_name, details, submitted_by, \
             submitted_at, updated_at, ledger_index, unit_code, channel) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14)",
        )
        .bind(d.id)
        .bind(d.code)
        .bind(d.procedure_code)
        .bind(d.status)
        .bind(d.applicant_kind)
        .bind(d.applicant_tax_code)
        .bind(d.applicant_id_number)
        .bind(d.applicant_name)
        .bind(d.details)
        .bind(d.submitted_by)
        .bind(d.submitted_at)
        .bind(d.ledger_index)
        // The receiving unit is the first part of the code, always.
        .bind(d.code.split('-').next())
        .bind(d.channel)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Records that an object is referenced (once per digest). The same bytes stored again
    /// after a disposal are live again, and not locked yet (the disposal deleted the locked
    /// versions).
    pub async fn insert_object(
        &mut self,
        sha256: &str,
        size: i64,
        created_at: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO objects (sha256, size, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO UPDATE SET disposed_at = NULL, locked_until = CASE \
             WHEN objects.disposed_at IS NULL THEN objects.locked_until END",
        )
        .bind(sha256)
        .bind(size)
        .bind(created_at)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Inserts a document.
    pub async fn insert_document(&mut self, d: &NewDocument<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO documents (id, dossier_id, position, filename, media_type, size, sha256, \
             created_at, ledger_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(d.id)
        .bind(d.dossier_id)
        .bind(d.position)
        .bind(d.filename)
        .bind(d.media_type)
        .bind(d.size)
        .bind(d.sha256)
        .bind(d.created_at)
        .bind(d.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

impl Db {
    /// The dossier with this id.
    pub async fn dossier(&self, id: &str) -> Result<Option<DossierRow>, DbError> {
        let sql = format!("SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE id = $1");
        Ok(sqlx::query_as::<_, DossierRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// A dossier's documents, in submission order.
    pub async fn documents_of(&self, dossier_id: &str) -> Result<Vec<DocumentRow>, DbError> {
        Ok(sqlx::query_as::<_, DocumentRow>(
            "SELECT d.id, d.dossier_id, d.position, d.filename, d.media_type, d.size, d.sha256, \
             d.created_at, s.applicant_tax_code, s.applicant_id_number, s.procedure_code, \
             d.ledger_index, s.unit_code FROM documents d JOIN dossiers s ON s.id = d.dossier_id \
             WHERE d.dossier_id = $1 ORDER BY d.position",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The document with this id.
    pub async fn document(&self, id: &str) -> Result<Option<DocumentRow>, DbError> {
        Ok(sqlx::query_as::<_, DocumentRow>(
            "SELECT d.id, d.dossier_id, d.position, d.filename, d.media_type, d.size, d.sha256, \
             d.created_at, s.applicant_tax_code, s.applicant_id_number, s.procedure_code, \
             d.ledger_index, s.unit_code FROM documents d JOIN dossiers s ON s.id = d.dossier_id \
             WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Dossiers matching `filter`, newest first, at most `filter.limit`.
    pub async fn list_dossiers(&self, filter: &DossierFilter) -> Result<Vec<DossierRow>, DbError> {
        let (where_clause, values) = where_clause(filter, true);
        let sql = format!(
            "SELECT {DOSSIER_COLUMNS} FROM dossiers {where_clause} \
             ORDER BY submitted_at DESC, id DESC LIMIT {}",
            filter.limit.clamp(1, 1000)
        );
        let mut query = sqlx::query_as::<_, DossierRow>(sqlx::AssertSqlSafe(sql));
        for v in values {
            query = query.bind(v);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// How many dossiers of each status the filter matches (its cursor and limit aside), for
    /// the counts of a work queue.
    pub async fn count_dossiers_by_status(
        &self,
        filter: &DossierFilter,
    ) -> Result<Vec<(String, i64)>, DbError> {
        let (where_clause, values) = where_clause(filter, false);
        let sql = format!("SELECT status, COUNT(*) FROM dossiers {where_clause} GROUP BY status");
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        for v in values {
            query = query.bind(v);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// A recorded object's size, if it is recorded.
    pub async fn object_size(&self, sha256: &str) -> Result<Option<u64>, DbError> {
        let row = sqlx::query("SELECT size FROM objects WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .map(|s| s as u64))
    }

    /// Whether any record refers to this object and it was not disposed of (the orphan sweep
    /// asks: the bytes of a disposed object that could not be deleted at once go with it).
    pub async fn object_is_referenced(&self, sha256: &str) -> Result<bool, DbError> {
        let row =
            sqlx::query("SELECT COUNT(*) FROM objects WHERE sha256 = $1 AND disposed_at IS NULL")
                .bind(sha256)
                .fetch_one(self.pool())
                .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }
}

/// A signature report row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignatureReportRow {
    /// UUID.
    pub id: String,
    /// Dossier.
    pub dossier_id: String,
    /// The signature file's document.
    pub signature_document_id: String,
    /// The signed file's document.
    pub signed_document_id: Option<String>,
    /// The report object.
    pub report_sha256: String,
    /// ETSI indication.
    pub indication: String,
    /// ETSI sub-indication.
    pub sub_indication: Option<String>,
    /// The signer's tax code, when valid.
    pub signer_tax_code: Option<String>,
    /// Instant.
    pub created_at: String,
    /// Its `signature_verified` log entry.
    pub ledger_index: Option<i64>,
}

impl Tx {
    /// Inserts a signature report row.
    pub async fn insert_signature_report(&mut self, r: &SignatureReportRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO signature_reports (id, dossier_id, signature_document_id, \
             signed_document_id, report_sha256, indication, sub_indication, signer_tax_code, \
             created_at, ledger_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.id)
        .bind(&r.dossier_id)
        .bind(&r.signature_document_id)
        .bind(r.signed_document_id.as_deref())
        .bind(&r.report_sha256)
        .bind(&r.indication)
        .bind(r.sub_indication.as_deref())
        .bind(r.signer_tax_code.as_deref())
        .bind(&r.created_at)
        .bind(r.ledger_index)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Records the originals decision on a dossier inserted in this transaction.
    pub async fn set_originals(
        &mut self,
        dossier_id: &str,
        originals: &str,
        reason: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE dossiers SET originals = $1, originals_reason = $2 WHERE id = $3")
            .bind(originals)
            .bind(reason)
            .bind(dossier_id)
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }
}

const SIGNATURE_COLUMNS: &str = "id, dossier_id, signature_document_id, signed_document_id, \
    report_sha256, indication, sub_indication, signer_tax_code, created_at, ledger_index";

impl Db {
    /// A dossier's signature reports, oldest first.
    pub async fn signature_reports_of(
        &self,
        dossier_id: &str,
    ) -> Result<Vec<SignatureReportRow>, DbError> {
        let sql = format!(
            "SELECT {SIGNATURE_COLUMNS} FROM signature_reports WHERE dossier_id = $1 ORDER BY created_at, id"
        );
        Ok(
            sqlx::query_as::<_, SignatureReportRow>(sqlx::AssertSqlSafe(sql))
                .bind(dossier_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// One signature report.
    pub async fn signature_report(&self, id: &str) -> Result<Option<SignatureReportRow>, DbError> {
        let sql = format!("SELECT {SIGNATURE_COLUMNS} FROM signature_reports WHERE id = $1");
        Ok(
            sqlx::query_as::<_, SignatureReportRow>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }
}

/// The `WHERE` clause of a listing and the values of its `$n` placeholders, in order.
fn where_clause(filter: &DossierFilter, with_cursor: bool) -> (String, Vec<String>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut push = |column_test: &str, value: &str| {
        values.push(value.to_owned());
        conditions.push(column_test.replace('?', &format!("${}", values.len())));
    };
    if let Some(v) = &filter.tax_code
        && !filter.tax_code_branches
    {
        push("applicant_tax_code = ?", v);
    }
    if let Some(v) = &filter.id_number {
        push("applicant_id_number = ?", v);
    }
    if let Some(v) = &filter.procedure_code {
        push("procedure_code = ?", v);
    }
    if let Some(v) = &filter.status {
        push("status = ?", v);
    }
    if let Some(v) = &filter.name_contains {
        // The name as typed, anywhere in the applicant's name; LIKE's wildcards taken literally.
        let escaped = v
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        push("applicant_name LIKE ? ESCAPE '\\'", &format!("%{escaped}%"));
    }
    if let Some(v) = &filter.code {
        push("code = ?", v);
    }
    if let Some(v) = &filter.result_code {
        push("id IN (SELECT dossier_id FROM results WHERE code = ?)", v);
    }
    if let Some(v) = &filter.document_sha256 {
        push(
            "id IN (SELECT dossier_id FROM documents WHERE sha256 = ?)",
            v,
        );
    }
    if let Some(v) = &filter.submitted_from {
        push("submitted_at >= ?", v);
    }
    if let Some(v) = &filter.submitted_to {
        push("submitted_at < ?", v);
    }
    if let Some(v) = &filter.tax_code
        && filter.tax_code_branches
    {
        values.push(v.clone());
        let a = values.len();
        values.push(format!("{v}-___"));
        let b = values.len();
        conditions.push(format!(
            "(applicant_tax_code = ${a} OR applicant_tax_code LIKE ${b})"
        ));
    }
    if let Some(statuses) = &filter.statuses {
        let mut placeholders = Vec::new();
        for s in statuses {
            values.push(s.clone());
            placeholders.push(format!("${}", values.len()));
        }
        conditions.push(if placeholders.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("status IN ({})", placeholders.join(", "))
        });
    }
    if let Some(codes) = &filter.procedure_codes {
        let mut any = Vec::new();
        if !codes.is_empty() {
            let mut placeholders = Vec::new();
            for c in codes {
                values.push(c.clone());
                placeholders.push(format!("${}", values.len()));
            }
            any.push(format!("procedure_code IN ({})", placeholders.join(", ")));
        }
        if let Some(agency) = &filter.part_agency {
            values.push(agency.clone());
            any.push(format!(
                "id IN (SELECT dossier_id FROM dossier_parts WHERE agency = ${})",
                values.len()
            ));
        }
        if any.is_empty() {
            conditions.push("1 = 0".into());
        } else {
            conditions.push(format!("({})", any.join(" OR ")));
        }
    }
    if let Some(units) = &filter.unit_codes {
        if units.is_empty() {
            conditions.push("1 = 0".into());
        } else {
            let mut placeholders = Vec::new();
            for u in units {
                values.push(u.clone());
                placeholders.push(format!("${}", values.len()));
            }
            // Received there, or with a part processed there.
            let list = placeholders.join(", ");
            conditions.push(format!(
                "(unit_code IN ({list}) OR id IN (SELECT dossier_id FROM dossier_parts \
                 WHERE unit_code IN ({list})))"
            ));
        }
    }
    if let Some((at, id)) = filter.before.as_ref().filter(|_| with_cursor) {
        values.push(at.clone());
        let a = values.len();
        values.push(id.clone());
        let b = values.len();
        conditions.push(format!(
            "(submitted_at < ${a} OR (submitted_at = ${a} AND id < ${b}))"
        ));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    (where_clause, values)
}
