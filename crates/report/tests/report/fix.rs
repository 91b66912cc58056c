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
fn hostile_expected_names_never_reach_the_output() {
    for f in [FixFormat::Bind, FixFormat::Nsupdate, FixFormat::Csv] {
        let text = out(f);
        assert!(
            !text.contains("x.example."),
            "{f:?} leaked the injected line"
        );
        assert!(!text.contains("evil"), "{f:?} leaked the hostile name");
        assert!(
            !text.contains("HYPERLINK"),
            "{f:?} wrote a DNS-sourced name"
        );
        for line in text.lines() {
            let ok = line.starts_with(';')
                || line.is_empty()
                || line.starts_with("zone ")
                || line.starts_with("update ")
                || line == "send"
                || line.split('\t').count() == 5
                || line.split(',').count() == 8;
            assert!(ok, "{f:?}: unexpected line {line:?}");
        }
    }
}
