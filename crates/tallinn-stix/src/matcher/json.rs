//! The JSON the matcher reads: a tree that borrows its strings from the
//! text it was parsed from (most STIX strings hold no escapes), with objects
//! as short lists rather than maps. Reading a batch line into this costs
//! far fewer allocations than a `serde_json::Value`, which is most of what
//! matching one line costs. A `serde_json::Value` converts without copying
//! its strings.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

/// A JSON value; strings are borrowed where the text allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Map<'a>),
}

/// A JSON object in the order it was written. A key written twice means
/// its last value, as with `serde_json::Value`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map<'a> {
    entries: Vec<(Cow<'a, str>, Json<'a>)>,
    /// No key is written twice (nearly always): lookups may stop at the
    /// first match, and iteration need not skip anything.
    unique: bool,
}

impl<'a> Map<'a> {
    fn new(entries: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        // Large objects — a 2.0 observed-data may embed thousands — are
        // checked through a set, not by comparing every pair.
        let unique = if entries.len() <= 16 {
            entries.iter().enumerate().all(|(i, (k, _))| !entries[i + 1..].iter().any(|(later, _)| later == k))
        } else {
            let mut seen = HashSet::with_capacity(entries.len());
            entries.iter().all(|(k, _)| seen.insert(k.as_ref()))
        };
        Map { entries, unique }
    }

    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        let found = if self.unique { self.entries.iter().find(|(k, _)| k == key) } else { self.entries.iter().rev().find(|(k, _)| k == key) };
        found.map(|(_, v)| v)
    }

    /// Each key once, with its last value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        let last: Option<HashMap<&str, usize>> = (!self.unique).then(|| self.entries.iter().enumerate().map(|(i, (k, _))| (k.as_ref(), i)).collect());
        self.entries
            .iter()
            .enumerate()
            .filter(move |(i, (k, _))| last.as_ref().is_none_or(|last| last.get(k.as_ref()) == Some(i)))
            .map(|(_, (k, v))| (k.as_ref(), v))
    }
}

impl<'a> Json<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
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
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?.get(key)
    }
}

impl<'a> From<&'a serde_json::Value> for Json<'a> {
    fn from(v: &'a serde_json::Value) -> Self {
        use serde_json::Value;
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(Cow::Borrowed(s)),
            Value::Array(a) => Json::Array(a.iter().map(Json::from).collect()),
            Value::Object(m) => Json::Object(Map { entries: m.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from(v))).collect(), unique: true }),
        }
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
                for v in a {
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

impl<'de: 'a, 'a> Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        Deserialize::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        // The parser cannot say how long; most STIX lists are short.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // Room for a typical STIX object's properties without growing.
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(12));
        while let Some(Key(k)) = map.next_key()? {
            entries.push((k, map.next_value()?));
        }
        Ok(Json::Object(Map::new(entries)))
    }
}

/// An object key, borrowed where the text allows.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_serde_json_and_borrows_plain_strings() {
        let text = r#"{"a": "plain", "b": "esc\"aped", "n": [1, -2, 3.5, 18446744073709551615], "t": true, "z": null, "a": "last"}"#;
        let ours: Json = serde_json::from_str(text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&ours.to_string()).unwrap(), theirs);
        assert_eq!(Json::from(&theirs).to_string(), theirs.to_string());
        assert_eq!(ours.get("a").and_then(Json::as_str), Some("last"), "a repeated key means its last value");
        assert!(matches!(ours.get("b"), Some(Json::String(Cow::Owned(_)))));
        let plain: Json = serde_json::from_str(r#"{"a": "plain"}"#).unwrap();
        assert!(matches!(plain.get("a"), Some(Json::String(Cow::Borrowed("plain")))));
        assert_eq!(ours.get("n").and_then(Json::as_array).map(<[Json]>::len), Some(4));
        assert_eq!(ours.as_object().unwrap().iter().count(), 5);
        // A large object, a key repeated: each key once, with its last value.
        let large = format!("{{{}, \"k3\": \"again\"}}", (0..40).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", "));
        let large: Json = serde_json::from_str(&large).unwrap();
        let entries: Vec<(&str, &Json)> = large.as_object().unwrap().iter().collect();
        assert_eq!(entries.len(), 40);
        assert_eq!(entries.iter().find(|(k, _)| *k == "k3").and_then(|(_, v)| v.as_str()), Some("again"));
    }
}
