//! [`AuditRun`]: one scan's audit, from its first record to its block
//! findings. Every address of the scope is audited once
//! ([`Classifier::audit`]), whether the scanner answered it now or a
//! checkpoint of an interrupted run holds it; the [`BlockTally`] is fed from
//! the same judgement of the first name; the lame servers of `--authoritative`
//! are grouped per block ([`LameServers`]); [`AuditRun::finish`] gives the
//! block findings.

use std::sync::Arc;

use ptr_audit_inventory::Inventory;
use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo, Lookup, Target};

use crate::authoritative::LameServers;
use crate::{BlockTally, Classifier, Servers};

/// One scan's audit over an inventory's scope (see the module docs).
///
/// ```
/// use ptr_audit_classify::{AuditRun, Classifier, Servers};
/// use ptr_audit_model::{Lookup, PtrAnswer};
///
/// let text = "203.0.113.0/30\n".to_owned();
/// let inventory = ptr_audit_inventory::load_texts(vec![("<args>".into(), text)]).inventory;
/// let classifier = Classifier::new(&inventory.provider).unwrap();
/// let mut run = AuditRun::new(&inventory, classifier, false);
/// for i in 0..inventory.scope_len() {
///     let target = inventory.target_at(i).unwrap();
///     let lookup = Lookup {
///         rcode: None,
///         answer: PtrAnswer::NxDomain,
///         cname_chain: Vec::new(),
///         attempts: 1,
///         forward: Vec::new(),
///         dnsbl: Vec::new(),
///     };
///     let rec = run.audit(target, lookup, Servers::NotAsked);
///     assert_eq!(rec.findings[0].code.as_str(), "ptr-missing");
/// }
/// assert!(run.finish().is_empty());
/// ```
#[derive(Debug)]
pub struct AuditRun<'i> {
    inventory: &'i Inventory,
    classifier: Classifier,
    tally: BlockTally,
    lame: LameServers,
    /// The scope indexes resumed from a checkpoint.
    resumed: ScopeSet,
    /// Whether the scan asks the authoritative servers (then a resumed
    /// record keeps its `ptr-inconsistent` finding).
    authoritative: bool,
}

impl<'i> AuditRun<'i> {
    /// An audit of `inventory`'s scope with `classifier` (made for its
    /// provider); `authoritative` when the scan asks every authoritative
    /// server too (`scan --authoritative`).
    pub fn new(inventory: &'i Inventory, classifier: Classifier, authoritative: bool) -> Self {
        AuditRun {
            inventory,
            classifier,
            tally: BlockTally::new(),
            lame: LameServers::default(),
            resumed: ScopeSet::default(),
            authoritative,
        }
    }

    /// The record of an address the scanner answered ([`Classifier::audit`]),
    /// counted in the block tally.
    pub fn audit(&mut self, target: Target, lookup: Lookup, servers: Servers<'_>) -> AddressRecord {
        let (rec, judged) = self.classifier.audit_judged(target, lookup, servers);
        if let Some(judged) = judged {
            self.tally.observe_judged(&rec.target, &rec.lookup, judged);
        }
        rec
    }

    /// The record of an address read back from a checkpoint, derived again
    /// from this inventory (its block, policy and expectation as they are
    /// now), so that it is the record an uninterrupted scan would have
    /// written. `None` for an address outside the scope or one resumed
    /// already. Without the servers' answers, a `ptr-inconsistent` finding
    /// the record holds is kept in authoritative mode
    /// ([`Servers::Recorded`]).
    pub fn resume(&mut self, stored: AddressRecord) -> Option<AddressRecord> {
        let index = self.inventory.index_of(stored.target.ip)?;
        let target = self.inventory.target_at(index)?;
        if !self.resumed.insert(index) {
            return None;
        }
        let servers = if self.authoritative {
            Servers::Recorded(&stored.findings)
        } else {
            Servers::NotAsked
        };
        Some(self.audit(target, stored.lookup, servers))
    }

    /// How many addresses were resumed.
    pub fn resumed(&self) -> u64 {
        self.resumed.len
    }

    /// The targets of `targets` not resumed so far (what is left to scan).
    pub fn remaining<T>(&self, targets: T) -> impl Iterator<Item = Target> + use<'i, T>
    where
        T: Iterator<Item = Target>,
    {
        let inventory = self.inventory;
        let resumed = self.resumed.clone();
        targets.filter(move |t| {
            resumed.len == 0
                || inventory
                    .index_of(t.ip)
                    .is_none_or(|i| !resumed.contains(i))
        })
    }

    /// Notes an authoritative server that gave no usable answer for `zone`
    /// ([`LameServers::add`]).
    pub fn lame_server(
        &mut self,
        zone: &str,
        blocks: &[Arc<BlockInfo>],
        server: &str,
        reason: &str,
    ) {
        self.lame.add(zone, blocks, server, reason);
    }

    /// The block findings: the placeholder names ([`BlockTally::finish`]),
    /// then the lame servers ([`LameServers::findings`]).
    pub fn finish(self) -> Vec<BlockFinding> {
        let mut out = self.tally.finish();
        out.extend(self.lame.findings());
        out
    }
}

/// A set of scope indexes, one bit each (a /16 costs 8 KiB, however large
/// its records).
#[derive(Clone, Debug, Default)]
struct ScopeSet {
    bits: Vec<u64>,
    len: u64,
}

impl ScopeSet {
    /// Adds `index`; false when it was in already.
    fn insert(&mut self, index: u64) -> bool {
        let (word, bit) = ((index / 64) as usize, index % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        let fresh = self.bits[word] & (1 << bit) == 0;
        self.bits[word] |= 1 << bit;
        self.len += u64::from(fresh);
        fresh
    }

    fn contains(&self, index: u64) -> bool {
        self.bits
            .get((index / 64) as usize)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use ptr_audit_model::{DnsName, Finding, FindingCode, PtrAnswer, ServerAnswer, Severity};

    use super::*;
    use crate::tally::address_derived;

    fn c(inv: &Inventory) -> Classifier {
        Classifier::new(&inv.provider).unwrap()
    }

    fn inventory() -> Inventory {
        let yaml = "version: 1
datacenters:
  - name: fra1
    blocks:
      - cidr: 203.0.113.0/25
        policy: hosting
      - cidr: 203.0.113.128/25
        policy: mail
        expect_ptr: \"mail{d}.example.net\"
";
        let loaded = ptr_audit_inventory::load_texts(vec![("inv.yaml".into(), yaml.to_owned())]);
        assert!(!loaded.has_errors());
        loaded.inventory
    }

    fn lookup(names: &[&str]) -> Lookup {
        Lookup {
            rcode: None,
            answer: PtrAnswer::Names(
                names
                    .iter()
                    .map(|n| DnsName::from_presentation(n))
                    .collect(),
            ),
            cname_chain: Vec::new(),
            attempts: 1,
            forward: Vec::new(),
            dnsbl: Vec::new(),
        }
    }

    /// Names that exercise every way the tally skips or counts one: shared
    /// placeholders in mixed case (valid and invalid), the address itself
    /// (valid, and inside an invalid name, where the judgement does not look
    /// for it), one address's name used by its neighbours, the expected name with and
    /// without its dot and in another case, the root, several names.
    fn first_names(ip: IpAddr, d: u8) -> Vec<String> {
        let dashed = ip.to_string().replace('.', "-");
        match d % 9 {
            0 => vec!["Hosted-By.Example.NET.".to_owned()],
            1 => vec![format!("static-{dashed}.example.net.")],
            2 => vec![format!("mail_{dashed}.example.net.")],
            3 => vec!["mail_198-51-100-5.example.net.".to_owned()],
            4 => vec![format!("MAIL{d}.example.net")],
            5 => vec![".".to_owned()],
            6 => vec![
                "bad_name.example.net.".to_owned(),
                "x.example.net.".to_owned(),
            ],
            7 => vec![
                format!("mail{d}.example.net."),
                "hosted-by.example.net.".to_owned(),
            ],
            _ => vec!["203-0-113-5.example.net.".to_owned()],
        }
    }

    #[test]
    fn the_tally_fed_from_the_audit_counts_what_observe_counts() {
        let inv = inventory();
        let mut run = AuditRun::new(&inv, c(&inv), false);
        run.tally = BlockTally::with_limits(2, 1, 1024);
        let mut observed = BlockTally::with_limits(2, 1, 1024);
        for i in 0..inv.scope_len() {
            let target = inv.target_at(i).unwrap();
            let names = first_names(target.ip, i as u8);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            observed.observe(&target, &lookup(&names));
            run.audit(target, lookup(&names), Servers::NotAsked);
        }
        let (by_audit, by_observe) = (run.finish(), observed.finish());
        let shared: Vec<Option<&str>> = by_audit.iter().map(|f| f.finding.text("name")).collect();
        assert!(
            shared.contains(&Some("hosted-by.example.net")),
            "{shared:?}"
        );
        assert!(
            shared.contains(&Some("mail_198-51-100-5.example.net")),
            "{shared:?}"
        );
        // the network part of the address is in it: derived from every neighbour's
        assert!(
            !shared.contains(&Some("203-0-113-5.example.net")),
            "{shared:?}"
        );
        assert_eq!(by_audit, by_observe);
    }

    #[test]
    fn the_judgement_says_whether_a_name_encodes_its_address_as_the_tally_would() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/names.tsv");
        let text = std::fs::read_to_string(path).unwrap();
        let c = Classifier::new(&Default::default()).unwrap();
        let mut looked = 0;
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut cols = line.split('\t');
            let (Some(ip), Some(name)) = (cols.next(), cols.next()) else {
                continue;
            };
            let ip: IpAddr = ip.parse().unwrap();
            let (_, encodes) = c.judge_parts(ip, name, Some("fra1"));
            let lower = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
            if let Some(encodes) = encodes {
                looked += 1;
                assert_eq!(
                    encodes,
                    address_derived(ip, lower.as_bytes()),
                    "{ip} {name}"
                );
            }
        }
        assert!(looked > 100, "{looked}");
    }

    #[test]
    fn resume_rederives_each_address_once_and_skips_what_is_out_of_scope() {
        let inv = inventory();
        let mut run = AuditRun::new(&inv, c(&inv), false);
        let stored = |ip: &str, names: &[&str]| {
            let mut target = inv.target_at(0).unwrap();
            target.ip = ip.parse().unwrap();
            // a stale expectation: the record is re-derived from this inventory
            target.expected_ptr = Some("old.example.net".into());
            Classifier::new(&Default::default()).unwrap().audit(
                target,
                lookup(names),
                Servers::NotAsked,
            )
        };
        let rec = run.resume(stored("203.0.113.130", &["mail130.example.net."]));
        let rec = rec.expect("in scope");
        assert!(
            rec.findings.is_empty()
                || rec
                    .findings
                    .iter()
                    .all(|f| f.code != FindingCode::PtrUnexpected)
        );
        assert_eq!(
            rec.target.expected_ptr.as_deref(),
            Some("mail130.example.net")
        );
        assert!(
            run.resume(stored("203.0.113.130", &["x.example.net."]))
                .is_none()
        );
        assert!(
            run.resume(stored("198.51.100.1", &["x.example.net."]))
                .is_none()
        );
        assert!(
            run.resume(stored("203.0.113.1", &["x.example.net."]))
                .is_some()
        );
        assert_eq!(run.resumed(), 2);
        let left: Vec<String> = run
            .remaining((0..inv.scope_len()).map(|i| inv.target_at(i).unwrap()))
            .map(|t| t.ip.to_string())
            .collect();
        assert_eq!(left.len() as u64, inv.scope_len() - 2);
        assert!(!left.contains(&"203.0.113.130".to_owned()));
        assert!(!left.contains(&"203.0.113.1".to_owned()));
        // resuming goes on after `remaining`: it still knows what it holds
        assert!(
            run.resume(stored("203.0.113.1", &["x.example.net."]))
                .is_none()
        );
    }

    #[test]
    fn resume_keeps_a_recorded_inconsistency_only_in_authoritative_mode() {
        let inv = inventory();
        let target = inv.target_at(3).unwrap();
        let answers = [
            ServerAnswer {
                server: "a".into(),
                answer: PtrAnswer::Names(vec![DnsName::from_presentation("x.example.net.")]),
            },
            ServerAnswer {
                server: "b".into(),
                answer: PtrAnswer::NxDomain,
            },
        ];
        let mut scanning = AuditRun::new(&inv, c(&inv), true);
        let rec = scanning.audit(
            target,
            lookup(&["x.example.net."]),
            Servers::Answered(&answers),
        );
        let inconsistent = |r: &AddressRecord| {
            r.findings
                .iter()
                .any(|f: &Finding| f.code == FindingCode::PtrInconsistent)
        };
        assert!(inconsistent(&rec));
        let again = AuditRun::new(&inv, c(&inv), true)
            .resume(rec.clone())
            .unwrap();
        assert!(inconsistent(&again));
        assert_eq!(again, rec);
        let plain = AuditRun::new(&inv, c(&inv), false).resume(rec).unwrap();
        assert!(!inconsistent(&plain));
        assert!(plain.findings.iter().all(|f| f.severity <= Severity::Error));
    }

    #[test]
    fn lame_servers_become_one_block_finding_per_block_server_and_reason() {
        let inv = inventory();
        let mut run = AuditRun::new(&inv, c(&inv), true);
        let (low, high) = (&inv.blocks[0], &inv.blocks[1]);
        let both = [Arc::clone(high), Arc::clone(low)];
        run.lame_server("113.0.203.in-addr.arpa.", &both, "s2", "refused");
        run.lame_server(
            "1.113.0.203.in-addr.arpa.",
            &[Arc::clone(low)],
            "s2",
            "refused",
        );
        run.lame_server("113.0.203.in-addr.arpa.", &both, "s1", "timeout");
        let out = run.finish();
        let seen: Vec<(String, &str, &str, usize)> = out
            .iter()
            .map(|b| {
                let zones = match b.finding.details.iter().find(|d| d.key == "zone_count") {
                    Some(d) => match d.value {
                        ptr_audit_model::DetailValue::Count(n) => n as usize,
                        _ => 0,
                    },
                    None => 0,
                };
                (
                    b.block.cidr.to_string(),
                    b.finding.text("server").unwrap(),
                    b.finding.text("reason").unwrap(),
                    zones,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("203.0.113.0/25".to_owned(), "s1", "timeout", 1),
                ("203.0.113.0/25".to_owned(), "s2", "refused", 2),
                ("203.0.113.128/25".to_owned(), "s1", "timeout", 1),
                ("203.0.113.128/25".to_owned(), "s2", "refused", 1),
            ]
        );
    }
}
