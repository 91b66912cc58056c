//! PTR naming templates: `mail{d}.fra1.examplehost.net`, `{ip-dashed}-host.example.net`.
//!
//! A template is literal text with placeholders in braces. [`Template::parse`]
//! checks the placeholders once; [`Template::render`] fills them in for one
//! address. The placeholders (documented in `docs/inventory.md`):
//!
//! | placeholder | family | `203.0.113.5` / `2001:db8:10::5` |
//! |---|---|---|
//! | `{ip}` | both | `203.0.113.5` / `2001:db8:10::5` |
//! | `{ip-dashed}` | IPv4 | `203-0-113-5` |
//! | `{ip-reversed}` | IPv4 | `5.113.0.203` |
//! | `{a}` `{b}` `{c}` `{d}` | IPv4 | `203` `0` `113` `5` |
//! | `{datacenter}` | both | the block's datacenter |
//! | `{ip6-dashed}` | IPv6 | `2001-db8-10-0-0-0-0-5` (all 8 hextets, no leading zeros) |
//! | `{ip6-compressed-dashed}` | IPv6 | `2001-db8-10--5` (the compressed form, `:` as `-`) |
//! | `{ip6-nibbles}` | IPv6 | `5.0.0.0.…​.1.0.0.2` (32 nibbles, ip6.arpa order) |
//! | `{ip6-hex}` | IPv6 | `20010db8001000000000000000000005` (32 nibbles, forward) |

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr};

/// An address family a template can be rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// `IPv4` or `IPv6`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// One placeholder of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Placeholder {
    /// `{ip}`: the address as text (IPv6 compressed).
    Ip,
    /// `{ip-dashed}`: IPv4 octets joined with `-`.
    IpDashed,
    /// `{ip-reversed}`: IPv4 octets in reverse order, dotted.
    IpReversed,
    /// `{a}`: the first IPv4 octet.
    A,
    /// `{b}`: the second IPv4 octet.
    B,
    /// `{c}`: the third IPv4 octet.
    C,
    /// `{d}`: the fourth IPv4 octet.
    D,
    /// `{datacenter}`: the block's datacenter name.
    Datacenter,
    /// `{ip6-dashed}`: all eight IPv6 hextets without leading zeros, joined with `-`.
    Ip6Dashed,
    /// `{ip6-compressed-dashed}`: the compressed IPv6 form with `:` replaced by `-`.
    Ip6CompressedDashed,
    /// `{ip6-nibbles}`: the 32 IPv6 nibbles, least significant first, dotted (ip6.arpa order).
    Ip6Nibbles,
    /// `{ip6-hex}`: the 32 IPv6 nibbles, most significant first, not separated.
    Ip6Hex,
}

impl Placeholder {
    /// Every placeholder, in documentation order.
    pub const ALL: [Placeholder; 12] = [
        Placeholder::Ip,
        Placeholder::IpDashed,
        Placeholder::IpReversed,
        Placeholder::A,
        Placeholder::B,
        Placeholder::C,
        Placeholder::D,
        Placeholder::Datacenter,
        Placeholder::Ip6Dashed,
        Placeholder::Ip6CompressedDashed,
        Placeholder::Ip6Nibbles,
        Placeholder::Ip6Hex,
    ];

    /// The name between the braces (`ip-dashed`).
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Ip => "ip",
            Placeholder::IpDashed => "ip-dashed",
            Placeholder::IpReversed => "ip-reversed",
            Placeholder::A => "a",
            Placeholder::B => "b",
            Placeholder::C => "c",
            Placeholder::D => "d",
            Placeholder::Datacenter => "datacenter",
            Placeholder::Ip6Dashed => "ip6-dashed",
            Placeholder::Ip6CompressedDashed => "ip6-compressed-dashed",
            Placeholder::Ip6Nibbles => "ip6-nibbles",
            Placeholder::Ip6Hex => "ip6-hex",
        }
    }

    /// Parses the name between the braces.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The only family this placeholder can be rendered for, or `None` for both.
    pub fn family(self) -> Option<Family> {
        match self {
            Placeholder::Ip | Placeholder::Datacenter => None,
            Placeholder::IpDashed
            | Placeholder::IpReversed
            | Placeholder::A
            | Placeholder::B
            | Placeholder::C
            | Placeholder::D => Some(Family::V4),
            Placeholder::Ip6Dashed
            | Placeholder::Ip6CompressedDashed
            | Placeholder::Ip6Nibbles
            | Placeholder::Ip6Hex => Some(Family::V6),
        }
    }

    /// The allowed placeholders, as listed in error messages (`{ip}`, `{a}`, ...).
    pub fn allowed_list() -> String {
        Self::ALL
            .iter()
            .map(|p| format!("`{{{}}}`", p.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn render(self, ip: IpAddr, datacenter: &str, out: &mut String) -> Option<()> {
        match (self, ip) {
            (Placeholder::Ip, ip) => write!(out, "{ip}").ok(),
            (Placeholder::Datacenter, _) => {
                out.push_str(datacenter);
                Some(())
            }
            (Placeholder::IpDashed, IpAddr::V4(v4)) => {
                let [a, b, c, d] = v4.octets();
                write!(out, "{a}-{b}-{c}-{d}").ok()
            }
            (Placeholder::IpReversed, IpAddr::V4(v4)) => {
                let [a, b, c, d] = v4.octets();
                write!(out, "{d}.{c}.{b}.{a}").ok()
            }
            (Placeholder::A, IpAddr::V4(v4)) => write!(out, "{}", octet(v4, 0)).ok(),
            (Placeholder::B, IpAddr::V4(v4)) => write!(out, "{}", octet(v4, 1)).ok(),
            (Placeholder::C, IpAddr::V4(v4)) => write!(out, "{}", octet(v4, 2)).ok(),
            (Placeholder::D, IpAddr::V4(v4)) => write!(out, "{}", octet(v4, 3)).ok(),
            (Placeholder::Ip6Dashed, IpAddr::V6(v6)) => {
                for (i, h) in v6.segments().iter().enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    write!(out, "{h:x}").ok()?;
                }
                Some(())
            }
            (Placeholder::Ip6CompressedDashed, IpAddr::V6(v6)) => {
                let text = v6.to_string();
                out.extend(text.chars().map(|c| if c == ':' { '-' } else { c }));
                Some(())
            }
            (Placeholder::Ip6Nibbles, IpAddr::V6(v6)) => {
                let bits = u128::from(v6);
                for i in 0..32 {
                    if i > 0 {
                        out.push('.');
                    }
                    write!(out, "{:x}", (bits >> (4 * i)) & 0xf).ok()?;
                }
                Some(())
            }
            (Placeholder::Ip6Hex, IpAddr::V6(v6)) => write!(out, "{:032x}", u128::from(v6)).ok(),
            _ => None,
        }
    }
}

fn octet(v4: Ipv4Addr, i: usize) -> u8 {
    v4.octets()[i]
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// Why a template could not be parsed. Columns count characters of the
/// template text, starting at 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A placeholder name that is not known.
    #[error("unknown placeholder `{{{name}}}`; allowed: {allowed}")]
    UnknownPlaceholder {
        /// The name between the braces.
        name: String,
        /// The column of the opening brace.
        column: usize,
        /// The allowed placeholders, as a list for the message.
        allowed: String,
    },
    /// A `{` without its `}`.
    #[error("unclosed `{{` in template")]
    Unclosed {
        /// The column of the opening brace.
        column: usize,
    },
    /// A `}` without a `{` before it.
    #[error("unmatched `}}` in template")]
    Unmatched {
        /// The column of the closing brace.
        column: usize,
    },
    /// IPv4-only and IPv6-only placeholders in one template: it can never be rendered.
    #[error("template mixes IPv4-only `{v4}` and IPv6-only `{v6}`: it fits no address")]
    MixedFamilies {
        /// The first IPv4-only placeholder.
        v4: Placeholder,
        /// The first IPv6-only placeholder.
        v6: Placeholder,
        /// The column of the later of the two.
        column: usize,
    },
    /// The template is empty.
    #[error("template is empty")]
    Empty,
}

impl TemplateError {
    /// The 1-based column (in characters of the template) the error points at.
    pub fn column(&self) -> usize {
        match self {
            TemplateError::UnknownPlaceholder { column, .. }
            | TemplateError::Unclosed { column }
            | TemplateError::Unmatched { column }
            | TemplateError::MixedFamilies { column, .. } => *column,
            TemplateError::Empty => 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A placeholder and the 1-based column of its `{`.
    Placeholder(Placeholder, usize),
}

/// A parsed naming template.
///
/// ```
/// use ptr_audit_inventory::template::{Family, Template};
/// let t = Template::parse("mail{d}.{datacenter}.examplehost.net").unwrap();
/// assert_eq!(t.family(), Some(Family::V4));
/// assert_eq!(
///     t.render("203.0.113.5".parse().unwrap(), "fra1").as_deref(),
///     Some("mail5.fra1.examplehost.net")
/// );
/// assert_eq!(t.render("2001:db8::5".parse().unwrap(), "fra1"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
    family: Option<Family>,
}

impl Template {
    /// Parses a template, checking every placeholder.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        if text.is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut family: Option<(Family, Placeholder)> = None;
        let mut chars = text.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed { column: i + 1 });
                    }
                    let Some(p) = Placeholder::parse(&name) else {
                        return Err(TemplateError::UnknownPlaceholder {
                            name,
                            column: i + 1,
                            allowed: Placeholder::allowed_list(),
                        });
                    };
                    if let Some(f) = p.family() {
                        match family {
                            None => family = Some((f, p)),
                            Some((seen, first)) if seen != f => {
                                let (v4, v6) = if f == Family::V4 {
                                    (p, first)
                                } else {
                                    (first, p)
                                };
                                return Err(TemplateError::MixedFamilies {
                                    v4,
                                    v6,
                                    column: i + 1,
                                });
                            }
                            Some(_) => {}
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(p, i + 1));
                }
                '}' => return Err(TemplateError::Unmatched { column: i + 1 }),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            text: text.to_owned(),
            parts,
            family: family.map(|(f, _)| f),
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The only family this template can be rendered for, or `None` when it
    /// fits both (it uses only `{ip}`, `{datacenter}` or no placeholder).
    pub fn family(&self) -> Option<Family> {
        self.family
    }

    /// True when the template can be rendered for addresses of `family`.
    pub fn fits(&self, family: Family) -> bool {
        self.family.is_none_or(|f| f == family)
    }

    /// The placeholders used, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p, _) => Some(*p),
            Part::Literal(_) => None,
        })
    }

    /// The first placeholder that only fits `family`, with the 1-based column
    /// (in characters) of its `{`.
    pub fn first_of_family(&self, family: Family) -> Option<(Placeholder, usize)> {
        self.parts.iter().find_map(|p| match p {
            Part::Placeholder(p, col) if p.family() == Some(family) => Some((*p, *col)),
            _ => None,
        })
    }

    /// True when the template has no placeholder that depends on the address
    /// (every address would get the same name).
    pub fn is_constant(&self) -> bool {
        self.placeholders().all(|p| p == Placeholder::Datacenter)
    }

    /// Renders the template for `ip` in `datacenter`; `None` when a
    /// placeholder does not fit the address's family.
    pub fn render(&self, ip: IpAddr, datacenter: &str) -> Option<String> {
        if !self.fits(Family::of(ip)) {
            return None;
        }
        let mut out = String::with_capacity(self.text.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Placeholder(p, _) => p.render(ip, datacenter, &mut out)?,
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Template {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(t: &str, ip: &str) -> Option<String> {
        Template::parse(t)
            .unwrap()
            .render(ip.parse().unwrap(), "fra1")
    }

    #[test]
    fn renders_ipv4_placeholders() {
        let ip = "203.0.113.5";
        assert_eq!(r("{ip}", ip).unwrap(), "203.0.113.5");
        assert_eq!(
            r("{ip-dashed}-host.examplehost.net", ip).unwrap(),
            "203-0-113-5-host.examplehost.net"
        );
        assert_eq!(
            r("static.{ip-reversed}.clients.x", ip).unwrap(),
            "static.5.113.0.203.clients.x"
        );
        assert_eq!(r("{a}.{b}.{c}.{d}", ip).unwrap(), "203.0.113.5");
        assert_eq!(
            r("mail{d}.{datacenter}.examplehost.net", ip).unwrap(),
            "mail5.fra1.examplehost.net"
        );
        assert_eq!(r("fixed.example", ip).unwrap(), "fixed.example");
    }

    #[test]
    fn renders_ipv6_placeholders() {
        let ip = "2001:db8:10::5";
        assert_eq!(
            r("v6-{ip6-dashed}.x", ip).unwrap(),
            "v6-2001-db8-10-0-0-0-0-5.x"
        );
        assert_eq!(r("{ip6-compressed-dashed}", ip).unwrap(), "2001-db8-10--5");
        assert_eq!(
            r("{ip6-hex}", ip).unwrap(),
            "20010db8001000000000000000000005"
        );
        assert_eq!(
            r("{ip6-nibbles}.ip6.arpa", ip).unwrap(),
            "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(r("{ip}", ip).unwrap(), "2001:db8:10::5");
    }

    #[test]
    fn family_mismatch_renders_nothing() {
        assert_eq!(r("mail{d}.x", "2001:db8::1"), None);
        assert_eq!(r("{ip6-dashed}.x", "192.0.2.1"), None);
        let t = Template::parse("{ip}.{datacenter}").unwrap();
        assert_eq!(t.family(), None);
        assert!(t.fits(Family::V4) && t.fits(Family::V6));
        assert_eq!(
            Template::parse("{ip6-hex}").unwrap().family(),
            Some(Family::V6)
        );
    }

    #[test]
    fn unknown_placeholder_names_it_and_the_allowed_ones() {
        let err = Template::parse("mail{e}.x").unwrap_err();
        assert_eq!(err.column(), 5);
        let msg = err.to_string();
        assert!(msg.contains("`{e}`"), "{msg}");
        assert!(msg.contains("`{ip-dashed}`"), "{msg}");
        assert!(!msg.contains("column"), "{msg}");
    }

    #[test]
    fn brace_errors_and_mixed_families() {
        assert_eq!(
            Template::parse("a{ip").unwrap_err(),
            TemplateError::Unclosed { column: 2 }
        );
        assert_eq!(
            Template::parse("a}b").unwrap_err(),
            TemplateError::Unmatched { column: 2 }
        );
        assert_eq!(Template::parse("").unwrap_err(), TemplateError::Empty);
        let err = Template::parse("{a}-{ip6-hex}").unwrap_err();
        assert!(
            matches!(err, TemplateError::MixedFamilies { column: 5, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn constant_templates_are_recognised() {
        assert!(
            Template::parse("hosted.{datacenter}.example")
                .unwrap()
                .is_constant()
        );
        assert!(!Template::parse("h{d}.example").unwrap().is_constant());
        let t = Template::parse("x{a}y{b}").unwrap();
        assert_eq!(
            t.placeholders().collect::<Vec<_>>(),
            [Placeholder::A, Placeholder::B]
        );
        assert_eq!(t.to_string(), "x{a}y{b}");
        assert_eq!(t.first_of_family(Family::V4), Some((Placeholder::A, 2)));
        assert_eq!(t.first_of_family(Family::V6), None);
    }

    #[test]
    fn non_ascii_columns_count_characters() {
        let err = Template::parse("é{zz}").unwrap_err();
        assert_eq!(err.column(), 2);
    }
}
