//! Escaping of untrusted text (names from DNS, inventory strings) for each
//! output syntax. Every format goes through one of these; none writes a
//! DNS-sourced value raw.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A CSV field per RFC 4180, safe against spreadsheet formula injection and
/// terminal escape sequences: control characters (C0, DEL, C1) first become
/// visible `\u{..}` text as in [`terminal`]; then a value starting with `=`,
/// `+`, `-` or `@` gets a leading `'`; a value with `,`, `"` or surrounding
/// spaces is quoted, with `"` doubled.
pub fn csv(value: &str) -> Cow<'_, str> {
    let value = terminal(value);
    let risky = matches!(value.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@'));
    let needs_quotes = value.contains([',', '"']) || value.starts_with(' ') || value.ends_with(' ');
    if !risky && !needs_quotes {
        return value;
    }
    let mut out = String::with_capacity(value.len() + 4);
    if needs_quotes {
        out.push('"');
    }
    if risky {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if needs_quotes {
        out.push('"');
    }
    Cow::Owned(out)
}

/// XML 1.0 text or attribute value: `&<>"'` as entities; characters XML 1.0
/// cannot carry (controls other than tab, LF, CR; U+FFFE/U+FFFF) written as
/// visible `\u{..}` text; tab, LF, CR as character references so attributes keep them.
pub fn xml(value: &str) -> Cow<'_, str> {
    let plain = |c: char| {
        !matches!(c, '&' | '<' | '>' | '"' | '\'' | '\u{FFFE}' | '\u{FFFF}') && !c.is_control()
    };
    if value.chars().all(plain) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// XML 1.0 element text: as [`xml`], but line feeds and tabs stay literal
/// (they are safe in element content and keep failure texts readable).
pub fn xml_text(value: &str) -> Cow<'_, str> {
    match xml(value) {
        Cow::Borrowed(b) => Cow::Borrowed(b),
        Cow::Owned(o) => Cow::Owned(o.replace("&#10;", "\n").replace("&#9;", "\t")),
    }
}

/// Inline Markdown (GitHub-flavoured) that renders as the literal text: Markdown
/// punctuation backslash-escaped, HTML-significant characters as entities,
/// `@` as an entity (no mentions), line breaks and controls as visible text.
/// Safe inside table cells (`|` is escaped).
pub fn markdown(value: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '&'
                | '|'
                | '#'
                | '~'
                | '!'
                | '@'
                | '$'
                | ':'
                | '{'
                | '}'
                | '('
                | ')'
                | '"'
                | '\''
        ) || c.is_control()
    };
    if !value.chars().any(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("&#64;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // `:` would let GitHub turn `x:y` into an emoji or a link scheme.
            ':' => out.push_str("&#58;"),
            c if c.is_control() => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
            }
            c if special(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text for a terminal: control characters (C0, DEL, C1, which includes ESC
/// and CSI) become visible `\u{..}` text, so no value can move the cursor,
/// change colours or set the window title.
pub fn terminal(value: &str) -> Cow<'_, str> {
    if !value.chars().any(char::is_control) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The message part of a GitHub Actions workflow command: `%`, CR and LF
/// percent-encoded, as the runner's `escapeData` does; other control
/// characters (ESC and the rest of C0, DEL, C1) become visible `\u{..}` text
/// as in [`terminal`], since the runner passes them to the log raw.
pub fn github_data(value: &str) -> Cow<'_, str> {
    if !value.contains(['%', '\r', '\n']) {
        return terminal(value);
    }
    let encoded = value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    Cow::Owned(terminal(&encoded).into_owned())
}

/// A property value of a GitHub Actions workflow command (`file=`, `title=`):
/// as [`github_data`], plus `:` and `,` percent-encoded (the runner's `escapeProperty`).
pub fn github_property(value: &str) -> Cow<'_, str> {
    let data = github_data(value);
    if !data.contains([':', ',']) {
        return data;
    }
    Cow::Owned(data.replace(':', "%3A").replace(',', "%2C"))
}

/// HTML text or a double- or single-quoted attribute value: `&<>"'` as
/// character references; controls made visible as `\u{..}` text (as
/// [`terminal`] does), so a name cannot hide characters or break out of its
/// element or attribute.
pub fn html(value: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || c.is_control();
    if !value.chars().any(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text embedded in an HTML `<script>` element: a writer that passes
/// JSON text ([`crate::json_text`]) through with `<`, `>` and `&` written as `\u003c`,
/// `\u003e`, `\u0026`, so no value can close the element (`</script>`) or
/// open a comment (`<!--`). The bytes only occur inside JSON strings, where
/// the escapes mean the same characters, so the JSON parses to the same values.
pub struct ScriptJson<W>(pub W);

impl<W: std::io::Write> std::io::Write for ScriptJson<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        for (i, b) in buf.iter().enumerate() {
            let esc: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            self.0.write_all(&buf[start..i])?;
            self.0.write_all(esc)?;
            start = i + 1;
        }
        self.0.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A path as a relative URI reference for SARIF's `artifactLocation.uri`:
/// `\` becomes `/`; bytes outside RFC 3986's unreserved set and `/` are percent-encoded.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'\\' => out.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv("mail.example."), "mail.example.");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv("+1"), "'+1");
        assert_eq!(csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv("\tx"), "\\u{9}x");
        assert_eq!(csv("a\nb"), "a\\u{a}b");
        assert_eq!(
            csv("x\u{1b}]0;t\u{7}\u{9b}2J"),
            "x\\u{1b}]0;t\\u{7}\\u{9b}2J"
        );
        assert_eq!(csv("=\u{1b}[2J,"), "\"'=\\u{1b}[2J,\"");
    }

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(xml("<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(xml("a\u{1b}b\u{0}"), "a\\u{1b}b\\u{0}");
        assert_eq!(xml("a\nb"), "a&#10;b");
        assert_eq!(xml("plain"), "plain");
    }

    #[test]
    fn markdown_renders_literally() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("`x`"), "\\`x\\`");
        assert_eq!(markdown("<script>"), "&lt;script&gt;");
        assert_eq!(markdown("[a](http://x)"), "\\[a\\]\\(http&#58;//x\\)");
        assert_eq!(markdown("@team"), "&#64;team");
        assert_eq!(markdown("mail-1.example."), "mail-1.example.");
    }

    #[test]
    fn terminal_neutralises_escape_sequences() {
        assert_eq!(terminal("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(terminal("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(terminal("ok"), "ok");
    }

    #[test]
    fn github_escapes_data_and_properties() {
        assert_eq!(github_data("50%0A\r\n"), "50%250A%0D%0A");
        assert_eq!(github_data("a\u{1b}]0;x\u{7}"), "a\\u{1b}]0;x\\u{7}");
        assert_eq!(github_data("%\u{9b}"), "%25\\u{9b}");
        assert_eq!(github_property("t\u{1b}:"), "t\\u{1b}%3A");
        assert_eq!(github_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn html_escapes_markup_quotes_and_controls() {
        assert_eq!(
            html("<img/src=x/onerror=document.title='pwned'>"),
            "&lt;img/src=x/onerror=document.title=&#39;pwned&#39;&gt;"
        );
        assert_eq!(html("a&\"b\u{1b}"), "a&amp;&quot;b\\u{1b}");
        assert_eq!(html("mail-1.example."), "mail-1.example.");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        use std::io::Write as _;
        let value = serde_json::json!({"ptr": "</script><script>alert(1)</script><!--&"});
        let mut out = ScriptJson(Vec::new());
        serde_json::to_writer(&mut out, &value).unwrap();
        let text = String::from_utf8(out.0).unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        out = ScriptJson(Vec::new());
        out.write_all(b"plain").unwrap();
        assert_eq!(out.0, b"plain");
    }

    #[test]
    fn uri_path_encodes() {
        assert_eq!(uri_path("inv/my file.yaml"), "inv/my%20file.yaml");
        assert_eq!(uri_path("inv\\a.yaml"), "inv/a.yaml");
    }
}
