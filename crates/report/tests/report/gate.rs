//! The gate: fail levels, `--max-unknown`, baselines and suppressions.

use std::path::Path;

use ptr_audit_model::{FindingCode, Severity};
use ptr_audit_report::{
    Baseline, Format, GateOptions, ReportError, SinkOptions, SuppressScope, Suppressions,
    read_report_str,
};

use crate::fixture::{gate_options, records, render_with};

fn outcome(opts: GateOptions) -> ptr_audit_report::GateOutcome {
    render_with(Format::Jsonl, &SinkOptions::default(), opts, &records()).2
}

#[test]
fn fail_on_levels_count_findings_at_or_above() {
    let lenient = GateOptions {
        max_unknown_percent: 100.0,
        ..gate_options()
    };
    // Errors, excluding lookup-failed: 203.0.113.7 fcrdns, .5 generic, .6 invalid,
    // 192.0.2.11 + .10 missing, 2001:db8:10::5 fcrdns.
    let e = outcome(lenient.clone());
    assert_eq!(e.failing, 6);
    assert!(e.failed);
    assert_eq!(e.reasons.len(), 1);
    assert_eq!(
        e.reasons[0],
        "6 findings at or above `error`: 2 `ptr-missing`, 1 `ptr-invalid`, 2 `fcrdns-failed`, 1 `ptr-generic`"
    );
    let w = outcome(GateOptions {
        fail_on: Severity::Warning,
        ..lenient.clone()
    });
    // + 2 unexpected, 1 multiple, 1 generic (warning) + 1 block finding (warning).
    assert_eq!(w.failing, 11);
    let n = outcome(GateOptions {
        fail_on: Severity::Notice,
        ..lenient
    });
    assert_eq!(n.failing, 12);
}

#[test]
fn max_unknown_fails_when_too_many_addresses_got_no_answer() {
    let base = GateOptions {
        fail_on: Severity::Error,
        ..gate_options()
    };
    // 2 of 12 addresses are lookup-failed: 16.67%.
    let o = outcome(GateOptions {
        max_unknown_percent: 20.0,
        ..base.clone()
    });
    assert_eq!(o.unknown, 2);
    assert!(o.reasons.iter().all(|r| !r.contains("no answer")));
    let o = outcome(GateOptions {
        max_unknown_percent: 1.0,
        ..base
    });
    assert!(
        o.reasons.contains(
            &"16.67% of addresses (2 of 12) got no answer (`lookup-failed`), above --max-unknown 1%"
                .to_string()
        ),
        "{:?}",
        o.reasons
    );
}

#[test]
fn a_clean_run_passes() {
    let only_ok: Vec<_> = records()
        .into_iter()
        .filter(|r| r.findings.is_empty())
        .collect();
    let (_, summary, o) = render_with(
        Format::Json,
        &SinkOptions::default(),
        gate_options(),
        &only_ok,
    );
    assert_eq!(summary.total.total, 1);
    // The block finding (a warning) does not fail at `error`.
    assert!(!o.failed, "{:?}", o.reasons);
}

#[test]
fn baseline_counts_new_fixed_unchanged_and_only_new_findings_fail() {
    // Baseline: the fixture minus 203.0.113.5's finding, plus a finding on
    // 203.0.113.25 (now ok: fixed) and one on an address not scanned now.
    let mut old = records();
    for r in &mut old {
        if r.target.ip.to_string() == "203.0.113.5" {
            r.findings.clear();
            r.status = ptr_audit_model::Status::Ok;
        }
        if r.target.ip.to_string() == "203.0.113.25" {
            r.findings.push(ptr_audit_model::Finding::new(
                FindingCode::PtrMissing,
                Severity::Error,
                "gone",
            ));
            r.status = ptr_audit_model::Status::of(&r.findings);
        }
    }
    let mut elsewhere = old[0].clone();
    elsewhere.target.ip = "203.0.113.60".parse().unwrap();
    old.push(elsewhere);
    let text = render_with(Format::Json, &SinkOptions::default(), gate_options(), &old).0;
    let doc = read_report_str(&text, Path::new("baseline.json")).unwrap();
    let baseline = Baseline::from_doc(&doc);
    assert_eq!(baseline.len(), 16);

    let o = outcome(GateOptions {
        baseline: Some(baseline),
        max_unknown_percent: 100.0,
        ..gate_options()
    });
    let b = o.baseline.clone().unwrap();
    assert_eq!(b.new, 1, "203.0.113.5 ptr-generic is new");
    assert_eq!(b.fixed, 1, "203.0.113.25 ptr-missing is fixed");
    // 13 address findings now, 1 new; plus the unchanged block finding.
    assert_eq!(b.unchanged, 13);
    assert_eq!(o.failing, 1);
    assert_eq!(
        o.reasons[0],
        "1 new finding at or above `error`: 1 `ptr-generic`"
    );
}

#[test]
fn suppressions_apply_until_they_expire_and_then_say_so() {
    let yaml = "\
# accepted findings
- ip: 203.0.113.5
  code: ptr-generic
  reason: customer's own scheme
  expires: 2026-12-31
- block: 192.0.2.0/26
  code: ptr-missing
  reason: delegated to the customer
  expires: 2026-11-27
- block: 198.51.100.0/24
  code: lookup-failed
  reason: zone not deployed yet
";
    let s = Suppressions::parse(yaml, Path::new("sup.yaml")).unwrap();
    assert_eq!(s.entries.len(), 3);
    assert_eq!(s.entries[1].source.line, 6);
    assert_eq!(
        s.entries[2].scope,
        SuppressScope::Block("198.51.100.0/24".parse().unwrap())
    );
    let o = outcome(GateOptions {
        suppressions: Some(s),
        max_unknown_percent: 100.0,
        ..gate_options()
    });
    // Suppressed: .5 ptr-generic and 198.51.100.8 lookup-failed.
    assert_eq!(o.suppressed, 2);
    assert_eq!(o.unknown, 1);
    // The expired block suppression no longer hides the two ptr-missing.
    assert_eq!(o.failing, 5);
    assert_eq!(o.expired.len(), 1);
    assert_eq!(o.expired[0].matched, 2);
    assert_eq!(o.expired[0].expires.to_string(), "2026-11-27");
    assert_eq!(o.expired[0].source.line, 6);
}

#[test]
fn suppression_errors_name_file_and_line() {
    let cases = [
        (
            "- ip: 203.0.113.5\n  code: ptr-bogus\n  reason: x\n",
            1,
            "unknown finding code `ptr-bogus`",
        ),
        (
            "- ip: 1.2.3.4\n  code: ptr-generic\n  reason: x\n- ip: nope\n  code: ptr-generic\n  reason: y\n",
            4,
            "`ip: nope` is not an IP address",
        ),
        (
            "- block: 203.0.113.5/24\n  code: ptr-generic\n  reason: x\n",
            1,
            "did you mean `203.0.113.0/24`",
        ),
        (
            "- ip: 203.0.113.5\n  code: ptr-generic\n  reason: x\n  expires: 2026-02-30\n",
            1,
            "is not a date",
        ),
        (
            "- ip: 203.0.113.5\n  block: 203.0.113.0/24\n  code: ptr-generic\n  reason: x\n",
            1,
            "both",
        ),
        (
            "- code: ptr-generic\n  reason: x\n",
            1,
            "needs `ip` or `block`",
        ),
    ];
    for (yaml, line, msg) in cases {
        let err = Suppressions::parse(yaml, Path::new("sup.yaml")).unwrap_err();
        match &err {
            ReportError::Suppression { line: l, .. } => assert_eq!(*l, line, "{err}"),
            other => panic!("wrong error {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with(&format!("`sup.yaml` line {line}: ")),
            "{err}"
        );
        assert!(err.to_string().contains(msg), "{err}");
    }
}

#[test]
fn suppression_yaml_errors_have_positions() {
    let err = Suppressions::parse(
        "- ip: 203.0.113.5\n  code: ptr-generic\n  reasn: typo\n",
        Path::new("sup.yaml"),
    )
    .unwrap_err();
    match &err {
        ReportError::Yaml { line, .. } => assert_eq!(*line, 3, "{err}"),
        other => panic!("wrong error {other:?}"),
    }
    assert!(err.to_string().starts_with("`sup.yaml` line 3"), "{err}");
    let err = Suppressions::parse("- ip: [\n", Path::new("sup.yaml")).unwrap_err();
    assert!(matches!(err, ReportError::Yaml { .. }), "{err}");
}

#[test]
fn block_suppressions_cover_block_findings_inside_them() {
    // The fixture's block finding (a warning on 198.51.100.0/27) counts at `warning`.
    let base = GateOptions {
        fail_on: Severity::Warning,
        max_unknown_percent: 100.0,
        ..gate_options()
    };
    let before = outcome(base.clone());
    let s = Suppressions::parse(
        "- block: 198.51.100.0/24\n  code: ptr-generic\n  reason: placeholder until the customer moves\n",
        Path::new("sup.yaml"),
    )
    .unwrap();
    let after = outcome(GateOptions {
        suppressions: Some(s),
        ..base
    });
    // The block finding and 198.51.100.7's ptr-generic are both covered.
    assert_eq!(after.suppressed, 2);
    assert_eq!(after.failing, before.failing - 2);
    // An address suppression never covers a block finding.
    let s = Suppressions::parse(
        "- ip: 198.51.100.0\n  code: ptr-generic\n  reason: x\n",
        Path::new("sup.yaml"),
    )
    .unwrap();
    let o = outcome(GateOptions {
        suppressions: Some(s),
        fail_on: Severity::Warning,
        max_unknown_percent: 100.0,
        ..gate_options()
    });
    assert_eq!(o.suppressed, 0);
}
