//! [`AddressRecord`]: the per-address result every report format writes.

use std::sync::Arc;

use crate::{BlockInfo, Finding, FindingCode, Iprev, Lookup, Receivers, Target};

/// An address's overall status: `ok`, or the code of its most severe finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// No finding.
    Ok,
    /// The most severe finding's code.
    Finding(FindingCode),
}

impl Status {
    /// The status of a set of findings: the most severe finding's code; between
    /// equal severities the earlier [`FindingCode`] wins.
    pub fn of(findings: &[Finding]) -> Self {
        findings
            .iter()
            .max_by(|a, b| a.severity.cmp(&b.severity).then(b.code.cmp(&a.code)))
            .map_or(Status::Ok, |f| Status::Finding(f.code))
    }

    /// How many statuses there are: `ok` plus one per finding code.
    pub const COUNT: usize = FindingCode::ALL.len() + 1;

    /// A dense index for counting arrays: 0 for `ok`, then the finding codes
    /// in tie-break order (the order of [`FindingCode::ALL`]).
    pub fn index(self) -> usize {
        match self {
            Status::Ok => 0,
            Status::Finding(code) => 1 + code as usize,
        }
    }

    /// Every status, in [`Status::index`] order.
    pub fn all() -> impl Iterator<Item = Status> {
        std::iter::once(Status::Ok).chain(FindingCode::ALL.into_iter().map(Status::Finding))
    }

    /// `ok` or the finding code.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Finding(code) => code.as_str(),
        }
    }

    /// Parses a keyword written by [`Status::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        if text == "ok" {
            Some(Status::Ok)
        } else {
            FindingCode::parse(text).map(Status::Finding)
        }
    }
}

/// One address's complete result: target, what DNS said, and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressRecord {
    /// The address and its inventory context.
    pub target: Target,
    /// What DNS said.
    pub lookup: Lookup,
    /// What is wrong, most severe first.
    pub findings: Vec<Finding>,
    /// The overall status.
    pub status: Status,
    /// What each mail receiver does (only the entries that are not `accept`).
    pub receivers: Receivers,
    /// The RFC 8601 `iprev` result.
    pub iprev: Iprev,
}

/// A finding about a whole block rather than one address (e.g. a placeholder
/// name shared by many of its addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockFinding {
    /// The block.
    pub block: Arc<BlockInfo>,
    /// The finding.
    pub finding: Finding,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    #[test]
    fn keywords_parse_back_what_as_str_wrote() {
        use crate::{FailureReason, Policy, Rcode};
        for status in Status::all() {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for policy in Policy::ALL {
            assert_eq!(Policy::parse(policy.as_str()), Some(policy));
        }
        let rcodes = [0, 1, 2, 3, 4, 5, 9, 4095].map(Rcode::from_u16);
        for rcode in rcodes {
            assert_eq!(Rcode::parse(&rcode.as_str()), Some(rcode));
            let failure = FailureReason::Rcode(rcode);
            assert_eq!(
                FailureReason::parse_keyword(&failure.keyword()),
                Some(failure)
            );
        }
        for failure in [
            FailureReason::Timeout,
            FailureReason::Truncated,
            FailureReason::Malformed,
            FailureReason::CnameLoop,
            FailureReason::Network(String::new()),
        ] {
            assert_eq!(
                FailureReason::parse_keyword(&failure.keyword()),
                Some(failure)
            );
        }
        for bad in [
            "",
            "OK",
            "Mail",
            "RCODE",
            "RCODEx",
            "RCODE70000",
            "network: x",
        ] {
            assert_eq!(Status::parse(bad), None);
            assert_eq!(Policy::parse(bad), None);
            assert_eq!(Rcode::parse(bad), None);
            assert_eq!(FailureReason::parse_keyword(bad), None);
        }
    }

    #[test]
    fn status_index_follows_all() {
        for (i, status) in Status::all().enumerate() {
            assert_eq!(status.index(), i);
        }
        assert_eq!(Status::all().count(), Status::COUNT);
    }

    #[test]
    fn status_prefers_severity_then_table_order() {
        let f = |c, s| Finding::new(c, s, "x");
        assert_eq!(Status::of(&[]), Status::Ok);
        let fs = [
            f(FindingCode::PtrMultiple, Severity::Warning),
            f(FindingCode::FcrdnsFailed, Severity::Error),
            f(FindingCode::PtrGeneric, Severity::Error),
        ];
        assert_eq!(Status::of(&fs), Status::Finding(FindingCode::FcrdnsFailed));
        let fs = [
            f(FindingCode::PtrStale, Severity::Warning),
            f(FindingCode::PtrGeneric, Severity::Warning),
        ];
        assert_eq!(Status::of(&fs), Status::Finding(FindingCode::PtrGeneric));
    }
}
