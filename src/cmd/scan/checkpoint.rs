//! `--checkpoint` and `--resume`: the checkpoint file read back into the
//! report, repaired when a crash tore it, and appended to.

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::Context;
use ptr_audit_classify::AuditRun;
use ptr_audit_report::{Format, Report, ReportMeta, Sink, SinkOptions};

/// Resumes from the checkpoint at `path` when it exists: repairs it, then
/// streams its records through `audit` (which re-derives each from this
/// inventory and skips repeats) into `report`. Then opens it for appending:
/// the returned sink writes every further record, flushed one by one.
pub(super) fn open(
    path: &Path,
    resume: bool,
    audit: &mut AuditRun<'_>,
    report: &mut Report,
    meta: &ReportMeta,
    options: &SinkOptions,
) -> anyhow::Result<Box<dyn Sink>> {
    if resume && path.exists() {
        repair_checkpoint(path)?;
        // Streamed: one record at a time goes to the report.
        let mut each = |stored| match audit.resume(stored) {
            Some(rec) => report
                .record(&rec)
                .map_err(|e| format!("cannot write the report: {e}")),
            None => Ok(()),
        };
        ptr_audit_report::read_report_with(path, &mut each)
            .with_context(|| format!("cannot read the checkpoint `{}`", path.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the checkpoint `{}`", path.display()))?;
    let options = SinkOptions {
        flush_each_record: true,
        ..options.clone()
    };
    Ok(ptr_audit_report::sink(
        Format::Jsonl,
        Box::new(file),
        meta,
        &options,
    )?)
}

/// Cuts a checkpoint back to its last newline. What follows it — a record
/// torn by a crash, or one complete but without its newline — would be glued
/// to the next record appended; it is dropped and its address scanned again.
fn repair_checkpoint(path: &Path) -> anyhow::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let context = || format!("cannot repair the checkpoint `{}`", path.display());
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(context)?;
    let len = file.metadata().with_context(context)?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 << 10];
    let keep = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(chunk.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start)).with_context(context)?;
        file.read_exact(&mut chunk[..n]).with_context(context)?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            break start + i as u64 + 1;
        }
        end = start;
    };
    if keep < len {
        file.set_len(keep).with_context(context)?;
        file.sync_all().with_context(context)?;
    }
    Ok(())
}
