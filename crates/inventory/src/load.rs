//! Reading inputs (inventory YAML files, directories of them, CIDR lists,
//! command-line CIDRs, standard input) and turning each into checked
//! declarations with positions. Checks that span files live in `check.rs`.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{DatacenterStatus, FindingCode, Policy, Severity};

use crate::raw::{Loc, Raw, RawAssignment, RawBlock, RawDatacenter, RawProvider};
use crate::template::{Family, Placeholder, Template};
use crate::yaml::{self, Kind, Node};
use crate::{LoadError, Sample};

/// The inventory format version this crate reads.
pub const FORMAT_VERSION: &str = "1";

const TOP_KEYS: &[&str] = &[
    "version",
    "provider",
    "datacenters",
    "assignments",
    "resolvers",
];
const PROVIDER_KEYS: &[&str] = &["name", "domains", "default_ptr", "severity"];
const DATACENTER_KEYS: &[&str] = &[
    "name",
    "status",
    "migrated_from",
    "migrated_at",
    "expect_pbl",
    "blocks",
    "severity",
    "note",
];
const BLOCK_KEYS: &[&str] = &[
    "cidr",
    "policy",
    "expect_ptr",
    "expect_pbl",
    "exclude",
    "sample",
    "severity",
    "name",
    "note",
];
const ASSIGNMENT_KEYS: &[&str] = &["ip", "ptr", "note"];
const SAMPLE_KEYS: &[&str] = &["first", "per_subnet", "offset"];

/// The spellings of a yes/no key (YAML 1.2's core schema).
const BOOLEANS: [(&str, bool); 2] = [("true", true), ("false", false)];

/// The datacenter name given to plain CIDR input.
pub const PLAIN_DATACENTER: &str = "-";

/// Reads every input into a [`Raw`].
pub(crate) fn read_inputs(inputs: &[String]) -> Result<Raw, LoadError> {
    let mut raw = Raw::default();
    let mut args: Vec<(String, usize)> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if input == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| LoadError::Read {
                    path: "-".into(),
                    source,
                })?;
            read_text(&mut raw, PathBuf::from("-"), text, false);
            continue;
        }
        let path = Path::new(input);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => read_dir(&mut raw, path)?,
            Ok(_) => {
                let text = read_file(path)?;
                let yaml_ext = has_yaml_ext(path);
                read_text(&mut raw, path.to_owned(), text, yaml_ext);
            }
            Err(source) => {
                if parse_net(input).is_ok() || looks_like_net(input) {
                    args.push((input.clone(), i));
                } else {
                    return Err(LoadError::Read {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
    }
    if !args.is_empty() {
        let text = args
            .iter()
            .map(|(a, _)| a.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let file = raw.add_source("<args>".into(), text);
        for (arg, _) in &args {
            plain_entry(
                &mut raw,
                arg,
                Loc {
                    file,
                    line: 0,
                    col: 0,
                },
            );
        }
    }
    Ok(raw)
}

/// Reads texts already in memory (e.g. an inventory at a git revision).
pub(crate) fn read_texts(texts: Vec<(PathBuf, String)>) -> Raw {
    let mut raw = Raw::default();
    for (path, text) in texts {
        let yaml_ext = has_yaml_ext(&path);
        read_text(&mut raw, path, text, yaml_ext);
    }
    raw
}

/// A command-line argument that is meant as a CIDR or address even if it does
/// not parse (so the error says what is wrong with it rather than "no such file").
fn looks_like_net(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'))
        && s.chars().any(|c| matches!(c, '.' | ':' | '/'))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_hexdigit() || c == ':')
}

fn has_yaml_ext(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn read_file(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_owned(),
    })
}

fn read_dir(raw: &mut Raw, dir: &Path) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if has_yaml_ext(&path) && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        let file = raw.add_source(dir.to_owned(), String::new());
        raw.error(
            Loc {
                file,
                line: 0,
                col: 0,
            },
            "directory has no `*.yaml` or `*.yml` inventory file",
        );
    }
    for path in paths {
        let text = read_file(&path)?;
        read_text(raw, path, text, true);
    }
    Ok(())
}

/// Reads one text: YAML, or a CIDR list when it is not marked as YAML and its
/// first entry is a CIDR or address.
fn read_text(raw: &mut Raw, path: PathBuf, text: String, yaml_ext: bool) {
    let first_entry = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
        .map(str::to_owned);
    let is_list = !yaml_ext
        && first_entry
            .as_deref()
            .is_some_and(|e| parse_net(e.split_whitespace().next().unwrap_or("")).is_ok());
    let file = raw.add_source(path, text);
    if is_list {
        read_list(raw, file);
    } else {
        read_yaml(raw, file);
    }
}

fn read_list(raw: &mut Raw, file: u32) {
    let text = raw.sources.files[file as usize].1.clone();
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        let mut words = content.split_whitespace();
        let Some(word) = words.next() else { continue };
        let column = |w: &str| {
            let byte = w.as_ptr() as usize - content.as_ptr() as usize;
            u32::try_from(content[..byte].chars().count() + 1).unwrap_or(u32::MAX)
        };
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let loc = Loc {
            file,
            line: line_no,
            col: column(word),
        };
        if let Some(extra) = words.next() {
            raw.error(
                Loc {
                    col: column(extra),
                    ..loc
                },
                format!("unexpected `{extra}`: expected one CIDR or address per line"),
            );
            continue;
        }
        plain_entry(raw, word, loc);
    }
}

/// Adds one plain CIDR or address as a `hosting` block of datacenter `-`.
fn plain_entry(raw: &mut Raw, text: &str, loc: Loc) {
    let Some(cidr) = checked_net(raw, text, loc, "block") else {
        return;
    };
    let datacenter = match raw.plain_dc {
        Some(dc) => dc,
        None => {
            raw.datacenters.push(RawDatacenter {
                name: PLAIN_DATACENTER.into(),
                status: DatacenterStatus::Active,
                migrated_from: None,
                migrated_at: None,
                expect_pbl: false,
                severities: Vec::new(),
                note: None,
                loc,
                plain: true,
            });
            raw.plain_dc = Some(raw.datacenters.len() - 1);
            raw.datacenters.len() - 1
        }
    };
    raw.blocks.push(RawBlock {
        cidr,
        policy: Policy::Hosting,
        expect_ptr: None,
        expect_pbl: None,
        excludes: Vec::new(),
        sample: None,
        severities: Vec::new(),
        name: None,
        note: None,
        datacenter,
        loc,
        cidr_loc: loc,
    });
}

/// Parses a CIDR or a bare address (as a /32 or /128).
pub(crate) fn parse_net(text: &str) -> Result<IpNet, String> {
    if text.contains('/') {
        let (addr, len) = text.split_once('/').unwrap_or((text, ""));
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR block: `{addr}` is not an address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u8 = len.parse().ok().filter(|l| *l <= max).ok_or_else(|| {
            format!("`{text}` is not a CIDR block: prefix length must be 0 to {max}")
        })?;
        IpNet::new(ip, len).map_err(|_| format!("`{text}` is not a CIDR block"))
    } else {
        let ip: IpAddr = text
            .parse()
            .map_err(|_| format!("`{text}` is not a CIDR block or an address"))?;
        Ok(IpNet::from(ip))
    }
}

/// Parses a CIDR, reporting unparseable text and host bits.
fn checked_net(raw: &mut Raw, text: &str, loc: Loc, what: &str) -> Option<IpNet> {
    match parse_net(text) {
        Ok(net) if net.trunc() != net => {
            raw.error_help(
                loc,
                format!("host bits set in {what} `{text}`"),
                Some(format!("did you mean `{}`?", net.trunc())),
            );
            None
        }
        Ok(net) => Some(net),
        Err(message) => {
            raw.error(loc, message);
            None
        }
    }
}

fn loc_of(file: u32, node: &Node) -> Loc {
    Loc {
        file,
        line: node.line,
        col: node.col,
    }
}

/// The nearest of `allowed` to `word`, if near enough to be a likely typo.
pub(crate) fn nearest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let limit = (word.len() / 3).max(2);
    allowed
        .iter()
        .map(|a| (strsim::damerau_levenshtein(word, a), *a))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn list_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mapping's entries by key, after the key checks.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

/// Reads one YAML file into `raw`.
struct Reader<'r> {
    raw: &'r mut Raw,
    file: u32,
}

fn read_yaml(raw: &mut Raw, file: u32) {
    let text = std::mem::take(&mut raw.sources.files[file as usize].1);
    let parsed = yaml::parse(&text);
    raw.sources.files[file as usize].1 = text;
    let root = match parsed {
        Ok(Some(root)) => root,
        Ok(None) => {
            raw.error(
                Loc {
                    file,
                    line: 0,
                    col: 0,
                },
                "inventory file is empty",
            );
            return;
        }
        Err(e) => {
            raw.error(
                Loc {
                    file,
                    line: e.line,
                    col: e.col,
                },
                e.message,
            );
            return;
        }
    };
    Reader { raw, file }.top(&root);
}

impl Reader<'_> {
    fn loc(&self, node: &Node) -> Loc {
        loc_of(self.file, node)
    }

    fn error(&mut self, node: &Node, message: impl Into<String>) {
        let loc = self.loc(node);
        self.raw.error(loc, message);
    }

    fn error_help(&mut self, node: &Node, message: impl Into<String>, help: Option<String>) {
        let loc = self.loc(node);
        self.raw.error_help(loc, message, help);
    }

    fn warn(&mut self, node: &Node, message: impl Into<String>) {
        let loc = self.loc(node);
        self.raw.warn(loc, message);
    }

    /// Checks a mapping's keys: unknown, duplicate and missing ones.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<Fields<'n>> {
        let Kind::Map(pairs) = &node.kind else {
            self.error(
                node,
                format!("expected {what} as a mapping, found {}", node.kind_name()),
            );
            return None;
        };
        let mut entries: Vec<(&str, &Node)> = Vec::with_capacity(pairs.len());
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for (key, value) in pairs {
            let Kind::Scalar { text, .. } = &key.kind else {
                self.error(
                    key,
                    format!("expected a key in {what}, found {}", key.kind_name()),
                );
                continue;
            };
            if !allowed.contains(&text.as_str()) {
                let help = match nearest(text, allowed) {
                    Some(near) => format!(
                        "did you mean `{near}`? allowed keys: {}",
                        list_words(allowed)
                    ),
                    None => format!("allowed keys: {}", list_words(allowed)),
                };
                self.error_help(key, format!("unknown key `{text}` in {what}"), Some(help));
                continue;
            }
            if let Some(first) = seen.insert(text, key.line) {
                self.error(
                    key,
                    format!("duplicate key `{text}` in {what} (first at line {first})"),
                );
                continue;
            }
            entries.push((text, value));
        }
        for key in required {
            if !entries.iter().any(|(k, _)| k == key) {
                self.error(node, format!("missing required key `{key}` in {what}"));
            }
        }
        Some(Fields { entries })
    }

    /// The text of optional key `key`, owned.
    fn owned_text(&mut self, f: &Fields<'_>, key: &str) -> Option<String> {
        f.get(key)
            .and_then(|n| self.text(n, key))
            .map(str::to_owned)
    }

    fn text<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        match &node.kind {
            Kind::Scalar { text, .. } if !node.is_null() => Some(text),
            _ => {
                self.error(
                    node,
                    format!("expected text for `{what}`, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.error_help(
                    node,
                    format!("expected a list for `{what}`, found {}", node.kind_name()),
                    Some(format!("write a list, e.g. `{what}: [...]`")),
                );
                None
            }
        }
    }

    fn keyword<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let text = self.text(node, what)?;
        if let Some((_, v)) = options.iter().find(|(k, _)| *k == text) {
            return Some(*v);
        }
        let words: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
        let help = nearest(text, &words).map(|n| format!("did you mean `{n}`?"));
        self.error_help(
            node,
            format!(
                "unknown {what} `{text}`; expected one of {}",
                list_words(&words)
            ),
            help,
        );
        None
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<u64> {
        let text = self.text(node, what)?;
        let digits = text.replace('_', "");
        match digits.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(
                    node,
                    format!("expected a whole number for `{what}`, found `{text}`"),
                );
                None
            }
        }
    }

    fn template(&mut self, node: &Node, what: &str) -> Option<Template> {
        let text = self.text(node, what)?;
        match Template::parse(text) {
            Ok(t) => Some(t),
            Err(e) => {
                let quoted = matches!(&node.kind, Kind::Scalar { quoted: true, .. });
                let col = node.col + u32::from(quoted) + e.column().saturating_sub(1) as u32;
                let loc = Loc {
                    col,
                    ..self.loc(node)
                };
                self.raw.error(loc, format!("in `{what}`: {e}"));
                None
            }
        }
    }

    fn severities(&mut self, node: &Node) -> Vec<(FindingCode, Severity)> {
        let Kind::Map(pairs) = &node.kind else {
            if !node.is_null() {
                self.error(
                    node,
                    format!(
                        "expected `severity` as a mapping, found {}",
                        node.kind_name()
                    ),
                );
            }
            return Vec::new();
        };
        let codes: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut out = Vec::new();
        for (key, value) in pairs {
            let Some(code_text) = self.text(key, "severity") else {
                continue;
            };
            let Some(code) = FindingCode::parse(code_text) else {
                let help = match nearest(code_text, &codes) {
                    Some(n) => format!("did you mean `{n}`? finding codes: {}", list_words(&codes)),
                    None => format!("finding codes: {}", list_words(&codes)),
                };
                self.error_help(
                    key,
                    format!("unknown finding code `{code_text}`"),
                    Some(help),
                );
                continue;
            };
            let levels = [
                ("error", Severity::Error),
                ("warning", Severity::Warning),
                ("notice", Severity::Notice),
            ];
            if let Some(sev) = self.keyword(value, "severity", &levels) {
                if out.iter().any(|(c, _)| *c == code) {
                    self.error(key, format!("duplicate key `{code_text}` in `severity`"));
                }
                out.push((code, sev));
            }
        }
        out
    }

    fn top(&mut self, root: &Node) {
        let Some(f) = self.fields(root, "the inventory", TOP_KEYS, &["version"]) else {
            return;
        };
        if let Some(v) = f.get("version")
            && let Some(text) = self.text(v, "version")
            && text != FORMAT_VERSION
        {
            self.error(
                        v,
                        format!("unsupported inventory version `{text}`; this ptr-audit reads version `{FORMAT_VERSION}`"),
                    );
        }
        if let Some(p) = f.get("provider") {
            self.provider(p);
        }
        if let Some(r) = f.get("resolvers") {
            for item in self.list(r, "resolvers").unwrap_or(&[]) {
                let Some(text) = self.text(item, "resolvers") else {
                    continue;
                };
                match crate::parse_resolver(text) {
                    Some(addr) => self.raw.resolvers.push(addr),
                    None => self.error(
                        item,
                        format!("`{text}` is not a resolver address; expected `IP` or `IP:PORT` (`[IPv6]:PORT`)"),
                    ),
                }
            }
        }
        if let Some(d) = f.get("datacenters") {
            for item in self.list(d, "datacenters").unwrap_or(&[]) {
                self.datacenter(item);
            }
        }
        if let Some(a) = f.get("assignments") {
            for item in self.list(a, "assignments").unwrap_or(&[]) {
                self.assignment(item);
            }
        }
    }

    fn provider(&mut self, node: &Node) {
        let Some(f) = self.fields(node, "`provider`", PROVIDER_KEYS, &["name"]) else {
            return;
        };
        let name = f
            .get("name")
            .and_then(|n| self.text(n, "name"))
            .unwrap_or("")
            .to_owned();
        let mut domains = Vec::new();
        if let Some(d) = f.get("domains") {
            for item in self.list(d, "domains").unwrap_or(&[]) {
                if let Some(t) = self.text(item, "domains") {
                    domains.push(t.trim_end_matches('.').to_ascii_lowercase());
                }
            }
        }
        let mut default_ptr = Vec::new();
        if let Some(d) = f.get("default_ptr") {
            for item in self.list(d, "default_ptr").unwrap_or(&[]) {
                if let Some(t) = self.template(item, "default_ptr") {
                    default_ptr.push((t.as_str().to_owned(), t));
                }
            }
        }
        let severities = f
            .get("severity")
            .map(|s| self.severities(s))
            .unwrap_or_default();
        let loc = self.loc(node);
        self.raw.providers.push(RawProvider {
            name,
            domains,
            default_ptr,
            severities,
            loc,
        });
    }

    fn datacenter(&mut self, node: &Node) {
        let Some(f) = self.fields(node, "a datacenter", DATACENTER_KEYS, &["name", "blocks"])
        else {
            return;
        };
        let Some(name) = f.get("name").and_then(|n| self.text(n, "name")) else {
            return;
        };
        let statuses = [
            ("active", DatacenterStatus::Active),
            ("migrating", DatacenterStatus::Migrating),
            ("migrated", DatacenterStatus::Migrated),
        ];
        let status = f
            .get("status")
            .and_then(|s| self.keyword(s, "status", &statuses))
            .unwrap_or(DatacenterStatus::Active);
        let migrated_from = f.get("migrated_from").and_then(|m| {
            self.text(m, "migrated_from")
                .map(|t| (Arc::<str>::from(t), self.loc(m)))
        });
        if status == DatacenterStatus::Migrated
            && migrated_from.is_none()
            && f.get("status").is_some()
        {
            let s = f.get("status").unwrap_or(node);
            self.error_help(
                s,
                format!("datacenter `{name}` has `status: migrated` but no `migrated_from`"),
                Some(
                    "add `migrated_from: <datacenter>` naming where its addresses came from".into(),
                ),
            );
        }
        if let (Some((from, loc)), DatacenterStatus::Active) = (&migrated_from, status) {
            self.raw.warn(
                *loc,
                format!(
                    "`migrated_from: {from}` has no effect while datacenter `{name}` is `active`"
                ),
            );
        }
        let migrated_at = f.get("migrated_at").and_then(|m| {
            let t = self.text(m, "migrated_at")?;
            if ptr_audit_model::Date::parse(t).is_some() {
                Some(t.to_owned())
            } else {
                self.error(
                    m,
                    format!("`migrated_at` must be a date `YYYY-MM-DD`, found `{t}`"),
                );
                None
            }
        });
        let severities = f
            .get("severity")
            .map(|s| self.severities(s))
            .unwrap_or_default();
        let note = self.owned_text(&f, "note");
        let expect_pbl = f
            .get("expect_pbl")
            .and_then(|e| self.keyword(e, "expect_pbl", &BOOLEANS))
            .unwrap_or(false);
        let loc = self.loc(node);
        self.raw.datacenters.push(RawDatacenter {
            name: name.into(),
            status,
            migrated_from,
            migrated_at,
            expect_pbl,
            severities,
            note,
            loc,
            plain: false,
        });
        let dc = self.raw.datacenters.len() - 1;
        if let Some(b) = f.get("blocks") {
            let items = self.list(b, "blocks").unwrap_or(&[]);
            if items.is_empty() {
                self.warn(b, format!("datacenter `{name}` has no blocks"));
            }
            for item in items {
                self.block(item, dc);
            }
        }
    }

    fn block(&mut self, node: &Node, datacenter: usize) {
        let Some(f) = self.fields(node, "a block", BLOCK_KEYS, &["cidr", "policy"]) else {
            return;
        };
        let cidr_node = f.get("cidr");
        let cidr = cidr_node.and_then(|c| {
            let text = self.text(c, "cidr")?;
            let loc = self.loc(c);
            checked_net(self.raw, text, loc, "block")
        });
        let policies = Policy::ALL.map(|p| (p.as_str(), p));
        let policy = f
            .get("policy")
            .and_then(|p| self.keyword(p, "policy", &policies));
        let expect_ptr = f.get("expect_ptr").and_then(|e| {
            let t = self.template(e, "expect_ptr")?;
            if let Some(cidr) = cidr.filter(|c| t.is_constant() && c.hosts().nth(1).is_some()) {
                self.warn(
                    e,
                    format!(
                        "`expect_ptr` has no address placeholder: every address of block `{cidr}` would share the name `{}`",
                        t.as_str()
                    ),
                );
            }
            let (Some(cidr), Some(fam)) = (cidr, t.family()) else { return Some(t) };
            let block_fam = Family::of(cidr.addr());
            if fam == block_fam {
                return Some(t);
            }
            let (bad, col) = t.first_of_family(fam).unwrap_or((Placeholder::Ip, 1));
            let loc = Loc { col: template_col(e, col), ..self.loc(e) };
            let help = match block_fam {
                Family::V6 => "for IPv6 use `{ip6-dashed}`, `{ip6-compressed-dashed}`, `{ip6-nibbles}` or `{ip6-hex}`",
                Family::V4 => "for IPv4 use `{ip-dashed}`, `{ip-reversed}` or `{a}` to `{d}`",
            };
            self.raw.error_help(
                loc,
                format!(
                    "template `{}` uses {}-only `{bad}` but block `{cidr}` is {}",
                    t.as_str(),
                    fam.as_str(),
                    block_fam.as_str()
                ),
                Some(help.to_owned()),
            );
            None
        });
        let mut excludes = Vec::new();
        if let Some(x) = f.get("exclude") {
            for item in self.list(x, "exclude").unwrap_or(&[]) {
                let Some(text) = self.text(item, "exclude") else {
                    continue;
                };
                let loc = self.loc(item);
                let Some(net) = checked_net(self.raw, text, loc, "exclude") else {
                    continue;
                };
                if let Some(cidr) = cidr
                    && !cidr.contains(&net)
                {
                    self.error(
                        item,
                        format!("exclude `{net}` is outside its block `{cidr}`"),
                    );
                    continue;
                }
                excludes.push((net, loc));
            }
        }
        let sample = f.get("sample").and_then(|s| self.sample(s, cidr));
        let severities = f
            .get("severity")
            .map(|s| self.severities(s))
            .unwrap_or_default();
        let name = self.owned_text(&f, "name");
        let note = self.owned_text(&f, "note");
        let expect_pbl = f
            .get("expect_pbl")
            .and_then(|e| self.keyword(e, "expect_pbl", &BOOLEANS));
        let (Some(cidr), Some(policy), Some(cidr_node)) = (cidr, policy, cidr_node) else {
            return;
        };
        let block = RawBlock {
            cidr,
            policy,
            expect_ptr,
            expect_pbl,
            excludes,
            sample,
            severities,
            name,
            note,
            datacenter,
            loc: self.loc(node),
            cidr_loc: self.loc(cidr_node),
        };
        self.raw.blocks.push(block);
    }

    fn sample(&mut self, node: &Node, cidr: Option<IpNet>) -> Option<Sample> {
        let f = self.fields(node, "`sample`", SAMPLE_KEYS, &["first"])?;
        let first = self.number(f.get("first")?, "first")?;
        if first == 0 {
            self.error(f.get("first")?, "`first` must be at least 1");
            return None;
        }
        let offset = match f.get("offset") {
            Some(o) => self.number(o, "offset")?,
            None => 0,
        };
        let per_subnet = match f.get("per_subnet") {
            None => None,
            Some(p) => {
                let text = self.text(p, "per_subnet")?;
                let Ok(len) = text.trim_start_matches('/').parse::<u8>() else {
                    self.error(
                        p,
                        format!(
                            "expected a prefix length like `/64` for `per_subnet`, found `{text}`"
                        ),
                    );
                    return None;
                };
                if let Some(cidr) = cidr
                    && (len < cidr.prefix_len() || len > cidr.max_prefix_len())
                {
                    self.error(
                            p,
                            format!(
                                "`per_subnet: /{len}` must be between the block's prefix `/{}` and `/{}`",
                                cidr.prefix_len(),
                                cidr.max_prefix_len()
                            ),
                        );
                    return None;
                }
                Some(len)
            }
        };
        if let Some(cidr) = cidr {
            let sub_len = per_subnet.unwrap_or(cidr.prefix_len());
            let host_bits = u32::from(cidr.max_prefix_len() - sub_len);
            let size_minus_one = if host_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            let last = u128::from(offset) + u128::from(first) - 1;
            if last > size_minus_one {
                let unit = if per_subnet.is_some() {
                    format!("each /{sub_len}")
                } else {
                    format!("block `{cidr}`")
                };
                self.error(
                    node,
                    format!("`sample` takes addresses {offset} to {last} but {unit} has only 2^{host_bits} addresses"),
                );
                return None;
            }
        }
        Some(Sample {
            first,
            per_subnet,
            offset,
        })
    }

    fn assignment(&mut self, node: &Node) {
        let Some(f) = self.fields(node, "an assignment", ASSIGNMENT_KEYS, &["ip", "ptr"]) else {
            return;
        };
        let ip = f.get("ip").and_then(|n| {
            let text = self.text(n, "ip")?;
            match text.parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    self.error(n, format!("`{text}` is not an address"));
                    None
                }
            }
        });
        let ptr = f
            .get("ptr")
            .and_then(|n| self.text(n, "ptr"))
            .map(str::to_owned);
        if let (Some(ip), Some(ptr)) = (ip, ptr) {
            let loc = self.loc(node);
            self.raw.assignments.push(RawAssignment { ip, ptr, loc });
        }
    }
}

/// The file column of character `col` (1-based) of a template scalar.
fn template_col(node: &Node, col: usize) -> u32 {
    let quoted = matches!(&node.kind, Kind::Scalar { quoted: true, .. });
    let within = u32::try_from(col.saturating_sub(1)).unwrap_or(0);
    node.col
        .saturating_add(u32::from(quoted))
        .saturating_add(within)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_parse_with_clear_errors() {
        assert_eq!(
            parse_net("203.0.113.7").unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(parse_net("2001:db8::/32").unwrap().prefix_len(), 32);
        assert!(parse_net("203.0.113.0/33").unwrap_err().contains("0 to 32"));
        assert!(
            parse_net("203.0.113/24")
                .unwrap_err()
                .contains("not an address")
        );
        assert!(parse_net("fra1").is_err());
    }

    #[test]
    fn nearest_key_suggestions() {
        assert_eq!(nearest("polcy", BLOCK_KEYS), Some("policy"));
        assert_eq!(nearest("expect-ptr", BLOCK_KEYS), Some("expect_ptr"));
        assert_eq!(nearest("zzzzzz", BLOCK_KEYS), None);
    }
}
