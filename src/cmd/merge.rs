//! `ptr-audit merge`: combines the reports of the shards of one scan
//! (`--shard K/N`, json or jsonl) into the report a single scan would have
//! written. Refuses shards of different inventories or settings, and an
//! incomplete or interrupted set, naming what is missing.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use ipnet::IpNet;
use ptr_audit_classify::BlockTally;
use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo};
use ptr_audit_report::{
    Format, GateOutcome, LineShard, Report, ReportDoc, ReportMeta, ShardSetError, SinkOptions,
    check_address_count, check_shard_set,
};

use super::gate::{Gate, GateArgs};
use crate::exit::ExitCode;
use crate::output::Outputs;

/// Arguments of `ptr-audit merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shards' reports (json; jsonl is accepted without the completeness checks it cannot
    /// support); `-` reads one from stdin.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Report format on stdout (default: json, unless an `--output` is given).
    #[arg(long, value_name = "FORMAT", value_parser = super::format_parser())]
    pub format: Option<Format>,
    /// Also write a report to a file (repeatable): `sarif=merged.sarif`; `json=-` is stdout.
    /// A file is replaced only once the merged report is complete.
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = super::scan::parse_output)]
    pub outputs: Vec<(Format, PathBuf)>,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Runs `merge`: exit 2 when the set cannot be merged; otherwise the merged
/// report is written and gated like `scan`'s (exit 1 when the gate fails).
///
/// `json` shards written by this version are merged in flat memory by
/// [`run_lines`]; anything else (`jsonl`, reformatted documents, other
/// versions) is read whole into memory by [`run_full`].
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args
        .reports
        .iter()
        .filter(|p| crate::input::is_stdin(p))
        .count()
        > 1
    {
        bail!("`-` (standard input) can be given once");
    }
    let to_stdout = crate::output::stdout_format(args.format, &args.outputs, Format::Json)?;
    let gate = args.gate.gate()?;
    let outcome = match run_lines(&args, to_stdout, &gate)? {
        Some(outcome) => outcome,
        None => run_full(&args, to_stdout, &gate)?,
    };
    Ok(gate.exit(&outcome, to_stdout == Some(Format::Table)))
}

/// The fallback: reads every shard whole, holds all records in address
/// order, then feeds them to the report (memory grows with the scope).
fn run_full(args: &Args, to_stdout: Option<Format>, gate: &Gate) -> anyhow::Result<GateOutcome> {
    let mut docs = Vec::new();
    for path in &args.reports {
        docs.push(crate::input::read_report(path)?);
    }
    let meta = check_shard_set(&docs.iter().collect::<Vec<_>>())?;
    let finished_at = docs.iter().filter_map(|d| d.finished_at.clone()).max();
    let listed: Vec<Arc<BlockInfo>> = docs.iter().flat_map(|d| d.blocks.clone()).collect();
    let mut records: BTreeMap<std::net::IpAddr, AddressRecord> = BTreeMap::new();
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

    let meta = meta.unwrap_or_else(|| ReportMeta::new(env!("CARGO_PKG_VERSION"), ""));
    let finished_at = finished_at.unwrap_or_else(|| meta.started_at.clone());
    let mut out = Output::open(args, gate, &meta, &listed, to_stdout)?;
    for rec in records.values() {
        out.record(rec)?;
    }
    let (_, outcome, files) = out.finish(&finished_at)?;
    files.commit()?;
    Ok(outcome)
}

/// The merged report being written through the sinks: what both the
/// streaming and the fallback path feed, one record at a time in address
/// order.
struct Output {
    report: Report,
    /// The `--output` files, put in place once complete.
    files: Outputs,
    tally: BlockTally,
    blocks_seen: HashSet<IpNet>,
}

impl Output {
    /// Creates the sinks (stdout in `to_stdout`, each `--output` file) and
    /// lists the shards' blocks.
    fn open(
        args: &Args,
        gate: &Gate,
        meta: &ReportMeta,
        listed: &[Arc<BlockInfo>],
        to_stdout: Option<Format>,
    ) -> anyhow::Result<Output> {
        let options = SinkOptions {
            color: crate::color::stdout(),
            fail_on: gate.options.fail_on,
            hostname: super::hostname(),
            ..SinkOptions::default()
        };
        let mut report = Report::new(gate.options.clone());
        if let Some(format) = to_stdout {
            report.add_sink(ptr_audit_report::sink(
                format,
                crate::output::stdout(),
                meta,
                &options,
            )?);
        }
        let mut files = Outputs::default();
        for (format, path) in &args.outputs {
            let out = files.open(path)?;
            report.add_sink(ptr_audit_report::sink(*format, out, meta, &options)?);
        }
        for block in listed {
            report.add_block(block);
        }
        Ok(Output {
            report,
            files,
            tally: BlockTally::new(),
            blocks_seen: HashSet::new(),
        })
    }

    /// Takes the next record (in address order).
    fn record(&mut self, rec: &AddressRecord) -> std::io::Result<()> {
        if self.blocks_seen.insert(rec.target.block.cidr) {
            self.report.add_block(&rec.target.block);
        }
        self.tally.observe(&rec.target, &rec.lookup);
        self.report.record(rec)
    }

    /// Writes the block findings, summary and gate, and closes every sink;
    /// returns the block findings, the gate's decision and the files to put
    /// in place.
    fn finish(
        self,
        finished_at: &str,
    ) -> std::io::Result<(Vec<BlockFinding>, GateOutcome, Outputs)> {
        let block_findings = self.tally.finish();
        let (_, outcome) = self.report.finish(finished_at, true, &block_findings)?;
        Ok((block_findings, outcome, self.files))
    }
}

/// The path for `json` shards written by this version: their record lines
/// are merged in address order (see `ptr_audit_report::merge_lines`). `json`
/// on stdout is copied from the lines without building model records; for
/// other formats and `--output` files the lines are read again and parsed
/// one at a time for the sinks ([`LineMerge::records`]). `None` when the shards
/// are not all `json` documents written by this version, or not laid out as
/// it writes them: nothing has been written then, and the caller takes the
/// full path.
fn run_lines(
    args: &Args,
    to_stdout: Option<Format>,
    gate: &Gate,
) -> anyhow::Result<Option<GateOutcome>> {
    let mut shards = Vec::new();
    if args.reports.iter().any(|p| crate::input::is_stdin(p)) {
        return Ok(None);
    }
    for path in &args.reports {
        let shard =
            LineShard::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        match shard {
            Some(s)
                if s.doc()
                    .meta
                    .as_ref()
                    .is_some_and(|m| m.tool_version == env!("CARGO_PKG_VERSION")) =>
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
    if to_stdout != Some(Format::Json) || !args.outputs.is_empty() {
        let listed: Vec<Arc<BlockInfo>> = docs.iter().flat_map(|d| d.blocks.clone()).collect();
        let Some(mut merged) =
            ptr_audit_report::merge_lines(shards, gate.options.clone(), &mut |_| {})?
        else {
            return Ok(None);
        };
        check_address_count(merged.addresses(), &meta)?;
        // `json` on stdout is still copied from the lines (after the other
        // outputs, which yield the block findings): no records to sort.
        let copy_json = to_stdout == Some(Format::Json);
        let sink_stdout = to_stdout.filter(|_| !copy_json);
        let mut out = Output::open(args, gate, &meta, &listed, sink_stdout)?;
        merged.records(&mut |rec| out.record(&rec))?;
        let (block_findings, outcome, files) = out.finish(&finished_at)?;
        if copy_json {
            merged.write(
                crate::output::stdout(),
                &meta,
                &finished_at,
                &block_findings,
            )?;
        }
        files.commit()?;
        return Ok(Some(outcome));
    }
    // The placeholder tally runs on a second thread, fed in batches, while
    // this one reads and counts the records.
    let (merged, block_findings) = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<TallyBatch>(4);
        let counter = scope.spawn(move || {
            let mut tally = BlockTally::new();
            for batch in receive {
                batch.observe(&mut tally);
            }
            tally.finish()
        });
        let mut batch = TallyBatch::default();
        let merged = ptr_audit_report::merge_lines(shards, gate.options.clone(), &mut |rec| {
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
    let (_, outcome) = merged.write(
        crate::output::stdout(),
        &meta,
        &finished_at,
        &block_findings,
    )?;
    Ok(Some(outcome))
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

    fn observe(&self, tally: &mut BlockTally) {
        for (ip, block, expected, name) in &self.names {
            let expected = expected.clone().map(|r| &self.text[r]);
            tally.observe_name(*ip, block, expected, &self.text[name.clone()]);
        }
    }
}
