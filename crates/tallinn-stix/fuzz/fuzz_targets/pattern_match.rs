//! A pattern and observations from one input (split at the first newline):
//! compiling and matching never panic, whatever the pattern or the JSON.
//! Both STIX versions are tried on every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_stix::matcher::{Bump, Json, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (pattern, json) = text.split_once('\n').unwrap_or((text, "[]"));
    let arena = Bump::new();
    let Ok(Json::Array(input)) = Json::parse(json, &arena) else { return };
    for version in [StixVersion::V21, StixVersion::V20] {
        if let (Ok(matcher), Ok(observations)) = (Matcher::compile(pattern, version), Observations::from_json(input, version)) {
            if let Ok(Some(m)) = matcher.matches(&observations) {
                assert!(!m.observations().is_empty() && m.observations().iter().all(|&i| i < observations.len()));
            }
        }
    }
});
