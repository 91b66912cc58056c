//! `ptr-audit render`: draws a saved `json` (or `jsonl`) report, complete or
//! interrupted, as the `html` page, with the completeness and gate outcome
//! the run recorded (`merge` would refuse an incomplete report and judge it
//! again).

use std::path::PathBuf;

use anyhow::{Context, bail};
use ptr_audit_report::Format;

use crate::exit::ExitCode;
use crate::output::Outputs;

/// Arguments of `ptr-audit render`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The saved report (json, or jsonl without metadata).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The format to draw it in (only `html` reads a report back so far).
    #[arg(long, default_value = "html", value_name = "FORMAT", value_parser = super::format_parser())]
    pub format: Format,
    /// Write to this file instead of stdout (`-`); an existing file is
    /// replaced only once the page is complete.
    #[arg(long, short = 'o', value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
}

/// Runs `render`: exit 0 when the page was written, 2 when the report cannot be read.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.format != Format::Html {
        bail!(
            "`render` writes `html` only; for `{}` run `ptr-audit merge {} --format {}`",
            args.format,
            args.report.display(),
            args.format
        );
    }
    let mut outputs = Outputs::default();
    let out = outputs.open(&args.output)?;
    ptr_audit_report::render_html(&args.report, out)
        .with_context(|| format!("cannot render `{}`", args.report.display()))?;
    outputs.commit()?;
    Ok(ExitCode::Clean)
}
