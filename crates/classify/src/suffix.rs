//! The Public Suffix List the classifier uses: the one compiled in by the
//! `psl` crate ([`SuffixList::Embedded`], no allocation per lookup), or a
//! newer copy loaded at run time (`--psl FILE`, [`SuffixList::parse`]).
//! It decides where a name's registered domain starts
//! (`tokens::registered_start`) and whether its top-level domain is one the
//! list knows ([`TldCheck`]: the `ptr-unknown-tld` finding).
//!
//! The file format is the list's own (<https://github.com/publicsuffix/list/wiki/Format>):
//! one rule per line, read up to the first whitespace; `//` comments; `*.`
//! wildcards (the leftmost label only); `!` exceptions; the sections between
//! `// ===BEGIN ICANN DOMAINS===` and `// ===END ICANN DOMAINS===` (and the
//! same for `PRIVATE`); rules outside any section count as ICANN. Unicode
//! rules are compared in their ASCII (`xn--`) form, as names come from DNS.
//! The published file's `// VERSION: 2026-10-22_08-36-41_UTC` header gives
//! the list's date.

use std::collections::HashMap;
use std::sync::Arc;

/// The `psl` crate version whose compiled-in list is [`SuffixList::Embedded`]
/// (checked against `Cargo.lock` by a test, so a crate update must revisit
/// [`EMBEDDED_NOT_BEFORE`]).
pub const EMBEDDED_PSL_VERSION: &str = "2.1.247";

/// The embedded list is at least as new as this date: it already carries a
/// change made after the published list `// VERSION: 2026-10-22_08-36-41_UTC`
/// (`COMMIT: 8437e5262f13305f94087abe699b4fe2be1d1de8`): `helsinki` is gone and
/// `pagelemon.dev` is a private suffix (`embedded_list_is_newer_than_its_date`).
/// The `psl` crate records no date of its own, so this is a lower bound.
pub const EMBEDDED_NOT_BEFORE: &str = "2026-10-22";

/// Which part of the list a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// Suffixes under which the registries themselves register names.
    Icann,
    /// Suffixes of private companies' products (`compute-1.amazonaws.com`).
    Private,
}

/// The public suffix found for a name: its length in bytes (the last
/// label when no rule matched) and the section of the rule that matched
/// (`None`: no rule, the list's default rule `*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub len: usize,
    pub section: Option<Section>,
}

/// A Public Suffix List: the embedded one, or one loaded from a file.
#[derive(Clone, Debug, Default)]
pub enum SuffixList {
    /// The list compiled in by the `psl` crate ([`EMBEDDED_PSL_VERSION`]).
    #[default]
    Embedded,
    /// A list read from a file (`--psl FILE`).
    Loaded(Arc<LoadedList>),
}

/// A list read from a file by [`SuffixList::parse`].
#[derive(Debug)]
pub struct LoadedList {
    /// The file as given, for messages.
    origin: String,
    /// The date of the list's `// VERSION:` header, if it has one.
    date: Option<String>,
    /// The rules, keyed by the suffix without `*.` or `!`, lowercase ASCII.
    rules: HashMap<Box<[u8]>, Kinds>,
}

/// The rules that share one suffix text.
#[derive(Clone, Copy, Debug, Default)]
struct Kinds {
    normal: Option<Section>,
    wildcard: Option<Section>,
    exception: Option<Section>,
}

/// A line of a list file that is not a rule, a comment or a section marker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PslError {
    /// A line that breaks the format.
    #[error("{origin}:{line}: {problem}: `{text}`")]
    Line {
        /// The file as given.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The offending text (a rule, or the marker).
        text: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A section was opened and never closed.
    #[error("{origin}:{line}: section `{section}` is never closed")]
    Unclosed {
        /// The file as given.
        origin: String,
        /// The line that opened it.
        line: usize,
        /// `ICANN` or `PRIVATE`.
        section: &'static str,
    },
    /// The file holds no rule at all (every top-level domain would be unknown).
    #[error("{origin}: no rules: not a Public Suffix List")]
    Empty {
        /// The file as given.
        origin: String,
    },
}

/// What the list says about a name's top-level domain, for the
/// `ptr-unknown-tld` finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TldCheck {
    /// The list has a rule for it.
    Listed,
    /// Reserved for documentation, testing or private use (RFC 2606, 6761,
    /// 7686, 9476): public DNS never delegates it, whatever the list says.
    SpecialUse(&'static str),
    /// The list has no rule for it: a top-level domain that does not exist,
    /// or one newer than the list.
    Unlisted,
}

/// Special-use top-level domains that are valid host names (the ones that
/// make a name unusable, `.invalid`, `.localhost`, `.local`, are
/// `local-name`), with the document that reserves each.
const SPECIAL_USE: &[(&str, &str)] = &[
    ("example", "RFC 2606"),
    ("test", "RFC 2606"),
    ("onion", "RFC 7686"),
    ("alt", "RFC 9476"),
];

impl SuffixList {
    /// Reads a list in the Public Suffix List's format; `origin` names the
    /// file in errors and in [`SuffixList::describe`].
    pub fn parse(text: &str, origin: &str) -> Result<SuffixList, PslError> {
        let err = |line: usize, text: &str, problem| PslError::Line {
            origin: origin.to_owned(),
            line,
            text: text.to_owned(),
            problem,
        };
        let mut rules: HashMap<Box<[u8]>, Kinds> = HashMap::new();
        let mut date = None;
        let mut open: Option<(&'static str, usize)> = None;
        let mut count = 0usize;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if let Some(comment) = line.strip_prefix("//") {
                let comment = comment.trim();
                if let Some(v) = comment.strip_prefix("VERSION:") {
                    date = Some(v.trim().split('_').next().unwrap_or("").to_owned());
                } else if let Some(m) = comment
                    .strip_prefix("===")
                    .and_then(|m| m.strip_suffix("==="))
                {
                    let (begin, name) = match m.split_once(' ') {
                        Some(("BEGIN", name)) => (true, name),
                        Some(("END", name)) => (false, name),
                        _ => return Err(err(n, line, "unknown section marker")),
                    };
                    let section = match name {
                        "ICANN DOMAINS" => "ICANN",
                        "PRIVATE DOMAINS" => "PRIVATE",
                        _ => return Err(err(n, line, "unknown section")),
                    };
                    open = match (begin, open) {
                        (true, None) => Some((section, n)),
                        (true, Some(_)) => {
                            return Err(err(n, line, "a section begins inside another"));
                        }
                        (false, Some((s, _))) if s == section => None,
                        (false, _) => {
                            return Err(err(n, line, "the section ends without beginning"));
                        }
                    };
                }
                continue;
            }
            // A rule is read up to the first whitespace.
            let Some(rule) = line.split_whitespace().next() else {
                continue;
            };
            let section = match open {
                Some(("PRIVATE", _)) => Section::Private,
                _ => Section::Icann,
            };
            let (kind, body) = if let Some(b) = rule.strip_prefix('!') {
                (2, b)
            } else if let Some(b) = rule.strip_prefix("*.") {
                (1, b)
            } else {
                (0, rule)
            };
            if body.is_empty()
                || body.starts_with('.')
                || body.ends_with('.')
                || body.contains("..")
            {
                return Err(err(n, rule, "a rule with an empty label"));
            }
            if body.contains('*') {
                return Err(err(
                    n,
                    rule,
                    "`*` is allowed only as the whole leftmost label",
                ));
            }
            if body.contains('!') {
                return Err(err(n, rule, "`!` is allowed only before the whole rule"));
            }
            if kind == 2 && !body.contains('.') {
                return Err(err(n, rule, "an exception rule needs at least two labels"));
            }
            let ascii = if body.is_ascii() {
                body.to_ascii_lowercase()
            } else {
                idna::domain_to_ascii(body)
                    .map_err(|_| err(n, rule, "not a valid internationalised domain name"))?
            };
            if ascii
                .split('.')
                .any(|l| l.is_empty() || l.len() > 63 || !l.bytes().all(is_label_byte))
            {
                return Err(err(
                    n,
                    rule,
                    "a label is empty, longer than 63 octets or holds a character no host name has",
                ));
            }
            let kinds = rules
                .entry(ascii.into_bytes().into_boxed_slice())
                .or_default();
            let slot = match kind {
                0 => &mut kinds.normal,
                1 => &mut kinds.wildcard,
                _ => &mut kinds.exception,
            };
            *slot = Some(section);
            count += 1;
        }
        if let Some((section, line)) = open {
            return Err(PslError::Unclosed {
                origin: origin.to_owned(),
                line,
                section,
            });
        }
        if count == 0 {
            return Err(PslError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(SuffixList::Loaded(Arc::new(LoadedList {
            origin: origin.to_owned(),
            date,
            rules,
        })))
    }

    /// The list as a message names it: `the embedded Public Suffix List
    /// (psl 2.1.247, 2026-10-22 or newer)`, `the Public Suffix List of
    /// 2026-12-01 (FILE)` or `the Public Suffix List FILE (no date)`.
    pub fn describe(&self) -> String {
        match self {
            SuffixList::Embedded => format!(
                "the embedded Public Suffix List (psl {EMBEDDED_PSL_VERSION}, {EMBEDDED_NOT_BEFORE} or newer)"
            ),
            SuffixList::Loaded(l) => match &l.date {
                Some(d) => format!("the Public Suffix List of {d} ({})", l.origin),
                None => format!("the Public Suffix List {} (no date)", l.origin),
            },
        }
    }

    /// The list's date for reports: the embedded list's lower bound
    /// ([`EMBEDDED_NOT_BEFORE`]), a loaded file's `VERSION` date, or `None`.
    pub fn date(&self) -> Option<&str> {
        match self {
            SuffixList::Embedded => Some(EMBEDDED_NOT_BEFORE),
            SuffixList::Loaded(l) => l.date.as_deref(),
        }
    }

    /// The public suffix of `body` (lowercase, no trailing dot).
    pub(crate) fn find(&self, body: &[u8]) -> Found {
        match self {
            SuffixList::Embedded => {
                use psl::Psl;
                let info = psl::List.find(body.rsplit(|b| *b == b'.'));
                Found {
                    len: info.len,
                    section: info.typ.map(|t| match t {
                        psl::Type::Icann => Section::Icann,
                        psl::Type::Private => Section::Private,
                    }),
                }
            }
            SuffixList::Loaded(l) => l.find(body),
        }
    }

    /// Whether the top-level domain of `body` (lowercase, no trailing dot,
    /// a valid host name) is public and listed.
    #[cfg(test)]
    pub(crate) fn check_tld(&self, body: &[u8]) -> TldCheck {
        tld_check(body, self.find(body).section.is_some())
    }
}

/// The [`TldCheck`] of `body` (lowercase, no trailing dot, a valid host
/// name), given whether a rule of the list matched it.
pub(crate) fn tld_check(body: &[u8], listed: bool) -> TldCheck {
    let tld = &body[body.iter().rposition(|b| *b == b'.').map_or(0, |i| i + 1)..];
    if let Some((_, rfc)) = SPECIAL_USE.iter().find(|(t, _)| t.as_bytes() == tld) {
        TldCheck::SpecialUse(rfc)
    } else if listed {
        TldCheck::Listed
    } else {
        TldCheck::Unlisted
    }
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

impl LoadedList {
    /// The list's algorithm: the matching rules are the suffix texts equal to
    /// the name's last labels, and wildcards one label deeper; an exception
    /// prevails (its suffix is the rule without its leftmost label), else the
    /// rule with the most labels; no rule is the default rule `*`.
    fn find(&self, body: &[u8]) -> Found {
        let mut best = Found {
            len: body.len() - body.iter().rposition(|b| *b == b'.').map_or(0, |i| i + 1),
            section: None,
        };
        let mut exception = None;
        // Candidate suffixes from the last label to the whole name.
        let mut parent: Option<&[u8]> = None;
        let mut end = body.len();
        loop {
            let start = body[..end]
                .iter()
                .rposition(|b| *b == b'.')
                .map_or(0, |i| i + 1);
            let cand = &body[start..];
            if let Some(k) = self.rules.get(cand) {
                if let Some(s) = k.exception {
                    exception = Some(Found {
                        len: parent.map_or(0, <[u8]>::len),
                        section: Some(s),
                    });
                }
                if let Some(s) = k.normal {
                    best = Found {
                        len: cand.len(),
                        section: Some(s),
                    };
                }
            }
            if let Some(s) = parent
                .and_then(|p| self.rules.get(p))
                .and_then(|k| k.wildcard)
            {
                best = Found {
                    len: cand.len(),
                    section: Some(s),
                };
            }
            if start == 0 {
                break;
            }
            parent = Some(cand);
            end = start - 1;
        }
        exception.unwrap_or(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> SuffixList {
        SuffixList::parse(text, "list.dat").unwrap()
    }

    fn suffix<'a>(l: &SuffixList, name: &'a str) -> (&'a str, Option<Section>) {
        let f = l.find(name.as_bytes());
        (&name[name.len() - f.len..], f.section)
    }

    const SMALL: &str = "// VERSION: 2026-12-01_08-00-00_UTC\n\
        // COMMIT: 0123\n\
        // ===BEGIN ICANN DOMAINS===\n\
        com\nuk\nco.uk\n*.ck\n!www.ck\n*.kawasaki.jp\n!city.kawasaki.jp\njp\n\
        公司.cn\ncn\n\
        // ===END ICANN DOMAINS===\n\
        // ===BEGIN PRIVATE DOMAINS===\n\
        *.compute-1.amazonaws.com    // trailing text is ignored\n\
        // ===END PRIVATE DOMAINS===\n";

    #[test]
    fn the_prevailing_rule_follows_the_lists_algorithm() {
        let l = list(SMALL);
        use Section::*;
        assert_eq!(suffix(&l, "mail.example.com"), ("com", Some(Icann)));
        assert_eq!(suffix(&l, "mail.example.co.uk"), ("co.uk", Some(Icann)));
        assert_eq!(suffix(&l, "a.b.ck"), ("b.ck", Some(Icann)));
        assert_eq!(suffix(&l, "a.www.ck"), ("ck", Some(Icann)));
        assert_eq!(
            suffix(&l, "x.foo.kawasaki.jp"),
            ("foo.kawasaki.jp", Some(Icann))
        );
        assert_eq!(
            suffix(&l, "x.city.kawasaki.jp"),
            ("kawasaki.jp", Some(Icann))
        );
        assert_eq!(
            suffix(&l, "mail.ec2-1.compute-1.amazonaws.com"),
            ("ec2-1.compute-1.amazonaws.com", Some(Private))
        );
        assert_eq!(
            suffix(&l, "mail.xn--55qx5d.cn"),
            ("xn--55qx5d.cn", Some(Icann))
        );
        // the default rule `*`
        assert_eq!(suffix(&l, "mail.example.zzz"), ("zzz", None));
        assert_eq!(l.date(), Some("2026-12-01"));
        assert_eq!(
            l.describe(),
            "the Public Suffix List of 2026-12-01 (list.dat)"
        );
    }

    #[test]
    fn a_loaded_list_agrees_with_the_embedded_one_on_its_own_rules() {
        // The same names through the embedded list and a file with the rules
        // they need.
        let l = list(SMALL);
        for name in [
            "mail.example.com",
            "mail.example.co.uk",
            "a.b.ck",
            "a.www.ck",
            "x.foo.kawasaki.jp",
            "x.city.kawasaki.jp",
            "ec2-1.compute-1.amazonaws.com",
            "mail.example.zzz",
        ] {
            assert_eq!(
                l.find(name.as_bytes()),
                SuffixList::Embedded.find(name.as_bytes()),
                "{name}"
            );
        }
    }

    #[test]
    fn rules_outside_sections_count_as_icann_and_there_may_be_no_date() {
        let l = list("zzz\n");
        assert_eq!(
            suffix(&l, "mail.example.zzz"),
            ("zzz", Some(Section::Icann))
        );
        assert_eq!(l.date(), None);
        assert_eq!(l.describe(), "the Public Suffix List list.dat (no date)");
        assert_eq!(l.check_tld(b"mail.example.zzz"), TldCheck::Listed);
        assert_eq!(l.check_tld(b"mail.example.com"), TldCheck::Unlisted);
    }

    #[test]
    fn special_use_domains_are_never_listed() {
        let l = list("example\ntest\n");
        assert_eq!(
            l.check_tld(b"mail.example"),
            TldCheck::SpecialUse("RFC 2606")
        );
        assert_eq!(
            SuffixList::Embedded.check_tld(b"a.b.onion"),
            TldCheck::SpecialUse("RFC 7686")
        );
        assert_eq!(
            SuffixList::Embedded.check_tld(b"mail.example.com"),
            TldCheck::Listed
        );
        assert_eq!(
            SuffixList::Embedded.check_tld(b"mail.example.zzz"),
            TldCheck::Unlisted
        );
    }

    fn error(text: &str) -> String {
        SuffixList::parse(text, "list.dat").unwrap_err().to_string()
    }

    #[test]
    fn malformed_lines_are_named_with_their_line() {
        assert_eq!(
            error("com\nfoo..com\n"),
            "list.dat:2: a rule with an empty label: `foo..com`"
        );
        assert_eq!(
            error("com\n\nfoo.*.com\n"),
            "list.dat:3: `*` is allowed only as the whole leftmost label: `foo.*.com`"
        );
        assert_eq!(
            error("!com\n"),
            "list.dat:1: an exception rule needs at least two labels: `!com`"
        );
        assert_eq!(
            error("com\nfoo!.com\n"),
            "list.dat:2: `!` is allowed only before the whole rule: `foo!.com`"
        );
        assert_eq!(
            error("com\nex%ample.com\n"),
            "list.dat:2: a label is empty, longer than 63 octets or holds a character no host name has: `ex%ample.com`"
        );
        assert_eq!(
            error("// ===BEGIN ICANN DOMAINS===\ncom\n// ===BEGIN PRIVATE DOMAINS===\n"),
            "list.dat:3: a section begins inside another: `// ===BEGIN PRIVATE DOMAINS===`"
        );
        assert_eq!(
            error("com\n// ===END ICANN DOMAINS===\n"),
            "list.dat:2: the section ends without beginning: `// ===END ICANN DOMAINS===`"
        );
        assert_eq!(
            error("// ===BEGIN OTHER DOMAINS===\n"),
            "list.dat:1: unknown section: `// ===BEGIN OTHER DOMAINS===`"
        );
        assert_eq!(
            error("// ===BEGIN ICANN DOMAINS===\ncom\n"),
            "list.dat:1: section `ICANN` is never closed"
        );
        assert_eq!(
            error("// only comments\n\n"),
            "list.dat: no rules: not a Public Suffix List"
        );
    }

    /// Debian's `publicsuffix` package (`.ci/apt-packages`): a whole
    /// published list, older than the embedded one.
    const PUBLISHED: &str = "/usr/share/publicsuffix/public_suffix_list.dat";

    #[test]
    fn a_published_list_parses_and_agrees_with_the_embedded_one() {
        let text = match std::fs::read_to_string(PUBLISHED) {
            Ok(t) => t,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: {PUBLISHED}: {e} (apt-get install publicsuffix)");
                return;
            }
            Err(e) => panic!("{PUBLISHED}: {e}: CI installs Debian's publicsuffix"),
        };
        let SuffixList::Loaded(l) = SuffixList::parse(&text, PUBLISHED).unwrap() else {
            unreachable!()
        };
        assert!(l.rules.len() > 9000, "{} rules", l.rules.len());
        let list = SuffixList::Loaded(l);
        // Rules that have not changed for years, in both sections, with a
        // wildcard, an exception and Unicode rules.
        for name in [
            "mail.example.com",
            "mail.example.co.uk",
            "a.b.ck",
            "a.www.ck",
            "x.foo.kawasaki.jp",
            "x.city.kawasaki.jp",
            "mx.example.k12.ca.us",
            "mail.example.xn--55qx5d.cn",
            "mail.example.xn--p1ai",
            "www.example.blogspot.com",
            "host5.dyndns.org",
            "mail.example.zzz",
        ] {
            assert_eq!(
                list.find(name.as_bytes()),
                SuffixList::Embedded.find(name.as_bytes()),
                "{name}"
            );
        }
    }

    #[test]
    fn embedded_list_is_newer_than_its_date() {
        // Both changes came after the published list of EMBEDDED_NOT_BEFORE.
        let e = SuffixList::Embedded;
        assert_eq!(e.check_tld(b"mail.example.helsinki"), TldCheck::Unlisted);
        assert_eq!(e.find(b"x.pagelemon.dev").section, Some(Section::Private));
    }

    #[test]
    fn the_embedded_psl_version_is_the_one_in_cargo_lock() {
        let lock = include_str!("../../../Cargo.lock");
        let at = lock
            .find("name = \"psl\"\nversion = \"")
            .expect("psl in Cargo.lock");
        let rest = &lock[at + "name = \"psl\"\nversion = \"".len()..];
        let version = &rest[..rest.find('"').unwrap()];
        assert_eq!(
            version, EMBEDDED_PSL_VERSION,
            "the psl crate moved: update EMBEDDED_PSL_VERSION and EMBEDDED_NOT_BEFORE (from a published list the new one already differs from)"
        );
    }
}
