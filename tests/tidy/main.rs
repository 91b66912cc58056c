//! Tidy: the architecture invariants of `docs/ARCHITECTURE.md`, checked on
//! the source tree (as rust-analyzer's tidy tests do), so that they fail the
//! build instead of eroding in prose.
//!
//! - only `crates/scan` depends on hickory-resolver and governor (other
//!   crates' tests may use hickory-resolver as a reference client);
//! - tokio is a dependency of `scan`, `dnsserver` and the binary only;
//! - `model` has no IO, no async and no serde;
//! - library code never prints (`print!`, `println!`, `eprint!`,
//!   `eprintln!`, `dbg!`): only the binary writes to stdout and stderr;
//! - every Rust module opens with a `//!` paragraph.

use std::path::{Path, PathBuf};

/// The package root (where `crates/` and `src/` are).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The library crates: `crates/<name>`.
fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

/// The names in the `[dependencies]` table of a manifest (not dev- or
/// build-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line
                .split(['=', '.', ' '])
                .next()
                .unwrap_or_default()
                .trim_matches('"');
            out.push(name.to_owned());
        }
    }
    out
}

/// The lines of `text` outside `#[cfg(test)]` modules (a module starts at
/// the attribute and ends at the first line that closes at column 0).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut in_test = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            in_test = true;
        }
        if !in_test {
            out.push((i + 1, line));
        }
        if in_test && line == "}" {
            in_test = false;
        }
    }
    out
}

#[test]
fn only_scan_names_hickory_resolver_and_governor() {
    let mut broken = Vec::new();
    for (name, dir) in crates() {
        for dep in dependencies(&dir.join("Cargo.toml")) {
            let scan_only = matches!(dep.as_str(), "hickory-resolver" | "governor");
            if scan_only && name != "scan" {
                broken.push(format!("crates/{name} depends on `{dep}`"));
            }
            let tokio_ok = matches!(name.as_str(), "scan" | "dnsserver");
            if dep == "tokio" && !tokio_ok {
                broken.push(format!("crates/{name} depends on `tokio`"));
            }
        }
    }
    for dep in dependencies(&root().join("Cargo.toml")) {
        if matches!(dep.as_str(), "hickory-resolver" | "governor") {
            broken.push(format!("the binary depends on `{dep}`"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn model_has_no_io_no_async_no_serde() {
    let model = root().join("crates/model");
    let mut broken: Vec<String> = dependencies(&model.join("Cargo.toml"))
        .into_iter()
        .filter(|d| d.starts_with("serde") || d == "tokio" || d.starts_with("futures"))
        .map(|d| format!("crates/model depends on `{d}`"))
        .collect();
    for file in rust_files(&model.join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in non_test_lines(&text) {
            for banned in [
                "std::fs",
                "std::net::UdpSocket",
                "std::net::TcpStream",
                "std::io",
                "async fn",
                "serde",
            ] {
                if line.contains(banned) && !line.trim_start().starts_with("//") {
                    broken.push(format!("{}:{n}: `{banned}`", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn libraries_never_print() {
    let mut broken = Vec::new();
    for (_, dir) in crates() {
        for file in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in non_test_lines(&text) {
                let code = line.split("//").next().unwrap_or_default();
                for mac in ["println!(", "print!(", "eprintln!(", "eprint!(", "dbg!("] {
                    let hit = code.match_indices(mac).any(|(i, _)| {
                        // `eprintln!(` also contains `println!(`: match whole names.
                        i == 0 || !code.as_bytes()[i - 1].is_ascii_alphanumeric()
                    });
                    if hit {
                        broken.push(format!("{}:{n}: `{mac}`", file.display()));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_module_opens_with_its_doc_paragraph() {
    let mut dirs: Vec<PathBuf> = crates().into_iter().map(|(_, d)| d.join("src")).collect();
    dirs.push(root().join("src"));
    let mut broken = Vec::new();
    for dir in dirs {
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.trim_start().starts_with("//!") {
                broken.push(file.display().to_string());
            }
        }
    }
    assert!(
        broken.is_empty(),
        "modules without a `//!` paragraph:\n{}",
        broken.join("\n")
    );
}
