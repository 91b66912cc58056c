//! `sarif`: SARIF 2.1.0 for code scanning. One result per failing address
//! (rule = its status) and per block finding, located at the inventory file
//! and line of the block, so the alert shows on the inventory diff. Results
//! are streamed; values are JSON-escaped by [`crate::json_text`].

use std::io::{self, Write};

use ptr_audit_model::{
    AddressRecord, BlockInfo, Finding, FindingCode, Severity, SourceLocation,
    Verdict as ReceiverVerdict,
};

use super::{ptr_text, refusals_text, worst};
use crate::escape::uri_path;
use crate::json_text::{Arr, Obj, Raw, build, push_array};
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
        FindingCode::PtrUnknownTld => {
            "The PTR name's top-level domain is not in the Public Suffix List in use (the list and its date in the message), or is special-use (.example, .test): receivers cannot resolve it."
        }
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

/// What a result says of its address or block (`properties`); the
/// address's own fields are `None` for a block finding.
struct PropsOut<'a> {
    ip: Option<String>,
    datacenter: &'a str,
    block: String,
    findings: Option<Vec<&'static str>>,
    /// The RFC 8601 `iprev` result (addresses only).
    iprev: Option<&'static str>,
    /// The receivers that reject mail from the address (addresses only).
    rejected_by: Option<Vec<&'static str>>,
    /// The receivers that defer it (addresses only).
    deferred_by: Option<Vec<&'static str>>,
}

/// One SARIF result, compact, fields in SARIF's documented order.
#[allow(clippy::too_many_arguments)]
fn result(
    out: &mut String,
    finding: &Finding,
    text: &str,
    block: &BlockInfo,
    fingerprint: &str,
    p: &PropsOut<'_>,
    judged: &Judged,
    in_baseline: Option<bool>,
) {
    let region = (block.source.line > 0).then(|| {
        build(|out| {
            Obj::open(out)
                .field("startLine", &block.source.line)
                .close()
        })
    });
    let location = |out: &mut String| {
        Arr::open(out)
            .with(|out| {
                Obj::open(out)
                    .with("physicalLocation", |out| {
                        Obj::open(out)
                            .with("artifactLocation", |out| {
                                Obj::open(out).field("uri", &uri(&block.source)).close()
                            })
                            .opt("region", region.as_deref().map(Raw))
                            .close()
                    })
                    .close()
            })
            .close()
    };
    let suppression = match judged {
        Judged::Suppressed { reason } => Some(build(|out| {
            Arr::open(out)
                .with(|out| {
                    Obj::open(out)
                        .field("kind", "external")
                        .field("justification", reason)
                        .close()
                })
                .close()
        })),
        _ => None,
    };
    Obj::open(out)
        .field("ruleId", finding.code.as_str())
        .field("ruleIndex", &rule_index(finding.code))
        .field("level", level(finding.severity))
        .with("message", |out| Obj::open(out).field("text", text).close())
        .with("locations", location)
        .with("partialFingerprints", |out| {
            Obj::open(out).field("ptrAudit/v1", fingerprint).close()
        })
        .with("properties", |out| {
            Obj::open(out)
                .opt("ip", p.ip.as_ref())
                .field("datacenter", p.datacenter)
                .field("block", &p.block)
                .opt("findings", p.findings.as_ref())
                .opt("iprev", p.iprev)
                .opt("rejected_by", p.rejected_by.as_ref())
                .opt("deferred_by", p.deferred_by.as_ref())
                .close()
        })
        .opt("suppressions", suppression.as_deref().map(Raw))
        .opt(
            "baselineState",
            in_baseline.map(|known| if known { "unchanged" } else { "new" }),
        )
        .close();
}

pub(crate) struct SarifSink {
    out: Box<dyn Write + Send>,
    first: bool,
    started_at: String,
    changed_since: Option<String>,
}

impl SarifSink {
    pub(crate) fn new(mut out: Box<dyn Write + Send>, meta: &ReportMeta) -> io::Result<Self> {
        // Keys sorted, as SARIF output has always had them here.
        let driver = build(|out| {
            Obj::open(out)
                .field("name", "ptr-audit")
                .with("rules", |out| {
                    push_array(out, FindingCode::ALL, |out, c| {
                        Obj::open(out)
                            .field("id", c.as_str())
                            .field("name", c.as_str())
                            .with("shortDescription", |out| {
                                Obj::open(out).field("text", rule_help(c)).close()
                            })
                            .close()
                    })
                })
                .field("version", &meta.tool_version)
                .close()
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

    /// Writes one result (see [`result`]).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        finding: &Finding,
        text: &str,
        block: &BlockInfo,
        fingerprint: &str,
        props: &PropsOut<'_>,
        judged: &Judged,
        in_baseline: Option<bool>,
    ) -> io::Result<()> {
        let mut line = String::from(if self.first {
            "\n        "
        } else {
            ",\n        "
        });
        self.first = false;
        result(
            &mut line,
            finding,
            text,
            block,
            fingerprint,
            props,
            judged,
            in_baseline,
        );
        self.out.write_all(line.as_bytes())
    }
}

impl Sink for SarifSink {
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
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
        self.emit(
            f,
            &text,
            block,
            &format!("{ip}/{}", f.code.as_str()),
            &props,
            judgement.of(i),
            judgement.in_baseline.get(i).copied().flatten(),
        )
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
            self.emit(&bf.finding, &text, b, &fp, &props, judged, in_baseline)?;
        }
        // Keys sorted, as SARIF output has always had them here.
        let invocation = build(|out| {
            Obj::open(out)
                .field("endTimeUtc", end.finished_at)
                .field("executionSuccessful", &end.complete)
                .with("properties", |out| {
                    Obj::open(out)
                        .field("addresses", &end.summary.total.total)
                        .with("baseline", |out| match &end.gate.baseline {
                            Some(b) => Obj::open(out)
                                .field("fixed", &b.fixed)
                                .field("new", &b.new)
                                .field("unchanged", &b.unchanged)
                                .close(),
                            None => out.push_str("null"),
                        })
                        .field("changedSince", &self.changed_since)
                        .field("failing", &end.summary.total.failing())
                        .field("gateFailed", &end.gate.failed)
                        .field("gateReasons", &end.gate.reasons)
                        .field("suppressed", &end.gate.suppressed)
                        .close()
                })
                .field("startTimeUtc", &self.started_at)
                .close()
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
