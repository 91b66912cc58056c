//! `ptr-audit explain` and `ptr-audit classify`: exit codes, the JSON shape,
//! highlighting without a terminal, and provider templates from an inventory.

use assert_cmd::Command;
use predicates::prelude::*;

fn ptr_audit() -> Command {
    let mut cmd = crate::ptr_audit();
    cmd.env_remove("NO_COLOR");
    cmd
}

const INVENTORY: &str = "inventories/example/inventory.yaml";

#[test]
fn explain_generic_highlights_with_brackets_when_piped() {
    ptr_audit()
        .args([
            "explain",
            "203.0.113.5",
            "ec2-203-0-113-5.compute-1.amazonaws.com",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: generic"))
        .stdout(predicate::str::contains(
            "ip-encoded (dashed): ec2-[203-0-113-5].compute-1.amazonaws.com",
        ))
        .stdout(predicate::str::contains(
            "if forward-confirmed: RDNS_DYNAMIC",
        ))
        .stdout(predicate::str::contains("iprev: unknown"))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn explain_shows_every_receiver_with_its_rules() {
    let out = ptr_audit()
        .args([
            "explain",
            "--forward",
            "confirmed",
            "203.0.113.5",
            "203-0-113-5.dyn.example.net",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in [
        "postfix-strict",
        "postfix-lax",
        "spamassassin",
        "rspamd",
        "haraka",
        "gmail",
        "yahoo",
        "microsoft",
        "united-internet",
    ] {
        assert!(
            text.contains(&format!("\n  {id} ")),
            "{id} missing:\n{text}"
        );
    }
    assert!(
        text.contains("spamassassin     score 0.982  RDNS_DYNAMIC  (spamassassin 4.0.1)"),
        "{text}"
    );
    assert!(text.contains("__RDNS_DYNAMIC_IPADDR"), "{text}");
    assert!(
        text.contains("rspamd           score 3  HFILTER_HOSTNAME_5"),
        "{text}"
    );
    assert!(
        text.contains("united-internet  reject  generic-ptr"),
        "{text}"
    );
    assert!(text.contains("iprev: pass"), "{text}");
}

#[test]
fn explain_custom_and_invalid() {
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail5.example.com"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: custom"))
        .stdout(predicate::str::contains("postfix-lax      accept"));
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail_5.example.com"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: invalid"))
        .stdout(predicate::str::contains("mail[_]5.example.com"))
        .stdout(predicate::str::contains(
            "postfix-lax      reject  reject_unknown_reverse_client_hostname",
        ));
}

#[test]
fn explain_escapes_control_characters_in_the_name() {
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail\x1b[31m.example.com"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("verdict: invalid"))
        .stdout(predicate::str::contains("mail[\\027][31m.example.com"))
        .stdout(predicate::str::contains("\x1b").not());
}

#[test]
fn explain_says_what_a_blocklist_code_means() {
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail5.example.com"])
        .args(["--dnsbl-code", "spamhaus-zen=127.0.0.11"])
        .args(["--dnsbl-code", "spamhaus-zen=127.255.255.254"])
        .args(["--dnsbl-code", "generic=127.0.0.2"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "dnsbl spamhaus-zen 127.0.0.11: listed (PBL): Spamhaus PBL, listed by Spamhaus",
        ))
        .stdout(predicate::str::contains(
            "dnsbl spamhaus-zen 127.255.255.254: not a listing, error: queried through a public or open resolver",
        ))
        .stdout(predicate::str::contains("dnsbl generic 127.0.0.2: listed (listed)"));
    ptr_audit()
        .args(["explain", "203.0.113.5", "mail5.example.com"])
        .args(["--dnsbl-code", "zen=127.0.0.2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("spamhaus-zen"));
}

#[test]
fn explain_uses_inventory_templates() {
    let name = "203-0-113-5-host.examplehost.net";
    ptr_audit()
        .args(["explain", "--inventory", INVENTORY, "203.0.113.5", name])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "provider-default (template): [203-0-113-5-host.examplehost.net]",
        ));
    ptr_audit()
        .args(["explain", "203.0.113.5", name])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("provider-default").not());
}

#[test]
fn explain_bad_address_is_a_usage_error() {
    ptr_audit()
        .args(["explain", "not-an-ip", "mail.example.com"])
        .assert()
        .code(2);
}

#[test]
fn classify_writes_one_json_object_per_line() {
    let input = "# comment\n203.0.113.5\tec2-203-0-113-5.compute-1.amazonaws.com\n\n\
                 203.0.113.5\tmail5.example.com.\n2001:db8:10::5\tmail_x.example.net\n";
    let out = ptr_audit()
        .arg("classify")
        .write_stdin(input)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    // Keys in documented order.
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with(r#"{"ip":"203.0.113.5","ptr":"#)
    );
    assert_eq!(lines[0]["label"], "generic");
    let r = &lines[0]["reasons"][0];
    assert_eq!(r["rule"], "ip-encoded");
    assert_eq!(r["kind"], "dashed");
    assert_eq!(r["matched"], "203-0-113-5");
    assert!(r["message"].as_str().unwrap().contains("address"));
    // Every receiver is listed; without --forward the ones that need it say unknown.
    let rs = lines[0]["receivers"].as_array().unwrap();
    assert_eq!(rs.len(), 9);
    assert_eq!(rs[0]["id"], "postfix-strict");
    assert_eq!(rs[0]["verdict"], "unknown");
    assert_eq!(rs[1]["id"], "postfix-lax");
    assert_eq!(rs[1]["verdict"], "accept");
    assert_eq!(lines[0]["iprev"], serde_json::Value::Null);
    assert_eq!(lines[2]["iprev"], "permerror");
    assert_eq!(lines[1]["label"], "custom");
    assert_eq!(lines[1]["ptr"], "mail5.example.com.");
    assert_eq!(lines[1]["reasons"], serde_json::json!([]));
    assert_eq!(lines[2]["ip"], "2001:db8:10::5");
    assert_eq!(lines[2]["label"], "invalid");
    assert_eq!(lines[2]["reasons"][0]["kind"], "underscore");
}

#[test]
fn classify_with_forward_gives_filter_scores() {
    let out = ptr_audit()
        .args(["classify", "--forward", "confirmed"])
        .write_stdin("203.0.113.5\tec2-203-0-113-5.compute-1.amazonaws.com\n")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(line["iprev"], "pass");
    let sa = &line["receivers"][2];
    assert_eq!(sa["id"], "spamassassin");
    assert_eq!(sa["verdict"], "score");
    assert_eq!(sa["rules"], serde_json::json!(["RDNS_DYNAMIC"]));
    assert_eq!(sa["score"], 0.982);
    assert_eq!(sa["source"], "spamassassin 4.0.1");
}

#[test]
fn classify_reads_a_file_and_inventory_templates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.tsv");
    std::fs::write(
        &file,
        "203.0.113.9\tstatic.9.113.0.203.clients.examplehost.net\n",
    )
    .unwrap();
    ptr_audit()
        .args(["classify", "--inventory", INVENTORY])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""rule":"provider-default""#));
}

#[test]
fn classify_bad_line_names_the_line_and_exits_2() {
    ptr_audit()
        .arg("classify")
        .write_stdin("203.0.113.5\tmail.example.com\n203.0.113.x\tmail.example.com\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-:2:"))
        .stderr(predicate::str::contains(
            "`203.0.113.x` is not an IP address",
        ));
    ptr_audit()
        .arg("classify")
        .write_stdin("203.0.113.5 mail.example.com\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-:1: want `IP<TAB>NAME`"));
}

#[test]
fn classify_missing_file_exits_2() {
    ptr_audit()
        .args(["classify", "/nonexistent/names.tsv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot open `/nonexistent/names.tsv`",
        ));
}

#[test]
fn explain_fail_on_exits_1_at_that_label_or_worse() {
    let explain = |name: &str, fail_on: &str| {
        ptr_audit()
            .args(["explain", "203.0.113.5", name, "--fail-on", fail_on])
            .output()
            .unwrap()
            .status
            .code()
    };
    // custom < generic < invalid
    assert_eq!(explain("mail5.example.com", "generic"), Some(0));
    assert_eq!(explain("203-0-113-5.example.net", "generic"), Some(1));
    assert_eq!(explain("203-0-113-5.example.net", "invalid"), Some(0));
    assert_eq!(explain("localhost", "generic"), Some(1));
    assert_eq!(explain("localhost", "invalid"), Some(1));
    assert_eq!(explain("mail5.example.com", "custom"), Some(2));
}

#[test]
fn classify_fail_on_judges_every_line_then_exits_1() {
    let input = "203.0.113.5\t203-0-113-5.example.net\n203.0.113.6\tmail6.example.com\n";
    let run = |args: &[&str]| {
        ptr_audit()
            .arg("classify")
            .args(args)
            .write_stdin(input)
            .output()
            .unwrap()
    };
    let out = run(&["--fail-on", "generic"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert_eq!(run(&["--fail-on", "invalid"]).status.code(), Some(0));
    assert_eq!(run(&[]).status.code(), Some(0));
}
