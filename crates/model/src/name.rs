//! [`DnsName`]: a domain name from DNS in RFC 1035 presentation form.

use std::fmt;

/// A domain name as it came from DNS, in presentation form with a trailing dot.
///
/// Bytes outside printable ASCII, and `.`/`\` inside a label, are escaped as
/// `\DDD` (or `\.` / `\\`), the way `dig` shows them. The text is therefore
/// always printable ASCII, but it is still untrusted: it can hold commas,
/// quotes and markup, which every output format must escape.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// Builds a name from raw wire labels (without the root label).
    pub fn from_labels<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Self {
        // Built as bytes: every byte written is ASCII, so one check at the
        // end makes it a string. Most names fit in the first allocation.
        let mut out = Vec::with_capacity(64);
        for label in labels {
            for &b in label {
                match b {
                    b'.' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    0x21..=0x7e => out.push(b),
                    _ => out.extend_from_slice(&[
                        b'\\',
                        b'0' + b / 100,
                        b'0' + b / 10 % 10,
                        b'0' + b % 10,
                    ]),
                }
            }
            out.push(b'.');
        }
        if out.is_empty() {
            out.push(b'.');
        }
        let out = String::from_utf8(out).expect("escaped names are ASCII");
        Self(out)
    }

    /// Wraps text already in presentation form (for names read back from a
    /// report or written in an inventory). A missing trailing dot is added.
    pub fn from_presentation(text: &str) -> Self {
        let mut s = text.to_owned();
        if !s.ends_with('.') {
            s.push('.');
        }
        Self(s)
    }

    /// The presentation form, with its trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The presentation form without the trailing dot (the root stays `.`).
    pub fn without_root(&self) -> &str {
        if self.0.len() > 1 {
            self.0.strip_suffix('.').unwrap_or(&self.0)
        } else {
            &self.0
        }
    }

    /// True when some byte of the name needed escaping (control, non-ASCII,
    /// space, or a `.`/`\` inside a label).
    pub fn has_escapes(&self) -> bool {
        self.0.contains('\\')
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DnsName({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_space_dot_and_backslash() {
        let n = DnsName::from_labels([b"a b\x1b[31m".as_slice(), b"x.y\\".as_slice()]);
        assert_eq!(n.as_str(), "a\\032b\\027[31m.x\\.y\\\\.");
        assert!(n.has_escapes());
    }

    #[test]
    fn root_and_plain_names() {
        assert_eq!(DnsName::from_labels(std::iter::empty()).as_str(), ".");
        let n = DnsName::from_presentation("mail.example");
        assert_eq!(n.as_str(), "mail.example.");
        assert_eq!(n.without_root(), "mail.example");
        assert!(!n.has_escapes());
    }
}
