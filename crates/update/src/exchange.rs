//! One request and its reply over TCP (no truncation, no UDP spoofing),
//! TSIG-signed when a key is given; names and record data between their
//! presentation form and hickory's.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use ptr_audit_model::Rcode;
use ptr_audit_tsig::{TsigError, TsigKey};

use crate::UpdateError;
use crate::plan::{Rr, RrType};

/// The longest a server may take to accept, or to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `request` to `server` and returns its reply. With `key`, the
/// request is signed and the reply's signature checked: a TSIG error from
/// the server (BADKEY, BADSIG, BADTIME) or a reply that does not verify is
/// [`UpdateError::Tsig`]; an error reply may come unsigned (RFC 8945 §5.3).
pub(crate) fn exchange(
    server: SocketAddr,
    request: &Message,
    key: Option<&TsigKey>,
) -> Result<Message, UpdateError> {
    let malformed = |reason| UpdateError::Malformed { server, reason };
    let unreachable = |source| UpdateError::Unreachable { server, source };
    let mut wire = request
        .to_vec()
        .map_err(|_| malformed("the request cannot be encoded"))?;
    let mut verifier = key
        .map(|k| k.sign(&mut wire))
        .transpose()
        .map_err(|source| UpdateError::Tsig { server, source })?;
    let mut framed = u16::try_from(wire.len())
        .map_err(|_| malformed("the request is too long"))?
        .to_be_bytes()
        .to_vec();
    framed.extend(wire);
    let mut stream = TcpStream::connect_timeout(&server, TIMEOUT).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(unreachable)?;
    stream.write_all(&framed).map_err(unreachable)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).map_err(unreachable)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body).map_err(unreachable)?;
    let reply = Message::from_vec(&body).map_err(|_| malformed("not a DNS message"))?;
    if reply.metadata.id != request.metadata.id
        || reply.metadata.message_type != MessageType::Response
    {
        return Err(malformed("not the reply to the request"));
    }
    if let Some(v) = verifier.as_mut() {
        match v.verify(&body) {
            Ok(()) => {}
            Err(source @ TsigError::ServerRefused { .. }) => {
                return Err(UpdateError::Tsig { server, source });
            }
            // An error reply without a signature says what it says; a
            // success must be signed.
            Err(_) if reply.metadata.response_code != ResponseCode::NoError => {}
            Err(source) => return Err(UpdateError::Tsig { server, source }),
        }
    }
    Ok(reply)
}

/// Asks `server` for `name`'s records of `rtype` (recursion desired only
/// when `recurse`: a resolver, not a primary).
pub(crate) fn query(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    recurse: bool,
) -> Result<Message, UpdateError> {
    let mut request = Message::new(random_id(), MessageType::Query, OpCode::Query);
    request.metadata.recursion_desired = recurse;
    request.add_query(Query::query(to_name(name)?, rtype));
    exchange(server, &request, None)
}

/// Whether `server` answers at all (any reply, REFUSED included, counts):
/// asked before planning, so an unreachable primary is an error rather than
/// every zone "not known".
pub fn probe(server: SocketAddr) -> Result<(), UpdateError> {
    query(server, ".", RecordType::SOA, false).map(|_| ())
}

/// A query id: hickory's random source, which the protocol crate uses for its own.
fn random_id() -> u16 {
    Message::query().metadata.id
}

/// A new UPDATE message for `zone`.
pub(crate) fn update_for(zone: &str) -> Result<Message, UpdateError> {
    let mut message = Message::new(random_id(), MessageType::Query, OpCode::Update);
    message.metadata.recursion_desired = false;
    message.add_query(Query::query(to_name(zone)?, RecordType::SOA));
    Ok(message)
}

/// A name in presentation form as hickory's: labels split at unescaped
/// dots, `\DDD` and `\X` escapes read as bytes, anything else kept as it
/// is (so RFC 2317 labels such as `0/26` are kept).
pub(crate) fn to_name(text: &str) -> Result<Name, UpdateError> {
    let bad = || UpdateError::BadName {
        name: text.to_owned(),
    };
    if text == "." {
        return Ok(Name::root());
    }
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                let first = bytes.next().ok_or_else(bad)?;
                let byte = if first.is_ascii_digit() {
                    let digits = [
                        first,
                        bytes.next().ok_or_else(bad)?,
                        bytes.next().ok_or_else(bad)?,
                    ];
                    if !digits.iter().all(u8::is_ascii_digit) {
                        return Err(bad());
                    }
                    let value = digits
                        .iter()
                        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                    u8::try_from(value).map_err(|_| bad())?
                } else {
                    first
                };
                labels.last_mut().ok_or_else(bad)?.push(byte);
            }
            b'.' => labels.push(Vec::new()),
            other => labels.last_mut().ok_or_else(bad)?.push(other),
        }
    }
    if labels.last().is_some_and(Vec::is_empty) {
        labels.pop();
    }
    if labels.iter().any(Vec::is_empty) {
        return Err(bad());
    }
    Name::from_labels(labels).map_err(|_| bad())
}

/// A name from DNS in presentation form as `fix` writes names: letters,
/// digits, `-`, `_`, `/` and `*` as they are, every other byte as `\DDD`
/// (so an RFC 2317 owner reads `10.8/29.113.0.203.in-addr.arpa.`).
pub(crate) fn from_name(name: &Name) -> String {
    let mut text = String::with_capacity(name.len() + 1);
    for label in name.iter() {
        for &b in label {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'*') {
                text.push(char::from(b));
            } else {
                text.push_str(&format!("\\{b:03}"));
            }
        }
        text.push('.');
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

impl RrType {
    /// hickory's record type.
    pub(crate) fn record_type(self) -> RecordType {
        match self {
            RrType::Ptr => RecordType::PTR,
            RrType::A => RecordType::A,
            RrType::Aaaa => RecordType::AAAA,
        }
    }
}

/// The record data of `rr` as hickory's.
pub(crate) fn rdata(rtype: RrType, rr: &Rr) -> Result<RData, UpdateError> {
    let bad = || UpdateError::BadName {
        name: rr.data.clone(),
    };
    Ok(match rtype {
        RrType::Ptr => RData::PTR(PTR(to_name(&rr.data)?)),
        RrType::A => RData::A(A(rr.data.parse().map_err(|_| bad())?)),
        RrType::Aaaa => RData::AAAA(AAAA(rr.data.parse().map_err(|_| bad())?)),
    })
}

/// The data of a record of `rtype`, in presentation form; `None` for other types.
pub(crate) fn data_of(record: &Record, rtype: RrType) -> Option<String> {
    match (&record.data, rtype) {
        (RData::PTR(PTR(n)), RrType::Ptr) => Some(from_name(n)),
        (RData::A(A(a)), RrType::A) => Some(IpAddr::V4(*a).to_string()),
        (RData::AAAA(AAAA(a)), RrType::Aaaa) => Some(IpAddr::V6(*a).to_string()),
        _ => None,
    }
}

/// A response code by name ([`Rcode::mnemonic`]: `NXDOMAIN`, `NOTAUTH`, `RCODE23`).
pub(crate) fn rcode_name(rcode: ResponseCode) -> String {
    Rcode::mnemonic(u16::from(rcode)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_rfc2317_labels_and_escapes() {
        let n = to_name("10.8/29.113.0.203.in-addr.arpa.").unwrap();
        assert_eq!(n.num_labels(), 7);
        assert_eq!(from_name(&n), "10.8/29.113.0.203.in-addr.arpa.");
        let n = to_name("a\\032b.example.").unwrap();
        assert_eq!(n.num_labels(), 2);
        assert_eq!(from_name(&n), "a\\032b.example.");
        let n = to_name("a\\.b\\010.example.").unwrap();
        assert_eq!(from_name(&n), "a\\046b\\010.example.");
        assert!(to_name("a..b.").is_err());
        assert!(to_name(".").unwrap().is_root());
        assert_eq!(to_name("mail.example").unwrap().to_ascii(), "mail.example.");
    }
}
