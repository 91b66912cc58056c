//! Authoritative mode (`scan --authoritative`): find each reverse zone's
//! servers through the configured resolver, then ask every one of them
//! directly, recursion off, for the PTR of every address of its zones.
//!
//! Zone discovery asks the resolver for the SOA of an address's reverse name
//! and takes the owner of the SOA it gets back (answer or authority section):
//! that is the zone cut, whether the zone is a /24, a /16, an IPv6 nibble zone
//! or (after stepping up past a CNAME, RFC 2317) the zone holding the alias.
//! It is asked once per /24 (IPv4) or /64 (IPv6) and memoised, then NS of the
//! zone and A (and AAAA when a configured resolver is IPv6) of every NS name.
//! These questions spend the run's budgets ([`crate::budget`]: the global
//! [`ScanConfig::qps`] and the resolver's [`ScanConfig::qps_per_server`],
//! the same buckets the engine's passes draw on) and are retried as the
//! engine retries ([`ScanConfig::attempts`], [`ScanConfig::backoff`]).
//!
//! The NS set comes from DNS, which a zone's owner controls, so it is not
//! followed blindly: an address in a special-purpose range ([`special_purpose`]:
//! loopback, RFC 1918, link-local, multicast, documentation, ...) is not asked
//! unless [`ScanConfig::allow_special_servers`] says so (labs and tests), and
//! at most [`ScanConfig::max_servers_per_zone`] addresses are asked per zone.
//! What was left out is listed in [`ZoneReport::skipped`].
//!
//! The same SOA discovery serves `fix` ([`zones_of_blocking`]): the zone of
//! any name (a PTR owner, a forward host name), so every update transaction
//! names its zone.
//!
//! The scan runs in batches of at most `concurrency × 16` addresses: one pass
//! through the configured resolver exactly as [`crate::scan`] (PTR and forward
//! confirmation), then one PTR-only pass per authoritative server of the
//! batch's zones (`forward: false`, `recursion_desired: false`, that server
//! alone, at [`ScanConfig::authoritative_port`]). A server that gives not a
//! single reply to the first addresses of a pass is marked dead and not asked
//! again in this run; its answers are `Failed(Timeout)`. The adaptive
//! backoff is off in the per-server passes (REFUSED from an authoritative
//! server means lame, not "slow down"); `qps` and `qps_per_server` apply,
//! one budget for the whole run.
//!
//! An address whose PTR is reached through a CNAME (RFC 2317) is asked at the
//! servers of the zone holding the alias; the engine follows the alias at the
//! same server, so a server that does not also serve the target zone answers
//! it with a failure, which is listed but not counted toward lameness.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use ptr_audit_model::{
    BlockInfo, DnsName, FailureReason, Lookup, PtrAnswer, Rcode, ServerAnswer, Target,
};

use crate::budget::Budget;
use crate::{ScanConfig, ScanError, ScanOutcome, StopSignal, engine};

/// One authoritative server of a zone and how it answered in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthServer {
    /// The NS name.
    pub name: DnsName,
    /// The address asked (port [`ScanConfig::authoritative_port`]).
    pub addr: SocketAddr,
    /// Addresses of the zone it was asked about.
    pub asked: u64,
    /// Of those, how many got no usable answer.
    pub failed: u64,
    /// The first failure's reason.
    pub first_failure: Option<FailureReason>,
}

impl AuthServer {
    /// How reports name it: `127.0.0.11:53 (ns1.examplehost.net.)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.addr, self.name.as_str())
    }

    /// True when it was asked and gave no usable answer at all (timeout,
    /// REFUSED, SERVFAIL, or replies without the AA bit).
    pub fn is_lame(&self) -> bool {
        self.asked > 0 && self.failed == self.asked
    }
}

/// Why a name server address of a zone was not asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The address is in a special-purpose range (the kind, as
    /// [`special_purpose`] names it), and
    /// [`ScanConfig::allow_special_servers`] is off.
    SpecialPurpose(&'static str),
    /// The zone already had [`ScanConfig::max_servers_per_zone`] servers.
    OverCap,
}

/// A name server address of a zone that was not asked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedServer {
    /// The NS name.
    pub name: DnsName,
    /// Its address (with port [`ScanConfig::authoritative_port`]).
    pub addr: SocketAddr,
    /// Why it was not asked.
    pub reason: SkipReason,
}

impl SkippedServer {
    /// How reports name it: `10.0.0.53:53 (ns1.examplehost.net.)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.addr, self.name.as_str())
    }
}

/// The kind of special-purpose range `ip` is in (IANA's special-purpose
/// address registries), or `None` for an address that may be a name server
/// on the Internet: `loopback`, `private (RFC 1918)`, `link-local`,
/// `unspecified`, `multicast`, `documentation`, and the rarer kinds below.
/// IPv4-mapped IPv6 addresses are judged by their IPv4 address.
pub fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            match (a, b, c) {
                (0, _, _) => Some("unspecified (\"this network\")"),
                (127, _, _) => Some("loopback"),
                (10, _, _) | (192, 168, _) => Some("private (RFC 1918)"),
                (172, 16..=31, _) => Some("private (RFC 1918)"),
                (100, 64..=127, _) => Some("shared address space (RFC 6598)"),
                (169, 254, _) => Some("link-local"),
                (192, 0, 0) => Some("IETF protocol assignments"),
                (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Some("documentation"),
                (198, 18..=19, _) => Some("benchmarking"),
                (224..=239, _, _) => Some("multicast"),
                (240..=255, _, _) => Some("reserved"),
                _ => None,
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return special_purpose(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_loopback() {
                Some("loopback")
            } else if segments[0] & 0xfe00 == 0xfc00 {
                Some("unique local")
            } else if segments[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if segments[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if (segments[0], segments[1]) == (0x2001, 0x0db8)
                || segments[0] & 0xfff0 == 0x3ff0
            {
                Some("documentation")
            } else if segments[..4] == [0x0100, 0, 0, 0] {
                Some("discard-only")
            } else if segments[..6] == [0; 6] {
                Some("IPv4-compatible (deprecated)")
            } else {
                None
            }
        }
    }
}

/// A reverse zone met in authoritative mode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZoneReport {
    /// The zone (the owner of its SOA), or, when discovery failed, the
    /// reverse name that was asked about.
    pub zone: DnsName,
    /// Why its servers could not be found (then `servers` is empty and its
    /// addresses were only asked through the resolver).
    pub error: Option<String>,
    /// Its servers, in NS order, one entry per address.
    pub servers: Vec<AuthServer>,
    /// Its name server addresses that were not asked, and why.
    pub skipped: Vec<SkippedServer>,
    /// The inventory blocks with addresses in it.
    pub blocks: Vec<Arc<BlockInfo>>,
    /// Addresses of the scan in it.
    pub addresses: u64,
}

impl ZoneReport {
    /// Its servers that no resolver gets a usable answer from, as reports
    /// name them, with a reason keyword: those asked that gave no usable
    /// answer at all ([`AuthServer::is_lame`]; the first failure's keyword,
    /// `timeout` when none is known), then those at special-purpose
    /// addresses that were not asked (`special-purpose`).
    pub fn unusable_servers(&self) -> impl Iterator<Item = (String, String)> + '_ {
        let lame = self.servers.iter().filter(|s| s.is_lame()).map(|server| {
            let reason = server
                .first_failure
                .as_ref()
                .map_or_else(|| "timeout".to_owned(), FailureReason::keyword);
            (server.label(), reason)
        });
        let special = self
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::SpecialPurpose(_)))
            .map(|s| (s.label(), "special-purpose".to_owned()));
        lame.chain(special)
    }
}

/// Zone discovery's questions to the configured resolvers, within the run's
/// [`Budget`] and with the engine's retry rules.
struct Asker<'b> {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: u32,
    backoff: Duration,
    budget: &'b Budget,
    turn: Cell<usize>,
    queries: Cell<u64>,
}

impl<'b> Asker<'b> {
    fn new(config: &ScanConfig, budget: &'b Budget) -> Self {
        Asker {
            servers: config.servers.clone(),
            timeout: config.timeout,
            attempts: config.attempts.max(1),
            backoff: config.backoff,
            budget,
            turn: Cell::new(0),
            queries: Cell::new(0),
        }
    }

    /// Asks `name`/`rtype` with RD on, trying the servers in turn, each try
    /// spending a token of the budget; NOERROR and NXDOMAIN are answers,
    /// anything else is retried as the engine retries: a timeout at once,
    /// a failure rcode or a network error after [`ScanConfig::backoff`],
    /// doubled on every further retry and capped at the timeout.
    async fn ask(&self, name: &Name, rtype: RecordType) -> Result<Message, FailureReason> {
        let mut last = FailureReason::Timeout;
        for tries in 0..self.attempts {
            if tries > 0 && !matches!(last, FailureReason::Timeout) {
                let wait = self.backoff.saturating_mul(1 << (tries - 1).min(16));
                tokio::time::sleep(wait.min(self.timeout)).await;
            }
            let turn = self.turn.get();
            self.turn.set(turn + 1);
            let server = self.servers[turn % self.servers.len()];
            self.budget.wait(server).await;
            self.queries.set(self.queries.get() + 1);
            match self.once(server, name, rtype).await {
                Ok(m) => match m.metadata.response_code {
                    ResponseCode::NoError | ResponseCode::NXDomain => return Ok(m),
                    rc => last = FailureReason::Rcode(Rcode::from_u16(u16::from(rc))),
                },
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn once(
        &self,
        server: SocketAddr,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Message, FailureReason> {
        let net = |e: std::io::Error| FailureReason::Network(e.kind().to_string());
        let local: SocketAddr = if server.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = tokio::net::UdpSocket::bind(local).await.map_err(net)?;
        sock.connect(server).await.map_err(net)?;
        let mut query = Message::query();
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(name.clone(), rtype));
        let id = query.metadata.id;
        let bytes = query.to_vec().map_err(|_| FailureReason::Malformed)?;
        sock.send(&bytes).await.map_err(net)?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut buf = vec![0u8; 65_535];
        loop {
            let n = tokio::time::timeout_at(deadline, sock.recv(&mut buf))
                .await
                .map_err(|_| FailureReason::Timeout)?
                .map_err(net)?;
            // asked without EDNS: a larger reply was not asked for (and is not read)
            if n > crate::packet::PLAIN_UDP_PAYLOAD {
                continue;
            }
            let Ok(reply) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let ours = reply.metadata.id == id
                && reply.metadata.message_type == MessageType::Response
                && reply
                    .queries
                    .first()
                    .is_some_and(|q| q.name() == name && q.query_type() == rtype);
            if ours {
                return Ok(reply);
            }
        }
    }

    /// The zone holding the reverse name of `ip`.
    async fn zone_of(&self, ip: IpAddr) -> Result<Name, String> {
        self.zone_of_name(Name::from(ip)).await
    }

    /// The zone holding `name`: the owner of the SOA the servers answer
    /// with (answer section at an apex, authority section below it, for
    /// NXDOMAIN and NODATA alike). An alias is stepped over: it lives in the
    /// zone of its parent name.
    async fn zone_of_name(&self, start: Name) -> Result<Name, String> {
        let mut name = start.clone();
        for _ in 0..128 {
            let reply = self
                .ask(&name, RecordType::SOA)
                .await
                .map_err(|r| format!("the SOA query for `{name}` failed ({})", r.keyword()))?;
            let alias = reply
                .answers
                .iter()
                .any(|r| r.record_type() == RecordType::CNAME && r.name == name);
            if !alias {
                return reply
                    .answers
                    .iter()
                    .chain(&reply.authorities)
                    .find(|r| r.record_type() == RecordType::SOA)
                    .map(|r| r.name.clone())
                    .ok_or_else(|| format!("no SOA in the answer for `{name}`"));
            }
            // An alias (RFC 2317) lives in the zone of its parent name.
            name = name.base_name();
        }
        Err(format!("no zone found above `{start}`"))
    }

    /// The NS names of `zone` with their addresses.
    async fn name_servers_of(&self, zone: &Name, v6: bool) -> Result<Vec<(Name, IpAddr)>, String> {
        let reply = self
            .ask(zone, RecordType::NS)
            .await
            .map_err(|r| format!("the NS query for `{zone}` failed ({})", r.keyword()))?;
        let names: Vec<Name> = reply
            .answers
            .iter()
            .filter(|r| r.name == *zone)
            .filter_map(|r| match &r.data {
                RData::NS(ns) => Some(ns.0.clone()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return Err(format!("`{zone}` has no NS records"));
        }
        let mut out = Vec::new();
        for ns in names {
            let mut types = vec![RecordType::A];
            if v6 {
                types.push(RecordType::AAAA);
            }
            for rtype in types {
                let Ok(reply) = self.ask(&ns, rtype).await else {
                    continue;
                };
                for r in &reply.answers {
                    let ip = match &r.data {
                        RData::A(a) => IpAddr::V4(a.0),
                        RData::AAAA(a) => IpAddr::V6(a.0),
                        _ => continue,
                    };
                    if !out.iter().any(|(_, known)| *known == ip) {
                        out.push((ns.clone(), ip));
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(format!("no address for the NS names of `{zone}`"));
        }
        Ok(out)
    }
}

/// The memo key of an address: its /24 or /64.
fn group_of(ip: IpAddr) -> Group {
    match ip {
        IpAddr::V4(v4) => (false, u64::from(u32::from(v4) >> 8)),
        IpAddr::V6(v6) => (true, (u128::from(v6) >> 64) as u64),
    }
}

fn dns_name(name: &Name) -> DnsName {
    DnsName::from_labels(name.iter())
}

/// A server address of the run and whether it is known dead.
struct ServerState {
    addr: SocketAddr,
    dead: bool,
}

/// An address's /24 or /64 (see [`group_of`]).
type Group = (bool, u64);
/// A group's zone, or the name asked about and why it failed.
type Found = Result<Name, (Name, String)>;
/// A zone's NS names with their addresses, or why they could not be found.
type Servers = Result<Vec<(Name, IpAddr)>, String>;

/// Which name server addresses are asked, and on which port.
struct ServerPolicy {
    port: u16,
    allow_special: bool,
    max_per_zone: usize,
}

/// Discovery questions in flight at once.
const DISCOVERY_PARALLEL: usize = 32;

/// What discovery has found so far in a run.
#[derive(Default)]
struct Known {
    zones: Vec<ZoneReport>,
    zone_index: HashMap<DnsName, usize>,
    /// /24 or /64 to zone.
    groups: HashMap<Group, usize>,
    servers: Vec<ServerState>,
    /// Per zone: indexes into `servers`, aligned with `ZoneReport::servers`.
    zone_servers: Vec<Vec<usize>>,
}

impl Known {
    /// Finds the zone of every /24 or /64 of `batch` not seen before (their
    /// SOA questions in parallel), then the servers of every zone not seen
    /// before (once per zone, in parallel).
    async fn discover(
        &mut self,
        asker: &Asker<'_>,
        batch: &[Target],
        v6: bool,
        policy: &ServerPolicy,
    ) {
        let mut new_groups: Vec<(Group, IpAddr)> = Vec::new();
        let mut queued: HashSet<Group> = HashSet::new();
        for t in batch {
            let key = group_of(t.ip);
            if !self.groups.contains_key(&key) && queued.insert(key) {
                new_groups.push((key, t.ip));
            }
        }
        if new_groups.is_empty() {
            return;
        }
        let found: Vec<(Group, Found)> = stream::iter(new_groups)
            .map(|(key, ip)| async move {
                let zone = asker.zone_of(ip).await.map_err(|e| (Name::from(ip), e));
                (key, zone)
            })
            .buffer_unordered(DISCOVERY_PARALLEL)
            .collect()
            .await;
        let mut new_zones: Vec<Name> = Vec::new();
        let mut queued: HashSet<DnsName> = HashSet::new();
        for (_, zone) in &found {
            if let Ok(zone) = zone {
                let name = dns_name(zone);
                if !self.zone_index.contains_key(&name) && queued.insert(name) {
                    new_zones.push(zone.clone());
                }
            }
        }
        let served: Vec<(Name, Servers)> = stream::iter(new_zones)
            .map(|zone| async move {
                let servers = asker.name_servers_of(&zone, v6).await;
                (zone, servers)
            })
            .buffer_unordered(DISCOVERY_PARALLEL)
            .collect()
            .await;
        for (zone, result) in served {
            self.add_zone(dns_name(&zone), result, policy);
        }
        for (key, zone) in found {
            let name = match zone {
                Ok(zone) => dns_name(&zone),
                Err((name, e)) => {
                    let name = dns_name(&name);
                    self.add_zone(name.clone(), Err(e), policy);
                    name
                }
            };
            let z = self.zone_index[&name];
            self.groups.insert(key, z);
        }
    }

    /// Records a zone and the servers to ask (or why they could not be
    /// found), leaving out those `policy` refuses.
    fn add_zone(&mut self, name: DnsName, result: Servers, policy: &ServerPolicy) {
        let port = policy.port;
        if self.zone_index.contains_key(&name) {
            return;
        }
        let mut report = ZoneReport {
            zone: name.clone(),
            error: None,
            servers: Vec::new(),
            skipped: Vec::new(),
            blocks: Vec::new(),
            addresses: 0,
        };
        let mut idx = Vec::new();
        match result {
            Ok(list) => {
                for (ns, ip) in list {
                    let addr = SocketAddr::new(ip, port);
                    let special = special_purpose(ip).filter(|_| !policy.allow_special);
                    let skip = match special {
                        Some(kind) => Some(SkipReason::SpecialPurpose(kind)),
                        None if report.servers.len() >= policy.max_per_zone => {
                            Some(SkipReason::OverCap)
                        }
                        None => None,
                    };
                    if let Some(reason) = skip {
                        report.skipped.push(SkippedServer {
                            name: dns_name(&ns),
                            addr,
                            reason,
                        });
                        continue;
                    }
                    let i = match self.servers.iter().position(|s| s.addr == addr) {
                        Some(i) => i,
                        None => {
                            self.servers.push(ServerState { addr, dead: false });
                            self.servers.len() - 1
                        }
                    };
                    idx.push(i);
                    report.servers.push(AuthServer {
                        name: dns_name(&ns),
                        addr,
                        asked: 0,
                        failed: 0,
                        first_failure: None,
                    });
                }
            }
            Err(e) => report.error = Some(e),
        }
        self.zones.push(report);
        self.zone_servers.push(idx);
        self.zone_index.insert(name, self.zones.len() - 1);
    }
}

/// Adds `b` to the counters of `a` (the adaptive backoff of a server met in
/// several passes: cuts summed, the lowest rate, the last pass's final rate).
fn absorb(a: &mut ScanOutcome, b: &ScanOutcome) {
    a.queries_sent += b.queries_sent;
    a.ptr_queries += b.ptr_queries;
    a.forward_queries += b.forward_queries;
    a.dnsbl_queries += b.dnsbl_queries;
    a.tcp_queries += b.tcp_queries;
    a.retries += b.retries;
    a.timeouts += b.timeouts;
    a.answers += b.answers;
    a.ignored_packets += b.ignored_packets;
    a.forward_shared += b.forward_shared;
    a.socket_buffer = a.socket_buffer.max(b.socket_buffer);
    a.backoff_events += b.backoff_events;
    for t in &b.throttled_servers {
        match a
            .throttled_servers
            .iter_mut()
            .find(|x| x.server == t.server)
        {
            Some(x) => {
                x.backoffs += t.backoffs;
                x.lowest_qps = x.lowest_qps.min(t.lowest_qps);
                x.final_qps = t.final_qps;
            }
            None => a.throttled_servers.push(t.clone()),
        }
    }
}

/// Scans `targets` in authoritative mode on the current tokio runtime (see
/// the module docs): each target goes to `sink` exactly once with its
/// [`Lookup`] through the configured resolver and one [`ServerAnswer`] per
/// authoritative server of its zone (none when its zone's servers could not
/// be found). Returns the summed counters of every pass (`addresses` counts
/// addresses delivered) and one [`ZoneReport`] per zone met.
///
/// When stopped, the batch in progress is not delivered.
pub async fn scan_authoritative<I, F>(
    config: &ScanConfig,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<(ScanOutcome, Vec<ZoneReport>), ScanError>
where
    I: IntoIterator<Item = Target>,
    F: FnMut(Target, Lookup, Vec<ServerAnswer>),
{
    if config.servers.is_empty() {
        return Err(ScanError::NoServers);
    }
    scan_authoritative_within(config, &Budget::new(config), targets, sink, stop).await
}

/// [`scan_authoritative`] spending `budget`: zone discovery, the pass
/// through the resolver and every server's pass draw on it.
async fn scan_authoritative_within<I, F>(
    config: &ScanConfig,
    budget: &Budget,
    targets: I,
    mut sink: F,
    stop: &StopSignal,
) -> Result<(ScanOutcome, Vec<ZoneReport>), ScanError>
where
    I: IntoIterator<Item = Target>,
    F: FnMut(Target, Lookup, Vec<ServerAnswer>),
{
    let started = Instant::now();
    let asker = Asker::new(config, budget);
    let want_v6 = config.servers.iter().any(SocketAddr::is_ipv6);
    let policy = ServerPolicy {
        port: config.authoritative_port,
        allow_special: config.allow_special_servers,
        max_per_zone: config.max_servers_per_zone.max(1),
    };
    let batch_size = (config.concurrency.clamp(1, 16_384) * 16).max(256);
    let mut known = Known::default();
    let mut total = ScanOutcome {
        complete: true,
        ..ScanOutcome::default()
    };
    let mut targets = targets.into_iter();
    loop {
        if stop.is_stopped() {
            total.complete = false;
            break;
        }
        let batch: Vec<Target> = targets.by_ref().take(batch_size).collect();
        if batch.is_empty() {
            break;
        }
        // zones of the batch (memoised per /24 or /64)
        known.discover(&asker, &batch, want_v6, &policy).await;
        let Known {
            zones,
            groups,
            servers,
            zone_servers,
            ..
        } = &mut known;
        let mut zone_of: Vec<usize> = Vec::with_capacity(batch.len());
        for t in &batch {
            let z = groups[&group_of(t.ip)];
            let report = &mut zones[z];
            report.addresses += 1;
            if !report
                .blocks
                .iter()
                .any(|b| Arc::ptr_eq(b, &t.block) || **b == *t.block)
            {
                report.blocks.push(Arc::clone(&t.block));
            }
            zone_of.push(z);
        }
        let position: HashMap<IpAddr, usize> =
            batch.iter().enumerate().map(|(i, t)| (t.ip, i)).collect();

        // pass 1: through the configured resolver
        let mut lookups: Vec<Option<Lookup>> = vec![None; batch.len()];
        let outcome = engine::run_within(
            config,
            budget,
            batch.iter().cloned(),
            |t, l| {
                if let Some(&i) = position.get(&t.ip) {
                    lookups[i] = Some(l);
                }
            },
            stop,
        )
        .await?;
        absorb(&mut total, &outcome);
        if !outcome.complete {
            total.complete = false;
            break;
        }

        // one PTR-only pass per authoritative server of the batch's zones
        let mut answers: HashMap<(usize, usize), PtrAnswer> = HashMap::new();
        let mut in_batch: Vec<usize> = zone_of
            .iter()
            .flat_map(|&z| zone_servers[z].iter().copied())
            .collect();
        in_batch.sort_unstable();
        in_batch.dedup();
        for s in in_batch {
            let asked: Vec<usize> = (0..batch.len())
                .filter(|&i| zone_servers[zone_of[i]].contains(&s))
                .collect();
            if servers[s].dead {
                for &i in &asked {
                    answers.insert((i, s), PtrAnswer::Failed(FailureReason::Timeout));
                }
                continue;
            }
            let mut cfg = config.clone();
            cfg.servers = vec![servers[s].addr];
            cfg.forward = false;
            cfg.dnsbl.clear();
            cfg.dnsbl_servers.clear();
            cfg.recursion_desired = false;
            // An authoritative server answers REFUSED for a zone it does not
            // serve (lame), not to slow us down (rate limiting authoritative
            // servers drop or truncate): the adaptive backoff would crawl
            // through a lame server's zones. The budgets still apply.
            cfg.adaptive_backoff = false;
            let result = engine::run_within(
                &cfg,
                budget,
                asked.iter().map(|&i| batch[i].clone()),
                |t, l| {
                    if let Some(&i) = position.get(&t.ip) {
                        answers.insert((i, s), l.answer);
                    }
                },
                stop,
            )
            .await;
            match result {
                Ok(outcome) => {
                    absorb(&mut total, &outcome);
                    if !outcome.complete {
                        total.complete = false;
                        break;
                    }
                }
                Err(ScanError::NoResolverAnswered { .. }) => {
                    // Not one reply: the server is down (or drops us).
                    servers[s].dead = true;
                    for &i in &asked {
                        answers
                            .entry((i, s))
                            .or_insert(PtrAnswer::Failed(FailureReason::Timeout));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if !total.complete {
            break;
        }

        // deliver
        for (i, (t, l)) in batch.into_iter().zip(lookups).enumerate() {
            let Some(lookup) = l else { continue };
            let z = zone_of[i];
            let mut list = Vec::with_capacity(zone_servers[z].len());
            for (k, &s) in zone_servers[z].iter().enumerate() {
                let answer = answers
                    .remove(&(i, s))
                    .unwrap_or(PtrAnswer::Failed(FailureReason::Timeout));
                let server = &mut zones[z].servers[k];
                // A server that answers an RFC 2317 alias but does not serve
                // the zone it points into fails on the hop: that is not lameness.
                let hop_failed =
                    matches!(answer, PtrAnswer::Failed(_)) && !lookup.cname_chain.is_empty();
                if !hop_failed {
                    server.asked += 1;
                    if let PtrAnswer::Failed(why) = &answer {
                        server.failed += 1;
                        server.first_failure.get_or_insert_with(|| why.clone());
                    }
                }
                list.push(ServerAnswer {
                    server: server.label(),
                    answer,
                });
            }
            total.addresses += 1;
            sink(t, lookup, list);
        }
    }
    total.queries_sent += asker.queries.get();
    total.elapsed = started.elapsed();
    Ok((total, known.zones))
}

/// [`scan_authoritative`] on a current-thread tokio runtime of its own.
pub fn scan_authoritative_blocking<I, F>(
    config: &ScanConfig,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<(ScanOutcome, Vec<ZoneReport>), ScanError>
where
    I: IntoIterator<Item = Target>,
    F: FnMut(Target, Lookup, Vec<ServerAnswer>),
{
    crate::current_thread_runtime()?.block_on(scan_authoritative(config, targets, sink, stop))
}

/// The zone holding each of `names`, learned from DNS the way authoritative
/// mode finds reverse zones: the owner of the SOA that [`ScanConfig::servers`]
/// (a resolver, or a primary asked directly) answer for the name, aliases
/// stepped over. `fix` writes one `zone` line per update transaction from it
/// when no zone files are at hand.
///
/// One result per name, in order: the zone, or why it could not be learned
/// (no answer, a failure rcode, no SOA, or a SOA owner that does not enclose
/// the name — a reply that is not to be believed). Up to 32 questions are in
/// flight at once; [`ScanConfig::timeout`] and [`ScanConfig::attempts`] apply.
pub fn zones_of_blocking(
    config: &ScanConfig,
    names: &[DnsName],
) -> Result<Vec<Result<DnsName, String>>, ScanError> {
    if config.servers.is_empty() {
        return Err(ScanError::NoServers);
    }
    let budget = Budget::new(config);
    let asker = Asker::new(config, &budget);
    let asker = &asker;
    let work = stream::iter(names)
        .map(|name| async move {
            let start = name_of(name)?;
            let zone = asker.zone_of_name(start.clone()).await?;
            if !zone.zone_of(&start) {
                return Err(format!(
                    "the SOA answered for `{start}` is owned by `{zone}`, which does not hold it"
                ));
            }
            Ok(dns_name(&zone))
        })
        .buffered(DISCOVERY_PARALLEL)
        .collect::<Vec<_>>();
    Ok(crate::current_thread_runtime()?.block_on(work))
}

/// A name in presentation form as hickory's. Without escapes it is split at
/// dots as is, so RFC 2317 labels (`0/26`), which hickory's text parser
/// rejects, are kept.
fn name_of(name: &DnsName) -> Result<Name, String> {
    let bad = |e: hickory_proto::ProtoError| format!("`{name}` is not a domain name ({e})");
    if name.has_escapes() {
        return Name::from_ascii(name.as_str()).map_err(bad);
    }
    let text = name.without_root();
    if text == "." {
        return Ok(Name::root());
    }
    Name::from_labels(text.split('.').map(str::as_bytes)).map_err(bad)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::path::PathBuf;
    use std::rc::Rc;

    use governor::Quota;
    use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
    use ptr_audit_model::{Policy, SourceLocation};

    use super::*;

    /// Every query of an authoritative run, zone discovery's SOA, NS and A
    /// questions included, takes a token of the run's global budget and of
    /// its server's: the tokens spent equal the queries the servers saw.
    /// (Buckets that do not refill during the test, so nothing is timed.)
    #[test]
    fn zone_discovery_spends_the_same_budgets_as_the_scan() {
        let soa = "$TTL 300\n@ IN SOA ns1.examplehost.net. h.examplehost.net. 1 3600 600 86400 300\n\
                   @ IN NS ns1.examplehost.net.\n";
        let zones = || {
            let mut set = ZoneSet::new();
            let reverse =
                format!("{soa}1 IN PTR a.examplehost.net.\n2 IN PTR b.examplehost.net.\n");
            set.add_text("113.0.203.in-addr.arpa", &reverse).unwrap();
            let hosts = "ns1 IN A 127.0.0.11\na IN A 203.0.113.1\nb IN A 203.0.113.9\n";
            set.add_text("examplehost.net", &format!("{soa}{hosts}"))
                .unwrap();
            set
        };
        let resolver = ZoneServer::spawn(zones()).expect("resolver");
        let auth = ZoneServer::spawn_on(zones(), SocketAddr::from(([127, 0, 0, 11], 0)))
            .expect("authoritative server");
        let cfg = ScanConfig {
            servers: vec![resolver.addr()],
            authoritative_port: auth.addr().port(),
            allow_special_servers: true, // on loopback
            ..ScanConfig::default()
        };
        let block = Arc::new(BlockInfo {
            datacenter: Arc::from("test"),
            cidr: "203.0.113.0/24".parse().unwrap(),
            policy: Policy::Hosting,
            expect_ptr: None,
            expect_pbl: false,
            migrated_from: None,
            severities: Default::default(),
            source: SourceLocation {
                file: PathBuf::from("<test>"),
                line: 1,
            },
        });
        let targets = (1..=4u8).map(|d| Target {
            ip: IpAddr::from([203, 0, 113, d]),
            block: Arc::clone(&block),
            expected_ptr: None,
        });
        const TOKENS: u32 = 10_000;
        let day = Quota::with_period(Duration::from_secs(86_400))
            .unwrap()
            .allow_burst(NonZeroU32::new(TOKENS).unwrap());
        let budget = Budget::with_quotas(Some(day), Some(day));
        let mut delivered = 0;
        let stop = StopSignal::new();
        let run = scan_authoritative_within(
            &cfg,
            &budget,
            targets,
            |_, _, answers| {
                assert_eq!(answers.len(), 1);
                delivered += 1;
            },
            &stop,
        );
        let (outcome, found) = crate::current_thread_runtime()
            .unwrap()
            .block_on(run)
            .expect("scan runs");
        assert!(outcome.complete);
        assert_eq!(delivered, 4);
        assert_eq!(found.len(), 1, "{found:?}");
        let spent = |limiter: Rc<crate::budget::Limiter>| {
            let mut left = 0u64;
            while limiter.check().is_ok() {
                left += 1;
            }
            u64::from(TOKENS) - left
        };
        let (at_resolver, at_auth) = (resolver.stats(), auth.stats());
        // discovery asked the resolver: SOA of the reverse name, NS, A of ns1
        for qtype in ["SOA", "NS"] {
            assert!(at_resolver.qtype(qtype) >= 1, "{qtype}: {at_resolver:?}");
        }
        assert!(at_resolver.qtype("A") >= 3, "{at_resolver:?}");
        assert_eq!(at_auth.qtype("PTR"), 4, "{at_auth:?}");
        let global = budget.global().expect("a global budget");
        assert_eq!(spent(global), at_resolver.total + at_auth.total);
        let resolver_budget = budget.server(resolver.addr()).expect("per server");
        assert_eq!(spent(resolver_budget), at_resolver.total);
        let auth_budget = budget.server(auth.addr()).expect("per server");
        assert_eq!(spent(auth_budget), at_auth.total);
        assert_eq!(outcome.queries_sent, at_resolver.total + at_auth.total);
    }

    #[test]
    fn special_purpose_ranges_are_named_and_public_addresses_are_not() {
        let cases = [
            ("127.0.0.1", Some("loopback")),
            ("10.1.2.3", Some("private (RFC 1918)")),
            ("172.16.0.1", Some("private (RFC 1918)")),
            ("172.31.255.255", Some("private (RFC 1918)")),
            ("192.168.0.53", Some("private (RFC 1918)")),
            ("169.254.169.254", Some("link-local")),
            ("0.0.0.0", Some("unspecified (\"this network\")")),
            ("224.0.0.251", Some("multicast")),
            ("255.255.255.255", Some("reserved")),
            ("100.64.0.1", Some("shared address space (RFC 6598)")),
            ("192.0.2.53", Some("documentation")),
            ("198.51.100.53", Some("documentation")),
            ("203.0.113.53", Some("documentation")),
            ("198.18.0.1", Some("benchmarking")),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("fe80::1", Some("link-local")),
            ("fd00::53", Some("unique local")),
            ("ff02::1", Some("multicast")),
            ("2001:db8::53", Some("documentation")),
            ("::ffff:10.0.0.1", Some("private (RFC 1918)")),
            // public: may be a name server on the Internet
            ("172.32.0.1", None),
            ("8.8.8.8", None),
            ("100.128.0.1", None),
            ("2a00:1450::1", None),
            ("::ffff:8.8.8.8", None),
        ];
        for (ip, want) in cases {
            assert_eq!(special_purpose(ip.parse().unwrap()), want, "{ip}");
        }
    }
}
