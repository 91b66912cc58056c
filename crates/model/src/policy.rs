//! Block policies, datacenter status, and finding severities.

use crate::FindingCode;

/// What a block's addresses are used for, which decides how strict the audit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// Sends mail: needs a custom, forward-confirmed PTR.
    Mail,
    /// Hosting: needs a PTR and forward confirmation; generic names are a warning.
    Hosting,
    /// Not in use: not scanned.
    Reserved,
}

impl Policy {
    /// Every policy, in the order inventories and reports list them.
    pub const ALL: [Policy; 3] = [Policy::Mail, Policy::Hosting, Policy::Reserved];

    /// The inventory keyword (`mail`, `hosting`, `reserved`).
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Mail => "mail",
            Policy::Hosting => "hosting",
            Policy::Reserved => "reserved",
        }
    }

    /// Parses a keyword written by [`Policy::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// Where a datacenter stands in a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatacenterStatus {
    /// In service, not migrating.
    Active,
    /// Addresses are moving in now.
    Migrating,
    /// Addresses moved in from `migrated_from`.
    Migrated,
}

impl DatacenterStatus {
    /// The inventory keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DatacenterStatus::Active => "active",
            DatacenterStatus::Migrating => "migrating",
            DatacenterStatus::Migrated => "migrated",
        }
    }
}

/// How much a finding matters. Ordered: `Notice < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; no receiver is known to reject for it alone.
    Notice,
    /// Some receivers score or reject it.
    Warning,
    /// Mail from this address is likely to be rejected.
    Error,
}

impl Severity {
    /// The keyword used in reports and options.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses a keyword written by [`Severity::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "notice" => Some(Severity::Notice),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Severities the inventory sets for finding codes, overriding the policy's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeverityOverrides(pub Vec<(FindingCode, Severity)>);

impl SeverityOverrides {
    /// The overriding severity for `code`, if the inventory sets one.
    pub fn get(&self, code: FindingCode) -> Option<Severity> {
        self.0.iter().find(|(c, _)| *c == code).map(|(_, s)| *s)
    }
}
