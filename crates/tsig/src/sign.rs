//! Signing requests and verifying replies (RFC 8945 §4 and §5) on DNS
//! messages in wire form.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{TsigError, TsigKey};

/// Seconds of clock difference a signature is given (RFC 8945 §10: 300).
const FUDGE: u16 = 300;
const TYPE_TSIG: u16 = 250;
const CLASS_ANY: u16 = 255;
/// Unsigned messages allowed between two signed ones (RFC 8945 §5.3.1).
const MAX_UNSIGNED_RUN: usize = 99;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The wire form of an absolute ASCII name (key and algorithm names, which
/// [`TsigKey`] keeps lowercase).
fn name_wire(name: &str) -> Vec<u8> {
    let mut w = Vec::with_capacity(name.len() + 1);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        w.push(label.len() as u8);
        w.extend_from_slice(label.as_bytes());
    }
    w.push(0);
    w
}

fn time48(time: u64) -> [u8; 6] {
    let b = time.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

impl TsigKey {
    /// Signs `request` (a whole DNS message in wire form, without a TSIG
    /// record): appends the TSIG record and counts it in ARCOUNT. Returns
    /// the [`Verifier`] for the replies.
    pub fn sign(&self, request: &mut Vec<u8>) -> Result<Verifier, TsigError> {
        self.sign_at(request, now())
    }

    fn sign_at(&self, request: &mut Vec<u8>, time: u64) -> Result<Verifier, TsigError> {
        if request.len() < 12 {
            return Err(TsigError::Malformed("a message shorter than its header"));
        }
        let mut data = request.clone();
        data.extend(self.variables(time, FUDGE, 0, &[]));
        let mac = ring::hmac::sign(&self.hmac, &data);
        let mac = mac.as_ref();
        let mut rdata = name_wire(self.algorithm().name());
        rdata.extend(time48(time));
        rdata.extend(FUDGE.to_be_bytes());
        rdata.extend((mac.len() as u16).to_be_bytes());
        rdata.extend_from_slice(mac);
        rdata.extend_from_slice(&request[0..2]);
        rdata.extend(0u16.to_be_bytes()); // error
        rdata.extend(0u16.to_be_bytes()); // other length
        let arcount = u16::from_be_bytes([request[10], request[11]])
            .checked_add(1)
            .ok_or(TsigError::Malformed("too many additional records"))?;
        request[10..12].copy_from_slice(&arcount.to_be_bytes());
        request.extend(name_wire(self.name()));
        request.extend(TYPE_TSIG.to_be_bytes());
        request.extend(CLASS_ANY.to_be_bytes());
        request.extend(0u32.to_be_bytes());
        request.extend((rdata.len() as u16).to_be_bytes());
        request.extend(rdata);
        Ok(Verifier {
            key: self.clone(),
            prior_mac: mac.to_vec(),
            pending: Vec::new(),
            first: true,
            unsigned_run: 0,
        })
    }

    /// The TSIG variables of RFC 8945 §4.3.3, in canonical form.
    fn variables(&self, time: u64, fudge: u16, error: u16, other: &[u8]) -> Vec<u8> {
        let mut v = name_wire(self.name());
        v.extend(CLASS_ANY.to_be_bytes());
        v.extend(0u32.to_be_bytes());
        v.extend(name_wire(self.algorithm().name()));
        v.extend(time48(time));
        v.extend(fudge.to_be_bytes());
        v.extend(error.to_be_bytes());
        v.extend((other.len() as u16).to_be_bytes());
        v.extend_from_slice(other);
        v
    }
}

/// Checks the replies to one signed request, in the order they came (a
/// zone transfer sends many). The first reply must be signed; later ones
/// may leave out the TSIG record for up to 99 messages, which the next
/// signed one covers. Call [`Verifier::finish`] after the last reply.
#[derive(Debug)]
pub struct Verifier {
    key: TsigKey,
    prior_mac: Vec<u8>,
    /// The unsigned messages since the last signed one.
    pending: Vec<u8>,
    first: bool,
    unsigned_run: usize,
}

/// The fields of a TSIG record and where it starts.
struct Found {
    start: usize,
    key: String,
    algorithm: String,
    time: u64,
    fudge: u16,
    mac: Vec<u8>,
    original_id: [u8; 2],
    error: u16,
    other: Vec<u8>,
}

impl Verifier {
    /// Checks one reply in wire form.
    pub fn verify(&mut self, reply: &[u8]) -> Result<(), TsigError> {
        self.verify_at(reply, now())
    }

    /// Fails when the last reply checked was not signed (or none was).
    pub fn finish(&self) -> Result<(), TsigError> {
        if self.first || self.unsigned_run > 0 {
            return Err(TsigError::Unsigned {
                key: self.key.name().to_owned(),
            });
        }
        Ok(())
    }

    fn verify_at(&mut self, reply: &[u8], now: u64) -> Result<(), TsigError> {
        let key = self.key.name().to_owned();
        let Some(t) = find_tsig(reply)? else {
            self.unsigned_run += 1;
            if self.first || self.unsigned_run > MAX_UNSIGNED_RUN {
                return Err(TsigError::Unsigned { key });
            }
            self.pending.extend_from_slice(reply);
            return Ok(());
        };
        if t.key != key || t.algorithm != self.key.algorithm().name() {
            return Err(TsigError::OtherKey {
                key,
                found: format!("{} ({})", t.key, t.algorithm),
            });
        }
        if t.error != 0 {
            let code = match t.error {
                16 => "BADSIG".to_owned(),
                17 => "BADKEY".to_owned(),
                18 => "BADTIME".to_owned(),
                20 => "BADNAME".to_owned(),
                21 => "BADALG".to_owned(),
                22 => "BADTRUNC".to_owned(),
                n => format!("TSIG error {n}"),
            };
            return Err(TsigError::ServerRefused { key, code });
        }
        let mut stripped = reply[..t.start].to_vec();
        stripped[0..2].copy_from_slice(&t.original_id);
        let arcount = u16::from_be_bytes([stripped[10], stripped[11]]) - 1;
        stripped[10..12].copy_from_slice(&arcount.to_be_bytes());
        let mut data = Vec::with_capacity(self.pending.len() + stripped.len() + 128);
        data.extend((self.prior_mac.len() as u16).to_be_bytes());
        data.extend_from_slice(&self.prior_mac);
        if self.first {
            data.extend(stripped);
            data.extend(self.key.variables(t.time, t.fudge, t.error, &t.other));
        } else {
            data.append(&mut self.pending);
            data.extend(stripped);
            data.extend(time48(t.time));
            data.extend(t.fudge.to_be_bytes());
        }
        // a truncated MAC (RFC 8945 §5.2.2.1) is not accepted
        ring::hmac::verify(&self.key.hmac, &data, &t.mac)
            .map_err(|_| TsigError::BadSignature { key: key.clone() })?;
        let skew = now.abs_diff(t.time);
        if skew > u64::from(t.fudge) {
            return Err(TsigError::BadTime {
                signed: t.time,
                skew,
                fudge: t.fudge,
            });
        }
        self.prior_mac = t.mac;
        self.pending.clear();
        self.first = false;
        self.unsigned_run = 0;
        Ok(())
    }
}

/// A cursor over a message.
struct Reader<'a> {
    msg: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], TsigError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.msg.len())
            .ok_or(TsigError::Malformed("cut short"))?;
        let s = &self.msg[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, TsigError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a name (following compression pointers), lowercase, absolute.
    fn name(&mut self) -> Result<String, TsigError> {
        let mut out = String::new();
        let mut pos = self.at;
        let mut jumped = false;
        for _ in 0..128 {
            let len = *self.msg.get(pos).ok_or(TsigError::Malformed("cut short"))?;
            match len {
                0 => {
                    if !jumped {
                        self.at = pos + 1;
                    }
                    if out.is_empty() {
                        out.push('.');
                    }
                    return Ok(out);
                }
                0xc0..=0xff => {
                    let low = *self
                        .msg
                        .get(pos + 1)
                        .ok_or(TsigError::Malformed("cut short"))?;
                    if !jumped {
                        self.at = pos + 2;
                    }
                    jumped = true;
                    pos = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                }
                1..=63 => {
                    let label = self
                        .msg
                        .get(pos + 1..pos + 1 + usize::from(len))
                        .ok_or(TsigError::Malformed("cut short"))?;
                    for &b in label {
                        out.push(char::from(b.to_ascii_lowercase()));
                    }
                    out.push('.');
                    pos += 1 + usize::from(len);
                }
                _ => return Err(TsigError::Malformed("bad label length")),
            }
        }
        Err(TsigError::Malformed("compression loop"))
    }
}

/// The TSIG record of `msg`, if its last record is one.
fn find_tsig(msg: &[u8]) -> Result<Option<Found>, TsigError> {
    let mut r = Reader { msg, at: 0 };
    r.take(4)?;
    let qd = r.u16()?;
    let counts = [r.u16()?, r.u16()?, r.u16()?];
    for _ in 0..qd {
        r.name()?;
        r.take(4)?;
    }
    let records = usize::from(counts[0]) + usize::from(counts[1]) + usize::from(counts[2]);
    if counts[2] == 0 {
        for _ in 0..records {
            r.name()?;
            r.take(8)?;
            let len = r.u16()?;
            r.take(usize::from(len))?;
        }
        return Ok(None);
    }
    for i in 0..records {
        let start = r.at;
        let owner = r.name()?;
        let rtype = r.u16()?;
        r.take(6)?;
        let len = usize::from(r.u16()?);
        let rdata_end = r.at + len;
        if rtype != TYPE_TSIG {
            r.take(len)?;
            continue;
        }
        if i + 1 != records {
            return Err(TsigError::Malformed("a TSIG record that is not the last"));
        }
        let algorithm = r.name()?;
        let t = r.take(6)?;
        let time = t.iter().fold(0u64, |v, &b| v << 8 | u64::from(b));
        let fudge = r.u16()?;
        let mac_len = usize::from(r.u16()?);
        let mac = r.take(mac_len)?.to_vec();
        let id = r.take(2)?;
        let original_id = [id[0], id[1]];
        let error = r.u16()?;
        let other_len = usize::from(r.u16()?);
        let other = r.take(other_len)?.to_vec();
        if r.at != rdata_end || r.at != msg.len() {
            return Err(TsigError::Malformed("TSIG record length"));
        }
        return Ok(Some(Found {
            start,
            key: owner,
            algorithm,
            time,
            fudge,
            mac,
            original_id,
            error,
            other,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn key(secret: &str) -> TsigKey {
        TsigKey::parse(
            &format!("key \"xfr\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};"),
            Path::new("k"),
        )
        .unwrap()
    }

    /// A reply "signed by the server": the request's MAC chained as RFC 8945 §5.3 says.
    fn server_reply(server: &TsigKey, request_mac: &[u8], body: &[u8], time: u64) -> Vec<u8> {
        let mut data = (request_mac.len() as u16).to_be_bytes().to_vec();
        data.extend_from_slice(request_mac);
        data.extend_from_slice(body);
        data.extend(server.variables(time, FUDGE, 0, &[]));
        let mac = ring::hmac::sign(&server.hmac, &data);
        let mut reply = body.to_vec();
        reply[11] += 1;
        reply.extend(name_wire("xfr."));
        reply.extend(TYPE_TSIG.to_be_bytes());
        reply.extend(CLASS_ANY.to_be_bytes());
        reply.extend(0u32.to_be_bytes());
        let mut rdata = name_wire("hmac-sha256.");
        rdata.extend(time48(time));
        rdata.extend(FUDGE.to_be_bytes());
        rdata.extend(32u16.to_be_bytes());
        rdata.extend_from_slice(mac.as_ref());
        rdata.extend_from_slice(&body[0..2]);
        rdata.extend([0, 0, 0, 0]);
        reply.extend((rdata.len() as u16).to_be_bytes());
        reply.extend(rdata);
        reply
    }

    #[test]
    fn a_signed_reply_verifies_and_tampering_or_another_secret_does_not() {
        let k = key("c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
        let mut request = vec![0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let t = 1_800_000_000;
        let mut verifier = k.sign_at(&mut request, t).unwrap();
        assert_eq!(request[11], 1);
        let found = find_tsig(&request).unwrap().unwrap();
        assert_eq!(found.key, "xfr.");
        let body = [0x12, 0x34, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let reply = server_reply(&k, &found.mac, &body, t);
        let mut tampered = reply.clone();
        tampered[3] ^= 1;
        assert!(matches!(
            verifier.verify_at(&tampered, t + 10),
            Err(TsigError::BadSignature { .. })
        ));
        let mut v2 = key("c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
            .sign_at(&mut request.clone(), t)
            .unwrap();
        v2.prior_mac = found.mac.clone();
        assert!(matches!(
            v2.verify_at(&reply, t + 1000),
            Err(TsigError::BadTime { .. })
        ));
        verifier.verify_at(&reply, t + 10).unwrap();
        verifier.finish().unwrap();
        let other = key("b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==");
        let mut v3 = other
            .sign_at(&mut vec![0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], t)
            .unwrap();
        v3.prior_mac = found.mac;
        assert!(matches!(
            v3.verify_at(&reply, t),
            Err(TsigError::BadSignature { .. })
        ));
        let mut v4 = k.sign_at(&mut request.clone(), t).unwrap();
        assert!(matches!(
            v4.verify_at(&body, t),
            Err(TsigError::Unsigned { .. })
        ));
    }
}
