//! Reading an accepted reply: the structural checks every reply passes
//! ([`check_reply`]) and the walk of its answer section along the CNAME chain
//! from the question's name ([`walk_answer`]). The engine uses both on every
//! reply; [`read_reply`] runs the same two on one message by itself, for fuzz
//! targets and benchmarks.

use std::net::IpAddr;

use ptr_audit_model::DnsName;

use crate::packet::{
    self, CLASS_IN, Header, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_PTR, Tail, WireError,
};

/// CNAMEs followed per question before giving up with `CnameLoop`.
pub(crate) const MAX_HOPS: u32 = 8;
/// Addresses kept per forward answer.
pub(crate) const MAX_FORWARD_ADDRS: usize = 100;

/// Wire-form names stored end to end in one reusable buffer.
#[derive(Default)]
pub(crate) struct NameList {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl NameList {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends the name in the RDATA of `rr` (PTR or CNAME).
    fn push_rdata_name(&mut self, msg: &[u8], rr: &packet::Rr) -> Result<(), WireError> {
        let start = self.bytes.len();
        match packet::append_rdata_name(msg, rr, &mut self.bytes) {
            Ok(()) => {
                self.ends.push(self.bytes.len());
                Ok(())
            }
            Err(e) => {
                self.bytes.truncate(start);
                Err(e)
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let name = &self.bytes[start..end];
            start = end;
            name
        })
    }
}

/// The CNAME chain of one question across its replies: hops taken and the
/// lower-cased names met (loop detection).
#[derive(Default)]
pub(crate) struct Trail {
    pub(crate) hops: u32,
    pub(crate) seen: Vec<Vec<u8>>,
}

impl Trail {
    pub(crate) fn clear(&mut self) {
        self.hops = 0;
        self.seen.clear();
    }
}

/// What a walk found, in reusable buffers (cleared by [`walk_answer`]).
#[derive(Default)]
pub(crate) struct Found {
    /// PTR names kept: at most this many.
    pub(crate) max_names: usize,
    /// PTR names of the chain's end.
    pub(crate) names: NameList,
    /// A or AAAA addresses of the chain's end (at most [`MAX_FORWARD_ADDRS`]).
    pub(crate) addrs: Vec<IpAddr>,
    /// CNAME targets followed in this reply (PTR questions only).
    pub(crate) chain: Vec<DnsName>,
    /// The chain went through at least one CNAME in this reply.
    pub(crate) advanced: bool,
}

/// The structural checks every reply passes before it is accepted: a response
/// to a standard query, with our question, and sections that parse (names are
/// skipped, not followed: see [`packet`]). Returns the offset of the answer
/// section and what the tail says; `None` for a reply to something else.
pub(crate) fn check_reply(
    msg: &[u8],
    header: &Header,
    qname: &[u8],
    qtype: u16,
) -> Result<Option<(usize, Tail)>, WireError> {
    if !header.is_response() || header.opcode() != 0 {
        return Ok(None);
    }
    let Some(off) = packet::question_matches(msg, header, qname, qtype)? else {
        return Ok(None);
    };
    let end = packet::for_each_rr(msg, off, header.ancount, |_| Ok(()))?;
    let tail = packet::read_tail(msg, header, end)?;
    Ok(Some((off, tail)))
}

/// Walks the answer section (at `off`) from `cur` along its CNAMEs: records
/// of type `want` owned by the chain's end go to `found`; `cur` is left at the
/// chain's end. Returns true when the chain loops or passes [`MAX_HOPS`]
/// (counted in `trail`, across replies).
pub(crate) fn walk_answer(
    msg: &[u8],
    header: &Header,
    off: usize,
    want: u16,
    cur: &mut Vec<u8>,
    trail: &mut Trail,
    found: &mut Found,
) -> Result<bool, WireError> {
    found.names.clear();
    found.addrs.clear();
    found.chain.clear();
    found.advanced = false;
    let max_names = found.max_names.max(1);
    loop {
        let mut matched = false;
        packet::for_each_rr(msg, off, header.ancount, |rr| {
            if rr.rtype == want && rr.class == CLASS_IN && packet::name_eq(msg, rr.owner, cur)? {
                matched = true;
                if want == TYPE_PTR {
                    if found.names.len() < max_names {
                        found.names.push_rdata_name(msg, &rr)?;
                    }
                } else if found.addrs.len() < MAX_FORWARD_ADDRS {
                    found.addrs.push(packet::rdata_addr(msg, &rr)?);
                }
            }
            Ok(())
        })?;
        if matched {
            return Ok(false);
        }
        let mut next: Option<Vec<u8>> = None;
        packet::for_each_rr(msg, off, header.ancount, |rr| {
            if next.is_none()
                && rr.rtype == TYPE_CNAME
                && rr.class == CLASS_IN
                && packet::name_eq(msg, rr.owner, cur)?
            {
                let mut n = Vec::new();
                packet::rdata_name(msg, &rr, &mut n)?;
                next = Some(n);
            }
            Ok(())
        })?;
        let Some(next) = next else { return Ok(false) };
        trail.hops += 1;
        if trail.seen.is_empty() {
            // the first hop of the question: `cur` is still its name
            let mut first = cur.clone();
            packet::lowercase_wire(&mut first);
            trail.seen.push(first);
        }
        let mut key = next.clone();
        packet::lowercase_wire(&mut key);
        if trail.hops > MAX_HOPS || trail.seen.contains(&key) {
            return Ok(true);
        }
        trail.seen.push(key);
        if want == TYPE_PTR {
            found
                .chain
                .push(DnsName::from_labels(packet::labels(&next)));
        }
        cur.clear();
        cur.extend_from_slice(&next);
        found.advanced = true;
    }
}

/// What [`read_reply`] read from a reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyView {
    /// The message ID.
    pub id: u16,
    /// The response code, EDNS extended bits included.
    pub rcode: u16,
    /// TC: the reply was truncated.
    pub truncated: bool,
    /// AA: an authoritative answer.
    pub authoritative: bool,
    /// The CNAME targets followed from the question's name.
    pub cname_chain: Vec<DnsName>,
    /// True when the chain loops or is longer than the scanner follows.
    pub cname_loop: bool,
    /// PTR names of the chain's end (PTR questions; at most 100).
    pub names: Vec<DnsName>,
    /// Addresses of the chain's end (A and AAAA questions; at most 100).
    pub addresses: Vec<IpAddr>,
}

/// Why [`read_reply`] refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// Not a response to a standard query with exactly one PTR, A or AAAA
    /// question: the scanner ignores it like a reply to another query.
    #[error("not a response to a query with one question")]
    Unrelated,
    /// The message cannot be read.
    #[error("malformed reply: {0}")]
    Malformed(#[from] WireError),
}

/// Reads `msg` as the scanner reads a reply to the question it carries:
/// the header, the question (which must be the only one), the structural
/// checks of every section and the walk of the answer section along its
/// CNAMEs, with the same caps ([`MAX_POINTERS`](crate::MAX_POINTERS)
/// compression pointers per name, 8 CNAMEs, 100 names). The entry point of
/// the reply walker's fuzz target and of the hostile-reply benchmark
/// (`cargo run --release -p ptr-audit-scan --example hostile_reply`); it
/// never panics and its cost grows linearly with the message.
pub fn read_reply(msg: &[u8]) -> Result<ReplyView, ReplyError> {
    let header = Header::parse(msg)?;
    if header.qdcount != 1 {
        return Err(ReplyError::Unrelated);
    }
    let mut qname = Vec::with_capacity(packet::MAX_NAME);
    packet::append_name(msg, 12, &mut qname)?;
    let off = packet::skip_name(msg, 12)?;
    let qtype = packet::u16_at(msg, off)?;
    if ![TYPE_PTR, TYPE_A, TYPE_AAAA].contains(&qtype) {
        return Err(ReplyError::Unrelated);
    }
    let Some((off, tail)) = check_reply(msg, &header, &qname, qtype)? else {
        return Err(ReplyError::Unrelated);
    };
    let mut found = Found {
        max_names: 100,
        ..Found::default()
    };
    let mut trail = Trail::default();
    let cname_loop = walk_answer(msg, &header, off, qtype, &mut qname, &mut trail, &mut found)?;
    Ok(ReplyView {
        id: header.id,
        rcode: tail.rcode,
        truncated: header.truncated(),
        authoritative: header.authoritative(),
        cname_chain: found.chain,
        cname_loop,
        names: found
            .names
            .iter()
            .map(|n| DnsName::from_labels(packet::labels(n)))
            .collect(),
        addresses: found.addrs,
    })
}
