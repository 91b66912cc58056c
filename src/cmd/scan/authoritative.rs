//! `--authoritative`: the block findings of lame or unreachable servers, and
//! the warning naming the servers that were not asked.

use std::sync::Arc;

use ptr_audit_classify::authoritative::lame_server;
use ptr_audit_model::{BlockFinding, BlockInfo, FailureReason};
use ptr_audit_scan::{SkipReason, ZoneReport};

/// Block findings for the lame or unreachable servers of `--authoritative`,
/// one per block and server (listing the zones); zones whose servers could
/// not be found are named on stderr.
pub(super) fn zone_findings(zones: &[ZoneReport]) -> Vec<BlockFinding> {
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
    // (block, server, reason) -> zones, in the order met; a server at a
    // special-purpose address is one no resolver on the Internet can reach
    let lame_servers = zones.iter().flat_map(|zone| {
        let lame = zone.servers.iter().filter(|s| s.is_lame()).map(|server| {
            let reason = server
                .first_failure
                .as_ref()
                .map_or_else(|| "timeout".to_owned(), FailureReason::keyword);
            (server.label(), reason)
        });
        let special = zone
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::SpecialPurpose(_)))
            .map(|s| (s.label(), "special-purpose".to_owned()));
        lame.chain(special).map(move |found| (zone, found))
    });
    let mut lame: Vec<(&Arc<BlockInfo>, String, String, Vec<String>)> = Vec::new();
    for (zone, (label, reason)) in lame_servers {
        for block in &zone.blocks {
            let zone_name = zone.zone.as_str().to_owned();
            match lame
                .iter_mut()
                .find(|(b, s, r, _)| **b == *block && *s == label && *r == reason)
            {
                Some(entry) => entry.3.push(zone_name),
                None => lame.push((block, label.clone(), reason.clone(), vec![zone_name])),
            }
        }
    }
    // the order zones were met in depends on the visiting order: sort
    lame.sort_by(|a, b| (a.0.cidr, &a.1, &a.2).cmp(&(b.0.cidr, &b.1, &b.2)));
    lame.iter()
        .map(|(block, server, reason, zones)| lame_server(block, server, reason, zones))
        .collect()
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
