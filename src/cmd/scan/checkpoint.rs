//! Resuming from a checkpoint: the scope indexes it holds already, and the
//! repair of a checkpoint torn by a crash.

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::Context;

/// The scope indexes a resumed checkpoint already holds, one bit each
/// (a /16 costs 8 KiB, however large its records).
#[derive(Default)]
pub(super) struct Done {
    bits: Vec<u64>,
    len: u64,
}

impl Done {
    /// Marks `index`; false when it was marked already.
    pub(super) fn insert(&mut self, index: u64) -> bool {
        let (word, bit) = ((index / 64) as usize, index % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        let fresh = self.bits[word] & (1 << bit) == 0;
        self.bits[word] |= 1 << bit;
        self.len += u64::from(fresh);
        fresh
    }

    pub(super) fn contains(&self, index: u64) -> bool {
        self.bits
            .get((index / 64) as usize)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Cuts a checkpoint back to its last newline. What follows it — a record
/// torn by a crash, or one complete but without its newline — would be glued
/// to the next record appended; it is dropped and its address scanned again.
pub(super) fn repair_checkpoint(path: &Path) -> anyhow::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let context = || format!("cannot repair the checkpoint `{}`", path.display());
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(context)?;
    let len = file.metadata().with_context(context)?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 << 10];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(chunk.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start)).with_context(context)?;
        file.read_exact(&mut chunk[..n]).with_context(context)?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    if keep < len {
        file.set_len(keep).with_context(context)?;
        file.sync_all().with_context(context)?;
    }
    Ok(())
}
