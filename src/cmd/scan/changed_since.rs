//! `--changed-since`: the inventory to compare with, from a path or from
//! git (`git:REF`: the same inputs as they were at that revision).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ptr_audit_inventory::Inventory;

/// Loads the inventory to compare with for `--changed-since`: a path, or
/// `git:REF` for the same inputs as they were at that revision (files missing
/// there count as empty, so everything in them is changed).
pub(super) fn load_old_inventory(
    old: &str,
    inputs: &[String],
) -> anyhow::Result<Option<Inventory>> {
    let Some(rev) = old.strip_prefix("git:") else {
        let loaded = ptr_audit_inventory::load(&[old.to_owned()])?;
        return Ok(checked_old(loaded, old));
    };
    let mut texts = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if path.is_dir() {
            let listing = git(&["ls-tree", "--name-only", rev, "--", &format!("{input}/")])?;
            for file in listing.lines() {
                if (file.ends_with(".yaml") || file.ends_with(".yml"))
                    && let Some(text) = git_show(rev, file)?
                {
                    texts.push((PathBuf::from(file), text));
                }
            }
        } else if path.is_file() {
            if let Some(text) = git_show(rev, input)? {
                texts.push((path.to_path_buf(), text));
            }
        } else {
            // A CIDR or address given on the command line is the same at any revision.
            texts.push((PathBuf::from("<args>"), format!("{input}\n")));
        }
    }
    Ok(checked_old(ptr_audit_inventory::load_texts(texts), old))
}

fn checked_old(loaded: ptr_audit_inventory::Loaded, old: &str) -> Option<Inventory> {
    if loaded.has_errors() {
        // Best effort: this inventory is only compared, and the message says so.
        let _ = crate::cmd::print_diagnostics(&loaded.diagnostics, true);
        eprintln!("the inventory of `--changed-since {old}` is not valid");
        return None;
    }
    Some(loaded.inventory)
}

fn git(args: &[&str]) -> anyhow::Result<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .output()
        .context("cannot run `git` for `--changed-since git:REF`")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git printed something that is not UTF-8")
}

/// A file's text at `rev`, or `None` when it does not exist there.
fn git_show(rev: &str, path: &str) -> anyhow::Result<Option<String>> {
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .with_context(|| format!("`{rev}` is not a git revision"))?;
    let out = std::process::Command::new("git")
        .args(["show", &format!("{rev}:./{path}")])
        .output()
        .context("cannot run `git show`")?;
    if !out.status.success() {
        return Ok(None);
    }
    Ok(Some(String::from_utf8(out.stdout).with_context(|| {
        format!("`{path}` at `{rev}` is not UTF-8")
    })?))
}
