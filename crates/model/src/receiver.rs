//! The receiver matrix: what each mail receiver would do with mail from one
//! address ([`ReceiverVerdict`] per [`ReceiverId`]), and the address's RFC 8601
//! `iprev` result ([`Iprev`]). `classify` computes them; `report` writes them.

use std::borrow::Cow;

/// A mail receiver whose behaviour ptr-audit reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReceiverId {
    /// Postfix `reject_unknown_client_hostname`.
    PostfixStrict,
    /// Postfix `reject_unknown_reverse_client_hostname`.
    PostfixLax,
    /// SpamAssassin's `20_dynrdns.cf` rules and `RDNS_NONE`.
    SpamAssassin,
    /// rspamd's `hfilter` host name checks and `RDNS_NONE`.
    Rspamd,
    /// Haraka's `fcrdns` plugin.
    Haraka,
    /// Gmail's sender guidelines.
    Gmail,
    /// Yahoo's sender best practices.
    Yahoo,
    /// Microsoft (Outlook.com) sender policies.
    Microsoft,
    /// GMX, web.de and 1&1 (United Internet).
    UnitedInternet,
}

impl ReceiverId {
    /// Every receiver, in report order.
    pub const ALL: [ReceiverId; 9] = [
        ReceiverId::PostfixStrict,
        ReceiverId::PostfixLax,
        ReceiverId::SpamAssassin,
        ReceiverId::Rspamd,
        ReceiverId::Haraka,
        ReceiverId::Gmail,
        ReceiverId::Yahoo,
        ReceiverId::Microsoft,
        ReceiverId::UnitedInternet,
    ];

    /// The id written in reports (`postfix-strict`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReceiverId::PostfixStrict => "postfix-strict",
            ReceiverId::PostfixLax => "postfix-lax",
            ReceiverId::SpamAssassin => "spamassassin",
            ReceiverId::Rspamd => "rspamd",
            ReceiverId::Haraka => "haraka",
            ReceiverId::Gmail => "gmail",
            ReceiverId::Yahoo => "yahoo",
            ReceiverId::Microsoft => "microsoft",
            ReceiverId::UnitedInternet => "united-internet",
        }
    }

    /// Parses an id written by [`ReceiverId::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// A dense index (the position in [`ReceiverId::ALL`]).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What one receiver does with mail from the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Accepted without a penalty.
    Accept,
    /// Accepted, with a spam score added.
    Score,
    /// Refused for now (4xx): a lookup failed, the sender must retry.
    Defer,
    /// Refused (5xx).
    Reject,
    /// Cannot be told from what is known (forward confirmation not checked).
    Unknown,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 5] = [
        Verdict::Accept,
        Verdict::Score,
        Verdict::Defer,
        Verdict::Reject,
        Verdict::Unknown,
    ];

    /// The keyword (`accept`, `score`, `defer`, `reject`, `unknown`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Score => "score",
            Verdict::Defer => "defer",
            Verdict::Reject => "reject",
            Verdict::Unknown => "unknown",
        }
    }

    /// Parses a keyword written by [`Verdict::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// True for `defer` and `reject`: the mail is refused.
    pub fn refuses(self) -> bool {
        matches!(self, Verdict::Defer | Verdict::Reject)
    }
}

/// One receiver's verdict on one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiverVerdict {
    /// Which receiver.
    pub id: ReceiverId,
    /// What it does.
    pub verdict: Verdict,
    /// The score it adds (filters only), in its own units.
    pub score: Option<Score>,
    /// The receiver's own public rule, symbol or setting names that fired.
    pub rules: Vec<Cow<'static, str>>,
    /// Internal sub-rules or conditions behind `rules` (may be empty).
    pub details: Vec<Cow<'static, str>>,
    /// The software or policy version reproduced (`spamassassin 4.0.1`).
    pub source: Cow<'static, str>,
}

/// The receiver verdicts of one address: only the entries that are not
/// `accept`, in [`ReceiverId::ALL`] order (an absent receiver accepts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receivers(pub Vec<ReceiverVerdict>);

impl Receivers {
    /// The verdict of `id` (`accept` when it has no entry).
    pub fn verdict(&self, id: ReceiverId) -> Verdict {
        self.get(id).map_or(Verdict::Accept, |e| e.verdict)
    }

    /// The entry of `id`, if it is not `accept`.
    pub fn get(&self, id: ReceiverId) -> Option<&ReceiverVerdict> {
        self.0.iter().find(|e| e.id == id)
    }

    /// The receivers that defer or reject.
    pub fn refusing(&self) -> impl Iterator<Item = &ReceiverVerdict> {
        self.0.iter().filter(|e| e.verdict.refuses())
    }
}

/// A filter's score in thousandths (`Score(793)` is 0.793): exact, and
/// written as the shortest decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Score(pub i32);

impl Score {
    /// Parses a decimal with at most three fractional digits (`0.793`, `-1`, `2.5`).
    pub fn parse(text: &str) -> Option<Self> {
        let (neg, body) = match text.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, text),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || frac.len() > 3
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
        {
            return None;
        }
        let mut milli: i64 = int.parse::<i64>().ok()?.checked_mul(1000)?;
        let mut scale = 100;
        for b in frac.bytes() {
            milli += i64::from(b - b'0') * scale;
            scale /= 10;
        }
        let v = i32::try_from(milli).ok()?;
        Some(Score(if neg { -v } else { v }))
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0.unsigned_abs();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{}", v / 1000)?;
        let frac = v % 1000;
        if frac != 0 {
            let text = format!("{frac:03}");
            write!(f, ".{}", text.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

/// The RFC 8601 `iprev` result of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Iprev {
    /// A PTR name resolves back to the address.
    Pass,
    /// No PTR, or no PTR name resolves back to the address.
    Fail,
    /// A lookup got no answer: retry later.
    TempError,
    /// The PTR name is not a usable host name.
    PermError,
}

impl Iprev {
    /// Every result.
    pub const ALL: [Iprev; 4] = [Iprev::Pass, Iprev::Fail, Iprev::TempError, Iprev::PermError];

    /// The keyword (`pass`, `fail`, `temperror`, `permerror`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Iprev::Pass => "pass",
            Iprev::Fail => "fail",
            Iprev::TempError => "temperror",
            Iprev::PermError => "permerror",
        }
    }

    /// Parses a keyword written by [`Iprev::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip() {
        for r in ReceiverId::ALL {
            assert_eq!(ReceiverId::parse(r.as_str()), Some(r));
            assert_eq!(ReceiverId::ALL[r.index()], r);
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        for i in Iprev::ALL {
            assert_eq!(Iprev::parse(i.as_str()), Some(i));
        }
        assert_eq!(Verdict::parse("maybe"), None);
        for (text, milli) in [
            ("0.793", 793),
            ("2.5", 2500),
            ("3", 3000),
            ("-1.25", -1250),
            ("0", 0),
        ] {
            assert_eq!(Score::parse(text), Some(Score(milli)));
            assert_eq!(Score(milli).to_string(), text);
        }
        for bad in ["", "1.", ".5", "1.2345", "x", "1e3"] {
            assert_eq!(Score::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn absent_receivers_accept() {
        let m = Receivers(vec![ReceiverVerdict {
            id: ReceiverId::Gmail,
            verdict: Verdict::Reject,
            score: None,
            rules: vec!["x".into()],
            details: Vec::new(),
            source: "gmail".into(),
        }]);
        assert_eq!(m.verdict(ReceiverId::Gmail), Verdict::Reject);
        assert_eq!(m.verdict(ReceiverId::Yahoo), Verdict::Accept);
        assert_eq!(m.refusing().count(), 1);
    }
}
