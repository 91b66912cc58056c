//! `ptr-audit fix`: exit codes, the three output syntaxes, and hostile names.

use predicates::prelude::*;

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};

use crate::ptr_audit;

/// Three failing records (one fixable, one without expectation, one with an
/// expected name that tries to inject a line) and one ok record, as `jsonl`.
const REPORT: &str = concat!(
    r#"{"ip":"203.0.113.5","datacenter":"fra1","block":"203.0.113.0/26","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail5.fra1.examplehost.net","ptr":["static.5.113.0.203.clients.examplehost.net."],"cname_chain":[],"rcode":"NOERROR","result":"answer","failure":null,"dead_end":null,"attempts":1,"forward":{"static.5.113.0.203.clients.examplehost.net.":["203.0.113.5"]},"status":"ptr-generic","findings":[{"code":"ptr-generic","severity":"error","message":"the name is the provider's default"}],"iprev":"pass","receivers":[]}"#,
    "\n",
    r#"{"ip":"192.0.2.11","datacenter":"fra1","block":"192.0.2.0/26","policy":"mail","source":{"file":"inventory.yaml","line":30},"expected":null,"ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
    "\n",
    r#"{"ip":"192.0.2.12","datacenter":"fra1","block":"192.0.2.0/26","policy":"mail","source":{"file":"inventory.yaml","line":30},"expected":"ok.example.\nupdate add evil.example. 1 A 192.0.2.1","ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
    "\n",
    r#"{"ip":"203.0.113.25","datacenter":"fra1","block":"203.0.113.0/26","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail.customer-a.example","ptr":["mail.customer-a.example."],"cname_chain":[],"rcode":"NOERROR","result":"answer","failure":null,"dead_end":null,"attempts":1,"forward":{"mail.customer-a.example.":["203.0.113.25"]},"status":"ok","findings":[],"iprev":"pass","receivers":[]}"#,
    "\n",
);

fn report_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.jsonl");
    std::fs::write(&path, REPORT).unwrap();
    (dir, path)
}

#[test]
fn fix_bind_writes_records_and_lists_what_it_cannot_fix() {
    let (_dir, path) = report_file();
    ptr_audit()
        .args(["fix", path.to_str().unwrap(), "--as", "bind"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "5.113.0.203.in-addr.arpa.\t3600\tIN\tPTR\tmail5.fra1.examplehost.net.",
        ))
        .stdout(predicate::str::contains("evil").not())
        .stderr(predicate::str::contains(
            "2 record(s) to publish; 2 failing address(es) not fixed",
        ))
        .stderr(predicate::str::contains("192.0.2.11 ptr-missing"))
        .stderr(predicate::str::contains("not a valid host name"));
}

/// A primary for the report's zones: the /24 reverse zone and the forward
/// zone `fra1.examplehost.net.` (a child of the provider's domain).
fn primary() -> ZoneServer {
    let mut zones = ZoneSet::new();
    for (origin, records) in [
        (
            "113.0.203.in-addr.arpa.",
            "5 IN PTR static.5.113.0.203.clients.examplehost.net.\n",
        ),
        (
            "examplehost.net.",
            "static.5.113.0.203.clients IN A 203.0.113.5\n",
        ),
        ("fra1.examplehost.net.", "www IN A 192.0.2.80\n"),
    ] {
        zones.add_text(origin, &format!("{SOA}{records}")).unwrap();
    }
    ZoneServer::spawn(zones).unwrap()
}

#[test]
fn fix_nsupdate_and_csv_exit_zero() {
    let (dir, path) = report_file();
    let server = primary();
    let script = ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--as",
            "nsupdate",
            "--ttl",
            "300",
            "--resolver",
            &server.addr().to_string(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("evil").not())
        .get_output()
        .stdout
        .clone();
    // Every transaction names its zone, the forward one included (learned
    // from the SOA: not the reverse zone of the transaction before).
    assert!(
        String::from_utf8(script).unwrap().contains(concat!(
            "zone 113.0.203.in-addr.arpa.\n",
            "prereq yxrrset 5.113.0.203.in-addr.arpa. IN PTR static.5.113.0.203.clients.examplehost.net.\n",
            "update delete 5.113.0.203.in-addr.arpa. PTR\n",
            "update add 5.113.0.203.in-addr.arpa. 300 PTR mail5.fra1.examplehost.net.\n",
            "send\n",
            "zone fra1.examplehost.net.\n",
            "update add mail5.fra1.examplehost.net. 300 A 203.0.113.5\n",
            "send\n",
        ))
    );
    let out = dir.path().join("fix.csv");
    ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--as",
            "csv",
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("action,zone,owner,ttl,type,value,ip,status,seen\r\n"),
        "{csv}"
    );
    // The PTR, and the forward record its new name needs.
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.contains("add,,mail5.fra1.examplehost.net.,3600,A,203.0.113.5,"),
        "{csv}"
    );
}

#[test]
fn fix_exits_2_on_a_missing_or_broken_report() {
    ptr_audit()
        .args(["fix", "no/such/report.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/report.json"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jsonl");
    let mut text = REPORT.to_owned();
    text.insert_str(REPORT.find('\n').unwrap() + 1, "{\"ip\": 42}\n");
    std::fs::write(&path, text).unwrap();
    ptr_audit()
        .args(["fix", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.jsonl` line 2"));
}

#[test]
fn fix_exits_2_on_an_unknown_format() {
    let (_dir, path) = report_file();
    ptr_audit()
        .args(["fix", path.to_str().unwrap(), "--as", "tinydns"])
        .assert()
        .code(2);
}

#[test]
fn fix_groups_by_the_zone_files_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ip":"2001:db8:10::5","datacenter":"fra1","block":"2001:db8:10::/124","policy":"hosting","source":{"file":"inventory.yaml","line":32},"expected":"v6-5.fra1.examplehost.net","ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
            "\n"
        ),
    )
    .unwrap();
    let owner = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
    // Without zone files: the block's /64.
    ptr_audit()
        .args(["fix", path.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "; zone 0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.\n",
        ))
        .stdout(predicate::str::contains(owner));
    // With the example's zone files: the /48 zone that really exists.
    ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--zones",
            "inventories/example/zones",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "; zone 0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.\n",
        ))
        .stdout(predicate::str::contains(owner));
    // A zones directory that cannot be read is bad input.
    ptr_audit()
        .args(["fix", path.to_str().unwrap(), "--zones", "no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/dir"));
}

const SOA: &str = "$TTL 300\n@ IN SOA ns.example.net. h.example.net. 1 3600 600 86400 300\n@ IN NS ns.example.net.\n";

/// Applies `fix --as bind` output to the zone files of `dir`: every owner of
/// a section loses its records of that type, then the section's lines are
/// appended to `<zone>.zone`.
fn apply_bind(dir: &std::path::Path, bind: &str) {
    let mut zone: Option<String> = None;
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in bind.lines() {
        if let Some(rest) = line.strip_prefix("; zone ") {
            zone = Some(rest.split_whitespace().next().unwrap().to_owned());
            sections.push((zone.clone().unwrap(), Vec::new()));
        } else if !line.starts_with(';') && !line.trim().is_empty() {
            assert!(zone.is_some(), "record outside a zone section: {line}");
            sections.last_mut().unwrap().1.push(line.to_owned());
        }
    }
    assert!(!sections.is_empty(), "no zone sections in:\n{bind}");
    for (zone, lines) in sections {
        let path = dir.join(format!("{}zone", zone));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no zone file for `{zone}`"));
        let replaced: Vec<(String, String)> = lines
            .iter()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].to_owned(), f[3].to_owned())
            })
            .collect();
        let mut kept: Vec<String> = text
            .lines()
            .filter(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                !(f.len() >= 4
                    && replaced.iter().any(|(owner, rtype)| {
                        let full = format!("{}.{}", f[0], zone);
                        (f[0] == owner || full == *owner) && f.contains(&rtype.as_str())
                    }))
            })
            .map(str::to_owned)
            .collect();
        kept.extend(lines);
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
}

#[test]
fn fix_output_loaded_into_the_zones_makes_the_rescan_clean() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    std::fs::write(
        zones.join("0.20.10.in-addr.arpa.zone"),
        format!(
            "{SOA}1 IN PTR mail1.dc1.example.net.\n2 IN PTR 10-20-0-2.pool.example.net.\n\
             4 IN PTR mail4.dc1.example.net.\n5 IN PTR smtp.example.net.\n"
        ),
    )
    .unwrap();
    std::fs::write(
        zones.join("example.net.zone"),
        format!(
            "{SOA}mail1.dc1 IN A 10.20.0.1\n10-20-0-2.pool IN A 10.20.0.2\nsmtp IN A 10.20.0.5\n"
        ),
    )
    .unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(
        &inventory,
        "version: 1\ndatacenters:\n  - name: dc1\n    status: active\n    blocks:\n      - cidr: 10.20.0.0/29\n        policy: mail\n        expect_ptr: \"mail{d}.dc1.example.net\"\n        exclude: [10.20.0.0/32, 10.20.0.6/31]\n",
    )
    .unwrap();
    let scan = |report: &std::path::Path| {
        crate::ptr_audit_process()
            .arg("scan")
            .arg(&inventory)
            .arg("--zones")
            .arg(&zones)
            .args(["--quiet", "--format", "json"])
            .stdout(std::fs::File::create(report).unwrap())
            .status()
            .unwrap()
            .code()
    };
    let before = dir.path().join("before.json");
    assert_eq!(scan(&before), Some(1), "the zones start broken");
    let out = ptr_audit()
        .args(["fix", before.to_str().unwrap(), "--as", "bind"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // `settings.zones` is the list of sources; reports of earlier versions
    // wrote one directory: fix reads both the same way
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&before).unwrap()).unwrap();
    assert_eq!(doc["settings"]["zones"], serde_json::json!([zones]));
    doc["settings"]["zones"] = serde_json::json!(zones);
    let old = dir.path().join("old.json");
    std::fs::write(&old, doc.to_string()).unwrap();
    let from_old = ptr_audit()
        .args(["fix", old.to_str().unwrap(), "--as", "bind"])
        .output()
        .unwrap();
    assert_eq!(from_old.stdout, out.stdout);
    apply_bind(&zones, &String::from_utf8(out.stdout).unwrap());
    let after = dir.path().join("after.json");
    let code = scan(&after);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&after).unwrap()).unwrap();
    let statuses: Vec<(String, String)> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ip"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(code, Some(0), "after the fix: {statuses:?}");
    assert_eq!(statuses.len(), 5);
    assert!(statuses.iter().all(|(_, s)| s == "ok"), "{statuses:?}");
}

#[test]
fn fix_nsupdate_never_writes_a_transaction_without_its_zone() {
    let (_dir, path) = report_file();
    // A server that serves only the reverse zone: the forward name's SOA
    // query is refused, so its A record is not fixed rather than sent to
    // the reverse zone.
    let mut zones = ZoneSet::new();
    zones
        .add_text(
            "113.0.203.in-addr.arpa.",
            &format!("{SOA}5 IN PTR x.example.\n"),
        )
        .unwrap();
    let server = ZoneServer::spawn(zones).unwrap();
    let out = ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--as",
            "nsupdate",
            "--resolver",
        ])
        .arg(server.addr().to_string())
        .output()
        .unwrap();
    crate::assert_exit(&out, 0);
    let script = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        script.contains("zone 113.0.203.in-addr.arpa.\n"),
        "{script}"
    );
    assert!(
        !script.contains("update add mail5.fra1.examplehost.net."),
        "{script}"
    );
    assert!(
        stderr.contains("no zone found for `mail5.fra1.examplehost.net.`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("203.0.113.5 ptr-generic (mail5.fra1.examplehost.net.)"),
        "{stderr}"
    );
}

#[test]
fn fix_puts_a_small_blocks_ptr_at_its_own_name_when_dns_has_no_child_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ip":"203.0.113.10","datacenter":"fra1","block":"203.0.113.8/29","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail10.fra1.examplehost.net","ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
            "\n"
        ),
    )
    .unwrap();
    // Offline, the block's shape says RFC 2317: the child zone `8/29`.
    ptr_audit()
        .args(["fix", path.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("10.8/29.113.0.203.in-addr.arpa."));
    // The primary has no such child zone: the PTR goes to the address's own
    // name in the /24 zone, where the scan saw none.
    let server = primary();
    ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--as",
            "nsupdate",
            "--resolver",
        ])
        .arg(server.addr().to_string())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(concat!(
            "zone 113.0.203.in-addr.arpa.\n",
            "prereq nxrrset 10.113.0.203.in-addr.arpa. IN PTR\n",
            "update delete 10.113.0.203.in-addr.arpa. PTR\n",
            "update add 10.113.0.203.in-addr.arpa. 3600 PTR mail10.fra1.examplehost.net.\n",
        )))
        .stdout(predicate::str::contains("8/29").not());
}

#[test]
fn fix_nsupdate_with_zone_files_lists_records_in_none_of_them_as_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fcrdns.jsonl");
    // The PTR is right; its name's A lookup said NXDOMAIN.
    std::fs::write(
        &path,
        concat!(
            r#"{"ip":"203.0.113.5","datacenter":"fra1","block":"203.0.113.0/26","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail5.fra1.examplehost.net","ptr":["mail5.fra1.examplehost.net."],"cname_chain":[],"rcode":"NOERROR","result":"answer","failure":null,"dead_end":null,"attempts":1,"forward":{"mail5.fra1.examplehost.net.":"nxdomain"},"status":"fcrdns-failed","findings":[{"code":"fcrdns-failed","severity":"error","message":"no A"}],"iprev":"fail","receivers":[]}"#,
            "\n"
        ),
    )
    .unwrap();
    // Only the reverse zone is at hand: the forward name has no zone file.
    std::fs::write(
        dir.path().join("113.0.203.in-addr.arpa.zone"),
        format!("$ORIGIN 113.0.203.in-addr.arpa.\n{SOA}5 IN PTR x.example.\n"),
    )
    .unwrap();
    let out = ptr_audit()
        .args(["fix", path.to_str().unwrap(), "--as", "nsupdate", "--zones"])
        .arg(dir.path())
        .output()
        .unwrap();
    crate::assert_exit(&out, 0);
    let script = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !script.lines().any(|l| l.starts_with("update ")),
        "{script}"
    );
    assert!(
        stderr.contains("203.0.113.5 fcrdns-failed (mail5.fra1.examplehost.net.)"),
        "{stderr}"
    );
}

#[test]
fn fix_with_zone_files_lists_a_forward_record_in_none_of_them_as_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.jsonl");
    // No PTR, so the expected name was never looked up: the fix needs the
    // PTR and the name's A record, whose zone has no file at hand.
    std::fs::write(
        &path,
        concat!(
            r#"{"ip":"203.0.113.5","datacenter":"fra1","block":"203.0.113.0/24","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail5.fra1.examplehost.net","ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("113.0.203.in-addr.arpa.zone"),
        format!("$ORIGIN 113.0.203.in-addr.arpa.\n{SOA}"),
    )
    .unwrap();
    for format in ["bind", "csv", "nsupdate"] {
        let out = ptr_audit()
            .args(["fix", path.to_str().unwrap(), "--as", format, "--zones"])
            .arg(dir.path())
            .output()
            .unwrap();
        crate::assert_exit(&out, 0);
        let text = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            text.contains("5.113.0.203.in-addr.arpa."),
            "{format}: the PTR is written: {text}"
        );
        assert!(
            !text.contains(" A 203.0.113.5") && !text.contains("\tA\t"),
            "{format}: {text}"
        );
        assert!(
            stderr.contains("1 record(s) to publish; 1 failing address(es) not fixed"),
            "{format}: {stderr}"
        );
        assert!(
            stderr.contains("the zone holding the record is not known")
                && stderr.contains("203.0.113.5 ptr-missing (mail5.fra1.examplehost.net.)"),
            "{format}: the forward record is listed with its name and reason: {stderr}"
        );
    }
}

#[test]
fn fix_apply_to_an_unreachable_primary_is_an_error_and_the_key_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"ip":"203.0.113.5","datacenter":"fra1","block":"203.0.113.0/24","policy":"mail","source":{"file":"inventory.yaml","line":23},"expected":"mail5.fra1.examplehost.net","ptr":[],"cname_chain":[],"rcode":"NXDOMAIN","result":"nxdomain","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ptr-missing","findings":[{"code":"ptr-missing","severity":"error","message":"no PTR"}],"iprev":"fail","receivers":[]}"#,
            "\n"
        ),
    )
    .unwrap();
    let secret = "c2VjcmV0LWZvci10aGUtY2xpLXRlc3Qtb25seQ==";
    let key = dir.path().join("update.key");
    std::fs::write(
        &key,
        format!("key \"update.\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n"),
    )
    .unwrap();
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("127.0.0.1:{port}");
    let journal = dir.path().join("journal");
    let out = ptr_audit()
        .args([
            "fix",
            path.to_str().unwrap(),
            "--apply",
            &server,
            "--yes",
            "--journal",
        ])
        .arg(&journal)
        .arg("--tsig-key")
        .arg(&key)
        .output()
        .unwrap();
    crate::assert_exit(&out, 2);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("cannot reach `{server}`")), "{text}");
    assert!(!text.contains(secret), "{text}");
    assert!(!journal.exists(), "nothing was sent, no journal begun");
    // `--yes` without a journal, or without a key, is refused before anything is asked.
    for (args, why) in [
        (vec!["--yes"], "--journal"),
        (vec!["--yes", "--journal", "j"], "TSIG key"),
    ] {
        let mut cmd = ptr_audit();
        cmd.args(["fix", path.to_str().unwrap(), "--apply", &server])
            .args(&args)
            .env_remove("PTR_AUDIT_TSIG_KEY")
            .current_dir(dir.path());
        if why == "--journal" {
            cmd.arg("--tsig-key").arg(&key);
        }
        let out = cmd.output().unwrap();
        crate::assert_exit(&out, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
}
