//! Provider defaults built from a server, instance or line id instead of the
//! address: a first label of a few letters and a long serial number
//! (`vmi419932.contaboserver.net`, `vps-4c2a91e3.vps.ovh.net`,
//! `p7721959-ipngn937osakachuo.osaka.ocn.ne.jp`), or an id and the address's
//! last octet (`li1069-64.members.linode.com` on `.64`). Mail servers' own
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

/// Looks at the first label of `body` (lowercase, no trailing dot) when it
/// lies in the host part (before `host_end`, where the registered domain
/// starts).
pub(crate) fn scan(ip: IpAddr, body: &[u8], host_end: usize, ev: &mut Evidence) {
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
    let mail_word = || MAIL_WORDS.iter().any(|w| w.as_bytes() == &label[..letters]);
    let dash = usize::from(label.get(letters) == Some(&b'-'));
    let rest = &label[letters + dash..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let after = &rest[digits..];
    // A decimal serial, maybe a few letters after it, then the label's end
    // or a dash.
    let suffix = after.iter().take_while(|b| b.is_ascii_lowercase()).count();
    let serial_end = matches!(after.get(suffix), None | Some(b'-'));
    if digits >= MIN_DIGITS && suffix <= MAX_SUFFIX && serial_end {
        if mail_word() {
            return;
        }
        let id_end = letters + dash + digits + suffix;
        push(
            ev,
            "server-id",
            0..id_end,
            "the first label is a short prefix and a long serial number (a server, instance or line id)",
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
        if mail_word() {
            return;
        }
        push(
            ev,
            "server-id",
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
            && !mail_word()
        {
            push(
                ev,
                "server-id-octet",
                0..label.len(),
                "the first label is a server id and the address's last octet",
            );
        }
    }
}

/// The value of a run of decimal digits, `None` past `u32`.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |v, d| {
        v.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
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
