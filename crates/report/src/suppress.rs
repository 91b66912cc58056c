//! Suppressions (`--suppress`): accepted findings read from a YAML file,
//! each for an address or a network, with a reason and an optional expiry.

use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use ptr_audit_model::{FindingCode, SourceLocation};
use ptr_audit_yaml::{Kind, Node};

use crate::ReportError;
use crate::time::Date;

/// What a suppression applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressScope {
    /// One address.
    Ip(IpAddr),
    /// Every address in a network, and block findings of blocks inside it.
    Block(IpNet),
}

impl SuppressScope {
    pub(crate) fn covers(&self, ip: Option<IpAddr>, block: IpNet) -> bool {
        match (self, ip) {
            (SuppressScope::Ip(a), Some(ip)) => *a == ip,
            (SuppressScope::Ip(_), None) => false,
            (SuppressScope::Block(net), Some(ip)) => net.contains(&ip),
            (SuppressScope::Block(net), None) => net.contains(&block),
        }
    }
}

impl std::fmt::Display for SuppressScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuppressScope::Ip(a) => write!(f, "{a}"),
            SuppressScope::Block(n) => write!(f, "{n}"),
        }
    }
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The address or block.
    pub scope: SuppressScope,
    /// The finding code it suppresses.
    pub code: FindingCode,
    /// Why (required: a suppression nobody can explain is a finding hidden).
    pub reason: String,
    /// The last day it applies (UTC), if it expires.
    pub expires: Option<Date>,
    /// Where it is written.
    pub source: SourceLocation,
}

impl Suppression {
    pub(crate) fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| today > e)
    }
}

/// A suppressions file (`--suppress`): a YAML list of entries.
///
/// ```yaml
/// - ip: 203.0.113.5
///   code: ptr-generic
///   reason: customer's own naming scheme, ticket 4711
///   expires: 2026-12-31
/// - block: 198.51.100.48/29
///   code: lookup-failed
///   reason: reverse zone not deployed yet
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suppressions {
    /// The entries, in file order.
    pub entries: Vec<Suppression>,
}

/// The keys of a suppression entry.
const ENTRY_KEYS: [&str; 5] = ["ip", "block", "code", "reason", "expires"];

/// A suppression entry's fields, as written.
struct Entry {
    ip: Option<String>,
    block: Option<String>,
    code: String,
    reason: String,
    expires: Option<String>,
}

impl Suppressions {
    /// Reads and checks a suppressions file.
    pub fn load(path: &Path) -> Result<Suppressions, ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_owned(),
            source,
        })?;
        Suppressions::parse(&text, path)
    }

    /// Parses suppressions from text; `path` is used in errors and locations.
    pub fn parse(text: &str, path: &Path) -> Result<Suppressions, ReportError> {
        if text.trim().is_empty() {
            return Ok(Suppressions::default());
        }
        let yaml_err = |line: u32, column: u32, message: String| ReportError::Yaml {
            path: path.to_owned(),
            line,
            column,
            message,
        };
        let root = ptr_audit_yaml::parse(text).map_err(|e| yaml_err(e.line, e.col, e.message))?;
        let items = match root {
            None => Vec::new(),
            Some(Node {
                kind: Kind::Seq(items),
                ..
            }) => items,
            Some(other) => {
                return Err(yaml_err(
                    other.line,
                    other.col,
                    format!("want a list of entries, found {}", other.kind_name()),
                ));
            }
        };
        let mut entries = Vec::new();
        for item in items {
            let line = item.line;
            let err = |message: String| ReportError::Suppression {
                path: path.to_owned(),
                line,
                message,
            };
            let Kind::Map(pairs) = item.kind else {
                return Err(yaml_err(
                    item.line,
                    item.col,
                    format!(
                        "want an entry (`ip` or `block`, `code`, `reason`), found {}",
                        item.kind_name()
                    ),
                ));
            };
            // key -> text, each key once, every value text.
            let mut fields: [Option<String>; ENTRY_KEYS.len()] = Default::default();
            for (key, value) in pairs {
                let Kind::Scalar { text: name, .. } = &key.kind else {
                    return Err(yaml_err(key.line, key.col, "a key must be text".into()));
                };
                let Some(slot) = ENTRY_KEYS.iter().position(|k| k == name) else {
                    return Err(yaml_err(
                        key.line,
                        key.col,
                        format!("unknown key `{name}` (known: {})", ENTRY_KEYS.join(", ")),
                    ));
                };
                if fields[slot].is_some() {
                    return Err(yaml_err(
                        key.line,
                        key.col,
                        format!("`{name}` is given twice"),
                    ));
                }
                let Kind::Scalar { text, .. } = value.kind else {
                    return Err(yaml_err(
                        value.line,
                        value.col,
                        format!("`{name}` must be text, found {}", value.kind_name()),
                    ));
                };
                fields[slot] = Some(text);
            }
            let [ip, block, code, reason, expires] = fields;
            let code = code.ok_or_else(|| err("an entry needs `code`".into()))?;
            let reason = reason.ok_or_else(|| err("an entry needs `reason`".into()))?;
            let e = Entry {
                ip,
                block,
                code,
                reason,
                expires,
            };
            let scope = match (&e.ip, &e.block) {
                (Some(ip), None) => SuppressScope::Ip(
                    ip.trim()
                        .parse()
                        .map_err(|_| err(format!("`ip: {ip}` is not an IP address")))?,
                ),
                (None, Some(b)) => {
                    let net: IpNet = b
                        .trim()
                        .parse()
                        .map_err(|_| err(format!("`block: {b}` is not a CIDR block")))?;
                    if net.trunc() != net {
                        return Err(err(format!(
                            "`block: {b}` has host bits set: did you mean `{}`?",
                            net.trunc()
                        )));
                    }
                    SuppressScope::Block(net)
                }
                (Some(_), Some(_)) => {
                    return Err(err("an entry names both `ip` and `block`: use one".into()));
                }
                (None, None) => return Err(err("an entry needs `ip` or `block`".into())),
            };
            let code = FindingCode::parse(e.code.trim()).ok_or_else(|| {
                let known: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
                err(format!(
                    "unknown finding code `{}` (known: {})",
                    e.code,
                    known.join(", ")
                ))
            })?;
            if e.reason.trim().is_empty() {
                return Err(err("`reason` must not be empty".into()));
            }
            let expires = match &e.expires {
                None => None,
                Some(d) => Some(Date::parse(d.trim()).ok_or_else(|| {
                    err(format!("`expires: {d}` is not a date (write `YYYY-MM-DD`)"))
                })?),
            };
            entries.push(Suppression {
                scope,
                code,
                reason: e.reason,
                expires,
                source: SourceLocation {
                    file: path.to_owned(),
                    line,
                },
            });
        }
        Ok(Suppressions { entries })
    }
}
