//! The hot-path wire format: a query builder that writes reverse names straight
//! into the packet, and a bounds-checked, loop-safe walker over responses.
//!
//! Nothing here allocates except where a caller asks for an owned name. Every
//! read is bounds-checked; compression pointers must point strictly backwards
//! (before the label sequence that holds them), so a pointer loop is impossible,
//! a name may follow at most [`MAX_POINTERS`] of them (a hostile reply made of
//! thousands of pointers to pointers costs no more than a few names), skipping
//! a name stops at its first pointer, and a decoded name is limited to 255
//! octets. Malformed input gives [`WireError`], never a panic.

use std::net::IpAddr;

/// Record type A.
pub(crate) const TYPE_A: u16 = 1;
/// Record type NS.
pub(crate) const TYPE_NS: u16 = 2;
/// Record type CNAME.
pub(crate) const TYPE_CNAME: u16 = 5;
/// Record type SOA.
pub(crate) const TYPE_SOA: u16 = 6;
/// Record type PTR.
pub(crate) const TYPE_PTR: u16 = 12;
/// Record type AAAA.
pub(crate) const TYPE_AAAA: u16 = 28;
/// Record type OPT (EDNS).
pub(crate) const TYPE_OPT: u16 = 41;
/// Class IN.
pub(crate) const CLASS_IN: u16 = 1;
/// The EDNS UDP payload size we advertise (the DNS flag day 2020 value).
pub(crate) const EDNS_PAYLOAD: u16 = 1232;
/// The longest name on the wire, root byte included.
pub(crate) const MAX_NAME: usize = 255;
/// The largest reply accepted over UDP to a query without EDNS (RFC 1035
/// 4.2.1); with EDNS it is [`EDNS_PAYLOAD`]. Anything larger was not asked for.
pub(crate) const PLAIN_UDP_PAYLOAD: usize = 512;
/// Compression pointers followed per name. A name has at most 127 labels and
/// a compressor writes at most one pointer per suffix, so no honest name needs
/// more than 128; Unbound stops at 256. Each hop of a hostile chain costs a
/// few nanoseconds, so the cap bounds a name's cost.
pub const MAX_POINTERS: usize = 128;

/// Why a DNS message could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The packet ended early.
    #[error("the message ends early")]
    Short,
    /// A label type other than a plain label or a pointer.
    #[error("a label type other than a label or a compression pointer")]
    BadLabel,
    /// A compression pointer that does not point strictly backwards.
    #[error("a compression pointer that does not point backwards")]
    BadPointer,
    /// A name that follows more than [`MAX_POINTERS`] compression pointers.
    #[error("a name that follows more than {MAX_POINTERS} compression pointers")]
    TooManyPointers,
    /// A name longer than 255 octets.
    #[error("a name longer than 255 octets")]
    NameTooLong,
}

/// Reads a big-endian u16 at `off`.
pub(crate) fn u16_at(msg: &[u8], off: usize) -> Result<u16, WireError> {
    match msg.get(off..off + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => Err(WireError::Short),
    }
}

/// Reads a big-endian u32 at `off`.
fn u32_at(msg: &[u8], off: usize) -> Result<u32, WireError> {
    match msg.get(off..off + 4) {
        Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(WireError::Short),
    }
}

/// Appends the reverse name of `ip` (`d.c.b.a.in-addr.arpa.` or the 32 nibbles
/// of `ip6.arpa.`) to `out` in wire form.
pub(crate) fn push_reverse_name(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for octet in v4.octets().iter().rev() {
                let mut digits = [0u8; 3];
                let mut n = *octet;
                let mut len = 0;
                loop {
                    digits[len] = b'0' + n % 10;
                    len += 1;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                out.push(len as u8);
                out.extend(digits[..len].iter().rev());
            }
            out.extend_from_slice(b"\x07in-addr\x04arpa\x00");
        }
        IpAddr::V6(v6) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for byte in v6.octets().iter().rev() {
                out.extend_from_slice(&[
                    1,
                    HEX[usize::from(byte & 0x0f)],
                    1,
                    HEX[usize::from(byte >> 4)],
                ]);
            }
            out.extend_from_slice(b"\x03ip6\x04arpa\x00");
        }
    }
}

/// Writes a complete query into `out` (cleared first): one question, RD set,
/// with an EDNS OPT record advertising [`EDNS_PAYLOAD`] when `edns` is true.
/// `qname` is a wire-form name ending with the root byte.
pub(crate) fn build_query(out: &mut Vec<u8>, id: u16, qname: &[u8], qtype: u16, edns: bool) {
    out.clear();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // QR=0, opcode QUERY, RD=1
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns)]);
    out.extend_from_slice(qname);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    if edns {
        // root owner, type OPT, class = payload size, ttl 0 (ext rcode, version, flags), rdlen 0
        out.push(0);
        out.extend_from_slice(&TYPE_OPT.to_be_bytes());
        out.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    }
}

/// Sets or clears the RD (recursion desired) bit of a query built by
/// [`build_query`] (cleared when asking authoritative servers directly).
pub(crate) fn set_recursion_desired(query: &mut [u8], rd: bool) {
    if let Some(flags) = query.get_mut(2) {
        if rd {
            *flags |= 0x01;
        } else {
            *flags &= !0x01;
        }
    }
}

/// Lower-cases ASCII letters of a wire-form name in place (length bytes are
/// below `A`, so they are never touched).
pub(crate) fn lowercase_wire(name: &mut [u8]) {
    name.make_ascii_lowercase();
}

/// Splits a wire-form name (as produced by [`read_name`]) into its labels,
/// without the root label.
pub(crate) fn labels(name: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let len = usize::from(*name.get(pos)?);
        if len == 0 {
            return None;
        }
        let label = name.get(pos + 1..pos + 1 + len)?;
        pos += 1 + len;
        Some(label)
    })
}

/// Follows the name at `off`, calling `label` for each label, and returns the
/// offset just after the name as it is written at `off`.
fn walk_name(
    msg: &[u8],
    off: usize,
    mut label: impl FnMut(&[u8]) -> bool,
) -> Result<usize, WireError> {
    let mut pos = off;
    // Pointers must point before the start of the run that holds them: each
    // jump strictly lowers `run_start`, so the walk always ends.
    let mut run_start = off;
    let mut end = None;
    let mut total = 1usize; // the root byte
    let mut hops = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Short)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Ok(end.unwrap_or(pos + 1));
                }
                let l = usize::from(len);
                let bytes = msg.get(pos + 1..pos + 1 + l).ok_or(WireError::Short)?;
                total += 1 + l;
                if total > MAX_NAME {
                    return Err(WireError::NameTooLong);
                }
                if !label(bytes) {
                    return Ok(0);
                }
                pos += 1 + l;
            }
            0xc0 => {
                let target = usize::from(u16_at(msg, pos)? & 0x3fff);
                if target >= run_start {
                    return Err(WireError::BadPointer);
                }
                hops += 1;
                if hops > MAX_POINTERS {
                    return Err(WireError::TooManyPointers);
                }
                if end.is_none() {
                    end = Some(pos + 2);
                }
                run_start = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Decodes the (possibly compressed) name at `off` into `out` in uncompressed
/// wire form, root byte included, and returns the offset after it.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_name(msg: &[u8], off: usize, out: &mut Vec<u8>) -> Result<usize, WireError> {
    out.clear();
    append_name(msg, off, out)
}

/// Like [`read_name`], appending to `out` (which may be left with part of a
/// name on error).
pub(crate) fn append_name(msg: &[u8], off: usize, out: &mut Vec<u8>) -> Result<usize, WireError> {
    let next = walk_name(msg, off, |l| {
        out.push(l.len() as u8);
        out.extend_from_slice(l);
        true
    })?;
    out.push(0);
    Ok(next)
}

/// Skips the name at `off`, returning the offset after it. Stops at the
/// name's first compression pointer (checking only that it points backwards):
/// what lies behind it is read when the name is compared or decoded, so
/// skipping a record costs the same whatever its owner's chain.
pub(crate) fn skip_name(msg: &[u8], off: usize) -> Result<usize, WireError> {
    let mut pos = off;
    let mut total = 1usize;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Short)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => {
                let l = usize::from(len);
                total += 1 + l;
                if total > MAX_NAME {
                    return Err(WireError::NameTooLong);
                }
                pos += 1 + l;
            }
            0xc0 => {
                let target = usize::from(u16_at(msg, pos)? & 0x3fff);
                if target >= off {
                    return Err(WireError::BadPointer);
                }
                return Ok(pos + 2);
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// True when the name at `off` equals the uncompressed wire name `want`,
/// ignoring ASCII case.
pub(crate) fn name_eq(msg: &[u8], off: usize, want: &[u8]) -> Result<bool, WireError> {
    // Fast paths for what servers nearly always send: the name written out at
    // `off` byte for byte as asked, or one pointer back to such a copy (the
    // question). Equal bytes are an equal name: `want` is uncompressed and
    // ends with the root label.
    if msg.get(off..off + want.len()) == Some(want) {
        return Ok(true);
    }
    if let Some(&[hi, lo]) = msg.get(off..off + 2)
        && hi & 0xC0 == 0xC0
    {
        let target = usize::from(u16::from_be_bytes([hi & 0x3F, lo]));
        if target < off && msg.get(target..target + want.len()) == Some(want) {
            return Ok(true);
        }
    }
    let mut pos = 0usize;
    let mut equal = true;
    walk_name(msg, off, |l| {
        let len = usize::from(want.get(pos).copied().unwrap_or(0));
        if len != l.len()
            || !want
                .get(pos + 1..pos + 1 + len)
                .is_some_and(|w| w.eq_ignore_ascii_case(l))
        {
            equal = false;
            return false;
        }
        pos += 1 + len;
        true
    })?;
    Ok(equal && want.get(pos) == Some(&0))
}

/// The fixed header of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Message ID.
    pub(crate) id: u16,
    /// The flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub(crate) flags: u16,
    /// Question count.
    pub(crate) qdcount: u16,
    /// Answer count.
    pub(crate) ancount: u16,
    /// Authority count.
    pub(crate) nscount: u16,
    /// Additional count.
    pub(crate) arcount: u16,
}

impl Header {
    /// Reads the 12-byte header.
    pub(crate) fn parse(msg: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            id: u16_at(msg, 0)?,
            flags: u16_at(msg, 2)?,
            qdcount: u16_at(msg, 4)?,
            ancount: u16_at(msg, 6)?,
            nscount: u16_at(msg, 8)?,
            arcount: u16_at(msg, 10)?,
        })
    }
    /// QR: this is a response.
    pub(crate) fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode.
    pub(crate) fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    /// AA: authoritative answer.
    pub(crate) fn authoritative(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    /// TC: truncated.
    pub(crate) fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// RA: recursion available.
    pub(crate) fn recursion_available(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    /// The low four bits of the response code.
    pub(crate) fn rcode_low(&self) -> u16 {
        self.flags & 0x000f
    }
}

/// Checks that the message has exactly one question equal to `qname`/`qtype`/IN
/// and returns the offset after it; `None` when it does not match.
pub(crate) fn question_matches(
    msg: &[u8],
    header: &Header,
    qname: &[u8],
    qtype: u16,
) -> Result<Option<usize>, WireError> {
    if header.qdcount != 1 {
        return Ok(None);
    }
    let same = name_eq(msg, 12, qname)?;
    let off = skip_name(msg, 12)?;
    let t = u16_at(msg, off)?;
    let c = u16_at(msg, off + 2)?;
    Ok((same && t == qtype && c == CLASS_IN).then_some(off + 4))
}

/// One resource record, located in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rr {
    /// Offset of the owner name.
    pub(crate) owner: usize,
    /// Record type.
    pub(crate) rtype: u16,
    /// Record class (for OPT: the payload size).
    pub(crate) class: u16,
    /// TTL (for OPT: extended rcode, version, flags).
    pub(crate) ttl: u32,
    /// Offset of the RDATA.
    pub(crate) rdata: usize,
    /// Length of the RDATA.
    pub(crate) rdlen: usize,
}

/// Reads `count` records starting at `off`, calling `each` for every one, and
/// returns the offset after them.
pub(crate) fn for_each_rr(
    msg: &[u8],
    mut off: usize,
    count: u16,
    mut each: impl FnMut(Rr) -> Result<(), WireError>,
) -> Result<usize, WireError> {
    for _ in 0..count {
        let owner = off;
        off = skip_name(msg, off)?;
        let rtype = u16_at(msg, off)?;
        let class = u16_at(msg, off + 2)?;
        let ttl = u32_at(msg, off + 4)?;
        let rdlen = usize::from(u16_at(msg, off + 8)?);
        let rdata = off + 10;
        if msg.len() < rdata + rdlen {
            return Err(WireError::Short);
        }
        each(Rr {
            owner,
            rtype,
            class,
            ttl,
            rdata,
            rdlen,
        })?;
        off = rdata + rdlen;
    }
    Ok(off)
}

/// Reads the name in the RDATA of a PTR or CNAME record into `out`; the name
/// must fill the RDATA exactly.
pub(crate) fn rdata_name(msg: &[u8], rr: &Rr, out: &mut Vec<u8>) -> Result<(), WireError> {
    out.clear();
    append_rdata_name(msg, rr, out)
}

/// Like [`rdata_name`], appending to `out`.
pub(crate) fn append_rdata_name(msg: &[u8], rr: &Rr, out: &mut Vec<u8>) -> Result<(), WireError> {
    let end = append_name(msg, rr.rdata, out)?;
    if end != rr.rdata + rr.rdlen {
        return Err(WireError::Short);
    }
    Ok(())
}

/// The address in the RDATA of an A or AAAA record.
pub(crate) fn rdata_addr(msg: &[u8], rr: &Rr) -> Result<IpAddr, WireError> {
    let bytes = &msg[rr.rdata..rr.rdata + rr.rdlen];
    match (rr.rtype, bytes.len()) {
        (TYPE_A, 4) => Ok(IpAddr::from(
            <[u8; 4]>::try_from(bytes).map_err(|_| WireError::Short)?,
        )),
        (TYPE_AAAA, 16) => Ok(IpAddr::from(
            <[u8; 16]>::try_from(bytes).map_err(|_| WireError::Short)?,
        )),
        _ => Err(WireError::Short),
    }
}

/// What the authority and additional sections say, as far as classifying a
/// negative answer needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tail {
    /// The authority section holds a SOA (a proper negative answer).
    pub(crate) soa: bool,
    /// The authority section holds NS records (a referral when there is no SOA).
    pub(crate) ns: bool,
    /// The full response code, with the EDNS extended bits merged in.
    pub(crate) rcode: u16,
}

/// Reads the authority and additional sections starting at `off` (the offset
/// after the answer section).
pub(crate) fn read_tail(msg: &[u8], header: &Header, off: usize) -> Result<Tail, WireError> {
    let mut tail = Tail {
        rcode: header.rcode_low(),
        ..Tail::default()
    };
    let off = for_each_rr(msg, off, header.nscount, |rr| {
        match rr.rtype {
            TYPE_SOA => tail.soa = true,
            TYPE_NS => tail.ns = true,
            _ => {}
        }
        Ok(())
    })?;
    for_each_rr(msg, off, header.arcount, |rr| {
        if rr.rtype == TYPE_OPT {
            tail.rcode |= ((rr.ttl >> 24) as u16) << 4;
        }
        Ok(())
    })?;
    Ok(tail)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::str::FromStr;

    use hickory_proto::op::{Message, OpCode, Query, ResponseCode};
    use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR, TXT};
    use hickory_proto::rr::{Name, RData, Record, RecordType};
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{parse, parse_hickory, wire_name as wire};

    #[test]
    fn query_bytes_parse_with_hickory_to_the_expected_question() {
        let cases: [(IpAddr, &str); 3] = [
            (
                Ipv4Addr::new(203, 0, 113, 25).into(),
                "25.113.0.203.in-addr.arpa.",
            ),
            (
                Ipv4Addr::new(0, 10, 255, 1).into(),
                "1.255.10.0.in-addr.arpa.",
            ),
            (
                Ipv6Addr::from_str("2001:db8::1").unwrap().into(),
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            ),
        ];
        for (ip, expect) in cases {
            let mut qname = Vec::new();
            push_reverse_name(&mut qname, ip);
            for edns in [false, true] {
                let mut buf = Vec::new();
                build_query(&mut buf, 0xbeef, &qname, TYPE_PTR, edns);
                let m = Message::from_vec(&buf).expect("hickory parses our query");
                assert_eq!(m.metadata.id, 0xbeef);
                assert_eq!(m.metadata.op_code, OpCode::Query);
                assert!(m.metadata.recursion_desired);
                set_recursion_desired(&mut buf, false);
                let m2 = Message::from_vec(&buf).expect("still parses");
                assert!(!m2.metadata.recursion_desired);
                assert_eq!(m2.queries, m.queries);
                set_recursion_desired(&mut buf, true);
                assert!(Message::from_vec(&buf).unwrap().metadata.recursion_desired);
                assert_eq!(m.queries.len(), 1);
                assert_eq!(m.queries[0].name().to_ascii(), expect);
                assert_eq!(*m.queries[0].name(), Name::from(ip));
                assert_eq!(m.queries[0].query_type(), RecordType::PTR);
                assert_eq!(m.edns.is_some(), edns);
                if edns {
                    assert_eq!(m.max_payload(), EDNS_PAYLOAD);
                }
            }
        }
    }

    fn arb_label() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'B'), Just(b'7'), Just(b'-')],
                1..6
            ),
            proptest::collection::vec(any::<u8>(), 1..64),
            Just(b"0/26".to_vec()),
        ]
    }

    fn arb_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(arb_label(), 0..5).prop_filter_map("name too long", |labels| {
            let mut n = Name::from_labels(labels).ok()?;
            n.set_fqdn(true);
            Some(n)
        })
    }

    fn arb_record(names: Vec<Name>) -> impl Strategy<Value = Record> {
        let pick = proptest::sample::select(names);
        (pick.clone(), pick, 0u8..5, any::<u32>(), any::<[u8; 16]>()).prop_map(
            |(owner, target, kind, ttl, bytes)| {
                let data = match kind {
                    0 => RData::PTR(PTR(target)),
                    1 => RData::CNAME(CNAME(target)),
                    2 => RData::A(A(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
                    3 => RData::AAAA(AAAA(Ipv6Addr::from(bytes))),
                    _ => RData::TXT(TXT::new(vec!["v=x".into()])),
                };
                Record::from_rdata(owner, ttl, data)
            },
        )
    }

    fn arb_message() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(arb_name(), 1..4)
            .prop_flat_map(|names| {
                (
                    Just(names.clone()),
                    proptest::collection::vec(arb_record(names), 0..12),
                    any::<u16>(),
                    prop_oneof![Just(0u16), Just(2), Just(3), Just(5)],
                    any::<bool>(),
                )
            })
            .prop_filter_map("unencodable", |(names, answers, id, rcode, tc)| {
                let mut m = Message::response(id, OpCode::Query);
                m.metadata.response_code = ResponseCode::from_low(rcode as u8);
                m.metadata.truncation = tc;
                m.add_query(Query::query(names[0].clone(), RecordType::PTR));
                m.add_answers(answers);
                m.to_vec().ok()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn walker_agrees_with_hickory_on_valid_messages(msg in arb_message()) {
            let ours = parse(&msg).expect("our walker reads a message hickory wrote");
            let theirs = parse_hickory(&msg).expect("hickory reads its own message");
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn walker_never_panics_on_mutated_messages(
            msg in arb_message(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut bad = msg.clone();
            for (pos, byte) in flips {
                let len = bad.len();
                bad[pos % len] = byte;
            }
            let keep = bad.len() - cut % 4.min(bad.len());
            bad.truncate(keep);
            let ours = parse(&bad);
            // Where both accept the packet, they must read the same records.
            if let (Ok(ours), Some(theirs)) = (ours, parse_hickory(&bad)) {
                prop_assert_eq!(ours.questions, theirs.questions);
                prop_assert_eq!(ours.id, theirs.id);
                prop_assert_eq!(ours.answers.len(), theirs.answers.len());
            }
        }

        #[test]
        fn reverse_queries_for_any_address_parse_with_hickory(
            v4 in any::<[u8; 4]>(),
            v6 in any::<[u8; 16]>(),
            id in any::<u16>(),
            edns in any::<bool>(),
        ) {
            for ip in [IpAddr::from(v4), IpAddr::from(v6)] {
                let mut qname = Vec::new();
                push_reverse_name(&mut qname, ip);
                let mut buf = Vec::new();
                build_query(&mut buf, id, &qname, TYPE_PTR, edns);
                let m = Message::from_vec(&buf).expect("hickory parses our query");
                prop_assert_eq!(m.metadata.id, id);
                prop_assert_eq!(m.queries.len(), 1);
                prop_assert_eq!(m.queries[0].name(), &Name::from(ip));
                prop_assert_eq!(m.queries[0].query_type(), RecordType::PTR);
                prop_assert_eq!(m.edns.is_some(), edns);
            }
        }

        #[test]
        fn walker_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&bytes);
            let h = Header::parse(&bytes);
            if let Ok(h) = h {
                let _ = question_matches(&bytes, &h, b"\x01a\x00", TYPE_PTR);
            }
        }
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_errors() {
        // header + a name that points at itself
        let mut msg = vec![0u8; 12];
        msg[5] = 1;
        msg.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1]);
        assert_eq!(parse(&msg), Err(WireError::BadPointer));
        // a label then a pointer back to that label: a loop through a pointer
        let mut msg = vec![0u8; 12];
        msg[5] = 1;
        msg.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 12, 0, 1]);
        assert_eq!(parse(&msg), Err(WireError::BadPointer));
        // forward pointer
        let mut msg = vec![0u8; 12];
        msg[5] = 1;
        msg.extend_from_slice(&[0xc0, 16, 0, 12, 0, 1, 0]);
        assert_eq!(parse(&msg), Err(WireError::BadPointer));
    }

    #[test]
    fn names_follow_at_most_max_pointers_and_skipping_stops_at_the_first() {
        // a question `a.` at 12, then a chain of pointers, each to the one before
        let chain = |hops: usize| {
            let mut msg = vec![0u8; 12];
            msg.extend_from_slice(b"\x01a\x00");
            let mut last = 12;
            for _ in 0..hops {
                let here = msg.len();
                msg.extend_from_slice(&(0xc000u16 | last as u16).to_be_bytes());
                last = here;
            }
            (msg, last)
        };
        let (msg, last) = chain(MAX_POINTERS);
        let mut name = Vec::new();
        assert_eq!(read_name(&msg, last, &mut name), Ok(last + 2));
        assert_eq!(name, b"\x01a\x00");
        assert_eq!(name_eq(&msg, last, b"\x01A\x00"), Ok(true));
        let (msg, last) = chain(MAX_POINTERS + 1);
        assert_eq!(
            read_name(&msg, last, &mut name),
            Err(WireError::TooManyPointers)
        );
        assert_eq!(
            name_eq(&msg, last, b"\x01a\x00"),
            Err(WireError::TooManyPointers)
        );
        // skipping looks at the first pointer only
        assert_eq!(skip_name(&msg, last), Ok(last + 2));
        assert_eq!(skip_name(&[0xc0, 0], 0), Err(WireError::BadPointer));
    }

    #[test]
    fn names_longer_than_255_octets_are_errors() {
        let mut msg = vec![0u8; 12];
        msg[5] = 1;
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'x'; 63]);
        }
        msg.extend_from_slice(&[0, 0, 12, 0, 1]);
        assert_eq!(parse(&msg), Err(WireError::NameTooLong));
    }

    #[test]
    fn name_eq_ignores_case_and_follows_pointers() {
        let mut m = Message::response(7, OpCode::Query);
        let q = Name::from_ascii("25.113.0.203.in-addr.arpa.").unwrap();
        m.add_query(Query::query(q.clone(), RecordType::PTR));
        m.add_answer(Record::from_rdata(
            q.clone(),
            60,
            RData::PTR(PTR(Name::from_ascii("Mail.Example.").unwrap())),
        ));
        let msg = m.to_vec().unwrap();
        let h = Header::parse(&msg).unwrap();
        let want = wire(&Name::from_ascii("25.113.0.203.IN-ADDR.arpa.").unwrap());
        let off = question_matches(&msg, &h, &want, TYPE_PTR)
            .unwrap()
            .expect("matches");
        let mut seen = 0;
        for_each_rr(&msg, off, h.ancount, |rr| {
            assert!(name_eq(&msg, rr.owner, &want)?);
            assert!(!name_eq(&msg, rr.owner, b"\x0225\x00")?);
            let mut n = Vec::new();
            rdata_name(&msg, &rr, &mut n)?;
            assert_eq!(n, b"\x04Mail\x07Example\x00");
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 1);
        assert_eq!(question_matches(&msg, &h, &want, TYPE_A).unwrap(), None);
    }
}
