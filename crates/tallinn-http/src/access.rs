//! The access log for high-volume readers (TAXII clients): reads are
//! written in groups — whatever requests are waiting when the previous
//! write commits go into the next transaction — and each response waits
//! until its reads are committed. Nothing is lost or deferred past the
//! response; concurrent clients share one commit instead of queueing for
//! the store's write lock one by one.

use std::sync::{Arc, OnceLock};

use tallinn_store::{AccessRead, Ledger};
use tokio::sync::{mpsc, oneshot};

/// The most reads written by one transaction.
const MAX_GROUP: usize = 10_000;

struct Pending {
    reads: Vec<AccessRead>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Shared by every handler; the writer task starts with the first read.
#[derive(Clone, Default)]
pub struct AccessLogger {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Pending>>>,
}

impl AccessLogger {
    fn sender(&self, ledger: &Ledger) -> &mpsc::UnboundedSender<Pending> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_groups(ledger.clone(), rx));
            tx
        })
    }

    /// Logs `reads` (those of logged levels) and returns once they are
    /// committed.
    pub async fn log(&self, ledger: &Ledger, reads: Vec<AccessRead>) -> tallinn_store::Result<()> {
        let reads: Vec<AccessRead> = reads.into_iter().filter(|r| r.tlp.is_logged_on_read()).collect();
        if reads.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        if let Err(mpsc::error::SendError(p)) = self.sender(ledger).send(Pending { reads, done }) {
            // The writer is gone (its runtime ended): write directly.
            return ledger.log_reads(p.reads).await;
        }
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(tallinn_store::StoreError::Database(format!("access log: {e}"))),
            Err(_) => Err(tallinn_store::StoreError::Database("access log writer stopped".into())),
        }
    }
}

async fn write_groups(ledger: Ledger, mut rx: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = rx.recv().await {
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
        let reads: Vec<AccessRead> = group.iter().flat_map(|p| p.reads.iter().cloned()).collect();
        let result = ledger.log_reads(reads).await.map_err(|e| e.to_string());
        for p in group {
            let _ = p.done.send(result.clone());
        }
    }
}
