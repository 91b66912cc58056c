//! The `sarif` report is valid by OASIS's SARIF 2.1.0 JSON schema
//! (`tests/schemas/sarif-schema-2.1.0.json`), checked with Debian's
//! `python3-jsonschema` as code-scanning consumers check it: every finding
//! code on addresses and blocks, hostile names and inventory paths,
//! suppressions, baseline states, an empty run and an interrupted one.
//! Without the validator the test fails in CI (`CI=true`) and is skipped,
//! saying so, elsewhere.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use ptr_audit_model::{
    AddressRecord, BlockFinding, BlockInfo, DnsName, Finding, FindingCode, Policy, Severity,
    SeverityOverrides, SourceLocation,
};
use ptr_audit_report::{
    Baseline, Format, GateOptions, Report, ReportMeta, SinkOptions, Suppressions, read_report_str,
    sink,
};

use crate::fixture::{
    SharedBuf, block_findings, gate_options, meta, records, render, synthetic_record,
};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/schemas/sarif-schema-2.1.0.json"
);

/// Debian's interpreter, where `python3-jsonschema` is installed (a `python3`
/// earlier on PATH may be another installation without it).
const PYTHON: &str = "/usr/bin/python3";

/// Validates stdin against the schema in argv[1] (Draft 4, the schema's own
/// draft) with every format checker; prints one error per line and exits 1
/// when invalid, 0 when valid, 3 when a format the schema uses cannot be
/// checked. jsonschema checks `date-time` only with a library Debian does
/// not package, so RFC 3339's grammar (section 5.6) is registered for it.
const VALIDATE: &str = r#"
import datetime, json, re, sys
import jsonschema

checker = jsonschema.FormatChecker()
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")

@checker.checks("date-time", raises=ValueError)
def date_time(text):
    if not isinstance(text, str):
        return True
    if not RFC3339.match(text):
        raise ValueError("not RFC 3339")
    datetime.datetime.fromisoformat(text[:19])
    return True

missing = {"uri", "uri-reference", "date-time"} - set(checker.checkers)
if missing:
    print("cannot check formats: " + ", ".join(sorted(missing)))
    sys.exit(3)
with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
jsonschema.Draft4Validator.check_schema(schema)
validator = jsonschema.Draft4Validator(schema, format_checker=checker)
doc = json.load(sys.stdin)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
for e in errors:
    print("/" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
"#;

/// The validator on `sarif`: `Ok(())` when valid, `Err(messages)` when not,
/// `None` when the validator cannot run outside CI.
fn validate(sarif: &str) -> Option<Result<(), String>> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| v == "true");
    let child = Command::new(PYTHON)
        .args(["-c", VALIDATE, SCHEMA])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if in_ci => panic!("{PYTHON} cannot run in CI: {e}"),
        Err(e) => {
            eprintln!("skipped: {PYTHON} cannot run ({e}); install python3-jsonschema");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sarif.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => Some(Ok(())),
        Some(1) => Some(Err(stdout)),
        _ if !in_ci && stderr.contains("No module named 'jsonschema'") => {
            eprintln!("skipped: install python3-jsonschema (and python3-rfc3987)");
            None
        }
        _ => panic!(
            "the SARIF validator could not run (python3-jsonschema and python3-rfc3987, \
             in .ci/apt-packages): {}\n{stdout}{stderr}",
            out.status
        ),
    }
}

fn assert_valid(what: &str, sarif: &str) {
    if let Some(result) = validate(sarif) {
        result.unwrap_or_else(|e| panic!("{what}: not valid SARIF 2.1.0:\n{e}\n{sarif}"));
    }
}

/// A block whose inventory file is absolute, with spaces, markup and
/// non-ASCII in its path, and no line (a `file://` URI without a region).
fn hostile_block() -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: Arc::from("ams\"3\\<x>\u{7}"),
        cidr: "198.51.100.64/28".parse().unwrap(),
        policy: Policy::Mail,
        expect_ptr: None,
        expect_pbl: false,
        migrated_from: Some(Arc::from("lon 1")),
        severities: SeverityOverrides::default(),
        source: SourceLocation {
            file: PathBuf::from("/srv/inventories/dc ü #1?x=%41.yaml"),
            line: 0,
        },
    })
}

/// One record per finding code, each on a name with raw control, non-UTF-8
/// and markup bytes, plus the shared fixture.
fn every_code_records() -> Vec<AddressRecord> {
    let block = hostile_block();
    let mut out = records();
    for (i, code) in FindingCode::ALL.into_iter().enumerate() {
        let ip: IpAddr = format!("198.51.100.{}", 64 + i).parse().unwrap();
        let name = DnsName::from_labels([
            b"\x00\xff\xfe\"}]<\x1b[0m".as_slice(),
            format!("{}-{i}", code.as_str()).as_bytes(),
            b"example".as_slice(),
        ]);
        out.push(synthetic_record(&block, ip, name, Some(code)));
    }
    out
}

/// One block finding per code and severity, on both hostile blocks.
fn every_code_block_findings() -> Vec<BlockFinding> {
    let mut out = block_findings();
    let severities = [Severity::Error, Severity::Warning, Severity::Notice];
    for (i, code) in FindingCode::ALL.into_iter().enumerate() {
        out.push(BlockFinding {
            block: hostile_block(),
            finding: Finding::new(
                code,
                severities[i % 3],
                format!("block says `{}`\r\n::error::x \u{0}\"\\", code.as_str()),
            ),
        });
    }
    out
}

/// Renders `records` and `block_findings` as SARIF with `meta` and `gate`.
fn sarif(
    meta: &ReportMeta,
    gate: GateOptions,
    records: &[AddressRecord],
    block_findings: &[BlockFinding],
    complete: bool,
) -> String {
    let buf = SharedBuf::default();
    let mut report = Report::new(gate);
    report.add_sink(
        sink(
            Format::Sarif,
            Box::new(buf.clone()),
            meta,
            &SinkOptions::default(),
        )
        .unwrap(),
    );
    for r in records {
        report.record(r).unwrap();
    }
    report
        .finish("2026-11-28T19:41:00Z", complete, block_findings)
        .unwrap();
    buf.text()
}

#[test]
fn sarif_is_valid_by_the_oasis_sarif_2_1_0_schema() {
    assert_valid("the fixture", &render(Format::Sarif));
}

#[test]
fn sarif_of_every_finding_code_and_hostile_paths_is_valid() {
    let mut m = meta();
    m.changed_since = Some("git:origin/main\"; rm -rf /".into());
    m.inventory_files
        .push(PathBuf::from("/srv/inventories/dc ü #1?x=%41.yaml"));
    let recs = every_code_records();
    let text = sarif(
        &m,
        gate_options(),
        &recs,
        &every_code_block_findings(),
        true,
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    for code in FindingCode::ALL {
        let n = results
            .iter()
            .filter(|r| r["ruleId"] == code.as_str())
            .count();
        assert!(
            n >= 2,
            "`{}`: {n} results, expected an address and a block",
            code.as_str()
        );
    }
    assert!(
        results.iter().any(|r| r["locations"][0]["physicalLocation"]
            .get("region")
            .is_none()),
        "no result without a line"
    );
    assert_valid("every finding code", &text);
}

#[test]
fn sarif_with_suppressions_and_baseline_states_is_valid() {
    let recs = every_code_records();
    let blocks = every_code_block_findings();
    // The baseline: the shared fixture alone, so its results are `unchanged`
    // and those of the per-code records `new`.
    let old = baseline_json(&records());
    let doc = read_report_str(&old, Path::new("baseline.json")).unwrap();
    let suppressions = Suppressions::parse(
        "\
- ip: 203.0.113.5
  code: ptr-generic
  reason: \"customer's <own> scheme \\\"quoted\\\" \\u0007 }]\"
- block: 198.51.100.64/28
  code: ptr-inconsistent
  reason: being migrated
",
        Path::new("sup.yaml"),
    )
    .unwrap();
    let gate = GateOptions {
        baseline: Some(Baseline::from_doc(&doc)),
        suppressions: Some(suppressions),
        max_unknown_percent: 100.0,
        ..gate_options()
    };
    let text = sarif(&meta(), gate, &recs, &blocks, true);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    for state in ["new", "unchanged"] {
        assert!(
            results.iter().any(|r| r["baselineState"] == state),
            "no `{state}` result"
        );
    }
    assert!(results.iter().any(|r| r.get("suppressions").is_some()));
    assert_valid("suppressions and baseline", &text);
}

#[test]
fn sarif_of_an_empty_or_interrupted_run_is_valid() {
    let empty = sarif(&meta(), gate_options(), &[], &[], true);
    assert!(empty.contains("\"results\": []"), "{empty}");
    assert_valid("an empty run", &empty);
    let interrupted = sarif(&meta(), gate_options(), &records()[..3], &[], false);
    assert!(interrupted.contains("\"executionSuccessful\":false"));
    assert_valid("an interrupted run", &interrupted);
}

#[test]
fn the_schema_check_rejects_what_the_schema_forbids() {
    // The checker itself: a level SARIF does not know, a property a result
    // may not have, a URI with a space, a start line of 0 and a time that is
    // not RFC 3339 are each refused.
    let text = render(Format::Sarif);
    let bad = [
        (
            text.replacen("\"level\":\"error\"", "\"level\":\"fatal\"", 1),
            "/runs/0/results/0/level: 'fatal' is not one of",
        ),
        (
            text.replacen("\"ruleIndex\":", "\"ruleIdx\":1,\"ruleIndex\":", 1),
            "/runs/0/results/0: Additional properties are not allowed ('ruleIdx' was unexpected)",
        ),
        (
            text.replacen(
                "https://json.schemastore.org/sarif-2.1.0.json",
                "https://json schemastore.org/",
                1,
            ),
            "/$schema: 'https://json schemastore.org/' is not a 'uri'",
        ),
        (
            text.replacen("\"startLine\":23", "\"startLine\":0", 1),
            "/startLine: 0 is less than the minimum of 1",
        ),
        (
            text.replacen("2026-11-28T19:41:00Z", "28/11/2026 19:41", 1),
            "/endTimeUtc: '28/11/2026 19:41' is not a 'date-time'",
        ),
    ];
    for (b, expected) in bad {
        assert_ne!(b, text, "a mutation did not apply: {expected}");
        if let Some(result) = validate(&b) {
            let e = result.expect_err(expected);
            assert!(e.contains(expected), "expected `{expected}`, got:\n{e}");
        }
    }
}

/// `records` as a `json` report (what `--baseline` reads).
fn baseline_json(records: &[AddressRecord]) -> String {
    crate::fixture::render_with(
        Format::Json,
        &SinkOptions::default(),
        gate_options(),
        records,
    )
    .0
}
