//! Indicators to detect: read from STIX (a bundle, a list of objects, or one
//! object or bundle per line), compiled into one index.

use serde_json::Value;
use tallinn_core::policy::Tlp;
use tallinn_stix::matcher::{Matcher, PatternSet};
use tallinn_stix::pattern::StixVersion;

/// An indicator as detection needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name: Option<String>,
    pub pattern: String,
    /// Its `object_marking_refs`: a sighting of it carries the same.
    pub markings: Vec<String>,
    /// The strictest TLP level among them (official definitions only);
    /// `None` when it carries none, or only markings defined elsewhere.
    pub tlp: Option<Tlp>,
    /// `x_tallinn_share_orgs`: the organisations an AMBER indicator admits.
    pub share_orgs: Vec<String>,
    /// `created_by_ref`.
    pub created_by: Option<String>,
    /// `valid_until`, microseconds since the epoch.
    pub valid_until: Option<i64>,
}

/// Why an indicator was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its pattern does not parse, or is not a STIX pattern.
    Pattern { id: String, reason: String },
    /// Its `valid_until` has passed.
    Expired { id: String },
}

/// What reading a source of indicators found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub indicators: Vec<Indicator>,
    /// Objects of other types, ignored.
    pub other_objects: usize,
    pub refused: Vec<Refusal>,
}

/// The STIX objects in `text`: a bundle, a list, one object, or JSON lines
/// of any of these.
pub fn objects(text: &str) -> Result<Vec<Value>, String> {
    fn flatten(v: Value, into: &mut Vec<Value>) {
        match v {
            Value::Array(items) => items.into_iter().for_each(|i| flatten(i, into)),
            Value::Object(mut o) if o.get("type").and_then(Value::as_str) == Some("bundle") => {
                if let Some(Value::Array(items)) = o.remove("objects") {
                    into.extend(items);
                }
            }
            other => into.push(other),
        }
    }
    let mut out = Vec::new();
    match tallinn_stix::strict_json::from_str(text) {
        Ok(v) => flatten(v, &mut out),
        Err(whole) => {
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let v = tallinn_stix::strict_json::from_str(line).map_err(|e| if n == 0 { whole.to_string() } else { format!("line {}: {e}", n + 1) })?;
                flatten(v, &mut out);
            }
        }
    }
    Ok(out)
}

/// The indicators among `objects` that can be detected `now` (microseconds
/// since the epoch).
pub fn load(objects: Vec<Value>, now: i64) -> Loaded {
    let mut loaded = Loaded::default();
    for o in objects {
        if o.get("type").and_then(Value::as_str) != Some("indicator") {
            loaded.other_objects += 1;
            continue;
        }
        let id = o.get("id").and_then(Value::as_str).unwrap_or("indicator without id").to_string();
        let pattern_type = o.get("pattern_type").and_then(Value::as_str).unwrap_or("stix");
        let Some(pattern) = o.get("pattern").and_then(Value::as_str).filter(|_| pattern_type == "stix") else {
            loaded.refused.push(Refusal::Pattern { id, reason: format!("not a STIX pattern (pattern_type {pattern_type})") });
            continue;
        };
        let valid_until = o.get("valid_until").and_then(Value::as_str).and_then(crate::formats::timestamp);
        if valid_until.is_some_and(|t| t <= now) {
            loaded.refused.push(Refusal::Expired { id });
            continue;
        }
        let strings = |key: &str| -> Vec<String> {
            o.get(key).and_then(Value::as_array).map(|m| m.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
        };
        let markings = strings("object_marking_refs");
        let tlp = o.as_object().and_then(|obj| tallinn_stix::marking::object_tlp(obj, &|_| None));
        let name = o.get("name").and_then(Value::as_str).map(str::to_string);
        let created_by = o.get("created_by_ref").and_then(Value::as_str).map(str::to_string);
        loaded.indicators.push(Indicator {
            id,
            name,
            pattern: pattern.to_string(),
            markings,
            tlp,
            share_orgs: strings("x_tallinn_share_orgs"),
            created_by,
            valid_until,
        });
    }
    loaded
}

/// Indicators compiled into one index.
#[derive(Debug, Default)]
pub struct Detector {
    pub(crate) set: PatternSet,
    pub indicators: Vec<Indicator>,
}

impl Detector {
    /// Compiles `indicators` (patterns read as STIX 2.1's language, which
    /// 2.0 patterns are, but for their timestamp literals); those that do
    /// not compile are returned with why.
    pub fn new(indicators: Vec<Indicator>) -> (Detector, Vec<Refusal>) {
        let mut d = Detector::default();
        let mut refused = Vec::new();
        for ind in indicators {
            match Matcher::compile(&ind.pattern, StixVersion::V21) {
                Ok(m) => {
                    d.set.add(m);
                    d.indicators.push(ind);
                }
                Err(e) => refused.push(Refusal::Pattern { id: ind.id, reason: e.to_string() }),
            }
        }
        (d, refused)
    }

    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}
