//! Any bytes as one record line of a `json` shard, read by `merge`'s lean
//! reader (`crates/report/src/lean.rs`) and by the full record reader: no
//! panic, and where both accept the line they read the same block, expected
//! name, first PTR name, status and findings.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ptr_audit_report::fuzzing::record_line(data));
