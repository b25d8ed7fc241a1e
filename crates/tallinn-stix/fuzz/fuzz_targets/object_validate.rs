//! Objects as they enter the exchange: any bytes, read strictly (repeated
//! keys refused), validated, their markings resolved and inherited across
//! the envelope. Never a panic; one answer per object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_stix::exchange::describe_envelope;
use tallinn_stix::object::validate_document;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = tallinn_stix::strict_json::from_slice(data) else { return };
    let _ = validate_document(&doc);
    let objects: Vec<Result<serde_json::Value, String>> = match &doc {
        serde_json::Value::Array(items) => items.iter().cloned().map(Ok).collect(),
        serde_json::Value::Object(o) => match o.get("objects") {
            Some(serde_json::Value::Array(items)) => items.iter().cloned().map(Ok).collect(),
            _ => vec![Ok(doc.clone())],
        },
        other => vec![Ok(other.clone()), Err("unreadable".into())],
    };
    let described = describe_envelope(&objects, &|_| None);
    assert_eq!(described.len(), objects.len());
});
