//! `ptr-audit classify`: judges `IP<TAB>NAME` lines offline (no DNS) and writes
//! one JSON object per line. Also holds the inventory context that `explain`
//! shares.

use ptr_audit_report::escape::terminal;
use ptr_audit_report::json_text::{self, Obj, push_array};
use std::io::{BufRead, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use ptr_audit_classify::receivers::{self, Forward, Sender};
use ptr_audit_classify::{Classifier, Label, NameJudgement};
use ptr_audit_inventory::Inventory;
use ptr_audit_model::{Iprev, Provider, ReceiverVerdict};

use crate::exit::ExitCode;

/// Arguments of `ptr-audit classify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A file of `IP<TAB>NAME` lines (`#` comments and blank lines are skipped); stdin when absent or `-`.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Inventory files or directories whose provider `default_ptr` templates count (repeatable).
    #[arg(long = "inventory", value_name = "PATH")]
    pub inventories: Vec<String>,
    /// Exit 1 when a name gets this label or a worse one (`invalid` is worse than `generic`).
    #[arg(long, value_enum, value_name = "LABEL")]
    pub fail_on: Option<FailOnLabel>,
    /// Whether the names resolve back to their addresses; without it, receivers that need to know say `unknown`.
    #[arg(long, value_enum, value_name = "STATE")]
    pub forward: Option<ForwardArg>,
    /// A Public Suffix List file (publicsuffix.org's `public_suffix_list.dat` format) to use instead
    /// of the one built in: where registered domains start, and which top-level domains exist (a
    /// PTR name under one the list lacks is `ptr-unknown-tld`, a warning naming the list's date).
    #[arg(long, value_name = "FILE")]
    pub psl: Option<PathBuf>,
}

/// The label that fails `classify` and `explain` (`--fail-on`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOnLabel {
    /// `generic` or `invalid`.
    Generic,
    /// `invalid` only.
    Invalid,
}

impl FailOnLabel {
    /// True when `label` fails the run at this threshold.
    pub fn fails(threshold: Option<FailOnLabel>, label: Label) -> bool {
        let at = match threshold {
            None => return false,
            Some(FailOnLabel::Generic) => Label::Generic,
            Some(FailOnLabel::Invalid) => Label::Invalid,
        };
        label >= at
    }
}

/// `--forward`: what to assume about forward confirmation.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ForwardArg {
    /// The names' A/AAAA records hold the addresses.
    Confirmed,
    /// They do not.
    Unconfirmed,
}

impl ForwardArg {
    /// The value as written on the command line.
    pub fn keyword(self) -> &'static str {
        match self {
            ForwardArg::Confirmed => "confirmed",
            ForwardArg::Unconfirmed => "unconfirmed",
        }
    }

    /// The classifier's forward state (`unknown` when not given).
    pub fn state(arg: Option<ForwardArg>) -> Forward {
        match arg {
            Some(ForwardArg::Confirmed) => Forward::Confirmed,
            Some(ForwardArg::Unconfirmed) => Forward::Unconfirmed,
            None => Forward::Unknown,
        }
    }
}

/// Every receiver's verdict on `name` (judged as `v`) for `ip`, and the
/// `iprev` result (`None` when forward confirmation is unknown).
pub fn receiver_matrix(
    ip: IpAddr,
    name: &str,
    v: &NameJudgement,
    forward: Forward,
) -> (Vec<ReceiverVerdict>, Option<Iprev>) {
    let sender = Sender::Name {
        name: name.strip_suffix('.').unwrap_or(name),
        judgement: v,
        forward,
    };
    (receivers::matrix(ip, &sender), receivers::iprev(&sender))
}

/// The classifier and, when an inventory was given, the inventory (to know
/// an address's datacenter for `{datacenter}` templates).
pub struct Judge {
    /// The classifier for the inventory's provider.
    pub classifier: Classifier,
    inventory: Option<Inventory>,
}

impl Judge {
    /// Loads the inventories (none: no provider templates). `Ok(None)` when
    /// they have errors (already printed).
    pub fn load(
        inventories: &[String],
        psl: Option<&std::path::Path>,
    ) -> anyhow::Result<Option<Judge>> {
        let suffixes = crate::cmd::load_psl(psl)?;
        let inventory = if inventories.is_empty() {
            None
        } else {
            match crate::cmd::load_inventory(inventories)? {
                Some(inv) => Some(inv),
                None => return Ok(None),
            }
        };
        let provider = inventory.as_ref().map(|i| &i.provider);
        let classifier = Classifier::new(provider.unwrap_or(&Provider::default()))
            .context("cannot use the provider templates")?
            .with_suffixes(suffixes);
        Ok(Some(Judge {
            classifier,
            inventory,
        }))
    }

    /// Judges `name` for `ip`, in the datacenter of the block holding `ip` if known.
    pub fn judge(&self, ip: IpAddr, name: &str) -> NameJudgement {
        let dc = self
            .inventory
            .as_ref()
            .and_then(|inv| inv.block_of(ip))
            .map(|b| &*b.datacenter);
        self.classifier.judge_in(ip, name, dc)
    }
}

/// Parses one `IP<TAB>NAME` line.
fn parse_line(line: &str) -> Result<(IpAddr, &str), String> {
    let (ip, name) = line
        .split_once('\t')
        .ok_or_else(|| "want `IP<TAB>NAME`, found no tab".to_owned())?;
    let ip: IpAddr = ip
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not an IP address", ip.escape_debug()))?;
    if name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    Ok((ip, name))
}

/// One receiver entry as JSON: `id`, `verdict`, `score`, `rules`, `details`, `source`.
fn receiver_json(out: &mut String, e: &ReceiverVerdict) {
    Obj::open(out)
        .field("id", e.id.as_str())
        .field("verdict", e.verdict.as_str())
        .with("score", |out| match e.score {
            Some(s) => out.push_str(&s.to_string()),
            None => out.push_str("null"),
        })
        .field("rules", &e.rules[..])
        .field("details", &e.details[..])
        .field("source", &e.source)
        .close();
}

/// One output line, keys in documented order: `ip`, `ptr`, `label`, `reasons`
/// (each `rule`, `kind`, `matched`, `message`), `tld` (null, or the
/// `ptr-unknown-tld` finding's `tld`, `reason` and `message`), `iprev` (null
/// unless `--forward` is given), `receivers` (every receiver's entry).
pub fn judgement_json(
    c: &Classifier,
    ip: IpAddr,
    name: &str,
    v: &NameJudgement,
    forward: Forward,
) -> String {
    let bytes = name.as_bytes();
    let tld = c.unknown_tld(name, v);
    let (matrix, iprev) = receiver_matrix(ip, name, v, forward);
    json_text::build(|out| {
        Obj::open(out)
            .field("ip", &ip)
            .field("ptr", name)
            .field("label", v.label.as_str())
            .with("reasons", |out| {
                push_array(out, &v.reasons, |out, r| {
                    let matched =
                        String::from_utf8_lossy(bytes.get(r.span.clone()).unwrap_or_default());
                    Obj::open(out)
                        .field("rule", r.rule.as_str())
                        .field("kind", r.kind)
                        .field("matched", &matched)
                        .field("message", &r.message)
                        .close()
                })
            })
            .with("tld", |out| match &tld {
                None => out.push_str("null"),
                Some(f) => Obj::open(out)
                    .field("tld", f.text("tld").unwrap_or_default())
                    .field("reason", f.text("reason").unwrap_or_default())
                    .field("message", &f.message)
                    .close(),
            })
            .field("iprev", &iprev.map(|i| i.as_str()))
            .with("receivers", |out| push_array(out, &matrix, receiver_json))
            .close()
    })
}

/// Runs `classify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(judge) = Judge::load(&args.inventories, args.psl.as_deref())? else {
        return Ok(ExitCode::BadInput);
    };
    let input: Box<dyn BufRead> = match &args.file {
        Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).with_context(|| format!("cannot open `{}`", p.display()))?,
        )),
        _ => Box::new(std::io::stdin().lock()),
    };
    let source = args
        .file
        .as_ref()
        .map_or_else(|| "-".to_owned(), |p| p.display().to_string());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    let exit = |failed: bool| {
        if failed {
            ExitCode::Findings
        } else {
            ExitCode::Clean
        }
    };
    for (i, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read `{source}`"))?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (ip, name) = match parse_line(line) {
            Ok(x) => x,
            Err(why) => {
                let _ = out.flush();
                eprintln!("error: {source}:{}: {}", i + 1, terminal(&why.to_string()));
                return Ok(ExitCode::BadInput);
            }
        };
        let v = judge.judge(ip, name);
        failed |= FailOnLabel::fails(args.fail_on, v.label);
        let mut line = judgement_json(
            &judge.classifier,
            ip,
            name,
            &v,
            ForwardArg::state(args.forward),
        );
        line.push('\n');
        let written = out.write_all(line.as_bytes());
        if let Err(e) = written {
            if crate::output::closed_pipe(&e) {
                return Ok(exit(failed));
            }
            return Err(e).context("cannot write to stdout");
        }
    }
    match out.flush() {
        Err(e) if !crate::output::closed_pipe(&e) => Err(e).context("cannot write to stdout"),
        _ => Ok(exit(failed)),
    }
}
