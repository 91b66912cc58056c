//! A lean reader of one record line as [`crate::record::write::RecordWriter`] writes
//! it: walks and checks the whole JSON object — every byte `merge` later
//! copies is valid UTF-8 JSON, without raw control bytes, nested no deeper
//! than [`MAX_DEPTH`] — but keeps only what `merge` needs to recount a report
//! (the block, the expected name, the first PTR name, the status and each
//! finding's code and severity), borrowing strings from the line instead of
//! building model types.

use std::borrow::Cow;
use std::net::IpAddr;

use ptr_audit_model::{DnsName, FindingCode, Severity, Status};

use super::FIELDS;

/// What `merge` takes from a record line.
#[derive(Debug, Default)]
pub(crate) struct LeanRecord<'a> {
    /// `datacenter`.
    pub(crate) datacenter: Cow<'a, str>,
    /// `block`, as written.
    pub(crate) block: Cow<'a, str>,
    /// `expected`.
    pub(crate) expected: Option<Cow<'a, str>>,
    /// The first name of `ptr`.
    pub(crate) first_ptr: Option<Cow<'a, str>>,
    /// `status`.
    pub(crate) status: Option<Status>,
}

/// The keys a record starts with, in the writer's order, up to `ptr`.
const HEAD: &[&str] = FIELDS.split_at(7).0;

/// The keys between `ptr` and `status`, in the writer's order: walked and
/// checked, not kept.
const MIDDLE: &[&str] = FIELDS.split_at(14).0.split_at(7).1;

/// The keys after `forward`, in the writer's order.
const STATUS: &str = FIELDS[14];
const FINDINGS: &str = FIELDS[15];
const IPREV: &str = FIELDS[16];
const RECEIVERS: &str = FIELDS[17];
const DNSBL: &str = FIELDS[18];

/// How a finding starts, after its `{`: code and severity come first.
const FINDING_OPEN: &[u8] = b"\"code\":";

/// How deep objects and arrays may nest in a record line (the writer's are
/// three deep); deeper text is refused, never recursed into.
pub(crate) const MAX_DEPTH: u32 = 8;

/// Reads `line`, one record as the writer writes it (keys in its order,
/// no whitespace); each finding's code and severity go to `findings`
/// (cleared first), in order. Every value is walked and checked, so a line
/// this accepts can be copied into a JSON document as it is.
pub(crate) fn read_record<'a>(
    line: &'a [u8],
    findings: &mut Vec<(FindingCode, Severity)>,
) -> Result<LeanRecord<'a>, String> {
    findings.clear();
    // JSON allows no raw control byte anywhere in a line (whitespace
    // between tokens aside, which the writer never puts there), and the
    // document it is copied into must stay UTF-8.
    if !plain_ascii(line) {
        if let Some(at) = line.iter().position(|&b| b < 0x20) {
            return Err(format!(
                "a raw control byte (0x{:02x}) at byte {at}",
                line[at]
            ));
        }
        std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    }
    let mut rec = LeanRecord::default();
    let mut c = Cursor {
        b: line,
        i: 0,
        depth: 0,
    };
    c.eat(b'{')?;
    for (n, want) in HEAD.iter().enumerate() {
        if n > 0 {
            c.eat(b',')?;
        }
        c.key(want.as_bytes())?;
        match n {
            1 => rec.datacenter = c.string()?,
            2 => rec.block = c.string()?,
            5 => rec.expected = c.opt_string()?,
            6 => {
                let mut first = None;
                c.array(|c| {
                    if first.is_none() {
                        first = Some(c.string()?);
                    } else {
                        c.skip()?;
                    }
                    Ok(())
                })?;
                // As the full reader holds it: a missing trailing dot added.
                rec.first_ptr = first.map(|n| {
                    if n.ends_with('.') {
                        n
                    } else {
                        Cow::Owned(DnsName::from_presentation(&n).as_str().to_owned())
                    }
                });
            }
            _ => c.skip()?,
        }
    }
    for want in MIDDLE {
        c.eat(b',')?;
        c.key(want.as_bytes())?;
        c.skip()?;
    }
    c.eat(b',')?;
    c.key(STATUS.as_bytes())?;
    let s = c.string()?;
    rec.status = Some(Status::parse(&s).ok_or_else(|| format!("bad status `{s}`"))?);
    c.eat(b',')?;
    c.key(FINDINGS.as_bytes())?;
    // Each finding starts with its code and severity; the rest (message,
    // details) is walked, not kept.
    c.array(|c| {
        c.enter()?;
        c.eat(b'{')?;
        c.lit(FINDING_OPEN)?;
        let code = c.plain()?;
        let code = FindingCode::parse(code).ok_or_else(|| format!("bad code `{code}`"))?;
        c.lit(b",\"severity\":")?;
        let sev = c.plain()?;
        let sev = Severity::parse(sev).ok_or_else(|| format!("bad severity `{sev}`"))?;
        findings.push((code, sev));
        loop {
            match c.peek()? {
                b',' => {
                    c.i += 1;
                    c.raw_string()?;
                    c.eat(b':')?;
                    c.skip()?;
                }
                b'}' => {
                    c.i += 1;
                    c.depth -= 1;
                    return Ok(());
                }
                other => return Err(format!("expected `,` or `}}`, found `{}`", other as char)),
            }
        }
    })?;
    // The receiver matrix: walked and checked, not kept.
    c.eat(b',')?;
    c.key(IPREV.as_bytes())?;
    c.skip()?;
    c.eat(b',')?;
    c.key(RECEIVERS.as_bytes())?;
    c.skip()?;
    // The blocklist answers (format 3; absent from format 2 records).
    if c.peek()? == b',' {
        c.eat(b',')?;
        c.key(DNSBL.as_bytes())?;
        c.skip()?;
    }
    c.eat(b'}')?;
    if c.i != c.b.len() {
        return Err("text after the record".into());
    }
    Ok(rec)
}

/// The address a record line starts with (its first key, `ip`), read by
/// the cursor [`read_record`] reads with: what `merge` orders the shards'
/// lines by before it reads them whole.
pub(crate) fn record_ip(line: &[u8]) -> Result<IpAddr, String> {
    let mut c = Cursor {
        b: line,
        i: 0,
        depth: 0,
    };
    c.lit(b"{")?;
    c.key(HEAD[0].as_bytes())?;
    let ip = c.plain()?;
    ip.parse().map_err(|_| format!("bad address `{ip}`"))
}

/// Whether `line` is printable ASCII (no byte below 0x20 or above 0x7f),
/// as every line the writer writes is: looked at 64 bytes at a time without
/// an early exit inside a block, so the compiler vectorises it. Other lines
/// take the exact checks.
fn plain_ascii(line: &[u8]) -> bool {
    line.chunks(64).all(|block| {
        block
            .iter()
            .fold(0u8, |acc, &b| acc | u8::from(!(0x20..0x80).contains(&b)))
            == 0
    })
}

/// A position in a JSON text.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Objects and arrays open at the position.
    depth: u32,
}

impl<'a> Cursor<'a> {
    /// Opens an object or array (its `{` or `[` comes next), refusing to
    /// nest deeper than [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "nested deeper than {MAX_DEPTH} levels at byte {}",
                self.i
            ));
        }
        Ok(())
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Result<u8, String> {
        match self.b.get(self.i) {
            // The writer puts no whitespace between tokens.
            Some(&c) if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') => Ok(c),
            _ => {
                self.ws();
                self.b
                    .get(self.i)
                    .copied()
                    .ok_or_else(|| "unexpected end of the record".to_owned())
            }
        }
    }

    #[inline]
    fn eat(&mut self, want: u8) -> Result<(), String> {
        if self.b.get(self.i) == Some(&want) {
            self.i += 1;
            return Ok(());
        }
        self.eat_slow(want)
    }

    #[cold]
    fn eat_slow(&mut self, want: u8) -> Result<(), String> {
        let got = self.peek()?;
        if got != want {
            return Err(format!(
                "expected `{}` at byte {}, found `{}`",
                want as char, self.i, got as char
            ));
        }
        self.i += 1;
        Ok(())
    }

    /// The raw text of a string (between the quotes) and whether it has
    /// escapes; the cursor moves past the closing quote.
    fn raw_string(&mut self) -> Result<(usize, usize, bool), String> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Most strings are short: a few bytes are looked at one by one
            // before the vectorised search, which costs more to start.
            let b = self.b;
            let short_end = (self.i + 24).min(b.len());
            let mut j = self.i;
            while j < short_end && b[j] != b'"' && b[j] != b'\\' {
                j += 1;
            }
            let found = if j < short_end {
                Some(j - self.i)
            } else {
                memchr::memchr2(b'"', b'\\', &b[short_end..]).map(|n| n + short_end - self.i)
            };
            let Some(n) = found else {
                return Err("unterminated string".into());
            };
            self.i += n;
            if self.b[self.i] == b'"' {
                let end = self.i;
                self.i += 1;
                return Ok((start, end, escaped));
            }
            // A backslash: the character it escapes must be one JSON
            // knows, `\u` followed by four hex digits.
            escaped = true;
            match self.b.get(self.i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                Some(b'u')
                    if self
                        .b
                        .get(self.i + 2..self.i + 6)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                {
                    self.i += 6
                }
                Some(_) => return Err(format!("bad escape at byte {}", self.i)),
                None => return Err("unterminated string".into()),
            }
        }
    }

    /// Text that must come next.
    fn lit(&mut self, want: &[u8]) -> Result<(), String> {
        if self.b[self.i..].starts_with(want) {
            self.i += want.len();
            Ok(())
        } else {
            Err(format!(
                "expected `{}` at byte {}",
                String::from_utf8_lossy(want),
                self.i
            ))
        }
    }

    /// A string without escapes (a keyword).
    fn plain(&mut self) -> Result<&'a str, String> {
        let (start, end, escaped) = self.raw_string()?;
        if escaped {
            return Err(format!("unexpected escape at byte {start}"));
        }
        std::str::from_utf8(&self.b[start..end]).map_err(|e| e.to_string())
    }

    /// A key that must be `want` (unescaped), and its `:`.
    fn key(&mut self, want: &[u8]) -> Result<(), String> {
        let rest = &self.b[self.i..];
        let n = want.len();
        if rest.len() > n + 2 && rest[0] == b'"' && &rest[1..=n] == want && rest[n + 1] == b'"' {
            self.i += n + 2;
            return self.eat(b':');
        }
        Err(format!(
            "expected key `{}` at byte {}",
            String::from_utf8_lossy(want),
            self.i
        ))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        let (start, end, escaped) = self.raw_string()?;
        if !escaped {
            return std::str::from_utf8(&self.b[start..end])
                .map(Cow::Borrowed)
                .map_err(|e| e.to_string());
        }
        serde_json::from_slice::<String>(&self.b[start - 1..=end])
            .map(Cow::Owned)
            .map_err(|e| e.to_string())
    }

    fn opt_string(&mut self) -> Result<Option<Cow<'a, str>>, String> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Ok(None);
        }
        self.string().map(Some)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), String> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(format!("bad literal at byte {}", self.i))
        }
    }

    /// Calls `each` with every key of an object, the cursor on its value;
    /// `each` must consume the value.
    fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        self.enter()?;
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let (start, end, escaped) = self.raw_string()?;
            self.eat(b':')?;
            if escaped {
                let key = serde_json::from_slice::<String>(&self.b[start - 1..=end])
                    .map_err(|e| e.to_string())?;
                each(self, key.as_bytes())?;
            } else {
                let b = self.b;
                each(self, &b[start..end])?;
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                other => return Err(format!("expected `,` or `}}`, found `{}`", other as char)),
            }
        }
    }

    /// Calls `each` with the cursor on every element of an array; `each`
    /// must consume the element.
    fn array(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.enter()?;
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                other => return Err(format!("expected `,` or `]`, found `{}`", other as char)),
            }
        }
    }

    /// Skips any value.
    fn skip(&mut self) -> Result<(), String> {
        match self.peek()? {
            b'"' => self.raw_string().map(drop),
            b'{' => self.object(|c, _| c.skip()),
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.b.get(self.i)
                {
                    self.i += 1;
                }
                if self.i > start && self.b[self.i - 1].is_ascii_digit() {
                    Ok(())
                } else {
                    Err(format!("bad number at byte {start}"))
                }
            }
            other => Err(format!("unexpected `{}` at byte {}", other as char, self.i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::reference;
    use ptr_audit_model::PtrAnswer;

    const LINE: &str = r#"{"ip":"10.0.0.1","datacenter":"fra\"1","block":"10.0.0.0/24","policy":"mail","source":{"file":"a.yaml","line":3},"expected":null,"ptr":["Mail.Example.","b.example."],"cname_chain":[],"rcode":"NOERROR","result":"answer","failure":null,"dead_end":null,"attempts":1,"forward":{"Mail.Example.":["10.0.0.1"],"b.example.":"nxdomain"},"status":"fcrdns-failed","findings":[{"code":"fcrdns-failed","severity":"error","message":"x \u00e9","status":["a"],"count":-1.5e3},{"code":"ptr-multiple","severity":"warning","message":"y"}],"iprev":"fail","receivers":[{"id":"gmail","verdict":"reject","score":null,"rules":["5.7.25"],"source":"g"}]}"#;

    #[test]
    fn reads_what_merge_needs() {
        let mut findings = Vec::new();
        let rec = read_record(LINE.as_bytes(), &mut findings).unwrap();
        assert_eq!(rec.datacenter, "fra\"1");
        assert_eq!(rec.block, "10.0.0.0/24");
        assert_eq!(rec.expected, None);
        assert_eq!(rec.first_ptr.as_deref(), Some("Mail.Example."));
        assert_eq!(rec.status, Some(Status::Finding(FindingCode::FcrdnsFailed)));
        assert_eq!(
            findings,
            vec![
                (FindingCode::FcrdnsFailed, Severity::Error),
                (FindingCode::PtrMultiple, Severity::Warning)
            ]
        );
    }

    #[test]
    fn refuses_records_not_laid_out_by_the_writer() {
        let mut findings = Vec::new();
        for (from, to) in [
            ("\"status\":\"fcrdns-failed\"", "\"status\":\"fine\""),
            ("{\"ip\":\"10.0.0.1\",", "{"),
            ("\"datacenter\"", "\"dc\""),
            ("\"severity\":\"error\",", ""),
            ("\"severity\":\"error\"", "\"severity\":\"fatal\""),
            ("\"policy\":\"mail\"", "\"policy\":mail"),
            ("\"expected\":null", "\"expected\":nul"),
            ("\"ptr\":[", "\"ptr\":{"),
            ("},\"status\"", "},\"state\""),
            ("\"g\"}]}", "\"g\"}]"),
            ("\"g\"}]}", "\"g\"}]} "),
            ("\"message\":\"y\"}]", "\"message\":\"y\"]"),
            (",\"iprev\":\"fail\"", ""),
            ("\"receivers\":[", "\"receivers\":{"),
            ("{\"code\":\"ptr-multiple\"", "{\"code\":\"ptr-multiplex\""),
        ] {
            assert!(LINE.contains(from), "{from}");
            let bad = LINE.replacen(from, to, 1);
            assert!(read_record(bad.as_bytes(), &mut findings).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_writer_writes_the_fields_in_their_order() {
        let b = reference::block("fra1", "a.yaml");
        let rec = reference::record("x", "10.0.0.1".parse().unwrap(), &b);
        let mut line = String::new();
        crate::record::write::RecordWriter::new().write(&mut line, &rec);
        let mut keys = Vec::new();
        let mut c = Cursor {
            b: line.as_bytes(),
            i: 0,
            depth: 0,
        };
        c.object(|c, k| {
            keys.push(String::from_utf8_lossy(k).into_owned());
            c.skip()
        })
        .unwrap();
        assert_eq!(keys, FIELDS);
    }

    #[test]
    fn record_ip_reads_the_first_key_only() {
        assert_eq!(
            record_ip(LINE.as_bytes()),
            Ok("10.0.0.1".parse::<IpAddr>().unwrap())
        );
        for bad in [
            "",
            "{",
            "[\"ip\"]",
            "{\"ip\":\"10.0.0.256\"}",
            "{\"ip\":\"10.0.0.\\u0031\"}",
            "{\"ip\":10}",
            "{\"datacenter\":\"x\",\"ip\":\"10.0.0.1\"}",
            " {\"ip\":\"10.0.0.1\"}",
            "{\"ip\":\"10.0.0.1",
        ] {
            assert!(record_ip(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn lean_reader_reads_back_what_the_writer_wrote() {
        let mut w = crate::record::write::RecordWriter::new();
        let mut findings = Vec::new();
        let mut checked = 0;
        for text in reference::nasty() {
            let b = reference::block(&text, &text);
            let mut rec = reference::record(&text, "10.0.0.1".parse().unwrap(), &b);
            for answer in [rec.lookup.answer.clone(), PtrAnswer::NxDomain] {
                rec.lookup.answer = answer;
                let mut line = String::new();
                w.write(&mut line, &rec);
                let lean = read_record(line.as_bytes(), &mut findings).unwrap();
                assert_eq!(lean.datacenter, text);
                assert_eq!(lean.block, "2001:db8::/32");
                assert_eq!(lean.expected.as_deref(), Some(text.as_str()));
                let first = crate::record::ptr_names(&rec.lookup.answer).first();
                assert_eq!(lean.first_ptr.as_deref(), first.map(DnsName::as_str));
                assert_eq!(lean.status, Some(rec.status));
                let want: Vec<_> = rec.findings.iter().map(|f| (f.code, f.severity)).collect();
                assert_eq!(findings, want);
                checked += 1;
            }
        }
        assert_eq!(checked, 14);
    }
}
