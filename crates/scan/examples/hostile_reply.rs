//! The CPU cost of reading one hostile reply, next to a normal one: a 65,535-
//! byte message whose answer section is a chain of 16,000 compression pointers
//! (each pointing at the one before) followed by as many PTR records as fit,
//! each owned by the end of the chain. Run a release build:
//!
//! ```text
//! cargo run --release -p ptr-audit-scan --example hostile_reply
//! ```
//!
//! It prints the time per read of each message, from [`read_reply`], which
//! runs the scanner's own checks and walk.

use std::time::Instant;

use ptr_audit_scan::read_reply;

/// `1.2.0.192.in-addr.arpa.` in wire form.
const QNAME: &[u8] = b"\x011\x012\x010\x03192\x07in-addr\x04arpa\x00";
const TYPE_PTR: u16 = 12;

fn header(id: u16, ancount: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x85, 0x80]); // response, AA, RD, RA
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&ancount.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(QNAME);
    m.extend_from_slice(&TYPE_PTR.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m
}

/// One record: owner, type, class IN, TTL 300, RDATA.
fn record(m: &mut Vec<u8>, owner: &[u8], rtype: u16, rdata: &[u8]) {
    m.extend_from_slice(owner);
    m.extend_from_slice(&rtype.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 1, 44]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
}

fn pointer(to: usize) -> [u8; 2] {
    (0xc000 | to as u16).to_be_bytes()
}

/// A normal reply: one PTR.
fn normal() -> Vec<u8> {
    let mut m = header(1, 1);
    record(&mut m, &pointer(12), TYPE_PTR, b"\x04mail\x07example\x00");
    m
}

/// The hostile reply: a NULL record whose RDATA holds 16,000 pointers, each
/// to the one before (the first to the question's name), then PTR records
/// owned by the last pointer of the chain and pointing at it, up to 65,535
/// bytes.
fn hostile() -> Vec<u8> {
    const CHAIN: usize = 16_000;
    let mut m = header(2, 0);
    let rdata_at = m.len() + 2 + 10;
    let mut chain = Vec::with_capacity(CHAIN * 2);
    for i in 0..CHAIN {
        let to = if i == 0 { 12 } else { rdata_at + 2 * (i - 1) };
        chain.extend_from_slice(&pointer(to));
    }
    record(&mut m, &pointer(12), 10, &chain);
    let end = pointer(rdata_at + 2 * (CHAIN - 1));
    let mut count = 1u16;
    while m.len() + 14 <= 65_535 {
        record(&mut m, &end, TYPE_PTR, &end);
        count += 1;
    }
    m[6..8].copy_from_slice(&count.to_be_bytes());
    m
}

/// Seconds per read of `msg`, over enough reads to take about half a second.
fn time_per_read(msg: &[u8]) -> f64 {
    let mut reads = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..reads {
            std::hint::black_box(read_reply(std::hint::black_box(msg)).ok());
        }
        let took = start.elapsed().as_secs_f64();
        if took > 0.5 || reads >= 1 << 24 {
            return took / f64::from(reads);
        }
        reads *= 2;
    }
}

fn main() {
    let normal = normal();
    let hostile = hostile();
    println!(
        "normal reply:  {} bytes -> {:?}",
        normal.len(),
        read_reply(&normal).map(|r| r.names)
    );
    println!(
        "hostile reply: {} bytes -> {:?}",
        hostile.len(),
        read_reply(&hostile).map(|r| r.names.len())
    );
    let n = time_per_read(&normal);
    let h = time_per_read(&hostile);
    println!("normal:  {:>12.3} µs per read", n * 1e6);
    println!(
        "hostile: {:>12.3} µs per read ({:.0}× normal)",
        h * 1e6,
        h / n
    );
    println!("256 hostile replies: {:.3} s of CPU", h * 256.0);
}
