//! `table`: the terminal summary. Counts by status per datacenter and block,
//! then the failing addresses grouped by status, worst first, with PTR,
//! expectation and reason. Colour only when the caller asks (it decides from
//! the terminal and `NO_COLOR`); every value is terminal-escaped.

use std::collections::BTreeMap;
use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, Severity, Status};

use super::{Capped, Failing, MATRIX_BLOCKS, RefusalTally, by_ip, plural};
use crate::escape::terminal as t;
use crate::gate::fmt_percent;
use crate::summary::Counts;
use crate::{AddressJudgement, Judged, ReportEnd, ReportMeta, Sink, SinkOptions, all_statuses};

struct Group {
    severity: Severity,
    listed: Capped<Failing>,
}

pub(crate) struct TableSink {
    out: Box<dyn Write + Send>,
    color: bool,
    limit: usize,
    changed_since: Option<String>,
    groups: BTreeMap<(Status, Severity), Group>,
    refusals: RefusalTally,
}

impl TableSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta, o: &SinkOptions) -> Self {
        Self {
            out,
            color: o.color,
            limit: o.table_rows,
            changed_since: meta.changed_since.clone(),
            groups: BTreeMap::new(),
            refusals: RefusalTally::default(),
        }
    }

    fn paint(&self, text: &str, sgr: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn sgr(s: Severity) -> &'static str {
    match s {
        Severity::Error => "31",
        Severity::Warning => "33",
        Severity::Notice => "36",
    }
}

impl Sink for TableSink {
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
        self.refusals.observe(rec);
        let Some(f) = Failing::judged(rec, judgement) else {
            return Ok(());
        };
        let limit = self.limit;
        let g = self
            .groups
            .entry((rec.status, f.severity))
            .or_insert_with(|| Group {
                severity: f.severity,
                listed: Capped::new(limit),
            });
        g.listed.push(f, by_ip);
        Ok(())
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let s = end.summary;
        let mut text = String::new();
        let head = format!(
            "ptr-audit: {}, {} need attention{}",
            plural(s.total.total, "address", "addresses"),
            s.total.failing(),
            if end.complete {
                ""
            } else {
                " (scan interrupted: incomplete)"
            }
        );
        text.push_str(&self.paint(&head, "1"));
        text.push('\n');
        if let Some(c) = &self.changed_since {
            text.push_str(&format!("change-only scan since {}\n", t(c)));
        }
        text.push('\n');

        // Counts table: only the statuses that occur (and ok).
        let shown: Vec<Status> = all_statuses()
            .filter(|st| *st == Status::Ok || s.total.get(*st) > 0)
            .collect();
        let mut rows: Vec<(Vec<String>, bool)> = Vec::new();
        let mut header = vec![
            "DATACENTER".into(),
            "BLOCK".into(),
            "POLICY".into(),
            "TOTAL".into(),
        ];
        header.extend(shown.iter().map(|st| st.as_str().to_uppercase()));
        rows.push((header, true));
        let counts = |c: &Counts| -> Vec<String> {
            let mut v = vec![c.total.to_string()];
            v.extend(shown.iter().map(|st| c.get(*st).to_string()));
            v
        };
        for dc in &s.datacenters {
            for b in s.blocks.iter().filter(|b| b.block.datacenter == dc.name) {
                let mut r = vec![
                    t(&dc.name).into_owned(),
                    b.block.cidr.to_string(),
                    b.block.policy.as_str().into(),
                ];
                r.extend(counts(&b.counts));
                rows.push((r, false));
            }
            if s.datacenters.len() > 1 || s.blocks.len() > 1 {
                let mut r = vec![t(&dc.name).into_owned(), "all".into(), String::new()];
                r.extend(counts(&dc.counts));
                rows.push((r, true));
            }
        }
        if s.datacenters.len() > 1 {
            let mut r = vec!["total".into(), String::new(), String::new()];
            r.extend(counts(&s.total));
            rows.push((r, true));
        }
        let ncols = rows[0].0.len();
        let widths: Vec<usize> = (0..ncols)
            .map(|i| {
                rows.iter()
                    .map(|(r, _)| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (r, bold) in &rows {
            let mut line = String::new();
            for (i, cell) in r.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                if i >= 3 {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
                if i + 1 < ncols {
                    line.push_str("  ");
                }
            }
            let line = line.trim_end();
            text.push_str(&if *bold {
                self.paint(line, "1")
            } else {
                line.to_owned()
            });
            text.push('\n');
        }

        // Receivers that refuse, per block: addresses rejected/deferred.
        let super::Matrix {
            columns,
            rows,
            more,
        } = self.refusals.matrix(MATRIX_BLOCKS);
        if !rows.is_empty() {
            text.push('\n');
            text.push_str(
                &self.paint("receivers refusing mail (addresses rejected/deferred)", "1"),
            );
            text.push('\n');
            let mut grid: Vec<Vec<String>> = vec![
                ["datacenter", "block"]
                    .into_iter()
                    .map(str::to_owned)
                    .chain(columns.iter().map(|c| c.as_str().to_owned()))
                    .collect(),
            ];
            for (dc, net, cells) in rows {
                let mut r = vec![t(dc).into_owned(), net.to_string()];
                r.extend(cells);
                grid.push(r);
            }
            let widths: Vec<usize> = (0..grid[0].len())
                .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                .collect();
            for r in &grid {
                let line: Vec<String> = r
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if i >= 2 {
                            format!("{c:>w$}", w = widths[i])
                        } else {
                            format!("{c:<w$}", w = widths[i])
                        }
                    })
                    .collect();
                text.push_str(line.join("  ").trim_end());
                text.push('\n');
            }
            if more > 0 {
                text.push_str(&format!(
                    "  ... and {} more\n",
                    plural(more as u64, "block", "blocks")
                ));
            }
        }

        // Failing addresses, worst group first.
        let mut groups: Vec<(&(Status, Severity), &mut Group)> = self.groups.iter_mut().collect();
        groups.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(a.0.0.cmp(&b.0.0)));
        let color = self.color;
        let paint = |text: &str, code: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        for ((status, _), g) in groups {
            text.push('\n');
            let title = format!(
                "{} ({}): {}",
                status.as_str(),
                g.severity.as_str(),
                plural(g.listed.total, "address", "addresses")
            );
            text.push_str(&paint(&title, &format!("1;{}", sgr(g.severity))));
            text.push('\n');
            let dropped = g.listed.dropped();
            let entries = g.listed.sorted(by_ip);
            let w = entries
                .iter()
                .map(|f| f.ip.to_string().len())
                .max()
                .unwrap_or(0);
            for f in entries {
                text.push_str(&format!("  {:<w$}  PTR {}", f.ip.to_string(), t(&f.ptr),));
                if let Some(e) = &f.expected {
                    text.push_str(&format!("  expected {}", t(e)));
                }
                text.push_str(&format!("  ({})\n", t(&f.reason)));
            }
            if dropped > 0 {
                text.push_str(&format!(
                    "  ... and {} more (see --format csv or json)\n",
                    dropped
                ));
            }
        }
        if !end.block_findings.is_empty() {
            text.push('\n');
            text.push_str(&self.paint("block findings", "1"));
            text.push('\n');
            for (i, bf) in end.block_findings.iter().enumerate() {
                let judged = end.block_judged.get(i).unwrap_or(&Judged::Counts);
                text.push_str(&format!(
                    "  {} {}  {} ({}): {}\n",
                    t(&bf.block.datacenter),
                    bf.block.cidr,
                    bf.finding.code.as_str(),
                    bf.finding.severity.as_str(),
                    t(&format!("{}{}", bf.finding.message, super::note(judged)))
                ));
            }
        }

        // Gate.
        let g = end.gate;
        text.push('\n');
        if g.unknown > 0 {
            text.push_str(&format!(
                "unknown (no answer): {} ({}%, limit {}%)\n",
                g.unknown,
                fmt_percent(g.unknown_percent()),
                fmt_percent(g.max_unknown_percent)
            ));
        }
        if let Some(b) = &g.baseline {
            text.push_str(&format!(
                "baseline {}: {} new, {} fixed, {} unchanged\n",
                t(&b.path.to_string_lossy()),
                b.new,
                b.fixed,
                b.unchanged
            ));
        }
        if g.suppressed > 0 {
            text.push_str(&format!(
                "suppressed: {}\n",
                plural(g.suppressed, "finding", "findings")
            ));
        }
        for e in &g.expired {
            text.push_str(&format!(
                "expired suppression {}:{}: `{}` for {} expired on {} and no longer applies\n",
                t(&e.source.file.to_string_lossy()),
                e.source.line,
                e.code.as_str(),
                e.scope,
                e.expires
            ));
        }
        if g.failed {
            text.push_str(&self.paint(
                &format!("FAILED (fail level {})", g.fail_on.as_str()),
                "1;31",
            ));
            text.push('\n');
            for r in &g.reasons {
                text.push_str(&format!("  - {}\n", t(r)));
            }
        } else {
            text.push_str(&self.paint(
                &format!("PASSED (fail level {})", g.fail_on.as_str()),
                "1;32",
            ));
            text.push('\n');
        }
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}
