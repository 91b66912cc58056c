//! `scan --authoritative` against two NSD instances: the primary serving the
//! reverse zone after a migration, and a secondary still serving the
//! pre-migration copy (issue 7). Both listen on the same high port, on
//! 127.0.0.11 and 127.0.0.12, which the zone's glue names; the primary is also
//! the configured resolver (it answers the discovery questions: SOA, NS,
//! glue). A second reverse zone names a server that does not serve it (lame:
//! REFUSED), a third one a server nobody runs (127.0.0.13: unreachable).

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::servers::{self, Daemon};

const SOA: &str =
    "$TTL 300\n@ IN SOA ns1.lab.example. hostmaster.lab.example. 1 3600 600 86400 300\n";

/// The reverse zone after the migration to fra1.
const NEW: &str = "@ IN NS ns1.lab.example.\n@ IN NS ns2.lab.example.\n\
    1 IN PTR mail1.fra1.lab.example.\n\
    2 IN PTR mail2.fra1.lab.example.\n\
    3 IN PTR mail3.fra1.lab.example.\n\
    5 IN PTR Mail5.FRA1.lab.example.\n";
/// The copy the secondary still serves (serial 1, never updated).
const OLD: &str = "@ IN NS ns1.lab.example.\n@ IN NS ns2.lab.example.\n\
    1 IN PTR mail1.ams3.lab.example.\n\
    2 IN PTR mail2.fra1.lab.example.\n\
    4 IN PTR mail4.ams3.lab.example.\n\
    5 IN PTR mail5.fra1.lab.example.\n";
/// Served by ns1 only, though ns2 is named too.
const LAME: &str = "@ IN NS ns1.lab.example.\n@ IN NS ns2.lab.example.\n9 IN PTR b9.lab.example.\n";
/// Served by ns1; ns3 (127.0.0.13) runs nothing.
const DOWN: &str = "@ IN NS ns1.lab.example.\n@ IN NS ns3.lab.example.\n7 IN PTR a7.lab.example.\n";
const FORWARD: &str = "@ IN NS ns1.lab.example.\n\
    ns1 IN A 127.0.0.11\nns2 IN A 127.0.0.12\nns3 IN A 127.0.0.13\n\
    mail1.fra1 IN A 203.0.113.1\nmail2.fra1 IN A 203.0.113.2\nmail3.fra1 IN A 203.0.113.3\n\
    mail5.fra1 IN A 203.0.113.5\nb9 IN A 198.51.100.9\na7 IN A 192.0.2.7\n";

pub(crate) const INVENTORY: &str = "version: 1
provider:
  name: Lab
  domains: [lab.example]
datacenters:
  - name: fra1
    status: active
    blocks:
      - cidr: 203.0.113.0/29
        policy: mail
      - cidr: 198.51.100.8/30
        policy: hosting
      - cidr: 192.0.2.4/30
        policy: hosting
";

/// Writes `origin.zone` under `dir` and returns (origin, path).
fn zone(dir: &Path, origin: &str, records: &str) -> (String, PathBuf) {
    let path = dir.join(format!("{origin}zone"));
    fs::write(&path, format!("$ORIGIN {origin}\n{SOA}{records}")).expect("write a zone");
    (origin.to_owned(), path)
}

/// A port free for UDP and TCP on 127.0.0.11, .12 and .13 a moment ago.
fn shared_port() -> u16 {
    'next: for _ in 0..50 {
        let probe = UdpSocket::bind("127.0.0.11:0").expect("bind 127.0.0.11");
        let port = probe.local_addr().expect("address").port();
        drop(probe);
        for last in [11, 12, 13] {
            let at = SocketAddr::from(([127, 0, 0, last], port));
            if UdpSocket::bind(at).is_err() || TcpListener::bind(at).is_err() {
                continue 'next;
            }
        }
        return port;
    }
    panic!("no port free on 127.0.0.11-13");
}

/// The two NSD instances on one port, retried on a fresh port after a race.
pub(crate) fn start(bin: &Path, dir: &Path) -> (Daemon, Daemon, u16) {
    let (new_dir, old_dir) = (dir.join("primary"), dir.join("secondary"));
    fs::create_dir_all(&new_dir).expect("mkdir");
    fs::create_dir_all(&old_dir).expect("mkdir");
    let primary_zones = [
        zone(&new_dir, "113.0.203.in-addr.arpa.", NEW),
        zone(&new_dir, "100.51.198.in-addr.arpa.", LAME),
        zone(&new_dir, "2.0.192.in-addr.arpa.", DOWN),
        zone(&new_dir, "lab.example.", FORWARD),
    ];
    let secondary_zones = [
        zone(&old_dir, "113.0.203.in-addr.arpa.", OLD),
        zone(&old_dir, "lab.example.", FORWARD),
    ];
    let mut last = String::new();
    for _ in 0..5 {
        let port = shared_port();
        let primary = servers::spawn_nsd(
            bin,
            &new_dir.join("run"),
            SocketAddr::from(([127, 0, 0, 11], port)),
            &primary_zones,
        );
        let secondary = servers::spawn_nsd(
            bin,
            &old_dir.join("run"),
            SocketAddr::from(([127, 0, 0, 12], port)),
            &secondary_zones,
        );
        match (primary, secondary) {
            (Ok(p), Ok(s)) => return (p, s, port),
            (p, s) => {
                last = format!("{:?}\n{:?}", p.err(), s.err());
            }
        }
    }
    panic!("the two NSD instances did not come up\n{last}");
}

#[test]
fn authoritative_mode_names_the_stale_secondary_and_the_lame_servers() {
    let test = "authoritative::authoritative_mode_names_the_stale_secondary_and_the_lame_servers";
    let Some(bins) = servers::binaries_or_skip(test, &["nsd"]) else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("ptr-audit-e2e-auth-")
        .tempdir()
        .expect("temporary directory");
    let (mut primary, mut secondary, port) = start(&bins[0], dir.path());
    let inventory = dir.path().join("inventory.yaml");
    fs::write(&inventory, INVENTORY).expect("write the inventory");
    let began = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
        .arg("scan")
        .arg(&inventory)
        .args(["--resolver", &format!("127.0.0.11:{port}")])
        .args(["--authoritative", "--authoritative-port", &port.to_string()])
        .arg("--allow-special-nameservers") // the servers are on loopback
        .args([
            "--format",
            "json",
            "--quiet",
            "--timeout",
            "500ms",
            "--attempts",
            "2",
        ])
        .output()
        .expect("run ptr-audit scan --authoritative");
    let took = began.elapsed();
    let logs = format!("{}\n{}", primary.log(), secondary.log());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json report: {e}\nstderr: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            logs
        )
    });
    assert_eq!(out.status.code(), Some(1), "findings fail the run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("not compared"),
        "every zone's servers were found: {stderr}"
    );

    // every address exactly once
    let records: BTreeMap<IpAddr, &Value> = doc["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| (r["ip"].as_str().unwrap().parse().unwrap(), r))
        .collect();
    assert_eq!(records.len(), doc["records"].as_array().unwrap().len());
    assert_eq!(records.len(), 8 + 4 + 4);

    let s1 = format!("127.0.0.11:{port} (ns1.lab.example.)");
    let s2 = format!("127.0.0.12:{port} (ns2.lab.example.)");
    let s3 = format!("127.0.0.13:{port} (ns3.lab.example.)");
    let inconsistent = |ip: &str| -> Option<(String, Vec<String>)> {
        let r = records[&ip.parse::<IpAddr>().unwrap()];
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "ptr-inconsistent")
            .map(|f| {
                (
                    f["severity"].as_str().unwrap().to_owned(),
                    f["answers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
    };
    let want = |a: &str, b: &str, resolver: &str| {
        Some((
            "error".to_owned(),
            vec![
                format!("{s1}: {a}"),
                format!("{s2}: {b}"),
                format!("resolver: {resolver}"),
            ],
        ))
    };
    // the secondary still serves the pre-migration names
    assert_eq!(
        inconsistent("203.0.113.1"),
        want(
            "mail1.fra1.lab.example.",
            "mail1.ams3.lab.example.",
            "mail1.fra1.lab.example."
        ),
        "{}",
        logs
    );
    assert_eq!(
        inconsistent("203.0.113.3"),
        want(
            "mail3.fra1.lab.example.",
            "NXDOMAIN",
            "mail3.fra1.lab.example."
        )
    );
    assert_eq!(
        inconsistent("203.0.113.4"),
        want("NXDOMAIN", "mail4.ams3.lab.example.", "NXDOMAIN")
    );
    // same answers (case aside) on both: nothing to say
    for ip in [
        "203.0.113.0",
        "203.0.113.2",
        "203.0.113.5",
        "203.0.113.6",
        "203.0.113.7",
    ] {
        assert_eq!(inconsistent(ip), None, "{ip}");
    }
    // nothing but the warning every `.example` name gets (special-use,
    // RFC 2606: public DNS never delegates it)
    let findings = &records[&"203.0.113.2".parse::<IpAddr>().unwrap()]["findings"];
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ptr-unknown-tld"], "{findings}");
    // a failing server does not make an address inconsistent
    for ip in ["198.51.100.9", "192.0.2.7", "192.0.2.4"] {
        assert_eq!(inconsistent(ip), None, "{ip}");
    }

    // per zone: the lame and the unreachable server, on their blocks
    let block_findings: Vec<(String, String, String, String)> = doc["block_findings"]
        .as_array()
        .expect("block_findings")
        .iter()
        .filter(|b| b["finding"]["code"] == "ptr-inconsistent")
        .map(|b| {
            let f = &b["finding"];
            (
                b["block"].as_str().unwrap().to_owned(),
                f["zones"][0].as_str().unwrap().to_owned(),
                f["server"].as_str().unwrap().to_owned(),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        block_findings,
        [
            (
                "192.0.2.4/30".to_owned(),
                "2.0.192.in-addr.arpa.".to_owned(),
                s3,
                "timeout".to_owned()
            ),
            (
                "198.51.100.8/30".to_owned(),
                "100.51.198.in-addr.arpa.".to_owned(),
                s2,
                "refused".to_owned()
            ),
        ],
        "{}",
        serde_json::to_string_pretty(&doc["block_findings"]).unwrap()
    );
    eprintln!(
        "authoritative e2e: {} addresses, 3 zones, 3 servers, {:.1} s",
        records.len(),
        took.as_secs_f64()
    );
}
