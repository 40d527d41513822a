//! The dossier's values every layer speaks: the unit and dossier codes, the applicant, the
//! lifecycle's statuses; each parsed once at the boundary.

use serde::{Deserialize, Serialize};
use time::Date;

use std::fmt;

use super::identifiers::{IdNumber, InvalidField, TaxCode};

/// The code of the receiving unit (mã đơn vị), the first part of every dossier code:
/// letters, digits and dots, e.g. `000.00.00.H26` or `SKHDT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    /// Parses: 1 to 32 characters from `A-Z a-z 0-9 .`.
    pub fn parse(text: &str) -> Result<Self, InvalidField> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidField::new(
                "unit_code",
                "a unit code is 1 to 32 letters, digits or dots",
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The level of an administrative unit: the three territorial tiers (province or centrally-run
/// city, district, ward or commune) and the specialised bodies that receive dossiers beside them
/// (departments, and any other agency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    /// Tỉnh / thành phố trực thuộc trung ương.
    Province,
    /// Quận / huyện / thị xã / thành phố thuộc tỉnh.
    District,
    /// Phường / xã / thị trấn / đặc khu.
    Commune,
    /// Sở / ban / ngành (a department of a province or district).
    Department,
    /// Any other receiving agency (tax office, police, ...).
    Agency,
}

impl UnitLevel {
    /// Every level, from the top.
    pub const ALL: [Self; 5] = [
        Self::Province,
        Self::District,
        Self::Commune,
        Self::Department,
        Self::Agency,
    ];

    /// The name used in the API, the catalogue and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::District => "district",
            Self::Commune => "commune",
            Self::Department => "department",
            Self::Agency => "agency",
        }
    }

    /// The Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::Province => "Tỉnh/Thành phố",
            Self::District => "Quận/Huyện",
            Self::Commune => "Phường/Xã",
            Self::Department => "Sở/Ban/Ngành",
            Self::Agency => "Cơ quan",
        }
    }

    /// The tier of a territorial level (0 the top); none for departments and agencies.
    fn tier(self) -> Option<u8> {
        match self {
            Self::Province => Some(0),
            Self::District => Some(1),
            Self::Commune => Some(2),
            Self::Department | Self::Agency => None,
        }
    }

    /// Whether a unit of this level may sit under a unit of `parent`'s level: a territorial
    /// unit under a higher territorial tier (a commune directly under a province too, as after
    /// the 2025 reform), a department or agency under any unit but a commune... except agencies,
    /// which a commune may host too (its police post).
    pub fn may_sit_under(self, parent: UnitLevel) -> bool {
        match (self.tier(), parent.tier()) {
            (Some(child), Some(up)) => child > up,
            (Some(_), None) => false,
            (None, _) => self == Self::Agency || parent != Self::Commune,
        }
    }

    /// The level a unit gets when none is given: one tier below its parent, a province at the
    /// top.
    pub fn below(parent: Option<UnitLevel>) -> Self {
        match parent {
            None => Self::Province,
            Some(Self::Province) => Self::District,
            Some(_) => Self::Commune,
        }
    }
}

impl fmt::Display for UnitLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for UnitLevel {
    type Err = InvalidField;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                InvalidField::new(
                    "level",
                    "a unit level is province, district, commune, department or agency",
                )
            })
    }
}

/// A dossier code (mã hồ sơ): `<unit code>-<YYMMDD>-<sequence>`, the sequence counting the
/// unit's dossiers of that day (in Vietnam's time) from 0001. Past 9999 it simply grows a digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DossierCode(String);

impl DossierCode {
    /// The code of the unit that received it: its first part.
    pub fn unit(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// Builds the code for a unit, a date and a sequence number.
    pub fn new(unit: &UnitCode, date: Date, sequence: u32) -> Self {
        Self(format!(
            "{}-{:02}{:02}{:02}-{:04}",
            unit.as_str(),
            date.year().rem_euclid(100),
            u8::from(date.month()),
            date.day(),
            sequence
        ))
    }

    /// The day key used to number a unit's dossiers: `YYMMDD`.
    pub fn day_key(date: Date) -> String {
        format!(
            "{:02}{:02}{:02}",
            date.year().rem_euclid(100),
            u8::from(date.month()),
            date.day()
        )
    }

    /// Wraps a code read back from storage.
    pub fn from_stored(code: String) -> Self {
        Self(code)
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a dossier is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicant {
    /// An enterprise or household business, identified by its tax code.
    Business {
        /// Its tax code.
        tax_code: TaxCode,
        /// Its registered name.
        name: String,
    },
    /// A citizen, identified by the personal identification number.
    Citizen {
        /// The identification number.
        id_number: IdNumber,
        /// Full name.
        name: String,
    },
}

impl Applicant {
    /// The applicant's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Business { name, .. } | Self::Citizen { name, .. } => name,
        }
    }

    /// `business` or `citizen`.
    pub fn kind(&self) -> ApplicantKind {
        match self {
            Self::Business { .. } => ApplicantKind::Business,
            Self::Citizen { .. } => ApplicantKind::Citizen,
        }
    }

    /// The tax code, for a business.
    pub fn tax_code(&self) -> Option<&TaxCode> {
        match self {
            Self::Business { tax_code, .. } => Some(tax_code),
            Self::Citizen { .. } => None,
        }
    }

    /// The identification number, for a citizen.
    pub fn id_number(&self) -> Option<&IdNumber> {
        match self {
            Self::Citizen { id_number, .. } => Some(id_number),
            Self::Business { .. } => None,
        }
    }
}

/// The two kinds of applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicantKind {
    /// An enterprise or household business.
    Business,
    /// A citizen.
    Citizen,
}

impl ApplicantKind {
    /// `business` or `citizen`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Business => "business",
            Self::Citizen => "citizen",
        }
    }
}

/// How a dossier came in (kênh tiếp nhận), as the one-stop reports split what was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Filed online by the applicant (trực tuyến): a business's or citizen's own token.
    Online,
    /// Filed at the counter (trực tiếp) by staff on the applicant's behalf.
    Counter,
}

impl Channel {
    /// `online` or `counter`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Counter => "counter",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Online, Self::Counter]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// Where a dossier is in its lifecycle (Decree 45/2020/ND-CP). Which moves between these states
/// are legal, and who may make them, is decided by `workflow::lifecycle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DossierStatus {
    /// Filed and stored; not yet looked at by an officer.
    Submitted,
    /// Passed the automatic technical check at intake and acknowledged with the official receipt
    /// time (tiếp nhận); waits for an officer's review.
    Received,
    /// Accepted as complete by an officer; the dossier code has been issued.
    Accepted,
    /// An officer asked the applicant for missing documents (yêu cầu bổ sung); the deadline clock
    /// is paused.
    SupplementRequested,
    /// Refused, with a reason (từ chối). Terminal.
    Rejected,
    /// Paper originals are not needed (a valid business signature with a matching tax code).
    OriginalsWaived,
    /// Waits for the applicant to bring the paper originals to the counter; the deadline clock is
    /// paused.
    AwaitingOriginals,
    /// An officer compared the paper originals with the electronic copies and found them matching.
    OriginalsVerified,
    /// The paper originals do not match the electronic copies.
    OriginalsMismatch,
    /// Being handled by the competent office (đang xử lý).
    Processing,
    /// The result has been issued and waits to be handed over.
    ResultIssued,
    /// The result has been returned to the applicant (trả kết quả). Terminal.
    Returned,
}

impl DossierStatus {
    /// Every state, in the order of the usual path through the workflow.
    pub const ALL: [DossierStatus; 12] = [
        Self::Submitted,
        Self::Received,
        Self::Accepted,
        Self::SupplementRequested,
        Self::Rejected,
        Self::OriginalsWaived,
        Self::AwaitingOriginals,
        Self::OriginalsVerified,
        Self::OriginalsMismatch,
        Self::Processing,
        Self::ResultIssued,
        Self::Returned,
    ];

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Received => "RECEIVED",
            Self::Accepted => "ACCEPTED",
            Self::SupplementRequested => "SUPPLEMENT_REQUESTED",
            Self::Rejected => "REJECTED",
            Self::OriginalsWaived => "ORIGINALS_WAIVED",
            Self::AwaitingOriginals => "AWAITING_ORIGINALS",
            Self::OriginalsVerified => "ORIGINALS_VERIFIED",
            Self::OriginalsMismatch => "ORIGINALS_MISMATCH",
            Self::Processing => "PROCESSING",
            Self::ResultIssued => "RESULT_ISSUED",
            Self::Returned => "RETURNED",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dossier_codes_follow_unit_date_sequence() {
        let unit = UnitCode::parse("000.00.00.H26").unwrap();
        let code = DossierCode::new(&unit, date!(2026 - 03 - 07), 42);
        assert_eq!(code.as_str(), "000.00.00.H26-260307-0042");
        assert_eq!(
            DossierCode::new(&unit, date!(2026 - 03 - 07), 12345).as_str(),
            "000.00.00.H26-260307-12345"
        );
        assert!(UnitCode::parse("bad code").is_err());
        assert!(UnitCode::parse("").is_err());
    }
}
