//! Reading JSON text into the arena tree, in one pass over the bytes.
//!
//! Why not serde_json, which the rest of the project reads JSON with: for
//! `stix match-batch` reading each line was two thirds of the work, and in
//! serde_json's visitor path most of that went to dispatch and to scanning
//! strings eight bytes at a time. This reader finds a string's end sixteen
//! bytes at a time and builds the tree as it goes; it reads the same
//! language as serde_json (RFC 8259, nesting up to 127 levels, numbers as
//! `serde_json::Number`), with the same error messages, and a test and a
//! fuzz target hold it to serde_json's answers — serde_json behind
//! [`crate::strict_json`], for like the rest of the exchange this reader
//! refuses an object that names one key twice. (Measured on STIX bundles:
//! sonic-rs parses about as fast into a tree of its own, but converting
//! that into this one cost more than it saved; simd-json's tape is slower.
//! Both were no faster than serde_json behind serde's visitor.)

use std::fmt;

use bumpalo::Bump;
use bumpalo::collections::Vec as BumpVec;
use serde_json::Number;
use wide::u8x16;

use super::{Json, Map};

/// Lists nested this deep are refused, as serde_json refuses them (it
/// bounds the reader's stack).
const MAX_DEPTH: u32 = 128;

/// A list's items go straight into the arena, with room for this many to
/// start with; a list that outgrows it doubles within the arena, its
/// shorter copies left there until the arena is reset. Measured on STIX
/// bundles against two other ways: gathering each list elsewhere and moving
/// it into the arena at its final length made reading a quarter slower;
/// room for 16 (a whole STIX object) read as fast but left the tree three
/// times larger, which a stream of events read before matching paid for in
/// cache misses.
const ROOM: usize = 4;

/// What is wrong with a JSON text, and where (lines and columns count from
/// 1, columns in bytes), worded as serde_json words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    message: &'static str,
    /// The key a "duplicate key" error names.
    key: Option<Box<str>>,
    line: usize,
    column: usize,
}

impl SyntaxError {
    pub fn message(&self) -> &'static str {
        self.message
    }

    pub fn line(&self) -> usize {
        self.line
    }

    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{} `{key}` at line {} column {}", self.message, self.line, self.column),
            None => write!(f, "{} at line {} column {}", self.message, self.line, self.column),
        }
    }
}

impl std::error::Error for SyntaxError {}

type Result<T> = std::result::Result<T, SyntaxError>;

/// Reads one JSON value, and nothing but white space after it.
pub(super) fn parse<'a>(text: &'a str, arena: &'a Bump) -> Result<Json<'a>> {
    let mut reader = Reader { text, bytes: text.as_bytes(), at: 0, arena, depth: 0, scratch: Vec::new() };
    let mut value = Json::Null;
    reader.value(&mut value)?;
    reader.skip_space();
    if reader.at < reader.bytes.len() {
        return Err(reader.error_at(reader.at, "trailing characters"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
    arena: &'a Bump,
    /// Lists open around the value being read.
    depth: u32,
    /// A string with escapes is decoded here before it goes to the arena.
    scratch: Vec<u8>,
}

impl<'a> Reader<'a> {
    /// Reads a value into `out`, where it is to be kept. (Returning it
    /// instead cost a stalled copy per value: the caller read back in one
    /// load what had just been written in several stores.)
    fn value(&mut self, out: &mut Json<'a>) -> Result<()> {
        self.skip_space();
        let Some(&first) = self.bytes.get(self.at) else {
            return Err(self.error_at(self.at, "EOF while parsing a value"));
        };
        *out = match first {
            b'"' => {
                self.at += 1;
                Json::String(self.string()?)
            }
            b'{' => Json::Object(self.object()?),
            b'[' => Json::Array(self.array()?),
            b't' => self.word(b"true", Json::Bool(true))?,
            b'f' => self.word(b"false", Json::Bool(false))?,
            b'n' => self.word(b"null", Json::Null)?,
            b'-' | b'0'..=b'9' => Json::Number(self.number()?),
            _ => return Err(self.error_at(self.at, "expected value")),
        };
        Ok(())
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// `true`, `false` or `null`, whose first byte has been seen.
    fn word(&mut self, word: &[u8], value: Json<'a>) -> Result<Json<'a>> {
        for (i, &expected) in word.iter().enumerate().skip(1) {
            match self.bytes.get(self.at + i) {
                None => return Err(self.error_at(self.at + i, "EOF while parsing a value")),
                Some(&b) if b != expected => return Err(self.error_at(self.at + i, "expected ident")),
                Some(_) => {}
            }
        }
        self.at += word.len();
        Ok(value)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(self.at, "recursion limit exceeded"));
        }
        self.at += 1;
        Ok(())
    }

    fn array(&mut self) -> Result<&'a [Json<'a>]> {
        self.enter()?;
        self.skip_space();
        match self.bytes.get(self.at) {
            Some(b']') => {
                self.at += 1;
                self.depth -= 1;
                return Ok(&[]);
            }
            None => return Err(self.error_at(self.at, "EOF while parsing a list")),
            Some(_) => {}
        }
        let mut items = BumpVec::with_capacity_in(ROOM, self.arena);
        loop {
            items.push(Json::Null);
            let last = items.len() - 1;
            self.value(&mut items[last])?;
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => {
                    self.at += 1;
                    self.skip_space();
                    if self.bytes.get(self.at) == Some(&b']') {
                        return Err(self.error_at(self.at, "trailing comma"));
                    }
                }
                Some(b']') => break,
                Some(_) => return Err(self.error_at(self.at, "expected `,` or `]`")),
                None => return Err(self.error_at(self.at, "EOF while parsing a list")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(items.into_bump_slice())
    }

    fn object(&mut self) -> Result<Map<'a>> {
        self.enter()?;
        self.skip_space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            self.depth -= 1;
            return Ok(Map::default());
        }
        let mut entries = BumpVec::with_capacity_in(ROOM, self.arena);
        let mut keys = Keys::default();
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => self.at += 1,
                Some(_) => return Err(self.error_at(self.at, "key must be a string")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
            let key = self.string()?;
            if keys.repeats(&entries, key) {
                let shown: String = key.chars().take(64).collect();
                return Err(SyntaxError { key: Some(shown.into()), ..self.error_at(self.at, "duplicate key") });
            }
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b':') => self.at += 1,
                Some(_) => return Err(self.error_at(self.at, "expected `:`")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
            entries.push((key, Json::Null));
            let last = entries.len() - 1;
            self.value(&mut entries[last].1)?;
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => {
                    self.at += 1;
                    self.skip_space();
                    match self.bytes.get(self.at) {
                        Some(b'}') => return Err(self.error_at(self.at, "trailing comma")),
                        None => return Err(self.error_at(self.at, "EOF while parsing a value")),
                        Some(_) => {}
                    }
                }
                Some(b'}') => break,
                Some(_) => return Err(self.error_at(self.at, "expected `,` or `}`")),
                None => return Err(self.error_at(self.at, "EOF while parsing an object")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(Map { entries: entries.into_bump_slice() })
    }

    /// A string whose opening quote has been read: borrowed from the text
    /// when it holds no escape, else decoded into the arena.
    fn string(&mut self) -> Result<&'a str> {
        let start = self.at;
        let end = find_special(self.bytes, start);
        match self.bytes.get(end) {
            Some(b'"') => {
                self.at = end + 1;
                // Both ends are ASCII bytes of a `str`: character boundaries.
                Ok(&self.text[start..end])
            }
            Some(b'\\') => self.escaped_string(start, end),
            Some(_) => Err(self.error_at(end, "control character (\\u0000-\\u001F) found while parsing a string")),
            None => Err(self.error_at(end, "EOF while parsing a string")),
        }
    }

    /// The rest of a string from its first backslash at `escape`.
    fn escaped_string(&mut self, start: usize, mut escape: usize) -> Result<&'a str> {
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.bytes[start..escape]);
        loop {
            self.at = escape + 1;
            self.unescape()?;
            let end = find_special(self.bytes, self.at);
            self.scratch.extend_from_slice(&self.bytes[self.at..end]);
            match self.bytes.get(end) {
                Some(b'"') => {
                    self.at = end + 1;
                    break;
                }
                Some(b'\\') => escape = end,
                Some(_) => return Err(self.error_at(end, "control character (\\u0000-\\u001F) found while parsing a string")),
                None => return Err(self.error_at(end, "EOF while parsing a string")),
            }
        }
        // Decoding wrote only whole characters: text copied between
        // escapes (cut at ASCII bytes) and characters encoded here.
        let decoded = std::str::from_utf8(&self.scratch).map_err(|_| self.error_at(self.at, "invalid unicode code point"))?;
        Ok(self.arena.alloc_str(decoded))
    }

    /// Decodes the escape after a backslash into `scratch`.
    fn unescape(&mut self) -> Result<()> {
        let Some(&kind) = self.bytes.get(self.at) else {
            return Err(self.error_at(self.at, "EOF while parsing a string"));
        };
        self.at += 1;
        let byte = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let c = self.unicode_escape()?;
                self.scratch.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(self.error_at(self.at - 1, "invalid escape")),
        };
        self.scratch.push(byte);
        Ok(())
    }

    /// The character of a `\uXXXX` escape (two, for a surrogate pair),
    /// its `\u` read.
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.error_at(self.at - 1, "lone leading surrogate in hex escape")),
            0xD800..=0xDBFF => {
                // Then a trailing surrogate must follow.
                for expected in [b'\\', b'u'] {
                    match self.bytes.get(self.at) {
                        Some(&b) if b == expected => self.at += 1,
                        Some(_) => return Err(self.error_at(self.at, "unexpected end of hex escape")),
                        None => return Err(self.error_at(self.at, "EOF while parsing a string")),
                    }
                }
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error_at(self.at - 1, "lone leading surrogate in hex escape"));
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            _ => u32::from(first),
        };
        char::from_u32(code).ok_or_else(|| self.error_at(self.at - 1, "invalid unicode code point"))
    }

    fn hex4(&mut self) -> Result<u16> {
        if self.bytes.len() < self.at + 4 {
            return Err(self.error_at(self.bytes.len(), "EOF while parsing a string"));
        }
        let mut value = 0u16;
        for _ in 0..4 {
            let b = self.bytes[self.at];
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.error_at(self.at, "invalid escape")),
            };
            value = value * 16 + u16::from(digit);
            self.at += 1;
        }
        Ok(value)
    }

    /// A number: an integer that fits is kept exact (`u64`, or `i64` when
    /// negative), anything else is the nearest `f64` (correctly rounded,
    /// as Python's `json` reads it); one beyond `f64` is refused.
    fn number(&mut self) -> Result<Number> {
        let start = self.at;
        let negative = self.bytes[start] == b'-';
        if negative {
            self.at += 1;
        }
        let mut integer: Option<u64> = Some(0);
        match self.bytes.get(self.at) {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.bytes.get(self.at) {
                    return Err(self.error_at(self.at, "invalid number"));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.at) {
                    integer = integer.and_then(|n| n.checked_mul(10)).and_then(|n| n.checked_add(u64::from(d - b'0')));
                    self.at += 1;
                }
            }
            Some(_) => return Err(self.error_at(self.at, "invalid number")),
            None => return Err(self.error_at(self.at, "EOF while parsing a value")),
        }
        let mut fraction_or_exponent = false;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.digits()?;
            fraction_or_exponent = true;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.digits()?;
            fraction_or_exponent = true;
        }
        if !fraction_or_exponent {
            match integer {
                Some(n) if !negative => return Ok(Number::from(n)),
                // `-0` is the float -0.0, as in serde_json.
                Some(n) if n != 0 && n <= i64::MAX.unsigned_abs() + 1 => return Ok(Number::from((n as i64).wrapping_neg())),
                _ => {}
            }
        }
        // The grammar read above is a subset of what `f64::from_str` takes.
        let float: f64 = self.text[start..self.at].parse().map_err(|_| self.error_at(start, "invalid number"))?;
        Number::from_f64(float).ok_or_else(|| self.error_at(start, "number out of range"))
    }

    /// One or more decimal digits (of a fraction or an exponent).
    fn digits(&mut self) -> Result<()> {
        match self.bytes.get(self.at) {
            Some(b'0'..=b'9') => {}
            Some(_) => return Err(self.error_at(self.at, "invalid number")),
            None => return Err(self.error_at(self.at, "EOF while parsing a value")),
        }
        while let Some(b'0'..=b'9') = self.bytes.get(self.at) {
            self.at += 1;
        }
        Ok(())
    }

    /// The error `message` at byte `at` (computed only when there is one).
    fn error_at(&self, at: usize, message: &'static str) -> SyntaxError {
        let before = &self.bytes[..at.min(self.bytes.len())];
        let line = 1 + memchr::memchr_iter(b'\n', before).count();
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
        SyntaxError { message, key: None, line, column: before.len() - line_start + 1 }
    }
}

/// The keys an object has named so far: a scan of the few keys a STIX
/// object has, then a hash set (a hostile line may hold thousands).
#[derive(Default)]
struct Keys<'a> {
    many: Option<foldhash::HashSet<&'a str>>,
}

impl<'a> Keys<'a> {
    const SCAN: usize = 24;

    /// Whether `key` was named before, given the entries before it; remembers it.
    fn repeats(&mut self, entries: &[(&'a str, Json<'a>)], key: &'a str) -> bool {
        match &mut self.many {
            Some(set) => !set.insert(key),
            None if entries.len() < Self::SCAN => entries.iter().any(|(k, _)| *k == key),
            None => {
                let mut set: foldhash::HashSet<&'a str> = entries.iter().map(|(k, _)| *k).collect();
                let repeated = !set.insert(key);
                self.many = Some(set);
                repeated
            }
        }
    }
}

/// Where the first `"`, `\` or control character lies at or after `from`
/// (`bytes.len()` if none): sixteen bytes at a time, in vector registers
/// where the target has them (SSE2 on every x86-64, NEON on aarch64).
pub(super) fn find_special(bytes: &[u8], mut from: usize) -> usize {
    let (quote, backslash, last_control) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    while let Some(chunk) = bytes.get(from..from + 16) {
        let v = u8x16::new(chunk.try_into().unwrap_or_default());
        let found = v.cmp_eq(quote) | v.cmp_eq(backslash) | v.min(last_control).cmp_eq(v);
        let mask = found.move_mask();
        if mask != 0 {
            return from + mask.trailing_zeros() as usize;
        }
        from += 16;
    }
    bytes[from..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map_or(bytes.len(), |i| from + i)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// The tree as a `serde_json::Value` (a repeated key: its last value).
    fn to_value(json: &Json<'_>) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(to_value).collect()),
            Json::Object(map) => Value::Object(map.entries().iter().map(|(k, v)| (k.to_string(), to_value(v))).collect()),
        }
    }

    /// Equal, but for floats serde_json rounds differently: it reads
    /// some decimals (long ones, tiny ones) to within a few units in the
    /// last place, this reader to the nearest.
    fn same(ours: &Value, theirs: &Value) -> bool {
        match (ours, theirs) {
            (Value::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                a == b || (a.signum() == b.signum() && a.to_bits().abs_diff(b.to_bits()) <= 64)
            }
            (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b)),
            (Value::Object(a), Value::Object(b)) => a.len() == b.len() && a.iter().zip(b).all(|((ka, a), (kb, b))| ka == kb && same(a, b)),
            _ => ours == theirs,
        }
    }

    /// Reads `text` as serde_json does: the same value, or an error with
    /// the same words. Returns whether it was JSON.
    fn agrees_with_serde_json(text: &str) -> std::result::Result<bool, String> {
        let arena = Bump::new();
        match (parse(text, &arena), crate::strict_json::from_str(text)) {
            (Ok(ours), Ok(theirs)) if same(&to_value(&ours), &theirs) => Ok(true),
            (Err(ours), Err(theirs)) if theirs.to_string().starts_with(ours.message()) => Ok(false),
            (ours, theirs) => Err(format!("{text:?}: this reader {ours:?}, serde_json {theirs:?}")),
        }
    }

    #[test]
    fn reads_what_serde_json_reads_and_refuses_what_it_refuses() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let valid = [
            "0",
            "-0",
            "1",
            "-1",
            "1.5",
            "-1.5e-3",
            "1E5",
            "1e+2",
            "0.000001",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "5e-324",
            "true",
            "false",
            "null",
            r#""""#,
            r#""plain""#,
            r#""esc\"aped \\ \/ \b\f\n\r\t""#,
            r#""\u0041\u00e9\u20ac\ud83d\ude00""#,
            "\"r\u{e9}sum\u{e9} \u{1F600}\"",
            r#"" \u0000 ""#,
            " [ 1 , 2 ] ",
            "\t\r\n{\"a\" :\n[] }",
            "[]",
            "{}",
            "[[], {}]",
            r#"{"a": 1, "A": 2, "b": {"a": [true, null]}}"#,
            r#"{"a\u0062": "c\u0064"}"#,
            &deep(127),
            r#""sixteen bytes..\"and more than sixteen after a quote, then \\ an escape at 32 and text to end""#,
        ];
        for text in valid {
            assert_eq!(agrees_with_serde_json(text), Ok(true), "{text}");
        }
        let invalid = [
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": 1, "b": {"c": 1, "c": 1}}"#,
            r#"{"ab": 1, "a\u0062": 2}"#,
            &format!("{{{}, \"k7\": 0}}", (0..100).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", ")),
            "",
            " ",
            "[",
            "]",
            "{",
            "}",
            "[1,]",
            "{\"a\": 1,}",
            "[1 2]",
            "{\"a\" 1}",
            "{1: 2}",
            "{\"a\": 1 \"b\": 2}",
            "[01]",
            "[1.]",
            "[.5]",
            "[1e]",
            "[1e+]",
            "[-]",
            "[- 1]",
            "+1",
            "tru",
            "nul",
            "flase",
            "truex",
            "nulll",
            r#""\x""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            "\"a\u{1}b\"",
            "\"tab\there\"",
            "\"abc",
            "\"abc\\",
            "[1] 2",
            "{} x",
            "1e400",
            "-1e400",
            "[NaN]",
            "[Infinity]",
            "'a'",
            &deep(128),
            "[\"a\"\n,\n]",
        ];
        for text in invalid {
            assert_eq!(agrees_with_serde_json(text), Ok(false), "{text}");
        }
    }

    #[test]
    fn an_error_names_its_line_and_column() {
        let arena = Bump::new();
        let e = parse("{\n  \"a\": [1,\n    2 3]}", &arena).unwrap_err();
        assert_eq!(e.to_string(), "expected `,` or `]` at line 3 column 7");
        assert_eq!((e.line(), e.column()), (3, 7));
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\"\\\\\\x00-\\x1f a-z\u{e9}\u{1F600}]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(("[a-z\"\\\\]{0,6}", inner), 0..8).prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_text_reads_as_serde_json_reads_it(value in any_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
            prop_assert_eq!(agrees_with_serde_json(&text), Ok(true));
            // And exactly the value written: floats are read to the nearest.
            let arena = Bump::new();
            prop_assert_eq!(to_value(&parse(&text, &arena).unwrap()), value);
        }

        /// Text cut, or with a character put in or taken out, is refused
        /// (or read) as serde_json refuses (or reads) it, and never panics.
        #[test]
        fn broken_json_is_refused_as_serde_json_refuses_it(value in any_json(), at in any::<prop::sample::Index>(), edit in 0..4u8, c in any::<char>()) {
            let mut text = value.to_string();
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match edit {
                0 => text.truncate(i),
                1 => text.insert(i, c),
                2 => text.insert(i, *b"\"\\,:[]{}0-e.u".get(c as usize % 13).unwrap() as char),
                _ => if i < text.len() { text.remove(i); },
            }
            prop_assert!(agrees_with_serde_json(&text).is_ok(), "{}", agrees_with_serde_json(&text).unwrap_err());
        }
    }
}
