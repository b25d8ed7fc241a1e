//! One rule for the test suites about what they need from outside the
//! repository (a PostgreSQL server, Chromium, xmllint, the reference
//! suites `.ci/run` downloads from PyPI, the OASIS TAXII client): on a
//! developer's machine a test that cannot run says so, with the command that
//! enables it, and passes; in CI (`CI` set, as `.ci/run` sets it) it fails,
//! so that nothing is ever skipped there unnoticed.

/// Reports that `what` is unavailable: a panic in CI, a note otherwise.
/// `how` says how to make it available.
pub fn unavailable(what: &str, how: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{what} is required in CI and is not available: {how}");
    }
    eprintln!("skipped (no {what}): {how}");
}
