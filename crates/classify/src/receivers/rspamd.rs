//! rspamd's `hfilter` host name check as this project reproduces it: words
//! that mark access or dynamic space, each counted only in certain positions
//! next to digits or separators, weighted 1 (`user`, `peer`) to 5 (`ppp`,
//! `dynamic`); the highest weight names the symbol (`HFILTER_HOSTNAME_5`).
//! Written from the behaviour of rspamd 3.4 (`plugins/hfilter.lua`), checked
//! against the real rspamd by `tests/oracle`.

use super::Present;

/// The version reproduced.
pub const SOURCE: &str = "rspamd 3.4";

/// The weights of the `HFILTER_HOSTNAME_1..5` symbols (`scores.d/hfilter_group.conf`), in thousandths.
pub const HOSTNAME_WEIGHTS: [i32; 5] = [500, 1000, 2000, 2500, 3000];
/// The weight of `HFILTER_HOSTNAME_UNKNOWN`, in thousandths.
pub const UNKNOWN_WEIGHT: i32 = 2500;
/// The weight of `RDNS_NONE`, in thousandths.
pub const RDNS_NONE_WEIGHT: i32 = 1000;

/// Where a word counts, relative to the bytes around it.
#[derive(Clone, Copy)]
enum At {
    /// After `[-.0-9]` and a digit, with an optional `-`/`.` between (`12ppp`, `1.2-ppp`).
    AfterDigits,
    /// After `[-.0-9]` and a digit, with a `-`/`.` between (`12-cable`).
    AfterDigitsSep,
    /// After one digit, with an optional `-`/`.` between (`1dhcp`).
    AfterDigit,
    /// Between separators (`-pool.`).
    Delimited,
    /// After `[-.0-9]` and a separator, and before a separator (`1-pppoe.`).
    AfterSepDelimited,
    /// Before a separator and a digit (`pool-1`).
    BeforeDigit,
    /// Before an optional separator and a digit (`dsl1`, `dsl-1`).
    BeforeDigitOpt,
}

use At::*;

/// `(word, weight, where it counts)`.
const WORDS: &[(&str, u8, &[At])] = &[
    ("nat", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("homeuser", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("unused-addr", 3, &[AfterDigits, Delimited, BeforeDigit]),
    ("pppoe", 5, &[AfterDigits, AfterSepDelimited, BeforeDigit]),
    ("dynamic", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("catv", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("comcast", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("broadband", 5, &[AfterDigitsSep, Delimited, BeforeDigit]),
    ("fbx", 4, &[AfterDigit, Delimited, BeforeDigit]),
    ("peer", 1, &[AfterDigits, Delimited, BeforeDigit]),
    ("wifi", 5, &[AfterDigit, Delimited, BeforeDigit]),
    ("customer", 1, &[AfterDigits, Delimited, BeforeDigit]),
    ("customers", 1, &[AfterDigits, Delimited, BeforeDigit]),
    ("kabel", 3, &[AfterDigit, Delimited, BeforeDigit]),
    (
        "dynip",
        5,
        &[AfterDigitsSep, AfterSepDelimited, BeforeDigit],
    ),
    ("broad", 5, &[AfterDigit, Delimited, BeforeDigit]),
    ("ppp", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("pool", 4, &[AfterDigits, Delimited, BeforeDigit]),
    ("gprs", 5, &[AfterDigitsSep, Delimited, BeforeDigit]),
    ("brodband", 5, &[BeforeDigit]),
    ("user", 1, &[AfterDigits, Delimited, BeforeDigit]),
    ("in-addr", 4, &[AfterDigits, Delimited, BeforeDigit]),
    ("inaddr", 4, &[AfterDigits, Delimited, BeforeDigit]),
    ("host", 2, &[AfterDigits, Delimited, BeforeDigit]),
    ("cdma", 5, &[AfterDigitsSep, Delimited, BeforeDigit]),
    ("dhcp", 5, &[AfterDigit, Delimited, BeforeDigit]),
    ("cable", 3, &[AfterDigitsSep, Delimited, BeforeDigit]),
    ("dialup", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("dial-up", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("bredband", 5, &[AfterDigits, Delimited]),
    ("cablemodem", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("pptp", 5, &[AfterDigits, Delimited, BeforeDigit]),
    ("fibertel", 4, &[AfterDigits, Delimited, BeforeDigit]),
    ("modem", 5, &[AfterDigitsSep, Delimited, BeforeDigit]),
    ("dyn", 5, &[AfterDigitsSep]),
    ("clients", 1, &[Delimited]),
    ("client", 1, &[Delimited]),
];

/// Words that may carry one `a`, `x` or `|` in front (`adsl-line`), which
/// then counts as part of the word for the bytes before it.
const PREFIXED: &[(&str, u8, &[At])] = &[
    ("dsl", 4, &[AfterDigits, Delimited, BeforeDigitOpt]),
    ("dsl-line", 4, &[AfterDigits, Delimited, BeforeDigitOpt]),
    ("dsl-dynamic", 5, &[AfterDigits, Delimited, BeforeDigitOpt]),
];

fn is_sep(b: u8) -> bool {
    b == b'-' || b == b'.'
}

fn is_lead(b: u8) -> bool {
    is_sep(b) || b.is_ascii_digit()
}

/// True when the word starting at `s` (in `n`, its last byte at `e - 1`)
/// stands where `at` lets it count.
fn fits(n: &[u8], s: usize, e: usize, at: At) -> bool {
    let before = |k: usize| s.checked_sub(k).map(|i| n[i]);
    let after = |k: usize| n.get(e + k).copied();
    let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
    let sep = |b: Option<u8>| b.is_some_and(is_sep);
    let lead = |b: Option<u8>| b.is_some_and(is_lead);
    match at {
        AfterDigits => {
            (digit(before(1)) && lead(before(2)))
                || (sep(before(1)) && digit(before(2)) && lead(before(3)))
        }
        AfterDigitsSep => sep(before(1)) && digit(before(2)) && lead(before(3)),
        AfterDigit => digit(before(1)) || (sep(before(1)) && digit(before(2))),
        Delimited => sep(before(1)) && sep(after(0)),
        AfterSepDelimited => sep(before(1)) && lead(before(2)) && sep(after(0)),
        BeforeDigit => sep(after(0)) && digit(after(1)),
        BeforeDigitOpt => digit(after(0)) || (sep(after(0)) && digit(after(1))),
    }
}

/// The starts of every occurrence of `word` in `n`.
fn occurrences<'a>(n: &'a [u8], word: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    // The first byte is compared inline: most positions fail there, without
    // a call to compare the whole word.
    let first = word.first().copied();
    n.iter()
        .enumerate()
        .filter(move |&(i, &b)| Some(b) == first && n[i..].starts_with(word))
        .map(|(i, _)| i)
}

/// The highest `hfilter` host name weight of `name` (1..=5), `None` when no
/// word counts. Case does not matter.
pub fn hostname_weight(name: &str) -> Option<u8> {
    super::with_lowercase(name.as_bytes(), weight_of)
}

/// [`hostname_weight`] of a lowercased name.
fn weight_of(n: &[u8]) -> Option<u8> {
    // A word whose first two bytes the name lacks cannot occur in it: most
    // words of most names fail here, before any search.
    let present = Present::of(n);
    let may_occur = |w: &[u8]| w.iter().take(2).all(|&b| present.has(b));
    let mut best = 0;
    for &(word, weight, ats) in WORDS {
        if weight <= best || !may_occur(word.as_bytes()) {
            continue;
        }
        let w = word.as_bytes();
        if occurrences(n, w).any(|s| ats.iter().any(|&at| fits(n, s, s + w.len(), at))) {
            best = weight;
        }
    }
    for &(word, weight, ats) in PREFIXED {
        if weight <= best || !may_occur(word.as_bytes()) {
            continue;
        }
        let w = word.as_bytes();
        let hit = occurrences(n, w).any(|s| {
            let e = s + w.len();
            let with_prefix = s > 0 && matches!(n[s - 1], b'a' | b'x' | b'|');
            ats.iter()
                .any(|&at| fits(n, s, e, at) || (with_prefix && fits(n, s - 1, e, at)))
        });
        if hit {
            best = weight;
        }
    }
    // Access-network client numbering: `client` before a separator and two
    // digits, or after four digits (`1234-client`), weighs 5.
    if best < 5 {
        for word in [&b"clients"[..], b"client"] {
            let hit = occurrences(n, word).any(|s| {
                let e = s + word.len();
                let two_digits = n.get(e).copied().is_some_and(is_sep)
                    && n.get(e + 1..e + 3)
                        .is_some_and(|d| d.iter().all(u8::is_ascii_digit));
                let mut i = s;
                if i > 0 && is_sep(n[i - 1]) {
                    i -= 1;
                }
                let digits = n[..i]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let four_digits = digits >= 4 || (digits == 3 && i > 3 && is_sep(n[i - 4]));
                two_digits || four_digits
            });
            if hit {
                best = 5;
            }
        }
        // `dyn`, a separator, a digit and one of `-.0-9`.
        let hit = occurrences(n, b"dyn").any(|s| {
            n.get(s + 3).copied().is_some_and(is_sep)
                && n.get(s + 4).is_some_and(u8::is_ascii_digit)
                && n.get(s + 5).copied().is_some_and(is_lead)
        });
        if hit {
            best = 5;
        }
    }
    (best > 0).then_some(best)
}

/// The symbol of a weight (`HFILTER_HOSTNAME_5`).
pub fn symbol(weight: u8) -> &'static str {
    match weight {
        1 => "HFILTER_HOSTNAME_1",
        2 => "HFILTER_HOSTNAME_2",
        3 => "HFILTER_HOSTNAME_3",
        4 => "HFILTER_HOSTNAME_4",
        _ => "HFILTER_HOSTNAME_5",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_position() {
        let w = hostname_weight;
        assert_eq!(w("203-0-113-5.dyn.example.net"), Some(5), "`5.dyn`");
        assert_eq!(
            w("5-dyn.example.net"),
            None,
            "`5-dyn` lacks the byte before the digit"
        );
        assert_eq!(w("15-dyn.example.net"), Some(5));
        assert_eq!(w("dyn-1.2.example.net"), Some(5));
        assert_eq!(w("pool-1-2.example.net"), Some(4));
        assert_eq!(w("mail.example.com"), None);
        assert_eq!(w("host-1.example.com"), Some(2));
        assert_eq!(w("a.dynamic.example.com"), Some(5));
        assert_eq!(w("x.client.example.com"), Some(1));
        assert_eq!(w("client-12.example.com"), Some(5));
        assert_eq!(w("x.1234client.example.com"), Some(5));
        assert_eq!(w("a1.adsl.example.com"), Some(4));
        assert_eq!(w("ADSL7.EXAMPLE.COM"), Some(4));
    }
}
