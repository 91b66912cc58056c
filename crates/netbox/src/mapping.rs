//! From NetBox's objects to the facts of an inventory ([`Import`]): which
//! prefixes become blocks (leaf prefixes of the selected VRFs and tenants;
//! containers and prefixes with children skipped), each block's datacenter
//! (its site's slug — NetBox ≤ 4.1's `site`, ≥ 4.2's `scope` — or its
//! region's) and policy (status, then `--policy-from` rules, then the
//! default), and which IP addresses become assignments (a usable `dns_name`
//! inside an imported block; `dhcp`/`slaac` and nameless ones counted and
//! skipped).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use ptr_audit_classify::{Classifier, Label};
use ptr_audit_model::{Policy, Provider};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{IpAddress, Location, Nested, Prefix, Site, Vrf};
use crate::client::Client;
use crate::error::NetboxError;

/// Where a block's datacenter comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DatacenterFrom {
    /// The slug of the prefix's site (of its location's site, for a location scope).
    #[default]
    Site,
    /// The slug of that site's region (or of a region scope).
    Region,
}

/// One `--policy-from` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRule {
    /// `tag:SLUG=POLICY`: prefixes carrying the tag.
    Tag {
        /// The tag's slug.
        slug: String,
        /// The policy.
        policy: Policy,
    },
    /// `role:SLUG=POLICY`: prefixes with the role.
    Role {
        /// The role's slug.
        slug: String,
        /// The policy.
        policy: Policy,
    },
    /// `cf:NAME:VALUE=POLICY`, or `cf:NAME` whose value is the policy.
    CustomField {
        /// The custom field's name.
        name: String,
        /// The value that selects `policy`; `None`: the value is a policy name.
        value: Option<(String, Policy)>,
    },
}

impl PolicyRule {
    /// Parses comma-separated rules (`tag:mail-outbound=mail,role:infra=hosting`).
    pub fn parse_list(text: &str) -> Result<Vec<PolicyRule>, NetboxError> {
        text.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(PolicyRule::parse)
            .collect()
    }

    fn parse(rule: &str) -> Result<PolicyRule, NetboxError> {
        let bad = |reason: &str| NetboxError::PolicyRule {
            rule: rule.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, rest) = rule.split_once(':').ok_or_else(|| {
            bad("give `tag:SLUG=POLICY`, `role:SLUG=POLICY`, `cf:NAME:VALUE=POLICY` or `cf:NAME`")
        })?;
        let policy_of = |text: &str| {
            Policy::parse(text).ok_or_else(|| {
                bad(&format!(
                    "`{text}` is not a policy (`mail`, `hosting` or `reserved`)"
                ))
            })
        };
        let split = |rest: &str| -> Result<(String, Policy), NetboxError> {
            let (name, policy) = rest.rsplit_once('=').ok_or_else(|| bad("no `=POLICY`"))?;
            if name.is_empty() {
                return Err(bad("nothing before `=`"));
            }
            Ok((name.to_owned(), policy_of(policy)?))
        };
        match kind {
            "tag" => split(rest).map(|(slug, policy)| PolicyRule::Tag { slug, policy }),
            "role" => split(rest).map(|(slug, policy)| PolicyRule::Role { slug, policy }),
            "cf" => match rest.split_once(':') {
                None if !rest.contains('=') && !rest.is_empty() => Ok(PolicyRule::CustomField {
                    name: rest.to_owned(),
                    value: None,
                }),
                None => Err(bad(
                    "give `cf:NAME:VALUE=POLICY`, or `cf:NAME` for a field holding the policy",
                )),
                Some((name, value)) => Ok(PolicyRule::CustomField {
                    name: name.to_owned(),
                    value: Some(split(value)?),
                }),
            },
            _ => Err(bad("the kind is `tag`, `role` or `cf`")),
        }
    }
}

/// What to import and how to map it.
#[derive(Clone, Debug)]
pub struct Options {
    /// VRFs to import, by name or RD; `global` is the global table. Empty: all.
    pub vrfs: Vec<String>,
    /// Tenants to import, by slug. Empty: all prefixes, with or without a tenant.
    pub tenants: Vec<String>,
    /// Where datacenters come from.
    pub datacenter_from: DatacenterFrom,
    /// The datacenter of prefixes with no site (or region).
    pub default_datacenter: String,
    /// Policy rules, first match wins.
    pub policy_rules: Vec<PolicyRule>,
    /// The policy when no rule matches.
    pub default_policy: Policy,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            vrfs: Vec::new(),
            tenants: Vec::new(),
            datacenter_from: DatacenterFrom::Site,
            default_datacenter: ptr_audit_inventory::PLAIN_DATACENTER.to_owned(),
            policy_rules: Vec::new(),
            default_policy: Policy::Hosting,
        }
    }
}

/// A prefix that becomes a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The network.
    pub cidr: IpNet,
    /// Its datacenter.
    pub datacenter: String,
    /// Its policy.
    pub policy: Policy,
    /// NetBox's description, if any.
    pub description: String,
    /// NetBox's id.
    pub id: u64,
}

/// An IP address that becomes an assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The address.
    pub ip: IpAddr,
    /// Its `dns_name`, without a trailing dot.
    pub ptr: String,
    /// NetBox's id.
    pub id: u64,
}

/// What was left out, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Prefixes with status `container`.
    pub containers: usize,
    /// Other prefixes with a selected prefix inside them.
    pub parents: usize,
    /// Prefixes and addresses in a VRF not selected.
    pub other_vrf: usize,
    /// Prefixes of a tenant not selected.
    pub other_tenant: usize,
    /// Addresses with status `dhcp` or `slaac`.
    pub dynamic: usize,
    /// Addresses without a `dns_name`.
    pub nameless: usize,
    /// Addresses outside every imported block.
    pub outside: usize,
    /// Addresses whose `dns_name` is not a usable host name, with that name as NetBox has it.
    pub unusable: Vec<(IpAddr, u64, String)>,
    /// Blocks put in the default datacenter (no site or region).
    pub placed_by_default: usize,
}

/// The address plan read from NetBox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Import {
    /// Blocks, sorted by network (IPv4 first).
    pub blocks: Vec<Block>,
    /// Assignments, sorted by address.
    pub assignments: Vec<Assignment>,
    /// Prefixes read.
    pub prefixes_read: usize,
    /// IP addresses read.
    pub addresses_read: usize,
    /// What was left out.
    pub skipped: Skipped,
}

/// Reads prefixes, IP addresses and (when needed) sites and locations from
/// NetBox and maps them.
pub fn import(client: &Client, options: &Options) -> Result<Import, NetboxError> {
    let prefixes: Vec<Prefix> = typed(client, "ipam/prefixes")?;
    let locations = if prefixes
        .iter()
        .any(|p| p.scope_type.as_deref() == Some("dcim.location"))
    {
        typed::<Location>(client, "dcim/locations")?
    } else {
        Vec::new()
    };
    let sites = if options.datacenter_from == DatacenterFrom::Region {
        typed::<Site>(client, "dcim/sites")?
    } else {
        Vec::new()
    };
    let addresses: Vec<IpAddress> = typed(client, "ipam/ip-addresses")?;
    map(&prefixes, &addresses, &sites, &locations, options)
}

/// A list's objects parsed one by one as they arrive, so an error names the
/// object and its page.
fn typed<T: DeserializeOwned>(client: &Client, endpoint: &str) -> Result<Vec<T>, NetboxError> {
    let mut out = Vec::new();
    client.list(endpoint, |url, v| {
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let item = serde_json::from_value(v).map_err(|e| NetboxError::Shape {
            url: url.to_owned(),
            what: format!("the object with id {id}"),
            reason: e.to_string(),
        })?;
        out.push(item);
        Ok(())
    })?;
    Ok(out)
}

fn shape(endpoint: &str, id: u64, reason: String) -> NetboxError {
    NetboxError::Shape {
        url: format!("api/{endpoint}/"),
        what: format!("object id {id}"),
        reason,
    }
}

fn vrf_selected(options: &Options, vrf: Option<&Vrf>) -> bool {
    options.vrfs.is_empty()
        || options.vrfs.iter().any(|want| match vrf {
            None => want == "global",
            Some(v) => *want == v.name || v.rd.as_deref() == Some(want.as_str()),
        })
}

fn vrf_words(vrf: Option<&Vrf>) -> String {
    match vrf {
        None => "the global table".into(),
        Some(v) => format!("VRF `{}`", v.name),
    }
}

fn slug(n: &Nested) -> String {
    n.slug.clone().unwrap_or_else(|| n.name.clone())
}

pub(crate) fn map(
    prefixes: &[Prefix],
    addresses: &[IpAddress],
    sites: &[Site],
    locations: &[Location],
    options: &Options,
) -> Result<Import, NetboxError> {
    let mut skipped = Skipped::default();
    let site_region: HashMap<u64, Option<&Nested>> =
        sites.iter().map(|s| (s.id, s.region.as_ref())).collect();
    let location_site: HashMap<u64, &Nested> = locations.iter().map(|l| (l.id, &l.site)).collect();

    // Selected, non-container prefixes, by network.
    let mut chosen: BTreeMap<IpNet, &Prefix> = BTreeMap::new();
    for p in prefixes {
        let cidr: IpNet = p.prefix.parse().map_err(|_| {
            shape(
                "ipam/prefixes",
                p.id,
                format!("`prefix` is `{}`, not a CIDR", p.prefix),
            )
        })?;
        if cidr.trunc() != cidr {
            return Err(shape(
                "ipam/prefixes",
                p.id,
                format!("`prefix` `{cidr}` has host bits set"),
            ));
        }
        if !vrf_selected(options, p.vrf.as_ref()) {
            skipped.other_vrf += 1;
            continue;
        }
        if !options.tenants.is_empty()
            && !p
                .tenant
                .as_ref()
                .is_some_and(|t| options.tenants.contains(&slug(t)))
        {
            skipped.other_tenant += 1;
            continue;
        }
        if p.status.value == "container" {
            skipped.containers += 1;
            continue;
        }
        if let Some(other) = chosen.insert(cidr, p) {
            return Err(NetboxError::Overlap {
                cidr,
                first: other.id.min(p.id),
                first_vrf: vrf_words(if other.id < p.id {
                    other.vrf.as_ref()
                } else {
                    p.vrf.as_ref()
                }),
                second: other.id.max(p.id),
                second_vrf: vrf_words(if other.id < p.id {
                    p.vrf.as_ref()
                } else {
                    other.vrf.as_ref()
                }),
            });
        }
    }
    // Leaves only: in network order, a prefix's children follow it at once.
    let nets: Vec<IpNet> = chosen.keys().copied().collect();
    let mut blocks = Vec::new();
    for (i, cidr) in nets.iter().enumerate() {
        if nets.get(i + 1).is_some_and(|next| cidr.contains(next)) {
            skipped.parents += 1;
            continue;
        }
        let p = chosen[cidr];
        let datacenter = match datacenter(p, options, &site_region, &location_site) {
            Some(d) => d,
            None => {
                skipped.placed_by_default += 1;
                options.default_datacenter.clone()
            }
        };
        blocks.push(Block {
            cidr: *cidr,
            datacenter,
            policy: policy(p, *cidr, &options.policy_rules)?.unwrap_or(options.default_policy),
            description: p.description.clone(),
            id: p.id,
        });
    }

    let classifier = Classifier::new(&Provider::default()).expect("no templates to parse");
    let mut assigned: BTreeMap<IpAddr, Assignment> = BTreeMap::new();
    for a in addresses {
        let ip: IpAddr = a
            .address
            .split('/')
            .next()
            .and_then(|ip| ip.parse().ok())
            .ok_or_else(|| {
                shape(
                    "ipam/ip-addresses",
                    a.id,
                    format!("`address` is `{}`, not an address", a.address),
                )
            })?;
        if !vrf_selected(options, a.vrf.as_ref()) {
            skipped.other_vrf += 1;
            continue;
        }
        if matches!(a.status.value.as_str(), "dhcp" | "slaac") {
            skipped.dynamic += 1;
            continue;
        }
        let name = a.dns_name.as_deref().unwrap_or("").trim();
        if name.is_empty() {
            skipped.nameless += 1;
            continue;
        }
        let holder = blocks.partition_point(|b| b.cidr.network() <= ip);
        if !holder
            .checked_sub(1)
            .is_some_and(|i| blocks[i].cidr.contains(&ip))
        {
            skipped.outside += 1;
            continue;
        }
        let ptr = name.strip_suffix('.').unwrap_or(name);
        if classifier.judge(ip, ptr).label == Label::Invalid || ptr.contains(['{', '}']) {
            skipped
                .unusable
                .push((ip, a.id, a.dns_name.clone().unwrap_or_default()));
            continue;
        }
        let new = Assignment {
            ip,
            ptr: ptr.to_owned(),
            id: a.id,
        };
        match assigned.get(&ip) {
            Some(old) if old.ptr.eq_ignore_ascii_case(&new.ptr) => {}
            Some(old) => {
                let (first, second) = if old.id < new.id {
                    (old, &new)
                } else {
                    (&new, old)
                };
                return Err(NetboxError::DuplicateAddress {
                    ip,
                    first: first.id,
                    first_name: first.ptr.clone(),
                    second: second.id,
                    second_name: second.ptr.clone(),
                });
            }
            None => {
                assigned.insert(ip, new);
            }
        }
    }
    skipped.unusable.sort();
    Ok(Import {
        blocks,
        assignments: assigned.into_values().collect(),
        prefixes_read: prefixes.len(),
        addresses_read: addresses.len(),
        skipped,
    })
}

fn datacenter(
    p: &Prefix,
    options: &Options,
    site_region: &HashMap<u64, Option<&Nested>>,
    location_site: &HashMap<u64, &Nested>,
) -> Option<String> {
    let site = match (p.scope_type.as_deref(), &p.scope, &p.site) {
        (_, _, Some(site)) => Some(site),
        (Some("dcim.site"), Some(scope), _) => Some(scope),
        (Some("dcim.location"), Some(scope), _) => location_site.get(&scope.id).copied(),
        (Some("dcim.region"), Some(scope), _) => {
            return (options.datacenter_from == DatacenterFrom::Region).then(|| slug(scope));
        }
        _ => None,
    }?;
    match options.datacenter_from {
        DatacenterFrom::Site => Some(slug(site)),
        DatacenterFrom::Region => site_region.get(&site.id).copied().flatten().map(slug),
    }
}

fn policy(p: &Prefix, cidr: IpNet, rules: &[PolicyRule]) -> Result<Option<Policy>, NetboxError> {
    if matches!(p.status.value.as_str(), "reserved" | "deprecated") {
        return Ok(Some(Policy::Reserved));
    }
    for rule in rules {
        match rule {
            PolicyRule::Tag { slug: want, policy } => {
                if p.tags.iter().any(|t| slug(t) == *want) {
                    return Ok(Some(*policy));
                }
            }
            PolicyRule::Role { slug: want, policy } => {
                if p.role.as_ref().is_some_and(|r| slug(r) == *want) {
                    return Ok(Some(*policy));
                }
            }
            PolicyRule::CustomField { name, value } => {
                let field = p.custom_fields.get(name).unwrap_or(&Value::Null);
                match value {
                    Some((want, policy)) => {
                        if custom_value_is(field, want) {
                            return Ok(Some(*policy));
                        }
                    }
                    None => match field {
                        Value::Null => {}
                        Value::String(s) if Policy::parse(s).is_some() => {
                            return Ok(Policy::parse(s));
                        }
                        other => {
                            return Err(NetboxError::PolicyValue {
                                cidr,
                                id: p.id,
                                field: name.clone(),
                                value: other.to_string(),
                            });
                        }
                    },
                }
            }
        }
    }
    Ok(None)
}

/// A custom field's value as text equals `want` (any element of a multi-select).
fn custom_value_is(field: &Value, want: &str) -> bool {
    match field {
        Value::String(s) => s == want,
        Value::Bool(b) => want == if *b { "true" } else { "false" },
        Value::Number(n) => n.to_string() == want,
        Value::Array(items) => items.iter().any(|i| custom_value_is(i, want)),
        Value::Object(o) => o
            .get("slug")
            .or_else(|| o.get("name"))
            .is_some_and(|v| custom_value_is(v, want)),
        Value::Null => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rules_parse_and_bad_ones_say_why() {
        let rules = PolicyRule::parse_list(
            "tag:mail-outbound=mail, role:infra=reserved,cf:ptr_policy,cf:kind:smtp=mail",
        )
        .unwrap();
        assert_eq!(
            rules,
            vec![
                PolicyRule::Tag {
                    slug: "mail-outbound".into(),
                    policy: Policy::Mail
                },
                PolicyRule::Role {
                    slug: "infra".into(),
                    policy: Policy::Reserved
                },
                PolicyRule::CustomField {
                    name: "ptr_policy".into(),
                    value: None
                },
                PolicyRule::CustomField {
                    name: "kind".into(),
                    value: Some(("smtp".into(), Policy::Mail))
                },
            ]
        );
        for (bad, why) in [
            ("tag:x", "no `=POLICY`"),
            ("tag:=mail", "nothing before"),
            ("site:fra1=mail", "the kind is"),
            ("role:x=spam", "`spam` is not a policy"),
            ("cf:", "give `cf:NAME:VALUE=POLICY`"),
            ("mail", "give `tag:SLUG=POLICY`"),
        ] {
            let e = PolicyRule::parse_list(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    fn p(id: u64, cidr: &str, status: &str) -> Prefix {
        serde_json::from_value(serde_json::json!({
            "id": id, "prefix": cidr, "vrf": null, "tenant": null, "role": null,
            "status": {"value": status, "label": status},
        }))
        .unwrap()
    }

    fn a(id: u64, address: &str, status: &str, dns_name: &str) -> IpAddress {
        serde_json::from_value(serde_json::json!({
            "id": id, "address": address, "vrf": null, "dns_name": dns_name,
            "status": {"value": status, "label": status},
        }))
        .unwrap()
    }

    #[test]
    fn leaves_only_and_addresses_inside_them() {
        let prefixes = [
            p(1, "10.0.0.0/16", "container"),
            p(2, "10.0.1.0/24", "active"),
            p(3, "10.0.1.0/25", "active"),
            p(4, "10.0.1.128/26", "reserved"),
            p(5, "10.0.2.0/24", "active"),
            p(6, "2001:db8::/64", "deprecated"),
        ];
        let addresses = [
            a(10, "10.0.1.5/25", "active", "a.example.net."),
            a(11, "10.0.1.6/25", "dhcp", "b.example.net"),
            a(12, "10.0.1.7/25", "active", ""),
            a(13, "10.0.9.9/24", "active", "c.example.net"),
            a(14, "10.0.2.1/24", "active", "bad\u{0}.example.net"),
            a(15, "10.0.1.5/25", "active", "A.example.net"),
        ];
        let got = map(&prefixes, &addresses, &[], &[], &Options::default()).unwrap();
        let blocks: Vec<(String, Policy)> = got
            .blocks
            .iter()
            .map(|b| (b.cidr.to_string(), b.policy))
            .collect();
        assert_eq!(
            blocks,
            [
                ("10.0.1.0/25".to_owned(), Policy::Hosting),
                ("10.0.1.128/26".to_owned(), Policy::Reserved),
                ("10.0.2.0/24".to_owned(), Policy::Hosting),
                ("2001:db8::/64".to_owned(), Policy::Reserved),
            ]
        );
        assert!(got.blocks.iter().all(|b| b.datacenter == "-"));
        assert_eq!(got.assignments.len(), 1);
        assert_eq!(got.assignments[0].ptr, "a.example.net");
        let s = &got.skipped;
        assert_eq!(
            (
                s.containers,
                s.parents,
                s.dynamic,
                s.nameless,
                s.outside,
                s.placed_by_default
            ),
            (1, 1, 1, 1, 1, 4)
        );
        assert_eq!(s.unusable.len(), 1);
        // The same address named twice differently is an error naming both.
        let twice = [
            a(20, "10.0.2.1/24", "active", "x.example.net"),
            a(21, "10.0.2.1/24", "active", "y.example.net"),
        ];
        let e = map(&prefixes, &twice, &[], &[], &Options::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("id 20: `x.example.net`, id 21: `y.example.net`"),
            "{e}"
        );
    }
}
