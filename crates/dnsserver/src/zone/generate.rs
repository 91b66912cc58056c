//! `$GENERATE` (a BIND extension): the range `START-STOP[/STEP]`, and the
//! templates where `$` stands for the iterator and `${OFFSET,WIDTH,BASE}`
//! shifts it and formats it in decimal, octal, hex or nibble form.

/// Most records one `$GENERATE` line may make (a /16 of PTRs, one per
/// address).
pub(super) const MAX_PER_LINE: u64 = 65_536;

/// Largest iterator value BIND accepts (2^31 - 1).
const MAX_VALUE: u32 = i32::MAX as u32;

/// The iterator's values: `start`, `start + step`, … up to `stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Range {
    start: u32,
    stop: u32,
    step: u32,
}

impl Range {
    /// Parses `START-STOP` or `START-STOP/STEP`, refusing ranges that make
    /// more than [`MAX_PER_LINE`] records.
    pub(super) fn parse(text: &str) -> Result<Range, String> {
        let bad = || format!("bad `$GENERATE` range `{text}` (START-STOP or START-STOP/STEP)");
        let (span, step) = match text.split_once('/') {
            Some((span, step)) => (span, number(step).ok_or_else(bad)?),
            None => (text, 1),
        };
        let (start, stop) = span.split_once('-').ok_or_else(bad)?;
        let (start, stop) = (
            number(start).ok_or_else(bad)?,
            number(stop).ok_or_else(bad)?,
        );
        if start > stop {
            return Err(format!("`$GENERATE` range `{text}` starts after it stops"));
        }
        if step == 0 {
            return Err(format!("`$GENERATE` range `{text}` has a step of 0"));
        }
        let range = Range { start, stop, step };
        if range.count() > MAX_PER_LINE {
            return Err(format!(
                "`$GENERATE` range `{text}` makes {} records (at most {MAX_PER_LINE} per line)",
                range.count()
            ));
        }
        Ok(range)
    }

    /// How many values the range holds.
    pub(super) fn count(self) -> u64 {
        u64::from((self.stop - self.start) / self.step) + 1
    }

    /// The values in order.
    pub(super) fn values(self) -> impl Iterator<Item = u32> {
        (self.start..=self.stop).step_by(self.step as usize)
    }
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|&v| v <= MAX_VALUE)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Decimal,
    Octal,
    Hex,
    HexUpper,
    Nibble,
    NibbleUpper,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value {
        offset: i64,
        width: usize,
        base: Base,
    },
}

/// An owner or RDATA template, parsed once and rendered per value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`: `$` is the iterator, `${OFFSET[,WIDTH[,BASE]]}` a
    /// modified one (BASE one of `d o x X n N`), `$$` and `\$` a literal `$`
    /// (the backslash stays, for the name parser), any other `\X` is kept.
    pub(super) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    lit.push('\\');
                    if let Some(n) = chars.next() {
                        lit.push(n);
                    }
                }
                '$' if chars.peek() == Some(&'$') => {
                    chars.next();
                    lit.push('$');
                }
                '$' => {
                    if !lit.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut lit)));
                    }
                    if chars.peek() == Some(&'{') {
                        chars.next();
                        let mut spec = String::new();
                        loop {
                            match chars.next() {
                                Some('}') => break,
                                Some(c) => spec.push(c),
                                None => {
                                    return Err(format!(
                                        "`${{` without a closing `}}` in `{text}`"
                                    ));
                                }
                            }
                        }
                        parts.push(modifier(&spec, text)?);
                    } else {
                        parts.push(Part::Value {
                            offset: 0,
                            width: 0,
                            base: Base::Decimal,
                        });
                    }
                }
                other => lit.push(other),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        Ok(Template { parts })
    }

    /// The text for iterator value `value`.
    pub(super) fn render(&self, value: u32) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                &Part::Value {
                    offset,
                    width,
                    base,
                } => {
                    let v = i64::from(value) + offset;
                    let v = u32::try_from(v).map_err(|_| {
                        format!("`$GENERATE` value {value} with offset {offset} is out of range")
                    })?;
                    match base {
                        Base::Decimal => out.push_str(&format!("{v:0width$}")),
                        Base::Octal => out.push_str(&format!("{v:0width$o}")),
                        Base::Hex => out.push_str(&format!("{v:0width$x}")),
                        Base::HexUpper => out.push_str(&format!("{v:0width$X}")),
                        Base::Nibble => nibbles(v, width, false, &mut out),
                        Base::NibbleUpper => nibbles(v, width, true, &mut out),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Parses the inside of `${…}`.
fn modifier(spec: &str, text: &str) -> Result<Part, String> {
    let bad = || {
        format!(
            "bad `$GENERATE` modifier `${{{spec}}}` in `{text}` (${{OFFSET,WIDTH,BASE}}, BASE one of d o x X n N)"
        )
    };
    let mut fields = spec.split(',');
    let offset = fields
        .next()
        .filter(|s| !s.is_empty())
        .map_or(Ok(0), |s| s.parse::<i64>())
        .map_err(|_| bad())?;
    if offset.unsigned_abs() > u64::from(MAX_VALUE) {
        return Err(bad());
    }
    let width = match fields.next() {
        Some(w) => w.parse::<usize>().map_err(|_| bad())?,
        None => 0,
    };
    // a name is at most 255 octets: wider fields can only make errors
    if width > 255 {
        return Err(bad());
    }
    let base = match fields.next() {
        None | Some("d") => Base::Decimal,
        Some("o") => Base::Octal,
        Some("x") => Base::Hex,
        Some("X") => Base::HexUpper,
        Some("n") => Base::Nibble,
        Some("N") => Base::NibbleUpper,
        Some(_) => return Err(bad()),
    };
    if fields.next().is_some() {
        return Err(bad());
    }
    Ok(Part::Value {
        offset,
        width,
        base,
    })
}

/// Nibble form: hex digits from the least significant, one per label,
/// `.`-separated; `width` counts the characters, separators included
/// (BIND's rule), and is filled with `0` labels.
fn nibbles(mut value: u32, mut width: usize, upper: bool, out: &mut String) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    loop {
        out.push(char::from(digits[(value & 0xf) as usize]));
        value >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || value != 0 {
            out.push('.');
            width = width.saturating_sub(1);
        }
        if value == 0 && width == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, v: u32) -> String {
        Template::parse(t).unwrap().render(v).unwrap()
    }

    #[test]
    fn dollar_and_modifiers_render_like_bind() {
        assert_eq!(render("host-$", 7), "host-7");
        assert_eq!(render("HOST-${0,4,d}", 2), "HOST-0002");
        assert_eq!(render("1.2.3.${1,0,d}", 2), "1.2.3.3");
        assert_eq!(render("${0,3,n}", 1024), "0.0.4");
        assert_eq!(render("2001:db8::${0,4,x}", 1026), "2001:db8::0402");
        assert_eq!(render("${-10}", 12), "2");
        assert_eq!(render("${0,2,X}", 255), "FF");
        assert_eq!(render("${0,3,o}", 8), "010");
        assert_eq!(render("${0,7,N}", 0xab), "B.A.0.0");
        assert_eq!(render("${0,0,n}", 0), "0");
        assert_eq!(render("a$$b\\$c", 1), "a$b\\$c");
    }

    #[test]
    fn bad_modifiers_and_ranges_are_errors() {
        assert!(Template::parse("${0,3,q}").is_err());
        assert!(Template::parse("${0,3").is_err());
        assert!(Template::parse("${x}").is_err());
        assert!(Template::parse("${-5}").unwrap().render(2).is_err());
        assert!(Range::parse("5-1").is_err());
        assert!(Range::parse("1-5/0").is_err());
        assert!(Range::parse("1-").is_err());
        assert!(Range::parse("0-65536").is_err());
        assert_eq!(Range::parse("0-65535").unwrap().count(), 65_536);
        assert_eq!(
            Range::parse("1-10/3").unwrap().values().collect::<Vec<_>>(),
            [1, 4, 7, 10]
        );
    }
}
