//! The Tallinn storage port.
//!
//! `Ledger` exposes whole business operations (`add_need`, `allocate`,
//! `record_transaction`...). Each runs in one database transaction, enforces
//! the domain rules of `tallinn-core` on rows it has read (and, on
//! PostgreSQL, locked) in that transaction, and appends its audit entry before
//! committing. The operations are written once over the `sql::Backend` seam;
//! `tallinn-store-sqlite` and `tallinn-store-postgres` implement that seam
//! with their own migrations, and the `conformance` suite runs on both.

pub mod clock;
pub mod demo;
pub mod error;
mod ledger;
pub mod sql;
mod tx;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Result, StoreError};
pub use ledger::{
    Ledger,
    access::{AccessEntry, AccessRead, MAX_TOKEN_DAYS, TokenInfo},
    accounts::AccountChange,
    agreements::AgreementDraft,
    allocations::AllocationLine,
    audit::VerifyReport,
    deconfliction::{Duplicates, GAP_BY_WORDS, gap_by},
    fx::FxImportReport,
    needs::{NeedFilter, TriageDecision},
    proposals::Proposal,
    taxii::{
        ALIAS_PATTERN, Audience, COMMUNITY, Collection, NewCollection, ObjectCount, ObjectQuery, Page, Status, StatusDetail, StoredObject, UUID_PATTERN,
        VersionFilter, version_string,
    },
    transactions::TransactionFilter,
};
pub use tx::Tx;
