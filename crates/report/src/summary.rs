//! Counts by status, overall and per datacenter and block, built one record at
//! a time with memory bounded by the number of blocks.

use std::collections::HashMap;
use std::sync::Arc;

use ptr_audit_model::{AddressRecord, BlockInfo, BlockKey, FindingCode, Status};

/// Address counts by status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Addresses counted.
    pub total: u64,
    by_status: [u64; Status::COUNT],
}

/// Every status, in report order: `ok`, then the codes in tie-break order.
pub fn all_statuses() -> impl Iterator<Item = Status> {
    Status::all()
}

impl Counts {
    /// Counts one address.
    pub fn add(&mut self, status: Status) {
        self.total += 1;
        self.by_status[status.index()] += 1;
    }

    /// Addresses with this status.
    pub fn get(&self, status: Status) -> u64 {
        self.by_status[status.index()]
    }

    /// Addresses whose status is not `ok`.
    pub fn failing(&self) -> u64 {
        self.total - self.get(Status::Ok)
    }

    /// Every status with its count (zeros included), in report order.
    pub fn iter(&self) -> impl Iterator<Item = (Status, u64)> + '_ {
        all_statuses().map(|s| (s, self.get(s)))
    }

    fn merge(&mut self, other: &Counts) {
        self.total += other.total;
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
    }
}

/// One block's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    /// The block.
    pub block: Arc<BlockInfo>,
    /// Its addresses by status.
    pub counts: Counts,
}

/// One datacenter's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatacenterSummary {
    /// The datacenter's name.
    pub name: Arc<str>,
    /// Its addresses by status.
    pub counts: Counts,
}

/// The counts of a whole report. Orders are deterministic whatever order the
/// records came in: datacenters by name, blocks by datacenter then address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every address by status.
    pub total: Counts,
    /// Findings per code (an address can have several findings), in
    /// [`FindingCode::ALL`] order.
    pub findings: Vec<(FindingCode, u64)>,
    /// Per datacenter.
    pub datacenters: Vec<DatacenterSummary>,
    /// Per block.
    pub blocks: Vec<BlockSummary>,
}

impl Summary {
    /// The summary of a complete set of records.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a AddressRecord>) -> Summary {
        let mut b = SummaryBuilder::new();
        for r in records {
            b.observe(r);
        }
        b.finish()
    }
}

/// Builds a [`Summary`] from records observed one by one.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    /// Index into `list` by block key.
    blocks: HashMap<BlockKey, usize>,
    list: Vec<BlockSummary>,
    /// The block of the last record and its index: records of one block
    /// mostly follow each other, and then need no lookup.
    last: Option<(Arc<BlockInfo>, usize)>,
    findings: [u64; FindingCode::ALL.len()],
}

impl SummaryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record.
    pub fn observe(&mut self, rec: &AddressRecord) {
        self.observe_parts(
            &rec.target.block,
            rec.status,
            rec.findings.iter().map(|f| f.code),
        );
    }

    /// Counts one record given as its block, status and finding codes (for
    /// records read back without building model records).
    pub(crate) fn observe_parts(
        &mut self,
        block: &Arc<BlockInfo>,
        status: Status,
        codes: impl Iterator<Item = FindingCode>,
    ) {
        let i = match &self.last {
            Some((b, i)) if Arc::ptr_eq(b, block) => *i,
            _ => {
                let i = self.index(block);
                self.last = Some((block.clone(), i));
                i
            }
        };
        self.list[i].counts.add(status);
        for code in codes {
            self.findings[Status::Finding(code).index() - 1] += 1;
        }
    }

    /// Makes sure a block appears in the summary even if none of its addresses
    /// were recorded (e.g. an interrupted scan).
    pub fn add_block(&mut self, block: &Arc<BlockInfo>) {
        self.index(block);
    }

    /// The index of `block`'s entry in `list`, made when missing.
    fn index(&mut self, block: &Arc<BlockInfo>) -> usize {
        let list = &mut self.list;
        *self.blocks.entry(block.key()).or_insert_with(|| {
            list.push(BlockSummary {
                block: block.clone(),
                counts: Counts::default(),
            });
            list.len() - 1
        })
    }

    /// The summary so far.
    pub fn finish(&self) -> Summary {
        let mut blocks: Vec<BlockSummary> = self.list.clone();
        blocks.sort_by_key(|b| b.block.key());
        let mut datacenters: Vec<DatacenterSummary> = Vec::new();
        let mut total = Counts::default();
        for b in &blocks {
            total.merge(&b.counts);
            match datacenters.last_mut() {
                Some(dc) if dc.name == b.block.datacenter => dc.counts.merge(&b.counts),
                _ => datacenters.push(DatacenterSummary {
                    name: b.block.datacenter.clone(),
                    counts: b.counts.clone(),
                }),
            }
        }
        Summary {
            total,
            findings: FindingCode::ALL.into_iter().zip(self.findings).collect(),
            datacenters,
            blocks,
        }
    }
}
