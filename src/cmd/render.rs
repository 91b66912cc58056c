//! `ptr-audit render`: draws a saved `json` (or `jsonl`) report, complete or
//! interrupted, as the `html` page, with the completeness and gate outcome
//! the run recorded (`merge` would refuse an incomplete report and judge it
//! again with default gate options).

use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, bail};
use ptr_audit_report::Format;

use crate::exit::ExitCode;

/// Arguments of `ptr-audit render`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The saved report (json, or jsonl without metadata).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The format to draw it in (only `html` reads a report back so far).
    #[arg(long, default_value = "html", value_name = "FORMAT")]
    pub format: Format,
    /// Write to this file instead of stdout (`-` for stdout); an existing
    /// file is replaced only once the page is complete.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Runs `render`: exit 0 when the page was written, 2 when the report cannot be read.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.format != Format::Html {
        bail!(
            "`render` writes `html` only; for `{}` run `ptr-audit merge {}` --format {}",
            args.format,
            args.report.display(),
            args.format
        );
    }
    let context = || format!("cannot render `{}`", args.report.display());
    match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        None => {
            let out = BufWriter::with_capacity(64 << 10, std::io::stdout());
            ptr_audit_report::render_html(&args.report, Box::new(out)).with_context(context)?;
        }
        Some(path) => {
            // Written beside the target and renamed into place when complete:
            // a failed render leaves the previous page as it was.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot create a file in `{}`", dir.display()))?;
            let file = tmp
                .reopen()
                .with_context(|| format!("cannot write in `{}`", dir.display()))?;
            ptr_audit_report::render_html(&args.report, Box::new(BufWriter::new(file)))
                .with_context(context)?;
            // A temporary file is private (0600); the page gets the
            // permissions of the file it replaces, or the usual ones.
            let perms = match std::fs::metadata(path) {
                Ok(m) => m.permissions(),
                Err(_) => {
                    let mut p = tmp.as_file().metadata()?.permissions();
                    set_readable(&mut p);
                    p
                }
            };
            tmp.as_file()
                .set_permissions(perms)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            tmp.as_file()
                .sync_all()
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            tmp.persist(path)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
    }
    Ok(ExitCode::Clean)
}

/// Read for everyone, write for the owner (`0644`), as a new file usually is.
#[cfg(unix)]
fn set_readable(p: &mut std::fs::Permissions) {
    use std::os::unix::fs::PermissionsExt;
    p.set_mode(0o644);
}

#[cfg(not(unix))]
fn set_readable(_: &mut std::fs::Permissions) {}
