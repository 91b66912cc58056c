//! The plan of an apply: per zone, its primary and SOA serial, and per owner
//! name the record set there now and the one to leave; what is not applied,
//! with the reason; what to verify afterwards. Saved and read back as JSON
//! (`fix --plan-out`, `fix --plan`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use ptr_audit_report::fix::{FixPlan, Seen, owns};
use serde::{Deserialize, Serialize};

use crate::UpdateError;
use crate::exchange::{data_of, from_name, query, rcode_name};
use crate::route::{Routes, absolute, within};

/// What a plan file says it is.
const FORMAT: &str = "ptr-audit-apply-plan";
/// The plan file layout this version writes and reads.
const VERSION: u32 = 1;

/// One record of a record set: its TTL and data in presentation form (a
/// name for PTR, an address for A and AAAA).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rr {
    /// The TTL.
    pub ttl: u32,
    /// The data.
    pub data: String,
}

/// The record types an apply writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RrType {
    /// A reverse pointer.
    #[serde(rename = "PTR")]
    Ptr,
    /// An IPv4 address.
    A,
    /// An IPv6 address.
    #[serde(rename = "AAAA")]
    Aaaa,
}

impl RrType {
    /// The type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RrType::Ptr => "PTR",
            RrType::A => "A",
            RrType::Aaaa => "AAAA",
        }
    }
}

/// One owner name's record set of one type: what it is now (the update's
/// prerequisite) and what the update leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The owner name, absolute.
    pub owner: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: RrType,
    /// The record set now (empty: none).
    pub before: Vec<Rr>,
    /// The record set to leave (empty: none).
    pub after: Vec<Rr>,
    /// The audited addresses the change is for.
    pub addresses: Vec<IpAddr>,
}

impl Change {
    /// The change that undoes this one.
    pub fn reversed(&self) -> Change {
        Change {
            owner: self.owner.clone(),
            rtype: self.rtype,
            before: self.after.clone(),
            after: self.before.clone(),
            addresses: self.addresses.clone(),
        }
    }
}

/// The changes of one zone, sent to its primary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneChanges {
    /// The zone, absolute.
    pub zone: String,
    /// Its primary.
    pub server: SocketAddr,
    /// Its SOA serial when the plan was made (an apply of a saved plan
    /// refuses the zone when it moved); `None` for a rollback.
    pub serial: Option<u32>,
    /// One change per owner name and type.
    pub changes: Vec<Change>,
}

/// An address (or one of its records) the apply leaves alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplied {
    /// The address.
    pub ip: IpAddr,
    /// The owner or host name concerned, when known.
    pub name: Option<String>,
    /// Why.
    pub reason: String,
}

/// A zone whose primary cannot take its changes (unreachable, REFUSED,
/// NOTAUTH, not authoritative): an error, not a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneProblem {
    /// The zone.
    pub zone: String,
    /// The server asked.
    pub server: Option<SocketAddr>,
    /// What went wrong.
    pub message: String,
}

/// What to ask after the apply for one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The address.
    pub ip: IpAddr,
    /// The name its PTR must point at, and whose A/AAAA must hold it.
    pub name: String,
    /// Where its PTR lives (the owner of its PTR change), else its own
    /// reverse name, following CNAMEs.
    pub ptr_owner: Option<String>,
}

/// Which zones an apply may write to besides reverse zones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The provider's domains (from the report: `inventory.provider_domains`).
    pub provider_domains: Vec<String>,
    /// `--allow-zone`: further zones forward records may go to.
    pub allow_zones: Vec<String>,
}

impl Scope {
    /// Whether forward records may be written in `zone`.
    fn allows_forward(&self, zone: &str) -> bool {
        self.provider_domains
            .iter()
            .chain(&self.allow_zones)
            .any(|d| within(zone, &absolute(d)))
    }
}

/// The plan of an apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// `ptr-audit-apply-plan`.
    pub format: String,
    /// The layout version (1).
    pub version: u32,
    /// The `--apply` values the plan was made with (where to verify names
    /// whose zones have no changes).
    pub apply: Vec<String>,
    /// The changes, per zone (sorted by zone).
    pub zones: Vec<ZoneChanges>,
    /// Records already as the fix would leave them (nothing to send).
    pub unchanged: Vec<NotApplied>,
    /// What is not applied, with the reason.
    pub not_applied: Vec<NotApplied>,
    /// Zones whose primary cannot take changes.
    pub errors: Vec<ZoneProblem>,
    /// What to verify afterwards, per address.
    pub checks: Vec<Check>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Plan {
        Plan {
            format: FORMAT.to_owned(),
            version: VERSION,
            apply: Vec::new(),
            zones: Vec::new(),
            unchanged: Vec::new(),
            not_applied: Vec::new(),
            errors: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Number of changes to send.
    pub fn change_count(&self) -> usize {
        self.zones.iter().map(|z| z.changes.len()).sum()
    }

    /// The plan as a JSON document.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A plan read back from `text` (the file at `path`).
    pub fn from_json(text: &str, path: &Path) -> Result<Plan, UpdateError> {
        let syntax = |line, message| UpdateError::Syntax {
            path: path.to_owned(),
            line,
            message,
        };
        let plan: Plan = serde_json::from_str(text)
            .map_err(|e| syntax(e.line(), format!("not an apply plan: {e}")))?;
        if plan.format != FORMAT || plan.version != VERSION {
            return Err(syntax(
                0,
                format!("not a plan this version applies (expected `{FORMAT}` version {VERSION})"),
            ));
        }
        Ok(plan)
    }
}

impl Default for Plan {
    fn default() -> Self {
        Plan::new()
    }
}

/// The state of a zone at its primary.
struct ZoneAt {
    server: SocketAddr,
    serial: u32,
    changes: Vec<Change>,
}

/// The zones asked about so far.
#[derive(Default)]
struct Zones {
    /// Those whose primary answered for them.
    at: BTreeMap<String, ZoneAt>,
    /// Those whose changes are not applied, with the reason.
    broken: BTreeMap<String, String>,
}

impl Zones {
    /// The primary of `zone`, asked for its serial once; `Err` with the
    /// reason its changes are not applied (a [`ZoneProblem`] in `out` when
    /// the primary failed).
    fn ensure(
        &mut self,
        zone: &str,
        routes: &Routes,
        out: &mut Plan,
    ) -> Result<SocketAddr, String> {
        if let Some(z) = self.at.get(zone) {
            return Ok(z.server);
        }
        if let Some(why) = self.broken.get(zone) {
            return Err(why.clone());
        }
        let Some(server) = routes.server_for(zone) else {
            let why = format!("no `--apply` server for the zone `{zone}`");
            self.broken.insert(zone.to_owned(), why.clone());
            return Err(why);
        };
        match serial(server, zone) {
            Ok(serial) => {
                self.at.insert(
                    zone.to_owned(),
                    ZoneAt {
                        server,
                        serial,
                        changes: Vec::new(),
                    },
                );
                Ok(server)
            }
            Err(message) => {
                out.errors.push(ZoneProblem {
                    zone: zone.to_owned(),
                    server: Some(server),
                    message: message.clone(),
                });
                let why = format!("the zone `{zone}` cannot be updated at `{server}`: {message}");
                self.broken.insert(zone.to_owned(), why.clone());
                Err(why)
            }
        }
    }
}

/// What a primary holds at an owner name.
enum Look {
    /// The record set of the type asked (empty: none).
    Set(Vec<Rr>),
    /// An alias (CNAME) to this name: records of another type cannot be there.
    Alias(String),
}

/// The record set of `rtype` at `owner`, as its primary holds it.
fn look(server: SocketAddr, owner: &str, rtype: RrType) -> Result<Look, String> {
    let reply = query(server, owner, rtype.record_type(), false).map_err(|e| e.to_string())?;
    let rcode = reply.metadata.response_code;
    if !matches!(rcode, ResponseCode::NoError | ResponseCode::NXDomain) {
        return Err(format!("the server answered {}", rcode_name(rcode)));
    }
    if !reply.metadata.authoritative {
        return Err("the server's answer is not authoritative".to_owned());
    }
    let at_owner = |n: &hickory_proto::rr::Name| from_name(n).eq_ignore_ascii_case(owner);
    let mut set = Vec::new();
    for r in reply.answers.iter().filter(|r| at_owner(&r.name)) {
        if let RData::CNAME(c) = &r.data {
            return Ok(Look::Alias(from_name(&c.0)));
        }
        if let Some(data) = data_of(r, rtype) {
            set.push(Rr { ttl: r.ttl, data });
        }
    }
    set.sort();
    set.dedup_by(|a, b| a.data.eq_ignore_ascii_case(&b.data));
    Ok(Look::Set(set))
}

/// The SOA serial of `zone` at `server`, which must be authoritative for it.
pub(crate) fn serial(server: SocketAddr, zone: &str) -> Result<u32, String> {
    let reply = query(server, zone, RecordType::SOA, false).map_err(|e| e.to_string())?;
    let rcode = reply.metadata.response_code;
    if rcode != ResponseCode::NoError {
        return Err(format!(
            "the server answered {} for the zone's SOA: it is not a primary for the zone",
            rcode_name(rcode)
        ));
    }
    reply
        .answers
        .iter()
        .filter(|r| from_name(&r.name).eq_ignore_ascii_case(zone))
        .find_map(|r| match &r.data {
            RData::SOA(soa) if reply.metadata.authoritative => Some(soa.serial),
            _ => None,
        })
        .ok_or_else(|| {
            "the server holds no authoritative SOA at the zone: it is not a primary for it"
                .to_owned()
        })
}

/// Whether `zone` is a reverse zone an inventory's block can be in: below
/// `in-addr.arpa.` by at least two labels (a /16 or narrower), or below
/// `ip6.arpa.` by at least eight (a /32 or narrower) — never a registry's
/// zone above the provider's space.
fn reverse_zone_ok(zone: &str) -> bool {
    let zone = zone.to_ascii_lowercase();
    let below = |suffix: &str| {
        zone.strip_suffix(suffix)
            .map(|rest| rest.split('.').filter(|l| !l.is_empty()).count())
    };
    match (below("in-addr.arpa."), below("ip6.arpa.")) {
        (Some(n), _) => n >= 2,
        (_, Some(n)) => n >= 8,
        _ => false,
    }
}

fn same_set(seen: &Seen, now: &[Rr]) -> bool {
    let mut now: Vec<String> = now.iter().map(|r| r.data.to_ascii_lowercase()).collect();
    now.sort();
    now.dedup();
    match seen {
        Seen::Ptr(names) => {
            let mut names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            names.sort();
            names.dedup();
            names == now
        }
        Seen::NoPtr | Seen::NotQueried => now.is_empty(),
    }
}

fn describe(set: &[Rr], rtype: RrType) -> String {
    if set.is_empty() {
        return format!("no {}", rtype.as_str());
    }
    let data: Vec<&str> = set.iter().map(|r| r.data.as_str()).collect();
    format!("{} {}", rtype.as_str(), data.join(" "))
}

/// Plans the apply of `fixes` (records already placed in their zones:
/// [`FixPlan::place_in_zones`]) to the primaries of `routes`, writing new
/// records with `ttl`. Asks each primary for its zones' SOA and for the
/// record sets now at every owner name; a zone it cannot answer for is a
/// [`ZoneProblem`], an owner changed since the scan is [`NotApplied`].
pub fn plan(fixes: &FixPlan, scope: &Scope, routes: &Routes, ttl: u32) -> Plan {
    let mut out = Plan::new();
    let mut zones = Zones::default();
    let mut checks: BTreeMap<IpAddr, Check> = BTreeMap::new();
    for u in &fixes.unfixable {
        out.not_applied.push(NotApplied {
            ip: u.ip,
            name: u.owner.clone(),
            reason: u.why.describe().to_owned(),
        });
    }
    // Addresses whose PTR is not written get no forward record either: a
    // name pointing at an address whose PTR is someone else's fixes nothing.
    let mut ptr_refused: BTreeSet<IpAddr> = BTreeSet::new();
    for (zone, ptrs) in &fixes.zones {
        for f in ptrs {
            let mut refuse = |out: &mut Plan, reason: String| {
                ptr_refused.insert(f.ip);
                out.not_applied.push(NotApplied {
                    ip: f.ip,
                    name: Some(f.owner.clone()),
                    reason,
                })
            };
            if !owns(f.ip, &f.owner) {
                refuse(
                    &mut out,
                    "the PTR's owner does not belong to the address".into(),
                );
                continue;
            }
            if !reverse_zone_ok(zone) || !within(&f.owner, zone) {
                refuse(
                    &mut out,
                    format!(
                        "the zone `{zone}` is not a reverse zone the inventory's blocks are in"
                    ),
                );
                continue;
            }
            let server = match zones.ensure(zone, routes, &mut out) {
                Ok(server) => server,
                Err(why) => {
                    refuse(&mut out, why);
                    continue;
                }
            };
            checks.insert(
                f.ip,
                Check {
                    ip: f.ip,
                    name: f.target.clone(),
                    ptr_owner: Some(f.owner.clone()),
                },
            );
            let now = match look(server, &f.owner, RrType::Ptr) {
                Ok(Look::Set(now)) => now,
                Ok(Look::Alias(to)) => {
                    refuse(
                        &mut out,
                        format!("the owner is now an alias (CNAME {to}): changed since the scan"),
                    );
                    continue;
                }
                Err(why) => {
                    refuse(
                        &mut out,
                        format!("cannot read the owner at `{server}`: {why}"),
                    );
                    continue;
                }
            };
            let after = vec![Rr {
                ttl,
                data: f.target.clone(),
            }];
            if now.len() == 1 && now[0].data.eq_ignore_ascii_case(&f.target) {
                out.unchanged.push(NotApplied {
                    ip: f.ip,
                    name: Some(f.owner.clone()),
                    reason: "the PTR already is the expected name".into(),
                });
                continue;
            }
            if !same_set(&f.seen, &now) {
                refuse(
                    &mut out,
                    format!(
                        "changed since the scan: the scan saw {}, the primary holds {}",
                        f.seen.describe(),
                        describe(&now, RrType::Ptr)
                    ),
                );
                continue;
            }
            if let Some(z) = zones.at.get_mut(zone.as_str()) {
                z.changes.push(Change {
                    owner: f.owner.clone(),
                    rtype: RrType::Ptr,
                    before: now,
                    after,
                    addresses: vec![f.ip],
                });
            }
        }
    }
    // Forward records: one change per name and type, every address at once.
    let mut forward: BTreeMap<(String, String, RrType), Vec<IpAddr>> = BTreeMap::new();
    for f in &fixes.forward {
        let rtype = if f.ip.is_ipv4() {
            RrType::A
        } else {
            RrType::Aaaa
        };
        checks.entry(f.ip).or_insert_with(|| Check {
            ip: f.ip,
            name: f.name.clone(),
            ptr_owner: None,
        });
        if ptr_refused.contains(&f.ip) {
            out.not_applied.push(NotApplied {
                ip: f.ip,
                name: Some(f.name.clone()),
                reason: "its PTR is not written, so neither is the forward record".into(),
            });
            continue;
        }
        match &f.zone {
            Some(zone) => forward
                .entry((zone.clone(), f.name.clone(), rtype))
                .or_default()
                .push(f.ip),
            None => out.not_applied.push(NotApplied {
                ip: f.ip,
                name: Some(f.name.clone()),
                reason: "the zone holding the name is not known".into(),
            }),
        }
    }
    for ((zone, name, rtype), ips) in forward {
        let refuse = |out: &mut Plan, reason: String| {
            for ip in &ips {
                out.not_applied.push(NotApplied {
                    ip: *ip,
                    name: Some(name.clone()),
                    reason: reason.clone(),
                });
            }
        };
        if !within(&name, &zone) || !scope.allows_forward(&zone) {
            refuse(
                &mut out,
                format!(
                    "the zone `{zone}` is not one of the provider's domains (name it with `--allow-zone` to write there)"
                ),
            );
            continue;
        }
        let server = match zones.ensure(&zone, routes, &mut out) {
            Ok(server) => server,
            Err(why) => {
                refuse(&mut out, why);
                continue;
            }
        };
        let now = match look(server, &name, rtype) {
            Ok(Look::Set(now)) => now,
            Ok(Look::Alias(to)) => {
                refuse(
                    &mut out,
                    format!("the name is an alias (CNAME {to}): records cannot be added there"),
                );
                continue;
            }
            Err(why) => {
                refuse(
                    &mut out,
                    format!("cannot read the name at `{server}`: {why}"),
                );
                continue;
            }
        };
        let missing: Vec<IpAddr> = ips
            .iter()
            .copied()
            .filter(|ip| {
                !now.iter()
                    .any(|r| r.data.parse::<IpAddr>().ok() == Some(*ip))
            })
            .collect();
        for ip in ips.iter().filter(|ip| !missing.contains(ip)) {
            out.unchanged.push(NotApplied {
                ip: *ip,
                name: Some(name.clone()),
                reason: format!("the {} record is already there", rtype.as_str()),
            });
        }
        if missing.is_empty() {
            continue;
        }
        // A record set has one TTL: the added records take the set's.
        let set_ttl = now.first().map_or(ttl, |r| r.ttl);
        let mut after: Vec<Rr> = now
            .iter()
            .map(|r| Rr {
                ttl: set_ttl,
                data: r.data.clone(),
            })
            .chain(missing.iter().map(|ip| Rr {
                ttl: set_ttl,
                data: ip.to_string(),
            }))
            .collect();
        after.sort();
        if let Some(z) = zones.at.get_mut(zone.as_str()) {
            z.changes.push(Change {
                owner: name.clone(),
                rtype,
                before: now,
                after,
                addresses: missing,
            });
        }
    }
    out.zones = zones
        .at
        .into_iter()
        .filter(|(_, z)| !z.changes.is_empty())
        .map(|(zone, z)| ZoneChanges {
            zone,
            server: z.server,
            serial: Some(z.serial),
            changes: z.changes,
        })
        .collect();
    out.checks = checks.into_values().collect();
    out.not_applied
        .sort_by(|a, b| (a.ip, &a.name).cmp(&(b.ip, &b.name)));
    out.unchanged
        .sort_by(|a, b| (a.ip, &a.name).cmp(&(b.ip, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reverse_zones_below_a_registry_s_are_written() {
        assert!(reverse_zone_ok("113.0.203.in-addr.arpa."));
        assert!(reverse_zone_ok("8/29.113.0.203.IN-ADDR.ARPA."));
        assert!(reverse_zone_ok("0.203.in-addr.arpa."));
        assert!(!reverse_zone_ok("203.in-addr.arpa."));
        assert!(!reverse_zone_ok("in-addr.arpa."));
        assert!(!reverse_zone_ok("rev.customer.example."));
        assert!(reverse_zone_ok("8.b.d.0.1.0.0.2.ip6.arpa."));
        assert!(!reverse_zone_ok("d.0.1.0.0.2.ip6.arpa."));
    }

    #[test]
    fn forward_records_go_only_to_the_provider_s_domains_or_allowed_zones() {
        let scope = Scope {
            provider_domains: vec!["examplehost.net.".into()],
            allow_zones: vec!["Customer.Example".into()],
        };
        assert!(scope.allows_forward("examplehost.net."));
        assert!(scope.allows_forward("fra1.examplehost.net."));
        assert!(scope.allows_forward("customer.example."));
        assert!(!scope.allows_forward("net."));
        assert!(!scope.allows_forward("notexamplehost.net."));
        assert!(!scope.allows_forward("example."));
    }

    #[test]
    fn what_the_scan_saw_is_compared_as_a_set() {
        let rr = |d: &str| Rr {
            ttl: 300,
            data: d.into(),
        };
        let seen = Seen::Ptr(vec!["b.example.".into(), "a.example.".into()]);
        assert!(same_set(&seen, &[rr("A.example."), rr("b.example.")]));
        assert!(!same_set(&seen, &[rr("a.example.")]));
        assert!(same_set(&Seen::NoPtr, &[]));
        assert!(!same_set(&Seen::NotQueried, &[rr("a.example.")]));
    }

    #[test]
    fn a_plan_reads_back_as_written_and_other_files_are_refused() {
        let mut plan = Plan::new();
        plan.zones.push(ZoneChanges {
            zone: "113.0.203.in-addr.arpa.".into(),
            server: "127.0.0.1:5300".parse().unwrap(),
            serial: Some(7),
            changes: vec![Change {
                owner: "10.113.0.203.in-addr.arpa.".into(),
                rtype: RrType::Ptr,
                before: vec![],
                after: vec![Rr {
                    ttl: 3600,
                    data: "mail10.example.".into(),
                }],
                addresses: vec!["203.0.113.10".parse().unwrap()],
            }],
        });
        let path = Path::new("plan.json");
        assert_eq!(Plan::from_json(&plan.to_json(), path).unwrap(), plan);
        let e = Plan::from_json("{\"format\": \"x\"}", path).unwrap_err();
        assert!(e.to_string().starts_with("plan.json:"), "{e}");
        let other = plan.to_json().replace(FORMAT, "something-else");
        let e = Plan::from_json(&other, path).unwrap_err();
        assert!(e.to_string().contains("not a plan"), "{e}");
    }
}
