//! The time a report covers: its days (Vietnam's, as the counters count them), the months it is
//! counted in (buckets) and the periods it is shown in (`group_by`).

use time::{Date, Duration, Month, OffsetDateTime, Time};

use super::ReportError;
use crate::timestamp::Timestamp;
use crate::workflow::VIETNAM_OFFSET;

/// The longest range a report covers: ten years (at most 121 monthly buckets, which bounds the
/// work of a report and the size of its queries).
pub const MAX_DAYS: i64 = 3653;

/// How a report's rows divide its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Calendar months (`2026-03`).
    Month,
    /// Calendar quarters (`2026-Q1`).
    Quarter,
    /// Calendar years (`2026`).
    Year,
    /// The whole range as one period (`2026-01-01/2026-12-31`).
    None,
}

impl GroupBy {
    /// `month`, `quarter`, `year` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
            Self::None => "none",
        }
    }

    /// Parses `month`, `quarter`, `year` or `none`.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        [Self::Month, Self::Quarter, Self::Year, Self::None]
            .into_iter()
            .find(|g| g.as_str() == text)
            .ok_or_else(|| {
                ReportError::Invalid(format!(
                    "group_by {text:?}: expected month, quarter, year or none"
                ))
            })
    }
}

/// The days a report covers, first and last included, and how it divides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
    /// How rows divide it.
    pub group_by: GroupBy,
}

impl Range {
    /// Checks a range: `from` on or before `to`, at most [`MAX_DAYS`] days.
    pub fn new(from: Date, to: Date, group_by: GroupBy) -> Result<Self, ReportError> {
        if from > to {
            return Err(ReportError::Invalid(format!(
                "from ({from}) is after to ({to})"
            )));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(ReportError::Invalid(
                "a report covers at most ten years".into(),
            ));
        }
        Ok(Self { from, to, group_by })
    }

    /// Parses days written `YYYY-MM-DD` and a `group_by` (default: none).
    pub fn parse(from: &str, to: &str, group_by: Option<&str>) -> Result<Self, ReportError> {
        let group_by = match group_by {
            None | Some("") => GroupBy::None,
            Some(g) => GroupBy::parse(g)?,
        };
        Self::new(parse_day("from", from)?, parse_day("to", to)?, group_by)
    }

    /// The months it touches, each cut to the range.
    pub fn buckets(&self) -> Vec<Bucket> {
        let mut buckets = Vec::new();
        let mut first = self.from;
        while first <= self.to {
            let month_end = last_of_month(first);
            let last = month_end.min(self.to);
            buckets.push(Bucket { first, last });
            match month_end.next_day() {
                Some(next) => first = next,
                None => break,
            }
        }
        buckets
    }

    /// The period a bucket belongs to.
    pub fn period_of(&self, bucket: &Bucket) -> String {
        let d = bucket.first;
        match self.group_by {
            GroupBy::Month => format!("{:04}-{:02}", d.year(), d.month() as u8),
            GroupBy::Quarter => format!("{:04}-Q{}", d.year(), (d.month() as u8 - 1) / 3 + 1),
            GroupBy::Year => format!("{:04}", d.year()),
            GroupBy::None => format!("{}/{}", self.from, self.to),
        }
    }
}

/// The days of one calendar month within a report's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Its first day in the range.
    pub first: Date,
    /// Its last day in the range.
    pub last: Date,
}

impl Bucket {
    /// `YYYY-MM`, as the database groups days.
    pub fn month(&self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month() as u8)
    }
}

/// A day written `YYYY-MM-DD`.
pub fn parse_day(name: &str, text: &str) -> Result<Date, ReportError> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| ReportError::Invalid(format!("{name} {text:?}: expected a day as YYYY-MM-DD")))
}

/// The instant a day begins in Vietnam, as stored instants are written (UTC text).
pub fn start_of(day: Date) -> String {
    Timestamp::from(OffsetDateTime::new_in_offset(
        day,
        Time::MIDNIGHT,
        VIETNAM_OFFSET,
    ))
    .to_string()
}

fn last_of_month(day: Date) -> Date {
    let (year, month) = match day.month() {
        Month::December => (day.year() + 1, Month::January),
        m => (day.year(), m.next()),
    };
    Date::from_calendar_date(year, month, 1).map_or(Date::MAX, |d| d - Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_range_is_cut_into_its_months() {
        let r = Range::new(date!(2026 - 01 - 15), date!(2026 - 03 - 10), GroupBy::Month).unwrap();
        let b = r.buckets();
        assert_eq!(
            b,
            [
                Bucket {
                    first: date!(2026 - 01 - 15),
                    last: date!(2026 - 01 - 31)
                },
                Bucket {
                    first: date!(2026 - 02 - 01),
                    last: date!(2026 - 02 - 28)
                },
                Bucket {
                    first: date!(2026 - 03 - 01),
                    last: date!(2026 - 03 - 10)
                },
            ]
        );
        assert_eq!(b[1].month(), "2026-02");
        assert_eq!(r.period_of(&b[2]), "2026-03");
        let q = Range {
            group_by: GroupBy::Quarter,
            ..r
        };
        assert_eq!(q.period_of(&b[2]), "2026-Q1");
        let y = Range {
            group_by: GroupBy::Year,
            ..r
        };
        assert_eq!(y.period_of(&b[0]), "2026");
        let n = Range {
            group_by: GroupBy::None,
            ..r
        };
        assert_eq!(n.period_of(&b[1]), "2026-01-15/2026-03-10");
        let leap = Range::new(date!(2028 - 02 - 01), date!(2028 - 02 - 29), GroupBy::None).unwrap();
        assert_eq!(leap.buckets().len(), 1);
        let years =
            Range::new(date!(2025 - 12 - 31), date!(2026 - 01 - 01), GroupBy::Year).unwrap();
        assert_eq!(years.buckets().len(), 2);
    }

    #[test]
    fn a_range_runs_forward_for_at_most_ten_years_in_days_written_out() {
        assert!(Range::parse("2026-01-01", "2026-12-31", Some("month")).is_ok());
        assert!(Range::parse("2026-01-01", "2026-01-01", None).is_ok());
        for (from, to, group_by) in [
            ("2026-02-01", "2026-01-31", None),
            ("2016-01-01", "2026-01-01", None),
            ("2026-1-1", "2026-12-31", None),
            ("2026-02-30", "2026-12-31", None),
            ("2026-01-01", "2026-12-31", Some("week")),
        ] {
            assert!(
                matches!(
                    Range::parse(from, to, group_by),
                    Err(ReportError::Invalid(_))
                ),
                "{from} {to} {group_by:?}"
            );
        }
        assert!(Range::parse("2016-01-02", "2026-01-01", None).is_ok());
    }

    #[test]
    fn a_day_begins_at_17_utc_the_day_before() {
        assert_eq!(
            start_of(date!(2026 - 03 - 01)),
            "2026-02-28T17:00:00.000000Z"
        );
    }
}
