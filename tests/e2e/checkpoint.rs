//! Checkpoint and resume: a scan of a /20 killed with SIGKILL at a random
//! point and resumed from its checkpoint gives the same records as a scan
//! that was never interrupted, with no address missing or duplicated. The
//! zones are generated here and served by the embedded server (`--zones`), so
//! this test needs no stock server.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The block scanned: 198.18.0.0/20 (the RFC 2544 benchmarking range, as
/// zone data only), 4096 addresses.
const BLOCK: &str = "198.18.0.0/20";
const ADDRESSES: usize = 4096;

/// Writes 16 reverse zones and one forward zone covering [`BLOCK`] with a mix
/// of outcomes: NXDOMAIN, forward-confirmed names, generic names, and names
/// whose A record points elsewhere.
fn write_zones(dir: &Path) {
    let soa = "@ SOA ns1.ckpt.example. hostmaster.ckpt.example. 1 3600 600 86400 60\n\
               @ NS ns1.ckpt.example.\n";
    let mut forward = format!("$ORIGIN ckpt.example.\n$TTL 300\n{soa}ns1 A 127.0.0.1\n");
    for c in 0u8..16 {
        let mut reverse = format!("$ORIGIN {c}.18.198.in-addr.arpa.\n$TTL 300\n{soa}");
        for d in 0u8..=255 {
            let i = usize::from(c) * 256 + usize::from(d);
            let ip = Ipv4Addr::new(198, 18, c, d);
            if i % 7 == 3 {
                continue; // NXDOMAIN
            }
            let (name, a) = if i % 11 == 5 {
                (format!("198-18-{c}-{d}.pool"), ip)
            } else if i % 13 == 0 {
                (format!("host-{c}-{d}"), Ipv4Addr::new(198, 18, 200, d))
            } else {
                (format!("host-{c}-{d}"), ip)
            };
            let _ = writeln!(reverse, "{d} PTR {name}.ckpt.example.");
            let _ = writeln!(forward, "{name} A {a}");
        }
        fs::write(dir.join(format!("{c}.18.198.in-addr.arpa.zone")), reverse)
            .expect("write a reverse zone");
    }
    fs::write(dir.join("ckpt.example.zone"), forward).expect("write the forward zone");
}

fn write_inventory(path: &Path) {
    let text = format!(
        "version: 1\n\
         provider:\n  name: Checkpoint Test\n  domains: [ckpt.example]\n\
         datacenters:\n  - name: ckpt1\n    status: active\n    blocks:\n\
         \x20     - cidr: {BLOCK}\n        policy: hosting\n"
    );
    fs::write(path, text).expect("write the inventory");
}

/// A small deterministic generator (SplitMix64) for the kill point; the seed
/// is printed so a failure can be replayed with `PTR_AUDIT_E2E_SEED`.
fn seed() -> u64 {
    std::env::var("PTR_AUDIT_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn base_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ptr-audit"));
    cmd.arg("scan")
        .arg(dir.join("inventory.yaml"))
        .arg("--zones")
        .arg(dir.join("zones"))
        .args(["--format", "jsonl", "--quiet", "--timeout", "1s"]);
    cmd
}

/// The complete JSON lines of `text` (a torn last line is ignored, as the
/// scanner itself must), by address; duplicates are reported in `dups`.
fn records_by_ip(text: &str, dups: &mut Vec<IpAddr>) -> BTreeMap<IpAddr, Value> {
    let mut map = BTreeMap::new();
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(ip) = record["ip"].as_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if map.insert(ip, record).is_some() {
            dups.push(ip);
        }
    }
    map
}

/// What must be equal between runs: the record minus per-run counters.
fn comparable(record: &Value) -> Value {
    let mut r = record.clone();
    if let Some(obj) = r.as_object_mut() {
        obj.remove("attempts");
    }
    r
}

#[test]
fn scan_killed_with_sigkill_and_resumed_equals_an_uninterrupted_scan() {
    let dir = tempfile::Builder::new()
        .prefix("ptr-audit-e2e-ckpt-")
        .tempdir()
        .expect("temporary directory");
    fs::create_dir(dir.path().join("zones")).expect("zones directory");
    write_zones(&dir.path().join("zones"));
    write_inventory(&dir.path().join("inventory.yaml"));

    // The reference: one uninterrupted scan.
    let started = Instant::now();
    let full = base_command(dir.path())
        .args(["--qps", "0"])
        .output()
        .expect("run the uninterrupted scan");
    let mut dups = Vec::new();
    let reference = records_by_ip(&String::from_utf8_lossy(&full.stdout), &mut dups);
    assert!(
        dups.is_empty() && reference.len() == ADDRESSES,
        "uninterrupted scan: {} records, duplicates {dups:?}\n{}",
        reference.len(),
        String::from_utf8_lossy(&full.stderr)
    );

    let full_time = started.elapsed();

    // The interrupted scan: rate-limited so it runs for a few seconds, killed
    // once its checkpoint holds a random number of records.
    let seed = seed();
    let kill_after = 100 + (splitmix(seed) % (ADDRESSES as u64 - 600)) as usize;
    eprintln!(
        "checkpoint test: seed {seed} (PTR_AUDIT_E2E_SEED), SIGKILL after {kill_after} records"
    );
    let checkpoint = dir.path().join("scan.checkpoint");
    let mut child = base_command(dir.path())
        .args(["--qps", "1500"])
        .arg("--checkpoint")
        .arg(&checkpoint)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the scan to interrupt");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = 0;
    while Instant::now() < deadline {
        done = fs::read_to_string(&checkpoint)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0);
        if done >= kill_after || !matches!(child.try_wait(), Ok(None)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let still_running = matches!(child.try_wait(), Ok(None));
    child.kill().expect("SIGKILL the scan");
    let _ = child.wait();
    assert!(
        still_running,
        "the scan finished (or died) before it could be killed: {done} records checkpointed, wanted to kill after {kill_after}"
    );
    let killed_at = fs::read_to_string(&checkpoint).unwrap_or_default();
    let mut dups = Vec::new();
    let before = records_by_ip(&killed_at, &mut dups);
    assert!(
        dups.is_empty(),
        "duplicates in the checkpoint before resuming: {dups:?}"
    );
    assert!(
        before.len() < ADDRESSES,
        "the checkpoint was already complete when killed ({} records)",
        before.len()
    );

    // Resume: only the rest is scanned; the checkpoint ends up complete.
    let started = Instant::now();
    let resumed = base_command(dir.path())
        .args(["--qps", "0"])
        .arg("--checkpoint")
        .arg(&checkpoint)
        .arg("--resume")
        .output()
        .expect("run the resumed scan");
    let resume_time = started.elapsed();
    let stderr = String::from_utf8_lossy(&resumed.stderr).into_owned();
    assert!(
        matches!(resumed.status.code(), Some(0 | 1)),
        "resumed scan exit {:?}\n{stderr}",
        resumed.status.code()
    );
    let mut dups = Vec::new();
    let merged = records_by_ip(
        &fs::read_to_string(&checkpoint).expect("read the checkpoint"),
        &mut dups,
    );

    let mut problems = String::new();
    if !dups.is_empty() {
        let _ = writeln!(
            problems,
            "{} addresses twice in the checkpoint: {:?}",
            dups.len(),
            &dups[..dups.len().min(10)]
        );
    }
    let missing: Vec<_> = reference
        .keys()
        .filter(|ip| !merged.contains_key(ip))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            problems,
            "{} addresses missing after resume: {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
    let extra: Vec<_> = merged
        .keys()
        .filter(|ip| !reference.contains_key(ip))
        .collect();
    if !extra.is_empty() {
        let _ = writeln!(
            problems,
            "{} addresses not in scope: {:?}",
            extra.len(),
            &extra[..extra.len().min(10)]
        );
    }
    let differing: Vec<_> = reference
        .iter()
        .filter(|(ip, r)| {
            merged
                .get(ip)
                .is_some_and(|m| comparable(m) != comparable(r))
        })
        .map(|(ip, r)| format!("{ip}:\n  uninterrupted {r}\n  resumed       {}", merged[ip]))
        .take(10)
        .collect();
    if !differing.is_empty() {
        let _ = writeln!(problems, "records that differ:\n{}", differing.join("\n"));
    }
    eprintln!(
        "checkpoint test: {ADDRESSES} addresses; uninterrupted scan {full_time:.1?}; \
         killed after {} records; resumed scan {resume_time:.1?}; merged {} records, \
         {} missing, {} duplicated",
        before.len(),
        merged.len(),
        missing.len(),
        dups.len()
    );
    assert!(
        problems.is_empty(),
        "seed {seed}, killed after {} records:\n{problems}\n--- resumed scan stderr:\n{stderr}",
        before.len()
    );
}
