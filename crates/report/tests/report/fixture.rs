//! One fixture of records with hostile names, shared by every test.

use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ptr_audit_model::{
    AddressRecord, BlockFinding, BlockInfo, DnsName, FailureReason, Finding, FindingCode,
    ForwardAnswer, Lookup, Policy, Provider, PtrAnswer, Rcode, Severity, SeverityOverrides,
    SourceLocation, Target,
};
use ptr_audit_report::time::Date;
use ptr_audit_report::{
    Format, GateOptions, GateOutcome, Report, ReportMeta, SinkOptions, Summary, sink,
};

/// A `Write` whose bytes can be read after the sink that owns it is done.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn today() -> Date {
    Date::parse("2026-11-28").unwrap()
}

fn block(
    dc: &str,
    cidr: &str,
    policy: Policy,
    expect: Option<&str>,
    file: &str,
    line: u32,
) -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: Arc::from(dc),
        cidr: cidr.parse().unwrap(),
        policy,
        expect_ptr: expect.map(str::to_owned),
        expect_pbl: false,
        migrated_from: (dc == "fra1").then(|| Arc::from("ams3")),
        severities: if policy == Policy::Hosting {
            SeverityOverrides(vec![(FindingCode::PtrStale, Severity::Notice)])
        } else {
            SeverityOverrides::default()
        },
        source: SourceLocation {
            file: PathBuf::from(file),
            line,
        },
    })
}

pub struct Blocks {
    pub mail: Arc<BlockInfo>,
    pub classless: Arc<BlockInfo>,
    pub v6: Arc<BlockInfo>,
    pub hostile: Arc<BlockInfo>,
}

pub fn blocks() -> Blocks {
    const INV: &str = "inventories/example/inventory.yaml";
    Blocks {
        mail: block(
            "fra1",
            "203.0.113.0/26",
            Policy::Mail,
            Some("mail{d}.fra1.examplehost.net"),
            INV,
            23,
        ),
        classless: block("fra1", "192.0.2.0/26", Policy::Mail, None, INV, 30),
        v6: block(
            "fra1",
            "2001:db8:10::/124",
            Policy::Hosting,
            Some("v6-{ip6-dashed}.fra1.examplehost.net"),
            INV,
            32,
        ),
        hostile: block(
            "lon<b>|1,\"x\"",
            "198.51.100.0/27",
            Policy::Hosting,
            None,
            "inv/lon 1,=x.yaml",
            4,
        ),
    }
}

fn n(text: &str) -> DnsName {
    DnsName::from_presentation(text)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn rec(
    block: &Arc<BlockInfo>,
    addr: &str,
    expected: Option<&str>,
    lookup: Lookup,
    findings: Vec<Finding>,
) -> AddressRecord {
    let target = Target {
        ip: ip(addr),
        block: block.clone(),
        expected_ptr: expected.map(str::to_owned),
    };
    let classifier = ptr_audit_classify::Classifier::new(&Provider::default()).unwrap();
    classifier.record(target, lookup, findings)
}

fn answered(names: Vec<DnsName>, forward: Vec<(DnsName, ForwardAnswer)>) -> Lookup {
    Lookup {
        rcode: Some(Rcode::NoError),
        answer: PtrAnswer::Names(names),
        cname_chain: Vec::new(),
        dnsbl: Vec::new(),
        attempts: 1,
        forward,
    }
}

/// An address with a clean PTR that blocklists list: a Spamhaus SBL and PBL
/// listing (under a DQS zone shown with `{key}`), a list name with markup and
/// formula characters (names read back from a report are untrusted), an
/// error code and an unanswered list; its findings from the classifier.
pub fn listed(block: &Arc<BlockInfo>, addr: &str, name: &DnsName) -> AddressRecord {
    use ptr_audit_model::{Dnsbl, DnsblAnswer, DnsblKind};
    let list = |name: &str, kind| {
        Arc::new(Dnsbl {
            name: name.into(),
            kind,
        })
    };
    let mut lookup = answered(
        vec![name.clone()],
        vec![(name.clone(), ForwardAnswer::Addresses(vec![ip(addr)]))],
    );
    lookup.dnsbl = vec![
        (
            list("{key}.zen.dq.spamhaus.net", DnsblKind::SpamhausZen),
            DnsblAnswer::Codes(vec![
                "127.0.0.2".parse().unwrap(),
                "127.0.0.10".parse().unwrap(),
            ]),
        ),
        (
            list("=cmd|' /c calc'!a0,<b>.example", DnsblKind::Generic),
            DnsblAnswer::Codes(vec!["127.0.0.5".parse().unwrap()]),
        ),
        (
            list("pbl.example", DnsblKind::SpamhausPbl),
            DnsblAnswer::Codes(vec!["127.255.255.254".parse().unwrap()]),
        ),
        (
            list("dead.example", DnsblKind::Generic),
            DnsblAnswer::Failed(FailureReason::Timeout),
        ),
        (
            list("clean.example", DnsblKind::Generic),
            DnsblAnswer::NotListed,
        ),
    ];
    let target = Target {
        ip: ip(addr),
        block: block.clone(),
        expected_ptr: None,
    };
    let classifier = ptr_audit_classify::Classifier::new(&Provider::default()).unwrap();
    let findings = classifier.classify(&target, &lookup);
    rec(block, addr, None, lookup, findings)
}

/// A 250-octet name: 4 labels of 61 octets plus `example`.
pub fn long_name() -> DnsName {
    let label = "l".repeat(61);
    n(&format!("{label}.{label}.{label}.{label}.example."))
}

/// The records, deliberately not in address order.
pub fn records() -> Vec<AddressRecord> {
    let b = blocks();
    let fwd = |name: &DnsName, a: &str| vec![(name.clone(), ForwardAnswer::Addresses(vec![ip(a)]))];
    let ok_name = n("mail.customer-a.example.");
    let generic = n("static.5.113.0.203.clients.examplehost.net.");
    let control = DnsName::from_labels([
        b"evil\x1b[31m<script>alert(1)</script>".as_slice(),
        b"example".as_slice(),
    ]);
    let formula = n("=HYPERLINK(\"http://evil.example/\",\"click\").example.");
    let pipe = n("a|b`rm -rf`*x*[l](u).example.");
    let pct = n("v6-host%0Anewline.example.");
    let stale = n("web6.ams3.examplehost.net.");
    let at = n("@everyone,=cmd|' /C calc'!A0.example.");
    vec![
        rec(
            &b.mail,
            "203.0.113.7",
            Some("mail7.fra1.examplehost.net"),
            answered(
                vec![formula.clone()],
                vec![(formula.clone(), ForwardAnswer::NxDomain)],
            ),
            vec![
                Finding::new(
                    FindingCode::FcrdnsFailed,
                    Severity::Error,
                    format!("`{formula}` has no A record"),
                )
                .with_text("reason", "nxdomain"),
                Finding::new(
                    FindingCode::PtrUnexpected,
                    Severity::Warning,
                    "differs from the expected `mail7.fra1.examplehost.net`",
                )
                .with_text("expected", "mail7.fra1.examplehost.net"),
            ],
        ),
        rec(
            &b.mail,
            "203.0.113.25",
            Some("mail.customer-a.example"),
            answered(vec![ok_name.clone()], fwd(&ok_name, "203.0.113.25")),
            vec![],
        ),
        rec(
            &b.mail,
            "203.0.113.5",
            Some("mail5.fra1.examplehost.net"),
            answered(vec![generic.clone()], fwd(&generic, "203.0.113.5")),
            vec![
                Finding::new(
                    FindingCode::PtrGeneric,
                    Severity::Error,
                    "the name is the provider's default",
                )
                .with_list(
                    "kinds",
                    vec!["provider-default".into(), "ip-reversed".into()],
                )
                .with_text("matched", "5.113.0.203"),
            ],
        ),
        rec(
            &b.mail,
            "203.0.113.6",
            Some("mail6.fra1.examplehost.net"),
            answered(vec![control.clone()], vec![]),
            vec![
                Finding::new(
                    FindingCode::PtrInvalid,
                    Severity::Error,
                    format!("`{control}` is not a host name"),
                )
                .with_text("reason", "control-character"),
            ],
        ),
        rec(
            &b.mail,
            "203.0.113.8",
            Some("mail8.fra1.examplehost.net"),
            answered(
                vec![pipe.clone(), long_name()],
                vec![
                    (
                        pipe.clone(),
                        ForwardAnswer::Addresses(vec![ip("203.0.113.8")]),
                    ),
                    (
                        long_name(),
                        ForwardAnswer::Addresses(vec![ip("203.0.113.99"), ip("203.0.113.8")]),
                    ),
                ],
            ),
            vec![Finding {
                code: FindingCode::PtrMultiple,
                severity: Severity::Warning,
                message: "2 PTR records".into(),
                details: vec![ptr_audit_model::Detail {
                    key: "count",
                    value: ptr_audit_model::DetailValue::Count(2),
                }],
            }],
        ),
        rec(
            &b.mail,
            "203.0.113.9",
            Some("mail9.fra1.examplehost.net"),
            Lookup {
                rcode: None,
                answer: PtrAnswer::Failed(FailureReason::Timeout),
                cname_chain: vec![],
                dnsbl: Vec::new(),
                attempts: 3,
                forward: vec![],
            },
            vec![
                Finding::new(
                    FindingCode::LookupFailed,
                    Severity::Error,
                    "no answer after 3 attempts",
                )
                .with_text("reason", "timeout"),
            ],
        ),
        rec(
            &b.classless,
            "192.0.2.11",
            None,
            Lookup {
                rcode: Some(Rcode::NxDomain),
                answer: PtrAnswer::NxDomain,
                cname_chain: vec![],
                dnsbl: Vec::new(),
                attempts: 1,
                forward: vec![],
            },
            vec![
                Finding::new(
                    FindingCode::PtrMissing,
                    Severity::Error,
                    "no PTR (NXDOMAIN)",
                )
                .with_text("reason", "nxdomain"),
            ],
        ),
        rec(
            &b.classless,
            "192.0.2.10",
            Some("mx.customer-b.example"),
            Lookup {
                rcode: Some(Rcode::NxDomain),
                answer: PtrAnswer::BrokenDelegation {
                    target: n("10.0/26.2.0.192.in-addr.arpa."),
                },
                cname_chain: vec![n("10.0/26.2.0.192.in-addr.arpa.")],
                dnsbl: Vec::new(),
                attempts: 1,
                forward: vec![],
            },
            vec![
                Finding::new(
                    FindingCode::PtrMissing,
                    Severity::Error,
                    "the CNAME chain ends at `10.0/26.2.0.192.in-addr.arpa.`, which does not exist",
                )
                .with_text("reason", "broken-delegation"),
            ],
        ),
        rec(
            &b.v6,
            "2001:db8:10::5",
            Some("v6-2001-db8-10--5.fra1.examplehost.net"),
            answered(
                vec![pct.clone()],
                vec![(
                    pct.clone(),
                    ForwardAnswer::Failed(FailureReason::Network("connection refused".into())),
                )],
            ),
            vec![
                Finding::new(
                    FindingCode::FcrdnsFailed,
                    Severity::Error,
                    "forward lookup failed: network: connection refused",
                ),
                Finding::new(
                    FindingCode::PtrUnexpected,
                    Severity::Warning,
                    "differs from the expected name",
                ),
            ],
        ),
        rec(
            &b.v6,
            "2001:db8:10::6",
            Some("evil.example.\nupdate add x.example. 1 A 192.0.2.1"),
            answered(vec![stale.clone()], fwd(&stale, "2001:db8:10::6")),
            vec![
                Finding::new(
                    FindingCode::PtrStale,
                    Severity::Notice,
                    "the name still names `ams3`",
                )
                .with_text("detail-message", "kept as a detail")
                .with_text("code", "a detail named like a record field"),
            ],
        ),
        rec(
            &b.hostile,
            "198.51.100.7",
            None,
            answered(vec![at.clone()], fwd(&at, "198.51.100.7")),
            vec![
                Finding::new(
                    FindingCode::PtrGeneric,
                    Severity::Warning,
                    "token `cmd|' /C calc'` marks a dynamic name\r\n::error::injected",
                )
                .with_list("kinds", vec!["dynamic-token".into()]),
            ],
        ),
        rec(
            &b.hostile,
            "198.51.100.8",
            None,
            Lookup {
                rcode: Some(Rcode::ServFail),
                answer: PtrAnswer::Failed(FailureReason::Rcode(Rcode::ServFail)),
                cname_chain: vec![],
                dnsbl: Vec::new(),
                attempts: 3,
                forward: vec![],
            },
            vec![
                Finding::new(
                    FindingCode::LookupFailed,
                    Severity::Error,
                    "SERVFAIL after 3 attempts",
                )
                .with_text("reason", "servfail"),
            ],
        ),
    ]
}

pub fn block_findings() -> Vec<BlockFinding> {
    vec![BlockFinding {
        block: blocks().hostile,
        finding: Finding::new(
            FindingCode::PtrGeneric,
            Severity::Warning,
            "12 addresses share the placeholder `hosted-by.<b>.example.`",
        )
        .with_text("kind", "placeholder")
        .with_text("name", "hosted-by.<b>.example."),
    }]
}

pub fn meta() -> ReportMeta {
    ReportMeta {
        tool_version: "0.1.0".into(),
        inventory_files: vec![
            PathBuf::from("inventories/example/inventory.yaml"),
            PathBuf::from("inv/lon 1,=x.yaml"),
        ],
        resolvers: vec!["127.0.0.1:5353".into()],
        zones: Vec::new(),
        qps: Some(500),
        concurrency: 256,
        timeout_ms: 2000,
        attempts: 3,
        authoritative: false,
        dnsbl: Vec::new(),
        dnsbl_resolvers: Vec::new(),
        psl: Some("the embedded Public Suffix List (psl 2.1.247, 2026-10-22 or newer)".into()),
        started_at: "2026-11-28T19:40:05Z".into(),
        scope: 12,
        changed_since: None,
        shard: None,
        provider_domains: vec!["examplehost.net.".to_owned()],
    }
}

pub fn gate_options() -> GateOptions {
    GateOptions {
        today: today(),
        ..GateOptions::default()
    }
}

/// Renders the fixture in `format` with `gate` options; returns the text.
pub fn render_with(
    format: Format,
    options: &SinkOptions,
    gate: GateOptions,
    records: &[AddressRecord],
) -> (String, Summary, GateOutcome) {
    let buf = SharedBuf::default();
    let mut report = Report::new(gate);
    report.add_sink(sink(format, Box::new(buf.clone()), &meta(), options).unwrap());
    for r in records {
        report.record(r).unwrap();
    }
    let (summary, outcome) = report
        .finish("2026-11-28T19:41:00Z", true, &block_findings())
        .unwrap();
    (buf.text(), summary, outcome)
}

pub fn render(format: Format) -> String {
    render_with(format, &SinkOptions::default(), gate_options(), &records()).0
}

/// A block of datacenter `dc` for synthetic records.
pub fn synthetic_block(dc: &str, cidr: &str, migrated_from: Option<&str>) -> Arc<BlockInfo> {
    Arc::new(BlockInfo {
        datacenter: Arc::from(dc),
        cidr: cidr.parse().unwrap(),
        policy: Policy::Hosting,
        expect_ptr: None,
        expect_pbl: false,
        migrated_from: migrated_from.map(Arc::from),
        severities: SeverityOverrides::default(),
        source: SourceLocation {
            file: PathBuf::from("synthetic.yaml"),
            line: 1,
        },
    })
}

/// A record of `ip` in `block` whose PTR is `name`, with one finding of
/// `code` (an error) or none.
pub fn synthetic_record(
    block: &Arc<BlockInfo>,
    ip: IpAddr,
    name: DnsName,
    code: Option<FindingCode>,
) -> AddressRecord {
    let findings: Vec<Finding> = code
        .map(|c| Finding::new(c, Severity::Error, format!("`{name}` is not right")))
        .into_iter()
        .collect();
    let target = Target {
        ip,
        block: block.clone(),
        expected_ptr: None,
    };
    let lookup = answered(
        vec![name.clone()],
        vec![(name, ForwardAnswer::Addresses(vec![ip]))],
    );
    let classifier = ptr_audit_classify::Classifier::new(&Provider::default()).unwrap();
    classifier.record(target, lookup, findings)
}

/// Writes `records` through a `format` sink with the fixture's metadata;
/// returns the text.
pub fn render_records(format: Format, records: impl IntoIterator<Item = AddressRecord>) -> String {
    let buf = SharedBuf::default();
    let mut report = Report::new(gate_options());
    report.add_sink(
        sink(
            format,
            Box::new(buf.clone()),
            &meta(),
            &SinkOptions::default(),
        )
        .unwrap(),
    );
    for r in records {
        report.record(&r).unwrap();
    }
    report.finish("2026-11-28T19:41:00Z", true, &[]).unwrap();
    buf.text()
}
