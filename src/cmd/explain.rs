//! `ptr-audit explain IP NAME`: the verdict on one PTR name, each matched rule
//! with the matched part highlighted, and every receiver's verdict with its rules.

use std::net::{IpAddr, Ipv4Addr};

use ptr_audit_classify::Label;
use ptr_audit_classify::dnsbl::{CodeMeaning, meaning};
use ptr_audit_model::DnsblKind;
use ptr_audit_report::escape::terminal;

use crate::cmd::classify::{FailOnLabel, ForwardArg, Judge, receiver_matrix};
use crate::color::style;
use crate::exit::ExitCode;

/// Arguments of `ptr-audit explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The address the PTR belongs to.
    pub ip: IpAddr,
    /// The PTR name (a trailing dot is optional).
    pub name: String,
    /// Inventory files or directories whose provider `default_ptr` templates count (repeatable).
    #[arg(long = "inventory", value_name = "PATH")]
    pub inventories: Vec<String>,
    /// Exit 1 when the name gets this label or a worse one (`invalid` is worse than `generic`).
    #[arg(long, value_enum, value_name = "LABEL")]
    pub fail_on: Option<FailOnLabel>,
    /// Whether the name resolves back to the address; without it, receivers that need to know say `unknown`.
    #[arg(long, value_enum, value_name = "STATE")]
    pub forward: Option<ForwardArg>,
    /// What a blocklist answer means: KIND (`spamhaus-zen`, `spamhaus-pbl`, `generic`) and the
    /// A record it returned, `spamhaus-zen=127.0.0.2` (repeatable). Error codes such as
    /// 127.255.255.254 say why the listing is unknown.
    #[arg(long = "dnsbl-code", value_name = "KIND=CODE", value_parser = parse_dnsbl_code)]
    pub dnsbl_codes: Vec<(DnsblKind, Ipv4Addr)>,
    /// A Public Suffix List file (publicsuffix.org's `public_suffix_list.dat` format) to use instead
    /// of the one built in: where registered domains start, and which top-level domains exist (a
    /// PTR name under one the list lacks is `ptr-unknown-tld`, a warning naming the list's date).
    #[arg(long, value_name = "FILE")]
    pub psl: Option<std::path::PathBuf>,
}

/// `KIND=CODE` of `--dnsbl-code`.
fn parse_dnsbl_code(text: &str) -> Result<(DnsblKind, Ipv4Addr), String> {
    let kinds = || {
        DnsblKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join("`, `")
    };
    let (kind, code) = text
        .split_once('=')
        .ok_or_else(|| format!("write `KIND=CODE` (kinds `{}`)", kinds()))?;
    let kind = DnsblKind::parse(kind)
        .ok_or_else(|| format!("unknown kind `{kind}`; expected one of `{}`", kinds()))?;
    let code = code
        .parse()
        .map_err(|_| format!("`{code}` is not an IPv4 address"))?;
    Ok((kind, code))
}

/// Writes `bytes` with everything outside printable ASCII escaped as `\DDD`
/// (the name comes from the command line and may hold control characters).
fn escaped(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
}

/// The name with `span` highlighted: bold red on a colour terminal, else `[...]`.
fn highlight(name: &str, span: std::ops::Range<usize>, colour: bool) -> String {
    let b = name.as_bytes();
    let span = span.start.min(b.len())..span.end.min(b.len());
    let mut s = String::new();
    escaped(&mut s, &b[..span.start]);
    let mark = style::ERROR;
    if colour {
        s.push_str(&mark.render().to_string());
    } else {
        s.push('[');
    }
    escaped(&mut s, &b[span.clone()]);
    if colour {
        s.push_str(&mark.render_reset().to_string());
    } else {
        s.push(']');
    }
    escaped(&mut s, &b[span.end..]);
    s
}

/// Runs `explain`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(judge) = Judge::load(&args.inventories, args.psl.as_deref())? else {
        return Ok(ExitCode::BadInput);
    };
    let v = judge.judge(args.ip, &args.name);
    let colour = crate::color::stdout();
    let mut text = String::new();
    let mut name = String::new();
    escaped(&mut name, args.name.as_bytes());
    text.push_str(&format!("{}  {name}\n", args.ip));
    let verdict = if colour {
        let look = match v.label {
            Label::Custom => style::GOOD,
            Label::Generic => style::WARNING,
            Label::Invalid => style::ERROR,
        };
        format!("{look}{}{look:#}", v.label.as_str())
    } else {
        v.label.as_str().to_owned()
    };
    text.push_str(&format!("verdict: {verdict}\n"));
    if v.reasons.is_empty() {
        text.push_str("no rule matched: the name looks like one someone chose for this host\n");
    } else {
        text.push_str("rules:\n");
        for r in &v.reasons {
            text.push_str(&format!(
                "  {} ({}): {}\n      {}\n",
                r.rule.as_str(),
                r.kind,
                highlight(&args.name, r.span.clone(), colour),
                r.message
            ));
        }
    }
    if let Some(f) = judge.classifier.unknown_tld(&args.name, &v) {
        text.push_str(&format!(
            "top-level domain: {} `{}`: {}\n",
            f.severity.as_str(),
            f.code.as_str(),
            terminal(&f.message)
        ));
    }
    let forward = ForwardArg::state(args.forward);
    let (matrix, iprev) = receiver_matrix(args.ip, &args.name, &v, forward);
    text.push_str(&match args.forward {
        None => "receivers (forward confirmation not checked: --forward confirmed|unconfirmed):\n"
            .to_owned(),
        Some(f) => format!(
            "receivers (forward confirmation assumed {}):\n",
            f.keyword()
        ),
    });
    for e in &matrix {
        let score = e.score.map(|s| format!(" {s}")).unwrap_or_default();
        text.push_str(&format!(
            "  {:<16} {}{score}",
            e.id.as_str(),
            e.verdict.as_str()
        ));
        if !e.rules.is_empty() {
            text.push_str(&format!("  {}", e.rules.join(", ")));
        }
        text.push_str(&format!("  ({})\n", e.source));
        for d in &e.details {
            text.push_str(&format!("      {d}\n"));
        }
    }
    text.push_str(&format!(
        "iprev: {}\n",
        iprev.map_or("unknown (forward confirmation not checked)", |i| i.as_str())
    ));
    for &(kind, code) in &args.dnsbl_codes {
        text.push_str(&match meaning(kind, code) {
            CodeMeaning::Listed { list, meaning, .. } => format!(
                "dnsbl {} {code}: listed ({list}): {meaning} (`dnsbl-listed`)\n",
                kind.as_str()
            ),
            CodeMeaning::QueryError { meaning } => format!(
                "dnsbl {} {code}: not a listing, {meaning}: the listing is unknown (`lookup-failed`)\n",
                kind.as_str()
            ),
        });
    }
    crate::output::write_stdout(text.as_bytes())?;
    Ok(if FailOnLabel::fails(args.fail_on, v.label) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}
