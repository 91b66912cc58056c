//! Hostile zone data the scanner must survive: the server serves it as
//! written (control characters, 255-octet names, 100 PTRs, CNAME loops).

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::client::{answers, rcode, tcp, udp};

const SOA: &str = "@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n@ IN NS ns1.examplehost.net.\n";

fn serve(body: &str) -> ZoneServer {
    let text = format!("{SOA}{body}");
    ZoneServer::spawn(ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap()).unwrap()
}

#[test]
fn control_characters_and_escapes_are_served_as_bytes() {
    let server = serve("1 IN PTR evil\\027[31m\\007.example.\n2 IN PTR a\\.b\\\\c.example.\n");
    let r = udp(server.addr(), "1.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    let RData::PTR(p) = &r.answers[0].data else {
        panic!("not a PTR")
    };
    let first: Vec<&[u8]> = p.0.iter().collect();
    assert_eq!(first[0], b"evil\x1b[31m\x07");
    let r = udp(server.addr(), "2.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    let RData::PTR(p) = &r.answers[0].data else {
        panic!("not a PTR")
    };
    assert_eq!(p.0.iter().next().unwrap(), b"a.b\\c");
}

#[test]
fn a_255_octet_name_is_served_and_a_longer_one_refused() {
    // Wire length: 3 labels of 63 octets and one of 61, each with its
    // length octet, and the root: 3*64 + 62 + 1 = 255, the limit.
    let l63 = "a".repeat(63);
    let long = format!("{l63}.{l63}.{l63}.{}.", "b".repeat(61));
    assert_eq!(long.len() + 1, 255);
    let server = serve(&format!("3 IN PTR {long}\n"));
    let r = tcp(server.addr(), "3.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), [format!("PTR {long}")]);
    // 4*62 + 8 + 1 = 257 octets: too long.
    let l61 = "c".repeat(61);
    let too_long = format!("{l61}.{l61}.{l61}.{l61}.example.");
    let text = format!("{SOA}4 IN PTR {too_long}\n");
    let err = ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap_err();
    assert!(err.to_string().contains(":3: "), "{err}");
}

#[test]
fn a_hundred_ptrs_need_tcp() {
    let body: String = (0..100)
        .map(|i| format!("5 IN PTR host{i}.customer-{i}.example.\n"))
        .collect();
    let server = serve(&body);
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert!(r.metadata.truncation, "100 PTRs fit a plain UDP reply?");
    let r = tcp(server.addr(), "5.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(r.answers.len(), 100);
}

#[test]
fn cname_loop_is_answered_not_hung() {
    let server = serve("6 IN CNAME 7\n7 IN CNAME 6\n8 IN CNAME 8\n");
    for name in ["6.113.0.203.in-addr.arpa.", "8.113.0.203.in-addr.arpa."] {
        let r = udp(server.addr(), name, RecordType::PTR).expect("an answer to a CNAME loop");
        assert!(!r.answers.is_empty() || rcode(&r) != ResponseCode::NoError);
    }
    // The server still answers afterwards.
    let r = udp(server.addr(), "9.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::NXDomain);
}
