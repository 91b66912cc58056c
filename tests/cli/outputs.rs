//! Output files: replaced only when complete, never destroyed by a failed
//! run, replaceable by the run's own input, `-` for stdout; usage limits.

use std::path::Path;

use ptr_audit_dnsserver::ZoneServer;
use serde_json::Value;

use crate::scan::{scan_22, wide_zone};
use crate::{assert_exit, ptr_audit_process as ptr_audit};

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_scan_leaves_the_previous_report_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let out = scan_22(&server.addr().to_string(), "0")
        .args(["--quiet", "--output", &format!("json={}", report.display())])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let good = std::fs::read(&report).unwrap();
    serde_json::from_slice::<Value>(&good).expect("a complete report");

    // Nothing listens on the discard port: no resolver answers, exit 2.
    let out = scan_22("127.0.0.1:9", "0")
        .args(["--timeout", "50ms", "--attempts", "1", "--quiet"])
        .args(["--output", &format!("json={}", report.display())])
        .args([
            "--output",
            &format!("csv={}", dir.path().join("new.csv").display()),
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_eq!(
        std::fs::read(&report).unwrap(),
        good,
        "the report was touched"
    );
    assert_eq!(listing(dir.path()), ["report.json"], "leftovers");
}

#[test]
fn an_output_may_replace_the_runs_own_input() {
    let dir = tempfile::tempdir().unwrap();
    let last = dir.path().join("last.json");
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let json = |path: &Path| format!("json={}", path.display());
    let out = scan_22(&resolver, "0")
        .args(["--quiet", "--fail-on", "never", "--output", &json(&last)])
        .output()
        .unwrap();
    assert_exit(&out, 0);

    // The baseline is read before the report that replaces it is in place.
    let out = scan_22(&resolver, "0")
        .args(["--quiet", "--baseline"])
        .arg(&last)
        .args(["--output", &json(&last)])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_slice(&std::fs::read(&last).unwrap()).unwrap();
    assert_eq!(doc["complete"], Value::Bool(true));
    assert_eq!(doc["records"].as_array().unwrap().len(), 1024);
    assert!(doc["gate"]["baseline"].is_object(), "{}", doc["gate"]);

    // merge self.json --output json=self.json
    let out = ptr_audit()
        .arg("merge")
        .arg(&last)
        .args(["--output", &json(&last)])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let merged: Value = serde_json::from_slice(&std::fs::read(&last).unwrap()).unwrap();
    assert_eq!(merged["records"], doc["records"]);
    assert_eq!(listing(dir.path()), ["last.json"], "leftovers");
}

#[test]
fn dash_is_standard_output_for_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let out = scan_22(&server.addr().to_string(), "0")
        .current_dir(dir.path())
        .args(["--quiet", "--output", "json=-"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(doc["records"].as_array().unwrap().len(), 1024);
    assert!(
        listing(dir.path()).is_empty(),
        "a file named `-` was written"
    );

    // Two reports cannot share stdout.
    let out = scan_22(&server.addr().to_string(), "0")
        .args(["--quiet", "--format", "table", "--output", "json=-"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output"));
}

#[test]
fn huge_or_tiny_timeouts_are_usage_errors() {
    for (timeout, says) in [
        ("100000000000000000000s", "too long"),
        ("99999999999999999999999m", "too long"),
        ("0.0000001s", "too short"),
    ] {
        let out = ptr_audit()
            .args(["scan", "192.0.2.0/30", "--resolver", "127.0.0.1:9"])
            .args(["--timeout", timeout])
            .output()
            .unwrap();
        assert_exit(&out, 2);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{timeout}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn dash_is_standard_input_for_every_report_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let server = ZoneServer::spawn(wide_zone()).unwrap();
    let resolver = server.addr().to_string();
    let out = scan_22(&resolver, "0")
        .args(["--quiet", "--fail-on", "never"])
        .args(["--output", &format!("json={}", report.display())])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stdin = || std::fs::File::open(&report).unwrap();

    let from_file = ptr_audit().args(["fix"]).arg(&report).output().unwrap();
    let from_stdin = ptr_audit()
        .args(["fix", "-"])
        .stdin(stdin())
        .output()
        .unwrap();
    assert_exit(&from_stdin, 0);
    assert_eq!(from_stdin.stdout, from_file.stdout);

    let merged = ptr_audit()
        .args(["merge", "-", "--format", "jsonl"])
        .stdin(stdin())
        .output()
        .unwrap();
    assert!(matches!(merged.status.code(), Some(0 | 1)), "{merged:?}");
    assert_eq!(crate::scan::records(&merged.stdout).len(), 1024);
    let twice = ptr_audit().args(["merge", "-", "-"]).output().unwrap();
    assert_exit(&twice, 2);

    // With itself as the baseline, nothing is new: exit 0 although it has errors.
    let out = scan_22(&resolver, "0")
        .args(["--quiet", "--baseline", "-"])
        .stdin(stdin())
        .output()
        .unwrap();
    assert_exit(&out, 0);
}
