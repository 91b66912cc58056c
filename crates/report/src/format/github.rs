//! `github`: GitHub Actions workflow commands. One annotation per block and
//! status (`::error file=…,line=…,title=…::…`), at the block's inventory line,
//! listing the first addresses; GitHub shows only a few annotations per step,
//! so one per address would hide most of them. Then one line per gate reason.
//! Data is escaped with `%25`/`%0D`/`%0A`, properties also with `%3A`/`%2C`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use ptr_audit_model::{AddressRecord, BlockInfo, BlockKey, Severity, Status};

use super::{Capped, Failing, by_ip, plural};
use crate::escape::{github_data, github_property};
use crate::{AddressJudgement, Judged, ReportEnd, ReportMeta, Sink, SinkOptions};

/// Addresses listed in one annotation.
const PER_ANNOTATION: usize = 10;

struct Group {
    block: Arc<BlockInfo>,
    severity: Severity,
    listed: Capped<Failing>,
}

pub(crate) struct GithubSink {
    out: Box<dyn Write + Send>,
    limit: usize,
    groups: BTreeMap<(BlockKey, Status, bool), Group>,
    changed_since: Option<String>,
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "notice",
    }
}

impl GithubSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta, o: &SinkOptions) -> Self {
        Self {
            changed_since: meta.changed_since.clone(),
            out,
            limit: o.list_limit.min(PER_ANNOTATION),
            groups: BTreeMap::new(),
        }
    }
}

fn location(block: &BlockInfo) -> String {
    let mut p = format!(
        "file={}",
        github_property(&block.source.file.to_string_lossy().replace('\\', "/"))
    );
    if block.source.line > 0 {
        p.push_str(&format!(",line={}", block.source.line));
    }
    p
}

impl Sink for GithubSink {
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
        let Some(f) = Failing::judged(rec, judgement) else {
            return Ok(());
        };
        let b = &rec.target.block;
        let limit = self.limit;
        let g = self
            .groups
            .entry((b.key(), rec.status, f.accepted))
            .or_insert_with(|| Group {
                block: b.clone(),
                severity: f.severity,
                listed: Capped::new(limit),
            });
        g.severity = g.severity.max(f.severity);
        g.listed.push(f, by_ip);
        Ok(())
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let out = &mut self.out;
        for (
            (
                BlockKey {
                    datacenter: dc,
                    cidr,
                },
                status,
                accepted,
            ),
            g,
        ) in &mut self.groups
        {
            let total = g.listed.total;
            let dropped = g.listed.dropped();
            let mut msg = format!(
                "{} in {cidr} ({dc}) {}: `{}`",
                plural(total, "address", "addresses"),
                if total == 1 { "is" } else { "are" },
                status.as_str()
            );
            for f in g.listed.sorted(by_ip) {
                msg.push_str(&format!(
                    "\n{} PTR {}{}: {}",
                    f.ip,
                    f.ptr,
                    f.expected
                        .as_deref()
                        .map(|e| format!(" (expected {e})"))
                        .unwrap_or_default(),
                    f.reason
                ));
            }
            if dropped > 0 {
                msg.push_str(&format!("\n... and {dropped} more"));
            }
            // Addresses the gate lets pass (suppressed, in the baseline) are notices.
            let (level, title) = if *accepted {
                (
                    "notice",
                    format!("ptr-audit {} {cidr} (accepted)", status.as_str()),
                )
            } else {
                (
                    command(g.severity),
                    format!("ptr-audit {} {cidr}", status.as_str()),
                )
            };
            writeln!(
                out,
                "::{} {},title={}::{}",
                level,
                location(&g.block),
                github_property(&title),
                github_data(&msg)
            )?;
        }
        for (i, bf) in end.block_findings.iter().enumerate() {
            let judged = end.block_judged.get(i).unwrap_or(&Judged::Counts);
            let title = format!("ptr-audit {} {}", bf.finding.code.as_str(), bf.block.cidr);
            let msg = format!(
                "{} ({}): {}{}",
                bf.block.cidr,
                bf.block.datacenter,
                bf.finding.message,
                super::note(judged)
            );
            let level = match judged {
                Judged::Suppressed { .. } | Judged::InBaseline => "notice",
                _ => command(bf.finding.severity),
            };
            writeln!(
                out,
                "::{} {},title={}::{}",
                level,
                location(&bf.block),
                github_property(&title),
                github_data(&msg)
            )?;
        }
        let s = end.summary;
        writeln!(
            out,
            "::notice title=ptr-audit::{}",
            github_data(&format!(
                "{} of {} need attention{}{}",
                s.total.failing(),
                plural(s.total.total, "address", "addresses"),
                self.changed_since
                    .as_deref()
                    .map(|c| format!(" (change-only scan since {c})"))
                    .unwrap_or_default(),
                if end.complete {
                    ""
                } else {
                    " (scan interrupted)"
                }
            ))
        )?;
        if let Some(b) = &end.gate.baseline {
            writeln!(
                out,
                "::notice title=ptr-audit baseline::{}",
                github_data(&format!(
                    "{} new, {} fixed, {} unchanged since the baseline",
                    b.new, b.fixed, b.unchanged
                ))
            )?;
        }
        if end.gate.suppressed > 0 {
            writeln!(
                out,
                "::notice title=ptr-audit::{}",
                github_data(&format!(
                    "{} suppressed",
                    plural(end.gate.suppressed, "finding", "findings")
                ))
            )?;
        }
        for r in &end.gate.reasons {
            writeln!(out, "::error title=ptr-audit gate::{}", github_data(r))?;
        }
        for e in &end.gate.expired {
            writeln!(
                out,
                "::warning file={},line={},title=expired suppression::{}",
                github_property(&e.source.file.to_string_lossy()),
                e.source.line,
                github_data(&format!(
                    "suppression of `{}` for {} expired on {} and no longer applies",
                    e.code.as_str(),
                    e.scope,
                    e.expires
                ))
            )?;
        }
        out.flush()
    }
}
