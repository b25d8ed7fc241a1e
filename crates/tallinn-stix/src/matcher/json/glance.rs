//! A quick look at one JSON text: whether it reads, its top-level members,
//! and every string value it holds at any depth — without building the
//! tree. Detection looks at each log line this way first: most lines hold
//! none of the indicators' values, and for them nothing more is needed.
//!
//! The look may decline to answer (`None`): whatever it does not read in one
//! cheap pass — any syntax error, a text that is not an object, nesting
//! deeper than [`MAX_DEPTH`], an object of more than [`MAX_KEYS`] members,
//! a number with an exponent — is left to [`Json::parse`], which decides
//! and words the error. When the look answers, the reader accepts the text
//! too and reads the same strings: it uses the reader's own code for what
//! it cannot judge alone (numbers it keeps, strings with escapes), and a
//! test and the `json_read` fuzz target hold it to the reader.

use bumpalo::Bump;
use bumpalo::collections::Vec as BumpVec;

use super::read::find_special;
use super::{Json, Map};

/// Deeper nesting is left to the reader.
pub const MAX_DEPTH: usize = 32;
/// Larger objects are left to the reader (repeated keys are looked for
/// by comparing each key with those before it).
pub const MAX_KEYS: usize = 32;

/// The top-level members of a JSON object text, its nested lists and
/// objects kept empty (what they hold is not read into the tree); `strings`
/// is called with every string value at any depth (not with keys), decoded.
/// `None` when the look cannot tell (see the module's text).
pub fn glance<'a>(text: &'a str, arena: &'a Bump, strings: &mut impl FnMut(&str)) -> Option<Map<'a>> {
    let mut g = Glance { text, bytes: text.as_bytes(), at: 0, arena };
    g.space();
    if g.bytes.get(g.at) != Some(&b'{') {
        return None;
    }
    g.at += 1;
    let mut top: BumpVec<'a, (&'a str, Json<'a>)> = BumpVec::with_capacity_in(16, arena);
    // Open lists and objects, innermost last: whether each is an object,
    // and where its keys start in `keys`.
    let mut open: BumpVec<'a, (bool, usize)> = BumpVec::with_capacity_in(MAX_DEPTH, arena);
    open.push((true, 0));
    // The keys of the open objects, each with its `tag`.
    let mut keys: BumpVec<'a, (u64, &'a str)> = BumpVec::with_capacity_in(64, arena);
    let mut first = true;
    loop {
        let &(object, keys_from) = open.last()?;
        g.space();
        // An empty list or object ends below, as any other.
        if !(first && g.bytes.get(g.at) == Some(if object { &b'}' } else { &b']' })) {
            let mut key = "";
            if object {
                if g.bytes.get(g.at) != Some(&b'"') {
                    return None;
                }
                key = g.string()?;
                let tagged = (tag(key), key);
                if keys.len() - keys_from >= MAX_KEYS || keys[keys_from..].contains(&tagged) {
                    return None;
                }
                keys.push(tagged);
                g.space();
                if g.bytes.get(g.at) != Some(&b':') {
                    return None;
                }
                g.at += 1;
                g.space();
            }
            let at_top = open.len() == 1;
            let value = match *g.bytes.get(g.at)? {
                b'"' => {
                    let s = g.string()?;
                    strings(s);
                    Json::String(s)
                }
                b'{' | b'[' => {
                    let is_object = g.bytes[g.at] == b'{';
                    g.at += 1;
                    if open.len() >= MAX_DEPTH {
                        return None;
                    }
                    if at_top {
                        top.push((key, if is_object { Json::Object(Map::default()) } else { Json::Array(&[]) }));
                    }
                    open.push((is_object, keys.len()));
                    first = true;
                    continue;
                }
                b't' => g.word(b"true", Json::Bool(true))?,
                b'f' => g.word(b"false", Json::Bool(false))?,
                b'n' => g.word(b"null", Json::Null)?,
                b'-' | b'0'..=b'9' => g.number(at_top)?,
                _ => return None,
            };
            if at_top {
                top.push((key, value));
            }
        }
        // After a value: a comma, or the end of its list or object (and
        // of each that this closes).
        loop {
            g.space();
            let &(object, keys_from) = open.last()?;
            match g.bytes.get(g.at)? {
                b',' => {
                    g.at += 1;
                    first = false;
                    break;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            g.at += 1;
            keys.truncate(keys_from);
            open.pop();
            if open.is_empty() {
                g.space();
                return (g.at == g.bytes.len()).then(|| Map::new(top.into_bump_slice()));
            }
        }
    }
}

/// A key's length and its first and last bytes in one word: keys compare
/// by it first, and nearly all differ there.
fn tag(key: &str) -> u64 {
    let b = key.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => (b.len() as u64) << 16 | u64::from(first) << 8 | u64::from(last),
        _ => 0,
    }
}

struct Glance<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    arena: &'a Bump,
}

impl<'a> Glance<'a> {
    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn word(&mut self, word: &[u8], value: Json<'a>) -> Option<Json<'a>> {
        if self.bytes.get(self.at..self.at + word.len())? != word {
            return None;
        }
        self.at += word.len();
        Some(value)
    }

    /// A string at its opening quote: borrowed from the text when it holds
    /// no escape, else decoded by the reader into the arena.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let mut end = find_special(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.at = end + 1;
            // Both ends are ASCII bytes of a `str`: character boundaries.
            return Some(&self.text[start..end]);
        }
        // Escapes: find the closing quote (an escape is a backslash and
        // the character after it; `\u`'s digits are neither a quote nor a
        // backslash), and let the reader decode the string.
        loop {
            match self.bytes.get(end)? {
                b'"' => break,
                b'\\' if end + 2 <= self.bytes.len() => end = find_special(self.bytes, end + 2),
                _ => return None,
            }
        }
        let token = &self.text[self.at..=end];
        self.at = end + 1;
        match Json::parse(token, self.arena).ok()? {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number: its grammar checked here; one kept (at the top level) is
    /// read by the reader, so that it is the same number. Exponents, which
    /// can put a number beyond `f64`, are left to the reader.
    fn number(&mut self, keep: bool) -> Option<Json<'a>> {
        let start = self.at;
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        match *self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !self.bytes.get(self.at)?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if let Some(b'e' | b'E' | b'0'..=b'9') = self.bytes.get(self.at) {
            return None;
        }
        if !keep {
            return Some(Json::Null);
        }
        let token = &self.bytes[start..self.at];
        // A plain integer of up to 18 digits fits i64 and u64 alike: it is
        // the reader's number (`read::Reader::number`), made here without
        // setting up a reader. Fractions, longer integers and `-0` (a float
        // there) are left to the reader itself.
        let (negative, digits) = match token.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, token),
        };
        if digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
            let n = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            match (negative, n) {
                (false, n) => return Some(Json::Number(serde_json::Number::from(n))),
                (true, n) if n != 0 => return Some(Json::Number(serde_json::Number::from(-(n as i64)))),
                _ => {}
            }
        }
        Json::parse(&self.text[start..self.at], self.arena).ok()
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// What the reader makes of `text`: the top-level members (nested
    /// lists and objects emptied) and every string value, in order.
    fn by_the_reader(text: &str) -> Option<(Value, Vec<String>)> {
        let arena = Bump::new();
        let json = Json::parse(text, &arena).ok()?;
        let Json::Object(map) = json else { return None };
        let top: serde_json::Map<String, Value> = map
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Json::Object(_) => Value::Object(Default::default()),
                    Json::Array(_) => Value::Array(Vec::new()),
                    other => serde_json::to_value(other).unwrap_or(Value::Null),
                };
                (k.to_string(), v)
            })
            .collect();
        let mut strings = Vec::new();
        let mut pending = vec![&json];
        // Depth-first, in order: the glance's order.
        while let Some(v) = pending.pop() {
            match v {
                Json::String(s) => strings.push(s.to_string()),
                Json::Array(items) => pending.extend(items.iter().rev()),
                Json::Object(m) => pending.extend(m.entries().iter().rev().map(|(_, v)| v)),
                _ => {}
            }
        }
        Some((Value::Object(top), strings))
    }

    fn by_the_glance(text: &str) -> Option<(Value, Vec<String>)> {
        let arena = Bump::new();
        let mut strings = Vec::new();
        let top = glance(text, &arena, &mut |s| strings.push(s.to_string()))?;
        Some((serde_json::to_value(Json::Object(top)).ok()?, strings))
    }

    /// Where the glance answers, it answers as the reader does.
    fn agrees(text: &str) -> Result<(), String> {
        match by_the_glance(text) {
            None => Ok(()),
            Some(g) if by_the_reader(text).as_ref() == Some(&g) => Ok(()),
            Some(g) => Err(format!("{text:?}: the glance read {g:?}, the reader {:?}", by_the_reader(text))),
        }
    }

    #[test]
    fn reads_a_log_line() {
        let line = r#"{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"src_ip":"192.168.0.1","src_port":49207,"dns":{"answers":[{"rrname":"a.example.\/","ttl":-3.5}],"ok":true,"none":null},"list":[],"obj":{}, "tag\u00e9": "caf\u00e9"}"#;
        let (top, strings) = by_the_glance(line).expect("a plain log line is read");
        assert_eq!(top["src_ip"], "192.168.0.1");
        assert_eq!(top["flow_id"], 586497171462735u64);
        assert_eq!(top["dns"], serde_json::json!({}));
        assert_eq!(top["tag\u{e9}"], "caf\u{e9}");
        assert_eq!(strings, ["2017-04-07T22:24:37.251547+0100", "192.168.0.1", "a.example./", "caf\u{e9}"]);
        agrees(line).unwrap();
    }

    #[test]
    fn leaves_to_the_reader_what_it_does_not_read() {
        for text in [
            "",
            "[]",
            "\"a\"",
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"{"a":1e999}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":"\ud800"}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":"\"}"#,
        ] {
            assert!(by_the_glance(text).is_none(), "{text:?} is left to the reader");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(by_the_glance(&deep).is_none() && by_the_reader(&deep).is_some());
        let wide = format!("{{{}}}", (0..=MAX_KEYS).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(","));
        assert!(by_the_glance(&wide).is_none() && by_the_reader(&wide).is_some());
        // Keys repeat only within one object; the same key in two is fine.
        agrees(r#"{"a":{"k":1},"b":{"k":2},"k":[{"k":3},{"k":4}]}"#).unwrap();
        assert!(by_the_glance(r#"{"a":{"k":1},"b":{"k":2},"k":[{"k":3},{"k":4}]}"#).is_some());
    }

    #[test]
    fn kept_numbers_are_the_readers() {
        for n in [
            "0",
            "-0",
            "7",
            "-7",
            "123456789012345678",
            "-123456789012345678",
            "999999999999999999",
            "1234567890123456789",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "2.5",
            "-0.0",
        ] {
            let line = format!("{{\"n\":{n},\"m\":[{n}]}}");
            assert!(by_the_glance(&line).is_some(), "{line} is read");
            agrees(&line).unwrap();
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn answers_as_the_reader_does(value in prop::collection::btree_map(".{0,6}", any_json(), 0..8), pretty in any::<bool>()) {
            let value = Value::Object(value.into_iter().collect());
            let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { serde_json::to_string(&value).unwrap() };
            prop_assert!(by_the_glance(&text).is_some() || text.contains(['e', 'E']) || text.contains("\\u"), "{text:?} is read");
            agrees(&text).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn broken_json_is_left_to_the_reader(value in prop::collection::btree_map(".{0,6}", any_json(), 0..8), at in any::<prop::sample::Index>(), edit in 0..4u8, c in any::<char>()) {
            let mut text = serde_json::to_string(&Value::Object(value.into_iter().collect())).unwrap();
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match edit {
                0 => text.insert(at, c),
                1 if at < text.len() => { text.remove(at); }
                2 => text.truncate(at),
                _ => text.insert(at, [',', '"', '\\', '}', ']', '{', '['][at % 7]),
            }
            agrees(&text).map_err(TestCaseError::fail)?;
        }
    }
}
