//! `ptr-audit scan` end to end over loopback: the bundled example against its
//! hand-written expectations, exit codes, exactly-once accounting, shards and
//! merge, checkpoint and resume, and Ctrl-C.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use serde_json::Value;

use crate::ptr_audit_process as ptr_audit;

pub(crate) fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad jsonl line {l:?}: {e}")))
        .collect()
}

/// The expectations written by hand beside the example zones.
fn expected_example() -> BTreeMap<String, (String, Vec<String>)> {
    let text = std::fs::read_to_string("inventories/example/zones/EXPECTED.tsv").unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ip\t") && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let codes = cols
                .get(2)
                .unwrap_or(&"")
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            (cols[0].to_owned(), (cols[1].to_owned(), codes))
        })
        .collect()
}

fn finding_codes(rec: &Value) -> Vec<String> {
    let mut codes: Vec<String> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let code = f["code"].as_str().unwrap().to_owned();
            match f.get("reason").and_then(Value::as_str) {
                Some(reason) if code == "ptr-missing" || code == "lookup-failed" => {
                    format!("{code}:{reason}")
                }
                _ => code,
            }
        })
        .collect();
    codes.sort();
    codes
}

#[test]
fn example_scan_matches_the_hand_written_expectations() {
    // batched UDP I/O, then the portable path other systems take
    for portable in [None, Some("--portable-io")] {
        example_scan_matches(portable);
    }
}

fn example_scan_matches(extra: Option<&str>) {
    let out = ptr_audit()
        .args([
            "scan",
            "--zones",
            "inventories/example/zones",
            "inventories/example/inventory.yaml",
            "--format",
            "jsonl",
            "--quiet",
        ])
        .args(extra)
        .output()
        .unwrap();
    crate::assert_exit(&out, 1);
    let expected = expected_example();
    let got = records(&out.stdout);
    assert_eq!(got.len(), expected.len(), "one record per address in scope");
    let mut mismatches = Vec::new();
    let mut seen = HashSet::new();
    for rec in &got {
        let ip = rec["ip"].as_str().unwrap().to_owned();
        assert!(seen.insert(ip.clone()), "{ip} reported twice");
        let Some((status, codes)) = expected.get(&ip) else {
            mismatches.push(format!("{ip}: not expected in scope"));
            continue;
        };
        let mut codes = codes.clone();
        codes.sort();
        let actual = finding_codes(rec);
        if rec["status"] != status.as_str() || actual != codes {
            mismatches.push(format!(
                "{ip}: expected {status} {codes:?}, got {} {actual:?}",
                rec["status"]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "mismatches ({extra:?}):\n{}",
        mismatches.join("\n")
    );
    let statuses: HashSet<&str> = got.iter().map(|r| r["status"].as_str().unwrap()).collect();
    for status in [
        "ok",
        "lookup-failed",
        "ptr-missing",
        "ptr-invalid",
        "fcrdns-failed",
        "ptr-generic",
        "ptr-unexpected",
        "ptr-multiple",
        "ptr-unknown-tld",
    ] {
        assert!(
            statuses.contains(status),
            "the example never shows `{status}`"
        );
    }
}

/// Reverse zones for the first `slash24s` /24s of 10.20.0.0/16 (zone data
/// only: the scans ask the in-process server on loopback), every fourth
/// address without a PTR, and the forward zone of the names.
pub(crate) fn wide_zones(slash24s: u32) -> ZoneSet {
    let mut zones = ZoneSet::new();
    let mut fwd = String::from(
        "$TTL 300\n@ IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ IN NS ns.example.\n",
    );
    for third in 0..slash24s {
        let mut rev = String::from(
            "$TTL 300\n@ IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ IN NS ns.example.\n",
        );
        for last in 0..256u32 {
            if last % 4 != 0 {
                rev.push_str(&format!(
                    "{last} IN PTR h{third}-{last}.wide.example.net.\n"
                ));
                fwd.push_str(&format!("h{third}-{last} IN A 10.20.{third}.{last}\n"));
            }
        }
        zones
            .add_text(&format!("{third}.20.10.in-addr.arpa"), &rev)
            .unwrap();
    }
    zones.add_text("wide.example.net", &fwd).unwrap();
    zones
}

/// The /20 10.20.0.0/20.
pub(crate) fn wide_zone() -> ZoneSet {
    wide_zones(16)
}

#[test]
fn a_slash_20_is_reported_exactly_once_per_address_and_exit_codes_follow_findings() {
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let out = ptr_audit()
        .args([
            "scan",
            "10.20.0.0/20",
            "--resolver",
            &resolver,
            "--qps",
            "0",
        ])
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    // A quarter of the addresses have no PTR: errors, exit 1.
    assert_eq!(out.status.code(), Some(1));
    let got = records(&out.stdout);
    assert_eq!(got.len(), 4096);
    let ips: HashSet<&str> = got.iter().map(|r| r["ip"].as_str().unwrap()).collect();
    assert_eq!(ips.len(), 4096);
    let missing = got.iter().filter(|r| r["status"] == "ptr-missing").count();
    assert_eq!(missing, 1024);
    let ok = got.iter().filter(|r| r["status"] == "ok").count();
    assert_eq!(ok, 3072);

    // Only the addresses with a PTR: clean, exit 0.
    let out = ptr_audit()
        .args(["scan", "10.20.0.1", "10.20.0.2", "--resolver", &resolver])
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    // Bad usage: exit 2.
    let out = ptr_audit()
        .args(["scan", "10.20.0.1", "--resolver", "not-an-ip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_slash_16_in_seven_shards_merged_equals_one_scan() {
    let server = ZoneServer::spawn(wide_zones(256)).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let scan = |shard: &str, out: &Path| {
        let status = ptr_audit()
            .args([
                "scan",
                "10.20.0.0/16",
                "--resolver",
                &resolver,
                "--qps",
                "0",
                "--concurrency",
                "64",
                "--timeout",
                "5s",
            ])
            .args(["--shard", shard, "--quiet", "--format", "json"])
            .stdout(std::fs::File::create(out).unwrap())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
    };
    let single = dir.path().join("single.json");
    scan("1/1", &single);
    let mut shards = Vec::new();
    for k in 1..=7 {
        let path = dir.path().join(format!("shard{k}.json"));
        scan(&format!("{k}/7"), &path);
        shards.push(path);
    }
    let merged = ptr_audit().arg("merge").args(&shards).output().unwrap();
    // gated like the single scan, which failed
    assert_eq!(
        merged.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let single: Value = serde_json::from_slice(&std::fs::read(&single).unwrap()).unwrap();
    let merged: Value = serde_json::from_slice(&merged.stdout).unwrap();
    let (single_records, merged_records) = (
        single["records"].as_array().unwrap(),
        merged["records"].as_array().unwrap(),
    );
    assert_eq!(single_records.len(), merged_records.len());
    let differing: Vec<String> = single_records
        .iter()
        .zip(merged_records)
        .filter(|(a, b)| without_attempts(a) != without_attempts(b))
        .take(3)
        .map(|(a, b)| format!("single: {a}\nmerged: {b}"))
        .collect();
    assert!(
        differing.is_empty(),
        "records differ:\n{}",
        differing.join("\n")
    );
    assert_eq!(single["summary"], merged["summary"]);
    assert_eq!(single["records"].as_array().unwrap().len(), 65_536);

    // An incomplete set is refused, naming the missing shard.
    let out = ptr_audit()
        .arg("merge")
        .args(&shards[1..])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1/7"));
}

#[test]
fn resume_after_sigkill_gives_the_same_records_as_one_uninterrupted_scan() {
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("scan.checkpoint");
    let full = scan_22(&resolver, "0")
        .args(["--format", "json", "--quiet"])
        .output()
        .unwrap();
    let full: Value = serde_json::from_slice(&full.stdout).unwrap();

    // A slow scan, killed once the checkpoint holds some records.
    let mut child = scan_22(&resolver, "400")
        .arg("--checkpoint")
        .arg(&checkpoint)
        .args(["--format", "jsonl", "--quiet"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(|| std::fs::read_to_string(&checkpoint).is_ok_and(|t| t.lines().count() >= 50));
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&checkpoint)
        .unwrap()
        .lines()
        .count();
    assert!(before < 1024, "the scan finished before it was killed");

    let resumed = scan_22(&resolver, "0")
        .arg("--checkpoint")
        .arg(&checkpoint)
        .args(["--resume", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(1));
    let resumed: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    let (resumed_records, full_records) = (
        resumed["records"].as_array().unwrap(),
        full["records"].as_array().unwrap(),
    );
    assert_eq!(resumed_records.len(), full_records.len());
    for (a, b) in resumed_records.iter().zip(full_records) {
        assert_eq!(without_attempts(a), without_attempts(b));
    }
    assert_eq!(resumed["summary"], full["summary"]);
    let lines = std::fs::read_to_string(&checkpoint).unwrap();
    let ips: Vec<&str> = lines
        .lines()
        .map(|l| l.split('"').nth(3).unwrap_or(""))
        .collect();
    let unique: HashSet<&&str> = ips.iter().collect();
    assert_eq!(ips.len(), 1024, "the checkpoint holds every address once");
    assert_eq!(unique.len(), 1024);
}

#[test]
fn resume_repairs_a_last_record_without_its_newline() {
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("scan.checkpoint");
    let out = scan_22(&resolver, "0")
        .arg("--checkpoint")
        .arg(&checkpoint)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // A crash after the last record's bytes but before its newline.
    let full = std::fs::read_to_string(&checkpoint).unwrap();
    let kept: Vec<&str> = full.lines().take(100).collect();
    std::fs::write(&checkpoint, kept.join("\n")).unwrap();
    for round in 0..2 {
        let resumed = scan_22(&resolver, "0")
            .arg("--checkpoint")
            .arg(&checkpoint)
            .args(["--resume", "--format", "jsonl", "--quiet"])
            .output()
            .unwrap();
        assert_eq!(
            resumed.status.code(),
            Some(1),
            "round {round}: {}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        assert_eq!(records(&resumed.stdout).len(), 1024, "round {round}");
        let text = std::fs::read_to_string(&checkpoint).unwrap();
        let ips: HashSet<String> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("every line is one record");
                v["ip"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ips.len(), 1024, "round {round}: each address once");
        assert_eq!(text.lines().count(), 1024, "round {round}");
    }
}

/// The /24 10.20.0.0/24 and a blocklist `bl.example` (also under a DQS-like
/// key label) listing 10.20.0.1.
fn zones_with_a_blocklist() -> ZoneSet {
    let mut zones = wide_zones(1);
    zones
        .add_text(
            "bl.example",
            "$TTL 300\n@ IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ IN NS ns.example.\n\
             1.0.20.10 IN A 127.0.0.2\n1.0.20.10.s3cr3tk3y IN A 127.0.0.2\n",
        )
        .unwrap();
    zones
}

/// `scan 10.20.0.0/24` through `resolver` with the checkpoint `checkpoint`
/// and the extra arguments `extra`.
fn scan_24_checkpointed(resolver: &str, checkpoint: &Path, extra: &[&str]) -> std::process::Output {
    ptr_audit()
        .args(["scan", "10.20.0.0/24", "--resolver", resolver, "--qps", "0"])
        .arg("--checkpoint")
        .arg(checkpoint)
        .args(["--format", "jsonl", "--quiet"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn resume_refuses_a_checkpoint_written_with_other_blocklists() {
    let server = ZoneServer::spawn(zones_with_a_blocklist()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("dqs.key");
    std::fs::write(&key_file, "s3cr3tk3y\n").unwrap();
    let key = ["--dnsbl-key-file", key_file.to_str().unwrap()];
    let bl = ["--dnsbl", "bl.example=generic"];
    // (written with, resumed with, what the refusal names on each side)
    let zen = ["--dnsbl", "bl.example=spamhaus-zen"];
    let both = ["--dnsbl", "bl.example=generic", "--dnsbl", "other.example"];
    let keyed = ["--dnsbl", "{key}.bl.example", key[0], key[1]];
    let cases: [(&[&str], &[&str], &str, &str); 6] = [
        (&bl, &[], "`bl.example=generic`", "no `--dnsbl` list"),
        (&[], &bl, "no `--dnsbl` list", "`bl.example=generic`"),
        (
            &bl,
            &zen,
            "`bl.example=generic`",
            "`bl.example=spamhaus-zen`",
        ),
        (
            &bl,
            &both,
            "`bl.example=generic`",
            "`bl.example=generic`, `other.example=generic`",
        ),
        (
            &both,
            &bl,
            "`bl.example=generic`, `other.example=generic`",
            "`bl.example=generic`",
        ),
        (
            &keyed,
            &bl,
            "`{key}.bl.example=generic`",
            "`bl.example=generic`",
        ),
    ];
    for (i, (written, resumed, stored_lists, run_lists)) in cases.into_iter().enumerate() {
        let checkpoint = dir.path().join(format!("case{i}.checkpoint"));
        let out = scan_24_checkpointed(&resolver, &checkpoint, written);
        assert_eq!(
            out.status.code(),
            Some(1),
            "case {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // an interrupted scan: the checkpoint holds the first 100 records
        let full = std::fs::read_to_string(&checkpoint).unwrap();
        let kept: String = full.lines().take(100).map(|l| format!("{l}\n")).collect();
        std::fs::write(&checkpoint, &kept).unwrap();
        let report = dir.path().join(format!("case{i}.json"));
        std::fs::write(&report, "the previous report").unwrap();
        let mut extra = resumed.to_vec();
        let output = format!("json={}", report.display());
        extra.extend(["--resume", "--output", &output]);
        let out = scan_24_checkpointed(&resolver, &checkpoint, &extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {stderr}");
        assert!(
            stderr.contains(&format!("`{}` line 1:", checkpoint.display())),
            "case {i}: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "this record was scanned with {stored_lists} but this run asks {run_lists}"
            )),
            "case {i}: {stderr}"
        );
        assert!(
            stderr.contains("start a fresh checkpoint"),
            "case {i}: {stderr}"
        );
        assert!(
            !stderr.contains("s3cr3t"),
            "case {i}: the key is shown: {stderr}"
        );
        // nothing was scanned or lost: the checkpoint and the old report are as they were
        assert_eq!(
            std::fs::read_to_string(&checkpoint).unwrap(),
            kept,
            "case {i}"
        );
        assert_eq!(
            std::fs::read_to_string(&report).unwrap(),
            "the previous report"
        );
    }
}

#[test]
fn resume_with_the_same_blocklists_in_another_order_keeps_their_answers() {
    let server = ZoneServer::spawn(zones_with_a_blocklist()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("scan.checkpoint");
    let lists = [
        "--dnsbl",
        "bl.example",
        "--dnsbl",
        "other.example=spamhaus-pbl",
    ];
    let full = scan_24_checkpointed(&resolver, &checkpoint, &lists);
    assert_eq!(full.status.code(), Some(1));
    let full = records(&full.stdout);
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    let kept: String = text.lines().take(100).map(|l| format!("{l}\n")).collect();
    std::fs::write(&checkpoint, &kept).unwrap();
    let swapped = [
        "--dnsbl",
        "other.example=spamhaus-pbl",
        "--dnsbl",
        "bl.example",
    ];
    let out = scan_24_checkpointed(
        &resolver,
        &checkpoint,
        &[&swapped[..], &["--resume"]].concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resumed = records(&out.stdout);
    assert_eq!(resumed.len(), 256);
    for rec in &resumed {
        let lists: Vec<&str> = rec["dnsbl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["list"].as_str().unwrap())
            .collect();
        assert_eq!(lists, ["other.example", "bl.example"], "{rec}");
    }
    let listed = |recs: &[Value]| -> Vec<String> {
        let mut ips: Vec<String> = recs
            .iter()
            .filter(|r| {
                r["dnsbl"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["result"] == "answer")
            })
            .map(|r| r["ip"].as_str().unwrap().to_owned())
            .collect();
        ips.sort();
        ips
    };
    assert_eq!(listed(&full), ["10.20.0.1"]);
    assert_eq!(listed(&resumed), ["10.20.0.1"]);
}

#[test]
fn resume_reports_only_the_addresses_of_this_runs_shard() {
    let server = ZoneServer::spawn(zones_with_a_blocklist()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("scan.checkpoint");
    let first = scan_24_checkpointed(&resolver, &checkpoint, &["--shard", "1/2"]);
    assert_eq!(first.status.code(), Some(1));
    let ips = |recs: &[Value]| -> HashSet<String> {
        recs.iter()
            .map(|r| r["ip"].as_str().unwrap().to_owned())
            .collect()
    };
    let shard1 = ips(&records(&first.stdout));
    // the checkpoint of shard 1, given to shard 2 by mistake
    let other = dir.path().join("other.checkpoint");
    let second = scan_24_checkpointed(&resolver, &other, &["--shard", "2/2"]);
    let shard2 = ips(&records(&second.stdout));
    assert_eq!((shard1.len(), shard2.len()), (128, 128));
    let out = scan_24_checkpointed(&resolver, &checkpoint, &["--shard", "2/2", "--resume"]);
    assert_eq!(
        out.status.code(),
        Some(0), // shard 2: the odd addresses, all with a confirmed PTR
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resumed = records(&out.stdout);
    assert_eq!(resumed.len(), 128, "only shard 2's addresses, each once");
    assert_eq!(ips(&resumed), shard2);
}

/// The first SIGINT or SIGTERM stops the scan: the report holds what was
/// found, marked interrupted, the checkpoint holds the same records, and the
/// exit code names the signal.
fn signal_writes_what_was_found(signal: &str, code: i32) {
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let checkpoint = dir.path().join("scan.checkpoint");
    let child = scan_22(&resolver, "200")
        .arg("--output")
        .arg(format!("json={}", report.display()))
        .arg("--checkpoint")
        .arg(&checkpoint)
        .args(["--format", "jsonl", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(|| server.stats().total >= 100);
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(code), "SIG{signal}");
    let streamed = records(&out.stdout);
    assert!(
        !streamed.is_empty() && streamed.len() < 1024,
        "{} records",
        streamed.len()
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(doc["complete"], Value::Bool(false));
    assert_eq!(doc["records"].as_array().unwrap().len(), streamed.len());
    let checkpointed = std::fs::read_to_string(&checkpoint).unwrap();
    assert!(checkpointed.ends_with('\n'));
    assert_eq!(checkpointed.lines().count(), streamed.len());

    // The stopped scan resumes to the full set.
    let resumed = scan_22(&resolver, "0")
        .arg("--checkpoint")
        .arg(&checkpoint)
        .args(["--resume", "--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(1));
    assert_eq!(records(&resumed.stdout).len(), 1024);
}

#[test]
fn ctrl_c_writes_what_was_found_marked_interrupted_and_exits_130() {
    signal_writes_what_was_found("INT", 130);
}

#[test]
fn sigterm_writes_what_was_found_marked_interrupted_and_exits_143() {
    signal_writes_what_was_found("TERM", 143);
}

/// A record without `attempts`: retries after lost packets are a property of
/// the run's network (a loaded machine), not of sharding or resuming.
fn without_attempts(record: &Value) -> Value {
    let mut record = record.clone();
    record.as_object_mut().unwrap().remove("attempts");
    record
}

/// `ptr-audit scan 10.20.0.0/22` against `resolver` at `qps`.
pub(crate) fn scan_22(resolver: &str, qps: &str) -> Command {
    let mut cmd = ptr_audit();
    cmd.args(["scan", "10.20.0.0/22", "--resolver", resolver, "--qps", qps]);
    cmd
}

/// Polls `done` until it holds (bounded: fails after about 30 s).
fn wait_for(mut done: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("condition not reached in time");
}

#[test]
fn changed_since_scans_exactly_the_changed_addresses() {
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let old = "version: 1\ndatacenters:\n  - name: dc1\n    status: active\n    blocks:\n      - cidr: 10.20.0.0/24\n        policy: hosting\n      - cidr: 10.20.1.0/24\n        policy: hosting\n";
    // The new inventory changes the policy of 10.20.1.0/24, adds 10.20.2.0/28
    // and assigns one address of the unchanged block.
    let new = "version: 1\ndatacenters:\n  - name: dc1\n    status: active\n    blocks:\n      - cidr: 10.20.0.0/24\n        policy: hosting\n      - cidr: 10.20.1.0/24\n        policy: mail\n      - cidr: 10.20.2.0/28\n        policy: hosting\nassignments:\n  - ip: 10.20.0.7\n    ptr: h0-7.wide.example\n";
    std::fs::write(dir.path().join("inventory.yaml"), old).unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "inventory.yaml"]);
    git(&["commit", "-qm", "old"]);
    std::fs::copy(
        dir.path().join("inventory.yaml"),
        dir.path().join("old.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), new).unwrap();

    let mut expected: Vec<String> = (0..256).map(|i| format!("10.20.1.{i}")).collect();
    expected.extend((0..16).map(|i| format!("10.20.2.{i}")));
    expected.push("10.20.0.7".into());
    expected.sort();
    for since in ["old.yaml", "git:HEAD"] {
        let out = ptr_audit()
            .current_dir(dir.path())
            .args(["scan", "inventory.yaml", "--changed-since", since])
            .args([
                "--resolver",
                &resolver,
                "--qps",
                "0",
                "--format",
                "jsonl",
                "--quiet",
            ])
            .output()
            .unwrap();
        crate::assert_exit(&out, 1);
        let mut ips: Vec<String> = records(&out.stdout)
            .iter()
            .map(|r| r["ip"].as_str().unwrap().to_owned())
            .collect();
        ips.sort();
        assert_eq!(ips, expected, "--changed-since {since}");
    }
}
