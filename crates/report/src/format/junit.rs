//! `junit`: JUnit XML for CI test reporters. One test suite per datacenter,
//! one test case per block; a block fails when an address (or the block
//! itself) has a finding at or above the fail level, and the failure text
//! lists the failing addresses. Every value is XML-escaped.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockInfo, Severity};

use super::{Capped, Failing, by_ip, plural};
use crate::escape::{xml, xml_text};
use crate::{Judged, ReportEnd, ReportMeta, Sink, SinkOptions, Verdict};

/// Addresses listed per block: memory is this times the number of blocks,
/// and a CI test report does not need more to show what is wrong.
const PER_BLOCK: usize = 50;

struct BlockState {
    /// Addresses with a finding at or above the fail level.
    failing: u64,
    listed: Capped<Failing>,
}

pub(crate) struct JunitSink {
    out: Box<dyn Write + Send>,
    fail_on: Severity,
    limit: usize,
    started_at: String,
    blocks: BTreeMap<(Arc<str>, IpNet), BlockState>,
}

impl JunitSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta, o: &SinkOptions) -> Self {
        Self {
            out,
            fail_on: o.fail_on,
            limit: o.list_limit.min(PER_BLOCK),
            started_at: meta.started_at.clone(),
            blocks: BTreeMap::new(),
        }
    }
}

fn line(f: &Failing) -> String {
    format!(
        "{} {} ({}): PTR {}; expected {}; {}",
        f.ip,
        f.status.as_str(),
        f.severity.as_str(),
        f.ptr,
        f.expected.as_deref().unwrap_or("-"),
        f.reason
    )
}

impl Sink for JunitSink {
    fn record(&mut self, rec: &AddressRecord, verdict: &Verdict) -> io::Result<()> {
        let Some(f) = Failing::judged(rec, verdict) else {
            return Ok(());
        };
        let b = &rec.target.block;
        let limit = self.limit;
        let st = self
            .blocks
            .entry((b.datacenter.clone(), b.cidr))
            .or_insert_with(|| BlockState {
                failing: 0,
                listed: Capped::new(limit),
            });
        if f.gate_fails.unwrap_or(f.severity >= self.fail_on) {
            st.failing += 1;
        }
        st.listed.push(f, by_ip);
        Ok(())
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        // Datacenter -> blocks, in summary order (every block, failing or not).
        let mut suites: BTreeMap<Arc<str>, Vec<(&Arc<BlockInfo>, u64)>> = BTreeMap::new();
        for b in &end.summary.blocks {
            suites
                .entry(b.block.datacenter.clone())
                .or_default()
                .push((&b.block, b.counts.total));
        }
        let block_fails = |b: &BlockInfo| {
            end.block_findings
                .iter()
                .enumerate()
                .filter(|(_, bf)| bf.block.cidr == b.cidr && bf.block.datacenter == b.datacenter)
                .map(|(i, bf)| (bf, end.block_judged.get(i).unwrap_or(&Judged::Counts)))
                .collect::<Vec<_>>()
        };
        let fails = |st: Option<&BlockState>, b: &BlockInfo| {
            st.is_some_and(|s| s.failing > 0)
                || block_fails(b).iter().any(|(bf, j)| {
                    bf.finding.severity >= self.fail_on
                        && matches!(j, Judged::Counts | Judged::Unknown)
                })
        };
        let total_cases: usize = suites.values().map(Vec::len).sum();
        let total_failures = suites
            .values()
            .flatten()
            .filter(|(b, _)| fails(self.blocks.get(&(b.datacenter.clone(), b.cidr)), b))
            .count();
        let out = &mut self.out;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="ptr-audit" tests="{total_cases}" failures="{total_failures}" errors="0" timestamp="{}">"#,
            xml(&self.started_at)
        )?;
        for (dc, blocks) in &suites {
            let failures = blocks
                .iter()
                .filter(|(b, _)| fails(self.blocks.get(&(b.datacenter.clone(), b.cidr)), b))
                .count();
            writeln!(
                out,
                r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0">"#,
                xml(dc),
                blocks.len()
            )?;
            for (b, total) in blocks {
                let mut st = self.blocks.remove(&(b.datacenter.clone(), b.cidr));
                let bfs = block_fails(b);
                let failed = fails(st.as_ref(), b);
                write!(
                    out,
                    r#"    <testcase classname="ptr-audit.{}" name="{} ({})" file="{}" line="{}""#,
                    xml(dc),
                    b.cidr,
                    b.policy.as_str(),
                    xml(&b.source.file.to_string_lossy()),
                    b.source.line
                )?;
                let listed = st.as_mut().map(|s| {
                    let dropped = s.listed.dropped();
                    (s.failing, s.listed.sorted(by_ip).to_vec(), dropped)
                });
                let has_body = failed || listed.is_some() || !bfs.is_empty();
                if !has_body {
                    writeln!(out, "/>")?;
                    continue;
                }
                writeln!(out, ">")?;
                let mut text = String::new();
                for (bf, j) in &bfs {
                    text.push_str(&format!(
                        "block {} ({}): {}{}\n",
                        bf.finding.code.as_str(),
                        bf.finding.severity.as_str(),
                        bf.finding.message,
                        super::note(j)
                    ));
                }
                let (n_failing, entries, dropped) = listed.unwrap_or((0, Vec::new(), 0));
                for f in &entries {
                    text.push_str(&line(f));
                    text.push('\n');
                }
                if dropped > 0 {
                    text.push_str(&format!("... and {} more\n", dropped));
                }
                if failed {
                    writeln!(
                        out,
                        r#"      <failure type="ptr-audit" message="{} of {} at or above {}">{}</failure>"#,
                        n_failing,
                        plural(*total, "address", "addresses"),
                        self.fail_on.as_str(),
                        xml_text(&text)
                    )?;
                } else {
                    writeln!(out, "      <system-out>{}</system-out>", xml_text(&text))?;
                }
                writeln!(out, "    </testcase>")?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")?;
        out.flush()
    }
}
