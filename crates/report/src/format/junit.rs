//! `junit`: JUnit XML for CI test reporters, valid by the Apache Ant JUnit
//! schema that strict consumers check (`tests/schemas/junit-ant.xsd`). One
//! test suite per datacenter, one test case per block; a block fails when an
//! address (or the block itself) has a finding at or above the fail level,
//! and the failure text lists the failing addresses. The schema allows no
//! `file`/`line` on a test case: each block's inventory location is a suite
//! property and the first line of its text. Every value is XML-escaped.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use ptr_audit_model::{AddressRecord, BlockInfo, BlockKey, Severity};

use super::{Capped, Failing, by_ip, plural};
use crate::escape::{xml, xml_text};
use crate::time;
use crate::{AddressJudgement, Judged, ReportEnd, ReportMeta, Sink, SinkOptions};

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
    hostname: String,
    blocks: BTreeMap<BlockKey, BlockState>,
}

impl JunitSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta, o: &SinkOptions) -> Self {
        Self {
            out,
            fail_on: o.fail_on,
            limit: o.list_limit.min(PER_BLOCK),
            started_at: meta.started_at.clone(),
            hostname: o.hostname.clone(),
            blocks: BTreeMap::new(),
        }
    }
}

/// A block's test case name: `CIDR (policy)`.
fn case_name(b: &BlockInfo) -> String {
    format!("{} ({})", b.cidr, b.policy.as_str())
}

/// Where a block is defined: `FILE:LINE`.
fn location(b: &BlockInfo) -> String {
    format!("{}:{}", b.source.file.to_string_lossy(), b.source.line)
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
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
        let Some(f) = Failing::judged(rec, judgement) else {
            return Ok(());
        };
        let b = &rec.target.block;
        let limit = self.limit;
        let st = self.blocks.entry(b.key()).or_insert_with(|| BlockState {
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
                .filter(|(_, bf)| bf.block.key() == b.key())
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
        // The schema's timestamp has no zone (ours are UTC) and every suite
        // needs a time: the scan's, as the suites are scanned together.
        let timestamp = [self.started_at.as_str(), end.finished_at]
            .into_iter()
            .find(|t| time::parse_rfc3339(t).is_some())
            .map_or("1970-01-01T00:00:00", |t| &t[..19]);
        let seconds = time::parse_rfc3339(end.finished_at)
            .zip(time::parse_rfc3339(&self.started_at))
            .map_or(0, |(end, start)| (end - start).max(0));
        let out = &mut self.out;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(out, "<testsuites>")?;
        for (id, (dc, blocks)) in suites.iter().enumerate() {
            let failures = blocks
                .iter()
                .filter(|(b, _)| fails(self.blocks.get(&b.key()), b))
                .count();
            writeln!(
                out,
                r#"  <testsuite name="{}" package="ptr-audit" id="{id}" tests="{}" failures="{failures}" errors="0" timestamp="{timestamp}" hostname="{}" time="{seconds}">"#,
                xml(dc),
                blocks.len(),
                xml(&self.hostname),
            )?;
            writeln!(out, "    <properties>")?;
            for (b, _) in blocks {
                writeln!(
                    out,
                    r#"      <property name="{}" value="{}"/>"#,
                    xml(&case_name(b)),
                    xml(&location(b))
                )?;
            }
            writeln!(out, "    </properties>")?;
            // Blocks that pass but have findings below the fail level.
            let mut passing_text = String::new();
            for (b, total) in blocks {
                let mut st = self.blocks.remove(&b.key());
                let bfs = block_fails(b);
                let failed = fails(st.as_ref(), b);
                write!(
                    out,
                    r#"    <testcase classname="ptr-audit.{}" name="{}" time="0""#,
                    xml(dc),
                    xml(&case_name(b)),
                )?;
                let listed = st.as_mut().map(|s| {
                    let dropped = s.listed.dropped();
                    (s.failing, s.listed.sorted(by_ip).to_vec(), dropped)
                });
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
                let has_text = listed.is_some() || !bfs.is_empty();
                let (n_failing, entries, dropped) = listed.unwrap_or((0, Vec::new(), 0));
                for f in &entries {
                    text.push_str(&line(f));
                    text.push('\n');
                }
                if dropped > 0 {
                    text.push_str(&format!("... and {} more\n", dropped));
                }
                if !failed {
                    writeln!(out, "/>")?;
                    if has_text {
                        passing_text.push_str(&format!(
                            "{} at {}:\n{text}",
                            case_name(b),
                            location(b)
                        ));
                    }
                    continue;
                }
                writeln!(out, ">")?;
                writeln!(
                    out,
                    r#"      <failure type="ptr-audit" message="{} of {} at or above {}">{}{}</failure>"#,
                    n_failing,
                    plural(*total, "address", "addresses"),
                    self.fail_on.as_str(),
                    xml_text(&location(b)),
                    xml_text(&format!("\n{text}"))
                )?;
                writeln!(out, "    </testcase>")?;
            }
            writeln!(
                out,
                "    <system-out>{}</system-out>",
                xml_text(&passing_text)
            )?;
            writeln!(out, "    <system-err></system-err>")?;
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")?;
        out.flush()
    }
}
