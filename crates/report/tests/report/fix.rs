//! `fix`: records to publish, and no injection through hostile names.

use ptr_audit_report::fix::{FixFormat, FixOptions, UnfixableWhy, plan, write};

use crate::fixture::records;

fn out(format: FixFormat) -> String {
    let p = plan(&records());
    let mut buf = Vec::new();
    write(&p, format, FixOptions::default(), &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn bind_snapshot() {
    insta::assert_snapshot!("fix_bind", out(FixFormat::Bind));
}

#[test]
fn nsupdate_snapshot() {
    insta::assert_snapshot!("fix_nsupdate", out(FixFormat::Nsupdate));
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!("fix_csv", out(FixFormat::Csv));
}

#[test]
fn plan_fixes_known_expectations_and_lists_the_rest() {
    let p = plan(&records());
    let ptrs: Vec<(String, String)> = p
        .zones
        .values()
        .flatten()
        .map(|f| (f.ip.to_string(), f.target.clone()))
        .collect();
    assert!(ptrs.contains(&("203.0.113.5".into(), "mail5.fra1.examplehost.net.".into())));
    assert!(ptrs.contains(&("192.0.2.10".into(), "mx.customer-b.example.".into())));
    // The broken RFC 2317 delegation: the PTR goes where the CNAME points.
    let classless = &p.zones["0/26.2.0.192.in-addr.arpa."];
    assert_eq!(classless[0].owner, "10.0/26.2.0.192.in-addr.arpa.");
    let why = |ip: &str| {
        p.unfixable
            .iter()
            .find(|u| u.ip.to_string() == ip)
            .map(|u| u.why)
    };
    assert_eq!(why("192.0.2.11"), Some(UnfixableWhy::NoExpectation));
    assert_eq!(why("203.0.113.9"), Some(UnfixableWhy::Unknown));
    assert_eq!(
        why("2001:db8:10::6"),
        Some(UnfixableWhy::InvalidExpectation)
    );
    assert_eq!(why("203.0.113.25"), None, "ok addresses are not listed");
}

#[test]
fn hostile_names_never_reach_the_output_raw() {
    for f in [FixFormat::Bind, FixFormat::Nsupdate, FixFormat::Csv] {
        let text = out(f);
        assert!(
            !text.contains("x.example."),
            "{f:?} leaked the injected line"
        );
        // Names seen in DNS appear only in the comments and prerequisites
        // that say what is being replaced, rewritten into `\DDD` escapes.
        assert!(!text.contains("HYPERLINK"), "{f:?} wrote a raw DNS name");
        assert!(!text.contains("<script"), "{f:?} wrote a raw DNS name");
        assert!(
            !text
                .bytes()
                .any(|b| b < 0x20 && b != b'\n' && b != b'\r' && b != b'\t'),
            "{f:?} wrote a control byte"
        );
        for line in text.lines() {
            let ok = line.starts_with(';')
                || line.is_empty()
                || line.starts_with("zone ")
                || line.starts_with("update ")
                || line.starts_with("prereq ")
                || line == "send"
                || line.split('\t').count() == 5
                || line.split(',').count() == 9;
            assert!(ok, "{f:?}: unexpected line {line:?}");
            if f == FixFormat::Nsupdate && !line.starts_with(';') {
                assert!(
                    line.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" .-_/*\\:".contains(&b)),
                    "{f:?}: a character nsupdate could read otherwise in {line:?}"
                );
            }
        }
    }
}

#[test]
fn fix_never_writes_over_another_addresses_ptr() {
    use ptr_audit_model::{DnsName, Finding, FindingCode, PtrAnswer, Severity, Status};
    use ptr_audit_report::fix::owns;
    // A customer's RFC 2317 child zone aims 192.0.2.5 at the plain reverse
    // name of the provider's mail relay 192.0.2.100, whose PTR is fine.
    let mut rec = records()
        .into_iter()
        .find(|r| r.target.ip.to_string() == "192.0.2.10")
        .unwrap();
    rec.target.ip = "192.0.2.5".parse().unwrap();
    rec.target.expected_ptr = Some("mx5.customer-b.example".into());
    rec.lookup.cname_chain = vec![DnsName::from_presentation("100.2.0.192.in-addr.arpa.")];
    rec.lookup.answer =
        PtrAnswer::Names(vec![DnsName::from_presentation("relay.examplehost.net.")]);
    rec.findings = vec![Finding::new(
        FindingCode::PtrUnexpected,
        Severity::Error,
        "differs",
    )];
    rec.status = Status::of(&rec.findings);
    let p = plan(std::slice::from_ref(&rec));
    assert!(p.zones.is_empty(), "{:?}", p.zones);
    assert_eq!(p.unfixable.len(), 1);
    assert_eq!(p.unfixable[0].why, UnfixableWhy::ForeignOwner);
    assert_eq!(
        p.unfixable[0].owner.as_deref(),
        Some("100.2.0.192.in-addr.arpa.")
    );
    for f in [FixFormat::Bind, FixFormat::Nsupdate, FixFormat::Csv] {
        let mut buf = Vec::new();
        write(&p, f, FixOptions::default(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for line in text.lines().filter(|l| !l.starts_with(';')) {
            assert!(
                !line.contains("100.2.0.192.in-addr.arpa."),
                "{f:?} writes at the relay's owner: {line}"
            );
        }
    }
    // Every PTR the fixture's plan writes is at an owner of its address.
    for fix in plan(&records()).zones.values().flatten() {
        assert!(owns(fix.ip, &fix.owner), "{} at {}", fix.ip, fix.owner);
    }
}

#[test]
fn missing_forward_records_are_added_in_their_known_zone() {
    use ptr_audit_model::{Finding, FindingCode, ForwardAnswer, Severity, Status};
    use ptr_audit_report::fix::plan_with_zones;
    let mut rec = records()
        .into_iter()
        .find(|r| r.target.ip.to_string() == "203.0.113.25")
        .unwrap();
    rec.lookup.forward[0].1 = ForwardAnswer::NxDomain;
    rec.findings = vec![Finding::new(
        FindingCode::FcrdnsFailed,
        Severity::Error,
        "no A record",
    )];
    rec.status = Status::of(&rec.findings);
    // A classless sibling block with a plain PTR elsewhere: a wrong PTR moves
    // into the known /24 zone file.
    let zones = vec![
        "113.0.203.in-addr.arpa.".to_string(),
        "customer-a.example.".to_string(),
    ];
    let mut recs: Vec<_> = records()
        .into_iter()
        .filter(|r| r.target.ip != rec.target.ip)
        .collect();
    recs.push(rec);
    let p = plan_with_zones(&recs, &zones);
    // Only this name is in a known zone; the other fixes' names are in none.
    assert_eq!(p.forward.len(), 1);
    assert_eq!(p.forward[0].zone.as_deref(), Some("customer-a.example."));
    assert!(p.zones.contains_key("113.0.203.in-addr.arpa."));
    let render = |f| {
        let mut buf = Vec::new();
        write(&p, f, FixOptions { ttl: 600 }, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    };
    let bind = render(FixFormat::Bind);
    assert!(bind.contains(
        "; zone customer-a.example. (forward records to add unless present)\nmail.customer-a.example.\t600\tIN\tA\t203.0.113.25\n"
    ), "{bind}");
    let ns = render(FixFormat::Nsupdate);
    assert!(ns.contains(
        "zone customer-a.example.\nupdate add mail.customer-a.example. 600 A 203.0.113.25\nsend\n"
    ), "{ns}");
    let csv = render(FixFormat::Csv);
    assert!(csv.contains(
        "add,customer-a.example.,mail.customer-a.example.,600,A,203.0.113.25,203.0.113.25,fcrdns-failed,\r\n"
    ), "{csv}");
}

/// Found by the `fix` fuzz target: a report listing an address twice (a
/// jsonl file appended to twice, an edited merge) gave two PTR records for
/// one owner, one per listing, so the zone lines published both names and the
/// nsupdate script applied whichever came last.
#[test]
fn an_address_listed_twice_gets_no_record() {
    let mut twice = records();
    let first = twice
        .iter()
        .find(|r| r.target.ip.to_string() == "203.0.113.5")
        .unwrap()
        .clone();
    let mut second = first.clone();
    second.target.expected_ptr = Some("other5.fra1.examplehost.net".into());
    twice.push(second);
    let p = plan(&twice);
    let ip = first.target.ip;
    assert!(
        p.zones.values().flatten().all(|f| f.ip != ip),
        "{:?}",
        p.zones
    );
    assert!(p.forward.iter().all(|f| f.ip != ip), "{:?}", p.forward);
    let listed: Vec<_> = p.unfixable.iter().filter(|u| u.ip == ip).collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].why, UnfixableWhy::ListedTwice);
    // The other addresses are planned as before.
    let others = plan(&records());
    assert_eq!(
        p.len(),
        others.len() - 2,
        "a PTR and a forward record fewer"
    );
}
