//! Durability under `kill -9`, on SQLite and PostgreSQL: every write the
//! API acknowledged is there after the server is killed at random moments
//! and restarted, and a CLI import killed mid-way leaves nothing or
//! everything; the audit chain verifies after each.
//!
//! CI runs a few rounds; `TALLINN_DURABILITY_ROUNDS=N` runs more, and
//! each test prints its figures (rounds, acknowledged writes, lost) for
//! `docs/operations.md`.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Server, Store, http, stores};

fn rounds() -> usize {
    std::env::var("TALLINN_DURABILITY_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3)
}

/// A pseudo-random number below `n` (moments to kill at need no more).
fn below(n: u64) -> u64 {
    let t = jiff::Timestamp::now().as_nanosecond() as u64;
    t.wrapping_mul(6364136223846793005).rotate_left(17) % n.max(1)
}

/// Kills a process with SIGKILL and reaps it.
fn kill_9(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The pledges of `store` whose title starts with `prefix`: title → id.
fn pledges(store: &Store, prefix: &str) -> HashMap<String, String> {
    let list = store.json(&["pledge", "list", "--donor", "EE", "--format", "json"]);
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|p| Some((p["title"].as_str()?.to_string(), p["id"].as_str()?.to_string())))
        .filter(|(title, _)| title.starts_with(prefix))
        .collect()
}

#[test]
fn acknowledged_api_writes_survive_kill_9() {
    const WRITERS: usize = 4;
    for store in stores("durable") {
        store.ok(&["init"]);
        let out = store.run_with_stdin(&["user", "add", "durable.writer", "--org", "EE", "--role", "donor", "--password-stdin"], "a long enough password\n");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let token = format!("Bearer {}", store.ok(&["token", "create", "durable.writer"]).trim());
        let mut server = Server::start(&store.url, false);
        let base = Arc::new(Mutex::new(server.base.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let (acknowledged, attempts) = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..WRITERS)
                .map(|w| {
                    let (base, stop, token) = (base.clone(), stop.clone(), token.clone());
                    scope.spawn(move || {
                        let (mut acked, mut attempts) = (Vec::new(), 0u64);
                        while !stop.load(Ordering::Relaxed) {
                            attempts += 1;
                            let title = format!("durable w{w} n{attempts}");
                            let body = format!(r#"{{"donor": "EE", "title": "{title}", "amount": "10.00", "pledged_on": "2026-10-01", "tlp": "green"}}"#);
                            let at = base.lock().unwrap().clone();
                            let (status, _, answer) = http(&at, "POST", "/api/v1/pledges", &[("authorization", &token)], Some(&body));
                            match status {
                                201 => {
                                    let id = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["id"].as_str().unwrap().to_string();
                                    acked.push((title, id));
                                }
                                // The server was killed under the request, or is starting.
                                _ => std::thread::sleep(Duration::from_millis(20)),
                            }
                        }
                        (acked, attempts)
                    })
                })
                .collect();
            for _ in 0..rounds() {
                std::thread::sleep(Duration::from_millis(150 + below(500)));
                kill_9(&mut server.child);
                server = Server::start(&store.url, false);
                *base.lock().unwrap() = server.base.clone();
            }
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
            let mut all = (Vec::new(), 0);
            for w in writers {
                let (acked, attempts) = w.join().unwrap();
                all.0.extend(acked);
                all.1 += attempts;
            }
            all
        });
        drop(server);
        let present = pledges(&store, "durable ");
        let lost: Vec<_> = acknowledged.iter().filter(|(title, id)| present.get(title) != Some(id)).collect();
        assert!(acknowledged.len() > 10, "the writers got through between kills: {}", acknowledged.len());
        assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
        store.ok(&["audit", "verify"]);
        let backend = store.url.split(':').next().unwrap_or("");
        eprintln!(
            "durability ({backend}): {} kill -9 rounds, {WRITERS} writers, {attempts} requests, {} acknowledged, {} stored, 0 lost; audit chain verifies",
            rounds(),
            acknowledged.len(),
            present.len()
        );
    }
}

#[test]
fn an_import_killed_midway_leaves_nothing_or_everything() {
    const ROWS: usize = 20_000;
    for store in stores("durimport") {
        store.ok(&["init", "--demo"]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("needs.csv");
        let mut csv = String::from("beneficiary,title,description,capability,sector,urgency,cost_eur,divisible,deadline,tlp\n");
        for i in 0..ROWS {
            csv.push_str(&format!("UA-DEMO-CERT,Imported need {i},Filed by the durability test.,remediate,government,high,1000.00,true,2027-06-11,green\n"));
        }
        std::fs::write(&file, csv).unwrap();
        let count = || store.json(&["need", "list", "--format", "json"]).as_array().unwrap().len();
        let import = || {
            Command::new(env!("CARGO_BIN_EXE_tallinn"))
                .args(["--database", &store.url, "need", "import", file.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        // One whole import first: how long one takes, and that it adds every row.
        let before = count();
        let started = Instant::now();
        assert!(import().wait().unwrap().success());
        let whole = started.elapsed();
        assert_eq!(count() - before, ROWS);
        let (mut nothing, mut everything) = (0, 0);
        for _ in 0..rounds().max(2) {
            let before = count();
            let mut child = import();
            // Anywhere in a whole import's time, and a little after it.
            std::thread::sleep(Duration::from_micros(below(whole.as_micros() as u64 * 6 / 5)));
            kill_9(&mut child);
            match count() - before {
                0 => nothing += 1,
                ROWS => everything += 1,
                partial => panic!("a killed import left {partial} of {ROWS} rows"),
            }
            store.ok(&["audit", "verify"]);
        }
        let backend = store.url.split(':').next().unwrap_or("");
        eprintln!(
            "durability ({backend}): import of {ROWS} needs ({:.2} s whole) killed {} times: {nothing} left nothing, {everything} everything, 0 partial; audit chain verifies",
            whole.as_secs_f64(),
            nothing + everything
        );
    }
}
