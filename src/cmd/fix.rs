//! `ptr-audit fix REPORT --as bind|nsupdate|csv`: the DNS records that would
//! fix a report's failing addresses whose expected name is known. Records go
//! to stdout (or `--output`); what cannot be fixed is listed on stderr (and as
//! comments in the bind and nsupdate output).
//!
//! Records go to the zones of the zone files at hand (`--zones`, or the
//! scan's); without them, the zone of every record is learned from DNS (its
//! SOA, through `--resolver`, always for `--as nsupdate`), so each nsupdate
//! transaction names its zone.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use ptr_audit_dnsserver::ZoneSource;
use ptr_audit_model::DnsName;
use ptr_audit_report::escape::terminal;
use ptr_audit_report::fix::{self, FixFormat, FixOptions, FixPlan};

use crate::exit::ExitCode;

mod apply;

/// Output syntax.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    /// BIND zone-file lines, grouped per reverse zone.
    Bind,
    /// An `nsupdate` script: one transaction per owner, each naming its zone (learned from DNS without zone files), guarded by prerequisites (docs/fix.md).
    Nsupdate,
    /// CSV rows for a provider API.
    Csv,
}

/// Arguments of `ptr-audit fix`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A `json` or `jsonl` report written by `ptr-audit scan` (`-`: stdin).
    #[arg(value_name = "REPORT", required_unless_present_any = ["plan", "rollback"])]
    pub report: Option<PathBuf>,
    /// What to write.
    #[arg(long = "as", value_enum, value_name = "FORMAT", default_value = "bind")]
    pub format: As,
    /// TTL of the records.
    #[arg(long, default_value_t = 3600)]
    pub ttl: u32,
    /// Write to this file instead of stdout (`-`: stdout); it is replaced only once complete.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Group records by these zones: the `*.zone` files of DIR, or the zone of an
    /// `axfr://SERVER[:PORT]/ZONE` source (repeatable; nothing is transferred). Default: the
    /// `--zones` sources the scan used (directories that no longer exist left out).
    #[arg(long, value_name = "DIR|axfr://SERVER[:PORT]/ZONE")]
    pub zones: Vec<String>,
    /// Without zone files, learn the zone of every record from DNS (its SOA)
    /// by asking this server: a resolver or the primary itself (repeatable).
    /// `--as nsupdate` always learns them (default: the resolvers the scan
    /// recorded, else resolv.conf), so every transaction names its zone.
    #[arg(long = "resolver", value_name = "IP[:PORT]", conflicts_with = "zones")]
    pub resolvers: Vec<String>,
    #[command(flatten)]
    pub apply: apply::ApplyArgs,
}

/// Runs `fix`: exit 0 when the records were written, 2 when the report
/// cannot be read; with `--apply`, `--plan` or `--rollback`, see [`apply::run`].
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.apply.wanted() {
        return apply::run(&args);
    }
    let report = args.report.clone().unwrap_or_default();
    let doc = read_report(&report)?;
    let mut err = std::io::stderr().lock();
    let plan = fix_plan(&args, &doc, None, &mut err)?;
    write_records(&args, &plan, &mut err)?;
    Ok(ExitCode::Clean)
}

/// Reads the report, warning when it is from an interrupted scan or cut short.
fn read_report(path: &std::path::Path) -> anyhow::Result<ptr_audit_report::ReportDoc> {
    let doc = crate::input::read_report(path)?;
    let mut err = std::io::stderr().lock();
    if doc.complete == Some(false) {
        writeln!(
            err,
            "warning: `{}` is from an interrupted scan: addresses it lacks are not covered",
            path.display()
        )?;
    }
    if doc.torn_tail {
        writeln!(
            err,
            "warning: the last line of `{}` was cut short and is ignored",
            path.display()
        )?;
    }
    Ok(doc)
}

/// The records that fix `doc`, each in its zone: from the zone files at
/// hand, else learned from DNS. With `primaries` (`--apply`), every record
/// must be placed in a zone, learned (without `--resolver`) from the
/// primary each name is routed to.
fn fix_plan(
    args: &Args,
    doc: &ptr_audit_report::ReportDoc,
    primaries: Option<&ptr_audit_update::Routes>,
    err: &mut dyn Write,
) -> anyhow::Result<FixPlan> {
    let sources = if args.zones.is_empty() {
        let used = doc
            .meta
            .as_ref()
            .map(|m| m.zones.clone())
            .unwrap_or_default();
        used.into_iter()
            .filter_map(|z| z.parse::<ZoneSource>().ok())
            .filter(|z| !matches!(z, ZoneSource::Dir(d) if !d.is_dir()))
            .collect()
    } else {
        args.zones
            .iter()
            .map(|z| z.parse::<ZoneSource>())
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut zones = Vec::new();
    for source in &sources {
        match source {
            ZoneSource::Dir(_) => zones.extend(
                super::load_zone_sources(std::slice::from_ref(source), None, true)?.origins(),
            ),
            ZoneSource::Axfr(axfr) => zones.push(axfr.zone().to_owned()),
        }
    }
    let mut plan = fix::plan_with_zones(&doc.records, &zones);
    let zoned = args.format == As::Nsupdate || primaries.is_some();
    if !sources.is_empty() && zoned {
        // A transaction needs its zone: a record in none of the zones at
        // hand is not fixed rather than sent without one.
        plan.place_in_zones(|name| fix::enclosing_zone(name, &zones).cloned());
    }
    if sources.is_empty() {
        let servers = if !args.resolvers.is_empty() {
            Some(
                args.resolvers
                    .iter()
                    .map(|r| super::scan::parse_resolver(r))
                    .collect::<anyhow::Result<Vec<_>>>()?,
            )
        } else if let Some(routes) = primaries {
            learn_zones(
                &mut plan,
                |name| routes.server_for(name).into_iter().collect(),
                err,
            )?;
            None
        } else if args.format == As::Nsupdate {
            let recorded: Vec<SocketAddr> = doc
                .meta
                .iter()
                .flat_map(|m| &m.resolvers)
                .filter_map(|r| r.parse().ok())
                .collect();
            Some(if recorded.is_empty() {
                ptr_audit_scan::system_resolvers()?
            } else {
                recorded
            })
        } else {
            None
        };
        if let Some(servers) = servers {
            learn_zones(&mut plan, |_| servers.clone(), err)?;
        }
    }
    Ok(plan)
}

/// Writes the records of `plan` in `args.format` and lists what is not fixed.
fn write_records(args: &Args, plan: &FixPlan, err: &mut dyn Write) -> anyhow::Result<()> {
    let format = match args.format {
        As::Bind => FixFormat::Bind,
        As::Nsupdate => FixFormat::Nsupdate,
        As::Csv => FixFormat::Csv,
    };
    let mut text = Vec::new();
    fix::write(plan, format, FixOptions { ttl: args.ttl }, &mut text)?;
    let mut files = crate::output::Outputs::default();
    let path = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    let mut out = files.open(&path)?;
    out.write_all(&text)
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    drop(out);
    files.commit()?;
    writeln!(
        err,
        "{} record(s) to publish; {} failing address(es) not fixed",
        plan.len(),
        plan.unfixable.len()
    )?;
    let mut last = None;
    for u in &plan.unfixable {
        if last != Some(u.why) {
            writeln!(err, "not fixed: {}:", u.why.describe())?;
            last = Some(u.why);
        }
        match &u.owner {
            Some(owner) => writeln!(
                err,
                "  {} {} ({})",
                u.ip,
                u.status.as_str(),
                terminal(owner)
            )?,
            None => writeln!(err, "  {} {}", u.ip, u.status.as_str())?,
        }
    }
    Ok(())
}

/// Asks the servers `servers_for` names for the zone (SOA) of every name of
/// `plan` and puts its records there; names whose zone stays unknown are
/// reported (escaped) and their records left out of the plan.
fn learn_zones(
    plan: &mut FixPlan,
    servers_for: impl Fn(&str) -> Vec<SocketAddr>,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut groups: BTreeMap<Vec<SocketAddr>, Vec<DnsName>> = BTreeMap::new();
    for n in plan.names() {
        groups
            .entry(servers_for(&n))
            .or_default()
            .push(DnsName::from_presentation(&n));
    }
    let mut answers = Vec::new();
    for (servers, names) in groups {
        if servers.is_empty() {
            answers.extend(
                names
                    .into_iter()
                    .map(|n| (n, Err("no server to ask".to_owned()))),
            );
            continue;
        }
        let mut config = ptr_audit_scan::ScanConfig::default();
        config.servers = servers;
        let found = ptr_audit_scan::zones_of_blocking(&config, &names)
            .context("cannot ask DNS for the zones of the records")?;
        answers.extend(names.into_iter().zip(found));
    }
    let mut zones = HashMap::new();
    for (name, zone) in answers {
        match zone {
            Ok(zone) => {
                zones.insert(name.as_str().to_owned(), zone.as_str().to_owned());
            }
            Err(why) => writeln!(
                err,
                "warning: no zone found for `{}`: {}",
                terminal(name.as_str()),
                terminal(&why)
            )?,
        }
    }
    plan.place_in_zones(|name| zones.get(name).cloned());
    Ok(())
}
