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
                 13 IN PTR mail13.fra1.examplehost.net.\n"
            ),
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
}

impl Kind {
    fn binaries(self) -> [&'static str; 2] {
        match self {
            Kind::Bind => ["named", "nsupdate"],
            Kind::Knot => ["knotd", "knsupdate"],
        }
    }
}

fn write_zones(run: &Path) -> Vec<(String, PathBuf)> {
    zones()
        .into_iter()
        .map(|(origin, text)| {
            let path = run.join(format!("{origin}zone"));
            fs::write(&path, text).expect("write a zone file");
            (origin.to_owned(), path)
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
            "zone \"{origin}\" {{ type primary; file \"{}\"; update-policy {{ grant {KEY_NAME} zonesub ANY; }}; }};",
            path.display()
        );
    }
    text
}

fn knot_conf(run: &Path, addr: SocketAddr, zones: &[(String, PathBuf)]) -> String {
    let mut text = format!(
        "server:\n    listen: {ip}@{port}\n    rundir: \"{run}\"\ncontrol:\n    listen: \"{run}/knot.sock\"\n\
         database:\n    storage: \"{run}/db\"\nkey:\n  - id: {KEY_NAME}\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\
         acl:\n  - id: update\n    key: {KEY_NAME}\n    action: update\nzone:\n",
        run = run.display(),
        ip = addr.ip(),
        port = addr.port(),
    );
    for (origin, path) in zones {
        let _ = write!(
            text,
            "  - domain: {origin}\n    file: \"{}\"\n    acl: update\n    zonefile-sync: -1\n    journal-content: changes\n",
            path.display()
        );
    }
    text
}

/// Starts the primary in `run` on a free loopback port and waits until it
/// serves the reverse zone.
fn start(kind: Kind, bin: &Path, run: &Path) -> Primary {
    let mut last = String::new();
    for attempt in 0..START_TRIES {
        let dir = run.join(format!("try{attempt}"));
        fs::create_dir_all(&dir).expect("create the server directory");
        let zones = write_zones(&dir);
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
        };
        let ready = servers::wait_ready(
            &mut daemon,
            addr,
            "113.0.203.in-addr.arpa.",
            dns::SOA,
            |r| r.rcode == dns::NOERROR && !r.answers.is_empty(),
        );
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
    let primary = start(kind, &bins[0], &dir.path().join("server"));
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
