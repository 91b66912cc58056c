//! `ptr-audit merge`: combines the reports of the shards of one scan
//! (`--shard K/N`, json or jsonl) into the report a single scan would have
//! written. Refuses shards of different inventories or settings, and an
//! incomplete or interrupted set, naming what is missing.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use ptr_audit_classify::BlockTally;
use ptr_audit_model::{BlockFinding, BlockInfo};
use ptr_audit_report::{
    Format, MergeRequest, MergeSinks, PlaceholderTally, ReportMeta, Sink, SinkOptions, merge_full,
    merge_streamed,
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
/// `json` shards written by this version are merged in flat memory
/// (`ptr_audit_report::merge_streamed`); anything else (`jsonl`,
/// reformatted documents, other versions, stdin) is read whole into memory
/// (`ptr_audit_report::merge_full`).
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
    let request = MergeRequest {
        paths: args.reports.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        gate: gate.options.clone(),
        stdout: to_stdout,
        files: !args.outputs.is_empty(),
    };
    let mut sinks = Sinks {
        args: &args,
        gate: &gate,
        to_stdout,
        files: Outputs::default(),
    };
    let outcome = match merge_streamed(&request, &mut sinks, tally())? {
        Some(outcome) => outcome,
        None => {
            let mut docs = Vec::new();
            for path in &args.reports {
                docs.push(crate::input::read_report(path)?);
            }
            merge_full(docs, &request, &mut sinks, tally())?
        }
    };
    sinks.files.commit()?;
    Ok(gate.exit(&outcome, to_stdout == Some(Format::Table)))
}

/// The placeholder tally (classify's), as `report` takes it.
fn tally() -> Box<dyn PlaceholderTally> {
    Box::new(Tally(BlockTally::new()))
}

struct Tally(BlockTally);

impl PlaceholderTally for Tally {
    fn observe_name(
        &mut self,
        ip: IpAddr,
        block: &Arc<BlockInfo>,
        expected: Option<&str>,
        first_ptr: &str,
    ) {
        self.0.observe_name(ip, block, expected, first_ptr);
    }

    fn finish(self: Box<Self>) -> Vec<BlockFinding> {
        self.0.finish()
    }
}

/// The merged report's outputs: stdout in `to_stdout`, each `--output`
/// file (put in place once complete).
struct Sinks<'a> {
    args: &'a Args,
    gate: &'a Gate,
    to_stdout: Option<Format>,
    files: Outputs,
}

impl MergeSinks for Sinks<'_> {
    fn open(
        &mut self,
        meta: &ReportMeta,
        json_copied: bool,
    ) -> Result<Vec<Box<dyn Sink>>, Box<dyn std::error::Error + Send + Sync>> {
        let options = SinkOptions {
            color: crate::color::stdout(),
            fail_on: self.gate.options.fail_on,
            hostname: super::hostname(),
            ..SinkOptions::default()
        };
        let mut sinks = Vec::new();
        if let Some(format) = self.to_stdout.filter(|_| !json_copied) {
            sinks.push(ptr_audit_report::sink(
                format,
                crate::output::stdout(),
                meta,
                &options,
            )?);
        }
        for (format, path) in &self.args.outputs {
            let out = self.files.open(path)?;
            sinks.push(ptr_audit_report::sink(*format, out, meta, &options)?);
        }
        Ok(sinks)
    }

    fn stdout(&mut self) -> Box<dyn std::io::Write + Send> {
        crate::output::stdout()
    }
}
