//! The Tallinn storage seam: what a database backend implements for the
//! ledger (`tallinn-ledger`) to run on it.
//!
//! `sql` is the seam itself — `Backend` (migrations, read and write
//! transactions), `Connection` (one open transaction), the four value types
//! the ledger stores (`Value`), result rows (`Row`), what differs between the
//! two dialects at run time (`Dialect`), and the multi-row insert helpers —
//! and `error` the errors every layer above answers with. It knows nothing
//! of the ledger's operations: `tallinn-store-sqlite` and
//! `tallinn-store-postgres` depend on this crate only (ADR 0003).

pub mod error;
pub mod sql;

pub use error::{Result, StoreError};
