//! The entry point of the `report_lean` fuzz target in `fuzz/` (feature
//! `fuzzing`): one record line read by `merge`'s lean reader (and its
//! `record_ip`, which orders the lines) and by the full record reader, which
//! must agree wherever both accept it.

use crate::read::{BlockMap, parse_record_line};
use crate::record::lean;
use crate::record::ptr_names;

/// Reads `line` with both readers and panics when both accept it but read a
/// different address, block, expected name, first PTR name, status or
/// findings (what `merge` orders by and counts from the lean reading is then
/// what the full reading says).
pub fn record_line(line: &[u8]) {
    let mut findings = Vec::new();
    let ip = lean::record_ip(line);
    let lean = lean::read_record(line, &mut findings);
    let full = parse_record_line(line, &mut BlockMap::new());
    let (Ok(lean), Ok(full)) = (lean, full) else {
        return;
    };
    if let Ok(ip) = ip {
        assert_eq!(ip, full.target.ip, "address");
    }
    let block = &full.target.block;
    assert_eq!(lean.datacenter, &*block.datacenter, "datacenter");
    assert_eq!(
        lean.block.parse::<ipnet::IpNet>().ok(),
        Some(block.cidr),
        "block"
    );
    assert_eq!(
        lean.expected.as_deref(),
        full.target.expected_ptr.as_deref(),
        "expected"
    );
    assert_eq!(
        lean.first_ptr.as_deref(),
        ptr_names(&full.lookup.answer).first().map(|n| n.as_str()),
        "first ptr name"
    );
    assert_eq!(lean.status, Some(full.status), "status");
    let want: Vec<_> = full.findings.iter().map(|f| (f.code, f.severity)).collect();
    assert_eq!(findings, want, "findings");
}

/// Inputs the `report_lean` target found, kept as regression tests.
#[cfg(test)]
mod tests {
    use super::record_line;

    /// A PTR name without its trailing dot (a hand-edited shard): the lean
    /// reader gave it as written, the full reader with the dot, so `merge`'s
    /// placeholder tally and the fallback path saw different names.
    #[test]
    fn a_ptr_name_without_its_trailing_dot_reads_the_same_in_both_readers() {
        record_line(
            br#"{"ip":"192.0.2.1","datacenter":"fra1","block":"192.0.2.0/27","policy":"mail","source":{"file":"inventory.yaml","line":24},"expected":null,"ptr":["mx1.customer-b.example.`","b.example"],"cname_chain":[],"rcode":"NOERROR","result":"answer","failure":null,"dead_end":null,"attempts":1,"forward":{},"status":"ok","findings":[]}"#,
        );
    }
}
