//! Hand-made replies from a tiny UDP responder on 127.0.0.1: packets the
//! embedded zone server would never send (FORMERR to EDNS, mismatched
//! questions, compression loops, answers for another name).

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ptr_audit_model::{DnsName, FailureReason, PtrAnswer, Rcode};

use crate::{config, scan, some};

/// A UDP responder on its own thread: `reply(query)` gives the packets to
/// send back. Stops when dropped.
struct Responder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Responder {
    fn spawn(reply: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> Self {
        Self::spawn_on("127.0.0.1:0", reply)
    }

    fn spawn_on(bind: &str, reply: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> Self {
        let sock = UdpSocket::bind(bind).expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let addr = sock.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::SeqCst) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    for packet in reply(&buf[..n]) {
                        let _ = sock.send_to(&packet, from);
                    }
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The header and question of `query` turned into a response with `rcode`
/// and `answers` (raw records) in the answer section.
fn respond(query: &[u8], rcode: u8, answers: &[Vec<u8>]) -> Vec<u8> {
    let mut end = 12;
    while query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    end += 5;
    let mut out = query[..end].to_vec();
    out[2] |= 0x80; // QR
    out[3] = (out[3] & 0xf0) | rcode;
    out[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
    out[8..12].fill(0);
    for a in answers {
        out.extend_from_slice(a);
    }
    out
}

/// A record owned by the name at offset 12 (the question), with `rdata`.
fn record(rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut r = vec![0xc0, 12];
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

fn has_edns(query: &[u8]) -> bool {
    query[11] > 0
}

fn ptr_of(
    ip: &str,
    seen: &std::collections::BTreeMap<std::net::IpAddr, ptr_audit_model::Lookup>,
) -> ptr_audit_model::Lookup {
    seen[&ip.parse().unwrap()].clone()
}

#[test]
fn formerr_to_edns_is_asked_again_without_edns() {
    let server = Responder::spawn(|q| {
        if has_edns(q) {
            vec![respond(q, 1, &[])]
        } else {
            vec![respond(q, 3, &[])]
        }
    });
    let mut c = config(&[server.addr]);
    c.attempts = 1;
    // by default no EDNS is sent
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(l.answer, PtrAnswer::NxDomain);
    assert_eq!(l.attempts, 1);
    // with EDNS, the FORMERR leads to one more query without it
    c.edns = true;
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(l.answer, PtrAnswer::NxDomain);
    assert_eq!(l.attempts, 2);
}

#[test]
fn mismatched_and_garbled_replies_are_ignored_until_the_real_one() {
    let server = Responder::spawn(|q| {
        let mut other_name = respond(q, 0, &[]);
        other_name[13] ^= 0x01; // flips a byte of the question's first label
        let mut other_id = respond(q, 3, &[]);
        other_id[0] ^= 0xff;
        let garbled = respond(q, 0, &[vec![0xc0]]);
        let good = respond(q, 0, &[record(12, b"\x04mail\x07example\x00")]);
        vec![other_name, other_id, garbled, good]
    });
    let c = config(&[server.addr]);
    let (outcome, seen) = scan(&c, some(&["192.0.2.1"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(
        l.answer,
        PtrAnswer::Names(vec![DnsName::from_presentation("mail.example.")])
    );
    assert_eq!(l.attempts, 1);
    assert!(outcome.ignored_packets >= 3, "{outcome:?}");
}

#[test]
fn compression_loops_fail_as_malformed_after_all_attempts() {
    let server = Responder::spawn(|q| {
        // a PTR whose target points at itself
        let mut r = respond(q, 0, &[]);
        let rdata_at = r.len() + 12;
        let ptr = (0xc000u16 | rdata_at as u16).to_be_bytes();
        r.extend_from_slice(&record(12, &ptr));
        r[6..8].copy_from_slice(&1u16.to_be_bytes());
        vec![r]
    });
    let mut c = config(&[server.addr]);
    c.timeout = Duration::from_millis(200);
    c.attempts = 2;
    let (_, seen) = scan(&c, some(&["192.0.2.1"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(l.answer, PtrAnswer::Failed(FailureReason::Malformed));
    assert_eq!(l.attempts, 2);

    // a record whose owner name points at itself: the packet is ignored as
    // unreadable, and once every attempt has timed out the address is
    // reported as malformed (one good address keeps the resolver alive)
    let server = Responder::spawn(|q| {
        if q[12..].starts_with(b"\x011\x01") {
            let mut r = respond(q, 0, &[]);
            let at = r.len() as u16;
            r.extend_from_slice(&(0xc000u16 | at).to_be_bytes());
            r.extend_from_slice(&[0, 12, 0, 1, 0, 0, 1, 0, 0, 0]);
            r[6..8].copy_from_slice(&1u16.to_be_bytes());
            vec![r]
        } else {
            vec![respond(q, 3, &[])]
        }
    });
    c.servers = vec![server.addr];
    let (outcome, seen) = scan(&c, some(&["192.0.2.1", "192.0.2.2"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(l.answer, PtrAnswer::Failed(FailureReason::Malformed));
    assert_eq!(l.attempts, 2);
    assert!(outcome.timeouts >= 2, "{outcome:?}");
    assert_eq!(ptr_of("192.0.2.2", &seen).answer, PtrAnswer::NxDomain);
}

#[test]
fn a_ptr_for_another_name_is_not_taken() {
    let server = Responder::spawn(|q| {
        // PTR owned by "x." instead of the question's name
        let mut r = respond(q, 0, &[]);
        r.extend_from_slice(
            b"\x01x\x00\x00\x0c\x00\x01\x00\x00\x01\x00\x00\x0a\x04evil\x03net\x00",
        );
        r[6..8].copy_from_slice(&1u16.to_be_bytes());
        vec![r]
    });
    let (_, seen) = scan(&config(&[server.addr]), some(&["192.0.2.1"]));
    let l = ptr_of("192.0.2.1", &seen);
    assert_eq!(l.answer, PtrAnswer::NoData);
    assert_eq!(l.rcode, Some(Rcode::NoError));
}

#[test]
fn a_server_on_ipv6_loopback_is_asked_over_ipv6() {
    let v4 = Responder::spawn(|q| vec![respond(q, 3, &[])]);
    let v6 = Responder::spawn_on("[::1]:0", |q| {
        vec![respond(q, 0, &[record(12, b"\x02v6\x07example\x00")])]
    });
    assert!(v6.addr.is_ipv6());
    let mut c = config(&[v6.addr]);
    c.forward = false;
    let (_, seen) = scan(&c, some(&["192.0.2.1", "2001:db8::1"]));
    for ip in ["192.0.2.1", "2001:db8::1"] {
        let l = ptr_of(ip, &seen);
        assert_eq!(
            l.answer,
            PtrAnswer::Names(vec![DnsName::from_presentation("v6.example.")]),
            "{ip}"
        );
        assert!(l.forward.is_empty());
    }
    // both families at once, round-robin: every address answered by one of them
    c.servers = vec![v4.addr, v6.addr];
    let (outcome, seen) = scan(
        &c,
        some(&["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]),
    );
    assert_eq!(seen.len(), 4);
    assert_eq!(outcome.queries_sent, 4);
    let names = seen
        .values()
        .filter(|l| matches!(l.answer, PtrAnswer::Names(_)))
        .count();
    let nx = seen
        .values()
        .filter(|l| l.answer == PtrAnswer::NxDomain)
        .count();
    assert_eq!((names, nx), (2, 2));
}
