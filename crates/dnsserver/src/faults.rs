//! A fault-injecting DNS proxy for tests: [`FaultProxy`] listens on
//! `127.0.0.1` (UDP and TCP, one ephemeral port) in front of a real DNS
//! server and, per query, by a seeded schedule ([`FaultPlan`]), relays the
//! real answer, drops the query, answers late, answers SERVFAIL, answers
//! with TC set and no records (the TCP retry is then answered normally),
//! sends a malformed or a mismatched packet, or closes the TCP connection.
//!
//! The schedule is deterministic: the fault for a query depends only on the
//! seed, the query's name and type, the protocol, and how many times that
//! name and type were asked before ([`FaultPlan::decide`]), not on arrival
//! order or message IDs, so a concurrent scan meets the same faults on every
//! run.
//!
//! ```
//! use std::time::Duration;
//! use ptr_audit_dnsserver::faults::{Fault, FaultPlan};
//! let plan = FaultPlan { seed: 7, drop: 0.5, ..FaultPlan::clean() };
//! let first = plan.decide("5.113.0.203.in-addr.arpa.", "PTR", 0, false);
//! assert!(matches!(first, Fault::Normal | Fault::Drop));
//! assert_eq!(first, plan.decide("5.113.0.203.in-addr.arpa.", "PTR", 0, false));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::background::Background;
use crate::message::{self, Question};
use crate::server::ARRIVAL_LOG_CAP;
use crate::{Stats, ZoneError};

/// How long the proxy waits for the upstream server's reply.
const UPSTREAM_WAIT: Duration = Duration::from_secs(3);

/// What the proxy does with one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fault {
    /// Relay the upstream server's reply.
    Normal,
    /// Send nothing.
    Drop,
    /// Relay the real reply after [`FaultPlan::late`]'s delay.
    Late,
    /// Answer SERVFAIL (synthesised from the query).
    ServFail,
    /// Answer with TC set and no records (UDP only; over TCP it is `Normal`).
    Truncate,
    /// Send a packet with the query's ID that does not parse.
    Malformed,
    /// Send the real reply with another ID or another question name.
    Mismatched,
    /// Close the TCP connection without answering (TCP only; over UDP it is `Normal`).
    TcpClose,
}

impl Fault {
    /// Every fault kind, in the order [`FaultPlan::decide`] draws them.
    pub const ALL: [Fault; 8] = [
        Fault::Normal,
        Fault::Drop,
        Fault::Late,
        Fault::ServFail,
        Fault::Truncate,
        Fault::Malformed,
        Fault::Mismatched,
        Fault::TcpClose,
    ];

    /// A short lowercase name (`"servfail"`, `"tcp-close"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Normal => "normal",
            Fault::Drop => "drop",
            Fault::Late => "late",
            Fault::ServFail => "servfail",
            Fault::Truncate => "truncate",
            Fault::Malformed => "malformed",
            Fault::Mismatched => "mismatched",
            Fault::TcpClose => "tcp-close",
        }
    }
}

/// The probabilities of each fault (each in `0.0..=1.0`, summing to at most
/// 1; the rest is answered normally) and the schedule's seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    /// Seeds the schedule.
    pub seed: u64,
    /// Probability of dropping a query.
    pub drop: f64,
    /// Probability of answering late, and the delay.
    pub late: (f64, Duration),
    /// Probability of answering SERVFAIL.
    pub servfail: f64,
    /// Probability of answering TC with no records (UDP queries only).
    pub truncate: f64,
    /// Probability of sending a malformed packet.
    pub malformed: f64,
    /// Probability of sending a reply with a wrong ID or question.
    pub mismatched: f64,
    /// Probability of closing the connection (TCP queries only).
    pub tcp_close: f64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self::clean()
    }
}

/// splitmix64: a tiny, well-mixed PRNG step.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a, to fold a name into the PRNG key.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl FaultPlan {
    /// No faults: every query is relayed (seed 0).
    pub fn clean() -> Self {
        Self {
            seed: 0,
            drop: 0.0,
            late: (0.0, Duration::ZERO),
            servfail: 0.0,
            truncate: 0.0,
            malformed: 0.0,
            mismatched: 0.0,
            tcp_close: 0.0,
        }
    }

    /// The 64 random bits for the `occurrence`-th query (0-based) of `name`
    /// and `qtype` over `tcp` or UDP.
    pub fn noise(&self, name: &str, qtype: &str, occurrence: u64, tcp: bool) -> u64 {
        let key = fnv1a(name.to_ascii_lowercase().as_bytes())
            ^ fnv1a(qtype.to_ascii_uppercase().as_bytes()).rotate_left(17)
            ^ occurrence.wrapping_mul(0x2545_f491_4f6c_dd1d)
            ^ u64::from(tcp) << 63;
        splitmix64(splitmix64(self.seed) ^ key)
    }

    /// The fault for the `occurrence`-th query (0-based) of `name` and
    /// `qtype` over `tcp` or UDP. Deterministic.
    pub fn decide(&self, name: &str, qtype: &str, occurrence: u64, tcp: bool) -> Fault {
        let noise = self.noise(name, qtype, occurrence, tcp);
        // 53 random bits as a float in [0, 1).
        let draw = (noise >> 11) as f64 / (1u64 << 53) as f64;
        let slices = [
            (Fault::Drop, self.drop),
            (Fault::Late, self.late.0),
            (Fault::ServFail, self.servfail),
            (Fault::Truncate, self.truncate),
            (Fault::Malformed, self.malformed),
            (Fault::Mismatched, self.mismatched),
            (Fault::TcpClose, self.tcp_close),
        ];
        let mut edge = 0.0;
        for (fault, p) in slices {
            edge += p.max(0.0);
            if draw < edge {
                return match (fault, tcp) {
                    (Fault::Truncate, true) | (Fault::TcpClose, false) => Fault::Normal,
                    _ => fault,
                };
            }
        }
        Fault::Normal
    }
}

/// What a [`FaultProxy`] did so far, per fault kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Queries handled per fault kind (a `Normal` or `Late` whose upstream
    /// reply never came is counted under `Normal`/`Late` too).
    pub by_fault: BTreeMap<Fault, u64>,
    /// `Normal`/`Late`/`Mismatched`/`Malformed` queries for which the upstream server
    /// sent no reply in time.
    pub upstream_lost: u64,
}

impl FaultCounts {
    /// Queries handled with `fault`.
    pub fn get(&self, fault: Fault) -> u64 {
        self.by_fault.get(&fault).copied().unwrap_or(0)
    }

    /// Queries handled in all.
    pub fn total(&self) -> u64 {
        self.by_fault.values().sum()
    }
}

#[derive(Debug, Default)]
struct State {
    counts: FaultCounts,
    stats: Stats,
    seen: HashMap<(String, String, bool), u64>,
    answered: BTreeSet<(String, String)>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    plan: Mutex<FaultPlan>,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the query and decides its fault; returns the fault and noise.
    fn admit(&self, q: &Question, tcp: bool) -> (Fault, u64) {
        let plan = *self.plan.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = self.state();
        let n = st
            .seen
            .entry((q.name.clone(), q.qtype.clone(), tcp))
            .or_default();
        let occurrence = *n;
        *n += 1;
        let fault = plan.decide(&q.name, &q.qtype, occurrence, tcp);
        let noise = plan
            .noise(&q.name, &q.qtype, occurrence, tcp)
            .rotate_left(29);
        *st.counts.by_fault.entry(fault).or_default() += 1;
        st.stats.total += 1;
        if tcp {
            st.stats.tcp += 1;
        }
        *st.stats.by_qtype.entry(q.qtype.clone()).or_default() += 1;
        if st.stats.arrivals.len() < ARRIVAL_LOG_CAP {
            st.stats.arrivals.push(Instant::now());
        }
        (fault, noise)
    }

    fn late_delay(&self) -> Duration {
        self.plan.lock().unwrap_or_else(|e| e.into_inner()).late.1
    }

    fn answered(&self, q: &Question) {
        self.state()
            .answered
            .insert((q.name.clone(), q.qtype.clone()));
    }

    fn lost(&self) {
        self.state().counts.upstream_lost += 1;
    }

    /// Asks the upstream server over UDP or TCP.
    async fn upstream(&self, query: &[u8], tcp: bool) -> Option<Vec<u8>> {
        let ask = async {
            if tcp {
                upstream_tcp(self.upstream, query).await
            } else {
                upstream_udp(self.upstream, query).await
            }
        };
        match tokio::time::timeout(UPSTREAM_WAIT, ask).await {
            Ok(Ok(reply)) => Some(reply),
            _ => {
                self.lost();
                None
            }
        }
    }

    /// What to send back for one query (`None`: nothing; over TCP a `None`
    /// with [`Fault::TcpClose`] closes the connection).
    async fn respond(&self, query: &[u8], tcp: bool) -> (Fault, Option<Vec<u8>>) {
        let Some(q) = message::question(query) else {
            return (Fault::Drop, None);
        };
        let (fault, noise) = self.admit(&q, tcp);
        let reply = match fault {
            Fault::Drop | Fault::TcpClose => None,
            Fault::ServFail => Some(message::empty_reply(query, &q, 2, false)),
            Fault::Truncate => Some(message::empty_reply(query, &q, 0, true)),
            Fault::Normal | Fault::Late => {
                if fault == Fault::Late {
                    tokio::time::sleep(self.late_delay()).await;
                }
                let reply = self.upstream(query, tcp).await;
                if reply.is_some() && fault == Fault::Normal {
                    self.answered(&q);
                }
                reply
            }
            Fault::Malformed => {
                let real = self.upstream(query, tcp).await;
                Some(message::malformed(query, real.as_deref(), noise))
            }
            Fault::Mismatched => self.upstream(query, tcp).await.map(|real| {
                if noise & 1 == 0 {
                    message::wrong_id(real)
                } else {
                    message::wrong_question(real)
                }
            }),
        };
        (fault, reply)
    }
}

async fn upstream_udp(upstream: SocketAddr, query: &[u8]) -> std::io::Result<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    sock.connect(upstream).await?;
    sock.send(query).await?;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = sock.recv(&mut buf).await?;
        if message::id(&buf[..n]) == message::id(query) {
            buf.truncate(n);
            return Ok(buf);
        }
    }
}

async fn upstream_tcp(upstream: SocketAddr, query: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).await?;
    write_framed(&mut stream, query).await?;
    read_framed(&mut stream).await
}

async fn write_framed<W: AsyncWriteExt + Unpin>(w: &mut W, msg: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(msg.len()).map_err(|_| std::io::Error::other("message too long"))?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    w.write_all(&framed).await
}

async fn read_framed<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len).await?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    r.read_exact(&mut msg).await?;
    Ok(msg)
}

async fn serve_udp(sock: Arc<UdpSocket>, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65535];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            tokio::task::yield_now().await;
            continue;
        };
        let query = buf[..n].to_vec();
        let (sock, shared) = (Arc::clone(&sock), Arc::clone(&shared));
        tokio::spawn(async move {
            if let (_, Some(reply)) = shared.respond(&query, false).await {
                let _ = sock.send_to(&reply, peer).await;
            }
        });
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::task::yield_now().await;
            continue;
        };
        tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let (mut reader, writer) = stream.into_split();
    let writer = Arc::new(tokio::sync::Mutex::new(writer));
    let (closing_tx, mut closing_rx) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        let query = tokio::select! {
            q = read_framed(&mut reader) => match q { Ok(q) => q, Err(_) => break },
            _ = closing_rx.recv() => break,
        };
        let (shared, writer, closing) =
            (Arc::clone(&shared), Arc::clone(&writer), closing_tx.clone());
        tokio::spawn(async move {
            match shared.respond(&query, true).await {
                (_, Some(reply)) => {
                    let _ = write_framed(&mut *writer.lock().await, &reply).await;
                }
                (Fault::TcpClose, None) => {
                    let _ = writer.lock().await.shutdown().await;
                    let _ = closing.try_send(());
                }
                _ => {}
            }
        });
    }
}

/// A fault-injecting proxy on `127.0.0.1` (UDP and TCP on one ephemeral
/// port) in front of an upstream DNS server, on a thread of its own; see
/// the [module docs](self). Stops when dropped.
pub struct FaultProxy {
    service: Background,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr())
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (UDP and TCP) with `plan`.
    pub fn spawn(upstream: SocketAddr, plan: FaultPlan) -> Result<FaultProxy, ZoneError> {
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(plan),
            state: Mutex::new(State::default()),
        });
        let inner = Arc::clone(&shared);
        let service = Background::start("faultproxy", move |udp, tcp, stop| async move {
            let udp_task = tokio::spawn(serve_udp(Arc::new(udp), Arc::clone(&inner)));
            let tcp_task = tokio::spawn(serve_tcp(tcp, inner));
            let _ = stop.await;
            udp_task.abort();
            tcp_task.abort();
        })?;
        Ok(FaultProxy { service, shared })
    }

    /// The address (UDP and TCP) the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.service.addr()
    }

    /// Replaces the plan for the queries that arrive from now on (the
    /// per-name occurrence counts carry on).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    /// What the proxy did so far, per fault kind.
    pub fn counts(&self) -> FaultCounts {
        self.shared.state().counts.clone()
    }

    /// The queries the proxy received (total, TCP, per type, arrival times).
    pub fn stats(&self) -> Stats {
        self.shared.state().stats.clone()
    }

    /// True when a query for `name` (case-insensitive, final dot optional)
    /// and `qtype` got the real upstream reply, without delay, at least once.
    pub fn answered(&self, name: &str, qtype: &str) -> bool {
        let mut name = name.to_ascii_lowercase();
        if !name.ends_with('.') {
            name.push('.');
        }
        self.shared
            .state()
            .answered
            .contains(&(name, qtype.to_ascii_uppercase()))
    }

    /// Every `(name, qtype)` that got the real reply without delay at least
    /// once; names in lower case with a final dot, types as `"PTR"`.
    pub fn answered_names(&self) -> BTreeSet<(String, String)> {
        self.shared.state().answered.clone()
    }

    /// Stops the proxy and waits for its thread to end (dropping it does
    /// the same).
    pub fn shutdown(mut self) {
        self.service.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decide_follows_the_probabilities() {
        let plan = FaultPlan {
            seed: 42,
            drop: 0.25,
            servfail: 0.25,
            ..FaultPlan::clean()
        };
        let mut counts = BTreeMap::new();
        for i in 0..10_000u32 {
            let name = format!("{i}.113.0.203.in-addr.arpa.");
            *counts
                .entry(plan.decide(&name, "PTR", 0, false))
                .or_insert(0u32) += 1;
        }
        for (fault, expected) in [
            (Fault::Drop, 2500),
            (Fault::ServFail, 2500),
            (Fault::Normal, 5000),
        ] {
            let got = counts[&fault];
            assert!(got.abs_diff(expected) < 250, "{fault:?}: {got}");
        }
        assert_eq!(counts.len(), 3);
    }

    #[test]
    fn decide_depends_on_seed_and_occurrence() {
        let a = FaultPlan {
            seed: 1,
            drop: 0.5,
            ..FaultPlan::clean()
        };
        let b = FaultPlan { seed: 2, ..a };
        let names: Vec<String> = (0..64).map(|i| format!("{i}.example.")).collect();
        let run = |p: &FaultPlan, occ| -> Vec<Fault> {
            names
                .iter()
                .map(|n| p.decide(n, "PTR", occ, false))
                .collect()
        };
        assert_eq!(run(&a, 0), run(&a, 0));
        assert_ne!(run(&a, 0), run(&b, 0));
        assert_ne!(run(&a, 0), run(&a, 1));
    }

    #[test]
    fn protocol_only_faults_fall_back_to_normal() {
        let udp_only = FaultPlan {
            truncate: 1.0,
            ..FaultPlan::clean()
        };
        assert_eq!(udp_only.decide("a.", "PTR", 0, false), Fault::Truncate);
        assert_eq!(udp_only.decide("a.", "PTR", 0, true), Fault::Normal);
        let tcp_only = FaultPlan {
            tcp_close: 1.0,
            ..FaultPlan::clean()
        };
        assert_eq!(tcp_only.decide("a.", "PTR", 0, true), Fault::TcpClose);
        assert_eq!(tcp_only.decide("a.", "PTR", 0, false), Fault::Normal);
    }
}
