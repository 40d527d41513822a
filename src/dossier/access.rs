//! Who may file, see and act on which dossier, and on which part of it. The one owner of these
//! rules: the service asks here before it records anything, and the lifecycle table
//! (`workflow::lifecycle`) adds only which move each kind of actor makes from each status.
//!
//! Seeing: a business sees and files only dossiers whose applicant tax code is its own, a citizen
//! only those with their identification number; an officer of an agency sees the dossiers of that
//! agency's procedures, and those of which it handles an interlinked part (liên thông); an officer
//! with no agency (the one-stop counter itself, which receives for every agency) sees all;
//! archivists and admins see all; archivists do not file. Staff bound to a unit see only within
//! its reach (`Reach`): an officer the dossiers received by their own unit, an archivist or
//! administrator those of their unit and every unit below it; staff bound to no unit serve the
//! whole deployment. A dossier a caller may not see is "not found", exactly as if absent.
//! A unit's one-stop figures (`report_reach`) are read by staff of that unit or of a unit above
//! it (officers too), and by staff bound to no unit; never by applicants.
//!
//! Acting, on a dossier the caller sees: the lead agency (that of the dossier's own procedure)
//! and the one-stop counter move the dossier through its lifecycle, handle its paper originals,
//! issue its receipt and certified copies of its papers; the agency of a linked procedure acts
//! only on its own part, whose result it issues (and revokes); the counter issues any part's
//! result, since it returns results for every agency. Which kinds of result complete a part is
//! the procedure's (`Procedure::results`). The applicant's one act is answering a supplement
//! request; archivists and administrators read and never act. A refusal of a caller who sees the
//! dossier is "forbidden", with a message that says whose act it is.

use crate::auth::{Principal, Role};
use crate::unit::{Unit, subtree_of};

use crate::vocabulary::Applicant;

/// A dossier as the access rules see it: whose it is and which agencies handle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handling {
    /// The applicant's tax code (a business's dossier).
    pub tax_code: Option<String>,
    /// The applicant's identification number (a citizen's dossier).
    pub id_number: Option<String>,
    /// The dossier's own procedure: its part (or the whole dossier) is the lead agency's.
    pub procedure: String,
    /// The lead agency: that of the dossier's own procedure, as the catalogue names it now and,
    /// for an interlinked dossier, as its own part was recorded at filing (the same one unless
    /// the catalogue changed since). Empty when the catalogue no longer has the procedure: then
    /// only the one-stop counter acts on the dossier.
    pub lead: Vec<String>,
    /// For an interlinked dossier: each part's procedure and agency as recorded at filing, the
    /// dossier's own procedure's included. Empty for a dossier of one procedure.
    pub parts: Vec<(String, String)>,
    /// Whether the dossier is within the caller's [`Reach`] (as the service found it): received
    /// by a unit there, or with a part processed at one.
    pub in_reach: bool,
    /// Whether the unit that received it is within the caller's reach (else only
    /// `parts_in_reach` are).
    pub received_in_reach: bool,
    /// The procedures of its parts processed at a unit within the caller's reach, when the
    /// dossier itself was received elsewhere.
    pub parts_in_reach: Vec<String>,
}

impl Handling {
    /// The dossier of `procedure` for these applicant identifiers, whose procedure the
    /// catalogue gives to `agency` now, with these interlinked `parts` (procedure, agency).
    pub fn new(
        tax_code: Option<&str>,
        id_number: Option<&str>,
        procedure: &str,
        agency: Option<&str>,
        parts: Vec<(String, String)>,
    ) -> Self {
        let mut lead: Vec<String> = agency.map(str::to_owned).into_iter().collect();
        for (code, recorded) in &parts {
            if code == procedure && !lead.contains(recorded) {
                lead.push(recorded.clone());
            }
        }
        Self {
            tax_code: tax_code.map(str::to_owned),
            id_number: id_number.map(str::to_owned),
            procedure: procedure.to_owned(),
            lead,
            parts,
            in_reach: true,
            received_in_reach: true,
            parts_in_reach: Vec::new(),
        }
    }

    /// The same dossier, received by a unit outside the caller's reach, whose parts of these
    /// procedures are processed at a unit within it (none: out of reach altogether).
    pub fn received_elsewhere(mut self, parts_here: Vec<String>) -> Self {
        self.in_reach = !parts_here.is_empty();
        self.received_in_reach = false;
        self.parts_in_reach = parts_here;
        self
    }

    /// Whether `agency` leads the dossier.
    fn is_lead(&self, agency: &str) -> bool {
        self.lead.iter().any(|a| a == agency)
    }

    /// Whether `agency` handles the dossier at all: leads it or handles one of its parts.
    fn is_handled_by(&self, agency: &str) -> bool {
        self.is_lead(agency) || self.parts.iter().any(|(_, a)| a == agency)
    }

    /// The agency recorded for the linked part of `procedure`, for an interlinked dossier that
    /// has one (the dossier's own procedure's part is the lead's).
    fn linked_part_agency(&self, procedure: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(code, _)| code == procedure && code != &self.procedure)
            .map(|(_, agency)| agency.as_str())
    }
}

/// Whether the agencies handling a dossier (`Handling::lead` and `Handling::parts`) matter to
/// what `principal` may see and do: only for an agency's officer, so they are looked up only
/// then.
pub fn agencies_matter(principal: &Principal) -> bool {
    principal.role == Role::Officer && principal.agency.is_some()
}

/// Which dossiers a principal may see, in the form a listing filters by. [`can_see`] is defined
/// by it, so the single check and the list filter (`DossierService::list`) cannot drift apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every dossier: archivists, administrators, the one-stop counter's officers.
    All,
    /// A business's: those whose applicant has this tax code, and with `branches` those of its
    /// branches and dependent units (`<code>-NNN`).
    TaxCode {
        /// The business's tax code.
        code: String,
        /// Whether its branches' dossiers are its too.
        branches: bool,
    },
    /// A citizen's: those of this identification number.
    IdNumber(String),
    /// An agency's officer's: the dossiers of the agency's procedures, and those with a part it
    /// handles.
    Agency(String),
    /// None: an applicant token without its identifier.
    Nothing,
}

/// What `principal` may see.
pub fn visibility(principal: &Principal) -> Visibility {
    match principal.role {
        Role::Business => match &principal.tax_code {
            Some(code) => Visibility::TaxCode {
                code: code.as_str().to_owned(),
                branches: principal.branches,
            },
            None => Visibility::Nothing,
        },
        Role::Citizen => match &principal.id_number {
            Some(n) => Visibility::IdNumber(n.as_str().to_owned()),
            None => Visibility::Nothing,
        },
        Role::Officer => match &principal.agency {
            Some(own) => Visibility::Agency(own.clone()),
            None => Visibility::All,
        },
        Role::Archivist | Role::Admin => Visibility::All,
    }
}

impl Visibility {
    /// Whether it admits `dossier`.
    pub fn admits(&self, dossier: &Handling) -> bool {
        match self {
            Self::All => true,
            Self::TaxCode { code, branches } => dossier
                .tax_code
                .as_deref()
                .is_some_and(|c| covers(code, *branches, c)),
            Self::IdNumber(n) => dossier.id_number.as_deref() == Some(n.as_str()),
            Self::Agency(own) => dossier.is_handled_by(own),
            Self::Nothing => false,
        }
    }
}

/// Whether `principal` may see `dossier`. A refusal is reported as "not found", so that ids of
/// other applicants' (or other agencies' or units') dossiers reveal nothing.
pub fn can_see(principal: &Principal, dossier: &Handling) -> bool {
    dossier.in_reach && visibility(principal).admits(dossier)
}

/// The units whose dossiers a caller reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every unit: applicants (confined by their identifiers instead), and staff bound to no
    /// unit (the whole deployment, as before units).
    Everywhere,
    /// These units' dossiers only.
    Units(Vec<String>),
}

impl Reach {
    /// Whether a dossier received by `unit` is within it (a dossier with no unit recorded yet
    /// only for those who reach everywhere).
    pub fn admits(&self, unit: Option<&str>) -> bool {
        match self {
            Self::Everywhere => true,
            Self::Units(units) => unit.is_some_and(|u| units.iter().any(|r| r == u)),
        }
    }
}

/// Whether the units matter to what `principal` may see, so that they are looked up only then.
pub fn units_matter(principal: &Principal) -> bool {
    principal.unit.is_some() && !matches!(principal.role, Role::Business | Role::Citizen)
}

/// The reach of `principal` among `units`: an officer's own unit; an archivist's or
/// administrator's unit and every unit below it; everywhere for the rest.
pub fn reach(principal: &Principal, units: &[Unit]) -> Reach {
    let Some(own) = principal.unit.as_ref().filter(|_| units_matter(principal)) else {
        return Reach::Everywhere;
    };
    match principal.role {
        Role::Officer => Reach::Units(vec![own.as_str().to_owned()]),
        _ => Reach::Units(
            subtree_of(units, own)
                .into_iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        ),
    }
}

/// Whose one-stop figures (`report`) `principal` may read among `units`: staff only (`None`
/// for applicants). Staff bound to a unit read its figures and those of every unit below it,
/// officers included — figures are counts, not dossiers, and a unit's officers answer for the
/// counters below it; staff bound to no unit read every unit's.
pub fn report_reach(principal: &Principal, units: &[Unit]) -> Option<Reach> {
    if matches!(principal.role, Role::Business | Role::Citizen) {
        return None;
    }
    Some(match principal.unit.as_ref() {
        Some(own) => Reach::Units(
            subtree_of(units, own)
                .into_iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        ),
        None => Reach::Everywhere,
    })
}

/// Something a caller does to a dossier it sees, beyond reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act<'a> {
    /// Move it through its lifecycle (accept, ask for a supplement, reject, settle its paper
    /// originals, processing, result issued, returned), or add the documents a supplement
    /// request asked for. Which moves, from which status, is the lifecycle table's.
    Move,
    /// Scan its paper originals at the counter and record the decision on each.
    HandleOriginals,
    /// Issue its receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả): the receiving agency's.
    IssueReceipt,
    /// Issue a certified copy (bản sao điện tử, "SAO Y") of one of its papers.
    CertifyCopy,
    /// Issue the result of its part of `Some(procedure)`, or (`None`, as an issue request that
    /// names no procedure) of the dossier's own procedure.
    IssueResult(Option<&'a str>),
    /// Revoke one of its results: the one that completed the part of `Some(procedure)`, or
    /// (`None`) one of the dossier's own procedure or that completed no part (a receipt, a
    /// certified copy).
    RevokeResult(Option<&'a str>),
}

/// Why a caller may not act on a dossier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActRefusal {
    /// It may not even see the dossier: reported as "not found", like an absent one.
    #[error("not found")]
    NotSeen,
    /// It sees the dossier, but the act is someone else's (HTTP 403); says whose.
    #[error("{0}")]
    Forbidden(&'static str),
}

impl From<ActRefusal> for super::DossierError {
    fn from(r: ActRefusal) -> Self {
        match r {
            ActRefusal::NotSeen => Self::NotFound,
            ActRefusal::Forbidden(why) => Self::Forbidden(why),
        }
    }
}

/// Whether `principal` may do `act` on `dossier` (see the module's rules).
pub fn check_can_act(
    principal: &Principal,
    dossier: &Handling,
    act: Act<'_>,
) -> Result<(), ActRefusal> {
    use ActRefusal::Forbidden;
    if !can_see(principal, dossier) {
        return Err(ActRefusal::NotSeen);
    }
    match principal.role {
        // The applicant's one move, answering a supplement request, is in the lifecycle table.
        Role::Business | Role::Citizen if act == Act::Move => Ok(()),
        Role::Business | Role::Citizen | Role::Archivist | Role::Admin => {
            Err(Forbidden(match act {
                Act::Move => "archivists and administrators never move a dossier",
                Act::HandleOriginals => "only officers handle paper originals",
                Act::IssueReceipt | Act::CertifyCopy | Act::IssueResult(_) => {
                    "only officers issue results"
                }
                Act::RevokeResult(_) => "only officers revoke results",
            }))
        }
        Role::Officer if !dossier.received_in_reach => {
            // Received by another unit: at this one, only the parts processed here, and of
            // those, the officer's agency's (when it has one).
            match act {
                Act::IssueResult(Some(procedure)) | Act::RevokeResult(Some(procedure))
                    if dossier.parts_in_reach.iter().any(|p| p == procedure)
                        && principal.agency.as_deref().is_none_or(|own| {
                            dossier.linked_part_agency(procedure) == Some(own)
                                || (procedure == dossier.procedure && dossier.is_lead(own))
                        }) =>
                {
                    Ok(())
                }
                _ => Err(Forbidden(
                    "this dossier was received by another unit: at yours, only the results of \
                     its parts processed there are yours to issue and revoke",
                )),
            }
        }
        Role::Officer => {
            // The one-stop counter receives and returns for every agency.
            let Some(own) = principal.agency.as_deref() else {
                return Ok(());
            };
            if let Act::IssueResult(Some(procedure)) | Act::RevokeResult(Some(procedure)) = act
                && let Some(agency) = dossier.linked_part_agency(procedure)
            {
                return if agency == own {
                    Ok(())
                } else {
                    Err(Forbidden(
                        "this part of the dossier is another agency's: an agency issues and \
                         revokes the results of its own part only",
                    ))
                };
            }
            if dossier.is_lead(own) {
                return Ok(());
            }
            Err(Forbidden(match act {
                Act::Move | Act::HandleOriginals => {
                    "an agency of a linked procedure acts only on its own part: the lead agency \
                     (that of the dossier's own procedure) and the one-stop counter move the \
                     dossier and handle its paper originals"
                }
                Act::IssueReceipt => {
                    "the dossier receipt is the receiving one's: the lead agency's or the \
                     one-stop counter's"
                }
                Act::CertifyCopy => {
                    "certified copies of the dossier's papers are the lead agency's or the \
                     one-stop counter's"
                }
                Act::IssueResult(_) | Act::RevokeResult(_) => {
                    "this result is the lead agency's or the one-stop counter's: an agency of a \
                     linked procedure issues and revokes the results of its own part only"
                }
            }))
        }
    }
}

/// Whether a business with tax code `own` covers `code`: its own, and with `branches` those of
/// its branches and dependent units (`<own>-NNN`, Circular 105/2020/TT-BTC).
pub fn covers(own: &str, branches: bool, code: &str) -> bool {
    code == own
        || (branches
            && !own.contains('-')
            && code
                .strip_prefix(own)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Why a principal may not file a dossier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitRefusal {
    /// The role does not file dossiers.
    #[error("a {0} token cannot submit dossiers")]
    Role(Role),
    /// A business or citizen filing for someone else.
    #[error("the applicant must be the token's own {0}")]
    NotOwnApplicant(&'static str),
    /// Staff bound to a unit file at that unit's counter only.
    #[error("staff of unit {0} file at its own counter only")]
    OtherUnit(String),
}

/// The unit where `principal` files a dossier that names `declared` (or none): staff bound to a
/// unit file at its counter only (its own, when none is named); the others at the named unit.
pub fn filing_unit(
    principal: &Principal,
    declared: Option<crate::vocabulary::UnitCode>,
) -> Result<Option<crate::vocabulary::UnitCode>, SubmitRefusal> {
    match (
        principal.unit.as_ref().filter(|_| units_matter(principal)),
        declared,
    ) {
        (Some(own), Some(named)) if *own != named => {
            Err(SubmitRefusal::OtherUnit(own.as_str().to_owned()))
        }
        (Some(own), _) => Ok(Some(own.clone())),
        (None, named) => Ok(named),
    }
}

/// Whether `principal` may file a dossier for `applicant`: a business for itself, a citizen for
/// themself, an officer or admin for anyone (intake at the counter).
pub fn check_can_submit(principal: &Principal, applicant: &Applicant) -> Result<(), SubmitRefusal> {
    match principal.role {
        Role::Business => match (applicant.tax_code(), &principal.tax_code) {
            (Some(a), Some(own)) if covers(own.as_str(), principal.branches, a.as_str()) => Ok(()),
            _ => Err(SubmitRefusal::NotOwnApplicant("tax code")),
        },
        Role::Citizen => match (applicant.id_number(), &principal.id_number) {
            (Some(a), Some(own)) if a == own => Ok(()),
            _ => Err(SubmitRefusal::NotOwnApplicant("identification number")),
        },
        Role::Officer | Role::Admin => Ok(()),
        Role::Archivist => Err(SubmitRefusal::Role(Role::Archivist)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dossier::{IdNumber, TaxCode};

    fn principal(role: Role, tax: Option<&str>) -> Principal {
        Principal {
            token_id: "t".into(),
            role,
            tax_code: tax.map(|t| TaxCode::parse(t).unwrap()),
            id_number: None,
            agency: None,
            name: None,
            branches: false,
            unit: None,
        }
    }

    fn staff(role: Role, agency: Option<&str>) -> Principal {
        Principal {
            agency: agency.map(str::to_owned),
            ..principal(role, None)
        }
    }

    fn citizen(id_number: &str) -> Principal {
        Principal {
            id_number: Some(IdNumber::parse(id_number).unwrap()),
            ..principal(Role::Citizen, None)
        }
    }

    const COMMUNE: &str = "Ủy ban nhân dân cấp xã";
    const POLICE: &str = "Công an cấp xã";
    const INSURER: &str = "Bảo hiểm xã hội cấp huyện";

    /// A birth registration with permanent residence and a health insurance card linked.
    fn interlinked() -> Handling {
        Handling::new(
            None,
            Some("001203004567"),
            "birth-registration",
            Some(COMMUNE),
            vec![
                ("birth-registration".into(), COMMUNE.into()),
                ("health-insurance-card".into(), INSURER.into()),
                ("permanent-residence".into(), POLICE.into()),
            ],
        )
    }

    /// `ok`, `forbidden` or `unseen` for one caller and act.
    fn answer(principal: &Principal, dossier: &Handling, act: Act<'_>) -> &'static str {
        match check_can_act(principal, dossier, act) {
            Ok(()) => "ok",
            Err(ActRefusal::Forbidden(_)) => "forbidden",
            Err(ActRefusal::NotSeen) => "unseen",
        }
    }

    #[test]
    fn a_business_sees_only_its_own_tax_code() {
        let b = principal(Role::Business, Some("0101234565"));
        let filed_by = |tax: Option<&str>, id: Option<&str>| {
            Handling::new(tax, id, "business-registration", Some("Sở"), vec![])
        };
        assert!(can_see(&b, &filed_by(Some("0101234565"), None)));
        assert!(!can_see(&b, &filed_by(Some("0109999982"), None)));
        assert!(!can_see(&b, &filed_by(None, Some("001203004567"))));
        assert!(can_see(
            &staff(Role::Officer, None),
            &filed_by(Some("0109999982"), None)
        ));
        assert!(!can_see(
            &staff(Role::Officer, Some("Sở Y tế")),
            &filed_by(Some("0109999982"), None)
        ));
    }

    /// The rules on an interlinked dossier, every caller against every act.
    #[test]
    fn on_an_interlinked_dossier_the_lead_and_the_counter_steer_and_each_agency_its_part() {
        let dossier = interlinked();
        let callers = [
            ("lead", staff(Role::Officer, Some(COMMUNE))),
            ("police", staff(Role::Officer, Some(POLICE))),
            ("insurer", staff(Role::Officer, Some(INSURER))),
            ("other", staff(Role::Officer, Some("Sở Y tế"))),
            ("counter", staff(Role::Officer, None)),
            ("admin", staff(Role::Admin, None)),
            ("archivist", staff(Role::Archivist, None)),
            ("applicant", citizen("001203004567")),
            ("citizen", citizen("001203009999")),
        ];
        let birth = "birth-registration";
        let residence = "permanent-residence";
        let card = "health-insurance-card";
        // Columns as in `callers`.
        let table: [(Act<'_>, [&str; 9]); 12] = {
            const O: &str = "ok";
            const F: &str = "forbidden";
            const U: &str = "unseen";
            [
                (Act::Move, [O, F, F, U, O, F, F, O, U]),
                (Act::HandleOriginals, [O, F, F, U, O, F, F, F, U]),
                (Act::IssueReceipt, [O, F, F, U, O, F, F, F, U]),
                (Act::CertifyCopy, [O, F, F, U, O, F, F, F, U]),
                (Act::IssueResult(None), [O, F, F, U, O, F, F, F, U]),
                (Act::IssueResult(Some(birth)), [O, F, F, U, O, F, F, F, U]),
                (
                    Act::IssueResult(Some(residence)),
                    [F, O, F, U, O, F, F, F, U],
                ),
                (Act::IssueResult(Some(card)), [F, F, O, U, O, F, F, F, U]),
                (Act::RevokeResult(Some(birth)), [O, F, F, U, O, F, F, F, U]),
                (
                    Act::RevokeResult(Some(residence)),
                    [F, O, F, U, O, F, F, F, U],
                ),
                (Act::RevokeResult(Some(card)), [F, F, O, U, O, F, F, F, U]),
                (Act::RevokeResult(None), [O, F, F, U, O, F, F, F, U]),
            ]
        };
        for (act, expected) in table {
            for ((who, caller), want) in callers.iter().zip(expected) {
                assert_eq!(answer(caller, &dossier, act), want, "{who}: {act:?}");
            }
        }
        // Everyone who may act sees it; only the applicant of the citizens does.
        for (who, caller) in &callers {
            let sees = !matches!(*who, "other" | "citizen");
            assert_eq!(can_see(caller, &dossier), sees, "{who}");
        }
    }

    #[test]
    fn a_linked_agency_is_told_that_the_lead_agency_and_the_counter_move_the_dossier() {
        let police = staff(Role::Officer, Some(POLICE));
        let Err(ActRefusal::Forbidden(why)) = check_can_act(&police, &interlinked(), Act::Move)
        else {
            panic!("the police may not move the dossier");
        };
        assert!(
            why.contains("lead agency") && why.contains("one-stop counter"),
            "{why}"
        );
    }

    #[test]
    fn on_a_dossier_of_one_procedure_its_agency_does_everything() {
        let dossier = Handling::new(
            None,
            Some("001203004567"),
            "permanent-residence",
            Some(POLICE),
            vec![],
        );
        let police = staff(Role::Officer, Some(POLICE));
        for act in [
            Act::Move,
            Act::HandleOriginals,
            Act::IssueReceipt,
            Act::CertifyCopy,
            Act::IssueResult(Some("permanent-residence")),
            Act::RevokeResult(Some("permanent-residence")),
            Act::RevokeResult(None),
        ] {
            assert_eq!(answer(&police, &dossier, act), "ok", "{act:?}");
        }
        let commune = staff(Role::Officer, Some(COMMUNE));
        assert_eq!(answer(&commune, &dossier, Act::Move), "unseen");
    }

    /// The parts record who handles them at filing; when the catalogue later gives the dossier's
    /// procedure to another agency, both lead it, and each linked part stays with its recorded
    /// agency.
    #[test]
    fn the_lead_is_the_procedure_s_agency_now_and_as_recorded_at_filing() {
        let moved = Handling::new(
            None,
            Some("001203004567"),
            "birth-registration",
            Some("Phòng Tư pháp cấp huyện"),
            interlinked().parts,
        );
        assert_eq!(moved.lead, ["Phòng Tư pháp cấp huyện", COMMUNE]);
        let justice = staff(Role::Officer, Some("Phòng Tư pháp cấp huyện"));
        let commune = staff(Role::Officer, Some(COMMUNE));
        for lead in [&justice, &commune] {
            assert_eq!(answer(lead, &moved, Act::Move), "ok");
            assert_eq!(
                answer(lead, &moved, Act::IssueResult(Some("birth-registration"))),
                "ok"
            );
            assert_eq!(
                answer(lead, &moved, Act::IssueResult(Some("permanent-residence"))),
                "forbidden"
            );
        }
        // A procedure the catalogue no longer has: only the counter acts.
        let dropped = Handling::new(None, Some("001203004567"), "gone", None, vec![]);
        assert!(dropped.lead.is_empty());
        assert_eq!(
            answer(&staff(Role::Officer, None), &dropped, Act::Move),
            "ok"
        );
        assert_eq!(
            answer(&staff(Role::Officer, Some(COMMUNE)), &dropped, Act::Move),
            "unseen"
        );
    }

    /// The rules stay here: no other module decides by the caller's agency, except the
    /// deadlines listing, which filters by it in query form (the dossier listing takes
    /// [`visibility`]), and the record of a staff read, which writes the reader's agency down
    /// (deciding nothing). A new
    /// use elsewhere fails this test, naming the file.
    #[test]
    fn no_other_module_decides_by_the_caller_s_agency() {
        let allowed = [("dossier/transitions.rs", 1), ("dossier/service.rs", 1)];
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.clone()];
        let mut found = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let name = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if name == "dossier/access.rs" {
                continue;
            }
            // rustfmt may break `principal\n    .agency` over lines.
            let text: String = std::fs::read_to_string(&path)
                .unwrap()
                .split_whitespace()
                .collect();
            let uses = text.matches("principal.agency").count();
            let expected = allowed
                .iter()
                .find(|(file, _)| *file == name)
                .map_or(0, |(_, n)| *n);
            if uses != expected {
                found.push(format!(
                    "{name}: {uses} uses of principal.agency, {expected} allowed"
                ));
            }
        }
        assert!(
            found.is_empty(),
            "ask dossier::access instead:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn staff_read_the_figures_of_their_unit_and_below_and_applicants_none() {
        let unit = |code: &str, parent: Option<&str>| Unit {
            code: crate::vocabulary::UnitCode::parse(code).unwrap(),
            name: code.into(),
            level: crate::vocabulary::UnitLevel::Commune,
            parent: parent.map(|p| crate::vocabulary::UnitCode::parse(p).unwrap()),
        };
        let units = [
            unit("C", None),
            unit("D", Some("C")),
            unit("W1", Some("D")),
            unit("O", Some("C")),
        ];
        let bound = |role: Role, code: &str| Principal {
            unit: Some(crate::vocabulary::UnitCode::parse(code).unwrap()),
            ..staff(role, None)
        };
        for role in [Role::Officer, Role::Archivist, Role::Admin] {
            let reach = report_reach(&bound(role, "D"), &units).unwrap();
            assert!(
                reach.admits(Some("D")) && reach.admits(Some("W1")),
                "{role:?}"
            );
            assert!(
                !reach.admits(Some("C")) && !reach.admits(Some("O")),
                "{role:?}"
            );
            assert_eq!(
                report_reach(&staff(role, None), &units),
                Some(Reach::Everywhere)
            );
        }
        assert_eq!(report_reach(&citizen("001203004567"), &units), None);
        assert_eq!(
            report_reach(&principal(Role::Business, Some("0101234565")), &units),
            None
        );
    }

    #[test]
    fn only_an_agency_s_officer_needs_the_agencies_looked_up() {
        assert!(agencies_matter(&staff(Role::Officer, Some(POLICE))));
        assert!(!agencies_matter(&staff(Role::Officer, None)));
        assert!(!agencies_matter(&staff(Role::Admin, Some(POLICE))));
        assert!(!agencies_matter(&citizen("001203004567")));
    }

    #[test]
    fn a_business_files_only_for_itself_and_archivists_not_at_all() {
        let b = principal(Role::Business, Some("0101234565"));
        let own = Applicant::Business {
            tax_code: TaxCode::parse("0101234565").unwrap(),
            name: "A".into(),
        };
        let other = Applicant::Business {
            tax_code: TaxCode::parse("0109999982").unwrap(),
            name: "B".into(),
        };
        let citizen = Applicant::Citizen {
            id_number: IdNumber::parse("001203004567").unwrap(),
            name: "C".into(),
        };
        assert_eq!(check_can_submit(&b, &own), Ok(()));
        assert!(check_can_submit(&b, &other).is_err());
        assert!(check_can_submit(&b, &citizen).is_err());
        assert!(check_can_submit(&principal(Role::Officer, None), &other).is_ok());
        assert_eq!(
            check_can_submit(&principal(Role::Archivist, None), &own),
            Err(SubmitRefusal::Role(Role::Archivist))
        );
    }
}
