//! Reports read back give the records that were written.

use std::path::Path;

use ptr_audit_model::AddressRecord;
use ptr_audit_report::{DocKind, Format, ReportError, read_report, read_report_str};

use crate::fixture::{block_findings, meta, records, render};

fn sorted(mut recs: Vec<AddressRecord>) -> Vec<AddressRecord> {
    recs.sort_by_key(|r| r.target.ip);
    recs
}

#[test]
fn json_round_trip_gives_the_same_records_and_metadata() {
    let text = render(Format::Json);
    let doc = read_report_str(&text, Path::new("r.json")).unwrap();
    assert_eq!(doc.kind, DocKind::Json);
    assert_eq!(doc.records, sorted(records()));
    assert_eq!(doc.block_findings, block_findings());
    assert_eq!(doc.meta, Some(meta()));
    assert_eq!(doc.complete, Some(true));
    assert_eq!(doc.finished_at.as_deref(), Some("2026-11-28T19:41:00Z"));
}

#[test]
fn jsonl_round_trip_keeps_records_but_not_block_templates() {
    let text = render(Format::Jsonl);
    let doc = read_report_str(&text, Path::new("r.jsonl")).unwrap();
    assert_eq!(doc.kind, DocKind::Jsonl);
    assert!(!doc.torn_tail);
    assert_eq!(doc.records.len(), records().len());
    for (got, want) in doc.records.iter().zip(records()) {
        assert_eq!(got.target.ip, want.target.ip);
        assert_eq!(got.target.expected_ptr, want.target.expected_ptr);
        assert_eq!(got.lookup, want.lookup);
        assert_eq!(got.findings, want.findings);
        assert_eq!(got.status, want.status);
        assert_eq!(got.target.block.cidr, want.target.block.cidr);
        assert_eq!(got.target.block.source, want.target.block.source);
        assert_eq!(got.target.block.expect_ptr, None);
    }
}

#[test]
fn torn_last_jsonl_line_is_ignored_but_a_torn_middle_line_is_an_error() {
    let text = render(Format::Jsonl);
    let cut = &text[..text.len() - 40];
    let doc = read_report_str(cut, Path::new("ck.jsonl")).unwrap();
    assert!(doc.torn_tail);
    assert_eq!(doc.records.len(), records().len() - 1);

    let mut lines: Vec<&str> = text.lines().collect();
    let half = &lines[3][..20];
    lines[3] = half;
    let broken = lines.join("\n") + "\n";
    let err = read_report_str(&broken, Path::new("ck.jsonl")).unwrap_err();
    assert!(matches!(err, ReportError::Parse { line: 4, .. }), "{err}");
    assert!(err.to_string().starts_with("`ck.jsonl` line 4: "), "{err}");
}

#[test]
fn read_report_reads_files_and_names_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, render(Format::Json)).unwrap();
    assert_eq!(read_report(&path).unwrap().records.len(), 12);
    let err = read_report(&dir.path().join("nope.json")).unwrap_err();
    assert!(matches!(err, ReportError::Read { .. }));
    assert!(err.to_string().contains("nope.json"), "{err}");
}

#[test]
fn other_json_is_refused_with_a_message() {
    let err = read_report_str("{\"format\": \"something-else\"}", Path::new("x.json")).unwrap_err();
    assert!(err.to_string().contains("not a ptr-audit"), "{err}");
    let sarif = render(Format::Sarif);
    assert!(read_report_str(&sarif, Path::new("x.sarif")).is_err());
}

#[test]
fn empty_jsonl_is_an_empty_report() {
    let doc = read_report_str("", Path::new("empty.jsonl")).unwrap();
    assert!(doc.records.is_empty());
}

#[test]
fn fields_added_by_later_versions_are_ignored() {
    let text = render(Format::Jsonl).replacen("{\"ip\"", "{\"future\":[1,2],\"ip\"", 1);
    let doc = read_report_str(&text, Path::new("r.jsonl")).unwrap();
    assert_eq!(doc.records.len(), records().len());
    let json = render(Format::Json).replacen(
        "\"format_version\": 3,",
        "\"format_version\": 3,\n  \"later\": {},",
        1,
    );
    let doc = read_report_str(&json, Path::new("r.json")).unwrap();
    assert_eq!(doc.records.len(), records().len());
    // A different format version is refused with a message.
    for other in ["1", "4"] {
        let text = render(Format::Json).replacen(
            "\"format_version\": 3,",
            &format!("\"format_version\": {other},"),
            1,
        );
        let err = read_report_str(&text, Path::new("r.json")).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("version {other} is not supported")),
            "{err}"
        );
    }
}

#[test]
fn streaming_read_gives_records_with_their_full_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, render(Format::Json)).unwrap();
    let mut seen = Vec::new();
    let doc = ptr_audit_report::read_report_with(&path, &mut |r| {
        seen.push(r);
        Ok(())
    })
    .unwrap();
    assert!(doc.records.is_empty());
    assert_eq!(doc.meta, Some(meta()));
    // Blocks precede records, so a streamed record has its block's template.
    assert_eq!(seen, sorted(records()));

    // The callback can stop the read; its message comes back with the file.
    let err = ptr_audit_report::read_report_with(&path, &mut |_| Err("enough".into())).unwrap_err();
    assert!(err.to_string().contains("enough"), "{err}");
    assert!(err.to_string().contains("report.json"), "{err}");

    // jsonl from a file, torn tail included.
    let path = dir.path().join("ck.jsonl");
    let text = render(Format::Jsonl);
    std::fs::write(&path, &text[..text.len() - 10]).unwrap();
    let mut n = 0;
    let doc = ptr_audit_report::read_report_with(&path, &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert!(doc.torn_tail);
    assert_eq!(n, records().len() - 1);
}

#[test]
fn version_2_documents_are_read_as_scans_without_blocklists() {
    // what a version 2 writer wrote: no `dnsbl` in records, no `expect_pbl` in blocks
    let v3 = render(Format::Json);
    let v2 = v3
        .replacen("\"format_version\": 3,", "\"format_version\": 2,", 1)
        .lines()
        .map(|l| match l.find(",\"dnsbl\":[") {
            Some(at) if l.trim_start().starts_with("{\"ip\"") => {
                let end = if l.ends_with("},") { "}," } else { "}" };
                format!("{}{end}", &l[..at])
            }
            _ => l
                .replace(",\"expect_pbl\":false", "")
                .replace(",\"dnsbl\":[],\"dnsbl_resolvers\":[]", ""),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!v2.contains("\"dnsbl\""));
    let doc = read_report_str(&v2, Path::new("v2.json")).unwrap();
    assert_eq!(doc.records.len(), records().len());
    assert!(doc.records.iter().all(|r| r.lookup.dnsbl.is_empty()));
}
