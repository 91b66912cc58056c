//! A small YAML tree with a line and column on every node, built from
//! saphyr-parser's events (no recursion, bounded depth, duplicate keys kept,
//! scalars left as written): the one YAML reader of ptr-audit, used by the
//! inventory loader and by the report's suppression files, which check the
//! tree themselves and name the line and column of what is wrong; and the one
//! YAML writer ([`emit`]), which writes such a tree back (`import netbox`).
//!
//! ```
//! use ptr_audit_yaml::{parse, Kind};
//!
//! let doc = parse("- ip: 203.0.113.5\n  code: ptr-generic\n").unwrap().unwrap();
//! let Kind::Seq(items) = &doc.kind else { panic!() };
//! assert_eq!((items[0].line, items[0].col), (1, 3));
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod emit;
pub use emit::{comment, emit, map, seq, text};

/// The deepest nesting accepted (an inventory needs five levels).
const MAX_DEPTH: usize = 64;

/// A YAML node and where it starts (1-based line and column, in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// What it holds.
    pub kind: Kind,
    /// The 1-based line.
    pub line: u32,
    /// The 1-based column, in characters.
    pub col: u32,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A scalar as written; `quoted` for single- or double-quoted scalars.
    Scalar {
        /// The text, as written (no typing: `1`, `true` and `null` stay text).
        text: String,
        /// True for single- or double-quoted scalars.
        quoted: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in document order (duplicates kept).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// True for an empty or `null`/`~` plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, quoted: false }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A word for the node's type, for messages (`a list`, `a mapping`, `text`).
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing",
            Kind::Scalar { .. } => "text",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error, or a construct this reader does not accept (aliases,
/// several documents, nesting deeper than 64 levels).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// The 1-based line.
    pub line: u32,
    /// The 1-based column.
    pub col: u32,
    /// What is wrong (lowercase, no trailing period).
    pub message: String,
}

fn pos(span: &Span) -> (u32, u32) {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    (line, col)
}

enum Frame {
    Seq(Node),
    Map(Node, Option<Node>),
}

/// Parses one YAML document. `Ok(None)` for an empty document.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SyntaxError {
            line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
            col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            message: format!("yaml syntax: {}", e.info()),
        })?;
        let (line, col) = pos(&span);
        let err = |message: String| SyntaxError { line, col, message };
        let complete = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(
                        "more than one yaml document in one file; use one file per document".into(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(err("yaml aliases (`*name`) are not supported".into()));
            }
            Event::Scalar(value, style, _, _) => Node {
                kind: Kind::Scalar {
                    text: value.into_owned(),
                    quoted: matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted),
                },
                line,
                col,
            },
            Event::SequenceStart(_, _) | Event::MappingStart(_, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                let seq = matches!(event, Event::SequenceStart(..));
                let node = Node {
                    kind: if seq {
                        Kind::Seq(Vec::new())
                    } else {
                        Kind::Map(Vec::new())
                    },
                    line,
                    col,
                };
                stack.push(if seq {
                    Frame::Seq(node)
                } else {
                    Frame::Map(node, None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(node) | Frame::Map(node, _)) => node,
                None => continue,
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
        };
        match stack.last_mut() {
            None => root = Some(complete),
            Some(Frame::Seq(Node {
                kind: Kind::Seq(items),
                ..
            })) => items.push(complete),
            Some(Frame::Map(
                Node {
                    kind: Kind::Map(entries),
                    ..
                },
                pending,
            )) => match pending.take() {
                None => *pending = Some(complete),
                Some(key) => entries.push((key, complete)),
            },
            Some(_) => unreachable!("frames hold the matching node kind"),
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> &str {
        match &n.kind {
            Kind::Scalar { text, .. } => text,
            _ => panic!("not a scalar: {n:?}"),
        }
    }

    #[test]
    fn positions_are_one_based_and_point_at_nodes() {
        let doc = parse("version: 1\nblocks:\n  - cidr: 203.0.113.0/24\n    policy: 'mail'\n")
            .unwrap()
            .unwrap();
        let Kind::Map(entries) = &doc.kind else {
            panic!()
        };
        assert_eq!((entries[0].0.line, entries[0].0.col), (1, 1));
        assert_eq!((entries[0].1.line, entries[0].1.col), (1, 10));
        let Kind::Seq(items) = &entries[1].1.kind else {
            panic!()
        };
        assert_eq!((items[0].line, items[0].col), (3, 5));
        let Kind::Map(block) = &items[0].kind else {
            panic!()
        };
        assert_eq!(scalar(&block[0].1), "203.0.113.0/24");
        assert_eq!((block[0].1.line, block[0].1.col), (3, 11));
        assert_eq!(
            block[1].1.kind,
            Kind::Scalar {
                text: "mail".into(),
                quoted: true
            }
        );
    }

    #[test]
    fn empty_values_are_null_and_duplicates_are_kept() {
        let doc = parse("a:\nb: ~\na: x\n").unwrap().unwrap();
        let Kind::Map(entries) = &doc.kind else {
            panic!()
        };
        assert_eq!(entries.len(), 3);
        assert!(entries[0].1.is_null() && entries[1].1.is_null());
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }

    #[test]
    fn syntax_errors_aliases_and_depth_are_errors() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.message.starts_with("yaml syntax"), "{e:?}");
        assert!(e.line >= 1);
        assert!(
            parse("a: &x 1\nb: *x\n")
                .unwrap_err()
                .message
                .contains("aliases")
        );
        let deep = "[".repeat(200);
        assert!(parse(&deep).is_err());
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("more than one")
        );
    }
}
