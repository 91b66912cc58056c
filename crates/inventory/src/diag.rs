//! [`Diagnostic`]: one error or warning about an inventory, with its position.

use std::fmt;
use std::path::PathBuf;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Printed; the inventory is still usable.
    Warning,
    /// The inventory cannot be used as it is (`validate` exits 2).
    Error,
}

impl Level {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// An error or warning about an inventory, at a file, line and column.
///
/// Its `Display` is plain text in the compiler style:
///
/// ```text
/// inv.yaml:12:15: error: host bits set in `203.0.113.5/24`
///    12 |       - cidr: 203.0.113.5/24
///       |               ^
///       = help: did you mean `203.0.113.0/24`?
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// The file (`-` for standard input, `<args>` for command-line arguments).
    pub file: PathBuf,
    /// The line, starting at 1 (0 when the diagnostic is about the whole file).
    pub line: u32,
    /// The column in characters, starting at 1 (0 when unknown).
    pub column: u32,
    /// What is wrong: lowercase, values in backticks, no trailing period.
    pub message: String,
    /// A suggestion (`did you mean `policy`?`).
    pub help: Option<String>,
    /// The text of the offending line, if known.
    pub snippet: Option<String>,
}

impl Diagnostic {
    /// True for an error.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `file:line:column` (or less, when line or column is unknown).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.display().to_string(),
            (l, 0) => format!("{}:{l}", self.file.display()),
            (l, c) => format!("{}:{l}:{c}", self.file.display()),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.location(),
            self.level.as_str(),
            self.message
        )?;
        let width = self.line.to_string().len().max(3);
        if let Some(snippet) = &self.snippet {
            let clean: String = snippet
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            write!(f, "\n{:>width$} | {clean}", self.line)?;
            if self.column > 0 {
                let pad = " ".repeat(self.column as usize - 1);
                write!(f, "\n{:>width$} | {pad}^", "")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n{:>width$} = help: {help}", "")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_location_snippet_caret_and_help() {
        let d = Diagnostic {
            level: Level::Error,
            file: "inv.yaml".into(),
            line: 12,
            column: 15,
            message: "host bits set in `203.0.113.5/24`".into(),
            help: Some("did you mean `203.0.113.0/24`?".into()),
            snippet: Some("      - cidr: 203.0.113.5/24".into()),
        };
        let text = d.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "inv.yaml:12:15: error: host bits set in `203.0.113.5/24`"
        );
        assert_eq!(lines[1], " 12 |       - cidr: 203.0.113.5/24");
        assert_eq!(lines[2], "    |               ^");
        assert_eq!(lines[3], "    = help: did you mean `203.0.113.0/24`?");
    }

    #[test]
    fn whole_file_diagnostics_have_no_line() {
        let d = Diagnostic {
            level: Level::Warning,
            file: "x.yaml".into(),
            line: 0,
            column: 0,
            message: "empty".into(),
            help: None,
            snippet: None,
        };
        assert_eq!(d.to_string(), "x.yaml: warning: empty");
    }
}
