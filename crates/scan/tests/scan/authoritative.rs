//! Authoritative mode: zone discovery through a resolver, every server asked
//! directly, disagreeing and lame servers.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use ptr_audit_dnsserver::{Mode, ZoneServer, ZoneSet};
use ptr_audit_model::{DnsName, FailureReason, PtrAnswer, ServerAnswer};
use ptr_audit_scan::{SkipReason, StopSignal, ZoneReport, scan_authoritative_blocking};

use crate::{SOA, config, some};

/// The reverse zone after the migration to fra1 (served by ns1 and the resolver).
const NEW: &str = "1 IN PTR mail1.fra1.examplehost.net.\n\
    2 IN PTR mail2.fra1.examplehost.net.\n\
    3 IN PTR web3.fra1.examplehost.net.\n\
    4 IN PTR Web4.Fra1.examplehost.net.\n";
/// The pre-migration copy still served by ns2.
const OLD: &str = "1 IN PTR mail1.ams3.examplehost.net.\n\
    2 IN PTR mail2.fra1.examplehost.net.\n\
    4 IN PTR web4.fra1.examplehost.net.\n";

fn reverse(ns: &[&str], records: &str) -> String {
    let mut text = SOA.replace("@ IN NS ns1.examplehost.net.\n", "");
    for n in ns {
        text.push_str(&format!("@ IN NS {n}.examplehost.net.\n"));
    }
    text + records
}

fn set(zones: &[(&str, String)]) -> ZoneSet {
    let mut set = ZoneSet::new();
    for (origin, text) in zones {
        set.add_text(origin, text)
            .unwrap_or_else(|e| panic!("zone {origin}: {e}"));
    }
    set
}

/// Servers on 127.0.0.11, .12, .13 sharing one port, as a zone's servers do.
fn on_one_port(sets: Vec<ZoneSet>) -> Vec<ZoneServer> {
    'again: for _ in 0..20 {
        let mut out = Vec::new();
        let mut port = 0;
        for (i, zones) in sets.iter().enumerate() {
            let at = SocketAddr::new(IpAddr::from([127, 0, 0, 11 + i as u8]), port);
            match ZoneServer::spawn_on(zones.clone(), at) {
                Ok(server) => {
                    port = server.addr().port();
                    out.push(server);
                }
                Err(_) => continue 'again,
            }
        }
        return out;
    }
    panic!("no port free on 127.0.0.11-13")
}

/// What each address got: the resolver's answer and each server's.
type Seen = BTreeMap<IpAddr, (PtrAnswer, Vec<ServerAnswer>)>;

fn run(resolver: SocketAddr, port: u16, ips: &[&str]) -> (Seen, Vec<ZoneReport>) {
    let mut cfg = config(&[resolver]);
    cfg.authoritative_port = port;
    cfg.allow_special_servers = true; // the servers are on loopback
    cfg.timeout = std::time::Duration::from_millis(300);
    let mut seen = BTreeMap::new();
    let (outcome, zones) = scan_authoritative_blocking(
        &cfg,
        some(ips),
        |t, l, answers| {
            assert!(
                seen.insert(t.ip, (l.answer, answers)).is_none(),
                "{} delivered twice",
                t.ip
            );
        },
        &StopSignal::new(),
    )
    .expect("scan runs");
    assert!(outcome.complete);
    assert_eq!(outcome.addresses, ips.len() as u64);
    (seen, zones)
}

fn names(ns: &[&str]) -> PtrAnswer {
    PtrAnswer::Names(ns.iter().map(|n| DnsName::from_presentation(n)).collect())
}

#[test]
fn every_authoritative_server_is_asked_and_a_stale_secondary_shows() {
    let ns = [
        ("ns1", "127.0.0.11"),
        ("ns2", "127.0.0.12"),
        ("ns3", "127.0.0.13"),
    ];
    let mut hosts = String::new();
    for (n, a) in ns {
        hosts.push_str(&format!("{n} IN A {a}\n"));
    }
    let resolver = ZoneServer::spawn(set(&[
        ("113.0.203.in-addr.arpa", reverse(&["ns1", "ns2"], NEW)),
        // served by ns1 and ns3 (ns3 is down)
        (
            "2.0.192.in-addr.arpa",
            reverse(&["ns1", "ns3"], "7 IN PTR a7.example.\n"),
        ),
        // served by ns1; ns2 is named but does not serve it (lame: REFUSED)
        (
            "100.51.198.in-addr.arpa",
            reverse(&["ns1", "ns2"], "9 IN PTR b9.example.\n"),
        ),
        ("examplehost.net", format!("{SOA}{hosts}")),
    ]))
    .expect("resolver");
    let servers = on_one_port(vec![
        set(&[
            ("113.0.203.in-addr.arpa", reverse(&["ns1", "ns2"], NEW)),
            (
                "2.0.192.in-addr.arpa",
                reverse(&["ns1", "ns3"], "7 IN PTR a7.example.\n"),
            ),
            (
                "100.51.198.in-addr.arpa",
                reverse(&["ns1", "ns2"], "9 IN PTR b9.example.\n"),
            ),
        ]),
        set(&[("113.0.203.in-addr.arpa", reverse(&["ns1", "ns2"], OLD))]),
        set(&[(
            "2.0.192.in-addr.arpa",
            reverse(&["ns1", "ns3"], "7 IN PTR a7.example.\n"),
        )]),
    ]);
    servers[2].set_mode(Mode::Silent);
    let port = servers[0].addr().port();
    let ips = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
        "192.0.2.7",
        "192.0.2.8",
        "198.51.100.9",
    ];
    let (seen, zones) = run(resolver.addr(), port, &ips);
    let l1 = format!("127.0.0.11:{port} (ns1.examplehost.net.)");
    let l2 = format!("127.0.0.12:{port} (ns2.examplehost.net.)");
    let l3 = format!("127.0.0.13:{port} (ns3.examplehost.net.)");
    let at = |ip: &str| &seen[&ip.parse::<IpAddr>().unwrap()];
    let pair = |a: &str, b: PtrAnswer, c: &str, d: PtrAnswer| {
        vec![
            ServerAnswer {
                server: a.to_owned(),
                answer: b,
            },
            ServerAnswer {
                server: c.to_owned(),
                answer: d,
            },
        ]
    };
    // what each server said, in NS order
    assert_eq!(
        at("203.0.113.1").1,
        pair(
            &l1,
            names(&["mail1.fra1.examplehost.net."]),
            &l2,
            names(&["mail1.ams3.examplehost.net."])
        )
    );
    assert_eq!(at("203.0.113.1").0, names(&["mail1.fra1.examplehost.net."]));
    let same = names(&["mail2.fra1.examplehost.net."]);
    assert_eq!(at("203.0.113.2").1, pair(&l1, same.clone(), &l2, same));
    assert_eq!(
        at("203.0.113.3").1,
        pair(
            &l1,
            names(&["web3.fra1.examplehost.net."]),
            &l2,
            PtrAnswer::NxDomain
        )
    );
    assert_eq!(
        at("203.0.113.4").1,
        pair(
            &l1,
            names(&["Web4.Fra1.examplehost.net."]),
            &l2,
            names(&["web4.fra1.examplehost.net."])
        )
    );
    assert_eq!(
        at("203.0.113.5").1,
        pair(&l1, PtrAnswer::NxDomain, &l2, PtrAnswer::NxDomain)
    );
    // a dead server: its answers are timeouts, the others' are there
    for ip in ["192.0.2.7", "192.0.2.8"] {
        let (_, answers) = at(ip);
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[1].server, l3);
        assert_eq!(answers[1].answer, PtrAnswer::Failed(FailureReason::Timeout));
    }
    assert_eq!(at("192.0.2.7").1[0].answer, names(&["a7.example."]));
    assert_eq!(at("192.0.2.8").1[0].answer, PtrAnswer::NxDomain);
    // a server that does not serve the zone it is named for
    let (_, answers) = at("198.51.100.9");
    assert_eq!(answers[0].answer, names(&["b9.example."]));
    assert!(
        matches!(answers[1].answer, PtrAnswer::Failed(_)),
        "{:?}",
        answers[1]
    );

    // one report per zone, lame and unreachable servers flagged
    let by_zone: BTreeMap<String, &ZoneReport> = zones
        .iter()
        .map(|z| (z.zone.as_str().to_owned(), z))
        .collect();
    assert_eq!(
        by_zone.keys().collect::<Vec<_>>(),
        [
            "100.51.198.in-addr.arpa.",
            "113.0.203.in-addr.arpa.",
            "2.0.192.in-addr.arpa."
        ]
    );
    let lame = |zone: &str| -> Vec<String> {
        by_zone[zone]
            .servers
            .iter()
            .filter(|s| s.is_lame())
            .map(|s| s.label())
            .collect()
    };
    assert_eq!(lame("113.0.203.in-addr.arpa."), Vec::<String>::new());
    assert_eq!(lame("2.0.192.in-addr.arpa."), std::slice::from_ref(&l3));
    assert_eq!(lame("100.51.198.in-addr.arpa."), std::slice::from_ref(&l2));
    assert_eq!(by_zone["113.0.203.in-addr.arpa."].addresses, 5);
    assert!(by_zone.values().all(|z| z.error.is_none()));
    // every address was asked at every live server of its zone exactly once
    assert_eq!(servers[0].queries_for("1.113.0.203.in-addr.arpa", "PTR"), 1);
    assert_eq!(servers[1].queries_for("1.113.0.203.in-addr.arpa", "PTR"), 1);
    assert_eq!(
        servers[0].stats().qtype("A"),
        0,
        "no forward queries at the servers"
    );
}

#[test]
fn zone_discovery_is_asked_once_per_24_and_failures_are_reported() {
    // a /16 zone: one SOA question per /24, its NS and glue once
    let wide = reverse(&["ns1"], "1.1 IN PTR w1.example.\n2.2 IN PTR w2.example.\n");
    let resolver = ZoneServer::spawn(set(&[
        ("113.0.203.in-addr.arpa", reverse(&["ns1"], NEW)),
        ("18.198.in-addr.arpa", wide.clone()),
        ("examplehost.net", format!("{SOA}ns1 IN A 127.0.0.11\n")),
    ]))
    .expect("resolver");
    let servers = on_one_port(vec![set(&[
        ("113.0.203.in-addr.arpa", reverse(&["ns1"], NEW)),
        ("18.198.in-addr.arpa", wide),
    ])]);
    let port = servers[0].addr().port();
    let ips: Vec<String> = (0..=255).map(|i| format!("203.0.113.{i}")).collect();
    let mut all: Vec<&str> = ips.iter().map(String::as_str).collect();
    // a /24 the resolver knows nothing about (REFUSED): no servers found
    all.push("198.51.100.1");
    all.extend(["198.18.1.1", "198.18.1.9", "198.18.2.2", "198.18.3.3"]);
    let (seen, zones) = run(resolver.addr(), port, &all);
    assert_eq!(seen.len(), 261);
    assert_eq!(resolver.queries_for("18.198.in-addr.arpa", "NS"), 1);
    assert_eq!(resolver.stats().qtype("NS"), 2, "one NS question per zone");
    assert_eq!(
        resolver.queries_for("ns1.examplehost.net", "A"),
        2,
        "the glue once per zone"
    );
    // one per /24; the REFUSED one is asked `attempts` (2) times
    assert_eq!(resolver.stats().qtype("SOA"), 1 + 2 + 3, "one per /24");
    assert_eq!(
        seen[&"198.18.2.2".parse::<IpAddr>().unwrap()].1[0].answer,
        names(&["w2.example."])
    );
    let soa: u64 = ips
        .iter()
        .map(|ip| {
            let rev: Vec<&str> = ip.split('.').rev().collect();
            resolver.queries_for(&format!("{}.in-addr.arpa", rev.join(".")), "SOA")
        })
        .sum();
    assert_eq!(soa, 1, "one SOA question for the whole /24");
    assert_eq!(resolver.queries_for("113.0.203.in-addr.arpa", "NS"), 1);
    let failed = zones
        .iter()
        .find(|z| z.error.is_some())
        .expect("a zone that could not be found");
    assert_eq!(failed.zone.as_str(), "1.100.51.198.in-addr.arpa.");
    assert!(failed.servers.is_empty());
    assert!(
        seen[&"198.51.100.1".parse::<IpAddr>().unwrap()]
            .1
            .is_empty()
    );
    assert_eq!(
        seen[&"203.0.113.1".parse::<IpAddr>().unwrap()].1[0].answer,
        names(&["mail1.fra1.examplehost.net."])
    );
}

#[test]
fn rfc2317_aliases_and_ipv6_nibble_zones_are_found() {
    const V6: &str = "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    let v6_name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
    let parent = reverse(
        &["ns1", "ns2"],
        "65 IN CNAME 65.64/26.113.0.203.in-addr.arpa.\n\
         64/26 IN NS ns1.examplehost.net.\n",
    );
    let child = |name: &str| {
        let mut text = reverse(&["ns1"], &format!("65 IN PTR {name}\n"));
        text.insert_str(0, "$ORIGIN 64/26.113.0.203.in-addr.arpa.\n");
        text
    };
    let v6 = |name: &str| reverse(&["ns1", "ns2"], &format!("{v6_name} IN PTR {name}\n"));
    let hosts = "ns1 IN A 127.0.0.11\nns2 IN A 127.0.0.12\n";
    let resolver = ZoneServer::spawn(set(&[
        ("113.0.203.in-addr.arpa", parent.clone()),
        ("64/26.113.0.203.in-addr.arpa", child("c65.fra1.example.")),
        (V6, v6("v6-1.fra1.example.")),
        ("examplehost.net", format!("{SOA}{hosts}")),
    ]))
    .expect("resolver");
    let parent_again = parent.clone();
    let servers = on_one_port(vec![
        set(&[
            ("113.0.203.in-addr.arpa", parent.clone()),
            ("64/26.113.0.203.in-addr.arpa", child("c65.fra1.example.")),
            (V6, v6("v6-1.fra1.example.")),
        ]),
        // ns2 serves the /24 (the alias) but not the /26 it points into
        set(&[
            ("113.0.203.in-addr.arpa", parent_again),
            (V6, v6("v6-1.ams3.example.")),
        ]),
    ]);
    let port = servers[0].addr().port();
    let (seen, zones) = run(resolver.addr(), port, &["203.0.113.65", "2001:db8:10::1"]);
    let l1 = format!("127.0.0.11:{port} (ns1.examplehost.net.)");
    let l2 = format!("127.0.0.12:{port} (ns2.examplehost.net.)");
    // the alias lives in the /24 zone, whose server follows it into the child
    let (_, answers) = &seen[&"203.0.113.65".parse::<IpAddr>().unwrap()];
    assert_eq!(answers.len(), 2);
    assert_eq!(
        answers[0],
        ServerAnswer {
            server: l1.clone(),
            answer: names(&["c65.fra1.example."])
        }
    );
    assert_eq!(answers[1].server, l2);
    assert!(
        matches!(answers[1].answer, PtrAnswer::Failed(_)),
        "{:?}",
        answers[1]
    );
    // discovery stepped up from the alias to the zone holding it
    assert_eq!(resolver.queries_for("65.113.0.203.in-addr.arpa", "SOA"), 1);
    assert_eq!(resolver.queries_for("113.0.203.in-addr.arpa", "SOA"), 1);
    // the failed hop at ns2 is not lameness
    let parent_zone = zones
        .iter()
        .find(|z| z.zone.as_str() == "113.0.203.in-addr.arpa.")
        .expect("the /24 zone");
    assert!(parent_zone.servers.iter().all(|s| !s.is_lame()));
    let (resolver_answer, answers) = &seen[&"2001:db8:10::1".parse::<IpAddr>().unwrap()];
    assert_eq!(resolver_answer, &names(&["v6-1.fra1.example."]));
    assert_eq!(
        answers,
        &[
            ServerAnswer {
                server: l1,
                answer: names(&["v6-1.fra1.example."])
            },
            ServerAnswer {
                server: l2,
                answer: names(&["v6-1.ams3.example."])
            },
        ]
    );
    let mut found: Vec<&str> = zones.iter().map(|z| z.zone.as_str()).collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            "113.0.203.in-addr.arpa."
        ]
    );
}

#[test]
fn a_stopped_authoritative_scan_is_incomplete_and_delivers_each_address_once() {
    let hosts = "ns1 IN A 127.0.0.11\n";
    let resolver = ZoneServer::spawn(set(&[
        ("108.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("109.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("111.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("110.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("examplehost.net", format!("{SOA}{hosts}")),
    ]))
    .expect("resolver");
    let servers = on_one_port(vec![set(&[
        ("108.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("109.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("111.0.203.in-addr.arpa", reverse(&["ns1"], "")),
        ("110.0.203.in-addr.arpa", reverse(&["ns1"], "")),
    ])]);
    let mut cfg = config(&[resolver.addr()]);
    cfg.authoritative_port = servers[0].addr().port();
    cfg.allow_special_servers = true; // the servers are on loopback
    // batches of 32 × 16 = 512: the /22 is two batches
    let stop = StopSignal::new();
    let mut seen = std::collections::BTreeSet::new();
    let (outcome, zones) = scan_authoritative_blocking(
        &cfg,
        crate::targets("203.0.108.0/22"),
        |t, _, answers| {
            assert!(seen.insert(t.ip), "{} delivered twice", t.ip);
            assert_eq!(answers.len(), 1, "{}: {answers:?}", t.ip);
            stop.stop();
        },
        &stop,
    )
    .expect("scan runs");
    assert!(!outcome.complete);
    assert_eq!(outcome.addresses as usize, seen.len());
    assert_eq!(
        seen.len(),
        512,
        "the batch under way is delivered, the next is not"
    );
    assert_eq!(
        zones.len(),
        2,
        "only the first batch's zones were asked about"
    );
}

#[test]
fn a_lame_server_refusing_a_whole_zone_is_not_throttled_but_reported() {
    let hosts = "ns1 IN A 127.0.0.11\nns2 IN A 127.0.0.12\n";
    let zone = || reverse(&["ns1", "ns2"], NEW);
    let resolver = ZoneServer::spawn(set(&[
        ("113.0.203.in-addr.arpa", zone()),
        ("examplehost.net", format!("{SOA}{hosts}")),
    ]))
    .expect("resolver");
    // ns2 serves something else: REFUSED for every address of the /24
    let servers = on_one_port(vec![
        set(&[("113.0.203.in-addr.arpa", zone())]),
        set(&[("examplehost.net", format!("{SOA}{hosts}"))]),
    ]);
    let mut cfg = config(&[resolver.addr()]);
    cfg.authoritative_port = servers[0].addr().port();
    cfg.allow_special_servers = true; // the servers are on loopback
    let mut count = 0;
    let (outcome, zones) = scan_authoritative_blocking(
        &cfg,
        crate::targets("203.0.113.0/24"),
        |_, _, answers| {
            count += 1;
            assert!(matches!(
                answers[1].answer,
                PtrAnswer::Failed(FailureReason::Rcode(ptr_audit_model::Rcode::Refused))
            ));
        },
        &StopSignal::new(),
    )
    .expect("scan runs");
    assert_eq!(count, 256);
    assert!(zones[0].servers[1].is_lame());
    assert_eq!(outcome.backoff_events, 0, "{:?}", outcome.throttled_servers);
}

/// A /24 whose NS set names `ns` (name, address) and the servers `serving`.
fn delegated(ns: &[(&str, &str)]) -> (ZoneServer, ZoneSet) {
    let mut hosts = String::new();
    for (n, a) in ns {
        hosts.push_str(&format!("{n} IN A {a}\n"));
    }
    let names: Vec<&str> = ns.iter().map(|(n, _)| *n).collect();
    let zone = reverse(&names, NEW);
    let resolver = ZoneServer::spawn(set(&[
        ("113.0.203.in-addr.arpa", zone.clone()),
        ("examplehost.net", format!("{SOA}{hosts}")),
    ]))
    .expect("resolver");
    (resolver, set(&[("113.0.203.in-addr.arpa", zone)]))
}

#[test]
fn name_servers_at_special_purpose_addresses_are_not_asked_unless_allowed() {
    // a customer's NS records aim at loopback (a real server listens there)
    // and at the unspecified address
    let (resolver, zone) = delegated(&[("ns1", "127.0.0.11"), ("ns2", "0.0.0.0")]);
    let servers = on_one_port(vec![zone]);
    let port = servers[0].addr().port();
    let mut cfg = config(&[resolver.addr()]);
    cfg.authoritative_port = port;
    cfg.timeout = std::time::Duration::from_millis(300);
    let ips = ["203.0.113.1", "203.0.113.2"];
    let (outcome, zones) = scan_authoritative_blocking(
        &cfg,
        some(&ips),
        |_, _, answers| assert!(answers.is_empty()),
        &StopSignal::new(),
    )
    .expect("scan runs");
    assert_eq!(outcome.addresses, 2);
    assert_eq!(
        servers[0].stats().total,
        0,
        "no query went to the loopback server"
    );
    assert_eq!(zones.len(), 1);
    assert!(zones[0].servers.is_empty());
    let skipped: Vec<(String, SkipReason)> = zones[0]
        .skipped
        .iter()
        .map(|s| (s.label(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (
                format!("127.0.0.11:{port} (ns1.examplehost.net.)"),
                SkipReason::SpecialPurpose("loopback")
            ),
            (
                format!("0.0.0.0:{port} (ns2.examplehost.net.)"),
                SkipReason::SpecialPurpose("unspecified (\"this network\")")
            ),
        ]
    );

    // allowed (labs): the loopback server is asked; 0.0.0.0 too (the
    // kernel delivers it to this host, where nothing answers)
    cfg.allow_special_servers = true;
    let (_, zones) =
        scan_authoritative_blocking(&cfg, some(&ips), |_, _, _| {}, &StopSignal::new())
            .expect("scan runs");
    assert_eq!(zones[0].servers.len(), 2);
    assert!(zones[0].skipped.is_empty());
    assert_eq!(servers[0].stats().qtype("PTR"), 2);
}

#[test]
fn at_most_max_servers_per_zone_are_asked_and_the_rest_reported() {
    let ns = [
        ("ns1", "127.0.0.11"),
        ("ns2", "127.0.0.12"),
        ("ns3", "127.0.0.13"),
    ];
    let (resolver, zone) = delegated(&ns);
    let servers = on_one_port(vec![zone.clone(), zone.clone(), zone]);
    let port = servers[0].addr().port();
    let mut cfg = config(&[resolver.addr()]);
    cfg.authoritative_port = port;
    cfg.allow_special_servers = true; // the servers are on loopback
    cfg.max_servers_per_zone = 2;
    let (_, zones) = scan_authoritative_blocking(
        &cfg,
        some(&["203.0.113.1"]),
        |_, _, answers| assert_eq!(answers.len(), 2),
        &StopSignal::new(),
    )
    .expect("scan runs");
    let asked: Vec<String> = zones[0].servers.iter().map(|s| s.label()).collect();
    assert_eq!(
        asked,
        vec![
            format!("127.0.0.11:{port} (ns1.examplehost.net.)"),
            format!("127.0.0.12:{port} (ns2.examplehost.net.)"),
        ]
    );
    assert_eq!(zones[0].skipped.len(), 1);
    assert_eq!(zones[0].skipped[0].reason, SkipReason::OverCap);
    assert_eq!(
        servers[2].stats().total,
        0,
        "the third server was not asked"
    );
}

#[test]
fn zones_of_names_are_the_owners_of_their_soa() {
    let mut zones = ZoneSet::new();
    crate::zone(
        &mut zones,
        "examplehost.net.",
        "ns1 IN A 127.0.0.1\nmail1.fra1 IN A 203.0.113.1\n",
    );
    crate::zone(
        &mut zones,
        "fra2.examplehost.net.",
        "web IN A 203.0.113.2\n",
    );
    crate::zone(
        &mut zones,
        "113.0.203.in-addr.arpa.",
        "1 IN PTR mail1.fra1.examplehost.net.\n5 IN CNAME 5.0-63.113.0.203.in-addr.arpa.\n",
    );
    crate::zone(
        &mut zones,
        "0-63.113.0.203.in-addr.arpa.",
        "5 IN PTR x.example.\n",
    );
    let server = ZoneServer::spawn(zones).unwrap();
    let ask = [
        "mail1.fra1.examplehost.net.", // NODATA for SOA: authority section
        "new.fra1.examplehost.net.",   // NXDOMAIN: authority section
        "fra2.examplehost.net.",       // the apex: answer section
        "web.FRA2.examplehost.net.",   // a delegated child zone on the same server
        "5.0-63.113.0.203.in-addr.arpa.",
        "5.113.0.203.in-addr.arpa.", // an alias: the zone of its parent
        "9.113.0.203.in-addr.arpa.",
        "mail.elsewhere.example.", // REFUSED: not served
    ];
    let names: Vec<DnsName> = ask.iter().map(|n| DnsName::from_presentation(n)).collect();
    let mut cfg = crate::config(&[server.addr()]);
    cfg.attempts = 1;
    let got = ptr_audit_scan::zones_of_blocking(&cfg, &names).unwrap();
    let got: Vec<Result<&str, &str>> = got
        .iter()
        .map(|r| r.as_ref().map(DnsName::as_str).map_err(String::as_str))
        .collect();
    assert_eq!(
        got[..7],
        [
            Ok("examplehost.net."),
            Ok("examplehost.net."),
            Ok("fra2.examplehost.net."),
            Ok("fra2.examplehost.net."),
            Ok("0-63.113.0.203.in-addr.arpa."),
            Ok("113.0.203.in-addr.arpa."),
            Ok("113.0.203.in-addr.arpa."),
        ]
    );
    let refused = got[7].unwrap_err();
    assert!(refused.contains("(refused)"), "{refused}");
}
