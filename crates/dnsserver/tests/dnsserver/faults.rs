//! The fault-injecting proxy: each fault kind, determinism, TCP fallback.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use ptr_audit_dnsserver::faults::{Fault, FaultPlan, FaultProxy};
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::client::{answers, query_message, rcode, tcp, tcp_raw, udp, udp_raw};
use crate::serving::REVERSE;

/// How long a test listens before calling a query unanswered.
const SILENCE: Duration = Duration::from_millis(400);
const NAME: &str = "5.113.0.203.in-addr.arpa.";

fn upstream() -> ZoneServer {
    ZoneServer::spawn(ZoneSet::from_text("113.0.203.in-addr.arpa", REVERSE).unwrap()).unwrap()
}

fn only(fault: Fault) -> FaultPlan {
    let mut plan = FaultPlan {
        seed: 99,
        ..FaultPlan::clean()
    };
    match fault {
        Fault::Drop => plan.drop = 1.0,
        Fault::Late => plan.late = (1.0, Duration::from_millis(150)),
        Fault::ServFail => plan.servfail = 1.0,
        Fault::Truncate => plan.truncate = 1.0,
        Fault::Malformed => plan.malformed = 1.0,
        Fault::Mismatched => plan.mismatched = 1.0,
        Fault::TcpClose => plan.tcp_close = 1.0,
        _ => {}
    }
    plan
}

fn query_bytes(id: u16) -> Vec<u8> {
    query_message(id, NAME, RecordType::PTR).to_vec().unwrap()
}

#[test]
fn clean_plan_relays_real_answers() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), FaultPlan::clean()).unwrap();
    let r = udp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    let r = tcp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    assert!(proxy.answered("5.113.0.203.IN-ADDR.ARPA", "ptr"));
    assert!(!proxy.answered("6.113.0.203.in-addr.arpa.", "PTR"));
    assert_eq!(proxy.counts().get(Fault::Normal), 2);
    assert_eq!(proxy.stats().total, 2);
    assert_eq!(server.stats().total, 2);
}

#[test]
fn drop_sends_nothing() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::Drop)).unwrap();
    assert!(udp_raw(proxy.addr(), &query_bytes(1), SILENCE).is_none());
    assert!(tcp_raw(proxy.addr(), &query_bytes(2), SILENCE).is_none());
    assert_eq!(proxy.counts().get(Fault::Drop), 2);
    assert_eq!(server.stats().total, 0, "a dropped query reached upstream");
    assert!(proxy.answered_names().is_empty());
}

#[test]
fn late_answers_after_the_delay_and_does_not_count_as_answered() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::Late)).unwrap();
    let start = Instant::now();
    let r = udp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    assert_eq!(proxy.counts().get(Fault::Late), 1);
    assert!(!proxy.answered(NAME, "PTR"));
}

#[test]
fn servfail_is_synthesised() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::ServFail)).unwrap();
    let r = udp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::ServFail);
    assert_eq!(r.metadata.id, 0x4242);
    let r = tcp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::ServFail);
    assert_eq!(server.stats().total, 0);
}

#[test]
fn truncate_sets_tc_on_udp_and_tcp_answers_normally() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::Truncate)).unwrap();
    let r = udp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert!(r.metadata.truncation);
    assert!(r.answers.is_empty());
    let r = tcp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert!(!r.metadata.truncation);
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    let counts = proxy.counts();
    assert_eq!(counts.get(Fault::Truncate), 1);
    assert_eq!(counts.get(Fault::Normal), 1);
}

#[test]
fn malformed_packets_keep_the_id_and_do_not_parse() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::Malformed)).unwrap();
    for id in 1..=8u16 {
        let reply = udp_raw(proxy.addr(), &query_bytes(id), Duration::from_secs(3)).unwrap();
        assert_eq!(u16::from_be_bytes([reply[0], reply[1]]), id);
        assert!(Message::from_vec(&reply).is_err());
    }
    let reply = tcp_raw(proxy.addr(), &query_bytes(9), Duration::from_secs(3)).unwrap();
    assert!(Message::from_vec(&reply).is_err());
    assert_eq!(proxy.counts().get(Fault::Malformed), 9);
    assert!(!proxy.answered(NAME, "PTR"));
}

#[test]
fn mismatched_replies_have_another_id_or_question() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::Mismatched)).unwrap();
    let (mut wrong_ids, mut wrong_questions) = (0, 0);
    for id in 1..=8u16 {
        let reply = udp_raw(proxy.addr(), &query_bytes(id), Duration::from_secs(3)).unwrap();
        let m = Message::from_vec(&reply).unwrap();
        let same_id = m.metadata.id == id;
        let same_q = m.queries[0].name().to_ascii().eq_ignore_ascii_case(NAME);
        assert!(
            same_id != same_q,
            "reply {id}: exactly one of ID and question must differ"
        );
        wrong_ids += usize::from(!same_id);
        wrong_questions += usize::from(!same_q);
    }
    assert!(
        wrong_ids > 0 && wrong_questions > 0,
        "{wrong_ids} / {wrong_questions}"
    );
    assert_eq!(proxy.counts().get(Fault::Mismatched), 8);
}

#[test]
fn tcp_close_closes_without_answer() {
    let server = upstream();
    let proxy = FaultProxy::spawn(server.addr(), only(Fault::TcpClose)).unwrap();
    // The connection is closed: the read ends at once, well before the wait.
    assert!(tcp_raw(proxy.addr(), &query_bytes(1), Duration::from_secs(30)).is_none());
    // UDP queries are answered normally.
    let r = udp(proxy.addr(), NAME, RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    let counts = proxy.counts();
    assert_eq!(counts.get(Fault::TcpClose), 1);
    assert_eq!(counts.get(Fault::Normal), 1);
}

#[test]
fn mixed_plan_follows_its_schedule_exactly() {
    let server = upstream();
    let plan = FaultPlan {
        seed: 2026,
        drop: 0.2,
        servfail: 0.2,
        truncate: 0.2,
        ..FaultPlan::clean()
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut expected = BTreeMap::new();
    let mut faults = BTreeMap::new();
    for i in 0..60u16 {
        let name = format!("{i}.113.0.203.in-addr.arpa.");
        let fault = plan.decide(&name, "PTR", 0, false);
        *expected.entry(fault).or_insert(0u64) += 1;
        faults.insert(i, (name.clone(), fault));
        let q = query_message(i, &name, RecordType::PTR).to_vec().unwrap();
        sock.send_to(&q, proxy.addr()).unwrap();
    }
    assert!(
        expected.len() == 4,
        "the seed should exercise every kind: {expected:?}"
    );
    let replies = 60 - expected[&Fault::Drop];
    let mut answered = BTreeSet::new();
    let mut buf = [0u8; 4096];
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    for _ in 0..replies {
        let (n, _) = sock
            .recv_from(&mut buf)
            .expect("a reply the schedule promised");
        let m = Message::from_vec(&buf[..n]).unwrap();
        let (name, fault) = faults.remove(&m.metadata.id).expect("one reply per query");
        match fault {
            Fault::ServFail => assert_eq!(rcode(&m), ResponseCode::ServFail),
            Fault::Truncate => assert!(m.metadata.truncation && m.answers.is_empty()),
            Fault::Normal => {
                assert!(!m.metadata.truncation);
                assert_ne!(rcode(&m), ResponseCode::ServFail);
                answered.insert((name, "PTR".to_owned()));
            }
            other => panic!("a reply for a query scheduled as {other:?}"),
        }
    }
    // Only the dropped queries are left, and nothing more comes.
    assert!(faults.values().all(|(_, f)| *f == Fault::Drop));
    sock.set_read_timeout(Some(SILENCE)).unwrap();
    assert!(
        sock.recv_from(&mut buf).is_err(),
        "a dropped query was answered"
    );
    let counts = proxy.counts();
    for (fault, n) in &expected {
        assert_eq!(counts.get(*fault), *n, "{fault:?}");
    }
    assert_eq!(proxy.answered_names(), answered);
}
