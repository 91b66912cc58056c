//! Unit tests: one per rule and form, one per finding code.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ptr_audit_model::{
    BlockInfo, DnsName, FailureReason, Finding, FindingCode, ForwardAnswer, Lookup, Policy,
    Provider, PtrAnswer, Rcode, Severity, SeverityOverrides, SourceLocation, Target,
};

use crate::{BlockTally, Classifier, Label, Rule};

/// A provider with templates and no own zones listed: server ids count
/// wherever they are (`serial_numbers_outside_the_providers_zones_are_weak`
/// lists the zones).
fn c() -> Classifier {
    Classifier::new(&Provider {
        name: "Example Hosting".into(),
        domains: Vec::new(),
        default_ptr: vec![
            "{ip-dashed}-host.examplehost.net".into(),
            "static.{ip-reversed}.clients.examplehost.net".into(),
            "unassigned.{datacenter}.examplehost.net".into(),
        ],
    })
    .unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The label and the (rule, kind) pairs of a judgement.
fn j(addr: &str, name: &str) -> (Label, Vec<(&'static str, &'static str)>) {
    let v = c().judge(ip(addr), name);
    (
        v.label,
        v.reasons
            .iter()
            .map(|r| (r.rule.as_str(), r.kind))
            .collect(),
    )
}

fn assert_form(addr: &str, name: &str, rule: &str, kind: &str) {
    let (label, reasons) = j(addr, name);
    assert!(
        reasons.iter().any(|(r, k)| *r == rule && *k == kind),
        "{addr} {name}: expected {rule}/{kind}, got {label:?} {reasons:?}"
    );
}

fn assert_no_rule(addr: &str, name: &str, rule: &str) {
    let (label, reasons) = j(addr, name);
    assert!(
        reasons.iter().all(|(r, _)| *r != rule),
        "{addr} {name}: expected no {rule}, got {label:?} {reasons:?}"
    );
}

fn assert_label(addr: &str, name: &str, label: Label) {
    let (l, reasons) = j(addr, name);
    assert_eq!(l, label, "{addr} {name}: {reasons:?}");
}

#[test]
fn invalid_hostname_forms() {
    let a = "203.0.113.5";
    assert_form(a, "mail_1.example.com", "invalid-hostname", "underscore");
    assert_form(a, "mail\\032x.example.com.", "invalid-hostname", "space");
    assert_form(a, "mail x.example.com", "invalid-hostname", "space");
    assert_form(a, "m\\007ail.example.com.", "invalid-hostname", "control");
    assert_form(
        a,
        "m\\195\\164il.example.com.",
        "invalid-hostname",
        "non-ascii",
    );
    assert_form(a, "a\\.b.example.com.", "invalid-hostname", "embedded-dot");
    assert_form(a, "mail..example.com", "invalid-hostname", "empty-label");
    assert_form(a, ".", "invalid-hostname", "empty");
    let long = format!("{}.example.com", "a".repeat(64));
    assert_form(a, &long, "invalid-hostname", "label-too-long");
    let huge = vec!["abcdefghi"; 26].join(".");
    assert_form(a, &huge, "invalid-hostname", "name-too-long");
    assert_form(a, "-mail.example.com", "invalid-hostname", "hyphen-edge");
    assert_form(a, "mail-.example.com", "invalid-hostname", "hyphen-edge");
    assert_form(a, "mailserver", "invalid-hostname", "single-label");
    assert_form(a, "mail@example.com", "invalid-hostname", "bad-character");
}

#[test]
fn invalid_special_names() {
    let a = "203.0.113.5";
    assert_form(a, "localhost", "local-name", "localhost");
    assert_form(a, "localhost6.localdomain6", "local-name", "localdomain");
    assert_form(a, "localhost.localdomain", "local-name", "localdomain");
    assert_form(a, "printer.local", "local-name", "local-tld");
    assert_form(a, "nas.home.arpa", "local-name", "home-arpa");
    assert_form(a, "203.0.113.5", "ip-literal", "ipv4");
    assert_form(a, "203.0.113.5.", "ip-literal", "ipv4");
    assert_form("2001:db8::5", "2001:db8::5", "ip-literal", "ipv6");
    assert_form(a, "mail.example.123", "numeric-tld", "numeric-tld");
    assert_form(a, "mail.example.x", "invalid-hostname", "one-char-tld");
    assert_form(a, "mail.example.X.", "invalid-hostname", "one-char-tld");
    // Two characters are a country code: valid.
    assert_label(a, "mail.example.de", Label::Custom);
    assert_form(a, "5.113.0.203.in-addr.arpa", "reverse-name", "own");
    assert_form(a, "6.113.0.203.in-addr.arpa.", "reverse-name", "other");
    let own6 = ptr_audit_model::reverse_name(ip("2001:db8::5"));
    assert_form("2001:db8::5", &own6, "reverse-name", "own");
}

#[test]
fn ipv4_encoded_forms() {
    let a = "203.0.113.5";
    assert_form(
        a,
        "ec2-203-0-113-5.compute-1.amazonaws.com",
        "ip-encoded",
        "dashed",
    );
    assert_form(
        a,
        "203.0.113.5.vultrusercontent.com",
        "ip-encoded",
        "dotted",
    );
    assert_form(
        a,
        "host203_0_113_5.example.net",
        "invalid-hostname",
        "underscore",
    );
    assert_form(
        a,
        "5.113.0.203.bc.googleusercontent.com",
        "ip-encoded",
        "reversed",
    );
    assert_form(
        a,
        "static.5.113.0.203.clients.your-server.de",
        "ip-encoded",
        "reversed",
    );
    assert_form(
        a,
        "ip-203-000-113-005.example.net",
        "ip-encoded",
        "zero-padded",
    );
    assert_form(a, "h203000113005.example.net", "ip-encoded", "concatenated");
    assert_form(a, "c005113000203.example.net", "ip-encoded", "concatenated");
    assert_form(a, "cb007105.example.net", "ip-encoded", "hex");
    assert_form(a, "host-0xcb007105.example.net", "ip-encoded", "hex");
    assert_form(a, "p057100cb.example.net", "ip-encoded", "hex");
    assert_form(a, "n3405803781.example.net", "ip-encoded", "decimal");
    // Concatenated and decimal forms are compared as numbers: the length
    // must match too (no leading zeros, no extra digits). (As serial
    // numbers these names are still generic: `ids`.)
    assert_form(a, "h20301135.example.net", "ip-encoded", "concatenated");
    assert_form(a, "h51130203.example.net", "ip-encoded", "concatenated");
    assert_no_rule(a, "h0203000113005.example.net", "ip-encoded");
    assert_no_rule(a, "n03405803781.example.net", "ip-encoded");
    assert_no_rule(a, "h2030113005.example.net", "ip-encoded");
    assert_form(a, "ip5.ip-203-0-113.eu", "ip-encoded", "partial");
    assert_form(a, "203-0.113-5.example.net", "ip-encoded", "mixed");
    assert_form(a, "5.static.203-0.x113.example.net", "ip-encoded", "split");
    // The matched span covers the address.
    let v = c().judge(ip(a), "ec2-203-0-113-5.compute-1.amazonaws.com");
    assert_eq!(
        v.reasons[0].matched("ec2-203-0-113-5.compute-1.amazonaws.com"),
        "203-0-113-5"
    );
}

#[test]
fn ipv6_encoded_forms() {
    let a = "2001:db8:10::5";
    assert_form(
        a,
        "v6-2001-db8-10-0-0-0-0-5.fra1.examplehost.net",
        "ip-encoded",
        "ipv6-hextets",
    );
    assert_form(
        a,
        "2001-0db8-0010-0000-0000-0000-0000-0005.example.net",
        "ip-encoded",
        "ipv6-hextets",
    );
    assert_form(
        a,
        "2001-db8-10--5.example.net",
        "ip-encoded",
        "ipv6-compressed",
    );
    assert_form(
        a,
        "20010db8001000000000000000000005.example.net",
        "ip-encoded",
        "ipv6-hex",
    );
    let rev = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.rev.example.net";
    assert_form(a, rev, "ip-encoded", "ipv6-reversed-nibbles");
    let low = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.customer.example.net";
    assert_form(a, low, "ip-encoded", "ipv6-reversed-nibbles");
    let fwd = "2-0-0-1-0-d-b-8-0-0-1-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-5.example.net";
    assert_form(a, fwd, "ip-encoded", "ipv6-nibbles");
    let b = "2001:db8:10:0:21a:2bff:fe3c:4d5e";
    assert_form(
        b,
        "host-21a-2bff-fe3c-4d5e.example.net",
        "ip-encoded",
        "ipv6-interface-id",
    );
    assert_form(
        b,
        "021a2bfffe3c4d5e.example.net",
        "ip-encoded",
        "ipv6-interface-id",
    );
    assert_form(b, "2001-db8-10-0.cust.example.net", "ip-encoded", "partial");
}

#[test]
fn dynamic_and_placeholder_tokens() {
    let a = "203.0.113.5";
    assert_form(a, "dynamic.isp.example.net", "dynamic-token", "dynamic");
    assert_form(a, "dsl.pool.isp.example.net", "dynamic-token", "dynamic");
    assert_form(a, "unassigned.example.net", "dynamic-token", "placeholder");
    assert_form(a, "no-reverse.example.net", "dynamic-token", "placeholder");
    assert_form(a, "hosted-by.example.net", "dynamic-token", "placeholder");
    // Weak words count only together.
    assert_form(
        a,
        "host5.customer.example.net",
        "dynamic-token",
        "generic-word",
    );
    assert_label(a, "host1.example.net", Label::Custom);
    assert_label(a, "client.example.com", Label::Custom);
    assert_label(a, "static.example.com", Label::Custom);
    // The registered domain never counts.
    assert_label(a, "mail.dsl-provider.example", Label::Custom);
    assert_label(a, "mail.dynamic.example", Label::Custom);
    // `static` does not make an encoded name custom.
    assert_label(a, "static-203-0-113-5.example.net", Label::Generic);
}

#[test]
fn provider_default_templates() {
    let a = "203.0.113.5";
    assert_form(
        a,
        "203-0-113-5-host.examplehost.net",
        "provider-default",
        "template",
    );
    assert_form(
        a,
        "STATIC.5.113.0.203.clients.examplehost.net.",
        "provider-default",
        "template",
    );
    // `{datacenter}` matches any label when the datacenter is unknown...
    assert_form(
        a,
        "unassigned.fra1.examplehost.net",
        "provider-default",
        "template",
    );
    // ...and only the right one when it is known.
    let v = c().judge_in(ip(a), "unassigned.fra1.examplehost.net", Some("ams3"));
    assert!(v.reasons.iter().all(|r| r.rule != Rule::ProviderDefault));
    let bad = Provider {
        default_ptr: vec!["{nope}.example.net".into()],
        ..Provider::default()
    };
    let err = Classifier::new(&bad).unwrap_err().to_string();
    assert!(err.contains("`{nope}.example.net`"), "{err}");
}

#[test]
fn serial_numbers_outside_the_providers_zones_are_weak() {
    let c = Classifier::new(&Provider {
        domains: vec!["ExampleHost.net.".into()],
        ..Provider::default()
    })
    .unwrap();
    let a = ip("203.0.113.64");
    let label = |n: &str| c.judge(a, n).label;
    // The provider's own defaults stay generic...
    assert_eq!(label("vmi419932.examplehost.net"), Label::Generic);
    assert_eq!(label("vps-4c2a91e3.vps.examplehost.net"), Label::Generic);
    // ...a customer's own numbering does not, unless another generic word
    // comes with it...
    assert_eq!(label("srv482913.customer.example"), Label::Custom);
    assert_eq!(label("web-4c2a91e3.customer.example"), Label::Custom);
    assert_eq!(label("vps123456.cust.customer.example"), Label::Generic);
    assert_eq!(label("notexamplehost.net"), Label::Custom);
    // ...and forms that hold the address stay strong anywhere.
    assert_eq!(label("li1069-64.members.linode.com"), Label::Generic);
    assert_eq!(label("h64n1fls31o925.telia.com"), Label::Generic);
    let v = c.judge(a, "srv482913.customer.example");
    assert!(v.reasons.is_empty(), "{:?}", v.reasons);
}

#[test]
fn zone_codes_second_words_and_line_ids() {
    let a = "203.0.113.164";
    for n in [
        "ik1-411-37776.vs.sakura.ne.jp",
        "tk2-240-29809.vs.sakura.ne.jp",
        "vps-zap883671-1.zap-srv.com",
        "vmd64148.contaboserver.net",
    ] {
        assert_form(a, n, "provider-default", "server-id");
    }
    let v = c().judge(ip(a), "vps-zap883671-1.zap-srv.com");
    assert_eq!(
        v.reasons[0].matched("vps-zap883671-1.zap-srv.com"),
        "vps-zap883671"
    );
    for n in [
        "h164n1fls31o925.telia.com",
        "h164n1c1o1031.bredband.skanova.com",
    ] {
        assert_form(a, n, "provider-default", "line-id-octet");
    }
    for n in [
        // Not the last octet; one group after it.
        "h165n1fls31o925.telia.com",
        "h164n2.example.net",
        // Five digits need a domain that names a server product, and the
        // label must be the whole host part.
        "vmd12345.example.com",
        "vmd12345.www.contaboserver.net",
        // A zone code needs the host number and the serial; a mail word
        // keeps its own numbering.
        "tk2-240.example.com",
        "mx1-411-37776.example.com",
        "mail-smtp883671.example.com",
    ] {
        assert_label(a, n, Label::Custom);
    }
}

#[test]
fn lone_placeholder_words() {
    let a = "203.0.113.9";
    for n in [
        "reverse.provider.example",
        "reserved.example.co.uk",
        "notset.example.org",
        "none.example.com",
    ] {
        assert_form(a, n, "dynamic-token", "placeholder");
    }
    for n in [
        "reverse-proxy.example.com",
        "www.reserved.example",
        "mail.reverse.example.net",
        "reverse.example",
    ] {
        assert_label(a, n, Label::Custom);
    }
}

#[test]
fn server_and_instance_ids() {
    let a = "203.0.113.64";
    for n in [
        "vmi419932.contaboserver.net",
        "srv482913.hstgr.cloud",
        "h2912345.stratoserver.net",
        "hwsrv-1012345.hostwindsdns.com",
        "vps-4c2a91e3.vps.ovh.net",
        "v2202312204519284731.bestsrv.de",
        "p7721959-ipngn937osakachuo.osaka.ocn.ne.jp",
        "pcp04024417pcs.toresd01.pa.comcast.example",
    ] {
        assert_form(a, n, "provider-default", "server-id");
    }
    assert_form(
        a,
        "li1069-64.members.linode.com",
        "provider-default",
        "server-id-octet",
    );
    let v = c().judge(ip(a), "vmi419932.contaboserver.net");
    assert_eq!(
        v.reasons[0].matched("vmi419932.contaboserver.net"),
        "vmi419932"
    );
    for (a, n) in [
        // Not the last octet; a two-digit id; the id is the third octet
        // (two octets in a row: weak only).
        ("203.0.113.64", "li1069-65.members.linode.com"),
        ("203.0.113.64", "li69-64.members.linode.com"),
        ("54.240.27.12", "a27-12.smtp-out.amazonses.com"),
        ("159.135.228.12", "m228-12.mailgun.net"),
        // Mail services number their own servers.
        ("203.0.113.64", "mail-401311.protonmail.ch"),
        ("203.0.113.64", "smtp170313.mail.example.net"),
        ("17.58.63.175", "ms11p00im-qufo17281701.me.com"),
        (
            "203.0.113.64",
            "mail-db8eur05on2041.outbound.protection.outlook.com",
        ),
        // Five digits, a hex word without a digit, letters after the hex id,
        // a long prefix, the registered domain itself.
        ("203.0.113.64", "srv12345.example.com"),
        ("203.0.113.64", "vps-deadbeef.example.net"),
        ("203.0.113.64", "vps-4c2a91e3x.example.net"),
        ("203.0.113.64", "customers123456.example.net"),
        ("203.0.113.64", "srv123456.com"),
    ] {
        assert_label(a, n, Label::Custom);
    }
    // IPv6 senders: serials count, octets do not.
    assert_form(
        "2001:db8::5",
        "vmi419932.contaboserver.net",
        "provider-default",
        "server-id",
    );
    assert_label(
        "2001:db8::40",
        "li1069-64.members.linode.com",
        Label::Custom,
    );
}

#[test]
fn split_address_with_a_line_id() {
    // Orange France: the first two octets, the last one beside a line id
    // that stands where the third would.
    let (a, n) = ("90.89.201.76", "lfbn-tou-1-1502-76.w90-89.abo.wanadoo.fr");
    assert_form(a, n, "ip-encoded", "split-line-id");
    let v = c().judge(ip(a), n);
    assert_eq!(v.reasons[0].matched(n), "1502-76.w90-89");
    assert_form(
        "109.210.5.247",
        "amontpellier-657-1-18-247.w109-210.abo.wanadoo.fr",
        "ip-encoded",
        "split-line-id",
    );
    // The fourth number is the missing octet: every octet is there.
    assert_form(
        "90.89.201.76",
        "lfbn-tou-1-201-76.w90-89.abo.wanadoo.fr",
        "ip-encoded",
        "split",
    );
    // Two octets and a lone number that is no octet: weak only.
    assert_label(
        "90.89.201.76",
        "lfbn-tou-1-1502-77.w90-89.example.fr",
        Label::Custom,
    );
    // The third octet alone, with nothing beside it: weak only.
    assert_label("90.89.201.76", "w90-89.lab76.example.fr", Label::Custom);
}

#[test]
fn registered_domain_boundary_follows_the_public_suffix_list() {
    fn start(n: &str) -> &str {
        &n[crate::tokens::registered_start(&crate::SuffixList::Embedded, n.as_bytes()).0..]
    }
    // One-label and multi-label ICANN suffixes, and the hand list's old gaps.
    assert_eq!(start("mail.example.com"), "example.com");
    assert_eq!(start("mail.example.co.uk"), "example.co.uk");
    assert_eq!(start("a.b.example.com.au"), "example.com.au");
    assert_eq!(start("mx.example.ac.jp"), "example.ac.jp");
    assert_eq!(start("mx.example.k12.ca.us"), "example.k12.ca.us");
    assert_eq!(start("mx.example.pvt.k12.ma.us"), "example.pvt.k12.ma.us");
    // A wildcard rule (`*.kawasaki.jp`) and its exception (`!city.kawasaki.jp`).
    assert_eq!(
        start("mx.example.foo.kawasaki.jp"),
        "example.foo.kawasaki.jp"
    );
    assert_eq!(start("mx.city.kawasaki.jp"), "city.kawasaki.jp");
    // `co` is not a second level under every country code.
    assert_eq!(start("mx.co.example.de"), "example.de");
    // Private-section suffixes are hosting products' domains: their names
    // are hosts under the ICANN registered domain.
    assert_eq!(
        start("ec2-203-0-113-5.compute-1.amazonaws.com"),
        "amazonaws.com"
    );
    assert_eq!(start("host5.dyndns.org"), "dyndns.org");
    // A top-level label the list does not know is a suffix of its own.
    assert_eq!(start("mail.example.notatld"), "example.notatld");
    // Only a domain, or only a suffix: no host part.
    assert_eq!(start("example.com"), "example.com");
    assert_eq!(start("co.uk"), "co.uk");
    assert_eq!(start("com"), "com");
}

#[test]
fn placeholder_registered_domains() {
    let a = "203.0.113.5";
    for n in [
        "no-reverse-dns-configured.com",
        "reverse-not-configured.example",
        "ip5.no-rdns.example",
        "noptr.example",
        "host.unassigned.example",
    ] {
        assert_form(a, n, "dynamic-token", "placeholder");
    }
    let n = "no-reverse-dns-configured.com";
    let v = c().judge(ip(a), n);
    assert_eq!(v.reasons[0].matched(n), "no-reverse");
    // Words that real domains carry, and dynamic words, still do not count
    // in the registered domain.
    for n in [
        "mx.unknown-worlds.example",
        "mail.unused-media.example",
        "mail.dynamic-media.example",
        "mail.nobody.example",
        "mail.not-a-placeholder-set.example",
    ] {
        assert_label(a, n, Label::Custom);
    }
    // A server left with its installer's name.
    assert_form(
        a,
        "localhost.hostingcompany.example",
        "dynamic-token",
        "placeholder",
    );
    // `customer` and `isp` together: a shared access name.
    assert_label(
        "98.118.118.142",
        "customer.frntdeu1.isp.starlink.com",
        Label::Generic,
    );
    assert_label(a, "mail.isp.example.net", Label::Custom);
}

#[test]
fn custom_names_stay_custom() {
    for (a, n) in [
        ("203.0.113.5", "mail5.example.com"),
        ("203.0.113.1", "mx01.example.com"),
        ("203.0.113.24", "web-2024.example.com"),
        ("203.0.113.1", "smtp1-fra1.example.com"),
        ("203.0.113.113", "mail113.example.com"),
        ("203.0.113.25", "smtp-25.example.com"),
        ("203.0.113.5", "mail5.fra1.examplehost.net"),
        ("203.0.113.5", "mail.customer-a.example"),
        ("2001:db8:10::5", "mx.example.com"),
        ("2001:db8:10::25", "mail25.example.com"),
        ("203.0.113.5", "xn--mller-kva.example"),
    ] {
        assert_label(a, n, Label::Custom);
    }
}

// ---- findings ----

fn block(policy: Policy, migrated_from: Option<&str>) -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: "fra1".into(),
        cidr: "203.0.113.0/24".parse().unwrap(),
        policy,
        expect_ptr: None,
        expect_pbl: false,
        migrated_from: migrated_from.map(Into::into),
        severities: SeverityOverrides::default(),
        source: SourceLocation {
            file: PathBuf::from("inventory.yaml"),
            line: 7,
        },
    })
}

fn target(addr: &str, block: Arc<BlockInfo>, expected: Option<&str>) -> Target {
    Target {
        ip: ip(addr),
        block,
        expected_ptr: expected.map(Into::into),
    }
}

fn lookup(answer: PtrAnswer, forward: Vec<(&str, ForwardAnswer)>) -> Lookup {
    Lookup {
        rcode: Some(Rcode::NoError),
        answer,
        cname_chain: Vec::new(),
        dnsbl: Vec::new(),
        attempts: 1,
        forward: forward
            .into_iter()
            .map(|(n, a)| (DnsName::from_presentation(n), a))
            .collect(),
    }
}

fn names(ns: &[&str]) -> PtrAnswer {
    PtrAnswer::Names(ns.iter().map(|n| DnsName::from_presentation(n)).collect())
}

fn fwd(addrs: &[&str]) -> ForwardAnswer {
    ForwardAnswer::Addresses(addrs.iter().map(|a| ip(a)).collect())
}

fn codes(fs: &[Finding]) -> Vec<(&'static str, Severity)> {
    fs.iter().map(|f| (f.code.as_str(), f.severity)).collect()
}

#[test]
fn clean_address_has_no_finding() {
    let t = target(
        "203.0.113.5",
        block(Policy::Mail, None),
        Some("mail5.example.com"),
    );
    let l = lookup(
        names(&["mail5.example.com"]),
        vec![("mail5.example.com", fwd(&["203.0.113.5"]))],
    );
    assert_eq!(c().classify(&t, &l), vec![]);
}

#[test]
fn lookup_failed_is_the_only_finding() {
    let t = target(
        "203.0.113.5",
        block(Policy::Mail, None),
        Some("mail5.example.com"),
    );
    let l = lookup(
        PtrAnswer::Failed(FailureReason::Rcode(Rcode::ServFail)),
        vec![],
    );
    let fs = c().classify(&t, &l);
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
    assert_eq!(fs[0].text("reason"), Some("servfail"));
    assert_eq!(fs[0].text("lookup"), Some("ptr"));
    assert_eq!(fs[0].text("name"), Some("5.113.0.203.in-addr.arpa."));
}

#[test]
fn unanswered_cname_hop_is_unknown_and_names_the_hop() {
    let t = target("192.0.2.5", block(Policy::Mail, None), None);
    let mut l = lookup(PtrAnswer::Failed(FailureReason::Timeout), vec![]);
    l.cname_chain = vec![DnsName::from_presentation("5.0/26.2.0.192.in-addr.arpa.")];
    let fs = c().classify(&t, &l);
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
    assert_eq!(fs[0].text("lookup"), Some("cname"));
    assert_eq!(fs[0].text("name"), Some("5.0/26.2.0.192.in-addr.arpa."));
}

#[test]
fn unanswered_forward_lookup_is_unknown_not_fcrdns_failed() {
    let t = target("203.0.113.5", block(Policy::Mail, None), None);
    let l = lookup(
        names(&["mail.example.com"]),
        vec![(
            "mail.example.com",
            ForwardAnswer::Failed(FailureReason::Timeout),
        )],
    );
    let fs = c().classify(&t, &l);
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
    assert_eq!(fs[0].text("reason"), Some("timeout"));
    assert_eq!(fs[0].text("lookup"), Some("forward"));
    assert_eq!(fs[0].text("name"), Some("mail.example.com."));
}

#[test]
fn one_unanswered_forward_among_several_names_makes_confirmation_unknown() {
    let t = target("203.0.113.5", block(Policy::Hosting, None), None);
    // The answered name does not confirm; the unanswered one might have.
    let l = lookup(
        names(&["a.example.com", "b.example.com"]),
        vec![
            ("a.example.com", fwd(&["198.51.100.7"])),
            (
                "b.example.com",
                ForwardAnswer::Failed(FailureReason::Timeout),
            ),
        ],
    );
    let fs = c().classify(&t, &l);
    assert!(
        fs.iter().all(|f| f.code != FindingCode::FcrdnsFailed),
        "{:?}",
        codes(&fs)
    );
    let unknown = fs
        .iter()
        .find(|f| f.code == FindingCode::LookupFailed)
        .expect("lookup-failed");
    assert_eq!(unknown.text("name"), Some("b.example.com."));
    // An answered name that confirms still wins over an unanswered one.
    let l = lookup(
        names(&["a.example.com", "b.example.com"]),
        vec![
            (
                "a.example.com",
                ForwardAnswer::Failed(FailureReason::Timeout),
            ),
            ("b.example.com", fwd(&["203.0.113.5"])),
        ],
    );
    let fs = c().classify(&t, &l);
    assert!(
        fs.iter()
            .all(|f| f.code != FindingCode::LookupFailed && f.code != FindingCode::FcrdnsFailed),
        "{:?}",
        codes(&fs)
    );
}

#[test]
fn ptr_missing_says_which() {
    let t = target("203.0.113.5", block(Policy::Hosting, None), None);
    for (answer, reason) in [
        (PtrAnswer::NxDomain, "nxdomain"),
        (PtrAnswer::NoData, "nodata"),
        (
            PtrAnswer::BrokenDelegation {
                target: DnsName::from_presentation("5.0/26.113.0.203.in-addr.arpa"),
            },
            "broken-delegation",
        ),
    ] {
        let fs = c().classify(&t, &lookup(answer, vec![]));
        assert_eq!(codes(&fs), vec![("ptr-missing", Severity::Error)]);
        assert_eq!(fs[0].text("reason"), Some(reason));
    }
}

#[test]
fn ptr_invalid_skips_generic_and_fcrdns() {
    let t = target("203.0.113.5", block(Policy::Mail, None), None);
    let l = lookup(
        names(&["mail_203-0-113-5.example.com"]),
        vec![("mail_203-0-113-5.example.com", ForwardAnswer::NxDomain)],
    );
    let fs = c().classify(&t, &l);
    assert_eq!(codes(&fs), vec![("ptr-invalid", Severity::Error)]);
    assert_eq!(fs[0].text("name"), Some("mail_203-0-113-5.example.com."));
}

#[test]
fn fcrdns_failed_reasons() {
    let t = target("203.0.113.5", block(Policy::Hosting, None), None);
    let cases = [
        (ForwardAnswer::NxDomain, "nxdomain", Severity::Error),
        (ForwardAnswer::NoData, "nodata", Severity::Error),
        (fwd(&["198.51.100.7"]), "mismatch", Severity::Error),
    ];
    for (answer, reason, severity) in cases {
        let l = lookup(
            names(&["mail.example.com"]),
            vec![("mail.example.com", answer)],
        );
        let fs = c().classify(&t, &l);
        assert_eq!(codes(&fs), vec![("fcrdns-failed", severity)], "{reason}");
        assert_eq!(fs[0].text("reason"), Some(reason));
    }
    let l = lookup(
        names(&["mail.example.com"]),
        vec![("mail.example.com", fwd(&["198.51.100.7"]))],
    );
    let fs = c().classify(&t, &l);
    let forward = fs[0].details.iter().find(|d| d.key == "forward").unwrap();
    assert_eq!(
        forward.value,
        ptr_audit_model::DetailValue::List(vec!["198.51.100.7".into()])
    );
}

#[test]
fn ptr_generic_severity_by_policy() {
    let n = "203-0-113-5-host.examplehost.net";
    let l = lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]);
    let mail = c().classify(&target("203.0.113.5", block(Policy::Mail, None), None), &l);
    assert_eq!(codes(&mail), vec![("ptr-generic", Severity::Error)]);
    let hosting = c().classify(
        &target("203.0.113.5", block(Policy::Hosting, None), None),
        &l,
    );
    assert_eq!(codes(&hosting), vec![("ptr-generic", Severity::Warning)]);
    let kinds = hosting[0]
        .details
        .iter()
        .find(|d| d.key == "kinds")
        .unwrap();
    assert_eq!(
        kinds.value,
        ptr_audit_model::DetailValue::List(vec![
            "provider-default".into(),
            "ip-encoded".into(),
            "dynamic-token".into()
        ])
    );
}

#[test]
fn ptr_unexpected_ignores_case_and_trailing_dot() {
    let b = block(Policy::Mail, None);
    let l = lookup(
        names(&["Mail5.Example.com."]),
        vec![("Mail5.Example.com.", fwd(&["203.0.113.5"]))],
    );
    let ok = c().classify(
        &target("203.0.113.5", b.clone(), Some("mail5.example.com")),
        &l,
    );
    assert_eq!(ok, vec![]);
    let fs = c().classify(&target("203.0.113.5", b, Some("mx.example.com.")), &l);
    assert_eq!(codes(&fs), vec![("ptr-unexpected", Severity::Error)]);
    assert_eq!(fs[0].text("expected"), Some("mx.example.com"));
}

#[test]
fn ptr_multiple_and_ordering() {
    let l = lookup(
        names(&["mail.example.com", "www.example.com"]),
        vec![
            ("mail.example.com", fwd(&["203.0.113.5"])),
            ("www.example.com", fwd(&["203.0.113.5"])),
        ],
    );
    let t = target(
        "203.0.113.5",
        block(Policy::Hosting, None),
        Some("mx.example.com"),
    );
    let fs = c().classify(&t, &l);
    assert_eq!(
        codes(&fs),
        vec![
            ("ptr-unexpected", Severity::Warning),
            ("ptr-multiple", Severity::Notice)
        ]
    );
}

#[test]
fn ptr_stale_names_the_old_datacenter() {
    let b = block(Policy::Mail, Some("ams3"));
    for (n, stale) in [
        ("mail9.ams3.examplehost.net", true),
        ("mail9-ams3.examplehost.net", true),
        ("mail9.AMS3.examplehost.net", true),
        ("mail9.fra1.examplehost.net", false),
        ("mail9.ams33.examplehost.net", false),
    ] {
        let l = lookup(names(&[n]), vec![(n, fwd(&["203.0.113.9"]))]);
        let fs = c().classify(&target("203.0.113.9", b.clone(), None), &l);
        assert_eq!(
            fs.iter().any(|f| f.code == FindingCode::PtrStale),
            stale,
            "{n}"
        );
    }
}

#[test]
fn overrides_win_over_policy() {
    let mut info = (*block(Policy::Mail, None)).clone();
    info.severities = SeverityOverrides(vec![(FindingCode::PtrGeneric, Severity::Notice)]);
    let n = "dynamic.isp.example.net";
    let l = lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]);
    let fs = c().classify(&target("203.0.113.5", Arc::new(info), None), &l);
    assert_eq!(codes(&fs), vec![("ptr-generic", Severity::Notice)]);
}

#[test]
fn findings_sorted_most_severe_first() {
    let b = block(Policy::Hosting, Some("ams3"));
    let n = "dyn-203-0-113-9.ams3.example.net";
    let l = lookup(
        names(&[n, "x.example.net"]),
        vec![(n, ForwardAnswer::NxDomain)],
    );
    let fs = c().classify(&target("203.0.113.9", b, Some("mail9.example.net")), &l);
    assert_eq!(
        codes(&fs),
        vec![
            ("fcrdns-failed", Severity::Error),
            ("ptr-generic", Severity::Warning),
            ("ptr-unexpected", Severity::Warning),
            ("ptr-stale", Severity::Warning),
            ("ptr-multiple", Severity::Notice),
        ]
    );
}

#[test]
fn block_tally_reports_shared_names() {
    let b = block(Policy::Hosting, None);
    let mut tally = BlockTally::new();
    for d in 1..=20u8 {
        let a = format!("203.0.113.{d}");
        let n = if d <= 8 {
            "hosted-by.example.net".to_owned()
        } else {
            format!("h{d}.example.net")
        };
        tally.observe(&target(&a, b.clone(), None), &lookup(names(&[&n]), vec![]));
    }
    // Expected names are shared by design and do not count.
    for d in 21..=40u8 {
        let a = format!("203.0.113.{d}");
        tally.observe(
            &target(&a, b.clone(), Some("mail.example.net")),
            &lookup(names(&["mail.example.net"]), vec![]),
        );
    }
    let out = tally.finish();
    assert_eq!(out.len(), 1, "{out:?}");
    let f = &out[0].finding;
    assert_eq!(f.code, FindingCode::PtrGeneric);
    assert_eq!(f.text("name"), Some("hosted-by.example.net"));
    assert_eq!(f.text("rule"), Some("placeholder"));
    let count = f.details.iter().find(|d| d.key == "count").unwrap();
    assert_eq!(count.value, ptr_audit_model::DetailValue::Count(8));
}

#[test]
fn block_tally_observe_name_counts_like_observe() {
    // Names as a report writes them (presentation form, trailing dot), mixed
    // case, the address's own name, the expected name, the root.
    let b = block(Policy::Hosting, None);
    let cases: Vec<(String, Option<&str>, String)> = (1..=40u8)
        .map(|d| {
            let name = match d % 5 {
                0 => "Hosted-By.Example.NET.".to_owned(),
                1 => format!("203-0-113-{d}.example.net."),
                2 => "mail.example.net.".to_owned(),
                3 => ".".to_owned(),
                _ => "hosted-by.example.net".to_owned(),
            };
            let expected = (d % 5 == 2).then_some("mail.example.net");
            (format!("203.0.113.{d}"), expected, name)
        })
        .collect();
    let mut by_lookup = BlockTally::with_limits(2, 10, 1024);
    let mut by_name = BlockTally::with_limits(2, 10, 1024);
    for (ip, expected, name) in &cases {
        let t = target(ip, b.clone(), *expected);
        by_lookup.observe(&t, &lookup(names(&[name]), vec![]));
        by_name.observe_name(t.ip, &b, *expected, name);
    }
    let (a, b) = (by_lookup.finish(), by_name.finish());
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn block_tally_memory_is_capped() {
    let b = Arc::new(BlockInfo {
        cidr: "198.51.0.0/16".parse().unwrap(),
        ..(*block(Policy::Hosting, None)).clone()
    });
    let mut tally = BlockTally::with_limits(4, 25, 8);
    for i in 0..65_536u32 {
        let a = std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(198, 51, 0, 0)) + i);
        let n = if i % 2 == 0 {
            "placeholder.example.net".to_owned()
        } else {
            format!("h{i}.example.net")
        };
        tally.observe(
            &target(&a.to_string(), b.clone(), None),
            &lookup(names(&[&n]), vec![]),
        );
        assert!(tally.tracked_names() <= 8);
    }
    let out = tally.finish();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].finding.text("name"), Some("placeholder.example.net"));
}

#[test]
fn classifier_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();
    assert_send_sync::<BlockTally>();
}

proptest::proptest! {
    /// Hostile names never panic, and every span lies inside the name.
    #[test]
    fn judge_never_panics_and_spans_fit(
        name in "[a-z0-9._\\\\ -]{0,300}|[\\PC]{0,80}|\\PC{0,300}",
        v4 in proptest::prelude::any::<u32>(),
        v6 in proptest::prelude::any::<u128>(),
    ) {
        let c = c();
        for addr in [IpAddr::from(std::net::Ipv4Addr::from(v4)), IpAddr::from(std::net::Ipv6Addr::from(v6))] {
            let v = c.judge(addr, &name);
            proptest::prop_assert_eq!(v.reasons.is_empty(), v.label == Label::Custom);
            for r in &v.reasons {
                proptest::prop_assert!(r.span.start <= r.span.end && r.span.end <= name.len(), "{:?}", r);
            }
        }
    }

    /// Any address written in the common forms is caught.
    #[test]
    fn encoded_addresses_are_generic(v4 in proptest::prelude::any::<u32>(), v6 in proptest::prelude::any::<u128>()) {
        let a = std::net::Ipv4Addr::from(v4);
        let [w, x, y, z] = a.octets();
        let c = c();
        for n in [
            format!("ip-{w}-{x}-{y}-{z}.example.net"),
            format!("{z}.{y}.{x}.{w}.example.net"),
            format!("h{w:03}{x:03}{y:03}{z:03}.example.net"),
            format!("p{w:02x}{x:02x}{y:02x}{z:02x}.example.net"),
        ] {
            proptest::prop_assert_eq!(c.judge(a.into(), &n).label, Label::Generic, "{}", n);
        }
        let b = std::net::Ipv6Addr::from(v6);
        let dashed = b.segments().iter().map(|s| format!("{s:x}")).collect::<Vec<_>>().join("-");
        let n = format!("v6-{dashed}.example.net");
        proptest::prop_assert_eq!(c.judge(b.into(), &n).label, Label::Generic, "{}", n);
        let rev = ptr_audit_model::reverse_name(b.into());
        let nibbles = rev.strip_suffix("ip6.arpa.").unwrap();
        let n = format!("{nibbles}rev.example.net");
        proptest::prop_assert_eq!(c.judge(b.into(), &n).label, Label::Generic, "{}", n);
    }
}

#[test]
fn block_tally_is_order_independent_and_skips_address_names() {
    let b = block(Policy::Hosting, None);
    let obs: Vec<(Target, Lookup)> = (1..=200u8)
        .map(|d| {
            let a = format!("203.0.113.{d}");
            let n = match d % 4 {
                0 => "hosted-by.example.net".to_owned(),
                1 => format!("static-203-0-113-{d}.example.net"),
                2 => format!("web{}.example.net", d / 3),
                _ => "parked.example.net".to_owned(),
            };
            (target(&a, b.clone(), None), lookup(names(&[&n]), vec![]))
        })
        .collect();
    let run = |order: Box<dyn Iterator<Item = &(Target, Lookup)> + '_>| {
        let mut t = BlockTally::new();
        for (tg, l) in order {
            t.observe(tg, l);
        }
        t.finish()
    };
    let forward = run(Box::new(obs.iter()));
    let backward = run(Box::new(obs.iter().rev()));
    assert_eq!(forward, backward);
    // 150 named addresses count (the 50 address-derived names are skipped):
    // hosted-by and parked hold 50 each (33 %), the web names a few each.
    let got: Vec<(Option<&str>, &ptr_audit_model::DetailValue)> = forward
        .iter()
        .map(|f| {
            let c = &f
                .finding
                .details
                .iter()
                .find(|d| d.key == "count")
                .unwrap()
                .value;
            (f.finding.text("name"), c)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("hosted-by.example.net"),
                &ptr_audit_model::DetailValue::Count(50)
            ),
            (
                Some("parked.example.net"),
                &ptr_audit_model::DetailValue::Count(50)
            ),
        ]
    );
}

/// The verdict of every receiver for `t` and `l`, as `id=verdict` (accepts left out), and iprev.
fn matrix_of(t: &Target, l: &ptr_audit_model::Lookup) -> (Vec<String>, &'static str) {
    let rec = c().audit(t.clone(), l.clone(), crate::Servers::NotAsked);
    // The audit shares the first name's judgement with the findings; a record
    // assembled from the same findings judges it again: the same record.
    assert_eq!(c().record(t.clone(), l.clone(), rec.findings.clone()), rec);
    let (m, iprev) = (rec.receivers, rec.iprev);
    let v =
        m.0.iter()
            .map(|e| {
                format!(
                    "{}={}:{}",
                    e.id.as_str(),
                    e.verdict.as_str(),
                    e.rules.join("+")
                )
            })
            .collect();
    (v, iprev.as_str())
}

#[test]
fn receiver_matrix_follows_the_lookup() {
    let t = target("203.0.113.5", block(Policy::Mail, None), None);
    // No PTR: every receiver refuses or scores; iprev fails.
    let (m, iprev) = matrix_of(&t, &lookup(PtrAnswer::NxDomain, vec![]));
    assert_eq!(iprev, "fail");
    assert!(
        m.contains(&"postfix-lax=reject:reject_unknown_reverse_client_hostname".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"spamassassin=score:RDNS_NONE".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"rspamd=score:HFILTER_HOSTNAME_UNKNOWN+RDNS_NONE".to_owned()),
        "{m:?}"
    );
    assert!(m.contains(&"gmail=reject:5.7.25".to_owned()), "{m:?}");
    // An unanswered lookup: defer or unknown, never reject; iprev temperror.
    let failed = lookup(
        PtrAnswer::Failed(ptr_audit_model::FailureReason::Timeout),
        vec![],
    );
    let (m, iprev) = matrix_of(&t, &failed);
    assert_eq!(iprev, "temperror");
    assert!(
        m.iter()
            .all(|e| e.contains("=defer:") || e.contains("=unknown:")),
        "{m:?}"
    );
    assert!(
        m.contains(&"postfix-strict=defer:reject_unknown_client_hostname".to_owned()),
        "{m:?}"
    );
    // A name that does not resolve back: postfix-strict rejects, postfix-lax accepts.
    let n = "mail.example.com";
    let (m, iprev) = matrix_of(&t, &lookup(names(&[n]), vec![(n, ForwardAnswer::NoData)]));
    assert_eq!(iprev, "fail");
    assert!(
        m.contains(&"postfix-strict=reject:reject_unknown_client_hostname".to_owned()),
        "{m:?}"
    );
    assert!(!m.iter().any(|e| e.starts_with("postfix-lax=")), "{m:?}");
    // Its forward lookup unanswered: defer, temperror.
    let f = ForwardAnswer::Failed(ptr_audit_model::FailureReason::Timeout);
    let (m, iprev) = matrix_of(&t, &lookup(names(&[n]), vec![(n, f)]));
    assert_eq!(iprev, "temperror");
    assert!(
        m.contains(&"postfix-strict=defer:reject_unknown_client_hostname".to_owned()),
        "{m:?}"
    );
    assert!(!m.iter().any(|e| e.contains("=reject:")), "{m:?}");
    // Confirmed custom name: everybody accepts.
    let (m, iprev) = matrix_of(&t, &lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]));
    assert_eq!((m.len(), iprev), (0, "pass"), "{m:?}");
    // Confirmed dynamic name: filters score, united-internet rejects, haraka's generic rule.
    let n = "dsl-203-0-113-5.example.net";
    let (m, iprev) = matrix_of(&t, &lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]));
    assert_eq!(iprev, "pass");
    assert!(
        m.contains(&"spamassassin=score:RDNS_DYNAMIC".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"rspamd=score:HFILTER_HOSTNAME_4".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"united-internet=reject:generic-ptr".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"haraka=reject:generic_rdns".to_owned()),
        "{m:?}"
    );
    assert!(!m.iter().any(|e| e.starts_with("postfix")), "{m:?}");
    // Haraka exempts `static`.
    let n = "static-203-0-113-5.example.net";
    let (m, _) = matrix_of(&t, &lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]));
    assert!(!m.iter().any(|e| e.starts_with("haraka=")), "{m:?}");
    // An invalid name is no name: permerror.
    let n = "mail_1.example.com";
    let (m, iprev) = matrix_of(&t, &lookup(names(&[n]), vec![(n, fwd(&["203.0.113.5"]))]));
    assert_eq!(iprev, "permerror");
    assert!(
        m.contains(&"postfix-lax=reject:reject_unknown_reverse_client_hostname".to_owned()),
        "{m:?}"
    );
}

#[test]
fn receivers_without_forward_state_say_unknown() {
    use crate::receivers::{Forward, Sender, matrix};
    let ip = ip("203.0.113.5");
    let v = c().judge(ip, "dsl-203-0-113-5.example.net");
    let sender = Sender::Name {
        name: "dsl-203-0-113-5.example.net",
        judgement: &v,
        forward: Forward::Unknown,
    };
    let m = matrix(ip, &sender);
    assert_eq!(m.len(), 9);
    let verdict = |id: &str| {
        m.iter()
            .find(|e| e.id.as_str() == id)
            .unwrap()
            .verdict
            .as_str()
    };
    assert_eq!(verdict("postfix-strict"), "unknown");
    assert_eq!(verdict("spamassassin"), "unknown");
    assert_eq!(verdict("postfix-lax"), "accept");
    assert_eq!(verdict("microsoft"), "reject");
    assert_eq!(crate::receivers::iprev(&sender), None);
}

#[test]
fn severity_table_per_policy() {
    use crate::severity::default_for;
    use FindingCode::*;
    use Severity::*;
    let table = [
        (LookupFailed, Warning, Warning),
        (PtrMissing, Error, Error),
        (PtrInvalid, Error, Error),
        (FcrdnsFailed, Error, Error),
        (PtrGeneric, Error, Warning),
        (PtrUnexpected, Error, Warning),
        (PtrMultiple, Warning, Notice),
        (PtrStale, Error, Warning),
        (PtrInconsistent, Error, Warning),
        (DnsblListed, Error, Notice),
        (PblUnlisted, Notice, Notice),
    ];
    for (code, mail, hosting) in table {
        assert_eq!(default_for(Policy::Mail, code), mail, "{code:?}");
        assert_eq!(default_for(Policy::Hosting, code), hosting, "{code:?}");
        assert_eq!(default_for(Policy::Reserved, code), hosting, "{code:?}");
    }
}

// ---- blocklists ----

fn listed(kind: ptr_audit_model::DnsblKind, answer: ptr_audit_model::DnsblAnswer) -> Lookup {
    let mut l = lookup(
        names(&["mail.customer-a.example.com."]),
        vec![("mail.customer-a.example.com.", fwd(&["203.0.113.5"]))],
    );
    let list = Arc::new(ptr_audit_model::Dnsbl {
        name: "zen.example".into(),
        kind,
    });
    l.dnsbl.push((list, answer));
    l
}

fn bl_codes(cs: &[&str]) -> ptr_audit_model::DnsblAnswer {
    ptr_audit_model::DnsblAnswer::Codes(cs.iter().map(|c| c.parse().unwrap()).collect())
}

#[test]
fn blocklist_codes_are_read_by_the_list_kind() {
    use ptr_audit_model::DnsblAnswer;
    use ptr_audit_model::DnsblKind::*;
    let mail = target("203.0.113.5", block(Policy::Mail, None), None);
    let hosting = target("203.0.113.5", block(Policy::Hosting, None), None);
    let run = |t: &Target, kind, answer| c().classify(t, &listed(kind, answer));

    // not listed: nothing to say
    assert!(run(&mail, SpamhausZen, DnsblAnswer::NotListed).is_empty());
    // SBL and PBL in one answer: one finding naming both, an error on mail blocks
    let fs = run(&mail, SpamhausZen, bl_codes(&["127.0.0.2", "127.0.0.10"]));
    assert_eq!(codes(&fs), vec![("dnsbl-listed", Severity::Error)]);
    assert!(fs[0].message.contains("(SBL, PBL)"), "{}", fs[0].message);
    assert_eq!(fs[0].text("list"), Some("zen.example"));
    assert_eq!(fs[0].text("kind"), Some("spamhaus-zen"));
    // a notice elsewhere
    let fs = run(&hosting, SpamhausZen, bl_codes(&["127.0.0.4"]));
    assert_eq!(codes(&fs), vec![("dnsbl-listed", Severity::Notice)]);
    assert!(fs[0].message.contains("XBL"));
    // a generic list: any 127/8 code is a listing
    let fs = run(&mail, Generic, bl_codes(&["127.0.0.77"]));
    assert_eq!(codes(&fs), vec![("dnsbl-listed", Severity::Error)]);

    // error codes and answers outside 127/8 are never listings: unknown
    for (kind, code, says) in [
        (SpamhausZen, "127.255.255.254", "public or open resolver"),
        (SpamhausZen, "127.255.255.252", "typo"),
        (SpamhausPbl, "127.255.255.255", "too many queries"),
        (Generic, "127.255.255.254", "public or open resolver"),
        (Generic, "10.0.0.1", "outside 127.0.0.0/8"),
        (SpamhausZen, "192.0.2.1", "outside 127.0.0.0/8"),
    ] {
        let fs = run(&mail, kind, bl_codes(&[code, "127.0.0.2"]));
        assert_eq!(
            codes(&fs),
            vec![("lookup-failed", Severity::Warning)],
            "{code}"
        );
        assert!(fs[0].message.contains(says), "{}", fs[0].message);
        assert_eq!(fs[0].text("lookup"), Some("dnsbl"));
        assert_eq!(fs[0].text("name"), Some("zen.example"));
        assert_eq!(fs[0].text("code"), Some(code));
        assert_eq!(fs[0].text("reason"), Some("error-code"));
    }
    // an unanswered lookup is unknown, never clean
    let fs = run(
        &mail,
        SpamhausZen,
        DnsblAnswer::Failed(FailureReason::Timeout),
    );
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
    assert_eq!(fs[0].text("reason"), Some("timeout"));
    assert_eq!(fs[0].text("lookup"), Some("dnsbl"));
}

#[test]
fn expect_pbl_turns_the_pbl_listing_into_the_expected_state() {
    use ptr_audit_model::DnsblAnswer;
    use ptr_audit_model::DnsblKind::*;
    let mut b = (*block(Policy::Hosting, None)).clone();
    b.expect_pbl = true;
    let t = target("203.0.113.5", Arc::new(b), None);
    let run = |kind, answer| c().classify(&t, &listed(kind, answer));
    // listed in the PBL, as the provider wants: nothing to say
    assert!(run(SpamhausZen, bl_codes(&["127.0.0.11"])).is_empty());
    assert!(run(SpamhausPbl, bl_codes(&["127.0.0.10"])).is_empty());
    // not in the PBL: a notice
    let fs = run(SpamhausZen, DnsblAnswer::NotListed);
    assert_eq!(codes(&fs), vec![("pbl-unlisted", Severity::Notice)]);
    // in the SBL but not the PBL: both
    let fs = run(SpamhausZen, bl_codes(&["127.0.0.2"]));
    assert_eq!(
        codes(&fs),
        vec![
            ("dnsbl-listed", Severity::Notice),
            ("pbl-unlisted", Severity::Notice)
        ]
    );
    // a list that cannot say (generic), or an unknown answer: no pbl-unlisted
    assert!(run(Generic, DnsblAnswer::NotListed).is_empty());
    let fs = run(SpamhausZen, DnsblAnswer::Failed(FailureReason::Timeout));
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
    let fs = run(SpamhausZen, bl_codes(&["127.255.255.254"]));
    assert_eq!(codes(&fs), vec![("lookup-failed", Severity::Warning)]);
}

#[test]
fn unknown_and_special_use_tlds_are_warnings_naming_the_list() {
    let t = target("203.0.113.5", block(Policy::Mail, None), None);
    let run = |c: &Classifier, name: &str| {
        c.classify(
            &t,
            &lookup(names(&[name]), vec![(name, fwd(&["203.0.113.5"]))]),
        )
    };
    // A listed TLD: nothing to say.
    assert!(run(&c(), "mail.example.com.").is_empty());
    // Not in the embedded list: a warning naming the list and its date.
    let fs = run(&c(), "mail.example.zzz.");
    assert_eq!(codes(&fs), vec![("ptr-unknown-tld", Severity::Warning)]);
    assert_eq!(fs[0].text("tld"), Some("zzz"));
    assert_eq!(fs[0].text("reason"), Some("unlisted"));
    assert!(
        fs[0].message.contains("psl 2.1.247, 2026-10-22 or newer"),
        "{}",
        fs[0].message
    );
    // A special-use TLD: the same code, saying why.
    let fs = run(&c(), "mail.customer-a.example.");
    assert_eq!(codes(&fs), vec![("ptr-unknown-tld", Severity::Warning)]);
    assert_eq!(fs[0].text("reason"), Some("special-use"));
    assert_eq!(fs[0].text("reserved_by"), Some("RFC 2606"));
    // An invalid name is ptr-invalid only (its TLD is no question).
    let fs = run(&c(), "mail.example.x.");
    assert_eq!(codes(&fs), vec![("ptr-invalid", Severity::Error)]);
    let fs = run(&c(), "mail.local.");
    assert_eq!(codes(&fs), vec![("ptr-invalid", Severity::Error)]);
    // A newer list that adds the TLD stops the warning, and names its date.
    let newer = crate::SuffixList::parse(
        "// VERSION: 2026-12-01_00-00-00_UTC\nzzz\ncom\n",
        "newer.dat",
    )
    .unwrap();
    let c2 = c().with_suffixes(newer);
    assert!(run(&c2, "mail.example.zzz.").is_empty());
    let fs = run(&c2, "mail.example.net.");
    assert_eq!(codes(&fs), vec![("ptr-unknown-tld", Severity::Warning)]);
    assert!(
        fs[0]
            .message
            .contains("the Public Suffix List of 2026-12-01 (newer.dat)"),
        "{}",
        fs[0].message
    );
    // The inventory's overrides apply as to every code.
    let mut b = (*block(Policy::Mail, None)).clone();
    b.severities = SeverityOverrides(vec![(FindingCode::PtrUnknownTld, Severity::Notice)]);
    let t2 = target("203.0.113.5", Arc::new(b), None);
    let name = "mail.example.zzz.";
    let fs = c().classify(
        &t2,
        &lookup(names(&[name]), vec![(name, fwd(&["203.0.113.5"]))]),
    );
    assert_eq!(codes(&fs), vec![("ptr-unknown-tld", Severity::Notice)]);
}

#[test]
fn a_loaded_list_moves_the_registered_domain_boundary() {
    let ip = ip("203.0.113.5");
    // `dynamic` is a dynamic word in the host part only. Under the embedded
    // list the registered domain of `mail.dynamic.example.zz` is
    // `example.zz`, so `dynamic` counts; a list with the second level
    // `example.zz` makes `dynamic.example.zz` the registered domain.
    let name = "mail.dynamic.example.zz";
    assert_eq!(c().judge(ip, name).label, Label::Generic);
    let list = crate::SuffixList::parse("zz\nexample.zz\n", "l.dat").unwrap();
    assert_eq!(c().with_suffixes(list).judge(ip, name).label, Label::Custom);
}
