//! DNS blocklists (DNSBLs): the lists a scan consults and what each answered
//! for one address. What an answer *means* (which code is a listing, which is
//! an error of the query) is the classifier's business.

use std::net::Ipv4Addr;

use crate::FailureReason;

/// How to read a list's answers: a mirror's zone name cannot tell which list
/// it serves, so the user says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DnsblKind {
    /// Spamhaus ZEN: SBL, CSS, XBL, DROP and PBL in one zone.
    SpamhausZen,
    /// The Spamhaus PBL alone.
    SpamhausPbl,
    /// Any other list: every 127.0.0.0/8 answer is a listing.
    Generic,
}

impl DnsblKind {
    /// Every kind, in the order the options list them.
    pub const ALL: [DnsblKind; 3] = [
        DnsblKind::SpamhausZen,
        DnsblKind::SpamhausPbl,
        DnsblKind::Generic,
    ];

    /// The keyword of options and reports (`spamhaus-zen`).
    pub fn as_str(self) -> &'static str {
        match self {
            DnsblKind::SpamhausZen => "spamhaus-zen",
            DnsblKind::SpamhausPbl => "spamhaus-pbl",
            DnsblKind::Generic => "generic",
        }
    }

    /// Parses a keyword written by [`DnsblKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// True for the lists whose answers include the Spamhaus PBL.
    pub fn has_pbl(self) -> bool {
        matches!(self, DnsblKind::SpamhausZen | DnsblKind::SpamhausPbl)
    }
}

/// A list as reports name it: its zone with any secret (a DQS key) replaced,
/// and how its answers are read. The zone actually queried is the scanner's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dnsbl {
    /// The zone as shown (`zen.spamhaus.org`, `KEY.zen.dq.spamhaus.net`),
    /// lowercase, without the trailing dot.
    pub name: String,
    /// How its answers are read.
    pub kind: DnsblKind,
}

/// What one list answered for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsblAnswer {
    /// NXDOMAIN or NODATA: the list has no entry for the address.
    NotListed,
    /// The A records returned, in answer order (return codes — or error
    /// codes, which the classifier tells apart).
    Codes(Vec<Ipv4Addr>),
    /// No usable answer after all attempts: the listing is unknown.
    Failed(FailureReason),
}

impl DnsblAnswer {
    /// How the question ended, without the codes.
    pub fn result(&self) -> DnsblResult {
        match self {
            DnsblAnswer::Codes(_) => DnsblResult::Answer,
            DnsblAnswer::NotListed => DnsblResult::NotListed,
            DnsblAnswer::Failed(_) => DnsblResult::Failed,
        }
    }
}

/// How a blocklist question ended, as reports name it (the `result` of a
/// record's `dnsbl` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsblResult {
    /// `answer`: return codes came back.
    Answer,
    /// `not-listed`.
    NotListed,
    /// `failed`: no usable answer.
    Failed,
}

impl DnsblResult {
    /// Every result, in declaration order.
    pub const ALL: [DnsblResult; 3] = [
        DnsblResult::Answer,
        DnsblResult::NotListed,
        DnsblResult::Failed,
    ];

    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsblResult::Answer => "answer",
            DnsblResult::NotListed => "not-listed",
            DnsblResult::Failed => "failed",
        }
    }

    /// Parses a keyword written by [`DnsblResult::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}
