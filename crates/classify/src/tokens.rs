//! Words that mark dynamic, pool or unconfigured addresses (`dyn`, `pool`,
//! `dsl`, `unassigned`, ...), looked up as whole words in the host part of the
//! name; in the registered domain only the words and phrases that say no
//! reverse name was configured (`no-reverse-dns-configured.com`).

use std::net::IpAddr;

use crate::Evidence;
use crate::judgement::{Reason, Rule};
use crate::suffix::{Section, SuffixList};

/// Words that mark a dynamic or consumer-access address on their own.
const STRONG: &[&str] = &[
    "dyn",
    "dynamic",
    "dynip",
    "dynamicip",
    "dhcp",
    "pool",
    "dslpool",
    "ppp",
    "pppoe",
    "pppoa",
    "dial",
    "dialup",
    "dialin",
    "adsl",
    "vdsl",
    "xdsl",
    "sdsl",
    "dsl",
    "cable",
    "cablemodem",
    "cpe",
    "broadband",
    "resnet",
    "residential",
    "dialpool",
];

/// Words that mark a name nobody configured, anywhere in the name: they say
/// "no reverse name configured" even as the registered domain's own
/// (`noptr.example`).
const PLACEHOLDER: &[&str] = &[
    "unassigned",
    "unconfigured",
    "noreverse",
    "nordns",
    "noptr",
    "norev",
    "notassigned",
    "notconfigured",
];

/// Words that mark a name nobody configured in the host part only: real
/// domains carry them (`unknown-worlds.example`). (`localhost` alone, or
/// under `localdomain`, is an invalid name: `validity`.)
const HOST_PLACEHOLDER: &[&str] = &[
    "unallocated",
    "unknown",
    "unused",
    "undefined",
    "nxdomain",
    "localhost",
];

/// Words that mark a name nobody configured when they are the whole host part,
/// one label right under the registered domain (`reverse.provider.net`,
/// `reserved.provider.net`): one name for every address of a range. Elsewhere
/// in a name they are ordinary words (`reverse-proxy.example.com`).
const LONE_PLACEHOLDER: &[&str] = &[
    "reverse",
    "rdns",
    "ptr",
    "placeholder",
    "reserved",
    "notset",
    "unset",
    "none",
    "noname",
    "nohost",
    "empty",
    "spare",
];

/// Two-word phrases (joined by `-` or `.`) that mark a name nobody configured.
const PHRASES: &[(&str, &str)] = &[
    ("no", "reverse"),
    ("no", "rdns"),
    ("no", "ptr"),
    ("no", "dns"),
    ("not", "assigned"),
    ("not", "configured"),
    ("not", "set"),
    ("not", "defined"),
    ("hosted", "by"),
];

/// Words that only count in company: each adds 2 to the score, a number next
/// to one that equals an octet adds 1; generic at 4.
const WEAK: &[&str] = &[
    "host",
    "ip",
    "client",
    "clients",
    "cust",
    "customer",
    "customers",
    "user",
    "users",
    "static",
    "vps",
    "ded",
    "dedicated",
    "res",
    "bb",
    "nat",
    "rev",
    "ptr",
    "addr",
    "generic",
    "hosted",
    "mobile",
    "wireless",
    "wifi",
    "lte",
    "fiber",
    "fibre",
    "ftth",
    "fttx",
    "fttb",
    "fttc",
    "fttp",
    "cm",
    "hsd",
    "subscriber",
    "dip",
    "isp",
];

fn is_in(list: &[&str], w: &[u8]) -> bool {
    list.iter().any(|x| x.as_bytes() == w)
}

/// Where the registered domain starts (`example.com`, `example.co.uk`,
/// `example.kawasaki.jp` under the wildcard `*.kawasaki.jp`): the host part
/// is everything before it. 0 when the name is only a domain. The boundary
/// is the Public Suffix List's ICANN section (`list`: the one compiled in by
/// the `psl` crate, or `--psl`'s); a private-section suffix
/// (`compute-1.amazonaws.com`, `dyndns.org`) is a hosting product's own
/// domain, and the names under it are its hosts, so it is skipped for the
/// ICANN suffix beneath it. A top-level label the list does not know counts
/// as a suffix of its own (the list's default rule `*`). No allocation with
/// the embedded list: the lookup walks the labels of `body` (lowercase, no
/// trailing dot). Also says whether any rule matched (`false`: the
/// top-level domain is not in the list).
pub(crate) fn registered_start(list: &SuffixList, body: &[u8]) -> (usize, bool) {
    let mut info = list.find(body);
    let listed = info.section.is_some();
    while info.section == Some(Section::Private) {
        // The same lookup without the private suffix's leftmost label.
        let tail = &body[body.len() - info.len..];
        let below = tail
            .iter()
            .position(|b| *b == b'.')
            .map_or(tail.len(), |i| i + 1);
        let rest = &tail[below..];
        if rest.is_empty() {
            return (0, listed);
        }
        info = list.find(rest);
    }
    if info.len == 0 || info.len >= body.len() {
        return (0, listed);
    }
    let dot = body.len() - info.len - 1;
    let start = body[..dot]
        .iter()
        .rposition(|b| *b == b'.')
        .map_or(0, |i| i + 1);
    (start, listed)
}

/// A registered domain that says no reverse name was configured: one of
/// [`PLACEHOLDER`] or a phrase of [`PHRASES`] among the `-`-separated
/// words of its first label.
fn domain_placeholder(body: &[u8], host_end: usize, ev: &mut Evidence) {
    let rest = &body[host_end..];
    let label = &rest[..rest.iter().position(|b| *b == b'.').unwrap_or(rest.len())];
    if !label.contains(&b'-') && !label.starts_with(b"no") && !label.starts_with(b"un") {
        return;
    }
    let mut prev: Option<&[u8]> = None;
    let mut start = 0;
    for w in label.split(|b| *b == b'-') {
        let phrase = prev.is_some_and(|p| {
            PHRASES
                .iter()
                .any(|(a, b)| a.as_bytes() == p && b.as_bytes() == w)
        });
        if phrase || is_in(PLACEHOLDER, w) {
            let from = if phrase {
                start - prev.map_or(0, |p| p.len() + 1)
            } else {
                start
            };
            ev.strong.push(Reason {
                rule: Rule::DynamicToken,
                kind: "placeholder",
                span: host_end + from..host_end + start + w.len(),
                message: "the registered domain says no reverse name was configured".into(),
            });
            return;
        }
        prev = Some(w);
        start += w.len() + 1;
    }
}

/// Looks for dynamic and placeholder words in the host part of `body` (the
/// bytes before `host_end`, where the registered domain starts: see
/// [`registered_start`]), and for placeholder words in the registered domain's
/// first label.
pub(crate) fn scan(ip: IpAddr, body: &[u8], host_end: usize, ev: &mut Evidence) {
    domain_placeholder(body, host_end, ev);
    if host_end == 0 {
        return;
    }
    let host = &body[..host_end];
    let lone = &host[..host.len() - 1];
    if is_in(LONE_PLACEHOLDER, lone) {
        ev.strong.push(Reason {
            rule: Rule::DynamicToken,
            kind: "placeholder",
            span: 0..lone.len(),
            message: "the host's only label is a placeholder word".into(),
        });
    }
    let octets: [u8; 4] = match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(_) => [0; 4],
    };
    let mut prev: Option<(usize, usize)> = None;
    let mut weak_seen = 0u64;
    let mut i = 0;
    while i < host.len() {
        if !host[i].is_ascii_lowercase() {
            i += 1;
            continue;
        }
        let start = i;
        while i < host.len() && host[i].is_ascii_lowercase() {
            i += 1;
        }
        let w = &host[start..i];
        if let Some((ps, pe)) = prev {
            let gap = &host[pe..start];
            if (gap == b"-" || gap == b".")
                && PHRASES
                    .iter()
                    .any(|(a, b)| a.as_bytes() == &host[ps..pe] && b.as_bytes() == w)
            {
                ev.strong.push(Reason {
                    rule: Rule::DynamicToken,
                    kind: "placeholder",
                    span: ps..i,
                    message: "the phrase marks a name nobody configured".into(),
                });
            }
        }
        prev = Some((start, i));
        if is_in(STRONG, w) {
            ev.strong.push(Reason {
                rule: Rule::DynamicToken,
                kind: "dynamic",
                span: start..i,
                message: "the word marks a dynamic or consumer-access address".into(),
            });
        } else if is_in(PLACEHOLDER, w) || is_in(HOST_PLACEHOLDER, w) {
            ev.strong.push(Reason {
                rule: Rule::DynamicToken,
                kind: "placeholder",
                span: start..i,
                message: "the word marks a name nobody configured".into(),
            });
        } else if let Some(pos) = WEAK.iter().position(|x| x.as_bytes() == w) {
            if weak_seen & (1 << pos) != 0 {
                continue;
            }
            weak_seen |= 1 << pos;
            // A number right after the word (`host5`, `ip-5`) that equals an octet.
            let mut j = i;
            if j < host.len() && host[j] == b'-' {
                j += 1;
            }
            let ds = j;
            let mut v: u32 = 0;
            while j < host.len() && host[j].is_ascii_digit() && j - ds < 4 {
                v = v * 10 + (host[j] - b'0') as u32;
                j += 1;
            }
            let octet = j > ds
                && (j == host.len() || !host[j].is_ascii_digit())
                && octets.iter().any(|o| *o as u32 == v)
                && ip.is_ipv4();
            let (end, add, message) = if octet {
                (
                    j,
                    3,
                    "a word typical of generic names, followed by one of the address's octets",
                )
            } else {
                (i, 2, "a word typical of generic names")
            };
            ev.weak_score += add;
            ev.weak.push(Reason {
                rule: Rule::DynamicToken,
                kind: "generic-word",
                span: start..end,
                message: message.into(),
            });
        }
    }
}
