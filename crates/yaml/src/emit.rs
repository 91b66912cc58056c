//! The one YAML writer: [`emit`] writes a [`Node`] tree back as block-style
//! YAML that [`crate::parse`] reads into the same tree (positions aside).
//! Scalars stay plain only when no YAML reader could take them for anything
//! but the text; every other one is double-quoted with every byte outside
//! printable ASCII escaped, so names from remote APIs (control bytes, markup,
//! `=cmd|`) are written inertly. Comments are not part of the tree:
//! [`comment`] formats lines to put before a document.

use std::fmt::Write;

use crate::{Kind, Node};

/// Writes `node` as a YAML document (block style, two-space indentation,
/// ending with a newline).
pub fn emit(node: &Node) -> String {
    let mut out = String::new();
    match &node.kind {
        Kind::Scalar { .. } => {
            out.push_str(&scalar_of(node));
            out.push('\n');
        }
        _ if is_empty_collection(node) => {
            out.push_str(&scalar_of(node));
            out.push('\n');
        }
        _ => block(node, 0, &mut out),
    }
    out
}

/// `# text` lines for `text` (one per line of it), with control characters
/// escaped so a comment cannot end early or hide anything.
pub fn comment(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        out.push('#');
        if !line.is_empty() {
            out.push(' ');
        }
        for c in line.chars() {
            if c.is_control() {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// A scalar node (plain text, `quoted` false: [`emit`] quotes it when needed).
pub fn text(value: impl Into<String>) -> Node {
    Node {
        kind: Kind::Scalar {
            text: value.into(),
            quoted: false,
        },
        line: 0,
        col: 0,
    }
}

/// A mapping node from `(key, value)` pairs, in order.
pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
    Node {
        kind: Kind::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect()),
        line: 0,
        col: 0,
    }
}

/// A sequence node.
pub fn seq(items: impl IntoIterator<Item = Node>) -> Node {
    Node {
        kind: Kind::Seq(items.into_iter().collect()),
        line: 0,
        col: 0,
    }
}

fn is_empty_collection(node: &Node) -> bool {
    match &node.kind {
        Kind::Seq(items) => items.is_empty(),
        Kind::Map(entries) => entries.is_empty(),
        Kind::Scalar { .. } => false,
    }
}

/// A node written on the line of its key or dash: scalars and empty collections.
fn inline(node: &Node) -> bool {
    matches!(node.kind, Kind::Scalar { .. }) || is_empty_collection(node)
}

fn scalar_of(node: &Node) -> String {
    match &node.kind {
        Kind::Scalar { text, quoted } => scalar(text, *quoted),
        Kind::Seq(_) => "[]".into(),
        Kind::Map(_) => "{}".into(),
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes a non-empty collection at indentation `n`, starting on a fresh line.
fn block(node: &Node, n: usize, out: &mut String) {
    match &node.kind {
        Kind::Map(entries) => {
            for (k, v) in entries {
                indent(out, n);
                entry(k, v, n, out);
            }
        }
        Kind::Seq(items) => {
            for item in items {
                indent(out, n);
                out.push_str("- ");
                item_body(item, n + 2, out);
            }
        }
        Kind::Scalar { .. } => {
            out.push_str(&scalar_of(node));
            out.push('\n');
        }
    }
}

/// `key: value` with the cursor after the indentation.
fn entry(key: &Node, value: &Node, n: usize, out: &mut String) {
    out.push_str(&scalar_of(key));
    out.push(':');
    if inline(value) {
        out.push(' ');
        out.push_str(&scalar_of(value));
        out.push('\n');
    } else {
        out.push('\n');
        // Sequences in a mapping are indented one step, like everything else.
        block(value, n + 2, out);
    }
}

/// A sequence item after its `- `: a mapping's first entry goes on the dash's line.
fn item_body(item: &Node, n: usize, out: &mut String) {
    match &item.kind {
        Kind::Map(entries) if !entries.is_empty() => {
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    indent(out, n);
                }
                entry(k, v, n, out);
            }
        }
        Kind::Seq(items) if !items.is_empty() => {
            out.push('\n');
            block(item, n, out);
        }
        _ => {
            out.push_str(&scalar_of(item));
            out.push('\n');
        }
    }
}

/// A scalar as YAML text: plain when that is unambiguous, else double-quoted.
/// `quoted` keeps a scalar that was quoted in its source quoted.
fn scalar(text: &str, quoted: bool) -> String {
    if !quoted && plain_is_safe(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// True when `text` read as a plain scalar is exactly `text` for any YAML
/// reader: printable ASCII without indicators, comments, `: ` or edge spaces,
/// and not a word some readers type (`true`, `null`, `~`, `yes`, numbers are
/// fine for ours, but dates, booleans and nulls are quoted for the others).
fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || matches!(first, '_' | '.' | '/'))
        || text.ends_with([' ', ':'])
        || text.contains(": ")
        || text.contains(" #")
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/:@+-{}".contains(c))
        || text.contains(['{', '}'])
    {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | "null"
            | "nan"
            | ".nan"
            | ".inf"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use proptest::strategy::Strategy as _;

    /// The tree without positions, to compare a document with its re-reading.
    fn strip(node: &Node) -> Node {
        let kind = match &node.kind {
            Kind::Scalar { text, .. } => Kind::Scalar {
                text: text.clone(),
                quoted: false,
            },
            Kind::Seq(items) => Kind::Seq(items.iter().map(strip).collect()),
            Kind::Map(entries) => {
                Kind::Map(entries.iter().map(|(k, v)| (strip(k), strip(v))).collect())
            }
        };
        Node {
            kind,
            line: 0,
            col: 0,
        }
    }

    fn round_trip(node: &Node) {
        let text = emit(node);
        let back = parse(&text)
            .unwrap_or_else(|e| panic!("{e:?} in\n{text}"))
            .unwrap();
        assert_eq!(strip(&back), strip(node), "\n{text}");
    }

    #[test]
    fn an_inventory_shape_reads_back_as_written() {
        let doc = map([
            ("version", text("1")),
            (
                "provider",
                map([
                    ("name", text("Example Hosting")),
                    ("domains", seq([text("examplehost.net")])),
                    (
                        "default_ptr",
                        seq([text("{ip-dashed}-host.examplehost.net")]),
                    ),
                ]),
            ),
            (
                "datacenters",
                seq([map([
                    ("name", text("fra1")),
                    (
                        "blocks",
                        seq([
                            map([("cidr", text("203.0.113.0/26")), ("policy", text("mail"))]),
                            map([
                                ("cidr", text("2001:db8::/64")),
                                ("exclude", seq([text("2001:db8::/127")])),
                                (
                                    "sample",
                                    map([("first", text("256")), ("offset", text("1"))]),
                                ),
                            ]),
                        ]),
                    ),
                    ("severity", map(Vec::<(&str, Node)>::new())),
                ])]),
            ),
            ("assignments", seq([])),
            ("nested", seq([seq([text("a")]), seq([])])),
        ]);
        round_trip(&doc);
        let text = emit(&doc);
        assert!(
            text.starts_with("version: 1\nprovider:\n  name: Example Hosting\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  - name: fra1\n    blocks:\n      - cidr: 203.0.113.0/26\n        policy: mail\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("default_ptr:\n    - \"{ip-dashed}-host.examplehost.net\"\n"),
            "{text}"
        );
        assert!(text.contains("assignments: []\n"), "{text}");
    }

    #[test]
    fn hostile_text_is_quoted_and_escaped() {
        let hostile = [
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "a\u{1b}[31mred\u{7}",
            "line\nbreak\r",
            "tab\there",
            "\"quotes\" and \\",
            "- not a list",
            "key: value",
            "x #comment",
            "true",
            "null",
            "~",
            "",
            " edge ",
            "* alias",
            "&anchor",
            "!tag",
            "@at",
            "%directive",
            "`tick`",
            "caf\u{e9} \u{202e}bidi \u{1F600}",
            "::1",
            "[1, 2]",
            "{a: b}",
            "x\u{0}nul",
        ];
        for h in hostile {
            let doc = map([("ptr", text(h))]);
            round_trip(&doc);
            let out = emit(&doc);
            assert!(
                out.bytes()
                    .all(|b| b == b'\n' || (b' '..=b'~').contains(&b)),
                "{out:?}"
            );
            assert_eq!(out.matches('\n').count(), 1, "{out:?}");
        }
        assert_eq!(scalar("203.0.113.0/24", false), "203.0.113.0/24");
        assert_eq!(scalar("2001:db8::/32", false), "2001:db8::/32");
        assert_eq!(scalar("mail", true), "\"mail\"");
    }

    proptest::proptest! {
        /// Any text, as a key or value or list item, reads back as written.
        #[test]
        fn any_text_reads_back_as_written(key in "\\PC{0,12}", value in any_text(), item in any_text()) {
            let doc = map([(key, seq([text(value), map([("k", text(item))])]))]);
            round_trip(&doc);
        }
    }

    fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            "\\PC{0,40}",
            "[ -~]{0,40}",
            proptest::collection::vec(proptest::char::any(), 0..20)
                .prop_map(|c| c.into_iter().collect::<String>()),
        ]
    }

    #[test]
    fn comments_cannot_break_out() {
        assert_eq!(comment("a\nb"), "# a\n# b\n");
        assert_eq!(comment(""), "#\n");
        assert_eq!(comment("x\r\u{1b}y"), "# x\\u{d}\\u{1b}y\n");
    }
}
