//! A sort by address with bounded memory: serialized records are kept in
//! memory up to a limit, then spilled as sorted runs to anonymous temporary
//! files and merged at the end.

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

/// Lines (without newlines) collected for output sorted by address.
pub(crate) struct Spool {
    mem: Vec<(Key, String)>,
    mem_bytes: usize,
    limit: usize,
    runs: Vec<File>,
}

impl Spool {
    /// A spool that spills once `limit` bytes of lines are held.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            mem: Vec::new(),
            mem_bytes: 0,
            limit,
            runs: Vec::new(),
        }
    }

    /// Adds a line for `ip`. The line must not contain `\n`.
    pub(crate) fn push(&mut self, ip: IpAddr, line: String) -> io::Result<()> {
        // The line's heap block plus the entry itself, with the Vec's slack.
        self.mem_bytes += line.capacity() + 2 * std::mem::size_of::<(Key, String)>();
        self.mem.push((key(ip), line));
        if self.mem_bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.mem.sort_unstable_by_key(|a| a.0);
        let mut file = tempfile::tempfile()?;
        {
            // Each entry: the 17-byte key, the line's length (u32 LE), the line.
            let mut w = BufWriter::with_capacity(1 << 18, &mut file);
            for (k, line) in self.mem.drain(..) {
                let len = u32::try_from(line.len())
                    .map_err(|_| io::Error::other("record too long to sort"))?;
                w.write_all(&k)?;
                w.write_all(&len.to_le_bytes())?;
                w.write_all(line.as_bytes())?;
            }
            w.flush()?;
        }
        file.rewind()?;
        self.runs.push(file);
        self.mem_bytes = 0;
        Ok(())
    }

    /// Number of runs spilled to disk so far.
    #[cfg(test)]
    pub(crate) fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Calls `each` with every line, in address order.
    pub(crate) fn drain(mut self, mut each: impl FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        self.mem.sort_unstable_by_key(|a| a.0);
        if self.runs.is_empty() {
            for (_, line) in &self.mem {
                each(line)?;
            }
            return Ok(());
        }
        let mut readers: Vec<BufReader<File>> = self
            .runs
            .drain(..)
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut mem = std::mem::take(&mut self.mem).into_iter();
        // Source index readers.len() is the in-memory run.
        let mem_src = readers.len();
        let mut heap: BinaryHeap<Reverse<(Key, usize, String)>> = BinaryHeap::new();
        let next = |src: usize,
                    readers: &mut Vec<BufReader<File>>,
                    mem: &mut std::vec::IntoIter<(Key, String)>|
         -> io::Result<Option<(Key, String)>> {
            if src == mem_src {
                return Ok(mem.next());
            }
            let r = &mut readers[src];
            if r.fill_buf()?.is_empty() {
                return Ok(None);
            }
            let mut k = [0u8; 17];
            r.read_exact(&mut k)?;
            let mut len = [0u8; 4];
            r.read_exact(&mut len)?;
            let mut line = vec![0u8; u32::from_le_bytes(len) as usize];
            r.read_exact(&mut line)?;
            let line = String::from_utf8(line).map_err(|_| io::Error::other("corrupt sort run"))?;
            Ok(Some((k, line)))
        };
        for src in 0..=mem_src {
            if let Some((k, l)) = next(src, &mut readers, &mut mem)? {
                heap.push(Reverse((k, src, l)));
            }
        }
        while let Some(Reverse((_, src, line))) = heap.pop() {
            each(&line)?;
            if let Some((k, l)) = next(src, &mut readers, &mut mem)? {
                heap.push(Reverse((k, src, l)));
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
            spool.push(*ip, format!("line {ip}")).unwrap();
        }
        assert!(spool.spilled_runs() > 3);
        let mut out = Vec::new();
        spool
            .drain(|l| {
                out.push(l.to_owned());
                Ok(())
            })
            .unwrap();
        ips.sort();
        let want: Vec<String> = ips.iter().map(|ip| format!("line {ip}")).collect();
        assert_eq!(out, want);
    }
}
