//! Comparison expressions (what is inside one pair of brackets), compiled
//! once and evaluated against each object of an observation.
//!
//! A comparison holds for an observation when one object of the observation
//! (the "root") satisfies it: `AND` needs both sides on the same root, a
//! property test holds when any value its path selects passes (after `NOT`),
//! and a root whose path selects nothing passes no test but `NOT EXISTS`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;

use base64::Engine;
use std::sync::{Arc, OnceLock};

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use unicode_normalization::UnicodeNormalization;

use super::MatchError;
use super::json::Json;
use super::observations::{Observation, is_non_observable, type_of};
use super::value::{Lit, Net, Val, bytes_of, equal, member, order, parse_timestamp, text_of};
use crate::pattern::{CompOp, Comparison, Literal, ObjectPath, PathStep, StixVersion, Test};

/// Compiled regular expressions stay small and run in linear time (the
/// engine never backtracks), so no pattern can stall the matcher. Only the
/// lazy DFA is used: a full DFA would make compiling a pattern cost more
/// than matching it thousands of times.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Only `is_match` is ever asked, so no capture groups are compiled and
/// only the engines that answer it are built (the lazy DFA, the PikeVM when
/// it gives up): a pattern is compiled for every batch line, so this is
/// most of what building one costs.
fn regex_config() -> meta::Config {
    meta::Config::new()
        .dfa(false)
        .onepass(false)
        .backtrack(false)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid_cache_capacity(REGEX_SIZE_LIMIT)
}

/// The most values one path may select from one root object.
const MAX_SELECTED: usize = 1 << 16;

#[derive(Debug)]
pub(crate) enum Expr {
    /// Two or more operands, as the pattern's runs (nested no deeper than
    /// the pattern's parentheses, which the parser bounds).
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Test(PropTest),
}

impl Expr {
    pub(crate) fn has_or(&self) -> bool {
        match self {
            Expr::And(operands) => operands.iter().any(Expr::has_or),
            Expr::Or(..) => true,
            Expr::Test(_) => false,
        }
    }
}

#[derive(Debug)]
pub(crate) struct PropTest {
    pub(crate) path: ObjectPath,
    negated: bool,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Equal { lit: Lit, as_address: bool },
    NotEqual { lit: Lit, as_address: bool },
    Order(CompOp, Lit),
    In(Vec<Lit>),
    Like(Vec<LikeTok>),
    Matches { text: Arc<Regex>, source: String, binary: OnceLock<Option<Regex>> },
    IsSubset(String),
    IsSuperset(String),
    Exists,
}

/// What the pattern index can key a test on (see `set`).
pub(crate) enum IndexKey<'e> {
    /// `path = 'string'`.
    Equal(&'e str),
    /// `path IN ('string', …)`.
    In(Vec<&'e str>),
    /// `path ISSUBSET 'block'` (the operand as written).
    Subset(&'e str),
    /// `LIKE` or `MATCHES`: a string the test holds for contains one of
    /// these (in Unicode NFC, as the test reads it).
    Contains(Vec<Vec<u8>>),
    /// Anything else, or negated.
    None,
}

impl PropTest {
    pub(crate) fn index_key(&self) -> IndexKey<'_> {
        if self.negated {
            return IndexKey::None;
        }
        match &self.kind {
            Kind::Equal { lit: Lit::Text(s), .. } => IndexKey::Equal(s),
            Kind::In(set) if !set.is_empty() => {
                let texts: Vec<&str> = set.iter().filter_map(|l| if let Lit::Text(s) = l { Some(s.as_str()) } else { None }).collect();
                if texts.len() == set.len() { IndexKey::In(texts) } else { IndexKey::None }
            }
            Kind::IsSubset(block) => IndexKey::Subset(block),
            Kind::Like(tokens) => like_literal(tokens).map_or(IndexKey::None, |literal| IndexKey::Contains(vec![literal])),
            Kind::Matches { source, .. } => regex_literals(source).map_or(IndexKey::None, IndexKey::Contains),
            _ => IndexKey::None,
        }
    }
}

/// Literals shorter than this would be found in most strings: such a test
/// is indexed by its object type instead.
const MIN_LITERAL: usize = 3;

/// LIKE matches the whole string, so each run of plain characters appears
/// in any string it matches: the longest run.
fn like_literal(tokens: &[LikeTok]) -> Option<Vec<u8>> {
    let runs = tokens.split(|t| !matches!(t, LikeTok::Char(_)));
    let longest = runs.max_by_key(|run| run.len())?;
    let literal: String = longest.iter().filter_map(|t| if let LikeTok::Char(c) = t { Some(*c) } else { None }).collect();
    (literal.len() >= MIN_LITERAL).then(|| literal.into_bytes())
}

/// Every match of the expression starts with one of its prefix literals
/// (regex-syntax's extraction, as the regex engine's own prefilter), so a
/// string it matches contains one; none when they are unbounded or short.
fn regex_literals(source: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = syntax::parse(source).ok()?;
    let mut seq = Extractor::new().extract(&hir);
    seq.optimize_for_prefix_by_preference();
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().len() < MIN_LITERAL) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum LikeTok {
    Any,
    One,
    Char(char),
}

pub(crate) fn compile(c: &Comparison) -> Result<Expr, MatchError> {
    Ok(match c {
        Comparison::And(operands) => Expr::And(operands.iter().map(compile).collect::<Result<_, _>>()?),
        Comparison::Or(operands) => Expr::Or(operands.iter().map(compile).collect::<Result<_, _>>()?),
        Comparison::Test(t) => Expr::Test(compile_test(t)?),
    })
}

fn literal(l: &Literal) -> Result<Lit, MatchError> {
    Ok(match l {
        Literal::Int(i) => Lit::Int(*i),
        Literal::Float(f) => Lit::Float(*f),
        Literal::String(s) => Lit::Text(s.clone()),
        Literal::Bool(b) => Lit::Bool(*b),
        Literal::Binary(b) | Literal::Hex(b) => Lit::Bytes(b.clone()),
        Literal::Timestamp(t) => Lit::Time(parse_timestamp(t).ok_or_else(|| MatchError::new(format!("Invalid TimestampLiteral: t'{t}'")))?),
    })
}

/// Whether the test compares an address (`ipv4-addr:value`, `ipv6-addr:value`),
/// where `'10.0.0.1' = '10.0.0.1/32'` as the specification means.
fn compares_address(path: &ObjectPath) -> bool {
    matches!(path.object_type.as_str(), "ipv4-addr" | "ipv6-addr") && path.steps == [PathStep::Key("value".into())]
}

fn compile_test(t: &Test) -> Result<PropTest, MatchError> {
    let (path, negated, kind) = match t {
        Test::Exists { path, negated } => (path, *negated, Kind::Exists),
        Test::In { path, negated, values } => (path, *negated, Kind::In(set(values)?)),
        Test::Compare { path, negated, op, value } => {
            let kind = match op {
                CompOp::Eq => Kind::Equal { lit: literal(value)?, as_address: compares_address(path) },
                CompOp::Neq => Kind::NotEqual { lit: literal(value)?, as_address: compares_address(path) },
                CompOp::Lt | CompOp::Le | CompOp::Gt | CompOp::Ge => Kind::Order(*op, literal(value)?),
                CompOp::Like => Kind::Like(like(string_operand(value, "LIKE")?)),
                CompOp::Matches => matches(string_operand(value, "MATCHES")?)?,
                // The operand is read when a string value meets it, as the
                // reference does: a bad block against no string is no error.
                CompOp::IsSubset => Kind::IsSubset(string_operand(value, "ISSUBSET")?.to_string()),
                CompOp::IsSuperset => Kind::IsSuperset(string_operand(value, "ISSUPERSET")?.to_string()),
            };
            (path, *negated, kind)
        }
    };
    Ok(PropTest { path: path.clone(), negated, kind })
}

fn string_operand<'l>(value: &'l Literal, op: &str) -> Result<&'l str, MatchError> {
    match value {
        Literal::String(s) => Ok(s),
        _ => Err(MatchError::new(format!("{op} takes a string"))),
    }
}

/// A set literal's members, which must all be of one kind (ints and floats
/// mix), as the reference requires.
fn set(values: &[Literal]) -> Result<Vec<Lit>, MatchError> {
    let lits = values.iter().map(literal).collect::<Result<Vec<_>, _>>()?;
    let kind = |l: &Lit| match l {
        Lit::Int(_) | Lit::Float(_) => 0,
        Lit::Text(_) => 1,
        Lit::Bytes(_) => 2,
        Lit::Bool(_) => 3,
        Lit::Time(_) => 4,
    };
    if lits.windows(2).any(|w| kind(&w[0]) != kind(&w[1])) {
        return Err(MatchError::new("Nonhomogenous set: a set's members must be of one kind"));
    }
    Ok(lits)
}

/// `text` in Unicode NFC (ASCII text, nearly all of STIX, already is).
pub(crate) fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() { Cow::Borrowed(text) } else { Cow::Owned(text.nfc().collect()) }
}

fn like(pattern: &str) -> Vec<LikeTok> {
    nfc(pattern)
        .chars()
        .map(|c| match c {
            '%' => LikeTok::Any,
            '_' => LikeTok::One,
            c => LikeTok::Char(c),
        })
        .collect()
}

/// LIKE over the whole string: `%` any run of characters, `_` one character.
/// Greedy with one backtrack point (the last `%`), so linear in practice.
fn like_match(pattern: &[LikeTok], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(LikeTok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeTok::One) => {
                p += 1;
                t += 1;
            }
            Some(LikeTok::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|x| *x == LikeTok::Any)
}

fn matches(source: &str) -> Result<Kind, MatchError> {
    let source = nfc(source).into_owned();
    let text = text_regex(&source)?;
    Ok(Kind::Matches { text, source, binary: OnceLock::new() })
}

/// How many regular expressions a thread keeps compiled, and how much
/// memory they may hold together (see [`text_regex`]); an expression
/// larger than a sixteenth of that is not kept.
const REGEX_CACHE: usize = 256;
const REGEX_CACHE_BYTES: usize = 4 << 20;

/// The expressions a thread has compiled lately, by source.
#[derive(Default)]
struct Compiled {
    by_source: foldhash::HashMap<String, Arc<Regex>>,
    bytes: usize,
}

thread_local! {
    static COMPILED: RefCell<Compiled> = RefCell::default();
}

/// The expression compiled for text, from the thread's recent ones when it
/// is there: feeds repeat a few expressions under many patterns (and a
/// batch compiles a pattern per line), and building one costs more than
/// matching it many times. Shared, not cloned: a clone of a `Regex` starts
/// its own pool of search caches, so each would warm its lazy DFA afresh.
/// Bounded in count and memory (a long-running server compiles patterns
/// too); when full, the cache starts anew.
fn text_regex(source: &str) -> Result<Arc<Regex>, MatchError> {
    if let Some(regex) = COMPILED.with_borrow(|compiled| compiled.by_source.get(source).cloned()) {
        return Ok(regex);
    }
    let regex =
        Regex::builder().configure(regex_config()).build(source).map_err(|e| MatchError::new(format!("invalid MATCHES regular expression '{source}': {e}")))?;
    let regex = Arc::new(regex);
    let bytes = regex.memory_usage() + source.len();
    if bytes <= REGEX_CACHE_BYTES / 16 {
        COMPILED.with_borrow_mut(|compiled| {
            if compiled.by_source.len() >= REGEX_CACHE || compiled.bytes + bytes > REGEX_CACHE_BYTES {
                *compiled = Compiled::default();
            }
            compiled.bytes += bytes;
            compiled.by_source.insert(source.to_string(), regex.clone());
        });
    }
    Ok(regex)
}

/// The expression for binary values, built when one is first met: bytes
/// are searched one by one when every code point of the expression is below
/// 256 (as the reference does), and never match otherwise.
fn binary_regex(source: &str) -> Option<Regex> {
    if !source.chars().all(|c| u32::from(c) < 256) {
        return None;
    }
    let mut escaped = String::from("(?-u)");
    for c in source.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            escaped.push_str(&format!("\\x{:02x}", u32::from(c)));
        }
    }
    Regex::builder().configure(regex_config()).syntax(syntax::Config::new().utf8(false)).build(&escaped).ok()
}

/// Evaluates comparison expressions on the objects of one observation.
pub(crate) struct Evaluator<'o, 'a> {
    pub(crate) obs: &'o Observation<'a>,
    pub(crate) version: StixVersion,
}

impl<'a> Evaluator<'_, 'a> {
    /// Whether some object of the observation satisfies `expr`. Every test
    /// is evaluated on every object, so that an error in the data is
    /// reported whatever the order of the expression.
    pub(crate) fn holds(&self, expr: &Expr) -> Result<bool, MatchError> {
        let mut any = false;
        for (_, root) in &self.obs.objects {
            let Some(ty) = type_of(root) else { continue };
            if self.version == StixVersion::V21 && is_non_observable(ty) {
                continue;
            }
            any |= self.on_root(expr, root, ty)?;
        }
        Ok(any)
    }

    /// Where an observation that satisfies `expr` stands in the reference's
    /// order of the observations satisfying it, before the observation
    /// index: the reference keeps, for `a OR b`, the observations of `a`
    /// first (in `a`'s order), then those only `b` adds (in `b`'s order); for
    /// `a AND b`, `a`'s order. So the rank is the OR branches taken: in a
    /// run `a OR b OR c`, the first operand that holds.
    pub(crate) fn rank(&self, expr: &Expr) -> Result<Vec<u32>, MatchError> {
        let mut path = Vec::new();
        let mut at = expr;
        loop {
            match at {
                Expr::Test(_) => return Ok(path),
                Expr::And(operands) => at = &operands[0],
                Expr::Or(operands) => {
                    let mut taken = operands.len() - 1;
                    for (i, operand) in operands[..taken].iter().enumerate() {
                        if self.holds(operand)? {
                            taken = i;
                            break;
                        }
                    }
                    path.push(taken as u32);
                    at = &operands[taken];
                }
            }
        }
    }

    fn on_root(&self, expr: &Expr, root: &'a Json<'a>, ty: &str) -> Result<bool, MatchError> {
        // Every operand is evaluated, so that an error in the data is
        // reported whatever the order of the expression.
        Ok(match expr {
            Expr::And(operands) => {
                let mut all = true;
                for operand in operands {
                    all &= self.on_root(operand, root, ty)?;
                }
                all
            }
            Expr::Or(operands) => {
                let mut any = false;
                for operand in operands {
                    any |= self.on_root(operand, root, ty)?;
                }
                any
            }
            Expr::Test(t) => t.path.object_type == ty && self.test(t, root)?,
        })
    }

    fn test(&self, t: &PropTest, root: &'a Json<'a>) -> Result<bool, MatchError> {
        let values = self.select(root, &t.path.steps)?;
        if let Kind::Exists = t.kind {
            return Ok(values.is_empty() == t.negated);
        }
        for v in &values {
            if self.passes(&t.kind, v)? != t.negated {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn passes(&self, kind: &Kind, v: &Val<'a>) -> Result<bool, MatchError> {
        Ok(match kind {
            Kind::Equal { lit, as_address } => same_address(*as_address, v, lit).unwrap_or(equal(v, lit)?),
            Kind::NotEqual { lit, as_address } => !same_address(*as_address, v, lit).unwrap_or(equal(v, lit)?),
            Kind::Order(op, lit) => match order(v, lit)? {
                None => false,
                Some(o) => match op {
                    CompOp::Lt => o == Ordering::Less,
                    CompOp::Le => o != Ordering::Greater,
                    CompOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            },
            Kind::In(set) => member(v, set)?,
            Kind::Like(p) => {
                let text = match (text_of(v), bytes_of(v)) {
                    (Some(s), _) => Some(s),
                    (None, Some(b)) if p.iter().all(|t| !matches!(t, LikeTok::Char(c) if u32::from(*c) >= 256)) => std::str::from_utf8(b).ok(),
                    _ => None,
                };
                text.is_some_and(|s| like_match(p, &nfc(s).chars().collect::<Vec<char>>()))
            }
            Kind::Matches { text, source, binary } => match (text_of(v), bytes_of(v)) {
                (Some(s), _) => text.is_match(nfc(s).as_ref()),
                (None, Some(b)) => binary.get_or_init(|| binary_regex(source)).as_ref().is_some_and(|r| r.is_match(b)),
                _ => false,
            },
            Kind::IsSubset(block) => match text_of(v) {
                Some(s) => address(s)?.within(cidr(block)?),
                None => false,
            },
            Kind::IsSuperset(lit) => match text_of(v) {
                Some(s) => address(lit)?.within(cidr(s)?),
                None => false,
            },
            Kind::Exists => true,
        })
    }

    /// The strings a path selects from one object, for the index; a binary
    /// value reads as the string of its bytes' code points, which is what
    /// equals it in a comparison.
    pub(crate) fn select_strings(&self, root: &'a Json<'a>, steps: &[PathStep]) -> Result<Vec<String>, MatchError> {
        Ok(self
            .select(root, steps)?
            .into_iter()
            .filter_map(|v| match v {
                Val::Json(Json::String(s)) => Some(s.to_string()),
                Val::Bytes(b) => Some(b.iter().map(|&x| char::from(x)).collect()),
                _ => None,
            })
            .collect())
    }

    /// The values a path selects from one root object, following `*_ref`
    /// and `*_refs` to the objects of the same observation.
    fn select(&self, root: &'a Json<'a>, steps: &[PathStep]) -> Result<Vec<Val<'a>>, MatchError> {
        let mut current = vec![Val::Json(root)];
        for step in steps {
            let mut next = Vec::new();
            for v in current {
                match step {
                    PathStep::Key(k) => {
                        if let Val::Json(Json::Object(m)) = v
                            && let Some(x) = m.get(k)
                        {
                            self.step_key(k, x, &mut next)?;
                        }
                    }
                    PathStep::Index(i) => {
                        if let Ok(i) = usize::try_from(*i) {
                            match v {
                                Val::Json(Json::Array(a)) => next.extend(a.get(i).map(Val::Json)),
                                Val::Objects(a) => next.extend(a.get(i).map(|x| Val::Json(x))),
                                _ => {}
                            }
                        }
                    }
                    PathStep::AnyIndex => match v {
                        Val::Json(Json::Array(a)) => next.extend(a.iter().map(Val::Json)),
                        Val::Objects(a) => next.extend(a.into_iter().map(Val::Json)),
                        _ => {}
                    },
                }
            }
            if next.is_empty() {
                return Ok(next);
            }
            // `*_refs[*]` steps multiply: objects that list each other
            // would select n^k values after k steps.
            if next.len() > MAX_SELECTED {
                return Err(MatchError::new(format!("a path selects more than {MAX_SELECTED} values in one object")));
            }
            current = next;
        }
        Ok(current)
    }

    fn step_key(&self, key: &str, x: &'a Json<'a>, out: &mut Vec<Val<'a>>) -> Result<(), MatchError> {
        if key.ends_with("_hex") || key.ends_with("_bin") {
            let Some(s) = x.as_str() else {
                return Err(MatchError::new(format!("The value of binary property '{key}' is not a string")));
            };
            let decoded = if key.ends_with("_hex") {
                hex::decode(s).map_err(|_| MatchError::new(format!("The value of '{key}' is not hex: {s}")))?
            } else {
                base64::engine::general_purpose::STANDARD.decode(s).map_err(|_| MatchError::new(format!("The value of '{key}' is not base64: {s}")))?
            };
            out.push(Val::Bytes(decoded));
        } else if key.ends_with("_ref") {
            let Some(r) = x.as_str() else {
                return Err(MatchError::new(format!("The value of reference property '{key}' was not a string!  Got {x}")));
            };
            out.extend(self.resolve(r).map(Val::Json));
        } else if key.ends_with("_refs") {
            let Some(list) = x.as_array() else {
                return Err(MatchError::new(format!("The value of reference list property '{key}' was not a list!  Got {x}")));
            };
            let mut objects = Vec::new();
            for r in list {
                let Some(r) = r.as_str() else {
                    return Err(MatchError::new(format!("A value of reference property '{key}' was not a string!  Got {r}")));
                };
                objects.extend(self.resolve(r));
            }
            if !objects.is_empty() {
                out.push(Val::Objects(objects));
            }
        } else {
            out.push(Val::Json(x));
        }
        Ok(())
    }

    /// Objects of this observation a reference names; unresolved references
    /// are ignored.
    fn resolve<'r>(&'r self, reference: &'r str) -> impl Iterator<Item = &'a Json<'a>> + 'r {
        self.obs.objects.iter().filter(move |(key, _)| *key == reference).map(|(_, o)| *o)
    }
}

fn cidr(s: &str) -> Result<Net, MatchError> {
    Net::parse(s).filter(|_| Net::is_block(s)).ok_or_else(|| MatchError::new(format!("Invalid CIDR subnet: {s}")))
}

fn address(s: &str) -> Result<Net, MatchError> {
    Net::parse(s).ok_or_else(|| MatchError::new(format!("Invalid IP address: {s}")))
}

/// For address comparisons: `Some(equal)` when both sides are addresses or
/// blocks, so that an address equals its own `/32` or `/128`.
fn same_address(as_address: bool, v: &Val<'_>, lit: &Lit) -> Option<bool> {
    if !as_address {
        return None;
    }
    let (Some(s), Lit::Text(l)) = (text_of(v), lit) else { return None };
    Some(Net::parse(s)?.same(Net::parse(l)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(test: &str) -> Option<Vec<String>> {
        let pattern = crate::pattern::parse_version(test, StixVersion::V21).unwrap();
        let crate::pattern::Pattern::Observation(crate::pattern::Observation(Comparison::Test(t))) = &pattern else { panic!("one comparison: {test}") };
        match compile_test(t).unwrap().index_key() {
            IndexKey::Contains(found) => Some(found.into_iter().map(|l| String::from_utf8(l).unwrap()).collect()),
            _ => None,
        }
    }

    #[test]
    fn a_thread_compiles_an_expression_once_unless_it_is_large() {
        let first = text_regex("^invoice_[0-9]+$").unwrap();
        assert!(Arc::ptr_eq(&first, &text_regex("^invoice_[0-9]+$").unwrap()), "the same expression is shared");
        assert!(!Arc::ptr_eq(&first, &text_regex("^invoice_[0-9]*$").unwrap()));
        let large = "(?:[a-z0-9]x){3000}";
        let compiled = text_regex(large).unwrap();
        assert!(compiled.memory_usage() > REGEX_CACHE_BYTES / 16, "{} bytes", compiled.memory_usage());
        assert!(!Arc::ptr_eq(&compiled, &text_regex(large).unwrap()), "a large expression is not kept");
        assert!(text_regex("(").is_err());
    }

    #[test]
    fn like_and_matches_are_indexed_by_a_literal_every_match_contains() {
        assert_eq!(literals("[a:b LIKE '%.evil%.example']"), Some(vec![".example".into()]), "the longest run");
        assert_eq!(literals("[a:b LIKE 'e\u{301}vil%']"), Some(vec!["évil".into()]), "in NFC, as the test reads");
        assert_eq!(literals("[a:b LIKE '%ab_']"), None, "too short to narrow");
        assert_eq!(literals("[a:b NOT LIKE '%evil%']"), None, "negated");
        assert_eq!(literals("[a:b MATCHES '^invoice_[0-9]+\\\\.pdf']"), Some(vec!["invoice_".into()]));
        assert_eq!(literals("[a:b MATCHES 'c2-(alpha|beta)\\\\.net']"), Some(vec!["c2-alpha.net".into(), "c2-beta.net".into()]));
        let cased = literals("[a:b MATCHES '(?i)evil']").unwrap();
        assert_eq!((cased.len(), cased.contains(&"EvIl".to_string())), (16, true), "every case of each letter: {cased:?}");
        assert_eq!(literals("[a:b MATCHES '[a-z]+']"), None, "no literal");
        assert_eq!(literals("[a:b MATCHES 'x|evil']"), None, "a branch too short");
    }
}
