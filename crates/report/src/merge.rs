//! Merging `json` shard reports into one `json` report by copying their
//! record lines: a k-way merge of the shards' address-sorted record lines, each
//! read once with a lean parse for the counts (summary, gate) and handed to
//! the caller (for block findings), then copied byte for byte into the merged
//! document. No model record is built, and memory does not grow with the
//! reports (4 bytes per address for the merged order).
//!
//! For other formats (or `--output`), [`LineMerge::records`] reads the lines
//! again in the merged order and parses one at a time into a model record for
//! the sinks, so memory stays flat on that path too.
//!
//! Both apply to `json` documents laid out the way this version's `json`
//! writer lays them out (one record per line). Anything else — `jsonl`
//! shards, a reformatted document, records out of order — makes
//! [`merge_lines`] answer `None` before anything is written, and
//! [`crate::merge_set`] falls back to reading the shards whole.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo, BlockKey};

use crate::format::json::JsonSink;
use crate::gate::Gate;
use crate::read::{BlockMap, parse_record_line, read_json_blocks};
use crate::record::lean::{read_record, record_ip};
use crate::spool::{Key, key};
use crate::{
    GateOptions, GateOutcome, Judged, ReportDoc, ReportEnd, ReportError, ReportMeta, SinkOptions,
    Summary, SummaryBuilder,
};

/// The line that opens the records of a `json` document, and its empty form.
const RECORDS_OPEN: &[u8] = b"  \"records\": [\n";
const RECORDS_EMPTY: &[u8] = b"  \"records\": []\n";

/// A `json` shard report opened for [`merge_lines`]: its envelope is read,
/// its records are not.
#[derive(Debug)]
pub(crate) struct LineShard {
    doc: ReportDoc,
    blocks: BlockMap,
    /// Byte offset of the first record line.
    records_at: u64,
    /// `[]`: no record line follows.
    empty: bool,
    /// The file's size and modification time when opened (checked again
    /// before the records are copied).
    stamp: (u64, Option<SystemTime>),
}

impl LineShard {
    /// Opens `path` when it is a `json` report laid out the way this version
    /// writes one (the envelope, then one record per line); `Ok(None)` for
    /// anything else (a `jsonl` file, a reformatted document), which
    /// [`crate::read_report`] reads.
    pub(crate) fn open(path: &Path) -> Result<Option<LineShard>, ReportError> {
        let read_err = |source| ReportError::Read {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        let stamp = stamp(&file).map_err(read_err)?;
        let mut input = LineReader::new(file);
        let mut header = Vec::new();
        // Records of an older format version lack fields this one writes:
        // such a shard goes through the full reader and is written anew.
        let current = format!(
            "  \"format_version\": {},\n",
            crate::format::json::FORMAT_VERSION
        );
        let mut is_current = false;
        let empty = loop {
            input.advance().map_err(read_err)?;
            let line = input.line();
            if line.is_empty() {
                return Ok(None);
            }
            if header.is_empty() && line != b"{\n" {
                return Ok(None);
            }
            if line == RECORDS_OPEN || line == RECORDS_EMPTY {
                break line == RECORDS_EMPTY;
            }
            is_current |= line == current.as_bytes();
            header.extend_from_slice(line);
        };
        if !is_current {
            return Ok(None);
        }
        let records_at = header.len() as u64 + input.line().len() as u64;
        header.extend_from_slice(b"  \"records\": []\n}\n");
        let de = serde_json::Deserializer::from_slice(&header);
        let Ok((doc, blocks)) = read_json_blocks(de, path, &mut |_| Ok(())) else {
            return Ok(None);
        };
        Ok(Some(LineShard {
            doc,
            blocks,
            records_at,
            empty,
            stamp,
        }))
    }

    /// The report's envelope (without records).
    pub(crate) fn doc(&self) -> &ReportDoc {
        &self.doc
    }
}

fn stamp(file: &File) -> io::Result<(u64, Option<SystemTime>)> {
    let m = file.metadata()?;
    Ok((m.len(), m.modified().ok()))
}

/// One record of the merged stream, as [`merge_lines`] hands it over.
#[derive(Debug)]
pub(crate) struct MergedRecord<'a> {
    /// The address.
    pub(crate) ip: IpAddr,
    /// Its block, as the shards list it.
    pub(crate) block: &'a Arc<BlockInfo>,
    /// Its expected PTR name.
    pub(crate) expected: Option<&'a str>,
    /// The first PTR name, as written (presentation form).
    pub(crate) first_ptr: Option<&'a str>,
}

/// Shards whose records were read and counted by [`merge_lines`], ready to
/// be written as one report by [`LineMerge::write`].
#[derive(Debug)]
pub(crate) struct LineMerge {
    shards: Vec<LineShard>,
    /// The shard each merged record comes from, in address order.
    order: Vec<u32>,
    summary: SummaryBuilder,
    gate: Gate,
}

/// Reads a file line by line into one buffer and hands out each line (with
/// its `\n`) in place, without copying it.
struct LineReader {
    file: File,
    buf: Vec<u8>,
    /// The current line is `buf[start..pos]`; `buf[..end]` has been read.
    start: usize,
    pos: usize,
    end: usize,
}

impl LineReader {
    fn new(file: File) -> Self {
        Self {
            file,
            buf: vec![0; 1 << 17],
            start: 0,
            pos: 0,
            end: 0,
        }
    }

    /// Moves to the next line; it is empty at the end of the file, and the
    /// last line may lack its `\n`.
    fn advance(&mut self) -> io::Result<()> {
        self.start = self.pos;
        let mut scanned = self.pos;
        loop {
            if let Some(n) = memchr::memchr(b'\n', &self.buf[scanned..self.end]) {
                self.pos = scanned + n + 1;
                return Ok(());
            }
            // No whole line left: move the part to the front and read more.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            scanned = self.end;
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = loop {
                match self.file.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.pos = self.end;
                return Ok(());
            }
            self.end += n;
        }
    }

    /// The current line.
    fn line(&self) -> &[u8] {
        &self.buf[self.start..self.pos]
    }
}

/// A record line (`    {…},\n`) without its indentation, comma and newline.
fn record_text(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b",").unwrap_or(line);
    line.strip_prefix(b"    ")
}

/// A shard's record lines being read in pass one.
struct Source {
    input: LineReader,
    /// The key and address of the line held.
    key: Key,
    ip: IpAddr,
    /// The last line read had no `,`: the records end after it.
    last: bool,
}

impl Source {
    /// Reads the next record line and returns its address, `Ok(None)` at the
    /// end of the records, `Err(None)` when the layout is not this writer's.
    fn advance(&mut self) -> Result<Option<IpAddr>, Option<io::Error>> {
        self.input.advance()?;
        let line = self.input.line();
        if self.last {
            return if line == b"  ]\n" {
                Ok(None)
            } else {
                Err(None)
            };
        }
        let text = record_text(line).ok_or(None)?;
        let ip = record_ip(text).map_err(|_| None)?;
        let k = key(ip);
        // Records of one shard are sorted and distinct.
        if k <= self.key && self.key != [0xff; 17] {
            return Err(None);
        }
        if !line.ends_with(b",\n") {
            if !line.ends_with(b"}\n") {
                return Err(None);
            }
            self.last = true;
        }
        self.key = k;
        self.ip = ip;
        Ok(Some(ip))
    }
}

/// Reads the records of `shards` in address order (a k-way merge), counts
/// them for the summary and the gate (`gate`), and hands each to `each` (for
/// the block findings). `Ok(None)` when a shard's records are not laid out
/// the way this version writes them (or not sorted): nothing is written, and
/// the caller discards what `each` collected and falls back to the full
/// reader. An address in two shards is an error.
pub(crate) fn merge_lines(
    shards: Vec<LineShard>,
    gate: GateOptions,
    each: &mut dyn FnMut(&MergedRecord<'_>),
) -> Result<Option<LineMerge>, ReportError> {
    let mut summary = SummaryBuilder::new();
    let mut blocks: BlockMap = BlockMap::new();
    for shard in &shards {
        for b in &shard.doc.blocks {
            let key = b.key();
            if let std::collections::hash_map::Entry::Vacant(slot) = blocks.entry(key) {
                summary.add_block(b);
                slot.insert(b.clone());
            }
        }
        for (key, b) in &shard.blocks {
            blocks.entry(key.clone()).or_insert_with(|| b.clone());
        }
    }
    let mut gate = Gate::new(gate);
    let mut sources = Vec::with_capacity(shards.len());
    let mut heap = BinaryHeap::with_capacity(shards.len());
    for (i, shard) in shards.iter().enumerate() {
        let path = &shard.doc.path;
        let read_err = |source| ReportError::Read {
            path: path.clone(),
            source,
        };
        let mut file = File::open(path).map_err(read_err)?;
        file.seek(SeekFrom::Start(shard.records_at))
            .map_err(read_err)?;
        let mut src = Source {
            input: LineReader::new(file),
            key: [0xff; 17],
            ip: IpAddr::from([0, 0, 0, 0]),
            last: false,
        };
        if shard.empty {
            src.input.advance().map_err(read_err)?;
            if src.input.line() != b"}\n" {
                return Ok(None);
            }
        } else {
            match src.advance() {
                Ok(Some(_)) => heap.push(Reverse((src.key, i as u32))),
                Ok(None) | Err(None) => return Ok(None),
                Err(Some(e)) => return Err(read_err(e)),
            }
        }
        sources.push(src);
    }

    let mut order = Vec::new();
    let mut findings = Vec::new();
    // The block of the previous record: (datacenter, block text, block).
    let mut last_block: Option<(String, String, Arc<BlockInfo>)> = None;
    let mut prev: Option<(Key, u32)> = None;
    while let Some(Reverse((k, i))) = heap.pop() {
        if let Some((pk, pi)) = prev
            && pk == k
        {
            return Err(ReportError::DuplicateAddress {
                ip: sources[i as usize].ip,
                first: shards[pi as usize].doc.path.clone(),
                second: shards[i as usize].doc.path.clone(),
            });
        }
        prev = Some((k, i));
        let src = &sources[i as usize];
        let Some(text) = record_text(src.input.line()) else {
            return Ok(None);
        };
        let Ok(rec) = read_record(text, &mut findings) else {
            return Ok(None);
        };
        let ip = src.ip;
        let block = match &last_block {
            Some((dc, b, block)) if *dc == rec.datacenter && *b == rec.block => block.clone(),
            _ => {
                let Ok(net) = rec.block.parse::<IpNet>() else {
                    return Ok(None);
                };
                let Some(block) = blocks.get(&BlockKey::new(&rec.datacenter, net)) else {
                    return Ok(None);
                };
                last_block = Some((
                    rec.datacenter.to_string(),
                    rec.block.to_string(),
                    block.clone(),
                ));
                block.clone()
            }
        };
        let status = rec.status.unwrap_or(ptr_audit_model::Status::Ok);
        summary.observe_parts(&block, status, findings.iter().map(|f| f.0));
        gate.observe_parts(ip, block.cidr, || findings.iter().copied());
        each(&MergedRecord {
            ip,
            block: &block,
            expected: rec.expected.as_deref(),
            first_ptr: rec.first_ptr.as_deref(),
        });
        order.push(i);
        let src = &mut sources[i as usize];
        match src.advance() {
            Ok(Some(_)) => heap.push(Reverse((src.key, i))),
            Ok(None) => {
                // After `  ]`, the document closes.
                if src.input.advance().is_err() || src.input.line() != b"}\n" {
                    return Ok(None);
                }
            }
            Err(None) => return Ok(None),
            Err(Some(e)) => {
                return Err(ReportError::Read {
                    path: shards[i as usize].doc.path.clone(),
                    source: e,
                });
            }
        }
    }
    Ok(Some(LineMerge {
        shards,
        order,
        summary,
        gate,
    }))
}

impl LineMerge {
    /// Addresses merged.
    pub(crate) fn addresses(&self) -> u64 {
        self.order.len() as u64
    }

    /// Writes the merged `json` report to `out`: the envelope of `meta`, the
    /// summary, the gate's decision and `block_findings` (judged by the gate),
    /// then the shards' record lines, copied in address order. Returns the
    /// summary and the gate's decision.
    pub(crate) fn write(
        self,
        out: Box<dyn Write + Send>,
        meta: &ReportMeta,
        finished_at: &str,
        block_findings: &[BlockFinding],
    ) -> Result<(Summary, GateOutcome), ReportError> {
        let LineMerge {
            shards,
            order,
            summary,
            mut gate,
        } = self;
        let out_err = |source| ReportError::Write { source };
        let mut inputs = Replay::open(&shards)?;
        let block_judged: Vec<Judged> = block_findings
            .iter()
            .map(|bf| gate.observe_block(bf))
            .collect();
        let summary = summary.finish();
        let gate = gate.finish();
        let end = ReportEnd {
            finished_at,
            complete: true,
            block_findings,
            block_judged: &block_judged,
            summary: &summary,
            gate: &gate,
        };
        let mut sink = JsonSink::new(out, meta, &SinkOptions::default()).map_err(out_err)?;
        let mut failed_input: Option<usize> = None;
        sink.finish_with(&end, |each| {
            for &i in &order {
                let text = inputs.next(i).inspect_err(|_| {
                    failed_input = Some(i as usize);
                })?;
                each(text)?;
            }
            Ok(())
        })
        .map_err(|e| match failed_input {
            Some(i) => ReportError::Read {
                path: shards[i].doc.path.clone(),
                source: e,
            },
            None => out_err(e),
        })?;
        Ok((summary, gate))
    }
}

impl LineMerge {
    /// Reads the merged records again, in address order, and hands each to
    /// `each` as a model record: one record line at a time is parsed (the way
    /// [`crate::read_report`] parses records), so memory does not grow with
    /// the reports. This is `merge`'s path for other formats and `--output`.
    ///
    /// [`merge_lines`] checked the layout, the order and the addresses, but
    /// read only part of each record: a line it accepted that does not parse
    /// in full (a file edited by hand) is a [`ReportError::Parse`] after the
    /// records before it were handed over. An error of `each` is a
    /// [`ReportError::Write`].
    pub(crate) fn records(
        &mut self,
        each: &mut dyn FnMut(AddressRecord) -> io::Result<()>,
    ) -> Result<(), ReportError> {
        let mut inputs = Replay::open(&self.shards)?;
        for &i in &self.order {
            let shard = &mut self.shards[i as usize];
            let text = inputs.next(i).map_err(|source| ReportError::Read {
                path: shard.doc.path.clone(),
                source,
            })?;
            let rec = parse_record_line(text, &mut shard.blocks).map_err(|message| {
                ReportError::Parse {
                    path: shard.doc.path.clone(),
                    line: 0,
                    message,
                }
            })?;
            each(rec).map_err(|source| ReportError::Write { source })?;
        }
        Ok(())
    }
}

/// The shards' record lines read a second time, after [`merge_lines`] has
/// settled their order.
struct Replay {
    inputs: Vec<LineReader>,
}

impl Replay {
    /// Opens every shard again at its first record line, refusing a file
    /// that changed since [`LineShard::open`].
    fn open(shards: &[LineShard]) -> Result<Replay, ReportError> {
        let mut inputs = Vec::with_capacity(shards.len());
        for shard in shards {
            let path = &shard.doc.path;
            let read_err = |source| ReportError::Read {
                path: path.clone(),
                source,
            };
            let mut file = File::open(path).map_err(read_err)?;
            if stamp(&file).map_err(read_err)? != shard.stamp {
                return Err(read_err(io::Error::other(
                    "the file changed while it was being merged",
                )));
            }
            file.seek(SeekFrom::Start(shard.records_at))
                .map_err(read_err)?;
            inputs.push(LineReader::new(file));
        }
        Ok(Replay { inputs })
    }

    /// The text of shard `i`'s next record line.
    fn next(&mut self, i: u32) -> io::Result<&[u8]> {
        let input = &mut self.inputs[i as usize];
        input.advance()?;
        record_text(input.line())
            .ok_or_else(|| io::Error::other("a record line changed while merging"))
    }
}
