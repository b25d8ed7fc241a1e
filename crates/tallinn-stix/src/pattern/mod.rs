//! The STIX patterning language.

mod ast;
mod lexer;
mod parser;
mod printer;

pub use ast::{CompOp, Comparison, Literal, ObjectPath, Observation, PathStep, Pattern, Qualifier, Test};
pub use parser::{ParseError, parse, parse_version};

/// How deeply parentheses, brackets and qualifiers may nest in a pattern.
/// Real patterns nest a handful of levels; the bound keeps every walk of the
/// tree (printing, planning, matching, dropping) within a small stack
/// whatever a hostile pattern holds. Runs of AND, OR and FOLLOWEDBY are
/// flat and have no bound but the pattern's length.
pub const MAX_NESTING: usize = 100;

/// The STIX version a pattern and its observations are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StixVersion {
    /// STIX 2.0: observed-data objects with their observables embedded.
    V20,
    /// STIX 2.1: bundles of observed-data and the SCOs they reference.
    #[default]
    V21,
}

impl StixVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            StixVersion::V20 => "2.0",
            StixVersion::V21 => "2.1",
        }
    }
}

impl std::fmt::Display for StixVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StixVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2.0" => Ok(StixVersion::V20),
            "2.1" => Ok(StixVersion::V21),
            other => Err(format!("unknown STIX version '{other}' (expected 2.0 or 2.1)")),
        }
    }
}
