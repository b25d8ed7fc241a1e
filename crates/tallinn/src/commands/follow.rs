//! Following a growing log file as `tail -F` does, for `tallinn detect
//! --follow`: each round returns the whole lines appended since the last
//! one. The file is read through its open handle, so lines written to it
//! after a rotation are still read (the old file is drained before the new
//! one at the path is opened); a file truncated in place (copytruncate) is
//! read again from its start; a partial last line waits for its end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use super::detect::{BATCH_BYTES, Batch};

pub struct Followed {
    path: PathBuf,
    source: Arc<str>,
    file: File,
    inode: u64,
    position: u64,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    /// Lines read so far from this path (across rotations).
    lines: u64,
}

impl Followed {
    /// A plain file at `path` (standard input and compressed files cannot grow in place).
    pub fn open(path: &Path) -> anyhow::Result<Followed> {
        let name = path.to_string_lossy();
        if name == "-" || name.ends_with(".gz") || name.ends_with(".zst") {
            bail!("--follow: {name} cannot be followed; name plain log files");
        }
        let file = File::open(path).with_context(|| format!("--input: cannot read {}", path.display()))?;
        let inode = file.metadata()?.ino();
        Ok(Followed { path: path.to_path_buf(), source: Arc::from(name.as_ref()), file, inode, position: 0, partial: Vec::new(), lines: 0 })
    }

    /// The whole lines gained since the last round, as batches.
    pub fn read_new(&mut self) -> anyhow::Result<Vec<Batch>> {
        let mut bytes = std::mem::take(&mut self.partial);
        // Truncated in place: read again from the start.
        if self.file.metadata()?.len() < self.position {
            self.file.seek(SeekFrom::Start(0))?;
            self.position = 0;
            bytes.clear();
        }
        self.position += self.file.read_to_end(&mut bytes)? as u64;
        // Rotated: drain the old file (done above), then open the new one.
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.ino() != self.inode
            && let Ok(mut file) = File::open(&self.path)
        {
            self.inode = file.metadata()?.ino();
            self.position = file.read_to_end(&mut bytes)? as u64;
            self.file = file;
        }
        let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.partial = bytes.split_off(end);
        let mut batches = Vec::new();
        let text = String::from_utf8_lossy(&bytes);
        let mut batch = Batch { source: self.source.clone(), first_line: self.lines + 1, text: String::new() };
        for line in text.split_inclusive('\n') {
            self.lines += 1;
            batch.text.push_str(line);
            if batch.text.len() >= BATCH_BYTES {
                let next = Batch { source: self.source.clone(), first_line: self.lines + 1, text: String::new() };
                batches.push(std::mem::replace(&mut batch, next));
            }
        }
        if !batch.text.is_empty() {
            batches.push(batch);
        }
        Ok(batches)
    }
}
