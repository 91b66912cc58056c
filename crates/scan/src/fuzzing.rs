//! A whole reply read two ways, for the differential tests of `packet` and for
//! the `dns_reply` fuzz target in `fuzz/` (feature `fuzzing`): [`parse`] reads
//! every section with this crate's walker, [`parse_hickory`] with
//! hickory-proto's decoder, and [`reply`] checks what the scanner relies on for
//! any bytes a server may send, [`crate::read_reply`] included.

use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR};
use hickory_proto::rr::{Name, RData};
use ptr_audit_model::DnsName;

use crate::answer::MAX_HOPS;
use crate::packet::{
    self, CLASS_IN, Header, MAX_NAME, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_PTR, WireError,
};

/// A message as `packet` reads it, for comparison with hickory-proto.
#[derive(Debug, PartialEq)]
pub(crate) struct Parsed {
    pub(crate) id: u16,
    pub(crate) response: bool,
    pub(crate) truncated: bool,
    pub(crate) authoritative: bool,
    pub(crate) rcode: u16,
    pub(crate) questions: Vec<(Vec<u8>, u16, u16)>,
    pub(crate) answers: Vec<(Vec<u8>, u16, u32, Data)>,
}

/// The RDATA kinds the scanner reads.
#[derive(Debug, PartialEq)]
pub(crate) enum Data {
    Name(Vec<u8>),
    Addr(IpAddr),
    Other,
}

/// Reads a whole message with `packet`'s functions.
pub(crate) fn parse(msg: &[u8]) -> Result<Parsed, WireError> {
    let h = Header::parse(msg)?;
    let mut off = 12;
    let mut questions = Vec::new();
    for _ in 0..h.qdcount {
        let mut name = Vec::new();
        off = packet::read_name(msg, off, &mut name)?;
        questions.push((
            name,
            packet::u16_at(msg, off)?,
            packet::u16_at(msg, off + 2)?,
        ));
        off += 4;
    }
    let mut answers = Vec::new();
    let off = packet::for_each_rr(msg, off, h.ancount, |rr| {
        let mut owner = Vec::new();
        packet::read_name(msg, rr.owner, &mut owner)?;
        let data = match rr.rtype {
            TYPE_PTR | TYPE_CNAME => {
                let mut n = Vec::new();
                packet::rdata_name(msg, &rr, &mut n)?;
                Data::Name(n)
            }
            TYPE_A | TYPE_AAAA => Data::Addr(packet::rdata_addr(msg, &rr)?),
            _ => Data::Other,
        };
        answers.push((owner, rr.rtype, rr.ttl, data));
        Ok(())
    })?;
    let tail = packet::read_tail(msg, &h, off)?;
    Ok(Parsed {
        id: h.id,
        response: h.is_response(),
        truncated: h.truncated(),
        authoritative: h.authoritative(),
        rcode: tail.rcode,
        questions,
        answers,
    })
}

/// A hickory name in uncompressed wire form, root byte included.
pub(crate) fn wire_name(name: &Name) -> Vec<u8> {
    let mut out = Vec::new();
    for l in name.iter() {
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
    out
}

/// The same view, built from hickory-proto's decoder.
pub(crate) fn parse_hickory(msg: &[u8]) -> Option<Parsed> {
    let m = Message::from_vec(msg).ok()?;
    let answers = m
        .answers
        .iter()
        .map(|r| {
            let data = match &r.data {
                RData::PTR(PTR(n)) | RData::CNAME(CNAME(n)) => Data::Name(wire_name(n)),
                RData::A(A(a)) => Data::Addr(IpAddr::V4(*a)),
                RData::AAAA(AAAA(a)) => Data::Addr(IpAddr::V6(*a)),
                _ => Data::Other,
            };
            (wire_name(&r.name), u16::from(r.record_type()), r.ttl, data)
        })
        .collect();
    Some(Parsed {
        id: m.metadata.id,
        response: m.metadata.message_type == MessageType::Response,
        truncated: m.metadata.truncation,
        authoritative: m.metadata.authoritative,
        rcode: u16::from(m.metadata.response_code),
        questions: m
            .queries
            .iter()
            .map(|q| {
                (
                    wire_name(q.name()),
                    u16::from(q.query_type()),
                    u16::from(q.query_class()),
                )
            })
            .collect(),
        answers,
    })
}

/// Reads `msg` as the scanner reads a reply and panics when something the
/// scanner relies on does not hold: every decoded name fits in 255 octets,
/// compares equal to itself where it is written (the compression fast paths
/// of `name_eq` included, in any letter case), splits into labels that
/// rebuild it, and becomes an ASCII [`DnsName`]; a reply to its own question
/// passes the engine's structural check, and [`crate::read_reply`] keeps to
/// its caps; and where hickory-proto reads the
/// message too, both read the same header, questions and answer records.
pub fn reply(msg: &[u8]) {
    let ours = parse(msg);
    if let Ok(ours) = &ours {
        for (name, ..) in &ours.questions {
            check_name(name);
        }
        for (owner, _, _, data) in &ours.answers {
            check_name(owner);
            if let Data::Name(n) = data {
                check_name(n);
            }
        }
        if let Some(theirs) = parse_hickory(msg) {
            assert_eq!(ours.id, theirs.id, "id");
            assert_eq!(ours.questions, theirs.questions, "questions");
            assert_eq!(ours.answers, theirs.answers, "answers");
        }
    }
    let Ok(header) = Header::parse(msg) else {
        return;
    };
    // The question as written, asked back: the engine's check must find it.
    let mut qname = Vec::new();
    let Ok(off) = packet::read_name(msg, 12, &mut qname) else {
        return;
    };
    let Ok(qtype) = packet::u16_at(msg, off) else {
        return;
    };
    let mut flipped = qname.clone();
    flip_case(&mut flipped);
    for want in [&qname, &flipped] {
        assert_eq!(
            packet::name_eq(msg, 12, want),
            Ok(true),
            "the question equals itself"
        );
    }
    let checked = crate::answer::check_reply(msg, &header, &qname, qtype);
    let class_in = packet::u16_at(msg, off + 2) == Ok(CLASS_IN);
    if let (Ok(parsed), Ok(checked)) = (&ours, &checked) {
        let expected = parsed.response && header.opcode() == 0 && header.qdcount == 1 && class_in;
        assert_eq!(
            checked.is_some(),
            expected,
            "the engine accepts its own question"
        );
    }
    // The scanner's whole reading of a reply to the question it carries.
    if let Ok(view) = crate::read_reply(msg) {
        for name in view.names.iter().chain(&view.cname_chain) {
            assert!(
                name.as_str().bytes().all(|b| b.is_ascii_graphic()),
                "{:?} is printable ASCII",
                name.as_str()
            );
        }
        assert!(
            view.names.len() <= 100 && view.addresses.len() <= 100,
            "caps"
        );
        assert!(view.cname_chain.len() <= MAX_HOPS as usize, "CNAME hops");
    }
    if let Ok(Some((answers, _))) = checked {
        let _ = packet::for_each_rr(msg, answers, header.ancount, |rr| {
            let mut owner = Vec::new();
            packet::read_name(msg, rr.owner, &mut owner)?;
            flip_case(&mut owner);
            assert_eq!(
                packet::name_eq(msg, rr.owner, &owner),
                Ok(true),
                "an owner equals itself"
            );
            Ok(())
        });
    }
}

/// Checks one decoded name (uncompressed wire form, root byte included).
fn check_name(name: &[u8]) {
    assert!(name.len() <= MAX_NAME, "name of {} octets", name.len());
    let labels: Vec<&[u8]> = packet::labels(name).collect();
    let mut rebuilt = Vec::new();
    for l in &labels {
        rebuilt.push(l.len() as u8);
        rebuilt.extend_from_slice(l);
    }
    rebuilt.push(0);
    assert_eq!(rebuilt, name, "labels rebuild the name");
    let text = DnsName::from_labels(labels);
    assert!(
        text.as_str().bytes().all(|b| b.is_ascii_graphic()),
        "presentation form {:?} is printable ASCII",
        text.as_str()
    );
}

/// Swaps the case of ASCII letters in a wire-form name (length bytes are
/// below `A` and stay as they are).
fn flip_case(name: &mut [u8]) {
    for b in name {
        if b.is_ascii_alphabetic() {
            *b ^= 0x20;
        }
    }
}
