//! The bundled example zones (`inventories/example/zones`): they load, and
//! every address of `EXPECTED.tsv` gets the DNS answer its expected status
//! needs.

use std::net::IpAddr;
use std::path::PathBuf;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::rr::RData;
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::client::{answers, rcode, udp};
use crate::resolver::resolver;

fn zones_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../inventories/example/zones")
}

/// `(ip, status, findings)` rows of `EXPECTED.tsv`.
fn expected() -> Vec<(IpAddr, String, String)> {
    let text = std::fs::read_to_string(zones_dir().join("EXPECTED.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ip\t") && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].parse().unwrap(),
                cols[1].to_owned(),
                cols[2].to_owned(),
            )
        })
        .collect()
}

#[test]
fn example_zones_load_and_answer() {
    let zones = ZoneSet::load_dir(&zones_dir()).unwrap();
    assert_eq!(zones.len(), 8);
    assert!(
        zones
            .origins()
            .contains(&"0/26.2.0.192.in-addr.arpa.".to_owned())
    );
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "25.113.0.203.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail.customer-a.example."]);
    // From the $INCLUDEd file.
    let r = udp(server.addr(), "mail5.fra1.examplehost.net.", RecordType::A).unwrap();
    assert_eq!(answers(&r), ["A 203.0.113.5"]);
    let r = udp(
        server.addr(),
        "10.0/26.2.0.192.in-addr.arpa.",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(answers(&r), ["PTR mx.customer-b.example."]);
    let r = udp(server.addr(), "1.100.51.198.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(rcode(&r), ResponseCode::NoError);
}

/// What DNS says about an address, coarsely.
#[derive(Debug, PartialEq)]
enum Seen {
    Ptr(usize),
    NxDomain,
    NoData,
    BrokenChain,
    Refused,
    Other(String),
}

#[tokio::test]
async fn every_expected_address_gets_the_matching_dns_answer() {
    let server = ZoneServer::spawn(ZoneSet::load_dir(&zones_dir()).unwrap()).unwrap();
    let r = resolver(server.addr());
    let rows = expected();
    assert_eq!(rows.len(), 181);
    for (ip, status, findings) in rows {
        let seen = match r.reverse_lookup(ip).await {
            Ok(l) => {
                let ptrs = l
                    .answers()
                    .iter()
                    .filter(|a| matches!(a.data, RData::PTR(_)));
                Seen::Ptr(ptrs.count())
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(NoRecords {
                response_code,
                query,
                ..
            }))) => {
                let asked = query.name().to_ascii().to_ascii_lowercase();
                let direct = hickory_proto::rr::Name::from(ip)
                    .to_ascii()
                    .to_ascii_lowercase();
                match response_code {
                    ResponseCode::NXDomain if asked != direct => Seen::BrokenChain,
                    ResponseCode::NXDomain => Seen::NxDomain,
                    ResponseCode::NoError => Seen::NoData,
                    rc => Seen::Other(rc.to_string()),
                }
            }
            Err(NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused))) => Seen::Refused,
            Err(e) => Seen::Other(e.to_string()),
        };
        let want = match findings.split(',').next().unwrap_or("") {
            "ptr-missing:nxdomain" => Seen::NxDomain,
            "ptr-missing:nodata" => Seen::NoData,
            "ptr-missing:broken-delegation" => Seen::BrokenChain,
            "lookup-failed:refused" => Seen::Refused,
            _ if findings.contains("ptr-multiple") => Seen::Ptr(2),
            _ => Seen::Ptr(1),
        };
        assert_eq!(seen, want, "{ip} ({status})");
    }
}
