//! The pre-commit hook (`.pre-commit-hooks.yaml`) through pre-commit itself
//! (`pre-commit try-repo`, as a user tries a hook): it passes on a repository
//! with a good inventory and fails, naming the line, once a broken one is
//! added. Needs pre-commit (PyPI) and git; in CI (`CI=true`) a missing
//! pre-commit is a failure, elsewhere the test says it skipped.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, program: &str, args: &[&str], path: &str) -> std::io::Result<Output> {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-home"))
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.net")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.net")
        .env_remove("NO_COLOR")
        .output()
}

#[test]
fn the_pre_commit_hook_passes_a_good_inventory_and_fails_a_broken_one() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    // ptr-audit as the user has it installed: first on PATH.
    let bin = Path::new(env!("CARGO_BIN_EXE_ptr-audit")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    match run(dir, "pre-commit", &["--version"], &path) {
        Ok(out) if out.status.success() => {}
        other => {
            if std::env::var_os("CI").is_some_and(|v| v == "true") {
                panic!("pre-commit (PyPI, installed by .ci/run) cannot run in CI: {other:?}");
            }
            eprintln!("skipped: pre-commit is not installed (pip install pre-commit)");
            return;
        }
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        let out = run(dir, "git", args, &path).unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    std::fs::create_dir(dir.join("inventories")).unwrap();
    std::fs::copy(
        format!("{root}/inventories/example/inventory.yaml"),
        dir.join("inventories/fra1.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.yaml"), "not: [an inventory\n").unwrap();
    git(&["add", "-A"]);
    let try_repo = || {
        run(
            dir,
            "pre-commit",
            &["try-repo", root, "ptr-audit-validate", "--all-files"],
            &path,
        )
        .unwrap()
    };

    // The good inventory passes; notes.yaml is not an inventory and is not checked.
    let good = try_repo();
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{text}");
    assert!(
        text.contains("ptr-audit validate") && text.contains("Passed"),
        "{text}"
    );

    // A broken inventory fails the hook with its file, line and message.
    std::fs::copy(
        format!("{root}/tests/fixtures/inventories/host-bits.yaml"),
        dir.join("inventories/lon1.yaml"),
    )
    .unwrap();
    git(&["add", "-A"]);
    let bad = try_repo();
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("inventories/lon1.yaml:6:15: error: host bits set"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text:?}");
}
