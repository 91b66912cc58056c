//! The raw parts read from the inputs, before the checks across files: every
//! declaration with its position ([`Loc`]) in the loaded [`Sources`].

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{DatacenterStatus, FindingCode, Policy, Severity, SourceLocation};

use crate::Sample;
use crate::diag::{Diagnostic, Level};
use crate::template::Template;

/// A position in one of the loaded sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// The text of every loaded input, for snippets and file names.
#[derive(Default)]
pub(crate) struct Sources {
    pub files: Vec<(PathBuf, String)>,
}

impl Sources {
    pub fn path(&self, file: u32) -> &Path {
        &self.files[file as usize].0
    }

    pub fn diag(
        &self,
        level: Level,
        loc: Loc,
        message: String,
        help: Option<String>,
    ) -> Diagnostic {
        let (path, text) = &self.files[loc.file as usize];
        // The YAML parser puts an error at the end of a text without a final
        // newline on the line after it: name the last line, past its end.
        let last = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
        let (line, col) = match text.lines().last() {
            Some(end) if loc.line > last => (
                last,
                u32::try_from(end.chars().count() + 1).unwrap_or(u32::MAX),
            ),
            _ => (loc.line, loc.col),
        };
        let snippet = (line > 0)
            .then(|| text.lines().nth(line as usize - 1).map(str::to_owned))
            .flatten();
        Diagnostic {
            level,
            file: path.clone(),
            line,
            column: if snippet.is_some() { col } else { 0 },
            message,
            help,
            snippet,
        }
    }

    /// `file:line` of a location, for naming the other place in a message.
    pub fn at(&self, loc: Loc) -> String {
        let path = self.path(loc.file).display();
        if loc.line == 0 {
            path.to_string()
        } else {
            format!("{path}:{}", loc.line)
        }
    }
}

/// A block as declared.
pub(crate) struct RawBlock {
    pub cidr: IpNet,
    pub policy: Policy,
    pub expect_ptr: Option<Template>,
    /// `expect_pbl` as written on the block (`None`: the datacenter's).
    pub expect_pbl: Option<bool>,
    pub excludes: Vec<(IpNet, Loc)>,
    pub sample: Option<Sample>,
    pub severities: Vec<(FindingCode, Severity)>,
    pub name: Option<String>,
    pub note: Option<String>,
    pub datacenter: usize,
    pub loc: Loc,
    pub cidr_loc: Loc,
}

/// A datacenter as declared.
pub(crate) struct RawDatacenter {
    pub name: Arc<str>,
    pub status: DatacenterStatus,
    pub migrated_from: Option<(Arc<str>, Loc)>,
    pub migrated_at: Option<String>,
    /// `expect_pbl` as written on the datacenter.
    pub expect_pbl: bool,
    pub severities: Vec<(FindingCode, Severity)>,
    pub note: Option<String>,
    pub loc: Loc,
    pub plain: bool,
}

/// An assignment as declared.
pub(crate) struct RawAssignment {
    pub ip: IpAddr,
    pub ptr: String,
    pub loc: Loc,
}

/// The provider section as declared.
pub(crate) struct RawProvider {
    pub name: String,
    pub domains: Vec<String>,
    pub default_ptr: Vec<(String, Template)>,
    pub severities: Vec<(FindingCode, Severity)>,
    pub loc: Loc,
}

/// Everything read from the inputs, before the checks across files.
#[derive(Default)]
pub(crate) struct Raw {
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
    pub providers: Vec<RawProvider>,
    pub datacenters: Vec<RawDatacenter>,
    pub blocks: Vec<RawBlock>,
    pub assignments: Vec<RawAssignment>,
    pub resolvers: Vec<SocketAddr>,
    /// The plain-input datacenter, once created.
    pub plain_dc: Option<usize>,
}

impl Raw {
    /// The file and line of a position, as reports name a block's source.
    pub fn source_location(&self, loc: Loc) -> SourceLocation {
        SourceLocation {
            file: self.sources.path(loc.file).to_owned(),
            line: loc.line,
        }
    }

    pub fn error(&mut self, loc: Loc, message: impl Into<String>) {
        let d = self.sources.diag(Level::Error, loc, message.into(), None);
        self.diagnostics.push(d);
    }

    pub fn error_help(&mut self, loc: Loc, message: impl Into<String>, help: Option<String>) {
        let d = self.sources.diag(Level::Error, loc, message.into(), help);
        self.diagnostics.push(d);
    }

    pub fn warn(&mut self, loc: Loc, message: impl Into<String>) {
        let d = self.sources.diag(Level::Warning, loc, message.into(), None);
        self.diagnostics.push(d);
    }

    pub fn add_source(&mut self, path: PathBuf, text: String) -> u32 {
        self.sources.files.push((path, text));
        u32::try_from(self.sources.files.len() - 1).unwrap_or(u32::MAX)
    }
}
