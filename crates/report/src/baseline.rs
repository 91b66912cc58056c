//! Baselines (`--baseline`): the findings of a previous report, so the gate
//! fails only on new ones and counts the fixed.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use ptr_audit_model::{BlockFinding, FindingCode};

use crate::ReportDoc;

/// The findings of a previous report, identified by (address, code) and, for
/// block findings, by [`BlockFindingKey`].
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    by_ip: HashMap<IpAddr, Vec<FindingCode>>,
    blocks: HashSet<BlockFindingKey>,
    path: PathBuf,
}

/// A block finding as reports compare it: the block's CIDR and the code.
/// Unlike [`ptr_audit_model::BlockKey`] it leaves the datacenter out, as an
/// address finding is matched by its address alone: a block moved to another
/// datacenter keeps its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BlockFindingKey {
    /// The block.
    pub(crate) cidr: IpNet,
    /// The finding's code.
    pub(crate) code: FindingCode,
}

impl BlockFindingKey {
    /// The key of `bf`.
    pub(crate) fn of(bf: &BlockFinding) -> BlockFindingKey {
        BlockFindingKey {
            cidr: bf.block.cidr,
            code: bf.finding.code,
        }
    }
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
            blocks: doc.block_findings.iter().map(BlockFindingKey::of).collect(),
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

    /// The baseline's block findings.
    pub(crate) fn blocks(&self) -> &HashSet<BlockFindingKey> {
        &self.blocks
    }

    /// The report it was read from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
