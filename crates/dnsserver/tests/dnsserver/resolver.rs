//! hickory-resolver (what the scanner uses) against the server and the
//! proxy: slash-label CNAME chains across zones, IPv6, TCP fallback on TC.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use ptr_audit_dnsserver::faults::{Fault, FaultPlan, FaultProxy};
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::client::text_of;

const SOA: &str = "@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n@ IN NS ns1.examplehost.net.\n";

pub fn resolver(addr: SocketAddr) -> TokioResolver {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
    let config = ResolverConfig::from_name_servers(vec![ns]);
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(3);
    opts.attempts = 0;
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .unwrap()
}

/// PTR targets and CNAMEs of a reverse lookup, as text.
async fn reverse(r: &TokioResolver, ip: &str) -> Vec<String> {
    let ip: IpAddr = ip.parse().unwrap();
    let lookup = r.reverse_lookup(ip).await.unwrap();
    lookup
        .answers()
        .iter()
        .map(|rec| match &rec.data {
            RData::PTR(p) => format!("PTR {}", text_of(&p.0)),
            RData::CNAME(c) => format!("CNAME {}", text_of(&c.0)),
            other => format!("{} {other}", rec.record_type()),
        })
        .collect()
}

fn rfc2317_zones() -> ZoneSet {
    let mut zones = ZoneSet::from_text(
        "2.0.192.in-addr.arpa",
        &format!("{SOA}0/26 IN NS ns1.customer-b.example.\n10 IN CNAME 10.0/26\n"),
    )
    .unwrap();
    zones
        .add_text(
            "0/26.2.0.192.in-addr.arpa",
            &format!("{SOA}10 IN PTR mx.customer-b.example.\n"),
        )
        .unwrap();
    zones
}

#[tokio::test]
async fn resolver_follows_slash_cname_into_the_child_zone() {
    let server = ZoneServer::spawn(rfc2317_zones()).unwrap();
    let r = resolver(server.addr());
    let got = reverse(&r, "192.0.2.10").await;
    assert!(
        got.contains(&"CNAME 10.0/26.2.0.192.in-addr.arpa.".to_owned()),
        "{got:?}"
    );
    assert!(
        got.contains(&"PTR mx.customer-b.example.".to_owned()),
        "{got:?}"
    );
}

#[tokio::test]
async fn resolver_reads_ipv6_nibble_zone() {
    let zones = ZoneSet::from_text(
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        &format!("{SOA}1.0 IN PTR v6-1.fra1.examplehost.net.\n"),
    )
    .unwrap();
    let server = ZoneServer::spawn(zones).unwrap();
    let r = resolver(server.addr());
    assert_eq!(
        reverse(&r, "2001:db8:10::1").await,
        ["PTR v6-1.fra1.examplehost.net."]
    );
}

#[tokio::test]
async fn truncated_udp_answer_makes_the_resolver_use_tcp() {
    let server = ZoneServer::spawn(rfc2317_zones()).unwrap();
    let plan = FaultPlan {
        seed: 5,
        truncate: 1.0,
        ..FaultPlan::clean()
    };
    let proxy = FaultProxy::spawn(server.addr(), plan).unwrap();
    let r = resolver(proxy.addr());
    let got = reverse(&r, "192.0.2.10").await;
    assert!(
        got.contains(&"PTR mx.customer-b.example.".to_owned()),
        "{got:?}"
    );
    let counts = proxy.counts();
    assert!(counts.get(Fault::Truncate) >= 1);
    assert!(proxy.stats().tcp >= 1, "no TCP query reached the proxy");
    assert!(server.stats().tcp >= 1);
}
