//! Any text as a report read back (`crates/report/src/read.rs`, as `merge`,
//! `--baseline` and `fix` read one). A report that reads is written again in
//! every format (hostile text in it must not make a writer fail), and its
//! `json` rendering reads back to the same records.
#![no_main]

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use ptr_audit_model::AddressRecord;
use ptr_audit_report::{
    Format, GateOptions, Report, ReportMeta, SinkOptions, read_report_str, sink,
};

/// A writer whose bytes stay readable after the sink that owns it is gone.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What survives a round trip whatever the document listed about blocks.
fn essence(r: &AddressRecord) -> impl PartialEq + std::fmt::Debug + Ord + '_ {
    (
        r.target.ip,
        r.target.block.cidr,
        &r.target.expected_ptr,
        format!("{:?}", r.lookup),
        format!("{:?}", r.findings),
        r.status,
    )
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = read_report_str(text, Path::new("report.json")) else {
        return;
    };
    let meta = doc
        .meta
        .clone()
        .unwrap_or_else(|| ReportMeta::new("0.0.0", "2026-01-01T00:00:00Z"));
    let mut json = Shared::default();
    let mut report = Report::new(GateOptions::default());
    for format in Format::ALL {
        let out = if format == Format::Json {
            json.clone()
        } else {
            Shared::default()
        };
        let s = sink(format, Box::new(out), &meta, &SinkOptions::default()).expect("sink opens");
        report.add_sink(s);
    }
    for b in &doc.blocks {
        report.add_block(b);
    }
    for r in &doc.records {
        report.record(r).expect("a record read back is written");
    }
    report
        .finish("2026-01-01T00:00:01Z", true, &doc.block_findings)
        .expect("the report is finished");
    json.flush().unwrap();
    let written = String::from_utf8(json.0.lock().unwrap().clone()).expect("json is UTF-8");
    let again = read_report_str(&written, Path::new("again.json"))
        .unwrap_or_else(|e| panic!("the json written reads back: {e}\n{written}"));
    let mut want: Vec<_> = doc.records.iter().map(essence).collect();
    let mut got: Vec<_> = again.records.iter().map(essence).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "records read back");
});
