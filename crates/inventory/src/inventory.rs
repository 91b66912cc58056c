//! [`Inventory`]: the merged, checked inventory, with its addresses in scope
//! counted and indexed arithmetically.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{
    BlockInfo, DatacenterStatus, Policy, Provider, SeverityOverrides, SourceLocation, Target,
};

use crate::diag::Diagnostic;
use crate::scope::{self, Segment, bounds, from_u128, to_u128};
use crate::template::Template;

/// The most addresses an IPv6 block may have without a `sample` (2^24).
pub const MAX_UNSAMPLED_V6: u128 = 1 << 24;

/// An IO-level failure: an input could not be read at all. Problems inside an
/// input are [`Diagnostic`]s instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file, directory or standard input could not be read (or an argument
    /// is neither a path nor a CIDR or address).
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The path (`-` for standard input).
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not UTF-8 text.
    #[error("`{}` is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The path.
        path: PathBuf,
    },
}

/// How a large (IPv6) block is sampled: `first` addresses from `offset` on,
/// of the block or of each of its `/per_subnet` subnets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// How many addresses to take.
    pub first: u64,
    /// Take them in every subnet of this prefix length instead of once in the block.
    pub per_subnet: Option<u8>,
    /// The offset of the first address taken (0 is the network address).
    pub offset: u64,
}

/// A datacenter of the inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datacenter {
    /// Its name (`-` for plain CIDR input).
    pub name: Arc<str>,
    /// Where it stands in a migration.
    pub status: DatacenterStatus,
    /// Where its addresses came from, when migrating or migrated.
    pub migrated_from: Option<Arc<str>>,
    /// When the migration finished (`YYYY-MM-DD`).
    pub migrated_at: Option<String>,
    /// A free-form note.
    pub note: Option<String>,
    /// Where it is written.
    pub source: SourceLocation,
}

/// A per-address expectation (e.g. a customer's rDNS request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The address.
    pub ip: IpAddr,
    /// The PTR it should have, as written.
    pub ptr: String,
    /// Where it is written.
    pub source: SourceLocation,
}

/// What the inventory says about a block beyond [`BlockInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockDetail {
    /// The parsed `expect_ptr` template.
    pub template: Option<Template>,
    /// The excluded networks.
    pub excludes: Vec<IpNet>,
    /// The sampling, for large IPv6 blocks.
    pub sample: Option<Sample>,
    /// An optional name.
    pub name: Option<String>,
    /// A free-form note.
    pub note: Option<String>,
    /// Addresses of the block in scope (0 for `reserved`).
    pub in_scope: u64,
}

/// The result of [`load`]: the inventory and every diagnostic found.
#[derive(Debug)]
pub struct Loaded {
    /// The inventory, built from what was valid. Only use it for a scan when
    /// [`Loaded::has_errors`] is false.
    pub inventory: Inventory,
    /// Errors and warnings, in input order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// True when some diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A merged, checked inventory.
#[derive(Debug)]
pub struct Inventory {
    /// The provider section (empty when no input had one).
    pub provider: Provider,
    /// The provider's `default_ptr` templates, parsed (same order as `provider.default_ptr`).
    pub default_ptr: Vec<Template>,
    /// The datacenters, in input order.
    pub datacenters: Vec<Datacenter>,
    /// The blocks, sorted by address (IPv4 first).
    pub blocks: Vec<Arc<BlockInfo>>,
    /// Per block (same index as `blocks`): template, excludes, sampling.
    pub details: Vec<BlockDetail>,
    /// The assignments, sorted by address.
    pub assignments: Vec<Assignment>,
    /// The top-level `resolvers:` (port 53 unless given).
    pub resolvers: Vec<SocketAddr>,
    /// The files read, in order (`-` for standard input, `<args>` for arguments).
    pub files: Vec<PathBuf>,
    assignment_index: HashMap<IpAddr, usize>,
    /// In-scope segments, sorted by (family, first address), with their block.
    segments: Vec<(Segment, bool, u32)>,
    /// `ends[i]`: the scope index one past segment i's last address.
    ends: Vec<u64>,
}

/// The addresses in scope of one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyCount {
    /// Blocks with this policy.
    pub blocks: usize,
    /// Addresses in scope (for `reserved`: addresses in the blocks, never scanned).
    pub addresses: u128,
}

/// One datacenter's line in a [`InventorySummary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatacenterTotals {
    /// The name.
    pub name: String,
    /// The status keyword.
    pub status: DatacenterStatus,
    /// Blocks and addresses per policy: mail, hosting, reserved.
    pub policies: [PolicyCount; 3],
}

/// What `validate` prints on success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventorySummary {
    /// The files read.
    pub files: Vec<PathBuf>,
    /// Per datacenter.
    pub datacenters: Vec<DatacenterTotals>,
    /// All blocks.
    pub blocks: usize,
    /// All assignments.
    pub assignments: usize,
    /// Addresses in scope in all.
    pub in_scope: u64,
    /// Totals per policy, in `Policy::ALL` order: mail, hosting, reserved.
    pub policies: [PolicyCount; 3],
}

impl Inventory {
    /// Assembles the inventory from checked parts (used by `check::build`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assemble(
        provider: Provider,
        default_ptr: Vec<Template>,
        datacenters: Vec<Datacenter>,
        mut blocks: Vec<(BlockInfo, BlockDetail)>,
        mut assignments: Vec<Assignment>,
        resolvers: Vec<SocketAddr>,
        files: Vec<PathBuf>,
    ) -> (Inventory, Vec<(usize, String)>) {
        blocks.sort_by_key(|a| a.0.cidr);
        assignments.sort_by_key(|a| a.ip);
        let assignment_index = assignments
            .iter()
            .enumerate()
            .map(|(i, a)| (a.ip, i))
            .collect();
        let mut problems = Vec::new();
        let mut segments = Vec::new();
        let mut details = Vec::with_capacity(blocks.len());
        let mut infos = Vec::with_capacity(blocks.len());
        for (i, (info, mut detail)) in blocks.into_iter().enumerate() {
            let segs = if info.policy == Policy::Reserved {
                Vec::new()
            } else {
                match block_segments(&info.cidr, detail.sample, &detail.excludes) {
                    Ok(segs) => segs,
                    Err(message) => {
                        problems.push((i, message));
                        Vec::new()
                    }
                }
            };
            let count: u128 = segs.iter().map(Segment::len).sum();
            detail.in_scope = u64::try_from(count).unwrap_or(u64::MAX);
            let v6 = info.cidr.addr().is_ipv6();
            segments.extend(segs.into_iter().map(|s| (s, v6, i as u32)));
            infos.push(Arc::new(info));
            details.push(detail);
        }
        segments.sort_by_key(|(s, v6, _)| (*v6, s.first()));
        let mut ends = Vec::with_capacity(segments.len());
        let mut total: u64 = 0;
        for (s, _, block) in &segments {
            match u64::try_from(s.len())
                .ok()
                .and_then(|l| total.checked_add(l))
            {
                Some(t) => total = t,
                None => {
                    problems.push((*block as usize, "the addresses in scope exceed 2^64".into()));
                    break;
                }
            }
            ends.push(total);
        }
        segments.truncate(ends.len());
        let inventory = Inventory {
            provider,
            default_ptr,
            datacenters,
            blocks: infos,
            details,
            assignments,
            resolvers,
            files,
            assignment_index,
            segments,
            ends,
        };
        (inventory, problems)
    }

    /// How many addresses are in scope: every block but `reserved` ones, less
    /// `exclude`s, with sampling applied.
    pub fn scope_len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// The `index`-th address in scope (in address order, IPv4 first), in
    /// O(log n). `None` when `index >= scope_len()`.
    pub fn target_at(&self, index: u64) -> Option<Target> {
        let seg = self.ends.partition_point(|&end| end <= index);
        let (segment, v6, block) = self.segments.get(seg)?;
        let start = if seg == 0 { 0 } else { self.ends[seg - 1] };
        let ip = from_u128(segment.nth(u128::from(index - start)), *v6);
        Some(self.target(ip, *block as usize))
    }

    /// The position of `ip` in scope (the inverse of [`Inventory::target_at`]).
    pub fn index_of(&self, ip: IpAddr) -> Option<u64> {
        let (v6, x) = (ip.is_ipv6(), to_u128(ip));
        let seg = self
            .segments
            .partition_point(|(s, f, _)| (*f, s.first()) <= (v6, x));
        let i = seg.checked_sub(1)?;
        let (segment, f, _) = &self.segments[i];
        if *f != v6 {
            return None;
        }
        let pos = segment.position(x)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start + u64::try_from(pos).ok()?)
    }

    /// Every address in scope, in order, lazily.
    pub fn targets(&self) -> Targets<'_> {
        Targets {
            inventory: self,
            segment: 0,
            offset: 0,
        }
    }

    fn target(&self, ip: IpAddr, block: usize) -> Target {
        let info = &self.blocks[block];
        Target {
            ip,
            block: Arc::clone(info),
            expected_ptr: self.expected_ptr_in(ip, block),
        }
    }

    fn expected_ptr_in(&self, ip: IpAddr, block: usize) -> Option<String> {
        if let Some(a) = self.assignment(ip) {
            return Some(a.ptr.clone());
        }
        let t = self.details[block].template.as_ref()?;
        t.render(ip, &self.blocks[block].datacenter)
    }

    /// The assignment for `ip`, if any.
    pub fn assignment(&self, ip: IpAddr) -> Option<&Assignment> {
        self.assignment_index
            .get(&ip)
            .map(|&i| &self.assignments[i])
    }

    /// The index (into `blocks`) of the block holding `ip`.
    pub fn block_index_of(&self, ip: IpAddr) -> Option<usize> {
        // Blocks are disjoint and sorted: the holder is the last one starting at or before `ip`.
        let i = self.blocks.partition_point(|b| b.cidr.network() <= ip);
        let i = i.checked_sub(1)?;
        self.blocks[i].cidr.contains(&ip).then_some(i)
    }

    /// The block holding `ip`.
    pub fn block_of(&self, ip: IpAddr) -> Option<&Arc<BlockInfo>> {
        self.block_index_of(ip).map(|i| &self.blocks[i])
    }

    /// The PTR expected for `ip`: its assignment, else its block's template.
    pub fn expected_ptr(&self, ip: IpAddr) -> Option<String> {
        match self.block_index_of(ip) {
            Some(b) => self.expected_ptr_in(ip, b),
            None => self.assignment(ip).map(|a| a.ptr.clone()),
        }
    }

    /// True when `ip` is one of the addresses in scope.
    pub fn in_scope(&self, ip: IpAddr) -> bool {
        self.index_of(ip).is_some()
    }

    /// The datacenter called `name`.
    pub fn datacenter(&self, name: &str) -> Option<&Datacenter> {
        self.datacenters.iter().find(|d| &*d.name == name)
    }

    /// Counts per datacenter and policy, for `validate`.
    pub fn summary(&self) -> InventorySummary {
        let mut dcs: Vec<DatacenterTotals> = self
            .datacenters
            .iter()
            .map(|d| DatacenterTotals {
                name: d.name.to_string(),
                status: d.status,
                policies: Default::default(),
            })
            .collect();
        let by_name: HashMap<&str, usize> = self
            .datacenters
            .iter()
            .enumerate()
            .rev()
            .map(|(i, d)| (&*d.name, i))
            .collect();
        let mut policies: [PolicyCount; 3] = Default::default();
        for (info, detail) in self.blocks.iter().zip(&self.details) {
            // `Policy::ALL` is in declaration order
            let p = info.policy as usize;
            let addresses = if info.policy == Policy::Reserved {
                let (lo, hi) = bounds(&info.cidr);
                (hi - lo).saturating_add(1)
            } else {
                u128::from(detail.in_scope)
            };
            let dc = by_name.get(&*info.datacenter).copied();
            for count in [&mut policies[p]]
                .into_iter()
                .chain(dc.map(|i| &mut dcs[i].policies[p]))
            {
                count.blocks += 1;
                count.addresses = count.addresses.saturating_add(addresses);
            }
        }
        InventorySummary {
            files: self.files.clone(),
            datacenters: dcs,
            blocks: self.blocks.len(),
            assignments: self.assignments.len(),
            in_scope: self.scope_len(),
            policies,
        }
    }

    /// The severity overrides that apply to block `i` (for callers building
    /// their own `BlockInfo`s).
    pub fn severities(&self, i: usize) -> &SeverityOverrides {
        &self.blocks[i].severities
    }
}

/// The in-scope segments of one block.
pub(crate) fn block_segments(
    cidr: &IpNet,
    sample: Option<Sample>,
    excludes: &[IpNet],
) -> Result<Vec<Segment>, String> {
    let (lo, hi) = bounds(cidr);
    let whole = match sample {
        None => Segment::range(lo, hi),
        Some(s) => {
            let start = lo + u128::from(s.offset);
            let run = u128::from(s.first);
            match s.per_subnet {
                Some(p) if p > cidr.prefix_len() => {
                    let host_bits = u32::from(cidr.max_prefix_len() - p);
                    let stride = 1u128
                        .checked_shl(host_bits)
                        .ok_or_else(|| "`per_subnet` is too large".to_owned())?;
                    let runs = 1u128
                        .checked_shl(u32::from(p - cidr.prefix_len()))
                        .filter(|r| *r <= u128::from(u64::MAX))
                        .ok_or_else(|| {
                            format!("`sample` selects more than 2^64 subnets of block `{cidr}`")
                        })?;
                    Segment {
                        start,
                        stride,
                        run,
                        runs,
                    }
                }
                _ => Segment::range(start, start + run - 1),
            }
        }
    };
    if whole.len() > u128::from(u64::MAX) {
        return Err(format!(
            "block `{cidr}` has more than 2^64 addresses in scope"
        ));
    }
    let mut cuts: Vec<(u128, u128)> = excludes.iter().map(bounds).collect();
    cuts.sort_unstable();
    Ok(scope::subtract_all(vec![whole], &cuts))
}

/// The addresses in scope, in order: see [`Inventory::targets`].
#[derive(Debug)]
pub struct Targets<'a> {
    inventory: &'a Inventory,
    segment: usize,
    offset: u128,
}

impl Iterator for Targets<'_> {
    type Item = Target;

    fn next(&mut self) -> Option<Target> {
        loop {
            let (seg, v6, block) = self.inventory.segments.get(self.segment)?;
            if self.offset < seg.len() {
                let ip = from_u128(seg.nth(self.offset), *v6);
                self.offset += 1;
                return Some(self.inventory.target(ip, *block as usize));
            }
            self.segment += 1;
            self.offset = 0;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let done = if self.segment == 0 {
            0
        } else {
            self.inventory
                .ends
                .get(self.segment - 1)
                .copied()
                .unwrap_or(0)
        };
        let done = done.saturating_add(u64::try_from(self.offset).unwrap_or(u64::MAX));
        let left = self.inventory.scope_len().saturating_sub(done);
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}
