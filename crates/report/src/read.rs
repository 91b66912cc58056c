//! Reading `json` and `jsonl` reports back into model records (for
//! `--baseline`, `merge` and `fix`).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ptr_audit_model::{
    AddressRecord, BlockFinding, BlockInfo, BlockKey, FindingCode, Severity, Shard, SourceLocation,
};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::format::json::{FORMAT_NAME, FORMAT_VERSION, OLDEST_READ};
use crate::record::read::{BlockFindingIn, BlockIn, RecordIn, bad};
use crate::time::Date;
use crate::{
    BaselineCounts, ExpiredSuppression, GateOutcome, ReportError, ReportMeta, SuppressScope,
};

/// Which kind of report a file was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// A `json` document, with metadata.
    Json,
    /// `jsonl` records (or a checkpoint), without metadata.
    Jsonl,
}

/// A report read back.
#[derive(Clone, Debug)]
pub struct ReportDoc {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its kind.
    pub kind: DocKind,
    /// The run's metadata (`json` only).
    pub meta: Option<ReportMeta>,
    /// When the run ended (`json` only).
    pub finished_at: Option<String>,
    /// Whether the run completed (`json` only; a `jsonl` file does not say).
    pub complete: Option<bool>,
    /// The gate's outcome as the run recorded it (`json` only; `addresses`
    /// is the summary's count, and an expired suppression's `scope` is kept
    /// only when it reads back as an address or a network).
    pub gate: Option<GateOutcome>,
    /// The records, in file order.
    pub records: Vec<AddressRecord>,
    /// Block findings (`json` only).
    pub block_findings: Vec<BlockFinding>,
    /// The blocks the document lists, in its order (`json` only: every
    /// block of the scanned inventory, with or without records).
    pub blocks: Vec<Arc<BlockInfo>>,
    /// A `jsonl` file whose last line was cut short (a crash mid-write); the
    /// line was ignored.
    pub torn_tail: bool,
}

#[derive(Deserialize)]
struct InventoryIn {
    files: Vec<PathBuf>,
    scope: u64,
    changed_since: Option<String>,
    shard: Option<String>,
    /// Absent in reports of earlier versions.
    #[serde(default)]
    provider_domains: Vec<String>,
}

#[derive(Deserialize)]
struct GateIn {
    failed: bool,
    fail_on: String,
    max_unknown_percent: f64,
    failing: u64,
    unknown: u64,
    suppressed: u64,
    baseline: Option<BaselineIn>,
    #[serde(default)]
    expired_suppressions: Vec<ExpiredIn>,
    reasons: Vec<String>,
}

#[derive(Deserialize)]
struct BaselineIn {
    path: PathBuf,
    new: u64,
    fixed: u64,
    unchanged: u64,
}

#[derive(Deserialize)]
struct ExpiredIn {
    scope: String,
    code: String,
    expires: String,
    reason: String,
    file: PathBuf,
    line: u32,
    matched: u64,
}

impl GateIn {
    /// The recorded gate; `addresses` comes from the summary.
    fn into_outcome(self, addresses: u64) -> Result<GateOutcome, String> {
        let expired = self
            .expired_suppressions
            .into_iter()
            .map(|e| {
                let scope = match e.scope.parse::<IpAddr>() {
                    Ok(ip) => SuppressScope::Ip(ip),
                    Err(_) => SuppressScope::Block(
                        e.scope
                            .parse()
                            .map_err(|_| bad("suppression scope", &e.scope))?,
                    ),
                };
                Ok(ExpiredSuppression {
                    scope,
                    code: FindingCode::parse(&e.code)
                        .ok_or_else(|| bad("finding code", &e.code))?,
                    expires: Date::parse(&e.expires).ok_or_else(|| bad("date", &e.expires))?,
                    reason: e.reason,
                    source: SourceLocation {
                        file: e.file,
                        line: e.line,
                    },
                    matched: e.matched,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(GateOutcome {
            failed: self.failed,
            reasons: self.reasons,
            fail_on: Severity::parse(&self.fail_on)
                .ok_or_else(|| bad("severity", &self.fail_on))?,
            max_unknown_percent: self.max_unknown_percent,
            addresses,
            failing: self.failing,
            unknown: self.unknown,
            suppressed: self.suppressed,
            baseline: self.baseline.map(|b| BaselineCounts {
                new: b.new,
                fixed: b.fixed,
                unchanged: b.unchanged,
                path: b.path,
            }),
            expired,
        })
    }
}

#[derive(Deserialize)]
struct SummaryIn {
    addresses: u64,
}

/// `settings.zones`: a list of sources, or (earlier versions) one
/// directory or `null`.
fn zones_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ZonesIn {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<ZonesIn>::deserialize(d)? {
        None => Vec::new(),
        Some(ZonesIn::One(dir)) => vec![dir],
        Some(ZonesIn::Many(sources)) => sources,
    })
}

#[derive(Deserialize)]
struct SettingsIn {
    resolvers: Vec<String>,
    /// A list; reports of earlier versions wrote one directory or `null`.
    #[serde(default, deserialize_with = "zones_in")]
    zones: Vec<String>,
    qps: Option<u32>,
    concurrency: u32,
    timeout_ms: u64,
    attempts: u32,
    /// Absent in reports written before the field existed: not authoritative.
    #[serde(default)]
    authoritative: bool,
    /// Absent before format 3: no blocklist.
    #[serde(default)]
    dnsbl: Vec<String>,
    #[serde(default)]
    dnsbl_resolvers: Vec<String>,
    /// Absent before the field existed: not recorded.
    #[serde(default)]
    psl: Option<String>,
}

/// Reads a `json` or `jsonl` report (told apart by content).
pub fn read_report(path: &Path) -> Result<ReportDoc, ReportError> {
    let mut records = Vec::new();
    let mut doc = read_report_with(path, &mut |r| {
        records.push(r);
        Ok(())
    })?;
    doc.records = records;
    Ok(doc)
}

/// Reads a report from text; `path` is used in errors.
pub fn read_report_str(text: &str, path: &Path) -> Result<ReportDoc, ReportError> {
    let mut records = Vec::new();
    let mut doc = read_from(text.as_bytes(), path, &mut |r| {
        records.push(r);
        Ok(())
    })?;
    doc.records = records;
    Ok(doc)
}

/// Reads a report, handing each record to `each` as it is parsed instead of
/// collecting them, so memory does not grow with the report (a `json`
/// document's blocks come before its records, so every record gets its full
/// block). The returned document has no records. `each` can stop the read by
/// returning an error message, which comes back as [`ReportError::Parse`].
pub fn read_report_with(
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<ReportDoc, ReportError> {
    let read_err = |source| ReportError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let small = file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() <= IN_MEMORY);
    let mut input = BufReader::with_capacity(1 << 16, file);
    if small && !starts_with_record(&mut input).map_err(read_err)? {
        // A json document: parsed from a slice, which is much faster than
        // from a reader. `jsonl` (and checkpoints) are always streamed: they
        // are read line by line, whatever their size.
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(read_err)?;
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
        if start.is_some_and(|i| bytes[i] == b'{') {
            return read_json_from(serde_json::Deserializer::from_slice(&bytes), path, each);
        }
        return read_from(io::Cursor::new(bytes), path, each);
    }
    read_from(input, path, each)
}

/// Whether the first non-blank line of `input` is a record (an object with
/// `ip`: `jsonl`); `input` is rewound to its start.
fn starts_with_record(input: &mut BufReader<std::fs::File>) -> io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut line = String::new();
    let record = loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break false;
        }
        if !line.trim().is_empty() {
            break serde_json::from_str::<serde_json::Value>(line.trim_end())
                .is_ok_and(|v| v.get("ip").is_some());
        }
    };
    input.seek(SeekFrom::Start(0))?;
    Ok(record)
}

/// Reports up to this size are read into memory and parsed from a slice;
/// larger ones are streamed.
const IN_MEMORY: u64 = 256 << 20;

fn read_from(
    mut input: impl BufRead,
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<ReportDoc, ReportError> {
    let io_err = |source| ReportError::Read {
        path: path.to_owned(),
        source,
    };
    // The first non-blank line tells the kinds apart: a record (jsonl) is a
    // whole object with `ip` on one line; a json document opens with `{`.
    let mut first = String::new();
    let mut first_line = 0;
    loop {
        first.clear();
        first_line += 1;
        if input.read_line(&mut first).map_err(io_err)? == 0 || !first.trim().is_empty() {
            break;
        }
    }
    let is_jsonl = first.trim().is_empty()
        || serde_json::from_str::<serde_json::Value>(first.trim_end())
            .ok()
            .is_some_and(|v| v.get("ip").is_some());
    if is_jsonl {
        read_jsonl(first, first_line, input, path, each)
    } else {
        read_json(io::Cursor::new(first).chain(input), path, each)
    }
}

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> ReportError {
    ReportError::Parse {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

/// The block a record belongs to: from `blocks` when listed, else built from
/// the record's own fields (and remembered).
fn block_of(blocks: &mut BlockMap, rec: &RecordIn) -> Result<Arc<BlockInfo>, String> {
    let key = BlockKey::new(&rec.datacenter, rec.block);
    if let Some(b) = blocks.get(&key) {
        return Ok(b.clone());
    }
    let b = Arc::new(rec.block_info()?);
    blocks.insert(key, b.clone());
    Ok(b)
}

fn read_jsonl(
    first: String,
    first_line: usize,
    mut input: impl BufRead,
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<ReportDoc, ReportError> {
    let mut blocks = BlockMap::new();
    let mut torn_tail = false;
    let mut line = first;
    let mut n = first_line;
    while !line.is_empty() {
        if !line.trim().is_empty() {
            match serde_json::from_str::<RecordIn>(line.trim_end_matches(['\n', '\r'])) {
                Ok(rec) => {
                    let block = block_of(&mut blocks, &rec).map_err(|m| parse_err(path, n, m))?;
                    let rec = rec.into_model(block).map_err(|m| parse_err(path, n, m))?;
                    each(rec).map_err(|m| parse_err(path, n, m))?;
                }
                Err(e) => {
                    let mut rest = String::new();
                    let more = input
                        .read_line(&mut rest)
                        .map_err(|source| ReportError::Read {
                            path: path.to_owned(),
                            source,
                        })?;
                    // A last line without its newline is a write cut short.
                    if !line.ends_with('\n') && more == 0 {
                        torn_tail = true;
                        break;
                    }
                    return Err(parse_err(path, n, e.to_string()));
                }
            }
        }
        line.clear();
        n += 1;
        input
            .read_line(&mut line)
            .map_err(|source| ReportError::Read {
                path: path.to_owned(),
                source,
            })?;
    }
    Ok(ReportDoc {
        path: path.to_owned(),
        kind: DocKind::Jsonl,
        meta: None,
        finished_at: None,
        complete: None,
        gate: None,
        records: Vec::new(),
        block_findings: Vec::new(),
        blocks: Vec::new(),
        torn_tail,
    })
}

/// What the document visitor collects besides the records.
#[derive(Default)]
struct Envelope {
    format: Option<String>,
    format_version: Option<u32>,
    tool_version: Option<String>,
    started_at: Option<String>,
    inventory: Option<InventoryIn>,
    settings: Option<SettingsIn>,
    finished_at: Option<String>,
    complete: Option<bool>,
    summary: Option<SummaryIn>,
    gate: Option<GateIn>,
    block_findings: Vec<BlockFindingIn>,
    /// The listed blocks' keys, in document order.
    block_order: Vec<BlockKey>,
    records_seen: bool,
}

struct DocSeed<'a> {
    blocks: &'a mut BlockMap,
    each: &'a mut dyn FnMut(AddressRecord) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Envelope;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Envelope, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = Envelope;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a ptr-audit report document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut env = Envelope::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let f: String = map.next_value()?;
                    if f != FORMAT_NAME {
                        return Err(de::Error::custom(format!(
                            "`format` is `{f}`, expected `{FORMAT_NAME}`"
                        )));
                    }
                    env.format = Some(f);
                }
                "format_version" => {
                    let v: u32 = map.next_value()?;
                    if !(OLDEST_READ..=FORMAT_VERSION).contains(&v) {
                        return Err(de::Error::custom(format!(
                            "report format version {v} is not supported (this ptr-audit reads versions {OLDEST_READ} to {FORMAT_VERSION})"
                        )));
                    }
                    env.format_version = Some(v);
                }
                "tool_version" => env.tool_version = Some(map.next_value()?),
                "started_at" => env.started_at = Some(map.next_value()?),
                "inventory" => env.inventory = Some(map.next_value()?),
                "settings" => env.settings = Some(map.next_value()?),
                "finished_at" => env.finished_at = Some(map.next_value()?),
                "complete" => env.complete = Some(map.next_value()?),
                "summary" => env.summary = Some(map.next_value()?),
                "gate" => env.gate = Some(map.next_value()?),
                "block_findings" => env.block_findings = map.next_value()?,
                "blocks" => {
                    let blocks: Vec<BlockIn> = map.next_value()?;
                    for b in blocks {
                        let info = b.into_model().map_err(de::Error::custom)?;
                        let key = info.key();
                        env.block_order.push(key.clone());
                        self.blocks.insert(key, Arc::new(info));
                    }
                }
                "records" => {
                    map.next_value_seed(RecordsSeed {
                        blocks: &mut *self.blocks,
                        each: &mut *self.each,
                    })?;
                    env.records_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(env)
    }
}

struct RecordsSeed<'a> {
    blocks: &'a mut BlockMap,
    each: &'a mut dyn FnMut(AddressRecord) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(rec) = seq.next_element::<RecordIn>()? {
            let rec = model_record(rec, self.blocks).map_err(de::Error::custom)?;
            (self.each)(rec).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// A record of a `json` document turned into the model, attached to its
/// listed block (or one built from its own fields).
fn model_record(rec: RecordIn, blocks: &mut BlockMap) -> Result<AddressRecord, String> {
    let ip = rec.ip;
    let block = block_of(blocks, &rec)?;
    rec.into_model(block)
        .map_err(|m| format!("record `{ip}`: {m}"))
}

/// Parses one record of a `json` document (the text of its record line,
/// without indentation or comma) the way [`read_report`] parses each record,
/// resolving its block in `blocks` (the document's listed blocks).
pub(crate) fn parse_record_line(
    text: &[u8],
    blocks: &mut BlockMap,
) -> Result<AddressRecord, String> {
    let rec: RecordIn = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    model_record(rec, blocks)
}

fn read_json(
    input: impl io::Read,
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<ReportDoc, ReportError> {
    read_json_from(serde_json::Deserializer::from_reader(input), path, each)
}

/// Reads a `json` document from any serde_json source: a reader for large
/// files (flat memory), a slice for the rest (several times faster: no
/// byte-by-byte reads with line counting).
fn read_json_from<'de, R: serde_json::de::Read<'de>>(
    de: serde_json::Deserializer<R>,
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<ReportDoc, ReportError> {
    read_json_blocks(de, path, each).map(|(doc, _)| doc)
}

/// The listed blocks by key, as records name them.
pub(crate) type BlockMap = HashMap<BlockKey, Arc<BlockInfo>>;

/// [`read_json_from`], also returning the listed blocks by key.
pub(crate) fn read_json_blocks<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    path: &Path,
    each: &mut dyn FnMut(AddressRecord) -> Result<(), String>,
) -> Result<(ReportDoc, BlockMap), ReportError> {
    let mut blocks: BlockMap = HashMap::new();
    let env = DocSeed {
        blocks: &mut blocks,
        each,
    }
    .deserialize(&mut de)
    .and_then(|env| de.end().map(|()| env))
    .map_err(|e| {
        let message = if e.is_data() || e.is_eof() || e.is_syntax() {
            format!("not a ptr-audit json or jsonl report: {e}")
        } else {
            e.to_string()
        };
        parse_err(path, e.line(), message)
    })?;
    let missing =
        |what: &str| parse_err(path, 0, format!("not a ptr-audit report: missing `{what}`"));
    if env.format.is_none() {
        return Err(missing("format"));
    }
    if env.format_version.is_none() {
        return Err(missing("format_version"));
    }
    let inventory = env.inventory.ok_or_else(|| missing("inventory"))?;
    let settings = env.settings.ok_or_else(|| missing("settings"))?;
    if !env.records_seen {
        return Err(missing("records"));
    }
    let shard = match &inventory.shard {
        None => None,
        Some(s) => Some(Shard::parse(s).ok_or_else(|| {
            parse_err(
                path,
                0,
                format!(
                    "`inventory.shard` is `{}`, not a shard `K/N` with 1 <= K <= N",
                    crate::escape::terminal(s)
                ),
            )
        })?),
    };
    let meta = ReportMeta {
        tool_version: env.tool_version.ok_or_else(|| missing("tool_version"))?,
        inventory_files: inventory.files,
        resolvers: settings.resolvers,
        zones: settings.zones,
        qps: settings.qps,
        concurrency: settings.concurrency,
        timeout_ms: settings.timeout_ms,
        attempts: settings.attempts,
        authoritative: settings.authoritative,
        dnsbl: settings.dnsbl,
        dnsbl_resolvers: settings.dnsbl_resolvers,
        psl: settings.psl,
        started_at: env.started_at.ok_or_else(|| missing("started_at"))?,
        scope: inventory.scope,
        changed_since: inventory.changed_since,
        shard,
        provider_domains: inventory.provider_domains,
    };
    let mut block_findings = Vec::new();
    for bf in env.block_findings {
        let block = blocks
            .get(&BlockKey::new(&bf.datacenter, bf.block))
            .cloned()
            .ok_or_else(|| {
                parse_err(
                    path,
                    0,
                    format!("block finding for `{}` names no listed block", bf.block),
                )
            })?;
        let finding = bf.finding.into_model().map_err(|m| parse_err(path, 0, m))?;
        block_findings.push(BlockFinding { block, finding });
    }
    let addresses = env.summary.map_or(0, |s| s.addresses);
    let gate = env
        .gate
        .map(|g| g.into_outcome(addresses))
        .transpose()
        .map_err(|m| parse_err(path, 0, format!("`gate`: {m}")))?;
    let listed = env
        .block_order
        .iter()
        .filter_map(|k| blocks.get(k).cloned())
        .collect();
    let doc = ReportDoc {
        path: path.to_owned(),
        kind: DocKind::Json,
        meta: Some(meta),
        finished_at: Some(env.finished_at.ok_or_else(|| missing("finished_at"))?),
        complete: Some(env.complete.ok_or_else(|| missing("complete"))?),
        gate,
        records: Vec::new(),
        block_findings,
        blocks: listed,
        torn_tail: false,
    };
    Ok((doc, blocks))
}
