//! Working days (ngày làm việc) and the deadlines counted in them.
//!
//! Owns: which days are working days (Monday to Friday, less the configured public holidays),
//! counting working days forward and between dates, and the due-date rule for a dossier. Never
//! reaches: the clock, files or the database. "Today" is passed in, and holiday files are read
//! by the caller and handed over as text (`Calendar::parse_holidays`).
//!
//! Cost is bounded whatever the calendar: counting uses week arithmetic and visits each holiday
//! at most once per call, so a calendar listing every day for years, or a deadline of
//! `u32::MAX` days, answers at once (see `Calendar::add_working_days` for what happens past the
//! last representable date).

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Included};

use time::macros::{date, offset};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

/// Vietnam's time (UTC+07:00, no daylight saving). Every instant is turned into a date in this
/// offset before it is counted: a dossier received at 23:30 UTC on a Sunday is received on
/// Monday.
pub const VIETNAM_OFFSET: UtcOffset = offset!(+7);

/// The longest piece of an offending line quoted in a `CalendarError`.
const QUOTE_CHARS: usize = 64;

/// Why a holiday list was refused. Lines are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The line is neither blank, a comment, nor a date written `YYYY-MM-DD`.
    #[error("holiday list, line {line}: expected a date as YYYY-MM-DD, found {text:?}")]
    NotADate {
        /// The line number.
        line: usize,
        /// What the line holds (comment removed, trimmed, at most 64 characters).
        text: String,
    },
    /// The line is shaped like a date, but no such day exists (`2026-02-30`, `2026-13-01`).
    #[error("holiday list, line {line}: {text} is not a day of the calendar")]
    NoSuchDate {
        /// The line number.
        line: usize,
        /// The date as written.
        text: String,
    },
}

/// Which days count when a deadline is given in working days: Monday to Friday, except the
/// public holidays it was built with. Saturdays and Sundays are never working days, so a holiday
/// that falls on a weekend changes nothing (the observed weekday must be listed itself), and a
/// make-up Saturday (ngày làm bù) cannot be expressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
}

impl Calendar {
    /// A calendar with these public holidays (in any order, duplicates ignored).
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Vietnam's public holidays of 2026 as announced for civil servants, the days the counters
    /// are closed. Operators must configure the calendar of each year themselves
    /// (`parse_holidays`): the lunar holidays move, and the Government sets the Tết break and
    /// any swapped days every year.
    ///
    /// Sources: Labour Code 2019 (Law 45/2019/QH14), art. 112, for the holidays themselves, and
    /// the Government's decisions for 2026:
    /// - New Year: Thu 1 Jan, and Fri 2 Jan swapped with Sat 10 Jan (Government Office document
    ///   12729/VPCP-KGVX of 25 Dec 2025). The make-up Saturday is not modelled.
    /// - Tết Bính Ngọ: the break runs Sat 14 to Sun 22 Feb (Prime Minister's approval of the
    ///   Ministry of Home Affairs' plan, Oct 2025); its weekdays are Mon 16 to Fri 20 Feb.
    /// - Hùng Kings' commemoration (10th day of the 3rd lunar month): Sun 26 Apr, observed on
    ///   Mon 27 Apr (art. 111(3): a holiday on a weekly day off is taken on the next working
    ///   day).
    /// - Reunification Day, Thu 30 Apr; International Labour Day, Fri 1 May.
    /// - National Day: the break runs Sat 29 Aug to Wed 2 Sep (same approval as Tết); its
    ///   weekdays are Mon 31 Aug (a swapped day), Tue 1 and Wed 2 Sep.
    pub fn vietnam_2026() -> Self {
        Self::new([
            date!(2026 - 01 - 01),
            date!(2026 - 01 - 02),
            date!(2026 - 02 - 16),
            date!(2026 - 02 - 17),
            date!(2026 - 02 - 18),
            date!(2026 - 02 - 19),
            date!(2026 - 02 - 20),
            date!(2026 - 04 - 27),
            date!(2026 - 04 - 30),
            date!(2026 - 05 - 01),
            date!(2026 - 08 - 31),
            date!(2026 - 09 - 01),
            date!(2026 - 09 - 02),
        ])
    }

    /// Reads a holiday list: one date per line written `YYYY-MM-DD`; everything from a `#` to the
    /// end of the line is a comment; blank lines are ignored. The first error is reported with
    /// its line number.
    ///
    /// ```text
    /// # Tết Bính Ngọ
    /// 2026-02-16   # 29 tháng Chạp
    /// 2026-02-17
    /// ```
    pub fn parse_holidays(text: &str) -> Result<Self, CalendarError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut holidays = BTreeSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            holidays.insert(parse_iso_date(content, line)?);
        }
        Ok(Self { holidays })
    }

    /// The configured holidays, in date order (including any that fall on a weekend).
    pub fn holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.holidays.iter().copied()
    }

    /// Whether `day` is a working day: Monday to Friday and not a holiday.
    pub fn is_working_day(&self, day: Date) -> bool {
        !is_weekend(day) && !self.holidays.contains(&day)
    }

    /// The `n`-th working day after `start`; `start` itself never counts, whether or not it is a
    /// working day. `n = 0` gives `start` unchanged.
    ///
    /// Saturates: if that day would lie beyond the last date `time` can represent
    /// (31 December 9999), the answer is `Date::MAX`. It never panics and never scans day by
    /// day: each step jumps over whole weeks and then over the holidays it crossed.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut end = start;
        let mut remaining = u64::from(n);
        // Each pass lands exactly `remaining` weekdays further on; the weekday holidays it
        // crossed are made up by the next pass. The passes cover disjoint stretches, so there are
        // at most (holidays + 1) of them.
        while remaining > 0 {
            let Some(next) = add_weekdays(end, remaining) else {
                return Date::MAX;
            };
            remaining = self.weekday_holidays_in(end, next);
            end = next;
        }
        end
    }

    /// The number of working days in `(from, to]`: after `from`, up to and including `to`.
    /// Zero when `to` is not after `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        if to <= from {
            return 0;
        }
        let days = weekdays_through(to) - weekdays_through(from);
        let working = u64::try_from(days)
            .unwrap_or(0)
            .saturating_sub(self.weekday_holidays_in(from, to));
        // At most about 7.3 million days exist between Date::MIN and Date::MAX.
        u32::try_from(working).unwrap_or(u32::MAX)
    }

    /// The due date of a dossier that must be settled within `days` working days.
    ///
    /// The rule:
    /// 1. Every instant is taken as a date in Vietnam's time (`VIETNAM_OFFSET`).
    /// 2. The clock starts on the date of `received` (the official receipt time; a caller whose
    ///    procedure counts from the acceptance of a complete dossier passes that time instead).
    ///    The receipt date itself is not counted, so without pauses the due date is
    ///    `add_working_days(received date, days)`.
    /// 3. While the dossier waits for the applicant (`lifecycle::waits_for_applicant`) the clock
    ///    is paused. Each pause `(start, Some(end))` adds the working days in
    ///    `(start date, end date]` — a pause that starts and ends the same day adds nothing.
    ///    Overlapping pauses are counted once, and the part of a pause before the receipt date is
    ///    ignored (the clock had not started).
    /// 4. A pause still open (`end` is `None`) means there is no due date yet: `None`.
    pub fn due_date(
        &self,
        received: OffsetDateTime,
        days: u32,
        paused: &[(OffsetDateTime, Option<OffsetDateTime>)],
    ) -> Option<Date> {
        let start = vietnam_date(received);
        let mut spans = Vec::with_capacity(paused.len());
        for &(from, to) in paused {
            let (from, to) = (vietnam_date(from).max(start), vietnam_date(to?));
            if to > from {
                spans.push((from, to));
            }
        }
        spans.sort_unstable();
        let mut extension = 0u32;
        let mut covered_to = start;
        for (from, to) in spans {
            // Only the part after what earlier pauses already covered counts.
            let from = from.max(covered_to);
            extension = extension.saturating_add(self.working_days_between(from, to));
            covered_to = covered_to.max(to);
        }
        Some(self.add_working_days(start, days.saturating_add(extension)))
    }

    /// Whether a dossier due on `due` is due soon on `today`: not overdue, and `due` is at most
    /// `within_working_days` working days after `today` (a dossier due today is due soon).
    pub fn due_soon(&self, due: Date, today: Date, within_working_days: u32) -> bool {
        !is_overdue(due, today) && self.working_days_between(today, due) <= within_working_days
    }

    /// How many holidays in `(from, to]` fall on a weekday (those on a weekend change nothing).
    fn weekday_holidays_in(&self, from: Date, to: Date) -> u64 {
        if to <= from {
            return 0;
        }
        let n = self
            .holidays
            .range((Excluded(from), Included(to)))
            .filter(|d| !is_weekend(**d))
            .count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }
}

/// Whether a dossier due on `due` is overdue on `today`: only once the due date has passed. The
/// due date itself is still in time.
pub fn is_overdue(due: Date, today: Date) -> bool {
    today > due
}

/// Today's date in Vietnam.
pub fn today() -> Date {
    vietnam_date(OffsetDateTime::now_utc())
}

/// The date of `t` in Vietnam.
pub fn vietnam_date(t: OffsetDateTime) -> Date {
    t.to_offset(VIETNAM_OFFSET).date()
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A running count of weekdays (Monday to Friday) up to and including `day`, from an arbitrary
/// origin: only differences between two counts mean anything.
fn weekdays_through(day: Date) -> i64 {
    let into_week = i64::from(day.weekday().number_days_from_monday());
    let monday = i64::from(day.to_julian_day()) - into_week;
    monday.div_euclid(7) * 5 + (into_week + 1).min(5)
}

/// The `n`-th weekday (Monday to Friday) after `start`, ignoring holidays; `None` past
/// `Date::MAX`.
fn add_weekdays(start: Date, n: u64) -> Option<Date> {
    if n == 0 {
        return Some(start);
    }
    // From a weekend, count as from the Friday before: the next weekday is the same Monday.
    let into_week = u64::from(start.weekday().number_days_from_monday());
    let (base, into_week) = if into_week >= 5 {
        (
            start.checked_sub(Duration::days(i64::try_from(into_week - 4).ok()?))?,
            4,
        )
    } else {
        (start, into_week)
    };
    let (weeks, rest) = (n / 5, n % 5);
    let mut days = weeks.checked_mul(7)?.checked_add(rest)?;
    if into_week + rest > 4 {
        days += 2; // the weekend crossed in the last, partial week
    }
    // Every representable date lies within about 7.3 million days of any other.
    if days > 10_000_000 {
        return None;
    }
    base.checked_add(Duration::days(i64::try_from(days).ok()?))
}

/// Parses `YYYY-MM-DD` exactly: four-digit year, two-digit month and day, nothing else.
fn parse_iso_date(text: &str, line: usize) -> Result<Date, CalendarError> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(CalendarError::NotADate {
            line,
            text: text.chars().take(QUOTE_CHARS).collect(),
        });
    }
    let number = |range: std::ops::Range<usize>| -> u16 {
        b[range].iter().fold(0, |n, c| n * 10 + u16::from(c - b'0'))
    };
    let no_such_date = || CalendarError::NoSuchDate {
        line,
        text: text.to_owned(),
    };
    let month = u8::try_from(number(5..7))
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(no_such_date)?;
    let day = u8::try_from(number(8..10)).map_err(|_| no_such_date())?;
    Date::from_calendar_date(i32::from(number(0..4)), month, day).map_err(|_| no_such_date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The obvious day-by-day definitions, to check the week arithmetic against.
    fn naive_add(cal: &Calendar, start: Date, n: u32) -> Date {
        let (mut day, mut left) = (start, n);
        while left > 0 {
            day = day.next_day().unwrap();
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    fn naive_between(cal: &Calendar, from: Date, to: Date) -> u32 {
        let mut day = from;
        let mut n = 0;
        while day < to {
            day = day.next_day().unwrap();
            n += u32::from(cal.is_working_day(day));
        }
        n
    }

    #[test]
    fn weekends_are_skipped_and_the_start_day_never_counts() {
        let cal = Calendar::default();
        // Fri 6 Mar 2026 + 1 working day is Mon 9 Mar; from Saturday or Sunday too.
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 06), 1),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 07), 1),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 08), 1),
            date!(2026 - 03 - 09)
        );
        // Five working days after a Monday is the next Monday.
        assert_eq!(
            cal.add_working_days(date!(2026 - 03 - 02), 5),
            date!(2026 - 03 - 09)
        );
        assert_eq!(
            cal.working_days_between(date!(2026 - 03 - 06), date!(2026 - 03 - 09)),
            1
        );
        assert_eq!(
            cal.working_days_between(date!(2026 - 03 - 06), date!(2026 - 03 - 08)),
            0
        );
        assert!(!cal.is_working_day(date!(2026 - 03 - 07)));
        assert!(cal.is_working_day(date!(2026 - 03 - 09)));
    }

    #[test]
    fn zero_working_days_after_a_day_is_that_day_even_a_holiday_or_a_sunday() {
        let cal = Calendar::vietnam_2026();
        for day in [
            date!(2026 - 02 - 17),
            date!(2026 - 03 - 08),
            date!(2026 - 03 - 09),
        ] {
            assert_eq!(cal.add_working_days(day, 0), day);
        }
        assert_eq!(
            cal.working_days_between(date!(2026 - 03 - 09), date!(2026 - 03 - 09)),
            0
        );
        assert_eq!(
            cal.working_days_between(date!(2026 - 03 - 10), date!(2026 - 03 - 09)),
            0
        );
    }

    #[test]
    fn the_tet_break_of_2026_is_jumped_over_whole() {
        let cal = Calendar::vietnam_2026();
        // The last working day before Tết is Fri 13 Feb; the next is Mon 23 Feb.
        assert_eq!(
            cal.add_working_days(date!(2026 - 02 - 13), 1),
            date!(2026 - 02 - 23)
        );
        // Thu 12 Feb + 3: Fri 13, Mon 23, Tue 24.
        assert_eq!(
            cal.add_working_days(date!(2026 - 02 - 12), 3),
            date!(2026 - 02 - 24)
        );
        assert_eq!(
            cal.working_days_between(date!(2026 - 02 - 12), date!(2026 - 02 - 24)),
            3
        );
        for day in 14..=22 {
            let day = Date::from_calendar_date(2026, Month::February, day).unwrap();
            assert!(!cal.is_working_day(day), "{day}");
        }
    }

    #[test]
    fn a_holiday_on_a_weekend_changes_nothing_and_its_observed_weekday_does() {
        // Hùng Kings' day 2026 is Sunday 26 Apr; it is listed only as observed on Monday 27.
        let sunday_only = Calendar::new([date!(2026 - 04 - 26)]);
        assert_eq!(
            sunday_only.add_working_days(date!(2026 - 04 - 24), 1),
            date!(2026 - 04 - 27)
        );
        assert_eq!(
            sunday_only.working_days_between(date!(2026 - 04 - 24), date!(2026 - 05 - 01)),
            5
        );
        let cal = Calendar::vietnam_2026();
        // Fri 24 Apr + 1 skips Mon 27 Apr; Wed 29 Apr + 1 skips 30 Apr, 1 May and the weekend.
        assert_eq!(
            cal.add_working_days(date!(2026 - 04 - 24), 1),
            date!(2026 - 04 - 28)
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 04 - 29), 1),
            date!(2026 - 05 - 04)
        );
    }

    #[test]
    fn the_2026_calendar_lists_only_weekdays_the_counters_are_closed() {
        let cal = Calendar::vietnam_2026();
        assert_eq!(cal.holidays().count(), 13);
        for day in cal.holidays() {
            assert!(
                !is_weekend(day),
                "{day} is a weekend day: listing it is useless"
            );
            assert_eq!(day.year(), 2026);
        }
        // 2026 has 261 weekdays; 13 of them are holidays.
        assert_eq!(
            cal.working_days_between(date!(2025 - 12 - 31), date!(2026 - 12 - 31)),
            261 - 13
        );
    }

    #[test]
    fn week_arithmetic_agrees_with_counting_day_by_day() {
        let cal = Calendar::vietnam_2026();
        let mut start = date!(2025 - 12 - 20);
        while start < date!(2027 - 01 - 10) {
            for n in 0..45 {
                let due = cal.add_working_days(start, n);
                assert_eq!(due, naive_add(&cal, start, n), "{start} + {n}");
                assert_eq!(cal.working_days_between(start, due), n, "{start} .. {due}");
                assert_eq!(
                    cal.working_days_between(start, due),
                    naive_between(&cal, start, due)
                );
            }
            start = start.next_day().unwrap();
        }
    }

    #[test]
    fn a_calendar_of_holidays_only_for_years_answers_at_once_and_saturates_at_the_end_of_time() {
        // Every day of 2026–2035 is a holiday.
        let mut day = date!(2026 - 01 - 01);
        let mut all = Vec::new();
        while day.year() < 2036 {
            all.push(day);
            day = day.next_day().unwrap();
        }
        let cal = Calendar::new(all);
        assert_eq!(
            cal.add_working_days(date!(2025 - 12 - 31), 1),
            date!(2036 - 01 - 01)
        );
        assert_eq!(
            cal.working_days_between(date!(2025 - 12 - 31), date!(2036 - 01 - 01)),
            1
        );
        // A deadline past year 9999 saturates instead of panicking or looping.
        assert_eq!(
            cal.add_working_days(date!(2026 - 01 - 01), u32::MAX),
            Date::MAX
        );
        assert_eq!(
            Calendar::default().add_working_days(Date::MAX, 1),
            Date::MAX
        );
        assert!(Calendar::default().working_days_between(Date::MIN, Date::MAX) > 5_000_000);
    }

    #[test]
    fn without_pauses_the_due_date_counts_from_the_receipt_date_in_vietnam_time() {
        let cal = Calendar::vietnam_2026();
        // Received Mon 2 Mar 2026 at 10:00 in Hà Nội: 5 working days later is Mon 9 Mar.
        let received = datetime!(2026 - 03 - 02 10:00 +07:00);
        assert_eq!(cal.due_date(received, 5, &[]), Some(date!(2026 - 03 - 09)));
        // 18:00 UTC on Sunday 1 Mar is already 01:00 on Monday 2 Mar in Vietnam.
        let received = datetime!(2026 - 03 - 01 18:00 UTC);
        assert_eq!(cal.due_date(received, 5, &[]), Some(date!(2026 - 03 - 09)));
        // 16:59 UTC on the same Sunday is still Sunday 23:59 in Vietnam: Fri 6 Mar.
        let received = datetime!(2026 - 03 - 01 16:59 UTC);
        assert_eq!(cal.due_date(received, 5, &[]), Some(date!(2026 - 03 - 06)));
    }

    #[test]
    fn waiting_for_the_applicant_extends_the_due_date_by_the_working_days_waited() {
        let cal = Calendar::vietnam_2026();
        let received = datetime!(2026 - 03 - 02 10:00 +07:00);
        // Paused from Tue 3 Mar to Thu 5 Mar: Wed and Thu are given back.
        let pause = (
            datetime!(2026 - 03 - 03 09:00 +07:00),
            Some(datetime!(2026 - 03 - 05 16:00 +07:00)),
        );
        assert_eq!(
            cal.due_date(received, 5, &[pause]),
            Some(date!(2026 - 03 - 11))
        );
        // A pause within one day gives nothing back.
        let same_day = (
            datetime!(2026 - 03 - 03 09:00 +07:00),
            Some(datetime!(2026 - 03 - 03 15:00 +07:00)),
        );
        assert_eq!(
            cal.due_date(received, 5, &[same_day]),
            Some(date!(2026 - 03 - 09))
        );
        // A pause over a weekend gives back only its working days: Fri 6 to Tue 10 Mar is 2.
        let over_weekend = (
            datetime!(2026 - 03 - 06 09:00 +07:00),
            Some(datetime!(2026 - 03 - 10 09:00 +07:00)),
        );
        assert_eq!(
            cal.due_date(received, 5, &[pause, over_weekend]),
            Some(date!(2026 - 03 - 13))
        );
    }

    #[test]
    fn overlapping_pauses_count_once_and_nothing_before_receipt_counts() {
        let cal = Calendar::vietnam_2026();
        let received = datetime!(2026 - 03 - 02 10:00 +07:00);
        let a = (
            datetime!(2026 - 03 - 03 09:00 +07:00),
            Some(datetime!(2026 - 03 - 05 09:00 +07:00)),
        );
        let b = (
            datetime!(2026 - 03 - 04 09:00 +07:00),
            Some(datetime!(2026 - 03 - 06 09:00 +07:00)),
        );
        // (3 Mar, 6 Mar] holds 3 working days, however the two pauses overlap.
        assert_eq!(
            cal.due_date(received, 5, &[b, a]),
            Some(date!(2026 - 03 - 12))
        );
        let before = (
            datetime!(2026 - 02 - 23 09:00 +07:00),
            Some(datetime!(2026 - 03 - 03 09:00 +07:00)),
        );
        // Only (2 Mar, 3 Mar] counts.
        assert_eq!(
            cal.due_date(received, 5, &[before]),
            Some(date!(2026 - 03 - 10))
        );
    }

    #[test]
    fn a_pause_across_tet_gives_back_only_working_days() {
        let cal = Calendar::vietnam_2026();
        let received = datetime!(2026 - 02 - 09 08:00 +07:00); // Mon 9 Feb
        // Paused Wed 11 Feb to Wed 25 Feb: Thu 12, Fri 13, Mon 23, Tue 24, Wed 25 = 5 days.
        let pause = (
            datetime!(2026 - 02 - 11 08:00 +07:00),
            Some(datetime!(2026 - 02 - 25 08:00 +07:00)),
        );
        // 10 + 5 working days after Mon 9 Feb: 10, 11, 12, 13 Feb, (Tết), 23, 24, 25, 26,
        // 27 Feb, 2 Mar (the 10th), 3, 4, 5, 6, 9 Mar (the 15th).
        assert_eq!(
            cal.due_date(received, 10, &[pause]),
            Some(date!(2026 - 03 - 09))
        );
    }

    #[test]
    fn a_dossier_still_waiting_for_the_applicant_has_no_due_date() {
        let cal = Calendar::vietnam_2026();
        let received = datetime!(2026 - 03 - 02 10:00 +07:00);
        let closed = (
            datetime!(2026 - 03 - 03 09:00 +07:00),
            Some(datetime!(2026 - 03 - 04 09:00 +07:00)),
        );
        let open = (datetime!(2026 - 03 - 05 09:00 +07:00), None);
        assert_eq!(cal.due_date(received, 5, &[closed, open]), None);
    }

    #[test]
    fn a_dossier_is_overdue_only_after_its_due_date_and_due_soon_within_working_days() {
        let cal = Calendar::vietnam_2026();
        let due = date!(2026 - 03 - 09); // Monday
        assert!(!is_overdue(due, date!(2026 - 03 - 09)));
        assert!(is_overdue(due, date!(2026 - 03 - 10)));
        // On Friday 6 Mar, Monday is 1 working day away.
        assert!(cal.due_soon(due, date!(2026 - 03 - 06), 1));
        assert!(!cal.due_soon(due, date!(2026 - 03 - 05), 1));
        assert!(cal.due_soon(due, date!(2026 - 03 - 09), 0));
        assert!(
            !cal.due_soon(due, date!(2026 - 03 - 10), 5),
            "overdue is not due soon"
        );
    }

    #[test]
    fn a_holiday_list_holds_one_date_per_line_with_comments_and_blank_lines() {
        let text =
            "\u{feff}# Vietnam 2026\n\n2026-01-01\n  2026-02-17   # mùng 1 Tết\r\n2026-01-01\n";
        let cal = Calendar::parse_holidays(text).unwrap();
        assert_eq!(
            cal,
            Calendar::new([date!(2026 - 01 - 01), date!(2026 - 02 - 17)])
        );
        assert_eq!(Calendar::parse_holidays(""), Ok(Calendar::default()));
    }

    #[test]
    fn a_holiday_list_error_names_the_line_and_what_is_on_it() {
        let cases = [
            ("2026-01-01\n# ok\n2026-2-16\n", 3, "2026-2-16", true),
            ("16/02/2026", 1, "16/02/2026", true),
            ("+2026-02-16", 1, "+2026-02-16", true),
            ("2026-02-16 2026-02-17", 1, "2026-02-16 2026-02-17", true),
            ("\n2026-02-30", 2, "2026-02-30", false),
            ("2026-13-01", 1, "2026-13-01", false),
            ("2026-00-10", 1, "2026-00-10", false),
        ];
        for (input, line, text, malformed) in cases {
            let text = text.to_owned();
            let expected = if malformed {
                CalendarError::NotADate { line, text }
            } else {
                CalendarError::NoSuchDate { line, text }
            };
            assert_eq!(Calendar::parse_holidays(input), Err(expected), "{input:?}");
        }
        let err = Calendar::parse_holidays("x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "holiday list, line 1: expected a date as YYYY-MM-DD, found \"x\""
        );
        let long = "y".repeat(10_000);
        let Err(CalendarError::NotADate { text, .. }) = Calendar::parse_holidays(&long) else {
            panic!("a long line is not a date");
        };
        assert_eq!(text.chars().count(), 64);
    }
}
