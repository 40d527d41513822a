//! The dossier lifecycle: which moves between `DossierStatus` values are legal, who may make
//! each one, and which need a written reason.
//!
//! Owns: the table of moves (`MOVES`), the single source of truth; every function here derives
//! from it. Never reaches: the database, HTTP or the clock, and never checks the facts behind a
//! move (that a signature is valid, that documents were added): the caller establishes those and
//! asks only whether the move itself is allowed.
//!
//! The states follow the one-stop procedure for electronic dossiers (Decree 45/2020/ND-CP, with
//! the one-stop mechanism of Decree 61/2018/ND-CP): receipt and acknowledgement, acceptance or a
//! written request for what is missing or a written refusal, comparison with the paper originals
//! where they are still required, processing, and the return of the result.

use std::fmt;

use serde::Serialize;

use crate::auth::Role;
use crate::vocabulary::DossierStatus;

/// The longest reason accepted, in characters (Unicode scalar values, so a Vietnamese letter
/// with its diacritics counts once when precomposed). Long enough for a list of missing
/// documents, short enough to keep a hostile client from storing megabytes in a log line.
pub const MAX_REASON_CHARS: usize = 2000;

/// Who makes a move. Derived from the caller's role, or `System` for moves the service makes on
/// its own (intake checks, issuing a result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The service itself, acting without a person: the technical check at intake, the decision
    /// on paper originals, the issue of a result.
    System,
    /// A counter officer (cán bộ một cửa) or the officer handling the case.
    Officer,
    /// The business or citizen the dossier belongs to.
    Applicant,
    /// An archivist; reads records and never moves a dossier.
    Archivist,
    /// An administrator; manages the service and never moves a dossier.
    Admin,
}

impl Actor {
    /// Every actor.
    pub const ALL: [Actor; 5] = [
        Self::System,
        Self::Officer,
        Self::Applicant,
        Self::Archivist,
        Self::Admin,
    ];

    /// The printed name: `system`, `officer`, `applicant`, `archivist` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Officer => "officer",
            Self::Applicant => "applicant",
            Self::Archivist => "archivist",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Role> for Actor {
    /// A business and a citizen both act as the applicant; the other roles map one to one.
    fn from(role: Role) -> Self {
        match role {
            Role::Business | Role::Citizen => Self::Applicant,
            Role::Officer => Self::Officer,
            Role::Archivist => Self::Archivist,
            Role::Admin => Self::Admin,
        }
    }
}

/// Why a move was refused. The variants are listed in the order they are checked: a move that is
/// illegal is reported as `Illegal` whoever asks and whatever the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// There is no such move from this state, whoever makes it (HTTP 409). `allowed` lists the
    /// states this actor may move the dossier to instead (empty for a terminal state, or for an
    /// actor who may do nothing here).
    #[error(
        "a dossier cannot move from {} to {}; allowed next states: {}",
        .from.as_str(), .to.as_str(), names(.allowed)
    )]
    Illegal {
        /// The current state.
        from: DossierStatus,
        /// The state asked for.
        to: DossierStatus,
        /// The legal next states for this actor.
        allowed: Vec<DossierStatus>,
    },
    /// The move exists but this actor may not make it (HTTP 403).
    #[error("{actor} may not move a dossier from {} to {}", .from.as_str(), .to.as_str())]
    Forbidden {
        /// The current state.
        from: DossierStatus,
        /// The state asked for.
        to: DossierStatus,
        /// Who asked.
        actor: Actor,
    },
    /// The move needs a reason and none was given, or only whitespace (HTTP 422). The applicant
    /// must be told in writing what is missing (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ) or why
    /// the dossier is refused (phiếu từ chối).
    #[error("moving a dossier from {} to {} needs a reason", .from.as_str(), .to.as_str())]
    ReasonRequired {
        /// The current state.
        from: DossierStatus,
        /// The state asked for.
        to: DossierStatus,
    },
    /// The reason is longer than `MAX_REASON_CHARS` characters (HTTP 422).
    #[error("a reason is at most {MAX_REASON_CHARS} characters; this one has {chars}")]
    ReasonTooLong {
        /// The current state.
        from: DossierStatus,
        /// The state asked for.
        to: DossierStatus,
        /// The length of the reason given, in characters.
        chars: usize,
    },
}

/// Whether a move needs a written reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// The applicant must be told why (what is missing, why it is refused).
    Required,
    /// A note may be given but is not needed.
    Optional,
}

/// One legal move and who may make it.
#[derive(Debug)]
struct Move {
    from: DossierStatus,
    to: DossierStatus,
    by: &'static [Actor],
    reason: Reason,
}

const fn mv(from: DossierStatus, to: DossierStatus, by: &'static [Actor], reason: Reason) -> Move {
    Move {
        from,
        to,
        by,
        reason,
    }
}

const SYSTEM: &[Actor] = &[Actor::System];
const OFFICER: &[Actor] = &[Actor::Officer];
const SYSTEM_OR_OFFICER: &[Actor] = &[Actor::System, Actor::Officer];
const APPLICANT_OR_SYSTEM: &[Actor] = &[Actor::Applicant, Actor::System];

/// Every legal move: the single source of truth of this module. A pair of states appears at most
/// once. Archivists and admins appear nowhere: they never move a dossier.
const MOVES: &[Move] = {
    use DossierStatus::*;
    use Reason::{Optional, Required};
    &[
        // Intake: the automatic technical check acknowledges receipt with the official time.
        mv(Submitted, Received, SYSTEM, Optional),
        // Review by the counter officer: accept (the dossier code is issued), ask for what is
        // missing, or refuse.
        mv(Received, Accepted, OFFICER, Optional),
        mv(Received, SupplementRequested, OFFICER, Required),
        mv(Received, Rejected, OFFICER, Required),
        // The applicant adds documents (or the service records them on the applicant's behalf).
        mv(SupplementRequested, Received, APPLICANT_OR_SYSTEM, Optional),
        // Paper originals: waived when the business signature is valid and its tax code matches
        // (the caller checks that), otherwise awaited and compared at the counter.
        mv(Accepted, OriginalsWaived, SYSTEM_OR_OFFICER, Optional),
        mv(Accepted, AwaitingOriginals, SYSTEM_OR_OFFICER, Optional),
        mv(AwaitingOriginals, OriginalsVerified, OFFICER, Optional),
        mv(AwaitingOriginals, OriginalsMismatch, OFFICER, Required),
        mv(OriginalsMismatch, SupplementRequested, OFFICER, Required),
        mv(OriginalsMismatch, Rejected, OFFICER, Required),
        mv(OriginalsMismatch, AwaitingOriginals, OFFICER, Optional),
        // Processing and the result.
        mv(OriginalsWaived, Processing, OFFICER, Optional),
        mv(OriginalsVerified, Processing, OFFICER, Optional),
        mv(Processing, ResultIssued, SYSTEM_OR_OFFICER, Optional),
        mv(Processing, Rejected, OFFICER, Required),
        mv(ResultIssued, Returned, OFFICER, Optional),
    ]
};

fn find(from: DossierStatus, to: DossierStatus) -> Option<&'static Move> {
    MOVES.iter().find(|m| m.from == from && m.to == to)
}

/// The states `actor` may move a dossier to from `from`, in the table's order. Empty for a
/// terminal state and for archivists and admins.
pub fn allowed_moves(from: DossierStatus, actor: Actor) -> Vec<DossierStatus> {
    MOVES
        .iter()
        .filter(|m| m.from == from && m.by.contains(&actor))
        .map(|m| m.to)
        .collect()
}

/// Every legal next state from `from`, whoever makes the move, in the table's order.
pub fn all_moves(from: DossierStatus) -> Vec<DossierStatus> {
    MOVES
        .iter()
        .filter(|m| m.from == from)
        .map(|m| m.to)
        .collect()
}

/// Whether the move from `from` to `to` needs a written reason. `false` for a move that does not
/// exist (which `check` refuses anyway).
pub fn reason_required(from: DossierStatus, to: DossierStatus) -> bool {
    find(from, to).is_some_and(|m| m.reason == Reason::Required)
}

/// Decides whether `actor` may move a dossier from `from` to `to` with this `reason`.
///
/// Checked in this order, the first failure winning:
/// 1. the move exists at all, else `Illegal` (listing what this actor may do instead);
/// 2. the actor may make it, else `Forbidden`;
/// 3. a reason, when given, is at most `MAX_REASON_CHARS` characters, else `ReasonTooLong`
///    (whether or not the move needs one: the caller will store it);
/// 4. a move that needs a reason has one that is not blank (`None`, `""` and whitespace only are
///    missing), else `ReasonRequired`.
///
/// The reason is judged as given; trimming it before storing is the caller's choice.
pub fn check(
    from: DossierStatus,
    to: DossierStatus,
    actor: Actor,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    let Some(m) = find(from, to) else {
        return Err(TransitionError::Illegal {
            from,
            to,
            allowed: allowed_moves(from, actor),
        });
    };
    if !m.by.contains(&actor) {
        return Err(TransitionError::Forbidden { from, to, actor });
    }
    if let Some(text) = reason {
        let chars = text.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(TransitionError::ReasonTooLong { from, to, chars });
        }
    }
    let blank = reason.is_none_or(|r| r.trim().is_empty());
    if m.reason == Reason::Required && blank {
        return Err(TransitionError::ReasonRequired { from, to });
    }
    Ok(())
}

/// Whether the dossier's journey is over: no move leaves this state (`REJECTED`, `RETURNED`).
pub fn is_terminal(status: DossierStatus) -> bool {
    !MOVES.iter().any(|m| m.from == status)
}

/// Whether the dossier waits for the applicant (`SUPPLEMENT_REQUESTED`: documents to add;
/// `AWAITING_ORIGINALS`: paper originals to bring). While it does, the deadline clock is paused:
/// the time spent here is given to `Calendar::due_date` as a pause.
pub fn waits_for_applicant(status: DossierStatus) -> bool {
    matches!(
        status,
        DossierStatus::SupplementRequested | DossierStatus::AwaitingOriginals
    )
}

/// What a move to a status marks in the dossier's handling, as the one-stop reports count it
/// (Decree 61/2018/ND-CP, art. 31; the reporting form of Circular 01/2018/TT-VPCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// Received (tiếp nhận): the first move to RECEIVED is the day it counts from.
    Received,
    /// Its handling ended: the result issued (RESULT_ISSUED, settled: đã giải quyết) or the
    /// dossier refused (REJECTED, từ chối). Neither is ever left for an open state, so a dossier
    /// ends once.
    Closed,
}

/// The milestone a move to `to` marks, if any.
pub fn milestone(to: DossierStatus) -> Option<Milestone> {
    match to {
        DossierStatus::Received => Some(Milestone::Received),
        DossierStatus::ResultIssued | DossierStatus::Rejected => Some(Milestone::Closed),
        _ => None,
    }
}

/// `A, B, C`, or `none`.
fn names(states: &[DossierStatus]) -> String {
    if states.is_empty() {
        return "none".to_owned();
    }
    states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use DossierStatus::*;

    /// The workflow as the brief states it, written independently of `MOVES`:
    /// `FROM -> TO by ACTOR[, ACTOR] [+ reason]`.
    const SPEC: &str = "
        SUBMITTED            -> RECEIVED              by system
        RECEIVED             -> ACCEPTED              by officer
        RECEIVED             -> SUPPLEMENT_REQUESTED  by officer            + reason
        RECEIVED             -> REJECTED              by officer            + reason
        SUPPLEMENT_REQUESTED -> RECEIVED              by applicant, system
        ACCEPTED             -> ORIGINALS_WAIVED      by system, officer
        ACCEPTED             -> AWAITING_ORIGINALS    by system, officer
        AWAITING_ORIGINALS   -> ORIGINALS_VERIFIED    by officer
        AWAITING_ORIGINALS   -> ORIGINALS_MISMATCH    by officer            + reason
        ORIGINALS_MISMATCH   -> SUPPLEMENT_REQUESTED  by officer            + reason
        ORIGINALS_MISMATCH   -> REJECTED              by officer            + reason
        ORIGINALS_MISMATCH   -> AWAITING_ORIGINALS    by officer
        ORIGINALS_WAIVED     -> PROCESSING            by officer
        ORIGINALS_VERIFIED   -> PROCESSING            by officer
        PROCESSING           -> RESULT_ISSUED         by system, officer
        PROCESSING           -> REJECTED              by officer            + reason
        RESULT_ISSUED        -> RETURNED              by officer
    ";

    struct SpecMove {
        from: DossierStatus,
        to: DossierStatus,
        by: Vec<Actor>,
        reason: bool,
    }

    fn spec() -> Vec<SpecMove> {
        let actor = |name: &str| {
            Actor::ALL
                .into_iter()
                .find(|a| a.as_str() == name)
                .unwrap_or_else(|| panic!("unknown actor {name}"))
        };
        let state =
            |name: &str| DossierStatus::parse(name).unwrap_or_else(|| panic!("unknown {name}"));
        SPEC.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (line, reason) = match line.split_once('+') {
                    Some((l, r)) => {
                        assert_eq!(r.trim(), "reason");
                        (l, true)
                    }
                    None => (line, false),
                };
                let (states, actors) = line.split_once(" by ").unwrap();
                let (from, to) = states.split_once("->").unwrap();
                SpecMove {
                    from: state(from.trim()),
                    to: state(to.trim()),
                    by: actors.split(',').map(|a| actor(a.trim())).collect(),
                    reason,
                }
            })
            .collect()
    }

    fn spec_allowed(spec: &[SpecMove], from: DossierStatus, actor: Actor) -> Vec<DossierStatus> {
        spec.iter()
            .filter(|m| m.from == from && m.by.contains(&actor))
            .map(|m| m.to)
            .collect()
    }

    #[test]
    fn every_pair_of_states_and_every_actor_is_decided_as_the_specification_says() {
        let spec = spec();
        assert_eq!(
            spec.len(),
            MOVES.len(),
            "the table has moves the spec lacks"
        );
        for from in DossierStatus::ALL {
            for to in DossierStatus::ALL {
                let found = spec.iter().find(|m| m.from == from && m.to == to);
                assert_eq!(
                    reason_required(from, to),
                    found.is_some_and(|m| m.reason),
                    "{from:?} -> {to:?}"
                );
                for actor in Actor::ALL {
                    let at = format!("{from:?} -> {to:?} by {actor:?}");
                    let text_ok = Some("the tax registration certificate is missing");
                    match found {
                        None => {
                            let allowed = spec_allowed(&spec, from, actor);
                            assert_eq!(
                                check(from, to, actor, text_ok),
                                Err(TransitionError::Illegal { from, to, allowed }),
                                "{at}"
                            );
                        }
                        Some(m) if !m.by.contains(&actor) => assert_eq!(
                            check(from, to, actor, text_ok),
                            Err(TransitionError::Forbidden { from, to, actor }),
                            "{at}"
                        ),
                        Some(m) if m.reason => {
                            let missing = Err(TransitionError::ReasonRequired { from, to });
                            assert_eq!(check(from, to, actor, None), missing, "{at}");
                            assert_eq!(check(from, to, actor, Some("")), missing, "{at}");
                            assert_eq!(check(from, to, actor, Some(" \t\n")), missing, "{at}");
                            assert_eq!(check(from, to, actor, text_ok), Ok(()), "{at}");
                        }
                        Some(_) => {
                            assert_eq!(check(from, to, actor, None), Ok(()), "{at}");
                            assert_eq!(check(from, to, actor, text_ok), Ok(()), "{at}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn allowed_and_all_moves_list_exactly_the_specified_next_states() {
        let spec = spec();
        for from in DossierStatus::ALL {
            let all: Vec<_> = spec
                .iter()
                .filter(|m| m.from == from)
                .map(|m| m.to)
                .collect();
            assert_eq!(all_moves(from), all, "{from:?}");
            for actor in Actor::ALL {
                assert_eq!(
                    allowed_moves(from, actor),
                    spec_allowed(&spec, from, actor),
                    "{from:?} by {actor:?}"
                );
            }
        }
    }

    #[test]
    fn the_table_names_each_pair_of_states_once_and_every_move_has_someone_to_make_it() {
        for (i, a) in MOVES.iter().enumerate() {
            assert!(!a.by.is_empty(), "{a:?}");
            assert_ne!(a.from, a.to, "{a:?}");
            for b in &MOVES[i + 1..] {
                assert!(!(a.from == b.from && a.to == b.to), "{a:?} twice");
            }
        }
    }

    #[test]
    fn rejected_and_returned_are_the_only_terminal_states_and_nothing_leaves_them() {
        let terminal: Vec<_> = DossierStatus::ALL
            .into_iter()
            .filter(|s| is_terminal(*s))
            .collect();
        assert_eq!(terminal, [Rejected, Returned]);
        for from in terminal {
            assert!(all_moves(from).is_empty());
            for to in DossierStatus::ALL {
                for actor in Actor::ALL {
                    assert_eq!(
                        check(from, to, actor, Some("reopen")),
                        Err(TransitionError::Illegal {
                            from,
                            to,
                            allowed: vec![]
                        })
                    );
                }
            }
        }
    }

    #[test]
    fn every_state_is_reachable_from_submitted_and_can_still_reach_an_end() {
        let mut reached = vec![Submitted];
        let mut i = 0;
        while i < reached.len() {
            for next in all_moves(reached[i]) {
                if !reached.contains(&next) {
                    reached.push(next);
                }
            }
            i += 1;
        }
        for s in DossierStatus::ALL {
            assert!(reached.contains(&s), "{s:?} is unreachable");
        }
        // Walking backwards from the terminal states reaches every state: no dead end.
        let mut ends: Vec<_> = DossierStatus::ALL
            .into_iter()
            .filter(|s| is_terminal(*s))
            .collect();
        let mut i = 0;
        while i < ends.len() {
            let target = ends[i];
            for m in MOVES.iter().filter(|m| m.to == target) {
                if !ends.contains(&m.from) {
                    ends.push(m.from);
                }
            }
            i += 1;
        }
        assert_eq!(ends.len(), DossierStatus::ALL.len());
    }

    #[test]
    fn archivists_and_admins_never_move_a_dossier() {
        for from in DossierStatus::ALL {
            assert!(allowed_moves(from, Actor::Archivist).is_empty());
            assert!(allowed_moves(from, Actor::Admin).is_empty());
        }
    }

    fn walk(path: &[(DossierStatus, Actor, Option<&str>)]) {
        let mut at = Submitted;
        for &(to, actor, reason) in path {
            assert_eq!(check(at, to, actor, reason), Ok(()), "{at:?} -> {to:?}");
            at = to;
        }
        assert!(is_terminal(at), "the walk ends at {at:?}");
    }

    #[test]
    fn a_signed_business_dossier_walks_from_submission_to_return_without_originals() {
        walk(&[
            (Received, Actor::System, None),
            (Accepted, Actor::Officer, None),
            (OriginalsWaived, Actor::System, None),
            (Processing, Actor::Officer, None),
            (ResultIssued, Actor::System, None),
            (Returned, Actor::Officer, None),
        ]);
    }

    #[test]
    fn a_dossier_with_paper_originals_walks_from_submission_to_return() {
        walk(&[
            (Received, Actor::System, None),
            (Accepted, Actor::Officer, None),
            (AwaitingOriginals, Actor::System, None),
            (OriginalsVerified, Actor::Officer, None),
            (Processing, Actor::Officer, None),
            (ResultIssued, Actor::Officer, None),
            (Returned, Actor::Officer, None),
        ]);
    }

    #[test]
    fn a_dossier_can_loop_through_supplements_and_mismatched_originals_before_it_ends() {
        walk(&[
            (Received, Actor::System, None),
            (
                SupplementRequested,
                Actor::Officer,
                Some("thiếu giấy ủy quyền"),
            ),
            (Received, Actor::Applicant, None),
            (Accepted, Actor::Officer, None),
            (AwaitingOriginals, Actor::Officer, None),
            (OriginalsMismatch, Actor::Officer, Some("the seal differs")),
            (AwaitingOriginals, Actor::Officer, None),
            (
                OriginalsMismatch,
                Actor::Officer,
                Some("the seal still differs"),
            ),
            (Rejected, Actor::Officer, Some("originals do not match")),
        ]);
    }

    #[test]
    fn an_illegal_move_is_reported_before_a_forbidden_one_and_that_before_a_missing_reason() {
        // Illegal whoever asks and whatever the reason.
        assert!(matches!(
            check(Submitted, Returned, Actor::Admin, None),
            Err(TransitionError::Illegal { .. })
        ));
        // Legal, but not for the applicant: forbidden, although the reason is missing too.
        assert_eq!(
            check(Received, Rejected, Actor::Applicant, None),
            Err(TransitionError::Forbidden {
                from: Received,
                to: Rejected,
                actor: Actor::Applicant
            })
        );
        // The illegal move lists what this actor may do instead.
        assert_eq!(
            check(Received, Processing, Actor::Officer, None),
            Err(TransitionError::Illegal {
                from: Received,
                to: Processing,
                allowed: vec![Accepted, SupplementRequested, Rejected],
            })
        );
    }

    #[test]
    fn reasons_are_capped_at_2000_characters_not_bytes() {
        // "ữ" is 3 bytes in UTF-8: 2000 of them are 6000 bytes and still allowed.
        let longest = "ữ".repeat(MAX_REASON_CHARS);
        assert_eq!(
            check(Received, Rejected, Actor::Officer, Some(&longest)),
            Ok(())
        );
        let too_long = "a".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            check(Received, Rejected, Actor::Officer, Some(&too_long)),
            Err(TransitionError::ReasonTooLong {
                from: Received,
                to: Rejected,
                chars: 2001
            })
        );
        // The cap holds for an optional note as well: the caller stores whatever is given.
        assert!(matches!(
            check(Received, Accepted, Actor::Officer, Some(&too_long)),
            Err(TransitionError::ReasonTooLong { .. })
        ));
        // A reason of only (Unicode) whitespace is missing.
        assert_eq!(
            check(
                Processing,
                Rejected,
                Actor::Officer,
                Some("\u{3000} \u{a0}")
            ),
            Err(TransitionError::ReasonRequired {
                from: Processing,
                to: Rejected
            })
        );
    }

    #[test]
    fn only_the_states_that_wait_for_the_applicant_pause_the_clock() {
        let waiting: Vec<_> = DossierStatus::ALL
            .into_iter()
            .filter(|s| waits_for_applicant(*s))
            .collect();
        assert_eq!(waiting, [SupplementRequested, AwaitingOriginals]);
    }

    #[test]
    fn businesses_and_citizens_act_as_the_applicant() {
        assert_eq!(Actor::from(Role::Business), Actor::Applicant);
        assert_eq!(Actor::from(Role::Citizen), Actor::Applicant);
        assert_eq!(Actor::from(Role::Officer), Actor::Officer);
        assert_eq!(Actor::from(Role::Archivist), Actor::Archivist);
        assert_eq!(Actor::from(Role::Admin), Actor::Admin);
    }

    #[test]
    fn state_names_are_the_same_stored_printed_and_serialised() {
        for s in DossierStatus::ALL {
            assert_eq!(DossierStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(DossierStatus::parse("submitted"), None);
        assert_eq!(DossierStatus::parse(""), None);
    }

    #[test]
    fn errors_read_as_sentences_with_the_stored_state_names() {
        let e = check(Processing, Returned, Actor::Officer, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a dossier cannot move from PROCESSING to RETURNED; \
             allowed next states: RESULT_ISSUED, REJECTED"
        );
        let e = check(Returned, Processing, Actor::Officer, None).unwrap_err();
        assert!(e.to_string().ends_with("allowed next states: none"), "{e}");
        let e = check(ResultIssued, Returned, Actor::Applicant, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "applicant may not move a dossier from RESULT_ISSUED to RETURNED"
        );
    }
}
