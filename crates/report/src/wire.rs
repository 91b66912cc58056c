//! The wire form of the per-address record (`docs/report-format.md`): written
//! by the `json`, `jsonl` and checkpoint outputs, read back by [`crate::read_report`].
//!
//! Records are written by [`RecordWriter`], by hand (they are on the scan's
//! hot path), and tested byte for byte against serde views of the model
//! types; reading goes through owned `*In` structs that are then turned back
//! into model types.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ipnet::IpNet;
use ptr_audit_model::{
    AddressRecord, BlockInfo, Detail, DetailValue, DnsName, Dnsbl, DnsblAnswer, DnsblKind,
    FailureReason, Finding, FindingCode, ForwardAnswer, Iprev, Lookup, Policy, PtrAnswer, Rcode,
    ReceiverId, ReceiverVerdict, Receivers, Score, Severity, SeverityOverrides, SourceLocation,
    Status, Target, Verdict,
};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
#[cfg(test)]
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

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

/// The `result` of a blocklist answer: `answer` (return codes came back,
/// in `codes`), `not-listed`, or `failed`.
pub(crate) fn dnsbl_result(answer: &DnsblAnswer) -> &'static str {
    match answer {
        DnsblAnswer::Codes(_) => "answer",
        DnsblAnswer::NotListed => "not-listed",
        DnsblAnswer::Failed(_) => "failed",
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

/// A borrowed view that serializes one [`AddressRecord`] in the stable field
/// order through serde: the reference [`RecordWriter`] is tested against.
#[cfg(test)]
pub(crate) struct RecordOut<'a>(pub &'a AddressRecord);

#[cfg(test)]
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
        m.serialize_entry("iprev", rec.iprev.as_str())?;
        m.serialize_entry("receivers", &ReceiversOut(&rec.receivers))?;
        m.serialize_entry("dnsbl", &DnsblsOut(&lookup.dnsbl))?;
        m.end()
    }
}

/// The serde view of a record's blocklist answers.
#[cfg(test)]
struct DnsblsOut<'a>(&'a [(Arc<Dnsbl>, DnsblAnswer)]);

#[cfg(test)]
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
            m.insert("result".into(), dnsbl_result(answer).into());
            m.insert("codes".into(), codes.into());
            m.insert("failure".into(), failure.into());
            seq.serialize_element(&m)?;
        }
        seq.end()
    }
}

/// The serde view of a record's receiver entries.
#[cfg(test)]
struct ReceiversOut<'a>(&'a Receivers);

#[cfg(test)]
impl Serialize for ReceiversOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.0.len()))?;
        for e in &self.0.0 {
            seq.serialize_element(&ReceiverOut(e))?;
        }
        seq.end()
    }
}

#[cfg(test)]
struct ReceiverOut<'a>(&'a ReceiverVerdict);

#[cfg(test)]
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
#[cfg(test)]
struct Shown<'a, T: fmt::Display>(&'a T);

#[cfg(test)]
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

#[cfg(test)]
struct Names<'a>(&'a [DnsName]);

#[cfg(test)]
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

#[cfg(test)]
struct ForwardOut<'a>(&'a [(DnsName, ForwardAnswer)]);

#[cfg(test)]
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

#[cfg(test)]
pub(crate) struct FindingsOut<'a>(pub &'a [Finding]);

#[cfg(test)]
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
                DetailValue::StaticList(l) => m.serialize_entry(&key, l)?,
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
        m.serialize_entry("expect_pbl", &b.expect_pbl)?;
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
    iprev: String,
    receivers: Vec<ReceiverIn>,
    /// Absent from version 2 records (no blocklist was asked then).
    #[serde(default)]
    dnsbl: Vec<DnsblIn>,
}

/// A blocklist answer as read back.
#[derive(Deserialize, Debug)]
struct DnsblIn {
    list: String,
    kind: String,
    result: String,
    codes: Vec<std::net::Ipv4Addr>,
    failure: Option<String>,
}

impl DnsblIn {
    fn into_model(self) -> Result<(Arc<Dnsbl>, DnsblAnswer), String> {
        let kind = DnsblKind::parse(&self.kind).ok_or_else(|| bad("blocklist kind", &self.kind))?;
        let answer = match self.result.as_str() {
            "answer" => DnsblAnswer::Codes(self.codes),
            "not-listed" => DnsblAnswer::NotListed,
            "failed" => {
                let text = self.failure.unwrap_or_default();
                DnsblAnswer::Failed(parse_failure(&text).ok_or_else(|| bad("failure", &text))?)
            }
            other => return Err(bad("blocklist result", other)),
        };
        Ok((
            Arc::new(Dnsbl {
                name: self.list,
                kind,
            }),
            answer,
        ))
    }
}

/// A receiver entry as read back (`details` are not written in records).
#[derive(Deserialize, Debug)]
struct ReceiverIn {
    id: String,
    verdict: String,
    score: Option<serde_json::Number>,
    rules: Vec<String>,
    source: String,
}

impl ReceiverIn {
    fn into_model(self) -> Result<ReceiverVerdict, String> {
        let score = match self.score {
            None => None,
            Some(n) => {
                let text = n.to_string();
                Some(Score::parse(&text).ok_or_else(|| bad("score", &text))?)
            }
        };
        Ok(ReceiverVerdict {
            id: ReceiverId::parse(&self.id).ok_or_else(|| bad("receiver", &self.id))?,
            verdict: Verdict::parse(&self.verdict).ok_or_else(|| bad("verdict", &self.verdict))?,
            score,
            rules: self.rules.into_iter().map(Cow::Owned).collect(),
            details: Vec::new(),
            source: Cow::Owned(self.source),
        })
    }
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
            expect_pbl: false,
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
        let iprev = Iprev::parse(&self.iprev).ok_or_else(|| bad("iprev", &self.iprev))?;
        let receivers = Receivers(
            self.receivers
                .into_iter()
                .map(ReceiverIn::into_model)
                .collect::<Result<_, _>>()?,
        );
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
                dnsbl: self
                    .dnsbl
                    .into_iter()
                    .map(DnsblIn::into_model)
                    .collect::<Result<_, _>>()?,
            },
            findings,
            status,
            receivers,
            iprev,
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
    /// Absent before version 3.
    #[serde(default)]
    expect_pbl: bool,
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
            expect_pbl: self.expect_pbl,
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

// ---------------------------------------------------------------------------
// Writing by hand

/// Writes records as compact JSON, byte for byte what serde_json writes for
/// [`RecordOut`], without the serializer machinery: `jsonl` and the `json`
/// spool write one per address, so this is on the scan's hot path.
///
/// The fields that are the same for every address of a block are rendered
/// once and reused while records of that block follow each other.
pub(crate) struct RecordWriter {
    block: Option<(Arc<BlockInfo>, String)>,
    /// Static lists (receivers) already written, with their JSON text.
    lists: Vec<(&'static [&'static str], String)>,
}

/// At most this many static lists keep their JSON text in a [`RecordWriter`].
const LISTS_KEPT: usize = 32;

impl RecordWriter {
    pub(crate) fn new() -> Self {
        Self {
            block: None,
            lists: Vec::new(),
        }
    }

    /// Appends `rec` to `out` (no newline).
    pub(crate) fn write(&mut self, out: &mut String, rec: &AddressRecord) {
        let block = &rec.target.block;
        let lookup = &rec.lookup;
        out.push_str("{\"ip\":\"");
        push_ip(out, rec.target.ip);
        out.push('"');
        match &self.block {
            Some((b, text)) if Arc::ptr_eq(b, block) => out.push_str(text),
            _ => {
                let mut text = String::with_capacity(128);
                block_fields(&mut text, block);
                out.push_str(&text);
                self.block = Some((block.clone(), text));
            }
        }
        out.push_str(",\"expected\":");
        push_opt_str(out, rec.target.expected_ptr.as_deref());
        out.push_str(",\"ptr\":");
        push_names(out, ptr_names(&lookup.answer));
        out.push_str(",\"cname_chain\":");
        push_names(out, &lookup.cname_chain);
        out.push_str(",\"rcode\":");
        match lookup.rcode {
            Some(r) => push_str(out, &r.as_str()),
            None => out.push_str("null"),
        }
        out.push_str(",\"result\":\"");
        out.push_str(result_keyword(&lookup.answer));
        out.push_str("\",\"failure\":");
        match &lookup.answer {
            PtrAnswer::Failed(r) => push_str(out, &failure_text(r)),
            _ => out.push_str("null"),
        }
        out.push_str(",\"dead_end\":");
        match &lookup.answer {
            PtrAnswer::BrokenDelegation { target } => push_str(out, target.as_str()),
            _ => out.push_str("null"),
        }
        out.push_str(",\"attempts\":");
        push_u64(out, u64::from(lookup.attempts));
        out.push_str(",\"forward\":{");
        for (i, (name, answer)) in lookup.forward.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, name.as_str());
            out.push(':');
            match answer {
                ForwardAnswer::Addresses(addrs) => {
                    out.push('[');
                    for (k, a) in addrs.iter().enumerate() {
                        if k > 0 {
                            out.push(',');
                        }
                        out.push('"');
                        push_ip(out, *a);
                        out.push('"');
                    }
                    out.push(']');
                }
                other => push_opt_str(out, forward_text(other).as_deref()),
            }
        }
        out.push_str("},\"status\":\"");
        out.push_str(rec.status.as_str());
        out.push_str("\",\"findings\":[");
        for (i, f) in rec.findings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.push_finding(out, f);
        }
        out.push_str("],\"iprev\":\"");
        out.push_str(rec.iprev.as_str());
        out.push_str("\",\"receivers\":[");
        for (i, e) in rec.receivers.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_receiver(out, e);
        }
        out.push_str("],\"dnsbl\":[");
        for (i, (list, answer)) in lookup.dnsbl.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"list\":");
            push_str(out, &list.name);
            out.push_str(",\"kind\":\"");
            out.push_str(list.kind.as_str());
            out.push_str("\",\"result\":\"");
            out.push_str(dnsbl_result(answer));
            out.push_str("\",\"codes\":[");
            if let DnsblAnswer::Codes(codes) = answer {
                for (k, c) in codes.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    push_ip(out, IpAddr::V4(*c));
                    out.push('"');
                }
            }
            out.push_str("],\"failure\":");
            match answer {
                DnsblAnswer::Failed(r) => push_str(out, &failure_text(r)),
                _ => out.push_str("null"),
            }
            out.push('}');
        }
        out.push_str("]}");
    }

    fn push_finding(&mut self, out: &mut String, f: &Finding) {
        out.push_str("{\"code\":\"");
        out.push_str(f.code.as_str());
        out.push_str("\",\"severity\":\"");
        out.push_str(f.severity.as_str());
        out.push_str("\",\"message\":");
        push_str(out, &f.message);
        for d in &f.details {
            out.push(',');
            if RESERVED.contains(&d.key) || d.key.starts_with("detail-") {
                push_str(out, &format!("detail-{}", d.key));
            } else {
                push_str(out, d.key);
            }
            out.push(':');
            match &d.value {
                DetailValue::Text(t) => push_str(out, t),
                DetailValue::List(l) => push_list(out, l.iter().map(String::as_str)),
                DetailValue::StaticList(l) => self.push_static_list(out, l),
                DetailValue::Count(n) => push_u64(out, *n),
            }
        }
        out.push('}');
    }

    /// A static list, from its JSON text when it was written before.
    fn push_static_list(&mut self, out: &mut String, list: &'static [&'static str]) {
        if let Some((_, text)) = self.lists.iter().find(|(l, _)| std::ptr::eq(*l, list)) {
            out.push_str(text);
            return;
        }
        let start = out.len();
        push_list(out, list.iter().copied());
        if self.lists.len() < LISTS_KEPT {
            self.lists.push((list, out[start..].to_owned()));
        }
    }
}

/// One receiver entry of a record: `id`, `verdict`, `score`, `rules`,
/// `source` (its `details` are left to `explain` and `classify`).
fn push_receiver(out: &mut String, e: &ReceiverVerdict) {
    use std::fmt::Write as _;
    out.push_str("{\"id\":\"");
    out.push_str(e.id.as_str());
    out.push_str("\",\"verdict\":\"");
    out.push_str(e.verdict.as_str());
    out.push_str("\",\"score\":");
    match e.score {
        Some(score) => {
            let _ = write!(out, "{score}");
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"rules\":");
    push_list(out, e.rules.iter().map(|r| &**r));
    out.push_str(",\"source\":");
    push_str(out, &e.source);
    out.push('}');
}

/// `,"datacenter":…,"block":…,"policy":…,"source":{…}`.
fn block_fields(out: &mut String, block: &BlockInfo) {
    use std::fmt::Write as _;
    out.push_str(",\"datacenter\":");
    push_str(out, &block.datacenter);
    out.push_str(",\"block\":\"");
    let _ = write!(out, "{}", block.cidr);
    out.push_str("\",\"policy\":\"");
    out.push_str(block.policy.as_str());
    out.push_str("\",\"source\":{\"file\":");
    push_str(out, &block.source.file.to_string_lossy());
    out.push_str(",\"line\":");
    push_u64(out, u64::from(block.source.line));
    out.push('}');
}

fn push_names(out: &mut String, names: &[DnsName]) {
    push_list(out, names.iter().map(DnsName::as_str));
}

fn push_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

fn push_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_str(out, s),
        None => out.push_str("null"),
    }
}

/// A JSON string, escaped the way serde_json escapes: `"` and `\` with a
/// backslash, the control characters with their short forms or `\u00xx`,
/// everything else (including non-ASCII) as is.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Ok(word) = <[u8; 8]>::try_from(chunk)
            && !may_need_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if b >= 0x20 && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        // Splitting before an ASCII byte is always on a char boundary.
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        i += 1;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// False only when no byte of `w` is a control character, `"` or `\`
/// (it may say true for a word that needs nothing: the bytes are then
/// checked one by one).
fn may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| below(x, 1);
    (below(w, 0x20) | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// An unsigned integer in decimal.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends bytes known to be ASCII digits and dots.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// An address as its `Display` writes it (IPv4 without the formatter).
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let mut n = 0;
            for (k, o) in v4.octets().into_iter().enumerate() {
                if k > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if o >= 100 {
                    buf[n] = b'0' + o / 100;
                    n += 1;
                }
                if o >= 10 {
                    buf[n] = b'0' + o / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + o % 10;
                n += 1;
            }
            push_ascii(out, &buf[..n]);
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;
    use std::path::PathBuf;

    use ptr_audit_model::{Policy, Rcode, Severity};

    use super::*;

    /// Every ASCII byte, a few non-ASCII characters, and the escapes' neighbours.
    fn nasty() -> Vec<String> {
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

    fn record(text: &str, ip: IpAddr, block: &Arc<BlockInfo>) -> AddressRecord {
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

    fn block(dc: &str, file: &str) -> Arc<BlockInfo> {
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

    #[test]
    fn lean_reader_reads_back_what_the_writer_wrote() {
        let mut w = RecordWriter::new();
        let mut findings = Vec::new();
        let mut checked = 0;
        for text in nasty() {
            let b = block(&text, &text);
            let mut rec = record(&text, "10.0.0.1".parse().unwrap(), &b);
            for answer in [rec.lookup.answer.clone(), PtrAnswer::NxDomain] {
                rec.lookup.answer = answer;
                let mut line = String::new();
                w.write(&mut line, &rec);
                let lean = crate::lean::read_record(line.as_bytes(), &mut findings).unwrap();
                assert_eq!(lean.datacenter, text);
                assert_eq!(lean.block, "2001:db8::/32");
                assert_eq!(lean.expected.as_deref(), Some(text.as_str()));
                let first = ptr_names(&rec.lookup.answer).first();
                assert_eq!(lean.first_ptr.as_deref(), first.map(DnsName::as_str));
                assert_eq!(lean.status, Some(rec.status));
                let want: Vec<_> = rec.findings.iter().map(|f| (f.code, f.severity)).collect();
                assert_eq!(findings, want);
                checked += 1;
            }
        }
        assert_eq!(checked, 14);
    }

    #[test]
    fn strings_escape_like_serde_at_every_position() {
        let specials = ['"', '\\', '\u{0}', '\n', '\u{1f}', '\u{7f}', 'é', '☃', 'a'];
        let mut checked = 0;
        for len in 0..20 {
            for pos in 0..len {
                for sp in specials {
                    let text: String = (0..len).map(|k| if k == pos { sp } else { 'x' }).collect();
                    let mut got = String::new();
                    push_str(&mut got, &text);
                    assert_eq!(got, serde_json::to_string(&text).unwrap(), "{text:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * (0..20).sum::<usize>());
    }

    #[test]
    fn integers_and_addresses() {
        for o in 0..=255u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(o, 255 - o, o / 3, o % 7));
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
        for n in [0, 9, 10, 99, 100, 4_294_967_295, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for ip in [
            "0.0.0.0",
            "1.22.133.255",
            "100.109.110.9",
            "200.20.2.0",
            "::",
            "fe80::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }
}
