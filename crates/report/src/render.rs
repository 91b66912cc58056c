//! [`render_html`]: the `html` page of a saved report (`ptr-audit render`),
//! streamed from the report's records, with the completeness and the gate's
//! outcome the run recorded (not recomputed: a re-run gate would not know the
//! run's baseline and suppressions).

use std::io::{self, Write};
use std::path::Path;

use ptr_audit_model::Severity;

use crate::format::html::HtmlSink;
use crate::{
    AddressJudgement, GateOutcome, ReportDoc, ReportEnd, ReportError, ReportMeta, Sink, Summary,
    SummaryBuilder, read_report_with,
};

/// What [`render_html`] read.
#[derive(Debug)]
pub struct Rendered {
    /// The report read back (without its records).
    pub doc: ReportDoc,
    /// Its counts.
    pub summary: Summary,
}

/// Writes the `html` page of the `json` or `jsonl` report at `path` to `out`,
/// holding only what the page embeds. A `jsonl` report records neither its
/// metadata nor the gate: the page says so.
pub fn render_html(path: &Path, out: Box<dyn Write + Send>) -> Result<Rendered, ReportError> {
    let mut sink = HtmlSink::new(out, &ReportMeta::new("", ""));
    let mut summary = SummaryBuilder::new();
    let judgement = AddressJudgement::default();
    let mut write_error: Option<io::Error> = None;
    let read = read_report_with(path, &mut |rec| {
        summary.observe(&rec);
        sink.record(&rec, &judgement).map_err(|e| {
            let m = e.to_string();
            write_error = Some(e);
            m
        })
    });
    if let Some(source) = write_error {
        return Err(ReportError::Write { source });
    }
    let doc = read?;
    for b in &doc.blocks {
        summary.add_block(b);
    }
    let summary = summary.finish();
    sink.set_read_back(doc.complete.is_some(), doc.gate.is_some());
    if let Some(meta) = &doc.meta {
        sink.set_meta(meta.clone());
    }
    let gate = doc.gate.clone().unwrap_or(GateOutcome {
        failed: false,
        reasons: Vec::new(),
        fail_on: Severity::Error,
        max_unknown_percent: 0.0,
        addresses: summary.total.total,
        failing: 0,
        unknown: 0,
        suppressed: 0,
        baseline: None,
        expired: Vec::new(),
    });
    let end = ReportEnd {
        finished_at: doc.finished_at.as_deref().unwrap_or(""),
        complete: doc.complete.unwrap_or(false),
        block_findings: &doc.block_findings,
        block_judged: &[],
        summary: &summary,
        gate: &gate,
    };
    sink.finish(&end)
        .map_err(|source| ReportError::Write { source })?;
    Ok(Rendered { doc, summary })
}
