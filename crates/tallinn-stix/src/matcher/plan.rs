//! The observation-level structure of a pattern, ready for the binding
//! search: leaves are the distinct comparison expressions, nodes the
//! operators and qualifiers over them.

use std::collections::HashMap;

use super::MatchError;
use super::value::parse_timestamp;
use crate::pattern::{Comparison, Pattern, Qualifier};

/// The most observations one binding may take. The search recurses once per
/// observation bound, so this also bounds its stack.
pub const MAX_BINDING_SIZE: u64 = 256;

pub(crate) type NodeId = usize;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// One `[ … ]`: the index of its comparison among the leaves.
    Leaf(usize),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    FollowedBy(NodeId, NodeId),
    /// `REPEATS n TIMES`: n disjoint bindings of the node.
    Repeat(NodeId, u64),
    /// `WITHIN`, in microseconds.
    Within(NodeId, i64),
    /// `START … STOP …`, in microseconds.
    StartStop(NodeId, i64, i64),
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
    /// For each node, the leaves every binding of it must bind, with how
    /// many times (what is under an OR is not mandatory); empty when the
    /// root is a leaf, which is matched without the search.
    pub(crate) mandatory: Vec<Vec<(usize, u64)>>,
}

impl Plan {
    /// The plan, and the distinct comparison expressions by leaf index (the
    /// matcher keeps them compiled, not as written).
    pub(crate) fn new(pattern: &Pattern) -> Result<(Plan, Vec<Comparison>), MatchError> {
        // Checked on the pattern first: the plan's walks recurse along AND
        // and FOLLOWEDBY chains, which this bounds.
        let size = pattern_binding_size(pattern);
        if size > MAX_BINDING_SIZE {
            return Err(MatchError::new(format!("this pattern binds up to {size} observations at once; the limit is {MAX_BINDING_SIZE}")));
        }
        let mut b = Builder::default();
        let root = b.node(pattern)?;
        // One observation expression is matched without the search, which
        // alone reads `mandatory` (most indicators: two allocations fewer).
        let mandatory = if matches!(b.nodes[root], Node::Leaf(_)) { Vec::new() } else { (0..b.nodes.len()).map(|n| b.mandatory(n)).collect() };
        Ok((Plan { mandatory, nodes: b.nodes, root }, b.leaves))
    }
}

/// The most observations a binding of `p` takes (saturating), read from
/// the pattern: its recursion follows the parentheses, which the parser
/// bounds.
fn pattern_binding_size(p: &Pattern) -> u64 {
    match p {
        Pattern::Observation(_) => 1,
        Pattern::And(operands) | Pattern::FollowedBy(operands) => operands.iter().fold(0, |n, o| n.saturating_add(pattern_binding_size(o))),
        Pattern::Or(operands) => operands.iter().map(pattern_binding_size).max().unwrap_or(0),
        Pattern::Qualified(inner, qualifiers) => qualifiers.iter().fold(pattern_binding_size(inner), |n, q| match q {
            Qualifier::Repeats(k) => n.saturating_mul(*k),
            _ => n,
        }),
    }
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    ids: HashMap<Node, NodeId>,
    leaves: Vec<Comparison>,
    /// Leaves by their printed form (printing is exact: equal text, equal tree).
    leaf_ids: HashMap<String, usize>,
}

impl Builder {
    fn push(&mut self, n: Node) -> NodeId {
        // Equal subtrees share one id, which lets AND find repeated operands.
        if let Some(&i) = self.ids.get(&n) {
            return i;
        }
        self.nodes.push(n.clone());
        self.ids.insert(n, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn node(&mut self, p: &Pattern) -> Result<NodeId, MatchError> {
        Ok(match p {
            Pattern::Observation(o) => {
                let next = self.leaves.len();
                let leaf = *self.leaf_ids.entry(o.0.to_string()).or_insert(next);
                if leaf == next {
                    self.leaves.push(o.0.clone());
                }
                self.push(Node::Leaf(leaf))
            }
            Pattern::And(operands) => {
                let operands = operands.iter().map(|o| self.node(o)).collect::<Result<Vec<_>, _>>()?;
                self.and_of(operands)
            }
            Pattern::Or(operands) => {
                let operands = operands.iter().map(|o| self.node(o)).collect::<Result<Vec<_>, _>>()?;
                self.balanced_or(&operands)
            }
            Pattern::FollowedBy(operands) => {
                // Left to right, as `(a FOLLOWEDBY b) FOLLOWEDBY c`; no longer
                // than the binding size allows.
                let ids = operands.iter().map(|o| self.node(o)).collect::<Result<Vec<_>, _>>()?;
                let mut acc = ids[0];
                for &id in &ids[1..] {
                    acc = self.push(Node::FollowedBy(acc, id));
                }
                acc
            }
            Pattern::Qualified(inner, qualifiers) => {
                let mut node = self.node(inner)?;
                for q in qualifiers {
                    node = self.qualify(node, q)?;
                }
                node
            }
        })
    }

    fn qualify(&mut self, inner: NodeId, q: &Qualifier) -> Result<NodeId, MatchError> {
        Ok(match q {
            Qualifier::Repeats(0) => return Err(MatchError::new("Invalid repetition count: 0")),
            Qualifier::Within(s) if *s <= 0.0 => return Err(MatchError::new(format!("Invalid WITHIN value (must be positive): {s}"))),
            Qualifier::Repeats(1) => inner,
            Qualifier::Repeats(n) => self.push(Node::Repeat(inner, *n)),
            Qualifier::Within(seconds) => self.push(Node::Within(inner, (seconds * 1e6).round() as i64)),
            Qualifier::StartStop(start, stop) => {
                let t = |s: &str| parse_timestamp(s).ok_or_else(|| MatchError::new(format!("Invalid timestamp format: {s}")));
                let (start, stop) = (t(start)?, t(stop)?);
                self.push(Node::StartStop(inner, start, stop))
            }
        })
    }

    /// OR of many operands as a balanced tree: the search tries them in the
    /// order written, as a chain would, but recurses only log₂(n) deep (an
    /// indicator may OR thousands of observations).
    fn balanced_or(&mut self, operands: &[NodeId]) -> NodeId {
        match operands {
            [one] => *one,
            _ => {
                let (left, right) = operands.split_at(operands.len() / 2);
                let (a, b) = (self.balanced_or(left), self.balanced_or(right));
                self.push(Node::Or(a, b))
            }
        }
    }

    /// AND is commutative for whether a binding exists and which
    /// observations it takes, so equal operands become one REPEATS, whose
    /// copies the search binds in order instead of in every order.
    fn and_of(&mut self, operands: Vec<NodeId>) -> NodeId {
        let mut groups: Vec<(NodeId, u64)> = Vec::new();
        for n in operands {
            match groups.iter_mut().find(|(g, _)| *g == n) {
                Some((_, count)) => *count += 1,
                None => groups.push((n, 1)),
            }
        }
        let mut acc: Option<NodeId> = None;
        for (n, count) in groups {
            let operand = if count == 1 { n } else { self.push(Node::Repeat(n, count)) };
            acc = Some(match acc {
                None => operand,
                Some(left) => self.push(Node::And(left, operand)),
            });
        }
        acc.expect("an AND has operands")
    }

    fn mandatory(&self, n: NodeId) -> Vec<(usize, u64)> {
        let mut out: Vec<(usize, u64)> = Vec::new();
        self.collect(n, 1, &mut out);
        out
    }

    fn collect(&self, n: NodeId, times: u64, out: &mut Vec<(usize, u64)>) {
        match self.nodes[n] {
            Node::Leaf(l) => match out.iter_mut().find(|(x, _)| *x == l) {
                Some((_, c)) => *c = c.saturating_add(times),
                None => out.push((l, times)),
            },
            Node::And(a, b) | Node::FollowedBy(a, b) => {
                self.collect(a, times, out);
                self.collect(b, times, out);
            }
            Node::Or(..) => {}
            Node::Repeat(a, k) => self.collect(a, times.saturating_mul(k), out),
            Node::Within(a, _) | Node::StartStop(a, _, _) => self.collect(a, times, out),
        }
    }
}
