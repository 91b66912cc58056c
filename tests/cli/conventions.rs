//! Conventions that hold on every command: `--color` with `NO_COLOR`,
//! `CLICOLOR` and `CLICOLOR_FORCE`; man pages and completions generated from
//! the command line definition.

use predicates::prelude::*;

use crate::{assert_exit, ptr_audit};

const BAD: &str = "tests/fixtures/inventories/host-bits.yaml";
const RED_BOLD_ERROR: &str = "\x1b[1m\x1b[31merror";

/// `validate` on an invalid inventory with the colour environment cleared
/// and `envs` set; returns stderr.
fn validate_stderr(args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut cmd = ptr_audit();
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        cmd.env_remove(var);
    }
    cmd.envs(envs.iter().copied());
    let out = cmd.arg("validate").args(args).arg(BAD).output().unwrap();
    assert_exit(&out, 2);
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn validate_colours_diagnostics_when_asked_and_never_into_a_pipe_by_default() {
    // stderr is a pipe here: `auto` means no colour.
    let plain = validate_stderr(&[], &[]);
    assert!(plain.contains(": error: host bits set"), "{plain}");
    assert!(!plain.contains('\x1b'), "{plain:?}");

    let forced = validate_stderr(&["--color", "always"], &[]);
    assert!(forced.contains(RED_BOLD_ERROR), "{forced:?}");
    // the global option works before the subcommand too
    let mut cmd = ptr_audit();
    cmd.env_remove("NO_COLOR");
    let before = cmd
        .args(["--color", "always", "validate", BAD])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&before.stderr).contains(RED_BOLD_ERROR));

    let env_forced = validate_stderr(&[], &[("CLICOLOR_FORCE", "1")]);
    assert!(env_forced.contains(RED_BOLD_ERROR), "{env_forced:?}");

    // NO_COLOR wins over CLICOLOR_FORCE; --color never over everything
    let no_color = validate_stderr(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!no_color.contains('\x1b'), "{no_color:?}");
    let never = validate_stderr(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!never.contains('\x1b'), "{never:?}");
    assert_eq!(never, plain);
}

#[test]
fn explain_colours_its_verdict_only_when_asked() {
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = ptr_audit();
        for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
            cmd.env_remove(var);
        }
        let out = cmd
            .envs(envs.iter().copied())
            .args(["explain", "203.0.113.5", "203-0-113-5.example.net"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!run(&[], &[]).contains('\x1b'));
    assert!(run(&["--color=always"], &[]).contains("\x1b[1m\x1b[33mgeneric"));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
    assert!(!run(&["--color=always"], &[]).contains("[203"));
}

#[test]
fn man_prints_the_page_of_the_command_or_of_a_subcommand() {
    ptr_audit()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie"))
        .stdout(predicate::str::contains(".TH ptr-audit 1"))
        .stdout(predicate::str::contains("ptr\\-audit\\-scan(1)"));
    ptr_audit()
        .args(["man", "scan"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH ptr-audit-scan 1"))
        .stdout(predicate::str::contains("\\-\\-fail\\-on"));
    ptr_audit()
        .args(["man", "sacn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no subcommand `sacn`"))
        .stderr(predicate::str::contains("`scan`"));
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    ptr_audit()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "ptr-audit.1",
        "ptr-audit-scan.1",
        "ptr-audit-merge.1",
        "ptr-audit-man.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".SH NAME"), "{page}");
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    ptr_audit()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("complete -F _ptr__audit"))
        .stdout(predicate::str::contains("validate scan merge"));
    ptr_audit()
        .args(["completions", "zsh"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("#compdef ptr-audit"));
    ptr_audit()
        .args(["completions", "fish"])
        .assert()
        .success()
        .stdout(predicate::str::contains("complete -c ptr-audit"));
    ptr_audit().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn scan_help_groups_options_with_examples_and_exit_codes() {
    let out = ptr_audit().args(["scan", "--help"]).output().unwrap();
    assert_exit(&out, 0);
    let help = String::from_utf8(out.stdout).unwrap();
    let at = |heading: &str| {
        help.find(&format!("\n{heading}:\n"))
            .unwrap_or_else(|| panic!("no `{heading}:` heading in\n{help}"))
    };
    let order = [
        "Input",
        "DNS",
        "Limits",
        "Output",
        "CI gate",
        "Scale-out",
        "Examples",
        "Exit codes",
    ];
    let places: Vec<usize> = order.iter().map(|h| at(h)).collect();
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "{order:?} out of order:\n{help}"
    );
    // each option under its heading
    for (heading, option) in [
        ("DNS", "--resolver"),
        ("Limits", "--qps"),
        ("CI gate", "--fail-on"),
        ("Scale-out", "--shard"),
        ("Input", "--changed-since"),
    ] {
        let start = at(heading);
        let end = places.iter().copied().find(|&p| p > start).unwrap();
        assert!(
            help[start..end].contains(option),
            "`{option}` not under `{heading}`"
        );
    }
    assert!(help.contains("130  interrupted"));
    // merge lists its formats
    let merge = ptr_audit().args(["merge", "--help"]).output().unwrap();
    let merge = String::from_utf8(merge.stdout).unwrap();
    assert!(
        merge.contains("[possible values: table, json, jsonl, csv, markdown, sarif, junit, github"),
        "{merge}"
    );
    assert!(merge.contains("--fail-on"), "{merge}");
}
