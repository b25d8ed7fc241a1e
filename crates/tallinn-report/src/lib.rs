//! Reports over the ledger, free of I/O.
//!
//! The store hands over [`Facts`] — exactly the records one reader may see,
//! filtered by the one visibility policy — and everything here is a pure
//! function of them: funding by dimension ([`funding()`]), coverage and gaps
//! ([`coverage`]), timing ([`timing`]), agreements ([`agreements`]), the
//! reconciliation with the public announcements ([`reconcile`]), SVG charts
//! ([`chart`]) and the IATI 2.03 activity file ([`iati`]).
//!
//! # Modules
//!
//! Reports, no I/O. `facts` (the records one reader may see, handed over by the store; flows in a
//! compact form, and `flow_visible`, the rule by which a flow inherits the visibility of the pledge
//! and need it is linked to); `funding` (committed, disbursed, spent by one dimension, announced
//! beside; pass-through counted once; pledge-level flows spread over needs by `apportion`, exact
//! largest-remainder division); `coverage` (and gaps), `timing` (medians over the stamped
//! lifecycle), `agreements`, `reconcile` (the ledger beside each announcement, with the
//! explanation), `overview` (all of them); `table` (rows as cells for CSV and tables); `chart` (our
//! own SVG); `iati` (the IATI 2.03 writer, quick-xml). Because every figure is a function of the
//! reader's facts alone, a reader's report is the report of the ledger restricted to that reader.
//! SVG charts live here, not in the web crate: the CLI and the API serve them too.

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
