//! A stock resolver that crashes mid-scan and comes back: Unbound is killed
//! with SIGKILL while a scan runs through it, and restarted once the outage
//! has visibly hurt some lookups. The scan must finish with every address
//! exactly once; every address whose lookups were answered must come out
//! exactly as `expected.tsv` says; the others must say the answer is unknown
//! (`lookup-failed`, or a forward confirmation that is unknown), never that
//! the PTR is missing or wrong.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::expected::{self, Check, Row, Via};
use crate::scan::{compare, names, reason_of, table};
use crate::servers::{self, StockServers};

/// How long each phase may take before the test gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(60);
/// Pause between two looks at the checkpoint.
const POLL_PAUSE: Duration = Duration::from_millis(5);

/// The complete records of a JSON-lines file (a torn last line is skipped).
fn read_records(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn ip_of(record: &Value) -> Option<IpAddr> {
    record["ip"].as_str().and_then(|s| s.parse().ok())
}

/// Whether `record` shows an unknown answer where the zones hold one, or
/// another kind of failure where a clean run fails too: the PTR lookup failed
/// (no reply, or the restarted resolver's SERVFAIL), or a forward
/// confirmation could not be made.
fn is_outage_casualty(record: &Value, row: &Row) -> bool {
    let findings = record["findings"].as_array().cloned().unwrap_or_default();
    let failure = findings
        .iter()
        .find(|f| f["code"].as_str() == Some("lookup-failed"))
        .and_then(reason_of);
    let lookup_failed = failure.is_some_and(|reason| {
        matches!(
            reason.as_str(),
            "timeout" | "network" | "servfail" | "refused"
        ) && (row.status != "lookup-failed" || row.reason != Check::Is(reason))
    });
    let forward_unknown = findings.iter().any(|f| {
        f["code"].as_str() == Some("lookup-failed") && f["lookup"].as_str() == Some("forward")
    });
    lookup_failed || forward_unknown
}

/// Polls the checkpoint until `done` holds for its records, the scan exits,
/// or [`PHASE_LIMIT`] passes; returns whether `done` held.
fn wait_for_records(
    checkpoint: &Path,
    child: &mut std::process::Child,
    mut done: impl FnMut(&[Value]) -> bool,
) -> bool {
    let deadline = Instant::now() + PHASE_LIMIT;
    while Instant::now() < deadline {
        if done(&read_records(checkpoint)) {
            return true;
        }
        if !matches!(child.try_wait(), Ok(None)) {
            return done(&read_records(checkpoint));
        }
        std::thread::sleep(POLL_PAUSE);
    }
    false
}

#[test]
fn unbound_crashing_mid_scan_and_coming_back_loses_nothing() {
    let Some(mut servers) =
        StockServers::start_or_skip("unbound_crashing_mid_scan_and_coming_back_loses_nothing")
    else {
        return;
    };
    let expected = expected::load(Via::Unbound);
    let dir = tempfile::Builder::new()
        .prefix("ptr-audit-e2e-outage-")
        .tempdir()
        .expect("temporary directory");
    let checkpoint = dir.path().join("scan.checkpoint");
    let stdout = dir.path().join("scan.jsonl");
    let stderr = dir.path().join("scan.stderr");

    // A slow scan (30 queries per second), so the outage falls in its middle;
    // the checkpoint shows its progress as it goes.
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
        .arg("scan")
        .arg(servers::data_dir().join("inventory.yaml"))
        .args(["--resolver", &servers.unbound.to_string()])
        .args(["--format", "jsonl", "--quiet", "--qps", "30"])
        .args(["--timeout", "300ms", "--attempts", "2"])
        .arg("--checkpoint")
        .arg(&checkpoint)
        .stdout(fs::File::create(&stdout).expect("create the output file"))
        .stderr(fs::File::create(&stderr).expect("create the stderr file"))
        .spawn()
        .expect("start the scan");

    let crash_after = 20;
    let reached = wait_for_records(&checkpoint, &mut child, |r| r.len() >= crash_after);
    assert!(
        reached && matches!(child.try_wait(), Ok(None)),
        "the scan did not reach {crash_after} records while running\n{}",
        fs::read_to_string(&stderr).unwrap_or_default()
    );
    servers.crash_unbound();
    let crashed_at = read_records(&checkpoint).len();

    // Keep Unbound down until some lookup visibly failed because of it.
    let hurt = wait_for_records(&checkpoint, &mut child, |records| {
        records.iter().skip(crashed_at).any(|r| {
            ip_of(r)
                .and_then(|ip| expected.get(&ip))
                .is_some_and(|row| is_outage_casualty(r, row))
        })
    });
    servers.restart_unbound();
    let restarted_at = read_records(&checkpoint).len();
    let status = child.wait().expect("wait for the scan");
    let run_time = started.elapsed();
    let stderr_text = fs::read_to_string(&stderr).unwrap_or_default();
    assert!(
        hurt,
        "the outage never showed in the records (crashed at {crashed_at})\n{stderr_text}"
    );

    let records = read_records(&stdout);
    let mut problems = String::new();
    let mut by_ip: BTreeMap<IpAddr, Vec<&Value>> = BTreeMap::new();
    for record in &records {
        match ip_of(record) {
            Some(ip) => by_ip.entry(ip).or_default().push(record),
            None => {
                let _ = writeln!(problems, "record without a valid `ip`: {record}");
            }
        }
    }
    for (ip, rs) in &by_ip {
        if rs.len() > 1 {
            let _ = writeln!(problems, "{ip} reported {} times", rs.len());
        }
        if !expected.contains_key(ip) {
            let _ = writeln!(problems, "{ip} reported but not in scope");
        }
    }
    let missing = expected.keys().filter(|ip| !by_ip.contains_key(ip)).count();
    if missing > 0 {
        let _ = writeln!(problems, "{missing} addresses in scope never reported");
    }

    // Answered addresses: exactly as a clean run; the rest: unknown, with the
    // PTR names still right where the PTR itself was answered.
    let mut casualties = Vec::new();
    let mut mismatches = Vec::new();
    for (ip, row) in &expected {
        let Some(record) = by_ip.get(ip).map(|rs| rs[0]) else {
            continue;
        };
        if is_outage_casualty(record, row) {
            let how = record["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| Some(format!("{}/{}", f["code"].as_str()?, reason_of(f)?)))
                .collect::<Vec<_>>()
                .join(",");
            casualties.push(format!("{ip} ({how})"));
            let answered_ptr = record["status"].as_str() != Some("lookup-failed");
            if let (true, Check::Is(want)) = (answered_ptr, &row.ptr) {
                let got: std::collections::BTreeSet<String> =
                    names(record.get("ptr")).into_iter().collect();
                if &got != want {
                    let _ = writeln!(problems, "{ip}: PTR {got:?}, expected {want:?}");
                }
            }
            continue;
        }
        compare(*ip, record, row, false, &mut mismatches);
    }
    if !mismatches.is_empty() {
        let _ = write!(
            problems,
            "records that are neither as expected nor marked unknown:\n{}",
            table(&mismatches)
        );
    }
    eprintln!(
        "outage test: {} addresses, Unbound killed after {crashed_at} records and back after \
         {restarted_at}; {} records marked unknown by the outage ({}), {missing} lost, \
         {} wrong; {run_time:.1?}",
        expected.len(),
        casualties.len(),
        casualties.join(", "),
        mismatches.len()
    );
    assert!(
        problems.is_empty(),
        "after Unbound crashed mid-scan:\n{problems}\n--- ptr-audit stderr:\n{stderr_text}\n{}",
        servers.logs()
    );
    assert!(!casualties.is_empty(), "the outage hurt no record");
    // Findings in scope (and unknown addresses): the run fails the gate.
    assert_eq!(status.code(), Some(1), "exit code\n{stderr_text}");
}
