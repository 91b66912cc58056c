//! The hand writer of records: compact JSON, byte for byte what serde_json
//! writes for the reference view (tested in `reference`), without the
//! serializer machinery, built from [`crate::json_text`]'s primitives.

use std::net::IpAddr;
use std::sync::Arc;

use ptr_audit_model::{
    AddressRecord, BlockInfo, DetailValue, DnsName, DnsblAnswer, Finding, ForwardAnswer, PtrAnswer,
    ReceiverVerdict,
};

use super::{RESERVED, failure_text, forward_text, ptr_names};
use crate::json_text::{push_ip, push_str, push_u64};

/// Writes records as compact JSON, byte for byte what serde_json writes for
/// `reference::RecordOut`, without the serializer machinery: `jsonl` and the `json`
/// spool write one per address, so this is on the scan's hot path.
///
/// The fields that are the same for every address of a block are rendered
/// once and reused while records of that block follow each other.
pub(crate) struct RecordWriter {
    block: Option<(Arc<BlockInfo>, String)>,
    /// Static lists (receivers) already written, with their JSON text.
    lists: Vec<(&'static [&'static str], String)>,
}

/// At most this many static lists keep their JSON text in a [`RecordWriter`].
const LISTS_KEPT: usize = 32;

impl RecordWriter {
    pub(crate) fn new() -> Self {
        Self {
            block: None,
            lists: Vec::new(),
        }
    }

    /// Appends `rec` to `out` (no newline).
    pub(crate) fn write(&mut self, out: &mut String, rec: &AddressRecord) {
        let block = &rec.target.block;
        let lookup = &rec.lookup;
        out.push_str("{\"ip\":\"");
        push_ip(out, rec.target.ip);
        out.push('"');
        match &self.block {
            Some((b, text)) if Arc::ptr_eq(b, block) => out.push_str(text),
            _ => {
                let mut text = String::with_capacity(128);
                block_fields(&mut text, block);
                out.push_str(&text);
                self.block = Some((block.clone(), text));
            }
        }
        out.push_str(",\"expected\":");
        push_opt_str(out, rec.target.expected_ptr.as_deref());
        out.push_str(",\"ptr\":");
        push_names(out, ptr_names(&lookup.answer));
        out.push_str(",\"cname_chain\":");
        push_names(out, &lookup.cname_chain);
        out.push_str(",\"rcode\":");
        match lookup.rcode {
            Some(r) => push_str(out, &r.as_str()),
            None => out.push_str("null"),
        }
        out.push_str(",\"result\":\"");
        out.push_str(lookup.answer.result().as_str());
        out.push_str("\",\"failure\":");
        match &lookup.answer {
            PtrAnswer::Failed(r) => push_str(out, &failure_text(r)),
            _ => out.push_str("null"),
        }
        out.push_str(",\"dead_end\":");
        match &lookup.answer {
            PtrAnswer::BrokenDelegation { target } => push_str(out, target.as_str()),
            _ => out.push_str("null"),
        }
        out.push_str(",\"attempts\":");
        push_u64(out, u64::from(lookup.attempts));
        out.push_str(",\"forward\":{");
        for (i, (name, answer)) in lookup.forward.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, name.as_str());
            out.push(':');
            match answer {
                ForwardAnswer::Addresses(addrs) => {
                    out.push('[');
                    for (k, a) in addrs.iter().enumerate() {
                        if k > 0 {
                            out.push(',');
                        }
                        out.push('"');
                        push_ip(out, *a);
                        out.push('"');
                    }
                    out.push(']');
                }
                other => push_opt_str(out, forward_text(other).as_deref()),
            }
        }
        out.push_str("},\"status\":\"");
        out.push_str(rec.status.as_str());
        out.push_str("\",\"findings\":[");
        for (i, f) in rec.findings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.write_finding(out, f);
        }
        out.push_str("],\"iprev\":\"");
        out.push_str(rec.iprev.as_str());
        out.push_str("\",\"receivers\":[");
        for (i, e) in rec.receivers.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_receiver(out, e);
        }
        out.push_str("],\"dnsbl\":[");
        for (i, (list, answer)) in lookup.dnsbl.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"list\":");
            push_str(out, &list.name);
            out.push_str(",\"kind\":\"");
            out.push_str(list.kind.as_str());
            out.push_str("\",\"result\":\"");
            out.push_str(answer.result().as_str());
            out.push_str("\",\"codes\":[");
            if let DnsblAnswer::Codes(codes) = answer {
                for (k, c) in codes.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    push_ip(out, IpAddr::V4(*c));
                    out.push('"');
                }
            }
            out.push_str("],\"failure\":");
            match answer {
                DnsblAnswer::Failed(r) => push_str(out, &failure_text(r)),
                _ => out.push_str("null"),
            }
            out.push('}');
        }
        out.push_str("]}");
    }

    /// One finding: `code`, `severity`, `message`, then its details (a
    /// reserved key prefixed with `detail-`).
    pub(crate) fn write_finding(&mut self, out: &mut String, f: &Finding) {
        out.push_str("{\"code\":\"");
        out.push_str(f.code.as_str());
        out.push_str("\",\"severity\":\"");
        out.push_str(f.severity.as_str());
        out.push_str("\",\"message\":");
        push_str(out, &f.message);
        for d in &f.details {
            out.push(',');
            if RESERVED.contains(&d.key) || d.key.starts_with("detail-") {
                push_str(out, &format!("detail-{}", d.key));
            } else {
                push_str(out, d.key);
            }
            out.push(':');
            match &d.value {
                DetailValue::Text(t) => push_str(out, t),
                DetailValue::List(l) => push_list(out, l.iter().map(String::as_str)),
                DetailValue::StaticList(l) => self.push_static_list(out, l),
                DetailValue::Count(n) => push_u64(out, *n),
            }
        }
        out.push('}');
    }

    /// A static list, from its JSON text when it was written before.
    fn push_static_list(&mut self, out: &mut String, list: &'static [&'static str]) {
        if let Some((_, text)) = self.lists.iter().find(|(l, _)| std::ptr::eq(*l, list)) {
            out.push_str(text);
            return;
        }
        let start = out.len();
        push_list(out, list.iter().copied());
        if self.lists.len() < LISTS_KEPT {
            self.lists.push((list, out[start..].to_owned()));
        }
    }
}

/// One receiver entry of a record: `id`, `verdict`, `score`, `rules`,
/// `source` (its `details` are left to `explain` and `classify`).
fn push_receiver(out: &mut String, e: &ReceiverVerdict) {
    use std::fmt::Write as _;
    out.push_str("{\"id\":\"");
    out.push_str(e.id.as_str());
    out.push_str("\",\"verdict\":\"");
    out.push_str(e.verdict.as_str());
    out.push_str("\",\"score\":");
    match e.score {
        Some(score) => {
            let _ = write!(out, "{score}");
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"rules\":");
    push_list(out, e.rules.iter().map(|r| &**r));
    out.push_str(",\"source\":");
    push_str(out, &e.source);
    out.push('}');
}

/// `,"datacenter":…,"block":…,"policy":…,"source":{…}`.
fn block_fields(out: &mut String, block: &BlockInfo) {
    use std::fmt::Write as _;
    out.push_str(",\"datacenter\":");
    push_str(out, &block.datacenter);
    out.push_str(",\"block\":\"");
    let _ = write!(out, "{}", block.cidr);
    out.push_str("\",\"policy\":\"");
    out.push_str(block.policy.as_str());
    out.push_str("\",\"source\":{\"file\":");
    push_str(out, &block.source.file.to_string_lossy());
    out.push_str(",\"line\":");
    push_u64(out, u64::from(block.source.line));
    out.push('}');
}

fn push_names(out: &mut String, names: &[DnsName]) {
    push_list(out, names.iter().map(DnsName::as_str));
}

fn push_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

fn push_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_str(out, s),
        None => out.push_str("null"),
    }
}
