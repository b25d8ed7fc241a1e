//! What the threat exchange indexes about a STIX object it stores: its
//! identity, its version, and who may see it (SPEC §4–5).
//!
//! Who may see an object is its TLP level — the strictest TLP marking among
//! its `object_marking_refs` (TLP 2.0 or 1.0, official ids or definitions
//! sent in the same envelope), GREEN when it carries none — plus the
//! organisations and users it names in two custom properties,
//! `x_tallinn_share_orgs` (AMBER: organisations beyond the creator's) and
//! `x_tallinn_share_users` (RED and AMBER+STRICT: named users). STIX has no
//! standard property for TLP recipients; custom `x_` properties are the
//! specification's own way to add one, and other tools keep them verbatim.

use jiff::Timestamp;
use serde_json::{Map, Value};
use tallinn_core::policy::Tlp;

use crate::marking::object_tlp;
use crate::object::{Problem, validate_object};

/// Organisations (participant codes) an AMBER object is shared with.
pub const SHARE_ORGS: &str = "x_tallinn_share_orgs";
/// Users (names) a RED or AMBER+STRICT object is shared with.
pub const SHARE_USERS: &str = "x_tallinn_share_users";

/// The level of an object that carries no TLP marking.
pub const UNMARKED: Tlp = Tlp::Green;

/// The indexed facts of one valid object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub id: String,
    pub object_type: String,
    /// `2.1` unless the object says otherwise (SCOs may omit it).
    pub spec_version: String,
    pub created: Option<Timestamp>,
    pub modified: Option<Timestamp>,
    pub tlp: Tlp,
    pub share_orgs: Vec<String>,
    pub share_users: Vec<String>,
}

impl Descriptor {
    /// The object's version as TAXII defines it: `modified`, else
    /// `created`; `None` means the version is the date it was added.
    pub fn version(&self) -> Option<Timestamp> {
        self.modified.or(self.created)
    }
}

fn timestamp(obj: &Map<String, Value>, key: &str) -> Option<Timestamp> {
    obj.get(key).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

fn names(obj: &Map<String, Value>, key: &str, object: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    let Some(value) = obj.get(key) else { return Vec::new() };
    // Participant codes and user names: no spaces or commas (the store keeps
    // the lists comma-delimited, so a comma would name someone unintended).
    let is_name = |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let list = value.as_array().filter(|l| l.iter().all(|v| v.as_str().is_some_and(is_name)));
    match list {
        Some(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None => {
            problems.push(Problem {
                object: object.into(),
                property: key.into(),
                message: "must be a list of participant codes or user names (letters, digits, '.', '-', '_')".into(),
            });
            Vec::new()
        }
    }
}

/// Validates one object and describes it, or returns every problem.
/// `known` resolves marking-definition ids beyond the official TLP ones.
pub fn describe(value: &Value, label: &str, known: &dyn Fn(&str) -> Option<Tlp>) -> Result<Descriptor, Vec<Problem>> {
    let Some(obj) = value.as_object() else {
        return Err(vec![Problem { object: label.into(), property: String::new(), message: "is not a JSON object".into() }]);
    };
    let mut problems = validate_object(obj, label);
    let id = obj.get("id").and_then(Value::as_str).unwrap_or(label).to_string();
    let share_orgs = names(obj, SHARE_ORGS, &id, &mut problems);
    let share_users = names(obj, SHARE_USERS, &id, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Descriptor {
        object_type: obj.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
        spec_version: obj.get("spec_version").and_then(Value::as_str).unwrap_or("2.1").to_string(),
        created: timestamp(obj, "created"),
        modified: timestamp(obj, "modified"),
        tlp: object_tlp(obj, known).unwrap_or(UNMARKED),
        share_orgs,
        share_users,
        id,
    })
}

/// The TLP levels stated by the marking definitions among `objects`, to
/// resolve references to them from the other objects of one envelope.
pub fn definitions_in(objects: &[Value]) -> Vec<(String, Tlp)> {
    objects.iter().filter_map(Value::as_object).filter_map(|o| Some((o.get("id")?.as_str()?.to_string(), crate::marking::tlp_of_definition(o)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marking::{TLP_1, TLP_2};
    use serde_json::json;

    fn indicator(extra: Value) -> Value {
        let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.123Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    }

    #[test]
    fn describes_identity_version_and_audience() {
        let d = describe(&indicator(json!({"object_marking_refs": [TLP_2[2].1], SHARE_ORGS: ["EE", "FI"]})), "objects[0]", &|_| None).unwrap();
        assert_eq!(d.object_type, "indicator");
        assert_eq!(d.spec_version, "2.1");
        assert_eq!(d.tlp, Tlp::Amber);
        assert_eq!(d.share_orgs, ["EE", "FI"]);
        assert_eq!(d.version().unwrap().to_string(), "2016-04-06T20:03:48.123Z");
        let unmarked = describe(&indicator(json!({})), "o", &|_| None).unwrap();
        assert_eq!(unmarked.tlp, UNMARKED);
        let sco = describe(&json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3", "object_marking_refs": [TLP_1[3].1]}), "o", &|_| None).unwrap();
        assert_eq!((sco.spec_version.as_str(), sco.version(), sco.tlp), ("2.1", None, Tlp::Red), "an SCO's version is its date added");
    }

    #[test]
    fn refuses_bad_objects_and_bad_share_lists() {
        for bad in [json!("anna"), json!(["anna,bob"]), json!([" "]), json!([1])] {
            let err = describe(&indicator(json!({SHARE_USERS: bad})), "o", &|_| None).unwrap_err();
            assert!(err.iter().any(|p| p.property == SHARE_USERS), "{err:?}");
        }
        let err = describe(&json!({"type": "indicator"}), "objects[3]", &|_| None).unwrap_err();
        assert!(err.iter().all(|p| p.object == "objects[3]") && err.iter().any(|p| p.property == "id"));
        assert!(describe(&json!(1), "objects[1]", &|_| None).is_err());
    }

    #[test]
    fn definitions_in_the_same_envelope_count() {
        let custom = "marking-definition--11111111-1111-4111-8111-111111111111";
        let objects = vec![
            json!({"type": "marking-definition", "spec_version": "2.1", "id": custom, "created": "2022-01-01T00:00:00Z", "definition_type": "tlp", "definition": {"tlp": "red"}}),
            indicator(json!({"object_marking_refs": [custom]})),
        ];
        let known = definitions_in(&objects);
        let d = describe(&objects[1], "o", &|id| known.iter().find(|(k, _)| k == id).map(|(_, t)| *t)).unwrap();
        assert_eq!(d.tlp, Tlp::Red);
    }
}
