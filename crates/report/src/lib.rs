//! The reports of a ptr-audit scan, and the CI gate over them.
//!
//! A scan streams [`AddressRecord`]s into one [`Sink`] per requested output
//! ([`sink`] makes one for a [`Format`]: `table`, `json`, `jsonl`, `csv`,
//! `markdown`, `sarif`, `junit`, `github`, `html`), while a [`SummaryBuilder`] counts
//! statuses and a [`Gate`] decides the exit status from `--fail-on`,
//! `--max-unknown`, a [`Baseline`] and [`Suppressions`]. At the end every sink
//! gets a [`ReportEnd`] with the [`Summary`] and [`GateOutcome`]. [`Report`]
//! bundles the three for a caller that does not need them apart, and hands
//! each sink the gate's [`AddressJudgement`] on each record (so formats can mark
//! suppressed and baseline findings).
//! [`read_report`] reads `json`/`jsonl` reports back (for baselines, `merge`
//! and `fix`); [`read_report_with`] streams their records in flat memory;
//! [`merge_streamed`] and [`merge_full`] merge shard reports into one;
//! [`json_text`] is the one writer of JSON text;
//! [`render_html`] draws a saved report as the `html` page; and
//! [`fix`] turns a report into the DNS records to publish.
//!
//! The wire format of the per-address record is a stable contract, documented
//! in `docs/report-format.md`; the model types have no `Serialize` of their own.
//! Every value that came from DNS is escaped for the syntax it is written into
//! (see [`escape`]).
//!
//! ```
//! use ptr_audit_report::{Format, GateOptions, Report, ReportMeta, SinkOptions, sink};
//! let meta = ReportMeta::new("0.1.0", "2026-11-28T19:40:05Z");
//! let mut report = Report::new(GateOptions::default());
//! let out: Vec<u8> = Vec::new();
//! report.add_sink(sink(Format::Jsonl, Box::new(out), &meta, &SinkOptions::default()).unwrap());
//! // for rec in scan { report.record(&rec)?; }
//! let (summary, gate) = report.finish("2026-11-28T19:41:00Z", true, &[]).unwrap();
//! assert_eq!(summary.total.total, 0);
//! assert!(!gate.failed);
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod baseline;
mod error;
pub mod escape;
pub mod fix;
mod format;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod gate;
pub mod json_text;
mod merge;
mod merge_set;
mod read;
mod record;
mod render;
mod shard_set;
mod spool;
mod summary;
mod suppress;
pub mod time;

use std::io::{self, Write};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo, Severity, Shard};

pub use baseline::Baseline;
pub use error::ReportError;
pub use gate::{
    AddressJudgement, BaselineCounts, ExpiredSuppression, Gate, GateOptions, GateOutcome, Judged,
};
pub use merge_set::{
    MergeError, MergeRequest, MergeSinks, PlaceholderTally, merge_full, merge_streamed,
};
pub use read::{DocKind, ReportDoc, read_report, read_report_str, read_report_with};
pub use render::{Rendered, render_html};
pub use shard_set::ShardSetError;
pub use summary::{BlockSummary, Counts, DatacenterSummary, Summary, SummaryBuilder, all_statuses};
pub use suppress::{SuppressScope, Suppression, Suppressions};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Readable summary for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// One JSON record per line, streamed.
    Jsonl,
    /// One row per address.
    Csv,
    /// A pull-request comment.
    Markdown,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// JUnit XML, one test case per block.
    Junit,
    /// GitHub Actions workflow commands.
    Github,
    /// A self-contained page with a map of the address space.
    Html,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 9] = [
        Format::Table,
        Format::Json,
        Format::Jsonl,
        Format::Csv,
        Format::Markdown,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Html,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Html => "html",
        }
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown format `{0}` (known: table, json, jsonl, csv, markdown, sarif, junit, github, html)"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s || (s == "md" && *f == Format::Markdown))
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a report says about the run itself (written in the `json` envelope,
/// the SARIF invocation and the human formats' headers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportMeta {
    /// The ptr-audit version.
    pub tool_version: String,
    /// The inventory files (or `-`/`<args>` for plain input).
    pub inventory_files: Vec<PathBuf>,
    /// The resolvers used, as `IP:PORT` (or a description such as `system`).
    pub resolvers: Vec<String>,
    /// The zone sources served in-process (`--zones`: directories and
    /// `axfr://SERVER:PORT/ZONE` transfers) as given; empty when DNS was asked.
    pub zones: Vec<String>,
    /// The global lookup budget per second; `None` when unlimited.
    pub qps: Option<u32>,
    /// Lookups in flight.
    pub concurrency: u32,
    /// Timeout per attempt, in milliseconds.
    pub timeout_ms: u64,
    /// Attempts per query.
    pub attempts: u32,
    /// `--authoritative`: every authoritative server was asked as well.
    pub authoritative: bool,
    /// The blocklists asked (`--dnsbl`), as `ZONE=KIND` with a DQS key
    /// shown as `{key}`; empty when none was.
    pub dnsbl: Vec<String>,
    /// The servers the blocklists were asked through (`--dnsbl-resolver`),
    /// `IP:PORT`; empty when they went to `resolvers`.
    pub dnsbl_resolvers: Vec<String>,
    /// The Public Suffix List the names were judged with (`--psl FILE` or
    /// the embedded one), as the classifier describes it with its date;
    /// `None` in reports written before the field existed.
    pub psl: Option<String>,
    /// When the scan started, RFC 3339 (see [`time::rfc3339`]).
    pub started_at: String,
    /// Addresses in scope.
    pub scope: u64,
    /// `--changed-since` as given, when the scan covers only changed addresses.
    pub changed_since: Option<String>,
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// The inventory's `provider.domains`, absolute and lowercase: the
    /// zones `fix --apply` may add forward records to.
    pub provider_domains: Vec<String>,
}

impl ReportMeta {
    /// Metadata with empty settings, for callers that fill in fields one by one.
    pub fn new(tool_version: impl Into<String>, started_at: impl Into<String>) -> Self {
        Self {
            tool_version: tool_version.into(),
            inventory_files: Vec::new(),
            resolvers: Vec::new(),
            zones: Vec::new(),
            qps: None,
            concurrency: 0,
            timeout_ms: 0,
            attempts: 0,
            authoritative: false,
            dnsbl: Vec::new(),
            dnsbl_resolvers: Vec::new(),
            psl: None,
            started_at: started_at.into(),
            scope: 0,
            changed_since: None,
            provider_domains: Vec::new(),
            shard: None,
        }
    }
}

/// What the sinks learn when the scan ends.
#[derive(Clone, Copy, Debug)]
pub struct ReportEnd<'a> {
    /// When the scan ended, RFC 3339.
    pub finished_at: &'a str,
    /// False when the scan was interrupted and some addresses are missing.
    pub complete: bool,
    /// Findings about whole blocks.
    pub block_findings: &'a [BlockFinding],
    /// The gate's judgement of each block finding, in the same order.
    pub block_judged: &'a [Judged],
    /// The counts.
    pub summary: &'a Summary,
    /// The gate's decision.
    pub gate: &'a GateOutcome,
}

/// One output being written as the scan runs.
pub trait Sink: Send {
    /// Takes one address's record (in scan order) with the gate's judgement
    /// of it; formats that show suppressions or baseline state use the judgement,
    /// the others just write the record.
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()>;
    /// Writes whatever comes after the records, and flushes.
    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()>;
}

/// Presentation options shared by the formats.
#[derive(Clone, Debug)]
pub struct SinkOptions {
    /// ANSI colour in `table` (the caller decides: terminal, `NO_COLOR`, `--color`).
    pub color: bool,
    /// The fail level, so `junit` and `markdown` can mark what fails the run.
    pub fail_on: Severity,
    /// At most this many failing addresses are kept for `markdown`'s full
    /// list, and it caps `junit` (at most 50 per block) and `github` (at most
    /// 10 per annotation) too; the rest are counted.
    pub list_limit: usize,
    /// Failing addresses shown before the collapsed list in `markdown`.
    pub markdown_top: usize,
    /// Addresses listed per status in `table` (a terminal is not a spreadsheet).
    pub table_rows: usize,
    /// Flush after every record (`jsonl` for `--checkpoint`, so a crash loses
    /// at most the line being written).
    pub flush_each_record: bool,
    /// Bytes of serialized records the `json` writer sorts in memory before
    /// spilling sorted runs to temporary files.
    pub sort_memory: usize,
    /// The host the report was made on (`junit`'s `hostname`; the caller
    /// looks it up, `localhost` when unknown).
    pub hostname: String,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            color: false,
            fail_on: Severity::Error,
            list_limit: 1000,
            markdown_top: 20,
            table_rows: 25,
            flush_each_record: false,
            sort_memory: 16 << 20,
            hostname: "localhost".to_owned(),
        }
    }
}

/// Makes the sink for `format`, writing to `out`. Formats with a header write
/// it now.
pub fn sink(
    format: Format,
    out: Box<dyn Write + Send>,
    meta: &ReportMeta,
    options: &SinkOptions,
) -> io::Result<Box<dyn Sink>> {
    Ok(match format {
        Format::Table => Box::new(format::table::TableSink::new(out, meta, options)),
        Format::Json => Box::new(format::json::JsonSink::new(out, meta, options)?),
        Format::Jsonl => Box::new(format::jsonl::JsonlSink::new(out, options)),
        Format::Csv => Box::new(format::csv::CsvSink::new(out)?),
        Format::Markdown => Box::new(format::markdown::MarkdownSink::new(out, meta, options)),
        Format::Sarif => Box::new(format::sarif::SarifSink::new(out, meta)?),
        Format::Junit => Box::new(format::junit::JunitSink::new(out, meta, options)),
        Format::Github => Box::new(format::github::GithubSink::new(out, meta, options)),
        Format::Html => Box::new(format::html::HtmlSink::new(out, meta)),
    })
}

/// Sinks, summary and gate driven together: what `scan` and `merge` need.
pub struct Report {
    sinks: Vec<Box<dyn Sink>>,
    summary: SummaryBuilder,
    gate: Gate,
}

impl Report {
    /// A report with no sinks yet.
    pub fn new(gate: GateOptions) -> Self {
        Self {
            sinks: Vec::new(),
            summary: SummaryBuilder::new(),
            gate: Gate::new(gate),
        }
    }

    /// Adds an output.
    pub fn add_sink(&mut self, sink: Box<dyn Sink>) {
        self.sinks.push(sink);
    }

    /// Makes sure a block is listed in the summary even with no record.
    pub fn add_block(&mut self, block: &Arc<BlockInfo>) {
        self.summary.add_block(block);
    }

    /// Takes one record: counted, judged, written to every sink.
    pub fn record(&mut self, rec: &AddressRecord) -> io::Result<()> {
        self.summary.observe(rec);
        let judgement = self.gate.observe(rec);
        for s in &mut self.sinks {
            s.record(rec, &judgement)?;
        }
        Ok(())
    }

    /// Ends the report: judges the block findings, finishes every sink, and
    /// returns the summary and the gate's decision.
    pub fn finish(
        mut self,
        finished_at: &str,
        complete: bool,
        block_findings: &[BlockFinding],
    ) -> io::Result<(Summary, GateOutcome)> {
        let block_judged: Vec<Judged> = block_findings
            .iter()
            .map(|bf| self.gate.observe_block(bf))
            .collect();
        let summary = self.summary.finish();
        let gate = self.gate.finish();
        let end = ReportEnd {
            finished_at,
            complete,
            block_findings,
            block_judged: &block_judged,
            summary: &summary,
            gate: &gate,
        };
        for s in &mut self.sinks {
            s.finish(&end)?;
        }
        Ok((summary, gate))
    }
}
