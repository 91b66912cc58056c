//! `ptr-audit validate` (being written).

use crate::exit::ExitCode;

/// Arguments of `ptr-audit validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inventory files or directories, CIDRs or addresses, text files of them, or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

/// Runs `validate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("validate is not written yet")
}
