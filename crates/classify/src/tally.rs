//! [`BlockTally`]: placeholder names (one name shared by many addresses of a
//! block, e.g. `hosted-by.example.net`), found across a scan in bounded memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use ptr_audit_model::{
    BlockFinding, BlockInfo, BlockKey, Detail, DetailValue, DnsName, Finding, FindingCode, Lookup,
    PtrAnswer, Target,
};

use crate::findings::is_expected;
use crate::severity::for_block;

/// Per-block counts of the first PTR name of each address.
///
/// Names that encode their own address are skipped: they are unique per
/// address, so they can never be a shared placeholder, and they are what
/// fills large blocks. Memory is bounded: each block tracks at most `cap`
/// distinct names with the Misra–Gries heavy-hitter scheme (when full, a new
/// name decrements every count). Up to `cap` distinct names per block the
/// counts are exact and the result does not depend on the order addresses
/// were observed in (so merged shards equal one scan); beyond it any name
/// held by more than `1/(cap+1)` of a block's named addresses survives, with
/// `count` a lower bound.
#[derive(Debug)]
pub struct BlockTally {
    /// Index into `list` by block key.
    blocks: HashMap<BlockKey, usize>,
    list: Vec<Counts>,
    /// The block of the last counted address and its index: addresses of
    /// one block mostly follow each other, and then need no lookup.
    last: Option<(Arc<BlockInfo>, usize)>,
    /// The lowercased name being counted (reused).
    scratch: String,
    cap: usize,
    min_count: u64,
    min_share_percent: u64,
}

#[derive(Debug)]
struct Counts {
    block: Arc<BlockInfo>,
    named: u64,
    names: HashMap<Box<str>, u64, foldhash::fast::RandomState>,
}

impl Default for BlockTally {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockTally {
    /// Reports a name held by at least 4 addresses and 25% of a block's named
    /// addresses; tracks up to 1024 names per block.
    pub fn new() -> Self {
        Self::with_limits(4, 25, 1024)
    }

    /// Custom thresholds: at least `min_count` addresses and
    /// `min_share_percent` % of the block's named addresses; `cap` names
    /// tracked per block (at least 1).
    pub fn with_limits(min_count: u64, min_share_percent: u64, cap: usize) -> Self {
        BlockTally {
            blocks: HashMap::new(),
            list: Vec::new(),
            last: None,
            scratch: String::new(),
            cap: cap.max(1),
            min_count: min_count.max(2),
            min_share_percent,
        }
    }

    /// Counts one address's result. Addresses whose name is their expected
    /// one (shared by design) are not counted.
    pub fn observe(&mut self, target: &Target, lookup: &Lookup) {
        let Some(first) = first_name(lookup) else {
            return;
        };
        let expected = target
            .expected_ptr
            .as_deref()
            .is_some_and(|e| is_expected(first.as_str(), e));
        self.count(
            target.ip,
            &target.block,
            first.without_root(),
            expected,
            None,
        );
    }

    /// Counts one address given its first PTR name as written in a report
    /// (presentation form), for callers that hold no [`Lookup`] (`merge`
    /// reading records back); the same as [`BlockTally::observe`].
    pub fn observe_name(
        &mut self,
        ip: IpAddr,
        block: &Arc<BlockInfo>,
        expected_ptr: Option<&str>,
        first: &str,
    ) {
        // What `DnsName::without_root` gives for the name read back.
        let name = if first.is_empty() || first == "." {
            "."
        } else {
            first.strip_suffix('.').unwrap_or(first)
        };
        let expected = expected_ptr.is_some_and(|e| is_expected(name, e));
        self.count(ip, block, name, expected, None);
    }

    /// Counts one address whose first PTR name [`Classifier::audit`](crate::Classifier::audit)
    /// has judged: what the judgement found is not looked for again.
    pub(crate) fn observe_judged(&mut self, target: &Target, lookup: &Lookup, judged: Judged) {
        if judged.is_expected || judged.encodes_address == Some(true) {
            return;
        }
        let Some(first) = first_name(lookup) else {
            return;
        };
        self.count(
            target.ip,
            &target.block,
            first.without_root(),
            false,
            judged.encodes_address,
        );
    }

    /// Counts `first` (without its trailing dot) unless it is the expected
    /// name or encodes `ip` (`encodes_address`, or the check made here when
    /// no judgement made it).
    fn count(
        &mut self,
        ip: IpAddr,
        block: &Arc<BlockInfo>,
        first: &str,
        is_expected: bool,
        encodes_address: Option<bool>,
    ) {
        if is_expected {
            return;
        }
        let mut name = std::mem::take(&mut self.scratch);
        name.clear();
        name.push_str(first);
        name.make_ascii_lowercase();
        if !encodes_address.unwrap_or_else(|| address_derived(ip, name.as_bytes())) {
            self.count_lower(block, &name);
        }
        self.scratch = name;
    }

    fn count_lower(&mut self, block: &Arc<BlockInfo>, name: &str) {
        let i = match &self.last {
            Some((b, i)) if Arc::ptr_eq(b, block) => *i,
            _ => {
                let list = &mut self.list;
                let i = *self.blocks.entry(block.key()).or_insert_with(|| {
                    list.push(Counts {
                        block: block.clone(),
                        named: 0,
                        names: HashMap::default(),
                    });
                    list.len() - 1
                });
                self.last = Some((block.clone(), i));
                i
            }
        };
        let counts = &mut self.list[i];
        counts.named += 1;
        if let Some(c) = counts.names.get_mut(name) {
            *c += 1;
        } else if counts.names.len() < self.cap {
            counts.names.insert(name.into(), 1);
        } else {
            counts.names.retain(|_, c| {
                *c -= 1;
                *c > 0
            });
        }
    }

    /// How many names are tracked now, over all blocks (for tests and limits).
    pub fn tracked_names(&self) -> usize {
        self.list.iter().map(|c| c.names.len()).sum()
    }

    /// The placeholder findings (`ptr-generic`, detail `rule: placeholder`),
    /// ordered by block position in the inventory, then by count.
    pub fn finish(self) -> Vec<BlockFinding> {
        let mut out: Vec<(u64, Box<str>, BlockFinding)> = Vec::new();
        for counts in self.list {
            for (name, count) in counts.names {
                if count < self.min_count || count * 100 < counts.named * self.min_share_percent {
                    continue;
                }
                let block = counts.block.clone();
                let mut finding = Finding::new(
                    FindingCode::PtrGeneric,
                    for_block(&block, FindingCode::PtrGeneric),
                    format!(
                        "`{name}` is the ptr of {count} of the block's {} named addresses: a placeholder, not a name per host",
                        counts.named
                    ),
                )
                .with_text("rule", "placeholder")
                .with_list("kinds", vec!["placeholder".to_owned()])
                .with_text("name", &*name);
                finding.details.push(Detail {
                    key: "count",
                    value: DetailValue::Count(count),
                });
                out.push((count, name, BlockFinding { block, finding }));
            }
        }
        out.sort_by(|(ca, na, a), (cb, nb, b)| {
            let key = |f: &BlockFinding| {
                (
                    f.block.source.clone(),
                    f.block.cidr.network(),
                    f.block.cidr.prefix_len(),
                    f.block.datacenter.clone(),
                )
            };
            key(a).cmp(&key(b)).then(cb.cmp(ca)).then(na.cmp(nb))
        });
        out.into_iter().map(|(_, _, f)| f).collect()
    }
}

/// What the tally needs to know of an address's first PTR name, as
/// [`Classifier::audit`](crate::Classifier::audit) judged it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Judged {
    /// Whether the name encodes the address (`None`: the judgement did not
    /// look, as for an invalid name).
    pub encodes_address: Option<bool>,
    /// Whether the name is the one the inventory expects.
    pub is_expected: bool,
}

/// The first PTR name of a lookup.
fn first_name(lookup: &Lookup) -> Option<&DnsName> {
    match &lookup.answer {
        PtrAnswer::Names(names) => names.first(),
        _ => None,
    }
}

/// True when `name` (lowercase, no trailing dot) encodes `ip` itself.
pub(crate) fn address_derived(ip: IpAddr, name: &[u8]) -> bool {
    let mut ev = crate::Evidence::default();
    crate::encoded::check(ip, name, &mut ev);
    !ev.strong.is_empty()
}
