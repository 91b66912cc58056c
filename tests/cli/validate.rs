//! `ptr-audit validate` over good and broken inventories: exit codes and the
//! `file:line` of each fault in the messages.

use predicates::prelude::*;

use crate::ptr_audit;

const FIX: &str = "tests/fixtures/inventories";

#[test]
fn example_inventory_is_valid_with_summary() {
    ptr_audit()
        .args(["validate", "inventories/example/inventory.yaml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("inventory is valid"))
        .stdout(predicate::str::contains("addresses in scope"))
        .stdout(predicate::str::contains("fra1"))
        .stdout(predicate::str::contains("ams3"));
}

#[test]
fn json_summary_counts_policies() {
    let out = ptr_audit()
        .args([
            "validate",
            "--format",
            "json",
            "inventories/example/inventory.yaml",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["datacenters"].as_array().unwrap().len(), 2);
    let mail = v["policies"]["mail"]["addresses"].as_u64().unwrap();
    let hosting = v["policies"]["hosting"]["addresses"].as_u64().unwrap();
    assert_eq!(v["addresses_in_scope"].as_u64().unwrap(), mail + hosting);
    assert_eq!(v["policies"]["reserved"]["blocks"], 1);
}

fn fails_at(fixture: &str, location: &str, message: &str) {
    let path = format!("{FIX}/{fixture}");
    ptr_audit()
        .args(["validate", &path])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "{path}:{location}: error: "
        )))
        .stderr(predicate::str::contains(message));
}

#[test]
fn unknown_key_names_file_line_and_nearest_key() {
    fails_at("unknown-key.yaml", "7:9", "unknown key `polcy` in a block");
    ptr_audit()
        .args(["validate", &format!("{FIX}/unknown-key.yaml")])
        .assert()
        .stderr(predicate::str::contains("did you mean `policy`?"));
}

#[test]
fn host_bits_suggest_the_network() {
    fails_at("host-bits.yaml", "6:15", "did you mean `203.0.113.0/24`?");
}

#[test]
fn unsupported_version_is_an_error() {
    fails_at(
        "bad-version.yaml",
        "2:10",
        "unsupported inventory version `7`",
    );
}

#[test]
fn template_errors_point_into_the_template() {
    fails_at(
        "bad-template.yaml",
        "6:18",
        "unknown placeholder `{ip-dashd}`",
    );
    fails_at("bad-template.yaml", "12:25", "uses IPv4-only `{d}`");
}

#[test]
fn yaml_syntax_error_names_the_file() {
    ptr_audit()
        .args(["validate", &format!("{FIX}/syntax.yaml")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{FIX}/syntax.yaml:")))
        .stderr(predicate::str::contains("yaml syntax"));
}

#[test]
fn warnings_are_printed_but_pass() {
    ptr_audit()
        .args(["validate", &format!("{FIX}/migrated.yaml")])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "{FIX}/migrated.yaml:7:20: warning: `migrated_from` names unknown datacenter `ams9`"
        )))
        .stderr(predicate::str::contains("1 warning(s)"))
        .stdout(predicate::str::contains("inventory is valid"));
}

#[test]
fn overlap_across_files_names_both_places() {
    ptr_audit()
        .args(["validate", &format!("{FIX}/overlap")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{FIX}/overlap/b.yaml:6:15: error: block `203.0.113.128/25` overlaps"
        )))
        .stderr(predicate::str::contains(format!(
            "(at {FIX}/overlap/a.yaml:8, datacenter `fra1`)"
        )));
}

#[test]
fn plain_cidr_arguments() {
    ptr_audit()
        .args([
            "validate",
            "--format",
            "json",
            "203.0.113.0/24",
            "198.51.100.7",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"addresses_in_scope\": 257"));
    ptr_audit()
        .args(["validate", "203.0.113.5/24"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "<args>: error: host bits set in block `203.0.113.5/24`",
        ));
}

#[test]
fn cidr_list_file_and_stdin() {
    ptr_audit()
        .args(["validate", "--format", "json", &format!("{FIX}/scope.txt")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"addresses_in_scope\": 21"));
    ptr_audit()
        .args(["validate", "-"])
        .write_stdin("# from a pipe\n203.0.113.0/30\n203.0.113.2\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "-:3:1: error: block `203.0.113.2/32` overlaps block `203.0.113.0/30` (at -:2",
        ));
}

#[test]
fn missing_file_is_bad_input() {
    ptr_audit()
        .args(["validate", "no/such/inventory.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read `no/such/inventory.yaml`",
        ));
}
