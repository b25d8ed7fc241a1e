//! Matching patterns against observations, with the semantics of the OASIS
//! reference matcher (`stix2-matcher` 3.0.0) — except where it contradicts
//! the STIX 2.1 specification or cannot answer:
//!
//! # Divergences from the reference
//!
//! * **`EXISTS` / `NOT EXISTS`**: the reference cannot run them (its parser
//!   rejects `[EXISTS a:b]`, reading `EXISTSa`, and it has no `NOT EXISTS`,
//!   nor a matching rule for either). Here `EXISTS path` holds for an
//!   object whose path selects a value, and `NOT EXISTS path` for an object of
//!   the path's type whose path selects nothing (STIX 2.1 §9.5).
//! * **IPv6 `ISSUBSET` / `ISSUPERSET`**: the reference reads only IPv4 and
//!   raises an error on IPv6; here both families work (an IPv4 value is never
//!   in an IPv6 block, nor the reverse).
//! * **An address and its `/32` or `/128`**: for `ipv4-addr:value` and
//!   `ipv6-addr:value`, `=`, `!=` compare blocks, so `'198.51.100.1'` equals
//!   `'198.51.100.1/32'` as the specification's own example means; the
//!   reference compares the strings.
//! * **`/0` blocks** are valid CIDR blocks here; the reference rejects them.
//! * **LIKE and newlines**: `%` and `_` match any character including a
//!   newline, and the match covers the whole string; the reference translates
//!   LIKE to a Python regular expression whose `.` skips newlines and whose `$`
//!   also matches before a final newline.
//! * **MATCHES** uses the `regex` crate (PCRE-like syntax, linear time, size
//!   limited), so look-around and back-references are errors instead of
//!   being supported with exponential worst cases.
//! * **Which observations a match reports**: both report the observations of
//!   the first binding found, but the orders of search differ: the reference
//!   walks AND and FOLLOWEDBY operands diagonally, this matcher
//!   lexicographically (left operand first, observations in input order).
//!   When only one binding exists — as the reference's own tests arrange —
//!   they agree. For one observation expression they always agree: the
//!   reference lists the observations satisfying `a OR b` as those of `a`,
//!   then those only `b` adds, and so does this matcher (`Evaluator::rank`);
//!   inside compound patterns, candidates are taken in input order.
//! * **Input the reference corrupts**: given several 2.1 bundles, the
//!   reference appends the later bundles' objects to the first bundle's own
//!   list (its deep merge aliases it), so calling it twice on one list gives
//!   different answers. Input is never changed here.
//!
//! A binding may take at most [`MAX_BINDING_SIZE`] observations (e.g.
//! `REPEATS 256 TIMES`); larger patterns are an error, not a slow search.

mod compare;
pub mod json;
mod observations;
mod plan;
mod screen;
mod search;
mod set;
mod value;

/// The arena a [`Json`] tree lives in (re-exported, so that callers need
/// not depend on `bumpalo` themselves).
pub use bumpalo::Bump;
pub use json::{Json, SyntaxError};
pub use observations::Observations;
pub use plan::MAX_BINDING_SIZE;
pub use screen::Screen;
pub use set::PatternSet;

use smallvec::SmallVec;

use crate::pattern::{ParseError, Pattern, StixVersion, parse_version};

/// Why matching could not answer (the reference's `MatcherException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MatchError {
    pub message: String,
}

impl MatchError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        MatchError { message: message.into() }
    }
}

/// A pattern that does not parse, or that cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{0}")]
    Match(#[from] MatchError),
}

/// A pattern compiled for matching: comparisons resolved (literals, regular
/// expressions, CIDR blocks) and the observation structure planned.
#[derive(Debug)]
pub struct Matcher {
    version: StixVersion,
    plan: plan::Plan,
    leaves: Vec<compare::Expr>,
}

/// A successful match: the indexes (into the input's observations) of the
/// observed-data of the first binding, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Inline for the usual one or two: a stream of events against many
    /// indicators makes a match for nearly every hit, and an allocation
    /// each would cost more than finding it.
    observations: SmallVec<[usize; 2]>,
}

impl Match {
    pub(crate) fn one(observation: usize) -> Match {
        Match { observations: smallvec::smallvec![observation] }
    }

    /// The observations of the binding found, as indexes into the input's.
    pub fn observations(&self) -> &[usize] {
        &self.observations
    }
}

impl Matcher {
    /// Parses and compiles a pattern of the given STIX version.
    pub fn compile(src: &str, version: StixVersion) -> Result<Matcher, CompileError> {
        let pattern = parse_version(src, version)?;
        Ok(Matcher::new(&pattern, version)?)
    }

    pub fn new(pattern: &Pattern, version: StixVersion) -> Result<Matcher, MatchError> {
        let (plan, comparisons) = plan::Plan::new(pattern)?;
        let leaves = comparisons.iter().map(compare::compile).collect::<Result<_, _>>()?;
        Ok(Matcher { version, plan, leaves })
    }

    pub fn version(&self) -> StixVersion {
        self.version
    }

    /// Whether a binding may take more than one observation: the pattern
    /// joins observation expressions with `AND` or `FOLLOWEDBY`, or repeats
    /// one. Matched against a stream of events one at a time, such a
    /// pattern only matches across events (`tallinn-detect` keeps windows).
    pub fn spans_observations(&self) -> bool {
        self.plan.nodes.iter().any(|n| matches!(n, plan::Node::And(..) | plan::Node::FollowedBy(..) | plan::Node::Repeat(..)))
    }

    /// The `WITHIN` that bounds every binding, in microseconds: the
    /// pattern's outermost qualifier, when it is one.
    pub fn within(&self) -> Option<i64> {
        match self.plan.nodes[self.plan.root] {
            plan::Node::Within(_, micros) => Some(micros),
            _ => None,
        }
    }

    /// The most observations one binding takes (`REPEATS 5 TIMES` of an
    /// `AND` of two takes ten).
    pub fn binding_size(&self) -> u64 {
        // Nodes are pushed after their operands: one pass in order.
        let mut size = vec![0u64; self.plan.nodes.len()];
        for (i, node) in self.plan.nodes.iter().enumerate() {
            size[i] = match *node {
                plan::Node::Leaf(_) => 1,
                plan::Node::And(a, b) | plan::Node::FollowedBy(a, b) => size[a].saturating_add(size[b]),
                plan::Node::Or(a, b) => size[a].max(size[b]),
                plan::Node::Repeat(a, n) => size[a].saturating_mul(n),
                plan::Node::Within(a, _) | plan::Node::StartStop(a, _, _) => size[a],
            };
        }
        size[self.plan.root]
    }

    /// The observation expressions every binding must take, each with how
    /// many observations of it (by their place in
    /// [`Matcher::observation_expressions`]; what is under an `OR` is not
    /// required): a window that lacks one cannot match yet. Empty for a
    /// pattern of one observation expression.
    pub fn required(&self) -> &[(usize, u64)] {
        self.plan.mandatory.get(self.plan.root).map(Vec::as_slice).unwrap_or_default()
    }

    /// Each distinct observation expression (`[ … ]`) of the pattern
    /// `src`, compiled as a pattern of its own: what a stream matcher looks
    /// for in each event before it matches the whole pattern across events.
    pub fn observation_expressions(src: &str, version: StixVersion) -> Result<Vec<Matcher>, CompileError> {
        let pattern = parse_version(src, version)?;
        let (_, comparisons) = plan::Plan::new(&pattern)?;
        let one = |c: crate::pattern::Comparison| Matcher::new(&Pattern::Observation(crate::pattern::Observation(c)), version).map_err(CompileError::from);
        comparisons.into_iter().map(one).collect()
    }

    /// Matches the observations; `Ok(None)` when the pattern does not match.
    pub fn matches(&self, observations: &Observations<'_>) -> Result<Option<Match>, MatchError> {
        if observations.version != self.version {
            return Err(MatchError::new(format!("a STIX {} pattern cannot match STIX {} observations", self.version, observations.version)));
        }
        // Every comparison is evaluated on every observation first, so that
        // an error in the data is reported whatever the search would visit.
        if let plan::Node::Leaf(leaf) = self.plan.nodes[self.plan.root] {
            // One observation expression: the first observation satisfying
            // it in the reference's order (by index unless it has an OR).
            let expr = &self.leaves[leaf];
            let ranked = expr.has_or();
            let mut first: Option<(Vec<u32>, usize)> = None;
            for (i, obs) in observations.list.iter().enumerate() {
                let eval = compare::Evaluator { obs, version: self.version };
                if eval.holds(expr)? && (ranked || first.is_none()) {
                    let rank = if ranked { eval.rank(expr)? } else { Vec::new() };
                    if first.as_ref().is_none_or(|(best, _)| rank < *best) {
                        first = Some((rank, i));
                    }
                }
            }
            return Ok(first.map(|(_, i)| Match::one(i)));
        }
        let mut candidates = vec![Vec::new(); self.leaves.len()];
        for (i, obs) in observations.list.iter().enumerate() {
            let eval = compare::Evaluator { obs, version: self.version };
            for (leaf, expr) in self.leaves.iter().enumerate() {
                if eval.holds(expr)? {
                    candidates[leaf].push(i as u32);
                }
            }
        }
        let first: Vec<i64> = observations.list.iter().map(|o| o.first).collect();
        let last: Vec<i64> = observations.list.iter().map(|o| o.last).collect();
        let counts = observations.list.iter().map(|o| o.count).collect();
        let found = search::Search::new(&self.plan, &candidates, &first, &last, counts).run();
        Ok(found.map(|obs| Match { observations: obs.into_iter().map(|i| i as usize).collect() }))
    }
}

/// Parses `input` as what the reference's `match()` takes and matches it:
/// the ids of the matching observed-data (empty when there is no match).
pub fn match_json(pattern: &str, version: StixVersion, input: &[serde_json::Value]) -> Result<Option<Vec<Option<String>>>, CompileError> {
    let matcher = Matcher::compile(pattern, version)?;
    let arena = Bump::new();
    let observations = Observations::from_json(Json::from_values(input, &arena), version)?;
    Ok(matcher.matches(&observations)?.map(|m| m.observations().iter().map(|&i| observations.sdo_id(i).map(str::to_string)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_of_a_pattern_across_observations() {
        let m = |p: &str| Matcher::compile(p, StixVersion::V21).unwrap();
        let one = m("([ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.test']) WITHIN 5 SECONDS");
        assert!(!one.spans_observations(), "OR and WITHIN of single observations bind one");
        assert_eq!((one.binding_size(), one.within()), (1, Some(5_000_000)));
        let two = m("([ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.test']) WITHIN 10 SECONDS");
        assert!(two.spans_observations());
        assert_eq!((two.binding_size(), two.within()), (2, Some(10_000_000)));
        let many = m("([a:x = '1'] AND [b:y = '2']) REPEATS 5 TIMES");
        assert_eq!((many.binding_size(), many.within()), (10, None));
        let parts = Matcher::observation_expressions("[a:x = '1'] AND [b:y = '2'] AND [a:x = '1']", StixVersion::V21).unwrap();
        assert_eq!(parts.len(), 2, "a repeated observation expression is one part");
        assert!(parts.iter().all(|p| !p.spans_observations() && p.binding_size() == 1));
        let m3 = m("[a:x = '1'] AND ([b:y = '2'] OR [c:z = '3']) AND [a:x = '1']");
        assert_eq!(m3.required(), &[(0, 2)], "the first, twice; neither side of the OR");
    }
}
