//! The full reader of records (and of the `json` document's block entries
//! and block findings): owned `*In` structs read through serde, then turned
//! into model types with every keyword checked. Unknown fields are ignored:
//! later versions only add fields.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ipnet::IpNet;
use ptr_audit_model::{
    AddressRecord, BlockInfo, Detail, DetailValue, DnsName, Dnsbl, DnsblAnswer, DnsblKind,
    DnsblResult, Finding, FindingCode, ForwardAnswer, Iprev, Lookup, Policy, PtrAnswer, PtrResult,
    Rcode, ReceiverId, ReceiverVerdict, Receivers, Score, Severity, SeverityOverrides,
    SourceLocation, Status, Target, Verdict,
};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{parse_failure, parse_forward_text};

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
        let result = DnsblResult::parse(&self.result)
            .ok_or_else(|| bad("blocklist result", &self.result))?;
        let answer = match result {
            DnsblResult::Answer => DnsblAnswer::Codes(self.codes),
            DnsblResult::NotListed => DnsblAnswer::NotListed,
            DnsblResult::Failed => {
                let text = self.failure.unwrap_or_default();
                DnsblAnswer::Failed(parse_failure(&text).ok_or_else(|| bad("failure", &text))?)
            }
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

impl RecordIn {
    /// The block this record names, for records with no block table (jsonl).
    pub(crate) fn block_info(&self) -> Result<BlockInfo, String> {
        Ok(BlockInfo {
            datacenter: Arc::from(self.datacenter.as_str()),
            cidr: self.block,
            policy: Policy::parse(&self.policy).ok_or_else(|| bad("policy", &self.policy))?,
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
        let result = PtrResult::parse(&self.result).ok_or_else(|| bad("result", &self.result))?;
        let answer = match result {
            PtrResult::Answer => PtrAnswer::Names(names()),
            PtrResult::NxDomain => PtrAnswer::NxDomain,
            PtrResult::NoData => PtrAnswer::NoData,
            PtrResult::BrokenDelegation => PtrAnswer::BrokenDelegation {
                target: DnsName::from_presentation(self.dead_end.as_deref().unwrap_or(".")),
            },
            PtrResult::Failed => {
                let text = self.failure.as_deref().unwrap_or("");
                PtrAnswer::Failed(parse_failure(text).ok_or_else(|| bad("failure", text))?)
            }
        };
        let rcode = match &self.rcode {
            None => None,
            Some(t) => Some(Rcode::parse(t).ok_or_else(|| bad("rcode", t))?),
        };
        let forward = self
            .forward
            .0
            .into_iter()
            .map(|(name, f)| {
                let answer = match f {
                    ForwardIn::Addresses(a) => ForwardAnswer::Addresses(a),
                    ForwardIn::Other(Some(t)) => {
                        parse_forward_text(&t).ok_or_else(|| bad("forward answer", &t))?
                    }
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
        let status = Status::parse(&self.status).ok_or_else(|| bad("status", &self.status))?;
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
            policy: Policy::parse(&self.policy).ok_or_else(|| bad("policy", &self.policy))?,
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
