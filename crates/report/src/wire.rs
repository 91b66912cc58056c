//! The wire form of the per-address record (`docs/report-format.md`): written
//! by the `json`, `jsonl` and checkpoint outputs, read back by [`crate::read_report`].
//!
//! Serialization goes through borrowed views of the model types, so writing a
//! record allocates little; reading goes through owned `*In` structs that are
//! then turned back into model types.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ipnet::IpNet;
use ptr_audit_model::{
    AddressRecord, BlockInfo, Detail, DetailValue, DnsName, FailureReason, Finding, FindingCode,
    ForwardAnswer, Lookup, Policy, PtrAnswer, Rcode, Severity, SeverityOverrides, SourceLocation,
    Status, Target,
};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Finding keys the record itself uses; a detail with one of these names (or
/// a name starting with `detail-`) is written as `detail-<name>` so it cannot
/// shadow them, and read back without the prefix.
const RESERVED: [&str; 3] = ["code", "severity", "message"];

/// The `result` field: how the PTR query ended.
pub(crate) fn result_keyword(answer: &PtrAnswer) -> &'static str {
    match answer {
        PtrAnswer::Names(_) => "answer",
        PtrAnswer::NxDomain => "nxdomain",
        PtrAnswer::NoData => "nodata",
        PtrAnswer::BrokenDelegation { .. } => "broken-delegation",
        PtrAnswer::Failed(_) => "failed",
    }
}

/// A failure as written in reports: the keyword, and for network errors the
/// message after `: ` (`network: connection refused`).
pub(crate) fn failure_text(reason: &FailureReason) -> String {
    match reason {
        FailureReason::Network(msg) if !msg.is_empty() => format!("network: {msg}"),
        other => other.keyword(),
    }
}

fn parse_failure(text: &str) -> Option<FailureReason> {
    Some(match text {
        "timeout" => FailureReason::Timeout,
        "truncated" => FailureReason::Truncated,
        "malformed" => FailureReason::Malformed,
        "cname-loop" => FailureReason::CnameLoop,
        "network" => FailureReason::Network(String::new()),
        t => {
            if let Some(msg) = t.strip_prefix("network: ") {
                FailureReason::Network(msg.to_owned())
            } else {
                FailureReason::Rcode(parse_rcode(&t.to_ascii_uppercase())?)
            }
        }
    })
}

pub(crate) fn parse_rcode(text: &str) -> Option<Rcode> {
    Some(match text {
        "NOERROR" => Rcode::NoError,
        "FORMERR" => Rcode::FormErr,
        "SERVFAIL" => Rcode::ServFail,
        "NXDOMAIN" => Rcode::NxDomain,
        "NOTIMP" => Rcode::NotImp,
        "REFUSED" => Rcode::Refused,
        t => Rcode::Other(t.strip_prefix("RCODE")?.parse().ok()?),
    })
}

fn parse_policy(text: &str) -> Option<Policy> {
    Some(match text {
        "mail" => Policy::Mail,
        "hosting" => Policy::Hosting,
        "reserved" => Policy::Reserved,
        _ => return None,
    })
}

/// Detail keys read back from a report, leaked once per distinct key so they
/// can live in the model's `&'static str`.
fn intern(key: &str) -> &'static str {
    static KEYS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut keys = KEYS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(k) = keys.get(key) {
        return k;
    }
    let leaked: &'static str = Box::leak(key.to_owned().into_boxed_str());
    keys.insert(leaked);
    leaked
}

// ---------------------------------------------------------------------------
// Writing

/// A borrowed view that serializes one [`AddressRecord`] in the stable field order.
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
        m.serialize_entry("result", result_keyword(&lookup.answer))?;
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

pub(crate) fn ptr_names(answer: &PtrAnswer) -> &[DnsName] {
    match answer {
        PtrAnswer::Names(n) => n,
        _ => &[],
    }
}

pub(crate) struct SourceOut<'a>(pub &'a SourceLocation);

impl Serialize for SourceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("file", &self.0.file.to_string_lossy())?;
        m.serialize_entry("line", &self.0.line)?;
        m.end()
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

/// The text a forward answer other than addresses is written as.
pub(crate) fn forward_text(answer: &ForwardAnswer) -> Option<String> {
    match answer {
        ForwardAnswer::Addresses(_) => None,
        ForwardAnswer::NxDomain => Some("nxdomain".into()),
        ForwardAnswer::NoData => Some("nodata".into()),
        ForwardAnswer::Failed(r) => Some(format!("failed: {}", failure_text(r))),
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
                DetailValue::Count(n) => m.serialize_entry(&key, n)?,
            }
        }
        m.end()
    }
}

/// The block-level part of a [`BlockInfo`] as the json document's `blocks` entries carry it.
pub(crate) struct BlockInfoOut<'a>(pub &'a BlockInfo);

impl BlockInfoOut<'_> {
    pub(crate) fn write_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        let b = self.0;
        m.serialize_entry("datacenter", &*b.datacenter)?;
        m.serialize_entry("cidr", &b.cidr.to_string())?;
        m.serialize_entry("policy", b.policy.as_str())?;
        m.serialize_entry("expect_ptr", &b.expect_ptr)?;
        m.serialize_entry("migrated_from", &b.migrated_from.as_deref())?;
        m.serialize_entry("severities", &SeveritiesOut(&b.severities))?;
        m.serialize_entry("source", &SourceOut(&b.source))?;
        Ok(())
    }
}

struct SeveritiesOut<'a>(&'a SeverityOverrides);

impl Serialize for SeveritiesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.0.len()))?;
        for (code, sev) in &self.0.0 {
            m.serialize_entry(code.as_str(), sev.as_str())?;
        }
        m.end()
    }
}

// ---------------------------------------------------------------------------
// Reading

/// Where a block is written, as read back.
#[derive(Deserialize, Debug, Clone)]
pub(crate) struct SourceIn {
    file: String,
    line: u32,
}

impl SourceIn {
    fn into_model(self) -> SourceLocation {
        SourceLocation {
            file: PathBuf::from(self.file),
            line: self.line,
        }
    }
}

/// A record as read from a report. Unknown fields are ignored: later
/// versions only add fields.
#[derive(Deserialize, Debug)]
pub(crate) struct RecordIn {
    pub(crate) ip: IpAddr,
    pub(crate) datacenter: String,
    pub(crate) block: IpNet,
    pub(crate) policy: String,
    pub(crate) source: SourceIn,
    pub(crate) expected: Option<String>,
    ptr: Vec<String>,
    cname_chain: Vec<String>,
    rcode: Option<String>,
    result: String,
    failure: Option<String>,
    dead_end: Option<String>,
    attempts: u32,
    forward: OrderedMap<ForwardIn>,
    status: String,
    findings: Vec<FindingIn>,
}

#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum ForwardIn {
    Addresses(Vec<IpAddr>),
    Other(Option<String>),
}

/// A JSON object read as a list of entries in document order.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(pub(crate) Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

#[derive(Debug)]
struct FindingIn {
    code: String,
    severity: String,
    message: String,
    details: Vec<(String, serde_json::Value)>,
}

impl<'de> Deserialize<'de> for FindingIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let OrderedMap(entries) = OrderedMap::<serde_json::Value>::deserialize(d)?;
        let mut code = None;
        let mut severity = None;
        let mut message = None;
        let mut details = Vec::new();
        for (k, v) in entries {
            let slot = match k.as_str() {
                "code" => &mut code,
                "severity" => &mut severity,
                "message" => &mut message,
                _ => {
                    details.push((k, v));
                    continue;
                }
            };
            match v {
                serde_json::Value::String(s) => *slot = Some(s),
                _ => return Err(de::Error::custom(format!("`{k}` must be a string"))),
            }
        }
        let need = |v: Option<String>, k: &str| {
            v.ok_or_else(|| <D::Error as de::Error>::custom(format!("missing field `{k}`")))
        };
        Ok(FindingIn {
            code: need(code, "code")?,
            severity: need(severity, "severity")?,
            message: need(message, "message")?,
            details,
        })
    }
}

/// Why a record read back could not be turned into the model.
pub(crate) fn bad(what: &str, value: &str) -> String {
    format!("invalid {what} `{value}`")
}

impl FindingIn {
    fn into_model(self) -> Result<Finding, String> {
        let code = FindingCode::parse(&self.code).ok_or_else(|| bad("finding code", &self.code))?;
        let severity =
            Severity::parse(&self.severity).ok_or_else(|| bad("severity", &self.severity))?;
        let mut details = Vec::with_capacity(self.details.len());
        for (k, v) in self.details {
            let key = k.strip_prefix("detail-").unwrap_or(&k);
            let value = match v {
                serde_json::Value::String(s) => DetailValue::Text(s),
                serde_json::Value::Number(n) => {
                    DetailValue::Count(n.as_u64().ok_or_else(|| bad("count", &n.to_string()))?)
                }
                serde_json::Value::Array(items) => DetailValue::List(
                    items
                        .into_iter()
                        .map(|i| match i {
                            serde_json::Value::String(s) => Ok(s),
                            other => Err(bad("list item", &other.to_string())),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => return Err(bad(&format!("detail `{k}`"), &other.to_string())),
            };
            details.push(Detail {
                key: intern(key),
                value,
            });
        }
        Ok(Finding {
            code,
            severity,
            message: self.message,
            details,
        })
    }
}

/// Parses a status keyword (`ok` or a finding code).
pub(crate) fn parse_status(text: &str) -> Option<Status> {
    if text == "ok" {
        Some(Status::Ok)
    } else {
        FindingCode::parse(text).map(Status::Finding)
    }
}

impl RecordIn {
    /// The block this record names, for records with no block table (jsonl).
    pub(crate) fn block_info(&self) -> Result<BlockInfo, String> {
        Ok(BlockInfo {
            datacenter: Arc::from(self.datacenter.as_str()),
            cidr: self.block,
            policy: parse_policy(&self.policy).ok_or_else(|| bad("policy", &self.policy))?,
            expect_ptr: None,
            migrated_from: None,
            severities: SeverityOverrides::default(),
            source: self.source.clone().into_model(),
        })
    }

    /// Turns the record into the model, attached to `block`.
    pub(crate) fn into_model(self, block: Arc<BlockInfo>) -> Result<AddressRecord, String> {
        let names = || {
            self.ptr
                .iter()
                .map(|n| DnsName::from_presentation(n))
                .collect()
        };
        let answer = match self.result.as_str() {
            "answer" => PtrAnswer::Names(names()),
            "nxdomain" => PtrAnswer::NxDomain,
            "nodata" => PtrAnswer::NoData,
            "broken-delegation" => PtrAnswer::BrokenDelegation {
                target: DnsName::from_presentation(self.dead_end.as_deref().unwrap_or(".")),
            },
            "failed" => {
                let text = self.failure.as_deref().unwrap_or("");
                PtrAnswer::Failed(parse_failure(text).ok_or_else(|| bad("failure", text))?)
            }
            other => return Err(bad("result", other)),
        };
        let rcode = match &self.rcode {
            None => None,
            Some(t) => Some(parse_rcode(t).ok_or_else(|| bad("rcode", t))?),
        };
        let forward = self
            .forward
            .0
            .into_iter()
            .map(|(name, f)| {
                let answer = match f {
                    ForwardIn::Addresses(a) => ForwardAnswer::Addresses(a),
                    ForwardIn::Other(Some(t)) => match t.as_str() {
                        "nxdomain" => ForwardAnswer::NxDomain,
                        "nodata" => ForwardAnswer::NoData,
                        _ => ForwardAnswer::Failed(
                            t.strip_prefix("failed: ")
                                .and_then(parse_failure)
                                .ok_or_else(|| bad("forward answer", &t))?,
                        ),
                    },
                    ForwardIn::Other(None) => return Err(bad("forward answer", "null")),
                };
                Ok((DnsName::from_presentation(&name), answer))
            })
            .collect::<Result<_, String>>()?;
        let findings = self
            .findings
            .into_iter()
            .map(FindingIn::into_model)
            .collect::<Result<_, _>>()?;
        let status = parse_status(&self.status).ok_or_else(|| bad("status", &self.status))?;
        Ok(AddressRecord {
            target: Target {
                ip: self.ip,
                block,
                expected_ptr: self.expected,
            },
            lookup: Lookup {
                rcode,
                answer,
                cname_chain: self
                    .cname_chain
                    .iter()
                    .map(|n| DnsName::from_presentation(n))
                    .collect(),
                attempts: self.attempts,
                forward,
            },
            findings,
            status,
        })
    }
}

/// A `blocks` entry of the json document as read back (counts are ignored:
/// they are recomputed from the records).
#[derive(Deserialize, Debug)]
pub(crate) struct BlockIn {
    datacenter: String,
    cidr: IpNet,
    policy: String,
    expect_ptr: Option<String>,
    migrated_from: Option<String>,
    severities: OrderedMap<String>,
    source: SourceIn,
}

impl BlockIn {
    pub(crate) fn into_model(self) -> Result<BlockInfo, String> {
        let severities = self
            .severities
            .0
            .into_iter()
            .map(|(c, s)| {
                Ok((
                    FindingCode::parse(&c).ok_or_else(|| bad("finding code", &c))?,
                    Severity::parse(&s).ok_or_else(|| bad("severity", &s))?,
                ))
            })
            .collect::<Result<_, String>>()?;
        Ok(BlockInfo {
            datacenter: Arc::from(self.datacenter.as_str()),
            cidr: self.cidr,
            policy: parse_policy(&self.policy).ok_or_else(|| bad("policy", &self.policy))?,
            expect_ptr: self.expect_ptr,
            migrated_from: self.migrated_from.map(|m| Arc::from(m.as_str())),
            severities: SeverityOverrides(severities),
            source: self.source.into_model(),
        })
    }
}

/// A block finding as read back.
#[derive(Deserialize, Debug)]
pub(crate) struct BlockFindingIn {
    pub(crate) datacenter: String,
    pub(crate) block: IpNet,
    pub(crate) finding: FindingInWrap,
}

/// A finding inside a block finding.
#[derive(Deserialize, Debug)]
#[serde(transparent)]
pub(crate) struct FindingInWrap(FindingIn);

impl FindingInWrap {
    pub(crate) fn into_model(self) -> Result<Finding, String> {
        self.0.into_model()
    }
}
