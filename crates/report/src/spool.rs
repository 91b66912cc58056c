//! A sort by address with bounded memory: serialized records are kept in
//! one buffer up to a limit, then spilled as sorted runs to anonymous
//! temporary files and merged at the end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::net::IpAddr;

/// Sort key: IPv4 before IPv6, then numerically (the order of [`IpAddr`]).
pub(crate) type Key = [u8; 17];

pub(crate) fn key(ip: IpAddr) -> Key {
    let mut k = [0u8; 17];
    match ip {
        IpAddr::V4(a) => k[13..].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => {
            k[0] = 1;
            k[1..].copy_from_slice(&a.octets());
        }
    }
    k
}

/// Lines (without newlines) collected for output sorted by address. The
/// lines are appended to one buffer (no allocation per line), with a small
/// entry per line to sort.
pub(crate) struct Spool {
    text: String,
    /// Each line: its key, where it starts in `text`, its length.
    entries: Vec<(Key, usize, usize)>,
    limit: usize,
    runs: Vec<File>,
}

/// A sorted run being read back: its current key and line.
struct Run {
    input: BufReader<File>,
    line: Vec<u8>,
}

impl Run {
    /// Reads the next entry (the 17-byte key, the line's length as u32 LE,
    /// the line) and returns its key, `None` at the end.
    fn next(&mut self) -> io::Result<Option<Key>> {
        if self.input.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let mut k = [0u8; 17];
        self.input.read_exact(&mut k)?;
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len)?;
        self.line.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.line)?;
        Ok(Some(k))
    }
}

impl Spool {
    /// A spool that spills once `limit` bytes of lines are held.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            entries: Vec::new(),
            limit,
            runs: Vec::new(),
        }
    }

    /// Adds a line for `ip`. The line must not contain `\n`.
    pub(crate) fn push(&mut self, ip: IpAddr, line: &str) -> io::Result<()> {
        self.entries.push((key(ip), self.text.len(), line.len()));
        self.text.push_str(line);
        let held =
            self.text.len() + self.entries.len() * std::mem::size_of::<(Key, usize, usize)>();
        if held >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.entries.sort_unstable_by_key(|e| e.0);
        let mut file = tempfile::tempfile()?;
        {
            // Each entry: the 17-byte key, the line's length (u32 LE), the line.
            let mut w = BufWriter::with_capacity(1 << 18, &mut file);
            for &(k, at, len) in &self.entries {
                let n =
                    u32::try_from(len).map_err(|_| io::Error::other("record too long to sort"))?;
                w.write_all(&k)?;
                w.write_all(&n.to_le_bytes())?;
                w.write_all(&self.text.as_bytes()[at..at + len])?;
            }
            w.flush()?;
        }
        file.rewind()?;
        self.runs.push(file);
        // The buffers keep their capacity: the next run reuses the memory.
        self.entries.clear();
        self.text.clear();
        Ok(())
    }

    /// Number of runs spilled to disk so far.
    #[cfg(test)]
    pub(crate) fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Calls `each` with every line, in address order.
    pub(crate) fn drain(mut self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.entries.sort_unstable_by_key(|e| e.0);
        let text = self.text.as_bytes();
        if self.runs.is_empty() {
            for &(_, at, len) in &self.entries {
                each(&text[at..at + len])?;
            }
            return Ok(());
        }
        let mut runs: Vec<Run> = self
            .runs
            .drain(..)
            .map(|f| Run {
                input: BufReader::with_capacity(1 << 16, f),
                line: Vec::new(),
            })
            .collect();
        // Source `runs.len()` is the part still in memory, read at `mem`.
        let mem_src = runs.len();
        let mut mem = 0;
        let mut heap: BinaryHeap<Reverse<(Key, usize)>> = BinaryHeap::new();
        for (src, run) in runs.iter_mut().enumerate() {
            if let Some(k) = run.next()? {
                heap.push(Reverse((k, src)));
            }
        }
        if let Some(e) = self.entries.first() {
            heap.push(Reverse((e.0, mem_src)));
        }
        while let Some(Reverse((_, src))) = heap.pop() {
            if src == mem_src {
                let (_, at, len) = self.entries[mem];
                each(&text[at..at + len])?;
                mem += 1;
                if let Some(e) = self.entries.get(mem) {
                    heap.push(Reverse((e.0, mem_src)));
                }
            } else {
                each(&runs[src].line)?;
                if let Some(k) = runs[src].next()? {
                    heap.push(Reverse((k, src)));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_across_spilled_runs_and_memory() {
        let mut spool = Spool::new(200);
        let mut ips: Vec<IpAddr> = (0..300u32)
            .map(|i| IpAddr::from([10, 0, (i * 7 % 256) as u8, (i * 13 % 251) as u8]))
            .collect();
        ips.push("2001:db8::1".parse().unwrap());
        ips.push("::1".parse().unwrap());
        for ip in ips.iter().rev() {
            spool.push(*ip, &format!("line {ip}")).unwrap();
        }
        assert!(spool.spilled_runs() > 3);
        let mut out = Vec::new();
        spool
            .drain(|l| {
                out.push(String::from_utf8(l.to_vec()).unwrap());
                Ok(())
            })
            .unwrap();
        ips.sort();
        let want: Vec<String> = ips.iter().map(|ip| format!("line {ip}")).collect();
        assert_eq!(out, want);
    }
}
