//! The memory a node lends to work on untrusted documents (reading PDFs, verifying signatures,
//! decoding scans), shared by every request, so that what hostile files make a node do at once
//! is bounded by memory, not only by the number of requests.
//!
//! Each piece of work says up front what it may need at most (its budget, derived from the
//! parsers' own budgets: `pdf::read::working_set`, the scan decoder's pixel budgets) and holds
//! that much of the gate while it runs, off the async workers. Work that cannot get its share
//! within a short wait is refused as busy (the caller answers `503` with `Retry-After`), work that
//! could never fit is refused as too large; neither has allocated anything.
//!
//! Owns: the semaphore (in MiB) and the wait. Never does: I/O, or decide what work costs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

const MIB: u64 = 1024 * 1024;

/// What a node lends by default: eight hostile documents at once must not raise its memory by
/// more than this (issue 13); a real document needs a few MiB, a 100 MiB scan a few hundred.
pub const DEFAULT_DOCUMENT_MEMORY: u64 = 256 * MIB;
/// How long work waits for its share by default before it is refused as busy.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// The node's budget for work on untrusted documents.
#[derive(Debug, Clone)]
pub struct WorkGate {
    permits: Arc<Semaphore>,
    total_mib: u32,
    wait: Duration,
}

/// Why work was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    /// The work may need more memory than the whole gate lends.
    #[error(
        "the document needs up to {needed_mib} MiB to process, more than this node allows ({total_mib} MiB)"
    )]
    TooLarge {
        /// What the work asked for.
        needed_mib: u64,
        /// The gate's size.
        total_mib: u32,
    },
    /// The gate stayed full for the whole wait.
    #[error("the node is busy with other documents; retry in {retry_after} s")]
    Busy {
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// The work itself panicked or was cancelled (a bug: reported as an internal error).
    #[error("the document work failed: {0}")]
    Failed(String),
}

impl WorkGate {
    /// A gate lending `total_bytes` (at least 1 MiB), where work waits at most `wait` for its
    /// share.
    pub fn new(total_bytes: u64, wait: Duration) -> Self {
        let total_mib = u32::try_from((total_bytes / MIB).max(1)).unwrap_or(u32::MAX);
        Self {
            permits: Arc::new(Semaphore::new(total_mib as usize)),
            total_mib,
            wait,
        }
    }

    /// The gate's size, in MiB.
    pub fn total_mib(&self) -> u32 {
        self.total_mib
    }

    /// MiB lent right now.
    pub fn in_use_mib(&self) -> u32 {
        self.total_mib
            .saturating_sub(u32::try_from(self.permits.available_permits()).unwrap_or(u32::MAX))
    }

    /// Runs `work` on a blocking thread once `bytes` of the gate are free, holding them until it
    /// ends.
    pub async fn run<T, F>(&self, bytes: u64, work: F) -> Result<T, GateError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let needed_mib = bytes.div_ceil(MIB).max(1);
        if needed_mib > u64::from(self.total_mib) {
            return Err(GateError::TooLarge {
                needed_mib,
                total_mib: self.total_mib,
            });
        }
        let permits = u32::try_from(needed_mib).unwrap_or(u32::MAX);
        let share =
            tokio::time::timeout(self.wait, self.permits.clone().acquire_many_owned(permits))
                .await
                .map_err(|_| GateError::Busy {
                    retry_after: self.wait.as_secs().max(1),
                })?
                .map_err(|_| GateError::Failed("the gate is closed".into()))?;
        let outcome = tokio::task::spawn_blocking(move || {
            let _share = share;
            work()
        })
        .await;
        outcome.map_err(|e| GateError::Failed(e.to_string()))
    }

    /// Like [`WorkGate::run`], where what the work needs is measured from its input first
    /// (`cost`, on a blocking thread too, holding nothing: it may read the whole input).
    pub async fn run_costed<I, T, C, F>(&self, input: I, cost: C, work: F) -> Result<T, GateError>
    where
        I: Send + 'static,
        T: Send + 'static,
        C: FnOnce(&I) -> u64 + Send + 'static,
        F: FnOnce(I) -> T + Send + 'static,
    {
        let (input, needed) = tokio::task::spawn_blocking(move || {
            let needed = cost(&input);
            (input, needed)
        })
        .await
        .map_err(|e| GateError::Failed(e.to_string()))?;
        self.run(needed, move || work(input)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_larger_than_the_gate_is_refused_without_running() {
        let gate = WorkGate::new(8 * MIB, Duration::from_millis(10));
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let outcome = gate
            .run(9 * MIB, move || {
                flag.store(true, std::sync::atomic::Ordering::SeqCst)
            })
            .await;
        assert_eq!(
            outcome,
            Err(GateError::TooLarge {
                needed_mib: 9,
                total_mib: 8
            })
        );
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn work_waits_for_its_share_and_is_busy_when_the_wait_runs_out() {
        let gate = WorkGate::new(8 * MIB, Duration::from_millis(50));
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let holder = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(6 * MIB, move || release.recv().ok()).await })
        };
        while gate.in_use_mib() < 6 {
            tokio::task::yield_now().await;
        }
        // 2 MiB fit beside the 6 held; 3 do not, and the wait runs out.
        assert_eq!(gate.run(2 * MIB, || 2).await, Ok(2));
        assert_eq!(
            gate.run(3 * MIB, || 3).await,
            Err(GateError::Busy { retry_after: 1 })
        );
        hold.send(()).unwrap();
        holder.await.unwrap().unwrap();
        assert_eq!(gate.run(8 * MIB, || 8).await, Ok(8));
        assert_eq!(gate.in_use_mib(), 0);
    }
}
