//! Plans, outcomes and rechecks as text for a terminal or a CI log, every
//! name (from DNS or read back from a file) escaped with
//! [`ptr_audit_report::escape::terminal`].

use std::io::{self, Write};

use ptr_audit_report::escape::terminal;

use crate::apply::{ApplyReport, ChangeResult};
use crate::plan::{NotApplied, Plan, Rr, ZoneProblem};
use crate::verify::Recheck;

fn set(rrs: &[Rr]) -> String {
    if rrs.is_empty() {
        return "nothing".to_owned();
    }
    rrs.iter()
        .map(|r| format!("{} {}", r.ttl, terminal(&r.data)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listed(out: &mut dyn Write, title: &str, list: &[NotApplied]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title} ({}):", list.len())?;
    for n in list {
        match &n.name {
            Some(name) => writeln!(
                out,
                "  {} ({}): {}",
                n.ip,
                terminal(name),
                terminal(&n.reason)
            )?,
            None => writeln!(out, "  {}: {}", n.ip, terminal(&n.reason))?,
        }
    }
    Ok(())
}

fn problems(out: &mut dyn Write, list: &[ZoneProblem]) -> io::Result<()> {
    for p in list {
        let at = p.server.map(|s| format!(" at `{s}`")).unwrap_or_default();
        writeln!(
            out,
            "error: zone `{}`{at}: {}",
            terminal(&p.zone),
            terminal(&p.message)
        )?;
    }
    Ok(())
}

/// The plan: per zone, what is there now and what will be written; then
/// what is already right, what is not applied and why, and zone errors.
pub fn write_plan(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    for zc in &plan.zones {
        let serial = zc
            .serial
            .map(|s| format!(" (SOA serial {s})"))
            .unwrap_or_default();
        writeln!(
            out,
            "zone {} at {}{serial}: {} change(s)",
            terminal(&zc.zone),
            zc.server,
            zc.changes.len()
        )?;
        for c in &zc.changes {
            let ips: Vec<String> = c.addresses.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "  {} {} (for {})",
                terminal(&c.owner),
                c.rtype.as_str(),
                ips.join(", ")
            )?;
            writeln!(out, "    now:   {}", set(&c.before))?;
            writeln!(out, "    write: {}", set(&c.after))?;
        }
    }
    listed(out, "already right", &plan.unchanged)?;
    listed(out, "not applied", &plan.not_applied)?;
    problems(out, &plan.errors)
}

/// What became of each change, then zone errors and what stopped the apply.
pub fn write_outcomes(report: &ApplyReport, out: &mut dyn Write) -> io::Result<()> {
    for o in &report.outcomes {
        let mark = match o.result {
            ChangeResult::Applied => "applied",
            ChangeResult::Unknown { .. } => "unknown",
            _ => "not applied",
        };
        writeln!(
            out,
            "{mark}: {} {} in {}: {}",
            terminal(&o.change.owner),
            o.change.rtype.as_str(),
            terminal(&o.zone),
            terminal(&o.result.describe())
        )?;
    }
    problems(out, &report.errors)?;
    if let Some(e) = &report.fatal {
        writeln!(out, "error: {}", terminal(&e.to_string()))?;
    }
    Ok(())
}

/// One line per recheck: `fixed`/`still failing` (after a rollback:
/// `restored`/`not restored`).
pub fn write_rechecks(rechecks: &[Recheck], rollback: bool, out: &mut dyn Write) -> io::Result<()> {
    let (yes, no) = if rollback {
        ("restored", "not restored")
    } else {
        ("fixed", "still failing")
    };
    for v in rechecks {
        writeln!(
            out,
            "{}: {} ({}): {}",
            if v.ok { yes } else { no },
            v.ip,
            terminal(&v.name),
            terminal(&v.detail)
        )?;
    }
    Ok(())
}
