//! The Tallinn ledger domain, free of I/O.
//!
//! Everything here is plain data and pure functions: the vocabulary of the
//! mechanism (capabilities, sectors, urgencies, TLP levels), exact money and
//! currency conversion, the need and pledge lifecycles, the allocation
//! invariants, the visibility policy, the audit hash chain and the parsing of
//! outside input (ECB rate files, CSV imports). The store crates call these
//! functions inside their transactions so that every backend enforces the same
//! rules.

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
pub mod throttle;
pub mod time;
pub mod transaction;

pub use error::{DomainError, FieldError};
pub use money::{Currency, Money};
pub use vocabulary::{Lifecycle, ParseVocabularyError};
