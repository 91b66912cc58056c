//! Baselines (`--baseline`): the findings of a previous report, so the gate
//! fails only on new ones and counts the fixed.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use ptr_audit_model::FindingCode;

use crate::ReportDoc;

/// The findings of a previous report, identified by (address, code) and, for
/// block findings, (block, code).
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    by_ip: HashMap<IpAddr, Vec<FindingCode>>,
    blocks: HashSet<(IpNet, FindingCode)>,
    path: PathBuf,
}

impl Baseline {
    /// The findings of a report already read.
    pub fn from_doc(doc: &ReportDoc) -> Baseline {
        let mut by_ip: HashMap<IpAddr, Vec<FindingCode>> = HashMap::new();
        for r in &doc.records {
            if !r.findings.is_empty() {
                by_ip
                    .entry(r.target.ip)
                    .or_default()
                    .extend(r.findings.iter().map(|f| f.code));
            }
        }
        Baseline {
            by_ip,
            blocks: doc
                .block_findings
                .iter()
                .map(|b| (b.block.cidr, b.finding.code))
                .collect(),
            path: doc.path.clone(),
        }
    }

    /// Number of findings in the baseline.
    pub fn len(&self) -> usize {
        self.by_ip.values().map(Vec::len).sum::<usize>() + self.blocks.len()
    }

    /// True when the baseline holds no finding.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The codes of the findings the baseline holds for `ip`.
    pub(crate) fn codes_at(&self, ip: IpAddr) -> Option<&[FindingCode]> {
        self.by_ip.get(&ip).map(Vec::as_slice)
    }

    /// The baseline's block findings: (block, code).
    pub(crate) fn blocks(&self) -> &HashSet<(IpNet, FindingCode)> {
        &self.blocks
    }

    /// The report it was read from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
