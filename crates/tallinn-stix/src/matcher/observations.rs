//! What a pattern is matched against: a list of observations, each with its
//! time interval, how many times it was observed, and its objects.
//!
//! STIX 2.1 input is a list of bundles: their objects are pooled (as the
//! reference merges them), and each `observed-data` becomes one observation
//! whose objects are the SCOs its `object_refs` name. STIX 2.0 input is a
//! list of `observed-data` objects with their SCOs embedded under `objects`.

use super::MatchError;
use super::json::{Json, Map};
use super::value::parse_timestamp;
use crate::pattern::StixVersion;

/// Whether a STIX 2.1 object type is not an observable (an SDO, SRO, meta
/// object or bundle): a pattern never matches those, as in the reference.
pub(crate) fn is_non_observable(ty: &str) -> bool {
    ty == "bundle" || crate::model::category(ty).is_versioned()
}

/// Observations ready to be matched; borrows the JSON it was built from.
#[derive(Debug)]
pub struct Observations<'a> {
    pub(crate) version: StixVersion,
    pub(crate) list: Vec<Observation<'a>>,
}

#[derive(Debug)]
pub(crate) struct Observation<'a> {
    /// The `observed-data` object.
    pub(crate) sdo: &'a Map<'a>,
    /// `first_observed`, `last_observed` in microseconds.
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) count: u64,
    /// The observation's objects with the key a reference names them by
    /// (the `objects` key in 2.0, the `id` in 2.1).
    /// Each is a JSON object.
    pub(crate) objects: Vec<(&'a str, &'a Json<'a>)>,
}

impl<'a> Observations<'a> {
    /// Reads what the reference's `match()` takes: 2.1 bundles or 2.0
    /// observed-data objects (see [`Json`]: parse them from text, or convert
    /// `serde_json` values without copying their strings).
    pub fn from_json(input: &'a [Json<'a>], version: StixVersion) -> Result<Self, MatchError> {
        let list = match version {
            StixVersion::V21 => from_bundles(input)?,
            StixVersion::V20 => input.iter().map(from_v20).collect::<Result<_, _>>()?,
        };
        Ok(Observations { version, list })
    }

    /// One observation made from its objects directly, as a detection
    /// engine builds one per event: `sdo` stands for the observed-data (its
    /// `id`, if any, is the match's), `objects` are the observables, each a
    /// JSON object under the key its references name it by (`*_ref`
    /// properties hold these keys), seen `count` times from `first` to `last`
    /// (microseconds since the epoch). Patterns of `version` are matched.
    pub fn single(version: StixVersion, sdo: &'a Map<'a>, first: i64, last: i64, count: u64, objects: Vec<(&'a str, &'a Json<'a>)>) -> Self {
        Observations { version, list: vec![Observation { sdo, first, last: last.max(first), count: count.max(1), objects }] }
    }

    /// The observations of several events, in order (for patterns of more
    /// than one observation, such as `FOLLOWEDBY`).
    pub fn concat(parts: impl IntoIterator<Item = Observations<'a>>, version: StixVersion) -> Self {
        let list = parts.into_iter().filter(|o| o.version == version).flat_map(|o| o.list).collect();
        Observations { version, list }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The objects of the i-th observation as one JSON object, each under
    /// the key its references name it by: what [`Observations::single`]
    /// takes back, read with [`Json::parse`] (a detection engine keeps
    /// events this way until a pattern across events is decided).
    pub fn objects_json(&self, i: usize) -> String {
        let mut out = String::from("{");
        for (n, (key, object)) in self.list.get(i).map(|o| o.objects.as_slice()).unwrap_or_default().iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key).unwrap_or_default());
            out.push(':');
            out.push_str(&object.to_string());
        }
        out.push('}');
        out
    }

    /// The id of the i-th observed-data, if it has one.
    pub fn sdo_id(&self, i: usize) -> Option<&'a str> {
        self.list.get(i)?.sdo.get("id")?.as_str()
    }
}

fn object<'v, 'a>(v: &'v Json<'a>, what: &str) -> Result<&'v Map<'a>, MatchError> {
    v.as_object().ok_or_else(|| MatchError::new(format!("{what} is not a JSON object")))
}

fn interval(sdo: &Map<'_>, what: &str) -> Result<(i64, i64, u64), MatchError> {
    let (Some(n), Some(first), Some(last)) = (sdo.get("number_observed"), sdo.get("first_observed"), sdo.get("last_observed")) else {
        return Err(MatchError::new(format!("{what} must have all the following keys: number_observed, first_observed, last_observed.")));
    };
    let count = match n.as_i64() {
        Some(c) if c >= 1 => c as u64,
        _ => return Err(MatchError::new(format!("SDO with invalid number_observed (must be >= 1): {n}"))),
    };
    let time = |v: &Json<'_>| v.as_str().and_then(parse_timestamp).ok_or_else(|| MatchError::new(format!("invalid timestamp in observed-data: {v}")));
    let (first_json, last_json) = (first, last);
    let (first, last) = (time(first)?, time(last)?);
    if first > last {
        return Err(MatchError::new(format!("observed-data first_observed {} is after last_observed {}", first_json, last_json)));
    }
    Ok((first, last, count))
}

fn from_v20<'a>(sdo: &'a Json<'a>) -> Result<Observation<'a>, MatchError> {
    let sdo = object(sdo, "an observed-data SDO")?;
    let (first, last, count) = interval(sdo, "STIX v2.0 SDO")?;
    let mut objects = Vec::new();
    if let Some(embedded) = sdo.get("objects").and_then(Json::as_object) {
        for (key, obj) in embedded.iter() {
            if obj.is_object() {
                objects.push((key, obj));
            }
        }
    }
    Ok(Observation { sdo, first, last, count, objects })
}

fn from_bundles<'a>(bundles: &'a [Json<'a>]) -> Result<Vec<Observation<'a>>, MatchError> {
    // The observed-data in input order, and every other object by id (each
    // object's type read once).
    let mut sdos: Vec<&'a Json<'a>> = Vec::new();
    let mut others: Vec<(&'a str, &'a Json<'a>)> = Vec::with_capacity(bundles.iter().filter_map(|b| b.get("objects")?.as_array().map(<[_]>::len)).sum());
    for bundle in bundles {
        let bundle = object(bundle, "a bundle")?;
        let Some(objects) = bundle.get("objects").and_then(Json::as_array) else {
            return Err(MatchError::new("STIX v2.1 bundle object must have 'objects' key"));
        };
        for o in objects {
            let map = object(o, "a bundle's object")?;
            if type_of(o) == Some("observed-data") {
                sdos.push(o);
            } else if let Some(id) = map.get("id").and_then(Json::as_str) {
                others.push((id, o));
            }
        }
    }
    let by_id = ById::new(others);
    let mut list = Vec::with_capacity(sdos.len());
    for sdo_value in sdos {
        let sdo = object(sdo_value, "an observed-data object")?;
        let Some(refs) = sdo.get("object_refs").and_then(Json::as_array) else {
            return Err(MatchError::new("STIX v2.1 observed-data object must have 'object_refs' key"));
        };
        let (first, last, count) = interval(sdo, "STIX v2.1 observed-data object")?;
        let mut objects = Vec::with_capacity(refs.len() + 1);
        if let Some(id) = sdo.get("id").and_then(Json::as_str) {
            objects.push((id, sdo_value));
        }
        for r in refs.iter().filter_map(Json::as_str) {
            if let Some(found) = by_id.get(r) {
                objects.push(found);
            }
        }
        list.push(Observation { sdo, first, last, count, objects });
    }
    Ok(list)
}

/// A bundle's objects by id; the last object with a given id wins, as in
/// the reference.
enum ById<'a> {
    /// A few objects (a sensor's event): searched from the end, which costs
    /// less than building a map.
    Few(Vec<(&'a str, &'a Json<'a>)>),
    /// foldhash: ids are untrusted input, so a seeded hash, but far cheaper
    /// than SipHash on these short keys.
    Many(foldhash::HashMap<&'a str, &'a Json<'a>>),
}

impl<'a> ById<'a> {
    const FEW: usize = 16;

    fn new(objects: Vec<(&'a str, &'a Json<'a>)>) -> Self {
        if objects.len() <= Self::FEW { ById::Few(objects) } else { ById::Many(objects.into_iter().collect()) }
    }

    fn get(&self, id: &str) -> Option<(&'a str, &'a Json<'a>)> {
        match self {
            ById::Few(list) => list.iter().rev().find(|(key, _)| *key == id).copied(),
            ById::Many(map) => map.get_key_value(id).map(|(key, object)| (*key, *object)),
        }
    }
}

pub(crate) fn type_of<'v>(o: &'v Json<'_>) -> Option<&'v str> {
    o.get("type")?.as_str()
}
