//! The CI gate: whether a run fails, and why. Findings at or above `--fail-on`
//! fail the run, except those suppressed, those already in the baseline, and
//! `lookup-failed`, which is judged by its share of addresses (`--max-unknown`).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockFinding, FindingCode, Severity, SourceLocation};

use crate::baseline::BlockFindingKey;
use crate::time::Date;
use crate::{Baseline, SuppressScope, Suppressions};

/// What the gate is told by the command line.
#[derive(Clone, Debug)]
pub struct GateOptions {
    /// The lowest severity that fails the run (`--fail-on`, default `error`).
    pub fail_on: Severity,
    /// The share of addresses, in percent, that may end `lookup-failed`
    /// before the run fails (`--max-unknown`, default 1).
    pub max_unknown_percent: f64,
    /// Findings of a previous run that do not count (`--baseline`).
    pub baseline: Option<Baseline>,
    /// Findings accepted on purpose (`--suppress`).
    pub suppressions: Option<Suppressions>,
    /// The date suppression expiry is judged against (today, UTC, in real runs).
    pub today: Date,
}

impl Default for GateOptions {
    fn default() -> Self {
        Self {
            fail_on: Severity::Error,
            max_unknown_percent: 1.0,
            baseline: None,
            suppressions: None,
            today: crate::time::today(),
        }
    }
}

/// Baseline comparison counts, over all findings that were not suppressed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineCounts {
    /// Findings not in the baseline.
    pub new: u64,
    /// Baseline findings of addresses (or blocks) scanned again that are gone now.
    pub fixed: u64,
    /// Findings present in both.
    pub unchanged: u64,
    /// The baseline file.
    pub path: PathBuf,
}

/// A suppression whose date has passed: it no longer suppresses anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredSuppression {
    /// What it suppressed: an address or a block.
    pub scope: SuppressScope,
    /// The finding code.
    pub code: FindingCode,
    /// The last day it applied.
    pub expires: Date,
    /// Why it was added.
    pub reason: String,
    /// Where it is written.
    pub source: SourceLocation,
    /// Findings of this run it would have suppressed.
    pub matched: u64,
}

/// The gate's decision and the figures behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct GateOutcome {
    /// True when the run fails (exit 1).
    pub failed: bool,
    /// One line per reason the run failed, for people.
    pub reasons: Vec<String>,
    /// The fail level used.
    pub fail_on: Severity,
    /// The `--max-unknown` used, in percent.
    pub max_unknown_percent: f64,
    /// Addresses observed.
    pub addresses: u64,
    /// Findings that count toward failure (at or above `fail_on`, not
    /// suppressed, new when there is a baseline, not `lookup-failed`).
    pub failing: u64,
    /// Addresses whose PTR is unknown (`lookup-failed`, not suppressed).
    pub unknown: u64,
    /// Findings suppressed by an active suppression.
    pub suppressed: u64,
    /// Baseline figures, when a baseline was given.
    pub baseline: Option<BaselineCounts>,
    /// Suppressions past their expiry date.
    pub expired: Vec<ExpiredSuppression>,
}

impl GateOutcome {
    /// The share of unknown addresses, in percent (0 when nothing was observed).
    pub fn unknown_percent(&self) -> f64 {
        percent(self.unknown, self.addresses)
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A percentage for messages: at most two decimals, no trailing zeros (`12.5`, `1`).
pub(crate) fn fmt_percent(p: f64) -> String {
    let s = format!("{p:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// How the gate judged one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judged {
    /// It counts toward failure.
    Counts,
    /// Its severity is below `--fail-on`.
    BelowFailLevel,
    /// It is in the baseline (unchanged), so it does not count.
    InBaseline,
    /// An active suppression covers it.
    Suppressed {
        /// The suppression's reason.
        reason: String,
    },
    /// `lookup-failed`: judged by the unknown share, not one by one.
    Unknown,
}

/// How the gate judged one address: one [`Judged`] per finding, in the
/// record's finding order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressJudgement {
    /// Per finding.
    pub findings: Vec<Judged>,
    /// Per finding, when a baseline was given: whether it is in the baseline
    /// (`unchanged`) or not (`new`). Empty without a baseline; suppressed
    /// findings are not compared.
    pub in_baseline: Vec<Option<bool>>,
}

impl AddressJudgement {
    /// True when some finding counts toward failure.
    pub fn counts(&self) -> bool {
        self.findings.contains(&Judged::Counts)
    }

    /// The judgement of finding `i`, `Counts` when unknown.
    pub fn of(&self, i: usize) -> &Judged {
        self.findings.get(i).unwrap_or(&Judged::Counts)
    }

    /// The suppression reason when every finding is suppressed.
    pub fn all_suppressed(&self) -> Option<&str> {
        let mut reason = None;
        for j in &self.findings {
            match j {
                Judged::Suppressed { reason: r } => reason = reason.or(Some(r.as_str())),
                _ => return None,
            }
        }
        reason
    }
}

/// The gate, fed records as the scan produces them.
#[derive(Debug)]
pub struct Gate {
    options: GateOptions,
    addresses: u64,
    failing: u64,
    failing_codes: [u64; FindingCode::ALL.len()],
    unknown: u64,
    suppressed: u64,
    new: u64,
    fixed: u64,
    unchanged: u64,
    expired_hits: HashMap<usize, u64>,
    blocks_seen: HashSet<IpNet>,
    /// The block of the last record (already in `blocks_seen`).
    last_block: Option<IpNet>,
    block_findings: HashSet<BlockFindingKey>,
}

impl Gate {
    /// A gate with these options.
    pub fn new(options: GateOptions) -> Self {
        Self {
            options,
            addresses: 0,
            failing: 0,
            failing_codes: [0; FindingCode::ALL.len()],
            unknown: 0,
            suppressed: 0,
            new: 0,
            fixed: 0,
            unchanged: 0,
            expired_hits: HashMap::new(),
            blocks_seen: HashSet::new(),
            last_block: None,
            block_findings: HashSet::new(),
        }
    }

    /// The options it was built with.
    pub fn options(&self) -> &GateOptions {
        &self.options
    }

    /// The reason of the active suppression covering the finding, if any;
    /// counts the expired ones that would have covered it.
    fn suppressed(
        &mut self,
        ip: Option<IpAddr>,
        block: IpNet,
        code: FindingCode,
    ) -> Option<String> {
        let sup = self.options.suppressions.as_ref()?;
        let mut active = None;
        for (i, s) in sup.entries.iter().enumerate() {
            if s.code != code || !s.scope.covers(ip, block) {
                continue;
            }
            if s.expired(self.options.today) {
                *self.expired_hits.entry(i).or_default() += 1;
            } else if active.is_none() {
                active = Some(s.reason.clone());
            }
        }
        active
    }

    fn count(
        &mut self,
        code: FindingCode,
        severity: Severity,
        in_baseline: Option<bool>,
    ) -> Judged {
        match in_baseline {
            Some(true) => self.unchanged += 1,
            Some(false) => self.new += 1,
            None => {}
        }
        if code == FindingCode::LookupFailed {
            Judged::Unknown
        } else if severity < self.options.fail_on {
            Judged::BelowFailLevel
        } else if in_baseline == Some(true) {
            Judged::InBaseline
        } else {
            self.failing += 1;
            let i = FindingCode::ALL
                .iter()
                .position(|c| *c == code)
                .unwrap_or(0);
            self.failing_codes[i] += 1;
            Judged::Counts
        }
    }

    /// Judges one address's findings.
    pub fn observe(&mut self, rec: &AddressRecord) -> AddressJudgement {
        let findings = || rec.findings.iter().map(|f| (f.code, f.severity));
        self.observe_parts(rec.target.ip, rec.target.block.cidr, findings)
    }

    /// Judges one address given as its address, block and findings' codes
    /// and severities (`findings` is called more than once).
    pub(crate) fn observe_parts<I: Iterator<Item = (FindingCode, Severity)>>(
        &mut self,
        ip: IpAddr,
        block: IpNet,
        findings: impl Fn() -> I,
    ) -> AddressJudgement {
        self.addresses += 1;
        if self.last_block != Some(block) {
            self.blocks_seen.insert(block);
            self.last_block = Some(block);
        }
        let mut unknown = false;
        let mut judged = Vec::with_capacity(findings().size_hint().0);
        // Kept only with a baseline (the judgement carries it only then).
        let has_baseline = self.options.baseline.is_some();
        let mut baseline_state = Vec::new();
        for (code, severity) in findings() {
            if let Some(reason) = self.suppressed(Some(ip), block, code) {
                self.suppressed += 1;
                judged.push(Judged::Suppressed { reason });
                if has_baseline {
                    baseline_state.push(None);
                }
                continue;
            }
            unknown |= code == FindingCode::LookupFailed;
            let in_baseline = self
                .options
                .baseline
                .as_ref()
                .map(|b| b.codes_at(ip).is_some_and(|codes| codes.contains(&code)));
            if has_baseline {
                baseline_state.push(in_baseline);
            }
            judged.push(self.count(code, severity, in_baseline));
        }
        if unknown {
            self.unknown += 1;
        }
        if let Some(codes) = self.options.baseline.as_ref().and_then(|b| b.codes_at(ip)) {
            self.fixed += codes
                .iter()
                .filter(|c| !findings().any(|(code, _)| code == **c))
                .count() as u64;
        }
        AddressJudgement {
            findings: judged,
            in_baseline: if self.options.baseline.is_some() {
                baseline_state
            } else {
                Vec::new()
            },
        }
    }

    /// Judges one block-level finding.
    pub fn observe_block(&mut self, bf: &BlockFinding) -> Judged {
        let key = BlockFindingKey::of(bf);
        self.block_findings.insert(key);
        if let Some(reason) = self.suppressed(None, key.cidr, key.code) {
            self.suppressed += 1;
            return Judged::Suppressed { reason };
        }
        let in_baseline = self
            .options
            .baseline
            .as_ref()
            .map(|b| b.blocks().contains(&key));
        self.count(key.code, bf.finding.severity, in_baseline)
    }

    /// The decision, once every record and block finding has been observed.
    pub fn finish(&self) -> GateOutcome {
        let o = &self.options;
        let mut reasons = Vec::new();
        if self.failing > 0 {
            let by_code: Vec<String> = FindingCode::ALL
                .iter()
                .zip(self.failing_codes)
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| format!("{n} `{}`", c.as_str()))
                .collect();
            let new = if o.baseline.is_some() { "new " } else { "" };
            reasons.push(format!(
                "{} {new}finding{} at or above `{}`: {}",
                self.failing,
                if self.failing == 1 { "" } else { "s" },
                o.fail_on.as_str(),
                by_code.join(", ")
            ));
        }
        let unknown_pct = percent(self.unknown, self.addresses);
        if self.unknown > 0 && unknown_pct > o.max_unknown_percent {
            reasons.push(format!(
                "{}% of addresses ({} of {}) got no answer (`lookup-failed`), above --max-unknown {}%",
                fmt_percent(unknown_pct),
                self.unknown,
                self.addresses,
                fmt_percent(o.max_unknown_percent)
            ));
        }
        let baseline = o.baseline.as_ref().map(|b| {
            let fixed_blocks = b
                .blocks()
                .iter()
                .filter(|k| self.blocks_seen.contains(&k.cidr))
                .filter(|k| !self.block_findings.contains(k))
                .count() as u64;
            BaselineCounts {
                new: self.new,
                fixed: self.fixed + fixed_blocks,
                unchanged: self.unchanged,
                path: b.path().to_path_buf(),
            }
        });
        let expired = o
            .suppressions
            .as_ref()
            .map(|s| {
                s.entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        let expires = e.expires.filter(|_| e.expired(o.today))?;
                        Some(ExpiredSuppression {
                            scope: e.scope,
                            code: e.code,
                            expires,
                            reason: e.reason.clone(),
                            source: e.source.clone(),
                            matched: self.expired_hits.get(&i).copied().unwrap_or(0),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        GateOutcome {
            failed: !reasons.is_empty(),
            reasons,
            fail_on: o.fail_on,
            max_unknown_percent: o.max_unknown_percent,
            addresses: self.addresses,
            failing: self.failing,
            unknown: self.unknown,
            suppressed: self.suppressed,
            baseline,
            expired,
        }
    }
}
