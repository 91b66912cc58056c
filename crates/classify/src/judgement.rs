//! What [`Classifier::judge`](crate::Classifier::judge) says about one name:
//! a [`Label`] and the [`Reason`]s behind it.

use std::borrow::Cow;
use std::ops::Range;

/// The overall judgement of a PTR name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// A name someone chose for this host: receivers accept it.
    Custom,
    /// A name derived from the address, a dynamic-pool name or a provider
    /// default: receivers score or reject it.
    Generic,
    /// Not a usable host name: receivers treat the address as having no PTR.
    Invalid,
}

impl Label {
    /// The keyword (`custom`, `generic`, `invalid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Custom => "custom",
            Label::Generic => "generic",
            Label::Invalid => "invalid",
        }
    }
}

/// The rule that matched a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// Not a valid RFC 1123 host name (bad character, label length, hyphen
    /// placement, a single label, an escaped byte).
    InvalidHostname,
    /// `localhost`, `*.localdomain`, `*.local` and similar local-only names.
    LocalName,
    /// An IPv4 or IPv6 address written as the name.
    IpLiteral,
    /// The top-level label is all digits.
    NumericTld,
    /// The name is a reverse-zone name (`in-addr.arpa`, `ip6.arpa`).
    ReverseName,
    /// The address is encoded in the name.
    IpEncoded,
    /// Words that mark dynamic, pool or unconfigured addresses.
    DynamicToken,
    /// A provider's default name: one of the inventory's templates, or a
    /// server, instance or line id in place of the address.
    ProviderDefault,
    /// One name shared by many addresses of a block (block level only).
    Placeholder,
}

impl Rule {
    /// The rule id written in reports (`ip-encoded`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::InvalidHostname => "invalid-hostname",
            Rule::LocalName => "local-name",
            Rule::IpLiteral => "ip-literal",
            Rule::NumericTld => "numeric-tld",
            Rule::ReverseName => "reverse-name",
            Rule::IpEncoded => "ip-encoded",
            Rule::DynamicToken => "dynamic-token",
            Rule::ProviderDefault => "provider-default",
            Rule::Placeholder => "placeholder",
        }
    }

    /// The label a match of this rule gives a name.
    pub fn label(self) -> Label {
        match self {
            Rule::InvalidHostname
            | Rule::LocalName
            | Rule::IpLiteral
            | Rule::NumericTld
            | Rule::ReverseName => Label::Invalid,
            Rule::IpEncoded | Rule::DynamicToken | Rule::ProviderDefault | Rule::Placeholder => {
                Label::Generic
            }
        }
    }
}

/// One matched rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// Which rule.
    pub rule: Rule,
    /// Which form of it matched (`dashed`, `reversed`, `hex`, `underscore`, ...).
    pub kind: &'static str,
    /// The matched bytes of the name as given to `judge` (for highlighting).
    pub span: Range<usize>,
    /// One lowercase sentence.
    pub message: Cow<'static, str>,
}

impl Reason {
    /// The matched part of `name` (the name this reason was computed for).
    pub fn matched<'a>(&self, name: &'a str) -> &'a str {
        name.get(self.span.clone()).unwrap_or("")
    }
}

/// The judgement of one name: its label and every reason for it (empty for
/// custom names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameJudgement {
    /// The overall label.
    pub label: Label,
    /// The rules that matched, in the order they were checked.
    pub reasons: Vec<Reason>,
    /// What the Public Suffix List says about the name's top-level domain
    /// (`None` for an invalid name: its top-level domain is no question).
    pub tld: Option<crate::TldCheck>,
}

impl NameJudgement {
    /// The distinct rules among the reasons, in order of first appearance.
    pub fn rules(&self) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        for r in &self.reasons {
            if !out.contains(&r.rule) {
                out.push(r.rule);
            }
        }
        out
    }
}
