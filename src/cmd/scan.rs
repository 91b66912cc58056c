//! `ptr-audit scan`: loads the inventory, starts the embedded server when
//! `--zones` is given, streams every address in scope through the scanner and
//! the classifier into the requested report sinks, and maps the gate's
//! decision to the exit code.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, bail};
use ptr_audit_classify::{AuditRun, Classifier, Servers};
use ptr_audit_dnsserver::{ZoneServer, ZoneSource};
use ptr_audit_inventory::{Inventory, Order, Plan};
use ptr_audit_model::{Lookup, Shard, Target};
use ptr_audit_report::{Format, Report, ReportMeta, SinkOptions};
use ptr_audit_scan::{ScanConfig, ScanError, StopSignal};
use ptr_audit_tsig::TsigKey;

use crate::exit::ExitCode;
use crate::output::Outputs;
use crate::progress::Progress;

mod args;
mod authoritative;
mod changed_since;
mod checkpoint;

pub(crate) use args::parse_resolver;
pub use args::{Args, VisitOrder, after_help, parse_output};

use authoritative::zone_warnings;
use changed_since::load_old_inventory;

/// The validated plan of a scan, built from [`Args`] and the inventory.
struct Config {
    scan: ScanConfig,
    stdout: Option<Format>,
    outputs: Vec<(Format, PathBuf)>,
    gate: super::gate::Gate,
    sink: SinkOptions,
    checkpoint: Option<PathBuf>,
    resume: bool,
    /// `--zones`, in order.
    zones: Vec<ZoneSource>,
    /// `--tsig-key`.
    tsig_key: Option<TsigKey>,
    changed_since: Option<String>,
    plan: Plan,
    quiet: bool,
    /// `--authoritative`.
    authoritative: bool,
    /// `--psl`'s list, or the embedded one.
    suffixes: ptr_audit_classify::SuffixList,
}

/// Runs `scan`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(inventory) = super::load_inventory(&args.inputs)? else {
        return Ok(ExitCode::BadInput);
    };
    let args_inputs = args.inputs.clone();
    let mut config = configure(args, &inventory)?;
    let classifier = Classifier::new(&inventory.provider)
        .context("cannot use the inventory")?
        .with_suffixes(config.suffixes.clone());
    let mut audit = AuditRun::new(&inventory, classifier, config.authoritative);

    // The embedded server lives as long as the scan.
    let _server = if config.zones.is_empty() {
        None
    } else {
        let zones =
            super::load_zone_sources(&config.zones, config.tsig_key.as_ref(), config.quiet)?;
        let server = ZoneServer::spawn(zones).context("cannot serve the zones")?;
        config.scan.servers = vec![server.addr()];
        Some(server)
    };

    let changed = match &config.changed_since {
        Some(old) => {
            let Some(old_inventory) = load_old_inventory(old, &args_inputs)? else {
                return Ok(ExitCode::BadInput);
            };
            let changed = ptr_audit_inventory::changed_scope(&old_inventory, &inventory);
            if !config.quiet {
                eprintln!(
                    "scanning the {} addresses changed since `{old}` (of {} in scope)",
                    changed.len(),
                    inventory.scope_len()
                );
            }
            Some(changed)
        }
        None => None,
    };

    let started = SystemTime::now();
    let mut meta = meta(&config, &inventory, started);
    if let Some(changed) = &changed {
        meta.scope = changed.len();
    }
    let mut report = Report::new(config.gate.options.clone());
    if let Some(format) = config.stdout {
        let out = crate::output::stdout();
        report.add_sink(ptr_audit_report::sink(format, out, &meta, &config.sink)?);
    }
    // Regular files are put in place once the report is complete (or
    // interrupted and marked so): a failed run leaves the old ones.
    let mut files = Outputs::default();
    for (format, path) in &config.outputs {
        let out = files.open(path)?;
        report.add_sink(ptr_audit_report::sink(*format, out, &meta, &config.sink)?);
    }
    for block in &inventory.blocks {
        report.add_block(block);
    }
    if let Some(path) = &config.checkpoint {
        let lists: Vec<_> = config.scan.dnsbl.iter().map(|z| z.list().clone()).collect();
        let sink = checkpoint::open(
            path,
            config.resume,
            &checkpoint::ThisRun {
                lists: &lists,
                visits: &|ip| match &changed {
                    Some(changed) => changed.contains(ip),
                    None => inventory
                        .index_of(ip)
                        .is_some_and(|i| config.plan.visits(i)),
                },
            },
            &mut audit,
            &mut report,
            &meta,
            &config.sink,
        )?;
        report.add_sink(sink);
    }

    let stop = StopSignal::new();
    let signals = crate::interrupt::on_signals(stop.clone());
    let in_plan = match &changed {
        Some(changed) => changed.len(),
        None => config.plan.len(inventory.scope_len()),
    };
    let mut progress = Progress::new(in_plan.saturating_sub(audit.resumed()), config.quiet);
    let targets: Box<dyn Iterator<Item = Target>> = match &changed {
        Some(changed) => Box::new(changed.targets(&inventory)),
        None => Box::new(inventory.visit(config.plan)),
    };
    let targets = audit.remaining(targets);
    let mut write_error: Option<std::io::Error> = None;
    let mut deliver = |target: Target, lookup: Lookup, servers: Servers<'_>| {
        let rec = audit.audit(target, lookup, servers);
        progress.finished(rec.status);
        if write_error.is_none()
            && let Err(e) = report.record(&rec)
        {
            write_error = Some(e);
            stop.stop();
        }
    };
    let mut zones = Vec::new();
    let outcome = if config.authoritative {
        ptr_audit_scan::scan_authoritative_blocking(
            &config.scan,
            targets,
            |target, lookup, answers| {
                deliver(target, lookup, Servers::Answered(&answers));
            },
            &stop,
        )
        .map(|(outcome, found)| {
            zones = found;
            outcome
        })
    } else {
        ptr_audit_scan::scan_blocking(
            &config.scan,
            targets,
            |target, lookup| {
                deliver(target, lookup, Servers::NotAsked);
            },
            &stop,
        )
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e @ ScanError::NoResolverAnswered { .. }) => {
            progress.finish(true);
            eprintln!("error: {e}");
            return Ok(ExitCode::BadInput);
        }
        Err(e) => return Err(e).context("the scan could not run"),
    };
    if let Some(e) = write_error {
        return Err(e).context("cannot write the report");
    }
    let interrupted = !outcome.complete;
    progress.finish(interrupted);
    if !config.quiet {
        for slowed in &outcome.throttled_servers {
            let now = slowed.final_qps.map_or_else(
                || "back to full speed".to_owned(),
                |q| format!("{q}/s at the end"),
            );
            eprintln!(
                "`{}` looked rate-limiting (REFUSED or timeouts): slowed down {} time(s), to {}/s at the lowest, {now}",
                slowed.server, slowed.backoffs, slowed.lowest_qps
            );
        }
    }
    zone_warnings(&zones);
    for zone in &zones {
        for (server, reason) in zone.unusable_servers() {
            audit.lame_server(zone.zone.as_str(), &zone.blocks, &server, &reason);
        }
    }
    let block_findings = audit.finish();
    let finished = ptr_audit_report::time::rfc3339(SystemTime::now());
    let (_summary, gate) = report
        .finish(&finished, !interrupted, &block_findings)
        .context("cannot write the report")?;
    files.commit()?;
    let code = config
        .gate
        .exit(&gate, config.stdout == Some(Format::Table));
    Ok(if interrupted {
        signals.exit_code()
    } else {
        code
    })
}

fn configure(args: Args, inventory: &Inventory) -> anyhow::Result<Config> {
    let mut scan = ScanConfig::default();
    let zones = args
        .zones
        .iter()
        .map(|z| z.parse::<ZoneSource>())
        .collect::<Result<Vec<_>, _>>()?;
    let tsig_key = match &args.tsig_key {
        Some(_) if !zones.iter().any(|z| matches!(z, ZoneSource::Axfr(_))) => {
            anyhow::bail!("`--tsig-key` signs zone transfers: give a `--zones axfr://SERVER/ZONE`")
        }
        Some(path) => Some(TsigKey::from_file(path)?),
        None => None,
    };
    scan.servers = if !zones.is_empty() {
        Vec::new() // filled in once the embedded server is up
    } else if !args.resolvers.is_empty() {
        args.resolvers
            .iter()
            .map(|r| parse_resolver(r))
            .collect::<anyhow::Result<_>>()?
    } else if !inventory.resolvers.is_empty() {
        inventory.resolvers.clone()
    } else {
        ptr_audit_scan::system_resolvers()?
    };
    scan.qps = NonZeroU32::new(args.qps);
    scan.qps_per_server = args.qps_per_server;
    scan.adaptive_backoff = !args.no_adaptive_backoff;
    if args.concurrency == 0 {
        bail!("`--concurrency` must be at least 1");
    }
    scan.concurrency = args.concurrency;
    if args.attempts == 0 {
        bail!("`--attempts` must be at least 1");
    }
    scan.attempts = args.attempts;
    scan.timeout = args.timeout;
    scan.authoritative_port = args.authoritative_port;
    scan.allow_special_servers = args.allow_special_nameservers;
    if args.max_servers_per_zone == 0 || args.max_tcp_connections == 0 {
        bail!("`--max-servers-per-zone` and `--max-tcp-connections` must be at least 1");
    }
    if !(1..=64).contains(&args.sockets_per_server) {
        bail!("`--sockets-per-server` must be between 1 and 64");
    }
    scan.sockets_per_server = args.sockets_per_server;
    scan.max_servers_per_zone = args.max_servers_per_zone;
    scan.max_tcp_connections = args.max_tcp_connections;
    scan.batched_io = !args.portable_io;
    (scan.dnsbl, scan.dnsbl_servers) = args.dnsbl.config(!zones.is_empty())?;

    let gate = args.gate.gate()?;
    let sink = SinkOptions {
        color: crate::color::stdout(),
        fail_on: gate.options.fail_on,
        hostname: super::hostname(),
        ..SinkOptions::default()
    };
    let stdout = crate::output::stdout_format(args.format, &args.outputs, Format::Table)?;
    Ok(Config {
        scan,
        stdout,
        outputs: args.outputs,
        gate,
        sink,
        checkpoint: args.checkpoint,
        resume: args.resume,
        zones,
        tsig_key,
        changed_since: args.changed_since,
        plan: Plan {
            shard: args.shard.unwrap_or(Shard::WHOLE),
            order: match args.order {
                VisitOrder::Random => Order::Random { seed: args.seed },
                VisitOrder::Sequential => Order::Sequential,
            },
        },
        quiet: args.quiet,
        authoritative: args.authoritative,
        suffixes: super::load_psl(args.psl.as_deref())?,
    })
}

fn meta(config: &Config, inventory: &Inventory, started: SystemTime) -> ReportMeta {
    let mut meta = ReportMeta::new(
        env!("CARGO_PKG_VERSION"),
        ptr_audit_report::time::rfc3339(started),
    );
    meta.inventory_files = inventory.files.clone();
    meta.resolvers = if config.zones.is_empty() {
        config
            .scan
            .servers
            .iter()
            .map(ToString::to_string)
            .collect()
    } else {
        vec!["embedded".to_owned()]
    };
    meta.zones = config.zones.iter().map(ToString::to_string).collect();
    meta.qps = config.scan.qps.map(NonZeroU32::get);
    meta.concurrency = config.scan.concurrency as u32;
    meta.timeout_ms = config.scan.timeout.as_millis() as u64;
    meta.attempts = config.scan.attempts;
    meta.authoritative = config.authoritative;
    meta.dnsbl = config
        .scan
        .dnsbl
        .iter()
        .map(|z| format!("{}={}", z.list().name, z.list().kind.as_str()))
        .collect();
    meta.psl = Some(config.suffixes.describe());
    meta.dnsbl_resolvers = config
        .scan
        .dnsbl_servers
        .iter()
        .map(ToString::to_string)
        .collect();
    meta.scope = inventory.scope_len();
    meta.changed_since = config.changed_since.clone();
    meta.shard = (config.plan.shard != Shard::WHOLE).then_some(config.plan.shard);
    meta.provider_domains = inventory
        .provider
        .domains
        .iter()
        .map(|d| format!("{}.", d.trim_end_matches('.').to_ascii_lowercase()))
        .collect();
    meta
}
