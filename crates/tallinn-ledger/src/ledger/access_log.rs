//! How reads reach the access log: in groups — whatever reads are waiting
//! when the previous write commits go into the next transaction, so
//! concurrent readers share one commit instead of queueing for the store's
//! write lock one by one.
//!
//! On PostgreSQL up to four groups are committed at once (it commits them
//! in parallel); on SQLite one, while the next group gathers.
//!
//! Two modes. **Synchronous** (the default): each read waits until its
//! entries are committed, so no confidential read is ever answered
//! unlogged. **Buffered** (`tallinn serve --access-log-window MS`): TAXII
//! reads (the high-volume readers) do not wait; the writer gathers the reads
//! of a window of MS milliseconds into one commit. A crash can then lose at
//! most the last window's entries for reads already answered. Every other
//! read still waits. If a buffered commit fails, the logger falls back to
//! synchronous writes — each confidential read is answered only once its own
//! entry is committed, and refused when that fails — until a commit
//! succeeds again (fail closed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::Ledger;
use super::access::AccessRead;
use crate::StoreError;
use crate::error::Result;

/// The most reads written by one transaction.
const MAX_GROUP: usize = 10_000;

/// Why a group's commit failed, as every reader in the group is told.
#[derive(Debug, Clone)]
struct Failure {
    unavailable: bool,
    reason: String,
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> StoreError {
        if f.unavailable { StoreError::Unavailable(f.reason) } else { StoreError::Database(format!("access log: {}", f.reason)) }
    }
}

struct Pending {
    reads: Vec<AccessRead>,
    done: oneshot::Sender<std::result::Result<(), Failure>>,
}

/// The ledger's access-log writer (one per process; clones share it). Its
/// writer task starts with the first read.
#[derive(Clone, Default)]
pub struct AccessLogger {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Pending>>>,
    /// Zero: synchronous; else the buffered mode's window.
    window: Duration,
    /// A buffered commit failed and none has succeeded since.
    failing: Arc<AtomicBool>,
}

impl std::fmt::Debug for AccessLogger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLogger").field("window", &self.window).finish_non_exhaustive()
    }
}

impl AccessLogger {
    /// Every read waits for its entries' commit (the default).
    pub fn synchronous() -> AccessLogger {
        AccessLogger::default()
    }

    /// TAXII reads do not wait; their entries are committed every `window`.
    pub fn buffered(window: Duration) -> AccessLogger {
        AccessLogger { window, ..AccessLogger::default() }
    }

    /// A logger of the same mode with its own writer (another process).
    pub(crate) fn fresh(&self) -> AccessLogger {
        AccessLogger { window: self.window, ..AccessLogger::default() }
    }

    fn sender(&self, ledger: &Ledger) -> &mpsc::UnboundedSender<Pending> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // The writer holds a ledger with a logger of its own, not this
            // one: a writer that kept its own queue alive would never end.
            let writer = ledger.with_access_log(AccessLogger::synchronous());
            tokio::spawn(write_groups(writer, rx, self.window, self.failing.clone()));
            tx
        })
    }

    /// Logs `reads` (those of logged levels). Returns once they are
    /// committed, unless `may_buffer` and the logger is buffered (and its
    /// commits succeed).
    pub(crate) async fn log(&self, ledger: &Ledger, reads: Vec<AccessRead>, may_buffer: bool) -> Result<()> {
        let reads: Vec<AccessRead> = reads.into_iter().filter(|r| r.tlp.is_logged_on_read()).collect();
        if reads.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        if let Err(mpsc::error::SendError(p)) = self.sender(ledger).send(Pending { reads, done }) {
            // The writer is gone (its runtime ended): write directly.
            return ledger.log_reads(p.reads).await;
        }
        if may_buffer && !self.window.is_zero() && !self.failing.load(Ordering::Acquire) {
            return Ok(());
        }
        settled(wait).await
    }

    /// Returns once every read logged so far is committed (at shutdown).
    pub async fn flush(&self) -> Result<()> {
        let Some(queue) = self.queue.get() else { return Ok(()) };
        let (done, wait) = oneshot::channel();
        if queue.send(Pending { reads: Vec::new(), done }).is_err() {
            return Ok(());
        }
        settled(wait).await
    }
}

async fn settled(wait: oneshot::Receiver<std::result::Result<(), Failure>>) -> Result<()> {
    match wait.await {
        Ok(result) => result.map_err(StoreError::from),
        Err(_) => Err(StoreError::Database("access log writer stopped".into())),
    }
}

async fn write_groups(ledger: Ledger, mut rx: mpsc::UnboundedReceiver<Pending>, window: Duration, failing: Arc<AtomicBool>) {
    // Groups committed at once: the backend's `parallel_writes`. On
    // PostgreSQL one group at a time made readers wait for the group before
    // theirs; on SQLite more than one only contend for its write lock.
    let writers = ledger.backend().dialect().parallel_writes.max(1);
    let slots = Arc::new(Semaphore::new(writers));
    while let Some(first) = rx.recv().await {
        // Buffered: let the window's reads gather (not while failing, when
        // each reader is waiting for its own commit).
        if !window.is_zero() && !failing.load(Ordering::Acquire) {
            tokio::time::sleep(window).await;
        }
        // While every slot is busy, reads gather into the next group.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut group = vec![first];
        let mut count = group[0].reads.len();
        while count < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => {
                    count += p.reads.len();
                    group.push(p);
                }
                Err(_) => break,
            }
        }
        if group.iter().any(|p| p.reads.is_empty()) {
            // A flush is answered once every group before it is committed.
            let Ok(rest) = slots.clone().acquire_many_owned(writers as u32 - 1).await else { return };
            write_group(&ledger, group, window, &failing).await;
            drop((slot, rest));
        } else {
            let (ledger, failing) = (ledger.clone(), failing.clone());
            tokio::spawn(async move {
                write_group(&ledger, group, window, &failing).await;
                drop(slot);
            });
        }
    }
}

/// Commits one group's reads and answers each reader with the outcome.
async fn write_group(ledger: &Ledger, group: Vec<Pending>, window: Duration, failing: &AtomicBool) {
    let reads: Vec<AccessRead> = group.iter().flat_map(|p| p.reads.iter().cloned()).collect();
    let result = if reads.is_empty() {
        Ok(())
    } else {
        ledger.log_reads(reads).await.map_err(|e| Failure { unavailable: matches!(e, StoreError::Unavailable(_)), reason: e.to_string() })
    };
    match &result {
        Ok(()) => failing.store(false, Ordering::Release),
        Err(e) => {
            if !window.is_zero() {
                tracing::error!(error = %e.reason, "access log: a buffered commit failed; confidential reads now wait for their own commit");
            }
            failing.store(true, Ordering::Release);
        }
    }
    for p in group {
        let _ = p.done.send(result.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tallinn_core::policy::{Principal, Tlp};

    use super::*;
    use crate::Via;

    async fn ledger(log: AccessLogger) -> (Ledger, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let ledger = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap())).with_access_log(log);
        ledger.init().await.unwrap();
        (ledger, dir)
    }

    fn reads(n: usize, tlp: Tlp) -> Vec<AccessRead> {
        (0..n).map(|i| AccessRead { actor: "analyst".into(), via: Via::Taxii, entity: "stix".into(), id: format!("indicator--{i}"), tlp }).collect()
    }

    async fn logged(ledger: &Ledger) -> usize {
        ledger.access_log(&Principal::System, 1000).await.unwrap().len()
    }

    #[tokio::test]
    async fn synchronous_reads_are_committed_before_the_answer() {
        let (ledger, _dir) = ledger(AccessLogger::synchronous()).await;
        let log = ledger.access_logger();
        log.log(&ledger, reads(3, Tlp::Amber), true).await.unwrap();
        assert_eq!(logged(&ledger).await, 3);
        log.log(&ledger, reads(5, Tlp::Green), true).await.unwrap();
        assert_eq!(logged(&ledger).await, 3, "GREEN reads are not logged");
    }

    #[tokio::test]
    async fn buffered_reads_are_all_committed_by_a_flush() {
        let (ledger, _dir) = ledger(AccessLogger::buffered(Duration::from_millis(20))).await;
        let log = ledger.access_logger();
        for _ in 0..10 {
            log.log(&ledger, reads(2, Tlp::Red), true).await.unwrap();
        }
        log.flush().await.unwrap();
        assert_eq!(logged(&ledger).await, 20);
    }

    #[tokio::test]
    async fn reads_that_may_not_be_buffered_wait_for_their_commit() {
        let (ledger, _dir) = ledger(AccessLogger::buffered(Duration::from_millis(20))).await;
        ledger.access_logger().log(&ledger, reads(2, Tlp::Red), false).await.unwrap();
        assert_eq!(logged(&ledger).await, 2);
    }

    #[tokio::test]
    async fn a_failed_buffered_commit_makes_reads_wait_and_fail_closed() {
        let (ledger, _dir) = ledger(AccessLogger::buffered(Duration::from_millis(5))).await;
        let log = ledger.access_logger();
        log.log(&ledger, reads(1, Tlp::Amber), true).await.unwrap();
        log.flush().await.unwrap();
        // The store goes away: the buffered read is answered, its commit
        // fails, and from then on each read waits for its own commit.
        ledger.backend().close().await;
        log.log(&ledger, reads(1, Tlp::Amber), true).await.unwrap();
        assert!(log.flush().await.is_err());
        assert!(log.log(&ledger, reads(1, Tlp::Amber), true).await.is_err(), "refused: its entry could not be written");
    }
}
