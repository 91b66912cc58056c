//! Zone files: a small RFC 1035 master-file reader that accepts RFC 2317 `/`
//! labels, confines `$INCLUDE` to the zones directory and reports errors with
//! file and line.
//!
//! The reader does its own tokenising (comments, quotes, parentheses, blank
//! owners, `$ORIGIN`, `$TTL`, `$INCLUDE`) and builds the records itself for
//! the types an rDNS audit meets (SOA, NS, A, AAAA, PTR, CNAME, MX, TXT).
//! Any other type is handed, one record at a time, to hickory's own zone
//! parser, so its error still carries our file and line.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
use hickory_proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordType};

use crate::ZoneError;

/// Deepest `$INCLUDE` nesting accepted.
const MAX_INCLUDE_DEPTH: usize = 8;
/// Most `$INCLUDE` directives accepted while loading one zone file.
const MAX_INCLUDES: usize = 256;
/// TTL used when neither `$TTL` nor an earlier record gives one.
const DEFAULT_TTL: u32 = 3600;

/// One zone: its origin, its records and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    pub(crate) origin: Name,
    /// The records in file order (their class is IN).
    pub(crate) records: Vec<Record>,
    /// The SOA's serial.
    pub(crate) serial: u32,
    pub(crate) source: PathBuf,
}

/// A set of zones, loaded from a directory of zone files or built from text.
///
/// Each zone has an SOA at its apex; no two zones share an origin. Serve a
/// set with [`ZoneServer::spawn`](crate::ZoneServer::spawn).
///
/// ```
/// use ptr_audit_dnsserver::ZoneSet;
/// let zones = ZoneSet::from_text(
///     "0/26.2.0.192.in-addr.arpa",
///     "@ 3600 IN SOA ns1.example. hostmaster.example. 1 3600 600 86400 300\n\
///      @ IN NS ns1.example.\n\
///      10 IN PTR mx.customer-b.example.\n",
/// )?;
/// assert_eq!(zones.origins(), ["0/26.2.0.192.in-addr.arpa."]);
/// assert_eq!(zones.record_count(), 3);
/// # Ok::<(), ptr_audit_dnsserver::ZoneError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ZoneSet {
    pub(crate) zones: Vec<Zone>,
}

impl ZoneSet {
    /// An empty set (every query to a server of it is REFUSED).
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.zone` file directly inside `dir` as one zone.
    ///
    /// The origin of a zone is the first `$ORIGIN` before its first record,
    /// else the file name minus `.zone`. `$INCLUDE` may only name files inside
    /// `dir` (after resolving symlinks); relative paths are taken from the
    /// including file's directory.
    pub fn load_dir(dir: &Path) -> Result<ZoneSet, ZoneError> {
        let root = dir.canonicalize().map_err(|source| ZoneError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let entries = std::fs::read_dir(&root).map_err(|source| ZoneError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ZoneError::Read {
                path: dir.to_path_buf(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.len() > ".zone".len() && name.ends_with(".zone") {
                files.push((name.to_owned(), dir.join(name)));
            }
        }
        files.sort();
        let mut set = ZoneSet::new();
        for (name, shown) in files {
            let real = shown.canonicalize().map_err(|source| ZoneError::Read {
                path: shown.clone(),
                source,
            })?;
            if !real.starts_with(&root) {
                return Err(ZoneError::OutsideDirectory { path: shown });
            }
            if !real.is_file() {
                continue;
            }
            let text = read_text(&real, &shown)?;
            let default_origin = name.trim_end_matches(".zone");
            let mut reader = Reader {
                root: Some(root.clone()),
                includes: 0,
            };
            let zone = reader.read_zone(&text, &shown, &real, default_origin)?;
            set.insert(zone)?;
        }
        Ok(set)
    }

    /// A set holding one zone parsed from `text`, with `origin` as its
    /// default origin (a `$ORIGIN` before the first record wins).
    /// `$INCLUDE` is refused.
    pub fn from_text(origin: &str, text: &str) -> Result<ZoneSet, ZoneError> {
        let mut set = ZoneSet::new();
        set.add_text(origin, text)?;
        Ok(set)
    }

    /// Adds one zone parsed from `text` (see [`ZoneSet::from_text`]).
    pub fn add_text(&mut self, origin: &str, text: &str) -> Result<(), ZoneError> {
        let label = PathBuf::from(format!("<zone {origin}>"));
        let mut reader = Reader {
            root: None,
            includes: 0,
        };
        let zone = reader.read_zone(text, &label, &label, origin)?;
        self.insert(zone)
    }

    /// Adds every zone of `other`.
    pub fn merge(&mut self, other: ZoneSet) -> Result<(), ZoneError> {
        for zone in other.zones {
            self.insert(zone)?;
        }
        Ok(())
    }

    fn insert(&mut self, zone: Zone) -> Result<(), ZoneError> {
        if let Some(first) = self.zones.iter().find(|z| z.origin == zone.origin) {
            return Err(ZoneError::DuplicateZone {
                origin: display_name(&zone.origin),
                first: first.source.clone(),
                second: zone.source,
            });
        }
        self.zones.push(zone);
        Ok(())
    }

    /// The zones' origins, fully qualified, in the order they were added
    /// (files in name order).
    pub fn origins(&self) -> Vec<String> {
        self.zones.iter().map(|z| display_name(&z.origin)).collect()
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// True when the set holds no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Number of resource records over all zones.
    pub fn record_count(&self) -> usize {
        self.zones.iter().map(|z| z.records.len()).sum()
    }
}

fn read_text(real: &Path, shown: &Path) -> Result<String, ZoneError> {
    let bytes = std::fs::read(real).map_err(|source| ZoneError::Read {
        path: shown.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        ZoneError::Syntax {
            path: shown.to_path_buf(),
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count(),
            message: "the file is not valid UTF-8".to_owned(),
        }
    })
}

/// A token of a zone file entry.
#[derive(Debug)]
struct Token {
    /// The raw text, escapes kept (quotes removed for quoted strings).
    text: String,
    quoted: bool,
}

/// One logical entry: a directive or a record, maybe over several lines.
#[derive(Debug)]
struct Entry {
    line: usize,
    blank_owner: bool,
    tokens: Vec<Token>,
}

/// Splits zone-file text into entries, or fails with (line, message).
fn entries(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    let mut cur: Option<Entry> = None;
    let mut depth = 0usize;
    let mut at_line_start = true;
    let mut token: Option<Token> = None;

    fn flush(token: &mut Option<Token>, cur: &mut Option<Entry>) {
        if let Some(t) = token.take()
            && let Some(entry) = cur.as_mut()
        {
            entry.tokens.push(t);
        }
    }

    while let Some(c) = chars.next() {
        if cur.is_none() {
            cur = Some(Entry {
                line,
                blank_owner: at_line_start && (c == ' ' || c == '\t'),
                tokens: Vec::new(),
            });
        }
        at_line_start = false;
        match c {
            '\n' => {
                flush(&mut token, &mut cur);
                if depth == 0
                    && let Some(entry) = cur.take()
                    && !entry.tokens.is_empty()
                {
                    out.push(entry);
                }
                line += 1;
                at_line_start = true;
            }
            ';' => {
                flush(&mut token, &mut cur);
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            ' ' | '\t' | '\r' => flush(&mut token, &mut cur),
            '(' => {
                flush(&mut token, &mut cur);
                depth += 1;
            }
            ')' => {
                flush(&mut token, &mut cur);
                if depth == 0 {
                    return Err((line, "`)` without a matching `(`".to_owned()));
                }
                depth -= 1;
            }
            '"' => {
                flush(&mut token, &mut cur);
                let start = line;
                let mut text = String::new();
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            text.push('\\');
                            if let Some(n) = chars.next() {
                                if n == '\n' {
                                    line += 1;
                                }
                                text.push(n);
                            }
                        }
                        '\n' => return Err((start, "unterminated quoted string".to_owned())),
                        other => text.push(other),
                    }
                }
                if !closed {
                    return Err((start, "unterminated quoted string".to_owned()));
                }
                if let Some(entry) = cur.as_mut() {
                    entry.tokens.push(Token { text, quoted: true });
                }
            }
            '\\' => {
                let t = token.get_or_insert_with(|| Token {
                    text: String::new(),
                    quoted: false,
                });
                t.text.push('\\');
                if let Some(n) = chars.next() {
                    if n == '\n' {
                        return Err((line, "a line may not end in `\\`".to_owned()));
                    }
                    t.text.push(n);
                }
            }
            other => {
                token
                    .get_or_insert_with(|| Token {
                        text: String::new(),
                        quoted: false,
                    })
                    .text
                    .push(other);
            }
        }
    }
    flush(&mut token, &mut cur);
    if depth > 0 {
        let start = cur.as_ref().map_or(line, |e| e.line);
        return Err((start, "`(` is never closed".to_owned()));
    }
    if let Some(entry) = cur
        && !entry.tokens.is_empty()
    {
        out.push(entry);
    }
    Ok(out)
}

/// Renders a name in presentation form with a final dot, keeping `/` (and
/// any other printable byte but `.` and `\\`) as is; other bytes are
/// written `\\DDD`.
pub(crate) fn display_name(name: &Name) -> String {
    let mut out = String::new();
    for label in name.iter() {
        for &b in label {
            match b {
                b'.' | b'\\' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                0x21..=0x7e => out.push(char::from(b)),
                _ => {
                    let _ = write!(out, "\\{b:03}");
                }
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Decodes the escape after a `\\` (`\\DDD` or `\\X`): the byte and how
/// many bytes of `rest` it used.
fn unescape(rest: &[u8], text: &str) -> Result<(u8, usize), String> {
    if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
        let value = rest[..3]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        let byte = u8::try_from(value).map_err(|_| format!("bad escape in `{text}`"))?;
        Ok((byte, 3))
    } else if let Some(&b) = rest.first() {
        Ok((b, 1))
    } else {
        Err(format!("`{text}` ends in `\\`"))
    }
}

/// Decodes one label's presentation text (`\.`, `\DDD` escapes) into bytes.
fn split_labels(text: &str) -> Result<(Vec<Vec<u8>>, bool), String> {
    let bytes = text.as_bytes();
    let mut labels = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    let mut absolute = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let (byte, used) = unescape(&bytes[i + 1..], text)?;
                label.push(byte);
                i += 1 + used;
            }
            b'.' => {
                if label.is_empty() {
                    if i == 0 && bytes.len() == 1 {
                        absolute = true;
                        i += 1;
                        continue;
                    }
                    return Err(format!("empty label in `{text}`"));
                }
                labels.push(std::mem::take(&mut label));
                if i + 1 == bytes.len() {
                    absolute = true;
                }
                i += 1;
            }
            b => {
                label.push(b);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    }
    Ok((labels, absolute))
}

/// Parses a domain name in presentation form; `@` is `origin`, names without
/// a final dot are relative to `origin`. Any byte but `.` is accepted in a
/// label, `/` included.
pub(crate) fn parse_name(text: &str, origin: &Name) -> Result<Name, String> {
    if text == "@" {
        return Ok(origin.clone());
    }
    if text.is_empty() {
        return Err("empty name".to_owned());
    }
    let (labels, absolute) = split_labels(text)?;
    for label in &labels {
        if label.len() > 63 {
            return Err(format!(
                "label of {} octets in `{text}` (at most 63)",
                label.len()
            ));
        }
    }
    let name = Name::from_labels(labels.iter().map(Vec::as_slice))
        .map_err(|e| format!("bad name `{text}`: {e}"))?;
    let name = if absolute {
        name
    } else {
        let mut name = name;
        name.set_fqdn(false);
        name.append_domain(origin)
            .map_err(|e| format!("bad name `{text}`: {e}"))?
    };
    if name.len() > 255 {
        return Err(format!("name `{text}` is longer than 255 octets"));
    }
    Ok(name)
}

fn parse_ttl(text: &str) -> Result<u32, String> {
    hickory_proto::serialize::txt::parse_ttl(text).map_err(|_| format!("bad TTL `{text}`"))
}

fn looks_like_ttl(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// Decodes a character-string token (escapes `\X` and `\DDD`).
fn char_string(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let (byte, used) = unescape(&bytes[i + 1..], text)?;
            out.push(byte);
            i += 1 + used;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.len() > 255 {
        return Err(format!("string of {} octets (at most 255)", out.len()));
    }
    Ok(out)
}

/// State while reading one zone (its file and the files it includes).
struct Reader {
    /// The canonical zones directory; `None` refuses every `$INCLUDE`.
    root: Option<PathBuf>,
    includes: usize,
}

/// The mutable context of a zone being read.
struct Ctx {
    zone_origin: Name,
    origin_fixed: bool,
    records: Vec<Record>,
    /// The SOA's serial, once seen.
    serial: Option<u32>,
    /// Per owner name: (has a CNAME, has other records).
    kinds: HashMap<LowerName, (bool, bool)>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
}

impl Reader {
    fn read_zone(
        &mut self,
        text: &str,
        shown: &Path,
        real: &Path,
        default_origin: &str,
    ) -> Result<Zone, ZoneError> {
        let default_origin =
            parse_name(default_origin, &Name::root()).map_err(|message| ZoneError::Syntax {
                path: shown.to_path_buf(),
                line: 0,
                message: format!("`{default_origin}` is not a zone origin: {message}"),
            })?;
        let mut ctx = Ctx {
            zone_origin: default_origin.clone(),
            origin_fixed: false,
            records: Vec::new(),
            serial: None,
            kinds: HashMap::new(),
            default_ttl: None,
            last_ttl: None,
        };
        let mut origin = default_origin;
        let mut owner = None;
        self.read_file(text, shown, real, &mut origin, &mut owner, &mut ctx, 0)?;
        let Some(serial) = ctx.serial else {
            return Err(ZoneError::MissingSoa {
                path: shown.to_path_buf(),
                origin: display_name(&ctx.zone_origin),
            });
        };
        Ok(Zone {
            origin: ctx.zone_origin,
            records: ctx.records,
            serial,
            source: shown.to_path_buf(),
        })
    }

    #[allow(clippy::too_many_arguments)] // one recursive walk; the state is the arguments
    fn read_file(
        &mut self,
        text: &str,
        shown: &Path,
        real: &Path,
        origin: &mut Name,
        owner: &mut Option<Name>,
        ctx: &mut Ctx,
        depth: usize,
    ) -> Result<(), ZoneError> {
        let syntax = |line: usize, message: String| ZoneError::Syntax {
            path: shown.to_path_buf(),
            line,
            message,
        };
        let entries = entries(text).map_err(|(line, message)| syntax(line, message))?;
        for entry in entries {
            let line = entry.line;
            let first = &entry.tokens[0];
            if !entry.blank_owner && !first.quoted && first.text.starts_with('$') {
                let directive = first.text.to_ascii_uppercase();
                let args = &entry.tokens[1..];
                match directive.as_str() {
                    "$ORIGIN" => {
                        let [arg] = args else {
                            return Err(syntax(line, "`$ORIGIN` takes one name".to_owned()));
                        };
                        let name = parse_name(&arg.text, origin).map_err(|m| syntax(line, m))?;
                        if !ctx.origin_fixed && depth == 0 {
                            ctx.zone_origin = name.clone();
                        }
                        *origin = name;
                    }
                    "$TTL" => {
                        let [arg] = args else {
                            return Err(syntax(line, "`$TTL` takes one value".to_owned()));
                        };
                        ctx.default_ttl = Some(parse_ttl(&arg.text).map_err(|m| syntax(line, m))?);
                    }
                    "$INCLUDE" => {
                        let (file, new_origin) = match args {
                            [file] => (file, None),
                            [file, o] => (file, Some(o)),
                            _ => {
                                return Err(syntax(
                                    line,
                                    "`$INCLUDE` takes a file name and an optional origin"
                                        .to_owned(),
                                ));
                            }
                        };
                        let (inc_real, inc_shown) =
                            self.resolve_include(&file.text, shown, real, line, depth)?;
                        let inc_text = read_text(&inc_real, &inc_shown)?;
                        let mut inc_origin = match new_origin {
                            Some(o) => parse_name(&o.text, origin).map_err(|m| syntax(line, m))?,
                            None => origin.clone(),
                        };
                        let mut inc_owner = owner.clone();
                        self.read_file(
                            &inc_text,
                            &inc_shown,
                            &inc_real,
                            &mut inc_origin,
                            &mut inc_owner,
                            ctx,
                            depth + 1,
                        )?;
                    }
                    "$GENERATE" => {
                        return Err(syntax(line, "`$GENERATE` is not supported".to_owned()));
                    }
                    other => {
                        return Err(syntax(line, format!("unknown directive `{other}`")));
                    }
                }
                continue;
            }
            let record = self
                .record(&entry, origin, owner, ctx)
                .map_err(|m| syntax(line, m))?;
            if !ctx.zone_origin.zone_of(&record.name) {
                return Err(syntax(
                    line,
                    format!(
                        "`{}` is outside the zone `{}`",
                        display_name(&record.name),
                        display_name(&ctx.zone_origin)
                    ),
                ));
            }
            ctx.origin_fixed = true;
            if let RData::SOA(soa) = &record.data {
                if record.name != ctx.zone_origin {
                    return Err(syntax(
                        line,
                        format!(
                            "the SOA record must be at the zone apex `{}`",
                            display_name(&ctx.zone_origin)
                        ),
                    ));
                }
                if ctx.serial.is_some() {
                    return Err(syntax(line, "a second SOA record".to_owned()));
                }
                ctx.serial = Some(soa.serial);
            }
            let is_cname = record.record_type() == RecordType::CNAME;
            let kinds = ctx.kinds.entry(LowerName::new(&record.name)).or_default();
            if kinds.0 || (is_cname && kinds.1) {
                return Err(syntax(
                    line,
                    format!(
                        "`{}` has a CNAME and other records: a CNAME must stand alone",
                        display_name(&record.name)
                    ),
                ));
            }
            if is_cname {
                kinds.0 = true;
            } else {
                kinds.1 = true;
            }
            ctx.records.push(record);
        }
        Ok(())
    }

    /// Resolves an `$INCLUDE` path, refusing anything outside the zones
    /// directory. Nothing outside it is read or named beyond the path the
    /// zone file itself wrote.
    fn resolve_include(
        &mut self,
        target: &str,
        shown: &Path,
        real: &Path,
        line: usize,
        depth: usize,
    ) -> Result<(PathBuf, PathBuf), ZoneError> {
        let refuse = |reason: &'static str| ZoneError::IncludeRefused {
            path: shown.to_path_buf(),
            line,
            include: target.to_owned(),
            reason,
        };
        let Some(root) = self.root.clone() else {
            return Err(refuse("zones built from text cannot include files"));
        };
        if depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(refuse("includes are nested too deeply"));
        }
        self.includes += 1;
        if self.includes > MAX_INCLUDES {
            return Err(refuse("too many includes"));
        }
        let path = Path::new(target);
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(refuse("`..` may not appear in an include path"));
        }
        let joined = if path.is_absolute() {
            if !path.starts_with(&root) {
                return Err(refuse("it is outside the zones directory"));
            }
            path.to_path_buf()
        } else {
            real.parent().unwrap_or(&root).join(path)
        };
        let canonical = joined
            .canonicalize()
            .map_err(|source| ZoneError::IncludeRead {
                path: shown.to_path_buf(),
                line,
                include: target.to_owned(),
                kind: source.kind(),
            })?;
        if !canonical.starts_with(&root) {
            return Err(refuse("it leads outside the zones directory"));
        }
        if !canonical.is_file() {
            return Err(refuse("it is not a regular file"));
        }
        let shown_inc = match canonical.strip_prefix(&root) {
            Ok(rel) => shown
                .parent()
                .map_or_else(|| rel.to_path_buf(), |p| p.join(rel)),
            Err(_) => PathBuf::from(target),
        };
        Ok((canonical, shown_inc))
    }

    fn record(
        &self,
        entry: &Entry,
        origin: &Name,
        owner: &mut Option<Name>,
        ctx: &mut Ctx,
    ) -> Result<Record, String> {
        let mut tokens = entry.tokens.iter().peekable();
        let name = if entry.blank_owner {
            owner
                .clone()
                .ok_or_else(|| "a record without an owner name and no earlier owner".to_owned())?
        } else {
            let tok = tokens.next().ok_or("empty record")?;
            parse_name(&tok.text, origin)?
        };
        *owner = Some(name.clone());
        let mut ttl = None;
        let mut class_seen = false;
        let rtype_text = loop {
            let tok = tokens
                .next()
                .ok_or_else(|| format!("record for `{}` has no type", display_name(&name)))?;
            if tok.quoted {
                return Err(format!("record for `{}` has no type", display_name(&name)));
            }
            if ttl.is_none() && looks_like_ttl(&tok.text) {
                ttl = Some(parse_ttl(&tok.text)?);
                continue;
            }
            let upper = tok.text.to_ascii_uppercase();
            if !class_seen && matches!(upper.as_str(), "IN" | "CH" | "HS" | "CS") {
                if upper != "IN" {
                    return Err(format!("class `{}` is not supported (only IN)", tok.text));
                }
                class_seen = true;
                continue;
            }
            break upper;
        };
        let rdata: Vec<&Token> = tokens.collect();
        let rtype = RecordType::from_str(&rtype_text)
            .map_err(|_| format!("unknown record type `{rtype_text}`"))?;
        let ttl = match ttl {
            Some(t) => t,
            None => ctx.default_ttl.or(ctx.last_ttl).unwrap_or(DEFAULT_TTL),
        };
        ctx.last_ttl = Some(ttl);
        let data = rdata_of(rtype, &rtype_text, &rdata, origin, &name)?;
        let mut record = Record::from_rdata(name, ttl, data);
        record.dns_class = DNSClass::IN;
        Ok(record)
    }
}

fn want<'a>(rdata: &[&'a Token], n: usize, rtype: &str) -> Result<Vec<&'a str>, String> {
    if rdata.len() != n {
        return Err(format!(
            "{rtype} takes {n} field{}, found {}",
            if n == 1 { "" } else { "s" },
            rdata.len()
        ));
    }
    Ok(rdata.iter().map(|t| t.text.as_str()).collect())
}

fn rdata_of(
    rtype: RecordType,
    rtype_text: &str,
    rdata: &[&Token],
    origin: &Name,
    owner: &Name,
) -> Result<RData, String> {
    Ok(match rtype {
        RecordType::A => {
            let f = want(rdata, 1, "A")?;
            RData::A(A(
                Ipv4Addr::from_str(f[0]).map_err(|_| format!("bad IPv4 address `{}`", f[0]))?
            ))
        }
        RecordType::AAAA => {
            let f = want(rdata, 1, "AAAA")?;
            RData::AAAA(AAAA(
                Ipv6Addr::from_str(f[0]).map_err(|_| format!("bad IPv6 address `{}`", f[0]))?,
            ))
        }
        RecordType::PTR => RData::PTR(PTR(parse_name(want(rdata, 1, "PTR")?[0], origin)?)),
        RecordType::CNAME => RData::CNAME(CNAME(parse_name(want(rdata, 1, "CNAME")?[0], origin)?)),
        RecordType::NS => RData::NS(NS(parse_name(want(rdata, 1, "NS")?[0], origin)?)),
        RecordType::MX => {
            let f = want(rdata, 2, "MX")?;
            let pref = f[0]
                .parse::<u16>()
                .map_err(|_| format!("bad MX preference `{}`", f[0]))?;
            RData::MX(MX::new(pref, parse_name(f[1], origin)?))
        }
        RecordType::SOA => {
            let f = want(rdata, 7, "SOA")?;
            let mname = parse_name(f[0], origin)?;
            let rname = parse_name(f[1], origin)?;
            let serial = f[2]
                .parse::<u32>()
                .map_err(|_| format!("bad SOA serial `{}`", f[2]))?;
            let t = |s: &str| -> Result<i32, String> {
                i32::try_from(parse_ttl(s)?).map_err(|_| format!("SOA timer `{s}` is too large"))
            };
            RData::SOA(SOA::new(
                mname,
                rname,
                serial,
                t(f[3])?,
                t(f[4])?,
                t(f[5])?,
                parse_ttl(f[6])?,
            ))
        }
        RecordType::TXT => {
            if rdata.is_empty() {
                return Err("TXT needs at least one string".to_owned());
            }
            let strings = rdata
                .iter()
                .map(|t| char_string(&t.text))
                .collect::<Result<Vec<_>, _>>()?;
            RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }
        _ => fallback(rtype_text, rdata, origin, owner)?,
    })
}

/// Parses the RDATA of a type this reader does not build itself with
/// hickory's zone parser, one record at a time.
fn fallback(rtype: &str, rdata: &[&Token], origin: &Name, owner: &Name) -> Result<RData, String> {
    let mut text = format!(
        "$ORIGIN {}\n@ 3600 IN SOA . . 1 1 1 1 1\n@ 3600 IN {rtype}",
        origin.to_ascii()
    );
    for tok in rdata {
        if tok.quoted {
            let _ = write!(text, " \"{}\"", tok.text);
        } else {
            let _ = write!(text, " {}", tok.text);
        }
    }
    text.push('\n');
    let parsed = hickory_proto::serialize::txt::Parser::new(text, None, None)
        .parse()
        .map_err(|e| format!("bad {rtype} record for `{}`: {e}", display_name(owner)))?;
    parsed
        .1
        .into_values()
        .flat_map(|set| set.records_without_rrsigs().cloned().collect::<Vec<_>>())
        .find(|r| r.record_type().to_string() == rtype)
        .map(|r| r.data)
        .ok_or_else(|| format!("bad {rtype} record for `{}`", display_name(owner)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_labels_parse_and_keep_the_slash() {
        let origin = Name::from_str("2.0.192.in-addr.arpa.").unwrap();
        let name = parse_name("10.0/26", &origin).unwrap();
        let labels: Vec<&[u8]> = name.iter().collect();
        assert_eq!(labels[1], b"0/26");
        assert_eq!(name.num_labels(), 7);
    }

    #[test]
    fn escapes_decode_to_bytes() {
        let name = parse_name("a\\.b.c\\032d.", &Name::root()).unwrap();
        let labels: Vec<&[u8]> = name.iter().collect();
        assert_eq!(labels, [b"a.b".as_slice(), b"c d".as_slice()]);
    }

    #[test]
    fn escapes_above_255_are_errors() {
        assert!(parse_name("a\\256.example.", &Name::root()).is_err());
        assert_eq!(char_string("x\\255\\\"").unwrap(), b"x\xff\"");
    }

    #[test]
    fn empty_label_is_an_error() {
        assert!(parse_name("a..b.", &Name::root()).is_err());
    }

    #[test]
    fn entries_join_parentheses_and_skip_comments() {
        let e = entries("@ IN SOA a. b. ( 1 ; serial\n 2 3 4 5 )\n\n  IN NS x.\n").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].tokens.len(), 10);
        assert_eq!(e[0].line, 1);
        assert!(e[1].blank_owner);
        assert_eq!(e[1].line, 4);
    }
}
