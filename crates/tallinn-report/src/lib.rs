//! Reports over the ledger, free of I/O.
//!
//! The store hands over [`Facts`] — exactly the records one reader may see,
//! filtered by the one visibility policy — and everything here is a pure
//! function of them: funding by dimension ([`funding()`]), coverage and gaps
//! ([`coverage`]), timing ([`timing`]), agreements ([`agreements`]), the
//! reconciliation with the public announcements ([`reconcile`]), SVG charts
//! ([`chart`]) and the IATI 2.03 activity file ([`iati`]).

pub mod agreements;
pub mod apportion;
pub mod chart;
pub mod coverage;
pub mod facts;
pub mod funding;
pub mod iati;
pub mod overview;
pub mod reconcile;
pub mod table;
pub mod timing;

pub use chart::ChartKind;
pub use facts::{Facts, Scope};
pub use funding::{By, FundingTable, funding};
pub use overview::{Overview, overview};
