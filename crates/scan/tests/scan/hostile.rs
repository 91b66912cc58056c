//! Hostile servers (issue 12): a DNS server on 127.0.0.1 that answers UDP and
//! TCP on one port with crafted bytes, against which the scanner must not
//! stall, be steered or be fooled.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ptr_audit_model::{DnsName, FailureReason, PtrAnswer};

use crate::{config, scan, some};

/// How a query arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
}

/// The replies to one query.
pub type Reply = dyn Fn(&[u8], Proto) -> Vec<Vec<u8>> + Send + Sync;

/// A DNS server on 127.0.0.1 (UDP and TCP, one port) whose every reply comes
/// from a closure. It counts the TCP connections open at once (waiting for
/// their first answer); with
/// [`HostileServer::hold_tcp`] each TCP query is answered only once `n`
/// connections are open together (or after a short wait), so that a client
/// opening more than `n` at once is caught. Stops when dropped.
pub struct HostileServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    tcp: Arc<TcpCount>,
    /// The UDP source port and ID of every query, in arrival order.
    queries: Arc<Mutex<Vec<(u16, u16)>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Open TCP connections, the most seen at once, and the hold policy.
#[derive(Default)]
struct TcpCount {
    open: Mutex<usize>,
    changed: Condvar,
    max: AtomicUsize,
    total: AtomicUsize,
    hold: Mutex<Option<usize>>,
}

impl HostileServer {
    pub fn spawn(reply: impl Fn(&[u8], Proto) -> Vec<Vec<u8>> + Send + Sync + 'static) -> Self {
        let reply: Arc<Reply> = Arc::new(reply);
        // UDP first, then TCP on the same port (another test may hold it: retry)
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
            if let Ok(tcp) = TcpListener::bind(udp.local_addr().expect("addr")) {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().expect("addr");
        udp.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        tcp.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(TcpCount::default());
        let queries = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        {
            let (stop, reply, queries) = (stop.clone(), reply.clone(), queries.clone());
            threads.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    if let Ok((n, from)) = udp.recv_from(&mut buf) {
                        if n >= 2 {
                            let id = u16::from_be_bytes([buf[0], buf[1]]);
                            queries.lock().unwrap().push((from.port(), id));
                        }
                        for packet in reply(&buf[..n], Proto::Udp) {
                            let _ = udp.send_to(&packet, from);
                        }
                    }
                }
            }));
        }
        {
            let (stop, reply, count) = (stop.clone(), reply.clone(), count.clone());
            threads.push(std::thread::spawn(move || {
                let mut conns = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    match tcp.accept() {
                        Ok((stream, _)) => {
                            let (reply, count) = (reply.clone(), count.clone());
                            conns.push(std::thread::spawn(move || {
                                serve_tcp(stream, &*reply, &count)
                            }));
                        }
                        // polling the stop flag, not synchronising with the client
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                for c in conns {
                    let _ = c.join();
                }
            }));
        }
        Self {
            addr,
            stop,
            tcp: count,
            queries,
            threads,
        }
    }

    /// Answer each TCP query only once `n` connections are open at once (or
    /// after half a second without that many).
    pub fn hold_tcp(&self, n: usize) {
        *self.tcp.hold.lock().unwrap() = Some(n);
    }

    /// The most TCP connections that were open at once.
    pub fn max_tcp_open(&self) -> usize {
        self.tcp.max.load(Ordering::SeqCst)
    }

    /// The UDP source port and ID of every query, in arrival order.
    pub fn udp_queries(&self) -> Vec<(u16, u16)> {
        self.queries.lock().unwrap().clone()
    }

    /// TCP connections accepted.
    pub fn tcp_connections(&self) -> usize {
        self.tcp.total.load(Ordering::SeqCst)
    }
}

/// One TCP connection: length-framed queries, each answered by `reply`. It
/// counts as open from its accept until its first answer is written: the
/// client may close it only after reading that, so the count never lags
/// behind the client's.
fn serve_tcp(mut stream: TcpStream, reply: &Reply, count: &TcpCount) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    {
        let mut open = count.open.lock().unwrap();
        *open += 1;
        count.max.fetch_max(*open, Ordering::SeqCst);
        count.total.fetch_add(1, Ordering::SeqCst);
        count.changed.notify_all();
    }
    let mut counted = true;
    let uncount = |counted: &mut bool| {
        if std::mem::take(counted) {
            let mut open = count.open.lock().unwrap();
            *open -= 1;
            count.changed.notify_all();
        }
    };
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            break;
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut query).is_err() {
            break;
        }
        let hold = *count.hold.lock().unwrap();
        if let Some(n) = hold {
            let deadline = Instant::now() + Duration::from_millis(500);
            let mut open = count.open.lock().unwrap();
            while *open < n {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    break;
                };
                open = count.changed.wait_timeout(open, left).unwrap().0;
            }
        }
        let mut framed = Vec::new();
        for packet in reply(&query, Proto::Tcp) {
            framed.extend_from_slice(&(packet.len() as u16).to_be_bytes());
            framed.extend_from_slice(&packet);
        }
        // no longer counted once the client can have its answer
        uncount(&mut counted);
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    uncount(&mut counted);
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The header and question of `query` turned into a response (AA set) with
/// `rcode` and `answers` (raw records, counted) in the answer section.
pub fn respond(query: &[u8], rcode: u8, answers: &[Vec<u8>]) -> Vec<u8> {
    let mut end = 12;
    while query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    end += 5;
    let mut out = query[..end].to_vec();
    out[2] |= 0x84; // QR, AA
    out[3] = (out[3] & 0xf0) | 0x80 | rcode; // RA
    out[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
    out[8..12].fill(0);
    for a in answers {
        out.extend_from_slice(a);
    }
    out
}

/// A record with raw `owner` bytes, `rtype`, class IN, TTL 256 and `rdata`.
pub fn record_at(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut r = owner.to_vec();
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

/// A compression pointer to `offset`.
pub fn pointer(offset: usize) -> [u8; 2] {
    (0xc000 | offset as u16).to_be_bytes()
}

/// A PTR owned by the question's name (a pointer to offset 12).
pub fn ptr_record(target: &[u8]) -> Vec<u8> {
    record_at(&pointer(12), 12, target)
}

/// `mail.example.` in wire form.
pub const MAIL: &[u8] = b"\x04mail\x07example\x00";

fn mail() -> PtrAnswer {
    PtrAnswer::Names(vec![DnsName::from_presentation("mail.example.")])
}

/// A reply whose PTR target is `mail.example.` reached through a chain of
/// `hops` compression pointers (each to the one before), kept in the RDATA
/// of a record of type NULL before the PTR.
fn chained_reply(query: &[u8], hops: usize) -> Vec<u8> {
    let base = respond(query, 0, &[]);
    // record 1: NULL, owner = question; RDATA = mail.example. then the chain
    let rdata_at = base.len() + 2 + 10;
    let mut rdata = MAIL.to_vec();
    let mut last = rdata_at;
    for _ in 0..hops {
        let here = rdata_at + rdata.len();
        rdata.extend_from_slice(&pointer(last));
        last = here;
    }
    let mut out = base;
    out.extend_from_slice(&record_at(&pointer(12), 10, &rdata));
    out.extend_from_slice(&ptr_record(&pointer(last)));
    out[6..8].copy_from_slice(&2u16.to_be_bytes());
    out
}

#[test]
fn a_name_behind_more_compression_pointers_than_the_cap_is_malformed() {
    // within the cap: read as usual
    let within = ptr_audit_scan::MAX_POINTERS - 1;
    let server = HostileServer::spawn(move |q, _| vec![chained_reply(q, within)]);
    let mut c = config(&[server.addr]);
    c.forward = false;
    c.edns = true;
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    assert_eq!(seen[&"192.0.2.1".parse().unwrap()].answer, mail());

    // 200 pointers (400 bytes, a legal size): refused; every attempt fails
    let server = HostileServer::spawn(|q, _| vec![chained_reply(q, 200)]);
    c.servers = vec![server.addr];
    c.attempts = 2;
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    let l = &seen[&"192.0.2.1".parse().unwrap()];
    assert_eq!(l.answer, PtrAnswer::Failed(FailureReason::Malformed));
    assert_eq!(l.attempts, 2);
}

#[test]
fn udp_replies_larger_than_advertised_are_ignored() {
    // First a forged answer padded past what the query allows, then the
    // real one: only the real one may count.
    for edns in [false, true] {
        let limit = if edns { 1232 } else { 512 };
        let server = HostileServer::spawn(move |q, _| {
            let mut big = respond(q, 0, &[ptr_record(b"\x04evil\x07example\x00")]);
            // padding in an additional-section record of type NULL
            let pad = limit + 1 - big.len() - 11;
            big.extend_from_slice(&record_at(&[0], 10, &vec![0u8; pad]));
            big[10..12].copy_from_slice(&1u16.to_be_bytes());
            assert_eq!(big.len(), limit + 1);
            vec![big, respond(q, 0, &[ptr_record(MAIL)])]
        });
        let mut c = config(&[server.addr]);
        c.forward = false;
        c.edns = edns;
        let (outcome, seen) = scan(&c, some(&["192.0.2.1"]));
        let l = &seen[&"192.0.2.1".parse().unwrap()];
        assert_eq!(l.answer, mail(), "edns {edns}");
        assert_eq!(l.attempts, 1);
        assert_eq!(outcome.ignored_packets, 1, "edns {edns}");
    }
}

#[test]
fn an_oversized_reply_alone_fails_the_address_as_malformed() {
    let server = HostileServer::spawn(|q, _| {
        let mut big = respond(q, 0, &[ptr_record(MAIL)]);
        big.extend_from_slice(&record_at(&[0], 10, &[0u8; 600]));
        big[10..12].copy_from_slice(&1u16.to_be_bytes());
        vec![big]
    });
    let mut c = config(&[server.addr]);
    c.forward = false;
    c.timeout = Duration::from_millis(300);
    // one address of a good server keeps the resolver "alive"
    let good = HostileServer::spawn(|q, _| vec![respond(q, 3, &[])]);
    c.servers = vec![server.addr, good.addr];
    c.attempts = 1;
    let (_, seen) = scan(&c, some(&["192.0.2.1", "192.0.2.2"]));
    let failed: Vec<_> = seen
        .values()
        .filter(|l| l.answer == PtrAnswer::Failed(FailureReason::Malformed))
        .collect();
    assert_eq!(failed.len(), 1, "{seen:?}");
    assert!(!seen.values().any(|l| l.answer == mail()), "{seen:?}");
}

#[test]
fn skipping_a_record_stops_at_its_owners_first_pointer() {
    // A record the scanner does not read (type NULL) whose owner is a
    // pointer to a byte that is not a valid label: skipping it must not
    // follow the pointer, so the PTR after it is read.
    let server = HostileServer::spawn(|q, _| {
        let mut r = respond(q, 0, &[]);
        let bad_at = r.len() + 12; // the NULL record's RDATA: one 0x40 byte
        r.extend_from_slice(&record_at(&pointer(12), 10, &[0x40]));
        r.extend_from_slice(&record_at(&pointer(bad_at), 10, &[]));
        r.extend_from_slice(&ptr_record(MAIL));
        r[6..8].copy_from_slice(&3u16.to_be_bytes());
        vec![r]
    });
    let mut c = config(&[server.addr]);
    c.forward = false;
    c.timeout = Duration::from_millis(300);
    c.attempts = 1;
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    assert_eq!(seen[&"192.0.2.1".parse().unwrap()].answer, mail());
}

#[test]
fn tcp_connections_are_capped_apart_from_concurrency() {
    // Every UDP reply is truncated; over TCP each query is answered once
    // more connections are open than the cap allows (or after a short wait).
    const CAP: usize = 4;
    let server = HostileServer::spawn(|q, proto| match proto {
        Proto::Udp => {
            let mut r = respond(q, 0, &[]);
            r[2] |= 0x02; // TC
            vec![r]
        }
        Proto::Tcp => vec![respond(q, 0, &[ptr_record(MAIL)])],
    });
    server.hold_tcp(CAP + 1);
    let mut c = config(&[server.addr]);
    c.forward = false;
    c.concurrency = 32;
    c.max_tcp_connections = CAP;
    c.timeout = Duration::from_secs(2);
    let ips: Vec<String> = (1..=40).map(|i| format!("192.0.2.{i}")).collect();
    let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
    let (outcome, seen) = scan(&c, some(&ips));
    assert_eq!(seen.len(), 40);
    for (ip, l) in &seen {
        assert_eq!(l.answer, mail(), "{ip}");
    }
    assert_eq!(outcome.tcp_queries, 40);
    assert_eq!(server.tcp_connections(), 40);
    assert!(
        server.max_tcp_open() <= CAP,
        "{} TCP connections open at once, cap {CAP}",
        server.max_tcp_open()
    );
}

#[test]
fn queries_leave_from_a_renewed_pool_of_ports_with_random_ids() {
    let server = HostileServer::spawn(|q, _| vec![respond(q, 3, &[])]);
    let mut c = config(&[server.addr]);
    c.forward = false;
    c.sockets_per_server = 4;
    // more queries than the pool's sockets carry before they are renewed
    let ips: Vec<String> = (0..9000u32)
        .map(|i| std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string())
        .collect();
    let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
    let (outcome, seen) = scan(&c, some(&ips));
    assert_eq!(seen.len(), 9000);
    assert_eq!(outcome.queries_sent, 9000);
    let queries = server.udp_queries();
    assert_eq!(queries.len(), 9000);
    let ports: std::collections::BTreeSet<u16> = queries.iter().map(|q| q.0).collect();
    // 4 at a time, each retired after 2048 queries: at least 4 + 2 ports
    assert!(ports.len() >= 6, "{} source ports: {ports:?}", ports.len());
    // IDs: 9000 draws of 16 random bits repeat about 600 times
    let ids: std::collections::BTreeSet<u16> = queries.iter().map(|q| q.1).collect();
    assert!(ids.len() > 8200, "{} distinct IDs of 9000", ids.len());
}

#[test]
fn the_portable_io_path_answers_like_the_batched_one() {
    let server = HostileServer::spawn(|q, _| {
        if q[12..].starts_with(b"\x011\x01") || q[12..].starts_with(b"\x017\x01") {
            vec![respond(q, 0, &[ptr_record(MAIL)])]
        } else {
            vec![respond(q, 3, &[])]
        }
    });
    let mut c = config(&[server.addr]);
    c.forward = false;
    let ips: Vec<String> = (0..=255).map(|i| format!("192.0.2.{i}")).collect();
    let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
    let (_, batched) = scan(&c, some(&ips));
    c.batched_io = false;
    let (outcome, portable) = scan(&c, some(&ips));
    assert_eq!(portable.len(), 256);
    assert_eq!(outcome.queries_sent, 256);
    assert_eq!(portable, batched);
    assert_eq!(portable[&"192.0.2.1".parse().unwrap()].answer, mail());
    assert_eq!(portable[&"192.0.2.7".parse().unwrap()].answer, mail());
    assert_eq!(
        portable[&"192.0.2.2".parse().unwrap()].answer,
        PtrAnswer::NxDomain
    );
}
