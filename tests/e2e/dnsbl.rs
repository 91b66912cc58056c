//! `scan --dnsbl` against the stock DNSBL server, rbldnsd, serving test
//! lists on loopback: every answer kind (a listing of each Spamhaus sub-list,
//! several codes at once, the error codes 127.255.255.252 and .254, an answer
//! outside 127.0.0.0/8, not listed, IPv6), `expect_pbl`, a DQS-style zone
//! whose key must appear nowhere, and a dead list server (unknown, never
//! clean). The PTRs come from the embedded server (`--zones`), so the lists
//! go through `--dnsbl-resolver`; and the lists in an authoritative scan,
//! with NSD serving the PTRs as `authoritative` starts it.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::servers::{self, Daemon, Silent};

/// The DQS-style key of the test: it must never reach an output.
const KEY: &str = "k3yk3yk3ySECRETk3yk3yk3y00";

const ZEN: &str = "\
:127.0.0.2:SBL listed
192.0.2.2
192.0.2.3 :127.0.0.3:CSS
192.0.2.4 :127.0.0.4:XBL
192.0.2.10 :127.0.0.10:PBL ISP
192.0.2.11 :127.0.0.11:PBL Spamhaus
192.0.2.20 :127.0.0.2:SBL
192.0.2.20 :127.0.0.10:PBL
192.0.2.21 :127.255.255.252:typo
192.0.2.22 :127.255.255.254:open resolver
192.0.2.23 :10.0.0.1:outside 127/8
198.51.100.2 :127.0.0.11:PBL
";

const ZEN6: &str = "\
:127.0.0.3:CSS
2001:db8:10::5
";

const INVENTORY: &str = "\
version: 1
provider:
  name: Test
  domains: [example.net]
datacenters:
  - name: fra1
    blocks:
      - cidr: 192.0.2.0/27
        policy: mail
      - cidr: 2001:db8:10::4/126
        policy: hosting
  - name: dial
    expect_pbl: true
    blocks:
      - cidr: 198.51.100.0/30
        policy: hosting
";

/// rbldnsd on a loopback port serving `zen.test` (both files) from `dir`.
fn start_rbldnsd(bin: &Path, dir: &Path) -> (Daemon, SocketAddr) {
    let mut last = String::new();
    for _ in 0..servers::START_TRIES {
        let addr = SocketAddr::from(([127, 0, 0, 1], servers::free_port()));
        let bind = format!("127.0.0.1/{}", addr.port());
        let zone4 = format!("{KEY}.zen.test:ip4set:zen.txt");
        let zone6 = format!("{KEY}.zen.test:ip6trie:zen6.txt");
        use std::ffi::OsStr;
        let mut args: Vec<&OsStr> = vec![OsStr::new("-n"), OsStr::new("-b"), OsStr::new(&bind)];
        // rbldnsd refuses to run as root: it drops to its own user (which
        // the Debian package creates) when started by root
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            args.extend([OsStr::new("-u"), OsStr::new("rbldns")]);
        }
        args.extend([
            OsStr::new("-w"),
            dir.as_os_str(),
            OsStr::new(&zone4),
            OsStr::new(&zone6),
        ]);
        let mut daemon = Daemon::spawn_with("rbldnsd", bin, &args, dir.join("rbldnsd.log"));
        let probe = format!("2.2.0.192.{KEY}.zen.test.");
        if servers::wait_ready(&mut daemon, addr, &probe, 1, |r| r.rcode == 0) {
            return (daemon, addr);
        }
        last = daemon.log();
    }
    panic!("rbldnsd did not come up on loopback\n{last}");
}

struct Lab {
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ptr-audit-dnsbl-")
            .tempdir()
            .expect("temporary directory");
        // readable by rbldnsd's own user
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        };
        write("zen.txt", ZEN);
        write("zen6.txt", ZEN6);
        write("inventory.yaml", INVENTORY);
        write("dqs.key", &format!("{KEY}\n"));
        let zones = dir.path().join("zones");
        fs::create_dir(&zones).unwrap();
        let soa = "$TTL 300\n@ IN SOA ns.example.net. h.example.net. 1 3600 600 86400 300\n@ IN NS ns.example.net.\n";
        let mut rev4 = format!("$ORIGIN 2.0.192.in-addr.arpa.\n{soa}");
        let mut rev198 = format!("$ORIGIN 100.51.198.in-addr.arpa.\n{soa}");
        let mut fwd = format!("$ORIGIN example.net.\n{soa}");
        for d in 0..32 {
            rev4.push_str(&format!("{d} PTR mail{d}.example.net.\n"));
            fwd.push_str(&format!("mail{d} A 192.0.2.{d}\n"));
        }
        for d in 0..4 {
            rev198.push_str(&format!("{d} PTR shop{d}.example.net.\n"));
            fwd.push_str(&format!("shop{d} A 198.51.100.{d}\n"));
        }
        fs::write(zones.join("rev4.zone"), rev4).unwrap();
        fs::write(zones.join("rev198.zone"), rev198).unwrap();
        fs::write(zones.join("fwd.zone"), fwd).unwrap();
        Lab { dir }
    }

    fn scan(&self, list_server: SocketAddr, format: &str, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
            .arg("scan")
            .arg(self.dir.path().join("inventory.yaml"))
            .arg("--zones")
            .arg(self.dir.path().join("zones"))
            .args(["--dnsbl", "{key}.zen.test=spamhaus-zen", "--dnsbl-key-file"])
            .arg(self.dir.path().join("dqs.key"))
            .args(["--dnsbl-resolver", &list_server.to_string()])
            .args(["--format", format, "--fail-on", "never"])
            .args(extra)
            .output()
            .expect("run ptr-audit scan")
    }
}

fn records(out: &Output) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not json ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(doc["format_version"], 3);
    assert_eq!(
        doc["settings"]["dnsbl"],
        serde_json::json!(["{key}.zen.test=spamhaus-zen"])
    );
    assert_eq!(
        doc["settings"]["dnsbl_resolvers"].as_array().unwrap().len(),
        1
    );
    doc["records"].as_array().unwrap().clone()
}

fn record<'a>(recs: &'a [Value], ip: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["ip"] == ip)
        .unwrap_or_else(|| panic!("no record for {ip}"))
}

/// (code, severity) of every finding, and the `lookup` of `lookup-failed` ones.
fn findings(rec: &Value) -> Vec<(String, String, String)> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["lookup"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn has(rec: &Value, code: &str, severity: &str) -> bool {
    findings(rec)
        .iter()
        .any(|(c, s, _)| c == code && s == severity)
}

#[test]
fn rbldnsd_answers_of_every_kind_become_listings_or_unknowns() {
    let Some(bins) = servers::binaries_or_skip(
        "dnsbl::rbldnsd_answers_of_every_kind_become_listings_or_unknowns",
        &["rbldnsd"],
    ) else {
        return;
    };
    let lab = Lab::new();
    let (mut daemon, addr) = start_rbldnsd(&bins[0], lab.dir.path());
    let out = lab.scan(addr, "json", &[]);
    let recs = records(&out);
    let mut log = || daemon.log();
    assert_eq!(recs.len(), 32 + 4 + 4, "every address once");
    let bl = |ip: &str| record(&recs, ip)["dnsbl"][0].clone();
    let message = |ip: &str, code: &str| {
        record(&recs, ip)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{ip}: no {code}: {:?}", findings(record(&recs, ip))))
    };

    // listings, each sub-list named; an error on a mail block
    for (ip, sub) in [
        ("192.0.2.2", "SBL"),
        ("192.0.2.3", "CSS"),
        ("192.0.2.4", "XBL"),
        ("192.0.2.10", "PBL"),
        ("192.0.2.11", "PBL"),
    ] {
        let rec = record(&recs, ip);
        assert_eq!(rec["status"], "dnsbl-listed", "{ip}: {rec}\n{}", log());
        assert!(has(rec, "dnsbl-listed", "error"), "{ip}");
        assert!(message(ip, "dnsbl-listed").contains(sub), "{ip}");
        assert_eq!(bl(ip)["result"], "answer");
        assert_eq!(bl(ip)["list"], "{key}.zen.test");
        assert_eq!(bl(ip)["kind"], "spamhaus-zen");
    }
    // two codes in one answer
    assert_eq!(
        bl("192.0.2.20")["codes"],
        serde_json::json!(["127.0.0.2", "127.0.0.10"])
    );
    assert!(message("192.0.2.20", "dnsbl-listed").contains("(SBL, PBL)"));
    // error codes and an answer outside 127/8: unknown, never listed or clean
    for (ip, says) in [
        ("192.0.2.21", "typo"),
        ("192.0.2.22", "public or open resolver"),
        ("192.0.2.23", "outside 127.0.0.0/8"),
    ] {
        let rec = record(&recs, ip);
        assert_eq!(rec["status"], "lookup-failed", "{ip}: {rec}");
        assert_eq!(
            findings(rec),
            vec![("lookup-failed".into(), "warning".into(), "dnsbl".into())],
            "{ip}"
        );
        assert!(message(ip, "lookup-failed").contains(says), "{ip}");
    }
    // not listed: clean, the answer recorded
    let clean = record(&recs, "192.0.2.9");
    assert_eq!(clean["status"], "ok", "{clean}");
    assert_eq!(bl("192.0.2.9")["result"], "not-listed");
    // IPv6 (nibbles): a notice on a hosting block; the block has no PTR zone
    assert!(has(
        record(&recs, "2001:db8:10::5"),
        "dnsbl-listed",
        "notice"
    ));
    assert_eq!(bl("2001:db8:10::6")["result"], "not-listed");
    // expect_pbl: listed in the PBL is as wanted, absent is a notice
    assert!(
        findings(record(&recs, "198.51.100.2")).is_empty(),
        "{}",
        record(&recs, "198.51.100.2")
    );
    let unlisted = record(&recs, "198.51.100.1");
    assert_eq!(
        findings(unlisted),
        vec![("pbl-unlisted".into(), "notice".into(), String::new())]
    );
    // the key is nowhere: not in the report, not on stderr
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
    assert!(String::from_utf8_lossy(&out.stdout).contains("{key}.zen.test"));

    // every other format carries the listing and not the key
    for format in ["csv", "sarif", "junit", "markdown", "table", "html"] {
        let out = lab.scan(addr, format, &[]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("dnsbl-listed"), "{format}:\n{text}");
        assert!(!text.contains(KEY), "{format}");
    }
}

#[test]
fn a_dead_list_server_leaves_the_listing_unknown() {
    let lab = Lab::new();
    let silent = Silent::bind();
    let out = lab.scan(
        silent.addr,
        "json",
        &["--timeout", "300ms", "--attempts", "2"],
    );
    let recs = records(&out);
    assert_eq!(recs.len(), 40);
    for rec in &recs {
        assert_eq!(rec["dnsbl"][0]["result"], "failed", "{rec}");
        assert_eq!(rec["dnsbl"][0]["failure"], "timeout");
        assert_eq!(rec["status"], "lookup-failed", "{rec}");
        assert!(
            findings(rec)
                .iter()
                .any(|(c, _, l)| c == "lookup-failed" && l == "dnsbl"),
            "{rec}"
        );
        // never clean, never "not in the PBL": unknown
        assert!(!has(rec, "pbl-unlisted", "notice"), "{rec}");
    }
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
}

/// The addresses of `authoritative::INVENTORY` in the list (and 192.0.2.2,
/// outside it, which `start_rbldnsd` asks until the list answers).
const ZEN_AUTHORITATIVE: &str = "\
:127.0.0.2:SBL listed
192.0.2.2
203.0.113.1
203.0.113.2 :127.0.0.4:XBL
203.0.113.3 :127.255.255.254:open resolver
198.51.100.9 :127.0.0.11:PBL Spamhaus
";

#[test]
fn an_authoritative_scan_carries_the_blocklist_answers() {
    let test = "dnsbl::an_authoritative_scan_carries_the_blocklist_answers";
    let Some(bins) = servers::binaries_or_skip(test, &["nsd", "rbldnsd"]) else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("ptr-audit-dnsbl-auth-")
        .tempdir()
        .expect("temporary directory");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in [
        ("zen.txt", ZEN_AUTHORITATIVE),
        ("zen6.txt", ZEN6),
        ("dqs.key", &format!("{KEY}\n")),
        ("inventory.yaml", crate::authoritative::INVENTORY),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (mut list, list_addr) = start_rbldnsd(&bins[1], dir.path());
    let (mut primary, mut secondary, port) = crate::authoritative::start(&bins[0], dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
        .arg("scan")
        .arg(dir.path().join("inventory.yaml"))
        .args(["--resolver", &format!("127.0.0.11:{port}")])
        .args(["--authoritative", "--authoritative-port", &port.to_string()])
        .arg("--allow-special-nameservers") // the servers are on loopback
        .args(["--dnsbl", "{key}.zen.test=spamhaus-zen", "--dnsbl-key-file"])
        .arg(dir.path().join("dqs.key"))
        .args(["--dnsbl-resolver", &list_addr.to_string()])
        .args(["--format", "json", "--fail-on", "never", "--quiet"])
        .args(["--timeout", "500ms", "--attempts", "2"])
        .output()
        .expect("run ptr-audit scan --authoritative --dnsbl");
    let logs = format!("{}\n{}\n{}", primary.log(), secondary.log(), list.log());
    let recs = records(&out);
    assert_eq!(recs.len(), 8 + 4 + 4, "every address once\n{logs}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["settings"]["authoritative"], true);
    // one answer per address from the one list, whatever the passes
    for rec in &recs {
        let answers = rec["dnsbl"].as_array().unwrap();
        assert_eq!(answers.len(), 1, "{rec}");
        assert_eq!(answers[0]["list"], "{key}.zen.test", "{rec}");
        assert_ne!(answers[0]["result"], "failed", "{rec}\n{logs}");
    }
    let bl = |ip: &str| record(&recs, ip)["dnsbl"][0].clone();
    // listed: an error on the mail block, with the servers' disagreement kept
    let stale = record(&recs, "203.0.113.1");
    assert_eq!(bl("203.0.113.1")["codes"], serde_json::json!(["127.0.0.2"]));
    assert!(has(stale, "dnsbl-listed", "error"), "{stale}");
    assert!(
        findings(stale)
            .iter()
            .any(|(c, _, _)| c == "ptr-inconsistent"),
        "{stale}"
    );
    assert_eq!(bl("203.0.113.2")["codes"], serde_json::json!(["127.0.0.4"]));
    assert!(has(record(&recs, "203.0.113.2"), "dnsbl-listed", "error"));
    // an error code: unknown, never listed or clean
    let unknown = record(&recs, "203.0.113.3");
    assert!(
        findings(unknown)
            .iter()
            .any(|(c, _, l)| c == "lookup-failed" && l == "dnsbl"),
        "{unknown}"
    );
    assert!(!has(unknown, "dnsbl-listed", "error"), "{unknown}");
    // a notice on a hosting block; the rest not listed
    assert!(has(record(&recs, "198.51.100.9"), "dnsbl-listed", "notice"));
    for ip in ["203.0.113.5", "198.51.100.8", "192.0.2.7"] {
        assert_eq!(bl(ip)["result"], "not-listed", "{ip}");
        assert!(
            !findings(record(&recs, ip))
                .iter()
                .any(|(c, _, _)| c.starts_with("dnsbl")),
            "{ip}"
        );
    }
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
}
