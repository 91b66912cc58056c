//! Findings: what is wrong with one address's reverse DNS.

use crate::Severity;

/// The kinds of finding, in the order that breaks ties between findings of
/// equal severity when choosing an address's status (earlier wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingCode {
    /// No answer after all attempts: the PTR is unknown, not missing.
    LookupFailed,
    /// NXDOMAIN, NODATA, or a CNAME chain that ends nowhere.
    PtrMissing,
    /// The PTR target is not a usable host name.
    PtrInvalid,
    /// The PTR name does not resolve back to the address.
    FcrdnsFailed,
    /// The name is a provider default or derived from the address.
    PtrGeneric,
    /// The name differs from the inventory's expectation.
    PtrUnexpected,
    /// More than one PTR record.
    PtrMultiple,
    /// In a migrated block, the name still names the old datacenter.
    PtrStale,
    /// Authoritative servers disagree about the PTR.
    PtrInconsistent,
}

impl FindingCode {
    /// Every code, in tie-break order.
    pub const ALL: [FindingCode; 9] = [
        FindingCode::LookupFailed,
        FindingCode::PtrMissing,
        FindingCode::PtrInvalid,
        FindingCode::FcrdnsFailed,
        FindingCode::PtrGeneric,
        FindingCode::PtrUnexpected,
        FindingCode::PtrMultiple,
        FindingCode::PtrStale,
        FindingCode::PtrInconsistent,
    ];

    /// The code as written in reports (`ptr-missing`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::LookupFailed => "lookup-failed",
            FindingCode::PtrMissing => "ptr-missing",
            FindingCode::PtrInvalid => "ptr-invalid",
            FindingCode::FcrdnsFailed => "fcrdns-failed",
            FindingCode::PtrGeneric => "ptr-generic",
            FindingCode::PtrUnexpected => "ptr-unexpected",
            FindingCode::PtrMultiple => "ptr-multiple",
            FindingCode::PtrStale => "ptr-stale",
            FindingCode::PtrInconsistent => "ptr-inconsistent",
        }
    }

    /// Parses a code written by [`FindingCode::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One finding about one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What kind of problem.
    pub code: FindingCode,
    /// How much it matters, after the block's policy and the inventory's overrides.
    pub severity: Severity,
    /// One human sentence, lowercase, no trailing period.
    pub message: String,
    /// Fields of the finding's own (`reason`, `expected`, `matched`, ...), in a fixed order.
    pub details: Vec<Detail>,
}

/// A named field of a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// The field name as written in reports (`reason`, `kinds`, `receivers`).
    pub key: &'static str,
    /// Its value.
    pub value: DetailValue,
}

/// The value of a [`Detail`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetailValue {
    /// A single string.
    Text(String),
    /// A list of strings.
    List(Vec<String>),
    /// A count.
    Count(u64),
}

impl Finding {
    /// A finding with no details.
    pub fn new(code: FindingCode, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds a text detail.
    pub fn with_text(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.details.push(Detail {
            key,
            value: DetailValue::Text(value.into()),
        });
        self
    }

    /// Adds a list detail.
    pub fn with_list(mut self, key: &'static str, values: Vec<String>) -> Self {
        self.details.push(Detail {
            key,
            value: DetailValue::List(values),
        });
        self
    }

    /// The text of detail `key`, if it is a text detail.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.details.iter().find_map(|d| match &d.value {
            DetailValue::Text(t) if d.key == key => Some(t.as_str()),
            _ => None,
        })
    }
}
