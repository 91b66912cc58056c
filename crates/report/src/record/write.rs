//! The hand writer of records: compact JSON, byte for byte what serde_json
//! writes for the reference view (tested in `reference`), without the
//! serializer machinery, and the JSON primitives it is made of.

use std::net::IpAddr;
use std::sync::Arc;

use ptr_audit_model::{
    AddressRecord, BlockInfo, DetailValue, DnsName, DnsblAnswer, Finding, ForwardAnswer, PtrAnswer,
    ReceiverVerdict,
};

use super::{RESERVED, dnsbl_result, failure_text, forward_text, ptr_names, result_keyword};

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
        out.push_str(result_keyword(&lookup.answer));
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
            self.push_finding(out, f);
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
            out.push_str(dnsbl_result(answer));
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

    fn push_finding(&mut self, out: &mut String, f: &Finding) {
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

/// A JSON string, escaped the way serde_json escapes: `"` and `\` with a
/// backslash, the control characters with their short forms or `\u00xx`,
/// everything else (including non-ASCII) as is.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Ok(word) = <[u8; 8]>::try_from(chunk)
            && !may_need_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if b >= 0x20 && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        // Splitting before an ASCII byte is always on a char boundary.
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        i += 1;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// False only when no byte of `w` is a control character, `"` or `\`
/// (it may say true for a word that needs nothing: the bytes are then
/// checked one by one).
fn may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| below(x, 1);
    (below(w, 0x20) | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// An unsigned integer in decimal.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// Appends bytes known to be ASCII digits and dots.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// An address as its `Display` writes it (IPv4 without the formatter).
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let mut n = 0;
            for (k, o) in v4.octets().into_iter().enumerate() {
                if k > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                if o >= 100 {
                    buf[n] = b'0' + o / 100;
                    n += 1;
                }
                if o >= 10 {
                    buf[n] = b'0' + o / 10 % 10;
                    n += 1;
                }
                buf[n] = b'0' + o % 10;
                n += 1;
            }
            push_ascii(out, &buf[..n]);
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_serde_at_every_position() {
        let specials = ['"', '\\', '\u{0}', '\n', '\u{1f}', '\u{7f}', 'é', '☃', 'a'];
        let mut checked = 0;
        for len in 0..20 {
            for pos in 0..len {
                for sp in specials {
                    let text: String = (0..len).map(|k| if k == pos { sp } else { 'x' }).collect();
                    let mut got = String::new();
                    push_str(&mut got, &text);
                    assert_eq!(got, serde_json::to_string(&text).unwrap(), "{text:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * (0..20).sum::<usize>());
    }

    #[test]
    fn integers_and_addresses() {
        for o in 0..=255u8 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(o, 255 - o, o / 3, o % 7));
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
        for n in [0, 9, 10, 99, 100, 4_294_967_295, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for ip in [
            "0.0.0.0",
            "1.22.133.255",
            "100.109.110.9",
            "200.20.2.0",
            "::",
            "fe80::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }
}
