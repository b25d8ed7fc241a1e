//! Telling the truth about the store's availability, and failing fast while
//! it is away.
//!
//! Every backend call goes through [`Guarded`]. A call that fails because
//! the database is unreachable (`StoreError::Unavailable`) marks the store
//! *unreachable*: for the next second every call fails at once with the same
//! error (a clear 503, not a 30-second wait), then one call is let through to
//! try again, and the first that succeeds marks it reachable. A write refused
//! because the disk is full or the database read-only marks it *refusing
//! writes* until a write succeeds; reads go on. Each change is logged once,
//! when the outage starts and when it ends. `/readyz` reports [`Health`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::StoreError;
use crate::sql::{Backend, Connection, Dialect, Row, Value};

/// How long calls fail fast after the database was found unreachable,
/// before one is let through to try again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the store can do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Available,
    /// Reads work; writes are refused (the reason: out of space, read-only).
    RefusingWrites(String),
    Unreachable(String),
}

#[derive(Default)]
struct State {
    unreachable: Option<(String, Instant)>,
    refusing_writes: Option<String>,
    /// Opened read-only on purpose: refused writes are expected, not news.
    read_only: bool,
}

/// A backend whose failures are watched (see the module documentation).
pub struct Guarded {
    inner: std::sync::Arc<dyn Backend>,
    state: std::sync::Arc<Mutex<State>>,
}

impl Guarded {
    pub fn new(inner: std::sync::Arc<dyn Backend>) -> Guarded {
        let state = State { read_only: inner.is_read_only(), ..Default::default() };
        Guarded { inner, state: std::sync::Arc::new(Mutex::new(state)) }
    }

    pub fn health(&self) -> Health {
        watch(&self.state, |s| match (&s.unreachable, &s.refusing_writes) {
            (Some((reason, _)), _) => Health::Unreachable(reason.clone()),
            (None, Some(reason)) => Health::RefusingWrites(reason.clone()),
            (None, None) => Health::Available,
        })
    }

    /// Fails at once while the store was found unreachable less than
    /// `RETRY_AFTER` ago.
    fn check(&self) -> Result<(), StoreError> {
        watch(&self.state, |s| match &mut s.unreachable {
            Some((reason, since)) if since.elapsed() < RETRY_AFTER => Err(StoreError::Unavailable(reason.clone())),
            Some((_, since)) => {
                // Let this call try; the next ones wait another interval.
                *since = Instant::now();
                Ok(())
            }
            None => Ok(()),
        })
    }
}

fn watch<T>(state: &Mutex<State>, f: impl FnOnce(&mut State) -> T) -> T {
    // A poisoned lock only means another thread panicked while holding it;
    // the state itself is always whole.
    f(&mut state.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// Records the outcome of a call: `write` says whether it was a write.
fn observe<T>(state: &Mutex<State>, write: bool, result: Result<T, StoreError>) -> Result<T, StoreError> {
    watch(state, |s| match &result {
        Err(StoreError::Unavailable(reason)) if is_refusing_writes(reason) && s.read_only => {}
        Err(StoreError::Unavailable(reason)) if is_refusing_writes(reason) => {
            if s.refusing_writes.is_none() {
                tracing::error!(reason = %reason, "the store refuses writes");
            }
            s.refusing_writes = Some(reason.clone());
        }
        Err(StoreError::Unavailable(reason)) => {
            if s.unreachable.is_none() {
                tracing::error!(reason = %reason, "the store is unreachable; requests get 503 until it is back");
            }
            s.unreachable = Some((reason.clone(), Instant::now()));
        }
        Ok(_) => {
            if s.unreachable.take().is_some() {
                tracing::warn!("the store is reachable again");
            }
            if write && s.refusing_writes.take().is_some() {
                tracing::warn!("the store accepts writes again");
            }
        }
        Err(_) => {}
    });
    result
}

/// Whether an `Unavailable` reason is about writes only (the backends say
/// "out of space" or "read-only").
fn is_refusing_writes(reason: &str) -> bool {
    reason.contains("out of space") || reason.contains("read-only")
}

#[async_trait]
impl Backend for Guarded {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }

    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.check()?;
        observe(&self.state, true, self.inner.migrate().await)
    }

    async fn is_current(&self) -> Result<bool, StoreError> {
        self.check()?;
        observe(&self.state, false, self.inner.is_current().await)
    }

    async fn begin_write(&self) -> Result<Box<dyn Connection>, StoreError> {
        self.check()?;
        let conn = observe(&self.state, false, self.inner.begin_write().await)?;
        Ok(Box::new(GuardedConnection { inner: conn, state: self.state.clone(), wrote: false }))
    }

    async fn begin_read(&self) -> Result<Box<dyn Connection>, StoreError> {
        self.check()?;
        let conn = observe(&self.state, false, self.inner.begin_read().await)?;
        Ok(Box::new(GuardedConnection { inner: conn, state: self.state.clone(), wrote: false }))
    }

    async fn fetch_alone(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        self.check()?;
        observe(&self.state, false, self.inner.fetch_alone(sql, args).await)
    }

    async fn execute_alone(&self, sql: &str, args: Vec<Value>) -> Result<u64, StoreError> {
        self.check()?;
        observe(&self.state, true, self.inner.execute_alone(sql, args).await)
    }

    async fn backup_to(&self, target: &std::path::Path) -> Result<(), StoreError> {
        self.check()?;
        observe(&self.state, false, self.inner.backup_to(target).await)
    }

    async fn refresh_statistics(&self, table: &str) -> Result<(), StoreError> {
        self.check()?;
        observe(&self.state, false, self.inner.refresh_statistics(table).await)
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

struct GuardedConnection {
    inner: Box<dyn Connection>,
    state: std::sync::Arc<Mutex<State>>,
    /// Whether a statement that writes ran, so that its commit counts as
    /// a successful write.
    wrote: bool,
}

#[async_trait]
impl Connection for GuardedConnection {
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, StoreError> {
        self.wrote = true;
        observe(&self.state, false, self.inner.execute(sql, args).await)
    }

    async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        observe(&self.state, false, self.inner.fetch(sql, args).await)
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let GuardedConnection { inner, state, wrote } = *self;
        observe(&state, wrote, inner.commit().await)
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        let GuardedConnection { inner, state, .. } = *self;
        observe(&state, false, inner.rollback().await)
    }
}
