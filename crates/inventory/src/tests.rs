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
    assert_eq!(t.block.source.line, 23);
    assert!(!inv.in_scope(ip("203.0.113.0")));
    assert!(!inv.in_scope(ip("198.51.100.33")));
}
