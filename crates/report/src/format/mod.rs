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

use ptr_audit_model::{AddressRecord, Finding, PtrAnswer, Severity, Status};

use crate::wire::{failure_text, result_keyword};
use crate::{Judged, Verdict};

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
        other => format!("({})", result_keyword(other)),
    }
}

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
    /// counts, or `lookup-failed`); `None` without a verdict.
    pub(crate) gate_fails: Option<bool>,
}

impl Failing {
    /// The entry for a record with the gate's verdict: a suppressed or
    /// baseline worst finding is marked in the reason.
    pub(crate) fn judged(rec: &AddressRecord, verdict: &Verdict) -> Option<Failing> {
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
        reason.push_str(&note(verdict.of(i)));
        let accepted = !verdict.findings.is_empty()
            && verdict
                .findings
                .iter()
                .all(|j| matches!(j, Judged::Suppressed { .. } | Judged::InBaseline));
        let gate_fails = (!verdict.findings.is_empty()).then(|| {
            verdict
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
