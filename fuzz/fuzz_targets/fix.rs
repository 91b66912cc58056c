//! Any text as a report given to `fix` (`crates/report/src/fix.rs`): the
//! plan is rendered as BIND zone lines, an nsupdate script and CSV, and the
//! first two are parsed back. Every record line is one record of the plan and
//! the plan's records are all there, so nothing in a report (a name with a
//! newline, a `;`, a quote) can add an owner or a record; each zone section
//! loads with the embedded server's zone reader (the owners lie in the zone);
//! the script only deletes owners it then writes, in the same `send`; and
//! every PTR owner belongs to its address (docs/fix.md, checked here on its
//! own terms, not with `fix::owns`), each written once.
#![no_main]

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use ptr_audit_dnsserver::ZoneSet;
use ptr_audit_model::reverse_name;
use ptr_audit_report::fix::{self, FixFormat, FixOptions, FixPlan};
use ptr_audit_report::read_report_str;

/// docs/fix.md's ownership rule: the address's own reverse name, or its own
/// lowest label directly inside a child zone of its reverse zone whose label
/// is not an address label (so never another address's name or below one).
fn belongs(ip: IpAddr, owner: &str) -> bool {
    let owner = owner.to_ascii_lowercase();
    let own = reverse_name(ip);
    if owner == own {
        return true;
    }
    let (first, parent) = own.split_once('.').expect("a reverse name has labels");
    let Some((child, above)) = owner
        .strip_prefix(first)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.split_once('.'))
    else {
        return false;
    };
    let address_label = match ip {
        IpAddr::V4(_) => child.parse::<u8>().is_ok_and(|n| n.to_string() == child),
        IpAddr::V6(_) => child.len() == 1 && child.bytes().all(|b| b.is_ascii_hexdigit()),
    };
    above == parent && !child.is_empty() && !address_label
}

/// The records the plan means, as (owner, type, value); with `zoned`, only
/// the forward records whose zone is known (nsupdate cannot send the others).
fn intended(plan: &FixPlan, zoned: bool) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = plan
        .zones
        .values()
        .flatten()
        .map(|f| (f.owner.clone(), "PTR".to_owned(), f.target.clone()))
        .chain(
            plan.forward
                .iter()
                .filter(|f| !zoned || f.zone.is_some())
                .map(|f| (f.name.clone(), f.rtype().to_owned(), f.ip.to_string())),
        )
        .collect();
    out.sort();
    out
}

fn render(plan: &FixPlan, format: FixFormat) -> String {
    let mut out = Vec::new();
    fix::write(plan, format, FixOptions::default(), &mut out).expect("writing to memory");
    String::from_utf8(out).expect("fix output is UTF-8")
}

/// Parses the BIND rendering: record lines per `; zone` section.
fn check_bind(plan: &FixPlan, text: &str) {
    let mut records = Vec::new();
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("; zone ") {
            let zone = rest.split(' ').next().unwrap_or("").to_owned();
            sections.push((zone, Vec::new()));
            continue;
        }
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(t.len(), 5, "a record line has 5 fields: {line:?}");
        assert_eq!(t[2], "IN", "{line:?}");
        records.push((t[0].to_owned(), t[3].to_owned(), t[4].to_owned()));
        if t[3] == "PTR" {
            let (_, lines) = sections
                .last_mut()
                .expect("a PTR line is in a zone section");
            lines.push(line);
        }
    }
    records.sort();
    assert_eq!(
        records,
        intended(plan, false),
        "the BIND lines are the plan's records"
    );
    for (zone, lines) in sections {
        if lines.is_empty() {
            continue;
        }
        let text = format!(
            "$TTL 3600\n@ IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 300\n{}\n",
            lines.join("\n")
        );
        let zones = ZoneSet::from_text(&zone, &text)
            .unwrap_or_else(|e| panic!("zone `{zone}` loads: {e}\n{text}"));
        let owners: BTreeSet<_> = lines.iter().map(|l| l.split('\t').next()).collect();
        assert!(
            zones.record_count() > owners.len(),
            "every owner is in zone `{zone}`"
        );
    }
}

/// Parses the nsupdate script.
fn check_nsupdate(plan: &FixPlan, text: &str) {
    let mut added = Vec::new();
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    let mut written: BTreeSet<String> = BTreeSet::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        match t.as_slice() {
            ["zone", _] => {}
            ["send"] => {
                let orphans: Vec<_> = deleted.difference(&written).collect();
                assert!(
                    orphans.is_empty(),
                    "deleted but not written before `send`: {orphans:?}"
                );
                deleted.clear();
                written.clear();
            }
            [
                "prereq",
                "yxrrset" | "nxrrset" | "yxdomain" | "nxdomain",
                owner,
                ..,
            ] => {
                assert!(
                    intended(plan, true).iter().any(|(o, ..)| o == owner),
                    "prerequisite on an owner outside the plan: {line:?}"
                );
            }
            ["update", "delete", owner, "PTR"] => {
                deleted.insert((*owner).to_owned());
            }
            ["update", "add", owner, ttl, rtype, value] => {
                assert!(ttl.parse::<u32>().is_ok(), "{line:?}");
                written.insert((*owner).to_owned());
                added.push((
                    (*owner).to_owned(),
                    (*rtype).to_owned(),
                    (*value).to_owned(),
                ));
            }
            _ => panic!("not an nsupdate command this tool writes: {line:?}"),
        }
    }
    assert!(deleted.is_empty(), "the script ends with a `send`");
    added.sort();
    assert_eq!(
        added,
        intended(plan, true),
        "the script adds the plan's records"
    );
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = read_report_str(text, Path::new("report.json")) else {
        return;
    };
    let mut plan = fix::plan(&doc.records);
    check(&plan);
    // As `fix` places records once it has learned zones from DNS: here every
    // name's zone is its parent, or none for names of one label.
    plan.place_in_zones(|name| {
        let (_, parent) = name.split_once('.')?;
        (!parent.is_empty()).then(|| parent.to_owned())
    });
    check(&plan);
});

fn check(plan: &FixPlan) {
    let mut owners = BTreeSet::new();
    for f in plan.zones.values().flatten() {
        assert!(belongs(f.ip, &f.owner), "`{}` belongs to {}", f.owner, f.ip);
        assert!(
            owners.insert(f.owner.to_ascii_lowercase()),
            "`{}` is written once",
            f.owner
        );
    }
    check_bind(plan, &render(plan, FixFormat::Bind));
    check_nsupdate(plan, &render(plan, FixFormat::Nsupdate));
    let csv = render(plan, FixFormat::Csv);
    assert_eq!(
        csv.lines().count(),
        1 + plan.len(),
        "one CSV row per record"
    );
}
