//! Blocklist answers read by the list's kind: which return code is a listing
//! and what it means, which is an error of the query (the listing is then
//! unknown), and the `dnsbl-listed`, `pbl-unlisted` and `lookup-failed`
//! findings they make.
//!
//! Spamhaus's return codes (ZEN: 127.0.0.2 SBL, .3 CSS, .4–.7 XBL, .9 DROP,
//! .10 PBL listed by the ISP, .11 PBL listed by Spamhaus) and its error codes
//! (127.255.255.252 typo in the zone name, .254 query through a public or
//! open resolver, .255 excessive number of queries) are in
//! `/work/shared/notes/receivers.md` with their sources. An error code was
//! taken for a listing by mail servers that then refused all mail
//! (mailserver2/mailserver#90, haraka/Haraka#3106): here it never is, for any
//! kind, and neither is an answer outside 127.0.0.0/8.

use std::net::Ipv4Addr;

use ptr_audit_model::{Dnsbl, DnsblAnswer, DnsblKind, Finding, FindingCode, Lookup, Target};

use crate::severity::for_block;

/// What one return code of a list means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeMeaning {
    /// A listing: the list's short name (`SBL`, `PBL`) and a description.
    Listed {
        /// The sub-list (`SBL`, `XBL`, `PBL`), or `listed` for a generic list.
        list: &'static str,
        /// What the listing says, for people.
        meaning: &'static str,
        /// A Spamhaus PBL listing (end-user space).
        pbl: bool,
    },
    /// Not a listing: the query went wrong, the listing is unknown.
    QueryError {
        /// Why, for people.
        meaning: &'static str,
    },
}

/// What `code` means from a list of `kind`.
pub fn meaning(kind: DnsblKind, code: Ipv4Addr) -> CodeMeaning {
    let [a, b, c, d] = code.octets();
    if a != 127 {
        return CodeMeaning::QueryError {
            meaning: "an answer outside 127.0.0.0/8 is no blocklist return code (a resolver rewriting answers?)",
        };
    }
    if (b, c) == (255, 255) {
        return CodeMeaning::QueryError {
            meaning: match d {
                252 => "error: typo in the blocklist zone name",
                254 => "error: queried through a public or open resolver, which the list refuses",
                255 => "error: too many queries (the list's rate limit)",
                _ => "error: a 127.255.255.0/24 answer is an error code, not a listing",
            },
        };
    }
    let listed = |list, meaning, pbl| CodeMeaning::Listed { list, meaning, pbl };
    // The PBL's two codes, the same in ZEN and in the PBL zone of its own.
    let pbl = |d| {
        let meaning = if d == 10 {
            "Spamhaus PBL, listed by the network's owner: end-user space that should not send mail directly"
        } else {
            "Spamhaus PBL, listed by Spamhaus: end-user space that should not send mail directly"
        };
        listed("PBL", meaning, true)
    };
    let spamhaus = (b, c) == (0, 0);
    match kind {
        DnsblKind::SpamhausZen if spamhaus => match d {
            2 => listed(
                "SBL",
                "Spamhaus SBL: a known spam source or spam operation",
                false,
            ),
            3 => listed(
                "CSS",
                "Spamhaus CSS: spam sent from this address recently",
                false,
            ),
            4..=7 => listed("XBL", "Spamhaus XBL: a hijacked or infected host", false),
            9 => listed(
                "DROP",
                "Spamhaus DROP: a hijacked or criminal network",
                false,
            ),
            10 | 11 => pbl(d),
            _ => listed(
                "listed",
                "a return code Spamhaus ZEN does not document",
                false,
            ),
        },
        DnsblKind::SpamhausPbl if spamhaus => match d {
            10 | 11 => pbl(d),
            _ => listed(
                "listed",
                "a return code the Spamhaus PBL does not document",
                false,
            ),
        },
        DnsblKind::SpamhausZen | DnsblKind::SpamhausPbl => {
            listed("listed", "a return code Spamhaus does not document", false)
        }
        DnsblKind::Generic => listed("listed", "listed", false),
    }
}

/// Adds the findings of `lookup`'s blocklist answers to `out` (unsorted).
pub(crate) fn findings(target: &Target, lookup: &Lookup, out: &mut Vec<Finding>) {
    let block = &*target.block;
    // expect_pbl: did a list that carries the PBL answer, and did one list it?
    let mut pbl_answered: Option<&Dnsbl> = None;
    let mut pbl_listed = false;
    for (list, answer) in &lookup.dnsbl {
        let codes = match answer {
            DnsblAnswer::NotListed => {
                if list.kind.has_pbl() {
                    pbl_answered.get_or_insert(list);
                }
                continue;
            }
            DnsblAnswer::Failed(why) => {
                let kw = why.keyword();
                out.push(unknown(target, list, &kw, None, format!(
                    "the lookup in blocklist `{}` got no answer (`{kw}`): the listing is unknown",
                    list.name
                )));
                continue;
            }
            DnsblAnswer::Codes(codes) => codes,
        };
        if codes.is_empty() {
            if list.kind.has_pbl() {
                pbl_answered.get_or_insert(list);
            }
            continue;
        }
        let meanings: Vec<(Ipv4Addr, CodeMeaning)> =
            codes.iter().map(|&c| (c, meaning(list.kind, c))).collect();
        if let Some(&(code, CodeMeaning::QueryError { meaning })) = meanings
            .iter()
            .find(|(_, m)| matches!(m, CodeMeaning::QueryError { .. }))
        {
            out.push(unknown(
                target,
                list,
                "error-code",
                Some(code),
                format!(
                    "blocklist `{}` answered `{code}` ({meaning}): the listing is unknown",
                    list.name
                ),
            ));
            continue;
        }
        if list.kind.has_pbl() {
            pbl_answered.get_or_insert(list);
        }
        let mut shown_codes = Vec::new();
        let mut shown_meanings = Vec::new();
        let mut lists: Vec<&str> = Vec::new();
        for (code, m) in meanings {
            let CodeMeaning::Listed {
                list: sub,
                meaning,
                pbl,
            } = m
            else {
                continue;
            };
            pbl_listed |= pbl;
            if pbl && block.expect_pbl {
                // end-user space the provider wants in the PBL: as it should be
                continue;
            }
            shown_codes.push(code.to_string());
            shown_meanings.push(meaning.to_owned());
            if !lists.contains(&sub) {
                lists.push(sub);
            }
        }
        if shown_codes.is_empty() {
            continue;
        }
        let code = FindingCode::DnsblListed;
        out.push(
            Finding::new(
                code,
                for_block(block, code),
                format!(
                    "listed in blocklist `{}` ({}): {}",
                    list.name,
                    lists.join(", "),
                    shown_codes
                        .iter()
                        .zip(&shown_meanings)
                        .map(|(c, m)| format!("`{c}` {m}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .with_text("list", list.name.as_str())
            .with_text("kind", list.kind.as_str())
            .with_list("codes", shown_codes)
            .with_list("meanings", shown_meanings),
        );
    }
    if block.expect_pbl
        && !pbl_listed
        && let Some(list) = pbl_answered
    {
        let code = FindingCode::PblUnlisted;
        out.push(
            Finding::new(
                code,
                for_block(block, code),
                format!(
                    "the inventory expects this end-user address in the Spamhaus PBL (`expect_pbl`), but blocklist `{}` does not list it there",
                    list.name
                ),
            )
            .with_text("list", list.name.as_str())
            .with_text("kind", list.kind.as_str()),
        );
    }
}

/// The `lookup-failed` finding of a blocklist whose listing is unknown.
fn unknown(
    target: &Target,
    list: &Dnsbl,
    reason: &str,
    code: Option<Ipv4Addr>,
    message: String,
) -> Finding {
    let mut f = Finding::new(
        FindingCode::LookupFailed,
        for_block(&target.block, FindingCode::LookupFailed),
        message,
    )
    .with_text("reason", reason)
    .with_text("lookup", "dnsbl")
    .with_text("name", list.name.as_str())
    .with_text("kind", list.kind.as_str());
    if let Some(code) = code {
        f = f.with_text("code", code.to_string());
    }
    f
}
