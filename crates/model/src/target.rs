//! What the inventory says about an address: its block, policy and expectations.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ipnet::IpNet;

use crate::{Policy, SeverityOverrides};

/// Where something was written: a file and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceLocation {
    /// The file (`-` for standard input, `<args>` for the command line).
    pub file: PathBuf,
    /// The line, starting at 1 (0 when unknown).
    pub line: u32,
}

/// The provider-wide part of an inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provider {
    /// The provider's name.
    pub name: String,
    /// The provider's own zones (`examplehost.net`).
    pub domains: Vec<String>,
    /// Naming templates its automation assigns (`{ip-dashed}-host.examplehost.net`),
    /// as written; the `inventory` crate parses and renders them.
    pub default_ptr: Vec<String>,
}

/// A block of the inventory, shared by all its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The datacenter it belongs to (`-` for plain CIDR input).
    pub datacenter: Arc<str>,
    /// The block.
    pub cidr: IpNet,
    /// Its policy.
    pub policy: Policy,
    /// The naming template its PTRs should follow, as written.
    pub expect_ptr: Option<String>,
    /// The provider wants its addresses in the Spamhaus PBL (end-user
    /// space, the inventory's `expect_pbl`): a PBL listing is expected there,
    /// and its absence a notice.
    pub expect_pbl: bool,
    /// In a migrated datacenter, the datacenter it came from.
    pub migrated_from: Option<Arc<str>>,
    /// Severity overrides that apply to this block.
    pub severities: SeverityOverrides,
    /// Where the block is written.
    pub source: SourceLocation,
}

impl BlockInfo {
    /// The block's identity: its datacenter and CIDR.
    pub fn key(&self) -> BlockKey {
        BlockKey {
            datacenter: Arc::clone(&self.datacenter),
            cidr: self.cidr,
        }
    }
}

/// A block's identity within one report: its datacenter, then its CIDR.
/// The derived order (datacenter first, then the network) is the order
/// reports list blocks in, so it decides output order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockKey {
    /// The datacenter (`-` for plain CIDR input).
    pub datacenter: Arc<str>,
    /// The block.
    pub cidr: IpNet,
}

impl BlockKey {
    /// The key of the block `cidr` of `datacenter` (as a report read back
    /// names it).
    pub fn new(datacenter: &str, cidr: IpNet) -> BlockKey {
        BlockKey {
            datacenter: Arc::from(datacenter),
            cidr,
        }
    }
}

/// One address in scope, with what the inventory expects of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The address.
    pub ip: IpAddr,
    /// Its block.
    pub block: Arc<BlockInfo>,
    /// The PTR expected for this address: an assignment, else the block's
    /// template rendered for this address.
    pub expected_ptr: Option<String>,
}

/// The reverse-zone name of `ip`, lowercase, with the trailing dot
/// (`5.113.0.203.in-addr.arpa.`, nibbles under `ip6.arpa.` for IPv6).
pub fn reverse_name(ip: IpAddr) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(73);
            for b in v6.octets().iter().rev() {
                for n in [b & 0xf, b >> 4] {
                    s.push(char::from(HEX[usize::from(n)]));
                    s.push('.');
                }
            }
            s.push_str("ip6.arpa.");
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_keys_order_by_datacenter_then_network() {
        let key = |dc: &str, net: &str| BlockKey::new(dc, net.parse().unwrap());
        let mut keys = [
            key("b", "10.0.0.0/24"),
            key("a", "2001:db8::/64"),
            key("a", "192.0.2.0/24"),
            key("a", "10.0.1.0/24"),
        ];
        keys.sort();
        let order: Vec<(&str, String)> = keys
            .iter()
            .map(|k| (&*k.datacenter, k.cidr.to_string()))
            .collect();
        assert_eq!(
            order,
            [
                ("a", "10.0.1.0/24".to_owned()),
                ("a", "192.0.2.0/24".to_owned()),
                ("a", "2001:db8::/64".to_owned()),
                ("b", "10.0.0.0/24".to_owned()),
            ]
        );
    }
}
