//! [`ReportError`]: what can go wrong reading reports, baselines and suppression files.

use std::io;
use std::path::PathBuf;

/// An error reading a report, a baseline or a suppressions file.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// The file is not a ptr-audit json or jsonl report, or a record in it is invalid.
    #[error("`{}` line {line}: {message}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A suppressions file is not valid YAML or does not have the expected shape.
    #[error("`{}` line {line}, column {column}: {message}", .path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 when unknown).
        line: u32,
        /// The 1-based column (0 when unknown).
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// A suppression entry is well-formed YAML but says something invalid.
    #[error("`{}` line {line}: {message}", .path.display())]
    Suppression {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the entry.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// Two shard reports hold the same address.
    #[error("address `{ip}` appears in more than one shard report (`{}` and `{}`)", .first.display(), .second.display())]
    DuplicateAddress {
        /// The address.
        ip: std::net::IpAddr,
        /// One report holding it.
        first: PathBuf,
        /// Another report holding it.
        second: PathBuf,
    },
    /// The merged report could not be written.
    #[error("cannot write the report")]
    Write {
        /// The IO error.
        #[source]
        source: io::Error,
    },
}
