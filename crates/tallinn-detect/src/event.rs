//! One log event as STIX observables: the objects a pattern is matched
//! against, built in an arena (nothing to free per event) with keys that
//! their `*_ref` properties name.

use std::borrow::Cow;

use serde_json::Number;
use tallinn_stix::matcher::json::Map;
use tallinn_stix::matcher::{Bump, Json};

/// The most observables one event yields; the rest are dropped (a log line
/// with hundreds of DNS answers stays bounded).
pub const MAX_OBJECTS: usize = 64;

const KEYS: [&str; MAX_OBJECTS] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26",
    "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52",
    "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
];

/// An event read from a log line: when it happened (microseconds since the
/// epoch) and its observables.
#[derive(Debug)]
pub struct Event<'a> {
    pub at: i64,
    pub objects: Vec<(&'a str, &'a Json<'a>)>,
}

/// Builds an event's observables in `arena`.
pub struct Builder<'a> {
    arena: &'a Bump,
    objects: Vec<(&'a str, &'a Json<'a>)>,
}

impl<'a> Builder<'a> {
    pub fn new(arena: &'a Bump) -> Self {
        Builder { arena, objects: Vec::with_capacity(8) }
    }

    pub fn arena(&self) -> &'a Bump {
        self.arena
    }

    /// The event, stamped `at`.
    pub fn finish(self, at: i64) -> Event<'a> {
        Event { at, objects: self.objects }
    }

    /// How many observables so far.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Adds an object of these properties (the first is `type`); its key.
    fn push(&mut self, entries: Vec<(&'a str, Json<'a>)>) -> Option<&'a str> {
        let key = *KEYS.get(self.objects.len())?;
        let entries = self.arena.alloc_slice_fill_iter(entries);
        let object = self.arena.alloc(Json::Object(Map::new(entries)));
        self.objects.push((key, object));
        Some(key)
    }

    /// An observable as the log gave it (STIX input), under the key its
    /// references name it by: its id in 2.1, its key under `objects` in 2.0.
    pub fn embedded(&mut self, key: &'a str, object: &'a Json<'a>) {
        if object.is_object() && self.objects.len() < MAX_OBJECTS {
            self.objects.push((key, object));
        }
    }

    /// Text kept in the arena (for values the event does not hold as is).
    pub fn text(&self, s: &str) -> &'a str {
        self.arena.alloc_str(s)
    }

    fn list(&self, items: impl ExactSizeIterator<Item = Json<'a>>) -> Json<'a> {
        Json::Array(self.arena.alloc_slice_fill_iter(items))
    }

    /// An IP address: `ipv4-addr` or `ipv6-addr`, by its form. Anything
    /// that is neither (a redacted `x.x.250.50`) is not an address and is left out.
    pub fn address(&mut self, value: &'a str) -> Option<&'a str> {
        let bare = bare_address(value);
        let ty = match bare.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(_) => "ipv4-addr",
            std::net::IpAddr::V6(_) => "ipv6-addr",
        };
        self.push(vec![("type", Json::String(ty)), ("value", Json::String(bare))])
    }

    /// A domain name (`domain-name`), without a trailing dot; an address
    /// written where a name goes (an HTTP host `198.51.100.7`) becomes the
    /// address instead.
    pub fn domain(&mut self, value: &'a str) -> Option<&'a str> {
        let name = domain_name(value);
        if name.is_empty() {
            return None;
        }
        if name.parse::<std::net::IpAddr>().is_ok() {
            return self.address(name);
        }
        self.push(vec![("type", Json::String("domain-name")), ("value", Json::String(name))])
    }

    /// A URL (`url`).
    pub fn url(&mut self, value: &'a str) -> Option<&'a str> {
        if value.is_empty() {
            return None;
        }
        self.push(vec![("type", Json::String("url")), ("value", Json::String(value))])
    }

    /// A file (`file`): name, size and hashes (`MD5`, `SHA-1`, `SHA-256`,
    /// lower-case hexadecimal as the sensors write them).
    pub fn file(&mut self, name: Option<&'a str>, size: Option<i64>, hashes: &[(&'static str, &'a str)]) -> Option<&'a str> {
        let hashes: Vec<(&'a str, Json<'a>)> = hashes.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, Json::String(v))).collect();
        if name.is_none() && hashes.is_empty() {
            return None;
        }
        let mut entries = vec![("type", Json::String("file"))];
        if let Some(n) = name {
            entries.push(("name", Json::String(n)));
        }
        if let Some(s) = size.filter(|s| *s >= 0) {
            entries.push(("size", Json::Number(Number::from(s))));
        }
        if !hashes.is_empty() {
            entries.push(("hashes", Json::Object(Map::new(self.arena.alloc_slice_fill_iter(hashes)))));
        }
        self.push(entries)
    }

    /// An X.509 certificate (`x509-certificate`): subject, issuer, serial
    /// and hashes.
    pub fn certificate(
        &mut self,
        subject: Option<&'a str>,
        issuer: Option<&'a str>,
        serial: Option<&'a str>,
        hashes: &[(&'static str, &'a str)],
    ) -> Option<&'a str> {
        let hashes: Vec<(&'a str, Json<'a>)> = hashes.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, Json::String(v))).collect();
        if subject.is_none() && issuer.is_none() && serial.is_none() && hashes.is_empty() {
            return None;
        }
        let mut entries = vec![("type", Json::String("x509-certificate"))];
        for (k, v) in [("subject", subject), ("issuer", issuer), ("serial_number", serial)] {
            if let Some(v) = v {
                entries.push((k, Json::String(v)));
            }
        }
        if !hashes.is_empty() {
            entries.push(("hashes", Json::Object(Map::new(self.arena.alloc_slice_fill_iter(hashes)))));
        }
        self.push(entries)
    }

    /// A connection (`network-traffic`) between two addresses (keys of
    /// objects already added), with ports and protocols (lower case, as
    /// STIX writes them); HTTP request fields go into `http-request-ext`.
    pub fn traffic(&mut self, t: Traffic<'a>) -> Option<&'a str> {
        if t.src.is_none() && t.dst.is_none() {
            return None;
        }
        let mut entries = vec![("type", Json::String("network-traffic"))];
        if let Some(k) = t.src {
            entries.push(("src_ref", Json::String(k)));
        }
        if let Some(k) = t.dst {
            entries.push(("dst_ref", Json::String(k)));
        }
        if let Some(p) = t.src_port {
            entries.push(("src_port", Json::Number(Number::from(p))));
        }
        if let Some(p) = t.dst_port {
            entries.push(("dst_port", Json::Number(Number::from(p))));
        }
        let protocols: Vec<Json<'a>> = t.protocols.iter().filter(|p| !p.is_empty()).map(|p| Json::String(self.lower(p))).collect();
        if !protocols.is_empty() {
            entries.push(("protocols", self.list(protocols.into_iter())));
        }
        if t.http_method.is_some() || t.http_path.is_some() {
            let mut ext = Vec::new();
            if let Some(m) = t.http_method {
                ext.push(("request_method", Json::String(self.lower(m))));
            }
            if let Some(v) = t.http_path {
                ext.push(("request_value", Json::String(v)));
            }
            if let Some(ua) = t.user_agent {
                let headers = self.arena.alloc_slice_fill_iter([("User-Agent", Json::String(ua))]);
                ext.push(("request_header", Json::Object(Map::new(headers))));
            }
            let ext = Json::Object(Map::new(self.arena.alloc_slice_fill_iter(ext)));
            let extensions = self.arena.alloc_slice_fill_iter([("http-request-ext", ext)]);
            entries.push(("extensions", Json::Object(Map::new(extensions))));
        }
        self.push(entries)
    }

    /// `s` in lower case, copied only when it has upper-case letters.
    pub fn lower(&self, s: &'a str) -> &'a str {
        if s.bytes().any(|b| b.is_ascii_uppercase()) { self.arena.alloc_str(&s.to_ascii_lowercase()) } else { s }
    }
}

/// An address without its zone (`fe80::1%eth0`): what `Builder::address` keeps.
pub fn bare_address(value: &str) -> &str {
    // Up to the first `%` (an ASCII byte: a character boundary).
    memchr::memchr(b'%', value.as_bytes()).map_or(value, |at| &value[..at])
}

/// Whether `Builder::address` takes `value` as an address.
pub fn is_address(value: &str) -> bool {
    bare_address(value).parse::<std::net::IpAddr>().is_ok()
}

/// A domain name without its trailing dot: what `Builder::domain` keeps.
pub fn domain_name(value: &str) -> &str {
    value.strip_suffix('.').unwrap_or(value)
}

/// A certificate fingerprint as sensors write it (`aa:bb:…`), as STIX
/// hashes are written: the hexadecimal digits alone.
pub fn fingerprint_hex(value: &str) -> Cow<'_, str> {
    if value.contains(':') { Cow::Owned(value.replace(':', "")) } else { Cow::Borrowed(value) }
}

/// The URL of an HTTP request: its target when that is already a URL, else
/// `http://` + the host + the path.
pub fn http_url<'s>(host: &str, target: &'s str) -> Cow<'s, str> {
    if target.starts_with('/') { Cow::Owned(format!("http://{host}{target}")) } else { Cow::Borrowed(target) }
}

/// What the readers may make of one string of a line, besides the string
/// itself (the functions above and `Builder::lower`), by the object types
/// that can hold what they make: what a screen of the line's strings must
/// also try (`crate::screen`), and only for the types it anchors on. A
/// URL, made of two strings, is tried there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Derivations {
    /// [`domain_name`]: a name, or an address written as one.
    pub trailing_dot: bool,
    /// [`bare_address`].
    pub zone: bool,
    /// [`fingerprint_hex`].
    pub colons: bool,
    /// `Builder::lower` (protocols, HTTP methods).
    pub lower_case: bool,
}

impl Derivations {
    /// Those whose values objects of a type in `anchored` can hold.
    pub fn for_types(anchored: impl Fn(&str) -> bool) -> Self {
        let address = anchored("ipv4-addr") || anchored("ipv6-addr");
        Derivations {
            trailing_dot: address || anchored("domain-name"),
            zone: address,
            colons: anchored("x509-certificate"),
            lower_case: anchored("network-traffic"),
        }
    }

    /// Calls `f` with each value made of `value`; `wanted(len)` says
    /// whether a value of that length is worth making (most are not).
    pub fn each(self, value: &str, wanted: &impl Fn(usize) -> bool, f: &mut impl FnMut(&str)) {
        let bytes = value.as_bytes();
        if self.trailing_dot && bytes.last() == Some(&b'.') {
            let name = domain_name(value);
            f(name);
            if self.zone && bare_address(name).len() != name.len() {
                f(bare_address(name));
            }
        }
        // The `memchr` crate's search: the standard one is slow to start
        // on strings this short, and every string of every line comes here.
        if self.zone && memchr::memchr(b'%', bytes).is_some() && wanted(bare_address(value).len()) {
            f(bare_address(value));
        }
        if self.colons {
            let colons = bytes.iter().filter(|&&b| b == b':').count();
            if colons > 0 && wanted(value.len() - colons) {
                f(&fingerprint_hex(value));
            }
        }
        if self.lower_case && wanted(value.len()) && bytes.iter().any(u8::is_ascii_uppercase) {
            f(&value.to_ascii_lowercase());
        }
    }
}

/// What `Builder::traffic` takes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic<'a> {
    pub src: Option<&'a str>,
    pub dst: Option<&'a str>,
    pub src_port: Option<u64>,
    pub dst_port: Option<u64>,
    pub protocols: &'a [&'a str],
    pub http_method: Option<&'a str>,
    pub http_path: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}
