//! The `html` page without a browser: what it embeds, what it escapes, what
//! it caps, and `render` of a saved report. (The page's script is checked in
//! a real browser in `browser.rs`.)

use std::net::{IpAddr, Ipv4Addr};

use ptr_audit_model::{DnsName, FindingCode};
use ptr_audit_report::{Format, render_html};
use serde_json::Value;

use crate::fixture::{SharedBuf, render, render_records, synthetic_block, synthetic_record};

/// The page's data element, parsed.
pub fn page_data(page: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"ptr-audit-data\">";
    let start = page.find(open).expect("data element") + open.len();
    let len = page[start..].find("</script>").expect("end of data");
    serde_json::from_str(&page[start..start + len]).expect("data is JSON")
}

/// The page with its data element's content removed: the markup, style and
/// script ptr-audit wrote itself.
fn outside_data(page: &str) -> String {
    let open = "<script type=\"application/json\" id=\"ptr-audit-data\">";
    let start = page.find(open).unwrap() + open.len();
    let len = page[start..].find("</script>").unwrap();
    format!("{}{}", &page[..start], &page[start + len..])
}

#[test]
fn html_page_loads_nothing_from_the_network() {
    let page = render(Format::Html);
    assert!(
        page.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        )
    );
    let own = outside_data(&page);
    // The SVG namespace is a name, not a load.
    let own = own.replace("http://www.w3.org/2000/svg", "");
    for needle in [
        "://", " src=", "<link", "<img", "<iframe", "@import", "url(",
    ] {
        assert!(
            !own.contains(needle),
            "the page's own markup has `{needle}`"
        );
    }
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the data and the page's script"
    );
    assert_eq!(page.matches("</script").count(), 2);
}

#[test]
fn html_data_keeps_hostile_names_as_text() {
    let page = render(Format::Html);
    // Nothing from DNS or the inventory can open or close an element.
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("<b>"));
    let data = page_data(&page);
    let detail = data["detail"].as_array().unwrap();
    let ptr_of = |ip: &str| {
        detail
            .iter()
            .find(|d| d[0] == ip)
            .map(|d| d[2].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{ip} not in detail"))
    };
    // The control-character name keeps its markup as text (the model already
    // wrote its ESC byte as `\027`).
    assert!(ptr_of("203.0.113.6").contains("<script>alert(1)</script>"));
    assert!(ptr_of("203.0.113.7").starts_with("=HYPERLINK("));
    let dcs: Vec<&str> = data["datacenters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(dcs.contains(&"lon<b>|1,\"x\""));
}

#[test]
fn html_data_snapshot() {
    let data = page_data(&render(Format::Html));
    insta::assert_snapshot!("html_data", serde_json::to_string_pretty(&data).unwrap());
}

fn v4(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(n))
}

fn name(i: u32) -> DnsName {
    DnsName::from_presentation(&format!("host{i}.example."))
}

#[test]
fn html_map_has_a_status_per_address_up_to_a_slash_16() {
    let block = synthetic_block("dc1", "10.1.2.0/24", None);
    let base = u32::from(Ipv4Addr::new(10, 1, 2, 0));
    // Every third address is missing its PTR; .255 has no record.
    let page = render_records(
        Format::Html,
        (0..255).map(|i| {
            let code = (i % 3 == 0).then_some(FindingCode::PtrMissing);
            synthetic_record(&block, v4(base + i), name(i), code)
        }),
    );
    let data = page_data(&page);
    let map = &data["blocks"][0]["map"];
    assert_eq!(map["kind"], "addresses");
    let st = map["st"].as_str().unwrap();
    assert_eq!(st.len(), 256);
    assert_eq!(&st[..4], "2002"); // ptr-missing=2 for .0 and .3, ok=0
    assert_eq!(st.as_bytes()[255], b'-');
    assert_eq!(data["detail"].as_array().unwrap().len(), 85);
    assert_eq!(data["ok_names"].as_array().unwrap().len(), 170);
}

#[test]
fn html_map_counts_per_slash_24_above_a_slash_16() {
    let block = synthetic_block("dc1", "10.16.0.0/12", None);
    let base = u32::from(Ipv4Addr::new(10, 16, 0, 0));
    // Two addresses in every /24: one fine, one generic in every 8th /24.
    let page = render_records(
        Format::Html,
        (0..4096u32).flat_map(|k| {
            let b = block.clone();
            [0, 1].into_iter().map(move |j| {
                let code = (j == 1 && k % 8 == 0).then_some(FindingCode::PtrGeneric);
                synthetic_record(&b, v4(base + (k << 8) + j), name(k), code)
            })
        }),
    );
    let data = page_data(&page);
    let map = &data["blocks"][0]["map"];
    assert_eq!(map["kind"], "prefixes");
    assert_eq!(map["unit"], 24);
    let cells = map["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4096);
    // ok=1, then ptr-generic (index 5) = 1 in /24 number 0, ok=2 in number 1.
    assert_eq!(cells[0], serde_json::json!([1, 0, 0, 0, 0, 1]));
    assert_eq!(cells[1], serde_json::json!([2]));
}

#[test]
fn html_detail_is_capped_worst_first_and_says_so() {
    let block = synthetic_block("dc1", "10.2.0.0/16", None);
    let base = u32::from(Ipv4Addr::new(10, 2, 0, 0));
    let page = render_records(
        Format::Html,
        (0..65_536u32).map(|i| {
            let code = if i % 2 == 0 {
                FindingCode::PtrMissing
            } else {
                FindingCode::PtrMultiple
            };
            synthetic_record(&block, v4(base + i), name(i), Some(code))
        }),
    );
    let data = page_data(&page);
    let detail = data["detail"].as_array().unwrap();
    assert_eq!(detail.len(), 20_000);
    assert_eq!(data["detail_cap"]["dropped"], 65_536 - 20_000);
    // Same severity: the earlier status (ptr-missing, index 2) first.
    assert!(detail.iter().all(|d| d[1] == 2));
    // Every address is still drawn.
    let st = data["blocks"][0]["map"]["st"].as_str().unwrap();
    assert_eq!(st.len(), 65_536);
    assert!(!st.contains('-'));
}

#[test]
fn render_shows_an_interrupted_reports_recorded_gate() {
    use ptr_audit_report::{Report, sink};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.json");
    let json = SharedBuf::default();
    let mut report = Report::new(crate::fixture::gate_options());
    report.add_sink(
        sink(
            Format::Json,
            Box::new(json.clone()),
            &crate::fixture::meta(),
            &Default::default(),
        )
        .unwrap(),
    );
    for r in crate::fixture::records() {
        report.record(&r).unwrap();
    }
    let (_, gate) = report
        .finish(
            "2026-11-28T19:41:00Z",
            false,
            &crate::fixture::block_findings(),
        )
        .unwrap();
    assert!(gate.failed);
    std::fs::write(&path, json.text()).unwrap();

    let page = SharedBuf::default();
    let rendered = render_html(&path, Box::new(page.clone())).unwrap();
    assert_eq!(rendered.doc.complete, Some(false));
    let data = page_data(&page.text());
    assert_eq!(data["meta"]["complete"], false);
    assert_eq!(data["gate"]["failed"], true);
    let reasons: Vec<String> = gate.reasons.clone();
    assert_eq!(data["gate"]["reasons"], serde_json::json!(reasons));
    assert_eq!(data["block_findings"].as_array().unwrap().len(), 1);
    // The same counts as the page the run itself would have written.
    let direct = page_data(&render(Format::Html));
    assert_eq!(data["blocks"], direct["blocks"]);
}

#[test]
fn render_of_jsonl_says_what_it_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.jsonl");
    std::fs::write(&path, render(Format::Jsonl)).unwrap();
    let page = SharedBuf::default();
    render_html(&path, Box::new(page.clone())).unwrap();
    let data = page_data(&page.text());
    assert_eq!(data["gate"], Value::Null);
    assert_eq!(data["meta"]["complete"], Value::Null);
    assert_eq!(data["total"][0], 1);
}
