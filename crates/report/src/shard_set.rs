//! Whether shard reports are the complete set of one scan (`merge`): the same
//! inventory, scope and settings, every shard once, none interrupted, and
//! together exactly the scope's addresses. [`check_shard_set`] also gives
//! the merged run's metadata.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use ptr_audit_model::Shard;

use crate::{ReportDoc, ReportMeta};

/// Why shard reports cannot be merged into one.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ShardSetError {
    /// Some reports are `json` documents and some are `jsonl` records.
    #[error("cannot merge json reports with jsonl files: give all shards in one format")]
    MixedFormats,
    /// One shard was scanned with `--authoritative` and another without.
    #[error(
        "`{}` was scanned with --authoritative and `{}` without: merge shards of one scan",
        .with.display(),
        .without.display()
    )]
    AuthoritativeMismatch {
        /// The report scanned with `--authoritative`.
        with: PathBuf,
        /// The report scanned without.
        without: PathBuf,
    },
    /// Two reports asked different blocklists (`--dnsbl`).
    #[error(
        "`{}` was scanned with {} but `{}` with {}: merge shards of one scan (the same `--dnsbl` lists)",
        .first.display(),
        shown_lists(.first_lists),
        .other.display(),
        shown_lists(.other_lists)
    )]
    DnsblMismatch {
        /// The first report.
        first: PathBuf,
        /// Its lists, as its settings show them (`ZONE=KIND`, a key as `{key}`).
        first_lists: Vec<String>,
        /// The report that differs from it.
        other: PathBuf,
        /// Its lists.
        other_lists: Vec<String>,
    },
    /// Two reports differ in inventory, scope or settings.
    #[error(
        "`{}` and `{}` are reports of different scans (inventory, scope or settings differ)",
        .first.display(),
        .other.display()
    )]
    DifferentScans {
        /// The first report.
        first: PathBuf,
        /// The report that differs from it.
        other: PathBuf,
    },
    /// Two reports were cut into different numbers of shards.
    #[error(
        "`{}` is shard {}/{} but `{}` is one of {count} shards",
        .path.display(),
        .shard.index,
        .shard.count,
        .first.display()
    )]
    ShardCount {
        /// The report.
        path: PathBuf,
        /// Its shard.
        shard: Shard,
        /// The first report.
        first: PathBuf,
        /// The first report's number of shards.
        count: u64,
    },
    /// A shard's scan was interrupted.
    #[error(
        "`{}` (shard {}/{}) is an interrupted scan: run it again (or resume it) before merging",
        .path.display(),
        .shard.index,
        .shard.count
    )]
    Interrupted {
        /// The report.
        path: PathBuf,
        /// Its shard.
        shard: Shard,
    },
    /// The same shard was given twice.
    #[error("shard {}/{} is given twice: `{}` and `{}`", .shard.index, .shard.count, .first.display(), .second.display())]
    ShardTwice {
        /// The shard.
        shard: Shard,
        /// One report of it.
        first: PathBuf,
        /// Another.
        second: PathBuf,
    },
    /// Shards are missing.
    #[error("the set of shards is incomplete: missing {}", .missing.join(", "))]
    Incomplete {
        /// The first missing shards as `K/N` (at most ten, then `and N more`).
        missing: Vec<String>,
    },
    /// An address is in two shards.
    #[error("address `{ip}` appears in more than one shard report")]
    AddressTwice {
        /// The address.
        ip: IpAddr,
    },
    /// The shards hold more or fewer addresses than the scope.
    #[error("the shards hold {held} addresses but the scope has {scope}")]
    Count {
        /// Addresses in the shards.
        held: u64,
        /// Addresses in the scope.
        scope: u64,
    },
}

/// Checks that the reports are the complete set of shards of one scan, and
/// returns the merged run's metadata (`None` for `jsonl` input, which has
/// none to check).
pub(crate) fn check_shard_set(docs: &[&ReportDoc]) -> Result<Option<ReportMeta>, ShardSetError> {
    let metas: Vec<(&ReportDoc, &ReportMeta)> = docs
        .iter()
        .filter_map(|d| d.meta.as_ref().map(|m| (*d, m)))
        .collect();
    if metas.is_empty() {
        return Ok(None);
    }
    if metas.len() != docs.len() {
        return Err(ShardSetError::MixedFormats);
    }
    let (first_doc, first) = metas[0];
    let count = first.shard.map_or(1, |s| s.count);
    // Keyed by shard index: nothing is allocated per shard a report claims.
    let mut seen: BTreeMap<u64, &PathBuf> = BTreeMap::new();
    for (doc, meta) in &metas {
        let same = meta.inventory_files == first.inventory_files
            && meta.scope == first.scope
            && meta.resolvers == first.resolvers
            && meta.zones == first.zones
            && meta.qps == first.qps
            && meta.concurrency == first.concurrency
            && meta.timeout_ms == first.timeout_ms
            && meta.attempts == first.attempts
            && meta.dnsbl_resolvers == first.dnsbl_resolvers
            && meta.psl == first.psl
            && meta.changed_since == first.changed_since
            && meta.provider_domains == first.provider_domains
            && meta.tool_version == first.tool_version;
        if meta.authoritative != first.authoritative {
            let (with, without) = if meta.authoritative {
                (*doc, first_doc)
            } else {
                (first_doc, *doc)
            };
            return Err(ShardSetError::AuthoritativeMismatch {
                with: with.path.clone(),
                without: without.path.clone(),
            });
        }
        if meta.dnsbl != first.dnsbl {
            return Err(ShardSetError::DnsblMismatch {
                first: first_doc.path.clone(),
                first_lists: first.dnsbl.clone(),
                other: doc.path.clone(),
                other_lists: meta.dnsbl.clone(),
            });
        }
        if !same {
            return Err(ShardSetError::DifferentScans {
                first: first_doc.path.clone(),
                other: doc.path.clone(),
            });
        }
        let shard = meta.shard.unwrap_or(Shard::WHOLE);
        if shard.count != count {
            return Err(ShardSetError::ShardCount {
                path: doc.path.clone(),
                shard,
                first: first_doc.path.clone(),
                count,
            });
        }
        if doc.complete == Some(false) {
            return Err(ShardSetError::Interrupted {
                path: doc.path.clone(),
                shard,
            });
        }
        if let Some(other) = seen.insert(shard.index, &doc.path) {
            return Err(ShardSetError::ShardTwice {
                shard,
                first: other.clone(),
                second: doc.path.clone(),
            });
        }
    }
    let missing_count = count - seen.len() as u64;
    if missing_count > 0 {
        const LISTED: usize = 10;
        let mut missing: Vec<String> = (1..=count)
            .filter(|k| !seen.contains_key(k))
            .take(LISTED)
            .map(|k| format!("{k}/{count}"))
            .collect();
        if missing_count > LISTED as u64 {
            missing.push(format!("and {} more", missing_count - LISTED as u64));
        }
        return Err(ShardSetError::Incomplete { missing });
    }
    let mut merged = first.clone();
    merged.shard = None;
    merged.started_at = metas
        .iter()
        .map(|(_, m)| m.started_at.clone())
        .min()
        .unwrap_or_default();
    Ok(Some(merged))
}

/// Blocklists as the refusal names them: `` `zen.example=generic`, … ``, or
/// no list.
fn shown_lists(lists: &[String]) -> String {
    if lists.is_empty() {
        return "no `--dnsbl` list".to_owned();
    }
    let shown: Vec<String> = lists.iter().map(|l| format!("`{l}`")).collect();
    shown.join(", ")
}

/// Refuses shards that together hold more or fewer addresses than the scan's
/// scope.
pub(crate) fn check_address_count(held: u64, meta: &ReportMeta) -> Result<(), ShardSetError> {
    if held != meta.scope {
        return Err(ShardSetError::Count {
            held,
            scope: meta.scope,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::DocKind;

    fn doc(path: &str, shard: Option<Shard>, complete: bool) -> ReportDoc {
        let mut meta = ReportMeta::new("1", format!("2026-01-0{}T00:00:00Z", path.len() % 9));
        meta.scope = 10;
        meta.shard = shard;
        ReportDoc {
            path: PathBuf::from(path),
            kind: DocKind::Json,
            meta: Some(meta),
            finished_at: None,
            complete: Some(complete),
            gate: None,
            records: Vec::new(),
            block_findings: Vec::new(),
            blocks: Vec::new(),
            torn_tail: false,
        }
    }

    fn refusal(docs: &[ReportDoc]) -> String {
        let docs: Vec<&ReportDoc> = docs.iter().collect();
        check_shard_set(&docs).unwrap_err().to_string()
    }

    #[test]
    fn refusals_name_the_reports_and_the_shards() {
        let s = |index, count| Some(Shard { index, count });
        let whole = || vec![doc("a", s(1, 2), true), doc("bb", s(2, 2), true)];
        let docs: Vec<&ReportDoc> = Vec::new();
        assert!(check_shard_set(&docs).unwrap().is_none());
        let ok = whole();
        let merged = check_shard_set(&ok.iter().collect::<Vec<_>>())
            .unwrap()
            .unwrap();
        assert_eq!(merged.shard, None);
        assert_eq!(merged.started_at, "2026-01-01T00:00:00Z");

        let mut jsonl = whole();
        jsonl[1].meta = None;
        assert_eq!(
            refusal(&jsonl),
            "cannot merge json reports with jsonl files: give all shards in one format"
        );
        let mut auth = whole();
        auth[1].meta.as_mut().unwrap().authoritative = true;
        assert_eq!(
            refusal(&auth),
            "`bb` was scanned with --authoritative and `a` without: merge shards of one scan"
        );
        let mut lists = whole();
        lists[1].meta.as_mut().unwrap().dnsbl = vec!["{key}.zen.test=spamhaus-zen".into()];
        assert_eq!(
            refusal(&lists),
            "`a` was scanned with no `--dnsbl` list but `bb` with `{key}.zen.test=spamhaus-zen`: \
             merge shards of one scan (the same `--dnsbl` lists)"
        );
        lists[0].meta.as_mut().unwrap().dnsbl =
            vec!["zen.test=generic".into(), "b.test=generic".into()];
        assert_eq!(
            refusal(&lists),
            "`a` was scanned with `zen.test=generic`, `b.test=generic` but `bb` with \
             `{key}.zen.test=spamhaus-zen`: merge shards of one scan (the same `--dnsbl` lists)"
        );
        let mut other = whole();
        other[1].meta.as_mut().unwrap().qps = Some(5);
        assert_eq!(
            refusal(&other),
            "`a` and `bb` are reports of different scans (inventory, scope or settings differ)"
        );
        let mut count = whole();
        count[1].meta.as_mut().unwrap().shard = s(2, 3);
        assert_eq!(
            refusal(&count),
            "`bb` is shard 2/3 but `a` is one of 2 shards"
        );
        let mut cut = whole();
        cut[1].complete = Some(false);
        assert_eq!(
            refusal(&cut),
            "`bb` (shard 2/2) is an interrupted scan: run it again (or resume it) before merging"
        );
        let twice = vec![doc("a", s(1, 2), true), doc("bb", s(1, 2), true)];
        assert_eq!(refusal(&twice), "shard 1/2 is given twice: `a` and `bb`");
        let few: Vec<ReportDoc> = (1..=3).map(|k| doc("a", s(k, 14), true)).collect();
        assert_eq!(
            refusal(&few),
            "the set of shards is incomplete: missing 4/14, 5/14, 6/14, 7/14, 8/14, 9/14, 10/14, 11/14, 12/14, 13/14, and 1 more"
        );
        assert_eq!(
            check_address_count(9, &merged).unwrap_err().to_string(),
            "the shards hold 9 addresses but the scope has 10"
        );
        assert!(check_address_count(10, &merged).is_ok());
    }
}
