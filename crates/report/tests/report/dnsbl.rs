//! Blocklist answers in every format: the listing's list and meaning reach
//! each one, escaped for its syntax; the records keep every answer and read
//! back unchanged.

use std::path::Path;

use ptr_audit_model::FindingCode;
use ptr_audit_report::{Format, read_report_str};

use crate::fixture::{blocks, listed, render_records};

fn record() -> ptr_audit_model::AddressRecord {
    let name = ptr_audit_model::DnsName::from_presentation("mail.customer-a.example.com.");
    listed(&blocks().mail, "203.0.113.9", &name)
}

#[test]
fn blocklist_listings_reach_every_format() {
    let rec = record();
    let codes: Vec<&str> = rec.findings.iter().map(|f| f.code.as_str()).collect();
    // SBL+PBL and the generic list are listings (errors on a mail block);
    // the error code and the dead list are unknown; the clean one says nothing
    assert_eq!(
        codes,
        vec![
            "dnsbl-listed",
            "dnsbl-listed",
            "lookup-failed",
            "lookup-failed"
        ]
    );
    assert_eq!(rec.status.as_str(), "dnsbl-listed");
    for format in Format::ALL {
        let text = render_records(format, [rec.clone()]);
        assert!(text.contains("dnsbl-listed"), "{format:?}:\n{text}");
        if format != Format::Html {
            // the page embeds records as data and shows them with its script
            assert!(text.contains("zen.dq.spamhaus.net"), "{format:?}:\n{text}");
        }
        // the hostile list name never reaches an output raw
        match format {
            Format::Json | Format::Jsonl | Format::Sarif => {}
            Format::Csv => assert!(!text.contains(",=cmd"), "{text}"),
            _ => assert!(!text.contains("<b>"), "{format:?}:\n{text}"),
        }
    }
}

#[test]
fn blocklist_answers_read_back_unchanged() {
    let rec = record();
    for format in [Format::Json, Format::Jsonl] {
        let text = render_records(format, [rec.clone()]);
        let path = if format == Format::Json {
            "r.json"
        } else {
            "r.jsonl"
        };
        let doc = read_report_str(&text, Path::new(path)).unwrap();
        assert_eq!(doc.records.len(), 1);
        assert_eq!(doc.records[0].lookup.dnsbl, rec.lookup.dnsbl, "{format:?}");
        assert_eq!(doc.records[0].findings, rec.findings, "{format:?}");
        assert!(
            doc.records[0]
                .findings
                .iter()
                .any(|f| f.code == FindingCode::DnsblListed)
        );
    }
    let line = render_records(Format::Jsonl, [rec]);
    assert!(
        line.contains(r#""dnsbl":[{"list":"{key}.zen.dq.spamhaus.net","kind":"spamhaus-zen","result":"answer","codes":["127.0.0.2","127.0.0.10"],"failure":null},"#),
        "{line}"
    );
    assert!(line.contains(r#"{"list":"dead.example","kind":"generic","result":"failed","codes":[],"failure":"timeout"}"#));
    assert!(line.contains(r#"{"list":"clean.example","kind":"generic","result":"not-listed","codes":[],"failure":null}]"#));
}
