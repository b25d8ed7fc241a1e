//! Any input: the parser never panics, and whatever it accepts prints to a
//! pattern that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_stix::pattern::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(pattern) = parse(text)
    {
        let printed = pattern.to_string();
        let again = parse(&printed).expect("printed patterns parse");
        assert_eq!(again, pattern, "{printed}");
    }
});
