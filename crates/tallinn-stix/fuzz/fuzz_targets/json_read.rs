//! The matcher's JSON reader against serde_json on any text: the same
//! value (floats to the nearest, so serde_json reads them with
//! `float_roundtrip` here), or an error with the same words; both refuse
//! repeated keys (serde_json behind `tallinn_stix::strict_json`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_stix::matcher::{Bump, Json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let arena = Bump::new();
    match (Json::parse(text, &arena), tallinn_stix::strict_json::from_str(text)) {
        (Ok(ours), Ok(theirs)) => assert_eq!(serde_json::to_value(&ours).unwrap(), theirs, "{text:?}"),
        (Err(ours), Err(theirs)) => assert!(theirs.to_string().starts_with(ours.message()), "{text:?}: {ours} / {theirs}"),
        (ours, theirs) => panic!("{text:?}: this reader {ours:?}, serde_json {theirs:?}"),
    }
});
