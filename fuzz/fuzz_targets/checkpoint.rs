//! Any bytes as a checkpoint read back by `scan --resume` (a file streamed by
//! `read_report_with`, after the checkpoint is cut back to its last newline):
//! the file reader and the in-memory reader (`read_report_str`) agree, and a
//! torn last line read from the file is what cutting the checkpoint drops.
#![no_main]

use std::path::PathBuf;

use ptr_audit_model::AddressRecord;
use ptr_audit_report::{ReportDoc, ReportError, read_report_str, read_report_with};

/// The checkpoint file of this process (one input at a time).
fn path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "ptr-audit-fuzz-checkpoint-{}.jsonl",
        std::process::id()
    ))
}

fn read_file(bytes: &[u8]) -> Result<(ReportDoc, Vec<AddressRecord>), ReportError> {
    let path = path();
    std::fs::write(&path, bytes).expect("write the checkpoint");
    let mut records = Vec::new();
    let doc = read_report_with(&path, &mut |r| {
        records.push(r);
        Ok(())
    });
    doc.map(|d| (d, records))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let from_file = read_file(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let in_memory = read_report_str(text, &path());
        match (&from_file, &in_memory) {
            (Ok((f, records)), Ok(m)) => {
                assert_eq!(records, &m.records, "records");
                assert_eq!(f.torn_tail, m.torn_tail, "torn tail");
                assert_eq!(f.kind, m.kind, "kind");
            }
            (Err(_), Err(_)) => {}
            (f, m) => panic!(
                "file and memory readers disagree: {:?} vs {:?}",
                f.as_ref().map(|(_, r)| r.len()),
                m.as_ref().map(|d| d.records.len())
            ),
        }
    }
    if let Ok((doc, records)) = &from_file
        && doc.torn_tail
    {
        let cut = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let (again, kept) = read_file(&data[..cut]).expect("the cut checkpoint reads");
        assert!(!again.torn_tail, "nothing torn after the cut");
        assert_eq!(&kept, records, "the cut drops only the torn line");
    }
});
