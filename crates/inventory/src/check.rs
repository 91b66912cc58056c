//! Checks across inputs (duplicate datacenters, overlapping blocks, stray
//! assignments, empty inventories) and assembly of the [`Inventory`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use ptr_audit_model::{BlockInfo, DatacenterStatus, Policy, Provider, SeverityOverrides};

use crate::inventory::{Assignment, BlockDetail, Datacenter, Inventory, Loaded, MAX_UNSAMPLED_V6};
use crate::raw::{Loc, Raw};
use crate::schema::nearest;
use crate::scope::{bounds, to_u128};

/// Runs the checks across inputs and builds the inventory.
pub(crate) fn build(mut raw: Raw) -> Loaded {
    let provider = providers(&mut raw);
    let datacenters = datacenters(&mut raw);
    let keep = blocks(&mut raw);
    let index = BlockIndex::new(&raw, &keep);
    let assignments = assignments(&mut raw, &index);

    let (provider, default_ptr, provider_sev) = match provider {
        Some(p) => (
            Provider {
                name: p.name,
                domains: p.domains,
                default_ptr: p.default_ptr.iter().map(|(s, _)| s.clone()).collect(),
            },
            p.default_ptr.into_iter().map(|(_, t)| t).collect(),
            p.severities,
        ),
        None => (Provider::default(), Vec::new(), Vec::new()),
    };
    let mut blocks = Vec::with_capacity(keep.len());
    let mut block_locs = Vec::with_capacity(keep.len());
    for &i in &keep {
        let b = &raw.blocks[i];
        let dc = &raw.datacenters[b.datacenter];
        let migrated_from = match dc.status {
            DatacenterStatus::Active => None,
            _ => dc.migrated_from.as_ref().map(|(n, _)| Arc::clone(n)),
        };
        let mut severities = b.severities.clone();
        severities.extend(dc.severities.iter().copied());
        severities.extend(provider_sev.iter().copied());
        let info = BlockInfo {
            datacenter: Arc::clone(&datacenters[b.datacenter].name),
            cidr: b.cidr,
            policy: b.policy,
            expect_ptr: b.expect_ptr.as_ref().map(|t| t.as_str().to_owned()),
            expect_pbl: b.expect_pbl.unwrap_or(dc.expect_pbl),
            migrated_from,
            severities: SeverityOverrides(severities),
            source: raw.source_location(b.loc),
        };
        let detail = BlockDetail {
            template: b.expect_ptr.clone(),
            excludes: b.excludes.iter().map(|(n, _)| *n).collect(),
            sample: b.sample,
            name: b.name.clone(),
            note: b.note.clone(),
            in_scope: 0,
        };
        block_locs.push((b.cidr, b.loc));
        blocks.push((info, detail));
    }
    let files = raw.sources.files.iter().map(|(p, _)| p.clone()).collect();
    let resolvers = std::mem::take(&mut raw.resolvers);
    let (inventory, problems) = Inventory::assemble(
        provider,
        default_ptr,
        datacenters,
        blocks,
        assignments,
        resolvers,
        files,
    );
    block_locs.sort_by_key(|a| a.0);
    for (i, message) in problems {
        raw.error(block_locs[i].1, message);
    }

    // Assignments that will never be scanned.
    let file_index: HashMap<&std::path::Path, u32> = raw
        .sources
        .files
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.as_path(), i as u32))
        .collect();
    let mut warnings = Vec::new();
    for a in &inventory.assignments {
        if inventory.in_scope(a.ip) {
            continue;
        }
        let Some(b) = inventory.block_of(a.ip) else {
            continue;
        };
        let loc = Loc {
            file: file_index
                .get(a.source.file.as_path())
                .copied()
                .unwrap_or(0),
            line: a.source.line,
            col: 0,
        };
        let why = if b.policy == Policy::Reserved {
            format!("block `{}` is `reserved`", b.cidr)
        } else {
            format!("it is excluded or not sampled in block `{}`", b.cidr)
        };
        warnings.push((
            loc,
            format!("assignment for `{}` is never scanned: {why}", a.ip),
        ));
    }
    drop(file_index);
    for (loc, message) in warnings {
        raw.warn(loc, message);
    }

    if raw.blocks.is_empty() && !raw.diagnostics.iter().any(|d| d.is_error()) {
        if raw.sources.files.is_empty() {
            raw.sources.files.push(("<args>".into(), String::new()));
        }
        raw.error(
            Loc {
                file: 0,
                line: 0,
                col: 0,
            },
            "inventory is empty: no blocks",
        );
    } else if inventory.scope_len() == 0 && !inventory.blocks.is_empty() {
        raw.warn(
            Loc {
                file: 0,
                line: 0,
                col: 0,
            },
            "no address in scope: every block is `reserved` or excluded",
        );
    }
    Loaded {
        inventory,
        diagnostics: raw.diagnostics,
    }
}

fn providers(raw: &mut Raw) -> Option<crate::raw::RawProvider> {
    let mut providers = std::mem::take(&mut raw.providers).into_iter();
    let first = providers.next()?;
    for p in providers {
        let at = raw.sources.at(first.loc);
        raw.error(
            p.loc,
            format!("`provider` is defined more than once (first at {at})"),
        );
    }
    Some(first)
}

fn datacenters(raw: &mut Raw) -> Vec<Datacenter> {
    let mut seen: HashMap<Arc<str>, Loc> = HashMap::new();
    let mut errors = Vec::new();
    for dc in &raw.datacenters {
        if dc.plain {
            continue;
        }
        if let Some(first) = seen.get(&dc.name) {
            errors.push((
                dc.loc,
                format!(
                    "duplicate datacenter `{}` (first at {})",
                    dc.name,
                    raw.sources.at(*first)
                ),
            ));
        } else {
            seen.insert(Arc::clone(&dc.name), dc.loc);
        }
    }
    let names: Vec<&str> = raw
        .datacenters
        .iter()
        .filter(|d| !d.plain)
        .map(|d| &*d.name)
        .collect();
    let mut warnings = Vec::new();
    for dc in &raw.datacenters {
        let Some((from, loc)) = &dc.migrated_from else {
            continue;
        };
        if *from == dc.name {
            warnings.push((
                *loc,
                format!("datacenter `{}` names itself in `migrated_from`", dc.name),
                None,
            ));
        } else if !seen.contains_key(from) {
            let help = nearest(from, &names).map(|n| format!("did you mean `{n}`?"));
            warnings.push((
                *loc,
                format!("`migrated_from` names unknown datacenter `{from}`"),
                help,
            ));
        }
    }
    for (loc, m) in errors {
        raw.error(loc, m);
    }
    for (loc, m, help) in warnings {
        let d = raw.sources.diag(crate::Level::Warning, loc, m, help);
        raw.diagnostics.push(d);
    }
    raw.datacenters
        .iter()
        .map(|d| Datacenter {
            name: Arc::clone(&d.name),
            status: d.status,
            migrated_from: d.migrated_from.as_ref().map(|(n, _)| Arc::clone(n)),
            migrated_at: d.migrated_at.clone(),
            note: d.note.clone(),
            source: raw.source_location(d.loc),
        })
        .collect()
}

/// Checks sizes and overlaps; returns the indices of the blocks to keep.
fn blocks(raw: &mut Raw) -> Vec<usize> {
    let mut keep = Vec::with_capacity(raw.blocks.len());
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (i, b) in raw.blocks.iter().enumerate() {
        let (lo, hi) = bounds(&b.cidr);
        let size = (hi - lo).saturating_add(1);
        if b.cidr.addr().is_ipv6()
            && b.policy != Policy::Reserved
            && b.sample.is_none()
            && size > MAX_UNSAMPLED_V6
        {
            let bits = 128 - u32::from(b.cidr.prefix_len());
            errors.push((
                b.cidr_loc,
                format!("IPv6 block `{}` has 2^{bits} addresses; more than 2^24 need a `sample`", b.cidr),
                Some("add `sample: {first: 256}` (the first 256 addresses) or `sample: {per_subnet: /64, first: 16}`".to_owned()),
            ));
            continue;
        }
        if let Some(s) = b.sample {
            let subnets = s
                .per_subnet
                .map_or(0, |p| u32::from(p - b.cidr.prefix_len()));
            let sampled = u128::from(s.first)
                .checked_shl(subnets)
                .unwrap_or(u128::MAX);
            if sampled > MAX_UNSAMPLED_V6 {
                warnings.push((
                    b.loc,
                    format!("`sample` selects {sampled} addresses of block `{}`", b.cidr),
                ));
            }
        }
        keep.push(i);
    }
    // Overlaps: sort by start, sweep with the block reaching furthest so far.
    let mut order: Vec<(bool, u128, u128, Loc, usize)> = raw
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (lo, hi) = bounds(&b.cidr);
            (b.cidr.addr().is_ipv6(), lo, hi, b.loc, i)
        })
        .collect();
    order.sort_unstable();
    let mut reach: Option<(bool, u128, usize)> = None;
    let mut dropped = vec![false; raw.blocks.len()];
    for &(v6, lo, hi, _, i) in &order {
        if let Some((rv6, rhi, j)) = reach
            && rv6 == v6
            && lo <= rhi
        {
            let (a, b) = (&raw.blocks[i], &raw.blocks[j]);
            // Report at the one written later, naming the other.
            let (later, earlier) = if (a.loc.file, a.loc.line) >= (b.loc.file, b.loc.line) {
                (a, b)
            } else {
                (b, a)
            };
            let at = raw.sources.at(earlier.cidr_loc);
            let message = if a.cidr == b.cidr {
                format!(
                    "duplicate block `{}` (also at {at}, datacenter `{}`)",
                    later.cidr, raw.datacenters[earlier.datacenter].name
                )
            } else {
                format!(
                    "block `{}` overlaps block `{}` (at {at}, datacenter `{}`)",
                    later.cidr, earlier.cidr, raw.datacenters[earlier.datacenter].name
                )
            };
            errors.push((later.cidr_loc, message, None));
            dropped[if std::ptr::eq(later, a) { i } else { j }] = true;
            if hi > rhi {
                reach = Some((v6, hi, i));
            }
            continue;
        }
        reach = Some((v6, hi, i));
    }
    keep.retain(|&i| !dropped[i]);
    for (loc, m, help) in errors {
        raw.error_help(loc, m, help);
    }
    for (loc, m) in warnings {
        raw.warn(loc, m);
    }
    keep
}

/// Blocks sorted by start, with the furthest-reaching block so far, to find
/// the block holding an address even when blocks overlap.
struct BlockIndex {
    starts: Vec<(bool, u128)>,
    reach: Vec<(u128, usize)>,
}

impl BlockIndex {
    fn new(raw: &Raw, keep: &[usize]) -> Self {
        let mut v: Vec<(bool, u128, u128, usize)> = keep
            .iter()
            .map(|&i| {
                let (lo, hi) = bounds(&raw.blocks[i].cidr);
                (raw.blocks[i].cidr.addr().is_ipv6(), lo, hi, i)
            })
            .collect();
        v.sort_unstable();
        let mut reach = Vec::with_capacity(v.len());
        let mut best: Option<(bool, u128, usize)> = None;
        for &(v6, _, hi, i) in &v {
            best = match best {
                Some((bv6, bhi, bi)) if bv6 == v6 && bhi >= hi => Some((bv6, bhi, bi)),
                _ => Some((v6, hi, i)),
            };
            let (_, bhi, bi) = best.unwrap_or((v6, hi, i));
            reach.push((bhi, bi));
        }
        BlockIndex {
            starts: v.iter().map(|e| (e.0, e.1)).collect(),
            reach,
        }
    }

    fn holder(&self, ip: IpAddr) -> Option<usize> {
        let key = (ip.is_ipv6(), to_u128(ip));
        let i = self.starts.partition_point(|s| *s <= key).checked_sub(1)?;
        let (hi, block) = self.reach[i];
        (self.starts[i].0 == key.0 && key.1 <= hi).then_some(block)
    }
}

fn assignments(raw: &mut Raw, index: &BlockIndex) -> Vec<Assignment> {
    let mut seen: HashMap<IpAddr, Loc> = HashMap::with_capacity(raw.assignments.len());
    let mut out = Vec::with_capacity(raw.assignments.len());
    let mut errors = Vec::new();
    for a in &raw.assignments {
        if let Some(first) = seen.get(&a.ip) {
            errors.push((
                a.loc,
                format!(
                    "duplicate assignment for `{}` (first at {})",
                    a.ip,
                    raw.sources.at(*first)
                ),
            ));
            continue;
        }
        seen.insert(a.ip, a.loc);
        if index.holder(a.ip).is_none() {
            errors.push((
                a.loc,
                format!("assignment for `{}` is outside every block", a.ip),
            ));
            continue;
        }
        if a.ptr.trim().is_empty() {
            errors.push((
                a.loc,
                format!("assignment for `{}` has an empty `ptr`", a.ip),
            ));
            continue;
        }
        out.push(Assignment {
            ip: a.ip,
            ptr: a.ptr.clone(),
            source: raw.source_location(a.loc),
        });
    }
    for (loc, m) in errors {
        raw.error(loc, m);
    }
    out
}
