//! Zones as operators write them: `$GENERATE`, DNSSEC-signed data, record
//! types the reader does not know, the apex taken from the SOA, duplicate
//! records and records outside the zone. (The differential test against
//! BIND's `named-checkzone` is in the root e2e suite.)

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::client::{answers, rcode, tcp, udp};

const SOA: &str = "$TTL 300\n@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n@ IN NS ns1.examplehost.net.\n";

#[test]
fn generate_lines_are_expanded_and_served() {
    let text = format!(
        "{SOA}\
$GENERATE 1-254 $ PTR host-${{0,3,d}}.fra1.examplehost.net.
$GENERATE 0-40/20 ${{0,1,x}}.sub 600 IN TXT \"slot $ of \\$5\"
\t  IN A 192.0.2.1
"
    );
    let zones = ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap();
    // SOA, NS, 254 PTRs, 3 TXTs, and the A at the apex: a generated record
    // does not become the owner of the blank-owner line after it
    assert_eq!(zones.record_count(), 2 + 254 + 3 + 1);
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR host-005.fra1.examplehost.net."]);
    let r = udp(server.addr(), "254.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR host-254.fra1.examplehost.net."]);
    let r = udp(server.addr(), "255.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::NXDomain);
    let r = udp(
        server.addr(),
        "14.sub.113.0.203.in-addr.arpa",
        RecordType::TXT,
    )
    .unwrap();
    assert_eq!(r.answers.len(), 1);
    assert_eq!(r.answers[0].ttl, 600);
    let RData::TXT(txt) = &r.answers[0].data else {
        panic!("not a TXT: {r:?}")
    };
    let strings: Vec<&[u8]> = txt.txt_data.iter().map(|s| &s[..]).collect();
    assert_eq!(strings, [&b"slot"[..], b"20", b"of", b"$5"]);
    let r = udp(server.addr(), "113.0.203.in-addr.arpa", RecordType::A).unwrap();
    assert_eq!(r.answers.len(), 1);
}

#[test]
fn generate_with_nibbles_makes_an_ipv6_reverse_zone() {
    let text = format!("{SOA}$GENERATE 0-255 ${{0,3,n}} PTR v6-${{0,2,x}}.examplehost.net.\n");
    let zones = ZoneSet::from_text("0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa", &text).unwrap();
    assert_eq!(zones.record_count(), 2 + 256);
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(
        server.addr(),
        "b.a.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(answers(&r), ["PTR v6-ab.examplehost.net."]);
}

#[test]
fn unknown_types_are_kept_opaque_or_skipped_with_their_line() {
    let text = format!(
        "{SOA}\
@ IN TYPE65280 \\# 3 ABCDEF
@ IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
@ IN SPF \"v=spf1 -all\"
@ IN AFSDB 1 afs.examplehost.net.
@ IN ZONEMD 2026010101 1 1 ( 0123456789abcdef0123456789abcdef0123456789abcdef
                            0123456789abcdef0123456789abcdef0123456789abcdef )
@ IN BOGUS some data
@ IN MX not-a-number mail.examplehost.net.
@ IN TYPE99 \\# 4 03616263
5 IN PTR mail.customer-a.example.
"
    );
    let zones = ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap();
    let warnings: Vec<String> = zones.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("<zone 113.0.203.in-addr.arpa>:5: ") && warnings[0].contains("LOC"),
        "{warnings:#?}"
    );
    assert!(warnings[1].contains(":10: ") && warnings[1].contains("`BOGUS`"));
    assert!(warnings[2].contains(":11: ") && warnings[2].contains("MX preference"));
    // SOA, NS, TYPE65280, SPF, AFSDB, ZONEMD, TYPE99 (an SPF of its own), PTR
    assert_eq!(zones.record_count(), 8);
    let server = ZoneServer::spawn(zones).unwrap();
    let r = tcp(
        server.addr(),
        "113.0.203.in-addr.arpa",
        RecordType::Unknown(65280),
    )
    .unwrap();
    assert_eq!(r.answers.len(), 1);
    let mut wire = Vec::new();
    let mut encoder = hickory_proto::serialize::binary::BinEncoder::new(&mut wire);
    hickory_proto::serialize::binary::BinEncodable::emit(&r.answers[0].data, &mut encoder).unwrap();
    assert_eq!(wire, [0xab, 0xcd, 0xef]);
    let r = udp(
        server.addr(),
        "113.0.203.in-addr.arpa",
        RecordType::Unknown(99),
    )
    .unwrap();
    assert_eq!(r.answers.len(), 2, "the named and the generic SPF differ");
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail.customer-a.example."]);
}

#[test]
fn the_apex_is_where_the_soa_is_and_outside_records_are_ignored() {
    let text = "\
$ORIGIN com.
example 300 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
example IN NS ns1.example.com.
ns1.example IN A 192.0.2.53
elsewhere IN A 192.0.2.1
";
    let zones = ZoneSet::from_text("com", text).unwrap();
    assert_eq!(zones.origins(), ["example.com."]);
    assert_eq!(zones.record_count(), 3);
    let warnings: Vec<String> = zones.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["<zone com>:5: `elsewhere.com.` is outside the zone `example.com.`: ignored"]
    );
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "ns1.example.com", RecordType::A).unwrap();
    assert_eq!(answers(&r), ["A 192.0.2.53"]);
    let r = udp(server.addr(), "elsewhere.com", RecordType::A).unwrap();
    assert_eq!(rcode(&r), ResponseCode::Refused);
}

#[test]
fn duplicate_records_are_one_and_an_rrsets_ttls_are_its_first() {
    let text = format!(
        "{SOA}\
@ IN NS ns1.examplehost.net.
@ IN NS NS1.EXAMPLEHOST.NET.
5 IN PTR a.example.
5 900 IN PTR b.example.
"
    );
    let zones = ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap();
    assert_eq!(zones.record_count(), 4);
    let warnings: Vec<String> = zones.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains(":7: TTL 900 differs from the TTL 300"),
        "{warnings:#?}"
    );
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "113.0.203.in-addr.arpa", RecordType::NS).unwrap();
    assert_eq!(r.answers.len(), 1);
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(r.answers.len(), 2);
    assert!(r.answers.iter().all(|a| a.ttl == 300), "{r:?}");
}

#[test]
fn signed_zone_data_is_carried_and_a_signed_cname_still_answers() {
    let text = format!(
        "{SOA}\
@ 300 IN DNSKEY 257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0d
                          xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )
@ 300 IN NSEC 5.113.0.203.in-addr.arpa. NS SOA RRSIG NSEC DNSKEY
@ 300 IN NSEC3PARAM 1 0 0 -
5 IN CNAME 5.0/26.113.0.203.in-addr.arpa.
5 300 IN RRSIG CNAME 13 6 300 20270101000000 20261201000000 12345 113.0.203.in-addr.arpa. ( oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAw== )
5 300 IN NSEC 113.0.203.in-addr.arpa. CNAME RRSIG NSEC
0/26 IN NS ns1.examplehost.net.
0/26 IN DS 12345 13 2 ( 3490A6806D47F17A34C29E2CE80E8A999FFBE4BE 3490A6806D47F17A34C29E2CE80E8A999FFBE4BE )
"
    );
    let zones = ZoneSet::from_text("113.0.203.in-addr.arpa", &text).unwrap();
    assert!(zones.warnings().is_empty(), "{:?}", zones.warnings());
    assert_eq!(zones.record_count(), 2 + 3 + 3 + 2);
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "113.0.203.in-addr.arpa", RecordType::DNSKEY).unwrap();
    assert_eq!(r.answers.len(), 1);
    let r = tcp(server.addr(), "113.0.203.in-addr.arpa", RecordType::NSEC).unwrap();
    assert_eq!(r.answers.len(), 1);
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(
        answers(&r)[0],
        "CNAME 5.0/26.113.0.203.in-addr.arpa.",
        "{r:?}"
    );
}
