//! A tiny synchronous DNS client over UDP and TCP, for the tests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// How long a test waits for one reply before calling it lost.
pub const REPLY_WAIT: Duration = Duration::from_secs(3);

/// A fully qualified name from dotted text, any byte (`/` too) in a label.
pub fn name_of(text: &str) -> Name {
    Name::from_labels(text.split('.').filter(|l| !l.is_empty()).map(str::as_bytes)).unwrap()
}

/// Builds a query message for a name in presentation form.
pub fn query_message(id: u16, name: &str, rtype: RecordType) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.add_query(Query::query(name_of(name), rtype));
    m
}

/// Sends raw bytes over UDP and returns the first packet back within `wait`.
pub fn udp_raw(addr: SocketAddr, query: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(wait)).unwrap();
    sock.send_to(query, addr).unwrap();
    let mut buf = [0u8; 65535];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    Some(buf[..n].to_vec())
}

/// Sends raw bytes over TCP (framed) and returns the framed reply; `None`
/// when the connection closed (or stayed silent for `wait`).
pub fn tcp_raw(addr: SocketAddr, query: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut body).ok()?;
    Some(body)
}

/// Sends one query over UDP; `None` when nothing came back in [`REPLY_WAIT`].
pub fn udp(addr: SocketAddr, name: &str, rtype: RecordType) -> Option<Message> {
    let q = query_message(0x4242, name, rtype).to_vec().unwrap();
    let reply = udp_raw(addr, &q, REPLY_WAIT)?;
    Some(Message::from_vec(&reply).expect("a well-formed reply"))
}

/// Sends one query over TCP; `None` when the connection closed without a reply.
pub fn tcp(addr: SocketAddr, name: &str, rtype: RecordType) -> Option<Message> {
    let q = query_message(0x4343, name, rtype).to_vec().unwrap();
    let reply = tcp_raw(addr, &q, REPLY_WAIT)?;
    Some(Message::from_vec(&reply).expect("a well-formed reply"))
}

/// A name as dotted text with its label bytes as they are (`/` unescaped).
pub fn text_of(name: &Name) -> String {
    let mut out: String = name
        .iter()
        .map(|l| format!("{}.", String::from_utf8_lossy(l)))
        .collect();
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The answer records of a reply rendered as `TYPE rdata`, in order.
pub fn answers(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .map(|r| match &r.data {
            RData::PTR(p) => format!("PTR {}", text_of(&p.0)),
            RData::CNAME(c) => format!("CNAME {}", text_of(&c.0)),
            RData::A(a) => format!("A {}", a.0),
            RData::AAAA(a) => format!("AAAA {}", a.0),
            other => format!("{} {other}", r.record_type()),
        })
        .collect()
}

/// The reply's response code.
pub fn rcode(m: &Message) -> ResponseCode {
    m.metadata.response_code
}
