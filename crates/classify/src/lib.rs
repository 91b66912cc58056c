//! Classification of PTR names the way mail receivers see them: pure functions,
//! no IO. [`Classifier::judge`] labels one name [`Label::Custom`],
//! [`Label::Generic`] or [`Label::Invalid`] with the [`Reason`]s (rule, form,
//! matched bytes, receivers that react); [`Classifier::classify`] turns one
//! address's [`Lookup`] into the [`Finding`]s of the report; [`BlockTally`]
//! watches a scan for placeholder names shared by many addresses of a block.
//!
//! Severities per policy are in [`severity`]; what each mail receiver does
//! with an address (the receiver matrix, RFC 8601 `iprev`) in [`receivers`];
//! [`Classifier::audit`] is the per-address audit step every command shares (it judges the first PTR name once, for the findings and the receivers),
//! and [`AuditRun`] one scan's audit session around it: each address of the
//! scope once (resumed from a checkpoint or scanned), the [`BlockTally`] fed
//! from the same judgement, the lame servers grouped per block, and the
//! block findings at the end. The rules and their sources are described in
//! `docs/classification.md`.
//!
//! ```
//! use ptr_audit_classify::{Classifier, Label};
//! use ptr_audit_model::Provider;
//!
//! let c = Classifier::new(&Provider::default()).unwrap();
//! let ip = "203.0.113.5".parse().unwrap();
//! assert_eq!(c.judge(ip, "mail5.example.com").label, Label::Custom);
//! let v = c.judge(ip, "ec2-203-0-113-5.compute-1.amazonaws.com");
//! assert_eq!(v.label, Label::Generic);
//! assert_eq!(v.reasons[0].rule.as_str(), "ip-encoded");
//! assert_eq!(v.reasons[0].kind, "dashed");
//! assert_eq!(c.judge(ip, "mail_server.example.com").label, Label::Invalid);
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod audit;
pub mod authoritative;
pub mod dnsbl;
mod encoded;
mod findings;
mod ids;
mod judgement;
pub mod receivers;
pub mod severity;
pub mod suffix;
mod tally;
mod tokens;
mod validity;

use std::net::IpAddr;

use ptr_audit_inventory::template::{Family, Template, TemplateError};
use ptr_audit_model::{
    AddressRecord, Finding, FindingCode, Iprev, Lookup, Policy, Provider, Receivers, ServerAnswer,
    Status, Target,
};

pub use audit::AuditRun;
pub use judgement::{Label, NameJudgement, Reason, Rule};
pub use suffix::{PslError, SuffixList, TldCheck};
pub use tally::BlockTally;
use tally::Judged;

/// Why a [`Classifier`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifyError {
    /// A `default_ptr` template of the provider does not parse.
    #[error("provider default_ptr template `{template}` is invalid: {source}")]
    Template {
        /// The template as written.
        template: String,
        /// What is wrong with it.
        source: TemplateError,
    },
}

/// Evidence gathered while judging one name.
#[derive(Default)]
pub(crate) struct Evidence {
    /// Reasons that make a name generic on their own.
    pub strong: Vec<Reason>,
    /// Reasons that count only together (see `weak_score`).
    pub weak: Vec<Reason>,
    /// The sum of the weak reasons' weights; generic at [`WEAK_THRESHOLD`].
    pub weak_score: u32,
}

/// The weak-evidence score at which a name is generic.
const WEAK_THRESHOLD: u32 = 4;

/// Marks `{datacenter}` when judging a name without knowing its datacenter:
/// it matches any one run of host-name characters.
const ANY_DC: &str = "\u{1}";

/// Classifies PTR names and lookups for one provider.
#[derive(Clone, Debug)]
pub struct Classifier {
    templates: Vec<ProviderTemplate>,
    suffixes: SuffixList,
    /// The provider's own zones, lowercase, without a trailing dot: a
    /// server id under none of them is weak evidence (see [`ids`]).
    own_domains: Vec<Box<[u8]>>,
}

/// A provider template with its literal head and tail (lowercase), to skip
/// rendering when a name cannot match.
#[derive(Clone, Debug)]
struct ProviderTemplate {
    template: Template,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl ProviderTemplate {
    fn new(template: Template) -> Self {
        let text = template.as_str();
        let text = text.strip_suffix('.').unwrap_or(text);
        let head = text.split('{').next().unwrap_or("");
        let tail = match text.rfind('}') {
            Some(i) => &text[i + 1..],
            None => text,
        };
        ProviderTemplate {
            head: head.to_ascii_lowercase().into_bytes(),
            tail: tail.to_ascii_lowercase().into_bytes(),
            template,
        }
    }

    /// False when `lower` cannot be a rendering of this template.
    fn may_match(&self, lower: &[u8]) -> bool {
        lower.starts_with(&self.head) && lower.ends_with(&self.tail)
    }
}

impl Classifier {
    /// A classifier that knows `provider`'s default naming templates.
    pub fn new(provider: &Provider) -> Result<Classifier, ClassifyError> {
        let templates = provider
            .default_ptr
            .iter()
            .map(|t| {
                Template::parse(t)
                    .map(ProviderTemplate::new)
                    .map_err(|source| ClassifyError::Template {
                        template: t.clone(),
                        source,
                    })
            })
            .collect::<Result<_, _>>()?;
        let own_domains = provider
            .domains
            .iter()
            .map(|d| {
                d.trim_end_matches('.')
                    .to_ascii_lowercase()
                    .into_bytes()
                    .into()
            })
            .collect();
        Ok(Classifier {
            templates,
            suffixes: SuffixList::Embedded,
            own_domains,
        })
    }

    /// The same classifier with another Public Suffix List (`--psl FILE`)
    /// for the registered-domain boundary and the known top-level domains.
    pub fn with_suffixes(mut self, suffixes: SuffixList) -> Classifier {
        self.suffixes = suffixes;
        self
    }

    /// The Public Suffix List in use.
    pub fn suffixes(&self) -> &SuffixList {
        &self.suffixes
    }

    /// The `ptr-unknown-tld` finding for `name` judged `judgement` (by this
    /// classifier), at its default severity (a warning under every policy);
    /// `None` when the list knows its top-level domain or the name is invalid.
    pub fn unknown_tld(&self, name: &str, judgement: &NameJudgement) -> Option<Finding> {
        findings::unknown_tld(
            self,
            name,
            judgement.tld?,
            severity::default_for(Policy::Mail, FindingCode::PtrUnknownTld),
        )
    }

    /// Judges one PTR name for `ip` (presentation form; a trailing dot is
    /// optional). `{datacenter}` in provider templates matches any label.
    pub fn judge(&self, ip: IpAddr, name: &str) -> NameJudgement {
        self.judge_in(ip, name, None)
    }

    /// Like [`Classifier::judge`], knowing the address's datacenter.
    pub fn judge_in(&self, ip: IpAddr, name: &str, datacenter: Option<&str>) -> NameJudgement {
        self.judge_parts(ip, name, datacenter).0
    }

    /// [`Classifier::judge_in`], and whether the name encodes the address
    /// (`None` for an invalid name, where that is not looked for): the
    /// [`BlockTally`] skips such names, and learns it here.
    fn judge_parts(
        &self,
        ip: IpAddr,
        name: &str,
        datacenter: Option<&str>,
    ) -> (NameJudgement, Option<bool>) {
        let body = name.strip_suffix('.').unwrap_or(name).as_bytes();
        let mut reasons = Vec::new();
        if validity::check(ip, name, body, &mut reasons) {
            let judgement = NameJudgement {
                label: Label::Invalid,
                reasons,
                tld: None,
            };
            return (judgement, None);
        }
        // Valid names are at most 253 octets of [A-Za-z0-9.-].
        let mut buf = [0u8; 253];
        let lower = &mut buf[..body.len()];
        for (d, s) in lower.iter_mut().zip(body) {
            *d = s.to_ascii_lowercase();
        }
        let lower = &*lower;
        let mut ev = Evidence::default();
        self.provider_default(ip, lower, datacenter, &mut ev);
        let before = ev.strong.len();
        encoded::check(ip, lower, &mut ev);
        let encodes_address = ev.strong.len() > before;
        let (host_end, listed) = tokens::registered_start(&self.suffixes, lower);
        let tld = Some(suffix::tld_check(lower, listed));
        if ev.strong.is_empty() {
            ids::scan(ip, lower, host_end, self.elsewhere(lower), &mut ev);
        }
        tokens::scan(ip, lower, host_end, &mut ev);
        if ev.strong.is_empty() && ev.weak_score < WEAK_THRESHOLD {
            let judgement = NameJudgement {
                label: Label::Custom,
                reasons: Vec::new(),
                tld,
            };
            return (judgement, Some(encodes_address));
        }
        let mut reasons = ev.strong;
        reasons.append(&mut ev.weak);
        let judgement = NameJudgement {
            label: Label::Generic,
            reasons,
            tld,
        };
        (judgement, Some(encodes_address))
    }

    /// True when the provider's own zones are known and `lower` is under none
    /// of them: a customer's name, where a serial number is the customer's
    /// own numbering more often than a provider default.
    fn elsewhere(&self, lower: &[u8]) -> bool {
        !self.own_domains.is_empty()
            && !self.own_domains.iter().any(|d| {
                lower == &d[..]
                    || (lower.ends_with(d) && lower[..lower.len() - d.len()].ends_with(b"."))
            })
    }

    fn provider_default(
        &self,
        ip: IpAddr,
        lower: &[u8],
        datacenter: Option<&str>,
        ev: &mut Evidence,
    ) {
        let family = Family::of(ip);
        for pt in &self.templates {
            let t = &pt.template;
            if !t.fits(family) || !pt.may_match(lower) {
                continue;
            }
            let Some(rendered) = t.render(ip, datacenter.unwrap_or(ANY_DC)) else {
                continue;
            };
            let pattern = rendered.strip_suffix('.').unwrap_or(&rendered).as_bytes();
            if glob_eq(pattern, lower) {
                ev.strong.push(Reason {
                    rule: Rule::ProviderDefault,
                    kind: "template",
                    span: 0..lower.len(),
                    message: format!(
                        "the name is the provider's default template `{}`",
                        t.as_str()
                    )
                    .into(),
                });
                return;
            }
        }
    }

    /// The findings for one address, most severe first (ties in
    /// [`ptr_audit_model::FindingCode`] order). Severities follow the block's
    /// policy ([`severity::default_for`]) unless the block overrides them.
    pub fn classify(&self, target: &Target, lookup: &Lookup) -> Vec<Finding> {
        findings::classify(self, target, lookup).0
    }

    /// The per-address audit step every command shares: the record of
    /// `target` with its findings ([`Classifier::classify`], plus the
    /// `ptr-inconsistent` finding `servers` gives), status, receiver
    /// judgements (the entries that are not `accept`) and `iprev` result. The
    /// first PTR name is judged once, for the findings and the receivers
    /// (and, in an [`AuditRun`], the [`BlockTally`]).
    pub fn audit(&self, target: Target, lookup: Lookup, servers: Servers<'_>) -> AddressRecord {
        self.audit_judged(target, lookup, servers).0
    }

    /// [`Classifier::audit`], and what the tally needs of the first name's
    /// judgement.
    fn audit_judged(
        &self,
        target: Target,
        lookup: Lookup,
        servers: Servers<'_>,
    ) -> (AddressRecord, Option<Judged>) {
        let (mut findings, first) = findings::classify(self, &target, &lookup);
        let extra = match servers {
            Servers::NotAsked => None,
            Servers::Answered(answers) => {
                authoritative::inconsistency(&target, &lookup.answer, answers)
            }
            Servers::Recorded(recorded) => {
                let code = ptr_audit_model::FindingCode::PtrInconsistent;
                recorded.iter().find(|f| f.code == code).map(|f| Finding {
                    severity: severity::for_block(&target.block, code),
                    ..f.clone()
                })
            }
        };
        if let Some(f) = extra {
            findings.push(f);
            findings::sort(&mut findings);
        }
        let (judgement, judged) = first.unzip();
        (self.assemble(target, lookup, findings, judgement), judged)
    }

    /// A record of `target` with `findings` made elsewhere (a report's
    /// fixtures, a record read back): like [`Classifier::audit`], which
    /// scans use, it adds the status, receiver verdicts and `iprev`.
    pub fn record(&self, target: Target, lookup: Lookup, findings: Vec<Finding>) -> AddressRecord {
        self.assemble(target, lookup, findings, None)
    }

    /// The record, judging the first PTR name unless `first` holds its
    /// judgement already.
    fn assemble(
        &self,
        target: Target,
        lookup: Lookup,
        findings: Vec<Finding>,
        first: Option<NameJudgement>,
    ) -> AddressRecord {
        let (receivers, iprev) = self.receivers(&target, &lookup, first);
        AddressRecord {
            status: Status::of(&findings),
            target,
            lookup,
            findings,
            receivers,
            iprev,
        }
    }

    /// The receiver verdicts that are not `accept`, and the `iprev` result
    /// (`temperror` when the forward lookup was not made).
    fn receivers(
        &self,
        target: &Target,
        lookup: &Lookup,
        first: Option<NameJudgement>,
    ) -> (Receivers, Iprev) {
        let ip = target.ip;
        let judgement;
        let sender = match receivers::first_name(lookup) {
            Err(sender) => sender,
            Ok(name) => {
                let text = name.as_str();
                let text = text.strip_suffix('.').unwrap_or(text);
                judgement = first
                    .unwrap_or_else(|| self.judge_in(ip, text, Some(&target.block.datacenter)));
                receivers::Sender::Name {
                    name: text,
                    judgement: &judgement,
                    forward: receivers::forward_of(ip, lookup),
                }
            }
        };
        let iprev = receivers::iprev(&sender).unwrap_or(Iprev::TempError);
        (receivers::refusals(ip, &sender), iprev)
    }
}

/// What the scan learned from the zone's authoritative servers, for the
/// `ptr-inconsistent` finding of [`Classifier::audit`].
#[derive(Clone, Copy, Debug)]
pub enum Servers<'a> {
    /// Not asked (`scan` without `--authoritative`).
    NotAsked,
    /// Each server's answer (`scan --authoritative`): the finding of
    /// [`authoritative::inconsistency`].
    Answered(&'a [ServerAnswer]),
    /// A record read back from a checkpoint (`scan --authoritative
    /// --resume`): the servers' answers are not in it, so its recorded
    /// `ptr-inconsistent` finding is kept, its severity re-derived for the
    /// target's block.
    Recorded(&'a [Finding]),
}

/// Case-insensitive equality where [`ANY_DC`] in `pattern` matches one or
/// more host-name characters (no dot).
fn glob_eq(pattern: &[u8], text: &[u8]) -> bool {
    let wild = ANY_DC.as_bytes()[0];
    match pattern.iter().position(|b| *b == wild) {
        None => pattern.len() == text.len() && pattern.eq_ignore_ascii_case(text),
        Some(p) => {
            if text.len() < p || !pattern[..p].eq_ignore_ascii_case(&text[..p]) {
                return false;
            }
            let rest = &pattern[p + 1..];
            let mut k = p;
            while k < text.len() && (text[k].is_ascii_alphanumeric() || text[k] == b'-') {
                k += 1;
                if glob_eq(rest, &text[k..]) {
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests;
