//! The address encoded in the name, in every textual form operators use:
//! dotted, dashed, reversed, zero-padded, concatenated, hex, decimal, partial,
//! split, and split with a line or port id in place of one octet for IPv4;
//! hextets, compressed, nibbles and the interface identifier for IPv6. One
//! tokenising pass, no allocation.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::Evidence;
use crate::judgement::{Reason, Rule};

const MAX_TOKS: usize = 64;

/// A run of digits (or hex digits) in the name.
#[derive(Clone, Copy, Default)]
struct Tok {
    start: u16,
    end: u16,
    value: u64,
}

impl Tok {
    fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    fn span(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

struct Toks {
    t: [Tok; MAX_TOKS],
    n: usize,
}

impl Toks {
    fn new() -> Self {
        Toks {
            t: [Tok::default(); MAX_TOKS],
            n: 0,
        }
    }
}

/// Fills `toks` (empty) with the digit runs of `body`, hex digits too when `hex`.
fn tokenize(body: &[u8], hex: bool, toks: &mut Toks) {
    let digit = |b: u8| -> Option<u64> {
        match b {
            b'0'..=b'9' => Some((b - b'0') as u64),
            b'a'..=b'f' if hex => Some((b - b'a' + 10) as u64),
            _ => None,
        }
    };
    let radix = if hex { 16 } else { 10 };
    let mut i = 0;
    while i < body.len() && toks.n < MAX_TOKS {
        if digit(body[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut value: u64 = 0;
        while i < body.len() {
            let Some(d) = digit(body[i]) else { break };
            value = value.saturating_mul(radix).saturating_add(d);
            i += 1;
        }
        toks.t[toks.n] = Tok {
            start: start as u16,
            end: i as u16,
            value,
        };
        toks.n += 1;
    }
}

fn is_sep(b: u8) -> bool {
    matches!(b, b'.' | b'-' | b'_')
}

/// The separator between two tokens when it is exactly one separator byte.
fn sep(body: &[u8], a: Tok, b: Tok) -> Option<u8> {
    (b.start == a.end + 1 && is_sep(body[a.end as usize])).then(|| body[a.end as usize])
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    (0..=hay.len() - needle.len()).find(|&i| hay[i] == first && &hay[i..i + needle.len()] == needle)
}

/// The first position of `f` in `hay` (`false`), else the first of `r`
/// (`true`): one pass, comparing eight bytes at once.
fn find8_either(hay: &[u8], f: [u8; 8], r: [u8; 8]) -> Option<(usize, bool)> {
    let (f, r) = (u64::from_le_bytes(f), u64::from_le_bytes(r));
    let mut first_r = None;
    for (i, w) in hay.windows(8).enumerate() {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        if w == f {
            return Some((i, false));
        }
        if w == r && first_r.is_none() {
            first_r = Some(i);
        }
    }
    first_r.map(|i| (i, true))
}

fn padded(body: &[u8], t: Tok) -> bool {
    t.len() > 1 && body[t.start as usize] == b'0'
}

fn strong(
    ev: &mut Evidence,
    kind: &'static str,
    span: std::ops::Range<usize>,
    message: impl Into<Cow<'static, str>>,
) {
    ev.strong.push(Reason {
        rule: Rule::IpEncoded,
        kind,
        span,
        message: message.into(),
    });
}

/// The number of decimal digits of `v`.
fn dec_len(v: u64) -> usize {
    let mut n = 1;
    let mut p = 10u64;
    while v >= p {
        n += 1;
        match p.checked_mul(10) {
            Some(next) => p = next,
            None => break,
        }
    }
    n
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The forms of `ip`'s family. `body` is the lowercased name without its
/// trailing dot. What it finds does not depend on what `ev` held before.
pub(crate) fn check(ip: std::net::IpAddr, body: &[u8], ev: &mut Evidence) {
    match ip {
        std::net::IpAddr::V4(v4) => ipv4(v4, body, ev),
        std::net::IpAddr::V6(v6) => ipv6(v6, body, ev),
    }
}

/// IPv4 forms. `body` is the lowercased name without its trailing dot.
fn ipv4(ip: Ipv4Addr, body: &[u8], ev: &mut Evidence) {
    let o = ip.octets();
    let fwd = [o[0] as u64, o[1] as u64, o[2] as u64, o[3] as u64];
    let rev = [fwd[3], fwd[2], fwd[1], fwd[0]];
    let mut toks = Toks::new();
    tokenize(body, false, &mut toks);
    let t = &toks.t[..toks.n];
    let before = ev.strong.len();

    // All four octets in a row, forward or reversed.
    for i in 0..t.len().saturating_sub(3) {
        let w = &t[i..i + 4];
        let seps = [
            sep(body, w[0], w[1]),
            sep(body, w[1], w[2]),
            sep(body, w[2], w[3]),
        ];
        if seps.iter().any(Option::is_none) {
            continue;
        }
        let vals = [w[0].value, w[1].value, w[2].value, w[3].value];
        let reversed = if vals == fwd {
            false
        } else if vals == rev {
            true
        } else {
            continue;
        };
        let span = w[0].start as usize..w[3].end as usize;
        let kind = if reversed {
            "reversed"
        } else if w.iter().any(|x| padded(body, *x)) {
            "zero-padded"
        } else if seps.iter().all(|s| *s == Some(b'.')) {
            "dotted"
        } else if seps.iter().all(|s| *s == Some(b'-')) {
            "dashed"
        } else if seps.iter().all(|s| *s == Some(b'_')) {
            "underscored"
        } else {
            "mixed"
        };
        let message = match kind {
            "reversed" => "the address's octets appear in reverse order",
            "zero-padded" => "the address appears in the name (zero-padded form)",
            "dotted" => "the address appears in the name (dotted form)",
            "dashed" => "the address appears in the name (dashed form)",
            "underscored" => "the address appears in the name (underscored form)",
            _ => "the address appears in the name (mixed separators)",
        };
        strong(ev, kind, span, message);
        break;
    }

    // Concatenated (zero-padded or not), and the decimal integer. A token is
    // all digits, so its text equals a decimal form exactly when the lengths
    // and the values are equal: compare numbers, format nothing.
    let (mut pad_f, mut pad_r, mut cat_f, mut cat_r) = (0u64, 0u64, 0u64, 0u64);
    let (mut nf, mut nr) = (0, 0);
    for k in 0..4 {
        pad_f = pad_f * 1000 + fwd[k];
        pad_r = pad_r * 1000 + rev[k];
        let (df, dr) = (dec_len(fwd[k]), dec_len(rev[k]));
        cat_f = cat_f * 10u64.pow(df as u32) + fwd[k];
        cat_r = cat_r * 10u64.pow(dr as u32) + rev[k];
        nf += df;
        nr += dr;
    }
    let int = u32::from(ip) as u64;
    let ndec = dec_len(int);
    for &x in t {
        let (len, v) = (x.len(), x.value);
        let kind = if (len == 12 && (v == pad_f || v == pad_r))
            || (len >= 8 && ((len == nf && v == cat_f) || (len == nr && v == cat_r)))
        {
            "concatenated"
        } else if ndec >= 7 && v == int && (len == ndec || len == 10) {
            "decimal"
        } else {
            continue;
        };
        let message = if kind == "decimal" {
            "the address appears as one decimal integer"
        } else {
            "the address's octets appear concatenated"
        };
        strong(ev, kind, x.span(), message);
        break;
    }

    // Hex, forward or reversed, with an optional 0x.
    let mut fhex = [0u8; 8];
    let mut rhex = [0u8; 8];
    for k in 0..4 {
        fhex[k * 2] = HEX[(o[k] >> 4) as usize];
        fhex[k * 2 + 1] = HEX[(o[k] & 15) as usize];
        rhex[k * 2] = HEX[(o[3 - k] >> 4) as usize];
        rhex[k * 2 + 1] = HEX[(o[3 - k] & 15) as usize];
    }
    if let Some((pos, reversed)) = find8_either(body, fhex, rhex) {
        let start = if pos >= 2 && &body[pos - 2..pos] == b"0x" {
            pos - 2
        } else {
            pos
        };
        let message = if reversed {
            "the address appears in hex, octets reversed"
        } else {
            "the address appears in hex"
        };
        strong(ev, "hex", start..pos + 8, message);
    }
    if ev.strong.len() > before {
        return;
    }

    // Three octets in a row: the network part (`ip-203-0-113`) or its reverse.
    let windows3 = [&fwd[0..3], &fwd[1..4], &rev[0..3], &rev[1..4]];
    for i in 0..t.len().saturating_sub(2) {
        let w = &t[i..i + 3];
        if sep(body, w[0], w[1]).is_none() || sep(body, w[1], w[2]).is_none() {
            continue;
        }
        let vals = [w[0].value, w[1].value, w[2].value];
        if windows3.iter().any(|x| *x == vals) {
            strong(
                ev,
                "partial",
                w[0].start as usize..w[2].end as usize,
                "three of the address's octets appear in a row",
            );
            return;
        }
    }

    // Split: every octet appears as its own number somewhere in the name.
    if t.len() >= 4 && t.len() <= 64 {
        let mut used: u64 = 0;
        let mut all = true;
        for v in fwd {
            match (0..t.len()).find(|&j| used & (1 << j) == 0 && t[j].value == v && t[j].len() <= 3)
            {
                Some(j) => used |= 1 << j,
                None => {
                    all = false;
                    break;
                }
            }
        }
        if all {
            let first = used.trailing_zeros() as usize;
            let last = 63 - used.leading_zeros() as usize;
            strong(
                ev,
                "split",
                t[first].start as usize..t[last].end as usize,
                "every octet of the address appears in the name, split up",
            );
            return;
        }
    }

    // Two octets in a row: weak evidence on its own; strong when a third
    // octet stands elsewhere beside a line or port id in place of the fourth
    // octet (`lfbn-tou-1-1502-76.w90-89` on 90.89.68.76).
    for i in 0..t.len().saturating_sub(1) {
        let w = &t[i..i + 2];
        if sep(body, w[0], w[1]).is_none() {
            continue;
        }
        let vals = [w[0].value, w[1].value];
        let Some(pair) =
            (0..3).find(|&p| vals == [fwd[p], fwd[p + 1]] || vals == [fwd[p + 1], fwd[p]])
        else {
            continue;
        };
        if let Some(span) = line_id(body, t, i, &fwd, pair) {
            strong(
                ev,
                "split-line-id",
                span,
                "three of the address's octets appear, split up, with a line or port id in place of the other",
            );
            return;
        }
        ev.weak_score += 2;
        ev.weak.push(Reason {
            rule: Rule::IpEncoded,
            kind: "partial",
            span: w[0].start as usize..w[1].end as usize,
            message: Cow::Borrowed("two of the address's octets appear in a row"),
        });
        return;
    }
}

/// With octets `pair` and `pair + 1` of `fwd` at tokens `i` and `i + 1`: the
/// span from the pair to a token elsewhere that holds one of the two other
/// octets (at most 3 digits) and is joined by one separator to a token that
/// is not the remaining octet's value (the line or port id standing in its
/// place). `None` when there is no such token.
fn line_id(
    body: &[u8],
    t: &[Tok],
    i: usize,
    fwd: &[u64; 4],
    pair: usize,
) -> Option<std::ops::Range<usize>> {
    let others = (0..4).filter(|q| *q != pair && *q != pair + 1);
    for lone in others {
        let missing = (0..4)
            .find(|q| *q != pair && *q != pair + 1 && *q != lone)
            .unwrap_or(lone);
        for j in 0..t.len() {
            if j == i || j == i + 1 || t[j].len() > 3 || t[j].value != fwd[lone] {
                continue;
            }
            let beside = [j.checked_sub(1), Some(j + 1)];
            let id = beside.into_iter().flatten().find(|&k| {
                k < t.len()
                    && k != i
                    && k != i + 1
                    && t[k].value != fwd[missing]
                    && sep(body, t[k.min(j)], t[k.max(j)]).is_some()
            });
            if let Some(k) = id {
                let first = i.min(j).min(k);
                let last = (i + 1).max(j).max(k);
                return Some(t[first].start as usize..t[last].end as usize);
            }
        }
    }
    None
}

/// True when tokens `a` and `b` of `t` are separated by exactly one separator.
fn joined(body: &[u8], t: &[Tok], a: usize) -> bool {
    a + 1 < t.len() && sep(body, t[a], t[a + 1]).is_some()
}

/// Matches the 8 hextets from token `i`, allowing one `--` for `::`.
fn match_hextets(body: &[u8], t: &[Tok], i: usize, h: &[u64; 8]) -> Option<(usize, bool)> {
    let mut k = 0;
    let mut j = i;
    loop {
        if t[j].len() > 4 || t[j].value != h[k] {
            return None;
        }
        k += 1;
        if k == 8 {
            return Some((j, false));
        }
        if j + 1 >= t.len() {
            return None;
        }
        if joined(body, t, j) {
            j += 1;
            continue;
        }
        let gap = &body[t[j].end as usize..t[j + 1].start as usize];
        if gap != b"--" {
            return None;
        }
        let mut m = 1;
        while joined(body, t, j + m) {
            m += 1;
        }
        for tail in (1..=m.min(8 - k - 1)).rev() {
            let skip = 8 - k - tail;
            if h[k..k + skip].iter().any(|x| *x != 0) {
                continue;
            }
            if (0..tail).all(|q| {
                let x = t[j + 1 + q];
                x.len() <= 4 && x.value == h[8 - tail + q]
            }) {
                return Some((j + tail, true));
            }
        }
        return None;
    }
}

/// IPv6 forms. `body` is the lowercased name without its trailing dot.
fn ipv6(ip: Ipv6Addr, body: &[u8], ev: &mut Evidence) {
    let seg = ip.segments();
    let h: [u64; 8] = std::array::from_fn(|k| seg[k] as u64);
    let octets = ip.octets();
    let nib: [u64; 32] = std::array::from_fn(|k| {
        let b = octets[k / 2];
        (if k % 2 == 0 { b >> 4 } else { b & 15 }) as u64
    });
    let mut toks = Toks::new();
    tokenize(body, true, &mut toks);
    let t = &toks.t[..toks.n];

    // Hextets, full or compressed.
    for i in 0..t.len() {
        if let Some((j, compressed)) = match_hextets(body, t, i, &h) {
            let kind = if compressed {
                "ipv6-compressed"
            } else {
                "ipv6-hextets"
            };
            strong(
                ev,
                kind,
                t[i].start as usize..t[j].end as usize,
                if compressed {
                    "the address's hextets appear in the name (compressed form)"
                } else {
                    "the address's hextets appear in the name"
                },
            );
            return;
        }
    }

    // Unseparated hex: all 32 nibbles, or the 16 of the interface identifier.
    let mut full = [0u8; 32];
    for k in 0..32 {
        full[k] = HEX[nib[k] as usize];
    }
    if let Some(p) = find(body, &full) {
        strong(ev, "ipv6-hex", p..p + 32, "the address appears in hex");
        return;
    }
    let iid_nonzero = h[4..].iter().filter(|x| **x != 0).count();
    if iid_nonzero > 0
        && let Some(p) = find(body, &full[16..])
    {
        strong(
            ev,
            "ipv6-interface-id",
            p..p + 16,
            "the address's interface identifier appears in hex",
        );
        return;
    }

    // Nibbles, one per label or dash-separated: reversed (ip6.arpa order) or forward.
    let mut s = 0;
    while s < t.len() {
        if t[s].len() != 1 {
            s += 1;
            continue;
        }
        let mut e = s + 1;
        while e < t.len() && t[e].len() == 1 && joined(body, t, e - 1) {
            e += 1;
        }
        for st in s..e {
            let avail = e - st;
            if avail < 16 {
                break;
            }
            let rm = (0..avail.min(32))
                .take_while(|&j| t[st + j].value == nib[31 - j])
                .count();
            let fm = (0..avail.min(32))
                .take_while(|&j| t[st + j].value == nib[j])
                .count();
            let im = (0..avail.min(16))
                .take_while(|&j| t[st + j].value == nib[16 + j])
                .count();
            let (kind, len, message) = if rm >= 16 {
                let m = if rm == 32 {
                    Cow::Borrowed("the address's nibbles appear reversed (ip6.arpa order)")
                } else {
                    Cow::Owned(format!(
                        "the lowest {rm} nibbles of the address appear reversed"
                    ))
                };
                ("ipv6-reversed-nibbles", rm, m)
            } else if fm == 32 {
                (
                    "ipv6-nibbles",
                    32,
                    Cow::Borrowed("the address's nibbles appear in order"),
                )
            } else if im == 16 && iid_nonzero > 0 {
                (
                    "ipv6-interface-id",
                    16,
                    Cow::Borrowed("the interface identifier's nibbles appear in order"),
                )
            } else {
                continue;
            };
            strong(
                ev,
                kind,
                t[st].start as usize..t[st + len - 1].end as usize,
                message,
            );
            return;
        }
        s = e;
    }

    // The interface identifier or the /64 prefix as hextets.
    for i in 0..t.len().saturating_sub(3) {
        if !(0..3).all(|q| joined(body, t, i + q)) || t[i..i + 4].iter().any(|x| x.len() > 4) {
            continue;
        }
        let vals = [t[i].value, t[i + 1].value, t[i + 2].value, t[i + 3].value];
        let (kind, message) = if vals == h[4..8] && iid_nonzero >= 2 {
            (
                "ipv6-interface-id",
                "the address's interface identifier appears as hextets",
            )
        } else if vals == h[0..4] {
            ("partial", "the address's /64 prefix appears as hextets")
        } else {
            continue;
        };
        strong(
            ev,
            kind,
            t[i].start as usize..t[i + 3].end as usize,
            message,
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find8_either_prefers_the_forward_form() {
        let (f, r) = (*b"cb007105", *b"057100cb");
        assert_eq!(find8_either(b"x057100cb-cb007105", f, r), Some((10, false)));
        assert_eq!(find8_either(b"x057100cb-057100cb", f, r), Some((1, true)));
        assert_eq!(find8_either(b"cb00710", f, r), None);
        assert_eq!(find8_either(b"", f, r), None);
        assert_eq!(find8_either(b"cb007105", f, r), Some((0, false)));
    }

    #[test]
    fn dec_len_counts_digits() {
        for v in [
            0,
            9,
            10,
            99,
            100,
            255,
            4_294_967_295,
            10u64.pow(19),
            u64::MAX,
        ] {
            assert_eq!(dec_len(v), v.to_string().len(), "{v}");
        }
    }
}
