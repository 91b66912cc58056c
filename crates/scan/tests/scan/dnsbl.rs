//! Blocklist questions beside the PTR: every answer kind, a separate list
//! server, a dead one, and nothing asked when no list is given.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use ptr_audit_model::{Dnsbl, DnsblAnswer, DnsblKind, FailureReason, PtrAnswer};
use ptr_audit_scan::DnsblZone;

use crate::{config, scan, some, zone};

fn list(name: &str) -> Arc<Dnsbl> {
    Arc::new(Dnsbl {
        name: name.into(),
        kind: DnsblKind::Generic,
    })
}

fn reverse_zone(set: &mut ZoneSet) {
    zone(
        set,
        "113.0.203.in-addr.arpa",
        "10 PTR mail.customer-a.example.\n11 PTR other.example.\n",
    );
    zone(
        set,
        "8.b.d.0.1.0.0.2.ip6.arpa",
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR v6host.example.\n",
    );
}

fn bl_zone(set: &mut ZoneSet) {
    zone(
        set,
        "bl.example",
        "10.113.0.203 A 127.0.0.2\n\
         10.113.0.203 A 127.0.0.10\n\
         11.113.0.203 A 127.255.255.254\n\
         12.113.0.203 TXT \"text only\"\n\
         5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 A 127.0.0.4\n",
    );
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn blocklist_answers_come_with_the_ptr_in_list_order() {
    let mut set = ZoneSet::new();
    reverse_zone(&mut set);
    bl_zone(&mut set);
    let server = ZoneServer::spawn(set).expect("zone server");
    let mut cfg = config(&[server.addr()]);
    let bl = list("bl.example");
    let other = list("KEY.other.example");
    cfg.dnsbl = vec![
        DnsblZone::new(bl.clone(), "bl.example").unwrap(),
        // a zone the server does not serve: REFUSED after every attempt
        DnsblZone::new(other.clone(), "secret.other.example").unwrap(),
    ];
    let (outcome, seen) = scan(
        &cfg,
        some(&[
            "203.0.113.10",
            "203.0.113.11",
            "203.0.113.12",
            "203.0.113.13",
            "2001:db8::25",
        ]),
    );
    assert_eq!(seen.len(), 5);
    let codes = |s: &[&str]| DnsblAnswer::Codes(s.iter().map(|c| c.parse().unwrap()).collect());
    let first = |addr: &str| seen[&ip(addr)].dnsbl[0].clone();
    assert_eq!(first("203.0.113.10").1, codes(&["127.0.0.2", "127.0.0.10"]));
    assert!(Arc::ptr_eq(&first("203.0.113.10").0, &bl));
    assert_eq!(first("203.0.113.11").1, codes(&["127.255.255.254"]));
    assert_eq!(first("203.0.113.12").1, DnsblAnswer::NotListed, "nodata");
    assert_eq!(first("203.0.113.13").1, DnsblAnswer::NotListed, "nxdomain");
    assert_eq!(first("2001:db8::25").1, codes(&["127.0.0.4"]));
    for (addr, lookup) in &seen {
        assert_eq!(lookup.dnsbl.len(), 2, "{addr}");
        assert!(Arc::ptr_eq(&lookup.dnsbl[1].0, &other));
        assert!(
            matches!(lookup.dnsbl[1].1, DnsblAnswer::Failed(_)),
            "{addr}: {:?}",
            lookup.dnsbl[1].1
        );
    }
    assert!(matches!(
        seen[&ip("203.0.113.10")].answer,
        PtrAnswer::Names(_)
    ));
    assert_eq!(
        outcome.dnsbl_queries,
        5 + 5 * 2,
        "one per list, the refused one twice"
    );
    assert_eq!(server.queries_for("10.113.0.203.bl.example.", "A"), 1);
}

#[test]
fn blocklist_questions_go_to_their_own_servers() {
    let mut set = ZoneSet::new();
    reverse_zone(&mut set);
    let resolver = ZoneServer::spawn(set).expect("zone server");
    let mut bl_set = ZoneSet::new();
    bl_zone(&mut bl_set);
    let list_server = ZoneServer::spawn(bl_set).expect("list server");
    let mut cfg = config(&[resolver.addr()]);
    cfg.dnsbl = vec![DnsblZone::new(list("bl.example"), "bl.example").unwrap()];
    cfg.dnsbl_servers = vec![list_server.addr()];
    let (_, seen) = scan(&cfg, some(&["203.0.113.10", "203.0.113.11"]));
    assert_eq!(
        seen[&ip("203.0.113.10")].dnsbl[0].1,
        DnsblAnswer::Codes(vec![
            "127.0.0.2".parse().unwrap(),
            "127.0.0.10".parse().unwrap()
        ])
    );
    assert_eq!(resolver.queries_for("10.113.0.203.bl.example.", "A"), 0);
    assert_eq!(resolver.queries_for("11.113.0.203.bl.example.", "A"), 0);
    assert_eq!(list_server.stats().qtype("PTR"), 0);
    assert_eq!(list_server.stats().qtype("A"), 2);
}

#[test]
fn a_dead_list_server_makes_the_listing_unknown_not_clean() {
    let mut set = ZoneSet::new();
    reverse_zone(&mut set);
    let resolver = ZoneServer::spawn(set).expect("zone server");
    // bound and never read: every question to it times out
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead: SocketAddr = silent.local_addr().unwrap();
    let mut cfg = config(&[resolver.addr()]);
    cfg.timeout = std::time::Duration::from_millis(200);
    cfg.dnsbl = vec![DnsblZone::new(list("bl.example"), "bl.example").unwrap()];
    cfg.dnsbl_servers = vec![dead];
    let (outcome, seen) = scan(&cfg, some(&["203.0.113.10", "203.0.113.11"]));
    assert!(outcome.complete);
    for lookup in seen.values() {
        assert_eq!(
            lookup.dnsbl[0].1,
            DnsblAnswer::Failed(FailureReason::Timeout)
        );
        assert!(matches!(lookup.answer, PtrAnswer::Names(_)));
    }
}

#[test]
fn no_list_no_question() {
    let mut set = ZoneSet::new();
    reverse_zone(&mut set);
    bl_zone(&mut set);
    let server = ZoneServer::spawn(set).expect("zone server");
    let mut cfg = config(&[server.addr()]);
    // a list server given without lists is not used (nor bound)
    cfg.dnsbl_servers = vec!["127.0.0.1:9".parse().unwrap()];
    let (outcome, seen) = scan(&cfg, some(&["203.0.113.10", "203.0.113.11"]));
    assert_eq!(outcome.dnsbl_queries, 0);
    for lookup in seen.values() {
        assert!(lookup.dnsbl.is_empty());
        assert_eq!(lookup.dnsbl.capacity(), 0);
    }
}
