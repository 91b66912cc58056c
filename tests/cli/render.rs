//! `ptr-audit render`: a saved report drawn as the `html` page.

use predicates::prelude::*;

use crate::{assert_exit, ptr_audit, ptr_audit_process};

#[test]
fn render_draws_a_saved_scan_with_its_recorded_gate() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let page = dir.path().join("page.html");
    let out = ptr_audit_process()
        .args([
            "scan",
            "--zones",
            "inventories/example/zones",
            "inventories/example/inventory.yaml",
            "--output",
        ])
        .arg(format!("json={}", report.display()))
        .output()
        .unwrap();
    assert_exit(&out, 1);
    ptr_audit()
        .arg("render")
        .arg(&report)
        .arg("-o")
        .arg(&page)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(text.contains("Content-Security-Policy"));
    // The gate the scan recorded (it failed), not one judged again.
    assert!(text.contains("\"complete\":true"));
    assert!(text.contains("\"failed\":true") && text.contains("\"fail_on\":\"error\""));
}

#[test]
fn render_of_a_broken_report_keeps_the_previous_page() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("bad.json");
    std::fs::write(&report, "{\"format\": \"ptr-audit-report\", \"records\": [").unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "previous page").unwrap();
    ptr_audit()
        .arg("render")
        .arg(&report)
        .arg("-o")
        .arg(&page)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot render"));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "previous page");
}

#[test]
fn render_writes_only_html() {
    ptr_audit()
        .args(["render", "r.json", "--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`render` writes `html` only"));
}
