//! `ptr-audit`: audits the reverse DNS (PTR) of a hosting provider's address
//! space. This binary is the thin command line over the library crates: it
//! parses options into a plain config per subcommand, runs it, prints, and maps
//! the outcome to an exit code ([`exit::ExitCode`]). Only this crate prints.

mod cmd;
mod color;
mod exit;
mod input;
mod interrupt;
mod output;
mod progress;

use std::process::ExitCode as ProcessExit;

/// Small, short-lived allocations dominate the scan's per-address step.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser, Subcommand};

use crate::exit::ExitCode;

/// Audit the reverse DNS (PTR) of a hosting provider's address space.
#[derive(Parser, Debug)]
#[command(name = "ptr-audit", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output: on a terminal (`auto`, which honours `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE`), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = color::Choice::Auto)]
    color: color::Choice,
}

/// The exit codes, for `--help` and the man pages ([`ExitCode`] owns the values).
pub(crate) const EXIT_CODES: &str = "Exit codes:
  0    clean: nothing at or above the fail threshold
  1    findings at or above the fail threshold (--fail-on), or too many unanswered lookups (--max-unknown)
  2    bad input or usage
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)";

/// The clap definition of the whole command line (for man pages and completions).
fn cli_command() -> clap::Command {
    Cli::command()
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check inventories offline (what CI runs on every inventory change).
    Validate(cmd::validate::Args),
    /// Scan the reverse DNS of every address in scope and report what receivers would reject.
    #[command(after_help = cmd::scan::after_help())]
    Scan(Box<cmd::scan::Args>),
    /// Combine the reports of the shards of one scan into one report, gated like `scan`.
    #[command(after_help = EXIT_CODES)]
    Merge(cmd::merge::Args),
    /// Draw a saved report (complete or interrupted) as a self-contained html page.
    Render(cmd::render::Args),
    /// Read an address plan from where providers keep it (NetBox) into an inventory.
    Import(cmd::import::Args),
    /// Turn a report's failing addresses into the DNS records that fix them.
    Fix(cmd::fix::Args),
    /// Explain the verdict on one PTR name: which rules match and which receivers react.
    Explain(cmd::explain::Args),
    /// Judge `IP<TAB>NAME` lines offline and write one JSON object per line.
    Classify(cmd::classify::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::Args),
    /// Print a man page: `ptr-audit(1)`, or `ptr-audit-SUBCOMMAND(1)` with a subcommand.
    Man(cmd::man::Args),
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
    color::init(cli.color);
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Scan(args) => cmd::scan::run(*args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Fix(args) => cmd::fix::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Classify(args) => cmd::classify::run(args),
        Command::Completions(args) => cmd::completions::run(args, cli_command()),
        Command::Man(args) => cmd::man::run(args, cli_command()),
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
