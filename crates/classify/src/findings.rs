//! From one address's [`Lookup`] to its [`Finding`]s.

use ptr_audit_model::{
    Detail, DetailValue, DnsName, FailureReason, Finding, FindingCode, ForwardAnswer, Lookup,
    PtrAnswer, Severity, Target, reverse_name,
};

use crate::judgement::{Label, NameJudgement, Rule};
use crate::severity::for_block;
use crate::tally::Judged;
use crate::{Classifier, TldCheck};

/// Every rule, and its id at the same index: a one-rule `kinds` list is a
/// slice of this, so it needs no allocation.
const RULES: [Rule; 9] = [
    Rule::InvalidHostname,
    Rule::LocalName,
    Rule::IpLiteral,
    Rule::NumericTld,
    Rule::ReverseName,
    Rule::IpEncoded,
    Rule::DynamicToken,
    Rule::ProviderDefault,
    Rule::Placeholder,
];
static RULE_IDS: [&str; 9] = {
    let mut out = [""; 9];
    let mut i = 0;
    while i < 9 {
        out[i] = RULES[i].as_str();
        i += 1;
    }
    out
};

/// The `kinds` detail: the rules' ids.
fn kinds(rules: &[Rule]) -> DetailValue {
    if let [one] = rules
        && let Some(i) = RULES.iter().position(|r| r == one)
    {
        return DetailValue::StaticList(&RULE_IDS[i..=i]);
    }
    DetailValue::List(rules.iter().map(|r| r.as_str().to_owned()).collect())
}

/// Lowercase, without the trailing dot.
fn norm(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// True when `name` is the `expected` one: equal but for case and a
/// trailing dot on either (the one test for `ptr-unexpected` and the
/// [`BlockTally`](crate::BlockTally)'s names shared by design).
pub(crate) fn is_expected(name: &str, expected: &str) -> bool {
    let bare = |n: &'_ str| -> usize { n.len() - usize::from(n.ends_with('.')) };
    name[..bare(name)].eq_ignore_ascii_case(&expected[..bare(expected)])
}

/// Most severe first, ties in [`FindingCode`] order: the order of a
/// record's findings.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
}

fn judgement_details(f: Finding, name: &DnsName, v: &NameJudgement) -> Finding {
    let text = name.as_str();
    let mut forms: Vec<String> = Vec::new();
    let mut matched: Vec<String> = Vec::new();
    for r in &v.reasons {
        forms.push(r.kind.to_owned());
        matched.push(r.matched(text).to_owned());
    }
    let mut f = f.with_text("name", text);
    f.details.push(Detail {
        key: "kinds",
        value: kinds(&v.rules()),
    });
    f.with_list("forms", forms).with_list("matched", matched)
}

/// The findings for one address, and the judgement of its first PTR name
/// (the one receivers use and the block tally counts), so that neither
/// judges it again.
pub(crate) fn classify(
    c: &Classifier,
    target: &Target,
    lookup: &Lookup,
) -> (Vec<Finding>, Option<(NameJudgement, Judged)>) {
    let (mut out, first) = ptr_findings(c, target, lookup);
    if !lookup.dnsbl.is_empty() {
        crate::dnsbl::findings(target, lookup, &mut out);
        sort(&mut out);
    }
    (out, first)
}

/// The findings about the PTR and its forward confirmation, and the
/// judgement of the first PTR name.
fn ptr_findings(
    c: &Classifier,
    target: &Target,
    lookup: &Lookup,
) -> (Vec<Finding>, Option<(NameJudgement, Judged)>) {
    let block = &*target.block;
    let sev = |code| for_block(block, code);
    let mut out = Vec::new();
    let missing = |reason: &str| {
        Finding::new(
            FindingCode::PtrMissing,
            sev(FindingCode::PtrMissing),
            format!("the address has no ptr ({reason})"),
        )
        .with_text("reason", reason)
    };
    let names = match &lookup.answer {
        PtrAnswer::Failed(why) => {
            out.push(ptr_unanswered(target, lookup, why));
            return (out, None);
        }
        PtrAnswer::NxDomain => {
            out.push(missing("nxdomain"));
            return (out, None);
        }
        PtrAnswer::NoData => {
            out.push(missing("nodata"));
            return (out, None);
        }
        PtrAnswer::BrokenDelegation { target: end } => {
            out.push(missing("broken-delegation").with_text("target", end.as_str()));
            return (out, None);
        }
        PtrAnswer::Names(names) if names.is_empty() => {
            out.push(missing("nodata"));
            return (out, None);
        }
        PtrAnswer::Names(names) => names,
    };

    let dc = &*block.datacenter;
    let mut encodes_address = None;
    let judgements: Vec<NameJudgement> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (judgement, encodes) = c.judge_parts(target.ip, n.as_str(), Some(dc));
            if i == 0 {
                encodes_address = encodes;
            }
            judgement
        })
        .collect();
    let first_expected = target
        .expected_ptr
        .as_deref()
        .is_some_and(|e| is_expected(names[0].as_str(), e));

    // ptr-invalid: the first invalid name.
    if let Some(i) = judgements.iter().position(|v| v.label == Label::Invalid) {
        let v = &judgements[i];
        let first = &v.reasons[0];
        let f = Finding::new(
            FindingCode::PtrInvalid,
            sev(FindingCode::PtrInvalid),
            format!(
                "`{}` is not a usable host name: {}",
                names[i], first.message
            ),
        );
        out.push(judgement_details(f, &names[i], v));
    }

    // fcrdns-failed: no valid name resolves back to the address.
    let valid = names
        .iter()
        .zip(&judgements)
        .filter(|(_, v)| v.label != Label::Invalid)
        .map(|(n, _)| n);
    if let Some(f) = fcrdns(target, lookup, valid) {
        out.push(f);
    }

    // ptr-generic: the first generic name.
    if let Some(i) = judgements.iter().position(|v| v.label == Label::Generic) {
        let v = &judgements[i];
        let kinds: Vec<&str> = v.rules().iter().map(|r| r.as_str()).collect();
        let f = Finding::new(
            FindingCode::PtrGeneric,
            sev(FindingCode::PtrGeneric),
            format!(
                "`{}` is a generic name ({}): {}",
                names[i],
                kinds.join(", "),
                v.reasons[0].message
            ),
        );
        out.push(judgement_details(f, &names[i], v));
    }

    // ptr-unexpected: no name equals the inventory's expectation.
    if let Some(expected) = &target.expected_ptr
        && !first_expected
        && !names[1..].iter().any(|n| is_expected(n.as_str(), expected))
    {
        let want = norm(expected);
        out.push(
            Finding::new(
                FindingCode::PtrUnexpected,
                sev(FindingCode::PtrUnexpected),
                format!("the ptr is `{}`, the inventory expects `{want}`", names[0]),
            )
            .with_text("expected", want.clone())
            .with_list(
                "actual",
                names.iter().map(|n| n.as_str().to_owned()).collect(),
            ),
        );
    }

    // ptr-multiple.
    if names.len() > 1 {
        let mut f = Finding::new(
            FindingCode::PtrMultiple,
            sev(FindingCode::PtrMultiple),
            format!(
                "the address has {} ptr records; receivers use only one of them",
                names.len()
            ),
        );
        f.details.push(Detail {
            key: "count",
            value: DetailValue::Count(names.len() as u64),
        });
        out.push(f.with_list(
            "names",
            names.iter().map(|n| n.as_str().to_owned()).collect(),
        ));
    }

    // ptr-stale: the name still names the datacenter the block migrated from.
    if let Some(old) = &block.migrated_from
        && let Some(n) = names.iter().find(|n| names_datacenter(n.as_str(), old))
    {
        out.push(
            Finding::new(
                FindingCode::PtrStale,
                sev(FindingCode::PtrStale),
                format!("`{n}` still names datacenter `{old}`, which the block migrated from"),
            )
            .with_text("name", n.as_str())
            .with_text("datacenter", &**old),
        );
    }

    // ptr-unknown-tld: the first valid name under a top-level domain public
    // DNS does not know (as far as the Public Suffix List says).
    if let Some(f) = names
        .iter()
        .zip(&judgements)
        .find_map(|(n, v)| unknown_tld(c, n.as_str(), v.tld?, sev(FindingCode::PtrUnknownTld)))
    {
        out.push(f);
    }

    sort(&mut out);
    let judged = Judged {
        encodes_address,
        is_expected: first_expected,
    };
    (out, judgements.into_iter().next().map(|v| (v, judged)))
}

/// The `ptr-unknown-tld` finding for `text` (a valid host name) whose
/// top-level domain the list judged `check`; `None` when it is listed.
pub(crate) fn unknown_tld(
    c: &Classifier,
    text: &str,
    check: TldCheck,
    severity: Severity,
) -> Option<Finding> {
    let body = text.strip_suffix('.').unwrap_or(text);
    let tld = &body[body.rfind('.').map_or(0, |i| i + 1)..];
    let code = FindingCode::PtrUnknownTld;
    let f = match check {
        TldCheck::Listed => return None,
        TldCheck::Unlisted => {
            let list = c.suffixes().describe();
            Finding::new(
                code,
                severity,
                format!(
                    "`{text}` is under `.{tld}`, which is not in {list}: receivers cannot resolve \
                     the name unless the top-level domain is newer than the list (a newer one: \
                     `--psl FILE`)"
                ),
            )
            .with_text("name", text)
            .with_text("tld", tld)
            .with_text("reason", "unlisted")
            .with_text("list", list)
        }
        TldCheck::SpecialUse(rfc) => Finding::new(
            code,
            severity,
            format!(
                "`{text}` is under `.{tld}`, a special-use top-level domain ({rfc}) that public DNS \
                 never delegates: receivers elsewhere cannot resolve the name"
            ),
        )
        .with_text("name", text)
        .with_text("tld", tld)
        .with_text("reason", "special-use")
        .with_text("reserved_by", rfc),
    };
    Some(f)
}

/// True when a label of `name`, or a `-`/`_`-separated part of one, is `dc`.
pub(crate) fn names_datacenter(name: &str, dc: &str) -> bool {
    !dc.is_empty()
        && name.split('.').any(|l| {
            l.eq_ignore_ascii_case(dc) || l.split(['-', '_']).any(|p| p.eq_ignore_ascii_case(dc))
        })
}

/// The forward answer for `name`: the first one listed under that name.
fn forward_of<'a>(lookup: &'a Lookup, name: &DnsName) -> Option<&'a ForwardAnswer> {
    lookup
        .forward
        .iter()
        .find(|(f, _)| f.as_str().eq_ignore_ascii_case(name.as_str()))
        .map(|(_, a)| a)
}

fn fcrdns<'a>(
    target: &Target,
    lookup: &Lookup,
    valid: impl Iterator<Item = &'a DnsName> + Clone,
) -> Option<Finding> {
    // The common case first, collecting nothing: a valid name whose forward
    // answer holds the address.
    if valid.clone().any(|n| {
        matches!(forward_of(lookup, n), Some(ForwardAnswer::Addresses(v)) if v.contains(&target.ip))
    }) {
        return None;
    }
    let valid: Vec<&DnsName> = valid.collect();
    if valid.is_empty() {
        return None;
    }
    let answers: Vec<(&DnsName, &ForwardAnswer)> = valid
        .iter()
        .filter_map(|n| forward_of(lookup, n).map(|a| (*n, a)))
        .collect();
    if answers.is_empty() {
        return None;
    }
    let seen: Vec<String> = answers
        .iter()
        .flat_map(|(_, a)| match a {
            ForwardAnswer::Addresses(v) => v.iter().map(|ip| ip.to_string()).collect(),
            _ => Vec::new(),
        })
        .collect();
    // A forward lookup that got no answer might have confirmed the address:
    // the verdict is unknown (a receiver answers 450, try again), not failed.
    if let Some((n, ForwardAnswer::Failed(why))) = answers
        .iter()
        .find(|(_, a)| matches!(a, ForwardAnswer::Failed(_)))
    {
        let kw = why.keyword();
        return Some(
            Finding::new(
                FindingCode::LookupFailed,
                for_block(&target.block, FindingCode::LookupFailed),
                format!(
                    "the forward lookup of `{n}` got no answer (`{kw}`): forward confirmation is unknown"
                ),
            )
            .with_text("reason", kw)
            .with_text("lookup", "forward")
            .with_text("name", n.as_str())
            .with_list("forward", seen),
        );
    }
    let family = if target.ip.is_ipv4() { "A" } else { "AAAA" };
    let (n, answer) = answers[0];
    let (reason, message) = match answer {
        ForwardAnswer::NxDomain => (
            "nxdomain",
            format!("`{n}` does not exist (NXDOMAIN): the ptr is not forward-confirmed"),
        ),
        ForwardAnswer::NoData => (
            "nodata",
            format!("`{n}` has no {family} record: the ptr is not forward-confirmed"),
        ),
        _ => (
            "mismatch",
            format!(
                "`{n}` resolves to {}, not to `{}`",
                seen.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                target.ip
            ),
        ),
    };
    Some(
        Finding::new(
            FindingCode::FcrdnsFailed,
            for_block(&target.block, FindingCode::FcrdnsFailed),
            message,
        )
        .with_text("reason", reason)
        .with_text("name", n.as_str())
        .with_list("forward", seen),
    )
}

/// The `lookup-failed` finding of a PTR question that got no answer: which
/// lookup went unanswered (`ptr`, or `cname` for a hop of an RFC 2317 chain)
/// and for which name.
fn ptr_unanswered(target: &Target, lookup: &Lookup, why: &FailureReason) -> Finding {
    let kw = why.keyword();
    let (kind, name, message) = match lookup.cname_chain.last() {
        Some(end) => (
            "cname",
            end.as_str().to_owned(),
            format!(
                "the lookup of `{end}`, which the reverse name's cname chain points to, got no answer (`{kw}`): the ptr is unknown"
            ),
        ),
        None => {
            let own = reverse_name(target.ip);
            let message =
                format!("the ptr lookup of `{own}` got no answer (`{kw}`): the ptr is unknown");
            ("ptr", own, message)
        }
    };
    Finding::new(
        FindingCode::LookupFailed,
        for_block(&target.block, FindingCode::LookupFailed),
        message,
    )
    .with_text("reason", kw)
    .with_text("lookup", kind)
    .with_text("name", name)
}
