//! `ptr-audit scan`: loads the inventory, starts the embedded server when
//! `--zones` is given, streams every address in scope through the scanner and
//! the classifier into the requested report sinks, and maps the gate's
//! decision to the exit code.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use ptr_audit_classify::{BlockTally, Classifier, Servers};
use ptr_audit_dnsserver::{ZoneServer, ZoneSource};
use ptr_audit_inventory::{Inventory, Order, Plan};
use ptr_audit_model::{AddressRecord, Lookup, Shard, Target};
use ptr_audit_report::{Format, Report, ReportMeta, SinkOptions};
use ptr_audit_scan::{ScanConfig, ScanError, StopSignal};
use ptr_audit_tsig::TsigKey;

use crate::exit::ExitCode;
use crate::output::Outputs;
use crate::progress::Progress;

mod authoritative;
mod changed_since;
mod checkpoint;

use authoritative::zone_findings;
use changed_since::load_old_inventory;
use checkpoint::{Done, repair_checkpoint};

/// The order addresses are visited in.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitOrder {
    /// Runs of 64 neighbouring addresses in a seeded pseudo-random order (spreads the load over reverse zones).
    Random,
    /// Address order.
    Sequential,
}

/// Arguments of `ptr-audit scan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inventory files or directories, CIDRs or addresses, text files of them, or `-` for stdin.
    #[arg(required = true, value_name = "PATH_OR_CIDR")]
    #[arg(help_heading = "Input")]
    pub inputs: Vec<String>,
    /// Serve zones from an embedded DNS server on loopback and scan against it: the `*.zone` files
    /// of DIR, or a zone transferred from its primary, `axfr://SERVER[:PORT]/ZONE` (repeatable).
    /// Names outside the served zones stay unknown: add the forward zones too.
    #[arg(
        long,
        value_name = "DIR|axfr://SERVER[:PORT]/ZONE",
        conflicts_with = "resolvers"
    )]
    #[arg(help_heading = "DNS")]
    pub zones: Vec<String>,
    /// Sign the `--zones axfr://` transfers with the TSIG key in FILE (BIND key-file format, as
    /// `tsig-keygen` writes it). The secret is never printed.
    #[arg(long, value_name = "FILE")]
    #[arg(help_heading = "DNS")]
    pub tsig_key: Option<PathBuf>,
    /// A DNS server to ask (repeatable; used round-robin). Default: the inventory's `resolvers:`, else resolv.conf.
    #[arg(long = "resolver", value_name = "IP[:PORT]")]
    #[arg(help_heading = "DNS")]
    pub resolvers: Vec<String>,
    /// Global budget of queries per second (PTR, forward, retries); 0 means unlimited.
    #[arg(long, default_value_t = 500, value_name = "N")]
    #[arg(help_heading = "Limits")]
    pub qps: u32,
    /// Budget of queries per second for each server, on top of the global one.
    #[arg(long, value_name = "N")]
    #[arg(help_heading = "Limits")]
    pub qps_per_server: Option<NonZeroU32>,
    /// Do not slow down a server that starts answering REFUSED or timing out.
    #[arg(long)]
    #[arg(help_heading = "Limits")]
    pub no_adaptive_backoff: bool,
    /// Queries in flight at once.
    #[arg(long, default_value_t = 256, value_name = "N")]
    #[arg(help_heading = "Limits")]
    pub concurrency: usize,
    /// TCP connections open at once (truncated replies are asked again over TCP), apart from `--concurrency`.
    #[arg(long, default_value_t = 16, value_name = "N")]
    #[arg(help_heading = "Limits")]
    pub max_tcp_connections: usize,
    /// UDP sockets per server, on random ports renewed during the scan (against spoofed replies).
    #[arg(long, default_value_t = 8, value_name = "N")]
    #[arg(help_heading = "DNS")]
    pub sockets_per_server: usize,
    /// Timeout per attempt (`500ms`, `2s`).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    #[arg(help_heading = "Limits")]
    pub timeout: Duration,
    /// Tries per query (timeouts, SERVFAIL, REFUSED and network errors are retried with backoff).
    #[arg(long, default_value_t = 3, value_name = "N")]
    #[arg(help_heading = "Limits")]
    pub attempts: u32,
    /// Report format on stdout (default: table, unless an `--output` is given: then stdout
    /// shows nothing).
    #[arg(long, value_name = "FORMAT", value_parser = super::format_parser())]
    #[arg(help_heading = "Output")]
    pub format: Option<Format>,
    /// Also write a report to a file (repeatable): `json=report.json`; `json=-` is stdout.
    /// A file is replaced only once the report is complete (or interrupted and marked so).
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    #[arg(help_heading = "Output")]
    pub outputs: Vec<(Format, PathBuf)>,
    #[command(flatten)]
    pub gate: super::gate::GateArgs,
    #[command(flatten)]
    pub dnsbl: super::dnsbl::DnsblArgs,
    /// Scan only the addresses whose block, policy or expectation changed since OLD
    /// (an inventory path, or `git:REF` to read the same inputs at a git revision).
    #[arg(long, value_name = "OLD|git:REF")]
    #[arg(help_heading = "Input")]
    pub changed_since: Option<String>,
    /// Append every finished record to FILE (jsonl, flushed per record).
    #[arg(long, value_name = "FILE")]
    #[arg(help_heading = "Scale-out")]
    pub checkpoint: Option<PathBuf>,
    /// Skip the addresses already recorded in `--checkpoint` and report them from there.
    #[arg(long, requires = "checkpoint")]
    #[arg(help_heading = "Scale-out")]
    pub resume: bool,
    /// Scan only shard K of N (1-based): a deterministic, balanced split of the scope.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    #[arg(help_heading = "Scale-out")]
    pub shard: Option<Shard>,
    /// The order addresses are visited in.
    #[arg(long, value_enum, default_value_t = VisitOrder::Random)]
    #[arg(help_heading = "Scale-out")]
    pub order: VisitOrder,
    /// The seed of the random visiting order (the same seed visits in the same order).
    #[arg(long, default_value_t = 0, value_name = "N")]
    #[arg(help_heading = "Scale-out")]
    pub seed: u64,
    /// No progress display.
    #[arg(long, short)]
    #[arg(help_heading = "Output")]
    pub quiet: bool,
    /// Also ask every authoritative server of each reverse zone directly (recursion off):
    /// servers that disagree give `ptr-inconsistent`, lame or unreachable ones a block finding.
    #[arg(long, conflicts_with = "zones")]
    #[arg(help_heading = "DNS")]
    pub authoritative: bool,
    /// The port the authoritative servers are asked on (for labs and tests).
    #[arg(
        long,
        default_value_t = 53,
        value_name = "N",
        requires = "authoritative"
    )]
    #[arg(help_heading = "DNS")]
    pub authoritative_port: u16,
    /// Also ask name servers at special-purpose addresses (loopback, RFC 1918, link-local, ...),
    /// which are skipped by default and reported; for labs and tests on loopback.
    #[arg(long, requires = "authoritative")]
    #[arg(help_heading = "DNS")]
    pub allow_special_nameservers: bool,
    /// At most this many name server addresses are asked per zone (the rest are reported as skipped).
    #[arg(
        long,
        default_value_t = 8,
        value_name = "N",
        requires = "authoritative"
    )]
    #[arg(help_heading = "Limits")]
    pub max_servers_per_zone: usize,
    /// One system call per datagram instead of sendmmsg/recvmmsg batches (the path other
    /// systems take; for tests on Linux).
    #[arg(long, hide = true)]
    pub portable_io: bool,
    /// A Public Suffix List file (publicsuffix.org's `public_suffix_list.dat` format) to use instead
    /// of the one built in: where registered domains start, and which top-level domains exist (a
    /// PTR name under one the list lacks is `ptr-unknown-tld`, a warning naming the list's date).
    #[arg(long, value_name = "FILE")]
    #[arg(help_heading = "Input")]
    pub psl: Option<PathBuf>,
}

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

/// What `scan --help` shows after the options: examples and the exit codes.
pub fn after_help() -> String {
    format!(
        "Examples:
  # the bundled example against its zone files, served on loopback (no network)
  ptr-audit scan --zones inventories/example/zones inventories/example/inventory.yaml
  # live DNS through your resolver, a SARIF file for code scanning
  ptr-audit scan inventory.yaml --resolver 192.0.2.53 --output sarif=ptr-audit.sarif
  # only what a pull request changed, failing on warnings too
  ptr-audit scan inventories/ --changed-since git:origin/main --fail-on warning
  # shard 3 of 8 for a later `ptr-audit merge`, resumable
  ptr-audit scan inventories/ --shard 3/8 --checkpoint s3.jsonl --resume --format json --fail-on never

{}",
        crate::EXIT_CODES
    )
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

    let mut tally = BlockTally::new();
    let mut done = Done::default();
    let mut progress_total = match &changed {
        Some(changed) => changed.len(),
        None => config.plan.len(inventory.scope_len()),
    };
    if let Some(path) = &config.checkpoint {
        if config.resume && path.exists() {
            repair_checkpoint(path)?;
            // Streamed: one record at a time goes to the report, and only a
            // bit per scope index is kept.
            let mut resume = |rec: AddressRecord| -> Result<(), String> {
                // Re-derive the record from this inventory so it is the same
                // record an uninterrupted scan would have written.
                let Some(index) = inventory.index_of(rec.target.ip) else {
                    return Ok(());
                };
                let Some(target) = inventory.target_at(index) else {
                    return Ok(());
                };
                if !done.insert(index) {
                    return Ok(());
                }
                let servers = if config.authoritative {
                    Servers::Recorded(&rec.findings)
                } else {
                    Servers::NotAsked
                };
                let rec = classifier.audit(target, rec.lookup, servers);
                tally.observe(&rec.target, &rec.lookup);
                report
                    .record(&rec)
                    .map_err(|e| format!("cannot write the report: {e}"))
            };
            ptr_audit_report::read_report_with(path, &mut resume)
                .with_context(|| format!("cannot read the checkpoint `{}`", path.display()))?;
            progress_total = progress_total.saturating_sub(done.len());
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the checkpoint `{}`", path.display()))?;
        let options = SinkOptions {
            flush_each_record: true,
            ..config.sink.clone()
        };
        report.add_sink(ptr_audit_report::sink(
            Format::Jsonl,
            Box::new(file),
            &meta,
            &options,
        )?);
    }

    let stop = StopSignal::new();
    let signals = crate::interrupt::on_signals(stop.clone());
    let mut progress = Progress::new(progress_total, config.quiet);
    let mut write_error: Option<std::io::Error> = None;
    let targets: Box<dyn Iterator<Item = Target>> = match &changed {
        Some(changed) => Box::new(changed.targets(&inventory)),
        None => Box::new(inventory.visit(config.plan)),
    };
    let targets = targets
        .filter(|t| done.is_empty() || inventory.index_of(t.ip).is_none_or(|i| !done.contains(i)));
    let mut deliver = |target: Target, lookup: Lookup, servers: Servers<'_>| {
        tally.observe(&target, &lookup);
        let rec = classifier.audit(target, lookup, servers);
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
    let mut block_findings = tally.finish();
    block_findings.extend(zone_findings(&zones));
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

/// Parses `--resolver` ([`ptr_audit_inventory::parse_resolver`]: `IP`,
/// `IP:PORT`, `[IPv6]` or `[IPv6]:PORT`, port 53 by default).
pub(crate) fn parse_resolver(text: &str) -> anyhow::Result<SocketAddr> {
    match ptr_audit_inventory::parse_resolver(text) {
        Some(addr) => Ok(addr),
        None => {
            bail!("`--resolver {text}` is not an address: write `IP`, `IP:PORT` or `[IPv6]:PORT`")
        }
    }
}

/// The longest `--timeout`: a DNS reply later than this is no reply.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// Parses `500ms`, `2s`, `1.5s`, `1m`: at least 1 ms, at most [`MAX_TIMEOUT`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = || format!("`{text}` is not a duration: write e.g. `500ms` or `2s`");
    // the unit is the trailing letters (`1e300s` is a number in seconds)
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let (number, unit) = match &text[digits.len()..] {
        "" => (text, "s"),
        unit => (digits, unit),
    };
    let value: f64 = number.trim().parse().map_err(|_| err())?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(err()),
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(err());
    }
    if secs > MAX_TIMEOUT.as_secs_f64() {
        return Err(format!(
            "`{text}` is too long: the longest timeout is {}m",
            MAX_TIMEOUT.as_secs() / 60
        ));
    }
    if secs < 0.001 {
        return Err(format!(
            "`{text}` is too short: the shortest timeout is 1ms"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `K/N`.
fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
        .ok_or_else(|| format!("`{text}` is not a shard: write `K/N` with 1 <= K <= N"))
}

/// Parses `FORMAT=PATH`.
pub fn parse_output(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write `FORMAT=PATH`, e.g. `json=report.json`"))?;
    let format: Format = format.parse().map_err(|e| format!("{e}"))?;
    if path.is_empty() {
        return Err(format!("`{text}`: the path is empty"));
    }
    Ok((format, PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_outputs_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        for huge in ["100000000000000000000s", "1e300s", "11m", "601"] {
            assert!(
                parse_duration(huge).unwrap_err().contains("too long"),
                "{huge}"
            );
        }
        assert!(
            parse_duration("0.0001ms")
                .unwrap_err()
                .contains("too short")
        );
        assert_eq!(
            parse_output("json=out/r.json"),
            Ok((Format::Json, PathBuf::from("out/r.json")))
        );
        assert!(parse_output("json").is_err());
        assert!(parse_output("xml=a").is_err());
    }

    #[test]
    fn resolvers_default_to_port_53() {
        assert_eq!(
            parse_resolver("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(parse_resolver("localhost").is_err());
    }
}
