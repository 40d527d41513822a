//! Instants as motcua stores and prints them: UTC, RFC 3339, microsecond precision, one fixed
//! width so that text order is time order (the database sorts on the text).

use std::fmt;

use time::format_description::FormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Vietnam's civil time, UTC+07:00 (no daylight saving). Dossier codes and deadlines use its dates.
pub const VIETNAM: UtcOffset = offset!(+7);

/// An instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

/// Text that is not an RFC 3339 instant.
#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 date-time: {0}")]
pub struct InvalidTimestamp(String);

impl Timestamp {
    /// Now, truncated to microseconds so it survives a round trip through the database.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let micros = now.microsecond();
        Self(now.replace_microsecond(micros).unwrap_or(now))
    }

    /// Parses any RFC 3339 date-time (any offset) and normalises it to UTC.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| Self(t.to_offset(UtcOffset::UTC)))
            .map_err(|_| InvalidTimestamp(text.to_owned()))
    }

    /// The calendar date in Vietnam at this instant.
    pub fn vietnam_date(&self) -> Date {
        self.0.to_offset(VIETNAM).date()
    }

    /// The underlying `time` value.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Self(t.to_offset(UtcOffset::UTC))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Formatting with a static description into a String cannot fail for a valid instant.
        f.write_str(&self.0.format(FORMAT).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_fixed_width_utc_and_parses_back() {
        let t = Timestamp::parse("2026-11-27T23:30:00.5+07:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-27T16:30:00.500000Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn vietnam_date_rolls_over_at_17_utc() {
        let t = Timestamp::parse("2026-11-27T17:00:00Z").unwrap();
        assert_eq!(t.vietnam_date().to_string(), "2026-11-28");
    }
}
