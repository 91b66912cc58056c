//! `html`: one self-contained page for people: a Hilbert-curve map of every
//! block (one cell per address up to a /16, one per /24 above, IPv6 blocks by
//! their sampled subnets), a legend with counts, per-datacenter tables, the
//! migration view, block findings and the run's header with the gate's
//! outcome. Inline CSS and JavaScript (`html/page.css`, `html/page.js`) build
//! the page from one JSON data element; a Content-Security-Policy forbids
//! every network load.
//!
//! Streaming: the sink keeps what the page embeds and nothing more: one byte
//! per address of blocks up to a /16, status counts per /24 (or per sampled
//! subnet) above, the [`DETAIL_CAP`] worst failing addresses in detail and the
//! PTRs of at most [`OK_NAME_CAP`] passing addresses. Every value from DNS or
//! a report is written through [`ScriptJson`] (script-safe JSON) and shown by
//! the script as text, never as markup.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;
use ptr_audit_model::{AddressRecord, BlockInfo, BlockKey, Severity, Status};

use super::{Capped, ptr_text, worst};
use crate::escape::{ScriptJson, html, terminal as visible};
use crate::format::json::gate as gate_json;
use crate::json_text::{Arr, KeyOrder, Obj, ToJson, build, push_array, push_str};
use crate::summary::Counts;
use crate::{AddressJudgement, Judged, ReportEnd, ReportMeta, Sink};

/// Failing addresses kept in detail (PTR, findings, receivers): the worst
/// first. The rest are still drawn and counted, and their hover says so.
pub(crate) const DETAIL_CAP: usize = 20_000;
/// PTRs of passing addresses kept for hover and search, lowest addresses first.
pub(crate) const OK_NAME_CAP: usize = 65_536;
/// The most cells one block's map draws (a /16 of addresses, a /8 of /24s).
const MAX_CELLS: usize = 1 << 16;
/// Marks an address of a per-address map that has no record (not scanned,
/// excluded, or the scan was interrupted before it).
const NO_RECORD: u8 = u8::MAX;

const PAGE_CSS: &str = include_str!("html/page.css");
const PAGE_JS: &str = include_str!("html/page.js");

/// The page's Content-Security-Policy: nothing from the network, no frames,
/// no forms; only the page's own inline style and script (`frame-ancestors`
/// cannot be set from a `<meta>` element, and Chromium logs an error if tried).
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

type StatusCounts = [u32; Status::COUNT];

/// What one block's map holds.
enum Cells {
    /// Up to a /16: one status per address (`NO_RECORD` when absent), from
    /// the block's first address.
    Addresses { base: u128, st: Vec<u8> },
    /// An IPv4 block above a /16: counts per cell of `unit_bits` host bits (a /24).
    Prefixes {
        base: u32,
        unit_bits: u8,
        counts: Vec<StatusCounts>,
    },
    /// An IPv6 block above a /16 of addresses (sampled): counts per /64
    /// seen, and each address's status while there are few enough to draw
    /// one cell each (a block sampled inside one /64).
    Sampled {
        subnets: BTreeMap<u64, StatusCounts>,
        addresses: BTreeMap<u128, u8>,
        too_many: bool,
    },
}

impl Cells {
    fn new(block: &BlockInfo) -> Cells {
        let net = block.cidr;
        let host_bits = net.max_prefix_len() - net.prefix_len();
        if host_bits <= 16 {
            return Cells::Addresses {
                base: addr_bits(net.network()),
                st: vec![NO_RECORD; 1 << host_bits],
            };
        }
        match net {
            IpNet::V4(v4) => {
                // A /24 per cell for /9 to /15; wider blocks keep 2^16 cells.
                let unit_bits = if v4.prefix_len() >= 8 {
                    8
                } else {
                    16 - v4.prefix_len()
                };
                Cells::Prefixes {
                    base: u32::from(v4.network()),
                    unit_bits,
                    counts: vec![[0; Status::COUNT]; 1 << (host_bits - unit_bits)],
                }
            }
            IpNet::V6(_) => Cells::Sampled {
                subnets: BTreeMap::new(),
                addresses: BTreeMap::new(),
                too_many: false,
            },
        }
    }

    fn add(&mut self, ip: IpAddr, status: Status) {
        let s = status.index() as u8;
        match self {
            Cells::Addresses { base, st } => {
                let i = addr_bits(ip).wrapping_sub(*base) as usize;
                if let Some(c) = st.get_mut(i) {
                    *c = s;
                }
            }
            Cells::Prefixes {
                base,
                unit_bits,
                counts,
            } => {
                if let IpAddr::V4(v4) = ip {
                    let i = (u32::from(v4).wrapping_sub(*base) >> *unit_bits) as usize;
                    if let Some(c) = counts.get_mut(i) {
                        c[s as usize] += 1;
                    }
                }
            }
            Cells::Sampled {
                subnets,
                addresses,
                too_many,
            } => {
                let bits = addr_bits(ip);
                let at_cap = subnets.len() >= MAX_CELLS;
                let key = (bits >> 64) as u64;
                if !at_cap || subnets.contains_key(&key) {
                    subnets.entry(key).or_insert([0; Status::COUNT])[s as usize] += 1;
                } else {
                    *too_many = true;
                }
                if addresses.len() < MAX_CELLS {
                    addresses.insert(bits, s);
                } else {
                    *too_many = true;
                }
            }
        }
    }

    /// The map as the page's script reads it (see `html/page.js`,
    /// `drawMap`); keys sorted, as the page's data has always had them.
    fn write_json(&self, out: &mut String, net: IpNet) {
        match self {
            Cells::Addresses { st, .. } => {
                let st: String = st
                    .iter()
                    .map(|&s| {
                        if s == NO_RECORD {
                            '-'
                        } else {
                            char::from(b'0' + s)
                        }
                    })
                    .collect();
                Obj::open(out)
                    .field("base", &net.network().to_string())
                    .field("kind", "addresses")
                    .field("st", &st)
                    .close();
            }
            Cells::Prefixes {
                base,
                unit_bits,
                counts,
            } => Obj::open(out)
                .field("base", base)
                .with("cells", |out| push_array(out, counts, trimmed))
                .field("kind", "prefixes")
                .field("unit", &(32 - unit_bits))
                .close(),
            Cells::Sampled {
                subnets,
                addresses,
                too_many,
            } => {
                let per_address = subnets.len() <= 1 && !*too_many;
                let cells = |out: &mut String| {
                    if per_address {
                        push_array(out, addresses, |out, (a, s)| {
                            let mut c = [0; Status::COUNT];
                            c[*s as usize] = 1;
                            Arr::open(out)
                                .item(&format!("{}/128", Ipv6Addr::from(*a)))
                                .with(|out| trimmed(out, &c))
                                .close()
                        })
                    } else {
                        push_array(out, subnets, |out, (p, c)| {
                            let net = Ipv6Addr::from(u128::from(*p) << 64);
                            Arr::open(out)
                                .item(&format!("{net}/64"))
                                .with(|out| trimmed(out, c))
                                .close()
                        })
                    }
                };
                Obj::open(out)
                    .with("cells", cells)
                    .field("incomplete", too_many)
                    .field("kind", "sampled")
                    .close();
            }
        }
    }
}

/// An address as a number (IPv4 in the low 32 bits).
fn addr_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Counts without trailing zeros (`[]` for an empty cell).
fn trimmed(out: &mut String, c: &StatusCounts) {
    let n = c.iter().rposition(|&x| x > 0).map_or(0, |i| i + 1);
    c[..n].write_json(out);
}

/// One failing address in detail.
struct Detail {
    ip: IpAddr,
    status: Status,
    severity: Severity,
    /// Every finding accepted by the gate (suppressed or in the baseline).
    accepted: bool,
    /// The address's row as the page reads it (JSON text).
    row: String,
}

/// Worst first: what the gate did not accept, then severity, status, address.
fn worst_first(a: &Detail, b: &Detail) -> std::cmp::Ordering {
    a.accepted
        .cmp(&b.accepted)
        .then(b.severity.cmp(&a.severity))
        .then(a.status.cmp(&b.status))
        .then(a.ip.cmp(&b.ip))
}

pub(crate) struct HtmlSink {
    out: Box<dyn Write + Send>,
    meta: ReportMeta,
    maps: HashMap<BlockKey, Cells>,
    /// The block of the last record and its key: records of one block mostly follow each other.
    last: Option<(Arc<BlockInfo>, BlockKey)>,
    detail: Capped<Detail>,
    receivers: Receivers,
    ok_names: Capped<(IpAddr, String)>,
    /// False for a report read back that does not record whether it completed (`jsonl`).
    complete_known: bool,
    /// False for a report read back that does not record the gate (`jsonl`).
    gate_known: bool,
}

impl HtmlSink {
    pub(crate) fn new(out: Box<dyn Write + Send>, meta: &ReportMeta) -> Self {
        Self {
            out,
            meta: meta.clone(),
            maps: HashMap::new(),
            last: None,
            detail: Capped::new(DETAIL_CAP),
            receivers: Receivers::default(),
            ok_names: Capped::new(OK_NAME_CAP),
            complete_known: true,
            gate_known: true,
        }
    }

    /// Replaces the run's metadata (for a report read back, whose metadata
    /// comes after its records have been streamed).
    pub(crate) fn set_meta(&mut self, meta: ReportMeta) {
        self.meta = meta;
    }

    /// Says what a report read back recorded: whether it completed, and the gate.
    pub(crate) fn set_read_back(&mut self, complete_known: bool, gate_known: bool) {
        self.complete_known = complete_known;
        self.gate_known = gate_known;
    }

    fn cells(&mut self, block: &Arc<BlockInfo>) -> &mut Cells {
        let key = match &self.last {
            Some((b, key)) if Arc::ptr_eq(b, block) => key.clone(),
            _ => {
                let key = block.key();
                self.last = Some((block.clone(), key.clone()));
                key
            }
        };
        self.maps.entry(key).or_insert_with(|| Cells::new(block))
    }
}

/// The receivers of the addresses in detail (`id (verdict)`), each written once: rows
/// carry indices into this table (receiver lists repeat on every address).
#[derive(Default)]
struct Receivers {
    index: HashMap<String, usize>,
    names: Vec<String>,
}

impl Receivers {
    fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(visible(name).into_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }
}

fn detail_row(
    rec: &AddressRecord,
    judgement: &AddressJudgement,
    accepted: bool,
    receivers: &mut Receivers,
) -> String {
    let findings = |out: &mut String| {
        push_array(out, rec.findings.iter().enumerate(), |out, (i, f)| {
            // The record's receiver matrix (its entries that are not
            // `accept`) goes with its worst finding, the one shown first.
            let refusing: Vec<usize> = if i == 0 {
                rec.receivers
                    .0
                    .iter()
                    .map(|r| receivers.id(&format!("{} ({})", r.id.as_str(), r.verdict.as_str())))
                    .collect()
            } else {
                Vec::new()
            };
            let note = match judgement.of(i) {
                Judged::Suppressed { reason } => format!("suppressed: {}", visible(reason)),
                Judged::InBaseline => "in baseline".to_owned(),
                _ => String::new(),
            };
            Arr::open(out)
                .item(f.code.as_str())
                .item(f.severity.as_str())
                .item(&visible(&f.message))
                .item(&refusing)
                .item(&note)
                .close()
        })
    };
    build(|out| {
        Arr::open(out)
            .item(&rec.target.ip)
            .item(&rec.status.index())
            .item(&visible(&ptr_text(rec)))
            .item(&rec.target.expected_ptr.as_deref().map(visible))
            .with(findings)
            .item(&accepted)
            .close()
    })
}

impl Sink for HtmlSink {
    fn record(&mut self, rec: &AddressRecord, judgement: &AddressJudgement) -> io::Result<()> {
        self.cells(&rec.target.block).add(rec.target.ip, rec.status);
        match worst(rec) {
            Some(f) => {
                let accepted = !judgement.findings.is_empty()
                    && judgement
                        .findings
                        .iter()
                        .all(|j| matches!(j, Judged::Suppressed { .. } | Judged::InBaseline));
                let d = Detail {
                    ip: rec.target.ip,
                    status: rec.status,
                    severity: f.severity,
                    accepted,
                    row: detail_row(rec, judgement, accepted, &mut self.receivers),
                };
                self.detail.push(d, worst_first);
            }
            None => {
                self.ok_names.push(
                    (rec.target.ip, visible(&ptr_text(rec)).into_owned()),
                    |a, b| a.0.cmp(&b.0),
                );
            }
        }
        Ok(())
    }

    fn finish(&mut self, end: &ReportEnd<'_>) -> io::Result<()> {
        let meta = &self.meta;
        let title = format!(
            "ptr-audit: {} of {} addresses need attention",
            end.summary.total.failing(),
            end.summary.total.total
        );
        let out = &mut self.out;
        writeln!(out, "<!DOCTYPE html>")?;
        writeln!(out, "<html lang=\"en\"><head><meta charset=\"utf-8\">")?;
        writeln!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        )?;
        writeln!(
            out,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        )?;
        writeln!(out, "<title>{}</title>", html(&title))?;
        writeln!(out, "<style>\n{PAGE_CSS}</style>")?;
        writeln!(out, "</head><body>")?;
        writeln!(
            out,
            "<noscript><p>This report draws its map and tables with JavaScript; the same data is in the json report.</p></noscript>"
        )?;
        writeln!(out, "<main id=\"app\" aria-busy=\"true\"></main>")?;
        write!(
            out,
            "<script type=\"application/json\" id=\"ptr-audit-data\">"
        )?;
        {
            let mut w = ScriptJson(&mut *out);
            let known = (self.complete_known, self.gate_known);
            let embedded = Embedded {
                maps: &self.maps,
                detail: &mut self.detail,
                receivers: &self.receivers,
                ok_names: &self.ok_names,
            };
            write_data(&mut w, meta, known, end, embedded)?;
        }
        writeln!(out, "</script>")?;
        writeln!(out, "<script>\n{PAGE_JS}</script>")?;
        writeln!(out, "</body></html>")?;
        out.flush()
    }
}

/// What the sink kept from the records.
struct Embedded<'a> {
    maps: &'a HashMap<BlockKey, Cells>,
    detail: &'a mut Capped<Detail>,
    receivers: &'a Receivers,
    ok_names: &'a Capped<(IpAddr, String)>,
}

/// Writes the page's data: one JSON object, as `html/page.js` reads it,
/// its objects' keys sorted (as they have always been), through `w`
/// ([`ScriptJson`]: script-safe).
fn write_data(
    w: &mut dyn Write,
    meta: &ReportMeta,
    (complete_known, gate_known): (bool, bool),
    end: &ReportEnd<'_>,
    Embedded {
        maps,
        detail,
        receivers,
        ok_names,
    }: Embedded<'_>,
) -> io::Result<()> {
    let mut out = String::from("{");
    let statuses: Vec<&str> = Status::all().map(|s| s.as_str()).collect();
    let visible_all = |items: &[String]| -> Vec<String> {
        items.iter().map(|s| visible(s).into_owned()).collect()
    };
    let inventory: Vec<String> = meta
        .inventory_files
        .iter()
        .map(|p| visible(&p.to_string_lossy()).into_owned())
        .collect();
    put(&mut out, "statuses", |o| statuses.write_json(o));
    put(&mut out, "meta", |o| {
        Obj::open(o)
            .field("authoritative", &meta.authoritative)
            .field("changed_since", &meta.changed_since.as_deref().map(visible))
            .field("complete", &complete_known.then_some(end.complete))
            .field("finished_at", &visible(end.finished_at))
            .field("inventory", &inventory)
            .field("resolvers", &visible_all(&meta.resolvers))
            .field("scope", &meta.scope)
            .field("shard", &meta.shard.map(|s| s.to_string()))
            .field("started_at", &visible(&meta.started_at))
            .field("tool_version", &visible(&meta.tool_version))
            .field("zones", &visible_all(&meta.zones))
            .close()
    });
    put(&mut out, "gate", |o| {
        if gate_known {
            gate_json(o, end.gate, KeyOrder::Sorted)
        } else {
            o.push_str("null")
        }
    });
    put(&mut out, "total", |o| counts_json(o, &end.summary.total));
    put(&mut out, "datacenters", |o| {
        push_array(o, &end.summary.datacenters, |o, d| {
            Obj::open(o)
                .with("counts", |o| counts_json(o, &d.counts))
                .field("name", &visible(&d.name))
                .close()
        })
    });
    // Blocks one at a time: a /16's map is the largest value written.
    out.push_str(",\"blocks\":[");
    for (i, b) in end.summary.blocks.iter().enumerate() {
        let info = &b.block;
        if i > 0 {
            out.push(',');
        }
        Obj::open(&mut out)
            .field("cidr", &info.cidr.to_string())
            .with("counts", |o| counts_json(o, &b.counts))
            .field("dc", &visible(&info.datacenter))
            .field("expect_ptr", &info.expect_ptr.as_deref().map(visible))
            .with("map", |o| match maps.get(&info.key()) {
                Some(c) => c.write_json(o, info.cidr),
                None => Cells::new(info).write_json(o, info.cidr),
            })
            .field("migrated_from", &info.migrated_from.as_deref().map(visible))
            .field("policy", info.policy.as_str())
            .field(
                "source",
                &format!(
                    "{}:{}",
                    visible(&info.source.file.to_string_lossy()),
                    info.source.line
                ),
            )
            .close();
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    out.push(']');
    put(&mut out, "block_findings", |o| {
        push_array(o, end.block_findings.iter().enumerate(), |o, (i, bf)| {
            let note = match end.block_judged.get(i) {
                Some(Judged::Suppressed { reason }) => format!("suppressed: {}", visible(reason)),
                Some(Judged::InBaseline) => "in baseline".to_owned(),
                _ => String::new(),
            };
            Obj::open(o)
                .field("cidr", &bf.block.cidr.to_string())
                .field("code", bf.finding.code.as_str())
                .field("dc", &visible(&bf.block.datacenter))
                .field("message", &visible(&bf.finding.message))
                .field("note", &note)
                .field("severity", bf.finding.severity.as_str())
                .close()
        })
    });
    let dropped = detail.dropped();
    let kept = detail.sorted(worst_first);
    put(&mut out, "detail", |o| {
        push_array(o, kept.iter(), |o, d| o.push_str(&d.row))
    });
    put(&mut out, "receivers", |o| receivers.names.write_json(o));
    put(&mut out, "detail_cap", |o| {
        Obj::open(o)
            .field("cap", &DETAIL_CAP)
            .field("dropped", &dropped)
            .close()
    });
    put(&mut out, "ok_names", |o| {
        push_array(o, &ok_names.items, |o, (ip, name)| {
            Arr::open(o).item(ip).item(name).close()
        })
    });
    put(&mut out, "ok_names_cap", |o| {
        Obj::open(o)
            .field("cap", &OK_NAME_CAP)
            .field("dropped", &ok_names.dropped())
            .close()
    });
    out.push('}');
    w.write_all(out.as_bytes())
}

/// Counts by status index, trailing zeros trimmed.
fn counts_json(out: &mut String, c: &Counts) {
    let v: Vec<u64> = c.iter().map(|(_, n)| n).collect();
    let n = v.iter().rposition(|&x| x > 0).map_or(0, |i| i + 1);
    v[..n].write_json(out);
}

/// Appends `"key":value` to the data object (a `,` first unless it is the
/// first member).
fn put(out: &mut String, key: &str, write: impl FnOnce(&mut String)) {
    if !out.ends_with('{') {
        out.push(',');
    }
    push_str(out, key);
    out.push(':');
    write(out);
}
