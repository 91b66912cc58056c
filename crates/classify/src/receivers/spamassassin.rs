//! SpamAssassin's reverse-DNS rules as this project reproduces them:
//! `RDNS_NONE` (the last external relay has no reverse name) and
//! `RDNS_DYNAMIC`, a meta rule over sub-rules that look for addresses written
//! in the name, access-network words and a few ISPs' own schemes, unless the
//! name carries a word of a static or mail host (`static`, `fix`, `smtp`, ...).
//! Written from the behaviour of SpamAssassin 4.0.1 (`20_dynrdns.cf`, scores
//! of `50_scores.cf`), checked against the real SpamAssassin by `tests/oracle`.
//!
//! `RDNS_LOCALHOST` (a public IPv4 relay named `localhost`) comes from
//! `72_active.cf`.
//!
//! Each sub-rule is a [`Pattern`]: a sequence of literal words and runs of
//! byte classes, matched with memoised backtracking.

use std::net::IpAddr;

use super::Present;

/// The version reproduced.
pub const SOURCE: &str = "spamassassin 4.0.1";
/// The score set used: network tests and Bayes on, as in a typical installation.
pub const SCORE_SET: &str = "score set 3 (network and bayes)";
/// `RDNS_NONE`'s score in set 3, in thousandths.
pub const RDNS_NONE_SCORE: i32 = 793;
/// `RDNS_DYNAMIC`'s score in set 3, in thousandths.
pub const RDNS_DYNAMIC_SCORE: i32 = 982;
/// `RDNS_LOCALHOST`'s score in set 3, in thousandths.
pub const RDNS_LOCALHOST_SCORE: i32 = 1;

/// The score of one of the rules [`rdns_rules`] gives, in set 3, in thousandths.
pub fn score(rule: &str) -> i32 {
    match rule {
        "RDNS_NONE" => RDNS_NONE_SCORE,
        "RDNS_LOCALHOST" => RDNS_LOCALHOST_SCORE,
        _ => RDNS_DYNAMIC_SCORE,
    }
}

/// One element of a pattern.
#[derive(Clone, Copy)]
enum P {
    /// These bytes.
    Lit(&'static [u8]),
    /// `min..=max` bytes of a class.
    Run(Class, usize, usize),
}

/// A byte class.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Any,
    Digit,
    NonDigit,
    Lower,
    UpperHex,
    LowerHex,
    LowerOrDash,
    LowerDigit,
}

impl Class {
    fn has(self, b: u8) -> bool {
        match self {
            Class::Any => true,
            Class::Digit => b.is_ascii_digit(),
            Class::NonDigit => !b.is_ascii_digit(),
            Class::Lower => b.is_ascii_lowercase(),
            Class::UpperHex => matches!(b, b'A'..=b'F' | b'0'..=b'9'),
            Class::LowerHex => matches!(b, b'a'..=b'f' | b'0'..=b'9'),
            Class::LowerOrDash => b.is_ascii_lowercase() || b == b'-',
            Class::LowerDigit => b.is_ascii_lowercase() || b.is_ascii_digit(),
        }
    }
}

const MANY: usize = usize::MAX;
const ANY0: P = P::Run(Class::Any, 0, MANY);
const ANY1: P = P::Run(Class::Any, 1, MANY);
const DIGITS: P = P::Run(Class::Digit, 1, MANY);
const ONE_NON_DIGIT: P = P::Run(Class::NonDigit, 1, 1);
const NON_DIGITS: P = P::Run(Class::NonDigit, 1, MANY);

/// A pattern: anchored at the start of the name or found anywhere; matched
/// on the lowercased name unless `exact_case`.
struct Pattern {
    anchored: bool,
    exact_case: bool,
    parts: &'static [P],
    /// How many digit runs `parts` asks for (a name with fewer cannot match).
    digit_runs: usize,
    /// Every byte of `parts`' literals (a name lacking one cannot match).
    bytes: Present,
}

/// The bytes of `parts`' literals, gathered once at compile time.
const fn literal_bytes(parts: &[P]) -> Present {
    let mut set = [0u64; 4];
    let mut i = 0;
    while i < parts.len() {
        if let Lit(w) = parts[i] {
            let mut j = 0;
            while j < w.len() {
                set[(w[j] >> 6) as usize] |= 1 << (w[j] & 63);
                j += 1;
            }
        }
        i += 1;
    }
    Present(set)
}

/// The digit runs `parts` asks for, counted once at compile time.
const fn digit_runs_needed(parts: &[P]) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < parts.len() {
        if matches!(parts[i], Run(Class::Digit, _, _)) {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn float(parts: &'static [P]) -> Pattern {
    Pattern {
        anchored: false,
        exact_case: false,
        parts,
        digit_runs: digit_runs_needed(parts),
        bytes: literal_bytes(parts),
    }
}

const fn start(parts: &'static [P]) -> Pattern {
    Pattern {
        anchored: true,
        exact_case: false,
        parts,
        digit_runs: digit_runs_needed(parts),
        bytes: literal_bytes(parts),
    }
}

const fn start_exact(parts: &'static [P]) -> Pattern {
    Pattern {
        anchored: true,
        exact_case: true,
        parts,
        digit_runs: digit_runs_needed(parts),
        bytes: literal_bytes(parts),
    }
}

const fn float_exact(parts: &'static [P]) -> Pattern {
    Pattern {
        anchored: false,
        exact_case: true,
        parts,
        digit_runs: digit_runs_needed(parts),
        bytes: literal_bytes(parts),
    }
}

use P::{Lit, Run};

/// Four digit groups split by single non-digit bytes (`203-0-113-5`), then two more dots.
const IPADDR: &[Pattern] = &[float(&[
    DIGITS,
    ONE_NON_DIGIT,
    DIGITS,
    ONE_NON_DIGIT,
    DIGITS,
    ONE_NON_DIGIT,
    DIGITS,
    ANY0,
    Lit(b"."),
    ANY1,
    Lit(b"."),
    ANY1,
])];

macro_rules! token_then_numbers {
    ($($word:literal),*) => {
        &[$(float(&[Lit($word), ANY0, DIGITS, NON_DIGITS, DIGITS])),*]
    };
}

/// An access-network word anywhere, then digits, non-digits and a digit.
const DHCP: &[Pattern] = token_then_numbers!(
    b"cm", b"catv", b"docsis", b"cable", b"dsl", b"dhcp", b"cpe", b"node"
);

macro_rules! numbers_then_label {
    ($($label:literal),*) => {
        &[$(float(&[DIGITS, NON_DIGITS, DIGITS, ANY0, Lit($label)])),*]
    };
}

/// Digits, non-digits and digits, then an access-network label.
const HCC: &[Pattern] = numbers_then_label!(
    b".docsis.",
    b".cable.",
    b".dsl.",
    b".adsl.",
    b".dhcp.",
    b".cpe."
);

const ATTBI: &[Pattern] = &[float(&[ANY1, DIGITS, ANY1, Lit(b".client2.attbi.com")])];
const ROGERS: &[Pattern] = &[start(&[Lit(b"cpe"), DIGITS, ANY1, Lit(b".rogers.com")])];
const ADELPHIA: &[Pattern] = &[start(&[
    Run(Class::Lower, 2, 2),
    Lit(b"-"),
    ANY1,
    Lit(b"-"),
    Run(Class::Digit, 1, 3),
    Lit(b"."),
    Run(Class::Lower, 3, 8),
    Lit(b".adelphia.net"),
])];
/// A lowercase letter, upper-case hex and `.dip.` (case matters).
const DIALIN: &[Pattern] = &[start_exact(&[
    Run(Class::Lower, 1, 1),
    Run(Class::UpperHex, 1, MANY),
    Lit(b".dip."),
])];
/// `0x` and eight lowercase hex digits as the first label (case matters).
const HEXIP: &[Pattern] = &[start_exact(&[
    Lit(b"0x"),
    Run(Class::LowerHex, 8, 8),
    Lit(b"."),
])];
/// Digits as the first label, then three digit groups later (case matters).
const SPLIT_IP: &[Pattern] = &[start_exact(&[
    DIGITS,
    Lit(b"."),
    ANY1,
    DIGITS,
    ONE_NON_DIGIT,
    DIGITS,
    ONE_NON_DIGIT,
    DIGITS,
    ONE_NON_DIGIT,
])];
const YAHOOBB: &[Pattern] = &[start(&[Lit(b"yahoobb")])];
const OOL: &[Pattern] = &[float_exact(&[ANY1, Lit(b".dyn.optonline.net")])];
const RR2: &[Pattern] = &[start(&[
    Run(Class::Lower, 1, MANY),
    Lit(b"-"),
    Run(Class::Digit, 1, 3),
    Lit(b"-"),
    Run(Class::Digit, 1, 5),
    Lit(b".roadrunner"),
])];
const COMCAST: &[Pattern] = &[start(&[
    Run(Class::LowerOrDash, 1, MANY),
    DIGITS,
    Run(Class::Lower, 3, 3),
    Lit(b"."),
    Run(Class::LowerDigit, 1, MANY),
    Lit(b"."),
    Run(Class::Any, 2, 2),
    Lit(b".comcast"),
])];
const TELIA: &[Pattern] = &[start(&[
    Lit(b"h"),
    DIGITS,
    Lit(b"n"),
    DIGITS,
    Lit(b"fls"),
    ANY1,
    Lit(b".telia.com"),
])];
const VTR: &[Pattern] = &[start(&[
    Lit(b"cm-"),
    Run(Class::Lower, 1, MANY),
    DIGITS,
    Lit(b"-"),
    DIGITS,
    Lit(b"-"),
    DIGITS,
    Lit(b".cm.vtr"),
])];
const CHELLO_NO: &[Pattern] = &[float(&[ANY1, Lit(b".cm.chello.no")])];
const CHELLO_NL: &[Pattern] = &[start(&[
    Run(Class::Lower, 1, 1),
    DIGITS,
    Lit(b".upc-"),
    Run(Class::Lower, 1, 1),
    Lit(b".chello.nl"),
])];
const VELOX: &[Pattern] = &[start(&[
    Run(Class::Lower, 2, 2),
    DIGITS,
    Lit(b".user.veloxzone."),
])];
const NTL: &[Pattern] = &[float(&[
    ANY1,
    DIGITS,
    Lit(b"-"),
    DIGITS,
    Lit(b"-cust"),
    DIGITS,
    Lit(b"."),
    Run(Class::Lower, 4, 6),
    Lit(b".broadband.ntl.com"),
])];
const TDS: &[Pattern] = &[float(&[
    ANY1,
    Lit(b"-"),
    Run(Class::Lower, 1, 1),
    DIGITS,
    Lit(b"."),
    Run(Class::Lower, 6, 6),
    Lit(b".tds.net"),
])];
const VIRTUA: &[Pattern] = &[start(&[DIGITS, Lit(b".cps.")])];
/// `-`, a letter and digits, `-`, digits and a dot, after at least one byte.
const SPACELAN: &[Pattern] = &[float(&[
    ANY1,
    Lit(b"-"),
    Run(Class::Lower, 1, 1),
    DIGITS,
    Lit(b"-"),
    DIGITS,
    Lit(b"."),
])];

macro_rules! between_separators {
    ($($word:literal),*) => {
        &[$(
            float(&[ANY1, Lit(b"-"), Lit($word), Lit(b"-")]),
            float(&[ANY1, Lit(b"-"), Lit($word), Lit(b".")]),
            float(&[ANY1, Lit(b"."), Lit($word), Lit(b"-")]),
            float(&[ANY1, Lit(b"."), Lit($word), Lit(b".")]),
        )*]
    };
}

const INDICATOR_DYN: &[Pattern] = between_separators!(b"dyn", b"dynamic");
const INDICATOR_RES: &[Pattern] = between_separators!(b"res", b"resnet", b"client");
const INDICATOR_TYPE2: &[Pattern] = between_separators!(b"docsis", b"dhcp", b"cpe", b"catv");
const TTNET: &[Pattern] = &[
    float(&[ANY1, Lit(b"-dyn"), Run(Class::Digit, 1, 1)]),
    float(&[ANY1, Lit(b".dyn"), Run(Class::Digit, 1, 1)]),
    float(&[ANY1, Lit(b"-dynamic"), Run(Class::Digit, 1, 1)]),
    float(&[ANY1, Lit(b".dynamic"), Run(Class::Digit, 1, 1)]),
];
const ASAHI: &[Pattern] = &[start(&[
    Run(Class::Lower, 1, 1),
    DIGITS,
    Lit(b".ppp.asahi-net.or.jp"),
])];

/// The sub-rules of `RDNS_DYNAMIC`, by their names in SpamAssassin.
const DYNAMIC: &[(&str, &[Pattern])] = &[
    ("__RDNS_DYNAMIC_IPADDR", IPADDR),
    ("__RDNS_DYNAMIC_DHCP", DHCP),
    ("__RDNS_DYNAMIC_HCC", HCC),
    ("__RDNS_DYNAMIC_ATTBI", ATTBI),
    ("__RDNS_DYNAMIC_ROGERS", ROGERS),
    ("__RDNS_DYNAMIC_ADELPHIA", ADELPHIA),
    ("__RDNS_DYNAMIC_DIALIN", DIALIN),
    ("__RDNS_DYNAMIC_HEXIP", HEXIP),
    ("__RDNS_DYNAMIC_SPLIT_IP", SPLIT_IP),
    ("__RDNS_DYNAMIC_YAHOOBB", YAHOOBB),
    ("__RDNS_DYNAMIC_OOL", OOL),
    ("__RDNS_DYNAMIC_RR2", RR2),
    ("__RDNS_DYNAMIC_COMCAST", COMCAST),
    ("__RDNS_DYNAMIC_TELIA", TELIA),
    ("__RDNS_DYNAMIC_VTR", VTR),
    ("__RDNS_DYNAMIC_CHELLO_NO", CHELLO_NO),
    ("__RDNS_DYNAMIC_CHELLO_NL", CHELLO_NL),
    ("__RDNS_DYNAMIC_VELOX", VELOX),
    ("__RDNS_DYNAMIC_NTL", NTL),
    ("__RDNS_DYNAMIC_TDS", TDS),
    ("__RDNS_DYNAMIC_VIRTUA", VIRTUA),
    ("__RDNS_DYNAMIC_SPACELAN", SPACELAN),
    ("__RDNS_INDICATOR_DYN", INDICATOR_DYN),
    ("__RDNS_INDICATOR_RES", INDICATOR_RES),
    ("__RDNS_INDICATOR_TYPE2", INDICATOR_TYPE2),
    ("__RDNS_DYNAMIC_TTNET", TTNET),
    ("__RDNS_DYNAMIC_ASAHI", ASAHI),
];

/// Words of static or mail hosts: a name holding one is never `RDNS_DYNAMIC`.
const STATIC_WORDS: &[&[u8]] = &[
    b"fix",
    b"static",
    b"dedicated",
    b"mail-mail",
    b"outbound-mail",
    b"smtp",
];

/// Matches `parts` at `i`; `failed` remembers (part, position) pairs that
/// cannot match, so every pair is tried once.
fn matches_at(n: &[u8], i: usize, parts: &[P], k: usize, failed: &mut [u64]) -> bool {
    if k == parts.len() {
        return true;
    }
    let slot = k * (n.len() + 1) + i;
    if failed[slot / 64] >> (slot % 64) & 1 == 1 {
        return false;
    }
    let ok = match parts[k] {
        Lit(w) => n[i..].starts_with(w) && matches_at(n, i + w.len(), parts, k + 1, failed),
        Run(class, min, max) => {
            let avail = n[i..].iter().take_while(|&&b| class.has(b)).count();
            let top = avail.min(max);
            top >= min
                && (min..=top)
                    .rev()
                    .any(|len| matches_at(n, i + len, parts, k + 1, failed))
        }
    };
    if !ok {
        failed[slot / 64] |= 1 << (slot % 64);
    }
    ok
}

/// Cheap necessary conditions before the backtracking: every literal of the
/// pattern occurs in the name, and the name has as many digit runs as the
/// pattern asks for (most names fail here, so a scan pays little).
fn may_match(p: &Pattern, n: &[u8], digit_runs: usize, present: &Present) -> bool {
    p.digit_runs <= digit_runs
        && present.holds(&p.bytes)
        && p.parts.iter().all(|p| match p {
            Lit(w) => contains(n, w),
            Run(..) => true,
        })
}

/// How many runs of digits `n` has (the same in either letter case).
fn digit_runs(n: &[u8]) -> usize {
    let mut runs = 0;
    let mut prev_digit = false;
    for &b in n {
        let d = b.is_ascii_digit();
        runs += usize::from(d && !prev_digit);
        prev_digit = d;
    }
    runs
}

fn pattern_matches(
    p: &Pattern,
    name: &[u8],
    lower: &[u8],
    sets: &(Present, Present),
    digit_runs: usize,
) -> bool {
    let (n, present) = if p.exact_case {
        (name, &sets.0)
    } else {
        (lower, &sets.1)
    };
    if !may_match(p, n, digit_runs, present) {
        return false;
    }
    // The memo fits on the stack for names up to 253 bytes (the usual case).
    let words = (p.parts.len() * (n.len() + 1)).div_ceil(64);
    let mut stack = [0u64; 64];
    let mut heap = Vec::new();
    let failed: &mut [u64] = if words <= stack.len() {
        &mut stack[..words]
    } else {
        heap.resize(words, 0);
        &mut heap
    };
    if p.anchored {
        matches_at(n, 0, p.parts, 0, failed)
    } else {
        (0..=n.len()).any(|i| matches_at(n, i, p.parts, 0, failed))
    }
}

/// Whether `needle` occurs in `hay`: candidates found by their first byte,
/// then compared (names are short; this avoids a comparison call per byte).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(p) = hay[from..].iter().position(|&b| b == first) {
        let at = from + p;
        if hay[at + 1..].starts_with(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The public rules SpamAssassin fires for one relay (see [`fired`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fired {
    /// `RDNS_NONE`: no reverse name recorded.
    pub none: bool,
    /// `RDNS_LOCALHOST`: a public IPv4 relay named `localhost`.
    pub localhost: bool,
    /// `RDNS_DYNAMIC`: a sub-rule matched and no static word vetoed it.
    pub dynamic: bool,
}

impl Fired {
    /// The rule names, in the order SpamAssassin reports them.
    pub fn rules(self) -> impl Iterator<Item = &'static str> {
        [
            (self.none, "RDNS_NONE"),
            (self.localhost, "RDNS_LOCALHOST"),
            (self.dynamic, "RDNS_DYNAMIC"),
        ]
        .into_iter()
        .filter_map(|(on, rule)| on.then_some(rule))
    }

    /// Whether no rule fired.
    pub fn is_empty(self) -> bool {
        self == Fired::default()
    }

    /// The sum of the fired rules' scores in set 3, in thousandths.
    pub fn score(self) -> i32 {
        self.rules().map(score).sum()
    }
}

/// What SpamAssassin fires for a relay from `ip` whose reverse name is
/// `rdns` (no trailing dot; `None` when the MTA recorded no name). The scan's
/// per-address path: it stops at the first `RDNS_DYNAMIC` sub-rule that
/// matches and allocates nothing; [`rdns_rules`] names every sub-rule.
pub fn fired(ip: IpAddr, rdns: Option<&str>) -> Fired {
    evaluate(ip, rdns, |subs| (subs.next().is_some(), ())).0
}

/// [`fired`], and every `RDNS_DYNAMIC` sub-rule that matched.
pub fn fired_with_subs(ip: IpAddr, rdns: Option<&str>) -> (Fired, Vec<&'static str>) {
    evaluate(ip, rdns, |subs| {
        let all: Vec<_> = subs.collect();
        (!all.is_empty(), all)
    })
}

/// [`fired_with_subs`] with the rules by name.
pub fn rdns_rules(ip: IpAddr, rdns: Option<&str>) -> (Vec<&'static str>, Vec<&'static str>) {
    let (fired, subs) = fired_with_subs(ip, rdns);
    (fired.rules().collect(), subs)
}

/// The one evaluation behind [`fired`] and [`rdns_rules`]: `take` consumes
/// the matching sub-rules (lazily, in [`DYNAMIC`] order) and returns whether
/// there was one, and what the caller keeps of them.
fn evaluate<T: Default>(
    ip: IpAddr,
    rdns: Option<&str>,
    take: impl FnOnce(&mut dyn Iterator<Item = &'static str>) -> (bool, T),
) -> (Fired, T) {
    let Some(name) = rdns.filter(|n| !n.is_empty()) else {
        let none = Fired {
            none: true,
            ..Fired::default()
        };
        return (none, T::default());
    };
    let raw = name.as_bytes();
    super::with_lowercase(raw, |lower| {
        let runs = digit_runs(raw);
        let sets = (Present::of(raw), Present::of(lower));
        let mut subs = DYNAMIC
            .iter()
            .filter(|(sub, patterns)| {
                let hit = patterns
                    .iter()
                    .any(|p| pattern_matches(p, raw, lower, &sets, runs));
                // The address form does not count when a `static` label follows a separator.
                hit && !(*sub == "__RDNS_DYNAMIC_IPADDR" && static_label(lower))
            })
            .map(|(sub, _)| *sub);
        let (any, kept) = take(&mut subs);
        let fired = Fired {
            none: false,
            // An IPv4 relay outside 127/8 calling itself localhost.
            localhost: matches!(ip, IpAddr::V4(v4) if v4.octets()[0] != 127)
                && (lower == b"localhost" || lower == b"localhost.localdomain"),
            dynamic: any && !STATIC_WORDS.iter().any(|w| contains(lower, w)),
        };
        (fired, kept)
    })
}

/// True when `static` stands between separators after the first byte.
fn static_label(lower: &[u8]) -> bool {
    (1..lower.len()).any(|i| {
        matches!(lower[i], b'-' | b'.')
            && lower[i + 1..].starts_with(b"static")
            && lower.get(i + 7).is_some_and(|&b| b == b'-' || b == b'.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 5));

    fn rules(name: &str) -> Vec<&'static str> {
        rdns_rules(IP, Some(name)).0
    }

    #[test]
    fn rdns_rules_follow_spamassassin() {
        assert_eq!(rdns_rules(IP, None).0, ["RDNS_NONE"]);
        assert_eq!(rules("LocalHost"), ["RDNS_LOCALHOST"]);
        let loopback = "127.0.0.2".parse().unwrap();
        assert!(rdns_rules(loopback, Some("localhost")).0.is_empty());
        assert_eq!(rules("203-0-113-5.dyn.example.net"), ["RDNS_DYNAMIC"]);
        assert_eq!(
            rdns_rules(IP, Some("203-0-113-5.dyn.example.net")).1,
            ["__RDNS_DYNAMIC_IPADDR", "__RDNS_INDICATOR_DYN"]
        );
        assert!(rules("mail.example.com").is_empty());
        assert!(rules("static.5.113.0.203.clients.your-server.de").is_empty());
        assert_eq!(rules("DSL-1-2.EXAMPLE.COM"), ["RDNS_DYNAMIC"]);
        assert!(
            rules("smtp-203-0-113-5.example.net").is_empty(),
            "smtp exempts"
        );
        assert_eq!(rules("0xcb007105.example.net"), ["RDNS_DYNAMIC"]);
        assert!(
            rules("0xCB007105.example.net").is_empty(),
            "hex rule is case-sensitive"
        );
    }
}
