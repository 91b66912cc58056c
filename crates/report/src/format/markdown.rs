//! `markdown`: a pull-request comment: the verdict, counts per datacenter,
//! the worst failing addresses, and a collapsed full list. Every DNS or
//! inventory value goes through [`escape::markdown`](crate::escape::markdown).

use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, Shard, Status};

use super::{Capped, Failing, MATRIX_BLOCKS, RefusalTally, plural, worst_first};
use crate::escape::markdown as md;
use crate::gate::fmt_percent;
use crate::summary::Counts;
use crate::{
    AddressJudgement, Judged, ReportEnd, ReportMeta, Sink, SinkOptions, Summary, all_statuses,
};

pub(crate) struct MarkdownSink {
    out: Box<dyn Write + Send>,
    changed_since: Option<String>,
    shard: Option<Shard>,
    failing: Capped<Failing>,
    top: usize,
    refusals: RefusalTally,
}

impl MarkdownSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta, o: &SinkOptions) -> Self {
        Self {
            out,
            changed_since: meta.changed_since.clone(),
            shard: meta.shard,
            failing: Capped::new(o.list_limit.max(o.markdown_top)),
            top: o.markdown_top,
            refusals: RefusalTally::default(),
        }
    }
}

/// GitHub refuses comments over 65,536 characters; the address tables stop
/// before the whole comment could pass this many bytes.
const COMMENT_BUDGET: usize = 60_000;

/// The failing-address table, as many rows as fit in `budget` (which it
/// spends); returns the text and the number of rows in it.
fn failing_table(rows: &[Failing], budget: &mut usize) -> (String, usize) {
    let mut text = String::from(
        "| address | status | severity | PTR | expected | reason |\n|---|---|---|---|---|---|\n",
    );
    let mut n = 0;
    for f in rows {
        let row = format!(
            "| {} | `{}` | {} | {} | {} | {} |\n",
            f.ip,
            f.status.as_str(),
            f.severity.as_str(),
            md(&f.ptr),
            f.expected.as_deref().map_or("–".into(), md),
            md(&f.reason),
        );
        if row.len() > *budget {
            break;
        }
        *budget -= row.len();
        text.push_str(&row);
        n += 1;
    }
    (text, n)
}

fn counts_table(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let shown: Vec<Status> = all_statuses()
        .filter(|s| *s == Status::Ok || summary.total.get(*s) > 0)
        .collect();
    write!(out, "| datacenter | addresses |")?;
    for s in &shown {
        write!(out, " {} |", s.as_str())?;
    }
    writeln!(out)?;
    write!(out, "|---|---:|")?;
    for _ in &shown {
        write!(out, "---:|")?;
    }
    writeln!(out)?;
    let row = |out: &mut dyn Write, name: &str, c: &Counts| -> io::Result<()> {
        write!(out, "| {name} | {} |", c.total)?;
        for s in &shown {
            write!(out, " {} |", c.get(*s))?;
        }
        writeln!(out)
    };
    for dc in &summary.datacenters {
        row(out, &md(&dc.name), &dc.counts)?;
    }
    row(out, "**total**", &summary.total)
}

impl Sink for MarkdownSink {
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
        self.refusals.observe(rec);
        if let Some(f) = Failing::judged(rec, judgement) {
            self.failing.push(f, worst_first);
        }
        Ok(())
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let out = &mut self.out;
        let total = end.summary.total.total;
        let failing = end.summary.total.failing();
        writeln!(
            out,
            "## ptr-audit: {} of {} need attention",
            failing,
            plural(total, "address", "addresses")
        )?;
        writeln!(out)?;
        if end.gate.failed {
            writeln!(
                out,
                "**Result: failed** (fail level `{}`)",
                end.gate.fail_on.as_str()
            )?;
            writeln!(out)?;
            // The gate's reasons are ptr-audit's own text (codes and figures), written as Markdown.
            for r in &end.gate.reasons {
                writeln!(out, "- {r}")?;
            }
        } else {
            writeln!(
                out,
                "**Result: passed** (fail level `{}`)",
                end.gate.fail_on.as_str()
            )?;
        }
        writeln!(out)?;
        if !end.complete {
            writeln!(out, "> [!WARNING]")?;
            writeln!(
                out,
                "> The scan was interrupted: some addresses were not checked."
            )?;
            writeln!(out)?;
        }
        if let Some(c) = &self.changed_since {
            writeln!(
                out,
                "Change-only scan: addresses whose block, policy or expectation changed since {}.",
                md(c)
            )?;
            writeln!(out)?;
        }
        if let Some(Shard { index, count }) = self.shard {
            writeln!(out, "Shard {index} of {count}.")?;
            writeln!(out)?;
        }
        counts_table(out, end.summary)?;
        writeln!(out)?;
        let g = end.gate;
        if g.unknown > 0 {
            writeln!(
                out,
                "Unknown (no answer): {} ({}%, limit {}%).",
                g.unknown,
                fmt_percent(g.unknown_percent()),
                fmt_percent(g.max_unknown_percent)
            )?;
            writeln!(out)?;
        }
        if let Some(b) = &g.baseline {
            writeln!(
                out,
                "Against the baseline: {} new, {} fixed, {} unchanged.",
                b.new, b.fixed, b.unchanged
            )?;
            writeln!(out)?;
        }
        if g.suppressed > 0 {
            writeln!(
                out,
                "Suppressed: {}.",
                plural(g.suppressed, "finding", "findings")
            )?;
            writeln!(out)?;
        }
        for e in &g.expired {
            writeln!(
                out,
                "- Expired suppression ({}:{}): `{}` for {} expired on {} and no longer applies ({} matched).",
                md(&e.source.file.to_string_lossy()),
                e.source.line,
                e.code.as_str(),
                md(&e.scope.to_string()),
                e.expires,
                plural(e.matched, "finding", "findings"),
            )?;
        }
        if !g.expired.is_empty() {
            writeln!(out)?;
        }
        if !end.block_findings.is_empty() {
            writeln!(out, "### Block findings")?;
            writeln!(out)?;
            for (i, bf) in end.block_findings.iter().enumerate() {
                let judged = end.block_judged.get(i).unwrap_or(&Judged::Counts);
                writeln!(
                    out,
                    "- {} {} `{}` ({}): {}",
                    md(&bf.block.datacenter),
                    md(&bf.block.cidr.to_string()),
                    bf.finding.code.as_str(),
                    bf.finding.severity.as_str(),
                    md(&format!("{}{}", bf.finding.message, super::note(judged))),
                )?;
            }
            writeln!(out)?;
        }
        let super::Matrix {
            columns,
            rows,
            more,
        } = self.refusals.matrix(MATRIX_BLOCKS);
        if !rows.is_empty() {
            writeln!(
                out,
                "### Receivers refusing mail (addresses rejected/deferred)"
            )?;
            writeln!(out)?;
            write!(out, "| datacenter | block |")?;
            for c in &columns {
                write!(out, " {} |", c.as_str())?;
            }
            writeln!(out)?;
            write!(out, "|---|---|")?;
            for _ in &columns {
                write!(out, "---:|")?;
            }
            writeln!(out)?;
            for (dc, net, cells) in rows {
                write!(out, "| {} | {} |", md(dc), md(&net.to_string()))?;
                for c in cells {
                    write!(out, " {c} |")?;
                }
                writeln!(out)?;
            }
            if more > 0 {
                writeln!(out)?;
                writeln!(
                    out,
                    "… and {} more.",
                    plural(more as u64, "block", "blocks")
                )?;
            }
            writeln!(out)?;
        }
        let top = self.top;
        let dropped = self.failing.dropped();
        let all = self.failing.sorted(worst_first);
        if !all.is_empty() {
            let mut budget = COMMENT_BUDGET / 3;
            let (table, shown) = failing_table(&all[..top.min(all.len())], &mut budget);
            writeln!(out, "### Failing addresses (worst {shown} of {failing})")?;
            writeln!(out)?;
            out.write_all(table.as_bytes())?;
            if shown < all.len() || dropped > 0 {
                let mut budget = COMMENT_BUDGET / 2;
                let (table, listed) = failing_table(all, &mut budget);
                writeln!(out)?;
                writeln!(
                    out,
                    "<details><summary>All {} failing addresses</summary>",
                    all.len() as u64 + dropped
                )?;
                writeln!(out)?;
                out.write_all(table.as_bytes())?;
                let more = dropped + (all.len() - listed) as u64;
                if more > 0 {
                    writeln!(out)?;
                    writeln!(out, "… and {more} more: see the json or csv report.")?;
                }
                writeln!(out)?;
                writeln!(out, "</details>")?;
            }
        }
        out.flush()
    }
}
