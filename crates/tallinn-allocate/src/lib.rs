//! The Tallinn allocation engine (docs/product.md: allocation): pure functions, no I/O.
//!
//! `parse_instance` reads the stable offline JSON format; `allocate` returns
//! the optimal allocation (exact for divisible needs), its objective, the LP
//! upper bound and gap when all-or-nothing needs are present, an explanation
//! of every allocation, and the unfunded gap ranked by urgency × threat.
//!
//! # Modules
//!
//! The allocation engine, no I/O. `model` (the stable offline JSON formats and their validation),
//! `simplex` (a LEMON-style primal network simplex on integer costs), `solve` (compression into
//! need classes, pledge classes and per-cell hub nodes; the exact LP; north-west-corner expansion
//! to (pledge, need) pairs; all-or-nothing rounding with the LP bound; explanations and the ranked
//! gap); `gaps` (gap analysis over needs, per need or grouped); `dedup` (multilingual
//! near-duplicate needs: transliteration with `deunicode`, a uk/fr/en concept glossary, blocking by
//! capability and sector, IDF-weighted overlap). Its property tests compare every result with an
//! independent successive-shortest-path solver on the uncompressed graph. `generate` makes the
//! deterministic instances of the benchmarks and tests, friendly and hard.

pub mod dedup;
pub mod gaps;
pub mod generate;
pub mod model;
pub mod simplex;
mod solve;

pub use model::{InputError, Instance, Solution, parse_instance};
pub use solve::{SCORE_SCALE, SolveError, allocate, allocate_pricing_in};
