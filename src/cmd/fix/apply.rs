//! `ptr-audit fix REPORT --apply SERVER[:PORT]`: the fixes applied to the
//! primaries by RFC 2136 dynamic updates (`ptr_audit_update`), a dry run
//! unless `--yes`; `--plan-out`/`--plan` for a reviewed apply, `--journal`
//! and `--rollback` to undo it. Flags → library calls → text and exit code.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ptr_audit_tsig::TsigKey;
use ptr_audit_update::{self as update, ChangeResult, Journal, Plan, Routes, Scope, Via, text};

use super::Args;
use crate::exit::ExitCode;

/// The environment variable that may hold the TSIG key file's text
/// instead of `--tsig-key FILE` (never the command line: `ps` shows it).
pub const KEY_ENV: &str = "PTR_AUDIT_TSIG_KEY";

/// The arguments of `fix --apply`.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Apply to the primaries (RFC 2136)")]
pub struct ApplyArgs {
    /// Send the fixes as dynamic updates to this primary (every zone), or
    /// `ZONE=SERVER[:PORT]` for one zone and the zones below it (repeatable).
    /// A dry run unless `--yes`: prints, per zone, what is there now and
    /// what will be written.
    #[arg(long = "apply", value_name = "[ZONE=]SERVER[:PORT]")]
    pub apply: Vec<String>,
    /// The TSIG key (BIND key-file format, as `tsig-keygen` writes and
    /// `nsupdate -k` reads); else the key file's text in the environment
    /// variable `PTR_AUDIT_TSIG_KEY`. Never printed.
    #[arg(long = "tsig-key", value_name = "FILE")]
    pub tsig_key: Option<PathBuf>,
    /// Apply: send the updates (without it, nothing is changed).
    #[arg(long)]
    pub yes: bool,
    /// Write every record set's state before its change here, before it is
    /// sent (required with `--yes`; an existing file is never replaced).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Save the plan (JSON) for review; `--plan FILE --yes` applies it.
    #[arg(long = "plan-out", value_name = "FILE")]
    pub plan_out: Option<PathBuf>,
    /// Apply exactly this saved plan (no REPORT); a zone whose SOA serial
    /// moved since the plan was made is left alone.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["report", "rollback"])]
    pub plan: Option<PathBuf>,
    /// Undo the apply this journal recorded (no REPORT), each record set
    /// back to what it was, unless it changed since the apply.
    #[arg(long, value_name = "JOURNAL", conflicts_with = "report")]
    pub rollback: Option<PathBuf>,
    /// Forward records may also go to this zone (and the zones below it);
    /// by default only to the report's provider domains (repeatable).
    #[arg(long = "allow-zone", value_name = "ZONE")]
    pub allow_zones: Vec<String>,
    /// Verify through this resolver instead of asking each primary directly
    /// (its cache may still hold the old answers).
    #[arg(long = "verify-resolver", value_name = "IP[:PORT]")]
    pub verify_resolver: Option<String>,
}

impl ApplyArgs {
    /// Whether `fix` applies (or plans to) instead of writing records.
    pub fn wanted(&self) -> bool {
        !self.apply.is_empty() || self.plan.is_some() || self.rollback.is_some()
    }
}

/// The TSIG key from `--tsig-key FILE` or `PTR_AUDIT_TSIG_KEY`.
fn key(args: &ApplyArgs) -> anyhow::Result<Option<TsigKey>> {
    if let Some(path) = &args.tsig_key {
        return Ok(Some(TsigKey::from_file(path)?));
    }
    match std::env::var(KEY_ENV) {
        Ok(text) => Ok(Some(TsigKey::parse(
            &text,
            Path::new(&format!("${KEY_ENV}")),
        )?)),
        Err(_) => Ok(None),
    }
}

/// Runs `fix --apply`, `--plan` or `--rollback`: 0 when everything was
/// applied and verified (or a dry run), 1 when something was not applied or
/// still fails, 2 on errors (a refused key, a zone its primary refuses or
/// does not serve, an unreachable primary, bad input).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let a = &args.apply;
    let key = key(a)?;
    if a.yes && key.is_none() {
        bail!("`--yes` needs a TSIG key: `--tsig-key FILE`, or the key file's text in `{KEY_ENV}`");
    }
    if a.yes && a.rollback.is_none() && a.journal.is_none() {
        bail!(
            "`--yes` needs `--journal FILE`: it records every record set before its change, for `--rollback`"
        );
    }
    let routes = Routes::parse(&a.apply)?;
    let verify_via = match &a.verify_resolver {
        Some(r) => Some(Via::Resolver(super::super::scan::parse_resolver(r)?)),
        None => None,
    };
    let mut out = crate::output::stdout();
    // An unreachable primary is an error, never every zone "not known".
    for server in routes.servers() {
        update::probe(server)?;
    }
    if let Some(journal) = &a.rollback {
        let entries = Journal::read(journal)?;
        let plan = update::rollback_plan(&entries, &routes);
        writeln!(out, "rollback of `{}`:", journal.display())?;
        text::write_plan(&plan, &mut out)?;
        let Some(key) = key.filter(|_| a.yes) else {
            return dry_run(&plan, &mut out);
        };
        let report = update::apply(&plan, &key, None, false);
        text::write_outcomes(&report, &mut out)?;
        let rechecks = update::verify_changes(&plan);
        text::write_rechecks(&rechecks, true, &mut out)?;
        writeln!(
            out,
            "{} of {} change(s) rolled back, {} record set(s) restored, {} not",
            applied(&report),
            report.outcomes.len(),
            rechecks.iter().filter(|v| v.ok).count(),
            rechecks.iter().filter(|v| !v.ok).count(),
        )?;
        out.flush()?;
        return Ok(exit(&plan, &report, &rechecks));
    }
    let (plan, saved) = match &a.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the plan `{}`", path.display()))?;
            (Plan::from_json(&text, path)?, true)
        }
        None => {
            if routes.is_empty() {
                bail!(
                    "`--apply` needs a server: `--apply SERVER[:PORT]` or `--apply ZONE=SERVER[:PORT]`"
                );
            }
            let report = args.report.clone().unwrap_or_default();
            let doc = super::read_report(&report)?;
            let mut err = std::io::stderr().lock();
            let fixes = super::fix_plan(args, &doc, Some(&routes), &mut err)?;
            let scope = Scope {
                provider_domains: doc
                    .meta
                    .as_ref()
                    .map(|m| m.provider_domains.clone())
                    .unwrap_or_default(),
                allow_zones: a.allow_zones.clone(),
            };
            let mut plan = update::plan(&fixes, &scope, &routes, args.ttl);
            plan.apply = a.apply.clone();
            (plan, false)
        }
    };
    text::write_plan(&plan, &mut out)?;
    if let Some(path) = &a.plan_out {
        let mut files = crate::output::Outputs::default();
        let mut file = files.open(path)?;
        file.write_all(plan.to_json().as_bytes())
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        drop(file);
        files.commit()?;
    }
    if !plan.errors.is_empty() {
        out.flush()?;
        return Ok(ExitCode::BadInput);
    }
    let Some(key) = key.filter(|_| a.yes) else {
        return dry_run(&plan, &mut out);
    };
    let Some(journal_path) = a.journal.as_deref() else {
        bail!("`--yes` needs `--journal FILE`");
    };
    let mut journal = Journal::create(journal_path)?;
    let report = update::apply(&plan, &key, Some(&mut journal), saved);
    text::write_outcomes(&report, &mut out)?;
    let touched: Vec<IpAddr> = report
        .outcomes
        .iter()
        .filter(|o| o.result == ChangeResult::Applied)
        .flat_map(|o| o.change.addresses.iter().copied())
        .collect();
    let via = verify_via.unwrap_or_else(|| {
        let mut routes = match (&a.plan, routes.is_empty()) {
            // A saved plan: the servers it was made with, unless rerouted.
            (Some(_), true) => Routes::parse(&plan.apply).unwrap_or_default(),
            _ => routes.clone(),
        };
        for zc in &plan.zones {
            routes.add_zone(&zc.zone, zc.server);
        }
        Via::Primaries(routes)
    });
    let rechecks = update::verify(&plan, &touched, &via);
    text::write_rechecks(&rechecks, false, &mut out)?;
    writeln!(
        out,
        "{} of {} change(s) applied, {} address(es) fixed, {} still failing; journal `{}`",
        applied(&report),
        report.outcomes.len(),
        rechecks.iter().filter(|v| v.ok).count(),
        rechecks.iter().filter(|v| !v.ok).count(),
        journal_path.display()
    )?;
    out.flush()?;
    Ok(exit(&plan, &report, &rechecks))
}

fn applied(report: &update::ApplyReport) -> usize {
    report
        .outcomes
        .iter()
        .filter(|o| o.result == ChangeResult::Applied)
        .count()
}

fn dry_run(plan: &Plan, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    writeln!(
        out,
        "dry run: {} change(s) in {} zone(s) would be sent, {} not applied; nothing changed (apply with `--yes`)",
        plan.change_count(),
        plan.zones.len(),
        plan.not_applied.len()
    )?;
    out.flush()?;
    Ok(ExitCode::Clean)
}

fn exit(plan: &Plan, report: &update::ApplyReport, rechecks: &[update::Recheck]) -> ExitCode {
    if report.fatal.is_some() || !report.errors.is_empty() {
        ExitCode::BadInput
    } else if !report.all_applied()
        || !plan.not_applied.is_empty()
        || rechecks.iter().any(|v| !v.ok)
    {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    }
}
