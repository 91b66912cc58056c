//! `ptr-inconsistent`: what `scan --authoritative` learnt by asking every
//! authoritative server of a reverse zone directly, compared per address, and
//! the block findings for servers that are lame or unreachable.

use std::collections::BTreeSet;
use std::sync::Arc;

use ptr_audit_model::{
    BlockFinding, BlockInfo, Detail, DetailValue, Finding, FindingCode, PtrAnswer, ServerAnswer,
    Target,
};

use crate::severity::for_block;

/// A comparable form of a PTR outcome: `None` for a failure (no answer is
/// not a different answer), else the names as a lowercase set without the
/// final dot, or the kind of negative answer.
fn outcome_key(answer: &PtrAnswer) -> Option<String> {
    match answer {
        PtrAnswer::Names(names) => {
            let set: BTreeSet<String> = names
                .iter()
                .map(|n| n.as_str().trim_end_matches('.').to_ascii_lowercase())
                .collect();
            Some(set.into_iter().collect::<Vec<_>>().join(" "))
        }
        PtrAnswer::NxDomain => Some("NXDOMAIN".into()),
        PtrAnswer::NoData => Some("NODATA".into()),
        PtrAnswer::BrokenDelegation { target } => Some(format!(
            "broken delegation to {}",
            target.as_str().to_ascii_lowercase()
        )),
        PtrAnswer::Failed(_) => None,
    }
}

/// How an answer is written in the finding's `answers` list.
fn describe(answer: &PtrAnswer) -> String {
    match answer {
        PtrAnswer::Names(names) => names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        PtrAnswer::NxDomain => "NXDOMAIN".into(),
        PtrAnswer::NoData => "NODATA".into(),
        PtrAnswer::BrokenDelegation { target } => {
            format!("broken delegation to {}", target.as_str())
        }
        PtrAnswer::Failed(why) => format!("no answer ({})", why.keyword()),
    }
}

/// The `ptr-inconsistent` finding of one address, if the answers disagree:
/// the authoritative servers' answers (`answers`) with each other, or with
/// the configured resolver's (`resolver`, a stale cache). Names compare as
/// sets, case-insensitively; NXDOMAIN, NODATA and a broken delegation are
/// answers of their own; a server that gave no answer (timeout, REFUSED,
/// not authoritative) does not count as disagreeing (it is reported per zone
/// by [`lame_server`]) but is listed when there is a disagreement.
///
/// Details: `answers`, one `SERVER: ANSWER` entry per server in the given
/// order, then `resolver: ANSWER`.
pub fn inconsistency(
    target: &Target,
    resolver: &PtrAnswer,
    answers: &[ServerAnswer],
) -> Option<Finding> {
    let auth: BTreeSet<String> = answers
        .iter()
        .filter_map(|a| outcome_key(&a.answer))
        .collect();
    let resolver_key = outcome_key(resolver);
    let servers_disagree = auth.len() > 1;
    let cache_differs = auth.len() == 1 && resolver_key.as_ref().is_some_and(|r| !auth.contains(r));
    if !servers_disagree && !cache_differs {
        return None;
    }
    let mut list: Vec<String> = answers
        .iter()
        .map(|a| format!("{}: {}", a.server, describe(&a.answer)))
        .collect();
    list.push(format!("resolver: {}", describe(resolver)));
    let message = if servers_disagree {
        format!(
            "the authoritative servers disagree about the ptr ({} different answers)",
            auth.len()
        )
    } else {
        "the resolver's answer differs from the authoritative servers' (a stale cache)".to_owned()
    };
    Some(
        Finding::new(
            FindingCode::PtrInconsistent,
            for_block(&target.block, FindingCode::PtrInconsistent),
            message,
        )
        .with_list("answers", list),
    )
}

/// At most this many zones are listed in a [`lame_server`] finding.
pub const ZONES_LISTED: usize = 20;

/// The block finding for an authoritative server that gave no usable answer
/// for any address of `zones` (the reverse zones of the block it is named
/// for): `ptr-inconsistent` with the block's severity, details `server`,
/// `reason` (`timeout` or `network`: *unreachable*; `refused`, `servfail`,
/// `malformed` for a server that is not authoritative: *lame*;
/// `special-purpose` for an address no resolver on the Internet can reach,
/// loopback or RFC 1918 say, which `scan` did not ask), `zones` (the
/// first [`ZONES_LISTED`] in name order) and `zone_count`. A resolver picks such a server
/// now and then and gets no PTR.
pub fn lame_server(
    block: &Arc<BlockInfo>,
    server: &str,
    reason: &str,
    zones: &[String],
) -> BlockFinding {
    let what = match reason {
        "timeout" | "network" => "unreachable",
        "special-purpose" => "unreachable from the Internet (not asked)",
        _ => "lame",
    };
    let mut zones = zones.to_vec();
    zones.sort_unstable();
    zones.dedup();
    let which = match zones.as_slice() {
        [one] => format!("zone {one}"),
        _ => format!(
            "{} zones ({}{})",
            zones.len(),
            zones
                .iter()
                .take(3)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            if zones.len() > 3 { ", ..." } else { "" }
        ),
    };
    let mut finding = Finding::new(
        FindingCode::PtrInconsistent,
        for_block(block, FindingCode::PtrInconsistent),
        format!("authoritative server {server} is {what} ({reason}) for {which}"),
    )
    .with_text("server", server)
    .with_text("reason", reason)
    .with_list("zones", zones.iter().take(ZONES_LISTED).cloned().collect());
    finding.details.push(Detail {
        key: "zone_count",
        value: DetailValue::Count(zones.len() as u64),
    });
    BlockFinding {
        block: Arc::clone(block),
        finding,
    }
}

/// The servers of a scan that gave no usable answer, grouped into block
/// findings: one [`lame_server`] finding per block, server and reason,
/// listing the zones (of that block's addresses) the server failed for.
#[derive(Debug, Default)]
pub struct LameServers {
    /// (block, server, reason) and the zones, in the order met.
    found: Vec<(Arc<BlockInfo>, String, String, Vec<String>)>,
}

impl LameServers {
    /// Notes that `server` gave no usable answer (`reason`, as
    /// [`lame_server`] takes it) for `zone`, which holds addresses of
    /// `blocks`.
    pub fn add(&mut self, zone: &str, blocks: &[Arc<BlockInfo>], server: &str, reason: &str) {
        for block in blocks {
            match self
                .found
                .iter_mut()
                .find(|(b, s, r, _)| *b == *block && s == server && r == reason)
            {
                Some(entry) => entry.3.push(zone.to_owned()),
                None => self.found.push((
                    Arc::clone(block),
                    server.to_owned(),
                    reason.to_owned(),
                    vec![zone.to_owned()],
                )),
            }
        }
    }

    /// The block findings, by block address, then server and reason (the
    /// order zones were met in depends on the visiting order).
    pub fn findings(mut self) -> Vec<BlockFinding> {
        self.found
            .sort_by(|a, b| (a.0.cidr, &a.1, &a.2).cmp(&(b.0.cidr, &b.1, &b.2)));
        self.found
            .iter()
            .map(|(block, server, reason, zones)| lame_server(block, server, reason, zones))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use ptr_audit_model::{
        DetailValue, DnsName, FailureReason, Policy, Rcode, Severity, SeverityOverrides,
        SourceLocation,
    };

    use super::*;

    fn target(policy: Policy) -> Target {
        Target {
            ip: "203.0.113.9".parse().unwrap(),
            block: Arc::new(BlockInfo {
                datacenter: "fra1".into(),
                cidr: "203.0.113.0/24".parse().unwrap(),
                policy,
                expect_ptr: None,
                expect_pbl: false,
                migrated_from: Some("ams3".into()),
                severities: SeverityOverrides::default(),
                source: SourceLocation {
                    file: PathBuf::from("inventory.yaml"),
                    line: 3,
                },
            }),
            expected_ptr: None,
        }
    }

    fn names(ns: &[&str]) -> PtrAnswer {
        PtrAnswer::Names(ns.iter().map(|n| DnsName::from_presentation(n)).collect())
    }

    fn at(server: &str, answer: PtrAnswer) -> ServerAnswer {
        ServerAnswer {
            server: server.into(),
            answer,
        }
    }

    fn answers_of(f: &Finding) -> Vec<String> {
        match &f.details[0].value {
            DetailValue::List(l) => l.clone(),
            other => panic!("answers is a list, got {other:?}"),
        }
    }

    #[test]
    fn servers_that_disagree_are_named_with_what_each_said() {
        let new = names(&["mail9.fra1.examplehost.net."]);
        let old = names(&["mail9.ams3.examplehost.net."]);
        let answers = [at("ns1", new.clone()), at("ns2", old)];
        let f = inconsistency(&target(Policy::Mail), &new, &answers).expect("a finding");
        assert_eq!(f.code, FindingCode::PtrInconsistent);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            answers_of(&f),
            [
                "ns1: mail9.fra1.examplehost.net.",
                "ns2: mail9.ams3.examplehost.net.",
                "resolver: mail9.fra1.examplehost.net."
            ]
        );
        let f = inconsistency(&target(Policy::Hosting), &new, &answers).expect("a finding");
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    fn same_names_in_another_order_or_case_agree_and_failures_do_not_count() {
        let a = names(&["a.example.", "B.example."]);
        let b = names(&["b.example", "a.example."]);
        let answers = [
            at("ns1", a.clone()),
            at("ns2", b),
            at("ns3", PtrAnswer::Failed(FailureReason::Timeout)),
        ];
        assert_eq!(inconsistency(&target(Policy::Mail), &a, &answers), None);
        // a resolver that failed is not a disagreement either
        let failed = PtrAnswer::Failed(FailureReason::Rcode(Rcode::ServFail));
        assert_eq!(
            inconsistency(&target(Policy::Mail), &failed, &answers),
            None
        );
    }

    #[test]
    fn negative_answers_differ_from_names_and_from_each_other() {
        let n = names(&["a.example."]);
        let t = target(Policy::Mail);
        let nx = [at("ns1", n.clone()), at("ns2", PtrAnswer::NxDomain)];
        assert!(inconsistency(&t, &n, &nx).is_some());
        let neg = [at("ns1", PtrAnswer::NoData), at("ns2", PtrAnswer::NxDomain)];
        let f = inconsistency(&t, &PtrAnswer::NoData, &neg).expect("a finding");
        assert_eq!(answers_of(&f)[1], "ns2: NXDOMAIN");
    }

    #[test]
    fn a_stale_resolver_cache_is_reported_when_the_servers_agree() {
        let new = names(&["mail9.fra1.examplehost.net."]);
        let old = names(&["mail9.ams3.examplehost.net."]);
        let answers = [at("ns1", new.clone()), at("ns2", new)];
        let f = inconsistency(&target(Policy::Mail), &old, &answers).expect("a finding");
        assert!(f.message.contains("stale cache"), "{}", f.message);
        assert_eq!(answers_of(&f)[2], "resolver: mail9.ams3.examplehost.net.");
    }

    #[test]
    fn a_resumed_record_keeps_its_inconsistency_with_this_inventorys_severity() {
        let c = crate::Classifier::new(&ptr_audit_model::Provider::default()).unwrap();
        let new = names(&["mail9.fra1.examplehost.net."]);
        let answers = [
            at("ns1", new.clone()),
            at("ns2", names(&["mail9.ams3.examplehost.net."])),
        ];
        let lookup = ptr_audit_model::Lookup {
            rcode: Some(Rcode::NoError),
            answer: new,
            cname_chain: Vec::new(),
            dnsbl: Vec::new(),
            attempts: 1,
            forward: Vec::new(),
        };
        let hosting = target(Policy::Hosting);
        let audit = |target: &Target, servers| c.audit(target.clone(), lookup.clone(), servers);
        let recorded = audit(&hosting, crate::Servers::Answered(&answers)).findings;
        let kept = |fs: &[Finding]| {
            fs.iter()
                .find(|f| f.code == FindingCode::PtrInconsistent)
                .cloned()
        };
        assert_eq!(kept(&recorded).unwrap().severity, Severity::Warning);
        // read back under an inventory that now makes the block `mail`
        let mail = target(Policy::Mail);
        let resumed = audit(&mail, crate::Servers::Recorded(&recorded)).findings;
        let f = kept(&resumed).expect("kept");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(answers_of(&f), answers_of(&kept(&recorded).unwrap()));
        assert_eq!(
            resumed[0].code,
            FindingCode::PtrInconsistent,
            "most severe first"
        );
        // nothing recorded, nothing added
        assert_eq!(
            audit(&mail, crate::Servers::Recorded(&[])).findings,
            c.classify(&mail, &lookup)
        );
    }

    #[test]
    fn lame_and_unreachable_servers_are_block_findings() {
        let t = target(Policy::Hosting);
        let one = ["113.0.203.in-addr.arpa.".to_owned()];
        let b = lame_server(&t.block, "127.0.0.12:53 (ns2.)", "timeout", &one);
        assert_eq!(
            b.finding.message,
            "authoritative server 127.0.0.12:53 (ns2.) is unreachable (timeout) \
             for zone 113.0.203.in-addr.arpa."
        );
        assert_eq!(b.finding.severity, Severity::Warning);
        assert_eq!(b.finding.text("reason"), Some("timeout"));
        let many: Vec<String> = (0..30)
            .map(|c| format!("{c}.18.198.in-addr.arpa."))
            .collect();
        let b = lame_server(&t.block, "s", "refused", &many);
        assert!(
            b.finding
                .message
                .contains(" lame (refused) for 30 zones (0.18.198"),
            "{}",
            b.finding.message
        );
        let listed = b.finding.details.iter().find(|d| d.key == "zones").unwrap();
        assert!(matches!(&listed.value, DetailValue::List(l) if l.len() == ZONES_LISTED));
        let count = b
            .finding
            .details
            .iter()
            .find(|d| d.key == "zone_count")
            .unwrap();
        assert_eq!(count.value, DetailValue::Count(30));
    }
}
