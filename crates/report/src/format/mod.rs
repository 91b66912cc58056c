//! One module per output format (hyperfine's `src/export/` layout), plus the
//! pieces they share.

pub(crate) mod csv;
pub(crate) mod github;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod jsonl;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod sarif;
pub(crate) mod table;

use std::net::IpAddr;

use ptr_audit_model::{
    AddressRecord, BlockKey, Finding, PtrAnswer, ReceiverId, Severity, Status,
    Verdict as ReceiverVerdict,
};

use crate::record::failure_text;
use crate::{AddressJudgement, Judged};

/// The finding that gave the record its status.
pub(crate) fn worst(rec: &AddressRecord) -> Option<&Finding> {
    match rec.status {
        Status::Ok => None,
        Status::Finding(code) => rec
            .findings
            .iter()
            .find(|f| f.code == code)
            .or(rec.findings.first()),
    }
}

/// The PTR as people read it (unescaped): the names, or why there are none
/// (`(nxdomain)`, `(failed: timeout)`).
pub(crate) fn ptr_text(rec: &AddressRecord) -> String {
    match &rec.lookup.answer {
        PtrAnswer::Names(names) => names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        PtrAnswer::Failed(r) => format!("(failed: {})", failure_text(r)),
        PtrAnswer::BrokenDelegation { target } => format!("(broken delegation at {target})"),
        other => format!("({})", other.result().as_str()),
    }
}

/// The receivers that refuse mail from the address, rejecting ones first:
/// `refused by postfix-strict, gmail (reject); postfix-lax (defer)`, or
/// `None` when every receiver accepts or only scores.
pub(crate) fn refusals_text(rec: &AddressRecord) -> Option<String> {
    let ids = |v: ReceiverVerdict| -> Vec<&'static str> {
        rec.receivers
            .0
            .iter()
            .filter(|e| e.verdict == v)
            .map(|e| e.id.as_str())
            .collect()
    };
    let parts: Vec<String> = [ReceiverVerdict::Reject, ReceiverVerdict::Defer]
        .into_iter()
        .filter_map(|v| {
            let list = ids(v);
            (!list.is_empty()).then(|| format!("{} ({})", list.join(", "), v.as_str()))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("refused by {}", parts.join("; ")))
}

/// Addresses each receiver rejects and defers, per block, for the human
/// formats' compact matrix.
#[derive(Debug, Default)]
pub(crate) struct RefusalTally {
    /// Block → per receiver ([`ReceiverId::index`]): [rejected, deferred].
    blocks: std::collections::BTreeMap<BlockKey, [[u64; 2]; ReceiverId::ALL.len()]>,
}

impl RefusalTally {
    /// Counts one record.
    pub(crate) fn observe(&mut self, rec: &AddressRecord) {
        if !rec.receivers.refusing().any(|_| true) {
            return;
        }
        let b = &rec.target.block;
        let row = self
            .blocks
            .entry(b.key())
            .or_insert([[0; 2]; ReceiverId::ALL.len()]);
        for e in rec.receivers.refusing() {
            let k = usize::from(e.verdict == ReceiverVerdict::Defer);
            row[e.id.index()][k] += 1;
        }
    }

    /// The compact matrix: the receivers that refuse anywhere (the
    /// columns), then up to `limit` blocks with a refusal in (datacenter,
    /// block) order, each with one `rejected/deferred` cell per column (`-`
    /// for none), and how many blocks were left out.
    pub(crate) fn matrix(&self, limit: usize) -> Matrix<'_> {
        let columns: Vec<ReceiverId> = ReceiverId::ALL
            .into_iter()
            .filter(|id| self.blocks.values().any(|c| c[id.index()] != [0, 0]))
            .collect();
        let rows = self
            .blocks
            .iter()
            .take(limit)
            .map(|(block, c)| {
                let cells = columns
                    .iter()
                    .map(|id| match c[id.index()] {
                        [0, 0] => "-".to_owned(),
                        [r, d] => format!("{r}/{d}"),
                    })
                    .collect();
                (&*block.datacenter, block.cidr, cells)
            })
            .collect();
        Matrix {
            columns,
            rows,
            more: self.blocks.len().saturating_sub(limit),
        }
    }
}

/// The compact receiver matrix of [`RefusalTally::matrix`].
pub(crate) struct Matrix<'a> {
    /// The receivers that refuse somewhere.
    pub(crate) columns: Vec<ReceiverId>,
    /// Per block: datacenter, block, one `rejected/deferred` cell per column.
    pub(crate) rows: Vec<(&'a str, ipnet::IpNet, Vec<String>)>,
    /// Blocks left out.
    pub(crate) more: usize,
}

/// Blocks the human formats' receiver matrix lists at most.
pub(crate) const MATRIX_BLOCKS: usize = 50;

/// What a failing address looks like in the human formats: enough to print
/// it later without holding the whole record.
#[derive(Clone, Debug)]
pub(crate) struct Failing {
    pub(crate) ip: IpAddr,
    pub(crate) status: Status,
    pub(crate) severity: Severity,
    pub(crate) ptr: String,
    pub(crate) expected: Option<String>,
    pub(crate) reason: String,
    /// Every finding is suppressed or in the baseline: listed, but accepted.
    pub(crate) accepted: bool,
    /// Whether the gate counts the address against the run (a finding that
    /// counts, or `lookup-failed`); `None` without a judgement.
    pub(crate) gate_fails: Option<bool>,
}

impl Failing {
    /// The entry for a record with the gate's judgement: a suppressed or
    /// baseline worst finding is marked in the reason.
    pub(crate) fn judged(rec: &AddressRecord, judgement: &AddressJudgement) -> Option<Failing> {
        let f = worst(rec)?;
        let i = rec
            .findings
            .iter()
            .position(|o| std::ptr::eq(o, f))
            .unwrap_or(0);
        let mut reason = f.message.clone();
        let others: Vec<&str> = rec
            .findings
            .iter()
            .filter(|o| !std::ptr::eq(*o, f))
            .map(|o| o.code.as_str())
            .collect();
        if !others.is_empty() {
            reason.push_str(&format!(" (also: {})", others.join(", ")));
        }
        reason.push_str(&note(judgement.of(i)));
        if let Some(r) = refusals_text(rec) {
            reason.push_str(&format!("; {r}"));
        }
        let accepted = !judgement.findings.is_empty()
            && judgement
                .findings
                .iter()
                .all(|j| matches!(j, Judged::Suppressed { .. } | Judged::InBaseline));
        let gate_fails = (!judgement.findings.is_empty()).then(|| {
            judgement
                .findings
                .iter()
                .any(|j| matches!(j, Judged::Counts | Judged::Unknown))
        });
        Some(Failing {
            ip: rec.target.ip,
            status: rec.status,
            severity: f.severity,
            ptr: ptr_text(rec),
            expected: rec.target.expected_ptr.clone(),
            reason,
            accepted,
            gate_fails,
        })
    }
}

/// The mark a judged finding gets in human formats (` [suppressed: why]`, ` [in baseline]`).
pub(crate) fn note(j: &Judged) -> String {
    match j {
        Judged::Suppressed { reason } => format!(" [suppressed: {reason}]"),
        Judged::InBaseline => " [in baseline]".into(),
        _ => String::new(),
    }
}

/// Sort key: what the gate has not accepted first, then worst severity,
/// then status in table order, then address.
pub(crate) fn worst_first(a: &Failing, b: &Failing) -> std::cmp::Ordering {
    a.accepted
        .cmp(&b.accepted)
        .then(b.severity.cmp(&a.severity))
        .then(a.status.cmp(&b.status))
        .then(a.ip.cmp(&b.ip))
}

/// Sort key: address order.
pub(crate) fn by_ip(a: &Failing, b: &Failing) -> std::cmp::Ordering {
    a.ip.cmp(&b.ip)
}

/// A capped list that still counts what it dropped; keeps the smallest entries
/// by `cmp`, so the result does not depend on arrival order.
#[derive(Debug)]
pub(crate) struct Capped<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: u64,
    limit: usize,
}

impl<T> Capped<T> {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            items: Vec::new(),
            total: 0,
            limit,
        }
    }

    /// Adds an item, keeping the `limit` smallest by `cmp`.
    pub(crate) fn push(&mut self, item: T, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
        self.total += 1;
        if self.limit == 0 {
            return;
        }
        if self.items.len() < self.limit {
            self.items.push(item);
            if self.items.len() == self.limit {
                self.items.sort_by(&cmp);
            }
            return;
        }
        // Full and sorted: replace the largest if the new one is smaller.
        if cmp(&item, self.items.last().expect("limit > 0")).is_lt() {
            let pos = self.items.partition_point(|x| cmp(x, &item).is_le());
            self.items.insert(pos, item);
            self.items.pop();
        }
    }

    /// The kept items, sorted.
    pub(crate) fn sorted(&mut self, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> &[T] {
        self.items.sort_by(cmp);
        &self.items
    }

    /// How many were dropped.
    pub(crate) fn dropped(&self) -> u64 {
        self.total - self.items.len() as u64
    }
}

/// `1 address` / `2 addresses`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_keeps_smallest_regardless_of_order() {
        let mut a = Capped::new(3);
        for x in [9, 1, 8, 2, 7, 3, 6] {
            a.push(x, |a: &i32, b: &i32| a.cmp(b));
        }
        assert_eq!(a.sorted(|a, b| a.cmp(b)), &[1, 2, 3]);
        assert_eq!(a.dropped(), 4);
    }
}
