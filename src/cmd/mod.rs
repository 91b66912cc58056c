//! One module per subcommand: its clap arguments, the config built from them,
//! and the function that runs it.

pub mod classify;
pub mod explain;
pub mod fix;
pub mod merge;
pub mod render;
pub mod scan;
pub mod validate;

use ptr_audit_report::escape::terminal;
use std::io::Write;

use ptr_audit_inventory::Inventory;

/// Loads inventories for a command that uses them (`scan`, `classify`, ...):
/// prints every diagnostic to stderr, and returns `None` when there were errors.
pub fn load_inventory(inputs: &[String]) -> anyhow::Result<Option<Inventory>> {
    let loaded = ptr_audit_inventory::load(inputs)?;
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        writeln!(err, "{}", terminal(&d.to_string()))?;
    }
    if loaded.has_errors() {
        writeln!(
            err,
            "the inventory is not valid (run `ptr-audit validate` for details)"
        )?;
        return Ok(None);
    }
    Ok(Some(loaded.inventory))
}

/// Loads the zone files of `dir` for `--zones`, printing what the reader
/// skipped or changed (file:line warnings, escaped) to stderr.
pub fn load_zones(dir: &std::path::Path) -> anyhow::Result<ptr_audit_dnsserver::ZoneSet> {
    use anyhow::Context as _;
    let zones = ptr_audit_dnsserver::ZoneSet::load_dir(dir)
        .with_context(|| format!("cannot read the zones in `{}`", dir.display()))?;
    let mut err = std::io::stderr().lock();
    for w in zones.warnings() {
        writeln!(
            err,
            "warning: {}",
            ptr_audit_report::escape::terminal(&w.to_string())
        )?;
    }
    Ok(zones)
}
