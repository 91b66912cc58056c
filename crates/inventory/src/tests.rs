//! Unit tests of loading, validation and iteration over whole inventories.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use ptr_audit_model::Policy;

use crate::{Level, Loaded, load};

fn example() -> String {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../inventories/example/inventory.yaml");
    root.to_string_lossy().into_owned()
}

/// Loads YAML text written to a temporary file named `name`.
fn load_yaml(text: &str) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.yaml");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    load(&[path.to_string_lossy().into_owned()]).unwrap()
}

fn errors(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

fn warnings(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn example_inventory_is_valid() {
    let l = load(&[example()]).unwrap();
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let inv = &l.inventory;
    assert_eq!(inv.provider.name, "Example Hosting");
    assert_eq!(inv.datacenters.len(), 2);
    assert_eq!(inv.blocks.len(), 6);
    // 62 (64 less 0,1,63) + 64 + 16 + 32 + 8
    assert_eq!(inv.scope_len(), 61 + 64 + 16 + 32 + 8);
    let s = inv.summary();
    assert_eq!(s.policies[0].addresses, 61 + 64);
    assert_eq!(s.policies[2].addresses, 16);
    let t = inv.targets().find(|t| t.ip == ip("203.0.113.25")).unwrap();
    assert_eq!(t.expected_ptr.as_deref(), Some("mail.customer-a.example"));
    let t = inv.targets().find(|t| t.ip == ip("203.0.113.26")).unwrap();
    assert_eq!(
        t.expected_ptr.as_deref(),
        Some("mail26.fra1.examplehost.net")
    );
    assert_eq!(t.block.migrated_from.as_deref(), Some("ams3"));
    let text = std::fs::read_to_string(example()).unwrap();
    let line = text.lines().nth(t.block.source.line as usize - 1).unwrap();
    assert!(line.contains("cidr: 203.0.113.0/26"), "{line}");
    assert!(!inv.in_scope(ip("203.0.113.0")));
    assert!(!inv.in_scope(ip("198.51.100.33")));
}

const HEAD: &str = "version: 1\nprovider:\n  name: P\n";

#[test]
fn yaml_syntax_error_has_position() {
    let l = load_yaml("version: 1\ndatacenters: [\n  {name: a\n");
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("yaml syntax"), "{e:?}");
}

#[test]
fn unknown_key_names_allowed_and_nearest() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        polcy: mail\n"
    ));
    let d: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(d.len(), 2, "{:#?}", l.diagnostics);
    assert_eq!((d[0].line, d[0].column), (8, 9));
    assert_eq!(d[0].message, "unknown key `polcy` in a block");
    assert!(
        d[0].help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `policy`?")
    );
    assert!(d[0].help.as_deref().unwrap().contains("`expect_ptr`"));
    assert_eq!(d[1].message, "missing required key `policy` in a block");
    assert_eq!(d[1].line, 7);
}

#[test]
fn wrong_types_and_unsupported_version() {
    let l = load_yaml(
        "version: 2\nprovider: [x]\ndatacenters:\n  - name: a\n    blocks: 203.0.113.0/24\n",
    );
    let e = errors(&l);
    assert!(
        e.iter()
            .any(|m| m.starts_with("1:10: unsupported inventory version `2`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("2:11: expected `provider` as a mapping, found a list")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("5:13: expected a list for `blocks`, found text")),
        "{e:?}"
    );
    let l = load_yaml("provider:\n  name: x\n");
    assert!(
        errors(&l)
            .iter()
            .any(|m| m.contains("missing required key `version`"))
    );
}

#[test]
fn bad_cidrs_and_host_bits() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.5/24\n        policy: mail\n      - cidr: 198.51.100.0/40\n        policy: hosting\n"
    ));
    let d: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(d.len(), 2, "{:#?}", l.diagnostics);
    assert_eq!((d[0].line, d[0].column), (7, 15));
    assert_eq!(d[0].message, "host bits set in block `203.0.113.5/24`");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `203.0.113.0/24`?"));
    assert!(
        d[1].message.contains("prefix length must be 0 to 32"),
        "{:?}",
        d[1]
    );
}

#[test]
fn overlaps_and_duplicates_name_both_places() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n  - name: b\n    blocks:\n      - cidr: 203.0.113.128/25\n        policy: hosting\n      - cidr: 203.0.113.0/24\n        policy: hosting\n"
    ));
    let e = errors(&l);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e.iter().any(|m| m
            .starts_with("11:15: block `203.0.113.128/25` overlaps block `203.0.113.0/24` (at ")
            && m.contains("inv.yaml:7, datacenter `a`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("13:15: duplicate block `203.0.113.0/24` (also at ")),
        "{e:?}"
    );
}

#[test]
fn excludes_outside_block_and_assignments() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n        exclude: [203.0.113.0/31, 198.51.100.1]\n      - cidr: 192.0.2.0/24\n        policy: reserved\nassignments:\n  - ip: 203.0.113.9\n    ptr: a.example\n  - ip: 203.0.113.9\n    ptr: b.example\n  - ip: 198.51.100.7\n    ptr: c.example\n  - ip: 192.0.2.1\n    ptr: d.example\n  - ip: 203.0.113.1\n    ptr: e.example\n"
    ));
    let e = errors(&l);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("9:35: exclude `198.51.100.1/32` is outside its block `203.0.113.0/24`"),
        "{e:?}"
    );
    assert!(
        e.iter().any(
            |m| m.starts_with("15:5: duplicate assignment for `203.0.113.9` (first at ")
                && m.ends_with("inv.yaml:13)")
        ),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("17:5: assignment for `198.51.100.7` is outside every block")),
        "{e:?}"
    );
    let w = warnings(&l);
    assert!(w.iter().any(|m| m.contains("`192.0.2.1` is never scanned: block `192.0.2.0/24` is `reserved`")), "{w:?}");
    assert!(
        w.iter()
            .any(|m| m.contains("`203.0.113.1` is never scanned")),
        "{w:?}"
    );
}

#[test]
fn template_placeholders_are_checked() {
    let l = load_yaml(
        "version: 1\nprovider:\n  name: P\n  default_ptr: [\"{ip-dashd}.example\"]\ndatacenters:\n  - name: a\n    blocks:\n      - cidr: 2001:db8::/120\n        policy: hosting\n        expect_ptr: \"mail{d}.example\"\n",
    );
    let d: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(d.len(), 2, "{:#?}", l.diagnostics);
    assert_eq!((d[0].line, d[0].column), (4, 18));
    assert_eq!((d[1].line, d[1].column), (10, 26));
    assert!(
        d[0].message.contains("unknown placeholder `{ip-dashd}`"),
        "{:?}",
        d[0]
    );
    assert!(d[0].message.contains("`{ip-dashed}`"));
    assert_eq!(d[1].line, 10);
    assert!(
        d[1].message
            .contains("uses IPv4-only `{d}` but block `2001:db8::/120` is IPv6"),
        "{:?}",
        d[1]
    );
}

#[test]
fn migration_checks() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    status: migrated\n    blocks: [{{cidr: 203.0.113.0/24, policy: mail}}]\n  - name: b\n    status: migrated\n    migrated_from: ams9\n    migrated_at: 2026-02-30\n    blocks: [{{cidr: 198.51.100.0/24, policy: mail}}]\n  - name: a\n    blocks: [{{cidr: 192.0.2.0/24, policy: mail}}]\n"
    ));
    let e = errors(&l);
    assert!(
        e.iter()
            .any(|m| m
                .starts_with("6:13: datacenter `a` has `status: migrated` but no `migrated_from`")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|m| m
            .starts_with("11:18: `migrated_at` must be a date `YYYY-MM-DD`, found `2026-02-30`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("13:5: duplicate datacenter `a` (first at ")),
        "{e:?}"
    );
    let w = warnings(&l);
    assert!(
        w.iter()
            .any(|m| m.starts_with("10:20: `migrated_from` names unknown datacenter `ams9`")),
        "{w:?}"
    );
}

#[test]
fn empty_inventories_are_errors() {
    for text in ["", "version: 1\n", "version: 1\ndatacenters: []\n"] {
        let l = load_yaml(text);
        assert!(l.has_errors(), "{text:?}");
        assert!(
            errors(&l).iter().any(|m| m.contains("empty")),
            "{text:?}: {:?}",
            errors(&l)
        );
    }
}

#[test]
fn large_ipv6_blocks_need_sampling() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 2001:db8::/48\n        policy: hosting\n"
    ));
    let d: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("has 2^80 addresses"), "{:?}", d[0]);
    assert!(d[0].help.as_deref().unwrap().contains("sample"));

    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 2001:db8::/48\n        policy: hosting\n        sample: {{per_subnet: /64, first: 4, offset: 1}}\n        exclude: [2001:db8:0:1::/64]\n      - cidr: 2001:db8:1::/48\n        policy: mail\n        sample: {{first: 10}}\n"
    ));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let inv = &l.inventory;
    assert_eq!(inv.scope_len(), (65536 - 1) * 4 + 10);
    let first: Vec<String> = (0..6)
        .map(|i| inv.target_at(i).unwrap().ip.to_string())
        .collect();
    assert_eq!(
        first,
        [
            "2001:db8::1",
            "2001:db8::2",
            "2001:db8::3",
            "2001:db8::4",
            "2001:db8:0:2::1",
            "2001:db8:0:2::2"
        ]
    );
    let last = inv.target_at(inv.scope_len() - 1).unwrap();
    assert_eq!(last.ip, ip("2001:db8:1::9"));
    assert!(inv.target_at(inv.scope_len()).is_none());
}

#[test]
fn target_at_agrees_with_targets_and_index_of() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n        expect_ptr: \"m{{d}}.{{datacenter}}.example\"\n        exclude: [203.0.113.0/30, 203.0.113.128/26, 203.0.113.255]\n      - cidr: 198.51.100.0/28\n        policy: hosting\n      - cidr: 2001:db8::/124\n        policy: hosting\n        exclude: [2001:db8::8/125]\n      - cidr: 192.0.2.0/24\n        policy: reserved\n"
    ));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let inv = &l.inventory;
    let all: Vec<_> = inv.targets().collect();
    assert_eq!(all.len() as u64, inv.scope_len());
    assert_eq!(inv.scope_len(), 16 + (256 - 4 - 64 - 1) + 8);
    assert_eq!(inv.targets().size_hint().0, all.len());
    for (i, t) in all.iter().enumerate() {
        assert_eq!(inv.target_at(i as u64).as_ref(), Some(t));
        assert_eq!(inv.index_of(t.ip), Some(i as u64));
    }
    // Sorted, IPv4 first, no duplicates.
    assert!(all.windows(2).all(|w| w[0].ip < w[1].ip));
    assert_eq!(all[0].ip, ip("198.51.100.0"));
    assert_eq!(all[16].ip, ip("203.0.113.4"));
    assert_eq!(all[16].expected_ptr.as_deref(), Some("m4.a.example"));
    assert!(!inv.in_scope(ip("203.0.113.130")) && !inv.in_scope(ip("192.0.2.1")));
    assert_eq!(
        inv.block_of(ip("192.0.2.1")).unwrap().policy,
        Policy::Reserved
    );
    assert_eq!(inv.index_of(ip("10.0.0.1")), None);
}

#[test]
fn plain_cidr_arguments() {
    let l = load(&["203.0.113.0/30".to_owned(), "198.51.100.7".to_owned()]).unwrap();
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    assert_eq!(l.inventory.scope_len(), 5);
    let t = l.inventory.target_at(0).unwrap();
    assert_eq!(t.ip, ip("198.51.100.7"));
    assert_eq!(&*t.block.datacenter, "-");
    assert_eq!(t.block.policy, Policy::Hosting);
    assert_eq!(t.block.source.file, PathBuf::from("<args>"));

    let l = load(&["203.0.113.5/24".to_owned()]).unwrap();
    assert_eq!(
        l.diagnostics[0].help.as_deref(),
        Some("did you mean `203.0.113.0/24`?")
    );
    assert!(load(&["no-such-file.yaml".to_owned()]).is_err());
}

#[test]
fn plain_cidr_list_file_with_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scope.txt");
    std::fs::write(
        &path,
        "# our space\n203.0.113.0/30   # four\n\n  198.51.100.7\n2001:db8::1 extra\n192.0.2.9/24\n",
    )
    .unwrap();
    let l = load(&[path.to_string_lossy().into_owned()]).unwrap();
    let d: Vec<_> = l
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.clone()))
        .collect();
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!((d[0].0, d[0].1), (5, 13));
    assert!(d[0].2.contains("unexpected `extra`"));
    assert_eq!((d[1].0, d[1].1), (6, 1));
    assert_eq!(l.inventory.blocks.len(), 2);
    assert_eq!(l.inventory.blocks[1].source.line, 2);
}

#[test]
fn directory_merges_files_and_finds_cross_file_overlap() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), format!("{HEAD}resolvers: [127.0.0.1, \"[::1]:5353\"]\ndatacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n")).unwrap();
    std::fs::write(dir.path().join("b.yml"), "version: 1\ndatacenters:\n  - name: b\n    severity: {ptr-generic: notice}\n    blocks:\n      - cidr: 203.0.113.64/26\n        policy: hosting\n        severity: {ptr-stale: error}\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not read").unwrap();
    let l = load(&[dir.path().to_string_lossy().into_owned()]).unwrap();
    let d: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(d.len(), 1, "{:#?}", l.diagnostics);
    assert!(d[0].file.ends_with("b.yml"));
    assert_eq!(d[0].line, 6);
    assert!(d[0].message.contains("a.yaml:8"), "{}", d[0].message);
    assert_eq!(l.inventory.files.len(), 2);
    assert_eq!(l.inventory.resolvers.len(), 2);
    assert_eq!(l.inventory.resolvers[0].port(), 53);
}

#[test]
fn severities_merge_block_over_datacenter_over_provider() {
    use ptr_audit_model::{FindingCode, Severity};
    let l = load_yaml(
        "version: 1\nprovider:\n  name: P\n  severity: {ptr-generic: error, ptr-multiple: notice}\ndatacenters:\n  - name: a\n    severity: {ptr-generic: notice}\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: hosting\n        severity: {ptr-multiple: warning, ptr-gneric: error}\n",
    );
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("unknown finding code `ptr-gneric`"));
    let l = load_yaml(
        "version: 1\nprovider:\n  name: P\n  severity: {ptr-generic: error, ptr-multiple: notice, ptr-stale: warning}\ndatacenters:\n  - name: a\n    severity: {ptr-generic: notice}\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: hosting\n        severity: {ptr-multiple: warning}\n",
    );
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let s = &l.inventory.blocks[0].severities;
    assert_eq!(s.get(FindingCode::PtrGeneric), Some(Severity::Notice));
    assert_eq!(s.get(FindingCode::PtrMultiple), Some(Severity::Warning));
    assert_eq!(s.get(FindingCode::PtrStale), Some(Severity::Warning));
    assert_eq!(s.get(FindingCode::PtrMissing), None);
}

mod no_panic {
    use proptest::prelude::*;

    use crate::load_texts;
    use crate::template::Template;

    const VALID: &str = include_str!("../../../inventories/example/inventory.yaml");

    fn check(text: String, name: &str) {
        let l = load_texts(vec![(name.into(), text)]);
        // Whatever the input, the result is usable without panicking.
        let n = l.inventory.scope_len().min(64);
        for i in 0..n {
            assert!(l.inventory.target_at(i).is_some());
        }
        assert_eq!(l.inventory.targets().take(64).count() as u64, n);
        let _ = l.inventory.summary();
        for d in &l.diagnostics {
            let _ = d.to_string();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn yaml_loader_never_panics_on_any_text(text in "\\PC{0,300}") {
            check(text.clone(), "x.yaml");
            check(text, "x.txt");
        }

        #[test]
        fn yaml_loader_never_panics_on_mutated_inventories(
            edits in proptest::collection::vec((0usize..2000, "[-a-z0-9:/{}\\[\\], \\n#&*!|>'\"]{0,6}", 0usize..8), 1..6)
        ) {
            let mut text = VALID.to_owned();
            for (at, insert, delete) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) { at -= 1; }
                let mut end = (at + delete).min(text.len());
                while !text.is_char_boundary(end) { end -= 1; }
                text.replace_range(at..end, &insert);
            }
            check(text, "x.yaml");
        }

        #[test]
        fn cidr_and_template_parsers_never_panic(text in "\\PC{0,60}", ip in any::<std::net::Ipv6Addr>(), v4 in any::<std::net::Ipv4Addr>()) {
            let _ = crate::load::parse_net(&text);
            if let Ok(t) = Template::parse(&text) {
                let _ = t.render(ip.into(), "dc");
                let _ = t.render(v4.into(), "dc");
            }
            check(text, "<args>");
        }
    }
}

#[test]
fn inventory_and_its_iterators_can_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let l = load(&[example()]).unwrap();
    send_sync(&l.inventory);
    send_sync(&l.inventory.targets());
    let inv = std::sync::Arc::new(l.inventory);
    let shared = std::sync::Arc::clone(&inv);
    let n = std::thread::spawn(move || shared.targets().count())
        .join()
        .unwrap();
    assert_eq!(n as u64, inv.scope_len());
}

#[test]
fn yaml_on_stdin_style_text_and_duplicate_keys() {
    // A text that is not marked as YAML but is: read as YAML.
    let text = std::fs::read_to_string(example()).unwrap();
    let l = crate::load_texts(vec![("-".into(), text)]);
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    assert_eq!(l.inventory.blocks.len(), 6);
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n        policy: hosting\n"
    ));
    let e = errors(&l);
    assert_eq!(
        e,
        ["9:9: duplicate key `policy` in a block (first at line 8)"]
    );
}

#[test]
fn constant_expect_ptr_on_a_wide_block_is_a_warning() {
    let l = load_yaml(&format!(
        "{HEAD}datacenters:\n  - name: a\n    blocks:\n      - cidr: 203.0.113.0/24\n        policy: mail\n        expect_ptr: mail.{{datacenter}}.example\n      - cidr: 198.51.100.7/32\n        policy: mail\n        expect_ptr: mx.example\n"
    ));
    assert!(!l.has_errors(), "{:#?}", l.diagnostics);
    let w = warnings(&l);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("9:21: `expect_ptr` has no address placeholder"),
        "{w:?}"
    );
}

mod scope_model {
    //! The arithmetic scope against a brute-force model: every address
    //! exactly once, in order, with `target_at` and `index_of` agreeing.

    use std::collections::BTreeSet;
    use std::net::Ipv6Addr;

    use proptest::prelude::*;

    use crate::load_texts;

    /// A small IPv6 block under 2001:db8:0:N::/112 with excludes and a sample.
    #[derive(Debug, Clone)]
    struct B {
        slot: u16,
        prefix: u8,
        excludes: Vec<(u16, u8)>,
        sample: Option<(u64, Option<u8>, u64)>,
        reserved: bool,
    }

    fn block() -> impl Strategy<Value = B> {
        (
            0u16..6,
            120u8..=128,
            proptest::collection::vec((0u16..256, 122u8..=128), 0..4),
            proptest::option::of((1u64..6, proptest::option::of(122u8..=128), 0u64..3)),
            proptest::bool::weighted(0.15),
        )
            .prop_map(|(slot, prefix, excludes, sample, reserved)| B {
                slot,
                prefix,
                excludes,
                sample,
                reserved,
            })
    }

    fn base(slot: u16) -> u128 {
        u128::from(Ipv6Addr::new(0x2001, 0xdb8, 0, slot, 0, 0, 0, 0))
    }

    fn net(slot: u16, offset: u16, prefix: u8) -> (u128, u128) {
        let size = 1u128 << (128 - prefix);
        let lo = (base(slot) + u128::from(offset)) & !(size - 1);
        (lo, lo + size - 1)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn scope_matches_brute_force(blocks in proptest::collection::vec(block(), 1..5)) {
            let mut yaml = String::from("version: 1\ndatacenters:\n  - name: a\n    blocks:\n");
            let mut want = BTreeSet::new();
            let mut used = BTreeSet::new();
            for b in &blocks {
                if !used.insert(b.slot) {
                    continue; // one block per slot: no overlaps
                }
                let (lo, hi) = net(b.slot, 0, b.prefix);
                let cidr = format!("{}/{}", Ipv6Addr::from(lo), b.prefix);
                yaml += &format!("      - cidr: {cidr}\n        policy: {}\n", if b.reserved { "reserved" } else { "hosting" });
                let mut excludes = Vec::new();
                for &(off, len) in &b.excludes {
                    let len = len.max(b.prefix);
                    let (elo, ehi) = net(b.slot, off % (1 << (128 - u32::from(b.prefix)).min(8)) as u16, len);
                    excludes.push((elo, ehi));
                }
                if !excludes.is_empty() {
                    let list: Vec<String> = excludes.iter().map(|(elo, ehi)| {
                        let len = 128 - (ehi - elo + 1).trailing_zeros();
                        format!("{}/{len}", Ipv6Addr::from(*elo))
                    }).collect();
                    yaml += &format!("        exclude: [{}]\n", list.join(", "));
                }
                let mut members: Vec<u128> = (lo..=hi).collect();
                if let Some((first, per, offset)) = b.sample {
                    let per = per.map(|p| p.max(b.prefix));
                    let unit = 1u128 << (128 - per.unwrap_or(b.prefix));
                    if u128::from(offset + first) > unit {
                        continue_block(&mut yaml);
                        used.remove(&b.slot);
                        continue;
                    }
                    yaml += &format!("        sample: {{first: {first}, offset: {offset}{}}}\n",
                        per.map(|p| format!(", per_subnet: /{p}")).unwrap_or_default());
                    members.retain(|x| {
                        let within = (x - lo) % unit;
                        within >= u128::from(offset) && within < u128::from(offset + first)
                    });
                }
                if !b.reserved {
                    want.extend(members.into_iter().filter(|x| !excludes.iter().any(|(a, z)| a <= x && x <= z)));
                }
            }
            prop_assume!(!used.is_empty());
            let l = load_texts(vec![("p.yaml".into(), yaml.clone())]);
            prop_assert!(!l.has_errors(), "{yaml}\n{:#?}", l.diagnostics);
            let inv = &l.inventory;
            let got: Vec<u128> = inv.targets().map(|t| match t.ip {
                std::net::IpAddr::V6(v6) => u128::from(v6),
                std::net::IpAddr::V4(_) => unreachable!(),
            }).collect();
            let want: Vec<u128> = want.into_iter().collect();
            prop_assert_eq!(&got, &want, "{}", yaml);
            prop_assert_eq!(inv.scope_len(), want.len() as u64);
            for (i, x) in want.iter().enumerate() {
                let ip = std::net::IpAddr::V6(Ipv6Addr::from(*x));
                prop_assert_eq!(inv.target_at(i as u64).map(|t| t.ip), Some(ip));
                prop_assert_eq!(inv.index_of(ip), Some(i as u64));
            }
        }
    }

    /// Drops the block header just written (its sample would not fit).
    fn continue_block(yaml: &mut String) {
        let cut = yaml.rfind("      - cidr:").unwrap_or(yaml.len());
        yaml.truncate(cut);
    }
}

/// Found by the `inventory` fuzz target: a YAML error at the very end of a
/// text without a final newline was reported one line past the last line.
#[test]
fn yaml_error_at_the_end_names_a_line_of_the_text() {
    for text in [
        "version: 1\nk overlaps a.yaml'",
        "version: 1\ndatacenters:\n  - name: fra1\n    blocks:\n      - cidr: x # c\nk y'",
        "a: [",
        "a: [\n",
    ] {
        let l = load_yaml(text);
        let lines = text.lines().count() as u32;
        assert!(!l.diagnostics.is_empty(), "{text:?}");
        for d in &l.diagnostics {
            assert!(d.line <= lines, "{text:?}: {d}");
            if d.line > 0 {
                assert!(d.snippet.is_some(), "{text:?}: {d}");
            }
        }
    }
}

#[test]
fn expect_pbl_is_a_datacenter_default_a_block_may_override() {
    let l = load_yaml(
        "version: 1\ndatacenters:\n  - name: dial\n    expect_pbl: true\n    blocks:\n      - cidr: 198.51.100.0/28\n        policy: hosting\n      - cidr: 198.51.100.16/28\n        policy: mail\n        expect_pbl: false\n  - name: fra1\n    blocks:\n      - cidr: 203.0.113.0/28\n        policy: hosting\n        expect_pbl: true\n      - cidr: 203.0.113.16/28\n        policy: hosting\n",
    );
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
    let pbl = |a: &str| l.inventory.block_of(ip(a)).unwrap().expect_pbl;
    assert!(pbl("198.51.100.1"));
    assert!(!pbl("198.51.100.17"));
    assert!(pbl("203.0.113.1"));
    assert!(!pbl("203.0.113.17"));

    let l = load_yaml(
        "version: 1\ndatacenters:\n  - name: dial\n    expect_pbl: yes\n    blocks:\n      - cidr: 198.51.100.0/28\n        policy: hosting\n",
    );
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("4:17: unknown expect_pbl `yes`"), "{e:?}");
    assert!(e[0].contains("`true`"), "{e:?}");
}
