//! Reading `json` and `jsonl` reports back into model records (for
//! `--baseline`, `merge` and `fix`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockFinding, BlockInfo};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::format::json::{FORMAT_NAME, FORMAT_VERSION};
use crate::wire::{BlockFindingIn, BlockIn, RecordIn};
use crate::{ReportError, ReportMeta};

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
    /// The records, in file order.
    pub records: Vec<AddressRecord>,
    /// Block findings (`json` only).
    pub block_findings: Vec<BlockFinding>,
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
}

#[derive(Deserialize)]
struct SettingsIn {
    resolvers: Vec<String>,
    zones: Option<PathBuf>,
    qps: Option<u32>,
    concurrency: u32,
    timeout_ms: u64,
    attempts: u32,
}

#[derive(Deserialize)]
struct DocIn {
    format: String,
    format_version: u32,
    tool_version: String,
    started_at: String,
    inventory: InventoryIn,
    settings: SettingsIn,
    records: Vec<RecordIn>,
    finished_at: String,
    complete: bool,
    block_findings: Vec<BlockFindingIn>,
    blocks: Vec<BlockIn>,
    #[allow(dead_code)]
    summary: IgnoredAny,
    #[allow(dead_code)]
    gate: IgnoredAny,
}

/// Reads a `json` or `jsonl` report (told apart by content).
pub fn read_report(path: &Path) -> Result<ReportDoc, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_owned(),
        source,
    })?;
    read_report_str(&text, path)
}

/// Reads a report from text; `path` is used in errors.
pub fn read_report_str(text: &str, path: &Path) -> Result<ReportDoc, ReportError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let is_jsonl = first.trim().is_empty()
        || serde_json::from_str::<serde_json::Value>(first)
            .ok()
            .is_some_and(|v| v.get("ip").is_some());
    if is_jsonl {
        read_jsonl(text, path)
    } else {
        read_json(text, path)
    }
}

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> ReportError {
    ReportError::Parse {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn read_jsonl(text: &str, path: &Path) -> Result<ReportDoc, ReportError> {
    let mut blocks: HashMap<(String, IpNet), Arc<BlockInfo>> = HashMap::new();
    let mut records = Vec::new();
    let mut torn_tail = false;
    let complete_last = text.ends_with('\n');
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let rec: RecordIn = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(_) if n == lines.len() && !complete_last => {
                torn_tail = true;
                break;
            }
            Err(e) => return Err(parse_err(path, n, e.to_string())),
        };
        let key = (rec.datacenter.clone(), rec.block);
        let block = match blocks.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b = Arc::new(rec.block_info().map_err(|m| parse_err(path, n, m))?);
                blocks.insert(key, b.clone());
                b
            }
        };
        records.push(rec.into_model(block).map_err(|m| parse_err(path, n, m))?);
    }
    Ok(ReportDoc {
        path: path.to_owned(),
        kind: DocKind::Jsonl,
        meta: None,
        finished_at: None,
        complete: None,
        records,
        block_findings: Vec::new(),
        torn_tail,
    })
}

fn read_json(text: &str, path: &Path) -> Result<ReportDoc, ReportError> {
    let doc: DocIn = serde_json::from_str(text).map_err(|e| {
        parse_err(
            path,
            e.line(),
            format!("not a ptr-audit json or jsonl report: {e}"),
        )
    })?;
    if doc.format != FORMAT_NAME {
        return Err(parse_err(
            path,
            0,
            format!("`format` is `{}`, expected `{FORMAT_NAME}`", doc.format),
        ));
    }
    if doc.format_version != FORMAT_VERSION {
        return Err(parse_err(
            path,
            0,
            format!(
                "report format version {} is not supported (this ptr-audit reads version {FORMAT_VERSION})",
                doc.format_version
            ),
        ));
    }
    let shard = match &doc.inventory.shard {
        None => None,
        Some(s) => Some(
            s.split_once('/')
                .and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)))
                .ok_or_else(|| parse_err(path, 0, format!("invalid shard `{s}`")))?,
        ),
    };
    let meta = ReportMeta {
        tool_version: doc.tool_version,
        inventory_files: doc.inventory.files,
        resolvers: doc.settings.resolvers,
        zones: doc.settings.zones,
        qps: doc.settings.qps,
        concurrency: doc.settings.concurrency,
        timeout_ms: doc.settings.timeout_ms,
        attempts: doc.settings.attempts,
        started_at: doc.started_at,
        scope: doc.inventory.scope,
        changed_since: doc.inventory.changed_since,
        shard,
    };
    let mut blocks: HashMap<(String, IpNet), Arc<BlockInfo>> = HashMap::new();
    for b in doc.blocks {
        let info = b.into_model().map_err(|m| parse_err(path, 0, m))?;
        blocks.insert((info.datacenter.to_string(), info.cidr), Arc::new(info));
    }
    let mut records = Vec::with_capacity(doc.records.len());
    for rec in doc.records {
        let key = (rec.datacenter.clone(), rec.block);
        let block = match blocks.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b = Arc::new(rec.block_info().map_err(|m| parse_err(path, 0, m))?);
                blocks.insert(key, b.clone());
                b
            }
        };
        let ip = rec.ip;
        records.push(
            rec.into_model(block)
                .map_err(|m| parse_err(path, 0, format!("record `{ip}`: {m}")))?,
        );
    }
    let mut block_findings = Vec::new();
    for bf in doc.block_findings {
        let block = blocks
            .get(&(bf.datacenter.clone(), bf.block))
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
    Ok(ReportDoc {
        path: path.to_owned(),
        kind: DocKind::Json,
        meta: Some(meta),
        finished_at: Some(doc.finished_at),
        complete: Some(doc.complete),
        records,
        block_findings,
        torn_tail: false,
    })
}
