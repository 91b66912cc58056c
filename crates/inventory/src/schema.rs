//! The inventory's YAML schema: which keys each level takes, and the reader
//! that turns a file's tree (from `crates/yaml`) into raw declarations with
//! positions, each problem a diagnostic at its line and column.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{DatacenterStatus, FindingCode, Policy, Severity};

use crate::Sample;
use crate::load::checked_net;
use crate::raw::{Loc, Raw, RawAssignment, RawBlock, RawDatacenter, RawProvider};
use crate::template::{Family, Placeholder, Template};
use crate::yaml::{self, Kind, Node};

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

pub(crate) fn read_yaml(raw: &mut Raw, file: u32) {
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
    fn nearest_key_suggestions() {
        assert_eq!(nearest("polcy", BLOCK_KEYS), Some("policy"));
        assert_eq!(nearest("expect-ptr", BLOCK_KEYS), Some("expect_ptr"));
        assert_eq!(nearest("zzzzzz", BLOCK_KEYS), None);
    }
}
