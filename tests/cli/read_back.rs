//! Reports read back (`merge`, `fix`, `--baseline`) are files people and
//! other tools edit: every field is checked, nothing nests without limit,
//! nothing unchecked is copied, and no byte of them reaches the terminal raw.

use std::path::{Path, PathBuf};

use crate::{assert_exit, ptr_audit_process as ptr_audit};

/// The two shards of a scan of the bundled example, in `dir`.
fn shards(dir: &Path) -> [PathBuf; 2] {
    ["1/2", "2/2"].map(|shard| {
        let path = dir.join(format!("shard-{}.json", &shard[..1]));
        let out = ptr_audit()
            .args(["scan", "inventories/example/inventory.yaml"])
            .args(["--zones", "inventories/example/zones", "--shard", shard])
            .args(["--format", "json", "--fail-on", "never", "--quiet"])
            .args(["--output", &format!("json={}", path.display())])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        path
    })
}

/// Replaces the first `from` in `path` with `to`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn merge(files: &[PathBuf], out: &Path) -> std::process::Output {
    ptr_audit()
        .arg("merge")
        .args(files)
        .args(["--output", &format!("json={}", out.display())])
        .output()
        .unwrap()
}

#[test]
fn merge_refuses_impossible_shard_fields_naming_file_and_field() {
    for bad in ["3/2", "1/0", "0/1", "1/4294967295", "2/x", "\u{1b}[2J"] {
        let dir = tempfile::tempdir().unwrap();
        let files = shards(dir.path());
        edit(
            &files[0],
            "\"shard\":\"1/2\"",
            &format!("\"shard\":{}", serde_json::to_string(bad).unwrap()),
        );
        let out = merge(&files, &dir.path().join("merged.json"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if bad == "1/4294967295" {
            // A valid shard, of another scan: refused as a set, not allocated.
            assert_exit(&out, 2);
            assert!(stderr.contains("shard"), "{bad}: {stderr}");
            continue;
        }
        assert_exit(&out, 2);
        assert!(
            stderr.contains("shard-1.json") && stderr.contains("inventory.shard"),
            "{bad}: {stderr}"
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "a raw ESC reached stderr: {stderr}"
        );
    }
}

#[test]
fn merge_refuses_values_nested_without_limit() {
    let dir = tempfile::tempdir().unwrap();
    let files = shards(dir.path());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    edit(
        &files[0],
        "\"policy\":\"mail\"",
        &format!("\"policy\":{deep}"),
    );
    let out = merge(&files, &dir.path().join("merged.json"));
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shard-1.json"), "{stderr}");
}

#[test]
fn merge_copies_nothing_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let files = shards(dir.path());
    edit(
        &files[1],
        "\"cname_chain\":[]",
        "\"cname_chain\":[not json \u{1b}]0;owned\u{7}\u{1b}[2J]",
    );
    let merged = dir.path().join("merged.json");
    let out = merge(&files, &merged);
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shard-2.json"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(!merged.exists(), "a refused merge wrote its output");

    // The same bytes escaped the JSON way are data: merged and still valid.
    let files = shards(dir.path());
    edit(
        &files[1],
        "\"cname_chain\":[]",
        "\"cname_chain\":[\"x\\u001b]0;owned\\u0007.example.\"]",
    );
    let out = merge(&files, &merged);
    // 0 or 1 by the merged gate (`merge` gates since issue 19); never 2.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&merged).unwrap();
    assert!(!text.contains('\u{1b}'));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("merged json is valid");
    assert!(
        doc["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["cname_chain"][0] == "x\u{1b}]0;owned\u{7}.example.")
    );
}
