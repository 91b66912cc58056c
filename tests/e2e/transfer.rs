//! `--zones axfr://SERVER:PORT/ZONE`: zones transferred from NSD and Knot,
//! each configured on loopback to allow transfers to 127.0.0.1 signed with
//! one TSIG key (written in BIND's key-file format for ptr-audit). A
//! transferred zone must hold what its zone file holds, a zone larger than
//! one TCP message included; a scan over transfers must give what the scan
//! over the zone files gives; a refused transfer must say why, without the
//! secret.

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use ptr_audit_dnsserver::{ZoneSet, ZoneSource};
use ptr_audit_tsig::TsigKey;

use crate::dns;
use crate::expected::Via;
use crate::scan::{Source, assert_scan_matches};
use crate::servers::{
    Daemon, binaries_or_skip, free_port, spawn_nsd_with, wait_ready, zone_files, zones_dir,
};

const KEY_NAME: &str = "ptr-audit-xfr";
/// A test-only secret (32 octets, base64).
const SECRET: &str = "cHRyLWF1ZGl0LXRlc3Qtb25seS10c2lnLXNlY3JldCE=";
/// Another secret under the same key name.
const WRONG_SECRET: &str = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=";
/// The zone bigger than one TCP message.
const BIG_ZONE: &str = "18.198.in-addr.arpa.";

fn key_file(dir: &Path, secret: &str) -> PathBuf {
    let path = dir.join(format!("{}.key", &secret[..8]));
    fs::write(
        &path,
        format!("key \"{KEY_NAME}\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{secret}\";\n}};\n"),
    )
    .unwrap();
    path
}

/// 4,096 PTR records with long names: about 300 kB, several TCP messages.
fn big_zone(dir: &Path) -> (String, PathBuf) {
    let mut text = format!(
        "$ORIGIN {BIG_ZONE}\n$TTL 300\n@ SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 60\n@ NS ns1.examplehost.net.\n"
    );
    for c in 0..16 {
        for d in 0..256 {
            let _ = writeln!(
                text,
                "{d}.{c} PTR customer-{c}-{d}.a-rather-long-hosting-name.fra1.examplehost.net."
            );
        }
    }
    let path = dir.join("big.zone");
    fs::write(&path, text).unwrap();
    (BIG_ZONE.to_owned(), path)
}

/// A primary serving zones on loopback, stopped on drop.
struct Primary {
    addr: SocketAddr,
    _daemon: Daemon,
}

fn start_nsd(bin: &Path, run: &Path, zones: &[(String, PathBuf)]) -> Primary {
    let global = format!(
        "key:\n    name: \"{KEY_NAME}\"\n    algorithm: hmac-sha256\n    secret: \"{SECRET}\"\n"
    );
    let per_zone = format!("    provide-xfr: 127.0.0.1 {KEY_NAME}\n");
    let mut last = String::new();
    for _ in 0..5 {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        match spawn_nsd_with(bin, run, addr, zones, &global, &per_zone) {
            Ok(daemon) => {
                return Primary {
                    addr,
                    _daemon: daemon,
                };
            }
            Err(log) => last = log,
        }
    }
    panic!("NSD did not come up\n{last}");
}

fn start_knot(bin: &Path, run: &Path, zones: &[(String, PathBuf)]) -> Primary {
    fs::create_dir_all(run).unwrap();
    let mut last = String::new();
    for _ in 0..5 {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut conf = format!(
            "server:\n    rundir: \"{run}\"\n    listen: {ip}@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
             control:\n    listen: \"{run}/knot.sock\"\n\
             log:\n  - target: stderr\n    any: info\n\
             database:\n    storage: \"{run}\"\n\
             key:\n  - id: {KEY_NAME}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\
             acl:\n  - id: xfr\n    address: 127.0.0.1\n    key: {KEY_NAME}\n    action: transfer\n\
             zone:\n",
            run = run.display(),
            ip = addr.ip(),
            port = addr.port(),
        );
        for (origin, path) in zones {
            let _ = write!(
                conf,
                "  - domain: \"{origin}\"\n    file: \"{}\"\n    acl: xfr\n    zonefile-sync: -1\n    journal-content: none\n",
                path.display()
            );
        }
        let conf_path = run.join("knot.conf");
        fs::write(&conf_path, conf).unwrap();
        let check = Command::new(bin.with_file_name("knotc"))
            .arg("-c")
            .arg(&conf_path)
            .arg("conf-check")
            .output()
            .expect("run knotc conf-check");
        assert!(
            check.status.success(),
            "knotc conf-check: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let mut daemon = Daemon::spawn_with(
            "knotd",
            bin,
            &["-c".as_ref(), conf_path.as_os_str()],
            run.join("knot.log"),
        );
        let first = zones[0].0.as_str();
        if wait_ready(&mut daemon, addr, first, dns::SOA, |r| {
            r.rcode == dns::NOERROR && !r.answers.is_empty()
        }) {
            return Primary {
                addr,
                _daemon: daemon,
            };
        }
        last = daemon.log();
    }
    panic!("Knot did not come up\n{last}");
}

fn source(addr: SocketAddr, zone: &str) -> ZoneSource {
    format!("axfr://{addr}/{zone}").parse().unwrap()
}

fn axfr(source: &ZoneSource) -> &ptr_audit_dnsserver::AxfrSource {
    match source {
        ZoneSource::Axfr(a) => a,
        ZoneSource::Dir(_) => unreachable!(),
    }
}

/// Every zone transferred from `primary` holds the records of its file.
fn assert_transfers_equal_files(primary: &Primary, zones: &[(String, PathBuf)], key: &TsigKey) {
    for (origin, path) in zones {
        let text = fs::read_to_string(path).unwrap();
        let file = ZoneSet::from_text(origin, &text).unwrap();
        let src = source(primary.addr, origin);
        let moved =
            ZoneSet::transfer(axfr(&src), Some(key)).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(moved.warnings().is_empty(), "{src}: {:?}", moved.warnings());
        assert_eq!(moved.origins(), std::slice::from_ref(origin));
        assert_eq!(
            moved.canonical_lines(),
            file.canonical_lines(),
            "{src} differs from {}",
            path.display()
        );
    }
}

#[test]
fn transfers_from_nsd_and_knot_with_a_tsig_key_hold_what_the_zone_files_hold() {
    let Some(bins) = binaries_or_skip("zone transfers (NSD, Knot)", &["nsd", "knotd"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = TsigKey::from_file(&key_file(dir.path(), SECRET)).unwrap();
    let mut zones = zone_files();
    zones.push(big_zone(dir.path()));
    let big = ZoneSet::from_text(
        BIG_ZONE,
        &fs::read_to_string(&zones.last().unwrap().1).unwrap(),
    )
    .unwrap();
    // 4,098 records of about 75 octets each on the wire: at least four
    // messages of at most 65,535 octets
    assert_eq!(big.record_count(), 4098);
    let wire: usize = big.canonical_lines().iter().map(String::len).sum();
    assert!(wire > 4 * 65_535, "{wire}");

    let nsd = start_nsd(&bins[0], &dir.path().join("nsd"), &zones);
    assert_transfers_equal_files(&nsd, &zones, &key);
    // Knot: the big zone and one reverse zone of the suite
    let knot_zones = vec![
        zones.last().unwrap().clone(),
        zones
            .iter()
            .find(|(o, _)| o == "113.0.203.in-addr.arpa.")
            .unwrap()
            .clone(),
    ];
    let knot = start_knot(&bins[1], &dir.path().join("knot"), &knot_zones);
    assert_transfers_equal_files(&knot, &knot_zones, &key);
}

#[test]
fn a_refused_transfer_says_why_and_never_shows_the_secret() {
    let Some(bins) = binaries_or_skip("refused zone transfers (NSD)", &["nsd"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zones: Vec<(String, PathBuf)> = zone_files()
        .into_iter()
        .filter(|(o, _)| o == "113.0.203.in-addr.arpa.")
        .collect();
    let nsd = start_nsd(&bins[0], &dir.path().join("nsd"), &zones);
    let src = source(nsd.addr, "113.0.203.in-addr.arpa.");

    let unsigned = ZoneSet::transfer(axfr(&src), None).unwrap_err().to_string();
    assert!(
        unsigned.contains("REFUSED") && unsigned.contains("not allowed"),
        "{unsigned}"
    );
    let wrong = TsigKey::from_file(&key_file(dir.path(), WRONG_SECRET)).unwrap();
    let bad_key = ZoneSet::transfer(axfr(&src), Some(&wrong))
        .unwrap_err()
        .to_string();
    assert!(
        bad_key.contains("TSIG") || bad_key.contains("NOTAUTH"),
        "{bad_key}"
    );
    let other = source(nsd.addr, "100.51.198.in-addr.arpa.");
    let right = TsigKey::from_file(&key_file(dir.path(), SECRET)).unwrap();
    let not_served = ZoneSet::transfer(axfr(&other), Some(&right))
        .unwrap_err()
        .to_string();
    assert!(
        not_served.contains("failed: the server answered"),
        "{not_served}"
    );

    // the command line: exit 2, the reason, no secret
    let inventory = crate::servers::data_dir().join("inventory.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_ptr-audit"))
        .arg("scan")
        .arg(&inventory)
        .args(["--zones", &src.to_string(), "--tsig-key"])
        .arg(key_file(dir.path(), WRONG_SECRET))
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("zone transfer `{src}` failed")),
        "{stderr}"
    );
    assert!(
        !stderr.contains(WRONG_SECRET) && !stderr.contains(&WRONG_SECRET[..12]),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// `scan --zones axfr://…` over every zone of the suite, transferred from
/// NSD with the key, gives what the scan over the zone files gives.
#[test]
fn scan_over_zone_transfers_matches_what_nsd_gives() {
    let Some(bins) = binaries_or_skip("scan over zone transfers (NSD)", &["nsd"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zones = zone_files();
    let nsd = start_nsd(&bins[0], &dir.path().join("nsd"), &zones);
    let sources = zones
        .iter()
        .map(|(origin, _)| source(nsd.addr, origin).to_string())
        .collect();
    let key = key_file(dir.path(), SECRET);
    assert!(zones_dir().is_dir());
    assert_scan_matches(
        None,
        &Source::Zones(
            sources,
            vec!["--tsig-key".to_owned(), key.display().to_string()],
        ),
        Via::Nsd,
    );
}
