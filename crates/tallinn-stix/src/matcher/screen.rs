//! A pattern set's screen: from a string alone, whether it could be a value
//! some pattern of the set is anchored on ([`super::PatternSet`]'s index).
//! A record none of whose strings passes cannot match any pattern, so a
//! stream of records (log lines) can be screened before its observables
//! are even built: most lines are then looked at once and let go.
//!
//! The screen is the union of the index's value anchors over every object
//! type and path: equal strings, addresses and blocks, literals contained.
//! It knows nothing of where a string stands in its record, so it admits
//! more than the index would (a value anchored for `domain-name` seen in a
//! URL's path), never less. A set with a pattern anchored on an object type
//! alone (any object of that type may match it: `[file:size > 10]`), or on
//! a path the index reads through the matcher (list items, decoded or
//! dereferenced keys), has no screen: nothing rules a record out.

use aho_corasick::AhoCorasick;
use foldhash::HashSet;

use super::compare::nfc;
use super::value::Net;

/// See the module's text.
#[derive(Debug, Default)]
pub struct Screen {
    /// Strings equal to an anchored value.
    texts: HashSet<Box<str>>,
    /// The lengths of `texts` (a bit per length; the last stands for 255
    /// bytes and more): most strings are let go without hashing.
    lengths: [u64; 4],
    /// Addresses and blocks anchored by `=` on an address path.
    nets: HashSet<Net>,
    /// Blocks anchored by `ISSUBSET`, and their prefix lengths.
    blocks: HashSet<Net>,
    block_prefixes: Vec<u8>,
    /// Literals a `LIKE` or `MATCHES` test's strings contain.
    literals: Vec<Box<[u8]>>,
    literal_search: Option<AhoCorasick>,
    /// The object types the anchors are on.
    types: Vec<Box<str>>,
}

impl Screen {
    /// Whether `value` could be what some pattern is anchored on.
    pub fn admits(&self, value: &str) -> bool {
        let len = value.len().min(255);
        if self.lengths[len / 64] & (1 << (len % 64)) != 0 && self.texts.contains(value) {
            return true;
        }
        if let Some(search) = &self.literal_search
            && search.is_match(nfc(value).as_bytes())
        {
            return true;
        }
        if self.nets.is_empty() && self.blocks.is_empty() {
            return false;
        }
        let Some(net) = looks_like_an_address(value).then(|| Net::parse(value)).flatten() else { return false };
        self.nets.contains(&net.masked()) || self.block_prefixes.iter().any(|&len| net.widened(len).is_some_and(|b| self.blocks.contains(&b.masked())))
    }

    /// Whether a string of `len` bytes could be admitted: a test that
    /// spares making a value to try (`admits` makes it first).
    pub fn could_admit(&self, len: usize) -> bool {
        let len_bit = len.min(255);
        self.lengths[len_bit / 64] & (1 << (len_bit % 64)) != 0
            || self.literal_search.is_some()
            || ((2..=49).contains(&len) && !(self.nets.is_empty() && self.blocks.is_empty()))
    }

    /// Whether some anchor is on objects of type `ty`.
    pub fn anchors_type(&self, ty: &str) -> bool {
        self.types.iter().any(|t| **t == *ty)
    }

    /// How many values, blocks and literals it holds.
    pub fn len(&self) -> usize {
        self.texts.len() + self.nets.len() + self.blocks.len() + self.literals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn add_type(&mut self, ty: &str) {
        if !self.anchors_type(ty) {
            self.types.push(ty.into());
        }
    }

    pub(super) fn add_text(&mut self, value: &str) {
        let len = value.len().min(255);
        self.lengths[len / 64] |= 1 << (len % 64);
        self.texts.insert(value.into());
    }

    pub(super) fn add_net(&mut self, net: Net) {
        self.nets.insert(net);
    }

    pub(super) fn add_block(&mut self, block: Net) {
        if !self.block_prefixes.contains(&block.prefix()) {
            self.block_prefixes.push(block.prefix());
        }
        self.blocks.insert(block);
    }

    pub(super) fn add_literal(&mut self, literal: &[u8]) {
        self.literals.push(literal.into());
    }

    /// Builds the literals' automaton; `None` when it cannot be built.
    pub(super) fn finish(mut self) -> Option<Screen> {
        if !self.literals.is_empty() {
            self.literals.sort_unstable();
            self.literals.dedup();
            self.literal_search = Some(AhoCorasick::new(&self.literals).ok()?);
        }
        Some(self)
    }
}

/// Whether `value` could be an address or block (`Net::parse` would say):
/// a cheap test that spares parsing timestamps, names and hashes.
fn looks_like_an_address(value: &str) -> bool {
    (2..=49).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'/' | b'%'))
}

#[cfg(test)]
mod tests {
    use crate::matcher::{Matcher, PatternSet};
    use crate::pattern::StixVersion;

    fn set(patterns: &[&str]) -> PatternSet {
        let mut set = PatternSet::new();
        for p in patterns {
            set.add(Matcher::compile(p, StixVersion::V21).unwrap());
        }
        set
    }

    #[test]
    fn admits_the_values_anchored_and_lets_the_rest_go() {
        let screen = set(&[
            "[ipv4-addr:value = '198.51.100.7']",
            "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
            "[ipv6-addr:value = '2001:db8::/32']",
            "[domain-name:value = 'evil.example']",
            "[file:hashes.'SHA-256' = 'aa' OR file:name IN ('a.exe', 'b.exe')]",
            "[url:value LIKE '%/wp-login%']",
            "[network-traffic:dst_port = 4444 AND network-traffic:extensions.'http-request-ext'.request_value MATCHES '^/cgi-bin/']",
        ])
        .screen()
        .expect("every pattern is anchored on values");
        for admitted in ["198.51.100.7", "203.0.113.200", "2001:db8::/32", "evil.example", "aa", "b.exe", "https://x.example/wp-login.php", "/cgi-bin/x"] {
            assert!(screen.admits(admitted), "{admitted}");
        }
        for let_go in ["198.51.100.8", "203.0.114.1", "2001:db8:1::9", "evil.example.org", "aaa", "c.exe", "/wp-admin", "2026-01-01T00:00:00Z", "", "dead:beef"]
        {
            assert!(!screen.admits(let_go), "{let_go}");
        }
        assert!(screen.anchors_type("url") && screen.anchors_type("network-traffic") && !screen.anchors_type("x509-certificate"));
    }

    #[test]
    fn a_pattern_anchored_on_its_type_alone_leaves_no_screen() {
        assert!(set(&["[ipv4-addr:value = '198.51.100.7']", "[file:size > 1000]"]).screen().is_none());
        assert!(set(&["[email-message:to_refs[*].value = 'a@example.org']"]).screen().is_none(), "read through the matcher");
        assert!(set(&["[ipv4-addr:value = '198.51.100.7'] AND [file:size > 1000]"]).screen().is_some(), "AND needs one side's anchors");
        assert!(set(&[]).screen().is_some_and(|s| s.is_empty()));
    }
}
