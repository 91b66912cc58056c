//! `ptr-audit scan` through a fault-injecting proxy (issue 6): drops, late
//! answers, SERVFAIL, TC (forcing TCP), garbage, mismatched replies and closed
//! TCP connections, by a seeded schedule. Nothing is lost, what the server
//! really answered is classified as in a clean run, the rest is
//! `lookup-failed` with its reason, and the rate limit holds with retries.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use ptr_audit_dnsserver::ZoneServer;
use ptr_audit_dnsserver::faults::{Fault, FaultPlan, FaultProxy};
use serde_json::Value;

/// Scans the /22 through `resolver`; returns the records by address.
fn scan(resolver: &str, qps: &str) -> BTreeMap<String, Value> {
    scan_with_attempts(resolver, qps, "4")
}

fn scan_with_attempts(resolver: &str, qps: &str, attempts: &str) -> BTreeMap<String, Value> {
    let out = crate::ptr_audit_process()
        .args(["scan", "10.20.0.0/22", "--resolver", resolver, "--qps", qps])
        .args([
            "--timeout",
            "400ms",
            "--attempts",
            attempts,
            "--max-unknown",
            "100%",
        ])
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    crate::assert_exit(&out, 1);
    let mut records = BTreeMap::new();
    for rec in crate::scan::records(&out.stdout) {
        let ip = rec["ip"].as_str().unwrap().to_owned();
        assert!(records.insert(ip.clone(), rec).is_none(), "{ip} twice");
    }
    records
}

fn codes(rec: &Value) -> Vec<String> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn faults_lose_nothing_and_change_nothing_the_server_answered() {
    let server = ZoneServer::spawn(crate::scan::wide_zones(4)).unwrap();
    let clean = scan(&server.addr().to_string(), "0");
    assert_eq!(clean.len(), 1024);

    let plan = FaultPlan {
        seed: 2026,
        drop: 0.1,
        late: (0.05, Duration::from_millis(600)),
        servfail: 0.1,
        truncate: 0.1,
        malformed: 0.05,
        mismatched: 0.05,
        tcp_close: 0.1,
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).unwrap();
    server.reset_stats();
    let qps = 400;
    let faulty = scan(&proxy.addr().to_string(), &qps.to_string());

    // Every address in scope, exactly once.
    assert_eq!(
        faulty.keys().collect::<HashSet<_>>(),
        clean.keys().collect::<HashSet<_>>()
    );
    let mut unknown = 0;
    for (ip, rec) in &faulty {
        if rec["status"] == "lookup-failed" {
            unknown += 1;
            let reason = rec["findings"][0]["reason"].as_str().unwrap_or("");
            assert!(!reason.is_empty(), "{ip}: lookup-failed without a reason");
            continue;
        }
        // Answered: the same status and findings as the clean run (an
        // unanswered forward lookup is the one allowed difference, reported
        // as an unknown verdict).
        let (got, want) = (codes(rec), codes(&clean[ip]));
        if got != want {
            assert!(
                rec["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["code"] == "lookup-failed" && f["lookup"] == "forward"),
                "{ip}: {got:?} vs clean {want:?}"
            );
        }
        if rec["status"] == "ptr-missing" {
            assert_eq!(
                clean[ip]["status"], "ptr-missing",
                "{ip}: missing only in the faulty run"
            );
        }
    }
    let counts = proxy.counts();
    let injected = counts.total() - counts.get(Fault::Normal);
    eprintln!(
        "1024 addresses through the fault proxy: {unknown} unknown, 0 lost; faults injected: {}; queries at the server: {}",
        injected,
        server.stats().total
    );
    assert!(injected > 100, "the proxy injected too few faults");
    assert!(unknown < 1024 / 10, "{unknown} addresses unknown");
    // Retries spend the same budget: the proxy never saw more than the rate
    // plus its burst in any second.
    let peak = proxy.stats().max_in_window(Duration::from_secs(1));
    assert!(
        peak as u64 <= qps + qps / 50 + 1,
        "{peak} queries in one second"
    );
}

#[test]
fn unanswered_forward_lookups_are_unknown_never_fcrdns_failed() {
    let server = ZoneServer::spawn(crate::scan::wide_zones(4)).unwrap();
    let clean = scan(&server.addr().to_string(), "0");
    // 25% of queries dropped, two attempts: about one lookup in sixteen gets
    // no answer at all, PTR and forward lookups alike.
    let plan = FaultPlan {
        seed: 25,
        drop: 0.25,
        ..FaultPlan::clean()
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).unwrap();
    let lossy = scan_with_attempts(&proxy.addr().to_string(), "0", "2");
    assert_eq!(lossy.len(), clean.len());
    let mut forward_unknown = 0;
    for (ip, rec) in &lossy {
        if clean[ip]["status"] != "fcrdns-failed" {
            assert_ne!(
                rec["status"], "fcrdns-failed",
                "{ip}: a lookup that got no answer became a failure: {rec}"
            );
        }
        for f in rec["findings"].as_array().unwrap() {
            if f["code"] == "fcrdns-failed" {
                assert_ne!(f["reason"], "lookup-failed", "{ip}: {f}");
            }
            if f["code"] != "lookup-failed" {
                continue;
            }
            let lookup = f["lookup"].as_str().unwrap_or_default();
            assert!(
                ["ptr", "cname", "forward"].contains(&lookup),
                "{ip}: lookup-failed without the lookup: {f}"
            );
            assert!(
                f["name"].as_str().is_some_and(|n| !n.is_empty()),
                "{ip}: lookup-failed without the name: {f}"
            );
            if lookup == "forward" {
                forward_unknown += 1;
                assert_eq!(rec["ptr"], clean[ip]["ptr"], "{ip}");
            }
        }
    }
    assert!(
        forward_unknown > 0,
        "no forward lookup went unanswered: the test did not exercise the case"
    );
}
