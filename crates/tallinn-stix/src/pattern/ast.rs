//! The pattern syntax tree.

/// A whole pattern: observation expressions joined by AND, OR and
/// FOLLOWEDBY (in increasing order of looseness), with qualifiers.
///
/// A run of one operator at one level (`a OR b OR c`) is one node with its
/// operands in order (at least two), so a long flat expression is a wide
/// tree, not a deep one; only parentheses nest, and the parser bounds them
/// ([`MAX_NESTING`](super::MAX_NESTING)). Every walk of the tree may
/// therefore recurse: its depth is bounded, whatever the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `[ comparison ]`
    Observation(Observation),
    And(Vec<Pattern>),
    Or(Vec<Pattern>),
    FollowedBy(Vec<Pattern>),
    /// An observation or a parenthesised group with its qualifiers, in the
    /// order written (at least one).
    Qualified(Box<Pattern>, Vec<Qualifier>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS` (n > 0, integer or decimal)
    Within(f64),
    /// `REPEATS n TIMES` (n > 0)
    Repeats(u64),
    /// `START t'…' STOP t'…'`
    StartStop(String, String),
}

/// The comparison expression inside one pair of brackets.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation(pub Comparison);

#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// Two or more operands, in order (as `Pattern`'s runs).
    And(Vec<Comparison>),
    Or(Vec<Comparison>),
    Test(Test),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompOp {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
}

impl CompOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompOp::Eq => "=",
            CompOp::Neq => "!=",
            CompOp::Lt => "<",
            CompOp::Le => "<=",
            CompOp::Gt => ">",
            CompOp::Ge => ">=",
            CompOp::Like => "LIKE",
            CompOp::Matches => "MATCHES",
            CompOp::IsSubset => "ISSUBSET",
            CompOp::IsSuperset => "ISSUPERSET",
        }
    }
}

/// One property test.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Compare { path: ObjectPath, negated: bool, op: CompOp, value: Literal },
    In { path: ObjectPath, negated: bool, values: Vec<Literal> },
    Exists { path: ObjectPath, negated: bool },
}

/// `type:first.step[0].'quoted'[*]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(i64),
    AnyIndex,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    /// `b'…'` (base64)
    Binary(Vec<u8>),
    /// `h'…'`
    Hex(Vec<u8>),
    /// `t'…'`, kept as written (validated RFC 3339 UTC)
    Timestamp(String),
}
