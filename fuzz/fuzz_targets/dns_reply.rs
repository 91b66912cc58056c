//! Any bytes as a DNS reply, read by the scanner's walker (`crates/scan/src/packet.rs`)
//! and, where it accepts them, compared with hickory-proto's reading.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ptr_audit_scan::fuzzing::reply(data));
