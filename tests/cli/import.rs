//! `ptr-audit import netbox` against the loopback NetBox API of
//! `netbox_api.rs` (shapes of NetBox 4.1 and 4.2+): a few hundred prefixes
//! and addresses over several pages, nested prefixes, IPv4 and IPv6, VRFs,
//! missing and hostile `dns_name`s; the inventory validates and scans;
//! `--check` reports server-side edits; errors; TLS; proxies; tokens.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Output;

use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
use serde_json::{Value, json};

use crate::assert_exit;
use crate::netbox_api::{Address, Canned, Data, Prefix, Scope, Server, Version, tls_config};
use crate::ptr_audit_process as ptr_audit;

const TOKEN: &str = "0123456789abcdef0123456789abcdefdeadbeef";
const SITES: [&str; 3] = ["fra1", "ams3", "nyc2"];
const HOSTILE: [&str; 4] = [
    "\u{1b}[31mevil.example.net",
    "<script>alert(1)</script>.example.net",
    "=cmd|' /C calc'!A0",
    "bad name,with comma.example.net",
];
/// Leaf /29s in 10.64.0.0/16.
const LEAVES: u32 = 300;

fn prefix(id: u64, cidr: &str, scope: Option<Scope>, status: &'static str) -> Prefix {
    Prefix {
        id,
        prefix: cidr.into(),
        vrf: None,
        scope,
        tenant: None,
        status,
        role: None,
        tags: Vec::new(),
        custom_fields: json!({"ptr_policy": null}),
        description: String::new(),
    }
}

fn address(id: u64, address: String, status: &'static str, dns_name: &str) -> Address {
    Address {
        id,
        address,
        vrf: None,
        status,
        dns_name: dns_name.into(),
    }
}

fn leaf(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 64, 0, 0)) + i * 8)
}

/// The site (index into SITES) of leaf `i`; every fourth is scoped to a location of fra1.
fn leaf_site(i: u32) -> usize {
    match i % 4 {
        3 => 0,
        n => n as usize,
    }
}

/// A provider's NetBox: containers, 300 leaf /29s over three sites (one via
/// a location), a /24 with two /26s inside, IPv6 /64s and a /56, a VRF
/// repeating a global prefix, a prefix without a site; 918 IP addresses.
fn provider() -> Data {
    let mut d = Data {
        sites: vec![
            (1, "fra1", Some(1)),
            (2, "ams3", Some(2)),
            (3, "nyc2", None),
        ],
        regions: vec![(1, "eu-central"), (2, "eu-west")],
        locations: vec![(1, "fra1-hall2", 1)],
        vrfs: vec![(1, "mgmt", Some("65000:1"))],
        tenants: vec![(1, "acme"), (2, "other")],
        roles: vec![(1, "infra")],
        ..Data::default()
    };
    d.prefixes
        .push(prefix(1, "10.64.0.0/16", Some(Scope::Site(1)), "container"));
    d.prefixes
        .push(prefix(2, "2001:db8::/32", None, "container"));
    let mut next_address = 1000;
    for i in 0..LEAVES {
        let net = leaf(i);
        let scope = if i % 4 == 3 {
            Scope::Location(1)
        } else {
            Scope::Site(leaf_site(i) as u64 + 1)
        };
        let status = match i % 20 {
            7 => "reserved",
            13 => "deprecated",
            _ => "active",
        };
        let mut p = prefix(10 + u64::from(i), &format!("{net}/29"), Some(scope), status);
        p.tenant = Some(1 + u64::from(i % 2));
        if i % 10 == 3 {
            p.tags = vec!["mail-outbound", "customer"];
        }
        if i % 25 == 5 {
            p.role = Some(1);
        }
        if i % 30 == 11 {
            p.custom_fields = json!({"ptr_policy": "mail"});
        }
        p.description = if i == 17 {
            "\u{1b}]0;pwned\u{7}<b>rack</b> =cmd|' /C calc'!A0".into()
        } else if i % 3 == 0 {
            format!("rack {i}")
        } else {
            String::new()
        };
        d.prefixes.push(p);
        let host = |k: u32| Ipv4Addr::from(u32::from(net) + k);
        let site = SITES[leaf_site(i)];
        d.addresses.push(address(
            next_address,
            format!("{}/29", host(1)),
            "active",
            &format!("h{i}.{site}.example.net"),
        ));
        d.addresses.push(address(
            next_address + 1,
            format!("{}/29", host(2)),
            "dhcp",
            &format!("dyn{i}.example.net"),
        ));
        d.addresses.push(address(
            next_address + 2,
            format!("{}/29", host(3)),
            "active",
            "",
        ));
        if i % 50 == 9 {
            let hostile = HOSTILE[(i / 50) as usize % HOSTILE.len()];
            d.addresses.push(address(
                next_address + 3,
                format!("{}/29", host(4)),
                "active",
                hostile,
            ));
        }
        next_address += 4;
    }
    // A /24 used as a prefix, with two /26s inside: the /26s are the blocks.
    d.prefixes
        .push(prefix(300, "10.65.0.0/24", Some(Scope::Site(2)), "active"));
    d.prefixes
        .push(prefix(301, "10.65.0.0/26", Some(Scope::Site(2)), "active"));
    d.prefixes
        .push(prefix(302, "10.65.0.64/26", Some(Scope::Site(2)), "active"));
    d.addresses.push(address(
        310,
        "10.65.0.70/26".into(),
        "active",
        "web.ams3.example.net.",
    ));
    // IPv6.
    for k in 1..=4u64 {
        d.prefixes.push(prefix(
            400 + k,
            &format!("2001:db8:{k}::/64"),
            Some(Scope::Site(1 + k % 2)),
            "active",
        ));
        d.addresses.push(address(
            410 + k,
            format!("2001:db8:{k}::1/64"),
            "active",
            &format!("v6-{k}.example.net"),
        ));
        d.addresses.push(address(
            420 + k,
            format!("2001:db8:{k}::abcd/64"),
            "slaac",
            "",
        ));
    }
    d.prefixes.push(prefix(
        405,
        "2001:db8:100::/56",
        Some(Scope::Site(2)),
        "active",
    ));
    // A VRF that repeats a global prefix, and one of its own.
    let mut dup = prefix(500, "10.64.0.0/29", Some(Scope::Site(1)), "active");
    dup.vrf = Some(1);
    d.prefixes.push(dup);
    let mut own = prefix(501, "10.99.0.0/28", Some(Scope::Site(1)), "active");
    own.vrf = Some(1);
    d.prefixes.push(own);
    let mut a = address(510, "10.99.0.1/28".into(), "active", "mgmt1.example.net");
    a.vrf = Some(1);
    d.addresses.push(a);
    // No site.
    d.prefixes.push(prefix(600, "192.0.2.0/28", None, "active"));
    d.addresses.push(address(
        610,
        "192.0.2.5/28".into(),
        "active",
        "mx.customer.example",
    ));
    // Outside every prefix.
    d.addresses.push(address(
        620,
        "172.16.5.5/24".into(),
        "active",
        "lost.example.net",
    ));
    d
}

const MAPPING: [&str; 4] = [
    "--vrf",
    "global",
    "--policy-from",
    "tag:mail-outbound=mail,role:infra=reserved,cf:ptr_policy",
];

fn token_file(dir: &Path, token: &str) -> String {
    let path = dir.join("netbox.token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path.display().to_string()
}

fn import(url: &str, token: &str, extra: &[&str]) -> Output {
    ptr_audit()
        .args(["import", "netbox", "--url", url, "--token-file", token])
        .args(extra)
        .env_remove("ALL_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The inventory without its first line (which names the server's port).
fn body(yaml: &[u8]) -> String {
    let t = text(yaml);
    t.split_once('\n')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default()
}

/// Asserts the exit code and a phrase of stderr.
fn says(out: &Output, code: i32, phrase: &str) {
    assert_exit(out, code);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(phrase), "`{phrase}` not in:\n{stderr}");
}

/// The provider's NetBox on loopback, taking the v1 token.
fn netbox(version: Version) -> Server {
    Server::spawn(provider(), version, &format!("Token {TOKEN}"), None)
}

fn validate_json(path: &Path) -> Value {
    let out = ptr_audit()
        .args(["validate", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn no_secret(out: &Output, secret: &str) {
    assert!(
        !text(&out.stdout).contains(secret) && !text(&out.stderr).contains(secret),
        "the token was printed"
    );
}

#[test]
fn a_netbox_4_2_export_imports_into_an_inventory_that_validates_and_scans() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let server = netbox(Version::V4_2);
    let out = import(&server.url(), &token, &MAPPING);
    assert_exit(&out, 0);
    no_secret(&out, TOKEN);
    let stderr = text(&out.stderr);
    let yaml = out.stdout.clone();
    assert!(
        yaml.iter()
            .all(|&b| b == b'\n' || (b' '..=b'~').contains(&b)),
        "only printable ASCII"
    );

    // Pagination: 50 per page (the server's MAX_PAGE_SIZE), every page once.
    let log = server.state.lock().unwrap().log.clone();
    let prefix_pages: Vec<&String> = log
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.contains("/api/ipam/prefixes/"))
        .collect();
    let prefixes = provider().prefixes.len();
    assert_eq!(
        prefix_pages.len(),
        prefixes.div_ceil(50),
        "{prefix_pages:?}"
    );
    assert!(prefix_pages[1].contains("offset=50"), "{prefix_pages:?}");
    let address_pages = log
        .iter()
        .filter(|(r, _)| r.contains("/api/ipam/ip-addresses/"))
        .count();
    assert_eq!(address_pages, provider().addresses.len().div_ceil(50));
    assert!(
        log.iter()
            .all(|(_, auth)| *auth == format!("Token {TOKEN}"))
    );
    assert!(
        log.iter().any(|(r, _)| r.contains("/api/dcim/locations/")),
        "a location scope needs its site"
    );

    // The hostile names are skipped, listed escaped.
    for h in [
        "<script>alert(1)</script>.example.net",
        "=cmd|' /C calc'!A0",
        "bad name,with comma.example.net",
        "\\u{1b}[31mevil.example.net",
    ] {
        assert!(stderr.contains(h), "{h} not listed in:\n{stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw escape reached the terminal"
    );
    assert!(stderr.contains("6 with an unusable dns_name"), "{stderr}");
    let y = text(&yaml);
    assert!(
        !y.contains("evil") && !y.contains("<script>") && !y.contains("bad name"),
        "{y}"
    );
    // Written inertly as YAML text, escapes and all.
    assert!(
        y.contains("name: \"\\x1b]0;pwned\\x07<b>rack</b> =cmd|' /C calc'!A0\""),
        "{y}"
    );

    // Deterministic: a second run writes the same bytes.
    let again = import(&server.url(), &token, &MAPPING);
    assert_exit(&again, 0);
    assert_eq!(text(&again.stdout), y);

    // It validates: blocks, assignments, datacenters.
    let path = dir.path().join("inventory.yaml");
    std::fs::write(&path, &yaml).unwrap();
    let summary = validate_json(&path);
    // 300 leaves + 2 /26s + 4 /64s + the /56 + 192.0.2.0/28 (the VRF's are not imported).
    assert_eq!(summary["blocks"], 308, "{summary}");
    // h{i} for every leaf, web.ams3, four v6, mx.customer.
    assert_eq!(summary["assignments"], LEAVES as u64 + 6, "{summary}");
    let names: Vec<&str> = summary["datacenters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["-", "ams3", "fra1", "nyc2"]);
    assert!(
        y.contains("- cidr: 10.64.0.24/29\n        policy: mail\n"),
        "tag rule:\n{y}"
    );
    assert!(
        y.contains("- cidr: 10.64.0.56/29\n        policy: reserved\n"),
        "status reserved:\n{y}"
    );
    assert!(
        y.contains("- cidr: 10.64.0.40/29\n        policy: reserved\n"),
        "role rule (leaf 5):\n{y}"
    );
    assert!(
        y.contains("- cidr: 10.64.0.88/29\n        policy: mail\n"),
        "custom field (leaf 11):\n{y}"
    );
    assert!(y.contains("- cidr: 2001:db8:100::/56\n        policy: hosting\n        sample:\n          per_subnet: /64\n"), "{y}");
    assert!(
        !y.contains("10.65.0.0/24") && !y.contains("10.64.0.0/16") && !y.contains("10.99.0.0"),
        "{y}"
    );
    assert!(
        y.contains("ip: 10.65.0.70\n    ptr: web.ams3.example.net\n"),
        "{y}"
    );

    // It scans: every address in scope once; the assigned ones are `ok`.
    let zones = zones_for(&provider());
    let dns = ZoneServer::spawn(zones).unwrap();
    let scan = ptr_audit()
        .args([
            "scan",
            "--resolver",
            &dns.addr().to_string(),
            "--qps",
            "0",
            "--format",
            "jsonl",
            "--quiet",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_exit(&scan, 1);
    let records: Vec<Value> = text(&scan.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v.get("ip").is_some())
        .collect();
    assert_eq!(
        records.len() as u64,
        summary["addresses_in_scope"].as_u64().unwrap()
    );
    let status = |ip: &str| {
        records
            .iter()
            .find(|r| r["ip"] == ip)
            .map(|r| r["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("10.64.0.1").as_deref(), Some("ok"));
    assert_eq!(status("10.64.0.9").as_deref(), Some("ok"));
    assert_eq!(status("10.65.0.70").as_deref(), Some("ok"));
    assert_eq!(status("10.64.0.2").as_deref(), Some("ptr-missing"));
    assert_eq!(
        status("10.64.0.57"),
        None,
        "reserved blocks are not scanned"
    );
    let ok = records.iter().filter(|r| r["status"] == "ok").count();
    assert!(ok >= 250, "{ok} addresses ok");

    // NetBox 4.1's `site` gives the same inventory as 4.2's `scope`.
    let old = netbox(Version::V4_1);
    let out41 = import(&old.url(), &token, &MAPPING);
    assert_exit(&out41, 0);
    assert_eq!(body(&out41.stdout), body(&yaml));
    assert!(
        !old.state
            .lock()
            .unwrap()
            .log
            .iter()
            .any(|(r, _)| r.contains("/dcim/"))
    );
}

/// Reverse zones for the leaves' `.1` names and the /26's `.70`, and their forward zone.
fn zones_for(data: &Data) -> ZoneSet {
    let soa =
        "$TTL 300\n@ IN SOA ns.example. h.example. 1 3600 600 86400 300\n@ IN NS ns.example.\n";
    let mut rev = String::from(soa);
    let mut fwd = String::from(soa);
    for a in &data.addresses {
        let ip = a.address.split('/').next().unwrap();
        let Ok(v4) = ip.parse::<Ipv4Addr>() else {
            continue;
        };
        let name = a.dns_name.trim_end_matches('.');
        if a.status != "active"
            || !name.ends_with(".example.net")
            || name.contains(['<', ' ', '\u{1b}'])
            || v4.octets()[0] != 10
        {
            continue;
        }
        let o = v4.octets();
        rev.push_str(&format!("{}.{}.{} IN PTR {name}.\n", o[3], o[2], o[1]));
        fwd.push_str(&format!(
            "{} IN A {ip}\n",
            name.trim_end_matches(".example.net")
        ));
    }
    let mut zones = ZoneSet::new();
    zones.add_text("10.in-addr.arpa", &rev).unwrap();
    zones.add_text("example.net", &fwd).unwrap();
    zones.add_text("2.0.192.in-addr.arpa", soa).unwrap();
    zones.add_text("8.b.d.0.1.0.0.2.ip6.arpa", soa).unwrap();
    zones
}

#[test]
fn check_reports_edits_made_in_netbox_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let server = netbox(Version::V4_2);
    let path = dir.path().join("inventory.yaml");
    let out = import(
        &server.url(),
        &token,
        &[&MAPPING[..], &["--output", path.to_str().unwrap()]].concat(),
    );
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty());
    let check = [&MAPPING[..], &["--check", path.to_str().unwrap()]].concat();
    let same = import(&server.url(), &token, &check);
    assert_exit(&same, 0);
    assert!(same.stdout.is_empty(), "{}", text(&same.stdout));

    {
        let mut st = server.state.lock().unwrap();
        let d = &mut st.data;
        d.addresses
            .iter_mut()
            .find(|a| a.address == "10.64.0.9/29")
            .unwrap()
            .dns_name = "renamed.example.net".into();
        let p = d
            .prefixes
            .iter_mut()
            .find(|p| p.prefix == "10.64.0.0/29")
            .unwrap();
        p.scope = Some(Scope::Site(2));
        d.prefixes
            .iter_mut()
            .find(|p| p.prefix == "10.64.0.16/29")
            .unwrap()
            .status = "deprecated";
        d.prefixes.retain(|p| p.prefix != "10.64.0.32/29");
        d.prefixes.push(prefix(
            700,
            "198.51.100.0/28",
            Some(Scope::Site(3)),
            "active",
        ));
    }
    let drift = import(&server.url(), &token, &check);
    assert_exit(&drift, 1);
    let lines = text(&drift.stdout);
    let expected = [
        "~ block 10.64.0.0/29: datacenter fra1 -> ams3",
        "~ block 10.64.0.16/29: policy hosting -> reserved",
        "- block 10.64.0.32/29 (datacenter fra1, policy hosting)",
        "+ block 198.51.100.0/28 (datacenter nyc2, policy hosting)",
        "- assignment 10.64.0.33 h4.fra1.example.net",
        "~ assignment 10.64.0.9: ptr h1.ams3.example.net -> renamed.example.net",
    ];
    for e in expected {
        assert!(lines.contains(e), "`{e}` missing in:\n{lines}");
    }
    assert!(lines.contains("6 difference(s)"), "{lines}");
    // The committed file is left alone.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("10.64.0.32/29")
    );
}

#[test]
fn netbox_errors_are_clear_and_never_show_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let server = Server::spawn(provider(), Version::V4_2, "Token another-token", None);
    let refused = import(&server.url(), &token, &MAPPING);
    assert_exit(&refused, 2);
    let e = text(&refused.stderr);
    assert!(
        e.contains("NetBox refused the token from")
            && e.contains("netbox.token")
            && e.contains("Invalid v1 token"),
        "{e}"
    );
    no_secret(&refused, TOKEN);

    let cases = [
        (
            403,
            "application/json",
            json!({"detail": "You do not have permission to perform this action."}).to_string(),
            "403 Forbidden",
        ),
        (
            404,
            "text/html",
            "<html><body>Page not found</body></html>".into(),
            "was not found (404)",
        ),
        (
            200,
            "text/html",
            "<html><body>login</body></html>".into(),
            "is not JSON (text/html)",
        ),
        (
            200,
            "application/json",
            "{\"results\": 3}".into(),
            "is not shaped as NetBox writes it",
        ),
        (
            500,
            "text/html",
            "<h1>Server Error</h1>".into(),
            "NetBox answered 500",
        ),
        (
            301,
            "text/html",
            String::new(),
            "redirects (301) to `https://127.0.0.1/api/ipam/prefixes/`",
        ),
    ];
    for (status, content_type, body, message) in cases {
        server.state.lock().unwrap().canned = Some(Canned {
            status,
            content_type,
            body,
        });
        let out = import(&server.url(), &token, &MAPPING);
        assert_exit(&out, 2);
        assert!(
            text(&out.stderr).contains(message),
            "{message}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
        no_secret(&out, TOKEN);
    }

    // The VRF repeats a global prefix: without `--vrf`, which to keep is unclear.
    let ok = netbox(Version::V4_2);
    let overlap = import(&ok.url(), &token, &[]);
    assert_exit(&overlap, 2);
    let e = text(&overlap.stderr);
    assert!(e.contains("prefix `10.64.0.0/29` is in NetBox twice (id 10 in the global table, id 500 in VRF `mgmt`)") && e.contains("--vrf"), "{e}");
    // Selecting the VRF alone imports it alone.
    let mgmt = import(&ok.url(), &token, &["--vrf", "65000:1"]);
    assert_exit(&mgmt, 0);
    assert!(
        text(&mgmt.stdout).contains("10.99.0.0/28") && !text(&mgmt.stdout).contains("10.64.0.8/29")
    );

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = import(&url, &token, &[]);
    says(&out, 2, "cannot reach NetBox");

    // A bad rule or token file is named.
    let out = import(&ok.url(), &token, &["--policy-from", "tag:x=spam"]);
    says(&out, 2, "`spam` is not a policy");
    let empty = dir.path().join("empty.token");
    std::fs::write(&empty, "\n").unwrap();
    let out = import(&ok.url(), empty.to_str().unwrap(), &[]);
    says(&out, 2, "is empty");
}

#[test]
fn tls_refuses_an_untrusted_certificate_and_ca_file_makes_it_pass() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let (config, ca) = tls_config(dir.path());
    let server = Server::spawn(
        provider(),
        Version::V4_2,
        &format!("Token {TOKEN}"),
        Some(config),
    );
    let url = format!("https://127.0.0.1:{}", server.addr.port());
    let refused = import(&url, &token, &MAPPING);
    assert_exit(&refused, 2);
    let e = text(&refused.stderr);
    assert!(
        e.contains("cannot reach NetBox") && e.to_lowercase().contains("certificate"),
        "{e}"
    );
    assert!(
        server.state.lock().unwrap().log.is_empty(),
        "no request went out before the handshake"
    );
    let trusted = import(
        &url,
        &token,
        &[&MAPPING[..], &["--ca-file", ca.to_str().unwrap()]].concat(),
    );
    assert_exit(&trusted, 0);
    no_secret(&trusted, TOKEN);
    let plain = netbox(Version::V4_2);
    let reference = import(&plain.url(), &token, &MAPPING);
    assert_eq!(body(&trusted.stdout), body(&reference.stdout));
    // A file without a certificate is refused by name.
    let out = import(&url, &token, &["--ca-file", token.as_str()]);
    says(&out, 2, "as CA certificates");
}

#[test]
fn v2_tokens_go_as_bearer_and_proxies_come_from_the_environment_except_for_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let v2 = "nbt_4Fq1x0abcd.Zk3y9sEcReTvalue0123456789";
    let token = token_file(dir.path(), v2);
    let server = Server::spawn(provider(), Version::V4_2, &format!("Bearer {v2}"), None);
    // A proxy that does not exist: loopback NetBox is reached directly.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_proxy = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let out = ptr_audit()
        .args([
            "import",
            "netbox",
            "--url",
            &server.url(),
            "--token-file",
            &token,
        ])
        .args(MAPPING)
        .env("HTTP_PROXY", &dead_proxy)
        .env("HTTPS_PROXY", &dead_proxy)
        .env_remove("ALL_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    no_secret(&out, "Zk3y9sEcReT");
    assert!(
        server
            .state
            .lock()
            .unwrap()
            .log
            .iter()
            .all(|(_, a)| a.starts_with("Bearer nbt_"))
    );

    // Another host goes through the proxy (HTTP CONNECT), never resolved here.
    let out = ptr_audit()
        .args([
            "import",
            "netbox",
            "--url",
            "http://netbox.invalid",
            "--token-file",
            &token,
        ])
        .args(MAPPING)
        .env("HTTP_PROXY", server.url())
        .env("HTTPS_PROXY", server.url())
        .env_remove("ALL_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let connects = server.state.lock().unwrap().connects.clone();
    assert!(
        !connects.is_empty() && connects.iter().all(|c| c == "netbox.invalid:80"),
        "{connects:?}"
    );
    assert!(
        text(&out.stdout)
            .starts_with("## Written by `ptr-audit import netbox` from http://netbox.invalid/")
    );
}

#[test]
fn into_keeps_hand_written_keys_and_replaces_the_file_only_when_valid() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let server = netbox(Version::V4_2);
    let path = dir.path().join("inventory.yaml");
    let hand = "# the plan, kept in git\nversion: 1\nprovider:\n  name: Example Hosting\n  domains: [example.net]\ndatacenters:\n  - name: fra1\n    status: migrated\n    migrated_from: ams3\n    migrated_at: 2026-10-01\n    blocks:\n      - cidr: 10.64.0.0/29\n        policy: hosting\n        expect_ptr: \"h{d}.fra1.example.net\"\n        exclude: [10.64.0.0/32]\nassignments:\n  - {ip: 10.64.0.1, ptr: old.example.net, note: ticket 7}\n";
    std::fs::write(&path, hand).unwrap();
    let p = path.to_str().unwrap();
    let out = import(
        &server.url(),
        &token,
        &[
            &MAPPING[..],
            &[
                "--into",
                p,
                "--output",
                p,
                "--default-ptr",
                "{ip-dashed}.example.net",
            ],
        ]
        .concat(),
    );
    says(&out, 0, "comments of");
    let merged = std::fs::read_to_string(&path).unwrap();
    for kept in [
        "name: Example Hosting",
        "migrated_from: ams3",
        "migrated_at: 2026-10-01",
        "expect_ptr: \"h{d}.fra1.example.net\"",
        "note: ticket 7",
        "- \"{ip-dashed}.example.net\"",
    ] {
        assert!(merged.contains(kept), "{kept} lost:\n{merged}");
    }
    assert!(
        merged.contains("ip: 10.64.0.1\n    ptr: h0.fra1.example.net\n"),
        "{merged}"
    );
    validate_json(&path);

    // A merge that cannot validate leaves the file as it was.
    std::fs::write(&path, "version: 1\nresolvers: [not-an-address]\n").unwrap();
    let out = import(
        &server.url(),
        &token,
        &[&MAPPING[..], &["--into", p, "--output", p]].concat(),
    );
    says(&out, 2, "does not validate");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "version: 1\nresolvers: [not-an-address]\n"
    );
}

#[test]
fn region_scopes_and_the_region_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    let mut data = provider();
    data.prefixes.push(prefix(
        800,
        "198.51.100.64/28",
        Some(Scope::Region(2)),
        "active",
    ));
    let server = Server::spawn(data, Version::V4_2, &format!("Token {TOKEN}"), None);
    let out = import(
        &server.url(),
        &token,
        &[
            &MAPPING[..],
            &[
                "--datacenter-from",
                "region",
                "--default-datacenter",
                "elsewhere",
            ],
        ]
        .concat(),
    );
    assert_exit(&out, 0);
    let path = dir.path().join("inventory.yaml");
    std::fs::write(&path, &out.stdout).unwrap();
    let summary = validate_json(&path);
    let names: Vec<&str> = summary["datacenters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["elsewhere", "eu-central", "eu-west"]);
    assert!(
        text(&out.stdout).contains("- name: eu-west\n    blocks:\n      - cidr: 10.64.0.8/29\n"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("198.51.100.64/28"));

    // `--tenant`: only the prefixes of that tenant (even leaves are acme's).
    let acme = import(
        &server.url(),
        &token,
        &[&MAPPING[..], &["--tenant", "acme"]].concat(),
    );
    assert_exit(&acme, 0);
    let y = text(&acme.stdout);
    assert!(
        y.contains("cidr: 10.64.0.0/29") && !y.contains("cidr: 10.64.0.8/29"),
        "{y}"
    );
    assert!(
        !y.contains("198.51.100.64/28") && !y.contains("ip: 10.64.0.9\n"),
        "{y}"
    );
    assert!(
        text(&acme.stderr).contains(" of other tenants skipped"),
        "{}",
        text(&acme.stderr)
    );
}

#[test]
fn a_netbox_that_never_answers_meets_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path(), TOKEN);
    // Accepts connections and reads nothing: only the client's deadline ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || silent.accept().map(|(stream, _)| stream));
    let out = import(&url, &token, &["--timeout", "1"]);
    says(&out, 2, "cannot reach NetBox");
    assert!(
        text(&out.stderr).to_lowercase().contains("timeout"),
        "{}",
        text(&out.stderr)
    );
    no_secret(&out, TOKEN);
    drop(held.join());
}
