//! `merge`'s decisions over a set of shard reports: whether the streamed
//! path ([`crate::merge`]) can take them, the refusals (a set that is not
//! one whole scan, an address twice, a count that is not the scope's), the
//! merged run's metadata, and the placeholder tally run beside the reading
//! (on a second thread on the streamed path). The caller gives the sinks
//! ([`MergeSinks`]) and the tally ([`PlaceholderTally`]: classify's
//! `BlockTally`, which this crate does not know).

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::net::IpAddr;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo};

use crate::merge::{LineShard, merge_lines};
use crate::record::ptr_names;
use crate::shard_set::{ShardSetError, check_address_count, check_shard_set};
use crate::{Format, GateOptions, GateOutcome, Report, ReportDoc, ReportError, ReportMeta, Sink};

/// The placeholder tally `merge` feeds with every named address, in address
/// order; its block findings go into the merged report.
pub trait PlaceholderTally: Send {
    /// Counts one address by its first PTR name as written in a report
    /// (presentation form).
    fn observe_name(
        &mut self,
        ip: IpAddr,
        block: &Arc<BlockInfo>,
        expected: Option<&str>,
        first_ptr: &str,
    );
    /// The block findings.
    fn finish(self: Box<Self>) -> Vec<BlockFinding>;
}

/// Opens the merged report's outputs once the merged run's metadata is known.
pub trait MergeSinks {
    /// The sinks of every requested output, except `json` on standard
    /// output when `json_copied` (it is then copied from the shards' lines
    /// through [`MergeSinks::stdout`]).
    fn open(
        &mut self,
        meta: &ReportMeta,
        json_copied: bool,
    ) -> Result<Vec<Box<dyn Sink>>, Box<dyn std::error::Error + Send + Sync>>;
    /// Standard output, for the `json` copied from the lines.
    fn stdout(&mut self) -> Box<dyn Write + Send>;
}

/// What `merge` was asked for.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    /// The shards' reports (`-` is standard input, which only the full path reads).
    pub paths: Vec<PathBuf>,
    /// This tool's version: only its own `json` documents take the streamed path.
    pub tool_version: String,
    /// The gate's options.
    pub gate: GateOptions,
    /// The format on standard output, if any.
    pub stdout: Option<Format>,
    /// Whether report files (`--output`) are asked too.
    pub files: bool,
}

/// Why shards could not be merged.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard could not be read.
    #[error("cannot read `{}`", .path.display())]
    Open {
        /// The shard.
        path: PathBuf,
        /// What went wrong.
        source: ReportError,
    },
    /// Reading or writing the merged report failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The shards are not one whole scan.
    #[error(transparent)]
    ShardSet(#[from] ShardSetError),
    /// An output could not be opened.
    #[error(transparent)]
    Outputs(Box<dyn std::error::Error + Send + Sync>),
    /// A sink failed while the merged report was written.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The streamed path, for `json` shards written by this version: their
/// record lines are merged in address order ([`merge_lines`]). `json` on
/// stdout is copied from the lines without building model records; for
/// other formats and files the lines are read again and parsed one at a
/// time. `Ok(None)` when the shards are not all `json` documents of this
/// version laid out as it writes them (or one is standard input): nothing
/// has been written then, and the caller reads them whole for
/// [`merge_full`].
pub fn merge_streamed(
    request: &MergeRequest,
    sinks: &mut dyn MergeSinks,
    tally: Box<dyn PlaceholderTally>,
) -> Result<Option<GateOutcome>, MergeError> {
    if request.paths.iter().any(|p| p.as_os_str() == "-") {
        return Ok(None);
    }
    let mut shards = Vec::new();
    for path in &request.paths {
        let shard = LineShard::open(path).map_err(|source| MergeError::Open {
            path: path.clone(),
            source,
        })?;
        match shard {
            Some(s)
                if s.doc()
                    .meta
                    .as_ref()
                    .is_some_and(|m| m.tool_version == request.tool_version) =>
            {
                shards.push(s)
            }
            _ => return Ok(None),
        }
    }
    let docs: Vec<&ReportDoc> = shards.iter().map(LineShard::doc).collect();
    let Some(meta) = check_shard_set(&docs)? else {
        return Ok(None);
    };
    let finished_at = docs
        .iter()
        .filter_map(|d| d.finished_at.clone())
        .max()
        .unwrap_or_else(|| meta.started_at.clone());
    if request.stdout != Some(Format::Json) || request.files {
        let listed: Vec<Arc<BlockInfo>> = docs.iter().flat_map(|d| d.blocks.clone()).collect();
        let Some(mut merged) = merge_lines(shards, request.gate.clone(), &mut |_| {})? else {
            return Ok(None);
        };
        check_address_count(merged.addresses(), &meta)?;
        // `json` on stdout is still copied from the lines (after the other
        // outputs, which yield the block findings): no records to sort.
        let copy_json = request.stdout == Some(Format::Json);
        let mut feed = Feed::open(request, sinks, &meta, &listed, copy_json, tally)?;
        merged.records(&mut |rec| feed.record(&rec))?;
        let (block_findings, outcome) = feed.finish(&finished_at)?;
        if copy_json {
            merged.write(sinks.stdout(), &meta, &finished_at, &block_findings)?;
        }
        return Ok(Some(outcome));
    }
    // The placeholder tally runs on a second thread, fed in batches, while
    // this one reads and counts the records.
    let (merged, block_findings) = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<TallyBatch>(4);
        let counter = scope.spawn(move || {
            let mut tally = tally;
            for batch in receive {
                batch.observe(&mut *tally);
            }
            tally.finish()
        });
        let mut batch = TallyBatch::default();
        let merged = merge_lines(shards, request.gate.clone(), &mut |rec| {
            if let Some(name) = rec.first_ptr {
                batch.push(rec.ip, rec.block, rec.expected, name);
                if batch.names.len() >= TallyBatch::SIZE {
                    // A closed channel means the tally thread panicked: join says so.
                    let _ = send.send(std::mem::take(&mut batch));
                }
            }
        });
        let _ = send.send(batch);
        drop(send);
        let block_findings = counter.join().expect("the tally thread panicked");
        (merged, block_findings)
    });
    let Some(merged) = merged? else {
        return Ok(None);
    };
    check_address_count(merged.addresses(), &meta)?;
    let (_, outcome) = merged.write(sinks.stdout(), &meta, &finished_at, &block_findings)?;
    Ok(Some(outcome))
}

/// The full path: every shard read whole (`docs`, in the order given),
/// every record held in address order, then fed to the sinks (memory grows
/// with the scope). Refuses what the streamed path refuses.
pub fn merge_full(
    docs: Vec<ReportDoc>,
    request: &MergeRequest,
    sinks: &mut dyn MergeSinks,
    tally: Box<dyn PlaceholderTally>,
) -> Result<GateOutcome, MergeError> {
    let meta = check_shard_set(&docs.iter().collect::<Vec<_>>())?;
    let finished_at = docs.iter().filter_map(|d| d.finished_at.clone()).max();
    let listed: Vec<Arc<BlockInfo>> = docs.iter().flat_map(|d| d.blocks.clone()).collect();
    let mut records: BTreeMap<IpAddr, AddressRecord> = BTreeMap::new();
    for doc in docs {
        for rec in doc.records {
            let ip = rec.target.ip;
            if records.insert(ip, rec).is_some() {
                return Err(ShardSetError::AddressTwice { ip }.into());
            }
        }
    }
    if let Some(meta) = &meta {
        check_address_count(records.len() as u64, meta)?;
    }
    let meta = meta.unwrap_or_else(|| ReportMeta::new(request.tool_version.clone(), ""));
    let finished_at = finished_at.unwrap_or_else(|| meta.started_at.clone());
    let mut feed = Feed::open(request, sinks, &meta, &listed, false, tally)?;
    for rec in records.values() {
        feed.record(rec)?;
    }
    let (_, outcome) = feed.finish(&finished_at)?;
    Ok(outcome)
}

/// The merged report being written through the sinks: what both paths
/// feed, one record at a time in address order.
struct Feed {
    report: Report,
    tally: Box<dyn PlaceholderTally>,
    blocks_seen: HashSet<IpNet>,
}

impl Feed {
    /// Opens the sinks and lists the shards' blocks.
    fn open(
        request: &MergeRequest,
        sinks: &mut dyn MergeSinks,
        meta: &ReportMeta,
        listed: &[Arc<BlockInfo>],
        json_copied: bool,
        tally: Box<dyn PlaceholderTally>,
    ) -> Result<Feed, MergeError> {
        let mut report = Report::new(request.gate.clone());
        for sink in sinks.open(meta, json_copied).map_err(MergeError::Outputs)? {
            report.add_sink(sink);
        }
        for block in listed {
            report.add_block(block);
        }
        Ok(Feed {
            report,
            tally,
            blocks_seen: HashSet::new(),
        })
    }

    /// Takes the next record (in address order).
    fn record(&mut self, rec: &AddressRecord) -> io::Result<()> {
        let target = &rec.target;
        if self.blocks_seen.insert(target.block.cidr) {
            self.report.add_block(&target.block);
        }
        if let Some(first) = ptr_names(&rec.lookup.answer).first() {
            self.tally.observe_name(
                target.ip,
                &target.block,
                target.expected_ptr.as_deref(),
                first.as_str(),
            );
        }
        self.report.record(rec)
    }

    /// Writes the block findings, summary and gate, and closes every sink;
    /// returns the block findings and the gate's decision.
    fn finish(self, finished_at: &str) -> Result<(Vec<BlockFinding>, GateOutcome), MergeError> {
        let block_findings = self.tally.finish();
        let (_, outcome) = self.report.finish(finished_at, true, &block_findings)?;
        Ok((block_findings, outcome))
    }
}

/// Named records for the placeholder tally, owned so they can go to another
/// thread: the names in one buffer.
#[derive(Default)]
struct TallyBatch {
    text: String,
    names: Vec<Named>,
}

/// One named address of a [`TallyBatch`]: address, block, expected name and
/// first PTR name (the names as ranges of the batch's text).
type Named = (IpAddr, Arc<BlockInfo>, Option<Range<usize>>, Range<usize>);

impl TallyBatch {
    /// Records per batch.
    const SIZE: usize = 4096;

    fn push(&mut self, ip: IpAddr, block: &Arc<BlockInfo>, expected: Option<&str>, name: &str) {
        let mut add = |s: &str| {
            let start = self.text.len();
            self.text.push_str(s);
            start..self.text.len()
        };
        let expected = expected.map(&mut add);
        let name = add(name);
        self.names.push((ip, block.clone(), expected, name));
    }

    fn observe(&self, tally: &mut dyn PlaceholderTally) {
        for (ip, block, expected, name) in &self.names {
            let expected = expected.clone().map(|r| &self.text[r]);
            tally.observe_name(*ip, block, expected, &self.text[name.clone()]);
        }
    }
}
