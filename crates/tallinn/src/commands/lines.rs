//! Bytes from a log into batches of whole lines for the detection workers
//! (`commands::detect`): the one place that decides where lines end, how
//! they are numbered, and what happens to a line too long to hold.
//!
//! A line longer than [`MAX_LINE`] is never held whole: its bytes are
//! dropped as they arrive, up to its end, and it is reported as malformed
//! by its number. Batch buffers go back to a [`Pool`] once matched, so a
//! long run reuses a few buffers instead of asking the system for fresh
//! memory (zeroed by the kernel) for every megabyte read.

use std::sync::{Arc, Mutex};

/// Lines are handed to workers in batches of about this many bytes.
pub const BATCH_BYTES: usize = 1 << 20;

/// The longest line read (8 MiB): longer ones are skipped and reported.
pub const MAX_LINE: usize = 8 << 20;

/// A batch of whole lines, and where the first one is.
pub struct Batch {
    pub source: Arc<str>,
    pub first_line: u64,
    pub text: String,
    /// Its place among the batches of one run, for what must see lines in order.
    pub seq: u64,
}

/// Buffers to reuse.
#[derive(Clone, Default)]
pub struct Pool(Arc<Mutex<Vec<Vec<u8>>>>);

impl Pool {
    /// Most buffers kept: enough for the batches in flight.
    const KEPT: usize = 16;

    pub fn take(&self) -> Vec<u8> {
        self.0.lock().ok().and_then(|mut p| p.pop()).unwrap_or_else(|| Vec::with_capacity(BATCH_BYTES + (64 << 10)))
    }

    pub fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        if let Ok(mut p) = self.0.lock()
            && p.len() < Self::KEPT
        {
            p.push(buffer);
        }
    }
}

/// The lines of `text`, as `str::lines` gives them (split at `\n`, a
/// `\r` before it dropped, no empty line after a last `\n`), found with
/// the `memchr` crate's vectorised search: the standard library's own is a
/// word at a time, and a batch is a megabyte of short lines.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        let (end, ended) = match ends.next() {
            Some(end) => (end, true),
            None if start < text.len() => (text.len(), false),
            None => return None,
        };
        // Both ends are at a `\n` or the text's ends: character boundaries.
        let line = &text[start..end];
        start = end + 1;
        // A `\r` is part of a line ending only before a `\n`.
        Some(if ended { line.strip_suffix('\r').unwrap_or(line) } else { line })
    })
}

/// Cuts one source's bytes, as they arrive, into batches of whole lines.
pub struct Splitter {
    source: Arc<str>,
    pool: Pool,
    /// The start of the batch being filled; ends with a partial line.
    pending: Vec<u8>,
    /// Lines handed on (or skipped) so far.
    lines: u64,
    /// Inside a line too long to hold: dropping bytes up to its end.
    skipping: bool,
    /// The numbers of the lines skipped as too long.
    pub too_long: Vec<u64>,
}

impl Splitter {
    pub fn new(source: Arc<str>, pool: Pool) -> Self {
        let pending = pool.take();
        Splitter { source, pool, pending, lines: 0, skipping: false, too_long: Vec::new() }
    }

    /// Takes the next bytes; each full batch goes to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<()> {
        if self.skipping {
            let Some(end) = memchr::memchr(b'\n', bytes) else { return Ok(()) };
            self.skipping = false;
            self.lines += 1;
            bytes = &bytes[end + 1..];
        }
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= BATCH_BYTES
            && let Some(end) = memchr::memrchr(b'\n', &self.pending)
        {
            let mut next = self.pool.take();
            next.extend_from_slice(&self.pending[end + 1..]);
            self.pending.truncate(end + 1);
            let full = std::mem::replace(&mut self.pending, next);
            self.send(full, out)?;
        }
        // What is left is one partial line.
        if self.pending.len() > MAX_LINE {
            self.pending.clear();
            self.skipping = true;
            self.too_long.push(self.lines + 1);
        }
        Ok(())
    }

    /// The lines held, the last one even without its end (the input ended).
    pub fn finish(&mut self, out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<()> {
        if self.skipping {
            self.skipping = false;
            self.lines += 1;
        }
        if !self.pending.is_empty() {
            if self.pending.last() != Some(&b'\n') {
                self.pending.push(b'\n');
            }
            let last = std::mem::replace(&mut self.pending, self.pool.take());
            self.send(last, out)?;
        }
        Ok(())
    }

    /// The complete lines held, now (a followed file between rounds).
    pub fn flush(&mut self, out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<()> {
        if let Some(end) = memchr::memrchr(b'\n', &self.pending) {
            let mut next = self.pool.take();
            next.extend_from_slice(&self.pending[end + 1..]);
            self.pending.truncate(end + 1);
            let full = std::mem::replace(&mut self.pending, next);
            self.send(full, out)?;
        }
        Ok(())
    }

    /// Forgets a partial last line (its file was truncated under it).
    pub fn drop_partial(&mut self) {
        let keep = memchr::memrchr(b'\n', &self.pending).map_or(0, |end| end + 1);
        self.pending.truncate(keep);
        self.skipping = false;
    }

    fn send(&mut self, bytes: Vec<u8>, out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let first_line = self.lines + 1;
        self.lines += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        // A line that is not UTF-8 keeps its place, its bad bytes replaced,
        // and is reported as malformed there.
        let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        out(Batch { source: self.source.clone(), first_line, text, seq: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> (Vec<(u64, String)>, Vec<u64>) {
        let mut s = Splitter::new(Arc::from("t"), Pool::default());
        let mut got = Vec::new();
        let mut out = |b: Batch| {
            got.push((b.first_line, b.text));
            Ok(())
        };
        for c in chunks {
            s.push(c, &mut out).unwrap();
        }
        s.finish(&mut out).unwrap();
        (got, s.too_long.clone())
    }

    #[test]
    fn lines_are_cut_whole_numbered_and_a_last_line_without_end_is_kept() {
        let (got, long) = split(&[b"a\nb", b"c\n", b"d"]);
        assert_eq!(got, [(1, "a\nbc\nd\n".to_string())]);
        assert!(long.is_empty());
        let big = vec![b'x'; BATCH_BYTES];
        let mut input = big.clone();
        input.extend_from_slice(b"\nsecond\nthi");
        let (got, _) = split(&[&input, b"rd\n"]);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1.len()), (1, BATCH_BYTES + "\nsecond\n".len()));
        assert_eq!(got[1], (3, "third\n".to_string()));
    }

    #[test]
    fn a_line_too_long_is_skipped_as_it_arrives_and_named() {
        let chunk = vec![b'x'; 1 << 20];
        let mut chunks: Vec<&[u8]> = vec![b"{\"ok\":1}\n"];
        chunks.extend(std::iter::repeat_n(chunk.as_slice(), 12));
        chunks.push(b"still the long line\n{\"ok\":2}\n");
        let (got, long) = split(&chunks);
        assert_eq!(long, [2]);
        let text: String = got.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(text, "{\"ok\":1}\n{\"ok\":2}\n");
        assert_eq!(got.last().map(|(n, _)| *n), Some(3), "the line after the long one is line 3");
    }

    #[test]
    fn lines_are_those_of_the_standard_library() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "a\r", "a\r\r\n", "é\n\u{2028}\n", " \n\t\n"] {
            assert_eq!(lines(text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_stay_in_their_line() {
        let (got, _) = split(&[b"ok\n\xff\xfe\nok\n"]);
        assert_eq!(got, [(1, "ok\n\u{fffd}\u{fffd}\nok\n".to_string())]);
    }
}
