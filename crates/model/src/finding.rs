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
    /// The PTR name's top-level domain is not in the Public Suffix List in
    /// use, or is a special-use one public DNS never delegates (`.example`).
    PtrUnknownTld,
    /// A DNS blocklist lists the address.
    DnsblListed,
    /// The inventory expects the address in the Spamhaus PBL (`expect_pbl`),
    /// and a list that carries the PBL does not list it.
    PblUnlisted,
}

impl FindingCode {
    /// Every code, in tie-break order.
    pub const ALL: [FindingCode; 12] = [
        FindingCode::LookupFailed,
        FindingCode::PtrMissing,
        FindingCode::PtrInvalid,
        FindingCode::FcrdnsFailed,
        FindingCode::PtrGeneric,
        FindingCode::PtrUnexpected,
        FindingCode::PtrMultiple,
        FindingCode::PtrStale,
        FindingCode::PtrInconsistent,
        FindingCode::PtrUnknownTld,
        FindingCode::DnsblListed,
        FindingCode::PblUnlisted,
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
            FindingCode::PtrUnknownTld => "ptr-unknown-tld",
            FindingCode::DnsblListed => "dnsbl-listed",
            FindingCode::PblUnlisted => "pbl-unlisted",
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
///
/// [`DetailValue::List`] and [`DetailValue::StaticList`] are two spellings of
/// the same value: they compare equal when their items are equal, and reports
/// write them alike.
#[derive(Clone, Debug, Eq)]
pub enum DetailValue {
    /// A single string.
    Text(String),
    /// A list of strings.
    List(Vec<String>),
    /// A count.
    Count(u64),
    /// A list of strings fixed when the program was built (the receivers of
    /// a finding): a [`DetailValue::List`] that costs no allocation.
    StaticList(&'static [&'static str]),
}

impl DetailValue {
    /// The items of either kind of list; `None` for text and counts.
    pub fn items(&self) -> Option<Vec<&str>> {
        match self {
            DetailValue::List(l) => Some(l.iter().map(String::as_str).collect()),
            DetailValue::StaticList(l) => Some(l.to_vec()),
            DetailValue::Text(_) | DetailValue::Count(_) => None,
        }
    }
}

impl PartialEq for DetailValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (DetailValue::Text(a), DetailValue::Text(b)) => a == b,
            (DetailValue::Count(a), DetailValue::Count(b)) => a == b,
            (DetailValue::List(a), DetailValue::List(b)) => a == b,
            (DetailValue::StaticList(a), DetailValue::StaticList(b)) => a == b,
            (DetailValue::List(a), DetailValue::StaticList(b))
            | (DetailValue::StaticList(b), DetailValue::List(a)) => a == b,
            _ => false,
        }
    }
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

    /// Adds a list detail fixed at build time (no allocation).
    pub fn with_static_list(mut self, key: &'static str, values: &'static [&'static str]) -> Self {
        self.details.push(Detail {
            key,
            value: DetailValue::StaticList(values),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_owned_lists_are_the_same_value() {
        let owned = DetailValue::List(vec!["a".into(), "b".into()]);
        let fixed = DetailValue::StaticList(&["a", "b"]);
        assert_eq!(owned, fixed);
        assert_eq!(fixed, owned);
        assert_ne!(fixed, DetailValue::StaticList(&["a"]));
        assert_ne!(DetailValue::List(vec!["b".into(), "a".into()]), fixed);
        assert_ne!(DetailValue::Text("a".into()), fixed);
        assert_eq!(fixed.items(), Some(vec!["a", "b"]));
        assert_eq!(DetailValue::Count(1).items(), None);
    }
}
