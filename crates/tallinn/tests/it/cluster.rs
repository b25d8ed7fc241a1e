//! Three `tallinn serve` on one PostgreSQL behind nginx (Debian's package,
//! started here), under mixed load — donors racing to allocate one pledge,
//! pledges written, needs read — with one node killed (SIGKILL) mid-load:
//! no acknowledged write is lost, the racing nodes never over-allocate, and
//! the audit chain verifies.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Server, Store, http};

/// nginx in front of `ports`, on a free port of its own; stopped on drop.
struct Nginx {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(ports: &[u16]) -> Option<Nginx> {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| std::path::Path::new(p).exists())?;
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let servers: String = ports.iter().map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n")).collect();
        let d = dir.path().display();
        // POST is never sent again to another node (nginx's default): a
        // write is answered once, by the node that made it, or 502.
        let conf = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n \
             uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n upstream tallinn {{\n{servers} keepalive 16;\n }}\n \
             server {{\n  listen 127.0.0.1:{port};\n  location / {{\n   proxy_pass http://tallinn;\n   proxy_http_version 1.1;\n   \
             proxy_set_header Connection \"\";\n   proxy_next_upstream error timeout;\n   proxy_connect_timeout 1s;\n  }}\n }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new(nginx)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let proxy = Nginx { child, base: format!("http://127.0.0.1:{port}"), _dir: dir };
        for _ in 0..100 {
            if http(&proxy.base, "GET", "/readyz", &[], None).0 == 200 {
                return Some(proxy);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not start");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn three_nodes_behind_nginx_lose_nothing_when_one_is_killed() {
    let Some(store) = Store::postgres("cluster") else {
        return tallinn_core::testing::unavailable("PostgreSQL", "set TALLINN_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/tallinn_dev");
    };
    store.ok(&["init", "--demo"]);
    let out = store.run_with_stdin(&["user", "add", "cluster.donor", "--org", "EE", "--role", "donor", "--password-stdin"], "a long enough password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = format!("Bearer {}", store.ok(&["token", "create", "cluster.donor"]).trim());
    let mut nodes: Vec<Server> = (0..3).map(|_| Server::start(&store.url, false)).collect();
    let ports: Vec<u16> = nodes.iter().map(port).collect();
    let Some(proxy) = Nginx::start(&ports) else {
        return tallinn_core::testing::unavailable("nginx", "apt-get install nginx");
    };
    let auth = [("authorization", token.as_str())];

    // One committed pledge of 1,000 EUR that every allocator races for.
    let body = r#"{"donor": "EE", "title": "Raced pledge", "amount": "1000.00", "pledged_on": "2026-10-01", "tlp": "green"}"#;
    let (status, _, made) = http(&proxy.base, "POST", "/api/v1/pledges", &auth, Some(body));
    assert_eq!(status, 201, "{made}");
    let raced = json(&made)["id"].as_str().unwrap().to_string();
    assert_eq!(http(&proxy.base, "POST", &format!("/api/v1/pledges/{raced}/commit"), &auth, None).0, 200);
    let (_, _, approved) = http(&proxy.base, "GET", "/api/v1/needs?status=approved&limit=50", &auth, None);
    let targets: Vec<String> = json(&approved)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["reservation"].is_null() || n["reservation"]["donor"] == "EE")
        .map(|n| n["id"].as_str().unwrap().to_string())
        .take(5)
        .collect();
    assert!(targets.len() >= 2, "approved needs to allocate to");

    let stop = Arc::new(AtomicBool::new(false));
    let allocations = Arc::new(Mutex::new(Vec::<String>::new()));
    let pledges = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let (mut refused, mut failed_reads, mut reads, mut bad_gateway) = (0u64, 0u64, 0u64, 0u64);
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for a in 0..6 {
            let (stop, allocations, targets, raced, base, auth) = (stop.clone(), allocations.clone(), targets.clone(), raced.clone(), proxy.base.clone(), auth);
            handles.push(scope.spawn(move || {
                let (mut refused, mut bad_gateway) = (0u64, 0u64);
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    let need = &targets[(a + k) % targets.len()];
                    let body = format!(r#"{{"lines": [{{"pledge": "{raced}", "need": "{need}", "amount_eur": "7.00"}}]}}"#);
                    match http(&base, "POST", "/api/v1/allocations", &auth, Some(&body)) {
                        // The allocations made: here one, of one line.
                        (201, _, made) => {
                            allocations.lock().unwrap().extend(json(&made).as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()))
                        }
                        (409, _, _) => refused += 1,
                        (502, _, _) => bad_gateway += 1,
                        (status, _, answer) => panic!("allocation answered {status}: {answer}"),
                    }
                }
                (refused, 0, 0, bad_gateway)
            }));
        }
        for w in 0..2 {
            let (stop, pledges, base, auth) = (stop.clone(), pledges.clone(), proxy.base.clone(), auth);
            handles.push(scope.spawn(move || {
                let mut bad_gateway = 0;
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    let title = format!("cluster w{w} n{k}");
                    let body = format!(r#"{{"donor": "EE", "title": "{title}", "amount": "10.00", "pledged_on": "2026-10-01", "tlp": "green"}}"#);
                    match http(&base, "POST", "/api/v1/pledges", &auth, Some(&body)) {
                        (201, _, made) => pledges.lock().unwrap().push((json(&made)["id"].as_str().unwrap().to_string(), title)),
                        (502, _, _) => bad_gateway += 1,
                        (status, _, answer) => panic!("a pledge answered {status}: {answer}"),
                    }
                }
                (0, 0, 0, bad_gateway)
            }));
        }
        for _ in 0..2 {
            let (stop, base, auth) = (stop.clone(), proxy.base.clone(), auth);
            handles.push(scope.spawn(move || {
                let (mut failed, mut reads) = (0, 0);
                while !stop.load(Ordering::Relaxed) {
                    reads += 1;
                    if http(&base, "GET", "/api/v1/needs?limit=100", &auth, None).0 != 200 {
                        failed += 1;
                    }
                }
                (0, failed, reads, 0)
            }));
        }
        std::thread::sleep(Duration::from_millis(1500));
        let mut killed = nodes.remove(1);
        let _ = killed.child.kill();
        let _ = killed.child.wait();
        std::thread::sleep(Duration::from_millis(2500));
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let (r, f, n, b) = h.join().unwrap();
            (refused, failed_reads, reads, bad_gateway) = (refused + r, failed_reads + f, reads + n, bad_gateway + b);
        }
    });
    drop(proxy);
    drop(nodes);

    // Every acknowledged write is there.
    let listed = store.json(&["allocation", "list", "--format", "json"]);
    let of_raced: Vec<&serde_json::Value> = listed.as_array().unwrap().iter().filter(|a| a["pledge"] == raced.as_str()).collect();
    let acked = allocations.lock().unwrap().clone();
    for id in &acked {
        assert!(of_raced.iter().any(|a| a["id"] == id.as_str()), "acknowledged allocation {id} is missing");
    }
    let all_pledges = store.json(&["pledge", "list", "--donor", "EE", "--format", "json"]);
    for (id, title) in pledges.lock().unwrap().iter() {
        assert!(all_pledges.as_array().unwrap().iter().any(|p| p["id"] == id.as_str() && p["title"] == title.as_str()), "acknowledged pledge {id} is missing");
    }
    // The racing nodes never over-allocated, and the pledge says what its allocations add up to.
    let cents = |v: &serde_json::Value| -> i64 { (v.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64 };
    let total: i64 = of_raced.iter().map(|a| cents(&a["amount_eur"])).sum();
    let pledge = all_pledges.as_array().unwrap().iter().find(|p| p["id"] == raced.as_str()).unwrap();
    assert!(total <= 100_000, "over-allocated: {total} cents of 100000");
    assert_eq!(cents(&pledge["allocated_eur"]), total);
    assert!(refused > 0, "the pledge ran out while the allocators raced");
    assert_eq!(failed_reads, 0, "reads are retried on another node, never failed");
    store.ok(&["audit", "verify"]);
    eprintln!(
        "cluster (3 nodes behind nginx, one killed after 1.5 s of 4 s): {} allocations acknowledged ({} of 1000.00 EUR allocated, {refused} refused as over), {} pledges acknowledged, {bad_gateway} writes answered 502 by nginx when their node died, {reads} reads with {failed_reads} failed; 0 lost, no over-allocation, audit chain verifies",
        acked.len(),
        total as f64 / 100.0,
        pledges.lock().unwrap().len()
    );
}
