//! Bulk benchmark driver: scans a file of addresses (one per line) or a CIDR
//! against one server with no rate limit and prints addresses per second.
//!
//! ```text
//! cargo run --release -p ptr-audit-scan --example bulk -- \
//!     --server 127.0.0.1:5353 [--concurrency 256] [--qps 0] [--no-forward] \
//!     [--timeout-ms 2000] [--print] IPS_FILE_OR_CIDR
//! ```
//!
//! Counts go to stderr; with `--print`, one `IP PTR` line per address with a
//! PTR goes to stdout, the form the shared harness checks:
//!
//! ```text
//! SCANNER_CMD='target/release/examples/bulk --server "$DNS_SERVER:$DNS_PORT" --print "$IPS_FILE"' \
//!     PEERS="adnslogres scanner" ../shared/bench/run_peers.sh
//! ```

use std::io::{BufRead, Write};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ipnet::IpNet;
use ptr_audit_model::{BlockInfo, ForwardAnswer, Policy, PtrAnswer, SourceLocation, Target};
use ptr_audit_scan::{ScanConfig, StopSignal, scan_blocking};

fn main() {
    let mut config = ScanConfig::default();
    config.qps = None;
    let mut input = None;
    let mut print = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => config.servers.push(
                args.next()
                    .expect("--server IP:PORT")
                    .parse()
                    .expect("IP:PORT"),
            ),
            "--concurrency" => config.concurrency = args.next().expect("N").parse().expect("N"),
            "--qps" => config.qps = NonZeroU32::new(args.next().expect("N").parse().expect("N")),
            "--timeout-ms" => {
                config.timeout =
                    std::time::Duration::from_millis(args.next().expect("MS").parse().expect("MS"))
            }
            "--no-forward" => config.forward = false,
            "--print" => print = true,
            _ => input = Some(arg),
        }
    }
    let input = input.expect("give a file of addresses or a CIDR");
    if config.servers.is_empty() {
        config
            .servers
            .push(SocketAddr::from(([127, 0, 0, 1], 5353)));
    }
    let block = |cidr: IpNet| {
        Arc::new(BlockInfo {
            datacenter: Arc::from("-"),
            cidr,
            policy: Policy::Hosting,
            expect_ptr: None,
            expect_pbl: false,
            migrated_from: None,
            severities: Default::default(),
            source: SourceLocation {
                file: PathBuf::from("<bench>"),
                line: 0,
            },
        })
    };
    let targets: Box<dyn Iterator<Item = Target>> = if let Ok(net) = input.parse::<IpNet>() {
        let b = block(net);
        Box::new(net.hosts().map(move |ip| Target {
            ip,
            block: b.clone(),
            expected_ptr: None,
        }))
    } else {
        let b = block("0.0.0.0/0".parse().expect("cidr"));
        let file = std::io::BufReader::new(std::fs::File::open(&input).expect("open input"));
        Box::new(file.lines().map_while(Result::ok).filter_map(move |l| {
            let ip: IpAddr = l.trim().parse().ok()?;
            Some(Target {
                ip,
                block: b.clone(),
                expected_ptr: None,
            })
        }))
    };

    let (mut names, mut nx, mut nodata, mut broken, mut failed, mut confirmed, mut mismatch) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let start = Instant::now();
    let stop = StopSignal::new();
    let outcome = scan_blocking(
        &config,
        targets,
        |target, lookup| {
            match &lookup.answer {
                PtrAnswer::Names(n) => {
                    names += 1;
                    if print {
                        let _ = writeln!(out, "{} {}", target.ip, n[0]);
                    }
                }
                PtrAnswer::NxDomain => nx += 1,
                PtrAnswer::NoData => nodata += 1,
                PtrAnswer::BrokenDelegation { .. } => broken += 1,
                PtrAnswer::Failed(_) => failed += 1,
            }
            for (_, fwd) in &lookup.forward {
                match fwd {
                    ForwardAnswer::Addresses(a) if a.contains(&target.ip) => confirmed += 1,
                    _ => mismatch += 1,
                }
            }
        },
        &stop,
    )
    .expect("scan");
    let secs = start.elapsed().as_secs_f64();
    drop(out);
    eprintln!(
        "addresses {} in {:.3} s = {:.0} addresses/s; queries {} ({} PTR, {} forward, {} retries, {} timeouts, {} TCP); \
         ptr {names} nxdomain {nx} nodata {nodata} broken {broken} failed {failed}; forward confirmed {confirmed} other {mismatch}; \
         shared forward {}; ignored packets {}; socket buffer {} B",
        outcome.addresses,
        secs,
        outcome.addresses as f64 / secs,
        outcome.queries_sent,
        outcome.ptr_queries,
        outcome.forward_queries,
        outcome.retries,
        outcome.timeouts,
        outcome.tcp_queries,
        outcome.forward_shared,
        outcome.ignored_packets,
        outcome.socket_buffer,
    );
}
