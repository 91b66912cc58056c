//! Starting and stopping the stock servers: NSD authoritative for the zones in
//! `tests/e2e-zones/zones/`, Unbound recursive with stub zones pointing at NSD,
//! and a "silent" server (a bound UDP socket and TCP listener nobody reads)
//! standing in for a lame delegation. Everything listens on 127.0.0.1 only;
//! configuration, logs and PID files live in a temporary directory that is
//! removed when [`StockServers`] is dropped, after the daemons are stopped.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::dns;

/// The directory holding the suite's zone files.
pub fn zones_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e-zones/zones")
}

/// The suite's data directory (inventory, expected results, zones).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e-zones")
}

/// Reverse zones NSD does not serve that Unbound delegates to a server that
/// never answers (a lame delegation).
pub const LAME_ZONES: &[&str] = &[
    "rev.lame-customer.example.",
    "0.2.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
];

/// Zones NSD does not serve that Unbound nevertheless delegates to NSD, which
/// answers REFUSED.
pub const REFUSED_ZONES: &[&str] = &[
    "rev.refused-customer.example.",
    "0.3.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
];

/// Reverse zones that Unbound serves locally by default (RFC 6303 / RFC 5737
/// documentation ranges); turned off so the stub zones are used instead.
const UNBOUND_NODEFAULT: &[&str] = &[
    "2.0.192.in-addr.arpa.",
    "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa.",
];

/// How many times a daemon is started on fresh ports before giving up.
pub const START_TRIES: usize = 5;
/// How long a daemon may take to answer its first query.
const READY_WITHIN: Duration = Duration::from_secs(15);
/// How long one readiness poll waits for its reply.
const POLL_WAIT: Duration = Duration::from_millis(200);
/// The pause after a failed readiness poll.
const POLL_PAUSE: Duration = Duration::from_millis(25);

/// Where a stock server binary is, if installed: the path in
/// `PTR_AUDIT_E2E_<NAME>` when set (e.g. `PTR_AUDIT_E2E_NSD=/opt/nsd/sbin/nsd`),
/// else `$PATH`, then the sbin directories (often missing from a normal
/// user's `$PATH`).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let var = format!("PTR_AUDIT_E2E_{}", name.to_ascii_uppercase());
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether this run is in CI, where a missing server fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The paths of the stock server binaries `names`, or `None` after saying
/// loudly which are missing (a failure instead under `CI=true`).
pub fn binaries_or_skip(test: &str, names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| find_binary(n)).collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.is_empty() {
        return Some(found.into_iter().flatten().collect());
    }
    let msg = format!(
        "{} not found (looked in $PATH, /usr/sbin, /usr/local/sbin, /sbin); \
         install with `.ci/install-packages.sh` (the packages are in `.ci/apt-packages`)",
        missing.join(" and ")
    );
    assert!(
        !in_ci(),
        "CI=true and the end-to-end suite cannot run: {msg}"
    );
    // Written to the stderr handle itself, which the test harness does
    // not capture: the skip must show even when the test passes.
    let bar = "=".repeat(72);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\nSKIPPED: {test}: {msg}\n(set CI=true to make this a failure)\n{bar}\n"
    );
    None
}

/// The stock servers of one test, running until dropped.
pub struct StockServers {
    /// NSD's address (authoritative only, answers REFUSED outside its zones).
    pub nsd: SocketAddr,
    /// Unbound's address (recursive, stub zones at NSD).
    pub unbound: SocketAddr,
    // Field order is drop order: stop the daemons, then release the silent
    // server, then remove the directory.
    unbound_proc: Daemon,
    nsd_proc: Daemon,
    _silent: Silent,
    _dir: tempfile::TempDir,
}

impl StockServers {
    /// Starts NSD and Unbound, or returns `None` after saying loudly why not
    /// when a binary is missing (a failure instead under `CI=true`).
    pub fn start_or_skip(test: &str) -> Option<Self> {
        let bins = binaries_or_skip(test, &["nsd", "unbound"])?;
        Some(Self::start(&bins[0], &bins[1]))
    }

    fn start(nsd_bin: &Path, unbound_bin: &Path) -> Self {
        let mut dir = tempfile::Builder::new()
            .prefix("ptr-audit-e2e-")
            .tempdir()
            .expect("create the temporary directory");
        if std::env::var_os("PTR_AUDIT_E2E_KEEP").is_some() {
            // Keep the configuration and logs for a post-mortem.
            dir.disable_cleanup(true);
            eprintln!("PTR_AUDIT_E2E_KEEP: keeping {}", dir.path().display());
        }
        let silent = Silent::bind();
        let (nsd_proc, nsd) = start_nsd(nsd_bin, dir.path());
        let (unbound_proc, unbound) = start_unbound(unbound_bin, dir.path(), nsd, silent.addr);
        Self {
            nsd,
            unbound,
            unbound_proc,
            nsd_proc,
            _silent: silent,
            _dir: dir,
        }
    }

    /// Kills Unbound with SIGKILL, as in a crash: its port stops answering.
    pub fn crash_unbound(&mut self) {
        self.unbound_proc.crash();
    }

    /// Starts Unbound again, same configuration and port, and waits until it
    /// answers (with a cold cache, as after a real restart).
    pub fn restart_unbound(&mut self) {
        self.unbound_proc.respawn();
        let addr = self.unbound;
        assert!(
            unbound_ready(&mut self.unbound_proc, addr),
            "Unbound did not come back on {addr}\n{}",
            self.unbound_proc.log()
        );
    }

    /// The log files of both daemons, for a failure message.
    pub fn logs(&mut self) -> String {
        format!("{}\n{}", self.nsd_proc.log(), self.unbound_proc.log())
    }
}

/// A port that answers nothing: UDP datagrams and TCP connections are accepted
/// by the kernel and never read.
pub struct Silent {
    /// Where it listens.
    pub addr: SocketAddr,
    _udp: UdpSocket,
    _tcp: TcpListener,
}

impl Silent {
    /// Binds a UDP socket and a TCP listener on the same loopback port.
    pub fn bind() -> Self {
        for _ in 0..START_TRIES * 4 {
            let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP socket");
            let addr = udp.local_addr().expect("local address");
            if let Ok(tcp) = TcpListener::bind(addr) {
                return Silent {
                    addr,
                    _udp: udp,
                    _tcp: tcp,
                };
            }
        }
        panic!("no loopback port free for both UDP and TCP");
    }
}

/// A port that was free for UDP and TCP a moment ago (the daemon that binds it
/// next may still lose a race: the callers retry on fresh ports).
pub fn free_port() -> u16 {
    let silent = Silent::bind();
    silent.addr.port()
}

/// A daemon run in the foreground as a child of the test, stopped on drop.
pub struct Daemon {
    name: &'static str,
    program: PathBuf,
    args: Vec<std::ffi::OsString>,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    /// Starts `program -d -c conf` (NSD, Unbound: foreground), its stdout and
    /// stderr appended to the log's `.out` file.
    fn spawn(name: &'static str, program: &Path, conf: &Path, log: PathBuf) -> Self {
        Self::spawn_with(
            name,
            program,
            &["-d".as_ref(), "-c".as_ref(), conf.as_os_str()],
            log,
        )
    }

    /// Starts `program ARGS` (a daemon that stays in the foreground), its
    /// stdout and stderr appended to the log's `.out` file.
    pub fn spawn_with(
        name: &'static str,
        program: &Path,
        args: &[&std::ffi::OsStr],
        log: PathBuf,
    ) -> Self {
        let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.to_os_string()).collect();
        let child = Self::start(name, program, &args, &log);
        Daemon {
            name,
            program: program.to_path_buf(),
            args,
            child,
            log,
        }
    }

    fn start(name: &str, program: &Path, args: &[std::ffi::OsString], log: &Path) -> Child {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log.with_extension("out"))
            .expect("open the output file");
        let err = out.try_clone().expect("clone the output file");
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"))
    }

    /// SIGKILL, as in a crash, and reap it.
    fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again with the same configuration.
    fn respawn(&mut self) {
        self.child = Self::start(self.name, &self.program, &self.args, &self.log);
    }

    /// True once the process has ended.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Its log and output, with its state, for a failure message.
    pub fn log(&mut self) -> String {
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        let state = match self.child.try_wait() {
            Ok(Some(status)) => format!("exited: {status}"),
            Ok(None) => "running".to_string(),
            Err(e) => format!("unknown: {e}"),
        };
        format!(
            "--- {} ({state}) log ({}):\n{}{}",
            self.name,
            self.log.display(),
            read(&self.log),
            read(&self.log.with_extension("out"))
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.exited() {
            return;
        }
        // SIGTERM first: NSD then stops its server and xfrd processes too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `$ORIGIN` of every zone file in the suite's zone directory, with its path.
pub fn zone_files() -> Vec<(String, PathBuf)> {
    let mut zones: Vec<(String, PathBuf)> = fs::read_dir(zones_dir())
        .expect("read tests/e2e-zones/zones")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .map(|p| {
            let text = fs::read_to_string(&p).expect("read a zone file");
            let origin = text
                .lines()
                .find_map(|l| l.strip_prefix("$ORIGIN"))
                .map(|o| o.trim().to_ascii_lowercase())
                .unwrap_or_else(|| panic!("{} has no $ORIGIN", p.display()));
            (origin, p)
        })
        .collect();
    zones.sort();
    zones
}

/// Polls `server` with `name`/`qtype` until it answers with a reply accepted
/// by `ready`, the daemon exits, or [`READY_WITHIN`] has passed. A poll that
/// fails at once (ICMP port unreachable while the daemon is still loading) is
/// followed by a short pause before the next one, so the poll is bounded.
pub fn wait_ready(
    daemon: &mut Daemon,
    server: SocketAddr,
    name: &str,
    qtype: u16,
    ready: impl Fn(&dns::Reply) -> bool,
) -> bool {
    let deadline = Instant::now() + READY_WITHIN;
    while Instant::now() < deadline {
        if daemon.exited() {
            return false;
        }
        match dns::query(server, name, qtype, POLL_WAIT) {
            Ok(reply) if ready(&reply) => return true,
            Ok(_) | Err(_) => std::thread::sleep(POLL_PAUSE),
        }
    }
    false
}

fn start_nsd(bin: &Path, dir: &Path) -> (Daemon, SocketAddr) {
    let run = dir.join("nsd");
    let mut last_log = String::new();
    for _ in 0..START_TRIES {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        match spawn_nsd(bin, &run, addr, &zone_files()) {
            Ok(daemon) => return (daemon, addr),
            Err(log) => last_log = log,
        }
    }
    panic!("NSD did not come up on loopback after {START_TRIES} tries\n{last_log}");
}

/// Starts NSD on `addr` serving `zones` (origin, zone file), its
/// configuration, state and log under `run`, and waits until it answers the
/// SOA of the first zone; on failure (e.g. a lost port race) returns its log.
pub fn spawn_nsd(
    bin: &Path,
    run: &Path,
    addr: SocketAddr,
    zones: &[(String, PathBuf)],
) -> Result<Daemon, String> {
    spawn_nsd_with(bin, run, addr, zones, "", "")
}

/// [`spawn_nsd`] with `global` appended to the configuration (`key:`
/// clauses, say) and `per_zone` to each `zone:` clause (`provide-xfr: …`).
pub fn spawn_nsd_with(
    bin: &Path,
    run: &Path,
    addr: SocketAddr,
    zones: &[(String, PathBuf)],
    global: &str,
    per_zone: &str,
) -> Result<Daemon, String> {
    fs::create_dir_all(run).expect("create the NSD directory");
    let conf = run.join("nsd.conf");
    let log = run.join("nsd.log");
    let mut text = format!(
        "server:\n\
         \x20   ip-address: {ip}@{port}\n\
         \x20   do-ip6: no\n\
         \x20   server-count: 1\n\
         \x20   username: \"\"\n\
         \x20   chroot: \"\"\n\
         \x20   database: \"\"\n\
         \x20   zonelistfile: \"{run}/zone.list\"\n\
         \x20   xfrdfile: \"{run}/xfrd.state\"\n\
         \x20   xfrdir: \"{run}\"\n\
         \x20   pidfile: \"{run}/nsd.pid\"\n\
         \x20   logfile: \"{log}\"\n\
         \x20   verbosity: 1\n\
         \x20   hide-version: yes\n\
         \x20   zonefiles-write: 0\n\
         \x20   # Debian builds NSD with response rate limiting on: off for a scanner.\n\
         \x20   rrl-ratelimit: 0\n\
         \x20   rrl-whitelist-ratelimit: 0\n\
         remote-control:\n\
         \x20   control-enable: no\n",
        ip = addr.ip(),
        port = addr.port(),
        run = run.display(),
        log = log.display(),
    );
    text.push_str(global);
    for (origin, path) in zones {
        let _ = write!(
            text,
            "zone:\n    name: \"{origin}\"\n    zonefile: \"{}\"\n{per_zone}",
            path.display()
        );
    }
    fs::write(&conf, text).expect("write nsd.conf");
    check_config(bin.with_file_name("nsd-checkconf"), &conf);
    let _ = fs::remove_file(&log);
    let mut daemon = Daemon::spawn("nsd", bin, &conf, log);
    let first = zones.first().map_or(".", |(origin, _)| origin.as_str());
    if wait_ready(&mut daemon, addr, first, dns::SOA, |r| {
        r.rcode == dns::NOERROR && !r.answers.is_empty()
    }) {
        Ok(daemon)
    } else {
        Err(daemon.log())
    }
}

/// Unbound is ready when it resolves a PTR through its stub zones.
fn unbound_ready(daemon: &mut Daemon, addr: SocketAddr) -> bool {
    wait_ready(daemon, addr, "1.113.0.203.in-addr.arpa.", dns::PTR, |r| {
        r.rcode == dns::NOERROR && !r.data_of(dns::PTR).is_empty()
    })
}

fn start_unbound(
    bin: &Path,
    dir: &Path,
    nsd: SocketAddr,
    silent: SocketAddr,
) -> (Daemon, SocketAddr) {
    let run = dir.join("unbound");
    fs::create_dir_all(&run).expect("create the Unbound directory");
    let mut last_log = String::new();
    for _ in 0..START_TRIES {
        let port = free_port();
        let conf = run.join("unbound.conf");
        let log = run.join("unbound.log");
        let mut text = format!(
            "server:\n\
             \x20   interface: 127.0.0.1\n\
             \x20   port: {port}\n\
             \x20   do-ip6: no\n\
             \x20   num-threads: 1\n\
             \x20   username: \"\"\n\
             \x20   chroot: \"\"\n\
             \x20   directory: \"{run}\"\n\
             \x20   pidfile: \"{run}/unbound.pid\"\n\
             \x20   logfile: \"{log}\"\n\
             \x20   use-syslog: no\n\
             \x20   verbosity: 1\n\
             \x20   # A provider's resolver without DNSSEC: the zones are unsigned.\n\
             \x20   module-config: \"iterator\"\n\
             \x20   # The stub servers are on 127.0.0.1; send nothing anywhere else.\n\
             \x20   do-not-query-localhost: no\n\
             \x20   outgoing-interface: 127.0.0.1\n\
             \x20   access-control: 127.0.0.0/8 allow\n\
             \x20   # An audit wants what the zones say now, not a cached copy.\n\
             \x20   cache-max-ttl: 0\n\
             \x20   cache-max-negative-ttl: 0\n\
             \x20   prefetch: no\n\
             \x20   qname-minimisation: no\n\
             \x20   harden-referral-path: no\n",
            run = run.display(),
            log = log.display(),
        );
        for zone in UNBOUND_NODEFAULT {
            let _ = writeln!(text, "    local-zone: \"{zone}\" nodefault");
        }
        text.push_str("remote-control:\n    control-enable: no\n");
        let mut stub = |zone: &str, addr: SocketAddr| {
            let _ = write!(
                text,
                "stub-zone:\n    name: \"{zone}\"\n    stub-addr: {}@{}\n",
                addr.ip(),
                addr.port()
            );
        };
        // The root goes to NSD too (which answers REFUSED): whatever is not
        // one of the suite's zones fails fast and never leaves loopback.
        stub(".", nsd);
        for (origin, _) in zone_files() {
            stub(&origin, nsd);
        }
        for zone in REFUSED_ZONES {
            stub(zone, nsd);
        }
        for zone in LAME_ZONES {
            stub(zone, silent);
        }
        fs::write(&conf, text).expect("write unbound.conf");
        check_config(bin.with_file_name("unbound-checkconf"), &conf);
        let _ = fs::remove_file(&log);
        let mut daemon = Daemon::spawn("unbound", bin, &conf, log);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if unbound_ready(&mut daemon, addr) {
            return (daemon, addr);
        }
        last_log = daemon.log();
    }
    panic!(
        "Unbound did not come up on loopback after {START_TRIES} tries \
         (\"permission denied\" on its configuration usually means AppArmor \
         confines /usr/sbin/unbound: see docs/testing.md)\n{last_log}"
    );
}

/// Runs `nsd-checkconf`/`unbound-checkconf` when installed beside the daemon.
fn check_config(checker: PathBuf, conf: &Path) {
    if !checker.is_file() {
        return;
    }
    let out = Command::new(&checker)
        .arg(conf)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", checker.display()));
    assert!(
        out.status.success(),
        "{} rejected the generated {}:\n{}{}\n--- config:\n{}",
        checker.display(),
        conf.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        fs::read_to_string(conf).unwrap_or_default()
    );
}
