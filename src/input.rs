//! Reports read back (`fix`, `merge`, `--baseline`): a path, or `-` for
//! standard input (read once, whole; errors name it `-`).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use ptr_audit_report::ReportDoc;

/// True for the path that means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Reads a `json` or `jsonl` report from `path`, or from standard input for `-`.
pub fn read_report(path: &Path) -> anyhow::Result<ReportDoc> {
    let context = || format!("cannot read `{}`", path.display());
    if is_stdin(path) {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .with_context(context)?;
        return ptr_audit_report::read_report_str(&text, path).with_context(context);
    }
    ptr_audit_report::read_report(path).with_context(context)
}
