//! `--authoritative`: the warnings naming the zones whose servers could not
//! be found and the servers that were not asked (the block findings of lame
//! or unreachable servers are `classify::AuditRun`'s).

use ptr_audit_scan::{SkipReason, ZoneReport};

/// Names on stderr the zones whose servers could not be found, and the name
/// servers that were not asked ([`skipped_servers_warning`]).
pub(super) fn zone_warnings(zones: &[ZoneReport]) {
    let unfound: Vec<&ZoneReport> = zones.iter().filter(|z| z.error.is_some()).collect();
    if let Some(first) = unfound.first() {
        let addresses: u64 = unfound.iter().map(|z| z.addresses).sum();
        eprintln!(
            "warning: {addresses} addresses in {} zones not compared at authoritative servers: {}{}",
            unfound.len(),
            first.error.as_deref().unwrap_or_default(),
            if unfound.len() > 1 {
                " (and others)"
            } else {
                ""
            }
        );
    }
    skipped_servers_warning(zones);
}

/// Names on stderr the name servers `--authoritative` did not ask: those at
/// special-purpose addresses (also block findings) and those over
/// `--max-servers-per-zone`.
fn skipped_servers_warning(zones: &[ZoneReport]) {
    let mut special: Vec<String> = Vec::new();
    let mut over_cap: Vec<&str> = Vec::new();
    for zone in zones {
        for skipped in &zone.skipped {
            match skipped.reason {
                SkipReason::SpecialPurpose(kind) => {
                    let line = format!("{} ({kind})", skipped.label());
                    if !special.contains(&line) {
                        special.push(line);
                    }
                }
                _ => {
                    if !over_cap.contains(&zone.zone.as_str()) {
                        over_cap.push(zone.zone.as_str());
                    }
                }
            }
        }
    }
    if !special.is_empty() {
        eprintln!(
            "warning: {} name server address(es) at special-purpose addresses not asked \
             (`--allow-special-nameservers` asks them): {}",
            special.len(),
            escape_list(&special)
        );
    }
    if !over_cap.is_empty() {
        eprintln!(
            "warning: {} zone(s) have more name server addresses than `--max-servers-per-zone`; \
             the rest were not asked: {}",
            over_cap.len(),
            escape_list(&over_cap)
        );
    }
}

/// The first few items of a list for one stderr line, control characters escaped.
fn escape_list<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(5)
        .map(|s| s.as_ref().escape_debug().to_string())
        .collect();
    let more = if items.len() > 5 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}
