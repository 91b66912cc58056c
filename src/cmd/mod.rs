//! One module per subcommand: its clap arguments, the config built from them,
//! and the function that runs it.

pub mod classify;
pub mod completions;
pub mod dnsbl;
pub mod explain;
pub mod fix;
pub mod gate;
pub mod import;
pub mod man;
pub mod merge;
pub mod render;
pub mod scan;
pub mod validate;

use ptr_audit_report::escape::terminal;
use std::io::Write;

use ptr_audit_inventory::{Diagnostic, Inventory};
use ptr_audit_report::Format;

/// The parser of a report `--format`: its values are listed in `--help` and
/// the completions (from [`Format::ALL`]).
pub fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::as_str))
        .map(|name| name.parse::<Format>().expect("every listed format parses"))
}

/// Prints inventory diagnostics to stderr (every one, or the errors only),
/// escaped for the terminal and styled when colour is on: the one place
/// every command shows them.
pub fn print_diagnostics(diagnostics: &[Diagnostic], errors_only: bool) -> std::io::Result<()> {
    let mut err = anstream::stderr().lock();
    for d in diagnostics.iter().filter(|d| !errors_only || d.is_error()) {
        writeln!(err, "{}", d.styled(terminal))?;
    }
    Ok(())
}

/// Loads inventories for a command that uses them (`scan`, `classify`, ...):
/// prints every diagnostic to stderr, and returns `None` when there were errors.
pub fn load_inventory(inputs: &[String]) -> anyhow::Result<Option<Inventory>> {
    let loaded = ptr_audit_inventory::load(inputs)?;
    print_diagnostics(&loaded.diagnostics, false)?;
    let mut err = anstream::stderr().lock();
    if loaded.has_errors() {
        writeln!(
            err,
            "the inventory is not valid (run `ptr-audit validate` for details)"
        )?;
        return Ok(None);
    }
    Ok(Some(loaded.inventory))
}

/// The Public Suffix List of `--psl FILE`, or the embedded one. A line that
/// breaks the list's format is an error naming the file and line.
pub fn load_psl(path: Option<&std::path::Path>) -> anyhow::Result<ptr_audit_classify::SuffixList> {
    use anyhow::Context as _;
    let Some(path) = path else {
        return Ok(ptr_audit_classify::SuffixList::Embedded);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the public suffix list `{}`", path.display()))?;
    Ok(ptr_audit_classify::SuffixList::parse(
        &text,
        &path.display().to_string(),
    )?)
}

/// Loads every `--zones` source (directories read, `axfr://` zones
/// transferred, signed with `key`), printing what the reader skipped or
/// changed (file:line warnings, escaped) and, unless `quiet`, each transfer,
/// to stderr.
pub fn load_zone_sources(
    sources: &[ptr_audit_dnsserver::ZoneSource],
    key: Option<&ptr_audit_tsig::TsigKey>,
    quiet: bool,
) -> anyhow::Result<ptr_audit_dnsserver::ZoneSet> {
    use anyhow::Context as _;
    use ptr_audit_dnsserver::{ZoneSet, ZoneSource};
    use ptr_audit_report::escape::terminal;
    let mut all = ZoneSet::new();
    let mut err = std::io::stderr().lock();
    for source in sources {
        let zones = match source {
            ZoneSource::Dir(dir) => ZoneSet::load_dir(dir)
                .with_context(|| format!("cannot read the zones in `{}`", dir.display()))?,
            ZoneSource::Axfr(axfr) => {
                let zones = ZoneSet::transfer(axfr, key)?;
                if !quiet {
                    writeln!(
                        err,
                        "transferred `{}`: {} records",
                        terminal(&axfr.to_string()),
                        zones.record_count()
                    )?;
                }
                zones
            }
        };
        for w in zones.warnings() {
            writeln!(err, "warning: {}", terminal(&w.to_string()))?;
        }
        all.merge(zones)?;
    }
    Ok(all)
}

/// This machine's host name, for the reports that name it (`junit`);
/// `localhost` when it cannot be read.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
