//! Finding dossiers: the listing and search behind `GET /api/v1/dossiers`, within what the
//! caller may see, in pages with an opaque cursor.

use crate::auth::Principal;
use crate::db::DossierFilter;
use crate::storage::Sha256Digest;
use crate::timestamp::Timestamp;

use super::access::Visibility;
use super::model::{DossierError, DossierPage, DossierQuery, dossier_from_row};
use super::service::DossierService;

impl DossierService {
    /// A page of the dossiers the caller may see, newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        query: DossierQuery,
    ) -> Result<DossierPage, DossierError> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(DossierError::InvalidQuery(
                "limit must be between 1 and 200".into(),
            ));
        }
        let Some(filter) = self.filter_for(principal, query, limit).await? else {
            return Ok(DossierPage {
                items: vec![],
                next_cursor: None,
            });
        };
        let mut rows = self.db().list_dossiers(&filter).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => Some(encode_cursor(&last.submitted_at, &last.id)),
            _ => None,
        };
        let items = rows
            .into_iter()
            .map(dossier_from_row)
            .collect::<Result<_, _>>()?;
        Ok(DossierPage { items, next_cursor })
    }

    /// How many open dossiers (not yet at a terminal status: work still to do) of each status
    /// the caller may see among those the query matches (its cursor and limit aside): the
    /// counts of a work queue. Statuses with none are left out. Closed dossiers are not
    /// counted: they are most of a deployment's records, and counting them on every look at
    /// the queue would cost a scan of them all.
    pub async fn count_by_status(
        &self,
        principal: &Principal,
        query: DossierQuery,
    ) -> Result<Vec<(crate::vocabulary::DossierStatus, u64)>, DossierError> {
        let Some(mut filter) = self.filter_for(principal, query, 1).await? else {
            return Ok(vec![]);
        };
        filter.statuses = Some(
            crate::vocabulary::DossierStatus::ALL
                .into_iter()
                .filter(|s| !crate::workflow::lifecycle::is_terminal(*s))
                .map(|s| s.as_str().to_owned())
                .collect(),
        );
        self.db()
            .count_dossiers_by_status(&filter)
            .await?
            .into_iter()
            .map(|(status, n)| {
                let s = crate::vocabulary::DossierStatus::parse(&status)
                    .ok_or_else(|| super::model::corrupt("status", &status))?;
                Ok((s, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    /// The database filter of a query, confined to what the caller may see; `None` when the
    /// caller may see none of what it asks for.
    async fn filter_for(
        &self,
        principal: &Principal,
        query: DossierQuery,
        limit: u32,
    ) -> Result<Option<DossierFilter>, DossierError> {
        let before = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let mut filter = DossierFilter {
            tax_code: query.tax_code.map(|t| t.as_str().to_owned()),
            id_number: query.id_number.map(|n| n.as_str().to_owned()),
            procedure_code: query.procedure,
            procedure_codes: None,
            part_agency: None,
            result_code: query.result_code,
            document_sha256: query
                .sha256
                .map(|s| {
                    Sha256Digest::from_hex(&s.to_ascii_lowercase())
                        .map(|d| d.to_hex())
                        .map_err(|_| {
                            DossierError::InvalidQuery("sha256 is 64 hexadecimal digits".into())
                        })
                })
                .transpose()?,
            tax_code_branches: false,
            unit_codes: None,
            status: query.status.map(|s| s.as_str().to_owned()),
            statuses: None,
            code: query.code,
            name_contains: query.name.filter(|n| !n.trim().is_empty()),
            submitted_from: query.submitted_from.map(|t| t.to_string()),
            submitted_to: query.submitted_to.map(|t| t.to_string()),
            before,
            limit: i64::from(limit) + 1,
        };
        // Confine the caller to what it may see (`access::visibility`, the rule `can_see` is
        // made of). Asking for someone else's identifier yields an empty page, not an error
        // that would confirm it exists.
        if let super::access::Reach::Units(units) = self.reach(principal).await? {
            filter.unit_codes = Some(units);
        }
        match super::access::visibility(principal) {
            Visibility::All => {}
            Visibility::Nothing => return Ok(None),
            Visibility::TaxCode { code, branches } => {
                match &filter.tax_code {
                    // One of its branches, asked for by name.
                    Some(asked) if super::access::covers(&code, branches, asked) => {}
                    Some(_) => return Ok(None),
                    None => {
                        filter.tax_code = Some(code);
                        filter.tax_code_branches = branches;
                    }
                }
            }
            Visibility::IdNumber(own) => {
                if filter.id_number.as_ref().is_some_and(|asked| *asked != own) {
                    return Ok(None);
                }
                filter.id_number = Some(own);
            }
            Visibility::Agency(own) => {
                filter.procedure_codes = Some(
                    self.catalogue()
                        .iter()
                        .filter(|p| p.agency == own)
                        .map(|p| p.code.clone())
                        .collect(),
                );
                filter.part_agency = Some(own);
            }
        }
        if let Some(agency) = query.agency.as_deref() {
            // An agency's officer asking for another agency: nothing to show.
            if filter
                .part_agency
                .as_deref()
                .is_some_and(|own| own != agency)
            {
                return Ok(None);
            }
            filter.procedure_codes = Some(
                self.catalogue()
                    .iter()
                    .filter(|p| p.agency == agency)
                    .map(|p| p.code.clone())
                    .collect(),
            );
            filter.part_agency = Some(agency.to_owned());
        }
        Ok(Some(filter))
    }
}

fn encode_cursor(at: &str, id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, String), DossierError> {
    use base64::Engine as _;
    let invalid = || DossierError::InvalidQuery("cursor is not one this service issued".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (at, id) = text.split_once('|').ok_or_else(invalid)?;
    Timestamp::parse(at).map_err(|_| invalid())?;
    uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((at.to_owned(), id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let id = uuid::Uuid::new_v4().to_string();
        let c = encode_cursor("2026-11-27T16:30:00.500000Z", &id);
        assert_eq!(
            decode_cursor(&c).unwrap(),
            ("2026-11-27T16:30:00.500000Z".to_owned(), id)
        );
        assert!(matches!(
            decode_cursor("nonsense!"),
            Err(DossierError::InvalidQuery(_))
        ));
    }
}

/// What anyone may learn of a dossier from its code alone: where it stands and when it is due.
/// No name, no procedure details, no papers: the code is printed on a slip a citizen may lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicStatus {
    /// Its status.
    pub status: crate::vocabulary::DossierStatus,
    /// When it is due, if it has a due date.
    pub due_on: Option<time::Date>,
    /// When it was received (the day, in Vietnam).
    pub received_on: time::Date,
}

impl DossierService {
    /// The public answer for a dossier code (`None`: no such code). Disposed records answer
    /// nothing either.
    pub async fn public_status(&self, code: &str) -> Result<Option<PublicStatus>, DossierError> {
        let code = code.trim();
        if code.is_empty() || code.len() > 64 {
            return Ok(None);
        }
        let rows = self
            .db()
            .list_dossiers(&DossierFilter {
                code: Some(code.to_owned()),
                limit: 1,
                ..DossierFilter::default()
            })
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let d = dossier_from_row(row)?;
        match self.refuse_disposed(&d.id).await {
            Ok(()) => {}
            Err(DossierError::Disposed(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(PublicStatus {
            status: d.status,
            due_on: d.due_on,
            received_on: d.submitted_at.vietnam_date(),
        }))
    }
}
