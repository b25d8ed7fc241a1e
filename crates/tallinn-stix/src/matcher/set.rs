//! Many patterns against a stream of observations: an index finds the few
//! patterns an observation could match, and only those are matched.
//!
//! Each pattern gets anchors: facts without which it cannot match. A
//! comparison `type:path = 'literal'` (or `IN`) anchors on that value at that
//! path, `type:path ISSUBSET 'block'` on that block (an observed address is
//! looked up under each prefix length the set uses), `LIKE` and `MATCHES`
//! on a literal any string they hold for contains (the longest plain run
//! of a LIKE pattern, the prefix literals of a regular expression; all of
//! a path's are searched for at once); any other test anchors on its
//! object type. AND needs only one operand's anchors (the more
//! selective), OR needs both operands'. A pattern is tried on observations
//! that carry one of its anchors; the answer is always the full matcher's.
//! (So a pattern no observation anchors is not tried, and an error the
//! matcher would raise on data it reads — an `ISSUBSET` meeting a value
//! that is no address — is not reported for it.)
//!
//! Most indicators are one such comparison and nothing else
//! (`[ipv4-addr:value = '…']`, `[file:hashes.'SHA-256' = '…']`, `[… ISSUBSET
//! '…/24']`). For those the index hit *is* the answer, so the matcher is not
//! run: see [`Proof`] for when a hit proves a match, and why the answer is
//! then the matcher's own.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use foldhash::{HashMap, HashMapExt};

use super::compare::{Evaluator, Expr, IndexKey, PropTest, nfc};
use super::observations::{is_non_observable, type_of};
use super::plan::{Node, NodeId};
use super::screen::Screen;
use super::value::Net;
use super::{Match, MatchError, Matcher, Observations};
use crate::pattern::{ObjectPath, PathStep, StixVersion};

/// A pattern in an index list, with what answering a hit needs to know of
/// it: most hits are then answered without reading the pattern itself
/// (with 100,000 patterns, reading each would be a cache miss).
#[derive(Debug, Clone, Copy)]
struct Posting {
    pattern: u32,
    version: StixVersion,
    proof: Proof,
}

/// The patterns of one index key: nearly always one, kept inline.
#[derive(Debug)]
enum Postings {
    One(Posting),
    Many(Vec<Posting>),
}

impl Postings {
    fn push(&mut self, posting: Posting) {
        match self {
            Postings::One(first) => *self = Postings::Many(vec![*first, posting]),
            Postings::Many(list) => list.push(posting),
        }
    }

    fn as_slice(&self) -> &[Posting] {
        match self {
            Postings::One(p) => std::slice::from_ref(p),
            Postings::Many(list) => list,
        }
    }
}

fn post<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Postings>, key: K, posting: Posting) {
    map.entry(key).and_modify(|list| list.push(posting)).or_insert(Postings::One(posting));
}

/// What the index keeps for one object path that anchors patterns.
#[derive(Debug)]
struct PathIndex {
    path: ObjectPath,
    /// The path's keys when it is nothing else (no index, no `[*]`, no key
    /// the matcher decodes or dereferences): read without allocating, and
    /// what it reads is exactly what the matcher's comparisons see.
    plain_keys: Option<Vec<String>>,
    /// `ipv4-addr:value` or `ipv6-addr:value`, where `=` compares blocks.
    address: bool,
    /// Values compared as strings: `=` (on an address path, only with a
    /// literal that is not an address) and `IN`.
    text: HashMap<Box<str>, Postings>,
    /// `=` on an address path, by block with its host bits cleared.
    nets: HashMap<Net, Postings>,
    /// `ISSUBSET` blocks, by block with its host bits cleared.
    blocks: HashMap<Net, Postings>,
    /// The prefix lengths of `blocks`, under which an address is looked up.
    block_prefixes: Vec<u8>,
    /// Literals of `LIKE` and `MATCHES` tests, each with its patterns.
    literals: Vec<(Box<[u8]>, Postings)>,
    /// Where each literal is in `literals`.
    literal_ids: HashMap<Box<[u8]>, u32>,
    /// All of `literals` in one automaton, built when first needed after a
    /// change (`None`: too large to build; then every literal's patterns
    /// are tried).
    literal_search: OnceLock<Option<AhoCorasick>>,
}

/// When an index hit on an observation proves that the pattern matches it
/// — for a pattern that is one observation expression of one comparison,
/// not negated, on a plain path of an observable type:
///
/// * `=` or `IN` with string literals: the matcher's test is string
///   equality (blocks compared by [`Net::same`] on address paths, which is
///   equality of masked blocks, the index's key); it raises no error on any
///   value, and the index reads every string value the matcher would test.
///   So a pattern matches an observation exactly when the observation has
///   a hit, and the first observation with a hit is the one the matcher
///   reports (one comparison, no OR: the first in input order).
/// * `ISSUBSET` a block: the same, except that the matcher raises an error
///   when any string at the path, in any observation, is not an address.
///   The index parses every such string, so it knows: a hit proves the
///   match only when none failed to parse at that path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Proof {
    /// Hits are candidates; the matcher answers.
    None,
    Hit,
    /// A hit proves the match unless a value at this path was not an address.
    HitUnlessUnreadable {
        path: u32,
    },
}

/// What the index keeps for one object type.
#[derive(Debug, Default)]
struct TypeIndex {
    /// Patterns anchored on the type alone.
    postings: Vec<Posting>,
    /// Paths of this type that anchor patterns.
    paths: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Anchor {
    /// An object of the path's type has this string at this path.
    Text { path: u32, value: String },
    /// An object of the path's type has this address or block at this
    /// (address) path.
    Net { path: u32, net: Net },
    /// An object of the path's type has an address within this block at
    /// this path.
    Block { path: u32, block: Net },
    /// An object of the path's type has a string containing this literal
    /// (in NFC) at this (plain) path.
    Contains { path: u32, literal: Vec<u8> },
    /// An object of this type exists.
    Type(String),
}

/// Patterns indexed for matching a stream of observations.
#[derive(Debug, Default)]
pub struct PatternSet {
    /// Each pattern's matcher, unless the index alone decides it
    /// ([`Proof::Hit`]: most indicators, whose matcher would only cost memory).
    matchers: Vec<Option<Box<Matcher>>>,
    paths: Vec<PathIndex>,
    types: HashMap<Box<str>, TypeIndex>,
    /// The STIX versions of the patterns added (a bit each): nearly always
    /// one, and then index lists need no filtering by version.
    versions: u8,
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
        let anchors = self.anchors_of_node(&matcher, matcher.plan.root);
        let posting = Posting { pattern: id, version: matcher.version(), proof: self.proof_of(&matcher, &anchors) };
        self.versions |= version_bit(matcher.version());
        for anchor in anchors {
            match anchor {
                Anchor::Text { path, value } => post(&mut self.paths[path as usize].text, value.into_boxed_str(), posting),
                Anchor::Net { path, net } => post(&mut self.paths[path as usize].nets, net, posting),
                Anchor::Block { path, block } => post(&mut self.paths[path as usize].blocks, block, posting),
                Anchor::Contains { path, literal } => self.paths[path as usize].add_literal(literal, posting),
                Anchor::Type(t) => type_index(&mut self.types, &t).postings.push(posting),
            }
        }
        let needed = posting.proof != Proof::Hit;
        self.matchers.push(needed.then(|| Box::new(matcher)));
        id as usize
    }

    /// Every pattern that matches the observations, with its match, and
    /// every pattern that could not be matched against them, with why; in
    /// the order the patterns were added.
    pub fn matching(&self, observations: &Observations<'_>) -> Vec<(usize, Result<Match, MatchError>)> {
        if self.versions & version_bit(observations.version) == 0 {
            return Vec::new();
        }
        // Only patterns of the observations' version are tried (a filter
        // needed only when the set holds both versions).
        let only = (self.versions != version_bit(observations.version)).then_some(observations.version);
        // (pattern, observation) for every anchor an observation carries.
        let mut hits: Vec<(Posting, u32)> = Vec::with_capacity(32);
        // Paths where a value was not an address (nearly always none).
        let mut unreadable: Vec<u32> = Vec::new();
        for (i, obs) in observations.list.iter().enumerate() {
            let eval = Evaluator { obs, version: observations.version };
            let i = i as u32;
            for (_, root) in &obs.objects {
                let Some(index) = type_of(root).and_then(|ty| self.types.get(ty)) else { continue };
                take(&mut hits, &index.postings, i, only);
                for &p in &index.paths {
                    let path = &self.paths[p as usize];
                    let mut found = |value: &str| {
                        let readable = path.lookup(value, |postings| take(&mut hits, postings, i, only));
                        if !readable && !unreadable.contains(&p) {
                            unreadable.push(p);
                        }
                    };
                    match &path.plain_keys {
                        Some(keys) => {
                            if let Some(value) = keys.iter().try_fold(*root, |v, k| v.get(k)).and_then(|v| v.as_str()) {
                                found(value);
                            }
                        }
                        // A value the index cannot read is left to the matcher,
                        // which reports it if the pattern is tried.
                        None => eval.select_strings(root, &path.path.steps).unwrap_or_default().iter().for_each(|v| found(v)),
                    }
                }
            }
        }
        // By pattern, then observation: the first hit of each pattern is
        // its first observation with one.
        // Often sorted already: a key's patterns are listed in order.
        if !hits.is_sorted_by_key(|(p, i)| (p.pattern, *i)) {
            hits.sort_unstable_by_key(|(p, i)| (p.pattern, *i));
        }
        hits.dedup_by_key(|(p, _)| p.pattern);
        let mut out = Vec::with_capacity(hits.len());
        for (Posting { pattern: id, proof, .. }, first) in hits {
            let proven = match proof {
                Proof::None => false,
                Proof::Hit => true,
                Proof::HitUnlessUnreadable { path } => !unreadable.contains(&path),
            };
            // The match is built where it is kept: most hits are proven,
            // and moving each through a temporary cost more than finding it.
            if proven {
                out.push((id as usize, Ok(Match::one(first as usize))));
                continue;
            }
            let Some(matcher) = &self.matchers[id as usize] else { continue };
            match matcher.matches(observations) {
                Ok(None) => {}
                Ok(Some(m)) => out.push((id as usize, Ok(m))),
                Err(e) => out.push((id as usize, Err(e))),
            }
        }
        out
    }

    /// The set's screen (see [`Screen`]): `None` when some pattern is
    /// anchored on an object type alone or on a path the index reads
    /// through the matcher, or its literals are too many for one automaton.
    pub fn screen(&self) -> Option<Screen> {
        let mut screen = Screen::default();
        for (ty, index) in &self.types {
            if !index.postings.is_empty() {
                return None;
            }
            if !index.paths.is_empty() {
                screen.add_type(ty);
            }
        }
        for path in &self.paths {
            let anchored = !(path.text.is_empty() && path.nets.is_empty() && path.blocks.is_empty() && path.literals.is_empty());
            if anchored && path.plain_keys.is_none() {
                return None;
            }
            path.text.keys().for_each(|t| screen.add_text(t));
            path.nets.keys().for_each(|n| screen.add_net(*n));
            path.blocks.keys().for_each(|b| screen.add_block(*b));
            path.literals.iter().for_each(|(l, _)| screen.add_literal(l));
        }
        screen.finish()
    }

    fn proof_of(&self, matcher: &Matcher, anchors: &[Anchor]) -> Proof {
        let Node::Leaf(leaf) = matcher.plan.nodes[matcher.plan.root] else { return Proof::None };
        let Expr::Test(test) = &matcher.leaves[leaf] else { return Proof::None };
        if matches!(test.index_key(), IndexKey::None) || is_non_observable(&test.path.object_type) {
            return Proof::None;
        }
        let plain = |p: u32| self.paths[p as usize].plain_keys.is_some();
        // One comparison's anchors are all of one kind, on its one path.
        match anchors {
            [Anchor::Text { path, .. }, ..] | [Anchor::Net { path, .. }, ..] if plain(*path) => Proof::Hit,
            [Anchor::Block { path, .. }] if plain(*path) => Proof::HitUnlessUnreadable { path: *path },
            _ => Proof::None,
        }
    }

    fn anchors_of_node(&mut self, matcher: &Matcher, n: NodeId) -> Vec<Anchor> {
        match matcher.plan.nodes[n] {
            Node::Leaf(l) => self.anchors_of_expr(&matcher.leaves[l]),
            Node::And(a, b) | Node::FollowedBy(a, b) => {
                let (a, b) = (self.anchors_of_node(matcher, a), self.anchors_of_node(matcher, b));
                more_selective(a, b)
            }
            Node::Or(a, b) => {
                let mut a = self.anchors_of_node(matcher, a);
                a.extend(self.anchors_of_node(matcher, b));
                a
            }
            Node::Repeat(a, _) | Node::Within(a, _) | Node::StartStop(a, _, _) => self.anchors_of_node(matcher, a),
        }
    }

    fn anchors_of_expr(&mut self, e: &Expr) -> Vec<Anchor> {
        match e {
            Expr::And(operands) => {
                let mut best: Option<Vec<Anchor>> = None;
                for operand in operands {
                    let anchors = self.anchors_of_expr(operand);
                    best = Some(match best {
                        None => anchors,
                        Some(b) => more_selective(b, anchors),
                    });
                }
                best.unwrap_or_default()
            }
            Expr::Or(operands) => {
                let mut all = Vec::new();
                for operand in operands {
                    all.extend(self.anchors_of_expr(operand));
                }
                all
            }
            Expr::Test(t) => self.anchors_of_test(t),
        }
    }

    fn path_index(&mut self, path: &ObjectPath) -> u32 {
        if let Some(p) = self.paths.iter().position(|x| x.path == *path) {
            return p as u32;
        }
        let p = self.paths.len() as u32;
        self.paths.push(PathIndex::new(path));
        type_index(&mut self.types, &path.object_type).paths.push(p);
        p
    }

    fn anchors_of_test(&mut self, t: &PropTest) -> Vec<Anchor> {
        match t.index_key() {
            IndexKey::Subset(s) if Net::is_block(s) && Net::parse(s).is_some() => {
                let block = Net::parse(s).map(Net::masked).expect("parsed above");
                let p = self.path_index(&t.path);
                let prefixes = &mut self.paths[p as usize].block_prefixes;
                if !prefixes.contains(&block.prefix()) {
                    prefixes.push(block.prefix());
                }
                vec![Anchor::Block { path: p, block }]
            }
            IndexKey::Equal(s) => {
                let p = self.path_index(&t.path);
                match Net::parse(s).filter(|_| self.paths[p as usize].address) {
                    Some(net) => vec![Anchor::Net { path: p, net: net.masked() }],
                    None => vec![Anchor::Text { path: p, value: s.to_string() }],
                }
            }
            // `IN` compares strings as strings, addresses included.
            IndexKey::In(values) => {
                let p = self.path_index(&t.path);
                values.into_iter().map(|v| Anchor::Text { path: p, value: v.to_string() }).collect()
            }
            // The index reads plain paths' strings as the test does; other
            // values (binary, dereferenced) are left to the type anchor.
            IndexKey::Contains(literals) if plain_keys(&t.path).is_some() => {
                let p = self.path_index(&t.path);
                literals.into_iter().map(|literal| Anchor::Contains { path: p, literal }).collect()
            }
            IndexKey::Subset(_) | IndexKey::Contains(_) | IndexKey::None => vec![Anchor::Type(t.path.object_type.clone())],
        }
    }
}

impl PathIndex {
    fn new(path: &ObjectPath) -> Self {
        let address = matches!(path.object_type.as_str(), "ipv4-addr" | "ipv6-addr") && path.steps == [PathStep::Key("value".into())];
        PathIndex {
            path: path.clone(),
            plain_keys: plain_keys(path),
            address,
            text: HashMap::new(),
            nets: HashMap::new(),
            blocks: HashMap::new(),
            block_prefixes: Vec::new(),
            literals: Vec::new(),
            literal_ids: HashMap::new(),
            literal_search: OnceLock::new(),
        }
    }

    fn add_literal(&mut self, literal: Vec<u8>, posting: Posting) {
        let literal = literal.into_boxed_slice();
        match self.literal_ids.get(&literal) {
            Some(&i) => self.literals[i as usize].1.push(posting),
            None => {
                self.literal_ids.insert(literal.clone(), self.literals.len() as u32);
                self.literals.push((literal, Postings::One(posting)));
            }
        }
        self.literal_search = OnceLock::new();
    }

    /// Calls `f` with the patterns of every literal `value` contains.
    fn search_literals(&self, value: &str, f: &mut impl FnMut(&[Posting])) {
        let search = self.literal_search.get_or_init(|| AhoCorasick::new(self.literals.iter().map(|(literal, _)| literal)).ok());
        let Some(search) = search else {
            self.literals.iter().for_each(|(_, postings)| f(postings.as_slice()));
            return;
        };
        // Overlapping, so that a literal inside another is found too.
        for found in search.find_overlapping_iter(nfc(value).as_bytes()) {
            f(self.literals[found.pattern().as_usize()].1.as_slice());
        }
    }

    /// Calls `f` with every pattern anchored on `value` at this path; false
    /// when blocks are anchored here and `value` is not an address (the
    /// matcher's `ISSUBSET` would raise an error on it).
    fn lookup(&self, value: &str, mut f: impl FnMut(&[Posting])) -> bool {
        if let Some(postings) = self.text.get(value) {
            f(postings.as_slice());
        }
        if !self.literals.is_empty() {
            self.search_literals(value, &mut f);
        }
        if self.nets.is_empty() && self.blocks.is_empty() {
            return true;
        }
        let Some(net) = Net::parse(value) else { return self.blocks.is_empty() };
        if let Some(postings) = self.nets.get(&net.masked()) {
            f(postings.as_slice());
        }
        for &len in &self.block_prefixes {
            if let Some(postings) = net.widened(len).and_then(|block| self.blocks.get(&block.masked())) {
                f(postings.as_slice());
            }
        }
        true
    }
}

/// The path's keys when it is nothing else: no index, no `[*]`, no key the
/// matcher decodes (`_hex`, `_bin`) or dereferences (`_ref`, `_refs`).
fn plain_keys(path: &ObjectPath) -> Option<Vec<String>> {
    path.steps
        .iter()
        .map(|step| match step {
            PathStep::Key(k) if !["_hex", "_bin", "_ref", "_refs"].iter().any(|suffix| k.ends_with(suffix)) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// Adds each of `postings` with observation `i` to `hits`, only those of
/// `version` when it is given.
fn take(hits: &mut Vec<(Posting, u32)>, postings: &[Posting], i: u32, version: Option<StixVersion>) {
    match version {
        Some(version) => hits.extend(postings.iter().filter(|p| p.version == version).map(|&p| (p, i))),
        // Of known length: copied without a check per item.
        None => hits.extend(postings.iter().map(|&p| (p, i))),
    }
}

fn version_bit(version: StixVersion) -> u8 {
    match version {
        StixVersion::V20 => 1,
        StixVersion::V21 => 2,
    }
}

fn type_index<'t>(types: &'t mut HashMap<Box<str>, TypeIndex>, ty: &str) -> &'t mut TypeIndex {
    types.entry(ty.into()).or_default()
}

/// Value anchors beat type anchors; fewer beat more.
fn more_selective(a: Vec<Anchor>, b: Vec<Anchor>) -> Vec<Anchor> {
    let typed = |x: &[Anchor]| x.iter().filter(|a| matches!(a, Anchor::Type(_))).count();
    if (typed(&a), a.len()) <= (typed(&b), b.len()) { a } else { b }
}
