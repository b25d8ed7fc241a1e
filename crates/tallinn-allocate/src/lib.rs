//! The Tallinn allocation engine (SPEC §3): pure functions, no I/O.
//!
//! `parse_instance` reads the stable offline JSON format; `allocate` returns
//! the optimal allocation (exact for divisible needs), its objective, the LP
//! upper bound and gap when all-or-nothing needs are present, an explanation
//! of every allocation, and the unfunded gap ranked by urgency × threat.

pub mod dedup;
pub mod gaps;
pub mod model;
pub mod simplex;
mod solve;

pub use model::{InputError, Instance, Solution, parse_instance};
pub use solve::{SCORE_SCALE, SolveError, allocate};
