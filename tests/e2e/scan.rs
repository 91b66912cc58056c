//! The scans: the real `ptr-audit` binary over `tests/e2e-zones/inventory.yaml`,
//! through Unbound, straight at NSD, and with the same zone files served by
//! the embedded server (`--zones`), every record compared with
//! `expected.tsv`, every address in scope reported exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;

use serde_json::Value;

use crate::expected::{self, Check, Row, Via};
use crate::servers::{self, StockServers};

/// `--attempts` of every scan here.
const ATTEMPTS: u64 = 3;

/// The records of one scan, and the command's exit code.
struct ScanOutput {
    code: Option<i32>,
    records: Vec<Value>,
    stderr: String,
}

/// Where a scan gets its answers.
pub enum Source {
    /// `--resolver ADDR`.
    Resolver(SocketAddr),
    /// `--zones tests/e2e-zones/zones`: the embedded server.
    EmbeddedZones,
    /// These `--zones` arguments (zone transfers, say) and these other arguments.
    Zones(Vec<String>, Vec<String>),
}

impl Source {
    fn describe(&self, via: Via) -> String {
        match self {
            Source::Resolver(addr) => format!("via {via:?} at {addr}"),
            Source::EmbeddedZones => format!("with --zones (the {via:?} rows)"),
            Source::Zones(zones, _) => format!("with --zones {zones:?} (the {via:?} rows)"),
        }
    }
}

fn scan(source: &Source) -> ScanOutput {
    let inventory = servers::data_dir().join("inventory.yaml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ptr-audit"));
    cmd.arg("scan").arg(&inventory);
    match source {
        Source::Resolver(addr) => cmd.args(["--resolver", &addr.to_string()]),
        Source::EmbeddedZones => cmd.arg("--zones").arg(servers::zones_dir()),
        Source::Zones(zones, args) => {
            for zone in zones {
                cmd.arg("--zones").arg(zone);
            }
            cmd.args(args)
        }
    };
    let out = cmd
        .args(["--format", "jsonl", "--quiet"])
        .args(["--timeout", "1500ms", "--attempts", &ATTEMPTS.to_string()])
        .output()
        .expect("run ptr-audit scan");
    let stdout = String::from_utf8(out.stdout).expect("jsonl output is UTF-8");
    let records = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("output line {} is not JSON ({e}): {l}", i + 1))
        })
        .collect();
    ScanOutput {
        code: out.status.code(),
        records,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `reason` of a finding, whether written at its top level or under
/// `details`.
pub fn reason_of(finding: &Value) -> Option<String> {
    finding
        .get("reason")
        .or_else(|| finding.get("details").and_then(|d| d.get("reason")))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

pub fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|n| n.as_str().unwrap_or_default().to_ascii_lowercase())
            .collect(),
        Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
        _ => Vec::new(),
    }
}

fn show<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.into_iter().map(String::as_str).collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

/// One disagreement between a record and its row.
pub struct Mismatch {
    ip: String,
    field: &'static str,
    expected: String,
    got: String,
}

/// Compares one record with its expected row; `attempts` is whether the
/// record's `attempts` is checked too.
pub fn compare(ip: IpAddr, record: &Value, row: &Row, attempts: bool, out: &mut Vec<Mismatch>) {
    let mut differ = |field: &'static str, expected: String, got: String| {
        if expected != got {
            out.push(Mismatch {
                ip: ip.to_string(),
                field,
                expected,
                got,
            });
        }
    };
    let status = record["status"].as_str().unwrap_or("<none>").to_string();
    differ("status", row.status.clone(), status);

    let findings = record["findings"].as_array().cloned().unwrap_or_default();
    let codes: BTreeSet<String> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("<none>").to_string())
        .collect();
    differ("codes", show(&row.codes), show(&codes));

    if let Check::Is(reason) = &row.reason {
        let got = findings
            .iter()
            .find(|f| f["code"].as_str() == Some(row.status.as_str()))
            .and_then(reason_of)
            .unwrap_or_else(|| "<none>".into());
        differ("reason", reason.clone(), got);
    }
    if let Check::Is(ptr) = &row.ptr {
        let got: BTreeSet<String> = names(record.get("ptr")).into_iter().collect();
        differ("ptr", show(ptr), show(&got));
    }
    if let Some(count) = row.ptr_count {
        let got = names(record.get("ptr")).len();
        differ("ptr count", count.to_string(), got.to_string());
    }
    if let Check::Is(chain) = &row.chain {
        differ(
            "cname_chain",
            show(chain),
            show(&names(record.get("cname_chain"))),
        );
    }
    // A failure with no CNAME in between (timeout, SERVFAIL, REFUSED) is
    // retried until --attempts are spent. (Answers are not checked for
    // attempts == 1: a reply slower than --timeout on a loaded machine is
    // legitimately retried, and that would make the check a timed assertion.)
    let want_attempts = match (row.status.as_str(), &row.reason, &row.chain) {
        ("lookup-failed", Check::Is(r), Check::Is(chain))
            if chain.is_empty() && ["timeout", "servfail", "refused"].contains(&r.as_str()) =>
        {
            Some(ATTEMPTS)
        }
        _ => None,
    };
    if let Some(want) = want_attempts.filter(|_| attempts) {
        let got = record["attempts"]
            .as_u64()
            .map_or_else(|| "<none>".to_string(), |a| a.to_string());
        differ("attempts", want.to_string(), got);
    }
}

/// The mismatches as an aligned table.
pub fn table(mismatches: &[Mismatch]) -> String {
    let width = |f: fn(&Mismatch) -> usize, min: usize| {
        mismatches.iter().map(f).max().unwrap_or(min).max(min)
    };
    let w_ip = width(|m| m.ip.len(), 2);
    let w_f = width(|m| m.field.len(), 5);
    let w_e = width(|m| m.expected.len(), 8);
    let mut s = format!(
        "{:<w_ip$}  {:<w_f$}  {:<w_e$}  got\n",
        "ip", "field", "expected"
    );
    for m in mismatches {
        let _ = writeln!(
            s,
            "{:<w_ip$}  {:<w_f$}  {:<w_e$}  {}",
            m.ip, m.field, m.expected, m.got
        );
    }
    s
}

/// Scans `source` and asserts every record against the rows for `via`.
pub fn assert_scan_matches(servers: Option<&mut StockServers>, source: &Source, via: Via) {
    let expected = expected::load(via);
    let out = scan(source);
    let mut servers = servers;
    let mut context = || {
        let logs = servers.as_mut().map(|s| s.logs()).unwrap_or_default();
        format!("--- ptr-audit stderr:\n{}\n{logs}", out.stderr)
    };

    // Exactly once: every address in scope, none twice, nothing else.
    let mut seen: BTreeMap<IpAddr, Vec<&Value>> = BTreeMap::new();
    let mut problems = String::new();
    for record in &out.records {
        match record["ip"].as_str().map(str::parse::<IpAddr>) {
            Some(Ok(ip)) => seen.entry(ip).or_default().push(record),
            _ => {
                let _ = writeln!(problems, "record without a valid `ip`: {record}");
            }
        }
    }
    for (ip, records) in &seen {
        if records.len() > 1 {
            let _ = writeln!(problems, "{ip} reported {} times", records.len());
        }
        if !expected.contains_key(ip) {
            let _ = writeln!(
                problems,
                "{ip} reported but not in scope (excluded, reserved or outside)"
            );
        }
    }
    for ip in expected.keys().filter(|ip| !seen.contains_key(ip)) {
        let _ = writeln!(problems, "{ip} in scope but never reported");
    }

    let mut mismatches = Vec::new();
    for (ip, row) in &expected {
        if let Some(records) = seen.get(ip) {
            compare(*ip, records[0], row, true, &mut mismatches);
        }
    }
    if !mismatches.is_empty() {
        let _ = write!(
            problems,
            "{} differences in {} addresses:\n{}",
            mismatches.len(),
            mismatches
                .iter()
                .map(|m| &m.ip)
                .collect::<BTreeSet<_>>()
                .len(),
            table(&mismatches)
        );
    }
    assert!(
        problems.is_empty(),
        "scan {} ({} records, {} expected) disagrees with tests/e2e-zones/expected.tsv:\n{problems}\n{}",
        source.describe(via),
        out.records.len(),
        expected.len(),
        context()
    );
    // There are error findings in scope, so the run fails the default gate.
    assert_eq!(out.code, Some(1), "exit code\n{}", context());
}

#[test]
fn scan_through_unbound_matches_expected() {
    let Some(mut servers) = StockServers::start_or_skip("scan_through_unbound_matches_expected")
    else {
        return;
    };
    let source = Source::Resolver(servers.unbound);
    assert_scan_matches(Some(&mut servers), &source, Via::Unbound);
}

#[test]
fn scan_straight_at_nsd_matches_expected() {
    let Some(mut servers) = StockServers::start_or_skip("scan_straight_at_nsd_matches_expected")
    else {
        return;
    };
    let source = Source::Resolver(servers.nsd);
    assert_scan_matches(Some(&mut servers), &source, Via::Nsd);
}

/// `scan --zones` serves the same zone files from the embedded server, an
/// authoritative server like NSD (REFUSED outside its zones, `/` in zone
/// names): it must give what NSD gives. Needs no stock server.
#[test]
fn scan_with_embedded_zones_matches_what_nsd_gives() {
    assert_scan_matches(None, &Source::EmbeddedZones, Via::Nsd);
}
