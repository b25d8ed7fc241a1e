//! `tallinn stix match-batch`, the stable JSON-lines interface other tools
//! rely on: every input line gets exactly one output line, in order, and a
//! bad line answers an error and the batch goes on.
//!
//! Lines are matched on every core: the calling thread reads, workers answer
//! (each with its own cache of compiled patterns), and a writer puts the
//! answers back in input order. The writer flushes whenever it has answered
//! every line read so far, so a caller that sends one line and waits gets
//! its answer at once, while a bulk caller's answers go out in large writes.

use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::{Value, json};
use tallinn_stix::matcher::{Bump, CompileError, Json, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

/// One line of a batch, read into the worker's arena (strings borrowed
/// from the line where they hold no escapes).
struct BatchLine<'a> {
    pattern: &'a str,
    stix_version: &'a str,
    observations: &'a [Json<'a>],
}

impl<'a> BatchLine<'a> {
    /// Reads a line's object: each field once (the reader refuses a
    /// repeated key anywhere in the line), no other field, `stix_version`
    /// "2.1" when absent. Mistakes are worded as serde words them for a
    /// struct.
    fn parse(line: &'a str, arena: &'a Bump) -> Result<BatchLine<'a>, String> {
        let value = Json::parse(line, arena).map_err(|e| e.to_string())?;
        let Json::Object(fields) = value else {
            return Err(format!("invalid type: {}, expected an object", kind(&value)));
        };
        let (mut pattern, mut stix_version, mut observations) = (None, None, None);
        for (key, value) in fields.entries() {
            let field = match *key {
                "pattern" => &mut pattern,
                "stix_version" => &mut stix_version,
                "observations" => &mut observations,
                other => return Err(format!("unknown field `{other}`, expected one of `pattern`, `stix_version`, `observations`")),
            };
            *field = Some(value);
        }
        let string = |field: &str, value: Option<&'a Json<'a>>| match value {
            Some(Json::String(s)) => Ok(Some(*s)),
            Some(other) => Err(format!("invalid type: {} for `{field}`, expected a string", kind(other))),
            None => Ok(None),
        };
        Ok(BatchLine {
            pattern: string("pattern", pattern)?.ok_or("missing field `pattern`")?,
            stix_version: string("stix_version", stix_version)?.unwrap_or("2.1"),
            observations: match observations {
                Some(Json::Array(list)) => list,
                Some(other) => return Err(format!("invalid type: {} for `observations`, expected a list of observations", kind(other))),
                None => return Err("missing field `observations`".into()),
            },
        })
    }
}

/// A value as the error messages name it (serde's words).
fn kind(value: &Json<'_>) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("boolean `{b}`"),
        Json::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Json::Number(n) => format!("integer `{n}`"),
        Json::String(s) => format!("string {s:?}"),
        Json::Array(_) => "sequence".into(),
        Json::Object(_) => "map".into(),
    }
}

/// Compiled patterns are kept for reuse across lines, up to this many per worker.
const PATTERN_CACHE: usize = 1_000;

/// A worker's arena is kept for the next line up to this size (for a
/// line of the benchmark's five observed-data it grows to 24 KiB).
const ARENA_KEPT: usize = 4 << 20;

/// Batches read ahead of the workers, per worker (bounds memory: each is
/// one read buffer).
const READ_AHEAD_PER_WORKER: usize = 2;

/// How much input is read at once: the lines it holds go to one worker as
/// one batch (a few hundred at a time in bulk, one when a caller sends one).
const READ_BUFFER: usize = 256 * 1024;

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

/// A batch of input lines and its place in the input: a read buffer, and
/// where each whole line lies in it (without its line end). The buffer goes
/// back to the reader once answered, so that steady reading allocates
/// nothing and copies each byte only from the kernel (peak memory on a
/// large batch went from 64 to 36 MB).
struct Batch {
    index: u64,
    buffer: Vec<u8>,
    lines: Vec<std::ops::Range<usize>>,
}

/// Batches waiting for a worker; shared, and dropped with the last worker so
/// that the reader stops if the workers do (the writer failed).
type Batches = Arc<Mutex<Receiver<Batch>>>;

pub fn run(mut input: impl Read, output: impl Write + Send) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let (batch_tx, batch_rx) = sync_channel::<Batch>(READ_AHEAD_PER_WORKER * workers);
    let batches: Batches = Arc::new(Mutex::new(batch_rx));
    let (answer_tx, answer_rx) = channel::<(u64, Vec<u8>)>();
    let (spare_tx, spare_rx) = channel::<Vec<u8>>();
    let read = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (batches, answers, spare) = (batches.clone(), answer_tx.clone(), spare_tx.clone());
            scope.spawn(move || work(&batches, answers, spare));
        }
        drop((batches, answer_tx, spare_tx));
        let writer = scope.spawn(|| write_in_order(answer_rx, output, &read));
        let reading = read_batches(&mut input, &batch_tx, &spare_rx, &read);
        drop(batch_tx);
        let writing = writer.join().map_err(|_| anyhow::anyhow!("the writer stopped"))?;
        reading?;
        writing.context("writing stdout")
    })
}

/// Reads into buffers the workers hand back, and sends the whole lines of
/// each read as one batch; a line cut by the end of a read is carried to
/// the start of the next buffer, which grows for a line longer than itself.
/// A read returns what the input has, so a caller that sends one line gets
/// it matched without waiting for more.
fn read_batches(input: &mut impl Read, batches: &SyncSender<Batch>, spare: &Receiver<Vec<u8>>, read: &AtomicU64) -> anyhow::Result<()> {
    // Every buffer is kept at its full length: zeroed once, when made.
    let fresh = || vec![0u8; READ_BUFFER];
    let mut buffer = fresh();
    // Bytes at the start of `buffer` not yet sent (a line without its end).
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(2 * buffer.len(), 0);
        }
        let n = match input.read(&mut buffer[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading stdin"),
        };
        let at_end = n == 0;
        let searched = filled;
        filled += n;
        // Whole lines end at the last line end (at the end of input, everything).
        let whole = if at_end { filled } else { memchr::memrchr(b'\n', &buffer[searched..filled]).map_or(0, |last| searched + last + 1) };
        if whole == 0 {
            if at_end {
                return Ok(());
            }
            continue; // inside a line: read on into the same buffer
        }
        let mut next = spare.try_recv().unwrap_or_else(|_| fresh());
        if next.len() < filled - whole {
            next.resize(filled - whole, 0);
        }
        next[..filled - whole].copy_from_slice(&buffer[whole..filled]);
        let mut lines = Vec::new();
        let mut start = 0;
        let unterminated = (at_end && buffer[..whole].last() != Some(&b'\n')).then_some(whole);
        for end in memchr::memchr_iter(b'\n', &buffer[..whole]).chain(unterminated) {
            let line_end = if end > start && buffer[end - 1] == b'\r' { end - 1 } else { end };
            lines.push(start..line_end);
            start = end + 1;
        }
        // Counted before it is sent, so the writer never flushes believing
        // it has answered everything while this batch is on its way.
        let index = read.fetch_add(1, Ordering::SeqCst);
        if batches.send(Batch { index, buffer: std::mem::replace(&mut buffer, next), lines }).is_err() {
            return Ok(()); // the workers stopped: the writer failed and says why
        }
        filled -= whole;
        if at_end {
            return Ok(());
        }
    }
}

fn work(batches: &Batches, answers: std::sync::mpsc::Sender<(u64, Vec<u8>)>, spare: std::sync::mpsc::Sender<Vec<u8>>) {
    let mut cache = PatternCache::default();
    // Each line's JSON tree, freed at once when the line is answered.
    let mut arena = Bump::new();
    loop {
        let next = match batches.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(batch) = next else { return };
        let mut bytes = Vec::with_capacity(batch.lines.len() * 40);
        for line in &batch.lines {
            // Writing JSON into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut bytes, &answer(&batch.buffer[line.clone()], &mut cache, &arena));
            bytes.push(b'\n');
            arena.reset();
            // One grown for a very large line is not kept either.
            if arena.allocated_bytes() > ARENA_KEPT {
                arena = Bump::new();
            }
        }
        // One grown for a long line is not kept. The reader may have
        // stopped; then the buffer is simply dropped.
        if batch.buffer.len() <= 4 * READ_BUFFER {
            let _ = spare.send(batch.buffer);
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

fn answer(line: &[u8], cache: &mut PatternCache, arena: &Bump) -> Value {
    let error = |kind: &str, message: String| json!({"error": kind, "message": message});
    // One check of the whole line, so that the JSON reader need not check
    // each string again (it does for bytes, not for text).
    let line = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => return error("parse", format!("the line is not UTF-8 text: {e}")),
    };
    let request = match BatchLine::parse(line, arena) {
        Ok(r) => r,
        Err(e) => return error("parse", format!("the line is not a request {{\"pattern\", \"stix_version\", \"observations\"}}: {e}")),
    };
    let version: StixVersion = match request.stix_version.parse() {
        Ok(v) => v,
        Err(e) => return error("parse", e),
    };
    let matcher = match cache.get(request.pattern, version) {
        Ok(m) => m,
        Err(CompileError::Parse(e)) => return error("parse", e.to_string()),
        Err(CompileError::Match(e)) => return error("match", e.to_string()),
    };
    let observations = match Observations::from_json(request.observations, version) {
        Ok(o) => o,
        Err(e) => return error("match", e.to_string()),
    };
    match matcher.matches(&observations) {
        Ok(Some(m)) => json!({"matched": true, "sdo_ids": m.observations().iter().map(|&i| observations.sdo_id(i)).collect::<Vec<_>>()}),
        Ok(None) => json!({"matched": false, "sdo_ids": []}),
        Err(e) => error("match", e.to_string()),
    }
}
