//! Provider defaults built from a server, instance or line id instead of the
//! address: a first label of a few letters and a long serial number
//! (`vmi419932.contaboserver.net`, `vps-4c2a91e3.vps.ovh.net`,
//! `vps-zap883671-1.zap-srv.com`,
//! `p7721959-ipngn937osakachuo.osaka.ocn.ne.jp`; five digits right under a
//! domain that names a server product: `vmd64148.contaboserver.net`), a zone
//! code, a host number and a serial (`ik1-411-37776.vs.sakura.ne.jp`), or an
//! id and the address's last octet (`li1069-64.members.linode.com` on `.64`,
//! Telia's line ids `h164n1fls31o925.telia.com` on `.164`). Mail servers' own
//! names that look alike are left alone: a first word that names a mail
//! service (`mail-40131.protonmail.ch`), or a number that is the third octet
//! (`a27-12.smtp-out.amazonses.com` on `54.240.27.12`, two octets: weak
//! evidence in `encoded`).

use std::net::IpAddr;

use crate::Evidence;
use crate::judgement::{Reason, Rule};

/// The longest letter prefix before the id (`hwsrv`, `vmi`, `li`).
const MAX_PREFIX: usize = 8;
/// Digits a decimal serial number has at least.
const MIN_DIGITS: usize = 6;
/// Digits a decimal serial has at least when its label is the whole host part
/// and the registered domain names a server product ([`SERVER_WORDS`]).
const MIN_DIGITS_UNDER_SERVER_DOMAIN: usize = 5;
/// Words that, inside the registered domain's first label, name a server or
/// hosting product (`contaboserver.net`, `zap-srv.com`, `your-server.de`).
const SERVER_WORDS: &[&str] = &["server", "srv", "vps", "hosting"];
/// Hex digits a hex instance id has at least (with a digit and a letter).
const MIN_HEX: usize = 8;
/// Letters allowed after a decimal serial (`pcp04024417pcs`).
const MAX_SUFFIX: usize = 4;

/// First words that name a mail service: a serial after one of them is the
/// sender's own numbering of its mail servers, not a provider default.
const MAIL_WORDS: &[&str] = &[
    "mail", "email", "mailer", "mx", "smtp", "mta", "out", "outbound", "relay", "bounce",
    "bounces", "send", "sender", "mo", "mout", "exch",
];

/// Weight of a serial number under a domain that is not the provider's (of
/// [`crate::WEAK_THRESHOLD`]): one more word typical of generic names makes
/// the name generic (`vps123456.cust.example.com`), a serial alone does not.
const ELSEWHERE_WEIGHT: u32 = 2;

/// Looks at the first label of `body` (lowercase, no trailing dot) when it
/// lies in the host part (before `host_end`, where the registered domain
/// starts). `elsewhere`: the provider's own zones are known and the name is
/// under none of them, so a serial number (`server-id`) is weak evidence: a
/// customer numbering its own hosts (`srv123456.customer.example`) is as
/// likely as a provider default; forms that hold the address's last octet
/// stay strong.
pub(crate) fn scan(ip: IpAddr, body: &[u8], host_end: usize, elsewhere: bool, ev: &mut Evidence) {
    let Some(end) = body.iter().position(|b| *b == b'.') else {
        return;
    };
    if end >= host_end {
        return;
    }
    let label = &body[..end];
    let letters = label.iter().take_while(|b| b.is_ascii_lowercase()).count();
    if letters == 0 || letters > MAX_PREFIX {
        return;
    }
    // Checked only once a pattern matched: most first labels match none.
    let mail_word = |w: &[u8]| MAIL_WORDS.iter().any(|m| m.as_bytes() == w);
    let dash = usize::from(label.get(letters) == Some(&b'-'));
    let rest = &label[letters + dash..];
    // A second word before the serial (`vps-zap883671`).
    let second = if dash == 1 {
        rest.iter().take_while(|b| b.is_ascii_lowercase()).count()
    } else {
        0
    };
    let serial = &rest[second..];
    let digits = serial.iter().take_while(|b| b.is_ascii_digit()).count();
    let after = &serial[digits..];
    // A decimal serial, maybe a few letters after it, then the label's end
    // or a dash.
    let suffix = after.iter().take_while(|b| b.is_ascii_lowercase()).count();
    let serial_end = matches!(after.get(suffix), None | Some(b'-'));
    let min_digits = if end + 1 == host_end && names_a_server_product(&body[host_end..]) {
        MIN_DIGITS_UNDER_SERVER_DOMAIN
    } else {
        MIN_DIGITS
    };
    if digits >= min_digits && second <= MAX_PREFIX && suffix <= MAX_SUFFIX && serial_end {
        if mail_word(&label[..letters]) || mail_word(&rest[..second]) {
            return;
        }
        let id_end = letters + dash + second + digits + suffix;
        push_serial(
            ev,
            elsewhere,
            0..id_end,
            "the first label is a short prefix and a long serial number (a server, instance or line id)",
        );
        return;
    }
    // A zone code of letters and one digit, a host number and a serial
    // (`ik1-411-37776`, `tk2-240-29809`).
    if dash == 0
        && letters <= 3
        && zone_host_serial(&label[letters..])
        && !mail_word(&label[..letters])
    {
        push_serial(
            ev,
            elsewhere,
            0..label.len(),
            "the first label is a zone code, a host number and a serial (a server id)",
        );
        return;
    }
    // A hex instance id, then the label's end or a dash.
    let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let id = &rest[..hex];
    if hex >= MIN_HEX
        && matches!(rest.get(hex), None | Some(b'-'))
        && id.iter().any(u8::is_ascii_digit)
        && id.iter().any(u8::is_ascii_lowercase)
    {
        if mail_word(&label[..letters]) {
            return;
        }
        push_serial(
            ev,
            elsewhere,
            0..letters + dash + hex,
            "the first label is a short prefix and a hex instance id",
        );
        return;
    }
    // An id of 3 or more digits, a dash and the address's last octet, the id
    // not being the third octet (`li1069-64` on `.64`).
    let IpAddr::V4(v4) = ip else {
        return;
    };
    let [_, _, third, last] = v4.octets();
    if dash == 0 && digits >= 3 && after.first() == Some(&b'-') {
        let tail = &after[1..];
        let id = number(&rest[..digits]);
        if (1..=3).contains(&tail.len())
            && tail.iter().all(u8::is_ascii_digit)
            && number(tail) == Some(u32::from(last))
            && id != Some(u32::from(third))
            && !mail_word(&label[..letters])
        {
            push(
                ev,
                "server-id-octet",
                0..label.len(),
                "the first label is a server id and the address's last octet",
            );
        }
        return;
    }
    // A line id around the last octet: a letter or two, the last octet, then
    // two or more groups of letters and digits (Telia's `h164n1fls31o925`,
    // `h41n1c1o1031` on `.164` and `.41`).
    if dash == 0
        && letters <= 2
        && (1..=3).contains(&digits)
        && number(&rest[..digits]) == Some(u32::from(last))
        && letter_digit_groups(after) >= 2
    {
        push(
            ev,
            "line-id-octet",
            0..label.len(),
            "the first label is a line id around the address's last octet",
        );
    }
}

/// True when the registered domain's first label holds a word of
/// [`SERVER_WORDS`] (`contaboserver`, `zap-srv`).
fn names_a_server_product(domain: &[u8]) -> bool {
    let label = &domain[..domain
        .iter()
        .position(|b| *b == b'.')
        .unwrap_or(domain.len())];
    SERVER_WORDS
        .iter()
        .any(|w| label.windows(w.len()).any(|x| x == w.as_bytes()))
}

/// `D-DDD-DDDDD` after a zone code's letters: one digit, a three-digit host
/// number and a five-digit serial, the whole rest of the label.
fn zone_host_serial(rest: &[u8]) -> bool {
    let mut parts = rest.split(|b| *b == b'-');
    let lens = [1, 3, 5];
    lens.iter().all(|n| {
        parts
            .next()
            .is_some_and(|p| p.len() == *n && p.iter().all(u8::is_ascii_digit))
    }) && parts.next().is_none()
}

/// How many groups of 1–4 letters then 1–4 digits make up all of `rest`; 0
/// when anything else is in it.
fn letter_digit_groups(rest: &[u8]) -> usize {
    let mut groups = 0;
    let mut i = 0;
    while i < rest.len() {
        let l = rest[i..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        let d = rest[i + l..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=4).contains(&l) || !(1..=4).contains(&d) {
            return 0;
        }
        groups += 1;
        i += l + d;
    }
    groups
}

/// The value of a run of decimal digits, `None` past `u32`.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |v, d| {
        v.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// A `server-id` reason: strong, or weak when `elsewhere`.
fn push_serial(
    ev: &mut Evidence,
    elsewhere: bool,
    span: std::ops::Range<usize>,
    message: &'static str,
) {
    if !elsewhere {
        return push(ev, "server-id", span, message);
    }
    ev.weak_score += ELSEWHERE_WEIGHT;
    ev.weak.push(Reason {
        rule: Rule::ProviderDefault,
        kind: "server-id",
        span,
        message: message.into(),
    });
}

fn push(
    ev: &mut Evidence,
    kind: &'static str,
    span: std::ops::Range<usize>,
    message: &'static str,
) {
    ev.strong.push(Reason {
        rule: Rule::ProviderDefault,
        kind,
        span,
        message: message.into(),
    });
}
