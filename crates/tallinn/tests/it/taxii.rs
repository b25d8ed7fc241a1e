//! The TAXII 2.1 server driven by real clients: the OASIS `taxii2-client`
//! and `stix2` (Python, `tests/taxii/taxii2_client_test.py`) against a live
//! `tallinn serve`, on SQLite and PostgreSQL; and the collections commands.

use std::process::Command;

use super::server::Server;
use super::stores;

fn has_python_client() -> bool {
    Command::new("python3").args(["-c", "import taxii2client, stix2"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn taxii_with_the_oasis_client() {
    if !has_python_client() {
        return tallinn_core::testing::unavailable("the OASIS TAXII client", "pip install taxii2-client==2.3.0 stix2");
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/taxii/taxii2_client_test.py");
    for store in stores("taxii") {
        store.ok(&["init"]);
        let password = "correct horse battery staple";
        let out = store.run_with_stdin(&["user", "add", "ua.analyst", "--org", "UA", "--role", "analyst", "--password-stdin"], &format!("{password}\n"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        store.ok(&["user", "add", "ee.analyst", "--org", "EE", "--role", "analyst"]);
        let token = store.ok(&["token", "create", "ee.analyst"]).trim().to_string();
        let server = Server::start(&store);
        let run = Command::new("python3")
            .arg(&script)
            .env("TALLINN_URL", &server.url)
            .env("TALLINN_ANALYST", "ua.analyst")
            .env("TALLINN_PASSWORD", password)
            .env("TALLINN_OTHER_TOKEN", &token)
            .env("TALLINN_OTHER_ORG", "EE")
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "the TAXII client test failed on {}:\n{}\n{}",
            store.url,
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        drop(server);
        // Every upload and deletion is in the audit chain.
        let audit = store.ok(&["audit", "verify"]);
        assert!(audit.contains("ok") || audit.contains("verified"), "{audit}");
    }
}

#[test]
fn collections_from_the_command_line() {
    for store in stores("collections") {
        store.ok(&["init"]);
        let listed = store.json(&["taxii", "collection", "list", "--format", "json"]);
        assert_eq!(listed[0]["alias"], "community", "init creates the community collection");
        assert_eq!(listed[0]["read"], "all");
        let made =
            store.json(&["taxii", "collection", "add", "--title", "Energy ICS", "--alias", "energy", "--read", "UA,EE", "--write", "UA", "--format", "json"]);
        assert_eq!(made[0]["read"], serde_json::json!(["UA", "EE"]));
        let csv = store.ok(&["taxii", "collection", "list", "--format", "csv"]);
        assert!(csv.starts_with("id,alias,title,read,write,created_at") && csv.contains("energy,Energy ICS,\"UA,EE\",UA"), "{csv}");
        for (args, says) in [
            (vec!["--title", "X", "--read", "XX"], "participant 'XX' not found"),
            (vec!["--title", "X", "--read", ","], "--read"),
            (vec!["--title", "X", "--alias", "energy"], "already exists"),
            (vec!["--title", "X", "--alias", "Bad Alias"], "alias"),
        ] {
            let mut all = vec!["taxii", "collection", "add"];
            all.extend(args);
            let out = store.run(&all);
            assert!(!out.status.success());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(says), "{all:?}: {err}");
        }
        store.ok(&["user", "add", "fi.analyst", "--org", "FI", "--role", "analyst"]);
        let fi = store.json(&["--as", "fi.analyst", "taxii", "collection", "list", "--format", "json"]);
        assert_eq!(fi.as_array().unwrap().len(), 1, "an analyst lists only the collections it may use");
        let out = store.run(&["--as", "fi.analyst", "taxii", "collection", "add", "--title", "Mine"]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("may not create collections"));
    }
}
