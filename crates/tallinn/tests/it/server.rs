//! A live `tallinn serve` for the tests that drive it over the network
//! (real protocol clients, a real browser).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::Store;

/// A `tallinn serve` on a free port, stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(store: &Store) -> Server {
        Server::start_with(store, &[]).0
    }

    /// Starts with extra `serve` arguments; also gives the lines the server
    /// wrote before it served (`--demo` prints its accounts there).
    pub fn start_with(store: &Store, extra: &[&str]) -> (Server, Vec<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tallinn"))
            .args(["--database", &store.url, "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut before = Vec::new();
        let url = loop {
            let line = lines.next().expect("the server stopped before serving").unwrap();
            if let Some(rest) = line.split("serving on ").nth(1) {
                break rest.split_whitespace().next().unwrap().trim_end_matches('/').to_string();
            }
            before.push(line);
        };
        // Keep draining the log so that the server never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        (Server { child, url }, before)
    }
}
