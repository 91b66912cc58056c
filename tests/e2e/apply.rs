//! `fix --as nsupdate` applied to real RFC 2136 primaries over loopback —
//! BIND's `named` with BIND's `nsupdate`, Knot's `knotd` with `knsupdate` —
//! and proved by a re-scan against the primary: every fixable address comes
//! out `ok`, and a record changed between the scan and the apply is refused
//! by the server (its prerequisite no longer holds) and left as it was.
//!
//! The primary serves a reverse /24 and two forward zones (the provider's
//! domain and `fra1.` below it, a zone of its own), so the forward A records
//! only land when their transactions name their own zone. `fix` learns the
//! zones from the primary (the resolver the scan recorded), with no zone files.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;

use crate::dns;
use crate::servers::{self, Daemon, START_TRIES};

/// The shared secret of the test key (base64 of 32 bytes; loopback only).
const SECRET: &str = "cHRyLWF1ZGl0IGUyZSB1cGRhdGUga2V5IC0tIGxvb3BiYWNrIG9ubHk=";
const KEY_NAME: &str = "ptr-audit-e2e.";

const SOA: &str = "$TTL 300\n@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n@ IN NS ns1.examplehost.net.\n";

/// The zones as the scan finds them: .10 has no PTR, .11 a generic one, .12
/// the expected name without its A record, .13 is ok, .14 has no PTR (and
/// gets one between the scan and the apply).
fn zones() -> Vec<(&'static str, String)> {
    vec![
        (
            "113.0.203.in-addr.arpa.",
            format!(
                "{SOA}11 IN PTR 203-0-113-11.clients.examplehost.net.\n\
                 12 IN PTR mail12.fra1.examplehost.net.\n\
                 13 IN PTR mail13.fra1.examplehost.net.\n\
                 9 IN CNAME 9.rev.customer.example.\n"
            ),
        ),
        // A customer's relay: its PTR lives in the customer's zone, reached
        // through the provider's CNAME (not the provider's to rewrite).
        (
            "customer.example.",
            format!("{SOA}9.rev IN PTR relay.customer.example.\nrelay IN A 203.0.113.9\n"),
        ),
        (
            "examplehost.net.",
            format!(
                "{SOA}ns1 IN A 127.0.0.1\n203-0-113-11.clients IN A 203.0.113.11\n\
                 fra1 IN NS ns1.examplehost.net.\n"
            ),
        ),
        (
            "fra1.examplehost.net.",
            format!("{SOA}mail13 IN A 203.0.113.13\n"),
        ),
    ]
}

const INVENTORY: &str = "version: 1\ndatacenters:\n  - name: fra1\n    status: active\n    blocks:\n      - cidr: 203.0.113.8/29\n        policy: mail\n        expect_ptr: \"mail{d}.fra1.examplehost.net\"\n        exclude: [203.0.113.8/31, 203.0.113.15/32]\n";

/// A primary taking TSIG-signed updates, on loopback.
struct Primary {
    addr: SocketAddr,
    daemon: Daemon,
}

/// Which primary, and which client applies the scripts.
#[derive(Clone, Copy)]
enum Kind {
    Bind,
    Knot,
    /// PowerDNS with its sqlite3 backend (`dnsupdate=yes`).
    Pdns,
}

impl Kind {
    fn binaries(self) -> [&'static str; 2] {
        match self {
            Kind::Bind => ["named", "nsupdate"],
            Kind::Knot => ["knotd", "knsupdate"],
            Kind::Pdns => ["pdns_server", "nsupdate"],
        }
    }

    /// The binaries `fix --apply`'s test needs: the server (and, for
    /// PowerDNS, the tools that build its database), `nsupdate` to change a
    /// record behind the scan's back, `dig` to transfer the zones.
    fn apply_binaries(self) -> Vec<&'static str> {
        let mut bins = match self {
            Kind::Bind => vec!["named"],
            Kind::Knot => vec!["knotd"],
            Kind::Pdns => vec!["pdns_server", "pdnsutil", "sqlite3"],
        };
        bins.extend(["nsupdate", "dig"]);
        bins
    }
}

fn write_zones(run: &Path, zones: &[(&str, String)]) -> Vec<(String, PathBuf)> {
    zones
        .iter()
        .map(|(origin, text)| {
            // An RFC 2317 origin (`16/29.…`) holds a slash.
            let path = run.join(format!("{}zone", origin.replace('/', "_")));
            fs::write(&path, text).expect("write a zone file");
            (String::from(*origin), path)
        })
        .collect()
}

fn bind_conf(run: &Path, addr: SocketAddr, zones: &[(String, PathBuf)]) -> String {
    let mut text = format!(
        "options {{\n  directory \"{run}\";\n  listen-on port {port} {{ {ip}; }};\n  listen-on-v6 {{ none; }};\n  \
         pid-file \"{run}/named.pid\";\n  session-keyfile \"{run}/session.key\";\n  recursion no;\n  notify no;\n}};\n\
         controls {{ }};\nkey \"{KEY_NAME}\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n",
        run = run.display(),
        ip = addr.ip(),
        port = addr.port(),
    );
    for (origin, path) in zones {
        let _ = writeln!(
            text,
            "zone \"{origin}\" {{ type primary; file \"{}\"; update-policy {{ grant {KEY_NAME} zonesub ANY; }}; allow-transfer {{ 127.0.0.1; }}; }};",
            path.display()
        );
    }
    text
}

fn knot_conf(run: &Path, addr: SocketAddr, zones: &[(String, PathBuf)]) -> String {
    let mut text = format!(
        "server:\n    listen: {ip}@{port}\n    rundir: \"{run}\"\ncontrol:\n    listen: \"{run}/knot.sock\"\n\
         database:\n    storage: \"{run}/db\"\nkey:\n  - id: {KEY_NAME}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\
         acl:\n  - id: update\n    key: {KEY_NAME}\n    action: update\n  - id: xfr\n    address: 127.0.0.1\n    action: transfer\nzone:\n",
        run = run.display(),
        ip = addr.ip(),
        port = addr.port(),
    );
    for (origin, path) in zones {
        let _ = write!(
            text,
            "  - domain: {origin}\n    file: \"{}\"\n    acl: [update, xfr]\n    zonefile-sync: -1\n    journal-content: changes\n",
            path.display()
        );
    }
    text
}

/// PowerDNS's configuration: the sqlite3 backend, updates and transfers
/// from loopback only, no packet cache (`cache-ttl=0`): an update of an RFC
/// 2317 child zone does not purge the parent name's cached answer, which
/// PowerDNS built by following the CNAME into the child (stale for up to
/// `cache-ttl`, 20 s by default; docs/fix.md).
fn pdns_conf(run: &Path, addr: SocketAddr) -> String {
    format!(
        "launch=gsqlite3\ngsqlite3-database={run}/pdns.sqlite3\nlocal-address={ip}\nlocal-port={port}\ncache-ttl=0\n\
         socket-dir={run}\ndnsupdate=yes\nallow-dnsupdate-from=127.0.0.0/8\nallow-axfr-ips=127.0.0.0/8\n\
         disable-axfr=no\nguardian=no\ndaemon=no\nwrite-pid=no\nwebserver=no\napi=no\nprimary=no\n",
        run = run.display(),
        ip = addr.ip(),
        port = addr.port(),
    )
}

/// The schema the sqlite3 backend ships (Debian's path, then the docs').
fn pdns_schema() -> PathBuf {
    [
        "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
        "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
    .expect("pdns-backend-sqlite3's schema is installed")
}

/// Builds PowerDNS's database in `dir`: the schema, the zones, the TSIG key
/// and, per zone, the key allowed to update it and a serial that goes up
/// with every update.
fn pdns_database(pdnsutil: &Path, sqlite3: &Path, dir: &Path, zones: &[(String, PathBuf)]) {
    let run = |program: &Path, args: &[&std::ffi::OsStr], stdin: Option<&Path>| {
        let mut cmd = Command::new(program);
        cmd.args(args);
        if let Some(input) = stdin {
            cmd.stdin(fs::File::open(input).expect("open the schema"));
        }
        let out = cmd.output().expect("run a PowerDNS tool");
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let db = dir.join("pdns.sqlite3");
    run(sqlite3, &[db.as_os_str()], Some(&pdns_schema()));
    let config = format!("--config-dir={}", dir.display());
    let util = |args: &[&str]| {
        let mut all: Vec<&std::ffi::OsStr> = vec![config.as_ref()];
        all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
        run(pdnsutil, &all, None);
    };
    let key = KEY_NAME.trim_end_matches('.');
    util(&["import-tsig-key", key, "hmac-sha256", SECRET]);
    for (origin, path) in zones {
        let zone = origin.trim_end_matches('.');
        util(&["load-zone", zone, &path.to_string_lossy()]);
        util(&["set-meta", zone, "TSIG-ALLOW-DNSUPDATE", key]);
        util(&["set-meta", zone, "SOA-EDIT-DNSUPDATE", "INCREASE"]);
    }
}

/// Starts the primary in `run` on a free loopback port and waits until it
/// serves the reverse zone. `bins[0]` is the server; for PowerDNS,
/// `bins[1]` and `bins[2]` are `pdnsutil` and `sqlite3`.
fn start(kind: Kind, bins: &[PathBuf], run: &Path) -> Primary {
    start_with(kind, bins, run, &zones())
}

/// [`start`] serving `zones` (the first one is waited for).
fn start_with(kind: Kind, bins: &[PathBuf], run: &Path, zones: &[(&str, String)]) -> Primary {
    let bin = &bins[0];
    let mut last = String::new();
    for attempt in 0..START_TRIES {
        let dir = run.join(format!("try{attempt}"));
        fs::create_dir_all(&dir).expect("create the server directory");
        let first = zones[0].0;
        let zones = write_zones(&dir, zones);
        let addr = SocketAddr::from(([127, 0, 0, 1], servers::free_port()));
        let conf = dir.join("server.conf");
        let log = dir.join("server.log");
        let mut daemon = match kind {
            Kind::Bind => {
                fs::write(&conf, bind_conf(&dir, addr, &zones)).expect("write named.conf");
                // -g: foreground, log to stderr.
                Daemon::spawn_with(
                    "named",
                    bin,
                    &["-g".as_ref(), "-c".as_ref(), conf.as_os_str()],
                    log,
                )
            }
            Kind::Knot => {
                fs::write(&conf, knot_conf(&dir, addr, &zones)).expect("write knot.conf");
                // Knot keeps its journal there and does not create it.
                fs::create_dir_all(dir.join("db")).expect("create Knot's database directory");
                Daemon::spawn_with("knotd", bin, &["-c".as_ref(), conf.as_os_str()], log)
            }
            Kind::Pdns => {
                fs::write(dir.join("pdns.conf"), pdns_conf(&dir, addr)).expect("write pdns.conf");
                pdns_database(&bins[1], &bins[2], &dir, &zones);
                let config = format!("--config-dir={}", dir.display());
                Daemon::spawn_with("pdns_server", bin, &[config.as_ref()], log)
            }
        };
        let ready = servers::wait_ready(&mut daemon, addr, first, dns::SOA, |r| {
            r.rcode == dns::NOERROR && !r.answers.is_empty()
        });
        if ready {
            return Primary { addr, daemon };
        }
        last = daemon.log();
    }
    panic!("the primary did not come up on loopback after {START_TRIES} tries\n{last}");
}

/// Runs `client` (nsupdate or knsupdate) with the test key over `script`,
/// sent to `server`.
fn apply(kind: Kind, client: &Path, keys: &Path, server: SocketAddr, script: &str) -> Output {
    let mut cmd = Command::new(client);
    match kind {
        Kind::Bind => cmd.arg("-k").arg(keys.join("bind.key")),
        // knsupdate reads keys in its `-y` syntax, not BIND's key files.
        Kind::Knot => cmd.arg("-k").arg(keys.join("knot.key")),
        Kind::Pdns => cmd.arg("-k").arg(keys.join("bind.key")),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the update client");
    let text = format!("server {} {}\n{script}", server.ip(), server.port());
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the script");
    child.wait_with_output().expect("run the update client")
}

fn write_keys(dir: &Path) {
    fs::write(
        dir.join("bind.key"),
        format!("key \"{KEY_NAME}\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{SECRET}\";\n}};\n"),
    )
    .expect("write the key file");
    fs::write(
        dir.join("knot.key"),
        format!("hmac-sha256:{KEY_NAME}:{SECRET}\n"),
    )
    .expect("write the key file");
}

fn ptr_audit() -> Command {
    let mut cmd = Command::cargo_bin("ptr-audit").expect("binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Scans the inventory against the primary into `report`; the statuses and
/// PTRs by address.
fn scan(dir: &Path, primary: SocketAddr, report: &Path) -> Vec<(String, String, Vec<String>)> {
    let out = ptr_audit()
        .arg("scan")
        .arg(dir.join("inventory.yaml"))
        .args(["--resolver", &primary.to_string(), "--quiet"])
        .arg("--output")
        .arg(format!("json={}", report.display()))
        .output()
        .expect("run scan");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&fs::read(report).expect("read the report")).expect("json");
    doc["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["ip"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["ptr"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn status_of<'a>(
    seen: &'a [(String, String, Vec<String>)],
    ip: &str,
) -> &'a (String, String, Vec<String>) {
    seen.iter()
        .find(|(i, _, _)| i == ip)
        .unwrap_or_else(|| panic!("{ip} not in {seen:?}"))
}

/// `fix --as nsupdate` for `report`, learning zones from the resolver the
/// scan recorded (the primary).
fn fix_script(report: &Path) -> String {
    let out = ptr_audit()
        .arg("fix")
        .arg(report)
        .args(["--as", "nsupdate"])
        .output()
        .expect("run fix");
    assert_eq!(
        out.status.code(),
        Some(0),
        "fix: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = String::from_utf8(out.stdout).expect("utf-8");
    // Every transaction opens with its own zone line.
    for tx in script.split("send\n").filter(|t| t.contains("update ")) {
        let first = tx.lines().find(|l| !l.starts_with(';') && !l.is_empty());
        assert!(first.is_some_and(|l| l.starts_with("zone ")), "{tx}");
    }
    script
}

fn setup(test: &str, kind: Kind) -> Option<(tempfile::TempDir, Primary, PathBuf)> {
    let bins = servers::binaries_or_skip(test, &kind.binaries())?;
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("inventory.yaml"), INVENTORY).expect("write the inventory");
    write_keys(dir.path());
    let primary = start(kind, &bins, &dir.path().join("server"));
    Some((dir, primary, bins[1].clone()))
}

#[test]
fn nsupdate_scripts_applied_to_bind_fix_every_address_and_a_changed_record_is_refused() {
    let Some((dir, mut primary, client)) = setup(
        "nsupdate_scripts_applied_to_bind_fix_every_address_and_a_changed_record_is_refused",
        Kind::Bind,
    ) else {
        return;
    };
    let dir = dir.path();
    let before = scan(dir, primary.addr, &dir.join("before.json"));
    for (ip, status) in [
        ("203.0.113.10", "ptr-missing"),
        ("203.0.113.11", "ptr-generic"),
        ("203.0.113.13", "ok"),
        ("203.0.113.14", "ptr-missing"),
    ] {
        assert_eq!(status_of(&before, ip).1, status, "{ip}: {before:?}");
    }
    assert_ne!(status_of(&before, "203.0.113.12").1, "ok", "{before:?}");
    let script = fix_script(&dir.join("before.json"));
    assert!(
        script.contains("zone fra1.examplehost.net.\nupdate add mail10.fra1.examplehost.net."),
        "{script}"
    );
    // Someone gives .14 a PTR after the scan.
    let out = apply(
        Kind::Bind,
        &client,
        dir,
        primary.addr,
        "zone 113.0.203.in-addr.arpa.\nupdate add 14.113.0.203.in-addr.arpa. 300 PTR customer.example.\nsend\n",
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        primary.daemon.log()
    );
    let out = apply(Kind::Bind, &client, dir, primary.addr, &script);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // nsupdate goes on after a refused transaction and exits 2.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("YXRRSET"),
        "the .14 transaction is refused: {stderr}"
    );
    assert_eq!(stderr.matches("update failed").count(), 1, "{stderr}");
    let after = scan(dir, primary.addr, &dir.join("after.json"));
    for ip in [
        "203.0.113.10",
        "203.0.113.11",
        "203.0.113.12",
        "203.0.113.13",
    ] {
        assert_eq!(
            status_of(&after, ip).1,
            "ok",
            "{ip}: {after:?}\n{}",
            primary.daemon.log()
        );
    }
    assert_eq!(
        status_of(&after, "203.0.113.14").2,
        ["customer.example."],
        "the record changed since the scan is left alone: {after:?}"
    );
}

#[test]
fn knsupdate_scripts_applied_to_knot_fix_every_address_and_stale_prerequisites_are_refused() {
    let Some((dir, mut primary, client)) = setup(
        "knsupdate_scripts_applied_to_knot_fix_every_address_and_stale_prerequisites_are_refused",
        Kind::Knot,
    ) else {
        return;
    };
    let dir = dir.path();
    scan(dir, primary.addr, &dir.join("before.json"));
    let script = fix_script(&dir.join("before.json"));
    let out = apply(Kind::Knot, &client, dir, primary.addr, &script);
    assert!(
        out.status.success(),
        "{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        primary.daemon.log()
    );
    let after = scan(dir, primary.addr, &dir.join("after.json"));
    for (ip, _, _) in &after {
        assert_eq!(status_of(&after, ip).1, "ok", "{ip}: {after:?}");
    }
    assert_eq!(after.len(), 5);
    // The same script again: what the scan saw is gone, so the server
    // refuses its first transaction and nothing changes (knsupdate stops
    // at the first refusal).
    let serial = |p: &Primary| {
        dns::query(
            p.addr,
            "113.0.203.in-addr.arpa.",
            dns::SOA,
            std::time::Duration::from_secs(2),
        )
        .expect("SOA")
        .data_of(dns::SOA)
    };
    let was = serial(&primary);
    let out = apply(Kind::Knot, &client, dir, primary.addr, &script);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("NXRRSET") || text.contains("YXRRSET"),
        "{text}"
    );
    assert_eq!(serial(&primary), was, "a refused update changes nothing");
}

/// The inventory of the `fix --apply` tests: the provider's domain, and .9
/// (a customer's relay, its PTR reached through a CNAME) in scope.
const INVENTORY_APPLY: &str = "version: 1\nprovider:\n  name: Example Hosting\n  domains: [examplehost.net]\ndatacenters:\n  - name: fra1\n    status: active\n    blocks:\n      - cidr: 203.0.113.8/29\n        policy: mail\n        expect_ptr: \"mail{d}.fra1.examplehost.net\"\n        exclude: [203.0.113.8/32, 203.0.113.15/32]\n";

/// A secret the primaries do not know (for the wrong-key run).
const WRONG_SECRET: &str = "d3Jvbmcgc2VjcmV0IGZvciB0aGUgd3Jvbmcta2V5IHJ1bg==";

/// Every record of every zone, by transfer (`dig AXFR`), SOA records left
/// out, one normalised line each, sorted.
fn transfer_all(dig: &Path, primary: SocketAddr) -> Vec<String> {
    let mut all = Vec::new();
    for (origin, _) in zones() {
        let out = Command::new(dig)
            .args([
                &format!("@{}", primary.ip()),
                "-p",
                &primary.port().to_string(),
                origin,
                "AXFR",
                "+noall",
                "+answer",
            ])
            .output()
            .expect("run dig");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && text.contains("SOA"),
            "transfer of {origin}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        all.extend(
            text.lines()
                .map(|l| {
                    l.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_ascii_lowercase()
                })
                .filter(|l| !l.is_empty() && !l.starts_with(';') && !l.contains(" soa ")),
        );
    }
    all.sort();
    all.dedup();
    all
}

/// Every zone's SOA serial.
fn serials(primary: SocketAddr) -> Vec<String> {
    let all: Vec<String> = zones()
        .iter()
        .map(|(origin, _)| {
            dns::query(primary, origin, dns::SOA, std::time::Duration::from_secs(2))
                .expect("SOA")
                .data_of(dns::SOA)
                .join(" ")
        })
        .collect();
    assert!(all.iter().all(|s| s.parse::<u32>().is_ok()), "{all:?}");
    all
}

/// `ptr-audit fix ARGS`, its exit code and output (stdout then stderr).
fn fix_apply(args: &[&std::ffi::OsStr], env_key: Option<&Path>) -> (Option<i32>, String) {
    let mut cmd = ptr_audit();
    cmd.arg("fix").args(args).env_remove("PTR_AUDIT_TSIG_KEY");
    if let Some(key) = env_key {
        cmd.env(
            "PTR_AUDIT_TSIG_KEY",
            fs::read_to_string(key).expect("read the key file"),
        );
    }
    let out = cmd.output().expect("run fix");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(SECRET) && !text.contains(WRONG_SECRET),
        "a secret was printed: {text}"
    );
    (out.status.code(), text)
}

/// The loop against one primary: scan → a record changed behind the
/// scan's back → a wrong key changes nothing → dry run saved as a plan →
/// the plan applied → re-scan: every fixable address `ok`, the changed
/// record and the customer's relay untouched → the plan again is refused
/// (the zone moved) → rollback: the zones are what a transfer showed before.
fn apply_loop(test: &str, kind: Kind) {
    let Some(bins) = servers::binaries_or_skip(test, &kind.apply_binaries()) else {
        return;
    };
    let n = bins.len();
    let (nsupdate, dig) = (&bins[n - 2], &bins[n - 1]);
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    fs::write(dir.join("inventory.yaml"), INVENTORY_APPLY).expect("write the inventory");
    write_keys(dir);
    let wrong = dir.join("wrong.key");
    fs::write(
        &wrong,
        format!(
            "key \"{KEY_NAME}\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{WRONG_SECRET}\";\n}};\n"
        ),
    )
    .expect("write the wrong key");
    let key = dir.join("bind.key");
    let mut primary = start(kind, &bins, &dir.join("server"));
    let addr = primary.addr.to_string();
    let report = dir.join("before.json");
    let before = scan(dir, primary.addr, &report);
    for (ip, status) in [
        ("203.0.113.10", "ptr-missing"),
        ("203.0.113.11", "ptr-generic"),
        ("203.0.113.13", "ok"),
        ("203.0.113.14", "ptr-missing"),
    ] {
        assert_eq!(status_of(&before, ip).1, status, "{ip}: {before:?}");
    }
    for ip in ["203.0.113.9", "203.0.113.12"] {
        assert_ne!(status_of(&before, ip).1, "ok", "{ip}: {before:?}");
    }
    assert_eq!(
        status_of(&before, "203.0.113.9").2,
        ["relay.customer.example."]
    );
    // Someone gives .14 a PTR after the scan.
    let out = apply(
        Kind::Bind,
        nsupdate,
        dir,
        primary.addr,
        "zone 113.0.203.in-addr.arpa.\nupdate add 14.113.0.203.in-addr.arpa. 300 PTR customer.example.\nsend\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zones_before = transfer_all(dig, primary.addr);
    let serials_before = serials(primary.addr);
    let os = |s: &str| std::ffi::OsString::from(s);
    let path = |p: &Path| p.as_os_str().to_owned();

    // A wrong key: an error, and nothing changes.
    let (code, text) = fix_apply(
        &[
            path(&report),
            os("--apply"),
            os(&addr),
            os("--tsig-key"),
            path(&wrong),
            os("--yes"),
            os("--journal"),
            path(&dir.join("wrong.journal")),
        ]
        .iter()
        .map(|s| s.as_os_str())
        .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, Some(2), "{text}\n{}", primary.daemon.log());
    assert!(
        ["BADSIG", "BADKEY", "NOTAUTH", "REFUSED"]
            .iter()
            .any(|c| text.contains(c)),
        "the refusal is named: {text}"
    );
    assert_eq!(
        serials(primary.addr),
        serials_before,
        "a wrong key changes nothing"
    );

    // The dry run, saved as a plan.
    let plan = dir.join("plan.json");
    let (code, text) = fix_apply(
        &[
            path(&report),
            os("--apply"),
            os(&addr),
            os("--plan-out"),
            path(&plan),
        ]
        .iter()
        .map(|s| s.as_os_str())
        .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, Some(0), "{text}");
    for expected in [
        "  10.113.0.203.in-addr.arpa. PTR (for 203.0.113.10)\n    now:   nothing\n    write: 3600 mail10.fra1.examplehost.net.\n",
        "    now:   300 203-0-113-11.clients.examplehost.net.\n    write: 3600 mail11.fra1.examplehost.net.\n",
        "  mail12.fra1.examplehost.net. A (for 203.0.113.12)\n    now:   nothing\n    write: 3600 203.0.113.12\n",
        "203.0.113.14 (14.113.0.203.in-addr.arpa.): changed since the scan",
        "203.0.113.9 (9.rev.customer.example.): the PTR's owner does not belong to the address",
        "dry run:",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert_eq!(
        serials(primary.addr),
        serials_before,
        "a dry run changes nothing"
    );

    // The reviewed plan applied (the key from the environment): .14 and .9
    // are not applied, so exit 1. Knot's run verifies through a "resolver"
    // (the primary asked with recursion desired), the others at the primary.
    let journal = dir.join("apply.journal");
    let mut args = vec![
        os("--plan"),
        path(&plan),
        os("--yes"),
        os("--journal"),
        path(&journal),
    ];
    if matches!(kind, Kind::Knot) {
        args.extend([os("--verify-resolver"), os(&addr)]);
    }
    let (code, text) = fix_apply(
        &args.iter().map(|s| s.as_os_str()).collect::<Vec<_>>(),
        Some(&key),
    );
    assert_eq!(code, Some(1), "{text}\n{}", primary.daemon.log());
    for ip in ["203.0.113.10", "203.0.113.11", "203.0.113.12"] {
        assert!(text.contains(&format!("fixed: {ip} ")), "{ip}: {text}");
    }
    assert!(!text.contains("still failing:"), "{text}");
    let after = scan(dir, primary.addr, &dir.join("after.json"));
    for ip in [
        "203.0.113.10",
        "203.0.113.11",
        "203.0.113.12",
        "203.0.113.13",
    ] {
        assert_eq!(status_of(&after, ip).1, "ok", "{ip}: {after:?}");
    }
    assert_eq!(
        status_of(&after, "203.0.113.14").2,
        ["customer.example."],
        "the record changed since the scan is left alone"
    );
    assert_eq!(
        status_of(&after, "203.0.113.9").2,
        ["relay.customer.example."],
        "the customer's relay is left alone"
    );

    // The same plan again: its zones moved since, so nothing is sent.
    let serials_applied = serials(primary.addr);
    assert_ne!(serials_applied, serials_before);
    let (code, text) = fix_apply(
        &[
            os("--plan"),
            path(&plan),
            os("--tsig-key"),
            path(&key),
            os("--yes"),
            os("--journal"),
            path(&dir.join("again.journal")),
        ]
        .iter()
        .map(|s| s.as_os_str())
        .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("the zone changed since the plan"), "{text}");
    assert_eq!(serials(primary.addr), serials_applied);

    // Someone changes .10's PTR after the apply: the rollback leaves it
    // alone (its prerequisite, the set the apply left, no longer holds).
    let out = apply(
        Kind::Bind,
        nsupdate,
        dir,
        primary.addr,
        "zone 113.0.203.in-addr.arpa.\nupdate delete 10.113.0.203.in-addr.arpa. PTR\nupdate add 10.113.0.203.in-addr.arpa. 300 PTR someone-else.example.\nsend\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Rollback: every zone is what the transfer showed before, but for the
    // record changed since the apply.
    let (code, text) = fix_apply(
        &[
            os("--rollback"),
            path(&journal),
            os("--apply"),
            os(&addr),
            os("--tsig-key"),
            path(&key),
            os("--yes"),
        ]
        .iter()
        .map(|s| s.as_os_str())
        .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, Some(1), "{text}\n{}", primary.daemon.log());
    assert!(
        text.contains("not applied: 10.113.0.203.in-addr.arpa. PTR in 113.0.203.in-addr.arpa.: not applied: the record set changed since the plan"),
        "{text}"
    );
    assert!(
        text.contains(
            "not restored: 203.0.113.10 (10.113.0.203.in-addr.arpa.): PTR someone-else.example."
        ),
        "{text}"
    );
    assert_eq!(text.matches("not restored").count(), 1, "{text}");
    let mut expected = zones_before;
    expected.push("10.113.0.203.in-addr.arpa. 300 in ptr someone-else.example.".to_owned());
    expected.sort();
    assert_eq!(transfer_all(dig, primary.addr), expected);
}

#[test]
fn fix_apply_to_knot_fixes_what_is_safe_and_rolls_back() {
    apply_loop(
        "fix_apply_to_knot_fixes_what_is_safe_and_rolls_back",
        Kind::Knot,
    );
}

#[test]
fn fix_apply_to_bind_fixes_what_is_safe_and_rolls_back() {
    apply_loop(
        "fix_apply_to_bind_fixes_what_is_safe_and_rolls_back",
        Kind::Bind,
    );
}

#[test]
fn fix_apply_to_powerdns_fixes_what_is_safe_and_rolls_back() {
    apply_loop(
        "fix_apply_to_powerdns_fixes_what_is_safe_and_rolls_back",
        Kind::Pdns,
    );
}

/// A /29 delegated the RFC 2317 way: the parent's CNAMEs lead into the
/// child zone `16/29.113.0.203.in-addr.arpa.`, where the PTRs live.
fn rfc2317_zones() -> Vec<(&'static str, String)> {
    vec![
        (
            "16/29.113.0.203.in-addr.arpa.",
            format!("{SOA}17 IN PTR 203-0-113-17.clients.examplehost.net.\n"),
        ),
        (
            "113.0.203.in-addr.arpa.",
            format!(
                "{SOA}16/29 IN NS ns1.examplehost.net.\n\
                 17 IN CNAME 17.16/29.113.0.203.in-addr.arpa.\n\
                 18 IN CNAME 18.16/29.113.0.203.in-addr.arpa.\n"
            ),
        ),
        (
            "examplehost.net.",
            format!(
                "{SOA}ns1 IN A 127.0.0.1\n203-0-113-17.clients IN A 203.0.113.17\n\
                 fra1 IN NS ns1.examplehost.net.\n"
            ),
        ),
        ("fra1.examplehost.net.", SOA.to_owned()),
        // 2001:db8:10::/64, where 2001:db8:10::5 has no PTR.
        ("0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", SOA.to_owned()),
    ]
}

const INVENTORY_RFC2317: &str = "version: 1\nprovider:\n  name: Example Hosting\n  domains: [examplehost.net]\ndatacenters:\n  - name: fra1\n    status: active\n    blocks:\n      - cidr: 203.0.113.16/29\n        policy: mail\n        expect_ptr: \"mail{d}.fra1.examplehost.net\"\n        exclude: [203.0.113.16/32, 203.0.113.19/32, 203.0.113.20/30]\n      - cidr: 2001:db8:10::5/128\n        policy: hosting\n        expect_ptr: \"web5.fra1.examplehost.net\"\n";

/// `fix --apply` writes a small block's PTRs at their owners in the RFC 2317
/// child zone (names with a `/` label, sent as they are), an IPv6 address's
/// PTR under `ip6.arpa.` with its AAAA record, and the re-scan finds every
/// address `ok`.
fn rfc2317_loop(test: &str, kind: Kind) {
    let Some(bins) = servers::binaries_or_skip(test, &kind.apply_binaries()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    fs::write(dir.join("inventory.yaml"), INVENTORY_RFC2317).expect("write the inventory");
    write_keys(dir);
    let mut primary = start_with(kind, &bins, &dir.join("server"), &rfc2317_zones());
    let report = dir.join("before.json");
    let before = scan(dir, primary.addr, &report);
    assert_eq!(
        status_of(&before, "203.0.113.17").1,
        "ptr-generic",
        "{before:?}"
    );
    assert_eq!(
        status_of(&before, "203.0.113.18").1,
        "ptr-missing",
        "{before:?}"
    );
    assert_eq!(
        status_of(&before, "2001:db8:10::5").1,
        "ptr-missing",
        "{before:?}"
    );
    let key = dir.join("bind.key");
    let journal = dir.join("apply.journal");
    let args = [
        report.as_os_str(),
        "--apply".as_ref(),
        primary.addr.to_string().as_ref(),
        "--tsig-key".as_ref(),
        key.as_os_str(),
        "--yes".as_ref(),
        "--journal".as_ref(),
        journal.as_os_str(),
    ]
    .map(std::ffi::OsStr::to_owned);
    let (code, text) = fix_apply(
        &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, Some(0), "{text}\n{}", primary.daemon.log());
    for owner in ["17", "18"] {
        assert!(
            text.contains(&format!(
                "applied: {owner}.16/29.113.0.203.in-addr.arpa. PTR in 16/29.113.0.203.in-addr.arpa.: applied"
            )),
            "{owner}: {text}"
        );
    }
    assert!(
        text.contains("applied: 5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR in 0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.: applied")
            && text.contains("AAAA in fra1.examplehost.net.: applied")
            && text.contains("fixed: 2001:db8:10::5 "),
        "{text}"
    );
    let after = scan(dir, primary.addr, &dir.join("after.json"));
    for ip in ["203.0.113.17", "203.0.113.18", "2001:db8:10::5"] {
        assert_eq!(status_of(&after, ip).1, "ok", "{ip}: {after:?}");
    }
}

#[test]
fn fix_apply_to_knot_writes_in_an_rfc2317_child_zone() {
    rfc2317_loop(
        "fix_apply_to_knot_writes_in_an_rfc2317_child_zone",
        Kind::Knot,
    );
}

#[test]
fn fix_apply_to_bind_writes_in_an_rfc2317_child_zone() {
    rfc2317_loop(
        "fix_apply_to_bind_writes_in_an_rfc2317_child_zone",
        Kind::Bind,
    );
}

#[test]
fn fix_apply_to_powerdns_writes_in_an_rfc2317_child_zone() {
    rfc2317_loop(
        "fix_apply_to_powerdns_writes_in_an_rfc2317_child_zone",
        Kind::Pdns,
    );
}
