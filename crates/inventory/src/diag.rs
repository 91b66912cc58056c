//! [`Diagnostic`]: one error or warning about an inventory, with its position.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};

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

impl Diagnostic {
    /// The diagnostic for a terminal: each value passed through `escape`
    /// (the caller's rule for control characters), laid out in rustc's
    /// colours (anstyle escape codes, for a writer that drops them when
    /// colour is off, such as anstream's). Same layout as `Display`.
    pub fn styled(&self, escape: Escape) -> impl fmt::Display + '_ {
        Styled(self, escape)
    }

    fn render(&self, f: &mut fmt::Formatter<'_>, color: bool, escape: Escape) -> fmt::Result {
        let pick = |style: Style| if color { style } else { Style::new() };
        let level = pick(match self.level {
            Level::Error => AnsiColor::Red.on_default().bold(),
            Level::Warning => AnsiColor::Yellow.on_default().bold(),
        });
        let gutter = pick(AnsiColor::Blue.on_default().bold());
        let bold = pick(Style::new().bold());
        write!(
            f,
            "{bold}{}{bold:#}: {level}{}{level:#}: {bold}{}{bold:#}",
            escape(&self.location()),
            self.level.as_str(),
            escape(&self.message)
        )?;
        let width = self.line.to_string().len().max(3);
        if let Some(snippet) = &self.snippet {
            let clean: String = snippet
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            write!(f, "\n{gutter}{:>width$} |{gutter:#} {clean}", self.line)?;
            if self.column > 0 {
                let pad = " ".repeat(self.column as usize - 1);
                write!(
                    f,
                    "\n{gutter}{:>width$} |{gutter:#} {pad}{level}^{level:#}",
                    ""
                )?;
            }
        }
        if let Some(help) = &self.help {
            write!(
                f,
                "\n{gutter}{:>width$} ={gutter:#} {bold}help{bold:#}: {help}",
                ""
            )?;
        }
        Ok(())
    }
}

/// How [`Diagnostic::styled`] makes a value safe for the terminal.
pub type Escape = fn(&str) -> Cow<'_, str>;

/// The value as it is (`Display`: the caller escapes the whole text).
fn unescaped(value: &str) -> Cow<'_, str> {
    Cow::Borrowed(value)
}

/// [`Diagnostic::styled`].
struct Styled<'a>(&'a Diagnostic, Escape);

impl fmt::Display for Styled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.render(f, true, self.1)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f, false, unescaped)
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

    #[test]
    fn styled_is_the_same_text_in_colour() {
        let d = Diagnostic {
            level: Level::Error,
            file: "inv.yaml".into(),
            line: 3,
            column: 2,
            message: "bad".into(),
            help: Some("fix it".into()),
            snippet: Some(" x".into()),
        };
        let styled = d.styled(unescaped).to_string();
        assert!(styled.contains("\x1b[1m\x1b[31merror"), "{styled:?}");
        let mut plain = String::new();
        let mut rest = styled.as_str();
        while let Some(i) = rest.find('\x1b') {
            plain.push_str(&rest[..i]);
            let end = rest[i..].find('m').unwrap();
            rest = &rest[i + end + 1..];
        }
        plain.push_str(rest);
        assert_eq!(plain, d.to_string());
    }
}
