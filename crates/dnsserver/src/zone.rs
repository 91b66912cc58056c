//! Zone files: a small RFC 1035 master-file reader that accepts RFC 2317 `/`
//! labels and BIND's `$GENERATE`, confines `$INCLUDE` to the zones directory
//! and reports errors and warnings with file and line.
//!
//! The reader does its own tokenising (comments, quotes, parentheses, blank
//! owners, `$ORIGIN`, `$TTL`, `$INCLUDE`, `$GENERATE`), turns record data
//! into hickory records in [`rdata`], then settles the zone as BIND does:
//! the apex is the SOA's owner, records outside it are dropped with a
//! warning, identical records are one (RFC 2181 §5) and an RRset's TTLs are
//! made equal to its first (RFC 2181 §5.2, with a warning).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::{ZoneError, ZoneWarning};

mod generate;
pub(crate) mod rdata;

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
    /// The records in file order (their class is IN), each RRset's TTLs
    /// equal, no two identical.
    pub(crate) records: Vec<Record>,
    /// Where each record was written, in the order of `records`.
    pub(crate) positions: Vec<Position>,
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
    warnings: Vec<ZoneWarning>,
}

/// Where a record was written: file (as shown to users) and 1-based line.
#[derive(Debug, Clone)]
pub(crate) struct Position {
    pub(crate) path: Arc<Path>,
    pub(crate) line: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

impl ZoneSet {
    /// An empty set (every query to a server of it is REFUSED).
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.zone` file directly inside `dir` as one zone.
    ///
    /// The zone is the owner of its SOA record. Relative names start from
    /// the file name minus `.zone` until a `$ORIGIN` changes that.
    /// `$INCLUDE` may only name files inside `dir` (after resolving
    /// symlinks); relative paths are taken from the including file's
    /// directory. What was skipped is in [`ZoneSet::warnings`].
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
            let mut reader = Reader::new(Some(root.clone()));
            let zone = reader.read_zone(&text, &shown, &real, default_origin)?;
            set.add_settled(zone, reader)?;
        }
        Ok(set)
    }

    /// A set holding one zone parsed from `text`, with `origin` as the
    /// origin relative names start from (the zone itself is where its SOA
    /// is). `$INCLUDE` is refused.
    pub fn from_text(origin: &str, text: &str) -> Result<ZoneSet, ZoneError> {
        let mut set = ZoneSet::new();
        set.add_text(origin, text)?;
        Ok(set)
    }

    /// Adds one zone parsed from `text` (see [`ZoneSet::from_text`]).
    pub fn add_text(&mut self, origin: &str, text: &str) -> Result<(), ZoneError> {
        let label = PathBuf::from(format!("<zone {origin}>"));
        let mut reader = Reader::new(None);
        let zone = reader.read_zone(text, &label, &label, origin)?;
        self.add_settled(zone, reader)
    }

    /// Adds a zone `reader` made, with its warnings.
    pub(crate) fn add_settled(&mut self, zone: Zone, mut reader: Reader) -> Result<(), ZoneError> {
        self.warnings.append(&mut reader.warnings);
        self.insert(zone)
    }

    /// Adds every zone of `other` (and its warnings).
    pub fn merge(&mut self, mut other: ZoneSet) -> Result<(), ZoneError> {
        self.warnings.append(&mut other.warnings);
        for zone in other.zones {
            self.insert(zone)?;
        }
        Ok(())
    }

    /// What the reader skipped or changed while loading, in file order:
    /// out-of-zone records, record types it could not read, RRsets whose
    /// TTLs it made equal. Each names the file and line.
    pub fn warnings(&self) -> &[ZoneWarning] {
        &self.warnings
    }

    /// Every record of every zone in presentation form, one per line
    /// (`owner TTL IN TYPE DATA`), sorted; data the reader carries opaque is
    /// written in RFC 3597 generic form. Two readings of the same zone data
    /// give the same lines, whatever the order and spelling of the files.
    pub fn canonical_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .zones
            .iter()
            .flat_map(|z| z.records.iter())
            .map(rdata::canonical_line)
            .collect();
        lines.sort();
        lines
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

    /// Each zone's origin with the file it was read from (`<zone ORIGIN>`
    /// for zones built from text), in the order of [`ZoneSet::origins`].
    pub fn sources(&self) -> Vec<(String, &Path)> {
        self.zones
            .iter()
            .map(|z| (display_name(&z.origin), z.source.as_path()))
            .collect()
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
pub(crate) struct Reader {
    /// The canonical zones directory; `None` refuses every `$INCLUDE`.
    root: Option<PathBuf>,
    includes: usize,
    warnings: Vec<ZoneWarning>,
}

/// The mutable context of a zone being read.
struct Ctx {
    /// The records read so far, where each was written.
    records: Vec<(Record, Position)>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
}

/// What one record entry gave.
enum Read {
    Record(Box<Record>),
    /// A record the reader cannot carry, skipped (the warning's text).
    Skipped(String),
}

impl Reader {
    /// A reader whose `$INCLUDE`s may reach inside `root` (none without).
    pub(crate) fn new(root: Option<PathBuf>) -> Reader {
        Reader {
            root,
            includes: 0,
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, path: &Path, line: usize, message: String) {
        self.warnings.push(ZoneWarning {
            path: path.to_path_buf(),
            line,
            message,
        });
    }

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
            records: Vec::new(),
            default_ttl: None,
            last_ttl: None,
        };
        let mut origin = default_origin;
        let mut owner = None;
        let path: Arc<Path> = Arc::from(shown);
        self.read_file(text, &path, real, &mut origin, &mut owner, &mut ctx, 0)?;
        self.settle(ctx.records, shown, &origin)
    }

    /// Makes a zone of the records read: the apex is the SOA's owner,
    /// records outside it are dropped (with a warning), identical records
    /// are one, an RRset's TTLs are its first one's, and a CNAME stands
    /// alone at its name.
    pub(crate) fn settle(
        &mut self,
        read: Vec<(Record, Position)>,
        shown: &Path,
        last_origin: &Name,
    ) -> Result<Zone, ZoneError> {
        let syntax = |pos: &Position, message: String| ZoneError::Syntax {
            path: pos.path.to_path_buf(),
            line: pos.line,
            message,
        };
        let mut soas = read
            .iter()
            .filter(|(r, _)| r.record_type() == RecordType::SOA);
        let Some((soa, soa_pos)) = soas.next() else {
            return Err(ZoneError::MissingSoa {
                path: shown.to_path_buf(),
                origin: display_name(last_origin),
            });
        };
        if let Some((second, pos)) = soas.next() {
            return Err(syntax(
                pos,
                format!(
                    "a second SOA record (at `{}`; the first, at `{}`, is at line {})",
                    display_name(&second.name),
                    display_name(&soa.name),
                    soa_pos.line
                ),
            ));
        }
        let apex = soa.name.clone();
        // A reader of zone files and transfers refuses, never panics: an
        // SOA record whose data did not decode as SOA is a bad zone.
        let RData::SOA(soa_data) = &soa.data else {
            return Err(syntax(
                soa_pos,
                "the SOA record holds no SOA data".to_owned(),
            ));
        };
        let serial = soa_data.serial;
        // (owner, type) -> (TTL, the data seen)
        let mut rrsets: HashMap<(Name, RecordType), (u32, HashSet<RData>)> = HashMap::new();
        // owner -> (line of its CNAME, line of other data)
        let mut kinds: HashMap<Name, (Option<usize>, Option<usize>)> = HashMap::new();
        let mut records = Vec::with_capacity(read.len());
        let mut positions = Vec::with_capacity(read.len());
        for (mut record, pos) in read {
            if !apex.zone_of(&record.name) {
                self.warn(
                    &pos.path,
                    pos.line,
                    format!(
                        "`{}` is outside the zone `{}`: ignored",
                        display_name(&record.name),
                        display_name(&apex)
                    ),
                );
                continue;
            }
            let rtype = record.record_type();
            let (ttl, seen) = rrsets
                .entry((record.name.clone(), rtype))
                .or_insert_with(|| (record.ttl, HashSet::new()));
            if seen.contains(&record.data) {
                // RFC 2181 §5: identical records are one record
                continue;
            }
            // an RRSIG has the TTL of the RRset it covers (RFC 4034 §3)
            if record.ttl != *ttl && !matches!(rtype, RecordType::RRSIG | RecordType::SIG) {
                let first = *ttl;
                self.warn(
                    &pos.path,
                    pos.line,
                    format!(
                        "TTL {} differs from the TTL {first} of the `{}` {} records before it: using {first} (RFC 2181 §5.2)",
                        record.ttl,
                        display_name(&record.name),
                        rdata::type_name(rtype)
                    ),
                );
                record.ttl = first;
            }
            if !rdata::beside_cname(rtype) {
                let kind = kinds.entry(record.name.clone()).or_default();
                let clash = if rtype == RecordType::CNAME {
                    let clash = kind.0.or(kind.1);
                    kind.0.get_or_insert(pos.line);
                    clash
                } else {
                    kind.1.get_or_insert(pos.line);
                    kind.0
                };
                if let Some(line) = clash {
                    return Err(syntax(
                        &pos,
                        format!(
                            "`{}` has a CNAME and other records (line {line}): a CNAME must stand alone",
                            display_name(&record.name)
                        ),
                    ));
                }
            }
            seen.insert(record.data.clone());
            records.push(record);
            positions.push(pos);
        }
        Ok(Zone {
            origin: apex,
            records,
            positions,
            serial,
            source: shown.to_path_buf(),
        })
    }

    #[allow(clippy::too_many_arguments)] // one recursive walk; the state is the arguments
    fn read_file(
        &mut self,
        text: &str,
        shown: &Arc<Path>,
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
                        *origin = parse_name(&arg.text, origin).map_err(|m| syntax(line, m))?;
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
                            &Arc::from(inc_shown),
                            &inc_real,
                            &mut inc_origin,
                            &mut inc_owner,
                            ctx,
                            depth + 1,
                        )?;
                    }
                    "$GENERATE" => {
                        let generated =
                            generate_entries(args, line).map_err(|m| syntax(line, m))?;
                        for entry in generated {
                            let entry = entry.map_err(|m| syntax(line, m))?;
                            // a generated record does not become the owner
                            // of the blank-owner lines after it
                            let mut scratch = None;
                            self.add(&entry, shown, origin, &mut scratch, ctx)?;
                        }
                    }
                    other => {
                        return Err(syntax(line, format!("unknown directive `{other}`")));
                    }
                }
                continue;
            }
            self.add(&entry, shown, origin, owner, ctx)?;
        }
        Ok(())
    }

    /// Reads one record entry into `ctx`, or records why it was skipped.
    fn add(
        &mut self,
        entry: &Entry,
        shown: &Arc<Path>,
        origin: &Name,
        owner: &mut Option<Name>,
        ctx: &mut Ctx,
    ) -> Result<(), ZoneError> {
        let line = entry.line;
        match self.record(entry, origin, owner, ctx) {
            Ok(Read::Record(record)) => {
                let pos = Position {
                    path: Arc::clone(shown),
                    line,
                };
                ctx.records.push((*record, pos));
            }
            Ok(Read::Skipped(message)) => self.warn(shown, line, message),
            Err(message) => {
                return Err(ZoneError::Syntax {
                    path: shown.to_path_buf(),
                    line,
                    message,
                });
            }
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
    ) -> Result<Read, String> {
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
            break tok.text.as_str();
        };
        let rdata: Vec<&Token> = tokens.collect();
        let Some(rtype) = rdata::parse_type(rtype_text) else {
            return Ok(Read::Skipped(format!(
                "unknown record type `{rtype_text}` for `{}`: skipped",
                display_name(&name)
            )));
        };
        let data = match rdata::rdata_of(rtype, &rdata, origin, &name) {
            Ok(data) => data,
            Err(message) if !rdata::audited(rtype) => {
                return Ok(Read::Skipped(format!(
                    "{message} (`{}` {}): skipped",
                    display_name(&name),
                    rdata::type_name(rtype)
                )));
            }
            Err(message) => return Err(message),
        };
        let ttl = match (ttl, ctx.default_ttl, ctx.last_ttl, &data) {
            (Some(t), ..) | (None, Some(t), ..) | (None, None, Some(t), _) => t,
            // BIND's rule: an SOA with no TTL before it takes its minimum
            (None, None, None, RData::SOA(soa)) => soa.minimum,
            (None, None, None, _) => DEFAULT_TTL,
        };
        ctx.last_ttl = Some(ttl);
        let mut record = Record::from_rdata(name, ttl, data);
        record.dns_class = DNSClass::IN;
        Ok(Read::Record(Box::new(record)))
    }
}

/// Expands a `$GENERATE RANGE OWNER [TTL] [CLASS] TYPE RDATA` directive
/// (its arguments) into record entries, one per iterator value, lazily.
fn generate_entries(
    args: &[Token],
    line: usize,
) -> Result<impl Iterator<Item = Result<Entry, String>>, String> {
    let usage =
        "`$GENERATE` takes RANGE OWNER [TTL] [CLASS] TYPE RDATA (quote RDATA that holds spaces)";
    let [range, lhs, middle @ .., rhs] = args else {
        return Err(usage.to_owned());
    };
    // TTL and class (in either order, each optional), then the type
    let Some((rtype, ttl_class)) = middle.split_last() else {
        return Err(usage.to_owned());
    };
    let ttl_or_class = |t: &Token| {
        looks_like_ttl(&t.text)
            || matches!(
                t.text.to_ascii_uppercase().as_str(),
                "IN" | "CH" | "HS" | "CS"
            )
    };
    if ttl_class.len() > 2
        || middle.iter().any(|t| t.quoted)
        || ttl_or_class(rtype)
        || !ttl_class.iter().all(ttl_or_class)
    {
        return Err(usage.to_owned());
    }
    let range = generate::Range::parse(&range.text)?;
    let owner = generate::Template::parse(&lhs.text)?;
    let data = generate::Template::parse(&rhs.text)?;
    let middle: Vec<String> = middle.iter().map(|t| t.text.clone()).collect();
    Ok(range.values().map(move |value| {
        let mut tokens = vec![Token {
            text: owner.render(value)?,
            quoted: false,
        }];
        tokens.extend(middle.iter().map(|text| Token {
            text: text.clone(),
            quoted: false,
        }));
        let text = data.render(value)?;
        let rdata = entries(&text).map_err(|(_, m)| format!("in the generated `{text}`: {m}"))?;
        tokens.extend(rdata.into_iter().flat_map(|e| e.tokens));
        Ok(Entry {
            line,
            blank_owner: false,
            tokens,
        })
    }))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

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
