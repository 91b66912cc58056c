//! A minimal DNS client over UDP for the harness itself: readiness polls and
//! the fixture check. Deliberately independent of the code under test (no
//! hickory, no `ptr-audit` crates): it only has to ask one question and read
//! the answer section.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// Record type A.
pub const A: u16 = 1;
/// Record type CNAME.
pub const CNAME: u16 = 5;
/// Record type SOA.
pub const SOA: u16 = 6;
/// Record type PTR.
pub const PTR: u16 = 12;
/// Record type AAAA.
pub const AAAA: u16 = 28;

/// Response code NXDOMAIN.
pub const NXDOMAIN: u8 = 3;
/// Response code NOERROR.
pub const NOERROR: u8 = 0;

/// One resource record of the answer section.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Record type.
    pub rtype: u16,
    /// For PTR and CNAME the target name (trailing dot), for A/AAAA the
    /// address, for SOA the serial, otherwise empty.
    pub data: String,
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The response code (low four bits of the header).
    pub rcode: u8,
    /// The answer section.
    pub answers: Vec<Answer>,
}

impl Reply {
    /// The data of every answer record of type `rtype`.
    pub fn data_of(&self, rtype: u16) -> Vec<String> {
        self.answers
            .iter()
            .filter(|a| a.rtype == rtype)
            .map(|a| a.data.clone())
            .collect()
    }
}

static NEXT_ID: AtomicU16 = AtomicU16::new(0x2b1d);

/// Asks `server` one question (RD set) and waits up to `timeout` for the
/// matching reply; a truncated reply (TC) is asked again over TCP. A timeout
/// is an `io::ErrorKind::WouldBlock`/`TimedOut` error.
pub fn query(server: SocketAddr, name: &str, qtype: u16, timeout: Duration) -> io::Result<Reply> {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let packet = encode_query(id, name, qtype)?;
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(timeout))?;
    socket.connect(server)?;
    socket.send(&packet)?;
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.recv(&mut buf)?;
        let msg = &buf[..n];
        if n >= 12 && u16::from_be_bytes([msg[0], msg[1]]) == id {
            if msg[2] & 0x02 != 0 {
                return query_tcp(server, &packet, timeout);
            }
            return decode(msg).ok_or_else(malformed);
        }
    }
}

fn malformed() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "malformed DNS reply")
}

/// The same question over TCP (RFC 1035 4.2.2: two-octet length prefix).
fn query_tcp(server: SocketAddr, packet: &[u8], timeout: Duration) -> io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&server, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let len = u16::try_from(packet.len()).map_err(|_| malformed())?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(packet)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut msg)?;
    if msg.len() < 12 || msg[..2] != packet[..2] {
        return Err(malformed());
    }
    decode(&msg).ok_or_else(malformed)
}

fn encode_query(id: u16, name: &str, qtype: u16) -> io::Result<Vec<u8>> {
    let mut p = Vec::with_capacity(64);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in labels(name) {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| *l < 64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "label too long"))?;
        p.push(len);
        p.extend_from_slice(&label);
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    Ok(p)
}

/// The labels of a name in presentation form, with `\DDD` and `\X` escapes
/// turned back into bytes.
fn labels(name: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut label = Vec::new();
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = digits {
                    let value = d.iter().fold(0u16, |v, b| v * 10 + u16::from(b - b'0'));
                    label.push(u8::try_from(value).unwrap_or(u8::MAX));
                    i += 4;
                } else {
                    label.extend(bytes.get(i + 1));
                    i += 2;
                }
            }
            b'.' => {
                out.push(std::mem::take(&mut label));
                i += 1;
            }
            b => {
                label.push(b);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        out.push(label);
    }
    out.retain(|l| !l.is_empty());
    out
}

fn decode(msg: &[u8]) -> Option<Reply> {
    let rcode = msg[3] & 0x0f;
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    let ancount = u16::from_be_bytes([msg[6], msg[7]]);
    let mut pos = 12;
    for _ in 0..qdcount {
        let (_, next) = read_name(msg, pos)?;
        pos = next + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..ancount {
        let (_owner, next) = read_name(msg, pos)?;
        let header = msg.get(next..next + 10)?;
        let rtype = u16::from_be_bytes([header[0], header[1]]);
        let rdlen = usize::from(u16::from_be_bytes([header[8], header[9]]));
        let rdata_at = next + 10;
        let rdata = msg.get(rdata_at..rdata_at + rdlen)?;
        let data = match rtype {
            PTR | CNAME => read_name(msg, rdata_at)?.0,
            A if rdlen == 4 => {
                std::net::Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string()
            }
            AAAA if rdlen == 16 => {
                let octets: [u8; 16] = rdata.try_into().ok()?;
                std::net::Ipv6Addr::from(octets).to_string()
            }
            SOA => {
                // MNAME, RNAME, then the serial.
                let (_, rname) = read_name(msg, rdata_at)?;
                let (_, serial) = read_name(msg, rname)?;
                let b = msg.get(serial..serial + 4)?;
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string()
            }
            _ => String::new(),
        };
        answers.push(Answer { rtype, data });
        pos = rdata_at + rdlen;
    }
    Some(Reply { rcode, answers })
}

/// Reads a possibly compressed name at `pos`; returns it in presentation form
/// (lowercase, trailing dot) and the position after it in the message.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(pos)?;
        match len {
            0 => {
                if name.is_empty() {
                    name.push('.');
                }
                return Some((name, end.unwrap_or(pos + 1)));
            }
            l if l & 0xc0 == 0xc0 => {
                let target = usize::from(u16::from_be_bytes([l & 0x3f, *msg.get(pos + 1)?]));
                end.get_or_insert(pos + 2);
                pos = target;
            }
            l => {
                let label = msg.get(pos + 1..pos + 1 + usize::from(l))?;
                for &b in label {
                    if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                        name.push(char::from(b.to_ascii_lowercase()));
                    } else {
                        name.push_str(&format!("\\{b:03}"));
                    }
                }
                name.push('.');
                pos += 1 + usize::from(l);
            }
        }
    }
    None
}

/// The reverse-lookup name of an address (`7.113.0.203.in-addr.arpa.`, nibbles
/// for IPv6).
pub fn reverse_name(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        std::net::IpAddr::V6(v6) => {
            let mut s = String::with_capacity(73);
            for byte in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            s.push_str("ip6.arpa.");
            s
        }
    }
}
