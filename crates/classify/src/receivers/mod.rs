//! The receiver matrix: what each mail receiver does with mail from one
//! address, from what DNS said about it ([`Sender`]) and the judgement of its
//! PTR name. Each receiver's behaviour and its source is in
//! `docs/classification.md`; the filters' rules are reproduced in
//! [`spamassassin`] and [`rspamd`] and checked against the real software by
//! `tests/oracle`.

pub mod rspamd;
pub mod spamassassin;

use std::borrow::Cow;
use std::net::IpAddr;

use ptr_audit_model::{
    DnsName, ForwardAnswer, Iprev, Lookup, PtrAnswer, ReceiverId, ReceiverVerdict, Receivers,
    Score, Verdict,
};

use crate::judgement::{Label, NameJudgement, Rule};

/// Whether the PTR name resolves back to the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Its A/AAAA records hold the address.
    Confirmed,
    /// It does not exist, has no A/AAAA, or they do not hold the address.
    Unconfirmed,
    /// The forward lookup got no answer.
    Failed,
    /// Not looked up (`classify`, `explain` without `--forward`).
    Unknown,
}

/// What a receiver learns about the sending address.
#[derive(Clone, Copy, Debug)]
pub enum Sender<'a> {
    /// The PTR lookup (or its CNAME chain) got no answer.
    LookupFailed,
    /// The address has no PTR.
    NoPtr,
    /// The first PTR name (the one receivers use), its judgement and its forward state.
    Name {
        /// The name, without a trailing dot.
        name: &'a str,
        /// The classifier's judgement of it.
        judgement: &'a NameJudgement,
        /// Whether the PTR resolves back ([`forward_of`]).
        forward: Forward,
    },
}

/// The forward state of the PTR names in `lookup`, as the findings judge it:
/// confirmed when any name's A/AAAA holds the address, else failed when a
/// forward lookup got no answer (it might have confirmed it), else
/// unconfirmed; unknown when no forward lookup was made.
pub fn forward_of(ip: IpAddr, lookup: &Lookup) -> Forward {
    let mut state = Forward::Unknown;
    for (_, answer) in &lookup.forward {
        state = match (answer, state) {
            (ForwardAnswer::Addresses(v), _) if v.contains(&ip) => return Forward::Confirmed,
            (ForwardAnswer::Failed(_), _) | (_, Forward::Failed) => Forward::Failed,
            _ => Forward::Unconfirmed,
        };
    }
    state
}

/// The first PTR name of `lookup` (the one receivers use), or the
/// [`Sender`] of an address without one.
pub fn first_name(lookup: &Lookup) -> Result<&DnsName, Sender<'static>> {
    match &lookup.answer {
        PtrAnswer::Failed(_) => Err(Sender::LookupFailed),
        PtrAnswer::Names(names) => names.first().ok_or(Sender::NoPtr),
        PtrAnswer::NxDomain | PtrAnswer::NoData | PtrAnswer::BrokenDelegation { .. } => {
            Err(Sender::NoPtr)
        }
    }
}

/// The RFC 8601 `iprev` result (`None` when forward confirmation is unknown).
pub fn iprev(sender: &Sender<'_>) -> Option<Iprev> {
    Some(match sender {
        Sender::LookupFailed => Iprev::TempError,
        Sender::NoPtr => Iprev::Fail,
        Sender::Name { judgement, .. } if judgement.label == Label::Invalid => Iprev::PermError,
        Sender::Name { forward, .. } => match forward {
            Forward::Confirmed => Iprev::Pass,
            Forward::Unconfirmed => Iprev::Fail,
            Forward::Failed => Iprev::TempError,
            Forward::Unknown => return None,
        },
    })
}

/// What the address looks like to a receiver that checks forward confirmation.
#[derive(Clone, Copy, PartialEq)]
enum Seen {
    /// A lookup got no answer.
    Temporary,
    /// No usable name (missing, invalid, or not forward-confirmed).
    Unknown,
    /// Forward confirmation was not checked.
    NotChecked,
    /// A forward-confirmed name.
    Verified,
}

struct Entry {
    verdict: Verdict,
    score: Option<i32>,
    rules: Vec<Cow<'static, str>>,
    details: Vec<Cow<'static, str>>,
}

fn entry(verdict: Verdict, rules: &[&'static str]) -> Entry {
    Entry {
        verdict,
        score: None,
        rules: rules.iter().map(|&r| Cow::Borrowed(r)).collect(),
        details: Vec::new(),
    }
}

/// Whether an entry carries its `details` (the full [`matrix`]) or not
/// (records, [`refusals`]): the scan judges every address and needs none.
#[derive(Clone, Copy, PartialEq)]
enum Details {
    With,
    Without,
}

fn accept() -> Entry {
    entry(Verdict::Accept, &[])
}

/// Where each receiver's behaviour comes from (`source` of its entries).
pub fn source(id: ReceiverId) -> &'static str {
    match id {
        ReceiverId::PostfixStrict | ReceiverId::PostfixLax => "postfix 3.7",
        ReceiverId::SpamAssassin => spamassassin::SOURCE,
        ReceiverId::Rspamd => rspamd::SOURCE,
        ReceiverId::Haraka => "haraka-plugin-fcrdns 1.x",
        ReceiverId::Gmail => "gmail sender guidelines 2024",
        ReceiverId::Yahoo => "yahoo sender best practices 2024",
        ReceiverId::Microsoft => "outlook.com sender policies",
        ReceiverId::UnitedInternet => "gmx/web.de/1&1 rdns policy",
    }
}

/// Every receiver's verdict, in [`ReceiverId::ALL`] order.
pub fn matrix(ip: IpAddr, sender: &Sender<'_>) -> Vec<ReceiverVerdict> {
    ReceiverId::ALL
        .into_iter()
        .map(|id| verdict(id, judge(id, ip, sender, Details::With)))
        .collect()
}

/// The entries of [`matrix`] that are not `accept`, without their
/// `details`, as scan records carry them.
pub fn refusals(ip: IpAddr, sender: &Sender<'_>) -> Receivers {
    Receivers(
        ReceiverId::ALL
            .into_iter()
            .map(|id| (id, judge(id, ip, sender, Details::Without)))
            .filter(|(_, e)| e.verdict != Verdict::Accept)
            .map(|(id, e)| verdict(id, e))
            .collect(),
    )
}

fn verdict(id: ReceiverId, e: Entry) -> ReceiverVerdict {
    ReceiverVerdict {
        id,
        verdict: e.verdict,
        score: e.score.map(Score),
        rules: e.rules,
        details: e.details,
        source: Cow::Borrowed(source(id)),
    }
}

fn seen(sender: &Sender<'_>) -> Seen {
    match sender {
        Sender::LookupFailed => Seen::Temporary,
        Sender::NoPtr => Seen::Unknown,
        Sender::Name { judgement, .. } if judgement.label == Label::Invalid => Seen::Unknown,
        Sender::Name { forward, .. } => match forward {
            Forward::Confirmed => Seen::Verified,
            Forward::Unconfirmed => Seen::Unknown,
            Forward::Failed => Seen::Temporary,
            Forward::Unknown => Seen::NotChecked,
        },
    }
}

fn has_rule(sender: &Sender<'_>, rule: Rule) -> bool {
    matches!(sender, Sender::Name { judgement, .. } if judgement.reasons.iter().any(|r| r.rule == rule))
}

fn judge(id: ReceiverId, ip: IpAddr, sender: &Sender<'_>, details: Details) -> Entry {
    let seen = seen(sender);
    let no_name = match sender {
        Sender::NoPtr => true,
        Sender::Name { judgement, .. } => judgement.label == Label::Invalid,
        Sender::LookupFailed => false,
    };
    let generic =
        matches!(sender, Sender::Name { judgement, .. } if judgement.label == Label::Generic);
    let name = match sender {
        Sender::Name { name, .. } => Some(*name),
        _ => None,
    };
    // Receivers that need a forward-confirmed name.
    let fcrdns = |rules: &[&'static str], temp: &[&'static str]| match seen {
        Seen::Temporary => entry(Verdict::Defer, temp),
        Seen::Unknown => entry(Verdict::Reject, rules),
        Seen::NotChecked => entry(Verdict::Unknown, &[]),
        Seen::Verified => accept(),
    };
    match id {
        ReceiverId::PostfixStrict => fcrdns(
            &["reject_unknown_client_hostname"],
            &["reject_unknown_client_hostname"],
        ),
        ReceiverId::PostfixLax => match sender {
            Sender::LookupFailed => {
                entry(Verdict::Defer, &["reject_unknown_reverse_client_hostname"])
            }
            _ if no_name => entry(Verdict::Reject, &["reject_unknown_reverse_client_hostname"]),
            _ => accept(),
        },
        ReceiverId::SpamAssassin => spamassassin_entry(ip, seen, name, details),
        ReceiverId::Rspamd => rspamd_entry(seen, sender, name, details),
        ReceiverId::Haraka => {
            let mut e = match seen {
                Seen::Temporary => entry(Verdict::Defer, &["temperror"]),
                Seen::Unknown if matches!(sender, Sender::NoPtr) || no_name => {
                    entry(Verdict::Reject, &["no_rdns"])
                }
                Seen::Unknown => entry(Verdict::Reject, &["no_fcrdns"]),
                Seen::NotChecked => entry(Verdict::Unknown, &[]),
                Seen::Verified => accept(),
            };
            // Its generic-name rule: the address in the name, unless the name
            // says `static` or `business`.
            if let Some(n) = name
                && !no_name
                && e.verdict != Verdict::Defer
                && (has_rule(sender, Rule::IpEncoded))
            {
                let lower = n.to_ascii_lowercase();
                if !lower.contains("static") && !lower.contains("business") {
                    e.verdict = Verdict::Reject;
                    e.rules.push(Cow::Borrowed("generic_rdns"));
                }
            }
            e
        }
        ReceiverId::Gmail => {
            let code = if ip.is_ipv6() { "5.7.1" } else { "5.7.25" };
            match seen {
                Seen::Temporary => entry(Verdict::Defer, &["4.7.23"]),
                Seen::Unknown => entry(Verdict::Reject, &[code]),
                Seen::NotChecked => entry(Verdict::Unknown, &[]),
                Seen::Verified => accept(),
            }
        }
        ReceiverId::Yahoo => {
            let e = fcrdns(&["valid-rdns"], &["valid-rdns"]);
            if generic && e.verdict == Verdict::Accept {
                entry(Verdict::Score, &["non-generic-rdns"])
            } else {
                e
            }
        }
        ReceiverId::Microsoft => match sender {
            Sender::LookupFailed => entry(Verdict::Defer, &["valid-rdns"]),
            _ if no_name => entry(Verdict::Reject, &["valid-rdns"]),
            _ if has_rule(sender, Rule::DynamicToken) => {
                entry(Verdict::Reject, &["dynamic-ip-space"])
            }
            _ => accept(),
        },
        ReceiverId::UnitedInternet => {
            let e = fcrdns(&["invalid-ptr"], &["invalid-ptr"]);
            if generic && e.verdict != Verdict::Defer {
                entry(Verdict::Reject, &["generic-ptr"])
            } else {
                e
            }
        }
    }
}

fn spamassassin_entry(ip: IpAddr, seen: Seen, name: Option<&str>, details: Details) -> Entry {
    // The MTA in front records the verified client name in `Received:`, or
    // `unknown`: that is the relay's `rdns` SpamAssassin reads.
    let scored = |rdns: Option<&str>| {
        let (fired, subs) = match details {
            Details::With => spamassassin::fired_with_subs(ip, rdns),
            Details::Without => (spamassassin::fired(ip, rdns), Vec::new()),
        };
        if fired.is_empty() {
            return accept();
        }
        let mut e = entry(Verdict::Score, &[]);
        e.score = Some(fired.score());
        e.rules = fired.rules().map(Cow::Borrowed).collect();
        if details == Details::With {
            e.details = subs.into_iter().map(Cow::Borrowed).collect();
            e.details.push(Cow::Borrowed(spamassassin::SCORE_SET));
        }
        e
    };
    match seen {
        Seen::Temporary => entry(Verdict::Unknown, &[]),
        Seen::Unknown => scored(None),
        Seen::Verified => scored(name),
        Seen::NotChecked if details == Details::Without => entry(Verdict::Unknown, &[]),
        Seen::NotChecked => {
            let rules: Vec<_> = spamassassin::fired(ip, name).rules().collect();
            let mut e = entry(Verdict::Unknown, &[]);
            e.details = vec![
                format!("if forward-confirmed: {}", list_or_none(&rules)).into(),
                "if not: RDNS_NONE".into(),
            ];
            e
        }
    }
}

fn rspamd_entry(seen: Seen, sender: &Sender<'_>, name: Option<&str>, details: Details) -> Entry {
    // The MTA passes the verified client name; without one, hfilter fires
    // HFILTER_HOSTNAME_UNKNOWN, and an address without PTR also gets RDNS_NONE.
    let unknown = || {
        let mut e = entry(Verdict::Score, &["HFILTER_HOSTNAME_UNKNOWN"]);
        let mut score = rspamd::UNKNOWN_WEIGHT;
        if matches!(sender, Sender::NoPtr) {
            e.rules.push(Cow::Borrowed("RDNS_NONE"));
            score += rspamd::RDNS_NONE_WEIGHT;
        }
        e.score = Some(score);
        e
    };
    let named = |n: &str| match rspamd::hostname_weight(n) {
        Some(w) => {
            let mut e = entry(Verdict::Score, &[rspamd::symbol(w)]);
            e.score = Some(rspamd::HOSTNAME_WEIGHTS[usize::from(w) - 1]);
            e
        }
        None => accept(),
    };
    match seen {
        Seen::Temporary => entry(Verdict::Unknown, &[]),
        Seen::Unknown => unknown(),
        Seen::Verified => name.map_or_else(accept, named),
        Seen::NotChecked if details == Details::Without => entry(Verdict::Unknown, &[]),
        Seen::NotChecked => {
            let confirmed = name.and_then(rspamd::hostname_weight).map(rspamd::symbol);
            let mut e = entry(Verdict::Unknown, &[]);
            e.details = vec![
                format!(
                    "if forward-confirmed: {}",
                    list_or_none(&confirmed.into_iter().collect::<Vec<_>>())
                )
                .into(),
                "if not: HFILTER_HOSTNAME_UNKNOWN".into(),
            ];
            e
        }
    }
}

fn list_or_none(rules: &[&str]) -> String {
    if rules.is_empty() {
        "nothing".to_owned()
    } else {
        rules.join(", ")
    }
}

/// The bytes a name holds, as a 256-bit set: a literal with a byte the name
/// lacks cannot occur in it (most literals of most patterns fail here).
struct Present([u64; 4]);

impl Present {
    fn of(n: &[u8]) -> Present {
        let mut set = [0u64; 4];
        for &b in n {
            set[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        Present(set)
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    /// Whether every byte of `other` is in this set.
    fn holds(&self, other: &Present) -> bool {
        self.0.iter().zip(&other.0).all(|(s, o)| o & !s == 0)
    }
}

/// Runs `f` on `name` lowercased (ASCII), on the stack for names of up to
/// 255 bytes: the filters' rules read every name in both cases.
fn with_lowercase<R>(name: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 255];
    if let Some(lower) = buf.get_mut(..name.len()) {
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        f(lower)
    } else {
        f(&name.to_ascii_lowercase())
    }
}
