//! Moving dossiers through their lifecycle (Decree 45/2020/ND-CP).
//!
//! Owns: recording a move — the conditional status update (optimistic concurrency on the
//! dossier's version), the history row and its `dossier_transition` log entry, in one
//! transaction — and the moves the system makes by itself (SUBMITTED → RECEIVED at intake, and
//! on acceptance the originals decision made at intake: ORIGINALS_WAIVED or
//! AWAITING_ORIGINALS). Which moves exist and which kind of actor makes them is
//! `workflow::lifecycle`'s table; who may move which dossier (its lead agency and the one-stop
//! counter, not a linked part's agency) is `access`'s; neither is decided here. Never reaches:
//! axum, SQL text, S3.

use crate::auth::Principal;
use crate::db::{DossierRow, TransitionRow, Tx};
use crate::ledger::{self, EntryDraft, EntryKind};
use crate::timestamp::Timestamp;
use crate::workflow::lifecycle::{self, Actor, TransitionError};

use super::access::{self, Act, Handling};
use super::model::{Dossier, DossierError};
use super::service::DossierService;
use crate::vocabulary::DossierStatus;

/// At most this many dossiers in one deadline list.
const DEADLINE_LIMIT: i64 = 1000;

/// Overdue and due-soon dossiers, per agency.
#[derive(Debug, Clone)]
pub struct Deadlines {
    /// The day they were judged on (Vietnam time).
    pub today: time::Date,
    /// Due soon means due on or before this day.
    pub due_soon_until: time::Date,
    /// One entry per agency with such dossiers, by name.
    pub agencies: Vec<AgencyDeadlines>,
    /// Whether the list stopped at its limit (1000 dossiers).
    pub truncated: bool,
}

/// One agency's overdue and due-soon dossiers, earliest due first.
#[derive(Debug, Clone)]
pub struct AgencyDeadlines {
    /// The agency responsible for their procedures.
    pub agency: String,
    /// Past their due date.
    pub overdue: Vec<Dossier>,
    /// Due today or within the window.
    pub due_soon: Vec<Dossier>,
}

/// A move a caller asks for.
#[derive(Debug, Clone)]
pub struct MoveRequest {
    /// The status to move to.
    pub to: DossierStatus,
    /// Why (required for rejections, supplement requests and mismatched originals).
    pub reason: Option<String>,
    /// The version of the dossier the caller saw; a stale one is refused. `None`: whatever the
    /// current version is (the move is still checked against the current status).
    pub version: Option<i64>,
}

pub use super::model::Transition;

/// A move about to be recorded (after the lifecycle check).
pub(super) struct Move<'a> {
    pub dossier_id: &'a str,
    pub from: DossierStatus,
    pub to: DossierStatus,
    pub actor: Actor,
    pub actor_token: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// The version the dossier must be at; `None` only inside the transaction that created it.
    pub version: Option<i64>,
    /// Whether to queue the applicant's notification of the move (a webhook is configured).
    pub notify: bool,
}

/// Records a move the service makes on its own inside `tx` (no token, no notification, no
/// version check): the archive's import closes the records it creates with it.
pub async fn record_system_move(
    tx: &mut Tx,
    now: &Timestamp,
    dossier_id: &str,
    from: DossierStatus,
    to: DossierStatus,
    reason: &str,
) -> Result<Option<i64>, DossierError> {
    record_move(
        tx,
        now,
        &Move {
            dossier_id,
            from,
            to,
            actor: Actor::System,
            actor_token: None,
            reason: Some(reason),
            version: None,
            notify: false,
        },
    )
    .await
}

impl DossierService {
    /// Moves a dossier the caller may see (others are not found) to `request.to`, then returns
    /// it. Refused, with nothing recorded, in this order: a stale `version`; a move the
    /// lifecycle does not have from the current status (the error lists the caller's moves); a
    /// dossier the caller may not move (an agency of a linked procedure: [`access`]); a
    /// move the caller's role may not make; a missing or over-long reason; a concurrent move
    /// that got there first (stale).
    ///
    /// An officer accepting a dossier is followed, in the same transaction, by the system's
    /// originals move decided at intake: ORIGINALS_WAIVED when the applicant's own valid
    /// signature covered it, else AWAITING_ORIGINALS.
    pub async fn transition(
        &self,
        principal: &Principal,
        id: &str,
        request: MoveRequest,
    ) -> Result<Dossier, DossierError> {
        let (row, handling) = self.visible(principal, id).await?;
        // A caller looking at an older version is told so first: judging its move against a
        // status it has not seen would mislead it.
        if let Some(seen) = request.version
            && seen != row.version
        {
            return Err(DossierError::StaleVersion {
                current: row.version,
            });
        }
        let from = status_of(&row)?;
        let actor = Actor::from(principal.role);
        // A move that does not exist is reported as such whoever asks, with the moves this
        // caller may make on this dossier instead.
        if !lifecycle::all_moves(from).contains(&request.to) {
            return Err(TransitionError::Illegal {
                from,
                to: request.to,
                allowed: moves(principal, &handling, from),
            }
            .into());
        }
        access::check_can_act(principal, &handling, Act::Move)?;
        lifecycle::check(from, request.to, actor, request.reason.as_deref())?;
        if request.to == DossierStatus::ResultIssued {
            let open: Vec<String> = self
                .db()
                .parts_of(&row.id)
                .await?
                .into_iter()
                .filter(|p| p.status != "done")
                .map(|p| p.procedure_code)
                .collect();
            if !open.is_empty() {
                return Err(DossierError::PartsPending(open));
            }
        }
        if request.to == DossierStatus::OriginalsWaived
            && row.originals.as_deref() != Some("waived")
        {
            return Err(DossierError::OriginalsRequired);
        }
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let moved = record_move(
            &mut tx,
            &now,
            &Move {
                dossier_id: &row.id,
                from,
                to: request.to,
                actor,
                actor_token: Some(&principal.token_id),
                reason: request.reason.as_deref(),
                version: Some(row.version),
                notify: self.notifies(),
            },
        )
        .await?;
        let Some(version) = moved else {
            // Another move landed between our read and our update.
            let current = self
                .db()
                .dossier(id)
                .await?
                .map_or(row.version, |r| r.version);
            return Err(DossierError::StaleVersion { current });
        };
        if request.to == DossierStatus::Accepted {
            let next = match row.originals.as_deref() {
                Some("waived") => DossierStatus::OriginalsWaived,
                _ => DossierStatus::AwaitingOriginals,
            };
            lifecycle::check(request.to, next, Actor::System, None)?;
            record_move(
                &mut tx,
                &now,
                &Move {
                    dossier_id: &row.id,
                    from: request.to,
                    to: next,
                    actor: Actor::System,
                    actor_token: None,
                    reason: None,
                    version: Some(version),
                    notify: self.notifies(),
                },
            )
            .await?
            .ok_or(DossierError::StaleVersion { current: version })?;
        }
        self.refresh_due(&mut tx, &row.id, &row.procedure_code)
            .await?;
        tx.commit().await?;
        tracing::info!(dossier = %row.id, from = from.as_str(), to = request.to.as_str(),
            actor = actor.as_str(), "dossier moved");
        self.get(principal, id).await
    }

    /// A dossier the caller may see, in full, with the moves it may make now (see
    /// [`Self::moves_for`]), the access rules consulted once.
    pub async fn get_with_moves(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<(Dossier, Vec<DossierStatus>), DossierError> {
        let (dossier, handling) = self.get_handled(principal, id).await?;
        let allowed = moves(principal, &handling, dossier.status);
        Ok((dossier, allowed))
    }

    /// The moves `principal` may make on a dossier now: none for a dossier it may not see or
    /// move (an agency of a linked procedure, an archivist), else its role's moves from the
    /// dossier's status.
    pub async fn moves_for(
        &self,
        principal: &Principal,
        dossier: &Dossier,
    ) -> Result<Vec<DossierStatus>, DossierError> {
        let handling = self
            .handling(
                principal,
                &dossier.id,
                &dossier.procedure,
                dossier.applicant.tax_code().map(|t| t.as_str()),
                dossier.applicant.id_number().map(|n| n.as_str()),
                Some(dossier.code.unit()),
            )
            .await?;
        Ok(moves(principal, &handling, dossier.status))
    }

    /// Recomputes a dossier's due date from its moves so far (inside the transaction that
    /// moved it) and stores it: `processing_days` of its procedure in working days from its
    /// receipt, extended by the working days it waited for the applicant; none while it waits.
    pub(super) async fn refresh_due(
        &self,
        tx: &mut Tx,
        dossier_id: &str,
        procedure: &str,
    ) -> Result<Option<time::Date>, DossierError> {
        let moves: Vec<(time::OffsetDateTime, DossierStatus)> = tx
            .transitions_of(dossier_id)
            .await?
            .into_iter()
            .map(|t| {
                let at = Timestamp::parse(&t.at)
                    .map_err(|_| DossierError::Corrupt(format!("time {:?}", t.at)))?;
                let to = DossierStatus::parse(&t.to_status)
                    .ok_or_else(|| DossierError::Corrupt(format!("status {:?}", t.to_status)))?;
                Ok((at.as_offset_date_time(), to))
            })
            .collect::<Result<_, DossierError>>()?;
        let due = self
            .catalogue()
            .get(procedure)
            .and_then(|p| due_date(self.calendar(), p.processing_days, &moves));
        let text = due.map(|d| {
            d.format(time::macros::format_description!("[year]-[month]-[day]"))
                .expect("a date formats")
        });
        tx.set_due_on(dossier_id, text.as_deref()).await?;
        Ok(due)
    }

    /// The open dossiers that are overdue on `today` or due within `within` working days of it,
    /// grouped by the agency responsible for their procedure (only `agency`'s when given).
    /// Staff only: applicants get [`DossierError::Forbidden`].
    pub async fn deadlines(
        &self,
        principal: &Principal,
        today: time::Date,
        within: u32,
        agency: Option<&str>,
    ) -> Result<Deadlines, DossierError> {
        use crate::auth::Role;
        if !matches!(
            principal.role,
            Role::Officer | Role::Archivist | Role::Admin
        ) {
            return Err(DossierError::Forbidden("deadlines are for staff"));
        }
        // An agency's officer sees its own agency's list only.
        let agency = match (principal.role, principal.agency.as_deref()) {
            (Role::Officer, Some(own)) => Some(own),
            _ => agency,
        };
        if within > 60 {
            return Err(DossierError::InvalidQuery(
                "within is at most 60 working days".into(),
            ));
        }
        let cutoff = self.calendar().add_working_days(today, within);
        let rows = self
            .db()
            .open_dossiers_due_by(&cutoff.to_string(), DEADLINE_LIMIT)
            .await?;
        let truncated = rows.len() as i64 == DEADLINE_LIMIT;
        // Staff bound to a unit: its reach's dossiers only.
        let reach = self.reach(principal).await?;
        let mut groups: Vec<AgencyDeadlines> = Vec::new();
        for row in rows {
            if !reach.admits(row.unit_code.as_deref()) {
                continue;
            }
            let dossier = super::model::dossier_from_row(row)?;
            let name = self.catalogue().get(&dossier.procedure).map_or_else(
                || "(procedure not in the catalogue)".to_owned(),
                |p| p.agency.clone(),
            );
            if agency.is_some_and(|a| a != name) {
                continue;
            }
            let group = match groups.iter_mut().position(|g| g.agency == name) {
                Some(i) => &mut groups[i],
                None => {
                    groups.push(AgencyDeadlines {
                        agency: name,
                        overdue: Vec::new(),
                        due_soon: Vec::new(),
                    });
                    groups.last_mut().expect("just pushed")
                }
            };
            if dossier.is_overdue(today) {
                group.overdue.push(dossier);
            } else {
                group.due_soon.push(dossier);
            }
        }
        groups.sort_by(|a, b| a.agency.cmp(&b.agency));
        Ok(Deadlines {
            today,
            due_soon_until: cutoff,
            agencies: groups,
            truncated,
        })
    }

    /// After a result for `dossier` is recorded (inside its transaction): marks the part of
    /// `procedure` (the dossier's own when `None`) done, for an interlinked dossier; then, when
    /// no part is left open and the dossier is PROCESSING, the system moves it to
    /// RESULT_ISSUED. Refused: a part that does not exist or is done already. Whether the
    /// issuer may complete this part was asked of [`access`] before the result was made.
    pub async fn after_result(
        &self,
        tx: &mut Tx,
        dossier: &Dossier,
        procedure: Option<&str>,
        result_id: &str,
        now: &Timestamp,
    ) -> Result<(), DossierError> {
        let procedure = procedure.unwrap_or(&dossier.procedure);
        let parts = tx.parts_of(&dossier.id).await?;
        if parts.is_empty() {
            if procedure != dossier.procedure {
                return Err(DossierError::Invalid(format!(
                    "the dossier is filed under {} only, not {procedure}",
                    dossier.procedure
                )));
            }
        } else {
            if !parts.iter().any(|p| p.procedure_code == procedure) {
                return Err(DossierError::Invalid(format!(
                    "the dossier has no part {procedure}"
                )));
            }
            if !tx
                .complete_part(&dossier.id, procedure, result_id, &now.to_string())
                .await?
            {
                return Err(DossierError::PartDone(procedure.to_owned()));
            }
        }
        // Any other part still open (this one was just completed, or there are none).
        let open = parts
            .iter()
            .any(|p| p.status != "done" && p.procedure_code != procedure);
        if !open {
            // Only from PROCESSING, whatever version: the update is conditional on the status.
            let moved = record_move(
                tx,
                now,
                &Move {
                    dossier_id: &dossier.id,
                    from: DossierStatus::Processing,
                    to: DossierStatus::ResultIssued,
                    actor: Actor::System,
                    actor_token: None,
                    reason: None,
                    version: None,
                    notify: self.notifies(),
                },
            )
            .await?;
            if moved.is_some() {
                self.refresh_due(tx, &dossier.id, &dossier.procedure)
                    .await?;
            }
        }
        Ok(())
    }

    /// A dossier's history, oldest first.
    pub(super) async fn history(&self, id: &str) -> Result<Vec<Transition>, DossierError> {
        self.db()
            .transitions_of(id)
            .await?
            .into_iter()
            .map(transition_from_row)
            .collect()
    }
}

/// Records `m` inside `tx`: the conditional update (the dossier must still be in `m.from`, at
/// `m.version` when given), the log entry and the history row. `None` when the dossier moved
/// meanwhile (nothing written; the caller rolls back).
pub(super) async fn record_move(
    tx: &mut Tx,
    now: &Timestamp,
    m: &Move<'_>,
) -> Result<Option<i64>, DossierError> {
    let now_text = now.to_string();
    let Some(version) = tx
        .move_dossier(
            m.dossier_id,
            m.from.as_str(),
            m.to.as_str(),
            m.version,
            &now_text,
        )
        .await?
    else {
        return Ok(None);
    };
    let mut draft = EntryDraft::new(EntryKind::DossierTransition)
        .text("dossier", m.dossier_id)
        .text("from", m.from.as_str())
        .text("status", m.to.as_str())
        .number("version", version as u64)
        .text("actor", m.actor.as_str());
    if let Some(reason) = m.reason {
        // The reason may name people: the log, which can be published, holds its digest only.
        draft = draft.text(
            "reason_sha256",
            crate::storage::Sha256Digest::of(reason.as_bytes()).to_hex(),
        );
    }
    let appended = ledger::append(tx, now, &[draft]).await?;
    // The day the reports count it from, or the day its handling ended (`report`).
    let day = now.vietnam_date().to_string();
    match lifecycle::milestone(m.to) {
        Some(lifecycle::Milestone::Received) => tx.set_received_on(m.dossier_id, &day).await?,
        Some(lifecycle::Milestone::Closed) => tx.set_closed_on(m.dossier_id, &day).await?,
        None => {}
    }
    tx.insert_transition(&TransitionRow {
        id: uuid::Uuid::new_v4().to_string(),
        dossier_id: m.dossier_id.to_owned(),
        version,
        from_status: m.from.as_str().to_owned(),
        to_status: m.to.as_str().to_owned(),
        actor: m.actor.as_str().to_owned(),
        actor_token: m.actor_token.map(str::to_owned),
        reason: m.reason.map(str::to_owned),
        at: now_text,
        ledger_index: appended[0].index as i64,
    })
    .await?;
    if m.notify
        && let Some(event) = crate::notify::event_for(m.to)
    {
        tx.enqueue_notification(&crate::notify::notification(
            event,
            m.dossier_id,
            m.to,
            version,
            m.reason,
            now,
        ))
        .await?;
    }
    Ok(Some(version))
}

/// The due date of a dossier that made `moves` (time, new status; oldest first): `days`
/// working days from its first receipt, extended by each stay in a status that waits for the
/// applicant (`workflow::Calendar::due_date`). None before it is received and while it waits.
pub fn due_date(
    calendar: &crate::workflow::Calendar,
    days: u32,
    moves: &[(time::OffsetDateTime, DossierStatus)],
) -> Option<time::Date> {
    let received = moves.iter().find(|(_, s)| *s == DossierStatus::Received)?.0;
    let mut pauses = Vec::new();
    for (i, (at, status)) in moves.iter().enumerate() {
        if lifecycle::waits_for_applicant(*status) {
            pauses.push((*at, moves.get(i + 1).map(|(end, _)| *end)));
        }
    }
    calendar.due_date(received, days, &pauses)
}

/// The moves `principal` may make from `from` on `dossier`: its role's, if it may move the
/// dossier at all.
fn moves(principal: &Principal, dossier: &Handling, from: DossierStatus) -> Vec<DossierStatus> {
    match access::check_can_act(principal, dossier, Act::Move) {
        Ok(()) => lifecycle::allowed_moves(from, Actor::from(principal.role)),
        Err(_) => Vec::new(),
    }
}

fn status_of(row: &DossierRow) -> Result<DossierStatus, DossierError> {
    DossierStatus::parse(&row.status)
        .ok_or_else(|| DossierError::Corrupt(format!("status {:?}", row.status)))
}

fn transition_from_row(row: TransitionRow) -> Result<Transition, DossierError> {
    let corrupt = |what: &str, v: &str| DossierError::Corrupt(format!("{what} {v:?}"));
    let status = |s: &str| DossierStatus::parse(s).ok_or_else(|| corrupt("status", s));
    Ok(Transition {
        version: row.version,
        from: status(&row.from_status)?,
        to: status(&row.to_status)?,
        actor: Actor::ALL
            .into_iter()
            .find(|a| a.as_str() == row.actor)
            .ok_or_else(|| corrupt("actor", &row.actor))?,
        actor_token: row.actor_token,
        reason: row.reason,
        at: Timestamp::parse(&row.at).map_err(|_| corrupt("time", &row.at))?,
        ledger_index: row.ledger_index as u64,
    })
}

impl From<TransitionError> for DossierError {
    fn from(e: TransitionError) -> Self {
        DossierError::Transition(e)
    }
}
