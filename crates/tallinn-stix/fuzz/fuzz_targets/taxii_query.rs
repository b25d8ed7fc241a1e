//! TAXII query strings: any text, parsed for each endpoint's parameters,
//! is a query or a 400 naming the problem; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallinn_http::taxii::{DELETE, OBJECT, OBJECTS, VERSIONS, parse_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for allowed in [OBJECTS, OBJECT, VERSIONS, DELETE] {
        match parse_query(Some(text), allowed) {
            Ok(q) => assert!(q.limit >= 1 && q.limit <= 1000),
            Err(e) => assert_eq!(e.status.as_u16(), 400),
        }
    }
});
