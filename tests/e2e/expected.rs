//! The hand-written expectations in `tests/e2e-zones/expected.tsv` (format in
//! the file's header).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Which scan a row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// Through Unbound (recursive, stub zones at NSD).
    Unbound,
    /// Straight at NSD (authoritative only).
    Nsd,
}

impl Via {
    fn keyword(self) -> &'static str {
        match self {
            Via::Unbound => "unbound",
            Via::Nsd => "nsd",
        }
    }
}

/// A column that may be left unchecked (`*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check<T> {
    /// `*`: not checked.
    Any,
    /// Must equal this.
    Is(T),
}

/// One address's expected result for one scan.
#[derive(Clone, Debug)]
pub struct Row {
    /// Line in expected.tsv.
    pub line: usize,
    /// Expected `status`.
    pub status: String,
    /// Expected set of finding codes.
    pub codes: BTreeSet<String>,
    /// Expected `reason` of the finding named by the status.
    pub reason: Check<String>,
    /// Expected PTR names (a set).
    pub ptr: Check<BTreeSet<String>>,
    /// Expected number of PTR names (`#N` in the ptr column).
    pub ptr_count: Option<usize>,
    /// Expected CNAME chain (in order).
    pub chain: Check<Vec<String>>,
}

fn list(field: &str) -> Vec<String> {
    if field == "-" {
        Vec::new()
    } else {
        field
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    }
}

fn check<T>(field: &str, f: impl FnOnce(&str) -> T) -> Check<T> {
    if field == "*" {
        Check::Any
    } else {
        Check::Is(f(field))
    }
}

/// The expectations for scan `via`, by address. Panics on a malformed file or
/// an address with zero or several rows for `via`.
pub fn load(via: Via) -> BTreeMap<IpAddr, Row> {
    let path = crate::servers::data_dir().join("expected.tsv");
    let text = std::fs::read_to_string(&path).expect("read tests/e2e-zones/expected.tsv");
    let mut rows = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = raw.split('\t').collect();
        assert_eq!(
            f.len(),
            7,
            "expected.tsv:{line}: 7 tab-separated columns, got {raw:?}"
        );
        let ip: IpAddr = f[0]
            .parse()
            .unwrap_or_else(|e| panic!("expected.tsv:{line}: bad address {:?}: {e}", f[0]));
        match f[1] {
            "*" => {}
            v if v == via.keyword() => {}
            "unbound" | "nsd" => continue,
            other => panic!("expected.tsv:{line}: unknown via {other:?}"),
        }
        let row = Row {
            line,
            status: f[2].to_string(),
            codes: list(f[3]).into_iter().collect(),
            reason: check(f[4], str::to_string),
            ptr: match f[5].strip_prefix('#') {
                Some(_) => Check::Any,
                None => check(f[5], |s| list(s).into_iter().collect()),
            },
            ptr_count: f[5].strip_prefix('#').map(|n| {
                n.parse()
                    .unwrap_or_else(|e| panic!("expected.tsv:{line}: bad count {n:?}: {e}"))
            }),
            chain: check(f[6], list),
        };
        if let Some(prev) = rows.insert(ip, row) {
            panic!(
                "expected.tsv:{line}: {ip} already has a row for {} (line {})",
                via.keyword(),
                prev.line
            );
        }
    }
    rows
}
