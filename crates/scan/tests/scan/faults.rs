//! Servers that fail: SERVFAIL, REFUSED, silence, a dead resolver, and a
//! fault-injecting proxy.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ptr_audit_dnsserver::faults::{FaultPlan, FaultProxy};
use ptr_audit_dnsserver::{Mode, ZoneServer, ZoneSet};
use ptr_audit_model::{FailureReason, PtrAnswer, Rcode};
use ptr_audit_scan::{ScanError, StopSignal, scan_blocking};

use crate::{config, scan, some, targets, zone};

/// A /24 where every third address has a PTR with a matching A record.
fn slash24() -> ZoneSet {
    let mut set = ZoneSet::new();
    let mut rev = String::new();
    let mut fwd = String::new();
    for i in (0..256).step_by(3) {
        rev.push_str(&format!("{i} PTR host-{i}.example.\n"));
        fwd.push_str(&format!("host-{i} A 203.0.113.{i}\n"));
    }
    zone(&mut set, "113.0.203.in-addr.arpa", &rev);
    zone(&mut set, "example", &fwd);
    set
}

#[test]
fn servfail_fails_after_exactly_the_configured_attempts_never_missing() {
    let server = ZoneServer::spawn(slash24()).expect("server");
    server.set_mode(Mode::ServFail);
    let mut c = config(&[server.addr()]);
    c.attempts = 3;
    let ips = ["203.0.113.3", "203.0.113.4", "203.0.113.5"];
    let (outcome, seen) = scan(&c, some(&ips));
    assert!(outcome.complete);
    assert_eq!(seen.len(), 3);
    for (ip, l) in &seen {
        assert_eq!(
            l.answer,
            PtrAnswer::Failed(FailureReason::Rcode(Rcode::ServFail)),
            "{ip}"
        );
        assert_eq!(l.attempts, 3, "{ip}");
        assert_eq!(l.rcode, Some(Rcode::ServFail));
        let IpAddr::V4(v4) = ip else { unreachable!() };
        let name = format!("{}.113.0.203.in-addr.arpa.", v4.octets()[3]);
        assert_eq!(server.queries_for(&name, "PTR"), 3, "{name}");
    }
    assert_eq!(server.stats().total, 9);
    assert_eq!(outcome.queries_sent, 9);
    assert_eq!(outcome.retries, 6);
}

#[test]
fn silent_server_times_out_after_exactly_the_configured_attempts() {
    let server = ZoneServer::spawn(slash24()).expect("server");
    let mut c = config(&[server.addr()]);
    c.concurrency = 1;
    c.attempts = 2;
    c.timeout = Duration::from_millis(500);
    let mut seen = BTreeMap::new();
    // The first address is answered; then the server falls silent (switched
    // from the sink, so the order is certain with one question in flight).
    let outcome = scan_blocking(
        &c,
        some(&["203.0.113.3", "203.0.113.6"]),
        |t, l| {
            server.set_mode(Mode::Silent);
            assert!(seen.insert(t.ip, l).is_none());
        },
        &StopSignal::new(),
    )
    .expect("scan");
    assert!(outcome.complete);
    let first = &seen[&"203.0.113.3".parse::<IpAddr>().unwrap()];
    assert!(matches!(first.answer, PtrAnswer::Names(_)), "{first:?}");
    let second = &seen[&"203.0.113.6".parse::<IpAddr>().unwrap()];
    assert_eq!(second.answer, PtrAnswer::Failed(FailureReason::Timeout));
    assert_eq!(second.attempts, 2);
    assert_eq!(second.rcode, None);
    assert_eq!(server.queries_for("6.113.0.203.in-addr.arpa.", "PTR"), 2);
    // (the first address may have needed a retry on a very busy machine)
    assert!(outcome.timeouts >= 2, "{outcome:?}");
}

#[test]
fn refused_by_one_server_is_retried_on_the_next() {
    let refusing = ZoneServer::spawn(slash24()).expect("server");
    refusing.set_mode(Mode::Refused);
    let good = ZoneServer::spawn(slash24()).expect("server");
    let c = config(&[refusing.addr(), good.addr()]);
    let (outcome, seen) = scan(&c, targets("203.0.113.0/26"));
    assert!(outcome.complete);
    assert_eq!(seen.len(), 64);
    for (ip, l) in &seen {
        let IpAddr::V4(v4) = ip else { unreachable!() };
        if v4.octets()[3] % 3 == 0 {
            assert!(matches!(l.answer, PtrAnswer::Names(_)), "{ip}: {l:?}");
        } else {
            assert_eq!(l.answer, PtrAnswer::NxDomain, "{ip}");
        }
    }
    assert!(refusing.stats().total > 0);
}

#[test]
fn a_resolver_that_never_answers_is_an_error_not_a_report() {
    let server = ZoneServer::spawn(slash24()).expect("server");
    server.set_mode(Mode::Silent);
    let mut c = config(&[server.addr()]);
    c.timeout = Duration::from_millis(100);
    c.attempts = 1;
    // a large scope gives up after the first `dead_resolver_after` failures
    let mut delivered = 0;
    let err = scan_blocking(
        &c,
        targets("198.51.100.0/22"),
        |_, _| delivered += 1,
        &StopSignal::new(),
    )
    .expect_err("no resolver answered");
    assert!(
        matches!(err, ScanError::NoResolverAnswered { failed: 64, .. }),
        "{err}"
    );
    assert_eq!(delivered, 0);
    assert!(
        server.stats().total < 1024,
        "gave up early: {}",
        server.stats().total
    );
    // a small scope fails the same way once every lookup failed
    let err = scan_blocking(
        &c,
        some(&["198.51.100.1", "198.51.100.2"]),
        |_, _| delivered += 1,
        &StopSignal::new(),
    )
    .expect_err("no resolver answered");
    assert!(
        matches!(err, ScanError::NoResolverAnswered { failed: 2, .. }),
        "{err}"
    );
    assert_eq!(delivered, 0);
}

#[test]
fn faults_change_nothing_the_server_really_answered() {
    let server = ZoneServer::spawn(slash24()).expect("server");
    let mut c = config(&[server.addr()]);
    c.attempts = 4;
    let (_, clean) = scan(&c, targets("203.0.113.0/24"));

    let plan = FaultPlan {
        seed: 42,
        drop: 0.1,
        late: (0.05, Duration::from_millis(300)),
        servfail: 0.1,
        truncate: 0.1,
        malformed: 0.05,
        mismatched: 0.05,
        tcp_close: 0.1,
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).expect("proxy");
    c.servers = vec![proxy.addr()];
    let (outcome, faulty) = scan(&c, targets("203.0.113.0/24"));
    assert!(outcome.complete);
    assert_eq!(faulty.len(), 256);
    assert!(
        outcome.tcp_queries > 0 && outcome.retries > 0 && outcome.ignored_packets > 0,
        "{outcome:?}"
    );
    let mut failed = 0;
    for (ip, l) in &faulty {
        match &l.answer {
            PtrAnswer::Failed(_) => failed += 1,
            answer => {
                assert_eq!(*answer, clean[ip].answer, "{ip}");
                for ((n, f), (cn, cf)) in l.forward.iter().zip(&clean[ip].forward) {
                    assert_eq!(n, cn);
                    if !matches!(f, ptr_audit_model::ForwardAnswer::Failed(_)) {
                        assert_eq!(f, cf, "{ip} {n}");
                    }
                }
            }
        }
    }
    assert!(failed < 30, "{failed} of 256 failed with 4 attempts");
}
