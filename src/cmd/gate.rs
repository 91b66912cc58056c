//! The CI gate options that `scan` and `merge` share (`--fail-on`,
//! `--max-unknown`, `--baseline`, `--suppress`), turned into the report's
//! [`GateOptions`], and the gate's decision turned into the exit code.

use std::path::PathBuf;

use anyhow::Context;
use ptr_audit_model::Severity;
use ptr_audit_report::escape::terminal;
use ptr_audit_report::{Baseline, GateOptions, GateOutcome, Suppressions};

use crate::exit::ExitCode;

/// The lowest severity that fails the run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Notice,
    /// Never: exit 0 whatever the findings (for shards whose merged report is gated later).
    Never,
}

/// The gate's options, as `scan` and `merge` take them.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "CI gate")]
pub struct GateArgs {
    /// The lowest severity that fails the run (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Fail the run when the verdict of more than this share of addresses is unknown
    /// (`lookup-failed`: a PTR, CNAME or forward lookup got no answer).
    #[arg(long, default_value = "1%", value_name = "N%", value_parser = parse_percent)]
    pub max_unknown: f64,
    /// A previous json/jsonl report (`-`: stdin): only findings not in it count toward the exit code.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// A suppressions file (YAML): accepted findings, with reasons and expiry dates.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,
}

/// The gate of one run, built from [`GateArgs`].
#[derive(Clone)]
pub struct Gate {
    /// What the report judges the findings by.
    pub options: GateOptions,
    /// `--fail-on never`: the gate is reported but does not set the exit code.
    exits: bool,
}

impl GateArgs {
    /// Loads the baseline and the suppressions.
    pub fn gate(&self) -> anyhow::Result<Gate> {
        let fail_on = match self.fail_on {
            FailOn::Error | FailOn::Never => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Notice => Severity::Notice,
        };
        let baseline = match &self.baseline {
            Some(path) => Some(Baseline::from_doc(
                &crate::input::read_report(path)
                    .with_context(|| format!("cannot read the baseline `{}`", path.display()))?,
            )),
            None => None,
        };
        let suppressions =
            match &self.suppress {
                Some(path) => Some(Suppressions::load(path).with_context(|| {
                    format!("cannot read the suppressions `{}`", path.display())
                })?),
                None => None,
            };
        Ok(Gate {
            options: GateOptions {
                fail_on,
                max_unknown_percent: self.max_unknown,
                baseline,
                suppressions,
                ..GateOptions::default()
            },
            exits: self.fail_on != FailOn::Never,
        })
    }
}

impl Gate {
    /// The exit code of a finished run: prints the reasons the gate failed to
    /// stderr (escaped: they quote report data) unless the `table` on stdout
    /// already shows them.
    pub fn exit(&self, outcome: &GateOutcome, table_on_stdout: bool) -> ExitCode {
        if !table_on_stdout {
            for reason in &outcome.reasons {
                eprintln!("{}", terminal(reason));
            }
        }
        if outcome.failed && self.exits {
            ExitCode::Findings
        } else {
            ExitCode::Clean
        }
    }
}

/// Parses `1%`, `0.5%` or `2`.
fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{text}` is not a percentage: write e.g. `1%`"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("`{text}` is not between 0% and 100%"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse() {
        assert_eq!(parse_percent("1%"), Ok(1.0));
        assert_eq!(parse_percent("0.5"), Ok(0.5));
        assert!(parse_percent("120%").is_err());
        assert!(parse_percent("x").is_err());
    }
}
