//! The JSON the matcher reads: a tree held in an arena (a [`Bump`]), whose
//! strings are borrowed from the text it was parsed from where they hold no
//! escapes (most STIX strings), with objects as short lists rather than
//! maps. Reading a batch line into this costs a bump of a pointer per
//! list (a few for a long list) and nothing to free: the arena is reset
//! for the next line. (It
//! costs far less than a `serde_json::Value`, whose allocations, and their
//! freeing, were most of what matching one line cost.) [`Json::parse`]
//! reads text into it (the `read` module says why the matcher has its own
//! reader);
//! a `serde_json::Value` converts without copying its strings.

use std::fmt;

use bumpalo::Bump;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

pub mod glance;
mod read;

pub use read::SyntaxError;

/// A JSON value; its lists and unescaped strings live in an arena or in
/// the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(&'a [Json<'a>]),
    Object(Map<'a>),
}

/// A JSON object in the order it was written. Its keys are distinct: the
/// reader refuses a repeated key, and a `serde_json::Map` has none.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Map<'a> {
    entries: &'a [(&'a str, Json<'a>)],
}

impl<'a> Map<'a> {
    /// An object of these entries; their keys must be distinct (lookups
    /// find the first).
    pub fn new(entries: &'a [(&'a str, Json<'a>)]) -> Self {
        Map { entries }
    }

    pub fn get(&self, key: &str) -> Option<&'a Json<'a>> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Every entry as written.
    pub fn entries(&self) -> &'a [(&'a str, Json<'a>)] {
        self.entries
    }

    /// Every entry as written, as pairs of references.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Json<'a>)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }
}

impl<'a> Json<'a> {
    /// Reads JSON text into `arena` (strings without escapes stay in `text`).
    pub fn parse(text: &'a str, arena: &'a Bump) -> Result<Json<'a>, SyntaxError> {
        read::parse(text, arena)
    }

    /// A `serde_json::Value` as this tree, its lists in `arena`, its
    /// strings borrowed.
    pub fn from_value(value: &'a serde_json::Value, arena: &'a Bump) -> Json<'a> {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s),
            Value::Array(a) => Json::Array(arena.alloc_slice_fill_iter(a.iter().map(|v| Json::from_value(v, arena)))),
            Value::Object(m) => Json::Object(Map { entries: arena.alloc_slice_fill_iter(m.iter().map(|(k, v)| (k.as_str(), Json::from_value(v, arena)))) }),
        }
    }

    /// [`Json::from_value`] of each value.
    pub fn from_values(values: &'a [serde_json::Value], arena: &'a Bump) -> &'a [Json<'a>] {
        arena.alloc_slice_fill_iter(values.iter().map(|v| Json::from_value(v, arena)))
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&'a [Json<'a>]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map<'a>> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&'a Json<'a>> {
        self.as_object()?.get(key)
    }
}

/// Compact JSON, as `serde_json::Value` prints (error messages quote values).
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(t) => s.serialize_str(t),
            Json::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(m) => {
                let mut map = s.serialize_map(None)?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_serde_json_and_borrows_plain_strings() {
        let arena = Bump::new();
        let text = r#"{"a": "plain", "b": "esc\"aped", "n": [1, -2, 3.5, 18446744073709551615], "t": true, "z": null, "e\u0301": {}}"#;
        let ours = Json::parse(text, &arena).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&ours.to_string()).unwrap(), theirs);
        assert_eq!(Json::from_value(&theirs, &arena).to_string(), theirs.to_string());
        assert_eq!(ours.get("a").and_then(Json::as_str), Some("plain"));
        let repeated = Json::parse(r#"{"a": 1, "b": 2, "a": 3}"#, &arena).unwrap_err();
        assert_eq!(repeated.to_string(), "duplicate key `a` at line 1 column 21", "a repeated key is refused, named");
        assert_eq!(ours.get("b").and_then(Json::as_str), Some("esc\"aped"));
        assert!(ours.get("e\u{301}").is_some_and(Json::is_object), "an escaped key is read");
        let within_text = |s: &str| text.as_bytes().as_ptr_range().contains(&s.as_ptr());
        assert!(ours.as_object().unwrap().iter().all(|(k, _)| within_text(k) || k == "e\u{301}"), "keys without escapes are borrowed");
        assert!(ours.get("a").and_then(Json::as_str).is_some_and(within_text), "a string without escapes is borrowed from the text");
        assert!(!ours.get("b").and_then(Json::as_str).is_some_and(within_text));
        assert_eq!(ours.get("n").and_then(Json::as_array).map(<[Json]>::len), Some(4));
        assert_eq!(ours.as_object().unwrap().iter().count(), 6);
        // A large object, a key repeated: refused, past the keys compared in turn.
        let large = format!("{{{}, \"k3\": \"again\"}}", (0..40).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", "));
        assert_eq!(Json::parse(&large, &arena).unwrap_err().message(), "duplicate key");
        // Text after the value, or no value, is an error.
        assert!(Json::parse("{} x", &arena).is_err());
        assert!(Json::parse("", &arena).is_err());
    }
}
