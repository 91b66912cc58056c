//! `ptr-audit fix`: the DNS records that would fix a report's failing
//! addresses, as BIND zone lines, an `nsupdate` script or CSV.
//!
//! Only addresses whose expected name is known (an inventory template or
//! assignment) get records; the rest are listed as [`Unfixable`], never
//! guessed. Every name written is checked first: expected names must be plain
//! host names (letters, digits, hyphens), reverse owner names taken from a
//! CNAME chain must use only name characters, so nothing in a report can
//! inject a zone-file or `nsupdate` line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, FindingCode, ForwardAnswer, PtrAnswer, Status};

use crate::escape::csv;

/// The output syntax of `fix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixFormat {
    /// BIND zone-file lines, grouped per reverse zone.
    Bind,
    /// An `nsupdate` script.
    Nsupdate,
    /// CSV rows for a provider API.
    Csv,
}

/// A `--as` value that is not a [`FixFormat`].
#[derive(Debug, thiserror::Error)]
#[error("unknown fix format `{0}` (known: bind, nsupdate, csv)")]
pub struct UnknownFixFormat(pub String);

impl FromStr for FixFormat {
    type Err = UnknownFixFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bind" => Ok(FixFormat::Bind),
            "nsupdate" => Ok(FixFormat::Nsupdate),
            "csv" => Ok(FixFormat::Csv),
            other => Err(UnknownFixFormat(other.to_owned())),
        }
    }
}

/// A PTR record to publish (replacing whatever the owner has now).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtrFix {
    /// The address.
    pub ip: IpAddr,
    /// The owner name, absolute (`25.113.0.203.in-addr.arpa.`).
    pub owner: String,
    /// The name it should point at, absolute.
    pub target: String,
    /// The address's status in the report.
    pub status: Status,
}

/// A forward record to add so the expected name confirms the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardFix {
    /// The host name, absolute.
    pub name: String,
    /// The address (an `A` record for IPv4, `AAAA` for IPv6).
    pub ip: IpAddr,
    /// The address's status in the report.
    pub status: Status,
}

impl ForwardFix {
    /// `A` or `AAAA`.
    pub fn rtype(&self) -> &'static str {
        if self.ip.is_ipv4() { "A" } else { "AAAA" }
    }
}

/// Why a failing address got no record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnfixableWhy {
    /// The inventory has no expectation for it: set `expect_ptr` or an assignment.
    NoExpectation,
    /// The PTR is unknown (`lookup-failed`): rescan first.
    Unknown,
    /// The expected name is not a valid host name.
    InvalidExpectation,
    /// The reverse owner name (from a CNAME chain) has characters a zone file cannot hold.
    InvalidOwner,
    /// The PTR already is the expected name and its forward records were not
    /// shown missing: publishing records would not change the finding.
    NotByRecords,
}

impl UnfixableWhy {
    /// A short explanation.
    pub fn describe(self) -> &'static str {
        match self {
            UnfixableWhy::NoExpectation => {
                "no expected name known (set `expect_ptr` or an assignment in the inventory)"
            }
            UnfixableWhy::Unknown => "no answer (`lookup-failed`): rescan first",
            UnfixableWhy::InvalidExpectation => "the expected name is not a valid host name",
            UnfixableWhy::InvalidOwner => "the reverse name from the CNAME chain is not usable",
            UnfixableWhy::NotByRecords => {
                "the PTR already is the expected name: publishing records does not help"
            }
        }
    }
}

/// A failing address that gets no record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfixable {
    /// The address.
    pub ip: IpAddr,
    /// Its status.
    pub status: Status,
    /// Why.
    pub why: UnfixableWhy,
}

/// The records that would fix a report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixPlan {
    /// PTR records per reverse zone (zone name, absolute), zones and records sorted.
    pub zones: BTreeMap<String, Vec<PtrFix>>,
    /// Forward records, sorted by name then address.
    pub forward: Vec<ForwardFix>,
    /// Failing addresses without records, sorted by reason then address.
    pub unfixable: Vec<Unfixable>,
}

impl FixPlan {
    /// Number of records to publish.
    pub fn len(&self) -> usize {
        self.zones.values().map(Vec::len).sum::<usize>() + self.forward.len()
    }

    /// True when there is nothing to publish.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A plain host name (RFC 1123 letters, digits and hyphens), normalised to
/// lowercase with a trailing dot; `None` when the name is anything else.
pub fn host_name(name: &str) -> Option<String> {
    let n = name.strip_suffix('.').unwrap_or(name);
    if n.is_empty() || n.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = n.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    for l in &labels {
        let ok = !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return None;
        }
    }
    Some(format!("{}.", n.to_ascii_lowercase()))
}

/// An owner name taken from DNS (a CNAME target in the reverse tree): only
/// letters, digits, `-`, `_`, `/` and dots between non-empty labels.
fn owner_name(name: &str) -> Option<String> {
    let n = name.strip_suffix('.').unwrap_or(name);
    if n.is_empty() || n.len() > 253 {
        return None;
    }
    let ok = n.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'))
    });
    ok.then(|| format!("{}.", n.to_ascii_lowercase()))
}

/// The reverse name of an address (`25.113.0.203.in-addr.arpa.`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let mut s = String::with_capacity(73);
            for b in a.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa.");
            s
        }
    }
}

/// The reverse zone an address's PTR belongs in, and its owner name there.
///
/// - A CNAME chain seen by the scan wins: the PTR lives at its last name,
///   in the zone one label up (RFC 2317 as deployed).
/// - An IPv4 block smaller than a /24 with no PTR and no chain: the RFC 2317
///   child zone `FIRST/PREFIX.C.B.A.in-addr.arpa.`, owner `D.FIRST/PREFIX.…`
///   (the parent zone must CNAME into it).
/// - Otherwise the /24 zone for IPv4, and for IPv6 the block's zone at a
///   nibble boundary, no smaller than a /64.
pub fn reverse_zone(
    ip: IpAddr,
    block: IpNet,
    rec: Option<&AddressRecord>,
) -> Option<(String, String)> {
    if let Some(last) = rec.and_then(|r| r.lookup.cname_chain.last()) {
        let owner = owner_name(last.as_str())?;
        let zone = owner.split_once('.')?.1.to_owned();
        if zone.is_empty() {
            return None;
        }
        return Some((zone, owner));
    }
    let has_ptr = rec.is_some_and(|r| matches!(r.lookup.answer, PtrAnswer::Names(_)));
    match (ip, block) {
        (IpAddr::V4(a), IpNet::V4(net)) => {
            let o = a.octets();
            let parent = format!("{}.{}.{}.in-addr.arpa.", o[2], o[1], o[0]);
            if net.prefix_len() > 24 && !has_ptr {
                let first = net.network().octets()[3];
                let zone = format!("{first}/{}.{parent}", net.prefix_len());
                Some((zone.clone(), format!("{}.{zone}", o[3])))
            } else {
                Some((parent, reverse_name(ip)))
            }
        }
        (IpAddr::V6(_), IpNet::V6(net)) => {
            let nibbles = (net.prefix_len().min(64) / 4) as usize;
            let owner = reverse_name(ip);
            // The owner has 32 nibble labels of 2 characters each.
            let zone = owner[(32 - nibbles) * 2..].to_owned();
            Some((zone, owner))
        }
        _ => Some((
            reverse_name(ip).split_once('.')?.1.to_owned(),
            reverse_name(ip),
        )),
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Works out the records for a report's records.
pub fn plan<'a>(records: impl IntoIterator<Item = &'a AddressRecord>) -> FixPlan {
    let mut p = FixPlan::default();
    for rec in records {
        if rec.status == Status::Ok {
            continue;
        }
        let ip = rec.target.ip;
        let mut unfixable = |why| {
            p.unfixable.push(Unfixable {
                ip,
                status: rec.status,
                why,
            })
        };
        if rec
            .findings
            .iter()
            .any(|f| f.code == FindingCode::LookupFailed)
            || matches!(rec.lookup.answer, PtrAnswer::Failed(_))
        {
            unfixable(UnfixableWhy::Unknown);
            continue;
        }
        let Some(expected) = rec.target.expected_ptr.as_deref() else {
            unfixable(UnfixableWhy::NoExpectation);
            continue;
        };
        let Some(target) = host_name(expected) else {
            unfixable(UnfixableWhy::InvalidExpectation);
            continue;
        };
        let ptr_ok = match &rec.lookup.answer {
            PtrAnswer::Names(n) => n.len() == 1 && same_name(n[0].as_str(), &target),
            _ => false,
        };
        let forward_missing = rec.lookup.forward.iter().any(|(name, ans)| {
            same_name(name.as_str(), &target)
                && match ans {
                    ForwardAnswer::Addresses(a) => !a.contains(&ip),
                    ForwardAnswer::NxDomain | ForwardAnswer::NoData => true,
                    ForwardAnswer::Failed(_) => false,
                }
        });
        if ptr_ok && !forward_missing {
            unfixable(UnfixableWhy::NotByRecords);
            continue;
        }
        if !ptr_ok {
            let Some((zone, owner)) = reverse_zone(ip, rec.target.block.cidr, Some(rec)) else {
                unfixable(UnfixableWhy::InvalidOwner);
                continue;
            };
            p.zones.entry(zone).or_default().push(PtrFix {
                ip,
                owner,
                target: target.clone(),
                status: rec.status,
            });
        }
        if forward_missing {
            p.forward.push(ForwardFix {
                name: target,
                ip,
                status: rec.status,
            });
        }
    }
    for v in p.zones.values_mut() {
        v.sort_by_key(|f| f.ip);
    }
    p.forward
        .sort_by(|a, b| (&a.name, a.ip).cmp(&(&b.name, b.ip)));
    p.unfixable.sort_by_key(|u| (u.why, u.ip));
    p
}

/// Options of the written records.
#[derive(Clone, Copy, Debug)]
pub struct FixOptions {
    /// TTL of every record.
    pub ttl: u32,
}

impl Default for FixOptions {
    fn default() -> Self {
        Self { ttl: 3600 }
    }
}

fn unfixable_comments(out: &mut dyn Write, plan: &FixPlan) -> io::Result<()> {
    let mut last = None;
    for u in &plan.unfixable {
        if last != Some(u.why) {
            writeln!(out, ";\n; not fixed: {}", u.why.describe())?;
            last = Some(u.why);
        }
        writeln!(out, ";   {} {}", u.ip, u.status.as_str())?;
    }
    Ok(())
}

/// Writes the plan in `format`. Names in the plan are already validated.
pub fn write(
    plan: &FixPlan,
    format: FixFormat,
    options: FixOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let ttl = options.ttl;
    match format {
        FixFormat::Bind => {
            writeln!(out, "; ptr-audit fix: {} records to publish", plan.len())?;
            writeln!(
                out,
                "; Each owner below must end up with exactly this PTR: replace its current PTR records."
            )?;
            for (zone, fixes) in &plan.zones {
                writeln!(out)?;
                writeln!(out, "; zone {zone}")?;
                for f in fixes {
                    writeln!(out, "{}\t{ttl}\tIN\tPTR\t{}", f.owner, f.target)?;
                }
            }
            if !plan.forward.is_empty() {
                writeln!(out)?;
                writeln!(
                    out,
                    "; forward records: add to the zone that holds each name"
                )?;
                for f in &plan.forward {
                    writeln!(out, "{}\t{ttl}\tIN\t{}\t{}", f.name, f.rtype(), f.ip)?;
                }
            }
            unfixable_comments(out, plan)?;
        }
        FixFormat::Nsupdate => {
            writeln!(out, "; ptr-audit fix: {} records to publish", plan.len())?;
            writeln!(
                out,
                "; run with: nsupdate -k KEYFILE THIS_FILE (add a `server` line if needed)"
            )?;
            for (zone, fixes) in &plan.zones {
                writeln!(out, "zone {zone}")?;
                for f in fixes {
                    writeln!(out, "update delete {} PTR", f.owner)?;
                    writeln!(out, "update add {} {ttl} PTR {}", f.owner, f.target)?;
                }
                writeln!(out, "send")?;
            }
            for f in &plan.forward {
                writeln!(out, "update add {} {ttl} {} {}", f.name, f.rtype(), f.ip)?;
                writeln!(out, "send")?;
            }
            unfixable_comments(out, plan)?;
        }
        FixFormat::Csv => {
            writeln!(out, "action,zone,owner,ttl,type,value,ip,status\r")?;
            for (zone, fixes) in &plan.zones {
                for f in fixes {
                    writeln!(
                        out,
                        "replace,{},{},{ttl},PTR,{},{},{}\r",
                        csv(zone),
                        csv(&f.owner),
                        csv(&f.target),
                        f.ip,
                        f.status.as_str()
                    )?;
                }
            }
            for f in &plan.forward {
                writeln!(
                    out,
                    "add,,{},{ttl},{},{},{},{}\r",
                    csv(&f.name),
                    f.rtype(),
                    f.ip,
                    f.ip,
                    f.status.as_str()
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_strict() {
        assert_eq!(
            host_name("Mail5.Example.NET"),
            Some("mail5.example.net.".into())
        );
        assert_eq!(host_name("mail.example."), Some("mail.example.".into()));
        assert_eq!(host_name("mail"), None);
        assert_eq!(host_name("a b.example"), None);
        assert_eq!(host_name("x.example.\n@ IN NS evil."), None);
        assert_eq!(host_name("-x.example"), None);
        assert_eq!(host_name("a..example"), None);
        assert_eq!(host_name("under_score.example"), None);
        assert_eq!(host_name(&format!("{}.example", "a".repeat(64))), None);
    }

    #[test]
    fn reverse_zones_follow_block_shape() {
        let ip: IpAddr = "192.0.2.10".parse().unwrap();
        let z = reverse_zone(ip, "192.0.2.0/26".parse().unwrap(), None).unwrap();
        assert_eq!(
            z,
            (
                "0/26.2.0.192.in-addr.arpa.".into(),
                "10.0/26.2.0.192.in-addr.arpa.".into()
            )
        );
        let z = reverse_zone(ip, "192.0.0.0/16".parse().unwrap(), None).unwrap();
        assert_eq!(
            z,
            (
                "2.0.192.in-addr.arpa.".into(),
                "10.2.0.192.in-addr.arpa.".into()
            )
        );
        let ip6: IpAddr = "2001:db8:10::5".parse().unwrap();
        let (zone, owner) = reverse_zone(ip6, "2001:db8:10::/124".parse().unwrap(), None).unwrap();
        assert_eq!(zone, "0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
        assert!(owner.starts_with("5.0.0.0."));
        assert!(owner.ends_with(&zone));
        assert_eq!(owner.len(), 73);
    }
}
