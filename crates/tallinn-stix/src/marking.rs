//! TLP marking definitions: the official TLP 2.0 (property extension) and
//! TLP 1.0 (`definition_type: tlp`) marking-definition objects, and the TLP
//! level an object carries.

use serde_json::{Map, Value, json};
use tallinn_core::policy::Tlp;

/// The OASIS TLP 2.0 extension definition.
pub const TLP_2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The official TLP 2.0 marking definitions.
pub const TLP_2: &[(Tlp, &str, &str)] = &[
    (Tlp::Clear, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    (Tlp::Green, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    (Tlp::Amber, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    (Tlp::AmberStrict, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    (Tlp::Red, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
];

/// The TLP 1.0 marking definitions predefined by STIX 2.1 (WHITE is CLEAR).
pub const TLP_1: &[(Tlp, &str, &str)] = &[
    (Tlp::Clear, "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
    (Tlp::Green, "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
    (Tlp::Amber, "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
    (Tlp::Red, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
];

/// The TLP level of an official marking-definition id.
pub fn tlp_of_marking_id(id: &str) -> Option<Tlp> {
    TLP_2.iter().chain(TLP_1).find(|(_, m, _)| *m == id).map(|(t, _, _)| *t)
}

/// What a marking definition states, as far as who may read is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkingKind {
    /// A TLP level.
    Tlp(Tlp),
    /// A marking that restricts no audience: a `statement` (copyright,
    /// terms of use — MITRE ATT&CK carries one) or a PAP level (which says
    /// what a recipient may do, not who may receive).
    NoAudience,
}

/// A TLP word as producers write it: `amber`, `AMBER`, `TLP:AMBER`,
/// `amber+strict`, and TLP 1.0's `white`.
fn tlp_word(word: &str) -> Option<Tlp> {
    let w = word.trim().to_ascii_lowercase();
    match w.strip_prefix("tlp:").unwrap_or(&w) {
        "clear" | "white" => Some(Tlp::Clear),
        "green" => Some(Tlp::Green),
        "amber" => Some(Tlp::Amber),
        "amber+strict" => Some(Tlp::AmberStrict),
        "red" => Some(Tlp::Red),
        _ => None,
    }
}

/// The TLP level a marking-definition object states: TLP 2.0's extension,
/// TLP 1.0's `definition_type: tlp`, and OpenCTI's `"TLP"` /
/// `{"TLP": "TLP:AMBER"}` form.
pub fn tlp_of_definition(obj: &Map<String, Value>) -> Option<Tlp> {
    match marking_of_definition(obj)? {
        MarkingKind::Tlp(t) => Some(t),
        MarkingKind::NoAudience => None,
    }
}

/// What a marking-definition object states; `None` when it is no marking
/// definition, or of a kind whose effect on readers is unknown.
pub fn marking_of_definition(obj: &Map<String, Value>) -> Option<MarkingKind> {
    if obj.get("type").and_then(Value::as_str) != Some("marking-definition") {
        return None;
    }
    if let Some(word) = obj.get("extensions").and_then(|e| e.get(TLP_2_EXTENSION)).and_then(|e| e.get("tlp_2_0")).and_then(Value::as_str) {
        return tlp_word(word).map(MarkingKind::Tlp);
    }
    let kind = obj.get("definition_type").and_then(Value::as_str)?.to_ascii_lowercase();
    let definition = obj.get("definition").and_then(Value::as_object);
    // The definition's value under a key, whatever its case (`tlp`, `TLP`).
    let field = |key: &str| definition?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.as_str());
    match kind.as_str() {
        "tlp" => field("tlp").and_then(tlp_word).map(MarkingKind::Tlp),
        "statement" | "pap" => Some(MarkingKind::NoAudience),
        _ => None,
    }
}

/// The strictest TLP level among an object's `object_marking_refs`, looking
/// ids up among the official definitions and then in `known`. `None` when
/// it carries no TLP marking. (The exchange resolves granular markings and
/// refuses unknown ids too: `exchange::describe_envelope`.)
pub fn object_tlp(obj: &Map<String, Value>, known: &dyn Fn(&str) -> Option<Tlp>) -> Option<Tlp> {
    obj.get("object_marking_refs")?.as_array()?.iter().filter_map(Value::as_str).filter_map(|id| tlp_of_marking_id(id).or_else(|| known(id))).max()
}

/// The official TLP 2.0 marking-definition object for a level.
pub fn tlp_2_definition(tlp: Tlp) -> Value {
    let (_, id, word) = TLP_2.iter().find(|(t, _, _)| *t == tlp).copied().unwrap_or(TLP_2[0]);
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", word.to_uppercase()),
        "extensions": { TLP_2_EXTENSION: { "extension_type": "property-extension", "tlp_2_0": word } }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_definitions_state_their_own_level() {
        for (tlp, id, _) in TLP_2 {
            let def = tlp_2_definition(*tlp);
            assert_eq!(def["id"], *id);
            assert_eq!(tlp_of_definition(def.as_object().unwrap()), Some(*tlp));
            assert!(crate::object::validate_document(&def).1.is_empty(), "{def}");
        }
        let tlp1 = json!({"type": "marking-definition", "spec_version": "2.1", "id": TLP_1[1].1, "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:GREEN", "definition": {"tlp": "green"}});
        assert_eq!(tlp_of_definition(tlp1.as_object().unwrap()), Some(Tlp::Green));
    }

    #[test]
    fn an_object_carries_its_strictest_marking() {
        let obj = json!({"type": "indicator", "object_marking_refs": [TLP_1[0].1, TLP_2[3].1, "marking-definition--00000000-0000-4000-8000-000000000000"]});
        assert_eq!(object_tlp(obj.as_object().unwrap(), &|_| None), Some(Tlp::AmberStrict));
        let custom = "marking-definition--11111111-1111-4111-8111-111111111111";
        let obj = json!({"type": "indicator", "object_marking_refs": [TLP_2[1].1, custom]});
        assert_eq!(object_tlp(obj.as_object().unwrap(), &|id| (id == custom).then_some(Tlp::Red)), Some(Tlp::Red), "bundled definitions count");
        assert_eq!(object_tlp(json!({"type": "indicator"}).as_object().unwrap(), &|_| None), None);
    }

    #[test]
    fn definitions_in_the_forms_producers_write() {
        let def = |v: Value| marking_of_definition(v.as_object().unwrap());
        let md = |kind: &str, definition: Value| json!({"type": "marking-definition", "id": "marking-definition--11111111-1111-4111-8111-111111111111", "definition_type": kind, "definition": definition});
        assert_eq!(def(md("TLP", json!({"TLP": "TLP:AMBER+STRICT"}))), Some(MarkingKind::Tlp(Tlp::AmberStrict)), "OpenCTI");
        assert_eq!(def(md("tlp", json!({"tlp": "white"}))), Some(MarkingKind::Tlp(Tlp::Clear)));
        assert_eq!(def(md("statement", json!({"statement": "Copyright MITRE"}))), Some(MarkingKind::NoAudience));
        assert_eq!(def(md("PAP", json!({"PAP": "PAP:RED"}))), Some(MarkingKind::NoAudience));
        assert_eq!(def(md("tlp", json!({"tlp": "purple"}))), None, "an unknown TLP word");
        assert_eq!(def(md("x-acme", json!({"level": "secret"}))), None, "an unknown kind");
        assert_eq!(def(json!({"type": "indicator"})), None);
    }

    #[test]
    fn the_oasis_marking_example() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/stix/interop-objectmarking-test.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let obj: Value = serde_json::from_str(&text).unwrap();
        // It carries the TLP 1.0 RED marking and one unknown marking.
        assert_eq!(object_tlp(obj.as_object().unwrap(), &|_| None), Some(Tlp::Red));
    }
}
