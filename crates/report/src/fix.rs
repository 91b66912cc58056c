//! `ptr-audit fix`: the DNS records that would fix a report's failing
//! addresses, as BIND zone lines, an `nsupdate` script or CSV.
//!
//! Only addresses whose expected name is known (an inventory template or
//! assignment) get records; the rest are listed as [`Unfixable`], never
//! guessed. Every name written is checked first: expected names must be plain
//! host names (letters, digits, hyphens), reverse owner names taken from a
//! CNAME chain must use only name characters, so nothing in a report can
//! inject a zone-file or `nsupdate` line.
//!
//! **Ownership rule**: a PTR is only ever written at an owner name that
//! belongs to the audited address ([`owns`]): its own reverse name, or its
//! own octet (IPv6: nibble) label directly inside a child zone of its reverse
//! zone (RFC 2317: `5.0/26.2.0.192.in-addr.arpa.` for 192.0.2.5). A CNAME
//! chain that ends anywhere else — another address's reverse name above all —
//! is not followed: the address is [`UnfixableWhy::ForeignOwner`]. Every PTR
//! record carries what the scan saw at its owner ([`Seen`]): the nsupdate
//! script turns it into RFC 2136 prerequisites, one transaction per owner, so
//! a record changed since the scan is refused instead of overwritten.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, FindingCode, ForwardAnswer, PtrAnswer, Status, reverse_name};

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

/// What the scan saw at a PTR fix's owner name: the state the fix expects
/// to replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// These PTR names (checked: writable in a zone file or nsupdate script).
    Ptr(Vec<String>),
    /// No PTR at the owner (NXDOMAIN, NODATA, or the dead end of a chain).
    NoPtr,
    /// The owner was not queried (worked out from the block's shape); the fix
    /// expects it to hold no PTR.
    NotQueried,
}

impl Seen {
    /// How BIND comments and CSV describe it.
    pub fn describe(&self) -> String {
        match self {
            Seen::Ptr(names) => format!("PTR {}", names.join(" ")),
            Seen::NoPtr => "no PTR".to_owned(),
            Seen::NotQueried => "not queried (expected to hold no PTR)".to_owned(),
        }
    }
}

/// A PTR record to publish (replacing what the scan saw at the owner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtrFix {
    /// The address.
    pub ip: IpAddr,
    /// The owner name, absolute (`25.113.0.203.in-addr.arpa.`); it belongs
    /// to the address ([`owns`]).
    pub owner: String,
    /// The name it should point at, absolute.
    pub target: String,
    /// What the scan saw at the owner.
    pub seen: Seen,
    /// The address's status in the report.
    pub status: Status,
}

/// A forward record to add so the expected name confirms the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardFix {
    /// The host name, absolute.
    pub name: String,
    /// The zone that holds the name, when the known zones say so.
    pub zone: Option<String>,
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
    /// The owner the PTR would go to does not belong to the address (its
    /// CNAME chain ends at another address's name, or outside a child zone of
    /// its reverse zone): writing there could overwrite another address's PTR.
    ForeignOwner,
    /// The PTR seen at the owner cannot be written as a prerequisite (it
    /// holds characters a zone file or nsupdate script cannot carry safely).
    UnwritableSeen,
    /// The PTR already is the expected name and its forward records were not
    /// shown missing: publishing records would not change the finding.
    NotByRecords,
    /// The zone that holds the record's name is not known (in none of the
    /// zone files, or not learned from DNS: its SOA), so no update
    /// transaction can name it.
    ZoneUnknown,
    /// The report lists the address more than once (an edited or badly
    /// merged report): which of its records holds is unknown.
    ListedTwice,
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
            UnfixableWhy::ForeignOwner => {
                "the PTR's owner does not belong to the address (see docs/fix.md): fix the CNAME chain by hand"
            }
            UnfixableWhy::UnwritableSeen => {
                "the PTR seen at the owner cannot be written as a prerequisite"
            }
            UnfixableWhy::ListedTwice => {
                "the report lists the address more than once: which record holds is unknown"
            }
            UnfixableWhy::NotByRecords => {
                "the PTR already is the expected name: publishing records does not help"
            }
            UnfixableWhy::ZoneUnknown => {
                "the zone holding the record is not known: in none of the zone files, or not learned from DNS (give `--zones DIR` or a `--resolver` that answers for it)"
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
    /// For [`UnfixableWhy::ForeignOwner`]: the owner refused (checked
    /// writable, else `None`).
    pub owner: Option<String>,
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

    /// The names whose zone the plan needs, sorted and distinct: every PTR
    /// owner and every forward host name. Ask DNS for their zones
    /// ([`FixPlan::place_in_zones`]) when no zone files are at hand.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .zones
            .values()
            .flatten()
            .flat_map(|f| {
                // A guessed owner may turn out to be in no zone of its own:
                // then the address's own reverse name is asked about too.
                let plain = (f.seen == Seen::NotQueried).then(|| reverse_name(f.ip));
                std::iter::once(f.owner.clone()).chain(plain)
            })
            .chain(self.forward.iter().map(|f| f.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Puts every record in the zone `zone_of` says holds its name (learned
    /// from DNS: the owner of the name's SOA), replacing the zones worked out
    /// from the blocks. A zone is taken only when it is a usable name that
    /// encloses the record's name; a record without one is not fixed
    /// ([`UnfixableWhy::ZoneUnknown`]), so no transaction is ever written
    /// without its `zone` line.
    ///
    /// An owner worked out from the block's shape alone ([`Seen::NotQueried`]:
    /// the RFC 2317 child zone of a small block) whose child zone DNS does
    /// not know is given up for the address's own reverse name, where the
    /// scan saw no PTR: a PTR written in the parent zone under the child's
    /// name would never be found by a lookup.
    pub fn place_in_zones(&mut self, zone_of: impl Fn(&str) -> Option<String>) {
        let zone_for = |name: &str| {
            let zone = owner_name(&zone_of(name)?)?;
            (zone == name || name.ends_with(&format!(".{zone}"))).then_some(zone)
        };
        let mut unfixable = Vec::new();
        let mut zones: BTreeMap<String, Vec<PtrFix>> = BTreeMap::new();
        for mut fix in std::mem::take(&mut self.zones).into_values().flatten() {
            let mut zone = zone_for(&fix.owner);
            let plain = reverse_name(fix.ip);
            let guessed_child = fix.owner.split_once('.').map(|(_, child)| child);
            if fix.seen == Seen::NotQueried
                && fix.owner != plain
                && zone.is_some()
                && zone.as_deref() != guessed_child
            {
                zone = zone_for(&plain);
                fix.owner = plain;
                fix.seen = Seen::NoPtr;
            }
            match zone {
                Some(zone) => zones.entry(zone).or_default().push(fix),
                None => unfixable.push(Unfixable {
                    ip: fix.ip,
                    status: fix.status,
                    why: UnfixableWhy::ZoneUnknown,
                    owner: Some(fix.owner),
                }),
            }
        }
        for v in zones.values_mut() {
            v.sort_by_key(|f| f.ip);
        }
        self.zones = zones;
        self.forward.retain_mut(|fix| match zone_for(&fix.name) {
            Some(zone) => {
                fix.zone = Some(zone);
                true
            }
            None => {
                unfixable.push(Unfixable {
                    ip: fix.ip,
                    status: fix.status,
                    why: UnfixableWhy::ZoneUnknown,
                    owner: Some(fix.name.clone()),
                });
                false
            }
        });
        self.unfixable.extend(unfixable);
        self.unfixable.sort_by_key(|u| (u.why, u.ip));
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

/// What the scan saw of a block's reverse delegation, from all its records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockShape {
    /// The zone most of its CNAME chains end in (an RFC 2317 child zone as deployed).
    pub chain_zone: Option<String>,
    /// Some address of the block had a PTR at its plain reverse name (no CNAME).
    pub direct: bool,
}

impl BlockShape {
    /// The shape of every block in `records`.
    pub fn of_blocks(records: &[AddressRecord]) -> BTreeMap<IpNet, BlockShape> {
        let mut zones: BTreeMap<IpNet, BTreeMap<String, u64>> = BTreeMap::new();
        let mut direct: BTreeMap<IpNet, bool> = BTreeMap::new();
        for r in records {
            let block = r.target.block.cidr;
            let d = direct.entry(block).or_default();
            match r.lookup.cname_chain.last() {
                Some(last) => {
                    if let Some((zone, _)) = chain_owner(last.as_str()) {
                        *zones.entry(block).or_default().entry(zone).or_default() += 1;
                    }
                }
                None => *d |= matches!(r.lookup.answer, PtrAnswer::Names(_)),
            }
        }
        direct
            .into_iter()
            .map(|(block, direct)| {
                let chain_zone = zones.remove(&block).and_then(|z| {
                    // The most common zone; the smallest name among equals.
                    let best = z.values().copied().max()?;
                    z.into_iter()
                        .find(|(_, n)| *n == best)
                        .map(|(zone, _)| zone)
                });
                (block, BlockShape { chain_zone, direct })
            })
            .collect()
    }
}

/// The owner and zone of the last name of a CNAME chain, when it is usable.
fn chain_owner(last: &str) -> Option<(String, String)> {
    let owner = owner_name(last)?;
    let zone = owner.split_once('.')?.1.to_owned();
    (!zone.is_empty()).then_some((zone, owner))
}

/// Whether `owner` (absolute, lowercase) belongs to `ip`: its own reverse
/// name, or its own lowest octet (IPv6: nibble) label directly inside a child
/// zone of its reverse zone — one label below the reverse name's parent that
/// is not itself an octet (nibble) label, so never another address's name.
pub fn owns(ip: IpAddr, owner: &str) -> bool {
    let own = reverse_name(ip);
    if owner.eq_ignore_ascii_case(&own) {
        return true;
    }
    let Some((first, parent)) = own.split_once('.') else {
        return false;
    };
    let Some(rest) = owner
        .split_once('.')
        .filter(|(label, _)| label.eq_ignore_ascii_case(first))
        .map(|(_, rest)| rest)
    else {
        return false;
    };
    let Some((child, above)) = rest.split_once('.') else {
        return false;
    };
    let address_label = match ip {
        IpAddr::V4(_) => child.parse::<u8>().is_ok(),
        IpAddr::V6(_) => child.len() == 1 && child.bytes().all(|b| b.is_ascii_hexdigit()),
    };
    !child.is_empty() && !address_label && above.eq_ignore_ascii_case(parent)
}

/// A PTR name seen in DNS (presentation form, but read back from a report,
/// so untrusted), rewritten so that a zone file or nsupdate script reads the
/// same name and nothing else: letters, digits, `-`, `_`, `/` and `*` stay,
/// dots separate labels, every other byte (escaped or raw) becomes `\DDD`.
/// `None` for a dangling escape or a name longer than a domain name can be.
fn seen_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len() + 1);
    let mut wire_len = 1;
    let mut bytes = name.bytes();
    let escape = |out: &mut String, b: u8| out.push_str(&format!("\\{b:03}"));
    while let Some(b) = bytes.next() {
        wire_len += 1;
        match b {
            b'\\' => {
                let first = bytes.next()?;
                if first.is_ascii_digit() {
                    let digits = [first, bytes.next()?, bytes.next()?];
                    if !digits.iter().all(u8::is_ascii_digit) {
                        return None;
                    }
                    let value = digits
                        .iter()
                        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                    escape(&mut out, u8::try_from(value).ok()?);
                } else {
                    escape(&mut out, first);
                }
            }
            b'.' => out.push('.'),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'*') => {
                out.push(char::from(b.to_ascii_lowercase()))
            }
            other => escape(&mut out, other),
        }
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    (out.len() > 1 && wire_len <= 255).then_some(out)
}

/// What the scan saw at `owner`, when it queried it: the end of the
/// address's CNAME chain, or its own reverse name without a chain.
fn seen_at(rec: &AddressRecord, owner: &str) -> Option<Seen> {
    let queried = match rec.lookup.cname_chain.last() {
        Some(last) => last.as_str().eq_ignore_ascii_case(owner),
        None => reverse_name(rec.target.ip).eq_ignore_ascii_case(owner),
    };
    if !queried {
        return Some(Seen::NotQueried);
    }
    match &rec.lookup.answer {
        PtrAnswer::Names(names) if !names.is_empty() => names
            .iter()
            .map(|n| seen_name(n.as_str()))
            .collect::<Option<Vec<_>>>()
            .map(Seen::Ptr),
        PtrAnswer::Names(_)
        | PtrAnswer::NxDomain
        | PtrAnswer::NoData
        | PtrAnswer::BrokenDelegation { .. } => Some(Seen::NoPtr),
        PtrAnswer::Failed(_) => None,
    }
}

/// The reverse zone an address's PTR belongs in, and its owner name there.
///
/// - The address's own CNAME chain wins: the PTR lives at its last name, in
///   the zone one label up (RFC 2317 as deployed).
/// - An address with a PTR at its plain reverse name keeps it there.
/// - Else the block decides: when other addresses' chains end in a child
///   zone, the PTR goes there (`D.ZONE`); when other addresses have plain
///   PTRs, at the plain reverse name.
/// - Else, for an IPv4 block smaller than a /24, the RFC 2317 child zone
///   `FIRST/PREFIX.C.B.A.in-addr.arpa.`, owner `D.FIRST/PREFIX.…` (the parent
///   zone must CNAME into it).
/// - Otherwise the /24 zone for IPv4, and for IPv6 the block's zone at a
///   nibble boundary, no smaller than a /64.
///
/// `None` when a chain's last name cannot be written into a zone file.
pub fn reverse_zone(
    ip: IpAddr,
    block: IpNet,
    rec: Option<&AddressRecord>,
    shape: Option<&BlockShape>,
) -> Option<(String, String)> {
    if let Some(last) = rec.and_then(|r| r.lookup.cname_chain.last()) {
        let (zone, owner) = chain_owner(last.as_str())?;
        return Some((zone, owner));
    }
    let has_ptr = rec.is_some_and(|r| matches!(r.lookup.answer, PtrAnswer::Names(_)));
    let plain_known = has_ptr || shape.is_some_and(|s| s.direct);
    match (ip, block) {
        (IpAddr::V4(a), IpNet::V4(net)) => {
            let o = a.octets();
            let parent = format!("{}.{}.{}.in-addr.arpa.", o[2], o[1], o[0]);
            // Siblings' chains count only when they end in a child zone of
            // this address's reverse zone (RFC 2317): a customer's zone one
            // relay's CNAME leads to is no place for the others' PTRs.
            if !has_ptr
                && let Some(zone) = shape.and_then(|s| s.chain_zone.as_ref())
                && owns(ip, &format!("{}.{zone}", o[3]))
            {
                return Some((zone.clone(), format!("{}.{zone}", o[3])));
            }
            if net.prefix_len() > 24 && !plain_known {
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

/// The longest of `zones` (absolute names) that `name` is in, if any.
pub fn enclosing_zone<'z>(name: &str, zones: &'z [String]) -> Option<&'z String> {
    let name = name.to_ascii_lowercase();
    zones
        .iter()
        .filter(|z| {
            let z = z.to_ascii_lowercase();
            z == "." || name == z || name.ends_with(&format!(".{z}"))
        })
        .max_by_key(|z| z.len())
}

/// Works out the records for a report's records.
pub fn plan(records: &[AddressRecord]) -> FixPlan {
    plan_with_zones(records, &[])
}

/// As [`plan`], grouping records by the zones that really exist (absolute
/// origins, e.g. those of the zone files a scan served with `--zones`): each
/// record goes to the longest zone that holds its owner, which wins over the
/// zone worked out from the block.
pub fn plan_with_zones(records: &[AddressRecord], zones: &[String]) -> FixPlan {
    let shapes = BlockShape::of_blocks(records);
    let mut known_forward: std::collections::HashMap<String, &ForwardAnswer> =
        std::collections::HashMap::new();
    for r in records {
        for (name, answer) in &r.lookup.forward {
            if let Some(n) = host_name(name.as_str()) {
                known_forward.entry(n).or_insert(answer);
            }
        }
    }
    let mut listings: HashMap<IpAddr, usize> = HashMap::new();
    for r in records {
        *listings.entry(r.target.ip).or_default() += 1;
    }
    let mut listed_twice = HashSet::new();
    let mut p = FixPlan::default();
    for rec in records {
        let ip = rec.target.ip;
        if listings[&ip] > 1 {
            if listed_twice.insert(ip) {
                p.unfixable.push(Unfixable {
                    ip,
                    status: rec.status,
                    why: UnfixableWhy::ListedTwice,
                    owner: None,
                });
            }
            continue;
        }
        if rec.status == Status::Ok {
            continue;
        }
        let mut refuse = |why, owner: Option<String>| {
            p.unfixable.push(Unfixable {
                ip,
                status: rec.status,
                why,
                owner,
            })
        };
        if rec
            .findings
            .iter()
            .any(|f| f.code == FindingCode::LookupFailed)
            || matches!(rec.lookup.answer, PtrAnswer::Failed(_))
        {
            refuse(UnfixableWhy::Unknown, None);
            continue;
        }
        let Some(expected) = rec.target.expected_ptr.as_deref() else {
            refuse(UnfixableWhy::NoExpectation, None);
            continue;
        };
        let Some(target) = host_name(expected) else {
            refuse(UnfixableWhy::InvalidExpectation, None);
            continue;
        };
        let ptr_ok = match &rec.lookup.answer {
            PtrAnswer::Names(n) => n.len() == 1 && same_name(n[0].as_str(), &target),
            _ => false,
        };
        // What any lookup of this run said about the expected name.
        let forward_missing = match known_forward.get(target.as_str()) {
            Some(ForwardAnswer::Addresses(a)) => !a.contains(&ip),
            Some(ForwardAnswer::NxDomain | ForwardAnswer::NoData) => true,
            Some(ForwardAnswer::Failed(_)) => false,
            // Never looked up (the PTR named something else): a new PTR needs
            // its forward record too.
            None => !ptr_ok,
        };
        if ptr_ok && !forward_missing {
            refuse(UnfixableWhy::NotByRecords, None);
            continue;
        }
        if !ptr_ok {
            let Some((zone, owner)) = reverse_zone(
                ip,
                rec.target.block.cidr,
                Some(rec),
                shapes.get(&rec.target.block.cidr),
            ) else {
                refuse(UnfixableWhy::InvalidOwner, None);
                continue;
            };
            if !owns(ip, &owner) {
                refuse(UnfixableWhy::ForeignOwner, Some(owner));
                continue;
            }
            let Some(seen) = seen_at(rec, &owner) else {
                refuse(UnfixableWhy::UnwritableSeen, None);
                continue;
            };
            let zone = enclosing_zone(&owner, zones).cloned().unwrap_or(zone);
            p.zones.entry(zone).or_default().push(PtrFix {
                ip,
                owner,
                target: target.clone(),
                seen,
                status: rec.status,
            });
        }
        if forward_missing {
            let zone = enclosing_zone(&target, zones).cloned();
            if zone.is_none() && !zones.is_empty() {
                // Zone files are at hand and none holds the name: the
                // record is listed as not fixed, never silently dropped.
                p.unfixable.push(Unfixable {
                    ip,
                    status: rec.status,
                    why: UnfixableWhy::ZoneUnknown,
                    owner: Some(target),
                });
            } else {
                p.forward.push(ForwardFix {
                    zone,
                    name: target,
                    ip,
                    status: rec.status,
                });
            }
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
        match &u.owner {
            Some(owner) => writeln!(out, ";   {} {} (owner {owner})", u.ip, u.status.as_str())?,
            None => writeln!(out, ";   {} {}", u.ip, u.status.as_str())?,
        }
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
                    writeln!(out, "; {}: seen {}", f.ip, f.seen.describe())?;
                    writeln!(out, "{}\t{ttl}\tIN\tPTR\t{}", f.owner, f.target)?;
                }
            }
            if !plan.forward.is_empty() {
                let mut zone = None;
                for f in &plan.forward {
                    if zone != Some(&f.zone) {
                        writeln!(out)?;
                        match &f.zone {
                            Some(z) => {
                                writeln!(out, "; zone {z} (forward records to add unless present)")?
                            }
                            None => writeln!(
                                out,
                                "; forward records: add (unless present) to the zone that holds each name"
                            )?,
                        }
                        zone = Some(&f.zone);
                    }
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
            // One transaction per owner, guarded by what the scan saw there
            // (RFC 2136 section 2.4): a record changed since the scan makes
            // the server refuse that transaction only.
            for (zone, fixes) in &plan.zones {
                for f in fixes {
                    writeln!(out, "; {}: seen {}", f.ip, f.seen.describe())?;
                    writeln!(out, "zone {zone}")?;
                    match &f.seen {
                        Seen::Ptr(names) => {
                            for n in names {
                                writeln!(out, "prereq yxrrset {} IN PTR {n}", f.owner)?;
                            }
                        }
                        Seen::NoPtr | Seen::NotQueried => {
                            writeln!(out, "prereq nxrrset {} IN PTR", f.owner)?;
                        }
                    }
                    writeln!(out, "update delete {} PTR", f.owner)?;
                    writeln!(out, "update add {} {ttl} PTR {}", f.owner, f.target)?;
                    writeln!(out, "send")?;
                }
            }
            // Every transaction names its zone: without a `zone` line,
            // nsupdate sends it to the zone of the one before (NOTZONE).
            for f in &plan.forward {
                match &f.zone {
                    Some(z) => {
                        writeln!(out, "zone {z}")?;
                        writeln!(out, "update add {} {ttl} {} {}", f.name, f.rtype(), f.ip)?;
                        writeln!(out, "send")?;
                    }
                    None => writeln!(
                        out,
                        "; not written, its zone is unknown: {} {ttl} {} {}",
                        f.name,
                        f.rtype(),
                        f.ip
                    )?,
                }
            }
            unfixable_comments(out, plan)?;
        }
        FixFormat::Csv => {
            writeln!(out, "action,zone,owner,ttl,type,value,ip,status,seen\r")?;
            for (zone, fixes) in &plan.zones {
                for f in fixes {
                    writeln!(
                        out,
                        "replace,{},{},{ttl},PTR,{},{},{},{}\r",
                        csv(zone),
                        csv(&f.owner),
                        csv(&f.target),
                        f.ip,
                        f.status.as_str(),
                        csv(&f.seen.describe())
                    )?;
                }
            }
            for f in &plan.forward {
                writeln!(
                    out,
                    "add,{},{},{ttl},{},{},{},{},\r",
                    csv(f.zone.as_deref().unwrap_or("")),
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
        let z = reverse_zone(ip, "192.0.2.0/26".parse().unwrap(), None, None).unwrap();
        assert_eq!(
            z,
            (
                "0/26.2.0.192.in-addr.arpa.".into(),
                "10.0/26.2.0.192.in-addr.arpa.".into()
            )
        );
        let z = reverse_zone(ip, "192.0.0.0/16".parse().unwrap(), None, None).unwrap();
        assert_eq!(
            z,
            (
                "2.0.192.in-addr.arpa.".into(),
                "10.2.0.192.in-addr.arpa.".into()
            )
        );
        let ip6: IpAddr = "2001:db8:10::5".parse().unwrap();
        let (zone, owner) =
            reverse_zone(ip6, "2001:db8:10::/124".parse().unwrap(), None, None).unwrap();
        assert_eq!(zone, "0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
        assert!(owner.starts_with("5.0.0.0."));
        assert!(owner.ends_with(&zone));
        assert_eq!(owner.len(), 73);
    }

    #[test]
    fn the_block_decides_where_a_missing_ptr_goes() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let net: IpNet = "203.0.113.0/26".parse().unwrap();
        // Siblings have plain PTRs: the provider serves the whole /24.
        let plain = BlockShape {
            chain_zone: None,
            direct: true,
        };
        let z = reverse_zone(ip, net, None, Some(&plain)).unwrap();
        assert_eq!(z.1, "7.113.0.203.in-addr.arpa.");
        // Siblings' chains end in a child zone named the dash way.
        let child = BlockShape {
            chain_zone: Some("0-63.113.0.203.in-addr.arpa.".into()),
            direct: false,
        };
        let z = reverse_zone(ip, net, None, Some(&child)).unwrap();
        assert_eq!(
            z,
            (
                "0-63.113.0.203.in-addr.arpa.".into(),
                "7.0-63.113.0.203.in-addr.arpa.".into()
            )
        );
        // Nothing known: the RFC 2317 default.
        let z = reverse_zone(ip, net, None, Some(&BlockShape::default())).unwrap();
        assert_eq!(z.1, "7.0/26.113.0.203.in-addr.arpa.");
        // A sibling's chain into a customer's zone (a relay) says nothing
        // about where this address's PTR goes.
        let relay = BlockShape {
            chain_zone: Some("rev.customer.example.".into()),
            direct: true,
        };
        let z = reverse_zone(ip, net, None, Some(&relay)).unwrap();
        assert_eq!(z.1, "7.113.0.203.in-addr.arpa.");
    }

    #[test]
    fn known_zones_win_by_longest_suffix() {
        let zones = vec![
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.".to_string(),
            "examplehost.net.".to_string(),
            "fra1.examplehost.net.".to_string(),
        ];
        assert_eq!(
            enclosing_zone("mail5.fra1.examplehost.net.", &zones).map(String::as_str),
            Some("fra1.examplehost.net.")
        );
        assert_eq!(
            enclosing_zone("x.notexamplehost.net.", &zones),
            None,
            "suffixes match on label boundaries only"
        );
        let owner = reverse_name("2001:db8:10::5".parse().unwrap());
        assert_eq!(enclosing_zone(&owner, &zones), Some(&zones[0]));
    }

    #[test]
    fn owners_belong_to_their_address_only() {
        let ip: IpAddr = "192.0.2.5".parse().unwrap();
        assert!(owns(ip, "5.2.0.192.in-addr.arpa."));
        assert!(owns(ip, "5.0/26.2.0.192.in-addr.arpa."));
        assert!(owns(ip, "5.0-63.2.0.192.IN-ADDR.ARPA."));
        // Another address's reverse name, or a name below it.
        assert!(!owns(ip, "100.2.0.192.in-addr.arpa."));
        assert!(!owns(ip, "5.100.2.0.192.in-addr.arpa."));
        // Another octet in the child zone, a child of another /24, deeper names.
        assert!(!owns(ip, "6.0/26.2.0.192.in-addr.arpa."));
        assert!(!owns(ip, "5.0/26.3.0.192.in-addr.arpa."));
        assert!(!owns(ip, "5.x.0/26.2.0.192.in-addr.arpa."));
        assert!(!owns(ip, "5.customer.example."));
        let ip6: IpAddr = "2001:db8::5".parse().unwrap();
        let own = reverse_name(ip6);
        assert!(owns(ip6, &own));
        let parent = own.split_once('.').unwrap().1;
        assert!(owns(ip6, &format!("5.sub.{parent}")));
        assert!(!owns(ip6, &format!("5.a.{parent}")));
        assert!(!owns(ip6, &format!("6.sub.{parent}")));
    }

    #[test]
    fn zones_learned_from_dns_name_every_transaction() {
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        let ip6: IpAddr = "2001:db8::6".parse().unwrap();
        let ptr = |ip: IpAddr| PtrFix {
            ip,
            owner: reverse_name(ip),
            target: "mail5.fra1.examplehost.net.".into(),
            seen: Seen::NoPtr,
            status: Status::Finding(FindingCode::PtrMissing),
        };
        let fwd = |name: &str, ip| ForwardFix {
            name: name.into(),
            zone: None,
            ip,
            status: Status::Finding(FindingCode::PtrMissing),
        };
        let mut plan = FixPlan::default();
        plan.zones
            .insert("113.0.203.in-addr.arpa.".into(), vec![ptr(ip)]);
        plan.zones
            .insert("0.0.0.0.ip6.arpa.".into(), vec![ptr(ip6)]);
        plan.forward = vec![
            fwd("mail5.fra1.examplehost.net.", ip),
            fwd("web.lost.example.", ip),
            fwd("evil.example.", ip6),
        ];
        assert_eq!(plan.names().len(), 5);
        plan.place_in_zones(|name| match name {
            "5.113.0.203.in-addr.arpa." => Some("0.203.IN-ADDR.ARPA.".into()),
            "mail5.fra1.examplehost.net." => Some("fra1.examplehost.net.".into()),
            // A zone that does not hold the name, a zone with a newline.
            "evil.example." => Some("other.example.".into()),
            n if n.ends_with("ip6.arpa.") => Some("8.b.d.0.1.0.0.2.ip6.arpa.\\010x".into()),
            _ => None,
        });
        assert_eq!(
            plan.zones.keys().collect::<Vec<_>>(),
            ["0.203.in-addr.arpa."]
        );
        assert_eq!(plan.forward.len(), 1);
        assert_eq!(
            plan.forward[0].zone.as_deref(),
            Some("fra1.examplehost.net.")
        );
        let unknown: Vec<(IpAddr, Option<&str>)> = plan
            .unfixable
            .iter()
            .map(|u| (u.ip, u.owner.as_deref()))
            .collect();
        assert!(
            plan.unfixable
                .iter()
                .all(|u| u.why == UnfixableWhy::ZoneUnknown)
        );
        assert_eq!(
            unknown,
            [
                (ip, Some("web.lost.example.")),
                (ip6, Some(reverse_name(ip6).as_str())),
                (ip6, Some("evil.example.")),
            ]
        );
        let mut out = Vec::new();
        write(&plan, FixFormat::Nsupdate, FixOptions::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Each transaction opens with its zone line.
        for block in text.split("send\n").filter(|b| b.contains("update")) {
            let first = block.lines().find(|l| !l.starts_with(';') && !l.is_empty());
            assert!(first.is_some_and(|l| l.starts_with("zone ")), "{block}");
        }
        assert!(text.contains(
            "zone fra1.examplehost.net.\nupdate add mail5.fra1.examplehost.net. 3600 A 203.0.113.5\nsend\n"
        ));
    }

    #[test]
    fn seen_names_are_rewritten_into_plain_escapes() {
        assert_eq!(seen_name("Mail.Example."), Some("mail.example.".into()));
        assert_eq!(
            seen_name("a b;c\\\\\\.d\\007.example"),
            Some("a\\032b\\059c\\092\\046d\\007.example.".into())
        );
        assert_eq!(
            seen_name("x\nprereq nxdomain evil."),
            Some("x\\010prereq\\032nxdomain\\032evil.".into())
        );
        assert_eq!(seen_name("dangling\\"), None);
        assert_eq!(seen_name("bad\\99"), None);
        assert_eq!(seen_name("big\\300.example"), None);
        assert_eq!(seen_name(&"a".repeat(300)), None);
    }
}
