//! Accounting, rate limits and stopping.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use ptr_audit_dnsserver::faults::{FaultPlan, FaultProxy};
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use ptr_audit_model::PtrAnswer;
use ptr_audit_scan::{StopSignal, scan_blocking};

use crate::{config, scan, targets, zone};

/// 198.51.96.0/20 in 16 reverse zones: every third address has a PTR; names
/// repeat every 64 addresses, so forward names are shared.
fn slash20() -> ZoneSet {
    let mut set = ZoneSet::new();
    let mut rev = String::new();
    let mut fwd = String::new();
    for c in 96..112 {
        rev.clear();
        for d in (0..256).step_by(3) {
            rev.push_str(&format!("{d} PTR h{}.example.\n", d % 64));
        }
        zone(&mut set, &format!("{c}.51.198.in-addr.arpa"), &rev);
    }
    for h in 0..64 {
        fwd.push_str(&format!("h{h} A 192.0.2.{h}\n"));
    }
    zone(&mut set, "example", &fwd);
    set
}

#[test]
fn every_address_of_a_slash_20_is_delivered_once_and_shared_names_asked_once() {
    let server = ZoneServer::spawn(slash20()).expect("server");
    let c = config(&[server.addr()]);
    let (outcome, seen) = scan(&c, targets("198.51.96.0/20"));
    assert!(outcome.complete);
    assert_eq!(seen.len(), 4096);
    assert_eq!(outcome.addresses, 4096);
    for (ip, l) in &seen {
        let IpAddr::V4(v4) = ip else { unreachable!() };
        assert!((96..112).contains(&v4.octets()[2]));
        if v4.octets()[3] % 3 == 0 {
            assert!(matches!(l.answer, PtrAnswer::Names(_)), "{ip}: {l:?}");
            assert_eq!(l.forward.len(), 1);
        } else {
            assert_eq!(l.answer, PtrAnswer::NxDomain, "{ip}");
        }
    }
    let stats = server.stats();
    assert_eq!(stats.qtype("PTR"), outcome.ptr_queries);
    assert_eq!(stats.total, outcome.queries_sent);
    // the 1376 addresses with a PTR share 64 names: each asked once
    for h in [0, 1, 63] {
        assert_eq!(
            server.queries_for(&format!("h{h}.example."), "A"),
            1,
            "h{h}"
        );
    }
    assert_eq!(stats.qtype("A"), 64);
    assert_eq!(outcome.forward_shared, 1376 - 64);
}

#[test]
fn the_rate_limit_holds_with_retries_spending_the_same_budget() {
    let server = ZoneServer::spawn(slash20()).expect("server");
    let plan = FaultPlan {
        seed: 3,
        drop: 0.15,
        servfail: 0.15,
        ..FaultPlan::clean()
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).expect("proxy");
    let mut c = config(&[proxy.addr()]);
    c.qps = NonZeroU32::new(100);
    c.burst = NonZeroU32::new(10);
    c.attempts = 4;
    c.timeout = Duration::from_millis(300);
    let (outcome, seen) = scan(&c, targets("198.51.96.0/25"));
    assert_eq!(seen.len(), 128);
    assert!(outcome.retries > 0);
    let stats = proxy.stats();
    assert_eq!(stats.total, outcome.queries_sent);
    let peak = stats.max_in_window(Duration::from_secs(1));
    assert!(
        peak <= 110,
        "{peak} queries in one second with qps 100 + burst 10"
    );
}

#[test]
fn per_server_budgets_hold_for_each_server() {
    let a = ZoneServer::spawn(slash20()).expect("server");
    let b = ZoneServer::spawn(slash20()).expect("server");
    let mut c = config(&[a.addr(), b.addr()]);
    c.qps_per_server = NonZeroU32::new(40);
    let (_, seen) = scan(&c, targets("198.51.97.0/25"));
    assert_eq!(seen.len(), 128);
    for server in [&a, &b] {
        let stats = server.stats();
        assert!(stats.total > 0);
        let peak = stats.max_in_window(Duration::from_secs(1));
        assert!(
            peak <= 41,
            "{peak} queries in one second with 40 per server + burst 1"
        );
    }
}

#[test]
fn stop_ends_the_scan_incomplete_without_duplicates() {
    let server = ZoneServer::spawn(slash20()).expect("server");
    let mut c = config(&[server.addr()]);
    c.qps = NonZeroU32::new(2000);
    let stop = StopSignal::new();
    let mut seen = BTreeSet::new();
    let outcome = scan_blocking(
        &c,
        targets("198.51.96.0/20"),
        |t, _| {
            assert!(seen.insert(t.ip), "{} delivered twice", t.ip);
            if seen.len() == 100 {
                stop.stop();
            }
        },
        &stop,
    )
    .expect("scan");
    assert!(!outcome.complete);
    assert!(seen.len() >= 100 && seen.len() < 4096, "{}", seen.len());
    assert_eq!(outcome.addresses as usize, seen.len());

    let stopped = StopSignal::new();
    stopped.stop();
    let outcome = scan_blocking(
        &c,
        targets("198.51.96.0/20"),
        |_, _| panic!("nothing to deliver"),
        &stopped,
    )
    .expect("scan");
    assert!(!outcome.complete);
    assert_eq!(outcome.addresses, 0);
}
