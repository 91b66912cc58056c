//! `--checkpoint` and `--resume`: the checkpoint file read back into the
//! report (repaired when a crash tore it; records of addresses this run does
//! not visit left out; the rest checked against this run's
//! blocklists), and appended to.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ptr_audit_classify::AuditRun;
use ptr_audit_model::{Dnsbl, Lookup};
use ptr_audit_report::{Format, Report, ReportMeta, Sink, SinkOptions};

/// Resumes from the checkpoint at `path` when it exists: repairs it, then
/// streams its records through `audit` (which re-derives each from this
/// inventory and skips repeats) into `report`; a record of an address this
/// run does not visit (`run.visits` false: another shard's, or unchanged with
/// `--changed-since`) is left out, as one outside the scope is, and its
/// address is scanned by the run that visits it. Every record must have asked
/// the blocklists `run.lists` (in any order; its answers are put in
/// this run's order): else the report would mix answers of two
/// configurations, and claim lists were asked for addresses they never
/// were. Then opens it for appending: the returned sink writes every further
/// record, flushed one by one.
pub(super) fn open(
    path: &Path,
    resume: bool,
    run: &ThisRun<'_>,
    audit: &mut AuditRun<'_>,
    report: &mut Report,
    meta: &ReportMeta,
    options: &SinkOptions,
) -> anyhow::Result<Box<dyn Sink>> {
    if resume && path.exists() {
        repair_checkpoint(path)?;
        // Streamed: one record at a time goes to the report.
        let mut each = |mut stored: ptr_audit_model::AddressRecord| {
            if !(run.visits)(stored.target.ip) {
                return Ok(());
            }
            same_lists(&mut stored.lookup, run.lists)?;
            match audit.resume(stored) {
                Some(rec) => report
                    .record(&rec)
                    .map_err(|e| format!("cannot write the report: {e}")),
                None => Ok(()),
            }
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

/// What a resumed record must agree with.
pub(super) struct ThisRun<'a> {
    /// The blocklists this run asks (`--dnsbl`).
    pub lists: &'a [Arc<Dnsbl>],
    /// Whether this run visits an address (its shard, or its
    /// `--changed-since` addresses).
    pub visits: &'a dyn Fn(std::net::IpAddr) -> bool,
}

/// Puts a stored lookup's blocklist answers in the order of `lists`, or
/// says how its lists differ from this run's (as reports show them: a DQS
/// key is `{key}`).
/// A checkpoint is read from disk: a record may hold a list twice, so each
/// stored answer is matched at most once and nothing here can panic.
fn same_lists(stored: &mut Lookup, lists: &[Arc<Dnsbl>]) -> Result<(), String> {
    // For each stored answer, its place in this run's order.
    let mut place = vec![usize::MAX; stored.dnsbl.len()];
    let same = stored.dnsbl.len() == lists.len()
        && lists.iter().enumerate().all(|(i, l)| {
            let at =
                (0..place.len()).find(|&j| place[j] == usize::MAX && *stored.dnsbl[j].0 == **l);
            at.map(|j| place[j] = i).is_some()
        });
    if !same {
        let shown = |lists: &mut dyn Iterator<Item = &Dnsbl>| {
            let shown: Vec<String> = lists
                .map(|l| format!("`{}={}`", l.name, l.kind.as_str()))
                .collect();
            if shown.is_empty() {
                "no `--dnsbl` list".to_owned()
            } else {
                shown.join(", ")
            }
        };
        return Err(format!(
            "this record was scanned with {} but this run asks {}: resuming would mix the \
             answers of both, and claim lists were asked for addresses they never were; \
             resume with the same `--dnsbl` lists, or start a fresh checkpoint (another file)",
            shown(&mut stored.dnsbl.iter().map(|(l, _)| &**l)),
            shown(&mut lists.iter().map(|l| &**l)),
        ));
    }
    let mut placed: Vec<_> = place
        .into_iter()
        .zip(std::mem::take(&mut stored.dnsbl))
        .collect();
    placed.sort_by_key(|(at, _)| *at);
    stored.dnsbl = placed.into_iter().map(|(_, answer)| answer).collect();
    Ok(())
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
