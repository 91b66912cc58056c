//! The scanner: looks up the PTR of every address it is given, follows CNAME
//! chains (RFC 2317), confirms every PTR name forward (A for IPv4, AAAA for
//! IPv6, the way Postfix does), and hands each address's [`Lookup`] to a sink as
//! soon as it is complete.
//!
//! It is built for bulk work: one single-threaded event loop owns a pool of
//! UDP sockets per server (connected, kernel-chosen ports renewed during the
//! run, 4 MiB buffers, datagrams sent and read in batches with
//! `sendmmsg`/`recvmmsg` on Linux), keeps a window of
//! [`ScanConfig::concurrency`] questions in flight, matches replies by socket,
//! random ID (ChaCha12), source address and question, retransmits from a
//! deadline queue, and sends
//! forward queries ahead of new PTR queries. The hot path uses a purpose-built
//! query builder and answer walker (module `packet`); truncated replies are
//! retried over TCP. Every query sent — PTR, forward, retry, TCP — spends the
//! same [`ScanConfig::qps`] budget (governor). Memory is flat: targets are
//! pulled lazily, the number of addresses in progress is bounded, and the
//! forward cache is bounded.
//!
//! This is the only crate that names tokio, hickory and governor; its public
//! API speaks [`ptr_audit_model`] types only.
//!
//! # What a [`Lookup`] holds
//! - `answer`: PTR names (at most [`ScanConfig::max_ptr_names`]); `NxDomain`
//!   or `NoData` when the reverse name itself has none; `BrokenDelegation`
//!   when a CNAME chain was followed and its end (`target`) is NXDOMAIN or has
//!   no PTR; `Failed(reason)` when no usable answer came after all attempts:
//!   `Timeout`, `Rcode(SERVFAIL | REFUSED | FORMERR | NOTIMP | ...)`,
//!   `Truncated` (TC=1 even over TCP), `Network`, `CnameLoop` (a name repeats
//!   or more than 8 CNAMEs), `Malformed` (replies that carried our ID but
//!   could not be read, or a referral from a server that neither answers
//!   nor recurses). A timeout is never reported as missing.
//! - `cname_chain`: the CNAME targets followed from the reverse name, in order
//!   (RFC 2317: `[25.0/26.113.0.203.in-addr.arpa.]`). A chain answered in one
//!   response and one that needs a query per hop give the same result.
//! - `rcode`: the response code of the last PTR reply, `None` if none came.
//! - `attempts`: PTR queries sent for the address: retries, CNAME hops and the
//!   TCP query after a truncated reply included.
//! - `dnsbl`: one answer per [`ScanConfig::dnsbl`] list, in order:
//!   `NotListed` (NXDOMAIN or NODATA), `Codes` (the A records, error codes
//!   included: the classifier reads them), `Failed(reason)` (unknown).
//! - `forward`: for each distinct PTR name (case-insensitive, at most
//!   [`ScanConfig::max_forward_per_address`]; further names get no entry),
//!   A for an IPv4 address or AAAA for an IPv6 one, CNAMEs followed.
//!
//! Retries (with [`ScanConfig::backoff`]) happen only after a timeout,
//! SERVFAIL, REFUSED, a network error or an unreadable reply; NXDOMAIN and
//! NODATA are answers. A retry goes to the next server when there are several.
//!
//! # Polite limits
//! Every query spends the global [`ScanConfig::qps`] budget and, when set,
//! its server's [`ScanConfig::qps_per_server`] budget. On top of that, with
//! [`ScanConfig::adaptive_backoff`] (the default), each server gets an
//! adaptive rate (AIMD): the engine watches the last 50 outcomes of the
//! queries sent to it, and when more than 10% of them (of at least 16) were
//! REFUSED or timed out, the server is taken to be rate-limiting us and its
//! rate is halved (REFUSED counts only once it looks transient: a question
//! the server refused was answered later, or it refused a name beside one it
//! answered — a server refusing a zone it does not serve is policy, not rate
//! limiting, and is not slowed down; timeouts count once the server has answered at least
//! once: one silent from the start is down, which
//! [`ScanConfig::dead_resolver_after`] reports at full speed): half of what it was actually sent over the last quarter to
//! half second (or of its budget, if lower), never below 10 queries per
//! second. Only outcomes of queries sent after the last change count as
//! evidence for the next one. After a quarter of a second and at least 8
//! outcomes with at most 2% bad, the rate rises by an eighth of its ceiling
//! (`qps_per_server`, or the rate measured when the trouble began); at the
//! ceiling the server is at full speed again. While a server is slowed down
//! and there is no other server at full speed, the retries of its refused or
//! timed-out questions wait a full [`ScanConfig::timeout`] (rate limiters
//! count per second); with several servers they go to another one at once.
//! Other servers keep their pace. The cost on the hot path is a few counters
//! per server and no allocation. [`ScanOutcome::throttled_servers`] and
//! [`ScanOutcome::backoff_events`] say what happened.
//!
//! # Authoritative mode
//! [`scan_authoritative`] finds each reverse zone's NS set through the
//! configured resolver and asks every authoritative server directly, with
//! recursion off ([`ScanConfig::recursion_desired`]), after the ordinary
//! lookup: each address comes with one [`ServerAnswer`](ptr_audit_model::ServerAnswer)
//! per server, and each zone with a [`ZoneReport`] (lame or unreachable
//! servers). The classifier turns disagreements into `ptr-inconsistent`.
//!
//! Main items: [`ScanConfig`], [`scan_blocking`] (and the async [`scan`]),
//! [`scan_authoritative_blocking`], [`zones_of_blocking`], [`StopSignal`], [`ScanOutcome`] (with
//! [`ServerBackoff`]), [`ScanError`], [`system_resolvers`].
//!
//! ```no_run
//! use ptr_audit_scan::{scan_blocking, ScanConfig, StopSignal};
//! # fn targets() -> Vec<ptr_audit_model::Target> { Vec::new() }
//! let mut config = ScanConfig::default();
//! config.servers = vec!["127.0.0.1:5353".parse().unwrap()];
//! let stop = StopSignal::new();
//! let outcome = scan_blocking(&config, targets(), |target, lookup| {
//!     println!("{} {:?}", target.ip, lookup.answer);
//! }, &stop)?;
//! assert!(outcome.complete);
//! # Ok::<(), ptr_audit_scan::ScanError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod answer;
mod authoritative;
mod batch;
mod budget;
mod dnsbl;
mod engine;
mod forward_cache;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod pace;
mod packet;
mod pool;
mod tcp;

pub use answer::{ReplyError, ReplyView, read_reply};
pub use authoritative::{
    AuthServer, SkipReason, SkippedServer, ZoneReport, scan_authoritative,
    scan_authoritative_blocking, special_purpose, zones_of_blocking,
};
pub use dnsbl::{DnsblZone, DnsblZoneError};
pub use packet::{MAX_POINTERS, WireError};

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ptr_audit_model::{Lookup, Target};

/// How to scan.
///
/// `#[non_exhaustive]`: start from [`ScanConfig::default`] and set fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanConfig {
    /// The servers to ask, used round-robin (every query, retries included,
    /// goes to the next one). Must not be empty.
    pub servers: Vec<SocketAddr>,
    /// The global budget of queries per second (PTR, forward, retries, TCP);
    /// `None` is unlimited. Default 500.
    pub qps: Option<NonZeroU32>,
    /// How many queries may go out at once above the steady rate; `None` picks
    /// `qps / 50` (20 ms worth, at least 1).
    pub burst: Option<NonZeroU32>,
    /// An additional budget per server (issue 7's `--qps-per-server`); `None`
    /// means only the global budget applies. Its burst is picked the same way.
    pub qps_per_server: Option<NonZeroU32>,
    /// Questions in flight at once (clamped to 1..=16384). Default 256.
    pub concurrency: usize,
    /// How long to wait for each attempt. Default 2 s.
    pub timeout: Duration,
    /// Total tries per question (at least 1). Default 3.
    pub attempts: u32,
    /// The wait before retrying after SERVFAIL, REFUSED or a network error,
    /// doubled on every further retry and capped at `timeout`. A timeout is
    /// retried at once (the timeout was the wait). Default 100 ms. While
    /// [`ScanConfig::adaptive_backoff`] slows a server down and no other is
    /// at full speed, retries of what it refused or let time out wait a full
    /// `timeout` instead (see "Polite limits" in the crate docs).
    pub backoff: Duration,
    /// At most this many TCP connections are open at once (each truncated
    /// reply is asked again over TCP); further TCP questions wait for one to
    /// end, without spending their timeout. Separate from `concurrency`, so a
    /// server that truncates every reply cannot make the scan open a
    /// connection per question in flight. Default 16.
    pub max_tcp_connections: usize,
    /// UDP sockets per server, each on a port the kernel picks, renewed
    /// during the run (see the `pool` module): an off-path spoofer must guess
    /// the port as well as the random ID. Batches of queries go out on one
    /// socket each, in turn. Default 8.
    pub sockets_per_server: usize,
    /// Send and receive datagrams in batches (`sendmmsg`/`recvmmsg`, Linux
    /// only); false uses one system call per datagram, the portable path
    /// other systems always take (the CLI's hidden `--portable-io`, so that
    /// tests exercise it on Linux). Default true.
    pub batched_io: bool,
    /// Send an EDNS OPT record (1232-byte UDP payload) with each UDP query;
    /// after a FORMERR the question is asked once more without it. Default
    /// false: plain queries as the C library's resolver (and so most mail
    /// servers) sends them, and a little faster; an answer over 512 bytes then
    /// comes back truncated and is asked again over TCP.
    pub edns: bool,
    /// Set the RD bit (ask a recursive resolver). Default true. When false
    /// (asking an authoritative server directly), a NOERROR or NXDOMAIN reply
    /// without the AA bit is a failure (`Malformed`: the server is lame).
    pub recursion_desired: bool,
    /// The port the discovered authoritative servers are asked on
    /// ([`scan_authoritative`]); 53 but in labs and tests. Default 53.
    pub authoritative_port: u16,
    /// Ask discovered name servers at special-purpose addresses too
    /// (loopback, RFC 1918, link-local, ...: [`special_purpose`]). A zone's
    /// NS records come from whoever runs it and could aim our queries at
    /// internal hosts, so by default they are skipped and listed in
    /// [`ZoneReport::skipped`]; labs and tests on loopback turn this on.
    /// Default false.
    pub allow_special_servers: bool,
    /// At most this many name server addresses are asked per zone, in NS
    /// order (each costs a pass over the zone's addresses); the rest are
    /// listed in [`ZoneReport::skipped`]. Default 8.
    pub max_servers_per_zone: usize,
    /// Look up A/AAAA for every PTR name (forward confirmation). Default true.
    pub forward: bool,
    /// At most this many distinct PTR names per address get a forward lookup
    /// (hostile answers may carry 100 PTRs); names beyond have no entry in
    /// `Lookup::forward`. Default 16.
    pub max_forward_per_address: usize,
    /// At most this many PTR names are kept per address. Default 100.
    pub max_ptr_names: usize,
    /// Forward answers remembered for the run (second-chance eviction: a name
    /// asked again since the last round stays, so names shared by many
    /// addresses are looked up once while one-off names make room). Default
    /// 16,384 (about 4 MiB).
    pub forward_cache_size: usize,
    /// How many addresses must fail, with not a single reply from any server,
    /// before the scan gives up with [`ScanError::NoResolverAnswered`]. Default 64.
    pub dead_resolver_after: usize,
    /// Slow down a server that starts answering REFUSED or timing out (it is
    /// rate-limiting us), and speed up again once it answers cleanly: see
    /// "Polite limits" in the crate docs. Default true.
    pub adaptive_backoff: bool,
    /// DNS blocklists to ask about every address (an A question for the
    /// address under each zone, beside the PTR, with the same budgets,
    /// retries and timeouts); each [`Lookup`] gets one
    /// [`DnsblAnswer`](ptr_audit_model::DnsblAnswer) per list, in this
    /// order. Default none, which costs nothing per address.
    pub dnsbl: Vec<DnsblZone>,
    /// Where the blocklist questions go; empty means [`ScanConfig::servers`].
    /// Separate for `--zones` scans, whose servers only know the zones
    /// served. Default empty.
    pub dnsbl_servers: Vec<SocketAddr>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            qps: NonZeroU32::new(500),
            burst: None,
            qps_per_server: None,
            concurrency: 256,
            timeout: Duration::from_secs(2),
            attempts: 3,
            backoff: Duration::from_millis(100),
            max_tcp_connections: 16,
            sockets_per_server: 8,
            batched_io: true,
            edns: false,
            recursion_desired: true,
            authoritative_port: 53,
            allow_special_servers: false,
            max_servers_per_zone: 8,
            forward: true,
            max_forward_per_address: 16,
            max_ptr_names: 100,
            forward_cache_size: 16_384,
            dead_resolver_after: 64,
            adaptive_backoff: true,
            dnsbl: Vec::new(),
            dnsbl_servers: Vec::new(),
        }
    }
}

/// A cancel handle: [`StopSignal::stop`] makes a running scan stop issuing new
/// addresses, give the lookups in flight a short grace (one `timeout`, at most
/// 1 s) and return with `complete: false`. Lookups still unfinished then are
/// abandoned and never delivered. Cheap to clone; all clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal that is not set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks the scan to stop (safe to call from a signal handler thread).
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// True once [`StopSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a finished (or stopped) scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanOutcome {
    /// False when the scan was stopped before every target was delivered.
    pub complete: bool,
    /// Addresses delivered to the sink.
    pub addresses: u64,
    /// Queries sent, all kinds (UDP and TCP, first tries and retries).
    pub queries_sent: u64,
    /// PTR queries sent (CNAME hops and retries included).
    pub ptr_queries: u64,
    /// Forward (A/AAAA) queries sent.
    pub forward_queries: u64,
    /// DNS blocklist queries sent.
    pub dnsbl_queries: u64,
    /// Queries sent over TCP after a truncated UDP reply.
    pub tcp_queries: u64,
    /// Queries that were retries (after a timeout, SERVFAIL, REFUSED, ...).
    pub retries: u64,
    /// Attempts that timed out.
    pub timeouts: u64,
    /// Replies accepted (matching ID, server and question), any rcode.
    pub answers: u64,
    /// Packets ignored: unknown ID, wrong source, wrong question, malformed,
    /// or larger than the UDP payload the query advertised.
    pub ignored_packets: u64,
    /// Forward lookups answered from the run's cache or joined to one in flight.
    pub forward_shared: u64,
    /// The receive buffer per UDP socket, in bytes, as the kernel reports it
    /// (Linux reports twice the usable size: 8 MiB for the 4 MiB asked).
    pub socket_buffer: usize,
    /// Wall-clock time of the scan.
    pub elapsed: Duration,
    /// The servers the adaptive backoff slowed down at least once, in the
    /// order of [`ScanConfig::servers`] (empty when none was).
    pub throttled_servers: Vec<ServerBackoff>,
    /// How many times a server's rate was cut, over all servers.
    pub backoff_events: u64,
}

/// What the adaptive backoff did to one server (see "Polite limits" in the
/// crate docs).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerBackoff {
    /// The server.
    pub server: SocketAddr,
    /// How many times its rate was cut.
    pub backoffs: u64,
    /// The lowest rate it was held to, in queries per second.
    pub lowest_qps: u32,
    /// The rate it was held to when the scan ended; `None` when it was back
    /// to full speed (only the configured budgets applied).
    pub final_qps: Option<u32>,
}

/// Why a scan could not run (a single address's failure is data in its
/// [`Lookup`], never an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The configuration names no server.
    #[error("no DNS server to ask: give at least one resolver")]
    NoServers,
    /// Not a single reply came from any server and every lookup failed.
    #[error(
        "no resolver answered: not a single reply from `{servers}` while {failed} lookups failed"
    )]
    NoResolverAnswered {
        /// The servers asked, comma-separated.
        servers: String,
        /// How many address lookups had failed when the scan gave up.
        failed: usize,
    },
    /// A socket or the runtime could not be set up.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done (`bind a UDP socket`, `start the runtime`).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The system resolver configuration could not be read.
    #[error("cannot read the system resolver configuration `{path}`: {reason}")]
    SystemConfig {
        /// The file read.
        path: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The system resolver configuration names no server.
    #[error("the system resolver configuration `{path}` names no nameserver")]
    NoSystemResolvers {
        /// The file read.
        path: &'static str,
    },
}

/// The nameservers of the system configuration (`/etc/resolv.conf`), read with
/// hickory-resolver, each with its port (53 unless configured otherwise).
pub fn system_resolvers() -> Result<Vec<SocketAddr>, ScanError> {
    const PATH: &str = "/etc/resolv.conf";
    let (config, _opts) =
        hickory_resolver::system_conf::read_system_conf().map_err(|e| ScanError::SystemConfig {
            path: PATH,
            reason: e.to_string(),
        })?;
    let servers = udp_servers_of(&config);
    if servers.is_empty() {
        return Err(ScanError::NoSystemResolvers { path: PATH });
    }
    Ok(servers)
}

/// The distinct UDP server addresses of a resolver configuration.
fn udp_servers_of(config: &hickory_resolver::config::ResolverConfig) -> Vec<SocketAddr> {
    use hickory_resolver::config::ProtocolConfig;
    let mut out = Vec::new();
    for ns in config.name_servers() {
        let port = ns
            .connections
            .iter()
            .find(|c| matches!(c.protocol, ProtocolConfig::Udp))
            .map_or(53, |c| c.port);
        let addr = SocketAddr::new(ns.ip, port);
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    out
}

/// Scans `targets` on the current tokio runtime (the future is not `Send`: run
/// it on a current-thread runtime or a `LocalSet`). Each `(Target, Lookup)` goes
/// to `sink` as soon as it is complete, in completion order; every target is
/// delivered exactly once unless the scan is stopped or fails.
///
/// Gives up with [`ScanError::NoResolverAnswered`] when
/// [`ScanConfig::dead_resolver_after`] addresses (or all of them, if fewer)
/// have failed and not one reply came from any server; those failures are held
/// back and not delivered.
pub async fn scan<I, F>(
    config: &ScanConfig,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<ScanOutcome, ScanError>
where
    I: IntoIterator<Item = Target>,
    F: FnMut(Target, Lookup),
{
    engine::run(config, targets.into_iter(), sink, stop).await
}

/// [`scan`] on a current-thread tokio runtime of its own, for callers that are
/// not async (the CLI).
pub fn scan_blocking<I, F>(
    config: &ScanConfig,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<ScanOutcome, ScanError>
where
    I: IntoIterator<Item = Target>,
    F: FnMut(Target, Lookup),
{
    current_thread_runtime()?.block_on(scan(config, targets, sink, stop))
}

/// A current-thread tokio runtime for the blocking entry points.
pub(crate) fn current_thread_runtime() -> Result<tokio::runtime::Runtime, ScanError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| ScanError::Io {
            action: "start the tokio runtime",
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_nameservers_become_socket_addresses() {
        let (config, _) = hickory_resolver::system_conf::parse_resolv_conf(
            "# comment\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 127.0.0.53\noptions ndots:2\n",
        )
        .expect("parses");
        let servers = udp_servers_of(&config);
        assert_eq!(
            servers,
            vec![
                "127.0.0.53:53".parse::<SocketAddr>().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        // hickory refuses a configuration without nameservers: system_resolvers
        // reports that as `SystemConfig`
        assert!(hickory_resolver::system_conf::parse_resolv_conf("options ndots:2\n").is_err());
    }
}
