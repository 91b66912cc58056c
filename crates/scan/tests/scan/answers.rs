//! Every kind of answer: PTR names, NXDOMAIN, NODATA, RFC 2317 chains, broken
//! delegations, loops, IPv6, multiple PTRs, forward confirmation, hostile names.

use std::net::IpAddr;

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use ptr_audit_model::{DnsName, FailureReason, ForwardAnswer, Lookup, PtrAnswer, Rcode};

use crate::{config, scan, some, zone};

fn fixture() -> ZoneServer {
    let mut set = ZoneSet::new();
    let mut chain = String::from("26 CNAME c1\n");
    for i in 1..10 {
        chain.push_str(&format!("c{i} CNAME c{}\n", i + 1));
    }
    chain.push_str("c10 PTR too-far.example.\n");
    zone(
        &mut set,
        "113.0.203.in-addr.arpa",
        &format!(
            "10 PTR mail.customer-a.example.\n\
             11 PTR mismatch.example.\n\
             12 TXT \"no ptr here\"\n\
             14 PTR one.example.\n\
             14 PTR two.example.\n\
             20 CNAME 20.0-63.113.0.203.in-addr.arpa.\n\
             20.0-63 PTR classless-dash.example.\n\
             21 CNAME 21.0/26.113.0.203.in-addr.arpa.\n\
             22 CNAME 22.64/26.113.0.203.in-addr.arpa.\n\
             22.64/26 PTR classless-inzone.example.\n\
             23 CNAME gone.113.0.203.in-addr.arpa.\n\
             24 CNAME 24.0/26.113.0.203.in-addr.arpa.\n\
             25 CNAME 25.loop.113.0.203.in-addr.arpa.\n\
             25.loop CNAME 25.113.0.203.in-addr.arpa.\n\
             {chain}\
             27 PTR nodata-host.example.\n\
             28 PTR nx-host.example.\n\
             29 CNAME 29.0/26.113.0.203.in-addr.arpa.\n\
             40 PTR bad\\007name.example.\n"
        ),
    );
    zone(
        &mut set,
        "0/26.113.0.203.in-addr.arpa",
        "21 PTR classless-slash.example.\n\
         29 TXT \"delegated but no ptr\"\n",
    );
    zone(
        &mut set,
        "8.b.d.0.1.0.0.2.ip6.arpa",
        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR v6host.example.\n",
    );
    zone(
        &mut set,
        "example",
        "mail.customer-a A 203.0.113.10\n\
         mismatch A 198.51.100.1\n\
         one A 203.0.113.14\n\
         two A 203.0.113.99\n\
         classless-dash A 203.0.113.20\n\
         classless-slash A 203.0.113.21\n\
         classless-inzone A 203.0.113.22\n\
         nodata-host TXT \"no address\"\n\
         v6host AAAA 2001:db8::25\n\
         v6host A 203.0.113.250\n",
    );
    ZoneServer::spawn(set).expect("zone server")
}

fn name(text: &str) -> DnsName {
    DnsName::from_presentation(text)
}

fn addrs(list: &[&str]) -> ForwardAnswer {
    ForwardAnswer::Addresses(list.iter().map(|a| a.parse::<IpAddr>().unwrap()).collect())
}

fn lookup_all(server: &ZoneServer, ips: &[&str]) -> std::collections::BTreeMap<IpAddr, Lookup> {
    let (outcome, seen) = scan(&config(&[server.addr()]), some(ips));
    assert!(outcome.complete);
    assert_eq!(seen.len(), ips.len());
    assert_eq!(outcome.addresses as usize, ips.len());
    seen
}

fn get<'a>(seen: &'a std::collections::BTreeMap<IpAddr, Lookup>, ip: &str) -> &'a Lookup {
    &seen[&ip.parse::<IpAddr>().unwrap()]
}

#[test]
fn ptr_with_confirmed_and_mismatched_forward() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.10", "203.0.113.11"]);
    let ok = get(&seen, "203.0.113.10");
    assert_eq!(
        ok.answer,
        PtrAnswer::Names(vec![name("mail.customer-a.example.")])
    );
    assert_eq!(ok.rcode, Some(Rcode::NoError));
    assert_eq!(ok.attempts, 1);
    assert!(ok.cname_chain.is_empty());
    assert_eq!(
        ok.forward,
        vec![(name("mail.customer-a.example."), addrs(&["203.0.113.10"]))]
    );
    let bad = get(&seen, "203.0.113.11");
    assert_eq!(
        bad.forward,
        vec![(name("mismatch.example."), addrs(&["198.51.100.1"]))]
    );
}

#[test]
fn nxdomain_and_nodata_are_answers_asked_once() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.12", "203.0.113.13"]);
    let nodata = get(&seen, "203.0.113.12");
    assert_eq!(nodata.answer, PtrAnswer::NoData);
    assert_eq!(nodata.rcode, Some(Rcode::NoError));
    assert_eq!(nodata.attempts, 1);
    assert!(nodata.forward.is_empty());
    let nx = get(&seen, "203.0.113.13");
    assert_eq!(nx.answer, PtrAnswer::NxDomain);
    assert_eq!(nx.rcode, Some(Rcode::NxDomain));
    assert_eq!(nx.attempts, 1);
    assert_eq!(server.queries_for("12.113.0.203.in-addr.arpa.", "PTR"), 1);
    assert_eq!(server.queries_for("13.113.0.203.in-addr.arpa.", "PTR"), 1);
}

#[test]
fn multiple_ptrs_are_all_kept_and_each_confirmed() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.14"]);
    let l = get(&seen, "203.0.113.14");
    let PtrAnswer::Names(names) = &l.answer else {
        panic!("expected names, got {:?}", l.answer)
    };
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, vec![name("one.example."), name("two.example.")]);
    assert_eq!(l.forward.len(), 2);
    for (n, fwd) in &l.forward {
        let expect = if n.as_str() == "one.example." {
            "203.0.113.14"
        } else {
            "203.0.113.99"
        };
        assert_eq!(*fwd, addrs(&[expect]), "{n}");
    }
}

#[test]
fn rfc2317_chains_with_and_without_slash_in_and_across_zones() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.20", "203.0.113.21", "203.0.113.22"]);
    // in-zone, no slash: answered in one response
    let dash = get(&seen, "203.0.113.20");
    assert_eq!(
        dash.answer,
        PtrAnswer::Names(vec![name("classless-dash.example.")])
    );
    assert_eq!(
        dash.cname_chain,
        vec![name("20.0-63.113.0.203.in-addr.arpa.")]
    );
    assert_eq!(dash.attempts, 1);
    assert_eq!(
        dash.forward,
        vec![(name("classless-dash.example."), addrs(&["203.0.113.20"]))]
    );
    // slash label, target in another zone: a second query for the target
    let slash = get(&seen, "203.0.113.21");
    assert_eq!(
        slash.answer,
        PtrAnswer::Names(vec![name("classless-slash.example.")])
    );
    assert_eq!(
        slash.cname_chain,
        vec![name("21.0/26.113.0.203.in-addr.arpa.")]
    );
    assert_eq!(slash.attempts, 2);
    assert_eq!(
        slash.forward,
        vec![(name("classless-slash.example."), addrs(&["203.0.113.21"]))]
    );
    // slash label inside the same zone
    let inzone = get(&seen, "203.0.113.22");
    assert_eq!(
        inzone.answer,
        PtrAnswer::Names(vec![name("classless-inzone.example.")])
    );
    assert_eq!(
        inzone.cname_chain,
        vec![name("22.64/26.113.0.203.in-addr.arpa.")]
    );
    assert_eq!(inzone.attempts, 1);
    // 20 and 22 in one query each, 21 in two
    assert_eq!(server.stats().qtype("PTR"), 4);
}

#[test]
fn chains_that_end_nowhere_are_broken_delegations() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.23", "203.0.113.24", "203.0.113.29"]);
    let gone = "gone.113.0.203.in-addr.arpa.";
    let inzone = get(&seen, "203.0.113.23");
    assert_eq!(
        inzone.answer,
        PtrAnswer::BrokenDelegation { target: name(gone) }
    );
    assert_eq!(inzone.cname_chain, vec![name(gone)]);
    let cross = "24.0/26.113.0.203.in-addr.arpa.";
    let across = get(&seen, "203.0.113.24");
    assert_eq!(
        across.answer,
        PtrAnswer::BrokenDelegation {
            target: name(cross)
        }
    );
    assert_eq!(across.rcode, Some(Rcode::NxDomain));
    let nodata = get(&seen, "203.0.113.29");
    assert_eq!(
        nodata.answer,
        PtrAnswer::BrokenDelegation {
            target: name("29.0/26.113.0.203.in-addr.arpa.")
        }
    );
}

#[test]
fn cname_loops_and_overlong_chains_fail_as_cname_loop() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.25", "203.0.113.26"]);
    for ip in ["203.0.113.25", "203.0.113.26"] {
        let l = get(&seen, ip);
        assert_eq!(
            l.answer,
            PtrAnswer::Failed(FailureReason::CnameLoop),
            "{ip}: {l:?}"
        );
        assert!(l.cname_chain.len() <= 9, "{ip}: {:?}", l.cname_chain);
    }
}

#[test]
fn forward_nodata_and_nxdomain_are_told_apart() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.27", "203.0.113.28"]);
    assert_eq!(
        get(&seen, "203.0.113.27").forward,
        vec![(name("nodata-host.example."), ForwardAnswer::NoData)]
    );
    // nx-host.example. is inside the served zone `example.` and does not exist
    assert_eq!(
        get(&seen, "203.0.113.28").forward,
        vec![(name("nx-host.example."), ForwardAnswer::NxDomain)]
    );
}

#[test]
fn ipv6_ptr_is_confirmed_with_aaaa_only() {
    let server = fixture();
    let seen = lookup_all(&server, &["2001:db8::25", "2001:db8::26"]);
    let l = get(&seen, "2001:db8::25");
    assert_eq!(l.answer, PtrAnswer::Names(vec![name("v6host.example.")]));
    assert_eq!(
        l.forward,
        vec![(name("v6host.example."), addrs(&["2001:db8::25"]))]
    );
    assert_eq!(server.queries_for("v6host.example.", "AAAA"), 1);
    assert_eq!(server.queries_for("v6host.example.", "A"), 0);
    assert_eq!(get(&seen, "2001:db8::26").answer, PtrAnswer::NxDomain);
}

#[test]
fn control_characters_in_names_come_out_escaped() {
    let server = fixture();
    let seen = lookup_all(&server, &["203.0.113.40"]);
    let l = get(&seen, "203.0.113.40");
    assert_eq!(
        l.answer,
        PtrAnswer::Names(vec![name("bad\\007name.example.")])
    );
    // the raw name was asked forward (and does not exist)
    assert_eq!(
        l.forward,
        vec![(name("bad\\007name.example."), ForwardAnswer::NxDomain)]
    );
}

#[test]
fn hundred_ptrs_come_over_tcp_with_forward_lookups_capped() {
    let mut set = ZoneSet::new();
    let mut records = String::new();
    for i in 0..100 {
        records.push_str(&format!("7 PTR host-number-{i:03}.example.\n"));
    }
    zone(&mut set, "113.0.203.in-addr.arpa", &records);
    zone(&mut set, "example", "host-number-000 A 203.0.113.7\n");
    let server = ZoneServer::spawn(set).expect("zone server");
    let (outcome, seen) = scan(&config(&[server.addr()]), some(&["203.0.113.7"]));
    let l = get(&seen, "203.0.113.7");
    let PtrAnswer::Names(names) = &l.answer else {
        panic!("expected names, got {:?}", l.answer)
    };
    assert_eq!(names.len(), 100);
    assert_eq!(l.forward.len(), 16);
    assert!(outcome.tcp_queries >= 1);
    assert!(server.stats().tcp >= 1);
    assert_eq!(server.stats().qtype("A"), 16);
}
