//! The `tallinn` binary as users run it: exit statuses, messages, output
//! formats, on SQLite and (with `TALLINN_TEST_POSTGRES_URL`) PostgreSQL.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A store for one test: a temp SQLite file, or a fresh PostgreSQL database.
struct Store {
    url: String,
    _dir: tempfile::TempDir,
    /// (server URL, database name) of a PostgreSQL test database to drop.
    postgres: Option<(String, String)>,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((base, name)) = self.postgres.take()
            && let Ok(rt) = tokio::runtime::Runtime::new()
        {
            let _ = rt.block_on(tallinn_store_postgres::PostgresBackend::drop_database(&base, &name));
        }
    }
}

impl Store {
    fn sqlite() -> Store {
        let dir = tempfile::tempdir().unwrap();
        Store { url: format!("sqlite://{}", dir.path().join("t.db").display()), _dir: dir, postgres: None }
    }

    fn postgres(tag: &str) -> Option<Store> {
        let base = std::env::var("TALLINN_TEST_POSTGRES_URL").ok()?;
        let name = format!("tallinn_cli_{tag}_{}_{}", std::process::id(), jiff::Timestamp::now().as_microsecond() % 1_000_000);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let url = rt.block_on(tallinn_store_postgres::PostgresBackend::create_database(&base, &name)).unwrap();
        Some(Store { url, _dir: tempfile::tempdir().unwrap(), postgres: Some((base, name)) })
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, "")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tallinn"))
            .arg("--database")
            .arg(&self.url)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn audit_entries(&self) -> String {
        self.ok(&["audit", "verify"])
    }
}

fn stores(tag: &str) -> Vec<Store> {
    let mut all = vec![Store::sqlite()];
    all.extend(Store::postgres(tag));
    all
}

#[test]
fn demo_dataset_through_the_command_line() {
    for store in stores("demo") {
        let out = store.run(&["init", "--demo"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let participants = store.json(&["participant", "list", "--format", "json"]);
        let kind =
            |k: &str| participants.as_array().unwrap().iter().filter(|p| p["kind"] == k).map(|p| p["code"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(kind("member").len(), 13);
        assert_eq!(kind("observer"), ["CZ", "EU", "NATO", "WB"]);
        let needs = store.json(&["need", "list", "--format", "json"]);
        let needs = needs.as_array().unwrap();
        assert_eq!(needs.len(), 200);
        for key in ["id", "title", "capability", "sector", "urgency", "status", "tlp", "cost"] {
            assert!(needs[0].get(key).is_some(), "need lacks {key}");
        }
        assert!(needs.iter().all(|n| n["title"].as_str().unwrap().ends_with("(demo)")));
        let csv = store.ok(&["need", "list", "--status", "funded", "--format", "csv"]);
        assert!(csv.starts_with("beneficiary,title,description,capability,sector,urgency,cost_eur,"), "the importer's columns first");
        assert!(csv.lines().skip(1).all(|l| l.contains(",funded,")));
        let gaps = store.json(&["gaps", "--by", "sector", "--format", "json"]);
        assert!(!gaps.as_array().unwrap().is_empty());
        let weighted: Vec<f64> = gaps.as_array().unwrap().iter().map(|g| g["weighted_eur"].as_str().unwrap().parse().unwrap()).collect();
        assert!(weighted.windows(2).all(|w| w[0] >= w[1]), "ranked: {weighted:?}");
        assert_eq!(store.run(&["gaps", "--by", "colour"]).status.code(), Some(1));
        let proposal = store.json(&["allocate"]);
        let id = proposal["id"].as_str().unwrap().to_string();
        assert!(!proposal["result"]["allocations"].as_array().unwrap().is_empty(), "the demo has money to allocate");
        let applied = store.json(&["allocate", "--apply", &id]);
        assert_eq!(applied.as_array().unwrap().len(), proposal["result"]["allocations"].as_array().unwrap().len());
        assert!(store.run(&["allocate", "--apply", &id]).status.code() == Some(1), "applied once only");
        let table = store.ok(&["pledge", "list"]);
        assert!(table.contains("row(s)"));
        assert!(store.audit_entries().starts_with("audit log intact"));
        // A second `init --demo` adds nothing.
        let before = store.audit_entries();
        store.ok(&["init", "--demo"]);
        assert_eq!(store.audit_entries(), before);
    }
}

#[test]
fn reports_charts_and_the_iati_export() {
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/iati/iati-activities-schema.xsd");
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !xmllint {
        tallinn_core::testing::unavailable("xmllint (for the IATI schema validation)", "apt-get install libxml2-utils");
    }
    for store in stores("report") {
        store.ok(&["init", "--demo"]);
        let all = store.json(&["report", "--format", "json"]);
        for key in ["scope", "totals", "funding", "coverage", "gaps", "timing", "agreements", "reconciliation"] {
            assert!(all.get(key).is_some(), "report lacks {key}");
        }
        assert_eq!(all["reconciliation"][0]["announced_cumulative_eur"], "241700000.00");
        let donor = store.json(&["--as", "demo.donor", "report", "--format", "json"]);
        assert_eq!(donor["scope"]["whole_ledger"], false);
        assert_ne!(donor["coverage"], all["coverage"], "a donor sees fewer needs");
        let csv = store.ok(&["report", "--by", "sector", "--year", "2025", "--format", "csv"]);
        assert!(csv.starts_with("key,label,committed_eur,disbursed_eur,spent_eur,announced_eur,flows\n"), "{csv}");
        let table = store.ok(&["report"]);
        assert!(table.contains("Reconciliation with Paris") && table.contains("241700000.00"), "{table}");
        assert!(store.ok(&["report", "--view", "gaps", "--format", "csv"]).starts_with("id,title,"));
        // Bad input: a usage error, or a clear refusal.
        assert_eq!(store.run(&["report", "--by", "planet"]).status.code(), Some(2));
        let out = store.run(&["report", "--format", "csv"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--by or --view"));
        assert_eq!(store.run(&["report", "--chart", "pie"]).status.code(), Some(2));

        let dir = tempfile::tempdir().unwrap();
        for chart in ["funding-by-year", "coverage-by-sector", "top-gaps", "time-to-fund"] {
            let path = dir.path().join(format!("{chart}.svg"));
            store.ok(&["report", "--chart", chart, "--output", path.to_str().unwrap()]);
            let svg = std::fs::read_to_string(&path).unwrap();
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("<title"), "{chart}");
        }
        let iati = dir.path().join("iati.xml");
        let out = store.run(&["export", "iati", "--output", iati.to_str().unwrap()]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("activities"));
        let xml = std::fs::read_to_string(&iati).unwrap();
        let ids: Vec<&str> = xml.split("<iati-identifier>").skip(1).map(|s| s.split('<').next().unwrap()).collect();
        assert!(ids.len() > 10);
        assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), ids.len(), "identifiers are unique");
        assert!(ids.iter().all(|id| id.starts_with("XM-TALLINN-N-")));
        assert_eq!(store.run(&["export", "iati", "--reporting-org", "has space"]).status.code(), Some(1));
        if xmllint {
            let check = Command::new("xmllint").args(["--noout", "--nonet", "--schema"]).arg(&xsd).arg(&iati).output().unwrap();
            assert!(check.status.success(), "the IATI file does not validate: {}", String::from_utf8_lossy(&check.stderr));
        }
    }
}

#[test]
fn a_need_from_filing_to_acceptance() {
    for store in stores("flow") {
        store.ok(&["init"]);
        store.ok(&["participant", "add", "UA-CERT", "--name", "Test CERT", "--kind", "beneficiary", "--parent", "UA"]);
        store.ok(&["participant", "add", "IMP-A", "--name", "Integrator", "--kind", "implementer"]);
        store.ok(&["user", "add", "tech", "--org", "TMPO", "--role", "reviewer", "--panel", "technical"]);
        store.ok(&["user", "add", "strat", "--org", "EE", "--role", "reviewer", "--panel", "strategic"]);
        let out =
            store.run_with_stdin(&["user", "add", "olena", "--org", "UA-CERT", "--role", "beneficiary", "--password-stdin"], "correct horse battery staple\n");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("argon2"), "the hash is never printed");
        store.ok(&[
            "--as",
            "olena",
            "need",
            "add",
            "--beneficiary",
            "UA-CERT",
            "--title",
            "SOC sensors",
            "--capability",
            "detect",
            "--sector",
            "energy",
            "--urgency",
            "critical",
            "--cost",
            "1000.00",
            "--tlp",
            "green",
            "--tag",
            "soc",
        ]);
        store.ok(&["--as", "olena", "need", "submit", "N-1"]);
        store.ok(&["need", "triage", "N-1"]);
        store.ok(&["--as", "tech", "need", "review", "N-1", "--panel", "technical", "--decision", "approve", "--feasibility", "4", "--relevance", "5"]);
        store.ok(&["--as", "strat", "need", "review", "N-1", "--panel", "strategic", "--decision", "approve", "--importance", "5"]);
        store.ok(&["pledge", "add", "--donor", "EE", "--title", "Help", "--amount", "600.00", "--date", "2026-01-05", "--tlp", "green"]);
        // In kind: the amount left out is the items' total.
        store.ok(&["pledge", "add", "--donor", "DE", "--title", "Terminals", "--date", "2026-01-05", "--tlp", "clear", "--item", "Terminal:4:100.00"]);
        store.ok(&["pledge", "commit", "P-1"]);
        store.ok(&["pledge", "commit", "P-2"]);
        store.ok(&["allocation", "add", "--pledge", "P-1", "--need", "N-1", "--amount", "600.00"]);
        store.ok(&["allocation", "add", "--pledge", "P-2", "--need", "N-1", "--amount", "400.00"]);
        store.ok(&[
            "transaction",
            "add",
            "--kind",
            "disbursement",
            "--provider",
            "EE",
            "--receiver",
            "UA-CERT",
            "--date",
            "2026-02-01",
            "--amount",
            "600.00",
            "--pledge",
            "P-1",
            "--need",
            "N-1",
        ]);
        store.ok(&["project", "add", "--need", "N-1", "--implementer", "IMP-A", "--title", "Install sensors", "--item", "Sensor:4"]);
        store.ok(&["project", "milestone", "add", "PR-1", "--title", "Installed", "--due", "2026-05-01"]);
        store.ok(&["project", "milestone", "complete", "PR-1", "M-1"]);
        store.ok(&["project", "deliver", "PR-1"]);
        store.ok(&["--as", "olena", "project", "accept", "PR-1", "--statement", "Received and working"]);
        store.ok(&[
            "agreement",
            "add",
            "--title",
            "MoU",
            "--party",
            "UA",
            "--party",
            "EE",
            "--domain",
            "cybersecurity",
            "--status",
            "in_force",
            "--signed-on",
            "2025-04-01",
            "--pledge",
            "P-1",
        ]);
        let shown = store.json(&["need", "show", "N-1", "--format", "json"]);
        assert_eq!(shown["need"]["status"], "accepted");
        let steps: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|t| t["to"].as_str().unwrap()).collect();
        assert_eq!(
            steps,
            ["draft", "submitted", "technical_review", "strategic_review", "approved", "partially_funded", "funded", "in_delivery", "delivered", "accepted"]
        );
        assert_eq!(shown["reviews"].as_array().unwrap().len(), 2);
        let token = store.ok(&["token", "create", "olena", "--expires-days", "30"]);
        assert!(token.trim().starts_with("tallinn_") && token.trim().len() == 48, "{token}");
        let tokens = store.json(&["token", "list", "--format", "json"]);
        assert!(!tokens.to_string().contains(token.trim()), "the secret is never listed");
        store.ok(&["token", "revoke", &tokens[0]["id"].to_string()]);
        store.ok(&[
            "need",
            "add",
            "--beneficiary",
            "UA-CERT",
            "--title",
            "Amber need",
            "--capability",
            "detect",
            "--sector",
            "energy",
            "--urgency",
            "low",
            "--cost",
            "1.00",
            "--tlp",
            "amber",
        ]);
        store.ok(&["--as", "olena", "need", "list"]);
        let access = store.json(&["access-log", "--format", "json"]);
        assert!(access.as_array().unwrap().iter().any(|e| e["actor"] == "olena" && e["tlp"] == "amber" && e["via"] == "cli"), "{access}");
        let log = store.json(&["audit", "log", "--entity", "N-1", "--format", "json"]);
        assert!(log.as_array().unwrap().len() >= 5);
        assert_eq!(store.json(&["announcement", "list", "--format", "json"])[0]["cumulative_eur"], "241700000.00");
    }
}

/// Each bad input exits 1 (or 2 for usage), names the problem, and
/// changes nothing.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let store = Store::sqlite();
    store.ok(&["init", "--demo"]);
    let before = store.audit_entries();
    let csv_bad = store._dir.path().join("bad.csv");
    std::fs::write(&csv_bad, "beneficiary,title,capability,sector,urgency,cost_eur,tlp\nUA-NOWHERE,ok,detect,energy,high,10.00,green\nUA-DEMO-CERT,x,detekt,energy,high,1.001,green\n").unwrap();
    let csv_ragged = store._dir.path().join("ragged.csv");
    std::fs::write(&csv_ragged, "beneficiary,title,capability,sector,urgency,cost_eur,tlp\nUA-DEMO-CERT,ok,detect\n").unwrap();
    let csv_unknown = store._dir.path().join("unknown.csv");
    std::fs::write(&csv_unknown, "beneficiary,title,capability,sector,urgency,cost_eur,tlp\nUA-DEMO-CERT,ok,detect,energy,high,10.00,green\nUA-NOWHERE,ok,detect,energy,high,10.00,green\n").unwrap();
    let (bad, ragged, unknown) = (csv_bad.to_str().unwrap(), csv_ragged.to_str().unwrap(), csv_unknown.to_str().unwrap());
    let pledge = |amount: &'static str, currency: &'static str, donor: &'static str| {
        vec!["pledge", "add", "--donor", donor, "--title", "t", "--amount", amount, "--currency", currency, "--date", "2026-01-05", "--tlp", "green"]
    };
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (pledge("10.00", "XYZ", "EE"), 1, "unknown currency 'XYZ'"),
        (pledge("-10.00", "EUR", "EE"), 1, "amounts cannot be negative"),
        (pledge("10.001", "EUR", "EE"), 1, "more than 2 decimal places"),
        (pledge("1.5", "JPY", "EE"), 1, "more than 0 decimal places"),
        (pledge("10.00", "EUR", "ZZ"), 1, "participant 'ZZ' not found"),
        (pledge("10.00", "EUR", "UA-DEMO-CERT"), 1, "pledges come from members and observers"),
        (vec!["pledge", "add", "--donor", "EE", "--title", "t", "--date", "2026-01-05", "--tlp", "green"], 1, "a money pledge needs its amount"),
        (
            vec!["pledge", "add", "--donor", "EE", "--title", "t", "--date", "2026-01-05", "--tlp", "green", "--item", "Terminal:2:100", "--amount", "150"],
            1,
            "differs from the items' value",
        ),
        (vec!["pledge", "add", "--donor", "EE", "--title", "t", "--date", "2026-01-05", "--tlp", "green", "--item", "Terminal:0:100"], 1, "quantity"),
        (vec!["need", "import", bad], 1, "3 problem(s) found; nothing was imported"),
        (vec!["need", "import", bad], 1, "row 2, beneficiary: unknown participant 'UA-NOWHERE'"),
        (vec!["need", "import", bad], 1, "row 3, capability: unknown capability 'detekt'"),
        (vec!["need", "import", bad], 1, "row 3, cost_eur"),
        (vec!["need", "import", ragged], 1, "malformed CSV"),
        (vec!["need", "import", unknown], 1, "row 3, beneficiary: unknown participant 'UA-NOWHERE'"),
        (vec!["need", "import", "/nonexistent.csv"], 1, "cannot read /nonexistent.csv"),
        (vec!["need", "submit", "N-1"], 1, "cannot go from"),
        (vec!["need", "submit", "N-9999"], 1, "need 'N-9999' not found"),
        (vec!["need", "list", "--sector", "space"], 1, "--sector: unknown sector 'space'"),
        (vec!["pledge", "commit", "P-abc"], 1, "is not a pledge id"),
        (vec!["user", "add", "x", "--org", "EE", "--role", "donor"], 1, "is not a user name"),
        (vec!["user", "add", "mallory", "--org", "EE", "--role", "coordinator"], 1, "cannot hold the coordinator role"),
        (vec!["--as", "nobody", "need", "list"], 1, "user 'nobody' not found"),
        (vec!["--as", "demo.reviewer.technical", "participant", "add", "ZZ", "--name", "Z", "--kind", "member"], 1, "may not add participants"),
        (vec!["need", "frobnicate"], 2, "unrecognized subcommand"),
        (vec!["serve", "--access-log-window", "5000"], 1, "more than the 1000 ms allowed"),
        (vec!["serve", "--access-log-window", "soon"], 2, "invalid value 'soon'"),
    ];
    for (args, code, message) in cases {
        let out = store.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: expected '{message}' in: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}");
    }
    assert_eq!(store.audit_entries(), before, "no refused command changed the ledger");
    assert_eq!(store.json(&["need", "list", "--format", "json"]).as_array().unwrap().len(), 200);
}

#[test]
fn unknown_database_scheme_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tallinn")).args(["--database", "mysql://localhost/x", "need", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown database URL scheme 'mysql'"));
}

#[test]
fn an_in_memory_sqlite_store_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tallinn")).args(["--database", "sqlite::memory:", "need", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the store must be a file"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn tampering_with_the_database_file_fails_verify() {
    let store = Store::sqlite();
    store.ok(&["init", "--demo"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Raw access to the file, as someone editing it by hand would have.
        let pool = &sqlx_pool::SqlitePool::connect(&store.url).await.unwrap();
        let refused = sqlx_update(pool, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 10").await;
        assert!(refused.unwrap_err().contains("append-only"));
        sqlx_update(pool, "DROP TRIGGER audit_log_no_update").await.unwrap();
        sqlx_update(pool, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 10").await.unwrap();
        pool.close().await;
    });
    let out = store.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("audit log broken at entry 10"), "{stderr}");
}

async fn sqlx_update(pool: &sqlx_pool::SqlitePool, sql: &str) -> Result<(), String> {
    sqlx_pool::query(sql).execute(pool).await.map(|_| ()).map_err(|e| e.to_string())
}

/// sqlx through the backend crate's re-export-free path: the test depends
/// on sqlx directly only for this raw access.
mod archive;
mod browser;
mod cluster;
mod durability;
mod server;
mod taxii;

mod sqlx_pool {
    pub use sqlx::{SqlitePool, query};
}

#[test]
fn fx_import_reads_the_real_ecb_history() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ecb/eurofxref-hist.csv");
    let store = Store::sqlite();
    let report = store.json(&["fx", "import", path]);
    assert!(report["added"].as_u64().unwrap() > 150_000, "{report}");
    assert_eq!(report["last_day"], "2026-10-30");
    assert_eq!(report["first_day"], "1999-01-04");
    let again = store.json(&["fx", "import", path]);
    assert_eq!(again["added"], 0);
    let p = store.json(&[
        "pledge",
        "add",
        "--donor",
        "US",
        "--title",
        "t",
        "--amount",
        "1000000.00",
        "--currency",
        "USD",
        "--date",
        "2026-10-30",
        "--tlp",
        "clear",
    ]);
    assert_eq!((p["amount_eur"].as_str(), p["rate"].as_str(), p["rate_date"].as_str()), (Some("895094.88"), Some("1.1172"), Some("2026-10-30")));
}

#[test]
fn allocate_offline_interface() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("instance.json");
    let output = dir.path().join("result.json");
    std::fs::write(&input, r#"{"needs": [{"id": "N-1", "beneficiary": "UA-MINDIGIT", "capability": "detect", "sector": "energy", "urgency": "critical", "remainder_eur": "125000.00", "divisible": true, "threat_factor": 1.0},
                                           {"id": "N-2", "beneficiary": "UA-MINDIGIT", "capability": "remediate", "sector": "energy", "urgency": "high", "remainder_eur": "10.00"}],
                               "pledges": [{"id": "P-1", "donor": "EE", "balance_eur": "500000.00", "capabilities": ["detect"], "sectors": [], "beneficiaries": [], "preferences": {"UA-MINDIGIT": 1.5}}],
                               "weights": {"critical": 8, "high": 4, "medium": 2, "low": 1}}"#).unwrap();
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let out = Command::new(bin).args(["allocate", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    assert_eq!(result["allocations"][0]["amount_eur"], "125000.00");
    assert_eq!(result["allocations"][0]["score_per_eur"], 12.0);
    assert_eq!(result["objective"], "1500000.00");
    assert_eq!(result["gap"], 0.0);
    assert_eq!(result["unfunded"][0]["need"], "N-2");
    assert_eq!(result["unfunded"][0]["remainder_eur"], "10.00");
    assert_eq!(result["stats"]["needs"], 2);
    // To stdout by default; bad input exits 1 naming the problem.
    let out = Command::new(bin).args(["allocate", "--input", input.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"allocations\""));
    std::fs::write(&input, r#"{"needs": [{"id": "N-1", "beneficiary": "UA-A", "capability": "detect", "sector": "energy", "urgency": "urgentish", "remainder_eur": "1.00"}], "pledges": []}"#).unwrap();
    let out = Command::new(bin).args(["allocate", "--input", input.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown urgency 'urgentish'"));
}

#[test]
fn dedup_finds_translated_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("needs.json");
    std::fs::write(&input, r#"{"needs": [
        {"id": "N-1", "beneficiary": "UA-GRID", "title": "Network sensors for Kharkiv grid dispatch centre", "description": "", "capability": "detect", "sector": "energy", "cost_eur": "100000.00"},
        {"id": "N-2", "beneficiary": "UA-KHARKIV", "title": "Мережеві сенсори для диспетчерського центру електромережі Харкова", "description": "", "capability": "detect", "sector": "energy", "cost_eur": "98000.00"},
        {"id": "N-3", "beneficiary": "UA-WATER", "title": "Offline backup servers for Odesa water utility", "description": "", "capability": "resilience", "sector": "water", "cost_eur": "50000.00"}]}"#).unwrap();
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let out = Command::new(bin).args(["dedup", "--input", input.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs = &result["needs"];
    assert_eq!(pairs.as_array().unwrap().len(), 1, "{pairs}");
    assert_eq!((pairs[0]["a"].as_str(), pairs[0]["b"].as_str()), (Some("N-1"), Some("N-2")));
    assert!(pairs[0]["reason"].as_str().unwrap().contains("beneficiaries UA-GRID and UA-KHARKIV"));
    let out = Command::new(bin).args(["dedup", "--input", input.to_str().unwrap(), "--threshold", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Over the ledger: the demo has none flagged at the default threshold or some; it must run.
    let store = Store::sqlite();
    store.ok(&["init", "--demo"]);
    let found = store.json(&["dedup"]);
    let first = &found["needs"][0];
    let (a, b) = (first["a"].as_str().unwrap().to_string(), first["b"].as_str().unwrap().to_string());
    store.ok(&["need", "relate", &a, &b, "--relation", "complementary", "--note", "different sites"]);
    let again = store.json(&["dedup"]);
    assert!(!again["needs"].as_array().unwrap().iter().any(|p| p["a"] == a.as_str() && p["b"] == b.as_str()), "a judged pair is not proposed again");
    let shown = store.json(&["need", "show", &a, "--format", "json"]);
    assert_eq!(shown["relations"][0]["relation"], "complementary");
    assert!(found["pledges"].is_array());
}

#[test]
fn json_logs_on_request() {
    let store = Store::sqlite();
    let out = Command::new(env!("CARGO_BIN_EXE_tallinn"))
        .args(["--database", &store.url, "--log-format", "json", "need", "list"])
        .env("TALLINN_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.starts_with('{')).expect("a JSON log line");
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(event["level"].is_string() && event["timestamp"].is_string(), "{event}");
}

/// Starts `tallinn serve` on a free port; the child is killed on drop.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(database: &str, demo: bool) -> Server {
        Server::start_with(database, demo, &[])
    }

    fn start_with(database: &str, demo: bool, extra: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallinn"));
        cmd.args(["--database", database, "serve", "--listen", &format!("127.0.0.1:{port}")]).args(extra).stdout(Stdio::null()).stderr(Stdio::null());
        if demo {
            cmd.arg("--demo");
        }
        // Owned by `Server` at once, so that its `Drop` always reaps it.
        let server = Server { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}") };
        for _ in 0..200 {
            if http(&server.base, "GET", "/readyz", &[], None).0 == 200 {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the server did not become ready");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client over a TCP stream: (status, headers, body).
fn http(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, String, String) {
    use std::io::Read;
    let addr = base.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else { return (0, String::new(), String::new()) };
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            request.push_str("content-type: application/json\r\n");
        }
        request.push_str(&format!("content-length: {}\r\n", b.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    // A server killed under the request (the durability tests) answers nothing.
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new(), String::new());
    }
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    // Bodies may be chunked: keep from the first '{' or '[' to the last '}' or ']'.
    let body = match (rest.find(['{', '[']), rest.rfind(['}', ']'])) {
        (Some(a), Some(b)) if b >= a => rest[a..=b].to_string(),
        _ => rest.to_string(),
    };
    (status, head.to_string(), body)
}

#[test]
fn two_server_processes_share_sessions_and_cursors() {
    let Some(store) = Store::postgres("twoproc") else {
        return tallinn_core::testing::unavailable("PostgreSQL", "set TALLINN_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/tallinn_dev");
    };
    store.ok(&["init", "--demo"]);
    let out = store.run_with_stdin(&["user", "add", "two.proc", "--org", "EE", "--role", "donor", "--password-stdin"], "a long enough password\n");
    assert!(out.status.success());
    let (a, b) = (Server::start(&store.url, false), Server::start(&store.url, false));
    // Sign in on A; the cookie works on B.
    let (status, head, body) = http(&a.base, "POST", "/api/v1/session", &[], Some(r#"{"user": "two.proc", "password": "a long enough password"}"#));
    assert_eq!(status, 200, "{head}\n{body}");
    let cookie = head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).unwrap().split(';').next().unwrap().to_string();
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrf"].as_str().unwrap().to_string();
    // A cursor made on A continues on B.
    let (status, _, page1) = http(&a.base, "GET", "/api/v1/needs?limit=5", &[("cookie", &cookie)], None);
    assert_eq!(status, 200, "{page1}");
    let page1: serde_json::Value = serde_json::from_str(&page1).unwrap();
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (status, _, page2) = http(&b.base, "GET", &format!("/api/v1/needs?limit=5&cursor={cursor}"), &[("cookie", &cookie)], None);
    assert_eq!(status, 200, "{page2}");
    let page2: serde_json::Value = serde_json::from_str(&page2).unwrap();
    let last1 = page1["items"][4]["id"].as_str().unwrap().trim_start_matches("N-").parse::<i64>().unwrap();
    let first2 = page2["items"][0]["id"].as_str().unwrap().trim_start_matches("N-").parse::<i64>().unwrap();
    assert!(first2 < last1, "B continues where A stopped");
    // A write through B with the session made on A, then signing out on B ends it on A.
    let pledge = r#"{"donor": "EE", "title": "Two processes", "amount": "10.00", "pledged_on": "2026-10-01", "tlp": "green"}"#;
    assert_eq!(http(&b.base, "POST", "/api/v1/pledges", &[("cookie", &cookie), ("x-csrf-token", &csrf)], Some(pledge)).0, 201);
    assert_eq!(http(&b.base, "DELETE", "/api/v1/session", &[("cookie", &cookie), ("x-csrf-token", &csrf)], None).0, 204);
    assert_eq!(http(&a.base, "POST", "/api/v1/pledges", &[("cookie", &cookie), ("x-csrf-token", &csrf)], Some(pledge)).0, 401);
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let store = Store::sqlite();
    store.ok(&["init"]);
    let mut server = Server::start(&store.url, false);
    let pid = server.child.id().to_string();
    // The shell's builtin `kill`: present even where procps is not installed.
    assert!(Command::new("sh").args(["-c", &format!("kill -TERM {pid}")]).status().unwrap().success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

/// Hostile and extreme STIX sent to a live server by an analyst: each
/// object is answered in the upload's status, and the server goes on
/// serving (a pattern nested 1,500 deep once aborted the process).
#[test]
fn a_hostile_upload_leaves_the_server_serving() {
    for store in stores("hostile") {
        store.ok(&["init"]);
        store.ok(&["user", "add", "mart", "--org", "EE", "--role", "analyst"]);
        let token = store.ok(&["token", "create", "mart"]);
        let server = Server::start(&store.url, false);
        let indicator = |n: u32, pattern: &str| {
            serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": pattern, "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z", "valid_until": "9999-12-31T23:59:59Z"})
        };
        let deep = format!("{}[ipv4-addr:value = '1.2.3.4']{}", "(".repeat(1_500), ")".repeat(1_500));
        let list = format!("[{}]", (0..3_000).map(|i| format!("ipv4-addr:value = '10.0.{}.{}'", i / 256, i % 256)).collect::<Vec<_>>().join(" OR "));
        let envelope =
            serde_json::json!({"objects": [indicator(1, &deep), indicator(2, &list), indicator(3, "[ipv4-addr:value = '198.51.100.1']")]}).to_string();
        let auth = format!("Bearer {}", token.trim());
        let taxii = "application/taxii+json;version=2.1";
        let headers = [("authorization", auth.as_str()), ("content-type", taxii), ("accept", taxii)];
        let (status, _, body) = http(&server.base, "POST", "/taxii2/tallinn/collections/community/objects/", &headers, Some(&envelope));
        assert_eq!(status, 202, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((answer["success_count"].as_u64(), answer["failure_count"].as_u64()), (Some(2), Some(1)), "{answer}");
        assert!(answer["failures"][0]["message"].as_str().unwrap().contains("nest deeper than 100"), "{answer}");
        assert_eq!(http(&server.base, "GET", "/healthz", &[], None).0, 200, "still serving");
        // A repeated key, an empty filter and a long id list: TAXII errors.
        let repeated =
            r#"{"objects": [{"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "1.2.3.4", "value": "5.6.7.8"}]}"#;
        let (_, _, body) = http(&server.base, "POST", "/taxii2/tallinn/collections/community/objects/", &headers, Some(repeated));
        assert!(body.contains("duplicate key `value`"), "{body}");
        let (status, _, body) = http(&server.base, "GET", "/taxii2/tallinn/collections/community/objects/?match[type]=", &headers, None);
        assert!(status == 400 && body.contains("an empty value"), "{status} {body}");
        let long = format!("/taxii2/tallinn/collections/community/objects/?match[id]={}", "indicator--00000000-0000-4000-8000-000000000000,".repeat(600));
        let (status, _, body) = http(&server.base, "GET", &long, &headers, None);
        assert!(status == 414 && body.contains("\"http_status\""), "a TAXII error resource, not an empty body: {status} {body}");
        assert_eq!(http(&server.base, "GET", "/healthz", &[], None).0, 200);
    }
}

/// `tallinn user passwd|disable|enable|remove`, on both stores.
#[test]
fn accounts_are_managed_from_the_command_line() {
    for store in stores("accounts") {
        store.ok(&["init"]);
        store.ok(&["user", "add", "mart", "--org", "EE", "--role", "analyst"]);
        let out = store.run_with_stdin(&["user", "passwd", "mart"], "short\n");
        assert_eq!(out.status.code(), Some(1), "a short password is refused");
        let out = store.run_with_stdin(&["user", "passwd", "mart"], "a long enough password\n");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        for step in ["disable", "enable", "remove"] {
            let out = store.run(&["user", step, "mart"]);
            assert!(out.status.success(), "{step}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let out = store.run(&["user", "enable", "mart"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("was removed"), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(store.run(&["user", "disable", "nobody"]).status.code(), Some(1));
        store.audit_entries();
    }
}

/// A GET from a chosen loopback source address: (status, body).
fn get_from(source: &str, base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        let mut stream = socket.connect(addr).await.unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let status = raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, raw)
    })
}

/// Sign-in throttling keyed by account and client address: a guesser at
/// one address waits, the owner at another does not; behind a trusted
/// proxy the client is the one X-Forwarded-For names, and anyone else's
/// X-Forwarded-For is ignored.
#[test]
fn sign_in_delays_follow_the_guesser_not_the_owner() {
    for store in stores("throttle") {
        store.ok(&["init"]);
        let out = store.run_with_stdin(&["user", "add", "mart", "--org", "EE", "--role", "analyst", "--password-stdin"], "correct horse battery staple\n");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let server = Server::start_with(&store.url, false, &["--trusted-proxy", "127.0.0.4"]);
        let basic = |password: &str| {
            use base64::Engine;
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("mart:{password}")))
        };
        let (wrong, right) = (basic("guess"), basic("correct horse battery staple"));
        let get = |source: &str, auth: &str, forwarded: Option<&str>| {
            let mut headers = vec![("authorization", auth)];
            if let Some(f) = forwarded {
                headers.push(("x-forwarded-for", f));
            }
            get_from(source, &server.base, "/api/v1/needs?limit=1", &headers).0
        };
        // Five mistakes are free; the sixth attempt waits.
        for _ in 0..5 {
            assert_eq!(get("127.0.0.2", &wrong, None), 401);
        }
        assert_eq!(get("127.0.0.2", &right, None), 429, "the guessing address waits, even with the right password");
        // A forged X-Forwarded-For from an untrusted peer changes nothing.
        assert_eq!(get("127.0.0.2", &right, Some("198.51.100.99")), 429);
        // (Once verified, a credential is remembered, and no longer throttled.)
        assert_eq!(get("127.0.0.3", &right, None), 200, "the owner at another address does not wait");
        // Behind the trusted proxy, each client is counted by its own address.
        let other = basic("another guess");
        for _ in 0..5 {
            assert_eq!(get("127.0.0.4", &other, Some("198.51.100.7")), 401);
        }
        assert_eq!(get("127.0.0.4", &other, Some("198.51.100.7")), 429, "the client behind the proxy waits");
        assert_eq!(get("127.0.0.4", &other, Some("forged, 198.51.100.8")), 401, "another client behind the proxy does not");
    }
}

/// Slowloris: 200 connections from one address that trickle their headers
/// neither hold their slots past the header timeout nor keep the server
/// from answering another address at once.
#[test]
fn slow_clients_cannot_starve_the_others() {
    let store = Store::sqlite();
    store.ok(&["init"]);
    let server = Server::start_with(&store.url, false, &["--header-timeout", "2", "--max-connections-per-address", "50"]);
    let addr: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut slow = Vec::new();
        for _ in 0..200 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            if let Ok(mut stream) = socket.connect(addr).await {
                let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                slow.push(stream);
            }
        }
        // Another client is answered at once, every time.
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let (status, _, _) = tokio::task::spawn_blocking({
                let base = server.base.clone();
                move || http(&base, "GET", "/healthz", &[], None)
            })
            .await
            .unwrap();
            assert_eq!(status, 200);
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        }
        // Trickling a header line every half second does not keep a connection open.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut open = slow.len();
        while open > 0 && std::time::Instant::now() < deadline {
            open = 0;
            for stream in &mut slow {
                let mut byte = [0u8; 1];
                let closed = matches!(tokio::time::timeout(std::time::Duration::from_millis(5), stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)));
                if !closed {
                    let _ = stream.write_all(b"X-a: b\r\n").await;
                    open += 1;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        assert_eq!(open, 0, "slow connections outlived the header timeout");
    });
}

#[test]
fn stix_validate_reports_every_problem() {
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/stix/poisonivy.json");
    let out = Command::new(bin).args(["stix", "validate", examples]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("155 object(s), valid"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "pattern": "[file:name = ", "pattern_type": "stix"}]}"#).unwrap();
    let out = Command::new(bin).args(["stix", "validate", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("valid_from: required on indicator") && stdout.contains("pattern: not a valid STIX pattern"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 problem(s) found"));
}

const OBSERVED: &str = r#"{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [
    {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000001", "created": "2026-11-01T10:00:00Z", "modified": "2026-11-01T10:00:00Z",
     "first_observed": "2026-11-01T10:00:00Z", "last_observed": "2026-11-01T10:00:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--00000000-0000-4000-8000-000000000001"]},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "203.0.113.7"}]}"#;

#[test]
fn stix_match_answers_match_or_no_match() {
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("observed.json");
    std::fs::write(&file, OBSERVED).unwrap();
    let run = |pattern: &str| Command::new(bin).args(["stix", "match", "--pattern", pattern, file.to_str().unwrap()]).output().unwrap();
    let out = run("[ipv4-addr:value ISSUBSET '203.0.113.0/24']");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "match\nobserved-data--00000000-0000-4000-8000-000000000001\n");
    let out = run("[ipv4-addr:value = '198.51.100.1']");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no match\n");
    let out = run("[ipv4-addr:value = ");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not parse at offset"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(bin).args(["stix", "match", "--stix-version", "2.0", "--pattern", "[a:b = 1]", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a 2.1 bundle is not 2.0 observed-data");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be matched"));
}

/// Runs `tallinn stix match-batch` on the given lines; its output lines.
fn match_batch(lines: &[String]) -> Vec<serde_json::Value> {
    use std::io::Write;
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let mut child = Command::new(bin).args(["stix", "match-batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// An IOC-list indicator (3,000 ORed comparisons, 100 KB) is matched, a
/// pattern nested 2,000 deep is an error line, and the lines after them
/// are answered: the process once aborted on both.
#[test]
fn stix_match_batch_survives_extreme_patterns() {
    let bundle: serde_json::Value = serde_json::from_str(OBSERVED).unwrap();
    let mut terms: Vec<String> = (0..3_000).map(|i| format!("ipv4-addr:value = '10.{}.{}.{}'", i / 65_536, (i / 256) % 256, i % 256)).collect();
    terms.push("ipv4-addr:value = '203.0.113.7'".into());
    let list = format!("[{}]", terms.join(" OR "));
    assert!(list.len() > 100_000);
    let deep = format!("{}[ipv4-addr:value = '203.0.113.7']{}", "(".repeat(2_000), ")".repeat(2_000));
    let line = |pattern: &str| serde_json::json!({"pattern": pattern, "observations": [bundle]}).to_string();
    let answers = match_batch(&[line(&list), line(&deep), line("[ipv4-addr:value = '203.0.113.7']")]);
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["matched"], true, "{}", answers[0]);
    assert_eq!(answers[1]["error"], "parse");
    assert!(answers[1]["message"].as_str().unwrap().contains("nest deeper than 100"), "{}", answers[1]);
    assert_eq!(answers[2]["matched"], true);
}

#[test]
fn stix_match_batch_answers_every_line_in_order() {
    let bundle: serde_json::Value = serde_json::from_str(OBSERVED).unwrap();
    let line = |pattern: &str, version: &str| serde_json::json!({"pattern": pattern, "stix_version": version, "observations": [bundle]}).to_string();
    let lines = vec![
        line("[ipv4-addr:value = '203.0.113.7']", "2.1"),
        "not json".to_string(),
        line("[ipv4-addr:value = '203.0.113.8']", "2.1"),
        line("[ipv4-addr:value = ", "2.1"),
        line("[a:b = 1] REPEATS 0 TIMES", "2.1"),
        line("[a:b = 1]", "2.0"),
        line("[a:b = 1]", "3.0"),
        line("[ipv4-addr:value = '203.0.113.7']", "2.1"),
    ];
    let answers = match_batch(&lines);
    assert_eq!(answers.len(), lines.len());
    assert_eq!(answers[0], serde_json::json!({"matched": true, "sdo_ids": ["observed-data--00000000-0000-4000-8000-000000000001"]}));
    assert_eq!(answers[1]["error"], "parse");
    assert_eq!(answers[2], serde_json::json!({"matched": false, "sdo_ids": []}));
    assert_eq!(answers[3]["error"], "parse");
    assert!(answers[3]["message"].as_str().unwrap().contains("offset"));
    assert_eq!(answers[4]["error"], "match");
    assert_eq!(answers[5]["error"], "match", "a 2.1 bundle given as 2.0 observed-data");
    assert_eq!(answers[6]["error"], "parse");
    assert_eq!(answers[7], answers[0]);
}

/// A line that is JSON but not a request answers a parse error that names
/// what is wrong; the lines around it are answered as usual.
#[test]
fn stix_match_batch_names_what_is_wrong_with_a_request() {
    let bundle: serde_json::Value = serde_json::from_str(OBSERVED).unwrap();
    let pattern = "[ipv4-addr:value = '203.0.113.7']";
    let good = serde_json::json!({"pattern": pattern, "observations": [bundle]}).to_string();
    let observations = serde_json::to_string(&[&bundle]).unwrap();
    let bad = [
        (format!(r#"{{"observations": {observations}}}"#), "missing field `pattern`"),
        (format!(r#"{{"pattern": "{pattern}"}}"#), "missing field `observations`"),
        (format!(r#"{{"pattern": "{pattern}", "pattern": "{pattern}", "observations": {observations}}}"#), "duplicate key `pattern` at line 1"),
        (
            r#"{"pattern": "[ipv4-addr:value = '203.0.113.7']", "observations": [{"type": "ipv4-addr", "value": "203.0.113.7", "value": "198.51.100.1"}]}"#
                .to_string(),
            "duplicate key `value`",
        ),
        (format!(r#"{{"pattern": "{pattern}", "observations": {observations}, "extra": 1}}"#), "unknown field `extra`"),
        (format!(r#"{{"pattern": "{pattern}", "observations": {{}}}}"#), "expected a list of observations"),
        (format!(r#"{{"pattern": 7, "observations": {observations}}}"#), "invalid type: integer `7`"),
        (
            format!(r#"{{"pattern": "{pattern}", "stix_version": 2.1, "observations": {observations}}}"#),
            "invalid type: floating point `2.1` for `stix_version`, expected a string",
        ),
        (format!(r#"{{"pattern": "{pattern}", "observations": [{observations}"#), "EOF while parsing a list at line 1 column"),
        (format!(r#"{{"pattern": "{pattern}", "observations": {observations}}} trailing"#), "trailing characters"),
        (format!(r#"[{{"pattern": "{pattern}", "observations": {observations}}}]"#), "expected an object"),
    ];
    let mut lines = vec![good.clone()];
    lines.extend(bad.iter().map(|(line, _)| line.clone()));
    lines.push(good);
    let answers = match_batch(&lines);
    assert_eq!(answers.len(), lines.len());
    let matched = serde_json::json!({"matched": true, "sdo_ids": ["observed-data--00000000-0000-4000-8000-000000000001"]});
    assert_eq!(answers[0], matched, "stix_version is 2.1 when absent");
    for (answer, (_, problem)) in answers[1..].iter().zip(&bad) {
        assert_eq!(answer["error"], "parse", "{answer}");
        assert!(answer["message"].as_str().unwrap().contains(problem), "{answer} should say {problem}");
    }
    assert_eq!(answers.last(), Some(&matched));
}

/// Thousands of lines are answered by several workers in many batches, and
/// still come back in input order.
#[test]
fn stix_match_batch_keeps_input_order_across_batches() {
    let bundle: serde_json::Value = serde_json::from_str(OBSERVED).unwrap();
    let line = |i: usize| {
        let address = if i.is_multiple_of(3) { "203.0.113.7" } else { "203.0.113.8" };
        let pattern = if i.is_multiple_of(7) { "[ipv4-addr:value = ".to_string() } else { format!("[ipv4-addr:value = '{address}']") };
        serde_json::json!({"pattern": pattern, "observations": [bundle]}).to_string()
    };
    let mut lines: Vec<String> = (0..3000).map(line).collect();
    // One line longer than several reads (a large bundle on one line).
    let mut padded = bundle.clone();
    padded["objects"][1]["x_padding"] = serde_json::json!("x".repeat(1 << 20));
    lines[1000] = serde_json::json!({"pattern": "[ipv4-addr:value = '203.0.113.7']", "observations": [padded]}).to_string();
    assert!(lines.iter().map(String::len).sum::<usize>() > 4 * 256 * 1024, "more than a few read buffers");
    let answers = match_batch(&lines);
    assert_eq!(answers.len(), lines.len());
    for (i, answer) in answers.iter().enumerate() {
        if i == 1000 {
            assert_eq!(answer["matched"], true, "the long line");
            continue;
        }
        match (i % 7, i % 3) {
            (0, _) => assert_eq!(answer["error"], "parse", "line {i}"),
            (_, 0) => assert_eq!(answer["matched"], true, "line {i}"),
            _ => assert_eq!(answer["matched"], false, "line {i}"),
        }
    }
}

/// A caller that sends one line and waits gets its answer before sending
/// the next (the answers are not held back until the input ends), and a
/// line without its line end at the end of the input is answered too.
#[test]
fn stix_match_batch_answers_a_waiting_caller_at_once() {
    use std::io::{BufRead, BufReader, Write};
    let bundle: serde_json::Value = serde_json::from_str(OBSERVED).unwrap();
    let line = |pattern: &str| serde_json::json!({"pattern": pattern, "observations": [bundle]}).to_string();
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let mut child = Command::new(bin).args(["stix", "match-batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (answers_tx, answers) = std::sync::mpsc::channel();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        let mut answer = String::new();
        while stdout.read_line(&mut answer).unwrap_or(0) > 0 {
            answers_tx.send(std::mem::take(&mut answer)).unwrap();
        }
    });
    let wait = std::time::Duration::from_secs(20);
    for (pattern, matched) in [("[ipv4-addr:value = '203.0.113.7']", true), ("[ipv4-addr:value = '203.0.113.9']", false)] {
        writeln!(stdin, "{}\r", line(pattern)).unwrap();
        stdin.flush().unwrap();
        let answer: serde_json::Value = serde_json::from_str(&answers.recv_timeout(wait).expect("an answer while the input is still open")).unwrap();
        assert_eq!(answer["matched"], matched, "{pattern}");
    }
    // Bytes that are not UTF-8 answer a parse error, and the batch goes on.
    stdin.write_all(b"{\"pattern\": \"\xff\"}\n").unwrap();
    stdin.flush().unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answers.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(answer["error"], "parse");
    write!(stdin, "{}", line("[ipv4-addr:value = '203.0.113.7']")).unwrap();
    drop(stdin);
    let last: serde_json::Value = serde_json::from_str(&answers.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(last["matched"], true);
    assert!(child.wait().unwrap().success());
}

/// The reference suite's cases (see tallinn-stix's conformance test) through
/// the stable command-line interface other tools use.
#[test]
fn stix_match_batch_agrees_with_the_reference_suite() {
    let Ok(path) = std::env::var("TALLINN_STIX_MATCHER_CASES") else {
        return tallinn_core::testing::unavailable(
            "stix2-matcher reference suite",
            "see tallinn-stix's conformance test: record the cases and set TALLINN_STIX_MATCHER_CASES",
        );
    };
    let cases: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let lines: Vec<String> = cases
        .iter()
        .map(|c| serde_json::json!({"pattern": c["pattern"], "stix_version": c["stix_version"], "observations": c["observations"]}).to_string())
        .collect();
    let answers = match_batch(&lines);
    assert_eq!(answers.len(), cases.len());
    for (case, answer) in cases.iter().zip(&answers) {
        let expected = &case["expected"];
        match expected.get("error") {
            Some(kind) => assert_eq!(&answer["error"], kind, "{}", case["name"]),
            None => assert_eq!((&answer["matched"], &answer["sdo_ids"]), (&expected["matched"], &expected["sdo_ids"]), "{}", case["name"]),
        }
    }
}

/// `tallinn detect` over the real sample lines of every format, read from
/// plain, gzip and zstd files and from stdin: one sighting per indicator
/// seen, exact counts, the indicator's marking, malformed lines named and
/// skipped; usage errors exit 1 or 2.
#[test]
fn detect_reads_every_format_and_writes_sightings() {
    use std::io::Write;
    let bin = env!("CARGO_BIN_EXE_tallinn");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");
    let dir = tempfile::tempdir().unwrap();
    let indicator = |n: u32, pattern: &str, marking: Option<&str>| {
        let mut i = serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08}-1111-4111-8111-111111111111"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
        if let Some(m) = marking {
            i["object_marking_refs"] = serde_json::json!([m]);
        }
        i
    };
    let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [
        indicator(1, "[domain-name:value = 'suricata-ids.org']", Some(amber)),
        indicator(2, "[ipv4-addr:value ISSUBSET '31.3.245.0/24']", None),
        indicator(3, "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']", None),
        indicator(4, "[ipv4-addr:value = '192.0.2.250']", None),
        indicator(5, "[not a pattern", None),
    ]});
    let indicators = dir.path().join("indicators.json");
    std::fs::write(&indicators, bundle.to_string()).unwrap();
    let gz = dir.path().join("zeek.json.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&std::fs::read(format!("{data}/zeek.json")).unwrap()).unwrap();
    enc.finish().unwrap();
    let zst = dir.path().join("ecs.json.zst");
    std::fs::write(&zst, zstd::encode_all(std::fs::read(format!("{data}/ecs.json")).unwrap().as_slice(), 3).unwrap()).unwrap();
    let suricata = std::fs::read_to_string(format!("{data}/suricata.json")).unwrap();
    let out = dir.path().join("sightings.json");
    let mut child = Command::new(bin)
        .args(["detect", "--indicators", indicators.to_str().unwrap(), "--input", "-", "--input", gz.to_str().unwrap(), "--input", zst.to_str().unwrap()])
        .args(["--input", &format!("{data}/stix.json"), "--organisation", "EE", "--output", out.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{{broken\n{suricata}").as_bytes()).unwrap();
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    let sightings: Vec<serde_json::Value> = std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let count = |n: u32| {
        sightings.iter().find(|s| s["sighting_of_ref"] == format!("indicator--{n:08}-1111-4111-8111-111111111111")).map(|s| s["count"].as_u64().unwrap())
    };
    assert_eq!((count(1), count(2), count(3), count(4)), (Some(2), Some(4), Some(2), None), "{sightings:#?}");
    let first = &sightings[0];
    assert_eq!(first["object_marking_refs"], serde_json::json!([amber]));
    assert_eq!(first["where_sighted_refs"][0], first["created_by_ref"]);
    assert!(stderr.contains("1 malformed lines skipped") && stderr.contains("-:1: not JSON"), "{stderr}");
    assert!(stderr.contains("whose pattern cannot be used") && stderr.contains("indicator--00000005"), "{stderr}");
    // Usage errors and refusals.
    let run = |args: &[&str]| Command::new(bin).args(args).output().unwrap();
    assert_eq!(run(&["detect", "--indicators", indicators.to_str().unwrap(), "--format", "syslog", "--quiet"]).status.code(), Some(1));
    let none = dir.path().join("none.json");
    std::fs::write(&none, "[]").unwrap();
    let refused = run(&["detect", "--indicators", none.to_str().unwrap(), "--input", &format!("{data}/zeek.json")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no indicator to detect"));
    assert_eq!(run(&["detect", "--input", &format!("{data}/zeek.json")]).status.code(), Some(2), "--indicators is required");
    let missing = run(&["detect", "--indicators", indicators.to_str().unwrap(), "--input", "/nonexistent/eve.json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/eve.json"));
}

/// `tallinn detect` with compound indicators whose events are megabytes
/// apart in the log (so in batches that different workers match): each
/// match is found once, in the order of the log; a line too long to hold is
/// skipped, named, and the lines after it keep their numbers.
#[test]
fn detect_correlates_events_across_batches_and_skips_overlong_lines() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let indicator = |n: u32, pattern: &str| {
        serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08}-2222-4222-8222-222222222222"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
    };
    let indicators = dir.path().join("indicators.jsonl");
    let lines = [
        indicator(1, "([domain-name:value = 'c2.bad.example'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.66']) WITHIN 600 SECONDS"),
        indicator(2, "[ipv4-addr:value = '203.0.113.66'] FOLLOWEDBY [domain-name:value = 'c2.bad.example']"),
        indicator(3, "[ipv4-addr:value = '203.0.113.66']"),
    ];
    std::fs::write(&indicators, lines.iter().map(|l| l.to_string() + "\n").collect::<String>()).unwrap();
    let eve = |second: u64, kind: &str, value: &str| {
        let ts = format!("2026-11-01T00:{:02}:{:02}.000000+0000", second / 60, second % 60);
        let mut e = serde_json::json!({"timestamp": ts, "event_type": kind, "src_ip": "10.0.0.5", "dest_ip": "10.0.0.53", "proto": "UDP"});
        match kind {
            "dns" => e["dns"] = serde_json::json!({"type": "query", "rrname": value, "rrtype": "A"}),
            _ => e["dest_ip"] = serde_json::json!(value),
        }
        e.to_string() + "\n"
    };
    let log = dir.path().join("eve.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
    let filler = |f: &mut std::io::BufWriter<std::fs::File>, second: u64| {
        for _ in 0..12_000 {
            f.write_all(eve(second, "flow", "198.51.100.1").as_bytes()).unwrap();
        }
    };
    f.write_all(eve(0, "dns", "c2.bad.example").as_bytes()).unwrap(); // line 1
    filler(&mut f, 1); // lines 2..=12001, about 2 MB
    f.write_all(format!("{{\"timestamp\": \"{}\"}}\n", "x".repeat(9 << 20)).as_bytes()).unwrap(); // line 12002: too long
    f.write_all(eve(60, "flow", "203.0.113.66").as_bytes()).unwrap(); // line 12003
    filler(&mut f, 61);
    f.write_all(b"{broken\n").unwrap(); // line 24004
    f.write_all(eve(120, "dns", "c2.bad.example").as_bytes()).unwrap();
    f.into_inner().unwrap().sync_all().unwrap();
    let out = dir.path().join("sightings.json");
    let done = Command::new(env!("CARGO_BIN_EXE_tallinn"))
        .args(["detect", "--indicators", indicators.to_str().unwrap(), "--input", log.to_str().unwrap(), "--output", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    let sightings: Vec<serde_json::Value> = std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let seen = |n: u32| {
        sightings
            .iter()
            .find(|s| s["sighting_of_ref"] == format!("indicator--{n:08}-2222-4222-8222-222222222222"))
            .map(|s| (s["count"].as_u64().unwrap(), s["first_seen"].as_str().unwrap().to_string(), s["last_seen"].as_str().unwrap().to_string()))
    };
    assert_eq!(seen(1), Some((2, "2026-11-01T00:00:00.000000Z".into(), "2026-11-01T00:01:00.000000Z".into())), "{sightings:#?}");
    assert_eq!(seen(2), Some((2, "2026-11-01T00:01:00.000000Z".into(), "2026-11-01T00:02:00.000000Z".into())), "{sightings:#?}");
    assert_eq!(seen(3).map(|s| s.0), Some(1));
    assert!(stderr.contains("2 malformed lines skipped"), "{stderr}");
    assert!(stderr.contains("eve.json:12002: longer than 8 MiB: skipped") && stderr.contains("eve.json:24004: not JSON"), "{stderr}");
}

/// `tallinn detect --collection --post`, on both stores: indicators come
/// from the collection as the acting analyst may read them (an AMBER+STRICT
/// indicator of another organisation is never detected), sightings are
/// stored through the TAXII checks, a second run stores nothing new, and a
/// stored sighting is read by nobody who may not read its indicator.
#[test]
fn detect_with_a_collection_respects_tlp_and_posts_once() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");
    for store in stores("detect") {
        store.ok(&["init"]);
        for (user, org) in [("mart", "EE"), ("liis", "EE"), ("aino", "FI")] {
            store.ok(&["user", "add", user, "--org", org, "--role", "analyst"]);
        }
        let token = |user: &str| format!("Bearer {}", store.ok(&["token", "create", user]).trim());
        let (mart, liis, aino) = (token("mart"), token("liis"), token("aino"));
        let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
        let strict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
        let indicator = |n: u32, pattern: &str, marking: &str, extra: serde_json::Value| {
            let mut i = serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": pattern, "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [marking]});
            i.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            i
        };
        let taxii = "application/taxii+json;version=2.1";
        let objects = "/taxii2/tallinn/collections/community/objects/";
        {
            let server = Server::start(&store.url, false);
            // FI shares one indicator with EE (AMBER, EE named) and one with liis alone (AMBER+STRICT).
            let envelope = serde_json::json!({"objects": [
                indicator(1, "[ipv4-addr:value ISSUBSET '31.3.245.0/24']", amber, serde_json::json!({"x_tallinn_share_orgs": ["EE"]})),
                indicator(2, "[domain-name:value = 'testmyids.com']", strict, serde_json::json!({"x_tallinn_share_users": ["liis"]})),
                indicator(3, "[domain-name:value = 'suricata-ids.org']", strict, serde_json::json!({})),
            ]})
            .to_string();
            let (status, _, body) =
                http(&server.base, "POST", objects, &[("authorization", &aino), ("content-type", taxii), ("accept", taxii)], Some(&envelope));
            assert_eq!(status, 202, "{body}");
            assert!(body.contains("\"success_count\":3"), "{body}");
        }
        let detect = |user: &str| {
            store.run(&[
                "--as",
                user,
                "detect",
                "--collection",
                "community",
                "--input",
                &format!("{data}/zeek.json"),
                "--input",
                &format!("{data}/suricata.json"),
                "--post",
            ])
        };
        let first = detect("liis");
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        let sightings: Vec<serde_json::Value> = String::from_utf8_lossy(&first.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let of = |n: u32| sightings.iter().find(|s| s["sighting_of_ref"] == format!("indicator--{n:08x}-0000-4000-8000-000000000000")).cloned();
        assert_eq!(of(1).unwrap()["count"], 4, "AMBER shared with EE: seen by liis");
        assert_eq!(of(2).unwrap()["count"], 3, "AMBER+STRICT shared with liis (two DNS queries, one HTTP host)");
        assert!(of(3).is_none(), "an indicator liis may not read is never detected for her");
        assert_eq!(of(1).unwrap()["object_marking_refs"], serde_json::json!([amber]), "EE reads the indicator: its marking");
        assert_eq!(of(2).unwrap()["x_tallinn_share_users"], serde_json::json!(["liis"]), "only liis reads the indicator: RED for her");
        assert!(String::from_utf8_lossy(&first.stderr).contains("posted to community: 2 stored"), "{}", String::from_utf8_lossy(&first.stderr));
        // The same events again: the same sightings, already held.
        let again = detect("liis");
        assert!(again.status.success());
        assert_eq!(String::from_utf8_lossy(&again.stdout), String::from_utf8_lossy(&first.stdout));
        let server = Server::start(&store.url, false);
        let sightings_seen_by = |auth: &str| -> Vec<String> {
            let (status, _, body) =
                http(&server.base, "GET", &format!("{objects}?match[type]=sighting&match[version]=all"), &[("authorization", auth), ("accept", taxii)], None);
            assert_eq!(status, 200, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["objects"].as_array().map(|o| o.iter().map(|s| s["sighting_of_ref"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
        };
        assert_eq!(sightings_seen_by(&liis).len(), 2, "two sightings, one version each: the second run added none");
        assert_eq!(
            sightings_seen_by(&mart),
            vec!["indicator--00000001-0000-4000-8000-000000000000".to_string()],
            "mart (EE) reads the AMBER sighting, not liis's RED one"
        );
        assert!(sightings_seen_by(&aino).is_empty(), "FI reads neither: EE's AMBER sighting is for EE");
    }
}

/// `tallinn detect --follow --collection --post`, on both stores: the
/// sightings of a growing log are stored as they change — each day's
/// sighting one object, a newer version as its count grows, never two
/// objects whose counts overlap.
#[test]
fn detect_follow_posts_each_days_sighting_as_it_grows() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");
    let zeek = std::fs::read_to_string(format!("{data}/zeek.json")).unwrap();
    for store in stores("follow_post") {
        store.ok(&["init"]);
        store.ok(&["user", "add", "mart", "--org", "EE", "--role", "analyst"]);
        let token = format!("Bearer {}", store.ok(&["token", "create", "mart"]).trim());
        let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
        let taxii = "application/taxii+json;version=2.1";
        let objects = "/taxii2/tallinn/collections/community/objects/";
        let server = Server::start(&store.url, false);
        let envelope = serde_json::json!({"objects": [{"type": "indicator", "spec_version": "2.1", "id": "indicator--00000001-0000-4000-8000-00000000abcd",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value ISSUBSET '31.3.245.0/24']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [green]}]})
        .to_string();
        let (status, _, body) = http(&server.base, "POST", objects, &[("authorization", &token), ("content-type", taxii), ("accept", taxii)], Some(&envelope));
        assert_eq!(status, 202, "{body}");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("conn.log");
        std::fs::write(&log, &zeek).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tallinn"))
            .args(["--database", &store.url, "--as", "mart", "detect", "--collection", "community", "--post", "--follow", "--interval", "1", "--quiet"])
            .args(["--input", log.to_str().unwrap(), "--output", dir.path().join("out.json").to_str().unwrap()])
            .spawn()
            .unwrap();
        let stored = || -> Vec<(String, u64)> {
            let (status, _, body) =
                http(&server.base, "GET", &format!("{objects}?match[type]=sighting&match[version]=all"), &[("authorization", &token), ("accept", taxii)], None);
            assert_eq!(status, 200, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["objects"]
                .as_array()
                .map(|o| o.iter().map(|s| (s["id"].as_str().unwrap().to_string(), s["count"].as_u64().unwrap())).collect())
                .unwrap_or_default()
        };
        let wait_for = |total: u64| {
            for _ in 0..100 {
                let latest: std::collections::BTreeMap<String, u64> = stored().into_iter().collect();
                if latest.values().sum::<u64>() == total {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            panic!("never stored {total}: {:?}", stored());
        };
        wait_for(4);
        let before: std::collections::BTreeSet<String> = stored().into_iter().map(|(id, _)| id).collect();
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(zeek.as_bytes()).unwrap();
        wait_for(8);
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        assert!(child.wait().unwrap().success());
        let after: std::collections::BTreeSet<String> = stored().into_iter().map(|(id, _)| id).collect();
        assert_eq!(before, after, "the same days' sightings, newer versions: no new objects whose counts would overlap");
    }
}

/// Aid follows the attacks, on both stores: GREEN sightings posted by a CERT
/// of the energy sector raise the threat factor of energy needs — in the
/// API, the gap ranking and the allocation engine's reasons; AMBER
/// sightings are not counted (the factor is shown to everyone).
#[test]
fn sightings_raise_the_threat_factor_of_their_sector() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");
    for store in stores("threat") {
        store.ok(&["init", "--demo"]);
        store.ok(&["user", "add", "olha", "--org", "UA", "--role", "analyst"]);
        let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
        let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
        let bundle = serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-0000000000aa", "objects": [
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000001-0000-4000-8000-0000000000aa", "created": "2026-01-01T00:00:00.000Z",
             "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value ISSUBSET '31.3.245.0/24']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [green]},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000002-0000-4000-8000-0000000000aa", "created": "2026-01-01T00:00:00.000Z",
             "modified": "2026-01-01T00:00:00.000Z", "pattern": "[domain-name:value = 'testmyids.com']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [amber]}]});
        let dir = tempfile::tempdir().unwrap();
        let indicators = dir.path().join("indicators.json");
        std::fs::write(&indicators, bundle.to_string()).unwrap();
        // Today's logs: the sample's lines, dated now.
        let now = jiff::Timestamp::now().as_second() as f64;
        let logs: String = std::fs::read_to_string(format!("{data}/zeek.json"))
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["ts"] = serde_json::json!(now);
                format!("{v}\n")
            })
            .collect();
        let eve = dir.path().join("today.json");
        std::fs::write(&eve, logs).unwrap();
        let energy_sightings = || -> (u64, f64) {
            let server = Server::start(&store.url, false);
            let (status, _, body) = http(&server.base, "GET", "/api/v1/threat-factors", &[], None);
            assert_eq!(status, 200, "{body}");
            let factors: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
            let energy = factors.iter().find(|f| f["sector"] == "energy").unwrap();
            (energy["sightings"].as_u64().unwrap(), energy["factor"].as_f64().unwrap())
        };
        // The demo's own GREEN sightings in energy, before.
        let (before, _) = energy_sightings();
        let out = store.run(&[
            "--as",
            "olha",
            "detect",
            "--indicators",
            indicators.to_str().unwrap(),
            "--collection",
            "community",
            "--input",
            eve.to_str().unwrap(),
            "--post",
            "--sector",
            "energy",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (after, factor) = energy_sightings();
        assert_eq!((after - before, factor), (4, tallinn_core::threat::factor(after)), "the GREEN sighting's 4 events; the AMBER one is not counted");
        let proposal = store.json(&["allocate"]);
        let reasons: Vec<&str> = proposal["result"]["allocations"].as_array().unwrap().iter().filter_map(|a| a["reason"].as_str()).collect();
        let expected = format!("{after} sightings in energy in 30 days");
        assert!(reasons.iter().any(|r| r.contains(&expected)), "the engine says why: {reasons:?}");
    }
}

/// `tallinn detect --follow`: lines appended, a file rotated (lines still
/// written to the old file are read before the new one), and SIGTERM
/// writing the last counts.
#[test]
fn detect_follows_growing_and_rotated_files() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");
    let zeek = std::fs::read_to_string(format!("{data}/zeek.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let indicators = dir.path().join("indicators.json");
    std::fs::write(
        &indicators,
        serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--00000001-0000-4000-8000-0000000000ff", "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z", "pattern": "[ipv4-addr:value ISSUBSET '31.3.245.0/24']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
        .to_string(),
    )
    .unwrap();
    let log = dir.path().join("conn.log");
    let out = dir.path().join("sightings.json");
    std::fs::write(&log, &zeek).unwrap();
    let append = |path: &std::path::Path, text: &str| {
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallinn"))
        .args(["detect", "--follow", "--interval", "1", "--quiet", "--indicators", indicators.to_str().unwrap(), "--input", log.to_str().unwrap()])
        .args(["--output", out.to_str().unwrap()])
        .spawn()
        .unwrap();
    let counts = || -> Vec<u64> {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["count"].as_u64().unwrap())
            .collect()
    };
    let wait_for = |n: u64| {
        for _ in 0..100 {
            if counts().last() == Some(&n) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("never counted {n}: {:?}", counts());
    };
    wait_for(4);
    append(&log, &zeek);
    wait_for(8);
    // Rotation: the old file keeps a writer for a moment, then a new file takes its place.
    let rotated = dir.path().join("conn.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    append(&rotated, &zeek);
    append(&log, &zeek[..zeek.len() - 1]); // its last line not yet ended
    wait_for(16);
    append(&log, "\n");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(counts().last(), Some(&16), "the last line of the new file, once ended, counts; then SIGTERM stops cleanly: {:?}", counts());
    assert!(counts().windows(2).all(|w| w[0] < w[1]), "only changed sightings are written: {:?}", counts());
}

/// `tallinn detect` workers sharing a NATS JetStream stream: each event goes
/// to one worker; a worker killed mid-stream loses nothing — its
/// unacknowledged events are redelivered to the other (at least once).
#[test]
fn detect_workers_share_a_nats_stream_and_lose_nothing_when_one_is_killed() {
    let server = std::env::var("TALLINN_TEST_NATS").unwrap_or_else(|_| "127.0.0.1:4222".into());
    if std::net::TcpStream::connect(&server).is_err() {
        return tallinn_core::testing::unavailable(
            "NATS with JetStream",
            "run nats-server -js (Debian: apt-get install nats-server), or set TALLINN_TEST_NATS=HOST:PORT",
        );
    }
    let tag = format!("{}{}", std::process::id(), jiff::Timestamp::now().as_millisecond());
    let (subject, stream) = (format!("tallinn.test.{tag}"), format!("TALLINN_TEST_{tag}"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let js = runtime.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(&server).await.unwrap());
        js.get_or_create_stream(async_nats::jetstream::stream::Config { name: stream.clone(), subjects: vec![subject.clone()], ..Default::default() })
            .await
            .unwrap();
        js
    });
    // Events in the Zeek format: one in three from 31.3.245.0/24.
    let publish = |from: u32, n: u32| {
        runtime.block_on(async {
            for i in from..from + n {
                let host = if i % 3 == 0 { format!("31.3.245.{}", i % 250) } else { format!("10.9.{}.{}", i / 250 % 250, i % 250) };
                let line = serde_json::json!({"ts": 1_700_000_000.0 + f64::from(i), "uid": format!("C{i}"), "id.orig_h": "192.168.4.76", "id.orig_p": 40000, "id.resp_h": host, "id.resp_p": 443, "proto": "tcp"});
                js.publish(subject.clone(), line.to_string().into()).await.unwrap().await.unwrap();
            }
        })
    };
    publish(0, 600);
    let dir = tempfile::tempdir().unwrap();
    let indicators = dir.path().join("indicators.json");
    std::fs::write(
        &indicators,
        serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--00000001-0000-4000-8000-0000000000ee", "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z", "pattern": "[ipv4-addr:value ISSUBSET '31.3.245.0/24']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
        .to_string(),
    )
    .unwrap();
    let url = format!("nats://{server}/{subject}?stream={stream}&consumer=detect-{tag}&ack_wait=2");
    let worker = |out: &std::path::Path, interval: &str| {
        Command::new(env!("CARGO_BIN_EXE_tallinn"))
            .args([
                "detect",
                "--quiet",
                "--interval",
                interval,
                "--indicators",
                indicators.to_str().unwrap(),
                "--input",
                &url,
                "--output",
                out.to_str().unwrap(),
            ])
            .spawn()
            .unwrap()
    };
    let last_count = |out: &std::path::Path| -> u64 {
        std::fs::read_to_string(out)
            .unwrap_or_default()
            .lines()
            .last()
            .map_or(0, |l| serde_json::from_str::<serde_json::Value>(l).unwrap()["count"].as_u64().unwrap())
    };
    let (out_a, out_b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    // A records (and acknowledges) only every minute: killed before that,
    // everything it took is unacknowledged and must reach B.
    let mut a = worker(&out_a, "60");
    // A starts first and takes the first events.
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let mut b = worker(&out_b, "1");
    std::thread::sleep(std::time::Duration::from_millis(500));
    a.kill().unwrap(); // SIGKILL: no last write, no acknowledgements
    a.wait().unwrap();
    publish(600, 600);
    let planted = 400;
    // Until B has counted them all (A's redelivered ones after ack_wait), or 30 s.
    for _ in 0..150 {
        if last_count(&out_a) + last_count(&out_b) >= planted {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(Command::new("kill").args(["-TERM", &b.id().to_string()]).status().unwrap().success());
    assert!(b.wait().unwrap().success());
    let (count_a, count_b) = (last_count(&out_a), last_count(&out_b));
    assert_eq!(count_a, 0, "A was killed before it recorded anything");
    assert_eq!(count_b, planted, "B counted every planted event exactly once, those A had taken included");
    runtime.block_on(async { js.delete_stream(&stream).await.ok() });
}

/// A backup or a snapshot opened read-only (`?mode=ro` on SQLite, read-only
/// sessions on PostgreSQL — what `serve --read-only` uses) is read as it
/// is: lists, reports and the audit check work, the reads of AMBER and RED
/// records that cannot be logged are said on stderr, and a change is
/// refused with a clear error, changing nothing.
#[test]
fn a_read_only_store_is_read_and_never_written() {
    for store in stores("readonly") {
        store.ok(&["init", "--demo"]);
        let before = store.audit_entries();
        let read_only = Store {
            url: if store.url.starts_with("sqlite") {
                format!("{}?mode=ro", store.url)
            } else {
                format!("{}?options=-c%20default_transaction_read_only%3Don", store.url)
            },
            _dir: tempfile::tempdir().unwrap(),
            postgres: None,
        };
        let listed = read_only.run(&["need", "list", "--format", "json"]);
        assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&listed.stdout).unwrap().as_array().unwrap().len(), 200);
        assert!(String::from_utf8_lossy(&listed.stderr).contains("not written to the access log: the store is read-only"));
        read_only.ok(&["report", "--format", "json"]);
        assert_eq!(read_only.audit_entries(), before);
        let refused = read_only.run(&["token", "create", "demo.coordinator"]);
        assert_eq!(refused.status.code(), Some(3), "{}", String::from_utf8_lossy(&refused.stderr));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("read-only"), "{}", String::from_utf8_lossy(&refused.stderr));
        assert_eq!(store.audit_entries(), before, "nothing was written");
    }
    let missing = Store { url: "sqlite:///nonexistent/t.db?mode=ro".into(), _dir: tempfile::tempdir().unwrap(), postgres: None };
    let refused = missing.run(&["need", "list"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("never created"));
}

/// `need|pledge|transaction list --format csv` writes the importer's columns,
/// then the ledger's own, which the importer reads past: a list re-imports
/// as it is (into the same store: copies, within the ledger's rules).
#[test]
fn lists_in_csv_re_import_as_they_are() {
    let store = Store::sqlite();
    store.ok(&["init", "--demo"]);
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let needs = store.ok(&["need", "list", "--format", "csv"]);
    assert!(needs.starts_with("beneficiary,title,description,capability,sector,urgency,cost_eur,divisible,deadline,tlp,share_orgs,share_users,tags,id,"));
    assert!(store.run(&["need", "import", &file("needs.csv", &needs)]).status.success());
    assert_eq!(store.json(&["need", "list", "--format", "json"]).as_array().unwrap().len(), 400);

    // Money pledges re-import; an in-kind one is refused by name, not for a column.
    let pledges = store.ok(&["pledge", "list", "--format", "csv"]);
    let out = store.run(&["pledge", "import", &file("pledges.csv", &pledges)]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !said.contains("unknown column"), "{said}");
    assert!(said.lines().filter(|l| l.trim_start().starts_with("row ")).all(|l| l.contains("in_kind pledges are recorded one by one")), "{said}");
    let money: String = pledges.lines().enumerate().filter(|(i, l)| *i == 0 || !l.contains(",in_kind,")).map(|(_, l)| format!("{l}\n")).collect();
    let out = store.run(&["pledge", "import", &file("money.csv", &money)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let commitments = store.ok(&["transaction", "list", "--kind", "commitment", "--format", "csv"]);
    let out = store.run(&["transaction", "import", &file("commitments.csv", &commitments)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    store.ok(&["audit", "verify"]);
}

/// `tallinn backup` copies the store while another process writes to it:
/// each copy is a store of its own whose audit chain verifies, written with
/// mode 0600; an existing file is never overwritten; PostgreSQL points to
/// its own tools.
#[test]
fn backup_while_another_process_writes() {
    let store = Store::sqlite();
    store.ok(&["init", "--demo"]);
    let dir = tempfile::tempdir().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (url, stop) = (store.url.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let out = Command::new(env!("CARGO_BIN_EXE_tallinn")).args(["--database", &url, "token", "create", "demo.coordinator"]).output().unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                written += 1;
            }
            written
        })
    };
    for n in 0..3 {
        let path = dir.path().join(format!("backup-{n}.db"));
        let out = store.run(&["backup", "--output", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        #[cfg(unix)]
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions()) & 0o777, 0o600);
        let copy = Store { url: format!("sqlite://{}?mode=ro", path.display()), _dir: tempfile::tempdir().unwrap(), postgres: None };
        assert!(copy.audit_entries().contains("audit log intact"));
        assert_eq!(copy.json(&["need", "list", "--format", "json"]).as_array().unwrap().len(), 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(writer.join().unwrap() > 0, "the writer wrote during the backups");
    let again = store.run(&["backup", "--output", dir.path().join("backup-0.db").to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    // PostgreSQL's backup is the export archive (tests/it/archive.rs).
}
