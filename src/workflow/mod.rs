//! The dossier workflow of Decree 45/2020/ND-CP (one-stop administrative procedures): which
//! moves between states are legal and who may make them (`lifecycle`), and how working-day
//! deadlines are counted (`calendar`).
//!
//! Owns: the rules, as pure functions over domain values. Never reaches: the database, the object
//! store, HTTP or the clock. Callers load the current state, ask these modules, and record the
//! outcome in one transaction; "now" and "today" are always passed in.

pub mod calendar;
pub mod lifecycle;

pub use calendar::{Calendar, CalendarError, VIETNAM_OFFSET, is_overdue};
pub use lifecycle::{Actor, MAX_REASON_CHARS, TransitionError};
