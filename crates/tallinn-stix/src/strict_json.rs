//! JSON as objects enter the threat exchange: RFC 8259 as serde_json reads
//! it (nesting up to 127 levels, so no reader's stack grows with the
//! input), except that an object naming one key twice is refused.
//!
//! RFC 8259 leaves repeated keys to each reader, and readers disagree:
//! serde_json and Python keep the last value, others the first. For STIX
//! that ambiguity is a confidentiality hole — an object with
//! `"object_marking_refs": [RED]` and then `[CLEAR]` would be stored
//! verbatim, classified by one reader as CLEAR and shown by another as RED
//! content. So every path by which objects enter (TAXII, the CLI,
//! detection) reads them with this, or with the matcher's reader, which
//! refuses repeated keys the same way.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `text` into a value, refusing repeated keys ("duplicate key `k`
/// at line … column …") and everything serde_json refuses, in its words.
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Parses bytes that should be UTF-8 JSON, as [`from_str`].
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Re-reads a value from JSON already checked to be well formed (a
/// `RawValue`), now refusing repeated keys.
pub fn from_raw(raw: &serde_json::value::RawValue) -> Result<Value, serde_json::Error> {
    from_str(raw.get())
}

/// Reads the STIX objects in `text` — a bundle, a list (of objects or
/// bundles), or one object — handing each to `each` as soon as it is read,
/// so that a bundle of a million objects is never held whole: only one
/// object at a time, besides `text`. Strict as [`from_str`]; on an error,
/// the objects before it have been handed on.
pub fn for_each_object(text: &str, each: &mut dyn FnMut(Value)) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Objects { each }.deserialize(&mut de)?;
    de.end()
}

/// Hands on a value's STIX objects (see [`for_each_object`]).
struct Objects<'f> {
    each: &'f mut dyn FnMut(Value),
}

impl Objects<'_> {
    /// A value read whole: its objects handed on.
    fn flatten(&mut self, value: Value) {
        match value {
            Value::Array(items) => items.into_iter().for_each(|item| self.flatten_one(item)),
            other => self.flatten_one(other),
        }
    }

    /// An element of a list: a bundle's objects, or itself.
    fn flatten_one(&mut self, value: Value) {
        match value {
            Value::Object(mut o) if o.get("type").and_then(Value::as_str) == Some("bundle") => {
                if let Some(Value::Array(items)) = o.remove("objects") {
                    items.into_iter().for_each(|i| (self.each)(i));
                }
            }
            other => (self.each)(other),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Objects<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The elements of a bundle's `objects`, each handed on as read.
struct Each<'a, 'f>(&'a mut dyn FnMut(Value), std::marker::PhantomData<&'f ()>);

impl<'de> DeserializeSeed<'de> for Each<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            (self.0)(item);
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Objects<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle, a list of objects, or an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            self.flatten_one(item);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut out = Map::new();
        // A bundle's `objects` are streamed when its `type` came first (as
        // bundles are written); otherwise they are read whole, then handed on.
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) || (streamed && key == "objects") {
                let shown: String = key.chars().take(64).collect();
                return Err(de::Error::custom(format_args!("duplicate key `{shown}`")));
            }
            if key == "objects" && out.get("type").and_then(Value::as_str) == Some("bundle") {
                map.next_value_seed(Each(&mut *self.each, std::marker::PhantomData))?;
                streamed = true;
                continue;
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        if !streamed {
            self.flatten(Value::Object(out));
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let shown: String = key.chars().take(64).collect();
                return Err(de::Error::custom(format_args!("duplicate key `{shown}`")));
            }
            let value = map.next_value_seed(self)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_refuses_repeated_keys_at_any_depth() {
        assert_eq!(from_str(r#"{"a": [1, 2.5, "x", null, true, {"b": {}}]}"#).unwrap(), serde_json::json!({"a": [1, 2.5, "x", null, true, {"b": {}}]}));
        let err = from_str(r#"{"object_marking_refs": ["red"], "object_marking_refs": ["clear"]}"#).unwrap_err();
        assert!(err.to_string().starts_with("duplicate key `object_marking_refs` at line 1"), "{err}");
        assert!(from_str(r#"{"a": [{"k": 1, "k": 1}]}"#).unwrap_err().to_string().contains("duplicate key `k`"));
        assert!(from_str(r#"{"a": 1, "A": 2}"#).is_ok(), "keys are case-sensitive");
        // serde_json's own limits and words stand.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(from_str(&deep).unwrap_err().to_string().contains("recursion limit exceeded"));
        let lone = from_str(r#""\ud800""#).unwrap_err().to_string();
        assert!(lone.contains("surrogate") || lone.contains("escape"), "{lone}");
        assert!(from_str(r#"{"a": 1} x"#).unwrap_err().to_string().contains("trailing characters"));
        assert_eq!(from_slice(br#"{"a": 18446744073709551615}"#).unwrap()["a"], serde_json::json!(u64::MAX));
    }

    fn objects(text: &str) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        for_each_object(text, &mut |v| out.push(v)).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn objects_are_handed_on_from_every_shape() {
        let a = serde_json::json!({"type": "indicator", "id": "a"});
        let b = serde_json::json!({"type": "x", "id": "b"});
        let both = vec![a.clone(), b.clone()];
        assert_eq!(objects(r#"{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", "id": "a"}, {"type": "x", "id": "b"}]}"#).unwrap(), both);
        assert_eq!(
            objects(r#"{"id": "bundle--1", "objects": [{"type": "indicator", "id": "a"}, {"type": "x", "id": "b"}], "type": "bundle"}"#).unwrap(),
            both,
            "type after objects"
        );
        assert_eq!(objects(r#"[{"type": "indicator", "id": "a"}, {"type": "bundle", "objects": [{"type": "x", "id": "b"}]}]"#).unwrap(), both);
        assert_eq!(objects(r#"{"type": "indicator", "id": "a"}"#).unwrap(), vec![a]);
        let observed = r#"{"type": "observed-data", "objects": {"0": {"type": "ipv4-addr"}}}"#;
        assert_eq!(objects(observed).unwrap().len(), 1, "an object with `objects` that is not a bundle is itself");
        assert!(objects(r#"{"type": "bundle", "objects": [{"k": 1, "k": 2}]}"#).unwrap_err().contains("duplicate key `k`"));
        assert!(objects(r#"{"type": "bundle", "objects": [], "objects": []}"#).unwrap_err().contains("duplicate key `objects`"));
        assert!(objects(r#"{"type": "bundle", "objects": {}}"#).is_err(), "a bundle's objects are a list");
        assert!(objects(r#"{"type": "bundle", "objects": []} x"#).unwrap_err().contains("trailing characters"));
        assert_eq!(objects("42").unwrap(), Vec::<Value>::new());
    }
}
