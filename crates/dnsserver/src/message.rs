//! Raw DNS message helpers for the fault proxy: header ID, the question,
//! and replies synthesised from a query.

use hickory_proto::rr::{Name, RecordType};

use crate::zone::display_name;

/// Length of the DNS header.
pub(crate) const HEADER_LEN: usize = 12;

/// The question of a query as the proxy keys it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Question {
    /// Lower-case presentation form with a final dot (`/` kept as is).
    pub(crate) name: String,
    /// The type's mnemonic (`PTR`, `A`, ...).
    pub(crate) qtype: String,
    /// Offset just past the question (name, type, class).
    pub(crate) end: usize,
}

/// The message ID, if the packet has a header.
pub(crate) fn id(packet: &[u8]) -> Option<u16> {
    (packet.len() >= HEADER_LEN).then(|| u16::from_be_bytes([packet[0], packet[1]]))
}

/// Parses the first question of a query (uncompressed, as queries are).
pub(crate) fn question(packet: &[u8]) -> Option<Question> {
    if packet.len() < HEADER_LEN || u16::from_be_bytes([packet[4], packet[5]]) == 0 {
        return None;
    }
    let mut pos = HEADER_LEN;
    let mut labels: Vec<&[u8]> = Vec::new();
    loop {
        let len = usize::from(*packet.get(pos)?);
        if len == 0 {
            pos += 1;
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(packet.get(pos + 1..pos + 1 + len)?);
        pos += 1 + len;
    }
    let qtype = u16::from_be_bytes([*packet.get(pos)?, *packet.get(pos + 1)?]);
    packet.get(pos + 3)?;
    let name = Name::from_labels(labels).ok()?;
    Some(Question {
        name: display_name(&name).to_ascii_lowercase(),
        qtype: RecordType::from(qtype).to_string(),
        end: pos + 4,
    })
}

/// A reply to `query` with `rcode`, no records, and TC set if `truncated`:
/// header and question copied from the query (EDNS dropped).
pub(crate) fn empty_reply(query: &[u8], q: &Question, rcode: u8, truncated: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(q.end);
    out.extend_from_slice(&query[..2]);
    // QR=1, opcode copied, AA=1, TC as asked, RD copied.
    let opcode_rd = query[2] & 0b0111_1001;
    let tc = if truncated { 0b0000_0010 } else { 0 };
    out.push(0b1000_0100 | opcode_rd | tc);
    out.push(rcode & 0x0f);
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&query[HEADER_LEN..q.end]);
    out
}

/// `reply` with its question's first letter changed (compression pointers
/// make the answers follow), or, for the root, with another ID.
pub(crate) fn wrong_question(mut reply: Vec<u8>) -> Vec<u8> {
    if reply.len() > HEADER_LEN + 1 && reply[HEADER_LEN] > 0 {
        let b = &mut reply[HEADER_LEN + 1];
        *b = if b.eq_ignore_ascii_case(&b'x') {
            b'y'
        } else {
            b'x'
        };
        reply
    } else {
        wrong_id(reply)
    }
}

/// `reply` with another message ID.
pub(crate) fn wrong_id(mut reply: Vec<u8>) -> Vec<u8> {
    if reply.len() >= 2 {
        reply[0] ^= 0x5a;
        reply[1] ^= 0xa5;
    }
    reply
}

/// A malformed reply keeping the query's ID: either a header claiming
/// records followed by garbage, or the real reply cut short.
pub(crate) fn malformed(query: &[u8], real: Option<&[u8]>, noise: u64) -> Vec<u8> {
    match real {
        Some(real) if noise & 1 == 1 && real.len() > HEADER_LEN + 2 => {
            let cut = HEADER_LEN + 1 + (noise >> 8) as usize % (real.len() - HEADER_LEN - 2);
            real[..cut].to_vec()
        }
        _ => {
            let mut out = query[..2].to_vec();
            // A response, NOERROR, 1 question and 3 answers that are not there.
            out.extend_from_slice(&[0x84, 0x00, 0, 1, 0, 3, 0, 0, 0, 0]);
            out.extend((0..24).map(|i| (noise.rotate_left(i * 7) & 0xff) as u8 | 0xc0));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};

    fn query(name: &str) -> Vec<u8> {
        let mut m = Message::new(0x1234, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        let name = Name::from_labels(name.split('.').map(str::as_bytes)).unwrap();
        m.add_query(Query::query(name, RecordType::PTR));
        m.to_vec().unwrap()
    }

    #[test]
    fn question_reads_slash_labels() {
        let q = question(&query("10.0/26.2.0.192.In-Addr.arpa")).unwrap();
        assert_eq!(q.name, "10.0/26.2.0.192.in-addr.arpa.");
        assert_eq!(q.qtype, "PTR");
    }

    #[test]
    fn empty_reply_parses_back_with_hickory() {
        let raw = query("5.113.0.203.in-addr.arpa");
        let q = question(&raw).unwrap();
        let m = Message::from_vec(&empty_reply(&raw, &q, 2, false)).unwrap();
        assert_eq!(m.metadata.id, 0x1234);
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
        assert!(m.metadata.recursion_desired);
        assert_eq!(m.queries.len(), 1);
        let m = Message::from_vec(&empty_reply(&raw, &q, 0, true)).unwrap();
        assert!(m.metadata.truncation);
        assert!(m.answers.is_empty());
    }

    #[test]
    fn malformed_replies_do_not_parse() {
        let raw = query("5.113.0.203.in-addr.arpa");
        for noise in 0..64u64 {
            let bad = malformed(&raw, Some(&raw), noise.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            assert_eq!(id(&bad), Some(0x1234));
            assert!(Message::from_vec(&bad).is_err(), "noise {noise} parsed");
        }
    }

    #[test]
    fn wrong_question_changes_the_name() {
        let raw = query("5.113.0.203.in-addr.arpa");
        let q = question(&wrong_question(raw.clone())).unwrap();
        assert_eq!(q.name, "x.113.0.203.in-addr.arpa.");
        assert_ne!(id(&wrong_id(raw.clone())), id(&raw));
    }
}
