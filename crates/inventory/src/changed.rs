//! [`changed_scope`]: the addresses whose block, policy or expectation differ
//! between two versions of an inventory, for change-only scans of inventory
//! pull requests.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use ptr_audit_model::{BlockInfo, Target};

use crate::Inventory;
use crate::inventory::block_segments;
use crate::scope::{Segment, from_u128, to_u128};

/// The addresses in scope of a new inventory that an old one saw differently:
/// new in scope, or in a block whose datacenter, policy, template, migration
/// or severities changed, or whose assignment changed. Counted and indexed
/// arithmetically, like [`Inventory`]'s scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedScope {
    /// Segments sorted by (family, first address), disjoint.
    segments: Vec<(Segment, bool)>,
    /// `ends[i]`: the index one past segment i's last address.
    ends: Vec<u64>,
}

impl ChangedScope {
    /// How many addresses changed.
    pub fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// True when nothing in scope changed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `ip` is one of the changed addresses.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let key = (ip.is_ipv6(), to_u128(ip));
        let i = self
            .segments
            .partition_point(|(s, v6)| (*v6, s.first()) <= key);
        i.checked_sub(1)
            .map(|i| &self.segments[i])
            .is_some_and(|(s, v6)| *v6 == key.0 && s.contains(key.1))
    }

    /// The `index`-th changed address, in address order (IPv4 first).
    pub fn ip_at(&self, index: u64) -> Option<IpAddr> {
        let i = self.ends.partition_point(|&end| end <= index);
        let (seg, v6) = self.segments.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(from_u128(seg.nth(u128::from(index - start)), *v6))
    }

    /// The changed addresses, in address order.
    pub fn ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.segments
            .iter()
            .flat_map(|(s, v6)| (0..s.len()).map(move |i| from_u128(s.nth(i), *v6)))
    }

    /// The changed addresses as targets of the new inventory `new` (the one
    /// passed to [`changed_scope`]), in address order.
    pub fn targets<'a>(&'a self, new: &'a Inventory) -> impl Iterator<Item = Target> + 'a {
        self.ips()
            .filter_map(move |ip| new.index_of(ip).and_then(|i| new.target_at(i)))
    }
}

/// Blocks that audit the same way: everything but where they are written.
fn same_block(a: &BlockInfo, b: &BlockInfo) -> bool {
    a.cidr == b.cidr
        && a.datacenter == b.datacenter
        && a.policy == b.policy
        && a.expect_ptr == b.expect_ptr
        && a.expect_pbl == b.expect_pbl
        && a.migrated_from == b.migrated_from
        && a.severities == b.severities
}

/// The addresses in scope of `new` whose block, policy or expectation differ
/// from `old`: a block added or changed (datacenter, policy, `expect_ptr`,
/// `expect_pbl`, migration, severities) puts all its addresses in; an unchanged block puts
/// in the addresses that `exclude`/`sample` newly brought into scope (the
/// whole block when the old one was sampled per subnet); an assignment added,
/// removed or changed puts in its address. A change to the provider's
/// `default_ptr` or `domains` changes the whole scope.
pub fn changed_scope(old: &Inventory, new: &Inventory) -> ChangedScope {
    let provider_changed = old.provider.default_ptr != new.provider.default_ptr
        || old.provider.domains != new.provider.domains;
    let old_blocks: HashMap<IpNet, usize> = old
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.cidr, i))
        .collect();
    let mut segments: Vec<(Segment, bool)> = Vec::new();
    for (i, block) in new.blocks.iter().enumerate() {
        if block.policy == ptr_audit_model::Policy::Reserved {
            continue;
        }
        let detail = &new.details[i];
        let Ok(segs) = block_segments(&block.cidr, detail.sample, &detail.excludes) else {
            continue;
        };
        let v6 = block.cidr.addr().is_ipv6();
        let same = old_blocks
            .get(&block.cidr)
            .filter(|&&j| !provider_changed && same_block(&old.blocks[j], block));
        let changed = match same {
            None => segs,
            Some(&j) => {
                let od = &old.details[j];
                if od.excludes == detail.excludes && od.sample == detail.sample {
                    Vec::new()
                } else if od.sample.is_some_and(|s| s.per_subnet.is_some()) {
                    segs
                } else {
                    match block_segments(&block.cidr, od.sample, &od.excludes) {
                        Ok(old_segs) => {
                            let cuts: Vec<(u128, u128)> =
                                old_segs.iter().map(|s| (s.first(), s.last())).collect();
                            crate::scope::subtract_all(segs, &cuts)
                        }
                        _ => segs,
                    }
                }
            }
        };
        segments.extend(changed.into_iter().map(|s| (s, v6)));
    }
    segments.sort_by_key(|(s, v6)| (*v6, s.first()));
    let mut scope = ChangedScope::from_segments(segments);

    // Assignments added, removed or changed, where not already in.
    let mut extra = BTreeSet::new();
    for a in &new.assignments {
        if old.assignment(a.ip).is_none_or(|o| o.ptr != a.ptr) {
            extra.insert(a.ip);
        }
    }
    for a in &old.assignments {
        if new.assignment(a.ip).is_none() {
            extra.insert(a.ip);
        }
    }
    extra.retain(|ip| new.in_scope(*ip) && !scope.contains(*ip));
    if !extra.is_empty() {
        let mut segments = scope.segments;
        segments.extend(extra.into_iter().map(|ip| {
            let x = to_u128(ip);
            (Segment::range(x, x), ip.is_ipv6())
        }));
        segments.sort_by_key(|(s, v6)| (*v6, s.first()));
        scope = ChangedScope::from_segments(segments);
    }
    scope
}

impl ChangedScope {
    fn from_segments(segments: Vec<(Segment, bool)>) -> Self {
        let mut ends = Vec::with_capacity(segments.len());
        let mut total: u64 = 0;
        for (s, _) in &segments {
            total = total.saturating_add(u64::try_from(s.len()).unwrap_or(u64::MAX));
            ends.push(total);
        }
        ChangedScope { segments, ends }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_texts;

    fn inv(text: &str) -> Inventory {
        let l = load_texts(vec![("inv.yaml".into(), text.to_owned())]);
        assert!(!l.has_errors(), "{:#?}", l.diagnostics);
        l.inventory
    }

    const OLD: &str = "version: 1
provider: {name: P, default_ptr: ['{ip-dashed}.host.example']}
datacenters:
  - name: a
    blocks:
      - {cidr: 203.0.113.0/28, policy: mail, expect_ptr: 'm{d}.example'}
      - {cidr: 203.0.113.16/28, policy: hosting, exclude: [203.0.113.16/30]}
      - {cidr: 198.51.100.0/29, policy: hosting}
      - {cidr: 2001:db8::/124, policy: hosting}
assignments:
  - {ip: 198.51.100.1, ptr: one.example}
  - {ip: 198.51.100.2, ptr: two.example}
";

    #[test]
    fn unchanged_inventory_changes_nothing() {
        let (old, new) = (inv(OLD), inv(OLD));
        let c = changed_scope(&old, &new);
        assert!(c.is_empty());
        assert_eq!(c.ips().count(), 0);
    }

    #[test]
    fn expect_pbl_changes_the_block() {
        let new = OLD.replace(
            "{cidr: 2001:db8::/124, policy: hosting}",
            "{cidr: 2001:db8::/124, policy: hosting, expect_pbl: true}",
        );
        let c = changed_scope(&inv(OLD), &inv(&new));
        assert_eq!(c.len(), 16);
        assert!(c.ips().all(|ip| ip.is_ipv6()));
    }

    #[test]
    fn changes_touch_exactly_the_changed_addresses() {
        let new = OLD
            .replace("expect_ptr: 'm{d}.example'", "expect_ptr: 'mx{d}.example'")
            .replace("exclude: [203.0.113.16/30]", "exclude: [203.0.113.16/31]")
            .replace("ptr: two.example", "ptr: deux.example")
            .replace(
                "{ip: 198.51.100.1, ptr: one.example}",
                "{ip: 198.51.100.3, ptr: three.example}",
            );
        let new = new.replace(
            "assignments:",
            "  - name: b\n    blocks:\n      - {cidr: 192.0.2.0/30, policy: mail}\nassignments:",
        );
        let (old, new) = (inv(OLD), inv(&new));
        let c = changed_scope(&old, &new);
        let ips: Vec<String> = c.ips().map(|ip| ip.to_string()).collect();
        let mut want: Vec<String> = (0..4).map(|d| format!("192.0.2.{d}")).collect();
        want.extend(["198.51.100.1", "198.51.100.2", "198.51.100.3"].map(String::from));
        want.extend((0..16).map(|d| format!("203.0.113.{d}")));
        want.extend(["203.0.113.18", "203.0.113.19"].map(String::from));
        assert_eq!(ips, want);
        assert_eq!(c.len(), want.len() as u64);
        for (i, ip) in c.ips().enumerate() {
            assert_eq!(c.ip_at(i as u64), Some(ip));
            assert!(c.contains(ip));
        }
        assert!(!c.contains("198.51.100.4".parse().unwrap()));
        assert!(!c.contains("2001:db8::1".parse().unwrap()));
        let targets: Vec<_> = c.targets(&new).collect();
        assert_eq!(targets.len(), want.len());
        assert_eq!(targets[4].expected_ptr, None);
        assert_eq!(targets[5].expected_ptr.as_deref(), Some("deux.example"));
    }

    #[test]
    fn provider_default_change_changes_everything() {
        let new = OLD.replace("{ip-dashed}.host.example", "{ip-dashed}.static.example");
        let (old, new) = (inv(OLD), inv(&new));
        let c = changed_scope(&old, &new);
        assert_eq!(c.len(), new.scope_len());
    }
}
