//! [`drift`]: what differs between two inventories in the facts an address
//! plan owns — which blocks exist, their datacenter and policy, and which
//! addresses have an assignment with which PTR — for `import netbox --check`.
//! Hand-written keys (templates, excludes, samples, severities, migration
//! history) are not compared: the address plan does not hold them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use ptr_audit_model::Policy;

use crate::Inventory;

/// One difference between two inventories.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A block only the new inventory has.
    BlockAdded {
        /// The block.
        cidr: IpNet,
        /// Its datacenter.
        datacenter: String,
        /// Its policy.
        policy: Policy,
    },
    /// A block only the old inventory has.
    BlockRemoved {
        /// The block.
        cidr: IpNet,
        /// Its datacenter.
        datacenter: String,
        /// Its policy.
        policy: Policy,
    },
    /// A block both have, with another datacenter or policy.
    BlockChanged {
        /// The block.
        cidr: IpNet,
        /// Datacenter before and after.
        datacenter: (String, String),
        /// Policy before and after.
        policy: (Policy, Policy),
    },
    /// An assignment only the new inventory has.
    AssignmentAdded {
        /// The address.
        ip: IpAddr,
        /// Its PTR.
        ptr: String,
    },
    /// An assignment only the old inventory has.
    AssignmentRemoved {
        /// The address.
        ip: IpAddr,
        /// Its PTR.
        ptr: String,
    },
    /// An address both assign, to different names.
    AssignmentChanged {
        /// The address.
        ip: IpAddr,
        /// PTR before and after.
        ptr: (String, String),
    },
}

/// The differences from `old` to `new`: blocks first (by address, IPv4
/// first), then assignments (by address). Names are compared without case
/// and without a trailing dot, as DNS compares them.
pub fn drift(old: &Inventory, new: &Inventory) -> Vec<Change> {
    let blocks = |inv: &Inventory| -> BTreeMap<IpNet, (String, Policy)> {
        inv.blocks
            .iter()
            .map(|b| (b.cidr, (b.datacenter.to_string(), b.policy)))
            .collect()
    };
    let assignments = |inv: &Inventory| -> BTreeMap<IpAddr, String> {
        inv.assignments
            .iter()
            .map(|a| (a.ip, a.ptr.clone()))
            .collect()
    };
    let mut changes = Vec::new();
    let (before, after) = (blocks(old), blocks(new));
    for key in merged_keys(&before, &after) {
        match (before.get(&key), after.get(&key)) {
            (None, Some((dc, p))) => changes.push(Change::BlockAdded {
                cidr: key,
                datacenter: dc.clone(),
                policy: *p,
            }),
            (Some((dc, p)), None) => changes.push(Change::BlockRemoved {
                cidr: key,
                datacenter: dc.clone(),
                policy: *p,
            }),
            (Some(b), Some(a)) if b != a => changes.push(Change::BlockChanged {
                cidr: key,
                datacenter: (b.0.clone(), a.0.clone()),
                policy: (b.1, a.1),
            }),
            _ => {}
        }
    }
    let (before, after) = (assignments(old), assignments(new));
    for key in merged_keys(&before, &after) {
        match (before.get(&key), after.get(&key)) {
            (None, Some(ptr)) => changes.push(Change::AssignmentAdded {
                ip: key,
                ptr: ptr.clone(),
            }),
            (Some(ptr), None) => changes.push(Change::AssignmentRemoved {
                ip: key,
                ptr: ptr.clone(),
            }),
            (Some(b), Some(a)) if !same_name(b, a) => changes.push(Change::AssignmentChanged {
                ip: key,
                ptr: (b.clone(), a.clone()),
            }),
            _ => {}
        }
    }
    changes
}

fn merged_keys<K: Ord + Copy, V>(a: &BTreeMap<K, V>, b: &BTreeMap<K, V>) -> Vec<K> {
    let mut keys: Vec<K> = a.keys().chain(b.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_texts;

    fn inv(text: &str) -> Inventory {
        let loaded = load_texts(vec![("i.yaml".into(), text.to_owned())]);
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.inventory
    }

    #[test]
    fn drift_names_added_removed_and_changed_blocks_and_assignments() {
        let old = inv("version: 1
datacenters:
  - name: fra1
    blocks:
      - {cidr: 203.0.113.0/26, policy: mail, expect_ptr: \"m{d}.example.net\"}
      - {cidr: 198.51.100.0/24, policy: hosting}
assignments:
  - {ip: 203.0.113.5, ptr: a.example.net}
  - {ip: 203.0.113.6, ptr: B.example.net.}
  - {ip: 198.51.100.1, ptr: gone.example.net}
");
        let new = inv("version: 1
datacenters:
  - name: ams3
    blocks:
      - {cidr: 203.0.113.0/26, policy: reserved}
      - {cidr: 2001:db8::/120, policy: hosting}
assignments:
  - {ip: 203.0.113.5, ptr: c.example.net}
  - {ip: 203.0.113.6, ptr: b.example.net}
  - {ip: 203.0.113.7, ptr: new.example.net}
");
        let changes = drift(&old, &new);
        assert_eq!(
            changes,
            vec![
                Change::BlockRemoved {
                    cidr: "198.51.100.0/24".parse().unwrap(),
                    datacenter: "fra1".into(),
                    policy: Policy::Hosting
                },
                Change::BlockChanged {
                    cidr: "203.0.113.0/26".parse().unwrap(),
                    datacenter: ("fra1".into(), "ams3".into()),
                    policy: (Policy::Mail, Policy::Reserved)
                },
                Change::BlockAdded {
                    cidr: "2001:db8::/120".parse().unwrap(),
                    datacenter: "ams3".into(),
                    policy: Policy::Hosting
                },
                Change::AssignmentRemoved {
                    ip: "198.51.100.1".parse().unwrap(),
                    ptr: "gone.example.net".into()
                },
                Change::AssignmentChanged {
                    ip: "203.0.113.5".parse().unwrap(),
                    ptr: ("a.example.net".into(), "c.example.net".into())
                },
                Change::AssignmentAdded {
                    ip: "203.0.113.7".parse().unwrap(),
                    ptr: "new.example.net".into()
                },
            ]
        );
        assert!(drift(&new, &new).is_empty());
    }
}
