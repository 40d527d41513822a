//! The one-stop figures each unit is judged by (báo cáo tình hình giải quyết thủ tục hành chính,
//! the form of Circular 01/2018/TT-VPCP): per unit, procedure and period, what was received,
//! settled on time or late, is still in progress, was refused, and had documents asked for;
//! rolled up the unit hierarchy.
//!
//! Owns: the definitions below, periods (`period`), validation of a request, who may read which
//! unit's report (asked of `dossier::access::report_reach`), the roll-up over the units tree and
//! the CSV form (`csv`). Never: writes anything, reaches HTTP, or keeps counters of its own —
//! every figure is counted afresh from the dossiers and their moves.
//!
//! What is counted. Days are Vietnam's (UTC+07:00). Each dossier row carries, written by the move
//! that makes it true in that move's transaction (`dossier::transitions`): `received_on`, the
//! day of its first move to RECEIVED; `closed_on`, the day of its move to RESULT_ISSUED (settled)
//! or REJECTED (refused), which it never leaves for an open state; `due_on`, its due day
//! (`workflow::calendar`, recomputed by every move); `channel`, online (filed by the applicant's
//! own token) or at the counter (filed by staff). Records imported from an archive were received
//! by an earlier system and are not counted. For a period of days `[first, last]`:
//!
//! - **received online / at the counter**: `received_on` in the period, by channel;
//! - **carried over**: received before `first` and not ended before it;
//! - **received**: carried over + received online + received at the counter;
//! - **settled on time / late**: ended by RESULT_ISSUED in the period, on or before its due day
//!   / after it (a dossier with no due day, its procedure having no processing time, is on time);
//! - **refused** (returned or refused: trả lại, từ chối): ended by REJECTED in the period;
//! - **in progress within time / overdue**: received and not ended at the end of the period,
//!   judged on the period's last day or today, whichever is earlier: overdue when its due day is
//!   before that day (`workflow::is_overdue`); a dossier waiting for the applicant has no due day
//!   and is within time;
//! - **supplements requested**: moves to SUPPLEMENT_REQUESTED in the period (a dossier asked
//!   twice counts twice);
//! - **on-time rate**: settled on time ÷ settled (none when nothing was settled).
//!
//! So received = settled on time + settled late + refused + in progress within time + overdue,
//! in every row. Over several periods, flows add up; carried over is the first period's, in
//! progress and overdue the last's. A dossier's due day is the one stored now: a report on a
//! past period judges a dossier that later waited for the applicant by its later due day.
//!
//! How. The database counts per unit, procedure and month (`db::reports`: five aggregate
//! queries, run side by side, each over an index of its own, those over a year of rows ordered
//! as they group): received and ended per month, open and overdue at the range's end, open
//! dossiers passing their due day per month, supplement requests per month. A year's report of
//! a million dossiers takes under a second (BENCHMARKS.md). The stocks of every month are worked back from the end (open at the end of a month =
//! open at the end of the next − received in it + ended in it; the same for overdue with the
//! dossiers passing their due day). Months are then grouped into periods, and units rolled up:
//! a row's unit counts its own dossiers and those of every unit below it.

mod csv;
pub mod period;

use std::collections::{BTreeMap, HashMap};

use time::Date;

use crate::auth::Principal;
use crate::db::{Db, DbError};
use crate::dossier::DossierService;
use crate::dossier::access::{self, Reach};
use crate::unit::{Unit, UnitError, Units, subtree_of};
use crate::vocabulary::{Channel, DossierStatus, UnitCode};

pub use period::{Bucket, GroupBy, MAX_DAYS, Range};

/// Why a report was not made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The caller may not read reports at all (applicants).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No unit has this code, or it is beyond the caller's reach (told apart by no one, as a
    /// dossier that is not the caller's).
    #[error("no unit has the code {0}")]
    UnknownUnit(String),
    /// A malformed request: days, range, grouping, or no unit named where one must be.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The units could not be read.
    #[error(transparent)]
    Units(#[from] UnitError),
}

/// Who reads a report.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// A caller of the API: staff, within their reach.
    Caller(&'a Principal),
    /// The operator at the command line (`motcua report`): every unit.
    Cli,
}

/// The figures of one row, or of the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Carried over + received online + received at the counter.
    pub received: i64,
    /// Received in the period, filed online.
    pub received_online: i64,
    /// Received in the period, filed at the counter.
    pub received_counter: i64,
    /// Received before the period and open at its start.
    pub carried_over: i64,
    /// Settled in the period on or before the due day.
    pub settled_on_time: i64,
    /// Settled in the period after the due day.
    pub settled_late: i64,
    /// Open at the period's end, not past the due day.
    pub in_progress_on_time: i64,
    /// Open at the period's end and past the due day.
    pub overdue: i64,
    /// Refused in the period.
    pub refused: i64,
    /// Supplement requests made in the period.
    pub supplements_requested: i64,
}

impl Figures {
    /// Settled on time ÷ settled; none when nothing was settled.
    pub fn on_time_rate(&self) -> Option<f64> {
        let settled = self.settled_on_time + self.settled_late;
        (settled > 0).then(|| self.settled_on_time as f64 / settled as f64)
    }

    fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// `self` plus `other`, figure by figure (units side by side).
    fn add(&mut self, other: &Figures) {
        self.received += other.received;
        self.received_online += other.received_online;
        self.received_counter += other.received_counter;
        self.carried_over += other.carried_over;
        self.settled_on_time += other.settled_on_time;
        self.settled_late += other.settled_late;
        self.in_progress_on_time += other.in_progress_on_time;
        self.overdue += other.overdue;
        self.refused += other.refused;
        self.supplements_requested += other.supplements_requested;
    }

    /// Consecutive periods as one: flows add up, carried over is the first's, in progress and
    /// overdue the last's.
    fn over_time(periods: &[Figures]) -> Figures {
        let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
            return Figures::default();
        };
        let mut f = Figures {
            carried_over: first.carried_over,
            in_progress_on_time: last.in_progress_on_time,
            overdue: last.overdue,
            ..Figures::default()
        };
        for p in periods {
            f.received_online += p.received_online;
            f.received_counter += p.received_counter;
            f.settled_on_time += p.settled_on_time;
            f.settled_late += p.settled_late;
            f.refused += p.refused;
            f.supplements_requested += p.supplements_requested;
        }
        f.received = f.carried_over + f.received_online + f.received_counter;
        f
    }
}

/// One row: a unit (with the units below it), a procedure, a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The unit.
    pub unit: UnitCode,
    /// The procedure's code.
    pub procedure: String,
    /// The period: `2026-03`, `2026-Q1`, `2026`, or `2026-01-01/2026-12-31` for the whole range.
    pub period: String,
    /// Its figures.
    pub figures: Figures,
}

/// A processing report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The unit it is about, with every unit below it.
    pub unit: UnitCode,
    /// The days it covers and how rows divide them.
    pub range: Range,
    /// The day open dossiers are judged on at the range's end: its last day, or today if
    /// earlier.
    pub as_of: Date,
    /// Per unit (the unit first, then those below it, depth first), procedure and period; a
    /// unit and procedure with nothing to count in the range have no rows.
    pub rows: Vec<Row>,
    /// The unit's figures over every procedure and the whole range.
    pub total: Figures,
}

impl Report {
    /// The report as CSV (RFC 4180): a header, one line per row, then the total (empty
    /// procedure, the whole range as its period).
    pub fn to_csv(&self) -> String {
        csv::render(self)
    }

    /// The range's periods, in order (`2026-03`, … for a report by month).
    pub fn periods(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for b in self.range.buckets() {
            let p = self.range.period_of(&b);
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The figures of `unit` (with the units below it) per period over every procedure, for
    /// each of the range's periods in order (zero where it has no rows).
    pub fn by_period(&self, unit: &UnitCode) -> Vec<(String, Figures)> {
        self.periods()
            .into_iter()
            .map(|period| {
                let mut f = Figures::default();
                for row in self
                    .rows
                    .iter()
                    .filter(|r| &r.unit == unit && r.period == period)
                {
                    f.add(&row.figures);
                }
                (period, f)
            })
            .collect()
    }

    /// The figures of `unit` (with the units below it) per procedure over the whole range,
    /// by procedure code: flows added up, carried over the first period's, in progress and
    /// overdue the last's.
    pub fn by_procedure(&self, unit: &UnitCode) -> Vec<(String, Figures)> {
        let periods = self.periods();
        let mut per: BTreeMap<&str, Vec<Figures>> = BTreeMap::new();
        for row in self.rows.iter().filter(|r| &r.unit == unit) {
            let Some(k) = periods.iter().position(|p| *p == row.period) else {
                continue;
            };
            per.entry(row.procedure.as_str())
                .or_insert_with(|| vec![Figures::default(); periods.len()])[k] = row.figures;
        }
        per.into_iter()
            .map(|(p, fs)| (p.to_owned(), Figures::over_time(&fs)))
            .collect()
    }
}

/// The reports, over the dossiers and units of one deployment.
#[derive(Debug, Clone)]
pub struct Reports {
    db: Db,
    units: Units,
}

/// The counts of one unit and procedure, per bucket (month of the range).
#[derive(Debug, Clone, Default)]
struct Counts {
    online: Vec<i64>,
    counter: Vec<i64>,
    closed: Vec<i64>,
    refused: Vec<i64>,
    settled_late: Vec<i64>,
    late: Vec<i64>,
    passed_due: Vec<i64>,
    supplements: Vec<i64>,
    open_at_end: i64,
    overdue_at_end: i64,
}

impl Counts {
    fn new(buckets: usize) -> Self {
        let zeros = vec![0; buckets];
        Self {
            online: zeros.clone(),
            counter: zeros.clone(),
            closed: zeros.clone(),
            refused: zeros.clone(),
            settled_late: zeros.clone(),
            late: zeros.clone(),
            passed_due: zeros.clone(),
            supplements: zeros,
            open_at_end: 0,
            overdue_at_end: 0,
        }
    }

    /// The figures of each bucket: flows as counted, stocks worked back from the end.
    fn figures(&self) -> Vec<Figures> {
        let n = self.online.len();
        let mut out = vec![Figures::default(); n];
        let mut open = self.open_at_end;
        let mut overdue = self.overdue_at_end;
        for k in (0..n).rev() {
            let new = self.online[k] + self.counter[k];
            let f = &mut out[k];
            f.received_online = self.online[k];
            f.received_counter = self.counter[k];
            f.refused = self.refused[k];
            f.settled_late = self.settled_late[k];
            f.settled_on_time = self.closed[k] - self.refused[k] - self.settled_late[k];
            f.supplements_requested = self.supplements[k];
            f.overdue = overdue;
            f.in_progress_on_time = open - overdue;
            // Open at the end of the bucket before: not yet received here, not yet ended.
            open = open - new + self.closed[k];
            // Overdue then: less those that passed their due day in this bucket, plus those
            // that ended late in it (they were overdue and open before).
            overdue = overdue - self.passed_due[k] + self.late[k];
            f.carried_over = open;
            f.received = open + new;
        }
        out
    }
}

impl Reports {
    /// Over this database and these units.
    pub fn new(db: Db, units: Units) -> Self {
        Self { db, units }
    }

    /// Over the dossier service's database and units.
    pub fn of(dossiers: &DossierService) -> Self {
        Self::new(dossiers.db().clone(), dossiers.units().clone())
    }

    /// The processing report of `unit` (none: the reader's own unit, else the top of the
    /// hierarchy when it has one) over `range`, judged today.
    pub async fn processing(
        &self,
        reader: Reader<'_>,
        unit: Option<&str>,
        range: Range,
    ) -> Result<Report, ReportError> {
        self.processing_on(reader, unit, range, crate::workflow::calendar::today())
            .await
    }

    /// [`Reports::processing`], judged on `today`.
    pub async fn processing_on(
        &self,
        reader: Reader<'_>,
        unit: Option<&str>,
        range: Range,
        today: Date,
    ) -> Result<Report, ReportError> {
        let all = self.units.list().await?;
        let reach = match reader {
            Reader::Caller(p) => access::report_reach(p, &all).ok_or(ReportError::Forbidden(
                "reports are for staff: officers, archivists and administrators",
            ))?,
            Reader::Cli => Reach::Everywhere,
        };
        let code = match unit.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.to_owned(),
            None => default_unit(reader, &all)?,
        };
        let root = all
            .iter()
            .find(|u| u.code.as_str() == code)
            .filter(|u| reach.admits(Some(u.code.as_str())))
            .ok_or_else(|| ReportError::UnknownUnit(code.clone()))?
            .code
            .clone();
        let subtree = subtree_of(&all, &root);
        let codes: Vec<String> = subtree.iter().map(|c| c.as_str().to_owned()).collect();
        let buckets = range.buckets();
        let as_of = range.to.min(today);
        let counts = self.count(&codes, range, &buckets, today).await?;

        // Each unit's figures per procedure and bucket, with those of the units below it.
        let parents: HashMap<&str, &str> = all
            .iter()
            .filter_map(|u| Some((u.code.as_str(), u.parent.as_ref()?.as_str())))
            .collect();
        let mut rolled: HashMap<(&str, &str), Vec<Figures>> = HashMap::new();
        for ((unit, procedure), c) in &counts {
            let figures = c.figures();
            let mut at = Some(unit.as_str());
            while let Some(u) = at {
                let entry = rolled
                    .entry((u, procedure.as_str()))
                    .or_insert_with(|| vec![Figures::default(); buckets.len()]);
                for (sum, f) in entry.iter_mut().zip(&figures) {
                    sum.add(f);
                }
                at = (u != root.as_str())
                    .then(|| parents.get(u).copied())
                    .flatten();
            }
        }

        let mut rows = Vec::new();
        let mut total = vec![Figures::default(); buckets.len()];
        for unit in tree_order(&all, &root) {
            let mut procedures: Vec<(&str, &Vec<Figures>)> = rolled
                .iter()
                .filter(|((u, _), _)| *u == unit.as_str())
                .map(|((_, p), f)| (*p, f))
                .collect();
            procedures.sort_by_key(|(p, _)| *p);
            for (procedure, per_bucket) in procedures {
                if per_bucket.iter().all(Figures::is_zero) {
                    continue;
                }
                if unit == root {
                    for (sum, f) in total.iter_mut().zip(per_bucket) {
                        sum.add(f);
                    }
                }
                for (period, figures) in periods(&range, &buckets, per_bucket) {
                    rows.push(Row {
                        unit: unit.clone(),
                        procedure: procedure.to_owned(),
                        period,
                        figures,
                    });
                }
            }
        }
        Ok(Report {
            unit: root,
            range,
            as_of,
            rows,
            total: Figures::over_time(&total),
        })
    }

    /// The counts of `units` per unit and procedure, per bucket.
    async fn count(
        &self,
        units: &[String],
        range: Range,
        buckets: &[Bucket],
        today: Date,
    ) -> Result<BTreeMap<(String, String), Counts>, ReportError> {
        let n = buckets.len();
        let months: HashMap<String, usize> = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (b.month(), i))
            .collect();
        let (from, to) = (range.from.to_string(), range.to.to_string());
        let as_of = range.to.min(today).to_string();
        // A dossier open at the end of bucket k is overdue when its due day is before the day
        // bucket k is judged on; it passes its due day in bucket k when that day is between the
        // judging days of buckets k-1 and k.
        let judged: Vec<String> = buckets
            .iter()
            .map(|b| b.last.min(today).to_string())
            .collect();
        let mut instants: Vec<String> = buckets.iter().map(|b| period::start_of(b.first)).collect();
        instants.push(period::start_of(range.to.next_day().unwrap_or(range.to)));
        let refused = DossierStatus::Rejected.as_str();
        let supplement = DossierStatus::SupplementRequested.as_str();
        // Five reads of the same snapshot's worth of data, each on a connection of its own: they
        // run side by side (SQLite's readers too, in WAL mode).
        let (received, closed, open, passed, supplements) = tokio::try_join!(
            self.db.received_by_month(units, &from, &to),
            self.db.closed_by_month(units, &from, &to, refused),
            self.db.open_at(units, &to, &as_of),
            self.db.late_by_due_day(units, &judged),
            self.db.moves_by_bucket(units, supplement, &instants),
        )?;

        let mut counts: BTreeMap<(String, String), Counts> = BTreeMap::new();
        for r in received {
            let Some(&k) = months.get(&r.month) else {
                continue;
            };
            let c = counts_of(&mut counts, n, r.unit_code, r.procedure_code);
            match r.channel.as_deref().and_then(Channel::parse) {
                Some(Channel::Online) => c.online[k] += r.count,
                // Not recorded: only staff filed before channels were kept.
                Some(Channel::Counter) | None => c.counter[k] += r.count,
            }
        }
        for r in closed {
            let Some(&k) = months.get(&r.month) else {
                continue;
            };
            let c = counts_of(&mut counts, n, r.unit_code, r.procedure_code);
            c.closed[k] += r.closed;
            c.refused[k] += r.refused;
            c.settled_late[k] += r.settled_late;
            c.late[k] += r.late;
        }
        for r in open {
            let c = counts_of(&mut counts, n, r.unit_code, r.procedure_code);
            c.open_at_end += r.open;
            c.overdue_at_end += r.overdue;
        }
        for r in passed {
            counts_of(&mut counts, n, r.unit_code, r.procedure_code).passed_due[r.bucket + 1] +=
                r.count;
        }
        for r in supplements {
            counts_of(&mut counts, n, r.unit_code, r.procedure_code).supplements[r.bucket] +=
                r.count;
        }
        Ok(counts)
    }
}

/// The counts of one unit and procedure, made empty when first asked for.
fn counts_of(
    counts: &mut BTreeMap<(String, String), Counts>,
    buckets: usize,
    unit: String,
    procedure: String,
) -> &mut Counts {
    counts
        .entry((unit, procedure))
        .or_insert_with(|| Counts::new(buckets))
}

/// The unit a request that names none is about: the reader's own (staff bound to a unit), else
/// the one unit at the top of the hierarchy.
fn default_unit(reader: Reader<'_>, all: &[Unit]) -> Result<String, ReportError> {
    if let Reader::Caller(Principal {
        unit: Some(own), ..
    }) = reader
    {
        return Ok(own.as_str().to_owned());
    }
    let mut tops = all.iter().filter(|u| u.parent.is_none());
    match (tops.next(), tops.next()) {
        (Some(top), None) => Ok(top.code.as_str().to_owned()),
        _ => Err(ReportError::Invalid(
            "name the unit: the hierarchy has more than one top".into(),
        )),
    }
}

/// `root` and the units below it, depth first, children by code.
fn tree_order(all: &[Unit], root: &UnitCode) -> Vec<UnitCode> {
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(code) = stack.pop() {
        if out.contains(&code) {
            continue;
        }
        let mut children: Vec<UnitCode> = all
            .iter()
            .filter(|u| u.parent.as_ref() == Some(&code))
            .map(|u| u.code.clone())
            .collect();
        children.sort_by(|a, b| b.as_str().cmp(a.as_str()));
        out.push(code);
        stack.extend(children);
    }
    out
}

/// The buckets' figures grouped into the range's periods, in order.
fn periods(range: &Range, buckets: &[Bucket], figures: &[Figures]) -> Vec<(String, Figures)> {
    let mut out: Vec<(String, Vec<Figures>)> = Vec::new();
    for (bucket, f) in buckets.iter().zip(figures) {
        let period = range.period_of(bucket);
        match out.last_mut() {
            Some((p, fs)) if *p == period => fs.push(*f),
            _ => out.push((period, vec![*f])),
        }
    }
    out.into_iter()
        .map(|(p, fs)| (p, Figures::over_time(&fs)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three months. Carried into month 0: A (overdue already, open to the end) and B
    /// (settled on time in month 0). Month 0: C and D received online, E at the counter; C
    /// refused after its due day, D open to the end within time, E due in month 0 and settled
    /// late in month 1. Month 1: F received, passes its due day and stays open. Month 2: a
    /// supplement request (of D).
    fn sample() -> Counts {
        Counts {
            online: vec![2, 0, 0],
            counter: vec![1, 1, 0],
            closed: vec![2, 1, 0],
            refused: vec![1, 0, 0],
            settled_late: vec![0, 1, 0],
            late: vec![1, 1, 0],
            passed_due: vec![0, 1, 0],
            supplements: vec![0, 0, 1],
            // 2 carried + 4 received - 3 ended.
            open_at_end: 3,
            overdue_at_end: 2,
        }
    }

    #[test]
    fn stocks_are_worked_back_from_the_end_and_every_row_balances() {
        let f = sample().figures();
        assert_eq!(f[0].carried_over, 2);
        assert_eq!(f[0].received, 5);
        assert_eq!(f[0].settled_on_time, 1);
        assert_eq!(f[0].refused, 1);
        // At the end of month 0: 3 open; the one carried over overdue, and the one settled late
        // in month 1 (due in month 0), overdue too.
        assert_eq!(
            (f[0].in_progress_on_time, f[0].overdue),
            (1, 2),
            "{:?}",
            f[0]
        );
        assert_eq!(f[1].carried_over, 3);
        assert_eq!(f[1].settled_late, 1);
        assert_eq!((f[1].in_progress_on_time, f[1].overdue), (1, 2));
        assert_eq!(f[2].supplements_requested, 1);
        for row in &f {
            assert_eq!(
                row.received,
                row.settled_on_time
                    + row.settled_late
                    + row.refused
                    + row.in_progress_on_time
                    + row.overdue,
                "{row:?}"
            );
        }
        let whole = Figures::over_time(&f);
        assert_eq!(whole.carried_over, 2);
        assert_eq!(whole.received, 6);
        assert_eq!((whole.settled_on_time, whole.settled_late), (1, 1));
        assert_eq!((whole.in_progress_on_time, whole.overdue), (1, 2));
        assert_eq!(whole.on_time_rate(), Some(0.5));
        assert_eq!(Figures::default().on_time_rate(), None);
    }

    #[test]
    fn units_are_listed_depth_first_under_the_root() {
        let unit = |code: &str, parent: Option<&str>| Unit {
            code: UnitCode::parse(code).unwrap(),
            name: code.into(),
            level: crate::vocabulary::UnitLevel::Commune,
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        };
        let all = [
            unit("C", None),
            unit("D2", Some("C")),
            unit("D1", Some("C")),
            unit("W", Some("D1")),
            unit("X", None),
        ];
        let order: Vec<String> = tree_order(&all, &UnitCode::parse("C").unwrap())
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(order, ["C", "D1", "W", "D2"]);
    }

    #[test]
    fn a_report_is_read_per_period_and_per_procedure() {
        let c = UnitCode::parse("C").unwrap();
        let d = UnitCode::parse("D").unwrap();
        let day = |m| Date::from_calendar_date(2026, m, 1).unwrap();
        let range = Range::new(
            day(time::Month::January),
            day(time::Month::March),
            GroupBy::Month,
        )
        .unwrap();
        let row = |unit: &UnitCode, procedure: &str, period: &str, on_time, overdue| Row {
            unit: unit.clone(),
            procedure: procedure.into(),
            period: period.into(),
            figures: Figures {
                settled_on_time: on_time,
                overdue,
                ..Figures::default()
            },
        };
        let report = Report {
            unit: c.clone(),
            range,
            as_of: range.to,
            rows: vec![
                row(&c, "a", "2026-01", 1, 2),
                row(&c, "a", "2026-02", 3, 1),
                row(&c, "a", "2026-03", 0, 4),
                row(&c, "b", "2026-02", 5, 0),
                row(&d, "a", "2026-01", 7, 0),
            ],
            total: Figures::default(),
        };
        assert_eq!(report.periods(), ["2026-01", "2026-02", "2026-03"]);
        let by_period: Vec<(String, i64)> = report
            .by_period(&c)
            .into_iter()
            .map(|(p, f)| (p, f.settled_on_time))
            .collect();
        assert_eq!(
            by_period,
            [
                ("2026-01".to_owned(), 1),
                ("2026-02".to_owned(), 8),
                ("2026-03".to_owned(), 0)
            ],
            "procedures side by side, only the unit asked for"
        );
        let by_procedure = report.by_procedure(&c);
        assert_eq!(by_procedure.len(), 2);
        assert_eq!(by_procedure[0].0, "a");
        assert_eq!(by_procedure[0].1.settled_on_time, 4, "flows add up");
        assert_eq!(by_procedure[0].1.overdue, 4, "overdue is the last period's");
        assert_eq!(
            by_procedure[1].1.overdue, 0,
            "b had no row in the last month"
        );
    }
}
