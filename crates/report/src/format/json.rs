//! `json`: one document with the run's metadata, the summary, the gate's
//! decision, per-block counts, block findings, and last the per-address
//! records sorted by address. Records are collected in a [`Spool`] (bounded memory) and
//! written sorted at the end, so shards merged by address give the same bytes
//! as a single scan.

use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, BlockFinding};
use serde::Serialize;

use crate::record::views::{BlockInfoOut, FindingOut};
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

/// Builds a compact JSON object with fields in the order they are added.
pub(crate) struct Obj(String);

impl Obj {
    pub(crate) fn new() -> Self {
        Obj(String::from("{"))
    }

    pub(crate) fn field(mut self, key: &str, value: &(impl Serialize + ?Sized)) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0
            .push_str(&serde_json::to_string(key).expect("string"));
        self.0.push(':');
        self.0
            .push_str(&serde_json::to_string(value).expect("serializable"));
        self
    }

    /// A field whose value is already JSON text.
    pub(crate) fn raw(mut self, key: &str, json: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0
            .push_str(&serde_json::to_string(key).expect("string"));
        self.0.push(':');
        self.0.push_str(json);
        self
    }

    pub(crate) fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Counts as `{"ok": n, "lookup-failed": n, ...}` (every status, zeros included).
pub(crate) fn by_status(counts: &Counts) -> String {
    counts
        .iter()
        .fold(Obj::new(), |o, (s, n)| o.field(s.as_str(), &n))
        .done()
}

fn inventory(meta: &ReportMeta) -> String {
    let files: Vec<String> = meta
        .inventory_files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Obj::new()
        .field("files", &files)
        .field("scope", &meta.scope)
        .field("changed_since", &meta.changed_since)
        .field("shard", &meta.shard.map(|s| s.to_string()))
        .field("provider_domains", &meta.provider_domains)
        .done()
}

fn settings(meta: &ReportMeta) -> String {
    Obj::new()
        .field("resolvers", &meta.resolvers)
        .field("zones", &meta.zones)
        .field("qps", &meta.qps)
        .field("concurrency", &meta.concurrency)
        .field("timeout_ms", &meta.timeout_ms)
        .field("attempts", &meta.attempts)
        .field("authoritative", &meta.authoritative)
        .field("dnsbl", &meta.dnsbl)
        .field("dnsbl_resolvers", &meta.dnsbl_resolvers)
        .done()
}

pub(crate) fn block_finding(bf: &BlockFinding) -> String {
    Obj::new()
        .field("datacenter", &*bf.block.datacenter)
        .field("block", &bf.block.cidr.to_string())
        .field("finding", &FindingOut(&bf.finding))
        .done()
}

fn blocks(summary: &Summary) -> Vec<String> {
    summary
        .blocks
        .iter()
        .map(|b| {
            struct Fields<'a>(&'a crate::BlockSummary);
            impl Serialize for Fields<'_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::SerializeMap;
                    let mut m = s.serialize_map(None)?;
                    BlockInfoOut(&self.0.block).write_fields(&mut m)?;
                    m.serialize_entry("addresses", &self.0.counts.total)?;
                    m.end()
                }
            }
            let mut head = serde_json::to_string(&Fields(b)).expect("serializable");
            head.pop();
            format!("{head},\"by_status\":{}}}", by_status(&b.counts))
        })
        .collect()
}

fn summary(summary: &Summary) -> String {
    let findings = summary
        .findings
        .iter()
        .fold(Obj::new(), |o, (c, n)| o.field(c.as_str(), n))
        .done();
    let dcs: Vec<String> = summary
        .datacenters
        .iter()
        .map(|d| {
            Obj::new()
                .field("name", &*d.name)
                .field("addresses", &d.counts.total)
                .raw("by_status", &by_status(&d.counts))
                .done()
        })
        .collect();
    Obj::new()
        .field("addresses", &summary.total.total)
        .field("failing", &summary.total.failing())
        .raw("by_status", &by_status(&summary.total))
        .raw("findings", &findings)
        .raw("datacenters", &format!("[{}]", dcs.join(",")))
        .done()
}

pub(crate) fn gate(g: &GateOutcome) -> String {
    let baseline = g.baseline.as_ref().map(|b| {
        Obj::new()
            .field("path", &b.path.to_string_lossy())
            .field("new", &b.new)
            .field("fixed", &b.fixed)
            .field("unchanged", &b.unchanged)
            .done()
    });
    let expired: Vec<String> = g
        .expired
        .iter()
        .map(|e| {
            Obj::new()
                .field("scope", &e.scope.to_string())
                .field("code", e.code.as_str())
                .field("expires", &e.expires.to_string())
                .field("reason", &e.reason)
                .field("file", &e.source.file.to_string_lossy())
                .field("line", &e.source.line)
                .field("matched", &e.matched)
                .done()
        })
        .collect();
    Obj::new()
        .field("failed", &g.failed)
        .field("fail_on", g.fail_on.as_str())
        .field("max_unknown_percent", &g.max_unknown_percent)
        .field("failing", &g.failing)
        .field("unknown", &g.unknown)
        .field("suppressed", &g.suppressed)
        .raw("baseline", baseline.as_deref().unwrap_or("null"))
        .raw("expired_suppressions", &format!("[{}]", expired.join(",")))
        .field("reasons", &g.reasons)
        .done()
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
            serde_json::to_string(&meta.tool_version)?
        )?;
        writeln!(
            out,
            "  \"started_at\": {},",
            serde_json::to_string(&meta.started_at)?
        )?;
        writeln!(out, "  \"inventory\": {},", inventory(meta))?;
        writeln!(out, "  \"settings\": {},", settings(meta))?;
        Ok(Self {
            out,
            spool: Some(Spool::new(options.sort_memory)),
            writer: RecordWriter::new(),
            line: String::with_capacity(1024),
        })
    }
}

impl Sink for JsonSink {
    fn record(&mut self, rec: &AddressRecord, _verdict: &AddressJudgement) -> io::Result<()> {
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
        writeln!(
            out,
            "  \"finished_at\": {},",
            serde_json::to_string(end.finished_at)?
        )?;
        writeln!(out, "  \"complete\": {},", end.complete)?;
        writeln!(out, "  \"summary\": {},", summary(end.summary))?;
        writeln!(out, "  \"gate\": {},", gate(end.gate))?;
        list(out, "blocks", &blocks(end.summary), false)?;
        let mut sorted: Vec<&BlockFinding> = end.block_findings.iter().collect();
        sorted.sort_by(|a, b| {
            (&a.block.datacenter, a.block.cidr, a.finding.code).cmp(&(
                &b.block.datacenter,
                b.block.cidr,
                b.finding.code,
            ))
        });
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
