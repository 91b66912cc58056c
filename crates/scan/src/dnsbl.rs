//! DNS blocklist questions: the zones the scan asks ([`DnsblZone`], which
//! holds the queried zone — a secret when it carries a DQS key — and never
//! shows it) and the query name of an address under a zone (`4.3.2.1.zone.`,
//! nibbles for IPv6). The engine asks them as A questions beside the PTR,
//! with the same limits and retries, and turns their answers into
//! [`DnsblAnswer`]s.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ptr_audit_model::{Dnsbl, DnsblAnswer, FailureReason, ForwardAnswer};

use crate::packet;

/// The longest zone (wire form) that still leaves room for an IPv6 address's
/// 32 nibble labels (64 bytes) under the 255-byte name limit.
const MAX_ZONE_WIRE: usize = packet::MAX_NAME - 64;

/// A list to ask: the zone queried and the [`Dnsbl`] reports name.
///
/// `Debug` shows the list, never the queried zone (it may hold a key).
#[derive(Clone, PartialEq, Eq)]
pub struct DnsblZone {
    list: Arc<Dnsbl>,
    /// The zone in wire form, ending with the root byte.
    wire: Box<[u8]>,
}

/// Why a zone name cannot be asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsblZoneError {
    /// The zone is empty or has an empty label.
    #[error("the zone of list `{list}` has an empty label")]
    EmptyLabel {
        /// The list, as reports name it.
        list: String,
    },
    /// A label is longer than 63 bytes.
    #[error("a label of the zone of list `{list}` is longer than 63 bytes")]
    LongLabel {
        /// The list, as reports name it.
        list: String,
    },
    /// The zone leaves no room for an address under it.
    #[error("the zone of list `{list}` is too long: an IPv6 address under it would pass 255 bytes")]
    TooLong {
        /// The list, as reports name it.
        list: String,
    },
    /// A byte that is not a letter, digit, `-` or `_`.
    #[error("the zone of list `{list}` holds a byte that is not a letter, digit, `-` or `_`")]
    BadByte {
        /// The list, as reports name it.
        list: String,
    },
}

impl DnsblZone {
    /// The list `list`, asked under `zone` (presentation form, a trailing dot
    /// optional; it may differ from `list.name` by a secret). Errors name the
    /// list, never the zone.
    pub fn new(list: Arc<Dnsbl>, zone: &str) -> Result<Self, DnsblZoneError> {
        let name = || list.name.clone();
        let zone = zone.strip_suffix('.').unwrap_or(zone);
        let mut out = Vec::with_capacity(zone.len() + 2);
        for label in zone.split('.') {
            if label.is_empty() {
                return Err(DnsblZoneError::EmptyLabel { list: name() });
            }
            if label.len() > 63 {
                return Err(DnsblZoneError::LongLabel { list: name() });
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(DnsblZoneError::BadByte { list: name() });
            }
            out.push(label.len() as u8);
            out.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
        out.push(0);
        if out.len() > MAX_ZONE_WIRE {
            return Err(DnsblZoneError::TooLong { list: name() });
        }
        Ok(Self {
            list,
            wire: out.into_boxed_slice(),
        })
    }

    /// The list as reports name it.
    pub fn list(&self) -> &Arc<Dnsbl> {
        &self.list
    }
}

impl fmt::Debug for DnsblZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DnsblZone")
            .field("list", &self.list)
            .field("zone", &"<as given>")
            .finish()
    }
}

/// Writes the query name of `ip` under `zone` into `out` (cleared first):
/// the address's labels reversed (decimal octets, or nibbles for IPv6), then
/// the zone.
pub(crate) fn push_query_name(out: &mut Vec<u8>, ip: IpAddr, zone: &DnsblZone) {
    out.clear();
    packet::push_reverse_name(out, ip);
    // drop the `in-addr.arpa.` / `ip6.arpa.` suffix the reverse name ends with
    let suffix = match ip {
        IpAddr::V4(_) => b"\x07in-addr\x04arpa\x00".len(),
        IpAddr::V6(_) => b"\x03ip6\x04arpa\x00".len(),
    };
    out.truncate(out.len() - suffix);
    out.extend_from_slice(&zone.wire);
}

/// A DNSBL question's final answer, from the engine's forward-style outcome.
pub(crate) fn answer_of(outcome: ForwardAnswer) -> DnsblAnswer {
    match outcome {
        ForwardAnswer::Addresses(addrs) => DnsblAnswer::Codes(
            addrs
                .into_iter()
                .filter_map(|a| match a {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                })
                .collect(),
        ),
        ForwardAnswer::NxDomain | ForwardAnswer::NoData => DnsblAnswer::NotListed,
        ForwardAnswer::Failed(reason) => DnsblAnswer::Failed(reason),
    }
}

/// The answer of a question that never finished (the scan's fallback).
pub(crate) fn unanswered() -> DnsblAnswer {
    DnsblAnswer::Failed(FailureReason::Timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ptr_audit_model::DnsblKind;

    fn list(name: &str) -> Arc<Dnsbl> {
        Arc::new(Dnsbl {
            name: name.into(),
            kind: DnsblKind::Generic,
        })
    }

    #[test]
    fn query_names_reverse_the_address_under_the_zone() {
        let zone = DnsblZone::new(list("bl.example"), "Bl.Example.").unwrap();
        let mut out = Vec::new();
        push_query_name(&mut out, "192.0.2.10".parse().unwrap(), &zone);
        assert_eq!(out, b"\x0210\x012\x010\x03192\x02bl\x07example\x00");
        push_query_name(&mut out, "2001:db8::1".parse().unwrap(), &zone);
        let labels: Vec<&[u8]> = packet::labels(&out).collect();
        assert_eq!(labels.len(), 34);
        assert_eq!(labels[0], b"1");
        assert_eq!(labels[31], b"2");
        assert_eq!(labels[32], b"bl");
    }

    #[test]
    fn bad_zones_are_refused_naming_the_list_not_the_zone() {
        let secret = "s3cr3tkey";
        for zone in [
            format!("{secret}..zen.dq.spamhaus.net"),
            format!("{secret}.zen dq.spamhaus.net"),
            format!("{}.{secret}", "a".repeat(64)),
            format!("{}{secret}", "abcdefghi.".repeat(20)),
            String::new(),
        ] {
            let err = DnsblZone::new(list("KEY.zen.dq.spamhaus.net"), &zone).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("KEY.zen.dq.spamhaus.net"), "{text}");
            assert!(!text.contains(secret), "{text}");
        }
        let zone = DnsblZone::new(list("KEY.zen"), &format!("{secret}.zen")).unwrap();
        assert!(!format!("{zone:?}").contains(secret));
    }

    #[test]
    fn answers_map_to_listings() {
        assert_eq!(answer_of(ForwardAnswer::NxDomain), DnsblAnswer::NotListed);
        assert_eq!(answer_of(ForwardAnswer::NoData), DnsblAnswer::NotListed);
        assert_eq!(
            answer_of(ForwardAnswer::Addresses(vec!["127.0.0.2".parse().unwrap()])),
            DnsblAnswer::Codes(vec!["127.0.0.2".parse().unwrap()])
        );
        assert_eq!(
            answer_of(ForwardAnswer::Failed(FailureReason::Timeout)),
            DnsblAnswer::Failed(FailureReason::Timeout)
        );
    }
}
