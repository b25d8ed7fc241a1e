//! Following a growing log file as `tail -F` does, for `tallinn detect
//! --follow`: each round hands on the whole lines appended since the last
//! one. The file is read through its open handle, so lines written to it
//! after a rotation are still read (the old file is drained, its last line
//! ended, before the new one at the path is opened); a file truncated in
//! place (copytruncate) is read again from its start; a partial last line
//! waits for its end. A round reads at most [`ROUND_BYTES`], so a large
//! file is worked through in steps of bounded memory.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use super::lines::{Batch, Pool, Splitter};

/// The most bytes one round reads from one file.
pub const ROUND_BYTES: u64 = 64 << 20;

pub struct Followed {
    path: PathBuf,
    source: Arc<str>,
    file: File,
    inode: u64,
    position: u64,
    lines: Splitter,
}

impl Followed {
    /// A plain file at `path` (standard input and compressed files cannot grow in place).
    pub fn open(path: &Path, pool: &Pool) -> anyhow::Result<Followed> {
        let name = path.to_string_lossy();
        if name == "-" || name.ends_with(".gz") || name.ends_with(".zst") {
            bail!("--follow: {name} cannot be followed; name plain log files");
        }
        let file = File::open(path).with_context(|| format!("--input: cannot read {}", path.display()))?;
        let inode = file.metadata()?.ino();
        let source: Arc<str> = Arc::from(name.as_ref());
        let lines = Splitter::new(source.clone(), pool.clone());
        Ok(Followed { path: path.to_path_buf(), source, file, inode, position: 0, lines })
    }

    /// Hands on the whole lines gained since the last round; whether the
    /// file holds more than this round read.
    pub fn read_new(&mut self, out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<bool> {
        let length = self.file.metadata()?.len();
        // Truncated in place: read again from the start; a partial line is gone.
        if length < self.position {
            self.lines.flush(out)?;
            self.lines.drop_partial();
            self.file.seek(SeekFrom::Start(0))?;
            self.position = 0;
        }
        let read = self.drain(out)?;
        if read >= ROUND_BYTES {
            return Ok(true);
        }
        // Rotated: the old file is drained (above); its last line ends
        // there, and the new file at the path is read from its start.
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.ino() != self.inode
            && let Ok(file) = File::open(&self.path)
        {
            self.lines.finish(out)?;
            self.inode = file.metadata()?.ino();
            self.file = file;
            self.position = 0;
            return Ok(true);
        }
        self.lines.flush(out)?;
        Ok(false)
    }

    /// Reads what the open file gained, up to a round's bytes; how much.
    fn drain(&mut self, out: &mut dyn FnMut(Batch) -> anyhow::Result<()>) -> anyhow::Result<u64> {
        let mut chunk = vec![0u8; 256 << 10];
        let mut read = 0u64;
        while read < ROUND_BYTES {
            let n = match self.file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| format!("--input: reading {}", self.source)),
            };
            read += n as u64;
            self.position += n as u64;
            self.lines.push(&chunk[..n], out)?;
        }
        Ok(read)
    }

    /// The lines skipped as too long since the last call, by number.
    pub fn take_too_long(&mut self) -> Vec<(Arc<str>, u64)> {
        self.lines.too_long.drain(..).map(|line| (self.source.clone(), line)).collect()
    }
}
