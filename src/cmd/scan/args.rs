//! The options of `ptr-audit scan` (clap declarations), their value
//! parsers, and the help text after them.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use ptr_audit_model::Shard;
use ptr_audit_report::Format;

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
    #[arg(long, value_name = "FORMAT", value_parser = crate::cmd::format_parser())]
    #[arg(help_heading = "Output")]
    pub format: Option<Format>,
    /// Also write a report to a file (repeatable): `json=report.json`; `json=-` is stdout.
    /// A file is replaced only once the report is complete (or interrupted and marked so).
    #[arg(long = "output", value_name = "FORMAT=PATH", value_parser = parse_output)]
    #[arg(help_heading = "Output")]
    pub outputs: Vec<(Format, PathBuf)>,
    #[command(flatten)]
    pub gate: crate::cmd::gate::GateArgs,
    #[command(flatten)]
    pub dnsbl: crate::cmd::dnsbl::DnsblArgs,
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
