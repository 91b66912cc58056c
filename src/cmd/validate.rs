//! `ptr-audit validate`: loads inventories, prints every diagnostic to stderr,
//! and on success a summary (text or JSON) to stdout.

use std::io::Write;

use ptr_audit_inventory::{InventorySummary, PolicyCount};
use ptr_audit_model::Policy;

use crate::exit::ExitCode;

/// Output format of the summary.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SummaryFormat {
    /// A readable table.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// Arguments of `ptr-audit validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inventory files or directories, CIDRs or addresses, text files of them, or `-` for stdin.
    #[arg(required = true, value_name = "PATH_OR_CIDR")]
    pub inputs: Vec<String>,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

/// Runs `validate`: exit 2 on any error, 0 otherwise.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let loaded = ptr_audit_inventory::load(&args.inputs)?;
    super::print_diagnostics(&loaded.diagnostics, false)?;
    let mut err = anstream::stderr().lock();
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        let warnings = loaded.diagnostics.len() - errors;
        writeln!(
            err,
            "{errors} error(s), {warnings} warning(s): the inventory is not valid"
        )?;
        return Ok(ExitCode::BadInput);
    }
    let warnings = loaded.diagnostics.len();
    if warnings > 0 {
        writeln!(err, "{warnings} warning(s)")?;
    }
    let summary = loaded.inventory.summary();
    let text = match args.format {
        SummaryFormat::Text => text(&summary),
        SummaryFormat::Json => serde_json::to_string_pretty(&json(&summary))? + "\n",
    };
    crate::output::write_stdout(text.as_bytes())
}

fn count_cell(c: &PolicyCount) -> String {
    if c.blocks == 0 {
        "-".into()
    } else {
        format!(
            "{} ({} block{})",
            c.addresses,
            c.blocks,
            if c.blocks == 1 { "" } else { "s" }
        )
    }
}

fn text(s: &InventorySummary) -> String {
    let mut out = String::new();
    let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
    out.push_str(&format!("inventory is valid: {}\n", files.join(", ")));
    out.push_str(&format!(
        "{} datacenters, {} blocks, {} assignments, {} addresses in scope\n\n",
        s.datacenters.len(),
        s.blocks,
        s.assignments,
        s.in_scope
    ));
    let mut rows = vec![[
        "datacenter".to_owned(),
        "status".to_owned(),
        Policy::Mail.as_str().to_owned(),
        Policy::Hosting.as_str().to_owned(),
        "reserved (not scanned)".to_owned(),
    ]];
    for d in &s.datacenters {
        let [m, h, r] = &d.policies;
        rows.push([
            d.name.clone(),
            d.status.as_str().into(),
            count_cell(m),
            count_cell(h),
            count_cell(r),
        ]);
    }
    let [m, h, r] = &s.policies;
    rows.push([
        "total".into(),
        String::new(),
        count_cell(m),
        count_cell(h),
        count_cell(r),
    ]);
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn policies_json(counts: &[PolicyCount; 3]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (p, c) in Policy::ALL.iter().zip(counts) {
        map.insert(
            p.as_str().into(),
            serde_json::json!({"blocks": c.blocks, "addresses": c.addresses}),
        );
    }
    map.into()
}

fn json(s: &InventorySummary) -> serde_json::Value {
    serde_json::json!({
        "valid": true,
        "files": s.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "datacenters": s.datacenters.iter().map(|d| serde_json::json!({
            "name": d.name,
            "status": d.status.as_str(),
            "policies": policies_json(&d.policies),
        })).collect::<Vec<_>>(),
        "blocks": s.blocks,
        "assignments": s.assignments,
        "addresses_in_scope": s.in_scope,
        "policies": policies_json(&s.policies),
    })
}
