//! `tallinn export` / `import`: a whole store moved between backends with
//! every record as it was (SQLite → PostgreSQL → SQLite when PostgreSQL is
//! available), damaged and truncated archives refused with the target left
//! empty, non-empty targets refused, the file private and never overwritten.

use std::io::{Read, Write};

use super::{Store, stores};

/// What the round trip must read the same on every store. (The access log
/// is compared apart: these reads add to it.)
const READS: &[&[&str]] = &[
    &["need", "list", "--format", "json"],
    &["pledge", "list", "--format", "json"],
    &["allocation", "list", "--format", "json"],
    &["transaction", "list", "--format", "json"],
    &["participant", "list", "--format", "json"],
    &["user", "list", "--format", "json"],
    &["token", "list", "--format", "json"],
    &["taxii", "collection", "list", "--format", "json"],
    &["report", "--format", "json"],
    &["audit", "log", "--format", "json"],
    &["audit", "verify"],
];

fn reads(store: &Store) -> Vec<String> {
    READS.iter().map(|args| store.ok(args)).collect()
}

/// The archive's JSON lines.
fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    let mut text = String::new();
    zstd::stream::read::Decoder::new(std::fs::File::open(path).unwrap()).unwrap().read_to_string(&mut text).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn rows_of(lines: &[serde_json::Value], table: &str) -> usize {
    let end = lines.iter().find(|l| l["end"] == table).unwrap_or_else(|| panic!("no table {table}"));
    end["rows"].as_u64().unwrap() as usize
}

/// A fresh, never opened store of the same kind as `like` (a file or a database).
fn fresh(tag: &str, postgres: bool) -> Store {
    if postgres { Store::postgres(tag).expect("PostgreSQL") } else { Store::sqlite() }
}

#[test]
fn a_store_moves_between_backends_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let source = Store::sqlite();
    source.ok(&["init", "--demo"]);
    let out = source.run_with_stdin(&["user", "add", "archive.user", "--org", "EE", "--role", "donor", "--password-stdin"], "a long enough password\n");
    assert!(out.status.success());
    source.ok(&["token", "create", "archive.user"]);
    // An AMBER read, so that the access log has an entry to carry.
    let amber = source
        .json(&["need", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["tlp"] == "amber")
        .map(|n| n["id"].as_str().unwrap().to_string());
    if let Some(id) = amber {
        source.ok(&["need", "show", &id, "--format", "json"]);
    }
    let first = dir.path().join("first.tex");
    source.ok(&["export", "--output", first.to_str().unwrap()]);
    // The access log as exported: read before anything else is.
    let mut exported_log = source.ok(&["access-log", "--format", "json"]);
    let expected = reads(&source);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&first).unwrap().permissions().mode() & 0o777, 0o600, "private");
    }
    let again = source.run(&["export", "--output", first.to_str().unwrap()]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    let archive = lines(&first);
    assert_eq!(archive[0]["format"], "tallinn-export");
    for table in ["needs", "pledges", "audit_log", "api_tokens", "access_log", "taxii_objects", "users"] {
        assert!(rows_of(&archive, table) > 0, "{table} is carried");
    }
    let sightings = archive.iter().filter(|l| l.as_array().is_some_and(|row| row.iter().any(|v| v == "sighting"))).count();
    assert!(sightings > 0, "the demo's sightings are carried");

    // Through PostgreSQL when there is one, then back into SQLite.
    let mut hops = Vec::new();
    if let Some(pg) = Store::postgres("archive") {
        hops.push(pg);
    }
    hops.push(Store::sqlite());
    let mut from = first.clone();
    for (i, target) in hops.iter().enumerate() {
        target.ok(&["import", "--input", from.to_str().unwrap()]);
        let backend = target.url.split(':').next().unwrap().to_string();
        assert_eq!(target.ok(&["access-log", "--format", "json"]), exported_log, "store {i} ({backend}): the access log as exported");
        assert_eq!(reads(target), expected, "store {i} ({backend}) reads as the source");
        let next = dir.path().join(format!("hop{i}.tex"));
        target.ok(&["export", "--output", next.to_str().unwrap()]);
        exported_log = target.ok(&["access-log", "--format", "json"]);
        from = next;
    }
    // And the copy goes on: a change after the import is chained on.
    let last = hops.last().unwrap();
    last.ok(&["pledge", "add", "--donor", "EE", "--title", "After the move", "--amount", "5.00", "--date", "2026-10-01", "--tlp", "green"]);
    last.ok(&["audit", "verify"]);
}

#[test]
fn damaged_truncated_and_misdirected_archives_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = Store::sqlite();
    source.ok(&["init", "--demo"]);
    let good = dir.path().join("good.tex");
    source.ok(&["export", "--output", good.to_str().unwrap()]);
    let bytes = std::fs::read(&good).unwrap();
    let file = |name: &str, data: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        path
    };
    // A row changed inside an archive that still decompresses: the digest says so.
    let mut text = String::new();
    zstd::stream::read::Decoder::new(&bytes[..]).unwrap().read_to_string(&mut text).unwrap();
    let edited = text.replacen("Synthetic demo need", "Synthetic demo deed", 1);
    assert_ne!(edited, text);
    let recompress = |t: &str| {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.write_all(t.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let no_trailer: String = text.lines().take(text.lines().count() - 1).map(|l| format!("{l}\n")).collect();
    let later = text.replacen("\"version\":1", "\"version\":99", 1);
    let cases: Vec<(&str, std::path::PathBuf, &str)> = vec![
        ("a byte flipped", file("flipped.tex", &flipped), "nothing was imported"),
        ("cut in half", file("half.tex", &bytes[..bytes.len() / 2]), "nothing was imported"),
        ("a row edited", file("edited.tex", &recompress(&edited)), "digest does not match"),
        ("its last line removed", file("notrailer.tex", &recompress(&no_trailer)), "truncated"),
        ("a later format", file("later.tex", &recompress(&later)), "format version 99"),
        ("not an archive", file("plain.tex", b"{\"type\": \"bundle\"}\n"), "not a zstd archive"),
        ("not a Tallinn archive", file("other.tex", &recompress("{\"type\": \"bundle\"}\n")), "not a Tallinn export archive"),
    ];
    for postgres in [false, true] {
        if postgres && std::env::var("TALLINN_TEST_POSTGRES_URL").is_err() {
            continue;
        }
        let target = fresh("damaged", postgres);
        for (what, path, said) in &cases {
            let out = target.run(&["import", "--input", path.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{what}: refused");
            assert!(stderr.contains(said), "{what}: {stderr}");
        }
        // Nothing was written: the good archive still goes in, whole.
        target.ok(&["import", "--input", good.to_str().unwrap()]);
        target.ok(&["audit", "verify"]);
        // And a store that holds anything is refused.
        let out = target.run(&["import", "--input", good.to_str().unwrap()]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not empty"));
    }
    // A store opened once holds its reference data: not a target.
    let opened = Store::sqlite();
    opened.ok(&["participant", "list"]);
    let out = opened.run(&["import", "--input", good.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("before any other command opens it"));
    let out = Store::sqlite().run(&["--as", "demo.donor", "import", "--input", good.to_str().unwrap()]);
    assert!(!out.status.success(), "the operator's alone");
}

#[test]
fn every_table_is_exported_or_left_out_on_purpose() {
    for store in stores("archtables") {
        store.ok(&["init"]);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let names = rt.block_on(async {
            let backend: Box<dyn tallinn_ledger::sql::Backend> = if store.url.starts_with("sqlite:") {
                Box::new(tallinn_store_sqlite::SqliteBackend::connect(&store.url).await.unwrap())
            } else {
                Box::new(tallinn_store_postgres::PostgresBackend::connect(&store.url).await.unwrap())
            };
            let names = tallinn_ledger::archive::table_names(backend.as_ref()).await.unwrap();
            backend.close().await;
            names
        });
        let mut known: Vec<&str> =
            tallinn_ledger::archive::TABLES.iter().map(|(t, _)| *t).chain(tallinn_ledger::archive::NOT_EXPORTED.iter().copied()).collect();
        known.sort_unstable();
        let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, known, "a new table must be exported (archive::TABLES) or left out on purpose (NOT_EXPORTED)");
    }
}

#[test]
fn a_postgresql_backup_is_the_export_archive() {
    let Some(store) = Store::postgres("pgbackup") else {
        return tallinn_core::testing::unavailable("PostgreSQL", "set TALLINN_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/tallinn_dev");
    };
    store.ok(&["init", "--demo"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pg.tex");
    store.ok(&["backup", "--output", path.to_str().unwrap()]);
    let restored = Store::sqlite();
    restored.ok(&["import", "--input", path.to_str().unwrap()]);
    assert_eq!(restored.ok(&["need", "list", "--format", "json"]), store.ok(&["need", "list", "--format", "json"]));
    restored.ok(&["audit", "verify"]);
}
