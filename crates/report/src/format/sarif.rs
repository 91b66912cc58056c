//! `sarif`: SARIF 2.1.0 for code scanning. One result per failing address
//! (rule = its status) and per block finding, located at the inventory file
//! and line of the block, so the alert shows on the inventory diff. Results
//! are streamed; values are JSON-escaped by serde.

use std::io::{self, Write};

use ptr_audit_model::{AddressRecord, BlockInfo, Finding, FindingCode, Severity, SourceLocation};
use serde_json::{Value, json};

use super::{ptr_text, worst};
use crate::escape::uri_path;
use crate::{Judged, ReportEnd, ReportMeta, Sink, Verdict};

fn rule_help(code: FindingCode) -> &'static str {
    match code {
        FindingCode::LookupFailed => "No answer after all attempts: the PTR is unknown.",
        FindingCode::PtrMissing => "No PTR: NXDOMAIN, NODATA or a CNAME chain that ends nowhere.",
        FindingCode::PtrInvalid => "The PTR target is not a usable host name.",
        FindingCode::FcrdnsFailed => "The PTR name does not resolve back to the address.",
        FindingCode::PtrGeneric => {
            "The PTR name is a provider default or derived from the address."
        }
        FindingCode::PtrUnexpected => "The PTR differs from the inventory's expectation.",
        FindingCode::PtrMultiple => "More than one PTR record.",
        FindingCode::PtrStale => "The PTR still names the datacenter the block migrated from.",
        FindingCode::PtrInconsistent => "Authoritative servers disagree about the PTR.",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "note",
    }
}

fn rule_index(code: FindingCode) -> usize {
    FindingCode::ALL
        .iter()
        .position(|c| *c == code)
        .unwrap_or(0)
}

/// An inventory location as a SARIF location.
fn location(src: &SourceLocation) -> Value {
    let path = src.file.to_string_lossy();
    let uri = if src.file.is_absolute() {
        format!("file://{}", uri_path(&path))
    } else {
        uri_path(&path)
    };
    let mut phys = json!({ "artifactLocation": { "uri": uri } });
    if src.line > 0 {
        phys["region"] = json!({ "startLine": src.line });
    }
    json!([{ "physicalLocation": phys }])
}

fn result(
    finding: &Finding,
    text: String,
    block: &BlockInfo,
    fingerprint: String,
    props: Value,
    judged: &Judged,
    in_baseline: Option<bool>,
) -> Value {
    let mut v = json!({
        "ruleId": finding.code.as_str(),
        "ruleIndex": rule_index(finding.code),
        "level": level(finding.severity),
        "message": { "text": text },
        "locations": location(&block.source),
        "partialFingerprints": { "ptrAudit/v1": fingerprint },
        "properties": props,
    });
    if let Judged::Suppressed { reason } = judged {
        v["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
    }
    if let Some(known) = in_baseline {
        v["baselineState"] = json!(if known { "unchanged" } else { "new" });
    }
    v
}

pub(crate) struct SarifSink {
    out: Box<dyn Write + Send>,
    first: bool,
    started_at: String,
    changed_since: Option<String>,
}

impl SarifSink {
    pub(crate) fn new(mut out: Box<dyn Write + Send>, meta: &ReportMeta) -> io::Result<Self> {
        let rules: Vec<Value> = FindingCode::ALL
            .iter()
            .map(|c| {
                json!({
                    "id": c.as_str(),
                    "name": c.as_str(),
                    "shortDescription": { "text": rule_help(*c) },
                })
            })
            .collect();
        let driver = json!({
            "name": "ptr-audit",
            "version": meta.tool_version,
            "rules": rules,
        });
        writeln!(out, "{{")?;
        writeln!(
            out,
            "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\","
        )?;
        writeln!(out, "  \"version\": \"2.1.0\",")?;
        writeln!(out, "  \"runs\": [")?;
        writeln!(out, "    {{")?;
        writeln!(out, "      \"tool\": {{\"driver\": {driver}}},")?;
        write!(out, "      \"results\": [")?;
        Ok(Self {
            out,
            first: true,
            started_at: meta.started_at.clone(),
            changed_since: meta.changed_since.clone(),
        })
    }

    fn emit(&mut self, v: &Value) -> io::Result<()> {
        let sep = if self.first { "" } else { "," };
        self.first = false;
        write!(self.out, "{sep}\n        {v}")
    }
}

impl Sink for SarifSink {
    fn record(&mut self, rec: &AddressRecord) -> io::Result<()> {
        self.record_judged(rec, &Verdict::default())
    }

    fn record_judged(&mut self, rec: &AddressRecord, verdict: &Verdict) -> io::Result<()> {
        let Some(f) = worst(rec) else {
            return Ok(());
        };
        let ip = rec.target.ip;
        let mut text = format!("{ip}: {}; PTR {}", f.message, ptr_text(rec));
        if let Some(e) = &rec.target.expected_ptr {
            text.push_str(&format!("; expected {e}"));
        }
        let codes: Vec<&str> = rec.findings.iter().map(|f| f.code.as_str()).collect();
        let block = &rec.target.block;
        let props = json!({
            "ip": ip.to_string(),
            "datacenter": &*block.datacenter,
            "block": block.cidr.to_string(),
            "findings": codes,
        });
        let i = rec
            .findings
            .iter()
            .position(|o| std::ptr::eq(o, f))
            .unwrap_or(0);
        let v = result(
            f,
            text,
            block,
            format!("{ip}/{}", f.code.as_str()),
            props,
            verdict.of(i),
            verdict.in_baseline.get(i).copied().flatten(),
        );
        self.emit(&v)
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let baseline = end.gate.baseline.is_some();
        for (i, bf) in end.block_findings.iter().enumerate() {
            let judged = end.block_judged.get(i).unwrap_or(&Judged::Counts);
            let in_baseline = match judged {
                _ if !baseline => None,
                Judged::Suppressed { .. } => None,
                Judged::InBaseline => Some(true),
                // Below the fail level or unknown: not told apart here.
                Judged::BelowFailLevel | Judged::Unknown => None,
                Judged::Counts => Some(false),
            };
            let b = &bf.block;
            let text = format!("{} {}: {}", b.datacenter, b.cidr, bf.finding.message);
            let props = json!({
                "datacenter": &*b.datacenter,
                "block": b.cidr.to_string(),
            });
            let fp = format!("{}/{}", b.cidr, bf.finding.code.as_str());
            let v = result(&bf.finding, text, b, fp, props, judged, in_baseline);
            self.emit(&v)?;
        }
        let invocation = json!({
            "executionSuccessful": end.complete,
            "startTimeUtc": self.started_at,
            "endTimeUtc": end.finished_at,
            "properties": {
                "addresses": end.summary.total.total,
                "failing": end.summary.total.failing(),
                "gateFailed": end.gate.failed,
                "gateReasons": end.gate.reasons,
                "suppressed": end.gate.suppressed,
                "changedSince": self.changed_since,
                "baseline": end.gate.baseline.as_ref().map(|b| json!({
                    "new": b.new,
                    "fixed": b.fixed,
                    "unchanged": b.unchanged,
                })),
            },
        });
        let out = &mut self.out;
        writeln!(out, "{}],", if self.first { "" } else { "\n      " })?;
        writeln!(out, "      \"invocations\": [{invocation}]")?;
        writeln!(out, "    }}")?;
        writeln!(out, "  ]")?;
        writeln!(out, "}}")?;
        out.flush()
    }
}
