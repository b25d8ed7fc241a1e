//! Store errors: a domain rule refused the operation, or the database failed.

use tallinn_core::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A ledger rule refused the operation; nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A CSV import found bad rows; nothing was written.
    #[error(transparent)]
    Import(#[from] tallinn_core::import::ImportErrors),
    /// The database refused a write because of a constraint (a last line of
    /// defence behind the domain checks).
    #[error("the database refused the change: {0}")]
    Constraint(String),
    /// The store could not be reached or failed.
    #[error("database error: {0}")]
    Database(String),
    /// The store cannot serve the request now: it is unreachable, out of
    /// space, or read-only. Nothing was written; trying again later may
    /// succeed (`tallinn_ledger::availability`).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A row could not be decoded: the database was edited by hand.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<tallinn_core::FieldError> for StoreError {
    fn from(e: tallinn_core::FieldError) -> Self {
        StoreError::Domain(e.into())
    }
}

impl StoreError {
    /// Errors caused by the caller's input (as opposed to the system).
    pub fn is_client_error(&self) -> bool {
        matches!(self, StoreError::Domain(_) | StoreError::Import(_) | StoreError::Constraint(_))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
