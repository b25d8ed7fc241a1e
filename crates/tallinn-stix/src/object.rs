//! STIX 2.1 objects: kept as received (every property, custom ones
//! included, verbatim) and validated with precise messages.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::timestamp::StixTime;

/// Problems found in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The object's id when it has a usable one, else its position.
    pub object: String,
    pub property: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.object, self.property, self.message)
    }
}

/// Required properties beyond the common ones, per type (STIX 2.1 §4–§7).
fn required(object_type: &str) -> &'static [&'static str] {
    match object_type {
        "attack-pattern" | "campaign" | "course-of-action" | "identity" | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
            &["name"]
        }
        "grouping" => &["context", "object_refs"],
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "malware" => &["is_family"],
        "malware-analysis" => &["product"],
        "note" => &["content", "object_refs"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        "opinion" => &["opinion", "object_refs"],
        "report" => &["name", "published", "object_refs"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        "language-content" => &["object_ref", "contents"],
        "extension-definition" => &["name", "schema", "version", "extension_types", "created_by_ref"],
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr" | "mutex" | "autonomous-system" => match object_type {
            "mutex" => &["name"],
            "autonomous-system" => &["number"],
            _ => &["value"],
        },
        "directory" => &["path"],
        "windows-registry-key" | "x509-certificate" | "file" | "network-traffic" | "process" | "software" | "user-account" | "email-message" | "artifact" => {
            &[]
        }
        _ => &[],
    }
}

/// Timestamp properties that must be RFC 3339 UTC when present.
const TIMESTAMPS: &[&str] =
    &["created", "modified", "valid_from", "valid_until", "first_seen", "last_seen", "first_observed", "last_observed", "published", "start_time", "stop_time"];

/// Reference properties whose target type is fixed.
fn ref_target(property: &str) -> Option<&'static [&'static str]> {
    match property {
        "created_by_ref" => Some(&["identity"]),
        "object_marking_refs" => Some(&["marking-definition"]),
        "sighting_of_ref" => None,
        "where_sighted_refs" => Some(&["identity", "location"]),
        "observed_data_refs" => Some(&["observed-data"]),
        _ => None,
    }
}

fn is_type_name(t: &str) -> bool {
    (3..=250).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-')
        && !t.contains("--")
}

/// An RFC 4122 UUID as the OASIS STIX 2.1 JSON schemas define it: hex in
/// either case, version 1-5, variant 8, 9, a or b.
fn is_uuid(u: &str) -> bool {
    let parts: Vec<&str> = u.split('-').collect();
    let shape = parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()));
    shape && matches!(parts[2].as_bytes()[0], b'1'..=b'5') && matches!(parts[3].as_bytes()[0].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

/// `type--UUID`, returning the type.
pub fn id_type(id: &str) -> Option<&str> {
    let (t, u) = id.split_once("--")?;
    (is_type_name(t) && is_uuid(u)).then_some(t)
}

fn timestamp(v: &Value) -> Option<StixTime> {
    StixTime::parse(v.as_str()?).ok()
}

/// Whether a property is a custom one (STIX 2.1 §11.1: `x_` names, which
/// carry no format rule of the specification's).
fn is_custom(property: &str) -> bool {
    property.starts_with("x_")
}

/// The full names of the Windows registry hives (STIX 2.1 §6.13: "the
/// full hive name MUST be used", no abbreviation such as `HKLM`).
const HIVES: &[&str] =
    &["HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_CLASSES_ROOT", "HKEY_CURRENT_CONFIG", "HKEY_PERFORMANCE_DATA", "HKEY_USERS", "HKEY_DYN_DATA"];

/// Rules of particular types that the specification states in prose
/// (docs/adr/0011-threat-exchange-input.md lists each decision).
fn type_rules(object_type: &str, obj: &Map<String, Value>, bad: &mut dyn FnMut(&str, String)) {
    match object_type {
        "observed-data" => match (obj.contains_key("objects"), obj.contains_key("object_refs")) {
            (false, false) => bad("object_refs", "required on observed-data (or the deprecated objects)".into()),
            (true, true) => bad("objects", "must not be present with object_refs".into()),
            _ => {}
        },
        "network-traffic" => {
            if !obj.contains_key("src_ref") && !obj.contains_key("dst_ref") {
                bad("src_ref", "network-traffic must have src_ref or dst_ref".into());
            }
            if !obj.contains_key("protocols") {
                bad("protocols", "required on network-traffic".into());
            }
            let headers = obj.get("extensions").and_then(|e| e.get("http-request-ext")).and_then(|h| h.get("request_header"));
            if let Some(headers) = headers {
                // The text says "a list of strings" per header, its own example
                // a string: both are taken, nothing else.
                let ok = headers.as_object().is_some_and(|h| h.values().all(|v| v.is_string() || v.as_array().is_some_and(|l| l.iter().all(Value::is_string))));
                if !ok {
                    bad("extensions", "http-request-ext request_header must map each header to a string or a list of strings".into());
                }
            }
        }
        "url" => {
            if let Some(value) = obj.get("value").and_then(Value::as_str)
                && (value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()))
            {
                bad("value", "is not an RFC 3986 URL (empty, or with spaces or control characters)".into());
            }
        }
        "windows-registry-key" => {
            if let Some(key) = obj.get("key").and_then(Value::as_str) {
                let hive = key.split('\\').next().unwrap_or_default();
                if !HIVES.iter().any(|h| h.eq_ignore_ascii_case(hive)) {
                    bad("key", format!("must start with a full hive name ({}), not '{hive}'", HIVES.join(", ")));
                }
            }
        }
        _ => {}
    }
}

/// Validates one object; `label` names it when it has no usable id.
pub fn validate_object(obj: &Map<String, Value>, label: &str) -> Vec<Problem> {
    let object = obj.get("id").and_then(Value::as_str).filter(|id| id_type(id).is_some()).unwrap_or(label).to_string();
    let mut problems = Vec::new();
    let mut bad = |property: &str, message: String| problems.push(Problem { object: object.clone(), property: property.into(), message });
    let Some(object_type) = obj.get("type").and_then(Value::as_str) else {
        bad("type", "required (a string)".into());
        return problems;
    };
    if !is_type_name(object_type) {
        bad("type", format!("'{object_type}' is not a type name (3-250 of a-z, 0-9, '-')"));
    }
    match obj.get("id").and_then(Value::as_str) {
        None => bad("id", "required (type--UUID)".into()),
        Some(id) => match id_type(id) {
            None => bad("id", format!("'{id}' is not of the form {object_type}--UUID (RFC 4122, version 1-5)")),
            Some(t) if t != object_type => bad("id", format!("'{id}' names type {t}, but the object is a {object_type}")),
            Some(_) => {}
        },
    }
    let category = crate::model::category(object_type);
    let core = category.is_versioned();
    // A custom type is domain-like when it carries a version (STIX 2.1
    // §11.1: such objects have spec_version, created and modified).
    let custom_versioned = matches!(category, crate::model::Category::Custom) && (obj.contains_key("created") || obj.contains_key("modified"));
    if custom_versioned && !obj.contains_key("spec_version") {
        bad("spec_version", "required on a custom object that has created or modified".into());
    }
    if !core
        && let Some(v) = obj.get("spec_version")
        && v.as_str() != Some("2.1")
    {
        bad("spec_version", format!("{} (this validator checks STIX 2.1)", shorten(v)));
    }
    if core {
        match obj.get("spec_version").and_then(Value::as_str) {
            None => bad("spec_version", "required on domain, relationship and meta objects".into()),
            Some("2.1") => {}
            Some(v) => bad("spec_version", format!("'{v}' (this validator checks STIX 2.1)")),
        }
        // Marking definitions are immutable: they have no `modified`.
        for p in ["created", "modified"] {
            if (object_type != "marking-definition" || p == "created") && !obj.contains_key(p) {
                bad(p, "required".into());
            }
        }
    }
    for p in TIMESTAMPS {
        if let Some(v) = obj.get(*p) {
            match timestamp(v) {
                None => bad(p, format!("{} is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", shorten(v))),
                // STIX 2.1 §3.2: created and modified "MUST be precise to the
                // nearest millisecond".
                Some(t) if (core || custom_versioned) && matches!(*p, "created" | "modified") && t.fraction_digits() < 3 => {
                    bad(p, format!("'{t}' must give milliseconds (STIX 2.1 §3.2), e.g. '{}.000Z'", &t.as_str()[..19]));
                }
                Some(_) => {}
            }
        }
    }
    if let (Some(c), Some(m)) = (obj.get("created").and_then(timestamp), obj.get("modified").and_then(timestamp))
        && m < c
    {
        bad("modified", "is earlier than created".into());
    }
    if let (Some(a), Some(b)) = (obj.get("first_observed").and_then(timestamp), obj.get("last_observed").and_then(timestamp))
        && b < a
    {
        bad("last_observed", "is earlier than first_observed".into());
    }
    for p in required(object_type) {
        if !obj.contains_key(*p) {
            bad(p, format!("required on {object_type}"));
        }
    }
    type_rules(object_type, obj, &mut |property, message| bad(property, message));
    for (key, value) in obj {
        let refs: Vec<&Value> = if is_custom(key) {
            continue;
        } else if key.ends_with("_ref") {
            vec![value]
        } else if key.ends_with("_refs") {
            match value.as_array() {
                Some(list) => list.iter().collect(),
                None => {
                    bad(key, "must be a list of identifiers".into());
                    continue;
                }
            }
        } else {
            continue;
        };
        for r in refs {
            match r.as_str().and_then(id_type) {
                None => bad(key, format!("{} is not an identifier (type--UUID)", shorten(r))),
                Some(t) => {
                    if let Some(allowed) = ref_target(key)
                        && !allowed.contains(&t)
                    {
                        bad(key, format!("must refer to {}, not {t}", allowed.join(" or ")));
                    }
                }
            }
        }
    }
    if object_type == "indicator" && obj.get("pattern_type").and_then(Value::as_str) == Some("stix") {
        match obj.get("pattern").and_then(Value::as_str) {
            Some(pattern) => {
                if let Err(e) = crate::pattern::parse(pattern) {
                    bad("pattern", format!("not a valid STIX pattern: {e}"));
                }
            }
            None => bad("pattern", "must be a string".into()),
        }
    }
    // The kinds of the properties the type defines, for those not already
    // named above with a message of their own (ids, timestamps, references…).
    for (property, expected) in crate::model::mistyped(obj) {
        if !problems.iter().any(|p| p.property == property) {
            problems.push(Problem { object: object.clone(), property: property.into(), message: format!("must be {expected}") });
        }
    }
    problems
}

/// A value as a message quotes it: at most 80 characters.
fn shorten(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 80 { text } else { format!("{}…", text.chars().take(80).collect::<String>()) }
}

/// Validates a JSON document: one object, a bundle, or a list of objects.
/// Returns the number of objects and every problem.
pub fn validate_document(doc: &Value) -> (usize, Vec<Problem>) {
    let objects: Vec<&Value> = match doc {
        // `objects` is optional (STIX 2.1 §8): a bundle may carry none.
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("bundle") => match o.get("objects") {
            None => Vec::new(),
            Some(Value::Array(list)) => list.iter().collect(),
            Some(_) => return (0, vec![Problem { object: "bundle".into(), property: "objects".into(), message: "must be a list of objects".into() }]),
        },
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in objects.iter().enumerate() {
        match v.as_object() {
            None => problems.push(Problem { object: format!("objects[{i}]"), property: String::new(), message: "is not a JSON object".into() }),
            Some(o) => {
                let label = format!("objects[{i}]");
                problems.extend(validate_object(o, &label));
                if let (Some(id), Some(m)) = (o.get("id").and_then(Value::as_str), o.get("modified").and_then(Value::as_str))
                    && !seen.insert((id, m))
                {
                    problems.push(Problem { object: id.into(), property: "modified".into(), message: "the same version appears twice".into() });
                }
            }
        }
    }
    (objects.len(), problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(v: Value) -> Vec<String> {
        validate_document(&v).1.into_iter().map(|p| format!("{}: {}", p.property, p.message)).collect()
    }

    #[test]
    fn a_good_indicator_passes_and_keeps_custom_properties() {
        let v = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z", "x_custom": {"anything": [1, 2]}});
        assert!(problems(v.clone()).is_empty());
        let text = serde_json::to_string(&v).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["x_custom"], v["x_custom"], "custom properties kept verbatim");
    }

    #[test]
    fn names_every_problem() {
        let v = json!({"type": "indicator", "spec_version": "2.1", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48Z", "modified": "2016-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = ", "pattern_type": "stix", "created_by_ref": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "object_marking_refs": ["nonsense"]});
        let got = problems(v);
        for fragment in [
            "id: 'malware--",
            "modified: is earlier than created",
            "valid_from: required on indicator",
            "created_by_ref: must refer to identity, not malware",
            "object_marking_refs: \"nonsense\" is not an identifier",
            "pattern: not a valid STIX pattern: at offset 19",
        ] {
            assert!(got.iter().any(|p| p.contains(fragment)), "{fragment} not in {got:#?}");
        }
        assert!(problems(json!({"type": "x", "id": "x--1"})).iter().any(|p| p.starts_with("type:")));
        assert!(
            problems(json!({"type": "file", "id": "file--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"})).iter().any(|p| p.starts_with("id:")),
            "UUID version 0 is refused"
        );
        assert!(problems(json!({"type": "file", "id": "file--8E2E2D2B-17d4-4cbf-938f-98ee46b3cd3f"})).is_empty(), "either case, as the OASIS schemas allow");
    }

    #[test]
    fn names_values_of_the_wrong_kind_once() {
        let v = json!({"type": "file", "id": "file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "size": "12 kB", "name": ["a"], "hashes": "abc",
                       "ctime": "yesterday", "contains_refs": "file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "labels": [1]});
        let mut got = problems(v);
        got.sort();
        assert_eq!(
            got,
            [
                "contains_refs: must be a list of identifiers",
                "ctime: must be an RFC 3339 UTC timestamp",
                "hashes: must be a dictionary",
                "labels: must be a list of strings",
                "name: must be a string",
                "size: must be an integer",
            ]
        );
    }

    #[test]
    fn a_property_with_its_own_message_is_not_named_twice() {
        let got = problems(json!({"type": "indicator", "id": 5, "spec_version": 2.1, "created": 1, "modified": "2026-01-01T00:00:00Z",
                                  "pattern": 1, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "created_by_ref": 7}));
        for property in ["id", "spec_version", "created", "pattern", "created_by_ref"] {
            assert_eq!(got.iter().filter(|p| p.starts_with(&format!("{property}:"))).count(), 1, "{property} in {got:#?}");
        }
    }

    fn sdo(extra: Value) -> Value {
        let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    }

    #[test]
    fn valid_content_from_the_field_passes() {
        // "Never expires", any precision, custom references without format,
        // a bundle without objects.
        assert!(problems(sdo(json!({"valid_until": "9999-12-31T23:59:59Z"}))).is_empty());
        assert!(problems(sdo(json!({"modified": "2016-04-06T20:03:48.1234567Z"}))).is_empty());
        assert!(problems(sdo(json!({"x_mitre_data_source_ref": "", "x_custom_refs": "anything"}))).is_empty());
        assert_eq!(validate_document(&json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})), (0, vec![]));
        assert!(
            problems(json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": {}})).iter().any(|p| p.starts_with("objects:"))
        );
        // A custom observable needs no spec_version; a request header may be a string.
        assert!(problems(json!({"type": "x-thing", "id": "x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})).is_empty());
        let traffic = json!({"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
            "protocols": ["tcp", "http"], "extensions": {"http-request-ext": {"request_method": "get", "request_value": "/", "request_header": {"Host": "example.com", "Accept": ["a", "b"]}}}});
        assert!(problems(traffic).is_empty());
        assert!(problems(json!({"type": "windows-registry-key", "id": "windows-registry-key--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "key": "hkey_local_machine\\System\\Foo"})).is_empty());
    }

    #[test]
    fn what_the_text_requires_is_required() {
        let cases = [
            (
                sdo(json!({"created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48.1Z"})),
                vec!["created: '2016-04-06T20:03:48Z' must give milliseconds", "modified: '2016-04-06T20:03:48.1Z' must give milliseconds"],
            ),
            (
                json!({"type": "x-thing", "id": "x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z"}),
                vec!["spec_version: required on a custom object"],
            ),
            (
                json!({"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}),
                vec!["src_ref: network-traffic must have src_ref or dst_ref", "protocols: required"],
            ),
            (
                json!({"type": "network-traffic", "id": "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "src_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "protocols": ["tcp"],
                    "extensions": {"http-request-ext": {"request_method": "get", "request_value": "/", "request_header": {"Host": 1}}}}),
                vec!["extensions: http-request-ext request_header"],
            ),
            (json!({"type": "url", "id": "url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "not a url"}), vec!["value: is not an RFC 3986 URL"]),
            (
                json!({"type": "windows-registry-key", "id": "windows-registry-key--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "key": "HKLM\\System"}),
                vec!["key: must start with a full hive name"],
            ),
            (
                json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                    "first_observed": "2016-04-06T20:03:48Z", "last_observed": "2016-04-06T20:03:48Z", "number_observed": 1}),
                vec!["object_refs: required on observed-data"],
            ),
            (sdo(json!({"valid_until": "10000-01-01T00:00:00Z"})), vec!["valid_until: \"10000-01-01T00:00:00Z\" is not an RFC 3339"]),
        ];
        for (object, expected) in cases {
            let got = problems(object);
            for fragment in expected {
                assert!(got.iter().any(|p| p.starts_with(fragment)), "{fragment} not in {got:#?}");
            }
        }
    }

    #[test]
    fn the_oasis_examples_validate() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/stix");
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let mut files = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let (n, problems) = validate_document(&doc);
                assert!(n > 0);
                assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
                files += 1;
            }
        }
        assert_eq!(files, 8);
    }
}
