//! The reference writer (tests only): a serde view of a record in the
//! stable field order, which the hand writer must match byte for byte, and
//! the fixtures both writers and the lean reader are tested with.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;

use ptr_audit_model::{
    AddressRecord, BlockInfo, Detail, DetailValue, DnsName, Dnsbl, DnsblAnswer, FailureReason,
    Finding, FindingCode, ForwardAnswer, Iprev, Lookup, Policy, PtrAnswer, Rcode, ReceiverId,
    ReceiverVerdict, Receivers, Score, Severity, SeverityOverrides, SourceLocation, Status, Target,
    Verdict,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::write::RecordWriter;
use super::{RESERVED, failure_text, forward_text, ptr_names};

/// A block's source (`file`, `line`).
pub(crate) struct SourceOut<'a>(pub &'a SourceLocation);

impl Serialize for SourceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("file", &self.0.file.to_string_lossy())?;
        m.serialize_entry("line", &self.0.line)?;
        m.end()
    }
}

/// A finding: `code`, `severity`, `message`, then its details.
pub(crate) struct FindingOut<'a>(pub &'a Finding);

impl Serialize for FindingOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(Some(3 + f.details.len()))?;
        m.serialize_entry("code", f.code.as_str())?;
        m.serialize_entry("severity", f.severity.as_str())?;
        m.serialize_entry("message", &f.message)?;
        for d in &f.details {
            let key: std::borrow::Cow<'_, str> =
                if RESERVED.contains(&d.key) || d.key.starts_with("detail-") {
                    format!("detail-{}", d.key).into()
                } else {
                    d.key.into()
                };
            match &d.value {
                DetailValue::Text(t) => m.serialize_entry(&key, t)?,
                DetailValue::List(l) => m.serialize_entry(&key, l)?,
                DetailValue::StaticList(l) => m.serialize_entry(&key, l)?,
                DetailValue::Count(n) => m.serialize_entry(&key, n)?,
            }
        }
        m.end()
    }
}

/// A borrowed view that serializes one [`AddressRecord`] in the stable field
/// order through serde: the reference [`RecordWriter`] is tested against.
pub(crate) struct RecordOut<'a>(pub &'a AddressRecord);

impl Serialize for RecordOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rec = self.0;
        let block = &rec.target.block;
        let lookup = &rec.lookup;
        let mut m = s.serialize_map(Some(16))?;
        m.serialize_entry("ip", &Shown(&rec.target.ip))?;
        m.serialize_entry("datacenter", &*block.datacenter)?;
        m.serialize_entry("block", &Shown(&block.cidr))?;
        m.serialize_entry("policy", block.policy.as_str())?;
        m.serialize_entry("source", &SourceOut(&block.source))?;
        m.serialize_entry("expected", &rec.target.expected_ptr)?;
        m.serialize_entry("ptr", &Names(ptr_names(&lookup.answer)))?;
        m.serialize_entry("cname_chain", &Names(&lookup.cname_chain))?;
        m.serialize_entry("rcode", &lookup.rcode.map(Rcode::as_str))?;
        m.serialize_entry("result", lookup.answer.result().as_str())?;
        let failure = match &lookup.answer {
            PtrAnswer::Failed(r) => Some(failure_text(r)),
            _ => None,
        };
        m.serialize_entry("failure", &failure)?;
        let dead_end = match &lookup.answer {
            PtrAnswer::BrokenDelegation { target } => Some(target.as_str()),
            _ => None,
        };
        m.serialize_entry("dead_end", &dead_end)?;
        m.serialize_entry("attempts", &lookup.attempts)?;
        m.serialize_entry("forward", &ForwardOut(&lookup.forward))?;
        m.serialize_entry("status", rec.status.as_str())?;
        m.serialize_entry("findings", &FindingsOut(&rec.findings))?;
        m.serialize_entry("iprev", rec.iprev.as_str())?;
        m.serialize_entry("receivers", &ReceiversOut(&rec.receivers))?;
        m.serialize_entry("dnsbl", &DnsblsOut(&lookup.dnsbl))?;
        m.end()
    }
}

/// The serde view of a record's blocklist answers.
struct DnsblsOut<'a>(&'a [(Arc<Dnsbl>, DnsblAnswer)]);

impl Serialize for DnsblsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (list, answer) in self.0 {
            let codes: Vec<String> = match answer {
                DnsblAnswer::Codes(c) => c.iter().map(ToString::to_string).collect(),
                _ => Vec::new(),
            };
            let failure = match answer {
                DnsblAnswer::Failed(r) => Some(failure_text(r)),
                _ => None,
            };
            let mut m = serde_json::Map::new();
            m.insert("list".into(), list.name.clone().into());
            m.insert("kind".into(), list.kind.as_str().into());
            m.insert("result".into(), answer.result().as_str().into());
            m.insert("codes".into(), codes.into());
            m.insert("failure".into(), failure.into());
            seq.serialize_element(&m)?;
        }
        seq.end()
    }
}

/// The serde view of a record's receiver entries.
struct ReceiversOut<'a>(&'a Receivers);

impl Serialize for ReceiversOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.0.len()))?;
        for e in &self.0.0 {
            seq.serialize_element(&ReceiverOut(e))?;
        }
        seq.end()
    }
}

struct ReceiverOut<'a>(&'a ReceiverVerdict);

impl Serialize for ReceiverOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let score = e.score.map(|sc| {
            sc.to_string()
                .parse::<serde_json::Number>()
                .expect("a number")
        });
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("id", e.id.as_str())?;
        m.serialize_entry("verdict", e.verdict.as_str())?;
        m.serialize_entry("score", &score)?;
        m.serialize_entry("rules", &e.rules)?;
        m.serialize_entry("source", &e.source)?;
        m.end()
    }
}

/// Serializes a value through its `Display`, without an intermediate `String`.
struct Shown<'a, T: fmt::Display>(&'a T);

impl<T: fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

struct Names<'a>(&'a [DnsName]);

impl Serialize for Names<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(n.as_str())?;
        }
        seq.end()
    }
}

struct ForwardOut<'a>(&'a [(DnsName, ForwardAnswer)]);

impl Serialize for ForwardOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, answer) in self.0 {
            match answer {
                ForwardAnswer::Addresses(addrs) => m.serialize_entry(name.as_str(), addrs)?,
                other => m.serialize_entry(name.as_str(), &forward_text(other))?,
            }
        }
        m.end()
    }
}

pub(crate) struct FindingsOut<'a>(pub &'a [Finding]);

impl Serialize for FindingsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            seq.serialize_element(&FindingOut(f))?;
        }
        seq.end()
    }
}

/// Every ASCII byte, a few non-ASCII characters, and the escapes' neighbours.
pub(super) fn nasty() -> Vec<String> {
    let mut all = String::new();
    for b in 0u8..0x80 {
        all.push(char::from(b));
    }
    vec![
        String::new(),
        all,
        "plain.example.".into(),
        "\"\\\"\\".into(),
        "é \u{2028} \u{7f} ☃ \u{10ffff}".into(),
        "tail\u{1f}".into(),
        "\u{0}head".into(),
    ]
}

pub(super) fn record(text: &str, ip: IpAddr, block: &Arc<BlockInfo>) -> AddressRecord {
    let name = DnsName::from_presentation(text);
    let findings = vec![
        Finding::new(FindingCode::PtrGeneric, Severity::Warning, text)
            .with_text("name", text)
            .with_text("message", text)
            .with_text("detail-x", "y")
            .with_list("receivers", vec![text.to_owned(), "b".into()])
            .with_list("empty", Vec::new())
            .with_static_list("fixed", &["a\"b", "\u{1}", "é"])
            .with_static_list("none", &[]),
        Finding {
            code: FindingCode::PtrMultiple,
            severity: Severity::Notice,
            message: String::new(),
            details: vec![Detail {
                key: "count",
                value: DetailValue::Count(u64::MAX),
            }],
        },
    ];
    AddressRecord {
        target: Target {
            ip,
            block: block.clone(),
            expected_ptr: Some(text.to_owned()),
        },
        lookup: Lookup {
            rcode: Some(Rcode::Other(4095)),
            answer: PtrAnswer::Names(vec![name.clone(), name.clone()]),
            cname_chain: vec![name.clone()],
            dnsbl: Vec::new(),
            attempts: 1234567,
            forward: vec![
                (
                    name.clone(),
                    ForwardAnswer::Addresses(vec![ip, "0.0.0.0".parse().unwrap()]),
                ),
                (DnsName::from_presentation("b"), ForwardAnswer::NxDomain),
                (
                    DnsName::from_presentation("c"),
                    ForwardAnswer::Failed(FailureReason::Network(text.to_owned())),
                ),
            ],
        },
        status: Status::of(&findings),
        findings,
        receivers: Receivers(vec![ReceiverVerdict {
            id: ReceiverId::SpamAssassin,
            verdict: Verdict::Score,
            score: Some(Score(-1250)),
            rules: vec![Cow::Owned(text.to_owned()), Cow::Borrowed("RDNS_NONE")],
            details: Vec::new(),
            source: Cow::Owned(text.to_owned()),
        }]),
        iprev: Iprev::PermError,
    }
}

pub(super) fn block(dc: &str, file: &str) -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: Arc::from(dc),
        cidr: "2001:db8::/32".parse().unwrap(),
        policy: Policy::Mail,
        expect_ptr: None,
        expect_pbl: false,
        migrated_from: None,
        severities: SeverityOverrides::default(),
        source: SourceLocation {
            file: PathBuf::from(file),
            line: 4_000_000_000,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_writer_writes_what_serde_writes() {
        let ips: [IpAddr; 4] = [
            "255.255.255.255".parse().unwrap(),
            "10.0.0.1".parse().unwrap(),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "2001:db8::ffff:1.2.3.4".parse().unwrap(),
        ];
        let mut w = RecordWriter::new();
        let mut compared = 0;
        for text in nasty() {
            let blocks = [block(&text, &text), block("-", "<args>")];
            for b in &blocks {
                for ip in ips {
                    let mut rec = record(&text, ip, b);
                    let answers = [
                        rec.lookup.answer.clone(),
                        PtrAnswer::NxDomain,
                        PtrAnswer::NoData,
                        PtrAnswer::BrokenDelegation {
                            target: DnsName::from_presentation(&text),
                        },
                        PtrAnswer::Failed(FailureReason::Timeout),
                        PtrAnswer::Failed(FailureReason::Network(text.clone())),
                    ];
                    for answer in answers {
                        rec.lookup.answer = answer;
                        for rcode in [None, Some(Rcode::NxDomain)] {
                            rec.lookup.rcode = rcode;
                            let want = serde_json::to_string(&RecordOut(&rec)).unwrap();
                            let mut got = String::new();
                            w.write(&mut got, &rec);
                            assert_eq!(got, want);
                            compared += 1;
                        }
                    }
                    rec.target.expected_ptr = None;
                    rec.findings.clear();
                    rec.lookup.forward.clear();
                    let want = serde_json::to_string(&RecordOut(&rec)).unwrap();
                    let mut got = String::new();
                    w.write(&mut got, &rec);
                    assert_eq!(got, want);
                }
            }
        }
        assert_eq!(compared, 7 * 2 * 4 * 6 * 2);
    }
}
