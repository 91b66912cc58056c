//! Zone loading: RFC 2317 labels, IPv6 nibbles, errors with file:line,
//! `$INCLUDE` confinement.

use std::fs;
use std::path::Path;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use ptr_audit_dnsserver::{ZoneError, ZoneServer, ZoneSet};

use crate::client::{answers, rcode, tcp, udp};

const SOA: &str = "@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n@ IN NS ns1.examplehost.net.\n";

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

#[test]
fn rfc2317_slash_zone_and_cname_chain_from_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2.0.192.in-addr.arpa.zone",
        &format!(
            "$TTL 300\n{SOA}\
             0/26 IN NS ns1.customer-b.example.\n\
             10 IN CNAME 10.0/26\n\
             11 IN CNAME 11.0/26.2.0.192.in-addr.arpa.\n"
        ),
    );
    write(
        dir.path(),
        "0-26.2.0.192.in-addr.arpa.zone",
        &format!(
            "$ORIGIN 0/26.2.0.192.in-addr.arpa.\n$TTL 300\n{SOA}\
             10 IN PTR mx.customer-b.example.\n"
        ),
    );
    let zones = ZoneSet::load_dir(dir.path()).unwrap();
    assert_eq!(
        zones.origins(),
        ["0/26.2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa."]
    );
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(
        server.addr(),
        "10.0/26.2.0.192.in-addr.arpa.",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(answers(&r), ["PTR mx.customer-b.example."]);
    // The parent answers the CNAME; the child zone is another zone, so the
    // server does not chase it (a resolver does).
    // (hickory adds the delegation's NS after it.)
    let r = udp(server.addr(), "10.2.0.192.in-addr.arpa.", RecordType::PTR).unwrap();
    assert_eq!(answers(&r)[0], "CNAME 10.0/26.2.0.192.in-addr.arpa.");
    // A CNAME into the child zone that leads nowhere.
    let r = tcp(
        server.addr(),
        "11.0/26.2.0.192.in-addr.arpa.",
        RecordType::PTR,
    )
    .unwrap();
    assert_eq!(rcode(&r), ResponseCode::NXDomain);
}

#[test]
fn ipv6_nibble_zone_answers() {
    let zones = ZoneSet::from_text(
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        &format!("{SOA}1.0 IN PTR v6-1.fra1.examplehost.net.\n"),
    )
    .unwrap();
    let server = ZoneServer::spawn(zones).unwrap();
    let name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
    let r = udp(server.addr(), name, RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR v6-1.fra1.examplehost.net."]);
}

#[test]
fn odd_but_valid_syntax_is_read() {
    let text = "\
$TTL 1h ; units
@ IN SOA ns1.examplehost.net. hostmaster.examplehost.net. (
        1   ; serial
        1h 10m 1d 5m )
    IN NS ns1.examplehost.net.
5 600 IN PTR mail_5.examplehost.net. ; underscore kept
6 IN 600 PTR mailhost.
7 PTR a\\.b.example.
8 IN TXT \"quoted ; not a comment\" plain
9 IN SRV 0 5 25 mail.examplehost.net.
";
    let zones = ZoneSet::from_text("113.0.203.in-addr.arpa", text).unwrap();
    assert_eq!(zones.record_count(), 7);
    let server = ZoneServer::spawn(zones).unwrap();
    let r = udp(server.addr(), "5.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mail_5.examplehost.net."]);
    assert_eq!(r.answers[0].ttl, 600);
    let r = udp(server.addr(), "6.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(answers(&r), ["PTR mailhost."]);
    let r = udp(server.addr(), "7.113.0.203.in-addr.arpa", RecordType::PTR).unwrap();
    assert_eq!(r.answers.len(), 1);
    let r = udp(server.addr(), "9.113.0.203.in-addr.arpa", RecordType::SRV).unwrap();
    assert_eq!(r.answers.len(), 1);
}

fn syntax_error(err: ZoneError) -> (String, usize, String) {
    match err {
        ZoneError::Syntax {
            path,
            line,
            message,
        } => (path.display().to_string(), line, message),
        other => panic!("expected a syntax error, got {other}"),
    }
}

#[test]
fn bad_zone_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "113.0.203.in-addr.arpa.zone",
        &format!("$TTL 300\n{SOA}5 IN PTR ok.example.\n\n6 IN A 300.1.2.3\n"),
    );
    let err = ZoneSet::load_dir(dir.path()).unwrap_err();
    let shown = err.to_string();
    let (path, line, message) = syntax_error(err);
    assert!(path.ends_with("113.0.203.in-addr.arpa.zone"), "{path}");
    assert_eq!(line, 6);
    assert!(message.contains("300.1.2.3"), "{message}");
    assert!(shown.contains("113.0.203.in-addr.arpa.zone:6:"), "{shown}");
}

#[test]
fn each_kind_of_syntax_error_has_its_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("5 IN PTR a..b.\n", 3, "empty label"),
        ("5 IN PTR\n", 3, "PTR takes 1 field"),
        ("5 CH TXT x\n", 3, "class"),
        ("\n\n5 IN PTR ( a.example.\n", 5, "never closed"),
        ("5 IN TXT \"open\n", 3, "unterminated"),
        ("$GENERATE 10-1 $ PTR x.\n", 3, "starts after it stops"),
        (
            "\n$GENERATE 0-65536 $ PTR x.\n",
            4,
            "at most 65536 per line",
        ),
        ("$GENERATE 1-2 ${0,3,q} PTR x.\n", 3, "modifier"),
        ("$GENERATE 1-2 $ PTR x$..y.\n", 3, "empty label"),
        ("$GENERATE 1-2 $ MX 10 x.\n", 3, "quote RDATA"),
        (
            "$GENERATE 1-2 $ A 192.0.2.${254}\n",
            3,
            "bad IPv4 address `192.0.2.256`",
        ),
        ("5 IN A 192.0.2.1 ; fine\n  IN AAAA nope\n", 4, "IPv6"),
        ("5 IN CNAME x.\n5 IN PTR y.\n", 4, "CNAME must stand alone"),
        ("5 IN PTR y.\n5 IN CNAME x.\n", 4, "CNAME must stand alone"),
        ("@ IN SOA a. b. 2 1 1 1 1\n", 3, "second SOA"),
        ("5 IN SOA a. b. 2 1 1 1 1\n", 3, "second SOA"),
    ];
    for (body, line, needle) in cases {
        let err =
            ZoneSet::from_text("113.0.203.in-addr.arpa", &format!("{SOA}{body}")).unwrap_err();
        let (_, got_line, message) = syntax_error(err);
        assert_eq!(got_line, *line, "{body:?}: {message}");
        assert!(message.contains(needle), "{body:?}: {message}");
    }
}

#[test]
fn zone_without_soa_and_duplicate_zones_are_refused() {
    let err = ZoneSet::from_text("113.0.203.in-addr.arpa", "5 IN PTR a.example.\n").unwrap_err();
    assert!(matches!(err, ZoneError::MissingSoa { .. }), "{err}");
    let mut set = ZoneSet::from_text("113.0.203.in-addr.arpa", SOA).unwrap();
    let err = set.add_text("113.0.203.IN-ADDR.ARPA.", SOA).unwrap_err();
    assert!(matches!(err, ZoneError::DuplicateZone { .. }), "{err}");
}

/// A directory with a secret outside it and a zones directory inside.
struct Sandbox {
    _top: tempfile::TempDir,
    zones: std::path::PathBuf,
    secret: std::path::PathBuf,
}

const SECRET: &str = "root:SECRET-CONTENT-42:0:0\n";

fn sandbox() -> Sandbox {
    let top = tempfile::tempdir().unwrap();
    let zones = top.path().join("zones");
    fs::create_dir(&zones).unwrap();
    let secret = top.path().join("secret.txt");
    fs::write(&secret, SECRET).unwrap();
    Sandbox {
        _top: top,
        zones,
        secret,
    }
}

fn include_zone(sb: &Sandbox, include: &str) -> ZoneError {
    write(
        &sb.zones,
        "113.0.203.in-addr.arpa.zone",
        &format!("$TTL 300\n{SOA}$INCLUDE {include}\n"),
    );
    let err = ZoneSet::load_dir(&sb.zones).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRET-CONTENT"), "secret leaked: {shown}");
    err
}

#[test]
fn include_inside_the_directory_works() {
    let sb = sandbox();
    fs::create_dir(sb.zones.join("inc")).unwrap();
    write(
        &sb.zones,
        "inc/hosts.inc",
        "5 IN PTR mail5.fra1.examplehost.net.\n",
    );
    write(
        &sb.zones,
        "113.0.203.in-addr.arpa.zone",
        &format!("$TTL 300\n{SOA}$INCLUDE inc/hosts.inc\n6 IN PTR mail6.fra1.examplehost.net.\n"),
    );
    let zones = ZoneSet::load_dir(&sb.zones).unwrap();
    assert_eq!(zones.record_count(), 4);
}

#[test]
fn include_of_an_absolute_path_outside_is_refused() {
    let sb = sandbox();
    let err = include_zone(&sb, sb.secret.to_str().unwrap());
    assert!(
        matches!(err, ZoneError::IncludeRefused { line: 4, .. }),
        "{err}"
    );
    let err = include_zone(&sb, "/etc/passwd");
    assert!(matches!(err, ZoneError::IncludeRefused { .. }), "{err}");
}

#[test]
fn include_with_dotdot_is_refused() {
    let sb = sandbox();
    let err = include_zone(&sb, "../secret.txt");
    assert!(
        matches!(err, ZoneError::IncludeRefused { line: 4, .. }),
        "{err}"
    );
    let err = include_zone(&sb, "sub/../../secret.txt");
    assert!(matches!(err, ZoneError::IncludeRefused { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn include_through_a_symlink_out_is_refused() {
    let sb = sandbox();
    std::os::unix::fs::symlink(&sb.secret, sb.zones.join("innocent.inc")).unwrap();
    let err = include_zone(&sb, "innocent.inc");
    assert!(matches!(err, ZoneError::IncludeRefused { .. }), "{err}");
    // A symlinked directory leading out is caught the same way.
    std::os::unix::fs::symlink(sb.secret.parent().unwrap(), sb.zones.join("up")).unwrap();
    let err = include_zone(&sb, "up/secret.txt");
    assert!(matches!(err, ZoneError::IncludeRefused { .. }), "{err}");
}

#[cfg(unix)]
#[test]
fn zone_file_symlinked_out_of_the_directory_is_refused() {
    let sb = sandbox();
    std::os::unix::fs::symlink(&sb.secret, sb.zones.join("evil.zone")).unwrap();
    let err = ZoneSet::load_dir(&sb.zones).unwrap_err();
    assert!(matches!(err, ZoneError::OutsideDirectory { .. }), "{err}");
    assert!(!format!("{err:?}").contains("SECRET-CONTENT"));
}

#[test]
fn include_in_zones_from_text_is_refused() {
    let err = ZoneSet::from_text("113.0.203.in-addr.arpa", &format!("{SOA}$INCLUDE x.inc\n"))
        .unwrap_err();
    assert!(
        matches!(err, ZoneError::IncludeRefused { line: 3, .. }),
        "{err}"
    );
}

#[test]
fn include_loop_is_stopped() {
    let sb = sandbox();
    write(&sb.zones, "loop.inc", "$INCLUDE loop.inc\n");
    let err = include_zone(&sb, "loop.inc");
    assert!(matches!(err, ZoneError::IncludeRefused { .. }), "{err}");
}

#[test]
fn bad_line_in_an_included_file_names_that_file() {
    let sb = sandbox();
    write(
        &sb.zones,
        "hosts.inc",
        "5 IN PTR fine.example.\n6 IN PTR bad..example.\n",
    );
    let err = include_zone(&sb, "hosts.inc");
    let (path, line, _) = syntax_error(err);
    assert!(path.ends_with("hosts.inc"), "{path}");
    assert_eq!(line, 2);
}

#[test]
fn crlf_relative_origin_and_include_with_origin() {
    let sb = sandbox();
    write(
        &sb.zones,
        "v4.inc",
        "5 IN PTR mail5.fra1.examplehost.net.\r\n",
    );
    write(
        &sb.zones,
        "0.203.in-addr.arpa.zone",
        &format!(
            "$TTL 300\r\n{}$ORIGIN 113\r\n6 IN PTR mail6.fra1.examplehost.net.\r\n\
             $INCLUDE v4.inc 114.0.203.in-addr.arpa.\r\n\
             7 IN PTR mail7.fra1.examplehost.net.\r\n",
            SOA.replace('\n', "\r\n")
        ),
    );
    let zones = ZoneSet::load_dir(&sb.zones).unwrap();
    assert_eq!(zones.origins(), ["0.203.in-addr.arpa."]);
    let server = ZoneServer::spawn(zones).unwrap();
    let ptr = |name: &str| answers(&udp(server.addr(), name, RecordType::PTR).unwrap());
    assert_eq!(
        ptr("6.113.0.203.in-addr.arpa."),
        ["PTR mail6.fra1.examplehost.net."]
    );
    // The include had its own origin...
    assert_eq!(
        ptr("5.114.0.203.in-addr.arpa."),
        ["PTR mail5.fra1.examplehost.net."]
    );
    // ...and the including file's origin is back after it.
    assert_eq!(
        ptr("7.113.0.203.in-addr.arpa."),
        ["PTR mail7.fra1.examplehost.net."]
    );
}
