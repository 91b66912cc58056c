//! The per-address record's wire form (`docs/report-format.md`), the one
//! codec every output and reader of records goes through: its vocabulary
//! here (the record's keys, the `failure` and forward texts, the reserved
//! finding keys; keywords of model types are the model's `as_str`/`parse`), the hand writer in `write` (`json`, `jsonl` and checkpoints write
//! with it), the full reader in `read` (records back into model types, for
//! `--baseline`, `merge`, `fix`), the lean reader in `lean` (what `merge`
//! counts, nothing built). `reference` (tests only) is the serde
//! writer the hand writer is checked against byte for byte.

use ptr_audit_model::{DnsName, FailureReason, ForwardAnswer, PtrAnswer, PtrResult};

pub(crate) mod lean;
pub(crate) mod read;
#[cfg(test)]
mod reference;
pub(crate) mod write;

/// The keys of a record, in the order the writer writes them
/// (`docs/report-format.md`); the lean reader reads them in this order, and
/// `dnsbl` is absent from format 2 records.
pub(crate) const FIELDS: [&str; 19] = [
    "ip",
    "datacenter",
    "block",
    "policy",
    "source",
    "expected",
    "ptr",
    "cname_chain",
    "rcode",
    "result",
    "failure",
    "dead_end",
    "attempts",
    "forward",
    "status",
    "findings",
    "iprev",
    "receivers",
    "dnsbl",
];

/// Finding keys the record itself uses; a detail with one of these names (or
/// a name starting with `detail-`) is written as `detail-<name>` so it cannot
/// shadow them, and read back without the prefix.
pub(crate) const RESERVED: [&str; 3] = ["code", "severity", "message"];

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

/// The text a forward answer other than addresses is written as: the
/// PTR result's words (`nxdomain`, `nodata`, `failed: REASON`).
pub(crate) fn forward_text(answer: &ForwardAnswer) -> Option<String> {
    match answer {
        ForwardAnswer::Addresses(_) => None,
        ForwardAnswer::NxDomain => Some(PtrResult::NxDomain.as_str().into()),
        ForwardAnswer::NoData => Some(PtrResult::NoData.as_str().into()),
        ForwardAnswer::Failed(r) => Some(format!(
            "{}: {}",
            PtrResult::Failed.as_str(),
            failure_text(r)
        )),
    }
}

/// Parses a forward answer's text written by [`forward_text`].
pub(crate) fn parse_forward_text(text: &str) -> Option<ForwardAnswer> {
    match PtrResult::parse(text) {
        Some(PtrResult::NxDomain) => Some(ForwardAnswer::NxDomain),
        Some(PtrResult::NoData) => Some(ForwardAnswer::NoData),
        Some(_) => None,
        None => {
            let (word, reason) = text.split_once(": ")?;
            (PtrResult::parse(word)? == PtrResult::Failed)
                .then(|| parse_failure(reason).map(ForwardAnswer::Failed))
                .flatten()
        }
    }
}
