//! STIX observed-data, one per line: a 2.1 bundle (its `observed-data` and
//! the SCOs their `object_refs` name, which keep their ids as keys) or a
//! 2.0-style `observed-data` with its objects embedded under `objects`.
//! The event's time is `first_observed`.

use tallinn_stix::matcher::Json;
use tallinn_stix::matcher::json::Map;

use super::{Skip, text, timestamp};
use crate::event::Builder;

pub fn read<'a>(line: &'a Map<'a>, b: &mut Builder<'a>) -> Result<i64, Skip> {
    match text(line, "type") {
        Some("observed-data") => {
            let at = first_observed(line)?;
            if let Some(objects) = line.get("objects").and_then(Json::as_object) {
                for (key, object) in objects.iter() {
                    b.embedded(key, object);
                }
            }
            Ok(at)
        }
        Some("bundle") => {
            let objects = line.get("objects").and_then(Json::as_array).ok_or_else(|| Skip::Malformed("a bundle without objects".into()))?;
            let sdo = objects
                .iter()
                .filter_map(Json::as_object)
                .find(|o| text(o, "type") == Some("observed-data"))
                .ok_or_else(|| Skip::Malformed("a bundle without observed-data".into()))?;
            let at = first_observed(sdo)?;
            let refs: Vec<&str> = sdo.get("object_refs").and_then(Json::as_array).unwrap_or_default().iter().filter_map(Json::as_str).collect();
            for object in objects {
                if let Some(id) = object.as_object().and_then(|o| text(o, "id")).filter(|id| refs.contains(id)) {
                    b.embedded(id, object);
                }
            }
            Ok(at)
        }
        _ => Err(Skip::Malformed("a STIX line is a bundle or an observed-data".into())),
    }
}

fn first_observed(sdo: &Map<'_>) -> Result<i64, Skip> {
    text(sdo, "first_observed").and_then(timestamp).ok_or_else(|| Skip::Malformed("observed-data without a readable first_observed".into()))
}
