//! `ptr-audit validate`: loads inventories, prints every diagnostic to stderr,
//! and on success a summary (text or JSON) to stdout.

use std::io::Write;

use ptr_audit_inventory::{InventorySummary, PolicyCount};
use ptr_audit_model::Policy;
use ptr_audit_report::json_text::{self, KeyOrder, push_array};

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
        SummaryFormat::Json => json_text::pretty(&json_text::build(|o| json(o, &summary))) + "\n",
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

/// Counts per policy: `{"hosting": {"addresses": n, "blocks": n}, ...}`.
fn policies_json(out: &mut String, counts: &[PolicyCount; 3]) {
    Policy::ALL
        .iter()
        .zip(counts)
        .fold(KeyOrder::Sorted.obj(), |o, (p, c)| {
            o.with(p.as_str(), |out| {
                KeyOrder::Sorted
                    .obj()
                    .field("blocks", &c.blocks)
                    .field("addresses", &c.addresses)
                    .close(out)
            })
        })
        .close(out);
}

/// The summary as `--format json` writes it (keys sorted).
fn json(out: &mut String, s: &InventorySummary) {
    let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
    KeyOrder::Sorted
        .obj()
        .field("valid", &true)
        .field("files", &files)
        .with("datacenters", |out| {
            push_array(out, &s.datacenters, |out, d| {
                KeyOrder::Sorted
                    .obj()
                    .field("name", &d.name)
                    .field("status", d.status.as_str())
                    .with("policies", |out| policies_json(out, &d.policies))
                    .close(out)
            })
        })
        .field("blocks", &s.blocks)
        .field("assignments", &s.assignments)
        .field("addresses_in_scope", &s.in_scope)
        .with("policies", |out| policies_json(out, &s.policies))
        .close(out);
}
