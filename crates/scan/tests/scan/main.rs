//! Scanner tests: real DNS over 127.0.0.1 against the embedded zone server.

mod answers;
mod authoritative;
mod backoff;
mod dnsbl;
mod faults;
mod hostile;
mod limits;
mod raw;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use ptr_audit_dnsserver::ZoneSet;
use ptr_audit_model::{BlockInfo, Lookup, Policy, SourceLocation, Target};
use ptr_audit_scan::{ScanConfig, ScanOutcome, StopSignal, scan_blocking};

/// The SOA and NS every fixture zone starts with.
pub const SOA: &str = "$TTL 300\n\
    @ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n\
    @ IN NS ns1.examplehost.net.\n";

/// A block for test targets.
pub fn block(cidr: &str) -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: Arc::from("test"),
        cidr: cidr.parse::<IpNet>().expect("cidr"),
        policy: Policy::Hosting,
        expect_ptr: None,
        expect_pbl: false,
        migrated_from: None,
        severities: Default::default(),
        source: SourceLocation {
            file: PathBuf::from("<test>"),
            line: 1,
        },
    })
}

/// Targets for every address of `cidr` (network and broadcast included).
pub fn targets(cidr: &str) -> Vec<Target> {
    let b = block(cidr);
    b.cidr
        .hosts()
        .chain([b.cidr.network(), b.cidr.broadcast()])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|ip| Target {
            ip,
            block: b.clone(),
            expected_ptr: None,
        })
        .collect()
}

/// One target per address given.
pub fn some(ips: &[&str]) -> Vec<Target> {
    let b = block("::/0");
    ips.iter()
        .map(|ip| Target {
            ip: ip.parse().expect("ip"),
            block: b.clone(),
            expected_ptr: None,
        })
        .collect()
}

/// A test configuration: 1 s per attempt, 2 attempts, 32 in flight, no rate
/// limit. (The embedded server is a debug build in tests and answers a few
/// hundred queries per second: a larger window only queues at the server.)
/// Tests that expect timeouts lower the timeout.
pub fn config(servers: &[SocketAddr]) -> ScanConfig {
    let mut c = ScanConfig::default();
    c.servers = servers.to_vec();
    c.qps = None;
    c.concurrency = 32;
    c.timeout = Duration::from_secs(1);
    c.attempts = 2;
    c.backoff = Duration::from_millis(20);
    c
}

/// Scans `targets` and returns the outcome and every delivery by address,
/// asserting that no address is delivered twice.
pub fn scan(config: &ScanConfig, targets: Vec<Target>) -> (ScanOutcome, BTreeMap<IpAddr, Lookup>) {
    let mut seen = BTreeMap::new();
    let outcome = scan_blocking(
        config,
        targets,
        |t, l| {
            assert!(seen.insert(t.ip, l).is_none(), "{} delivered twice", t.ip);
        },
        &StopSignal::new(),
    )
    .expect("scan runs");
    (outcome, seen)
}

/// Adds a zone to `set`.
pub fn zone(set: &mut ZoneSet, origin: &str, records: &str) {
    set.add_text(origin, &format!("{SOA}{records}"))
        .unwrap_or_else(|e| panic!("zone {origin}: {e}"));
}
