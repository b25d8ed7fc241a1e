//! The Tallinn ledger domain, free of I/O.
//!
//! Everything here is plain data and pure functions: the vocabulary of the
//! mechanism (capabilities, sectors, urgencies, TLP levels), exact money and
//! currency conversion, the need and pledge lifecycles, the allocation
//! invariants, the visibility policy, the audit hash chain and the parsing of
//! outside input (ECB rate files, CSV imports). The store crates call these
//! functions inside their transactions so that every backend enforces the same
//! rules.
//!
//! # Modules
//!
//! The domain, no I/O. `vocabulary` (the closed word lists: capability, sector, urgency, statuses,
//! TLP, roles — one macro gives each `Display`, `FromStr`, serde and `ALL`); `money` (exact minor
//! units, ISO 4217) and `fx` (ECB CSV parsing, conversion with provenance); `need`, `review`,
//! `pledge`, `allocation`, `transaction`, `project`, `agreement` (records and their lifecycles:
//! `can_move_to` is the single transition table for each); `policy` (the one `may_see`); `audit`
//! (entry hash and the streaming chain verifier); `import` (CSV parsing that reports every bad
//! field of every row); `reference` (the facts of docs/product.md); `id` (`N-42` style ids);
//! `time`.

#[macro_use]
mod vocabulary;

pub mod agreement;
pub mod allocation;
pub mod audit;
pub mod auth;
pub mod error;
pub mod fx;
pub mod id;
pub mod import;
pub mod integer;
pub mod money;
pub mod need;
pub mod participant;
pub mod pledge;
pub mod policy;
pub mod project;
pub mod reference;
pub mod review;
pub mod testing;
pub mod text;
pub mod threat;
pub mod throttle;
pub mod time;
pub mod transaction;

pub use error::{DomainError, FieldError};
pub use id::{AgreementId, AllocationId, AnnouncementId, MilestoneId, NeedId, PledgeId, ProjectId, ProposalId, TransactionId};
pub use money::{Currency, Money};
pub use vocabulary::{Lifecycle, ParseVocabularyError};
