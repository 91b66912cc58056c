//! Invalid names: what Postfix and other receivers treat as no PTR at all.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ptr_audit_model::reverse_name;

use crate::judgement::{Reason, Rule};

/// Top-level labels of names that only mean something on a local network.
const LOCAL_TLDS: &[&str] = &[
    "localhost",
    "localdomain",
    "local",
    "lan",
    "home",
    "internal",
    "intranet",
    "corp",
    "invalid",
];

/// Pushes a reason for every way `name` (as given, `body` without the
/// trailing dot) is not a usable host name. Returns true when any matched.
pub(crate) fn check(ip: IpAddr, name: &str, body: &[u8], out: &mut Vec<Reason>) -> bool {
    let before = out.len();
    let push = |out: &mut Vec<Reason>,
                rule,
                kind,
                span: std::ops::Range<usize>,
                msg: Cow<'static, str>| {
        out.push(Reason {
            rule,
            kind,
            span,
            message: msg,
        })
    };
    if body.is_empty() {
        push(
            out,
            Rule::InvalidHostname,
            "empty",
            0..name.len(),
            "the name is the root: no host name at all".into(),
        );
        return true;
    }
    // Escapes from the presentation form: control, non-ASCII, space or a dot inside a label.
    let mut seen_kinds: [&str; 4] = [""; 4];
    let mut n_seen = 0;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        let (kind, len, what): (&'static str, usize, &str) = match b {
            b'\\' => {
                let rest = &body[i + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let v = (rest[0] - b'0') as u32 * 100
                        + (rest[1] - b'0') as u32 * 10
                        + (rest[2] - b'0') as u32;
                    match v {
                        32 => ("space", 4, "a space"),
                        0..=31 | 127 => ("control", 4, "a control character"),
                        128.. => ("non-ascii", 4, "a non-ascii byte"),
                        _ => ("bad-character", 4, "an escaped character"),
                    }
                } else if rest.first() == Some(&b'.') {
                    ("embedded-dot", 2, "a dot inside a label")
                } else {
                    (
                        "bad-character",
                        2.min(body.len() - i),
                        "an escaped character",
                    )
                }
            }
            b'_' => ("underscore", 1, "an underscore"),
            b' ' => ("space", 1, "a space"),
            0..=31 | 127 => ("control", 1, "a control character"),
            128.. => ("non-ascii", 1, "a non-ascii byte"),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => {
                i += 1;
                continue;
            }
            _ => ("bad-character", 1, "a character not allowed in host names"),
        };
        if n_seen < seen_kinds.len() && !seen_kinds[..n_seen].contains(&kind) {
            seen_kinds[n_seen] = kind;
            n_seen += 1;
            push(
                out,
                Rule::InvalidHostname,
                kind,
                i..i + len,
                format!("the name holds {what}, which rfc 1123 host names cannot").into(),
            );
        }
        i += len.max(1);
    }
    // IP literals before label checks: `203.0.113.5` is also a numeric TLD.
    let text = std::str::from_utf8(body).unwrap_or("");
    let literal = text.trim_start_matches('[').trim_end_matches(']');
    if literal.parse::<Ipv4Addr>().is_ok() {
        push(
            out,
            Rule::IpLiteral,
            "ipv4",
            0..body.len(),
            "the name is an ipv4 address, not a host name".into(),
        );
        return true;
    }
    if literal.contains(':') && literal.parse::<Ipv6Addr>().is_ok() {
        out.truncate(before);
        push(
            out,
            Rule::IpLiteral,
            "ipv6",
            0..body.len(),
            "the name is an ipv6 address, not a host name".into(),
        );
        return true;
    }
    if body.len() > 253 {
        push(
            out,
            Rule::InvalidHostname,
            "name-too-long",
            0..body.len(),
            format!("the name has {} octets, more than 253", body.len()).into(),
        );
    }
    let mut labels = 0;
    let mut start = 0;
    let mut last = 0..0;
    for end in body
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'.')
        .map(|(i, _)| i)
        .chain(std::iter::once(body.len()))
    {
        let label = &body[start..end];
        labels += 1;
        if label.is_empty() {
            push(
                out,
                Rule::InvalidHostname,
                "empty-label",
                start..(end + 1).min(body.len()),
                "the name has an empty label".into(),
            );
        } else if label.len() > 63 {
            push(
                out,
                Rule::InvalidHostname,
                "label-too-long",
                start..end,
                format!("a label has {} octets, more than 63", label.len()).into(),
            );
        } else if label[0] == b'-' || label[label.len() - 1] == b'-' {
            let at = if label[0] == b'-' { start } else { end - 1 };
            push(
                out,
                Rule::InvalidHostname,
                "hyphen-edge",
                at..at + 1,
                "a label starts or ends with a hyphen".into(),
            );
        }
        last = start..end;
        start = end + 1;
    }
    let tld = &body[last.clone()];
    // `localhost6`, `localdomain6`: the IPv6 variants of the standard names.
    let tld =
        if tld.eq_ignore_ascii_case(b"localhost6") || tld.eq_ignore_ascii_case(b"localdomain6") {
            &tld[..tld.len() - 1]
        } else {
            tld
        };
    if labels == 1 {
        if tld.eq_ignore_ascii_case(b"localhost") || tld.eq_ignore_ascii_case(b"localdomain") {
            push(
                out,
                Rule::LocalName,
                "localhost",
                last,
                "the name is a local-only name".into(),
            );
        } else {
            push(
                out,
                Rule::InvalidHostname,
                "single-label",
                0..body.len(),
                "the name is a single label, not a fully qualified host name".into(),
            );
        }
    } else if LOCAL_TLDS
        .iter()
        .any(|t| tld.eq_ignore_ascii_case(t.as_bytes()))
    {
        let kind = if tld.eq_ignore_ascii_case(b"localhost") {
            "localhost"
        } else if tld.eq_ignore_ascii_case(b"localdomain") {
            "localdomain"
        } else {
            "local-tld"
        };
        push(
            out,
            Rule::LocalName,
            kind,
            last,
            "the name is under a local-only top-level domain".into(),
        );
    } else if !tld.is_empty() && tld.iter().all(u8::is_ascii_digit) {
        push(
            out,
            Rule::NumericTld,
            "numeric-tld",
            last,
            "the top-level label is all digits".into(),
        );
    } else if tld.len() == 1 {
        push(
            out,
            Rule::InvalidHostname,
            "one-char-tld",
            last,
            "the top-level label has one character, which no top-level domain has".into(),
        );
    }
    let lower_ends = |suffix: &[u8]| {
        body.len() >= suffix.len() && body[body.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if lower_ends(b".home.arpa") {
        push(
            out,
            Rule::LocalName,
            "home-arpa",
            body.len() - 9..body.len(),
            "the name is under home.arpa, which only exists on home networks".into(),
        );
    }
    if lower_ends(b".in-addr.arpa") || lower_ends(b".ip6.arpa") {
        let own = reverse_name(ip);
        let own = own.as_bytes();
        let kind = if body.eq_ignore_ascii_case(&own[..own.len() - 1]) {
            "own"
        } else {
            "other"
        };
        let msg = if kind == "own" {
            "the ptr points at the address's own reverse name".into()
        } else {
            "the ptr points at a reverse-zone name, not a host name".into()
        };
        push(out, Rule::ReverseName, kind, 0..body.len(), msg);
    }
    out.len() > before
}
