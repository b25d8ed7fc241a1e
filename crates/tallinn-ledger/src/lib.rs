//! The Tallinn ledger: the application layer.
//!
//! `Ledger` exposes whole business operations (`add_need`, `allocate`,
//! `record_transaction`...). Each runs in one database transaction, enforces
//! the domain rules of `tallinn-core` on rows it has read (and, on
//! PostgreSQL, locked) in that transaction, and appends its audit entry before
//! committing. The operations are written once over the `sql::Backend` seam
//! (the crate `tallinn-store`, re-exported here as `sql` and `error`);
//! `tallinn-store-sqlite` and `tallinn-store-postgres` implement that seam
//! with their own migrations, and the conformance suite (`tallinn-store-conformance`,
//! a dev-only crate) runs on both.
//!
//! # Modules
//!
//! `sql` is the seam a backend implements (`tallinn-store`: `Backend`, `Connection`, four-type
//! `Value`, `Row`, `Dialect`, `insert_many`); `tx::Tx` is one operation's transaction (actor, time,
//! audit append, commit-or-rollback, and a guard that refuses to commit a change without an audit
//! entry); `ledger/*` are the operations by area; `batch::Batch` runs several of them in one
//! transaction at chosen times (how `tallinn-demo` seeds its history); the behaviour suite every backend runs is the crate
//! `tallinn-store-conformance`. `ledger/snapshot` keeps the needs in memory per process, keyed by the ledger
//! version (`audit_head.seq`, advanced by every change in its transaction), so reads are served
//! from memory yet exactly as fresh as the tables, on any number of processes. `ledger/access`
//! holds API tokens (SHA-256 only), sessions, sign-in failures and the access log, which
//! `ledger/access_log` writes by group commit; `ledger/view` is what one reader is shown through
//! one interface — the reads that write their confidential records to that log themselves,
//! with the catalogue's search, orders and pages (ADR 0025);
//! `ledger/accounts` password changes, disabling and removal (ADR 0013); `ledger/deconfliction`
//! runs dedup and gap analysis over what a reader may see (shared by CLI and API). `ledger/reports`
//! builds a reader's report facts in one read snapshot; its `FlowsSnapshot` keeps the flows in
//! memory per process, keyed by the ledger version, read from `ledger/flow_chunks`: every
//! transaction is also one line of text appended, in the same database transaction as its row, to a
//! chunk of 256 (`flow_chunks`, migration 0008), so a new process reads a few thousand rows of text
//! instead of a row per transaction, and a refresh re-reads only the chunks whose count moved
//! (flows are never updated or deleted; a lower id committed late on PostgreSQL grows an earlier
//! chunk). The first read checks the chunks against `COUNT(*)` of `transactions`; on disagreement
//! the process warns and reads the table itself. `ledger/taxii` is the threat exchange's store:
//! `collections` (audiences, lookup by id or alias, the `community` collection made by `init`),
//! `ingest` (one transaction per upload under the collection's lock: strict reading,
//! object-by-object validation and marking resolution, versions per producing organisation
//! (lineages; another organisation's copy of an owned id is private to it), first/latest flags per
//! lineage, `date_added` unique and growing in commit order, the status, one audit entry), `read`
//! (pages with the TAXII filters and the `date_added` cursor; the visibility policy as SQL so pages
//! stay full and flat, then `may_see` again on every row; status; deletion by the creator's
//! organisation). `ledger/proposals` builds the engine's instance from the ledger (visibility and
//! reservations become donor restrictions) and saves and applies proposals.

pub mod archive;
pub mod availability;
mod batch;
pub mod clock;
mod ledger;
pub mod statistics;
mod tx;

pub use batch::Batch;
pub use clock::{Clock, ManualClock, SystemClock};
pub use ledger::{
    Ledger,
    access::{AccessEntry, AccessRead, MAX_TOKEN_DAYS, TokenInfo, Via},
    access_log::AccessLogger,
    accounts::AccountChange,
    agreements::AgreementDraft,
    allocations::AllocationLine,
    audit::VerifyReport,
    deconfliction::{Duplicates, GAP_BY_WORDS, gap_by},
    fx::FxImportReport,
    needs::{NeedDetails, NeedFilter, TriageDecision},
    proposals::Proposal,
    taxii::{
        ALIAS_PATTERN, Audience, COMMUNITY, Collection, NewCollection, ObjectCount, ObjectQuery, Page, Status, StatusDetail, StoredObject, UUID_PATTERN,
        VersionFilter, version_string,
    },
    transactions::TransactionFilter,
    view::{Keyset, Listed, NeedOrder, NeedSearch, View, keyset_page},
};
pub use tallinn_store::{Result, StoreError, args, error, sql};
pub(crate) use tx::Tx;
