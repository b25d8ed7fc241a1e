//! Many patterns against a stream of observations: an index finds the few
//! patterns an observation could match, and only those are matched.
//!
//! Each pattern gets anchors: facts without which it cannot match. A
//! comparison `type:path = 'literal'` (or `IN`) anchors on that value at that
//! path, `type:path ISSUBSET 'block'` on that block (an observed address is
//! looked up under each prefix length the set uses); any other test anchors
//! on its object type. AND needs only one
//! operand's anchors (the more selective), OR needs both operands'. A pattern
//! is tried on observations that carry one of its anchors; the answer is
//! always the full matcher's.

use std::collections::{HashMap, HashSet};

use super::compare::Evaluator;
use super::observations::type_of;
use super::plan::{Node, NodeId, Plan};
use super::value::Net;
use super::{Match, MatchError, Matcher, Observations};
use crate::pattern::{CompOp, Comparison, Literal, ObjectPath, PathStep, Test};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Anchor {
    /// An object of this type has this value (normalised) at this path.
    Value { path: usize, value: String },
    /// An object of this type exists.
    Type(String),
}

/// Patterns indexed for matching a stream of observations.
#[derive(Debug, Default)]
pub struct PatternSet {
    matchers: Vec<Matcher>,
    /// Distinct anchored paths, by index.
    paths: Vec<ObjectPath>,
    /// Per path, the prefix lengths of the blocks anchored on it.
    block_prefixes: HashMap<usize, Vec<u8>>,
    by_value: HashMap<(usize, String), Vec<u32>>,
    by_type: HashMap<String, Vec<u32>>,
}

impl PatternSet {
    pub fn new() -> Self {
        PatternSet::default()
    }

    pub fn len(&self) -> usize {
        self.matchers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// Adds a compiled pattern; its index is the order of addition.
    pub fn add(&mut self, matcher: Matcher) -> usize {
        let id = self.matchers.len() as u32;
        let anchors = self.anchors_of_node(&matcher.plan, matcher.plan.root);
        for a in anchors {
            match a {
                Anchor::Value { path, value } => self.by_value.entry((path, value)).or_default().push(id),
                Anchor::Type(t) => self.by_type.entry(t).or_default().push(id),
            }
        }
        self.matchers.push(matcher);
        id as usize
    }

    pub fn get(&self, i: usize) -> Option<&Matcher> {
        self.matchers.get(i)
    }

    /// Every pattern that matches the observations, with its match, and
    /// every pattern that could not be matched against them, with why; in
    /// the order the patterns were added.
    pub fn matching(&self, observations: &Observations<'_>) -> Vec<(usize, Result<Match, MatchError>)> {
        let mut candidates: HashSet<u32> = HashSet::new();
        for obs in &observations.list {
            let eval = Evaluator { obs, version: observations.version };
            for (_, root) in &obs.objects {
                let Some(ty) = type_of(root) else { continue };
                if let Some(ids) = self.by_type.get(ty) {
                    candidates.extend(ids);
                }
                for (p, path) in self.paths.iter().enumerate() {
                    if path.object_type != ty {
                        continue;
                    }
                    // A value the index cannot read is left to the matcher, which reports it.
                    for v in eval.select_strings(root, &path.steps).unwrap_or_default() {
                        if let Some(ids) = self.by_value.get(&(p, normalise(path, &v))) {
                            candidates.extend(ids);
                        }
                        let prefixes = self.block_prefixes.get(&p).map(Vec::as_slice).unwrap_or_default();
                        if let Some(net) = Some(v.as_str()).filter(|_| !prefixes.is_empty()).and_then(Net::parse) {
                            for &len in prefixes {
                                if let Some(ids) = net.widened(len).and_then(|block| self.by_value.get(&(p, block_key(block)))) {
                                    candidates.extend(ids);
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut ids: Vec<u32> = candidates.into_iter().collect();
        ids.sort_unstable();
        let mut out = Vec::new();
        for id in ids {
            let matcher = &self.matchers[id as usize];
            if matcher.version() != observations.version {
                continue;
            }
            match matcher.matches(observations) {
                Ok(None) => {}
                Ok(Some(m)) => out.push((id as usize, Ok(m))),
                Err(e) => out.push((id as usize, Err(e))),
            }
        }
        out
    }

    fn anchors_of_node(&mut self, plan: &Plan, n: NodeId) -> Vec<Anchor> {
        match plan.nodes[n] {
            Node::Leaf(l) => self.anchors_of_comparison(&plan.leaves[l]),
            Node::And(a, b) | Node::FollowedBy(a, b) => {
                let (a, b) = (self.anchors_of_node(plan, a), self.anchors_of_node(plan, b));
                more_selective(a, b)
            }
            Node::Or(a, b) => {
                let mut a = self.anchors_of_node(plan, a);
                a.extend(self.anchors_of_node(plan, b));
                a
            }
            Node::Repeat(a, _) | Node::Within(a, _) | Node::StartStop(a, _, _) => self.anchors_of_node(plan, a),
        }
    }

    fn anchors_of_comparison(&mut self, c: &Comparison) -> Vec<Anchor> {
        match c {
            Comparison::And(a, b) => {
                let (a, b) = (self.anchors_of_comparison(a), self.anchors_of_comparison(b));
                more_selective(a, b)
            }
            Comparison::Or(a, b) => {
                let mut a = self.anchors_of_comparison(a);
                a.extend(self.anchors_of_comparison(b));
                a
            }
            Comparison::Test(t) => self.anchors_of_test(t),
        }
    }

    fn path_index(&mut self, path: &ObjectPath) -> usize {
        match self.paths.iter().position(|x| x == path) {
            Some(p) => p,
            None => {
                self.paths.push(path.clone());
                self.paths.len() - 1
            }
        }
    }

    fn anchors_of_test(&mut self, t: &Test) -> Vec<Anchor> {
        if let Test::Compare { path, negated: false, op: CompOp::IsSubset, value: Literal::String(s) } = t
            && let Some(block) = Net::parse(s).filter(|_| Net::is_block(s))
        {
            let p = self.path_index(path);
            let prefixes = self.block_prefixes.entry(p).or_default();
            if !prefixes.contains(&block.prefix()) {
                prefixes.push(block.prefix());
            }
            return vec![Anchor::Value { path: p, value: block_key(block) }];
        }
        let values: Vec<&str> = match t {
            Test::Compare { negated: false, op: CompOp::Eq, value: Literal::String(s), .. } => vec![s],
            Test::In { negated: false, values, .. } if !values.is_empty() && values.iter().all(|v| matches!(v, Literal::String(_))) => {
                values.iter().filter_map(|v| if let Literal::String(s) = v { Some(s.as_str()) } else { None }).collect()
            }
            Test::Compare { path, .. } | Test::In { path, .. } | Test::Exists { path, .. } => return vec![Anchor::Type(path.object_type.clone())],
        };
        let path = match t {
            Test::Compare { path, .. } | Test::In { path, .. } | Test::Exists { path, .. } => path,
        };
        let p = self.path_index(path);
        values.into_iter().map(|v| Anchor::Value { path: p, value: normalise(path, v) }).collect()
    }
}

/// Value anchors beat type anchors; fewer beat more.
fn more_selective(a: Vec<Anchor>, b: Vec<Anchor>) -> Vec<Anchor> {
    let typed = |x: &[Anchor]| x.iter().filter(|a| matches!(a, Anchor::Type(_))).count();
    if (typed(&a), a.len()) <= (typed(&b), b.len()) { a } else { b }
}

/// Addresses are compared as blocks (see the matcher's divergences), so
/// their keys are the canonical block.
fn normalise(path: &ObjectPath, value: &str) -> String {
    let address = matches!(path.object_type.as_str(), "ipv4-addr" | "ipv6-addr") && path.steps == [PathStep::Key("value".into())];
    match Net::parse(value) {
        Some(net) if address => net.canonical(),
        _ => value.to_string(),
    }
}

/// Blocks share the value index, under keys no string value can have.
fn block_key(block: Net) -> String {
    format!("\u{0}block:{}", block.canonical())
}
