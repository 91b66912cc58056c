//! Any text as an inventory (`crates/inventory`, `load_texts`), read both as a
//! YAML file and as a CIDR list. Every diagnostic renders and names a line of
//! the text; an inventory without errors walks its scope consistently
//! (`target_at` and `index_of` are inverses, `targets()` agrees with them).
#![no_main]

use std::path::PathBuf;

use ptr_audit_inventory::load_texts;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // YAML breaks lines at `\r` as well as `\n`.
    let lines = text.split(['\n', '\r']).count();
    for name in ["inventory.yaml", "scope.txt"] {
        let loaded = load_texts(vec![(PathBuf::from(name), text.to_owned())]);
        for d in &loaded.diagnostics {
            let _ = d.to_string();
            let _ = d.location();
            assert!(
                d.line as usize <= lines,
                "diagnostic line {} of {lines}: {d}",
                d.line
            );
        }
        if loaded.has_errors() {
            continue;
        }
        let inv = &loaded.inventory;
        let _ = inv.summary();
        let len = inv.scope_len();
        let mut walked = inv.targets();
        for i in (0..len.min(64)).chain([len / 2, len.saturating_sub(1)]) {
            let t = inv
                .target_at(i)
                .expect("an index below scope_len has a target");
            assert_eq!(inv.index_of(t.ip), Some(i), "index_of(target_at({i}))");
            assert!(inv.in_scope(t.ip));
        }
        for i in 0..len.min(64) {
            let w = walked.next().expect("targets() yields scope_len addresses");
            assert_eq!(
                Some(w.ip),
                inv.target_at(i).map(|t| t.ip),
                "targets() at {i}"
            );
        }
        assert!(inv.target_at(len).is_none());
    }
});
