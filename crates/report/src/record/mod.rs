//! The per-address record's wire form (`docs/report-format.md`), the one
//! codec every output and reader of records goes through: its vocabulary
//! here (the `result`, `failure` and forward keywords, the reserved finding
//! keys), the hand writer in `write` (`json`, `jsonl` and checkpoints write
//! with it), the full reader in `read` (records back into model types, for
//! `--baseline`, `merge`, `fix`), the lean reader in `lean` (what `merge`
//! counts, nothing built). `reference` (tests only) is the serde
//! writer the hand writer is checked against byte for byte.

use ptr_audit_model::{DnsName, DnsblAnswer, FailureReason, ForwardAnswer, PtrAnswer};

pub(crate) mod lean;
pub(crate) mod read;
#[cfg(test)]
mod reference;
pub(crate) mod write;

/// Finding keys the record itself uses; a detail with one of these names (or
/// a name starting with `detail-`) is written as `detail-<name>` so it cannot
/// shadow them, and read back without the prefix.
pub(crate) const RESERVED: [&str; 3] = ["code", "severity", "message"];

/// The `result` field: how the PTR query ended.
pub(crate) fn result_keyword(answer: &PtrAnswer) -> &'static str {
    match answer {
        PtrAnswer::Names(_) => "answer",
        PtrAnswer::NxDomain => "nxdomain",
        PtrAnswer::NoData => "nodata",
        PtrAnswer::BrokenDelegation { .. } => "broken-delegation",
        PtrAnswer::Failed(_) => "failed",
    }
}

/// The `result` of a blocklist answer: `answer` (return codes came back,
/// in `codes`), `not-listed`, or `failed`.
pub(crate) fn dnsbl_result(answer: &DnsblAnswer) -> &'static str {
    match answer {
        DnsblAnswer::Codes(_) => "answer",
        DnsblAnswer::NotListed => "not-listed",
        DnsblAnswer::Failed(_) => "failed",
    }
}

/// A failure as written in reports: the keyword, and for network errors the
/// message after `: ` (`network: connection refused`).
pub(crate) fn failure_text(reason: &FailureReason) -> String {
    match reason {
        FailureReason::Network(msg) if !msg.is_empty() => format!("network: {msg}"),
        other => other.keyword(),
    }
}

/// Parses a failure written by [`failure_text`].
pub(crate) fn parse_failure(text: &str) -> Option<FailureReason> {
    match text.strip_prefix("network: ") {
        Some(msg) => Some(FailureReason::Network(msg.to_owned())),
        None => FailureReason::parse_keyword(text),
    }
}

/// The PTR names of an answer (none unless it has names).
pub(crate) fn ptr_names(answer: &PtrAnswer) -> &[DnsName] {
    match answer {
        PtrAnswer::Names(n) => n,
        _ => &[],
    }
}

/// The text a forward answer other than addresses is written as.
pub(crate) fn forward_text(answer: &ForwardAnswer) -> Option<String> {
    match answer {
        ForwardAnswer::Addresses(_) => None,
        ForwardAnswer::NxDomain => Some("nxdomain".into()),
        ForwardAnswer::NoData => Some("nodata".into()),
        ForwardAnswer::Failed(r) => Some(format!("failed: {}", failure_text(r))),
    }
}
