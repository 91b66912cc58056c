//! Zone sources: a directory of zone files or a zone transfer
//! (`axfr://SERVER[:PORT]/ZONE`), and the AXFR client (RFC 5936) that reads
//! a zone from its primary over TCP, TSIG-signed (RFC 8945) when a key is
//! given, into a [`ZoneSet`] settled by the same rules as a zone file.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use ptr_audit_model::Rcode;
use ptr_audit_tsig::{TsigError, TsigKey};

use crate::zone::{Position, Reader, display_name, parse_name, rdata};
use crate::{ZoneError, ZoneSet};

/// Where zones come from: `--zones DIR` or `--zones axfr://SERVER[:PORT]/ZONE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSource {
    /// Every `*.zone` file directly inside a directory.
    Dir(PathBuf),
    /// One zone transferred from a server.
    Axfr(AxfrSource),
}

/// A zone transfer to make: the server (host and port as written) and the
/// zone (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxfrSource {
    host: String,
    port: u16,
    zone: String,
}

impl AxfrSource {
    /// The zone, absolute (`113.0.203.in-addr.arpa.`).
    pub fn zone(&self) -> &str {
        &self.zone
    }
}

impl fmt::Display for AxfrSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "axfr://[{}]:{}/{}", self.host, self.port, self.zone)
        } else {
            write!(f, "axfr://{}:{}/{}", self.host, self.port, self.zone)
        }
    }
}

impl fmt::Display for ZoneSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneSource::Dir(dir) => write!(f, "{}", dir.display()),
            ZoneSource::Axfr(axfr) => axfr.fmt(f),
        }
    }
}

impl FromStr for ZoneSource {
    type Err = ZoneError;

    /// `axfr://HOST[:PORT]/ZONE` (an IPv6 address in brackets; port 53 by
    /// default) is a transfer; anything else is a directory.
    fn from_str(text: &str) -> Result<ZoneSource, ZoneError> {
        let Some(rest) = text.strip_prefix("axfr://") else {
            if text.contains("://") {
                return Err(bad_source(
                    text,
                    "only `axfr://` zone transfers are supported",
                ));
            }
            return Ok(ZoneSource::Dir(PathBuf::from(text)));
        };
        let (authority, zone) = rest
            .split_once('/')
            .ok_or_else(|| bad_source(text, "write `axfr://SERVER[:PORT]/ZONE`"))?;
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad_source(text, "an IPv6 address needs its closing `]`"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() || host.contains(['/', '@', '?', '#']) {
            return Err(bad_source(text, "the server is missing or not a host name"));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad_source(text, "the port is not a number from 1 to 65535"))?,
            None => 53,
        };
        let zone = zone.trim_end_matches('/');
        if zone.is_empty() {
            return Err(bad_source(text, "the zone is missing"));
        }
        let name = parse_name(zone, &Name::root())
            .map_err(|_| bad_source(text, "the zone is not a domain name"))?;
        Ok(ZoneSource::Axfr(AxfrSource {
            host: host.to_owned(),
            port,
            zone: display_name(&name),
        }))
    }
}

fn bad_source(text: &str, reason: &'static str) -> ZoneError {
    ZoneError::BadSource {
        source_text: text.to_owned(),
        reason,
    }
}

/// Why a zone transfer failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// The server's name gave no address, or no address took the connection.
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// Reading or writing the TCP stream failed (a timeout included).
    #[error("the transfer broke off: {0}")]
    Io(#[source] std::io::Error),
    /// The server answered with an error code (REFUSED: transfers not allowed to us).
    #[error("the server answered {rcode}{hint}")]
    Refused {
        /// The response code (`REFUSED`, `NOTAUTH`, `SERVFAIL`, …).
        rcode: String,
        /// What that usually means.
        hint: &'static str,
    },
    /// The transfer's TSIG check failed.
    #[error(transparent)]
    Tsig(#[from] ptr_audit_tsig::TsigError),
    /// The server sent something that is not a zone transfer.
    #[error("not a zone transfer: {0}")]
    Malformed(&'static str),
}

/// The longest a transfer may stay silent before it counts as broken off.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30);

impl ZoneSet {
    /// Transfers one zone from `source` (AXFR over TCP), signed with `key`
    /// when given, and settles it as a zone file would be (the apex from the
    /// SOA, duplicates merged). Warnings name the source and the record's
    /// position in the transfer.
    pub fn transfer(source: &AxfrSource, key: Option<&TsigKey>) -> Result<ZoneSet, ZoneError> {
        let shown = source.to_string();
        let fail = |reason: TransferError| ZoneError::Transfer {
            source_text: shown.clone(),
            reason,
        };
        let zone = parse_name(&source.zone, &Name::root())
            .map_err(|_| fail(TransferError::Malformed("the zone is not a domain name")))?;
        let records = fetch(source, &zone, key).map_err(&fail)?;
        let path: Arc<Path> = Arc::from(Path::new(&shown));
        let read = records
            .into_iter()
            .enumerate()
            .map(|(i, record)| {
                let pos = Position {
                    path: Arc::clone(&path),
                    line: i + 1,
                };
                (record, pos)
            })
            .collect();
        let mut reader = Reader::new(None);
        let settled = reader.settle(read, Path::new(&shown), &zone)?;
        if settled.origin != zone {
            return Err(fail(TransferError::Malformed(
                "the SOA is not at the zone asked for",
            )));
        }
        let mut set = ZoneSet::new();
        set.add_settled(settled, reader)?;
        Ok(set)
    }
}

fn fetch(
    source: &AxfrSource,
    zone: &Name,
    key: Option<&TsigKey>,
) -> Result<Vec<Record>, TransferError> {
    let addrs: Vec<SocketAddr> = (source.host.as_str(), source.port)
        .to_socket_addrs()
        .map_err(TransferError::Connect)?
        .collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TRANSFER_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let mut stream = stream.ok_or(TransferError::Connect(last))?;
    stream
        .set_read_timeout(Some(TRANSFER_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TRANSFER_TIMEOUT)))
        .map_err(TransferError::Io)?;

    let id = query_id();
    let mut query = Message::new(id, MessageType::Query, OpCode::Query);
    query.add_query(Query::query(zone.clone(), RecordType::AXFR));
    let mut wire = query
        .to_vec()
        .map_err(|_| TransferError::Malformed("cannot encode the query"))?;
    let mut verifier = key.map(|k| k.sign(&mut wire)).transpose()?;
    let mut framed = u16::try_from(wire.len())
        .map_err(|_| TransferError::Malformed("query too long"))?
        .to_be_bytes()
        .to_vec();
    framed.extend(wire);
    stream.write_all(&framed).map_err(TransferError::Io)?;

    let mut records: Vec<Record> = Vec::new();
    loop {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                TransferError::Malformed("the server closed the connection before the closing SOA")
            } else {
                TransferError::Io(e)
            }
        })?;
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut body).map_err(TransferError::Io)?;
        let message = Message::from_vec(&body)
            .map_err(|_| TransferError::Malformed("a malformed message"))?;
        if message.metadata.id != id {
            return Err(TransferError::Malformed("a reply to another query"));
        }
        let rcode = message.metadata.response_code;
        if rcode != ResponseCode::NoError {
            let hint = match rcode {
                ResponseCode::Refused => {
                    " (transfers of this zone are not allowed to this host or key)"
                }
                ResponseCode::NotAuth => {
                    " (the key is unknown to the server, or the zone is not served there)"
                }
                ResponseCode::NotImp => " (the server does not do zone transfers)",
                _ => "",
            };
            // an error reply may be unsigned; a TSIG error in it says more
            if let Some(v) = verifier.as_mut()
                && let Err(e @ TsigError::ServerRefused { .. }) = v.verify(&body)
            {
                return Err(e.into());
            }
            let rcode = Rcode::mnemonic(u16::from(rcode)).into_owned();
            return Err(TransferError::Refused { rcode, hint });
        }
        if let Some(v) = verifier.as_mut() {
            v.verify(&body)?;
        }
        for record in message.answers {
            let is_soa = record.record_type() == RecordType::SOA;
            if records.is_empty() && !is_soa {
                return Err(TransferError::Malformed("the first record is not the SOA"));
            }
            if is_soa && !records.is_empty() {
                if let Some(v) = verifier.as_ref() {
                    v.finish()?;
                }
                return Ok(records);
            }
            records.push(carried(record)?);
        }
        if records.is_empty() {
            return Err(TransferError::Malformed("an empty reply"));
        }
    }
}

/// Makes a transferred record hold its data as the zone reader would: the
/// types it carries opaque become opaque wire data, in class IN.
fn carried(mut record: Record) -> Result<Record, TransferError> {
    if record.dns_class != DNSClass::IN {
        return Err(TransferError::Malformed("a record outside class IN"));
    }
    let rtype = record.record_type();
    if rdata::carried_opaque(rtype) && !matches!(record.data, RData::Unknown { .. }) {
        let mut wire = Vec::new();
        let mut encoder = BinEncoder::new(&mut wire);
        encoder.set_canonical_form(true);
        record
            .data
            .emit(&mut encoder)
            .map_err(|_| TransferError::Malformed("record data that cannot be re-encoded"))?;
        record.data = rdata::opaque(rtype, wire);
    }
    Ok(record)
}

/// A query id from the clock and the process (no need for more: TCP).
fn query_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (nanos ^ std::process::id()) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_print() {
        let s: ZoneSource = "axfr://127.0.0.1:5300/113.0.203.in-addr.arpa"
            .parse()
            .unwrap();
        assert_eq!(
            s.to_string(),
            "axfr://127.0.0.1:5300/113.0.203.in-addr.arpa."
        );
        let s: ZoneSource = "axfr://[::1]/example.com.".parse().unwrap();
        assert_eq!(s.to_string(), "axfr://[::1]:53/example.com.");
        let s: ZoneSource = "inventories/example/zones".parse().unwrap();
        assert_eq!(
            s,
            ZoneSource::Dir(PathBuf::from("inventories/example/zones"))
        );
        for bad in [
            "axfr://127.0.0.1:0/x",
            "axfr://127.0.0.1",
            "axfr:///x",
            "axfr://127.0.0.1:99999/x",
            "axfr://[::1/x",
            "axfr://h/a..b",
            "https://netbox/x",
        ] {
            assert!(bad.parse::<ZoneSource>().is_err(), "{bad}");
        }
    }
}
