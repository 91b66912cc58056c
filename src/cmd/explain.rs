//! `ptr-audit explain IP NAME`: the verdict on one PTR name, each matched rule
//! with the matched part highlighted, and the receivers that would react.

use std::net::IpAddr;

use ptr_audit_classify::Label;

use crate::cmd::classify::{Context, FailOnLabel};
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
    let Some(ctx) = Context::load(&args.inventories)? else {
        return Ok(ExitCode::BadInput);
    };
    let v = ctx.judge(args.ip, &args.name);
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
        text.push_str(
            "no rule matched: receivers accept this name if it resolves back to the address\n",
        );
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
        text.push_str("receivers that would react:\n");
        for r in v.receivers() {
            text.push_str(&format!("  {}: {}\n", r.as_str(), r.describe()));
        }
    }
    super::write_stdout(text.as_bytes())?;
    Ok(if FailOnLabel::fails(args.fail_on, v.label) {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}
