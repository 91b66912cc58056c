//! [`render`]: an [`Import`] written as an inventory (YAML text through
//! `ptr_audit_yaml::emit`), sorted so that the same address plan always
//! gives the same bytes; with [`Into`], merged into an existing inventory
//! whose hand-written keys it keeps.
//!
//! NetBox owns, and the import rewrites: the set of blocks and their `cidr`,
//! `policy` and datacenter, a block's `name` (its description) when NetBox
//! has one, and the set of assignments with their `ip` and `ptr`. Everything
//! else of the inventory merged into is kept where the same datacenter,
//! block (by network) or assignment (by address) is still there: `version`,
//! `provider`, `resolvers`, a datacenter's `status`, `migrated_from`,
//! `migrated_at`, `severity` and `note`, a block's `expect_ptr`, `exclude`,
//! `sample`, `severity` and `note`, an assignment's `note`. Comments are not
//! kept (the YAML tree holds none); the header comment is written anew.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use ptr_audit_inventory::{FORMAT_VERSION, MAX_UNSAMPLED_V6};
use ptr_audit_yaml::{self as yaml, Kind, Node, map, seq, text};

use crate::error::NetboxError;
use crate::mapping::Import;

/// The provider section to write (each part optional).
#[derive(Clone, Debug, Default)]
pub struct ProviderFlags {
    /// `provider.name`.
    pub name: Option<String>,
    /// `provider.domains` (replace the merged file's when non-empty).
    pub domains: Vec<String>,
    /// `provider.default_ptr` (replace the merged file's when non-empty).
    pub default_ptr: Vec<String>,
}

/// An existing inventory to merge into.
#[derive(Clone, Debug)]
pub struct Into {
    /// Its path, for messages.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// What [`render`] made.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The inventory's text.
    pub text: String,
    /// Datacenters of the merged file with no block left in NetBox (dropped).
    pub dropped_datacenters: Vec<String>,
    /// True when the merged file had comments, which are not carried over.
    pub comments_lost: bool,
}

/// Writes `import` as an inventory, with a header comment naming `source`.
pub fn render(
    import: &Import,
    source: &str,
    provider: &ProviderFlags,
    into: Option<&Into>,
) -> Result<Rendered, NetboxError> {
    let existing = match into {
        None => None,
        Some(into) => Some(existing_tree(into)?),
    };
    let empty = Vec::new();
    let old_top: &Vec<(Node, Node)> = match &existing {
        Some(Node {
            kind: Kind::Map(entries),
            ..
        }) => entries,
        _ => &empty,
    };
    let old = Old::index(old_top);

    // Datacenters in name order, their blocks in network order.
    let mut by_dc: Vec<(&str, Vec<Node>)> = Vec::new();
    let mut dc_names: Vec<&str> = import
        .blocks
        .iter()
        .map(|b| b.datacenter.as_str())
        .collect();
    dc_names.sort_unstable();
    dc_names.dedup();
    for name in &dc_names {
        by_dc.push((name, Vec::new()));
    }
    for b in &import.blocks {
        let i = dc_names.binary_search(&b.datacenter.as_str()).unwrap_or(0);
        let mut entries = vec![
            ("cidr".to_owned(), text(b.cidr.to_string())),
            ("policy".to_owned(), text(b.policy.as_str())),
        ];
        let kept = old.blocks.get(&b.cidr).copied();
        if !b.description.trim().is_empty() {
            entries.push(("name".into(), text(clip(b.description.trim()))));
        } else if let Some(name) = kept.and_then(|k| get(k, "name")) {
            entries.push(("name".into(), name.clone()));
        }
        let mut sampled = false;
        for (k, v) in kept.unwrap_or(&[]) {
            let key = key_text(k);
            if !matches!(key, "cidr" | "policy" | "name") {
                sampled |= key == "sample";
                entries.push((key.to_owned(), v.clone()));
            }
        }
        if !sampled && let Some(sample) = default_sample(b.cidr) {
            entries.push(("sample".into(), sample));
        }
        by_dc[i].1.push(map(entries));
    }
    let mut dropped_datacenters: Vec<String> = old
        .datacenters
        .keys()
        .filter(|n| dc_names.binary_search(&n.as_str()).is_err())
        .cloned()
        .collect();
    dropped_datacenters.sort();
    let datacenters = seq(by_dc.into_iter().map(|(name, blocks)| {
        let mut entries = vec![("name".to_owned(), text(name))];
        for (k, v) in old.datacenters.get(name).copied().unwrap_or(&[]) {
            let key = key_text(k);
            if !matches!(key, "name" | "blocks") {
                entries.push((key.to_owned(), v.clone()));
            }
        }
        entries.push(("blocks".into(), seq(blocks)));
        map(entries)
    }));
    let assignments = seq(import.assignments.iter().map(|a| {
        let mut entries = vec![
            ("ip".to_owned(), text(a.ip.to_string())),
            ("ptr".to_owned(), text(a.ptr.clone())),
        ];
        if let Some(note) = old.assignments.get(&a.ip).and_then(|k| get(k, "note")) {
            entries.push(("note".into(), note.clone()));
        }
        map(entries)
    }));

    // The top level: the merged file's keys in its order, ours replaced.
    let mut top: Vec<(String, Node)> = Vec::new();
    let have = |top: &mut Vec<(String, Node)>, key: &str, value: Node| match top
        .iter_mut()
        .find(|(k, _)| k == key)
    {
        Some(slot) => slot.1 = value,
        None => top.push((key.to_owned(), value)),
    };
    for (k, v) in old_top {
        top.push((key_text(k).to_owned(), v.clone()));
    }
    if !top.iter().any(|(k, _)| k == "version") {
        top.insert(0, ("version".into(), text(FORMAT_VERSION.to_string())));
    }
    if let Some(p) = provider_node(
        old_top
            .iter()
            .find(|(k, _)| key_text(k) == "provider")
            .map(|(_, v)| v),
        provider,
    ) {
        have(&mut top, "provider", p);
    }
    have(&mut top, "datacenters", datacenters);
    have(&mut top, "assignments", assignments);

    let mut out = header(import, source, into.map(|i| i.path.display().to_string()));
    out.push_str(&yaml::emit(&map(top)));
    Ok(Rendered {
        text: out,
        dropped_datacenters,
        comments_lost: into.is_some_and(|i| has_comments(&i.text)),
    })
}

/// The sample of an IPv6 block too large to scan whole: the first 256
/// addresses from `::1` of a block of /64 or smaller; of /48 to /63 blocks
/// the first 16 of each /64; of larger ones the first 256 of the block.
fn default_sample(cidr: IpNet) -> Option<Node> {
    let IpNet::V6(net) = cidr else { return None };
    let size = 1u128
        .checked_shl(u32::from(128 - net.prefix_len()))
        .unwrap_or(u128::MAX);
    if size <= MAX_UNSAMPLED_V6 {
        return None;
    }
    let entries = if (48..64).contains(&net.prefix_len()) {
        vec![
            ("per_subnet", text("/64")),
            ("first", text("16")),
            ("offset", text("1")),
        ]
    } else {
        vec![("first", text("256")), ("offset", text("1"))]
    };
    Some(map(entries))
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

fn key_text(k: &Node) -> &str {
    match &k.kind {
        Kind::Scalar { text, .. } => text,
        _ => "",
    }
}

fn get<'a>(entries: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    entries
        .iter()
        .find(|(k, _)| key_text(k) == key)
        .map(|(_, v)| v)
}

fn entries_of(node: &Node) -> &[(Node, Node)] {
    match &node.kind {
        Kind::Map(e) => e,
        _ => &[],
    }
}

fn items_of(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items,
        _ => &[],
    }
}

/// The hand-written parts of the merged file, by what they belong to.
struct Old<'a> {
    datacenters: HashMap<String, &'a [(Node, Node)]>,
    blocks: HashMap<IpNet, &'a [(Node, Node)]>,
    assignments: HashMap<IpAddr, &'a [(Node, Node)]>,
}

impl<'a> Old<'a> {
    fn index(top: &'a [(Node, Node)]) -> Old<'a> {
        let scalar = |n: Option<&Node>| match n.map(|n| &n.kind) {
            Some(Kind::Scalar { text, .. }) => Some(text.trim().to_owned()),
            _ => None,
        };
        let mut old = Old {
            datacenters: HashMap::new(),
            blocks: HashMap::new(),
            assignments: HashMap::new(),
        };
        for dc in items_of(get(top, "datacenters")) {
            let e = entries_of(dc);
            if let Some(name) = scalar(get(e, "name")) {
                old.datacenters.insert(name, e);
            }
            for b in items_of(get(e, "blocks")) {
                let be = entries_of(b);
                if let Some(net) = scalar(get(be, "cidr")).and_then(|c| parse_net(&c)) {
                    old.blocks.insert(net, be);
                }
            }
        }
        for a in items_of(get(top, "assignments")) {
            let e = entries_of(a);
            if let Some(ip) = scalar(get(e, "ip")).and_then(|i| i.parse().ok()) {
                old.assignments.insert(ip, e);
            }
        }
        old
    }
}

fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

fn provider_node(old: Option<&Node>, flags: &ProviderFlags) -> Option<Node> {
    if old.is_none()
        && flags.name.is_none()
        && flags.domains.is_empty()
        && flags.default_ptr.is_empty()
    {
        return None;
    }
    let mut entries: Vec<(String, Node)> = old
        .map(entries_of)
        .unwrap_or(&[])
        .iter()
        .map(|(k, v)| (key_text(k).to_owned(), v.clone()))
        .collect();
    let mut set = |key: &str, value: Node| match entries.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key.to_owned(), value)),
    };
    if let Some(name) = &flags.name {
        set("name", text(name.clone()));
    }
    if !flags.domains.is_empty() {
        set("domains", seq(flags.domains.iter().cloned().map(text)));
    }
    if !flags.default_ptr.is_empty() {
        set(
            "default_ptr",
            seq(flags.default_ptr.iter().cloned().map(text)),
        );
    }
    // `name` first when the section is new.
    entries.sort_by_key(|(k, _)| k != "name" && old.is_none());
    Some(map(entries))
}

fn existing_tree(into: &Into) -> Result<Node, NetboxError> {
    let err = |reason: String| NetboxError::Into {
        path: into.path.clone(),
        reason,
    };
    match yaml::parse(&into.text) {
        Err(e) => Err(err(format!(
            "line {}, column {}: {}",
            e.line, e.col, e.message
        ))),
        Ok(None) => Ok(map(Vec::<(String, Node)>::new())),
        Ok(Some(node)) if matches!(node.kind, Kind::Map(_)) => Ok(node),
        Ok(Some(node)) => Err(err(format!(
            "it holds {} where an inventory is a mapping (`version: 1`, `datacenters:` …)",
            node.kind_name()
        ))),
    }
}

/// True when `text` has a comment other than an import header's `## ` lines.
fn has_comments(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start();
        (t.starts_with('#') && !t.starts_with("##")) || (!t.starts_with('#') && line.contains(" #"))
    })
}

fn header(import: &Import, source: &str, into: Option<String>) -> String {
    let s = &import.skipped;
    let mut lines = vec![
        format!("Written by `ptr-audit import netbox` from {source}"),
        "Change the address plan in NetBox and import again: this header is rewritten,".into(),
        "other comments are not kept. NetBox owns the blocks (cidr, policy, datacenter,".into(),
        "name) and the assignments (ip, ptr); other keys are kept by `--into`.".into(),
    ];
    if let Some(path) = into {
        lines.push(format!("Merged into {path}."));
    }
    lines.push(format!(
        "{} prefixes read: {} blocks; skipped {} containers, {} with prefixes inside, {} of other VRFs or tenants",
        import.prefixes_read,
        import.blocks.len(),
        s.containers,
        s.parents,
        s.other_vrf + s.other_tenant,
    ));
    lines.push(format!(
        "{} IP addresses read: {} assignments; skipped {} dhcp/slaac, {} without dns_name, {} outside the blocks, {} with an unusable dns_name",
        import.addresses_read,
        import.assignments.len(),
        s.dynamic,
        s.nameless,
        s.outside,
        s.unusable.len(),
    ));
    let mut out = String::new();
    for line in lines {
        out.push('#');
        out.push_str(&yaml::comment(&line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{Assignment, Block};
    use ptr_audit_model::Policy;

    fn import() -> Import {
        Import {
            blocks: vec![
                Block {
                    cidr: "203.0.113.0/26".parse().unwrap(),
                    datacenter: "fra1".into(),
                    policy: Policy::Mail,
                    description: "mail <out>".into(),
                    id: 1,
                },
                Block {
                    cidr: "2001:db8:1::/64".parse().unwrap(),
                    datacenter: "ams3".into(),
                    policy: Policy::Hosting,
                    description: String::new(),
                    id: 2,
                },
            ],
            assignments: vec![Assignment {
                ip: "203.0.113.5".parse().unwrap(),
                ptr: "mail.example.net".into(),
                id: 9,
            }],
            prefixes_read: 3,
            addresses_read: 4,
            skipped: Default::default(),
        }
    }

    fn load(text: &str) -> ptr_audit_inventory::Loaded {
        ptr_audit_inventory::load_texts(vec![("out.yaml".into(), text.to_owned())])
    }

    #[test]
    fn a_fresh_import_validates_and_is_sorted() {
        let r = render(
            &import(),
            "https://nb.example.net/",
            &ProviderFlags::default(),
            None,
        )
        .unwrap();
        let loaded = load(&r.text);
        assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, r.text);
        assert!(
            r.text
                .starts_with("## Written by `ptr-audit import netbox`"),
            "{}",
            r.text
        );
        let ams = r.text.find("name: ams3").unwrap();
        let fra = r.text.find("name: fra1").unwrap();
        assert!(ams < fra, "{}", r.text);
        assert!(
            r.text
                .contains("sample:\n          first: 256\n          offset: 1\n"),
            "{}",
            r.text
        );
        assert!(!r.comments_lost);
    }

    #[test]
    fn into_keeps_hand_written_keys_and_says_comments_are_lost() {
        let old = "# our plan\nversion: 1\nprovider:\n  name: Example\n  severity: {ptr-multiple: notice}\nresolvers: [\"192.0.2.53\"]\ndatacenters:\n  - name: fra1\n    status: migrated\n    migrated_from: old1\n    blocks:\n      - cidr: 203.0.113.0/26\n        policy: hosting\n        expect_ptr: \"mail{d}.fra1.example.net\"\n        exclude: [203.0.113.0/31]\n  - name: old1\n    blocks:\n      - {cidr: 198.51.100.0/24, policy: hosting}\nassignments:\n  - {ip: 203.0.113.5, ptr: x.example.net, note: ticket 42}\n";
        let into = Into {
            path: "inv.yaml".into(),
            text: old.into(),
        };
        let flags = ProviderFlags {
            domains: vec!["example.net".into()],
            ..Default::default()
        };
        let r = render(&import(), "https://nb.example.net/", &flags, Some(&into)).unwrap();
        let loaded = load(&r.text);
        assert!(!loaded.has_errors(), "{:?}\n{}", loaded.diagnostics, r.text);
        let inv = loaded.inventory;
        assert_eq!(inv.provider.name, "Example");
        assert_eq!(inv.provider.domains, ["example.net"]);
        assert_eq!(inv.resolvers.len(), 1);
        let fra = inv.datacenter("fra1").unwrap();
        assert_eq!(fra.migrated_from.as_deref(), Some("old1"));
        let b = &inv.blocks[0];
        assert_eq!(
            (b.policy, b.expect_ptr.as_deref()),
            (Policy::Mail, Some("mail{d}.fra1.example.net"))
        );
        assert_eq!(inv.details[0].excludes.len(), 1);
        assert_eq!(inv.details[0].name.as_deref(), Some("mail <out>"));
        assert_eq!(inv.assignments[0].ptr, "mail.example.net");
        assert!(r.text.contains("note: ticket 42"), "{}", r.text);
        assert_eq!(r.dropped_datacenters, ["old1"]);
        assert!(r.comments_lost);
        // Importing again over the output changes nothing.
        let again = render(
            &import(),
            "https://nb.example.net/",
            &flags,
            Some(&Into {
                path: "inv.yaml".into(),
                text: r.text.clone(),
            }),
        )
        .unwrap();
        assert_eq!(
            again.text.replace("Merged into inv.yaml.\n", ""),
            r.text.replace("Merged into inv.yaml.\n", "")
        );
        assert!(!again.comments_lost);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::mapping::{Options, map};
    use proptest::prelude::*;

    const SLUGS: [&str; 6] = ["fra1", "ams-3", "x", "", "a b", "\u{1b}[1m<i>"];
    const NAMES: [&str; 7] = [
        "h.example.net",
        "mail.example.net.",
        "",
        "=cmd|' /C calc'!A0",
        "a\u{0}b.example.net",
        "xn--bcher-kva.example",
        "{ip}.example.net",
    ];
    const STATUSES: [&str; 5] = ["active", "container", "reserved", "deprecated", "planned"];

    fn prefix_json(
        id: u64,
        net: IpNet,
        status: &str,
        slug: Option<&str>,
        v42: bool,
    ) -> serde_json::Value {
        let site = slug.map(|s| serde_json::json!({"id": 1, "url": "u", "display": s, "name": s, "slug": s, "description": ""}));
        let mut v = serde_json::json!({
            "id": id, "prefix": net.to_string(), "vrf": null, "tenant": null, "role": null,
            "status": {"value": status, "label": status}, "tags": [], "custom_fields": {},
            "description": slug.unwrap_or("")
        });
        if v42 {
            v["scope_type"] = if site.is_some() {
                "dcim.site".into()
            } else {
                serde_json::Value::Null
            };
            v["scope"] = site.unwrap_or(serde_json::Value::Null);
        } else {
            v["site"] = site.unwrap_or(serde_json::Value::Null);
        }
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever prefixes and names NetBox holds, an import that succeeds
        /// writes an inventory the validator accepts, with every block and
        /// assignment the import found.
        #[test]
        fn every_successful_import_validates(
            nets in proptest::collection::vec((any::<u32>(), 16u8..=32, 0usize..5, proptest::option::of(0usize..6)), 1..40),
            v6 in proptest::collection::vec((any::<u64>(), 32u8..=128), 0..6),
            names in proptest::collection::vec((any::<u8>(), 0usize..7, any::<bool>()), 0..40),
            v42 in any::<bool>(),
        ) {
            let mut values = Vec::new();
            let mut id = 0;
            for (bits, len, status, slug) in &nets {
                id += 1;
                let net = IpNet::new(std::net::Ipv4Addr::from(*bits).into(), *len).unwrap().trunc();
                values.push(prefix_json(id, net, STATUSES[*status], slug.map(|s| SLUGS[s]), v42));
            }
            for (bits, len) in &v6 {
                id += 1;
                let addr = std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | (u128::from(*bits) << 32));
                let net = IpNet::new(addr.into(), *len).unwrap().trunc();
                values.push(prefix_json(id, net, "active", Some("fra1"), v42));
            }
            let prefixes: Vec<crate::api::Prefix> = values.into_iter().map(|v| serde_json::from_value(v).unwrap()).collect();
            // Addresses inside the first prefixes' networks.
            let addresses: Vec<crate::api::IpAddress> = names
                .iter()
                .enumerate()
                .filter_map(|(i, (host, name, dynamic))| {
                    let p = prefixes.get(i % prefixes.len())?;
                    let net: IpNet = p.prefix.parse().ok()?;
                    let ip = net.hosts().nth(usize::from(*host)).unwrap_or(net.network());
                    serde_json::from_value(serde_json::json!({
                        "id": 1000 + i, "address": format!("{ip}/{}", net.prefix_len()), "vrf": null,
                        "status": {"value": if *dynamic { "dhcp" } else { "active" }, "label": "x"},
                        "dns_name": NAMES[*name],
                    })).ok()
                })
                .collect();
            let Ok(import) = map(&prefixes, &addresses, &[], &[], &Options::default()) else {
                // Only the documented refusals (a prefix twice) may stop it.
                return Ok(());
            };
            let r = render(&import, "https://nb.example.net/", &ProviderFlags::default(), None).unwrap();
            let loaded = ptr_audit_inventory::load_texts(vec![("import.yaml".into(), r.text.clone())]);
            let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
            prop_assert!(errors.is_empty() || import.blocks.is_empty(), "{errors:?}\n{}", r.text);
            if !import.blocks.is_empty() {
                prop_assert_eq!(loaded.inventory.blocks.len(), import.blocks.len());
                prop_assert_eq!(loaded.inventory.assignments.len(), import.assignments.len());
            }
        }
    }
}
