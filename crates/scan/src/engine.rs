//! The event loop: one task owning the UDP sockets (`pool`), the window of
//! questions in flight, the ID table, the deadline queues, the rate limiters
//! (governor, and each server's adaptive `pace`), the `forward_cache` and the
//! `tcp` exchanges.
//!
//! Vocabulary: a *question* (one name and type being resolved, with its
//! retries and CNAME hops) holds a *slot* of the window from its first send to
//! its final answer; an *address job* is one target from PTR to delivery; a
//! *forward job* is one distinct (name, A/AAAA) lookup shared by every address
//! waiting for it; a *blocklist question* asks one DNSBL about one address
//! (module `dnsbl`) and counts toward its address job like a forward lookup.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::clock::Clock;
use ptr_audit_model::{
    DnsName, DnsblAnswer, FailureReason, ForwardAnswer, Lookup, PtrAnswer, Rcode, Target,
};
use tokio::task::JoinSet;

use crate::answer::{Found, NameList, Trail, check_reply, walk_answer};
use crate::batch::{RecvBatch, SEND_COUNT, SendBatch};
use crate::budget::{Budget, Limiter};
use crate::dnsbl;
use crate::forward_cache::{FwdCache, Hasher};
use crate::pace::{Pace, Seen, parent_key};
use crate::packet::{self, Header, TYPE_A, TYPE_AAAA, TYPE_PTR, Tail};
use crate::pool::{FREE, Pools};
use crate::tcp;
use crate::{ScanConfig, ScanError, ScanOutcome, StopSignal};

/// The window is clamped to this, so at most a quarter of the 16-bit IDs of a
/// socket are in use and a random free ID is found in a try or two.
const MAX_CONCURRENCY: usize = 16_384;
/// Packets read from one socket before the loop looks at sends and timers.
const RECV_BATCH: usize = 2048;
/// The loop wakes at least this often (to notice a stop request).
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Who a question works for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// The PTR question of address job `n`.
    Addr(u32),
    /// Forward job `n`.
    Fwd(u32),
    /// The question of address job `addr` to blocklist `list`
    /// ([`ScanConfig::dnsbl`] index).
    Bl {
        /// The address job.
        addr: u32,
        /// The list.
        list: u32,
    },
}

/// Where a question stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The slot is unused.
    Free,
    /// Waiting in the send queue.
    Queued,
    /// Waiting in the backoff heap.
    Delayed,
    /// Sent over UDP, waiting for the reply or the deadline.
    Udp {
        /// The query ID.
        id: u16,
        /// The socket it went out on ([`Pools`] index).
        sock: u32,
    },
    /// Sent over TCP; a task runs the exchange.
    Tcp,
}

/// One question in the window.
struct Slot {
    state: State,
    /// Bumped on every state change, so stale timer and TCP entries are ignored.
    seq: u32,
    owner: Owner,
    /// The name asked, in wire form (original case).
    qname: Vec<u8>,
    qtype: u16,
    /// Sends of this question counted against `attempts`.
    tries: u32,
    /// Send an EDNS OPT record (cleared after a FORMERR).
    edns: bool,
    /// The next send goes over TCP (after a truncated reply).
    tcp: bool,
    /// The next send is the TCP follow-up of a truncated reply, not a retry.
    followup: bool,
    /// The CNAME chain followed so far (across responses).
    trail: Trail,
    /// A malformed packet carrying this question's ID came in.
    malformed: bool,
    /// The server the last try went to (retries go to another one if there is one).
    last_server: usize,
    /// The server that last answered this question REFUSED (`usize::MAX`: none).
    refused_by: usize,
    /// When the last try was sent.
    sent: Instant,
}

/// One address from its PTR question to delivery.
struct AddrJob {
    target: Target,
    attempts: u32,
    rcode: Option<Rcode>,
    chain: Vec<DnsName>,
    answer: Option<PtrAnswer>,
    forward: Vec<(DnsName, Option<ForwardAnswer>)>,
    /// One entry per blocklist, filled as answers come (empty, unallocated,
    /// when the scan asks none).
    dnsbl: Vec<Option<DnsblAnswer>>,
    /// Forward lookups and blocklist questions not answered yet.
    pending: u32,
}

/// One distinct forward lookup and the addresses waiting for it.
struct FwdJob {
    /// Lower-cased wire name followed by the query type (the cache key),
    /// shared with the in-flight map and then the cache.
    key: Rc<[u8]>,
    /// The name to ask (original case); moved into the slot when it starts.
    qname: Vec<u8>,
    qtype: u16,
    waiters: Vec<(u32, u32)>,
}

/// The result of a TCP exchange, sent back to the loop.
struct TcpDone {
    slot: u32,
    seq: u32,
    result: Result<Vec<u8>, FailureReason>,
}

/// What a reply means for its question.
enum Outcome {
    /// The CNAME chain leads out of this reply: ask for its end.
    Hop,
    /// PTR names, in the engine's `names` buffer.
    Names,
    /// A final PTR (`Err`) or forward (`Ok`) answer.
    Final(Result<ForwardAnswer, PtrAnswer>),
}

/// A NOERROR reply with no answer, no SOA but NS records, from a server that
/// is neither authoritative nor recursive: a referral, not a negative answer.
fn is_referral(header: &Header, tail: &Tail) -> bool {
    !tail.soa && tail.ns && !header.authoritative() && !header.recursion_available()
}

/// The UDP queries to one server built but not yet handed to the kernel:
/// one batch, all for one socket of the server's pool.
#[derive(Default)]
struct Outbox {
    /// The socket they go out on (chosen with the batch's first query).
    sock: u32,
    batch: SendBatch,
    /// Each query's slot and ID.
    owners: Vec<(u32, u16)>,
}

/// What woke the loop.
enum Event {
    Tcp(TcpDone),
    Other,
}

/// The scanner's state.
struct Engine<'a, I, F> {
    cfg: &'a ScanConfig,
    /// Every server: [`ScanConfig::servers`], then
    /// [`ScanConfig::dnsbl_servers`] (the index everything per server uses).
    servers: Vec<SocketAddr>,
    /// How many of `servers` are [`ScanConfig::servers`].
    main_servers: usize,
    attempts: u32,
    max_active: usize,
    targets: I,
    sink: F,
    stop: &'a StopSignal,
    exhausted: bool,
    stopping: bool,

    /// The UDP sockets (a pool per server) and their ID tables.
    pools: Pools,
    /// The socket whose send buffer is full, if any.
    send_blocked: Option<u32>,
    rr: usize,
    /// The round-robin position among the blocklist servers.
    rr_bl: usize,
    /// The run's budgets ([`Budget`]): the global bucket, and each server's
    /// (same index; empty without per-server budgets).
    limiter: Option<Rc<Limiter>>,
    per_server: Vec<Rc<Limiter>>,
    /// Per server: the adaptive rate (same index).
    paces: Vec<Pace>,
    /// Servers whose pace is throttled now.
    throttled: usize,

    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    addrs: Vec<Option<AddrJob>>,
    free_addrs: Vec<u32>,
    active_addrs: usize,
    fwds: Vec<Option<FwdJob>>,
    free_fwds: Vec<u32>,
    fwd_inflight: HashMap<Rc<[u8]>, u32, Hasher>,
    fwd_wait: VecDeque<u32>,
    /// Blocklist questions waiting for a slot: (address job, list).
    bl_wait: VecDeque<(u32, u32)>,
    cache: FwdCache,

    send_q: VecDeque<u32>,
    timeouts: VecDeque<(Instant, u32, u32)>,
    delayed: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    tcp: JoinSet<TcpDone>,
    /// At most this many TCP exchanges at once ([`ScanConfig::max_tcp_connections`]).
    tcp_cap: usize,
    /// Questions due over TCP while `tcp_cap` exchanges are running.
    tcp_wait: VecDeque<u32>,

    replies_seen: u64,
    held: Vec<(Target, Lookup)>,
    out: ScanOutcome,
    send_buf: Vec<u8>,
    /// Per server, the UDP queries built but not yet handed to the kernel.
    outbox: Vec<Outbox>,
    recv: RecvBatch,
    scratch: Vec<u8>,
    /// What the walk of the current reply found.
    found: Found,
    /// A forward cache key being built.
    key: Vec<u8>,
}

/// Runs a scan; see [`crate::scan`].
pub(crate) async fn run<I, F>(
    cfg: &ScanConfig,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<ScanOutcome, ScanError>
where
    I: Iterator<Item = Target>,
    F: FnMut(Target, Lookup),
{
    run_within(cfg, &Budget::new(cfg), targets, sink, stop).await
}

/// [`run`], spending `budget` (shared with other passes of the same run).
pub(crate) async fn run_within<I, F>(
    cfg: &ScanConfig,
    budget: &Budget,
    targets: I,
    sink: F,
    stop: &StopSignal,
) -> Result<ScanOutcome, ScanError>
where
    I: Iterator<Item = Target>,
    F: FnMut(Target, Lookup),
{
    if cfg.servers.is_empty() {
        return Err(ScanError::NoServers);
    }
    let mut engine = Engine::new(cfg, budget, targets, sink, stop)?;
    engine.run().await
}

/// Stores `item` in a free entry of `table` (a freed index from `free`, else a
/// new one at the end) and returns its index.
fn put<T>(table: &mut Vec<Option<T>>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(i) => {
            table[i as usize] = Some(item);
            i
        }
        None => {
            table.push(Some(item));
            (table.len() - 1) as u32
        }
    }
}

impl<'a, I, F> Engine<'a, I, F>
where
    I: Iterator<Item = Target>,
    F: FnMut(Target, Lookup),
{
    fn new(
        cfg: &'a ScanConfig,
        budget: &Budget,
        targets: I,
        sink: F,
        stop: &'a StopSignal,
    ) -> Result<Self, ScanError> {
        let concurrency = cfg.concurrency.clamp(1, MAX_CONCURRENCY);
        let servers: Vec<SocketAddr> = cfg
            .servers
            .iter()
            .chain(if cfg.dnsbl.is_empty() {
                &[][..]
            } else {
                &cfg.dnsbl_servers[..]
            })
            .copied()
            .collect();
        let pools =
            Pools::new(&servers, cfg.sockets_per_server).map_err(|source| ScanError::Io {
                action: "set up the UDP sockets",
                source,
            })?;
        let start = Instant::now();
        let slots = (0..concurrency)
            .map(|_| Slot {
                state: State::Free,
                seq: 0,
                owner: Owner::Addr(0),
                qname: Vec::with_capacity(packet::MAX_NAME),
                qtype: 0,
                tries: 0,
                edns: false,
                tcp: false,
                followup: false,
                trail: Trail::default(),
                malformed: false,
                last_server: usize::MAX,
                refused_by: usize::MAX,
                sent: start,
            })
            .collect();
        Ok(Self {
            cfg,
            main_servers: cfg.servers.len(),
            attempts: cfg.attempts.max(1),
            max_active: concurrency * 2 + 16,
            targets,
            sink,
            stop,
            exhausted: false,
            stopping: false,
            send_blocked: None,
            rr: 0,
            rr_bl: 0,
            limiter: budget.global(),
            per_server: servers.iter().filter_map(|s| budget.server(*s)).collect(),
            paces: servers.iter().map(|_| Pace::new(start)).collect(),
            throttled: 0,
            slots,
            free_slots: (0..concurrency as u32).rev().collect(),
            addrs: Vec::new(),
            free_addrs: Vec::new(),
            active_addrs: 0,
            fwds: Vec::new(),
            free_fwds: Vec::new(),
            fwd_inflight: HashMap::default(),
            fwd_wait: VecDeque::new(),
            bl_wait: VecDeque::new(),
            cache: FwdCache::new(cfg.forward_cache_size),
            send_q: VecDeque::new(),
            timeouts: VecDeque::new(),
            delayed: BinaryHeap::new(),
            tcp: JoinSet::new(),
            tcp_cap: cfg.max_tcp_connections.max(1),
            tcp_wait: VecDeque::new(),
            replies_seen: 0,
            held: Vec::new(),
            out: ScanOutcome {
                socket_buffer: pools.granted,
                ..ScanOutcome::default()
            },
            pools,
            send_buf: Vec::with_capacity(512),
            outbox: (0..servers.len())
                .map(|_| Outbox {
                    sock: 0,
                    batch: SendBatch::new(),
                    owners: Vec::with_capacity(SEND_COUNT),
                })
                .collect(),
            recv: RecvBatch::new(),
            scratch: Vec::with_capacity(packet::MAX_NAME),
            found: Found {
                max_names: cfg.max_ptr_names,
                ..Found::default()
            },
            key: Vec::with_capacity(packet::MAX_NAME + 2),
            servers,
        })
    }

    async fn run(&mut self) -> Result<ScanOutcome, ScanError> {
        let start = Instant::now();
        let mut grace_end: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if grace_end.is_none() && self.stop.is_stopped() {
                self.stopping = true;
                grace_end = Some(now + self.cfg.timeout.min(Duration::from_secs(1)));
            }
            if grace_end.is_some_and(|g| now >= g) {
                break;
            }
            self.recv_all(now)?;
            self.expire(now)?;
            let limiter_wake = self.fill(now)?;
            if self.active_addrs == 0 && (self.exhausted || self.stopping) {
                break;
            }

            let mut wake = now + MAX_SLEEP;
            for t in [
                self.timeouts.front().map(|t| t.0),
                self.delayed.peek().map(|d| d.0.0),
                limiter_wake,
                grace_end,
            ]
            .into_iter()
            .flatten()
            {
                wake = wake.min(t);
            }
            let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(wake));
            let event = tokio::select! {
                biased;
                Some(done) = self.tcp.join_next(), if !self.tcp.is_empty() => match done {
                    Ok(done) => Event::Tcp(done),
                    Err(_) => Event::Other,
                },
                () = self.pools.readable() => Event::Other,
                () = self.pools.writable(self.send_blocked) => Event::Other,
                () = sleep => Event::Other,
            };
            if let Event::Tcp(done) = event {
                self.on_tcp(done, Instant::now())?;
            }
        }
        self.out.complete = self.exhausted && self.active_addrs == 0;
        if self.replies_seen == 0 && !self.held.is_empty() && !self.stopping {
            return Err(self.dead());
        }
        self.flush_held();
        self.out.elapsed = start.elapsed();
        self.out.throttled_servers = self
            .paces
            .iter()
            .zip(&self.servers)
            .filter_map(|(p, &server)| p.backoff(server))
            .collect();
        Ok(self.out.clone())
    }

    fn dead(&self) -> ScanError {
        ScanError::NoResolverAnswered {
            servers: self
                .servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            failed: self.held.len(),
        }
    }

    // ----- receiving -----

    fn recv_all(&mut self, now: Instant) -> Result<(), ScanError> {
        let mut k = 0;
        while let Some(&i) = self.pools.live().get(k) {
            k += 1;
            let mut read = 0;
            // (a retired socket closes with the reply to its last query)
            while read < RECV_BATCH && self.pools.is_live(i) {
                let n = match self.recv.recv(self.pools.udp(i), self.cfg.batched_io) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // An ICMP error (port unreachable) reported on the
                    // connected socket: nothing to read now.
                    Err(_) => break,
                };
                let batch = std::mem::replace(&mut self.recv, RecvBatch::empty());
                let mut result = Ok(());
                for m in 0..n {
                    result = self.on_udp(i, batch.message(m), now);
                    if result.is_err() {
                        break;
                    }
                }
                self.recv = batch;
                result?;
                if n == 0 {
                    break;
                }
                read += n;
            }
        }
        Ok(())
    }

    /// Handles one datagram read from the connected socket `sock` (so it came
    /// from that server).
    fn on_udp(&mut self, sock: u32, msg: &[u8], now: Instant) -> Result<(), ScanError> {
        let Ok(header) = Header::parse(msg) else {
            self.out.ignored_packets += 1;
            return Ok(());
        };
        let s = self.pools.slot_of(sock, header.id);
        if s == FREE {
            self.out.ignored_packets += 1;
            return Ok(());
        }
        let slot = &mut self.slots[s as usize];
        let State::Udp { id, sock: sent_on } = slot.state else {
            self.out.ignored_packets += 1;
            return Ok(());
        };
        if id != header.id || sent_on != sock {
            self.out.ignored_packets += 1;
            return Ok(());
        }
        let advertised = if slot.edns {
            usize::from(packet::EDNS_PAYLOAD)
        } else {
            packet::PLAIN_UDP_PAYLOAD
        };
        if msg.len() > advertised {
            // Larger than we said we can take: not read at all (a hostile
            // server's 64 KiB of compression pointers costs nothing). If
            // nothing better comes, the question fails as malformed.
            slot.malformed = true;
            self.out.ignored_packets += 1;
            return Ok(());
        }
        match check_reply(msg, &header, &slot.qname, slot.qtype) {
            Ok(Some((off, tail))) => {
                self.pools.release(sock, header.id);
                slot.seq = slot.seq.wrapping_add(1);
                self.on_reply(s, msg, &header, off, tail, false, now)
            }
            Ok(None) => {
                self.out.ignored_packets += 1;
                Ok(())
            }
            Err(_) => {
                // Keep waiting: the real reply may still come. If none does,
                // the timeout reports this question as malformed.
                slot.malformed = true;
                self.out.ignored_packets += 1;
                Ok(())
            }
        }
    }

    fn on_tcp(&mut self, done: TcpDone, now: Instant) -> Result<(), ScanError> {
        let s = done.slot;
        let slot = &self.slots[s as usize];
        if slot.seq != done.seq || slot.state != State::Tcp {
            return Ok(());
        }
        let msg = match done.result {
            Ok(msg) => msg,
            Err(reason) => {
                if reason == FailureReason::Timeout {
                    self.observe(slot.last_server, Seen::Timeout, slot.sent, now);
                }
                return self.retry_or_fail(s, reason, true, now);
            }
        };
        let checked = Header::parse(&msg).ok().and_then(|h| {
            check_reply(&msg, &h, &slot.qname, slot.qtype)
                .ok()
                .flatten()
                .map(|(off, tail)| (h, off, tail))
        });
        match checked {
            Some((h, off, tail)) => {
                self.slots[s as usize].seq = self.slots[s as usize].seq.wrapping_add(1);
                self.on_reply(s, &msg, &h, off, tail, true, now)
            }
            None => self.retry_or_fail(s, FailureReason::Malformed, true, now),
        }
    }

    /// An accepted reply for question `s`.
    #[allow(clippy::too_many_arguments)]
    fn on_reply(
        &mut self,
        s: u32,
        msg: &[u8],
        header: &Header,
        off: usize,
        tail: Tail,
        via_tcp: bool,
        now: Instant,
    ) -> Result<(), ScanError> {
        self.replies_seen += 1;
        self.out.answers += 1;
        let rcode = Rcode::from_u16(tail.rcode);
        if self.cfg.adaptive_backoff {
            let slot = &mut self.slots[s as usize];
            let (server, sent) = (slot.last_server, slot.sent);
            let parent = parent_key(&slot.qname);
            let seen = if tail.rcode == 5 {
                slot.refused_by = server;
                match self.paces.get_mut(server) {
                    Some(pace) => pace.refused(parent),
                    None => Seen::Clean,
                }
            } else {
                let refused_by = std::mem::replace(&mut slot.refused_by, usize::MAX);
                if let Some(pace) = self.paces.get_mut(refused_by) {
                    pace.refusal_answered_later();
                }
                if let Some(pace) = self.paces.get_mut(server) {
                    pace.answered_under(parent);
                }
                Seen::Clean
            };
            self.observe(server, seen, sent, now);
        }
        let slot = &mut self.slots[s as usize];
        if let Owner::Addr(a) = slot.owner
            && let Some(job) = self.addrs[a as usize].as_mut()
        {
            job.rcode = Some(rcode);
        }
        if header.truncated() {
            if via_tcp {
                return self.finish_failed(s, FailureReason::Truncated);
            }
            slot.tcp = true;
            slot.followup = true;
            slot.state = State::Queued;
            self.send_q.push_front(s);
            return Ok(());
        }
        match tail.rcode {
            // Recursion off means asking an authoritative server directly:
            // an answer without the AA bit is not its own (lame).
            0 | 3 if !self.cfg.recursion_desired && !header.authoritative() => {
                self.finish_failed(s, FailureReason::Malformed)
            }
            0 | 3 => self.on_answer(s, msg, header, off, tail),
            2 | 5 => self.retry_or_fail(s, FailureReason::Rcode(rcode), true, now),
            1 if slot.edns => {
                // Maybe an old server that does not speak EDNS: ask once more
                // without it (a follow-up, like TCP after TC, not a retry).
                slot.edns = false;
                slot.followup = true;
                slot.state = State::Queued;
                self.send_q.push_front(s);
                Ok(())
            }
            _ => self.finish_failed(s, FailureReason::Rcode(rcode)),
        }
    }

    /// A NOERROR or NXDOMAIN reply: walk the answer section along the CNAME
    /// chain from the question's name.
    fn on_answer(
        &mut self,
        s: u32,
        msg: &[u8],
        header: &Header,
        off: usize,
        tail: Tail,
    ) -> Result<(), ScanError> {
        let slot = &mut self.slots[s as usize];
        let want = slot.qtype;
        let mut cur = std::mem::take(&mut self.scratch);
        cur.clear();
        cur.extend_from_slice(&slot.qname);
        let mut found = std::mem::take(&mut self.found);
        let walked = walk_answer(
            msg,
            header,
            off,
            want,
            &mut cur,
            &mut slot.trail,
            &mut found,
        );
        let looped = match walked {
            Err(_) => {
                self.scratch = cur;
                self.found = found;
                return self.retry_or_fail(s, FailureReason::Malformed, true, Instant::now());
            }
            Ok(looped) => looped,
        };
        if let (Owner::Addr(a), false) = (slot.owner, found.chain.is_empty())
            && let Some(job) = self.addrs[a as usize].as_mut()
        {
            job.chain.append(&mut found.chain);
        }
        if looped {
            self.scratch = cur;
            self.found = found;
            return self.finish_failed(s, FailureReason::CnameLoop);
        }
        let nx = tail.rcode == 3;
        let (advanced, hops) = (found.advanced, slot.trail.hops);
        let outcome = if want == TYPE_PTR {
            if !found.names.is_empty() {
                Outcome::Names
            } else if advanced && !nx {
                Outcome::Hop
            } else if nx && hops == 0 {
                Outcome::Final(Err(PtrAnswer::NxDomain))
            } else if !nx && is_referral(header, &tail) {
                // A referral: this server does not know and will not recurse.
                Outcome::Final(Err(PtrAnswer::Failed(FailureReason::Malformed)))
            } else if hops == 0 {
                Outcome::Final(Err(PtrAnswer::NoData))
            } else {
                Outcome::Final(Err(PtrAnswer::BrokenDelegation {
                    target: DnsName::from_labels(packet::labels(&cur)),
                }))
            }
        } else if !found.addrs.is_empty() {
            Outcome::Final(Ok(ForwardAnswer::Addresses(std::mem::take(
                &mut found.addrs,
            ))))
        } else if advanced && !nx {
            Outcome::Hop
        } else if nx {
            Outcome::Final(Ok(ForwardAnswer::NxDomain))
        } else if is_referral(header, &tail) {
            Outcome::Final(Ok(ForwardAnswer::Failed(FailureReason::Malformed)))
        } else {
            Outcome::Final(Ok(ForwardAnswer::NoData))
        };
        self.found = found;
        match outcome {
            Outcome::Hop => {
                // The chain leaves what this reply covers: ask for its end.
                slot.qname.clear();
                slot.qname.extend_from_slice(&cur);
                slot.tries = 0;
                slot.tcp = false;
                slot.followup = false;
                slot.edns = self.cfg.edns;
                slot.malformed = false;
                slot.state = State::Queued;
                self.send_q.push_back(s);
                self.scratch = cur;
                Ok(())
            }
            Outcome::Names => {
                self.scratch = cur;
                self.finish_ptr_names(s)
            }
            Outcome::Final(answer) => {
                self.scratch = cur;
                self.finish_any(s, answer)
            }
        }
    }

    // ----- finishing questions -----

    fn free_slot(&mut self, s: u32) -> Owner {
        let slot = &mut self.slots[s as usize];
        slot.state = State::Free;
        slot.seq = slot.seq.wrapping_add(1);
        slot.trail.clear();
        self.free_slots.push(s);
        slot.owner
    }

    /// Feeds one outcome of a query to `server` to its adaptive rate. Timeouts
    /// of a server that never answered do not count: it is down, not
    /// rate-limiting, and the dead-resolver check should see it at full speed.
    fn observe(&mut self, server: usize, seen: Seen, sent: Instant, now: Instant) {
        if !self.cfg.adaptive_backoff {
            return;
        }
        let Some(pace) = self.paces.get_mut(server) else {
            return;
        };
        if !pace.alive(seen) {
            return;
        }
        let was = pace.throttled();
        let configured = self.cfg.qps_per_server.map(|q| f64::from(q.get()));
        if let Some(cut) = pace.observe(seen != Seen::Clean, sent, now, configured) {
            if cut {
                self.out.backoff_events += 1;
            }
            match (was, pace.throttled()) {
                (false, true) => self.throttled += 1,
                (true, false) => self.throttled -= 1,
                _ => {}
            }
        }
    }

    /// True when a retry of a question that just failed at `server` should
    /// wait a full timeout: that server is being slowed down and there is no
    /// other server at full speed to send it to.
    fn hold_retry(&self, server: usize) -> bool {
        self.throttled > 0
            && self.paces.get(server).is_some_and(Pace::throttled)
            && (self.paces.len() == 1 || self.throttled == self.paces.len())
    }

    fn retry_or_fail(
        &mut self,
        s: u32,
        reason: FailureReason,
        delay: bool,
        now: Instant,
    ) -> Result<(), ScanError> {
        let slot = &mut self.slots[s as usize];
        if slot.tries >= self.attempts {
            return self.finish_failed(s, reason);
        }
        slot.seq = slot.seq.wrapping_add(1);
        let hold = self.throttled > 0
            && matches!(
                reason,
                FailureReason::Timeout | FailureReason::Rcode(Rcode::Refused)
            )
            && self.hold_retry(self.slots[s as usize].last_server);
        let slot = &mut self.slots[s as usize];
        if delay || hold {
            let shift = slot.tries.saturating_sub(1).min(16);
            let wait = if hold {
                self.cfg.timeout
            } else {
                self.cfg
                    .backoff
                    .saturating_mul(1 << shift)
                    .min(self.cfg.timeout)
            };
            slot.state = State::Delayed;
            self.delayed.push(Reverse((now + wait, s, slot.seq)));
        } else {
            slot.state = State::Queued;
            self.send_q.push_front(s);
        }
        Ok(())
    }

    fn finish_failed(&mut self, s: u32, reason: FailureReason) -> Result<(), ScanError> {
        match self.slots[s as usize].owner {
            Owner::Addr(_) => self.finish_any(s, Err(PtrAnswer::Failed(reason))),
            Owner::Fwd(_) | Owner::Bl { .. } => {
                self.finish_any(s, Ok(ForwardAnswer::Failed(reason)))
            }
        }
    }

    /// Final answer of question `s`: a PTR outcome (`Err(PtrAnswer)`, named so
    /// because it is not a list of names) or a forward outcome.
    fn finish_any(
        &mut self,
        s: u32,
        answer: Result<ForwardAnswer, PtrAnswer>,
    ) -> Result<(), ScanError> {
        let owner = self.free_slot(s);
        match (owner, answer) {
            (Owner::Addr(a), Err(ptr)) => {
                let Some(job) = self.addrs[a as usize].as_mut() else {
                    return Ok(());
                };
                job.answer = Some(ptr);
                if job.pending == 0 {
                    self.deliver(a)
                } else {
                    Ok(())
                }
            }
            (Owner::Bl { addr, list }, answer) => {
                let answer = match answer {
                    Ok(outcome) => dnsbl::answer_of(outcome),
                    Err(_) => DnsblAnswer::Failed(FailureReason::Malformed),
                };
                self.finish_bl(addr, list, answer)
            }
            (Owner::Fwd(f), Ok(fwd)) => self.finish_fwd(f, fwd),
            (Owner::Addr(a), Ok(fwd)) => {
                // Unreachable by construction; keep the address accounted for.
                let Some(job) = self.addrs[a as usize].as_mut() else {
                    return Ok(());
                };
                job.answer = Some(PtrAnswer::Failed(match fwd {
                    ForwardAnswer::Failed(r) => r,
                    _ => FailureReason::Malformed,
                }));
                if job.pending == 0 {
                    self.deliver(a)
                } else {
                    Ok(())
                }
            }
            (Owner::Fwd(f), Err(_)) => {
                self.finish_fwd(f, ForwardAnswer::Failed(FailureReason::Malformed))
            }
        }
    }

    /// The PTR question of an address found names (in `self.found`): record
    /// them and start (or join, or take from the cache) the forward lookups.
    fn finish_ptr_names(&mut self, s: u32) -> Result<(), ScanError> {
        let owner = self.free_slot(s);
        let Owner::Addr(a) = owner else {
            return Ok(());
        };
        let found = std::mem::take(&mut self.found);
        let result = self.start_forwards(a, &found.names);
        self.found = found;
        result
    }

    fn start_forwards(&mut self, a: u32, names: &NameList) -> Result<(), ScanError> {
        let Some(job) = self.addrs[a as usize].as_mut() else {
            return Ok(());
        };
        let dns_names: Vec<DnsName> = names
            .iter()
            .map(|n| DnsName::from_labels(packet::labels(n)))
            .collect();
        let qtype = if job.target.ip.is_ipv4() {
            TYPE_A
        } else {
            TYPE_AAAA
        };
        if self.cfg.forward {
            let mut asked = 0;
            for (i, wire_name) in names.iter().enumerate() {
                if asked >= self.cfg.max_forward_per_address {
                    break;
                }
                // one forward lookup per distinct name (names differ only in case: the same)
                if names
                    .iter()
                    .take(i)
                    .any(|earlier| earlier.eq_ignore_ascii_case(wire_name))
                {
                    continue;
                }
                asked += 1;
                let mut key = std::mem::take(&mut self.key);
                key.clear();
                key.extend_from_slice(wire_name);
                packet::lowercase_wire(&mut key);
                key.extend_from_slice(&qtype.to_be_bytes());
                let job = self.addrs[a as usize]
                    .as_mut()
                    .expect("address job is live");
                let pos = job.forward.len() as u32;
                job.forward.push((dns_names[i].clone(), None));
                if let Some(answer) = self.cache.get(&key) {
                    job.forward[pos as usize].1 = Some(answer.clone());
                    self.out.forward_shared += 1;
                } else if let Some(&f) = self.fwd_inflight.get(&key[..]) {
                    job.pending += 1;
                    if let Some(fj) = self.fwds[f as usize].as_mut() {
                        fj.waiters.push((a, pos));
                    }
                    self.out.forward_shared += 1;
                } else {
                    job.pending += 1;
                    let shared: Rc<[u8]> = Rc::from(&key[..]);
                    let fj = FwdJob {
                        key: shared.clone(),
                        qname: wire_name.to_vec(),
                        qtype,
                        waiters: vec![(a, pos)],
                    };
                    let f = put(&mut self.fwds, &mut self.free_fwds, fj);
                    self.fwd_inflight.insert(shared, f);
                    self.fwd_wait.push_back(f);
                }
                self.key = key;
            }
        }
        let Some(job) = self.addrs[a as usize].as_mut() else {
            return Ok(());
        };
        job.answer = Some(PtrAnswer::Names(dns_names));
        if job.pending == 0 {
            self.deliver(a)
        } else {
            Ok(())
        }
    }

    /// Blocklist `list` answered for address job `a`: delivered once the PTR
    /// side is done too.
    fn finish_bl(&mut self, a: u32, list: u32, answer: DnsblAnswer) -> Result<(), ScanError> {
        let Some(job) = self.addrs[a as usize].as_mut() else {
            return Ok(());
        };
        if let Some(entry) = job.dnsbl.get_mut(list as usize) {
            *entry = Some(answer);
        }
        job.pending = job.pending.saturating_sub(1);
        if job.pending == 0 && job.answer.is_some() {
            self.deliver(a)
        } else {
            Ok(())
        }
    }

    fn finish_fwd(&mut self, f: u32, answer: ForwardAnswer) -> Result<(), ScanError> {
        let Some(job) = self.fwds[f as usize].take() else {
            return Ok(());
        };
        self.free_fwds.push(f);
        self.fwd_inflight.remove(&job.key);
        for &(a, pos) in &job.waiters {
            let Some(addr) = self.addrs[a as usize].as_mut() else {
                continue;
            };
            if let Some(entry) = addr.forward.get_mut(pos as usize) {
                entry.1 = Some(answer.clone());
            }
            addr.pending = addr.pending.saturating_sub(1);
            if addr.pending == 0 {
                self.deliver(a)?;
            }
        }
        self.cache.insert(job.key, answer);
        Ok(())
    }

    fn deliver(&mut self, a: u32) -> Result<(), ScanError> {
        let Some(job) = self.addrs[a as usize].take() else {
            return Ok(());
        };
        self.free_addrs.push(a);
        self.active_addrs -= 1;
        let lookup = Lookup {
            rcode: job.rcode,
            answer: job
                .answer
                .unwrap_or(PtrAnswer::Failed(FailureReason::Timeout)),
            cname_chain: job.chain,
            attempts: job.attempts,
            forward: job
                .forward
                .into_iter()
                .map(|(n, ans)| {
                    (
                        n,
                        ans.unwrap_or(ForwardAnswer::Failed(FailureReason::Timeout)),
                    )
                })
                .collect(),
            dnsbl: if job.dnsbl.is_empty() {
                Vec::new()
            } else {
                job.dnsbl
                    .into_iter()
                    .zip(&self.cfg.dnsbl)
                    .map(|(answer, zone)| {
                        (
                            Arc::clone(zone.list()),
                            answer.unwrap_or_else(dnsbl::unanswered),
                        )
                    })
                    .collect()
            },
        };
        if self.replies_seen == 0 {
            self.held.push((job.target, lookup));
            if self.held.len() >= self.cfg.dead_resolver_after.max(1) {
                return Err(self.dead());
            }
            return Ok(());
        }
        self.flush_held();
        self.out.addresses += 1;
        (self.sink)(job.target, lookup);
        Ok(())
    }

    fn flush_held(&mut self) {
        for (target, lookup) in std::mem::take(&mut self.held) {
            self.out.addresses += 1;
            (self.sink)(target, lookup);
        }
    }

    // ----- timers -----

    fn expire(&mut self, now: Instant) -> Result<(), ScanError> {
        // Entries of answered queries are dropped from the front as soon as
        // they get there, so the queue stays about as long as the window.
        while let Some(&(deadline, s, seq)) = self.timeouts.front() {
            let slot = &mut self.slots[s as usize];
            let State::Udp { id, sock } = slot.state else {
                self.timeouts.pop_front();
                continue;
            };
            if slot.seq != seq {
                self.timeouts.pop_front();
                continue;
            }
            if deadline > now {
                break;
            }
            self.timeouts.pop_front();
            let (server, sent) = (slot.last_server, slot.sent);
            self.pools.release(sock, id);
            self.out.timeouts += 1;
            self.observe(server, Seen::Timeout, sent, now);
            let slot = &self.slots[s as usize];
            let reason = if slot.malformed {
                FailureReason::Malformed
            } else {
                FailureReason::Timeout
            };
            self.retry_or_fail(s, reason, false, now)?;
        }
        while let Some(Reverse((t, s, seq))) = self.delayed.peek().copied() {
            if t > now {
                break;
            }
            self.delayed.pop();
            let slot = &mut self.slots[s as usize];
            if slot.seq == seq && slot.state == State::Delayed {
                slot.state = State::Queued;
                self.send_q.push_back(s);
            }
        }
        Ok(())
    }

    // ----- sending -----

    /// Sends as much as the window, the queues and the limiters allow; returns
    /// when the limiter will next allow a send, if it is what stopped us.
    fn fill(&mut self, now: Instant) -> Result<Option<Instant>, ScanError> {
        self.send_blocked = None;
        self.flush_all(now)?;
        if self.send_blocked.is_some() {
            return Ok(None);
        }
        let wake = self.queue_sends(now)?;
        self.flush_all(now)?;
        Ok(wake)
    }

    /// Builds queries for as much as the window, the queues and the limiters
    /// allow, handing them to the kernel in batches.
    fn queue_sends(&mut self, now: Instant) -> Result<Option<Instant>, ScanError> {
        loop {
            let tcp_free = self.tcp.len() < self.tcp_cap;
            let (s, waited) = if let (Some(&s), true) = (self.tcp_wait.front(), tcp_free) {
                (s, true)
            } else if let Some(&s) = self.send_q.front() {
                if self.slots[s as usize].tcp && !tcp_free {
                    // every TCP connection allowed is open: wait for one to end
                    self.send_q.pop_front();
                    self.tcp_wait.push_back(s);
                    continue;
                }
                (s, false)
            } else if !self.fwd_wait.is_empty() && !self.free_slots.is_empty() {
                let f = self.fwd_wait.pop_front().expect("not empty");
                let Some(job) = self.fwds[f as usize].as_mut() else {
                    continue;
                };
                let s = self.free_slots.pop().expect("not empty");
                let qname = std::mem::take(&mut job.qname);
                let qtype = job.qtype;
                self.start_question(s, Owner::Fwd(f), &qname, qtype);
                continue;
            } else if !self.bl_wait.is_empty() && !self.free_slots.is_empty() {
                let (a, list) = self.bl_wait.pop_front().expect("not empty");
                let Some(job) = self.addrs[a as usize].as_ref() else {
                    continue;
                };
                let mut qname = std::mem::take(&mut self.scratch);
                dnsbl::push_query_name(&mut qname, job.target.ip, &self.cfg.dnsbl[list as usize]);
                let s = self.free_slots.pop().expect("not empty");
                self.start_question(s, Owner::Bl { addr: a, list }, &qname, TYPE_A);
                self.scratch = qname;
                continue;
            } else if !self.stopping
                && !self.exhausted
                && !self.free_slots.is_empty()
                && self.active_addrs < self.max_active
            {
                let Some(target) = self.targets.next() else {
                    self.exhausted = true;
                    continue;
                };
                let mut qname = std::mem::take(&mut self.scratch);
                qname.clear();
                packet::push_reverse_name(&mut qname, target.ip);
                let lists = self.cfg.dnsbl.len();
                let job = AddrJob {
                    target,
                    attempts: 0,
                    rcode: None,
                    chain: Vec::new(),
                    answer: None,
                    forward: Vec::new(),
                    dnsbl: if lists == 0 {
                        Vec::new()
                    } else {
                        vec![None; lists]
                    },
                    pending: lists as u32,
                };
                let a = put(&mut self.addrs, &mut self.free_addrs, job);
                self.active_addrs += 1;
                for list in 0..lists as u32 {
                    self.bl_wait.push_back((a, list));
                }
                let s = self.free_slots.pop().expect("not empty");
                self.start_question(s, Owner::Addr(a), &qname, TYPE_PTR);
                self.scratch = qname;
                continue;
            } else {
                return Ok(None);
            };
            let slot = &self.slots[s as usize];
            let (avoid, bl) = (slot.last_server, matches!(slot.owner, Owner::Bl { .. }));
            let server = match self.admit(now, avoid, bl) {
                Ok(server) => server,
                Err(wake) => return Ok(Some(wake)),
            };
            if waited {
                self.tcp_wait.pop_front();
            } else {
                self.send_q.pop_front();
            }
            self.send(s, server, now)?;
            if self.send_blocked.is_some() {
                return Ok(None);
            }
        }
    }

    /// Hands every server's queued queries to the kernel.
    fn flush_all(&mut self, now: Instant) -> Result<(), ScanError> {
        for server in 0..self.outbox.len() {
            self.flush(server, now)?;
            if self.send_blocked.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Sends the queries queued for `server`, [`SEND_COUNT`] per system call.
    /// When the socket is full the rest stays queued and `send_blocked` is
    /// set; a query the kernel refuses (say, the server's port is closed)
    /// fails like a lost one, with the error as its reason.
    fn flush(&mut self, server: usize, now: Instant) -> Result<(), ScanError> {
        let Outbox {
            sock,
            mut batch,
            mut owners,
        } = std::mem::take(&mut self.outbox[server]);
        let mut done = 0;
        let mut result = Ok(());
        while done < batch.len() {
            let upto = (done + SEND_COUNT).min(batch.len());
            match batch.send(self.pools.udp(sock), done, upto, self.cfg.batched_io) {
                Ok(0) => {
                    self.send_blocked = Some(sock);
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.send_blocked = Some(sock);
                    break;
                }
                Err(e) => {
                    let (s, id) = owners[done];
                    done += 1;
                    let slot = &self.slots[s as usize];
                    if slot.state == (State::Udp { id, sock }) {
                        self.pools.release(sock, id);
                        let reason = FailureReason::Network(e.kind().to_string());
                        result = self.retry_or_fail(s, reason, true, now);
                        if result.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        if done == batch.len() {
            batch.clear();
            owners.clear();
        } else {
            batch.drain_front(done);
            owners.drain(..done);
        }
        self.outbox[server] = Outbox {
            sock,
            batch,
            owners,
        };
        result
    }

    fn start_question(&mut self, s: u32, owner: Owner, qname: &[u8], qtype: u16) {
        let slot = &mut self.slots[s as usize];
        slot.owner = owner;
        slot.qname.clear();
        slot.qname.extend_from_slice(qname);
        slot.qtype = qtype;
        slot.tries = 0;
        slot.edns = self.cfg.edns;
        slot.tcp = false;
        slot.followup = false;
        slot.trail.clear();
        slot.malformed = false;
        slot.last_server = usize::MAX;
        slot.refused_by = usize::MAX;
        slot.seq = slot.seq.wrapping_add(1);
        slot.state = State::Queued;
        self.send_q.push_back(s);
    }

    /// Takes a token from the limiters and picks the server (a blocklist
    /// server for a blocklist question, `bl`, when there are any); `Err`
    /// holds when to try again.
    fn admit(&mut self, now: Instant, avoid: usize, bl: bool) -> Result<usize, Instant> {
        let (base, n, rr) = if bl && self.servers.len() > self.main_servers {
            (
                self.main_servers,
                self.servers.len() - self.main_servers,
                self.rr_bl,
            )
        } else {
            (0, self.main_servers, self.rr)
        };
        let avoid = avoid.wrapping_sub(base);
        let mut server = rr % n;
        if n > 1 && server == avoid {
            server = (server + 1) % n;
        }
        if !self.per_server.is_empty() || self.throttled > 0 {
            let mut wake: Option<Instant> = None;
            let mut chosen = None;
            for k in 0..n {
                let i = (rr + k) % n;
                if n > 1 && i == avoid {
                    continue;
                }
                let i = base + i;
                // the adaptive pace first: it only looks, the limiter spends
                if let Err(at) = self.paces[i].ready(now) {
                    wake = Some(wake.map_or(at, |x| x.min(at)));
                    continue;
                }
                let Some(limiter) = self.per_server.get(i) else {
                    chosen = Some(i);
                    break;
                };
                match limiter.check() {
                    Ok(()) => {
                        chosen = Some(i);
                        break;
                    }
                    Err(not_until) => {
                        let at = now + not_until.wait_time_from(limiter.clock().now());
                        wake = Some(wake.map_or(at, |x| x.min(at)));
                    }
                }
            }
            match chosen {
                Some(i) => server = i - base,
                None => return Err(wake.unwrap_or(now + Duration::from_millis(1))),
            }
        }
        let next = server + 1;
        let server = base + server;
        if let Some(limiter) = &self.limiter
            && let Err(not_until) = limiter.check()
        {
            return Err(now + not_until.wait_time_from(limiter.clock().now()));
        }
        if self.throttled > 0 {
            self.paces[server].take(now);
        }
        if base == 0 {
            self.rr = next;
        } else {
            self.rr_bl = next;
        }
        Ok(server)
    }

    /// Sends question `s` to `server`: over UDP, queues it for the next
    /// batch (the ID is taken now, so no query of the batch can reuse it).
    fn send(&mut self, s: u32, server: usize, now: Instant) -> Result<(), ScanError> {
        let addr = self.servers[server];
        let slot = &self.slots[s as usize];
        let (qtype, edns, tcp) = (slot.qtype, slot.edns, slot.tcp);
        // A UDP query joins the server's batch, which goes out on one socket
        // of its pool (the next one for a new batch); its ID is taken now, so
        // no other query of the batch can have it.
        let (id, sock) = if tcp {
            (self.pools.random_id(), 0)
        } else {
            let outbox = &mut self.outbox[server];
            if outbox.batch.len() == 0 {
                outbox.sock = self.pools.next_for(server);
            }
            let sock = outbox.sock;
            let id = self.pools.free_id(sock);
            self.pools.bind_id(sock, id, s);
            (id, sock)
        };
        let slot = &self.slots[s as usize];
        packet::build_query(&mut self.send_buf, id, &slot.qname, qtype, edns && !tcp);
        packet::set_recursion_desired(&mut self.send_buf, self.cfg.recursion_desired);
        if !tcp {
            let outbox = &mut self.outbox[server];
            outbox.batch.push(&self.send_buf);
            outbox.owners.push((s, id));
        }

        let slot = &mut self.slots[s as usize];
        slot.last_server = server;
        slot.sent = now;
        if self.cfg.adaptive_backoff {
            self.paces[server].sent(now);
        }
        let retry = slot.tries > 0 && !slot.followup;
        if !slot.followup {
            slot.tries += 1;
        }
        slot.followup = false;
        self.out.queries_sent += 1;
        if retry {
            self.out.retries += 1;
        }
        match slot.owner {
            Owner::Addr(a) => {
                self.out.ptr_queries += 1;
                if let Some(job) = self.addrs[a as usize].as_mut() {
                    job.attempts += 1;
                }
            }
            Owner::Fwd(_) => self.out.forward_queries += 1,
            Owner::Bl { .. } => self.out.dnsbl_queries += 1,
        }
        slot.seq = slot.seq.wrapping_add(1);
        if tcp {
            slot.state = State::Tcp;
            self.out.tcp_queries += 1;
            let (seq, query, timeout) = (slot.seq, self.send_buf.clone(), self.cfg.timeout);
            self.tcp.spawn(async move {
                TcpDone {
                    slot: s,
                    seq,
                    result: tcp::exchange(addr, query, id, timeout).await,
                }
            });
        } else {
            slot.state = State::Udp { id, sock };
            self.timeouts
                .push_back((now + self.cfg.timeout, s, slot.seq));
            if self.outbox[server].batch.len() >= SEND_COUNT {
                self.flush(server, now)?;
            }
        }
        Ok(())
    }
}
