//! `--psl FILE`: a newer Public Suffix List for `scan`, `classify` and
//! `explain` (the top-level domains it adds stop being `ptr-unknown-tld`),
//! and its malformed lines as usage errors naming file and line.

use predicates::prelude::*;
use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use serde_json::Value;

use crate::ptr_audit;
use crate::scan::records;

/// A tiny list in publicsuffix.org's layout that knows `com` and the
/// made-up `zzz`, dated by its header.
const NEWER: &str = "// VERSION: 2026-12-01_09-00-00_UTC\n\
    // COMMIT: 0123456789abcdef\n\
    // ===BEGIN ICANN DOMAINS===\n\
    com\n\
    zzz\n\
    // ===END ICANN DOMAINS===\n";

fn list(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn classify(psl: Option<&str>) -> Vec<Value> {
    let mut cmd = ptr_audit();
    cmd.arg("classify");
    if let Some(p) = psl {
        cmd.args(["--psl", p]);
    }
    let out = cmd
        .write_stdin("203.0.113.5\tmail.example.zzz\n203.0.113.5\tmail.example.com.\n")
        .output()
        .unwrap();
    crate::assert_exit(&out, 0);
    records(&out.stdout)
}

#[test]
fn a_newer_list_stops_the_unknown_tld_warning_in_classify_and_explain() {
    // The embedded list does not know `.zzz`: the warning names it and its date.
    let lines = classify(None);
    assert_eq!(lines[0]["tld"]["tld"], "zzz");
    assert_eq!(lines[0]["tld"]["reason"], "unlisted");
    let message = lines[0]["tld"]["message"].as_str().unwrap();
    assert!(message.contains("2026-10-22 or newer"), "{message}");
    assert_eq!(lines[1]["tld"], Value::Null);

    let dir = tempfile::tempdir().unwrap();
    let newer = list(&dir, "public_suffix_list.dat", NEWER);
    let lines = classify(Some(&newer));
    assert_eq!(lines[0]["tld"], Value::Null, "{}", lines[0]);
    assert_eq!(lines[1]["tld"], Value::Null, "{}", lines[1]);

    // A list without `net` warns about `.net`, naming the list's date.
    ptr_audit()
        .args([
            "explain",
            "203.0.113.5",
            "mail.example.net",
            "--psl",
            &newer,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "top-level domain: warning `ptr-unknown-tld`",
        ))
        .stdout(predicate::str::contains(
            "the Public Suffix List of 2026-12-01",
        ));
    ptr_audit()
        .args([
            "explain",
            "203.0.113.5",
            "mail.example.zzz",
            "--psl",
            &newer,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("top-level domain:").not());
    // Without a date, the file's name says which list.
    let undated = list(&dir, "undated.dat", "com\n");
    ptr_audit()
        .args([
            "explain",
            "203.0.113.5",
            "mail.example.zzz",
            "--psl",
            &undated,
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("undated.dat (no date)"));
}

#[test]
fn scan_with_a_newer_list_reports_no_unknown_tld() {
    let mut zones = ZoneSet::new();
    let soa = "$TTL 300\n@ IN SOA ns.example.com. h.example.com. 1 3600 600 86400 300\n@ IN NS ns.example.com.\n";
    zones
        .add_text(
            "113.0.203.in-addr.arpa",
            &format!("{soa}5 IN PTR mail.example.zzz.\n6 IN PTR mail.example.com.\n"),
        )
        .unwrap();
    zones
        .add_text("example.zzz", &format!("{soa}mail IN A 203.0.113.5\n"))
        .unwrap();
    zones
        .add_text("example.com", &format!("{soa}mail IN A 203.0.113.6\n"))
        .unwrap();
    let server = ZoneServer::spawn(zones).unwrap();
    let resolver = server.addr().to_string();
    let scan = |psl: Option<&str>| {
        let mut cmd = ptr_audit();
        cmd.args([
            "scan",
            "203.0.113.5",
            "203.0.113.6",
            "--resolver",
            &resolver,
        ])
        .args(["--format", "jsonl", "--quiet", "--fail-on", "error"]);
        if let Some(p) = psl {
            cmd.args(["--psl", p]);
        }
        let out = cmd.output().unwrap();
        crate::assert_exit(&out, 0);
        let mut recs = records(&out.stdout);
        recs.sort_by_key(|r| r["ip"].as_str().unwrap().to_owned());
        recs
    };
    let recs = scan(None);
    assert_eq!(recs[0]["status"], "ptr-unknown-tld", "{}", recs[0]);
    let f = &recs[0]["findings"][0];
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["tld"], "zzz");
    assert_eq!(f["reason"], "unlisted");
    assert!(f["list"].as_str().unwrap().contains("psl 2.1.247"), "{f}");
    assert_eq!(recs[1]["status"], "ok", "{}", recs[1]);

    let dir = tempfile::tempdir().unwrap();
    let newer = list(&dir, "newer.dat", NEWER);
    let recs = scan(Some(&newer));
    assert_eq!(recs[0]["status"], "ok", "{}", recs[0]);
    assert_eq!(recs[1]["status"], "ok", "{}", recs[1]);

    // The json report names the list; shards judged with different lists
    // are not one scan, and merge refuses them.
    let shard = |k: &str, psl: Option<&str>| {
        let path = dir.path().join(format!("s{}.json", &k[..1]));
        let mut cmd = ptr_audit();
        cmd.args([
            "scan",
            "203.0.113.5",
            "203.0.113.6",
            "--resolver",
            &resolver,
        ])
        .args(["--quiet", "--fail-on", "never", "--shard", k])
        .arg("--output")
        .arg(format!("json={}", path.display()));
        if let Some(p) = psl {
            cmd.args(["--psl", p]);
        }
        crate::assert_exit(&cmd.output().unwrap(), 0);
        path
    };
    let one = shard("1/2", None);
    let two = shard("2/2", Some(&newer));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&two).unwrap()).unwrap();
    assert!(
        doc["settings"]["psl"]
            .as_str()
            .unwrap()
            .starts_with("the Public Suffix List of 2026-12-01 ("),
        "{}",
        doc["settings"]
    );
    let out = ptr_audit()
        .arg("merge")
        .arg(&one)
        .arg(&two)
        .args(["--format", "json"])
        .output()
        .unwrap();
    crate::assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("are reports of different scans"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let two_again = shard("2/2", None);
    let out = ptr_audit()
        .arg("merge")
        .arg(&one)
        .arg(&two_again)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    crate::assert_exit(&out, 0);
}

#[test]
fn a_malformed_list_is_a_usage_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = list(&dir, "bad.dat", "// a comment\ncom\n\nfoo.*.zzz\n");
    let want = format!("{bad}:4: `*` is allowed only as the whole leftmost label: `foo.*.zzz`");
    for args in [
        vec!["explain", "203.0.113.5", "mail.example.com"],
        vec!["classify", "-"],
        vec!["scan", "203.0.113.5", "--resolver", "127.0.0.1:9"],
    ] {
        ptr_audit()
            .args(&args)
            .args(["--psl", &bad])
            .write_stdin("")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want.as_str()))
            .stdout(predicate::str::is_empty());
    }
    let open = list(&dir, "open.dat", "// ===BEGIN ICANN DOMAINS===\ncom\n");
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail.example.com", "--psl", &open])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{open}:1: section `ICANN` is never closed"
        )));
    ptr_audit()
        .args([
            "explain",
            "203.0.113.5",
            "x.com",
            "--psl",
            "/nonexistent/list.dat",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read the public suffix list `/nonexistent/list.dat`",
        ));
}
