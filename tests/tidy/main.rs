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
//! - every Rust module opens with a `//!` paragraph;
//! - each library depends only on the workspace crates below it (`LAYERS`);
//! - the binary names tokio only in its signal handler (`src/interrupt.rs`);
//! - every library's `lib.rs` makes clippy refuse `print_stdout` and
//!   `print_stderr` outside its tests;
//! - keywords are mapped to their model type in one place (`Policy`,
//!   `Rcode`, `Status`, `PtrResult`, `DnsblResult`: next to their
//!   `as_str`), never in a second table;
//! - JSON text in `report` and the binary is written by `report::json_text`
//!   only (no serde_json writer, no `json!`).

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
fn only_netbox_speaks_http() {
    let mut broken = Vec::new();
    for (name, dir) in crates() {
        if dependencies(&dir.join("Cargo.toml"))
            .iter()
            .any(|d| d == "ureq")
            && name != "netbox"
        {
            broken.push(format!("crates/{name} depends on `ureq`"));
        }
    }
    if dependencies(&root().join("Cargo.toml"))
        .iter()
        .any(|d| d == "ureq")
    {
        broken.push("the binary depends on `ureq`".into());
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

/// The workspace crates each library may depend on: the layering of
/// `docs/ARCHITECTURE.md` (model and the leaf parsers at the bottom; `report`
/// and `scan` know nothing of each other, of `classify` or of `inventory`).
const LAYERS: [(&str, &[&str]); 10] = [
    ("classify", &["model", "inventory"]),
    ("dnsserver", &["model", "tsig"]),
    ("inventory", &["model", "yaml"]),
    ("model", &[]),
    ("netbox", &["model", "inventory", "yaml", "classify"]),
    ("report", &["model", "yaml"]),
    ("scan", &["model"]),
    ("tsig", &[]),
    ("update", &["model", "inventory", "report", "tsig"]),
    ("yaml", &[]),
];

#[test]
fn crates_depend_only_on_the_layers_below() {
    let mut broken = Vec::new();
    for (name, dir) in crates() {
        let Some((_, allowed)) = LAYERS.iter().find(|(n, _)| *n == name) else {
            broken.push(format!("crates/{name} is not in tidy's LAYERS: place it"));
            continue;
        };
        for dep in dependencies(&dir.join("Cargo.toml")) {
            if let Some(inner) = dep.strip_prefix("ptr-audit-")
                && !allowed.contains(&inner)
            {
                broken.push(format!("crates/{name} depends on `{dep}`"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_binary_names_tokio_only_in_its_signal_handler() {
    let mut broken = Vec::new();
    for file in rust_files(&root().join("src")) {
        if file.ends_with("src/interrupt.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in non_test_lines(&text) {
            if line
                .split("//")
                .next()
                .unwrap_or_default()
                .contains("tokio")
            {
                broken.push(format!("{}:{n}", file.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "tokio outside src/interrupt.rs:\n{}",
        broken.join("\n")
    );
}

/// The attribute that makes clippy refuse printing in a library's own code
/// (its tests, examples and benches may print).
const NO_PRINT: &str = "#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]";

#[test]
fn libraries_deny_printing_through_clippy() {
    let broken: Vec<String> = crates()
        .into_iter()
        .filter(|(_, dir)| {
            let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap_or_default();
            !lib.lines().any(|l| l.trim() == NO_PRINT)
        })
        .map(|(name, _)| format!("crates/{name}/src/lib.rs"))
        .collect();
    assert!(
        broken.is_empty(),
        "without `{NO_PRINT}`:\n{}",
        broken.join("\n")
    );
}

/// Keywords with one owner: the model type whose `as_str` writes them and
/// whose `parse` reads them. Outside it, no line of library or binary code
/// pairs the type with one of its keywords as a string literal (a second
/// mapping table); tests may, and other vocabularies may use the same words
/// (SARIF's `error`, an address range that is `reserved`).
const OWNED_KEYWORDS: [(&str, &str, &[&str]); 7] = [
    (
        "crates/model/src/policy.rs",
        "Policy::",
        &["\"mail\"", "\"hosting\"", "\"reserved\""],
    ),
    (
        "crates/model/src/lookup.rs",
        "Rcode::",
        &[
            "\"NOERROR\"",
            "\"FORMERR\"",
            "\"SERVFAIL\"",
            "\"NXDOMAIN\"",
            "\"NOTIMP\"",
            "\"REFUSED\"",
        ],
    ),
    ("crates/model/src/record.rs", "Status::", &["\"ok\""]),
    ("crates/model/src/lookup.rs", "PtrAnswer::", PTR_RESULTS),
    ("crates/model/src/lookup.rs", "PtrResult::", PTR_RESULTS),
    ("crates/model/src/dnsbl.rs", "DnsblAnswer::", DNSBL_RESULTS),
    ("crates/model/src/dnsbl.rs", "DnsblResult::", DNSBL_RESULTS),
];

/// The `result` keywords of a record (`PtrResult`) and of a blocklist answer (`DnsblResult`).
const PTR_RESULTS: &[&str] = &[
    "\"answer\"",
    "\"nxdomain\"",
    "\"nodata\"",
    "\"broken-delegation\"",
    "\"failed\"",
];
const DNSBL_RESULTS: &[&str] = &["\"answer\"", "\"not-listed\"", "\"failed\""];

#[test]
fn keywords_are_mapped_by_their_owner_only() {
    let mut files: Vec<PathBuf> = crates()
        .into_iter()
        .flat_map(|(_, d)| rust_files(&d.join("src")))
        .collect();
    files.extend(rust_files(&root().join("src")));
    let mut broken = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for (owner, ty, words) in OWNED_KEYWORDS {
            if file.ends_with(owner) {
                continue;
            }
            for (n, line) in non_test_lines(&text) {
                let code = line.split("//").next().unwrap_or_default();
                if let Some(word) = words
                    .iter()
                    .find(|w| code.contains(ty) && code.contains(*w))
                {
                    broken.push(format!(
                        "{}:{n}: `{ty}` with {word} (owned by {owner})",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// What writes JSON text other than `report::json_text` (serde_json's
/// writers and its `json!` values).
const JSON_WRITERS: [&str; 5] = [
    "json!(",
    "serde_json::to_",
    "to_string_pretty(",
    "to_writer(",
    "Value::from(",
];

#[test]
fn json_text_is_written_by_one_owner() {
    // The serde view the record writer is checked against (a test-only module).
    let reference = root().join("crates/report/src/record/reference.rs");
    let mut broken = Vec::new();
    for dir in [root().join("crates/report/src"), root().join("src")] {
        for file in rust_files(&dir).into_iter().filter(|f| *f != reference) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in non_test_lines(&text) {
                let code = line.split("//").next().unwrap_or_default();
                if let Some(w) = JSON_WRITERS.iter().find(|w| code.contains(*w)) {
                    broken.push(format!(
                        "{}:{n}: `{w}` (JSON text is written by report::json_text)",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
