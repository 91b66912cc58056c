//! Snapshot tests: every format over the one hostile fixture.

use ptr_audit_report::{Format, SinkOptions};

use crate::fixture::{gate_options, records, render, render_with};

#[test]
fn table_snapshot() {
    insta::assert_snapshot!("table", render(Format::Table));
}

#[test]
fn table_with_colour_snapshot() {
    let opts = SinkOptions {
        color: true,
        ..SinkOptions::default()
    };
    let (text, _, _) = render_with(Format::Table, &opts, gate_options(), &records());
    insta::assert_snapshot!("table_color", text);
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", render(Format::Json));
}

#[test]
fn jsonl_snapshot() {
    insta::assert_snapshot!("jsonl", render(Format::Jsonl));
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!("csv", render(Format::Csv));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", render(Format::Markdown));
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!("sarif", render(Format::Sarif));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit", render(Format::Junit));
}

#[test]
fn github_snapshot() {
    insta::assert_snapshot!("github", render(Format::Github));
}

/// Raw control bytes from DNS never reach any output: the model escapes them
/// as `\DDD`, and the formats must not undo that.
#[test]
fn no_format_writes_an_escape_byte() {
    for f in Format::ALL {
        let text = render(f);
        assert!(!text.contains('\u{1b}'), "{f} wrote a raw ESC");
        assert!(
            text.contains("\\027") || text.contains("\\\\027"),
            "{f} lost the escaped name"
        );
    }
}

#[test]
fn json_and_sarif_are_valid_json() {
    for f in [Format::Json, Format::Sarif] {
        let text = render(f);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v.is_object(), "{f}");
    }
    for line in render(Format::Jsonl).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("ip").is_some());
    }
}

#[test]
fn json_records_are_sorted_by_address_whatever_the_input_order() {
    let mut recs = records();
    let a = render_with(Format::Json, &SinkOptions::default(), gate_options(), &recs).0;
    recs.reverse();
    let b = render_with(Format::Json, &SinkOptions::default(), gate_options(), &recs).0;
    assert_eq!(a, b);
    // And with a sort buffer so small that every record spills to its own run.
    let tiny = SinkOptions {
        sort_memory: 1,
        ..SinkOptions::default()
    };
    let c = render_with(Format::Json, &tiny, gate_options(), &recs).0;
    assert_eq!(a, c);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    let ips: Vec<std::net::IpAddr> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = ips.clone();
    sorted.sort();
    assert_eq!(ips, sorted);
    assert_eq!(ips.len(), 12);
}

#[test]
fn csv_rows_are_one_per_address_and_defused() {
    let text = render(Format::Csv);
    // Header + 12 records: control characters inside values (the CRLF of a
    // hostile message, a newline in an inventory string) are visible text.
    assert_eq!(text.matches("\r\n").count(), 13);
    assert!(
        text.contains("token `cmd|' /C calc'` marks a dynamic name\\u{d}\\u{a}::error::injected")
    );
    assert!(!text.bytes().any(|b| b < 0x20 && b != b'\r' && b != b'\n'));
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\").example.\""));
    assert!(!text.contains(",=HYPERLINK"));
    assert!(!text.contains(",@everyone"));
}

#[test]
fn github_messages_cannot_inject_commands() {
    let text = render(Format::Github);
    for line in text.lines() {
        assert!(
            line.starts_with("::"),
            "a line that is not a command: {line:?}"
        );
    }
    assert!(text.contains("%0D%0A::error::injected"));
    assert!(text.contains("v6-host%250Anewline"));
}

#[test]
fn markdown_collapses_the_full_list_and_counts_what_it_drops() {
    let opts = SinkOptions {
        markdown_top: 2,
        list_limit: 5,
        ..SinkOptions::default()
    };
    let (text, _, _) = render_with(Format::Markdown, &opts, gate_options(), &records());
    assert!(
        text.contains("### Failing addresses (worst 2 of 11)"),
        "{text}"
    );
    assert!(
        text.contains("<details><summary>All 11 failing addresses</summary>"),
        "{text}"
    );
    assert!(
        text.contains("… and 6 more: see the json or csv report."),
        "{text}"
    );
    // The two worst come first: the lookup failures (errors, first in table order).
    let top = text.split("<details>").next().unwrap();
    assert!(
        top.contains("| 198.51.100.8 |") && top.contains("| 203.0.113.9 |"),
        "{top}"
    );
    assert!(!top.contains("| 203.0.113.8 |"));
}

#[test]
fn markdown_fits_in_a_pull_request_comment() {
    // 3000 failing addresses with long names: far more than a comment can hold.
    let template = records()
        .into_iter()
        .find(|r| r.target.ip.to_string() == "203.0.113.8")
        .unwrap();
    let many: Vec<_> = (0..3000u32)
        .map(|i| {
            let mut r = template.clone();
            r.target.ip = std::net::IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            r
        })
        .collect();
    let (text, _, _) = render_with(
        Format::Markdown,
        &SinkOptions::default(),
        gate_options(),
        &many,
    );
    assert!(text.len() < 65_536, "{} bytes", text.len());
    assert!(text.contains("<details><summary>All 3000 failing addresses</summary>"));
    assert!(text.contains(" more: see the json or csv report."));
}

#[test]
fn baseline_and_suppression_figures_reach_every_summary_format() {
    use ptr_audit_report::{Baseline, Suppressions, read_report_str};
    let json = render(Format::Json);
    let baseline =
        Baseline::from_doc(&read_report_str(&json, std::path::Path::new("b.json")).unwrap());
    let suppressions = Suppressions::parse(
        "- ip: 203.0.113.5\n  code: ptr-generic\n  reason: accepted\n- ip: 203.0.113.6\n  code: ptr-invalid\n  reason: old\n  expires: 2020-01-01\n",
        std::path::Path::new("sup.yaml"),
    )
    .unwrap();
    let gate = ptr_audit_report::GateOptions {
        baseline: Some(baseline),
        suppressions: Some(suppressions),
        ..gate_options()
    };
    let text = |f| render_with(f, &SinkOptions::default(), gate.clone(), &records()).0;
    assert!(text(Format::Table).contains("baseline b.json: 0 new, 0 fixed, 13 unchanged"));
    assert!(text(Format::Table).contains("suppressed: 1 finding"));
    assert!(text(Format::Table).contains(
        "expired suppression sup.yaml:4: `ptr-invalid` for 203.0.113.6 expired on 2020-01-01"
    ));
    assert!(text(Format::Markdown).contains("Against the baseline: 0 new, 0 fixed, 13 unchanged."));
    assert!(text(Format::Github).contains(
        "::notice title=ptr-audit baseline::0 new, 0 fixed, 13 unchanged since the baseline"
    ));
    assert!(
        text(Format::Github).contains("::warning file=sup.yaml,line=4,title=expired suppression::")
    );
    let sarif: serde_json::Value = serde_json::from_str(&text(Format::Sarif)).unwrap();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["properties"]["baseline"]["unchanged"],
        13
    );
    let json: serde_json::Value = serde_json::from_str(&text(Format::Json)).unwrap();
    assert_eq!(json["gate"]["baseline"]["unchanged"], 13);
    assert_eq!(json["gate"]["suppressed"], 1);
    assert_eq!(json["gate"]["expired_suppressions"][0]["line"], 4);
    // Everything is in the baseline: nothing new fails the run, only the unknown share.
    assert_eq!(json["gate"]["failing"], 0);

    // Per address, the human formats mark what the gate accepted ...
    let table = text(Format::Table);
    assert!(
        table.contains("(the name is the provider's default [suppressed: accepted]"),
        "{table}"
    );
    assert!(
        table.contains("no PTR (NXDOMAIN) [in baseline]; refused by postfix-strict"),
        "{table}"
    );
    // ... SARIF says so in its own terms ...
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r5 = results
        .iter()
        .find(|r| r["properties"]["ip"] == "203.0.113.5")
        .unwrap();
    assert_eq!(r5["suppressions"][0]["justification"], "accepted");
    let r11 = results
        .iter()
        .find(|r| r["properties"]["ip"] == "192.0.2.11")
        .unwrap();
    assert_eq!(r11["baselineState"], "unchanged");
    assert!(r11.get("suppressions").is_none());
    // ... JUnit fails only blocks the gate would fail on (unknown PTRs included) ...
    let junit = text(Format::Junit);
    let case = |name: &str| {
        let start = junit.find(&format!("name=\"{name}\" time=")).unwrap();
        junit[start..]
            .split("</testcase>")
            .next()
            .unwrap()
            .to_owned()
    };
    // (a passing block's findings go to its suite's system-out: the
    // schema allows only failure, error or skipped in a test case)
    assert!(
        case("192.0.2.0/26 (mail)").starts_with("name=\"192.0.2.0/26 (mail)\" time=\"0\"/>"),
        "{junit}"
    );
    let suite_out = junit.split("<system-out>").nth(1).unwrap();
    assert!(
        suite_out.starts_with("192.0.2.0/26 (mail) at inventories/example/inventory.yaml:30:\n"),
        "{junit}"
    );
    assert!(
        case("203.0.113.0/26 (mail)").contains("<failure"),
        "{junit}"
    );
    // ... and GitHub turns accepted addresses into notices.
    let gh = text(Format::Github);
    assert!(gh.contains("::notice file=inventories/example/inventory.yaml,line=30,title=ptr-audit ptr-missing 192.0.2.0/26 (accepted)::"), "{gh}");
    assert!(
        !gh.contains("::error file=inventories/example/inventory.yaml,line=30,"),
        "{gh}"
    );
}

#[test]
fn change_only_scans_say_so_in_every_summary_format() {
    use ptr_audit_report::{GateOptions, Report, sink};
    let mut meta = crate::fixture::meta();
    meta.changed_since = Some("git:origin/main".into());
    let mut outs = Vec::new();
    let mut report = Report::new(GateOptions {
        max_unknown_percent: 100.0,
        ..gate_options()
    });
    for f in Format::ALL {
        let buf = crate::fixture::SharedBuf::default();
        report.add_sink(sink(f, Box::new(buf.clone()), &meta, &SinkOptions::default()).unwrap());
        outs.push((f, buf));
    }
    for r in records() {
        report.record(&r).unwrap();
    }
    report.finish("2026-11-28T19:41:00Z", true, &[]).unwrap();
    for (f, buf) in outs {
        let text = buf.text();
        let said = match f {
            Format::Table => text.contains("change-only scan since git:origin/main"),
            Format::Markdown => {
                text.contains("Change-only scan") && text.contains("git&#58;origin/main")
            }
            Format::Github => text.contains("(change-only scan since git:origin/main)"),
            Format::Sarif => text.contains("\"changedSince\":\"git:origin/main\""),
            Format::Json | Format::Html => text.contains("\"changed_since\":\"git:origin/main\""),
            // Per-record formats carry no run metadata.
            Format::Jsonl | Format::Csv | Format::Junit => true,
        };
        assert!(said, "{f} does not say it is a change-only scan:\n{text}");
    }
}
