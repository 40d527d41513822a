//! How pages write dates, times, numbers and deadlines: `dd/mm/yyyy`, times in Vietnam's
//! +07:00, numbers with `.` between thousands (Vietnamese style) — the same in both languages,
//! since the records they describe are Vietnamese. Never reads the clock itself: callers pass
//! `today`, so a page and its test agree.

use time::Date;

use crate::dossier::{Dossier, DossierStatus};
use crate::timestamp::Timestamp;
use crate::workflow::Calendar;

use super::i18n::Messages;

/// `dd/mm/yyyy`.
pub(super) fn date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// `dd/mm/yyyy HH:MM` in +07:00.
pub(super) fn moment(t: &Timestamp) -> String {
    let local = t
        .as_offset_date_time()
        .to_offset(crate::workflow::VIETNAM_OFFSET);
    format!(
        "{} {:02}:{:02}",
        date(local.date()),
        local.hour(),
        local.minute()
    )
}

/// A count with `.` between thousands: `1.234.567`.
pub(super) fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Where a dossier stands against its due date, as one-stop counters colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    /// Open, due later: so many working days left.
    InTime(u32),
    /// Open, due today.
    DueToday,
    /// Open, past its due date.
    Overdue,
    /// Closed after its due date.
    Late,
    /// Closed on time, or never given a due date, or waiting for the applicant.
    None,
}

impl Standing {
    pub(super) fn of(d: &Dossier, today: Date, calendar: &Calendar) -> Self {
        use DossierStatus as S;
        let closed = matches!(d.status, S::Rejected | S::ResultIssued | S::Returned);
        let Some(due) = d.due_on else {
            return Self::None;
        };
        if closed {
            return match d.closed_on {
                Some(on) if on > due => Self::Late,
                _ => Self::None,
            };
        }
        if today > due {
            Self::Overdue
        } else if today == due {
            Self::DueToday
        } else {
            Self::InTime(calendar.working_days_between(today, due))
        }
    }

    /// The CSS class of its colour.
    pub(super) fn class(self) -> &'static str {
        match self {
            Self::InTime(_) => "in-time",
            Self::DueToday => "due-today",
            Self::Overdue => "overdue",
            Self::Late => "late",
            Self::None => "",
        }
    }

    /// Its words (empty for none).
    pub(super) fn words(self, t: &Messages) -> String {
        match self {
            Self::InTime(days) => t.with("deadline-in-time", "days", &days.to_string()),
            Self::DueToday => t.get("deadline-due-today"),
            Self::Overdue => t.get("deadline-overdue"),
            Self::Late => t.get("deadline-late"),
            Self::None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_written_as_vietnamese_counters_write_them() {
        let t = Timestamp::parse("2026-03-01T17:30:00Z").unwrap();
        // 17:30 UTC is half past midnight the next day in Hà Nội.
        assert_eq!(moment(&t), "02/03/2026 00:30");
        assert_eq!(date(t.vietnam_date()), "02/03/2026");
    }

    #[test]
    fn thousands_are_separated_by_dots() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1.000");
        assert_eq!(number(1_234_567), "1.234.567");
    }
}
