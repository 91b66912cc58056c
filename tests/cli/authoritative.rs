//! `ptr-audit scan --authoritative` over loopback: a resolver for discovery and
//! two in-process servers sharing one port on 127.0.0.11 and 127.0.0.12, the
//! second serving the pre-migration zone; then one of them down.

use std::net::SocketAddr;

use ptr_audit_dnsserver::{Mode, ZoneServer, ZoneSet};
use serde_json::Value;

const SOA: &str = "$TTL 300\n\
    @ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n\
    @ IN NS ns1.examplehost.net.\n@ IN NS ns2.examplehost.net.\n";

fn zones(reverse: &str) -> ZoneSet {
    let mut set = ZoneSet::new();
    set.add_text("113.0.203.in-addr.arpa", &format!("{SOA}{reverse}"))
        .expect("reverse zone");
    set.add_text("112.0.203.in-addr.arpa", SOA)
        .expect("second reverse zone");
    set.add_text(
        "examplehost.net",
        &format!(
            "{SOA}ns1 IN A 127.0.0.11\nns2 IN A 127.0.0.12\n\
             mail1.fra1 IN A 203.0.113.1\nmail2.fra1 IN A 203.0.113.2\n"
        ),
    )
    .expect("forward zone");
    set
}

const NEW: &str = "1 IN PTR mail1.fra1.examplehost.net.\n2 IN PTR mail2.fra1.examplehost.net.\n";
const OLD: &str = "1 IN PTR mail1.ams3.examplehost.net.\n2 IN PTR mail2.fra1.examplehost.net.\n";

/// The primary (new zone) on 127.0.0.11 and the secondary (old zone) on
/// 127.0.0.12, one port.
fn pair() -> (ZoneServer, ZoneServer) {
    for _ in 0..20 {
        let a = ZoneServer::spawn_on(zones(NEW), SocketAddr::from(([127, 0, 0, 11], 0)))
            .expect("primary");
        let port = a.addr().port();
        if let Ok(b) = ZoneServer::spawn_on(zones(OLD), SocketAddr::from(([127, 0, 0, 12], port))) {
            return (a, b);
        }
    }
    panic!("no port free on both 127.0.0.11 and .12");
}

fn scan(cidr: &str, resolver: SocketAddr, port: u16) -> (Option<i32>, Value) {
    scan_with(cidr, resolver, port, &[])
}

fn scan_with(cidr: &str, resolver: SocketAddr, port: u16, extra: &[&str]) -> (Option<i32>, Value) {
    let out = crate::ptr_audit_process()
        .args(["scan", cidr, "--resolver", &resolver.to_string()])
        .args(extra)
        .args(["--authoritative", "--authoritative-port", &port.to_string()])
        .arg("--allow-special-nameservers") // the servers are on loopback
        .args(["--format", "json", "--quiet"])
        .args(["--timeout", "300ms", "--attempts", "2"])
        .output()
        .expect("run ptr-audit");
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json report: {e}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

fn finding<'a>(doc: &'a Value, ip: &str) -> Option<&'a Value> {
    doc["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["ip"] == ip)
        .unwrap_or_else(|| panic!("{ip} reported"))["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "ptr-inconsistent")
}

#[test]
fn authoritative_scan_names_the_server_with_the_old_zone() {
    let (primary, secondary) = pair();
    let port = primary.addr().port();
    let (code, doc) = scan("203.0.113.0/30", primary.addr(), port);
    assert_eq!(doc["records"].as_array().unwrap().len(), 4);
    let f = finding(&doc, "203.0.113.1").expect("203.0.113.1 is inconsistent");
    assert_eq!(f["severity"], "warning", "hosting block for CIDR input");
    assert_eq!(
        f["answers"],
        serde_json::json!([
            format!("127.0.0.11:{port} (ns1.examplehost.net.): mail1.fra1.examplehost.net."),
            format!("127.0.0.12:{port} (ns2.examplehost.net.): mail1.ams3.examplehost.net."),
            "resolver: mail1.fra1.examplehost.net."
        ])
    );
    for ip in ["203.0.113.0", "203.0.113.2", "203.0.113.3"] {
        assert!(finding(&doc, ip).is_none(), "{ip}");
    }
    assert!(doc["block_findings"].as_array().unwrap().is_empty());
    // .0 and .3 have no PTR at all (ptr-missing, an error)
    assert_eq!(code, Some(1));
    assert_eq!(secondary.queries_for("1.113.0.203.in-addr.arpa", "PTR"), 1);

    // resumed from a complete checkpoint: nothing is asked again, and the
    // recorded inconsistency is still reported
    let dir = tempfile::tempdir().expect("temporary directory");
    let checkpoint = dir.path().join("checkpoint.jsonl");
    let checkpoint = checkpoint.to_str().expect("utf-8 path");
    let with_checkpoint = ["--checkpoint", checkpoint];
    let (_, first) = scan_with("203.0.113.0/30", primary.addr(), port, &with_checkpoint);
    secondary.reset_stats();
    let resume = ["--checkpoint", checkpoint, "--resume"];
    let (_, resumed) = scan_with("203.0.113.0/30", primary.addr(), port, &resume);
    assert_eq!(secondary.stats().total, 0, "nothing asked again");
    assert_eq!(resumed["records"], first["records"]);
    assert!(finding(&resumed, "203.0.113.1").is_some());

    // the secondary goes down: one block finding for the block's two
    // zones, and nothing inconsistent
    secondary.set_mode(Mode::Silent);
    let (_, doc) = scan("203.0.112.0/23", primary.addr(), port);
    assert!(finding(&doc, "203.0.113.1").is_none());
    let blocks = doc["block_findings"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0]["block"], "203.0.112.0/23");
    assert_eq!(blocks[0]["finding"]["zone_count"], 2);
    assert_eq!(
        blocks[0]["finding"]["zones"],
        serde_json::json!(["112.0.203.in-addr.arpa.", "113.0.203.in-addr.arpa."])
    );
    assert_eq!(
        blocks[0]["finding"]["server"],
        format!("127.0.0.12:{port} (ns2.examplehost.net.)")
    );
    assert_eq!(blocks[0]["finding"]["reason"], "timeout");
}

#[test]
fn name_servers_at_special_purpose_addresses_are_skipped_and_reported() {
    // Without `--allow-special-nameservers` the NS set's loopback addresses
    // are not asked: a block finding per server and a warning on stderr.
    let (primary, secondary) = pair();
    let port = primary.addr().port();
    let out = crate::ptr_audit_process()
        .args([
            "scan",
            "203.0.113.0/30",
            "--resolver",
            &primary.addr().to_string(),
        ])
        .args(["--authoritative", "--authoritative-port", &port.to_string()])
        .args(["--format", "json", "--quiet"])
        .args(["--timeout", "300ms", "--attempts", "2"])
        .output()
        .expect("run ptr-audit");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(secondary.stats().total, 0, "the secondary was not asked");
    assert_eq!(
        primary.stats().qtype("PTR"),
        4,
        "the primary answered the resolver's questions only"
    );
    assert!(finding(&doc, "203.0.113.1").is_none());
    let blocks = doc["block_findings"].as_array().expect("block findings");
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    for (block, ns) in blocks.iter().zip([11, 12]) {
        assert_eq!(
            block["finding"]["server"],
            format!("127.0.0.{ns}:{port} (ns{}.examplehost.net.)", ns - 10)
        );
        assert_eq!(block["finding"]["reason"], "special-purpose");
        let message = block["finding"]["message"].as_str().expect("message");
        assert!(
            message.contains("unreachable from the Internet (not asked)"),
            "{message}"
        );
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 name server address(es) at special-purpose addresses not asked")
            && err.contains(&format!(
                "127.0.0.12:{port} (ns2.examplehost.net.) (loopback)"
            )),
        "{err}"
    );
}
