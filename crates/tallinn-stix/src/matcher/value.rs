//! Comparing an observed value with a pattern literal, the way the reference
//! matcher (`stix2-matcher` 3.0.0) does: a table of which kinds compare with
//! which (ints with floats, binary with strings whose code points are all
//! below 256, timestamps with strings that parse as timestamps), and unequal —
//! never an error — when the kinds do not compare.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::json::Json;

use super::MatchError;

/// A literal of the pattern, resolved to the kind it compares as.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    /// Microseconds since the Unix epoch (the reference's precision).
    Time(i64),
}

/// A value selected from an observed object.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Json(&'a Json<'a>),
    /// A `*_hex` or `*_bin` property, decoded.
    Bytes(Vec<u8>),
    /// A `*_refs` list, dereferenced to the objects it names.
    Objects(Vec<&'a Json<'a>>),
}

/// The scalar kinds a comparison sees.
#[derive(Clone, Copy)]
enum Scalar<'v> {
    Int(i64),
    Float(f64),
    Text(&'v str),
    Bytes(&'v [u8]),
    Bool(bool),
    Time(i64),
    Other,
}

fn scalar<'v>(v: &'v Val<'_>) -> Scalar<'v> {
    match v {
        Val::Bytes(b) => Scalar::Bytes(b),
        Val::Objects(_) => Scalar::Other,
        Val::Json(Json::String(s)) => Scalar::Text(s),
        Val::Json(Json::Bool(b)) => Scalar::Bool(*b),
        Val::Json(Json::Number(n)) => match n.as_i64() {
            Some(i) => Scalar::Int(i),
            None => n.as_f64().map_or(Scalar::Other, Scalar::Float),
        },
        Val::Json(_) => Scalar::Other,
    }
}

fn lit_scalar(l: &Lit) -> Scalar<'_> {
    match l {
        Lit::Int(i) => Scalar::Int(*i),
        Lit::Float(f) => Scalar::Float(*f),
        Lit::Text(s) => Scalar::Text(s),
        Lit::Bytes(b) => Scalar::Bytes(b),
        Lit::Bool(b) => Scalar::Bool(*b),
        Lit::Time(t) => Scalar::Time(*t),
    }
}

/// A string's code points as bytes, when every one is below 256 (the
/// specification's rule for comparing strings with binary values).
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// A timestamp literal against a string property: the string is read as a
/// timestamp, and a string that is not one is an error (as in the reference).
fn as_time<'v>(value: Scalar<'v>, lit: &Lit) -> Result<Scalar<'v>, MatchError> {
    match (value, lit) {
        (Scalar::Text(s), Lit::Time(_)) => parse_timestamp(s).map(Scalar::Time).ok_or_else(|| MatchError::new(format!("Invalid timestamp in JSON: {s}"))),
        (v, _) => Ok(v),
    }
}

/// `value = lit`.
pub(crate) fn equal(value: &Val<'_>, lit: &Lit) -> Result<bool, MatchError> {
    Ok(equal_scalars(as_time(scalar(value), lit)?, lit_scalar(lit)))
}

fn equal_scalars(v: Scalar<'_>, l: Scalar<'_>) -> bool {
    match (v, l) {
        (Scalar::Int(a), Scalar::Int(b)) => a == b,
        (Scalar::Int(a), Scalar::Float(b)) | (Scalar::Float(b), Scalar::Int(a)) => (a as f64) == b,
        (Scalar::Float(a), Scalar::Float(b)) => a == b,
        (Scalar::Text(a), Scalar::Text(b)) => a == b,
        (Scalar::Bytes(a), Scalar::Bytes(b)) => a == b,
        (Scalar::Bytes(a), Scalar::Text(s)) | (Scalar::Text(s), Scalar::Bytes(a)) => latin1(s).is_some_and(|s| s == a),
        (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
        (Scalar::Time(a), Scalar::Time(b)) => a == b,
        _ => false,
    }
}

/// `value <op> lit` for `< <= > >=`: `None` when the kinds do not order
/// (the test is then false, whatever the operator).
pub(crate) fn order(value: &Val<'_>, lit: &Lit) -> Result<Option<Ordering>, MatchError> {
    let v = as_time(scalar(value), lit)?;
    Ok(match (v, lit_scalar(lit)) {
        (Scalar::Int(a), Scalar::Int(b)) => Some(a.cmp(&b)),
        (Scalar::Int(a), Scalar::Float(b)) => (a as f64).partial_cmp(&b),
        (Scalar::Float(a), Scalar::Int(b)) => a.partial_cmp(&(b as f64)),
        (Scalar::Float(a), Scalar::Float(b)) => a.partial_cmp(&b),
        // Rust orders `str` by UTF-8 bytes, which is code point order, as Python does.
        (Scalar::Text(a), Scalar::Text(b)) => Some(a.cmp(b)),
        (Scalar::Bytes(a), Scalar::Bytes(b)) => Some(a.cmp(b)),
        (Scalar::Bytes(a), Scalar::Text(s)) => latin1(s).map(|s| a.cmp(&s[..])),
        (Scalar::Text(s), Scalar::Bytes(b)) => latin1(s).map(|s| s[..].cmp(b)),
        (Scalar::Time(a), Scalar::Time(b)) => Some(a.cmp(&b)),
        _ => None,
    })
}

/// Membership in a set literal, with Python's `==` of the reference's
/// `value in set` (so `true` is in `(1, 2)` there, and here).
pub(crate) fn member(value: &Val<'_>, set: &[Lit]) -> Result<bool, MatchError> {
    for lit in set {
        let v = as_time(scalar(value), lit)?;
        let hit = match (v, lit_scalar(lit)) {
            (Scalar::Bool(a), Scalar::Int(b)) => i64::from(a) == b,
            (Scalar::Bool(a), Scalar::Float(b)) => f64::from(u8::from(a)) == b,
            (Scalar::Bytes(_), Scalar::Text(_)) | (Scalar::Text(_), Scalar::Bytes(_)) => false,
            (v, l) => equal_scalars(v, l),
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The text a LIKE or MATCHES test reads: strings, and binary values where
/// the reference reads them (UTF-8 for LIKE).
pub(crate) fn text_of<'v>(value: &'v Val<'_>) -> Option<&'v str> {
    match value {
        Val::Json(Json::String(s)) => Some(s),
        _ => None,
    }
}

pub(crate) fn bytes_of<'v>(value: &'v Val<'_>) -> Option<&'v [u8]> {
    match value {
        Val::Bytes(b) => Some(b),
        _ => None,
    }
}

/// A timestamp as the reference reads it: `YYYY-MM-DDTHH:MM:SS[.f+]Z`,
/// upper-case `T` and `Z`, fractions beyond microseconds truncated.
/// Microseconds since the epoch.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    crate::timestamp::StixTime::parse(s).ok().map(|t| t.micros())
}

/// An address or a CIDR block, of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    /// `a.b.c.d`, `a.b.c.d/n`, IPv6 likewise; `None` when it is neither.
    pub(crate) fn parse(s: &str) -> Option<Net> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) && p.len() <= 3 => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            Some(_) => return None,
        };
        Some(Net { addr, prefix })
    }

    pub(crate) fn prefix(self) -> u8 {
        self.prefix
    }

    pub(crate) fn is_block(s: &str) -> bool {
        s.contains('/')
    }

    fn bits(self) -> (u128, u32) {
        match self.addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        }
    }

    /// Addresses are left-aligned in 128 bits, so a prefix is always the top bits.
    fn mask(prefix: u8) -> u128 {
        if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) }
    }

    /// Whether every address of `self` is in `container` (families must agree).
    pub(crate) fn within(self, container: Net) -> bool {
        let ((a, wa), (b, wb)) = (self.bits(), container.bits());
        if wa != wb || container.prefix > self.prefix {
            return false;
        }
        let m = Net::mask(container.prefix);
        a & m == b & m
    }

    /// The enclosing block of the given prefix length, if there is one.
    pub(crate) fn widened(self, prefix: u8) -> Option<Net> {
        (prefix <= self.prefix).then_some(Net { addr: self.addr, prefix })
    }

    /// The block with its host bits cleared: two nets are the same block
    /// exactly when their masked forms are equal (what the index keys on).
    pub(crate) fn masked(self) -> Net {
        let (bits, _) = self.bits();
        let kept = bits & Net::mask(self.prefix);
        let addr = match self.addr {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from((kept >> 96) as u32)),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(kept)),
        };
        Net { addr, prefix: self.prefix }
    }

    /// The same block: an address equals its own `/32` (or `/128`).
    pub(crate) fn same(self, other: Net) -> bool {
        self.prefix == other.prefix && self.within(other)
    }
}

#[cfg(test)]
mod tests {
    use super::{Net, parse_timestamp};

    #[test]
    fn masked_nets_are_equal_exactly_when_they_are_the_same_block() {
        let net = |s| Net::parse(s).unwrap();
        for (a, b) in [("10.1.2.3/24", "10.1.2.0/24"), ("10.1.2.3", "10.1.2.3/32"), ("2001:db8::1/32", "2001:db8:0:0:0:0:0:7/32"), ("0.0.0.0/0", "255.1.2.3/0")]
        {
            assert!(net(a).same(net(b)), "{a} {b}");
            assert_eq!(net(a).masked(), net(b).masked(), "{a} {b}");
        }
        for (a, b) in [("10.1.2.3/24", "10.1.3.0/24"), ("10.1.2.0/24", "10.1.2.0/25"), ("0.0.0.0/0", "::/0"), ("10.0.0.1", "::ffff:10.0.0.1")] {
            assert!(!net(a).same(net(b)), "{a} {b}");
            assert_ne!(net(a).masked(), net(b).masked(), "{a} {b}");
        }
    }

    #[test]
    fn timestamps_read_as_the_reference_reads_them() {
        let at = |s| parse_timestamp(s);
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("1970-01-01T00:00:01.5Z"), Some(1_500_000));
        assert_eq!(at("2026-11-22T10:20:30.1234569Z"), Some(1_795_342_830_123_456), "fractions beyond microseconds are truncated");
        assert_eq!(at("2024-02-29T23:59:59Z"), Some(1_709_251_199_000_000));
        for bad in [
            "2023-02-29T00:00:00Z",  // no such day
            "2026-13-01T00:00:00Z",  // no such month
            "2026-11-22T24:00:00Z",  // no such hour
            "+026-11-22T10:20:30Z",  // a sign is not a digit
            "2026-11-2xT10:20:30Z",  // nor is a letter
            "2026-11-22t10:20:30Z",  // lower-case t
            "2026-11-22T10:20:30",   // no Z
            "2026-11-22T10:20:30.Z", // an empty fraction
            "2026-11-22T10:20:3éZ",  // a multi-byte character where a digit belongs
            "2026-11-22T10:20:30éZ", // and after the seconds
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
