//! What the threat exchange indexes about a STIX object it stores: its
//! identity, its version, and who may see it (docs/product.md: threat exchange, confidentiality).
//!
//! Who may see an object is its TLP level plus the organisations and users
//! it names in two custom properties, `x_tallinn_share_orgs` (AMBER:
//! organisations beyond the creator's) and `x_tallinn_share_users` (RED and
//! AMBER+STRICT: named users). STIX has no standard property for TLP
//! recipients; custom `x_` properties are the specification's own way to add
//! one, and other tools keep them verbatim.
//!
//! Markings fail closed (ADR 0011):
//! * An object's level is the strictest TLP marking among its
//!   `object_marking_refs` **and** its `granular_markings`: an object with a
//!   RED-marked property is withheld whole from readers who may not see RED,
//!   and its JSON is never rewritten.
//! * Every marking reference must resolve: an official TLP 1.0 / 2.0 id, a
//!   definition in the same envelope, or one already stored that the
//!   uploader may see. A definition is a TLP level (TLP 1.0 `definition_type
//!   "tlp"`, the TLP 2.0 extension, or OpenCTI's `"TLP"` / `"TLP:AMBER"`
//!   form) or a marking that restricts no audience (a `statement`, a PAP
//!   level). A reference that resolves to neither refuses the object, naming
//!   the marking: nothing is stored under a level nobody stated.
//! * An object with no TLP marking of its own that objects of the same
//!   envelope reference (an `ipv4-addr` under a RED `observed-data`, a
//!   `network-traffic` and the addresses it points to) takes the strictest
//!   level, and that object's share lists, of everything that references it
//!   there, transitively. Only objects that carry no TLP level at all take
//!   the default, GREEN.

use std::collections::HashMap;

use serde_json::{Map, Value};
use tallinn_core::policy::Tlp;

use crate::marking::{MarkingKind, marking_of_definition, tlp_of_marking_id};
use crate::object::{Problem, validate_object};
use crate::timestamp::StixTime;

/// Organisations (participant codes) an AMBER object is shared with.
pub const SHARE_ORGS: &str = "x_tallinn_share_orgs";
/// Users (names) a RED or AMBER+STRICT object is shared with.
pub const SHARE_USERS: &str = "x_tallinn_share_users";

/// The level of an object that carries no TLP marking and inherits none.
pub const UNMARKED: Tlp = Tlp::Green;

/// The indexed facts of one valid object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub id: String,
    pub object_type: String,
    /// `2.1` unless the object says otherwise (SCOs may omit it).
    pub spec_version: String,
    pub created: Option<StixTime>,
    pub modified: Option<StixTime>,
    pub tlp: Tlp,
    pub share_orgs: Vec<String>,
    pub share_users: Vec<String>,
    /// The marked object, referencing this one directly or through other
    /// unmarked ones, whose level it took (it had none of its own).
    pub inherited_from: Option<String>,
}

impl Descriptor {
    /// The object's version as TAXII defines it: `modified`, else
    /// `created`; `None` means the version is the date it was added.
    pub fn version(&self) -> Option<&StixTime> {
        self.modified.as_ref().or(self.created.as_ref())
    }

    /// Whether it is a cyber-observable, or a custom object without a
    /// version: its id derives from its values, so several producers may
    /// hold "the same" object, and nobody owns it.
    pub fn is_observable(&self) -> bool {
        self.version().is_none() || crate::model::category(&self.object_type) == crate::model::Category::CyberObservable
    }
}

fn timestamp(obj: &Map<String, Value>, key: &str) -> Option<StixTime> {
    obj.get(key).and_then(Value::as_str).and_then(|s| StixTime::parse(s).ok())
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

/// Every marking id an object refers to: `object_marking_refs` and each
/// granular marking's `marking_ref`, with the property that names it.
fn marking_refs(obj: &Map<String, Value>) -> Vec<(&'static str, &str)> {
    let mut out: Vec<(&'static str, &str)> = Vec::new();
    if let Some(list) = obj.get("object_marking_refs").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(Value::as_str).map(|id| ("object_marking_refs", id)));
    }
    if let Some(list) = obj.get("granular_markings").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(|g| g.get("marking_ref")?.as_str()).map(|id| ("granular_markings", id)));
    }
    out
}

/// The marking-definition ids `objects` refer to that are neither official
/// nor defined among them: the store looks these up among what it holds.
pub fn unresolved_marking_refs(objects: &[Value]) -> Vec<String> {
    let defined: std::collections::HashSet<&str> =
        objects.iter().filter(|o| o.get("type").and_then(Value::as_str) == Some("marking-definition")).filter_map(|o| o.get("id")?.as_str()).collect();
    let mut out: Vec<String> = objects
        .iter()
        .filter_map(Value::as_object)
        .flat_map(marking_refs)
        .map(|(_, id)| id)
        .filter(|id| tlp_of_marking_id(id).is_none() && !defined.contains(id))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The references an object makes to others, for inheriting a level: every
/// `*_ref` and `*_refs` value at any depth (extensions, embedded lists),
/// except who created it and how it is marked. Walked with an explicit
/// stack: the depth is the input's.
fn references(obj: &Map<String, Value>) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack: Vec<(&str, &Value)> = obj.iter().map(|(k, v)| (k.as_str(), v)).collect();
    while let Some((key, value)) = stack.pop() {
        if matches!(key, "created_by_ref" | "object_marking_refs" | "marking_ref") {
            continue;
        }
        let is_ref = key.ends_with("_ref") || key.ends_with("_refs");
        match value {
            Value::String(s) if is_ref => out.push(s.as_str()),
            Value::Array(items) => stack.extend(items.iter().map(|v| (key, v))),
            Value::Object(map) => stack.extend(map.iter().map(|(k, v)| (k.as_str(), v))),
            _ => {}
        }
    }
    out
}

/// One object's own marking, before inheritance.
struct Own {
    tlp: Option<Tlp>,
    share_orgs: Vec<String>,
    share_users: Vec<String>,
}

/// Validates and describes every object of one envelope (each `Err` is a
/// value that was not readable JSON: the message says why). `stored`
/// resolves marking-definition ids that are neither official nor defined in
/// the envelope (see [`unresolved_marking_refs`]).
pub fn describe_envelope(values: &[Result<Value, String>], stored: &dyn Fn(&str) -> Option<MarkingKind>) -> Vec<Result<Descriptor, Vec<Problem>>> {
    // Definitions sent alongside: what each states (None: a kind no reader
    // here can enforce).
    let in_envelope: HashMap<&str, Option<MarkingKind>> = values
        .iter()
        .filter_map(|v| v.as_ref().ok()?.as_object())
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("marking-definition"))
        .filter_map(|o| Some((o.get("id")?.as_str()?, marking_of_definition(o))))
        .collect();
    let resolve = |id: &str| -> Result<MarkingKind, String> {
        if let Some(tlp) = tlp_of_marking_id(id) {
            return Ok(MarkingKind::Tlp(tlp));
        }
        match in_envelope.get(id) {
            Some(Some(kind)) => Ok(*kind),
            Some(None) => Err(format!("{id} states no TLP level, statement or PAP level, so who may read this cannot be decided")),
            None => stored(id).ok_or_else(|| format!("{id} is not known here: send its definition in the same envelope or before it")),
        }
    };
    let mut own: Vec<Result<Own, Vec<Problem>>> = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let label = format!("objects[{i}]");
        let problem = |message: String| vec![Problem { object: label.clone(), property: String::new(), message }];
        let obj = match value {
            Err(message) => {
                own.push(Err(problem(message.clone())));
                continue;
            }
            Ok(v) => match v.as_object() {
                Some(obj) => obj,
                None => {
                    own.push(Err(problem("is not a JSON object".into())));
                    continue;
                }
            },
        };
        let mut problems = validate_object(obj, &label);
        let object = problems.first().map_or_else(|| obj.get("id").and_then(Value::as_str).unwrap_or(&label).to_string(), |p| p.object.clone());
        let share_orgs = names(obj, SHARE_ORGS, &object, &mut problems);
        let share_users = names(obj, SHARE_USERS, &object, &mut problems);
        let mut tlp: Option<Tlp> = None;
        for (property, id) in marking_refs(obj) {
            match resolve(id) {
                Ok(MarkingKind::Tlp(t)) => tlp = tlp.max(Some(t)),
                Ok(MarkingKind::NoAudience) => {}
                Err(message) => problems.push(Problem { object: object.clone(), property: property.into(), message }),
            }
        }
        own.push(if problems.is_empty() { Ok(Own { tlp, share_orgs, share_users }) } else { Err(problems) });
    }
    let inherited = inherit(values, &own);
    values
        .iter()
        .zip(own)
        .zip(inherited)
        .map(|((value, own), inherited)| {
            let own = own?;
            let obj = value.as_ref().ok().and_then(Value::as_object).expect("described objects are objects");
            let (tlp, share_orgs, share_users, inherited_from) = match (own.tlp, inherited) {
                (Some(tlp), _) => (tlp, own.share_orgs, own.share_users, None),
                (None, Some(from)) => (from.tlp, from.share_orgs, from.share_users, Some(from.source)),
                (None, None) => (UNMARKED, own.share_orgs, own.share_users, None),
            };
            Ok(Descriptor {
                id: obj.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
                object_type: obj.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
                spec_version: obj.get("spec_version").and_then(Value::as_str).unwrap_or("2.1").to_string(),
                created: timestamp(obj, "created"),
                modified: timestamp(obj, "modified"),
                tlp,
                share_orgs,
                share_users,
                inherited_from,
            })
        })
        .collect()
}

/// A level taken from a referencing object.
#[derive(Clone)]
struct Inherited {
    tlp: Tlp,
    share_orgs: Vec<String>,
    share_users: Vec<String>,
    source: String,
}

impl Inherited {
    /// Joins what another referencing object gives: the stricter level; at
    /// equal levels, only the audience both admit.
    fn join(&mut self, other: &Inherited) -> bool {
        if other.tlp > self.tlp {
            *self = other.clone();
            return true;
        }
        if other.tlp < self.tlp {
            return false;
        }
        let before = (self.share_orgs.len(), self.share_users.len());
        self.share_orgs.retain(|o| other.share_orgs.contains(o));
        self.share_users.retain(|u| other.share_users.contains(u));
        before != (self.share_orgs.len(), self.share_users.len())
    }
}

/// For each unmarked valid object, the level it inherits from the objects
/// of the envelope that reference it (directly or through other unmarked
/// objects). A worklist: a level only rises and an audience only shrinks,
/// so each object is revisited a bounded number of times.
fn inherit(values: &[Result<Value, String>], own: &[Result<Own, Vec<Problem>>]) -> Vec<Option<Inherited>> {
    let objects: Vec<Option<&Map<String, Value>>> =
        values.iter().zip(own).map(|(v, o)| if o.is_ok() { v.as_ref().ok().and_then(Value::as_object) } else { None }).collect();
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, obj) in objects.iter().enumerate() {
        if let Some(id) = obj.and_then(|o| o.get("id")).and_then(Value::as_str) {
            by_id.entry(id).or_default().push(i);
        }
    }
    let targets: Vec<Vec<usize>> = objects
        .iter()
        .map(|obj| obj.map(|o| references(o).into_iter().filter_map(|r| by_id.get(r)).flatten().copied().collect()).unwrap_or_default())
        .collect();
    let mut inherited: Vec<Option<Inherited>> = vec![None; values.len()];
    let effective = |i: usize, inherited: &[Option<Inherited>]| -> Option<Inherited> {
        let obj = objects[i]?;
        let source = obj.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        match &own[i] {
            Ok(Own { tlp: Some(tlp), share_orgs, share_users }) => {
                Some(Inherited { tlp: *tlp, share_orgs: share_orgs.clone(), share_users: share_users.clone(), source })
            }
            _ => inherited[i].clone(),
        }
    };
    let mut work: Vec<usize> = (0..values.len()).filter(|&i| matches!(own[i], Ok(Own { tlp: Some(_), .. }))).collect();
    while let Some(i) = work.pop() {
        let Some(level) = effective(i, &inherited) else { continue };
        for &t in &targets[i] {
            if t == i || !matches!(own[t], Ok(Own { tlp: None, .. })) {
                continue;
            }
            let changed = match &mut inherited[t] {
                Some(current) => current.join(&level),
                slot @ None => {
                    *slot = Some(level.clone());
                    true
                }
            };
            if changed {
                work.push(t);
            }
        }
    }
    inherited
}

/// Validates one object and describes it on its own (no envelope, no
/// stored definitions), or returns every problem.
pub fn describe(value: &Value, label: &str) -> Result<Descriptor, Vec<Problem>> {
    let mut out = describe_envelope(&[Ok(value.clone())], &|_| None);
    let mut result = out.pop().expect("one object, one result");
    if let Err(problems) = &mut result {
        for p in problems.iter_mut().filter(|p| p.object == "objects[0]") {
            p.object = label.to_string();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marking::{TLP_1, TLP_2};
    use serde_json::json;

    const CUSTOM: &str = "marking-definition--11111111-1111-4111-8111-111111111111";

    fn indicator(extra: Value) -> Value {
        let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.123Z",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    }

    fn envelope(objects: Vec<Value>) -> Vec<Result<Descriptor, Vec<Problem>>> {
        describe_envelope(&objects.into_iter().map(Ok).collect::<Vec<_>>(), &|_| None)
    }

    fn messages(r: &Result<Descriptor, Vec<Problem>>) -> String {
        r.as_ref().err().map(|ps| ps.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")).unwrap_or_default()
    }

    #[test]
    fn describes_identity_version_and_audience() {
        let d = describe(&indicator(json!({"object_marking_refs": [TLP_2[2].1], SHARE_ORGS: ["EE", "FI"]})), "objects[0]").unwrap();
        assert_eq!(d.object_type, "indicator");
        assert_eq!(d.spec_version, "2.1");
        assert_eq!(d.tlp, Tlp::Amber);
        assert_eq!(d.share_orgs, ["EE", "FI"]);
        assert_eq!(d.version().unwrap().as_str(), "2016-04-06T20:03:48.123Z");
        let unmarked = describe(&indicator(json!({})), "o").unwrap();
        assert_eq!(unmarked.tlp, UNMARKED);
        let sco = describe(&json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3", "object_marking_refs": [TLP_1[3].1]}), "o").unwrap();
        assert_eq!(
            (sco.spec_version.as_str(), sco.version(), sco.tlp, sco.is_observable()),
            ("2.1", None, Tlp::Red, true),
            "an SCO's version is its date added"
        );
    }

    #[test]
    fn refuses_bad_objects_and_bad_share_lists() {
        for bad in [json!("anna"), json!(["anna,bob"]), json!([" "]), json!([1])] {
            let err = describe(&indicator(json!({SHARE_USERS: bad})), "o").unwrap_err();
            assert!(err.iter().any(|p| p.property == SHARE_USERS), "{err:?}");
        }
        let err = describe(&json!({"type": "indicator"}), "objects[3]").unwrap_err();
        assert!(err.iter().all(|p| p.object == "objects[3]") && err.iter().any(|p| p.property == "id"));
        assert!(describe(&json!(1), "objects[1]").is_err());
        let unreadable = describe_envelope(&[Err("duplicate key `a` at line 1 column 9".into())], &|_| None);
        assert!(messages(&unreadable[0]).contains("duplicate key `a`"));
    }

    #[test]
    fn definitions_in_the_same_envelope_or_stored_count() {
        let objects = vec![
            json!({"type": "marking-definition", "spec_version": "2.1", "id": CUSTOM, "created": "2022-01-01T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "red"}}),
            indicator(json!({"object_marking_refs": [CUSTOM]})),
        ];
        assert_eq!(envelope(objects)[1].as_ref().unwrap().tlp, Tlp::Red);
        let alone = vec![Ok(indicator(json!({"object_marking_refs": [CUSTOM]})))];
        assert_eq!(unresolved_marking_refs(&[alone[0].clone().unwrap()]), [CUSTOM]);
        let stored = describe_envelope(&alone, &|id| (id == CUSTOM).then_some(MarkingKind::Tlp(Tlp::AmberStrict)));
        assert_eq!(stored[0].as_ref().unwrap().tlp, Tlp::AmberStrict, "a definition stored earlier");
    }

    #[test]
    fn markings_fail_closed() {
        // An unknown marking id refuses the object, naming the marking.
        let unknown = envelope(vec![indicator(json!({"object_marking_refs": [CUSTOM]}))]);
        assert!(messages(&unknown[0]).contains(&format!("object_marking_refs: {CUSTOM} is not known here")), "{}", messages(&unknown[0]));
        // A definition of a kind nobody can enforce too.
        let odd = envelope(vec![
            json!({"type": "marking-definition", "spec_version": "2.1", "id": CUSTOM, "created": "2022-01-01T00:00:00.000Z", "definition_type": "x-acme", "definition": {"level": "secret"}}),
            indicator(json!({"object_marking_refs": [CUSTOM]})),
        ]);
        assert!(odd[0].is_ok() && messages(&odd[1]).contains("states no TLP level"), "{}", messages(&odd[1]));
        // A statement restricts nobody; the TLP beside it decides.
        let statement = "marking-definition--22222222-2222-4222-8222-222222222222";
        let with_statement = envelope(vec![
            json!({"type": "marking-definition", "spec_version": "2.1", "id": statement, "created": "2022-01-01T00:00:00.000Z", "definition_type": "statement", "definition": {"statement": "(c) MITRE"}}),
            indicator(json!({"object_marking_refs": [statement, TLP_2[2].1]})),
        ]);
        assert_eq!(with_statement[1].as_ref().unwrap().tlp, Tlp::Amber);
        // Granular markings count: a RED part makes the object RED.
        let granular = envelope(vec![indicator(
            json!({"object_marking_refs": [TLP_2[0].1], "granular_markings": [{"marking_ref": TLP_2[4].1, "selectors": ["description"]}], "description": "secret"}),
        )]);
        assert_eq!(granular[0].as_ref().unwrap().tlp, Tlp::Red);
        let granular_unknown =
            envelope(vec![indicator(json!({"granular_markings": [{"marking_ref": CUSTOM, "selectors": ["description"]}], "description": "x"}))]);
        assert!(messages(&granular_unknown[0]).contains("granular_markings:"), "{}", messages(&granular_unknown[0]));
        // A language granular marking has no marking_ref and restricts nobody.
        let lang = envelope(vec![indicator(json!({"granular_markings": [{"lang": "uk", "selectors": ["description"]}], "description": "x"}))]);
        assert_eq!(lang[0].as_ref().unwrap().tlp, UNMARKED);
    }

    #[test]
    fn unmarked_objects_take_the_strictest_marking_of_what_references_them() {
        let ip = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
        let ip2 = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742de";
        let traffic = "network-traffic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd30";
        let domain = "domain-name--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd31";
        let observed = |id: &str, refs: Vec<&str>, marking: Value| {
            let mut o = json!({"type": "observed-data", "spec_version": "2.1", "id": id, "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
                "first_observed": "2016-04-06T20:03:48Z", "last_observed": "2016-04-06T20:03:48Z", "number_observed": 1, "object_refs": refs});
            o.as_object_mut().unwrap().extend(marking.as_object().unwrap().clone());
            o
        };
        let got = envelope(vec![
            json!({"type": "ipv4-addr", "id": ip, "value": "203.0.113.77"}),
            json!({"type": "ipv4-addr", "id": ip2, "value": "203.0.113.78", "object_marking_refs": [TLP_2[1].1]}),
            json!({"type": "network-traffic", "id": traffic, "src_ref": ip, "dst_ref": ip2, "protocols": ["tcp"]}),
            json!({"type": "domain-name", "id": domain, "value": "example.com"}),
            observed("observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", vec![traffic], json!({"object_marking_refs": [TLP_2[4].1], SHARE_USERS: ["anna"]})),
            observed(
                "observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd40",
                vec![traffic, domain],
                json!({"object_marking_refs": [TLP_2[2].1], SHARE_ORGS: ["EE"]}),
            ),
        ]);
        let d = |i: usize| got[i].as_ref().unwrap();
        // Through the traffic, the RED observation reaches the address.
        assert_eq!((d(2).tlp, d(2).share_users.clone()), (Tlp::Red, vec!["anna".to_string()]));
        assert_eq!((d(0).tlp, d(0).inherited_from.as_deref()), (Tlp::Red, Some("observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")));
        // A marked object keeps its own marking; the domain takes AMBER with EE.
        assert_eq!(d(1).tlp, Tlp::Green);
        assert_eq!((d(3).tlp, d(3).share_orgs.clone()), (Tlp::Amber, vec!["EE".to_string()]));
        assert_eq!(d(4).inherited_from, None);
    }
}
