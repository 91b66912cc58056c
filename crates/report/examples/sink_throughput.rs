//! Measures the report sinks on a synthetic scan: records per second and peak
//! memory (VmHWM) for each format, writing to a temporary file; `json` and
//! `jsonl` are also read back with the streaming reader.
//!
//! `cargo run --release -p ptr-audit-report --example sink_throughput -- [PREFIX_LEN] [FORMAT...]`
//! (default: a /16, every format).

use std::io::BufWriter;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ptr_audit_model::{
    AddressRecord, BlockInfo, DnsName, Finding, FindingCode, ForwardAnswer, Iprev, Lookup, Policy,
    PtrAnswer, Rcode, Receivers, Severity, SeverityOverrides, SourceLocation, Status, Target,
};
use ptr_audit_report::{Format, GateOptions, Report, ReportMeta, SinkOptions, sink};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let prefix: u8 = args
        .next()
        .map_or(16, |a| a.parse().expect("prefix length"));
    let formats: Vec<Format> = args.map(|a| a.parse().expect("format")).collect();
    let formats = if formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        formats
    };
    let count: u32 = 1 << (32 - prefix);
    let block = Arc::new(BlockInfo {
        datacenter: Arc::from("fra1"),
        cidr: format!("10.0.0.0/{prefix}").parse().unwrap(),
        policy: Policy::Mail,
        expect_ptr: Some("mail{d}.fra1.examplehost.net".into()),
        expect_pbl: false,
        migrated_from: None,
        severities: SeverityOverrides::default(),
        source: SourceLocation {
            file: PathBuf::from("inventory.yaml"),
            line: 12,
        },
    });
    let record = |i: u32| {
        // A scrambled order, as the scanner visits addresses.
        let n = i.wrapping_mul(2_654_435_761) % count;
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
        let name = DnsName::from_presentation(&format!("static.{n}.clients.examplehost.net."));
        let findings = if n.is_multiple_of(3) {
            vec![]
        } else {
            vec![
                Finding::new(
                    FindingCode::PtrGeneric,
                    Severity::Error,
                    "the name is the provider's default",
                )
                .with_list("kinds", vec!["provider-default".into()]),
            ]
        };
        AddressRecord {
            status: Status::of(&findings),
            target: Target {
                ip,
                block: block.clone(),
                expected_ptr: Some(format!("mail{n}.fra1.examplehost.net")),
            },
            lookup: Lookup {
                rcode: Some(Rcode::NoError),
                answer: PtrAnswer::Names(vec![name.clone()]),
                cname_chain: vec![],
                dnsbl: Vec::new(),
                attempts: 1,
                forward: vec![(name, ForwardAnswer::Addresses(vec![ip]))],
            },
            findings,
            receivers: Receivers::default(),
            iprev: Iprev::Pass,
        }
    };
    let dir = tempfile::tempdir().unwrap();
    println!("{count} records per format");
    for format in formats {
        let path = dir.path().join(format!("out.{format}"));
        let file = std::fs::File::create(&path).unwrap();
        let meta = ReportMeta::new("bench", "2026-01-01T00:00:00Z");
        let mut report = Report::new(GateOptions::default());
        report.add_sink(
            sink(
                format,
                Box::new(BufWriter::new(file)),
                &meta,
                &SinkOptions::default(),
            )
            .unwrap(),
        );
        let start = Instant::now();
        for i in 0..count {
            report.record(&record(i)).unwrap();
        }
        report.finish("2026-01-01T00:01:00Z", true, &[]).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "{format:>8}: {:>9.0} records/s, {:>6.1} MiB written, peak RSS so far {} MiB",
            f64::from(count) / secs,
            size as f64 / (1 << 20) as f64,
            peak_rss_kib() / 1024
        );
        if matches!(format, Format::Json | Format::Jsonl) {
            let start = Instant::now();
            let mut n = 0u64;
            ptr_audit_report::read_report_with(&path, &mut |_| {
                n += 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(n, u64::from(count));
            println!(
                "{:>8}  read back (streamed): {:>9.0} records/s, peak RSS so far {} MiB",
                "",
                n as f64 / start.elapsed().as_secs_f64(),
                peak_rss_kib() / 1024
            );
        }
    }
}
