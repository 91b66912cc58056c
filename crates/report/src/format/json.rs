//! `json`: one document with the run's metadata, the summary, the gate's
//! decision, per-block counts, block findings, and last the per-address
//! records sorted by address. Records are collected in a [`Spool`] (bounded memory) and
//! written sorted at the end, so shards merged by address give the same bytes
//! as a single scan.

use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, BlockFinding, SourceLocation};

use crate::json_text::{KeyOrder, Obj, build, push_array, push_str, to_string};
use crate::record::write::RecordWriter;
use crate::spool::Spool;
use crate::summary::Counts;
use crate::{AddressJudgement, GateOutcome, ReportEnd, ReportMeta, Sink, SinkOptions, Summary};

/// The `format` value of the envelope.
pub(crate) const FORMAT_NAME: &str = "ptr-audit-report";
/// The `format_version` of the envelope.
pub(crate) const FORMAT_VERSION: u32 = 3;
/// The oldest `format_version` still read: version 2 lacks only the
/// blocklist answers (read as none asked) and `blocks[].expect_pbl`.
pub(crate) const OLDEST_READ: u32 = 2;

/// Counts as `{"ok": n, "lookup-failed": n, ...}` (every status, zeros included).
pub(crate) fn by_status(out: &mut String, counts: &Counts) {
    counts
        .iter()
        .fold(Obj::open(out), |o, (s, n)| o.field(s.as_str(), &n))
        .close();
}

fn inventory(out: &mut String, meta: &ReportMeta) {
    Obj::open(out)
        .with("files", |out| {
            push_array(out, &meta.inventory_files, |out, p| {
                push_str(out, &p.to_string_lossy())
            })
        })
        .field("scope", &meta.scope)
        .field("changed_since", &meta.changed_since)
        .field("shard", &meta.shard.map(|s| s.to_string()))
        .field("provider_domains", &meta.provider_domains)
        .close();
}

fn settings(out: &mut String, meta: &ReportMeta) {
    Obj::open(out)
        .field("resolvers", &meta.resolvers)
        .field("zones", &meta.zones)
        .field("qps", &meta.qps)
        .field("concurrency", &meta.concurrency)
        .field("timeout_ms", &meta.timeout_ms)
        .field("attempts", &meta.attempts)
        .field("authoritative", &meta.authoritative)
        .field("dnsbl", &meta.dnsbl)
        .field("dnsbl_resolvers", &meta.dnsbl_resolvers)
        .field("psl", &meta.psl)
        .close();
}

/// One entry of `block_findings`: `datacenter`, `block`, `finding`.
pub(crate) fn block_finding(bf: &BlockFinding) -> String {
    let mut out = String::new();
    Obj::open(&mut out)
        .field("datacenter", &*bf.block.datacenter)
        .field("block", &bf.block.cidr.to_string())
        .with("finding", |out| {
            RecordWriter::new().write_finding(out, &bf.finding)
        })
        .close();
    out
}

/// One entry of `blocks`: the block as the inventory declares it, then its counts.
fn block(out: &mut String, summary: &crate::BlockSummary) {
    let b = &summary.block;
    Obj::open(out)
        .field("datacenter", &*b.datacenter)
        .field("cidr", &b.cidr.to_string())
        .field("policy", b.policy.as_str())
        .field("expect_ptr", &b.expect_ptr)
        .field("migrated_from", &b.migrated_from.as_deref())
        .with("severities", |out| {
            b.severities
                .0
                .iter()
                .fold(Obj::open(out), |o, (code, sev)| {
                    o.field(code.as_str(), sev.as_str())
                })
                .close()
        })
        .with("source", |out| source(out, &b.source))
        .field("expect_pbl", &b.expect_pbl)
        .field("addresses", &summary.counts.total)
        .with("by_status", |out| by_status(out, &summary.counts))
        .close();
}

/// A block's source: `file`, `line`.
fn source(out: &mut String, src: &SourceLocation) {
    Obj::open(out)
        .field("file", &src.file.to_string_lossy())
        .field("line", &src.line)
        .close();
}

fn summary(out: &mut String, summary: &Summary) {
    Obj::open(out)
        .field("addresses", &summary.total.total)
        .field("failing", &summary.total.failing())
        .with("by_status", |out| by_status(out, &summary.total))
        .with("findings", |out| {
            summary
                .findings
                .iter()
                .fold(Obj::open(out), |o, (c, n)| o.field(c.as_str(), n))
                .close()
        })
        .with("datacenters", |out| {
            push_array(out, &summary.datacenters, |out, d| {
                Obj::open(out)
                    .field("name", &*d.name)
                    .field("addresses", &d.counts.total)
                    .with("by_status", |out| by_status(out, &d.counts))
                    .close()
            })
        })
        .close();
}

/// The gate's decision as the `json` document's `gate` holds it (`keys`
/// gives the order of its fields, and of every object inside it).
pub(crate) fn gate(out: &mut String, g: &GateOutcome, keys: KeyOrder) {
    let baseline = |out: &mut String| match &g.baseline {
        Some(b) => keys
            .obj()
            .field("path", &b.path.to_string_lossy())
            .field("new", &b.new)
            .field("fixed", &b.fixed)
            .field("unchanged", &b.unchanged)
            .close(out),
        None => out.push_str("null"),
    };
    let expired = |out: &mut String| {
        push_array(out, &g.expired, |out, e| {
            keys.obj()
                .field("scope", &e.scope.to_string())
                .field("code", e.code.as_str())
                .field("expires", &e.expires.to_string())
                .field("reason", &e.reason)
                .field("file", &e.source.file.to_string_lossy())
                .field("line", &e.source.line)
                .field("matched", &e.matched)
                .close(out)
        })
    };
    keys.obj()
        .field("failed", &g.failed)
        .field("fail_on", g.fail_on.as_str())
        .field("max_unknown_percent", &g.max_unknown_percent)
        .field("failing", &g.failing)
        .field("unknown", &g.unknown)
        .field("suppressed", &g.suppressed)
        .with("baseline", baseline)
        .with("expired_suppressions", expired)
        .field("reasons", &g.reasons)
        .close(out);
}

/// Writes `"key": [` items `]` with one item per line.
fn list(out: &mut dyn Write, key: &str, items: &[String], last: bool) -> io::Result<()> {
    if items.is_empty() {
        write!(out, "  \"{key}\": []")?;
    } else {
        writeln!(out, "  \"{key}\": [")?;
        for (i, item) in items.iter().enumerate() {
            let sep = if i + 1 < items.len() { "," } else { "" };
            writeln!(out, "    {item}{sep}")?;
        }
        write!(out, "  ]")?;
    }
    writeln!(out, "{}", if last { "" } else { "," })
}

pub(crate) struct JsonSink {
    out: Box<dyn Write + Send>,
    spool: Option<Spool>,
    writer: RecordWriter,
    /// The record being written (reused).
    line: String,
}

impl JsonSink {
    pub(crate) fn new(
        mut out: Box<dyn Write + Send>,
        meta: &ReportMeta,
        options: &SinkOptions,
    ) -> io::Result<Self> {
        writeln!(out, "{{")?;
        writeln!(out, "  \"format\": \"{FORMAT_NAME}\",")?;
        writeln!(out, "  \"format_version\": {FORMAT_VERSION},")?;
        writeln!(
            out,
            "  \"tool_version\": {},",
            to_string(&meta.tool_version)
        )?;
        writeln!(out, "  \"started_at\": {},", to_string(&meta.started_at))?;
        writeln!(out, "  \"inventory\": {},", build(|o| inventory(o, meta)))?;
        writeln!(out, "  \"settings\": {},", build(|o| settings(o, meta)))?;
        Ok(Self {
            out,
            spool: Some(Spool::new(options.sort_memory)),
            writer: RecordWriter::new(),
            line: String::with_capacity(1024),
        })
    }
}

impl Sink for JsonSink {
    fn record(&mut self, rec: &AddressRecord, _judgement: &AddressJudgement) -> io::Result<()> {
        self.line.clear();
        self.writer.write(&mut self.line, rec);
        self.spool
            .as_mut()
            .ok_or_else(|| io::Error::other("json report already finished"))?
            .push(rec.target.ip, &self.line)
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let spool = self
            .spool
            .take()
            .ok_or_else(|| io::Error::other("json report already finished"))?;
        self.finish_with(end, |each| spool.drain(each))
    }
}

impl JsonSink {
    /// Writes everything after the header, the records coming from `records`,
    /// which must hand each record line (compact JSON, no newline) to the
    /// callback it is given, in address order.
    pub(crate) fn finish_with(
        &mut self,
        end: &ReportEnd<'_>,
        records: impl FnOnce(&mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.spool = None;
        let out = &mut self.out;
        writeln!(out, "  \"finished_at\": {},", to_string(end.finished_at))?;
        writeln!(out, "  \"complete\": {},", end.complete)?;
        writeln!(
            out,
            "  \"summary\": {},",
            build(|o| summary(o, end.summary))
        )?;
        let gate = build(|o| gate(o, end.gate, KeyOrder::Written));
        writeln!(out, "  \"gate\": {gate},")?;
        let blocks: Vec<String> = end
            .summary
            .blocks
            .iter()
            .map(|b| build(|o| block(o, b)))
            .collect();
        list(out, "blocks", &blocks, false)?;
        let mut sorted: Vec<&BlockFinding> = end.block_findings.iter().collect();
        sorted.sort_by_key(|a| (a.block.key(), a.finding.code));
        let bfs: Vec<String> = sorted.into_iter().map(block_finding).collect();
        list(out, "block_findings", &bfs, false)?;
        // The records last: everything above is small and readable with `head`.
        write!(out, "  \"records\": [")?;
        let mut first = true;
        records(&mut |line| {
            out.write_all(if first { b"\n    " } else { b",\n    " })?;
            out.write_all(line)?;
            first = false;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n  " })?;
        writeln!(out, "}}")?;
        out.flush()
    }
}
