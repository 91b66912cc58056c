//! `sarif`: SARIF 2.1.0 for code scanning. One result per failing address
//! (rule = its status) and per block finding, located at the inventory file
//! and line of the block, so the alert shows on the inventory diff. Results
//! are streamed; values are JSON-escaped by serde.

use std::io::{self, Write};

use ptr_audit_model::{
    AddressRecord, BlockInfo, Finding, FindingCode, Severity, SourceLocation,
    Verdict as ReceiverVerdict,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{ptr_text, refusals_text, worst};
use crate::escape::uri_path;
use crate::{AddressJudgement, Judged, ReportEnd, ReportMeta, Sink};

fn rule_help(code: FindingCode) -> &'static str {
    match code {
        FindingCode::LookupFailed => {
            "A lookup got no answer after all attempts: the verdict is unknown."
        }
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
        FindingCode::DnsblListed => {
            "A DNS blocklist lists the address (the list and its return codes' meaning in the message)."
        }
        FindingCode::PblUnlisted => {
            "The inventory expects the address in the Spamhaus PBL (expect_pbl), and the list does not have it."
        }
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

/// The inventory file as a SARIF artifact URI (relative, percent-encoded).
fn uri(src: &SourceLocation) -> String {
    let path = src.file.to_string_lossy();
    if src.file.is_absolute() {
        format!("file://{}", uri_path(&path))
    } else {
        uri_path(&path)
    }
}

/// One SARIF result, serialized in this field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: TextOut,
    locations: [LocationOut; 1],
    partial_fingerprints: FingerprintOut,
    properties: PropsOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[SuppressionOut<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

#[derive(Serialize)]
struct TextOut {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationOut {
    physical_location: PhysicalOut,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalOut {
    artifact_location: ArtifactOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<RegionOut>,
}

#[derive(Serialize)]
struct ArtifactOut {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionOut {
    start_line: u32,
}

#[derive(Serialize)]
struct FingerprintOut {
    #[serde(rename = "ptrAudit/v1")]
    v1: String,
}

#[derive(Serialize)]
struct PropsOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    datacenter: &'a str,
    block: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<Vec<&'static str>>,
    /// The RFC 8601 `iprev` result (addresses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    iprev: Option<&'static str>,
    /// The receivers that reject mail from the address (addresses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    rejected_by: Option<Vec<&'static str>>,
    /// The receivers that defer it (addresses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    deferred_by: Option<Vec<&'static str>>,
}

#[derive(Serialize)]
struct SuppressionOut<'a> {
    kind: &'static str,
    justification: &'a str,
}

fn result<'a>(
    finding: &Finding,
    text: String,
    block: &BlockInfo,
    fingerprint: String,
    properties: PropsOut<'a>,
    judged: &'a Judged,
    in_baseline: Option<bool>,
) -> ResultOut<'a> {
    ResultOut {
        rule_id: finding.code.as_str(),
        rule_index: rule_index(finding.code),
        level: level(finding.severity),
        message: TextOut { text },
        locations: [LocationOut {
            physical_location: PhysicalOut {
                artifact_location: ArtifactOut {
                    uri: uri(&block.source),
                },
                region: (block.source.line > 0).then_some(RegionOut {
                    start_line: block.source.line,
                }),
            },
        }],
        partial_fingerprints: FingerprintOut { v1: fingerprint },
        properties,
        suppressions: match judged {
            Judged::Suppressed { reason } => Some([SuppressionOut {
                kind: "external",
                justification: reason,
            }]),
            _ => None,
        },
        baseline_state: in_baseline.map(|known| if known { "unchanged" } else { "new" }),
    }
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

    fn emit(&mut self, v: &ResultOut<'_>) -> io::Result<()> {
        let sep = if self.first { "" } else { "," };
        self.first = false;
        write!(self.out, "{sep}\n        ")?;
        serde_json::to_writer(&mut self.out, v)?;
        Ok(())
    }
}

impl Sink for SarifSink {
    fn record(&mut self, rec: &AddressRecord, verdict: &AddressJudgement) -> io::Result<()> {
        let Some(f) = worst(rec) else {
            return Ok(());
        };
        let ip = rec.target.ip;
        let mut text = format!("{ip}: {}; PTR {}", f.message, ptr_text(rec));
        if let Some(e) = &rec.target.expected_ptr {
            text.push_str(&format!("; expected {e}"));
        }
        if let Some(r) = refusals_text(rec) {
            text.push_str(&format!("; {r}"));
        }
        let codes: Vec<&'static str> = rec.findings.iter().map(|f| f.code.as_str()).collect();
        let block = &rec.target.block;
        let by = |v: ReceiverVerdict| {
            rec.receivers
                .0
                .iter()
                .filter(|e| e.verdict == v)
                .map(|e| e.id.as_str())
                .collect()
        };
        let props = PropsOut {
            ip: Some(ip.to_string()),
            datacenter: &block.datacenter,
            block: block.cidr.to_string(),
            findings: Some(codes),
            iprev: Some(rec.iprev.as_str()),
            rejected_by: Some(by(ReceiverVerdict::Reject)),
            deferred_by: Some(by(ReceiverVerdict::Defer)),
        };
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
            let props = PropsOut {
                ip: None,
                datacenter: &b.datacenter,
                block: b.cidr.to_string(),
                findings: None,
                iprev: None,
                rejected_by: None,
                deferred_by: None,
            };
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
