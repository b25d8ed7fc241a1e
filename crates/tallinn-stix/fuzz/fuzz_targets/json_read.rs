//! The matcher's JSON reader against serde_json on any text: the same
//! value (floats to the nearest, so serde_json reads them with
//! `float_roundtrip` here), or an error with the same words; both refuse
//! repeated keys (serde_json behind `tallinn_stix::strict_json`). And the
//! glance (`json::glance`): where it answers, the reader accepts the text,
//! with the same top-level members and string values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_stix::matcher::json::glance::glance;
use tallinn_stix::matcher::{Bump, Json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let arena = Bump::new();
    let parsed = Json::parse(text, &arena);
    match (&parsed, tallinn_stix::strict_json::from_str(text)) {
        (Ok(ours), Ok(theirs)) => assert_eq!(serde_json::to_value(ours).unwrap(), theirs, "{text:?}"),
        (Err(ours), Err(theirs)) => assert!(theirs.to_string().starts_with(ours.message()), "{text:?}: {ours} / {theirs}"),
        (ours, theirs) => panic!("{text:?}: this reader {ours:?}, serde_json {theirs:?}"),
    }
    let mut strings = Vec::new();
    if let Some(top) = glance(text, &arena, &mut |s: &str| strings.push(s.to_string())) {
        let Ok(Json::Object(full)) = &parsed else { panic!("{text:?}: the glance read what the reader refuses") };
        assert_eq!(top.entries().len(), full.entries().len(), "{text:?}");
        for ((k, v), (fk, fv)) in top.iter().zip(full.iter()) {
            assert_eq!(k, fk, "{text:?}");
            match fv {
                Json::Object(_) | Json::Array(_) => assert_eq!(std::mem::discriminant(v), std::mem::discriminant(fv), "{text:?}"),
                _ => assert_eq!(v, fv, "{text:?}"),
            }
        }
        let mut theirs = Vec::new();
        let mut pending = vec![parsed.as_ref().unwrap()];
        while let Some(v) = pending.pop() {
            match v {
                Json::String(s) => theirs.push(s.to_string()),
                Json::Array(items) => pending.extend(items.iter().rev()),
                Json::Object(m) => pending.extend(m.entries().iter().rev().map(|(_, v)| v)),
                _ => {}
            }
        }
        assert_eq!(strings, theirs, "{text:?}");
    }
});
