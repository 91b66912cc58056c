//! `ptr-audit`: audits the reverse DNS (PTR) of a hosting provider's address
//! space. This binary is the thin command line over the library crates: it
//! parses options into a plain config per subcommand, runs it, prints, and maps
//! the outcome to an exit code ([`exit::ExitCode`]). Only this crate prints.

mod cmd;
mod exit;
mod input;
mod interrupt;
mod output;
mod progress;

use std::process::ExitCode as ProcessExit;

use clap::{Parser, Subcommand};

use crate::exit::ExitCode;

/// Audit the reverse DNS (PTR) of a hosting provider's address space.
#[derive(Parser, Debug)]
#[command(name = "ptr-audit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check inventories offline (what CI runs on every inventory change).
    Validate(cmd::validate::Args),
    /// Scan the reverse DNS of every address in scope and report what receivers would reject.
    Scan(Box<cmd::scan::Args>),
    /// Combine the reports of the shards of one scan into one report.
    Merge(cmd::merge::Args),
    /// Draw a saved report (complete or interrupted) as a self-contained html page.
    Render(cmd::render::Args),
    /// Turn a report's failing addresses into the DNS records that fix them.
    Fix(cmd::fix::Args),
    /// Explain the verdict on one PTR name: which rules match and which receivers react.
    Explain(cmd::explain::Args),
    /// Judge `IP<TAB>NAME` lines offline and write one JSON object per line.
    Classify(cmd::classify::Args),
}

fn main() -> ProcessExit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                ExitCode::BadInput
            } else {
                ExitCode::Clean
            };
            let _ = err.print();
            return code.into();
        }
    };
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Scan(args) => cmd::scan::run(*args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Fix(args) => cmd::fix::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Classify(args) => cmd::classify::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            // Errors quote files people and other tools edit (reports read
            // back, inventories): no byte of them may reach the terminal raw.
            let message = format!("{err:#}");
            eprintln!("error: {}", ptr_audit_report::escape::terminal(&message));
            ExitCode::BadInput.into()
        }
    }
}
