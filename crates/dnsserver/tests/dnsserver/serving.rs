//! Serving: answers over UDP and TCP, modes, statistics.

use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use ptr_audit_dnsserver::{Mode, RateLimit, ZoneServer, ZoneSet};

use crate::client::{answers, query_message, rcode, tcp, udp, udp_raw};

pub const REVERSE: &str = "\
$TTL 300
@   IN SOA ns1.examplehost.net. hostmaster.examplehost.net. ( 2026112801 3600 600 86400 300 )
    IN NS  ns1.examplehost.net.
5   IN PTR mail5.fra1.examplehost.net.
6   IN PTR a.example.
6   IN PTR b.example.
7   IN TXT \"no ptr here\"
";

fn reverse_server() -> ZoneServer {
    ZoneServer::spawn(ZoneSet::from_text("113.0.203.in-addr.arpa", REVERSE).unwrap()).unwrap()
}

#[test]
fn ptr_answers_over_udp_and_tcp() {
    let server = reverse_server();
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::NoError);
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    let r = tcp(server.addr(), "5.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail5.fra1.examplehost.net."]);
    let mut two =
        answers(&udp(server.addr(), "6.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap());
    two.sort();
    assert_eq!(two, ["PTR a.example.", "PTR b.example."]);
}

#[test]
fn nxdomain_nodata_and_refused() {
    let server = reverse_server();
    let nx = udp(server.addr(), "9.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&nx), ResponseCode::NXDomain);
    let nodata = udp(server.addr(), "7.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&nodata), ResponseCode::NoError);
    assert!(nodata.answers.is_empty());
    let outside = udp(server.addr(), "1.100.51.198.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&outside), ResponseCode::Refused);
}

#[test]
fn modes_switch_at_run_time() {
    let server = reverse_server();
    let name = "5.113.0.203.in-addr.arpa.";
    server.set_mode(Mode::ServFail);
    assert_eq!(
        rcode(&udp(server.addr(), name, RecordType::PTR).unwrap()),
        ResponseCode::ServFail
    );
    server.set_mode(Mode::Refused);
    assert_eq!(
        rcode(&tcp(server.addr(), name, RecordType::PTR).unwrap()),
        ResponseCode::Refused
    );
    server.set_mode(Mode::Silent);
    let q = query_message(7, name, RecordType::PTR).to_vec().unwrap();
    let silence = Duration::from_millis(400);
    assert!(
        udp_raw(server.addr(), &q, silence).is_none(),
        "a silent server answered"
    );
    server.set_mode(Mode::Normal);
    assert_eq!(
        rcode(&udp(server.addr(), name, RecordType::PTR).unwrap()),
        ResponseCode::NoError
    );
    // Every query was counted, the dropped one included.
    assert_eq!(server.stats().total, 4);
}

#[test]
fn stats_count_queries_by_type_name_and_time() {
    let server = reverse_server();
    for _ in 0..3 {
        udp(server.addr(), "5.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    }
    tcp(server.addr(), "mail5.fra1.examplehost.net.", RecordType::A).unwrap();
    let stats = server.stats();
    assert_eq!(stats.total, 4);
    assert_eq!(stats.tcp, 1);
    assert_eq!(stats.qtype("PTR"), 3);
    assert_eq!(stats.qtype("a"), 1);
    assert_eq!(stats.arrivals.len(), 4);
    assert_eq!(stats.max_in_window(Duration::from_secs(3600)), 4);
    assert!(stats.max_in_window(Duration::ZERO) == 0);
    assert_eq!(server.queries_for("5.113.0.203.IN-ADDR.arpa", "ptr"), 3);
    assert_eq!(server.queries_for("6.113.0.203.in-addr.arpa.", "PTR"), 0);
    server.reset_stats();
    assert_eq!(server.stats().total, 0);
}

#[test]
fn shutdown_frees_the_port() {
    let server = reverse_server();
    let addr = server.addr();
    server.shutdown();
    // Nothing listens on TCP any more: the connection is refused.
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn names_delegated_to_an_absent_zone_are_refused() {
    let zones = ZoneSet::from_text(
        "100.51.198.in-addr.arpa",
        "@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n\
         @ IN NS ns1.examplehost.net.\n\
         5 IN PTR web5.ams3.examplehost.net.\n\
         48/29 IN NS ns1.ams3.examplehost.net.\n\
         49 IN CNAME 49.48/29\n",
    )
    .unwrap();
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(
        server.addr(),
        "49.48/29.100.51.198.in-addr.arpa.",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(rcode(&r), ResponseCode::Refused);
    let r = udp(
        server.addr(),
        "49.100.51.198.in-addr.arpa.",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(answers(&r)[0], "CNAME 49.48/29.100.51.198.in-addr.arpa.");
    let r = udp(server.addr(), "5.100.51.198.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR web5.ams3.examplehost.net."]);
}

#[test]
fn rate_limit_refuses_the_excess_of_a_window() {
    let server = reverse_server();
    // A window no test outlasts: exactly the first three are answered.
    server.set_rate_limit(Some(RateLimit {
        queries: 3,
        window: Duration::from_secs(3600),
        excess: Mode::Refused,
    }));
    let name = "5.113.0.203.in-addr.arpa.";
    let codes: Vec<ResponseCode> = (0..5)
        .map(|_| rcode(&udp(server.addr(), name, RecordType::PTR).unwrap()))
        .collect();
    assert_eq!(codes[..3], [ResponseCode::NoError; 3]);
    assert_eq!(codes[3..], [ResponseCode::Refused; 2]);
    let stats = server.stats();
    assert_eq!((stats.total, stats.limited), (5, 2));
    // A silent excess drops instead.
    server.set_rate_limit(Some(RateLimit {
        excess: Mode::Silent,
        ..RateLimit::per_second(0)
    }));
    let q = query_message(9, name, RecordType::PTR).to_vec().unwrap();
    assert!(udp_raw(server.addr(), &q, Duration::from_millis(400)).is_none());
    server.set_rate_limit(None);
    let r = udp(server.addr(), name, RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::NoError);
}
