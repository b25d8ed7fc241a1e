//! `tallinn stix match-batch`, the stable JSON-lines interface other tools
//! rely on: every input line gets exactly one output line, in order, and a
//! bad line answers an error and the batch goes on.
//!
//! Lines are matched on every core: the calling thread reads, workers answer
//! (each with its own cache of compiled patterns), and a writer puts the
//! answers back in input order. The writer flushes whenever it has answered
//! every line read so far, so a caller that sends one line and waits gets
//! its answer at once, while a bulk caller's answers go out in large writes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::{Value, json};
use tallinn_stix::matcher::{CompileError, Json, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

/// One line of a batch (strings borrowed from the line where it has no escapes).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine<'a> {
    #[serde(borrow)]
    pattern: Cow<'a, str>,
    #[serde(borrow, default = "default_version")]
    stix_version: Cow<'a, str>,
    #[serde(borrow)]
    observations: Vec<Json<'a>>,
}

fn default_version() -> Cow<'static, str> {
    Cow::Borrowed("2.1")
}

/// Compiled patterns are kept for reuse across lines, up to this many per worker.
const PATTERN_CACHE: usize = 1_000;

/// Batches read ahead of the workers, at most (bounds memory on large inputs).
const READ_AHEAD: usize = 64;

/// How much input is read at once: the lines it holds go to one worker as
/// one batch (a few hundred at a time in bulk, one when a caller sends one).
pub const READ_BUFFER: usize = 256 * 1024;

/// Compiled patterns of one worker, by STIX version then source (looked up
/// without copying the source).
#[derive(Default)]
struct PatternCache {
    v20: foldhash::HashMap<String, Result<Matcher, CompileError>>,
    v21: foldhash::HashMap<String, Result<Matcher, CompileError>>,
}

impl PatternCache {
    fn get(&mut self, pattern: &str, version: StixVersion) -> &Result<Matcher, CompileError> {
        let cache = match version {
            StixVersion::V20 => &mut self.v20,
            StixVersion::V21 => &mut self.v21,
        };
        if !cache.contains_key(pattern) {
            if cache.len() >= PATTERN_CACHE {
                cache.clear();
            }
            cache.insert(pattern.to_string(), Matcher::compile(pattern, version));
        }
        &cache[pattern]
    }
}

/// A batch of input lines and its place in the input: the bytes of whole
/// lines, and where each line lies in them (without its line end). One
/// allocation per read, not one per line.
struct Batch {
    index: u64,
    bytes: Vec<u8>,
    lines: Vec<std::ops::Range<usize>>,
}

/// Batches waiting for a worker; shared, and dropped with the last worker so
/// that the reader stops if the workers do (the writer failed).
type Batches = Arc<Mutex<Receiver<Batch>>>;

pub fn run(mut input: impl BufRead, output: impl Write + Send) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let (batch_tx, batch_rx) = sync_channel::<Batch>(READ_AHEAD);
    let batches: Batches = Arc::new(Mutex::new(batch_rx));
    let (answer_tx, answer_rx) = channel::<(u64, Vec<u8>)>();
    let read = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (batches, answers) = (batches.clone(), answer_tx.clone());
            scope.spawn(move || work(&batches, answers));
        }
        drop((batches, answer_tx));
        let writer = scope.spawn(|| write_in_order(answer_rx, output, &read));
        let reading = read_batches(&mut input, &batch_tx, &read);
        drop(batch_tx);
        let writing = writer.join().map_err(|_| anyhow::anyhow!("the writer stopped"))?;
        reading?;
        writing.context("writing stdout")
    })
}

/// Sends every complete line of each read as one batch; a line split
/// between two reads waits for its end.
fn read_batches(input: &mut impl BufRead, batches: &SyncSender<Batch>, read: &AtomicU64) -> anyhow::Result<()> {
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading stdin"),
        };
        let at_end = buffer.is_empty();
        if !at_end && memchr::memchr(b'\n', buffer).is_none() {
            // Inside a long line: keep it whole without copying it again
            // on every read.
            partial.extend_from_slice(buffer);
            let used = buffer.len();
            input.consume(used);
            continue;
        }
        // The bytes of whole lines: what was left of the last read, and this
        // read up to its last line end (at the end of input, everything).
        let mut bytes = std::mem::take(&mut partial);
        bytes.extend_from_slice(buffer);
        let used = buffer.len();
        input.consume(used);
        let last_start = memchr::memrchr(b'\n', &bytes).map_or(0, |last| last + 1);
        if !at_end {
            partial.extend_from_slice(&bytes[last_start..]);
            bytes.truncate(last_start);
        }
        let unterminated = (last_start < bytes.len()).then_some(bytes.len());
        let mut lines = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &bytes).chain(unterminated) {
            let line_end = if end > start && bytes[end - 1] == b'\r' { end - 1 } else { end };
            lines.push(start..line_end);
            start = end + 1;
        }
        if !lines.is_empty() {
            // Counted before it is sent, so the writer never flushes
            // believing it has answered everything while this batch is on
            // its way.
            let index = read.fetch_add(1, Ordering::SeqCst);
            if batches.send(Batch { index, bytes, lines }).is_err() {
                return Ok(()); // the workers stopped: the writer failed and says why
            }
        }
        if at_end {
            return Ok(());
        }
    }
}

fn work(batches: &Batches, answers: std::sync::mpsc::Sender<(u64, Vec<u8>)>) {
    let mut cache = PatternCache::default();
    loop {
        let next = match batches.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(batch) = next else { return };
        let mut bytes = Vec::with_capacity(batch.lines.len() * 40);
        for line in &batch.lines {
            // Writing JSON into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut bytes, &answer(&batch.bytes[line.clone()], &mut cache));
            bytes.push(b'\n');
        }
        if answers.send((batch.index, bytes)).is_err() {
            return;
        }
    }
}

fn write_in_order(answers: Receiver<(u64, Vec<u8>)>, output: impl Write, read: &AtomicU64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, output);
    let mut pending = BTreeMap::new();
    let mut next = 0;
    for (index, bytes) in answers {
        pending.insert(index, bytes);
        while let Some(bytes) = pending.remove(&next) {
            out.write_all(&bytes)?;
            next += 1;
        }
        if next == read.load(Ordering::SeqCst) {
            out.flush()?;
        }
    }
    out.flush()
}

fn answer(line: &[u8], cache: &mut PatternCache) -> Value {
    let error = |kind: &str, message: String| json!({"error": kind, "message": message});
    // One check of the whole line, so that the JSON reader need not check
    // each string again (it does for bytes, not for text).
    let line = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => return error("parse", format!("the line is not UTF-8 text: {e}")),
    };
    let request: BatchLine = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return error("parse", format!("the line is not a request {{\"pattern\", \"stix_version\", \"observations\"}}: {e}")),
    };
    let version: StixVersion = match request.stix_version.parse() {
        Ok(v) => v,
        Err(e) => return error("parse", e),
    };
    let matcher = match cache.get(&request.pattern, version) {
        Ok(m) => m,
        Err(CompileError::Parse(e)) => return error("parse", e.to_string()),
        Err(CompileError::Match(e)) => return error("match", e.to_string()),
    };
    let observations = match Observations::from_json(&request.observations, version) {
        Ok(o) => o,
        Err(e) => return error("match", e.to_string()),
    };
    match matcher.matches(&observations) {
        Ok(Some(m)) => json!({"matched": true, "sdo_ids": m.observations().iter().map(|&i| observations.sdo_id(i)).collect::<Vec<_>>()}),
        Ok(None) => json!({"matched": false, "sdo_ids": []}),
        Err(e) => error("match", e.to_string()),
    }
}
