//! Throughput of `Classifier::judge` on one core: `cargo bench -p ptr-audit-classify`.
//!
//! Judges a mix of generic, custom and invalid names (IPv4 and IPv6) built from
//! many addresses, and prints names per second of wall time and, on Linux, per
//! second of this thread's CPU time (the figure that does not depend on how
//! busy the machine is). Then the per-address step of a scan over a /16, two
//! ways in the same run: `AuditRun::audit` (the block tally fed from the
//! audit's judgement) against `Classifier::audit` followed by
//! `BlockTally::observe` (the tally judging the first name again), with the
//! ratio.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use ptr_audit_classify::{AuditRun, BlockTally, Classifier, Servers};
use ptr_audit_model::{DnsName, ForwardAnswer, Lookup, Provider, PtrAnswer, Target};

/// This thread's CPU time in nanoseconds, from `/proc/thread-self/schedstat`.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let provider = Provider {
        name: "Example Hosting".into(),
        domains: vec!["examplehost.net".into()],
        default_ptr: vec![
            "{ip-dashed}-host.examplehost.net".into(),
            "static.{ip-reversed}.clients.examplehost.net".into(),
        ],
    };
    let c = Classifier::new(&provider).expect("templates parse");
    let mut cases: Vec<(IpAddr, String)> = Vec::new();
    for i in 0..4096u32 {
        let v4 = Ipv4Addr::from(0xcb00_7100u32.wrapping_add(i * 7919));
        let [a, b, cc, d] = v4.octets();
        let ip = IpAddr::V4(v4);
        let names = [
            format!("ec2-{a}-{b}-{cc}-{d}.compute-1.amazonaws.com"),
            format!("{d}.{cc}.{b}.{a}.bc.googleusercontent.com"),
            format!("c-{a}-{b}-{cc}-{d}.hsd1.ca.comcast.net"),
            format!("p{a:02x}{b:02x}{cc:02x}{d:02x}.dip0.t-ipconnect.de"),
            format!("mail{d}.example.com"),
            format!("smtp{}-fra1.mail.example.org", i % 9),
            "mx01.customer-a.example".to_owned(),
            format!("web-{}.example.net", 2000 + i % 30),
            format!("mail_{d}.example.com"),
            format!("{a}-{b}-{cc}-{d}-host.examplehost.net"),
            // Issue 15's forms: a server id, a split address with a line id.
            format!("vmi{}.contaboserver.net", 400_000 + i),
            format!("lfbn-tou-1-{}-{d}.w{a}-{b}.abo.wanadoo.fr", 1000 + i % 4000),
        ];
        for n in names {
            cases.push((ip, n));
        }
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x10, 0, 0, 0, 0, i as u16));
        cases.push((
            v6,
            format!("v6-2001-db8-10-0-0-0-0-{:x}.fra1.examplehost.net", i),
        ));
        cases.push((v6, "mx.example.com".to_owned()));
    }
    // Warm up, then measure.
    for (ip, n) in &cases {
        black_box(c.judge(*ip, n));
    }
    let rounds = 20;
    let cpu_start = cpu_ns();
    let start = Instant::now();
    let mut generic = 0usize;
    for _ in 0..rounds {
        for (ip, n) in &cases {
            let v = c.judge(black_box(*ip), black_box(n));
            generic += v.reasons.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_ns().zip(cpu_start).map(|(b, a)| (b - a) as f64 / 1e9);
    let total = (cases.len() * rounds) as f64;
    println!(
        "judge: {} names in {:.3} s wall = {:.0} names/s on one core ({} reasons)",
        total,
        secs,
        total / secs,
        generic
    );
    if let Some(cpu) = cpu {
        println!(
            "judge: {:.3} s of cpu time = {:.0} names per cpu-second",
            cpu,
            total / cpu
        );
    }
    audit_step();
}

/// CPU seconds (wall seconds where unavailable) of `f`.
fn timed(f: impl FnOnce()) -> f64 {
    let cpu = cpu_ns();
    let start = Instant::now();
    f();
    let wall = start.elapsed().as_secs_f64();
    cpu_ns()
        .zip(cpu)
        .map_or(wall, |(b, a)| (b - a) as f64 / 1e9)
}

/// The per-address step over a /16 with the bench's naming mix, fed from
/// the audit (`AuditRun`) and as before (`Classifier::audit` + `BlockTally::observe`).
fn audit_step() {
    let yaml = "version: 1
provider:
  name: Example Hosting
  domains: [examplehost.net]
  default_ptr: [\"{ip-dashed}-host.examplehost.net\"]
datacenters:
  - name: fra1
    blocks:
      - cidr: 10.0.0.0/17
        policy: hosting
      - cidr: 10.0.128.0/17
        policy: mail
        expect_ptr: \"mail{d}.c{c}.customers.example\"
";
    let loaded = ptr_audit_inventory::load_texts(vec![("inv.yaml".into(), yaml.to_owned())]);
    assert!(!loaded.has_errors());
    let inv = loaded.inventory;
    let work: Vec<(Target, Lookup)> = (0..inv.scope_len())
        .map(|i| {
            let t = inv.target_at(i).expect("in scope");
            let ip = t.ip.to_string();
            let name = match i % 10 {
                0..=2 => format!("{}-host.examplehost.net.", ip.replace('.', "-")),
                3 => "hosted-by.examplehost.net.".to_owned(),
                4 => format!("mail{}.c{}.customers.example.", i % 7, i / 4),
                _ => t
                    .expected_ptr
                    .clone()
                    .map_or_else(|| format!("web{}.example.org.", i % 500), |e| e + "."),
            };
            let name = DnsName::from_presentation(&name);
            let lookup = Lookup {
                rcode: None,
                answer: PtrAnswer::Names(vec![name.clone()]),
                cname_chain: Vec::new(),
                attempts: 1,
                forward: vec![(name, ForwardAnswer::Addresses(vec![t.ip]))],
                dnsbl: Vec::new(),
            };
            (t, lookup)
        })
        .collect();
    let c = Classifier::new(&inv.provider).expect("templates parse");
    let n = work.len() as f64;
    let mut ratios = Vec::new();
    for round in 0..3 {
        let before = timed(|| {
            let mut tally = BlockTally::new();
            for (t, l) in &work {
                tally.observe(t, l);
                black_box(c.audit(t.clone(), l.clone(), Servers::NotAsked));
            }
            black_box(tally.finish());
        });
        let after = timed(|| {
            let mut run = AuditRun::new(&inv, c.clone(), false);
            for (t, l) in &work {
                black_box(run.audit(t.clone(), l.clone(), Servers::NotAsked));
            }
            black_box(run.finish());
        });
        println!(
            "audit step, round {round}: AuditRun {:.0} addresses/s, audit + observe {:.0} addresses/s: {:.3}x",
            n / after,
            n / before,
            before / after
        );
        ratios.push(before / after);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "audit step: median {:.3}x (AuditRun against audit + observe, cpu time)",
        ratios[1]
    );
}
