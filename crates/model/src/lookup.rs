//! What DNS said about one address: the PTR answer and the forward lookups.

use std::net::IpAddr;

use std::sync::Arc;

use crate::{DnsName, Dnsbl, DnsblAnswer};

/// A DNS response code, as far as the audit cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rcode {
    /// NOERROR.
    NoError,
    /// FORMERR.
    FormErr,
    /// SERVFAIL.
    ServFail,
    /// NXDOMAIN.
    NxDomain,
    /// NOTIMP.
    NotImp,
    /// REFUSED.
    Refused,
    /// Any other code, by number.
    Other(u16),
}

impl Rcode {
    /// Maps a numeric rcode.
    pub fn from_u16(code: u16) -> Self {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            n => Rcode::Other(n),
        }
    }

    /// The mnemonic (`NOERROR`, `NXDOMAIN`, `RCODE23`).
    pub fn as_str(self) -> std::borrow::Cow<'static, str> {
        match self {
            Rcode::NoError => "NOERROR".into(),
            Rcode::FormErr => "FORMERR".into(),
            Rcode::ServFail => "SERVFAIL".into(),
            Rcode::NxDomain => "NXDOMAIN".into(),
            Rcode::NotImp => "NOTIMP".into(),
            Rcode::Refused => "REFUSED".into(),
            Rcode::Other(n) => format!("RCODE{n}").into(),
        }
    }

    /// The name of any numeric response code, for messages: the keyword
    /// [`Rcode::as_str`] writes (`NXDOMAIN`, `RCODE23`), except that the
    /// codes of RFC 2136 an update or a zone transfer meets have their
    /// mnemonics (`YXDOMAIN`, `YXRRSET`, `NXRRSET`, `NOTAUTH`, `NOTZONE`).
    /// Reports keep `RCODE9` and the like: their keywords are [`Rcode::as_str`]'s.
    pub fn mnemonic(code: u16) -> std::borrow::Cow<'static, str> {
        match code {
            6 => "YXDOMAIN".into(),
            7 => "YXRRSET".into(),
            8 => "NXRRSET".into(),
            9 => "NOTAUTH".into(),
            10 => "NOTZONE".into(),
            _ => Rcode::from_u16(code).as_str(),
        }
    }

    /// Parses a mnemonic written by [`Rcode::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "NOERROR" => Rcode::NoError,
            "FORMERR" => Rcode::FormErr,
            "SERVFAIL" => Rcode::ServFail,
            "NXDOMAIN" => Rcode::NxDomain,
            "NOTIMP" => Rcode::NotImp,
            "REFUSED" => Rcode::Refused,
            t => Rcode::Other(t.strip_prefix("RCODE")?.parse().ok()?),
        })
    }
}

/// Why a lookup got no usable answer after all attempts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No reply within the timeout, on every attempt.
    Timeout,
    /// The server answered with an error code (SERVFAIL, REFUSED, FORMERR, ...).
    Rcode(Rcode),
    /// The reply was truncated and TCP did not help.
    Truncated,
    /// Replies could not be parsed, or did not match the question.
    Malformed,
    /// A network error (connection refused or reset, unreachable).
    Network(String),
    /// A CNAME chain looped or was longer than the limit.
    CnameLoop,
}

impl FailureReason {
    /// A short keyword (`timeout`, `servfail`, `refused`, `network`, ...).
    pub fn keyword(&self) -> String {
        match self {
            FailureReason::Timeout => "timeout".into(),
            FailureReason::Rcode(rc) => rc.as_str().to_ascii_lowercase(),
            FailureReason::Truncated => "truncated".into(),
            FailureReason::Malformed => "malformed".into(),
            FailureReason::Network(_) => "network".into(),
            FailureReason::CnameLoop => "cname-loop".into(),
        }
    }

    /// Parses a keyword written by [`FailureReason::keyword`] (`network`
    /// comes back without its message).
    pub fn parse_keyword(text: &str) -> Option<Self> {
        Some(match text {
            "timeout" => FailureReason::Timeout,
            "truncated" => FailureReason::Truncated,
            "malformed" => FailureReason::Malformed,
            "cname-loop" => FailureReason::CnameLoop,
            "network" => FailureReason::Network(String::new()),
            t => FailureReason::Rcode(Rcode::parse(&t.to_ascii_uppercase())?),
        })
    }
}

/// The outcome of the PTR query for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PtrAnswer {
    /// One or more PTR records (in answer order).
    Names(Vec<DnsName>),
    /// The reverse name does not exist.
    NxDomain,
    /// The reverse name exists but has no PTR.
    NoData,
    /// A CNAME chain led to a name that does not exist or has no PTR.
    BrokenDelegation {
        /// The last name of the chain, which has no PTR.
        target: DnsName,
    },
    /// No usable answer: the PTR is unknown.
    Failed(FailureReason),
}

impl PtrAnswer {
    /// How the query ended, without the answer's data.
    pub fn result(&self) -> PtrResult {
        match self {
            PtrAnswer::Names(_) => PtrResult::Answer,
            PtrAnswer::NxDomain => PtrResult::NxDomain,
            PtrAnswer::NoData => PtrResult::NoData,
            PtrAnswer::BrokenDelegation { .. } => PtrResult::BrokenDelegation,
            PtrAnswer::Failed(_) => PtrResult::Failed,
        }
    }
}

/// How a PTR query ended, as reports name it (a record's `result`; the
/// same words name a forward answer that holds no address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtrResult {
    /// `answer`: PTR names came back.
    Answer,
    /// `nxdomain`.
    NxDomain,
    /// `nodata`.
    NoData,
    /// `broken-delegation`: a CNAME chain that ends nowhere.
    BrokenDelegation,
    /// `failed`: no usable answer.
    Failed,
}

impl PtrResult {
    /// Every result, in declaration order.
    pub const ALL: [PtrResult; 5] = [
        PtrResult::Answer,
        PtrResult::NxDomain,
        PtrResult::NoData,
        PtrResult::BrokenDelegation,
        PtrResult::Failed,
    ];

    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            PtrResult::Answer => "answer",
            PtrResult::NxDomain => "nxdomain",
            PtrResult::NoData => "nodata",
            PtrResult::BrokenDelegation => "broken-delegation",
            PtrResult::Failed => "failed",
        }
    }

    /// Parses a keyword written by [`PtrResult::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The outcome of the forward (A or AAAA) lookup of one PTR name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardAnswer {
    /// The addresses of the audited address's family.
    Addresses(Vec<IpAddr>),
    /// The name does not exist.
    NxDomain,
    /// The name has no record of the family.
    NoData,
    /// No usable answer.
    Failed(FailureReason),
}

/// Everything DNS said about one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The response code of the final PTR response, if any response came.
    pub rcode: Option<Rcode>,
    /// The PTR outcome.
    pub answer: PtrAnswer,
    /// CNAMEs followed from the reverse name, in order (RFC 2317).
    pub cname_chain: Vec<DnsName>,
    /// Queries sent for the PTR (1 when the first try was answered).
    pub attempts: u32,
    /// Forward lookups, one per distinct PTR name, in PTR order.
    pub forward: Vec<(DnsName, ForwardAnswer)>,
    /// One answer per DNS blocklist consulted, in the order they were given
    /// (empty, and unallocated, when none was).
    pub dnsbl: Vec<(Arc<Dnsbl>, DnsblAnswer)>,
}

/// What one authoritative server said about an address's PTR (`scan
/// --authoritative` asks every server of the reverse zone directly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAnswer {
    /// The server, as reports name it: `127.0.0.11:53 (ns1.examplehost.net.)`.
    pub server: String,
    /// Its answer, asked with recursion off and not followed forward.
    pub answer: PtrAnswer,
}
