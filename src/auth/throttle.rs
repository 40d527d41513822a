//! How repeated sign-in failures are slowed and then locked, per account and per address.
//!
//! Pure policy over a count of failures in a row; the rows live in `db`. The rules:
//! - the first [`FREE_FAILURES`] failures cost nothing;
//! - the next ones are **slowed**: the key waits 2 s, then 4 s before its next try;
//! - from the fifth on the key is **locked**: 1 minute, doubling with each further failure, at
//!   most [`MAX_LOCK`] (15 minutes). A lock always ends, and an attempt while locked is refused
//!   without being counted, so nobody can lock an account for longer than that by trying;
//! - a success clears the account's count; failures older than [`FORGET_AFTER`] are forgotten;
//! - an account's lock does not stop its owner signing in from the address of their last
//!   successful sign-in (the counter they always use): an attacker elsewhere cannot keep them
//!   out. The attacker's address meets its own, stricter-counted lock.

use std::time::Duration;

/// Failures in a row that cost nothing.
pub const FREE_FAILURES: u64 = 2;
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// A key's failures are forgotten this long after its last one.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// An address is counted this many failures' worth more leniently than an account: a counter
/// where many people sign in shares one address.
pub const ADDRESS_ALLOWANCE: u64 = 15;

/// Which kind of key a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// One username (whether or not an account has it: the answer must not say).
    Account,
    /// One client address.
    Address,
}

/// How long a key must wait after its `failures`-th failure in a row.
pub fn wait_after(kind: KeyKind, failures: u64) -> Duration {
    let failures = match kind {
        KeyKind::Account => failures,
        KeyKind::Address => failures.saturating_sub(ADDRESS_ALLOWANCE),
    };
    match failures {
        0..=FREE_FAILURES => Duration::ZERO,
        3 => Duration::from_secs(2),
        4 => Duration::from_secs(4),
        n => {
            let doublings = u32::try_from(n - 5).unwrap_or(u32::MAX).min(10);
            Duration::from_secs(60u64 << doublings).min(MAX_LOCK)
        }
    }
}

/// Whether a wait this long is a lock (reported and logged as one) rather than a slowing.
pub fn is_lock(wait: Duration) -> bool {
    wait >= Duration::from_secs(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_free_then_slowed_then_locked_at_most_fifteen_minutes() {
        let waits: Vec<u64> = (1..=12)
            .map(|n| wait_after(KeyKind::Account, n).as_secs())
            .collect();
        assert_eq!(waits, [0, 0, 2, 4, 60, 120, 240, 480, 900, 900, 900, 900]);
        assert_eq!(wait_after(KeyKind::Account, u64::MAX), MAX_LOCK);
        assert!(!is_lock(wait_after(KeyKind::Account, 4)));
        assert!(is_lock(wait_after(KeyKind::Account, 5)));
    }

    #[test]
    fn an_address_is_allowed_more_failures_than_one_account() {
        assert_eq!(wait_after(KeyKind::Address, 17), Duration::ZERO);
        assert_eq!(wait_after(KeyKind::Address, 20), Duration::from_secs(60));
    }
}
