//! Adaptive backoff (issue 7): a server that answers REFUSED beyond a rate,
//! or goes silent for a while, is slowed down, and only that server.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use ptr_audit_dnsserver::{Mode, RateLimit, ZoneServer, ZoneSet};
use ptr_audit_model::{FailureReason, Lookup, PtrAnswer};
use ptr_audit_scan::ScanConfig;

use crate::{config, scan, targets, zone};

/// 198.51.100.0/23: every address has a PTR (no forward lookups are asked in
/// these tests, so every query is a PTR query).
fn zones() -> ZoneSet {
    let mut set = ZoneSet::new();
    for c in [100, 101] {
        let mut rev = String::new();
        for d in 0..256 {
            rev.push_str(&format!("{d} PTR h{c}-{d}.example.\n"));
        }
        zone(&mut set, &format!("{c}.51.198.in-addr.arpa"), &rev);
    }
    set
}

fn failed(seen: &BTreeMap<IpAddr, Lookup>) -> usize {
    seen.values()
        .filter(|l| matches!(l.answer, PtrAnswer::Failed(_)))
        .count()
}

/// The test configuration without forward lookups and with three attempts.
fn polite(servers: &[std::net::SocketAddr]) -> ScanConfig {
    let mut c = config(servers);
    c.forward = false;
    c.attempts = 3;
    c
}

#[test]
fn a_rate_limiting_server_gets_far_fewer_refusals_with_adaptive_backoff() {
    let mut figures = Vec::new();
    for adaptive in [false, true] {
        let server = ZoneServer::spawn(zones()).expect("server");
        server.set_rate_limit(Some(RateLimit::per_second(100)));
        let mut c = polite(&[server.addr()]);
        c.adaptive_backoff = adaptive;
        let (outcome, seen) = scan(&c, targets("198.51.100.0/24"));
        assert!(outcome.complete);
        assert_eq!(seen.len(), 256, "every address reported once");
        assert_eq!(outcome.addresses, 256);
        let stats = server.stats();
        assert_eq!(stats.total, outcome.queries_sent);
        figures.push((adaptive, outcome, stats.limited, failed(&seen)));
    }
    let [
        (_, plain, plain_refused, plain_failed),
        (_, polite, polite_refused, polite_failed),
    ] = &figures[..]
    else {
        unreachable!()
    };
    eprintln!(
        "without backoff: {} queries, {plain_refused} REFUSED, {plain_failed} failed; \
         with: {} queries, {polite_refused} REFUSED, {polite_failed} failed, {:?}",
        plain.queries_sent, polite.queries_sent, polite.throttled_servers
    );
    assert_eq!(plain.backoff_events, 0);
    assert!(plain.throttled_servers.is_empty());
    assert!(polite.backoff_events >= 1);
    assert_eq!(polite.throttled_servers.len(), 1);
    assert!(
        polite_refused * 3 < *plain_refused,
        "{polite_refused} REFUSED with backoff, {plain_refused} without"
    );
    assert!(
        *polite_failed <= 256 / 20,
        "{polite_failed} of 256 lookups failed with backoff"
    );
    assert!(polite_failed < plain_failed);
}

#[test]
fn only_the_rate_limiting_server_of_two_is_slowed_down() {
    let mut limited_stats = Vec::new();
    for adaptive in [false, true] {
        let limited = ZoneServer::spawn(zones()).expect("server");
        let healthy = ZoneServer::spawn(zones()).expect("server");
        limited.set_rate_limit(Some(RateLimit::per_second(40)));
        let mut c = polite(&[limited.addr(), healthy.addr()]);
        // 100 per server while both are at full speed: over the limit of one
        c.qps = NonZeroU32::new(200);
        c.adaptive_backoff = adaptive;
        let (outcome, seen) = scan(&c, targets("198.51.100.0/23"));
        assert!(outcome.complete);
        assert_eq!(seen.len(), 512);
        let (l, h) = (limited.stats(), healthy.stats());
        eprintln!(
            "backoff {adaptive}: limited {} queries, {} REFUSED; healthy {} queries; \
             {} failed; {:?}",
            l.total,
            l.limited,
            h.total,
            failed(&seen),
            outcome.throttled_servers
        );
        assert_eq!(l.total + h.total, outcome.queries_sent);
        // a REFUSED question is retried at the other server: nothing fails
        assert_eq!(failed(&seen), 0);
        if adaptive {
            let servers: Vec<_> = outcome.throttled_servers.iter().map(|t| t.server).collect();
            assert_eq!(
                servers,
                vec![limited.addr()],
                "the healthy one keeps its pace"
            );
            assert!(
                h.total > 2 * l.total,
                "healthy {} queries, limited {}",
                h.total,
                l.total
            );
        } else {
            assert!(outcome.throttled_servers.is_empty());
        }
        limited_stats.push(l);
    }
    let [plain, polite] = &limited_stats[..] else {
        unreachable!()
    };
    assert!(polite.total < plain.total);
    assert!(
        polite.limited * 2 < plain.limited,
        "{} REFUSED with backoff, {} without",
        polite.limited,
        plain.limited
    );
}

/// Polls `cond` every few milliseconds for at most 30 s.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < give_up, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_server_silent_for_a_while_is_slowed_down_and_no_address_goes_missing() {
    let server = ZoneServer::spawn(zones()).expect("server");
    let mut c = polite(&[server.addr()]);
    c.timeout = Duration::from_millis(300);
    // a budget, so the rate measured before the silence is bounded however
    // late this thread notices the first queries
    c.qps = NonZeroU32::new(200);
    let (silent_from, silent_to, (outcome, seen)) = std::thread::scope(|s| {
        let scan = s.spawn(|| scan(&c, targets("198.51.100.0/24")));
        wait_for("the first queries", || server.stats().total >= 40);
        server.set_mode(Mode::Silent);
        let from = server.stats().total as usize;
        wait_for("queries to the silent server", || {
            server.stats().total as usize >= from + 100
        });
        server.set_mode(Mode::Normal);
        let to = server.stats().total as usize;
        (from, to, scan.join().expect("scan thread"))
    });
    assert!(outcome.complete);
    assert_eq!(seen.len(), 256, "every address reported once");
    let mut timed_out = 0;
    for (ip, l) in &seen {
        match &l.answer {
            PtrAnswer::Names(_) => {}
            PtrAnswer::Failed(FailureReason::Timeout) => timed_out += 1,
            other => panic!("{ip}: {other:?}"),
        }
    }
    let throttled = &outcome.throttled_servers;
    eprintln!(
        "silent for queries {silent_from}..{silent_to}; {} queries, {} timeouts, \
         {timed_out} addresses timed out; {throttled:?}",
        outcome.queries_sent, outcome.timeouts
    );
    assert_eq!(throttled.len(), 1);
    assert!(throttled[0].backoffs >= 2, "{throttled:?}");
    // Unthrottled, a silent server gets the whole window (32) again every
    // timeout (300 ms): the last third of the silent period saw less than that.
    let arrivals = server.stats().arrivals;
    let late = &arrivals[silent_to - (silent_to - silent_from) / 3..silent_to];
    let peak = late
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            late[i..]
                .iter()
                .take_while(|&&u| u.duration_since(t) < c.timeout)
                .count()
        })
        .max()
        .unwrap_or(0);
    eprintln!("peak late in the silent period: {peak} queries within one timeout");
    assert!(
        peak < 24,
        "{peak} queries within one timeout late in the silent period"
    );
}

#[test]
fn a_server_that_never_answered_is_down_not_throttled() {
    let dead = ZoneServer::spawn(zones()).expect("server");
    dead.set_mode(Mode::Silent);
    let alive = ZoneServer::spawn(zones()).expect("server");
    let mut c = polite(&[dead.addr(), alive.addr()]);
    c.timeout = Duration::from_millis(200);
    let (outcome, seen) = scan(&c, targets("198.51.100.0/25"));
    assert!(outcome.complete);
    assert_eq!(seen.len(), 128);
    // every question sent to the silent server was retried at the other one
    assert_eq!(failed(&seen), 0);
    assert!(dead.stats().total > 16, "{}", dead.stats().total);
    assert_eq!(outcome.timeouts, dead.stats().total);
    assert!(
        outcome.throttled_servers.is_empty(),
        "{:?}",
        outcome.throttled_servers
    );
}

#[test]
fn refusals_for_a_zone_the_server_does_not_serve_do_not_slow_the_scan() {
    // 198.51.100.0/23 is served; 192.0.2.0/24 is in no zone, so every one of
    // its questions is REFUSED, on every attempt: policy, not rate limiting.
    let server = ZoneServer::spawn(zones()).expect("server");
    let mut c = polite(&[server.addr()]);
    c.adaptive_backoff = true;
    let mut all = targets("198.51.100.0/24");
    all.extend(targets("192.0.2.0/24"));
    let (outcome, seen) = scan(&c, all);
    assert!(outcome.complete);
    assert_eq!(seen.len(), 512, "every address reported once");
    assert_eq!(outcome.backoff_events, 0, "{:?}", outcome.throttled_servers);
    assert!(outcome.throttled_servers.is_empty());
    let refused = seen
        .values()
        .filter(|l| {
            l.answer == PtrAnswer::Failed(FailureReason::Rcode(ptr_audit_model::Rcode::Refused))
        })
        .count();
    assert_eq!(refused, 256);
    assert_eq!(failed(&seen), 256);
}
