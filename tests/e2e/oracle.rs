//! The receiver matrix's filters against the real ones: every name of the
//! corpus (`tests/corpus/names.tsv`) goes to a real SpamAssassin, loaded once
//! in one Perl process through `Mail::SpamAssassin` (local tests only, a
//! message whose last external relay is the address with that name), and to
//! a real rspamd started on loopback with a throw-away configuration (its
//! HTTP `checkv2` interface with the sender's address and host name, a fixed
//! HELO, and a resolver that answers nothing). The rules each fires are
//! compared with `classify::receivers::{spamassassin, rspamd}`; agreement
//! must reach 99 % of the rows for each, and every disagreement must be
//! listed, with its explanation, in `tests/corpus/oracle-disagreements.tsv`
//! (a listed row that agrees again fails too, so the file stays true).
//!
//! Cost (2 shared cores, debug build): SpamAssassin ~3 s to load plus
//! ~0.2 s per row, ~3.5 minutes for the corpus, bounded at 15 minutes;
//! rspamd ~40 s to start (bounded at 5 minutes) plus ~30 s for the corpus,
//! 16 rows at a time (each waits out its HELO lookup's DNS timeout). The two
//! tests run side by side inside `cargo test --workspace`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ptr_audit_classify::receivers::{rspamd, spamassassin};

use crate::servers::{self, Daemon, Silent};

/// The corpus rows the comparison needs at least.
const MIN_ROWS: usize = 1000;
/// The agreement each filter must reach, in percent of the rows.
const BAR: f64 = 99.0;
/// The HELO every message is sent with (matches none of hfilter's HELO words).
const HELO: &str = "mta.oracle.test";
/// rspamd requests in flight at once.
const PARALLEL: usize = 16;
/// How long rspamd may take to answer its first ping.
const RSPAMD_READY_WITHIN: Duration = Duration::from_secs(300);
/// How long the SpamAssassin run may take in all (`timeout(1)` ends it then):
/// about 4 minutes for 1,026 rows on a loaded 2-core machine.
const SPAMASSASSIN_WITHIN_SECS: u32 = 900;

/// One corpus row sent to the filters (`name` empty: no reverse name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    ip: String,
    name: String,
}

fn corpus_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/names.tsv")
}

fn disagreements_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/oracle-disagreements.tsv")
}

/// A name both filters can be given as is: printable ASCII without the bytes
/// that end a `Received:` comment or an HTTP header value.
fn transportable(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()[];\\\"".contains(&b))
}

/// The corpus rows (names without their trailing dot), the rows that cannot
/// be transported, and one row without a name.
fn rows() -> (Vec<Row>, Vec<Row>) {
    let text = fs::read_to_string(corpus_path()).expect("read the corpus");
    let mut rows = vec![Row {
        ip: "203.0.113.200".into(),
        name: String::new(),
    }];
    let mut skipped = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let row = Row {
            ip: f[0].to_owned(),
            name: f[1].strip_suffix('.').unwrap_or(f[1]).to_owned(),
        };
        if transportable(&row.name) {
            rows.push(row);
        } else {
            skipped.push(row);
        }
    }
    rows.sort();
    rows.dedup();
    (rows, skipped)
}

/// The explained disagreements: `(filter, ip, name)` → explanation.
fn explained() -> BTreeMap<(String, String, String), String> {
    let text = fs::read_to_string(disagreements_path()).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            f.len() == 6 && !f[5].trim().is_empty(),
            "{}:{}: want filter, ip, name, ours, theirs, explanation",
            disagreements_path().display(),
            i + 1
        );
        out.insert(
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned()),
            f[5].to_owned(),
        );
    }
    out
}

/// Compares `ours` and `theirs` per row, prints the figures and every
/// disagreement, and checks the bar and the explanations file.
fn judge(
    filter: &str,
    rows: &[Row],
    ours: impl Fn(&Row) -> BTreeSet<String>,
    theirs: &BTreeMap<Row, BTreeSet<String>>,
) {
    let explained = explained();
    let mut agree = 0;
    let mut fired = 0;
    let mut report = String::new();
    let mut unexplained = Vec::new();
    let mut seen = BTreeSet::new();
    for row in rows {
        let mine = ours(row);
        let Some(real) = theirs.get(row) else {
            panic!("{filter} gave no answer for {row:?}");
        };
        fired += usize::from(!real.is_empty());
        if &mine == real {
            agree += 1;
            continue;
        }
        let key = (filter.to_owned(), row.ip.clone(), row.name.clone());
        let why = explained.get(&key);
        seen.insert(key);
        let _ = writeln!(
            report,
            "  {filter}\t{}\t{}\tours: {}\t{filter}: {}\t{}",
            row.ip,
            row.name,
            join(&mine),
            join(real),
            why.map_or("UNEXPLAINED", String::as_str)
        );
        if why.is_none() {
            unexplained.push(format!(
                "{filter}\t{}\t{}\t{}\t{}\t<why>",
                row.ip,
                row.name,
                join(&mine),
                join(real)
            ));
        }
    }
    let pct = 100.0 * agree as f64 / rows.len() as f64;
    say(&format!(
        "{filter}: {agree}/{} rows agree ({pct:.2} %; the real one fired a compared rule on {fired}), {} disagree:\n{report}",
        rows.len(),
        rows.len() - agree
    ));
    assert!(
        fired > 0,
        "{filter} fired no compared rule at all: is it configured?"
    );
    let stale: Vec<_> = explained
        .keys()
        .filter(|k| k.0 == filter && !seen.contains(*k))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{filter}: disagreements not explained in {}:\n{}",
        disagreements_path().display(),
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "{filter}: rows of {} that agree now (remove them): {stale:?}",
        disagreements_path().display()
    );
    assert!(
        pct >= BAR,
        "{filter}: agreement {pct:.2} % is below {BAR} %"
    );
}

/// Written to the stderr handle itself, which the test harness does not
/// capture: the figures show in every run, passing or not.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "oracle: {text}");
}

fn join(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "-".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

// ---------------------------------------------------------------------------
// SpamAssassin

/// The Perl driver: loads SpamAssassin once, then reads `IP<TAB>NAME` lines
/// and answers `IP<TAB>NAME<TAB>RULES<TAB>SUBRULES` for each.
const SA_DRIVER: &str = r#"
use strict; use warnings;
use Mail::SpamAssassin;
my $dir = shift;
my $sa = Mail::SpamAssassin->new({
  rules_filename => '/usr/share/spamassassin',
  site_rules_filename => $dir,
  userprefs_filename => "$dir/user_prefs",
  local_tests_only => 1, dont_copy_prefs => 1, home_dir_for_helpers => $dir,
});
$sa->compile_now(0);
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($ip, $name) = split /\t/, $line, 2;
  $name = '' unless defined $name;
  my $host = $name eq '' ? 'unknown' : $name;
  my $msg = "Received: from HELO ($host [$ip])\n\tby mx.oracle.test (Postfix) with ESMTP id 4DQ1Z2abcd\n\tfor <user\@oracle.test>; Fri, 04 Dec 2026 18:00:00 +0000 (UTC)\nFrom: sender\@oracle.test\nTo: user\@oracle.test\nSubject: oracle\nMessage-ID: <oracle\@oracle.test>\nDate: Fri, 04 Dec 2026 18:00:00 +0000\n\nhello\n";
  my $m = $sa->parse($msg);
  my $st = $sa->check($m);
  print join("\t", $ip, $name, $st->get_names_of_tests_hit(), $st->get_names_of_subtests_hit()), "\n";
  $st->finish; $m->finish;
}
"#;

/// The configuration: the only trusted relay is the receiving host itself,
/// no Bayes, no auto-welcomelist (nothing learns between rows).
const SA_LOCAL_CF: &str = "clear_trusted_networks\nclear_internal_networks\n\
use_bayes 0\nbayes_auto_learn 0\nuse_auto_whitelist 0\n";

/// SpamAssassin's `RDNS_*` rules for every row.
fn spamassassin_rules(rows: &[Row]) -> BTreeMap<Row, BTreeSet<String>> {
    let dir = tempfile::Builder::new()
        .prefix("ptr-audit-oracle-sa-")
        .tempdir()
        .expect("create the temporary directory");
    // Debian's plugin loader files, read where they are installed.
    for entry in fs::read_dir("/etc/spamassassin").expect("read /etc/spamassassin") {
        let path = entry.expect("list /etc/spamassassin").path();
        if path.extension().is_some_and(|e| e == "pre") {
            std::os::unix::fs::symlink(&path, dir.path().join(path.file_name().unwrap()))
                .expect("link a .pre file");
        }
    }
    fs::write(dir.path().join("local.cf"), SA_LOCAL_CF).expect("write local.cf");
    fs::write(dir.path().join("user_prefs"), "").expect("write user_prefs");
    let script = dir.path().join("driver.pl");
    fs::write(&script, SA_DRIVER.replace("HELO", HELO)).expect("write the driver");
    let mut child = Command::new("timeout")
        .arg(SPAMASSASSIN_WITHIN_SECS.to_string())
        .arg("perl")
        .arg(&script)
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start perl");
    let mut input = String::new();
    for r in rows {
        let _ = writeln!(input, "{}\t{}", r.ip, r.name);
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .expect("run the SpamAssassin driver");
    writer
        .join()
        .unwrap()
        .expect("feed the SpamAssassin driver");
    assert!(
        out.status.success(),
        "SpamAssassin driver failed ({}; exit 124 is the {SPAMASSASSIN_WITHIN_SECS} s bound): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("driver output is UTF-8");
    let mut answers = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let rules: BTreeSet<String> = f
            .get(2)
            .unwrap_or(&"")
            .split(',')
            .filter(|r| r.starts_with("RDNS_"))
            .map(str::to_owned)
            .collect();
        answers.insert(
            Row {
                ip: f[0].to_owned(),
                name: f[1].to_owned(),
            },
            rules,
        );
    }
    answers
}

#[test]
fn spamassassin_agrees_with_the_real_one() {
    let Some(_) = servers::binaries_or_skip("oracle spamassassin", &["spamassassin", "perl"])
    else {
        return;
    };
    let (rows, skipped) = rows();
    assert!(rows.len() >= MIN_ROWS, "only {} corpus rows", rows.len());
    say(&format!(
        "{} rows; {} not transportable in a Received: header or an HTTP header: {:?}",
        rows.len(),
        skipped.len(),
        skipped.iter().map(|r| &r.name).collect::<Vec<_>>()
    ));
    let started = Instant::now();
    let theirs = spamassassin_rules(&rows);
    say(&format!(
        "spamassassin: {} rows in {:.1?} (one perl process)",
        rows.len(),
        started.elapsed()
    ));
    judge(
        "spamassassin",
        &rows,
        |r| {
            let name = (!r.name.is_empty()).then_some(r.name.as_str());
            let ip = r.ip.parse().expect("corpus address");
            spamassassin::rdns_rules(ip, name)
                .0
                .into_iter()
                .map(str::to_owned)
                .collect()
        },
        &theirs,
    );
}

// ---------------------------------------------------------------------------
// rspamd

/// Modules that are switched off: they would only look for remote servers
/// (fuzzy storage, updates, map downloads) or add symbols unrelated to the
/// sender's host name. hfilter and once_received stay as Debian ships them.
const RSPAMD_OFF: &[&str] = &[
    "fuzzy_check",
    "rspamd_update",
    "multimap",
    "phishing",
    "whitelist",
    "rbl",
    "url_redirector",
    "reputation",
    "neural",
    "ratelimit",
    "replies",
    "greylist",
    "asn",
    "dmarc",
    "spf",
    "dkim",
    "arc",
    "mid",
    "mime_types",
    "emails",
    "dkim_signing",
    "arc_signing",
    "history_redis",
    "clickhouse",
    "elastic",
    "metadata_exporter",
    "external_services",
    "antivirus",
    "bayes_expiry",
];

/// A running rspamd, stopped on drop (the daemon first, then the resolver
/// that answers nothing, then its directory).
struct Rspamd {
    normal: SocketAddr,
    proc: Daemon,
    _resolver: Silent,
    _dir: tempfile::TempDir,
}

impl Rspamd {
    fn start(bin: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ptr-audit-oracle-rspamd-")
            .tempdir()
            .expect("create the temporary directory");
        let d = dir.path();
        fs::create_dir_all(d.join("local.d")).unwrap();
        fs::create_dir_all(d.join("override.d")).unwrap();
        let resolver = Silent::bind();
        let ports: Vec<u16> = (0..4).map(|_| servers::free_port()).collect();
        let normal = SocketAddr::from(([127, 0, 0, 1], ports[0]));
        let workers = [
            ("worker-normal.inc", ports[0], 1),
            ("worker-controller.inc", ports[1], 1),
            ("worker-proxy.inc", ports[2], 1),
            ("worker-fuzzy.inc", ports[3], 0),
        ];
        for (file, port, count) in workers {
            fs::write(
                d.join("override.d").join(file),
                format!("bind_socket = \"127.0.0.1:{port}\";\ncount = {count};\n"),
            )
            .unwrap();
        }
        fs::write(
            d.join("override.d/logging.inc"),
            format!(
                "type = \"file\";\nfilename = \"{}\";\nlevel = \"error\";\n",
                d.join("rspamd.log").display()
            ),
        )
        .unwrap();
        fs::write(
            d.join("override.d/options.inc"),
            format!(
                "dns {{\n  nameserver = [\"{}\"];\n  timeout = 0.2s;\n  retransmits = 1;\n}}\n",
                resolver.addr
            ),
        )
        .unwrap();
        for module in RSPAMD_OFF {
            fs::write(
                d.join("override.d").join(format!("{module}.conf")),
                "enabled = false;\n",
            )
            .unwrap();
        }
        let var = |k: &str| vec!["--var".into(), format!("{k}={}", d.display()).into()];
        let mut args: Vec<std::ffi::OsString> = vec![
            "-f".into(),
            "-i".into(),
            "-c".into(),
            "/etc/rspamd/rspamd.conf".into(),
        ];
        for k in ["LOCAL_CONFDIR", "RUNDIR", "DBDIR", "LOGDIR"] {
            args.extend(var(k));
        }
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let proc = Daemon::spawn_with("rspamd", bin, &args, d.join("rspamd.log"));
        let mut me = Rspamd {
            normal,
            proc,
            _resolver: resolver,
            _dir: dir,
        };
        me.wait_ready();
        me
    }

    /// Polls `/ping` until it answers; fails when rspamd exits or takes too long.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + RSPAMD_READY_WITHIN;
        loop {
            if let Ok(body) = http(self.normal, "GET", "/ping", &[], b"")
                && body.contains("pong")
            {
                return;
            }
            assert!(
                !self.proc.exited() && Instant::now() < deadline,
                "rspamd did not answer on {}\n{}",
                self.normal,
                self.proc.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `HFILTER_HOSTNAME_*` and `RDNS_NONE` symbols for one row.
    fn rules(&self, row: &Row) -> BTreeSet<String> {
        let mut headers = vec![("IP", row.ip.as_str()), ("Helo", HELO)];
        if !row.name.is_empty() {
            headers.push(("Hostname", row.name.as_str()));
        }
        let msg =
            b"From: sender@oracle.test\r\nTo: user@oracle.test\r\nSubject: oracle\r\n\r\nhello\r\n";
        let body = http(self.normal, "POST", "/checkv2", &headers, msg)
            .unwrap_or_else(|e| panic!("rspamd on {}: {e}", self.normal));
        let v: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("rspamd answered {body:?}: {e}"));
        v["symbols"]
            .as_object()
            .unwrap_or_else(|| panic!("no symbols in {body}"))
            .keys()
            .filter(|k| k.starts_with("HFILTER_HOSTNAME_") || *k == "RDNS_NONE")
            .cloned()
            .collect()
    }
}

/// One HTTP/1.0 request; the body of the answer.
fn http(
    to: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.0\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Err(std::io::Error::other(format!("no HTTP answer: {text:?}")));
    };
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(std::io::Error::other(format!("HTTP error: {head}")));
    }
    Ok(body.to_owned())
}

#[test]
fn rspamd_agrees_with_the_real_one() {
    let Some(bins) = servers::binaries_or_skip("oracle rspamd", &["rspamd"]) else {
        return;
    };
    let (rows, _) = rows();
    assert!(rows.len() >= MIN_ROWS, "only {} corpus rows", rows.len());
    let started = Instant::now();
    let server = Rspamd::start(&bins[0]);
    say(&format!("rspamd: ready in {:.1?}", started.elapsed()));
    let started = Instant::now();
    let answers = Mutex::new(BTreeMap::new());
    let next = Mutex::new(rows.iter());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let Some(row) = next.lock().unwrap().next() else {
                        return;
                    };
                    let rules = server.rules(row);
                    answers.lock().unwrap().insert(row.clone(), rules);
                }
            });
        }
    });
    say(&format!(
        "rspamd: {} rows in {:.1?} ({PARALLEL} at a time)",
        rows.len(),
        started.elapsed()
    ));
    let theirs = answers.into_inner().unwrap();
    judge(
        "rspamd",
        &rows,
        |r| {
            if r.name.is_empty() {
                // No host name given: hfilter says the host is unknown, and
                // once_received's own PTR lookup comes back empty (here: the
                // resolver never answers), as for an address without PTR.
                return BTreeSet::from([
                    "HFILTER_HOSTNAME_UNKNOWN".to_owned(),
                    "RDNS_NONE".to_owned(),
                ]);
            }
            rspamd::hostname_weight(&r.name)
                .map(|w| rspamd::symbol(w).to_owned())
                .into_iter()
                .collect()
        },
        &theirs,
    );
}
