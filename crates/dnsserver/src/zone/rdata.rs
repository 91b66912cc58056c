//! Record data in presentation form → hickory [`RData`]: the types an rDNS
//! audit reads are built as typed data; DNSSEC records (RRSIG, DNSKEY, DS,
//! NSEC, NSEC3, …), a few other common types and anything written in the
//! RFC 3597 generic form (`TYPE65280 \# 2 ABCD`) are encoded to wire form and
//! carried as opaque data; the rest goes through hickory's own parser.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, PTR, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};

use super::{Token, char_string, display_name, parse_name, parse_ttl};

/// Mnemonics of registered types hickory has no name for (IANA's registry).
const EXTRA_TYPES: &[(&str, u16)] = &[
    ("MD", 3),
    ("MF", 4),
    ("MB", 7),
    ("MG", 8),
    ("MR", 9),
    ("WKS", 11),
    ("MINFO", 14),
    ("RP", 17),
    ("AFSDB", 18),
    ("X25", 19),
    ("ISDN", 20),
    ("RT", 21),
    ("NSAP", 22),
    ("NSAP-PTR", 23),
    ("PX", 26),
    ("GPOS", 27),
    ("LOC", 29),
    ("NXT", 30),
    ("EID", 31),
    ("NIMLOC", 32),
    ("ATMA", 34),
    ("KX", 36),
    ("A6", 38),
    ("SINK", 40),
    ("APL", 42),
    ("IPSECKEY", 45),
    ("DHCID", 49),
    ("HIP", 55),
    ("NINFO", 56),
    ("RKEY", 57),
    ("TALINK", 58),
    ("ZONEMD", 63),
    ("SPF", 99),
    ("UINFO", 100),
    ("UID", 101),
    ("GID", 102),
    ("UNSPEC", 103),
    ("NID", 104),
    ("L32", 105),
    ("L64", 106),
    ("LP", 107),
    ("EUI48", 108),
    ("EUI64", 109),
    ("URI", 256),
    ("AVC", 258),
    ("DOA", 259),
    ("AMTRELAY", 260),
    ("RESINFO", 261),
    ("TA", 32768),
    ("DLV", 32769),
];

/// Type mnemonics that only make sense in a query or a message, never in a
/// zone.
const META_TYPES: &[RecordType] = &[
    RecordType::ANY,
    RecordType::AXFR,
    RecordType::IXFR,
    RecordType::OPT,
    RecordType::TSIG,
    RecordType::ZERO,
];

/// The record type named `text` (a mnemonic or RFC 3597 `TYPEnnn`), if any.
pub(super) fn parse_type(text: &str) -> Option<RecordType> {
    let upper = text.to_ascii_uppercase();
    if let Ok(t) = RecordType::from_str(&upper)
        && !META_TYPES.contains(&t)
    {
        return Some(t);
    }
    if let Some((_, code)) = EXTRA_TYPES.iter().find(|(name, _)| *name == upper) {
        return Some(RecordType::from(*code));
    }
    let digits = upper.strip_prefix("TYPE")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().map(RecordType::from)
}

/// The presentation name of a type: its mnemonic, else `TYPEnnn`.
pub(crate) fn type_name(rtype: RecordType) -> String {
    let code = u16::from(rtype);
    if let RecordType::Unknown(_) = rtype {
        return EXTRA_TYPES
            .iter()
            .find(|(_, c)| *c == code)
            .map_or_else(|| format!("TYPE{code}"), |(name, _)| (*name).to_owned());
    }
    rtype.to_string()
}

/// True for the types the audit reads (and the zone structure needs): a
/// malformed record of one of these refuses the zone, any other is skipped
/// with a warning.
pub(super) fn audited(rtype: RecordType) -> bool {
    matches!(
        rtype,
        RecordType::SOA
            | RecordType::NS
            | RecordType::A
            | RecordType::AAAA
            | RecordType::PTR
            | RecordType::CNAME
    )
}

/// True for DNSSEC types that may share an owner name with a CNAME
/// (RFC 4035 §2.5, RFC 4034 §4).
pub(crate) fn beside_cname(rtype: RecordType) -> bool {
    matches!(
        rtype,
        RecordType::RRSIG | RecordType::NSEC | RecordType::SIG | RecordType::KEY
    ) || u16::from(rtype) == 30 // NXT
}

/// One record as `owner TTL IN TYPE DATA`, lowercase, opaque data in
/// RFC 3597 generic form (see [`ZoneSet::canonical_lines`](crate::ZoneSet::canonical_lines)).
pub(super) fn canonical_line(record: &Record) -> String {
    let data = match &record.data {
        RData::Unknown { rdata, .. } => format!(
            "\\# {} {}",
            rdata.anything.len(),
            data_encoding::HEXLOWER.encode(&rdata.anything)
        ),
        other => other.to_string(),
    };
    format!(
        "{} {} IN {} {data}",
        display_name(&record.name),
        record.ttl,
        type_name(record.record_type())
    )
    .to_ascii_lowercase()
}

fn want<'a>(rdata: &[&'a Token], n: usize, rtype: &str) -> Result<Vec<&'a str>, String> {
    if rdata.len() != n {
        return Err(format!(
            "{rtype} takes {n} field{}, found {}",
            if n == 1 { "" } else { "s" },
            rdata.len()
        ));
    }
    Ok(rdata.iter().map(|t| t.text.as_str()).collect())
}

/// Builds the data of one `rtype` record from its presentation fields.
pub(super) fn rdata_of(
    rtype: RecordType,
    rdata: &[&Token],
    origin: &Name,
    owner: &Name,
) -> Result<RData, String> {
    let name = type_name(rtype);
    if let Some(first) = rdata.first()
        && !first.quoted
        && first.text == "\\#"
    {
        return generic(rtype, &name, &rdata[1..]);
    }
    Ok(match rtype {
        RecordType::A => {
            let f = want(rdata, 1, "A")?;
            RData::A(A(
                Ipv4Addr::from_str(f[0]).map_err(|_| format!("bad IPv4 address `{}`", f[0]))?
            ))
        }
        RecordType::AAAA => {
            let f = want(rdata, 1, "AAAA")?;
            RData::AAAA(AAAA(
                Ipv6Addr::from_str(f[0]).map_err(|_| format!("bad IPv6 address `{}`", f[0]))?,
            ))
        }
        RecordType::PTR => RData::PTR(PTR(parse_name(want(rdata, 1, "PTR")?[0], origin)?)),
        RecordType::CNAME => RData::CNAME(CNAME(parse_name(want(rdata, 1, "CNAME")?[0], origin)?)),
        RecordType::NS => RData::NS(NS(parse_name(want(rdata, 1, "NS")?[0], origin)?)),
        RecordType::MX => {
            let f = want(rdata, 2, "MX")?;
            let pref = f[0]
                .parse::<u16>()
                .map_err(|_| format!("bad MX preference `{}`", f[0]))?;
            RData::MX(MX::new(pref, parse_name(f[1], origin)?))
        }
        RecordType::SOA => {
            let f = want(rdata, 7, "SOA")?;
            let mname = parse_name(f[0], origin)?;
            let rname = parse_name(f[1], origin)?;
            let serial = f[2]
                .parse::<u32>()
                .map_err(|_| format!("bad SOA serial `{}`", f[2]))?;
            let t = |s: &str| -> Result<i32, String> {
                i32::try_from(parse_ttl(s)?).map_err(|_| format!("SOA timer `{s}` is too large"))
            };
            RData::SOA(SOA::new(
                mname,
                rname,
                serial,
                t(f[3])?,
                t(f[4])?,
                t(f[5])?,
                parse_ttl(f[6])?,
            ))
        }
        RecordType::TXT => RData::TXT(TXT::from_bytes(
            strings(rdata, "TXT")?.iter().map(Vec::as_slice).collect(),
        )),
        _ => match opaque_wire(rtype, &name, rdata, origin)? {
            Some(wire) => opaque(rtype, wire),
            None => fallback(&name, rdata, origin, owner)?,
        },
    })
}

/// The character-strings of a TXT-like record.
fn strings(rdata: &[&Token], rtype: &str) -> Result<Vec<Vec<u8>>, String> {
    if rdata.is_empty() {
        return Err(format!("{rtype} needs at least one string"));
    }
    rdata.iter().map(|t| char_string(&t.text)).collect()
}

/// Type codes whose presentation form [`opaque_wire`] encodes itself: their
/// data is carried opaque, from a zone file and from a transfer alike.
const OPAQUE_CODES: &[u16] = &[
    14, 17, 18, 21, 24, 25, 36, 39, 43, 44, 46, 47, 48, 50, 51, 52, 53, 59, 60, 63, 99, 32768,
    32769,
];

/// True when records of `rtype` hold opaque wire data in a [`ZoneSet`](crate::ZoneSet).
pub(crate) fn carried_opaque(rtype: RecordType) -> bool {
    OPAQUE_CODES.contains(&u16::from(rtype))
}

/// Data carried as it is: the type's code and its wire bytes.
pub(crate) fn opaque(rtype: RecordType, wire: Vec<u8>) -> RData {
    RData::Unknown {
        code: rtype,
        // NULL::with asserts non-empty data; empty RDATA is legal (RFC 3597).
        rdata: if wire.is_empty() {
            NULL::new()
        } else {
            NULL::with(wire)
        },
    }
}

/// RFC 3597 §5 generic RDATA: `\# LENGTH HEX…`. Types the audit reads are
/// decoded into typed data, the rest carried as opaque bytes.
fn generic(rtype: RecordType, name: &str, fields: &[&Token]) -> Result<RData, String> {
    let Some((len, hex_fields)) = fields.split_first() else {
        return Err(format!("{name} `\\#` needs a length"));
    };
    let len = len
        .text
        .parse::<u16>()
        .map_err(|_| format!("bad `\\#` length `{}`", len.text))?;
    let wire = hex(hex_fields)?;
    if wire.len() != usize::from(len) {
        return Err(format!(
            "{name} `\\#` says {len} octets but holds {}",
            wire.len()
        ));
    }
    if audited(rtype) || matches!(rtype, RecordType::MX | RecordType::TXT) {
        let mut decoder = BinDecoder::new(&wire);
        let data = RData::read(&mut decoder, rtype, Restrict::new(len))
            .map_err(|e| format!("bad {name} data in `\\#` form: {e}"))?;
        if !decoder.is_empty() {
            return Err(format!("bad {name} data in `\\#` form: trailing octets"));
        }
        return Ok(data);
    }
    Ok(opaque(rtype, wire))
}

/// Encodes the types carried as opaque data; `None` for the others.
fn opaque_wire(
    rtype: RecordType,
    name: &str,
    f: &[&Token],
    origin: &Name,
) -> Result<Option<Vec<u8>>, String> {
    let mut w = Vec::new();
    let fixed = |n: usize| -> Result<(), String> {
        if f.len() < n {
            return Err(format!(
                "{name} takes at least {n} fields, found {}",
                f.len()
            ));
        }
        Ok(())
    };
    match u16::from(rtype) {
        // RRSIG, SIG
        46 | 24 => {
            fixed(9)?;
            let covered = parse_type(&f[0].text)
                .ok_or_else(|| format!("unknown type `{}` in {name}", f[0].text))?;
            w.extend(u16::from(covered).to_be_bytes());
            w.push(algorithm(&f[1].text)?);
            w.push(int::<u8>(&f[2].text, "labels")?);
            w.extend(parse_ttl(&f[3].text)?.to_be_bytes());
            w.extend(sig_time(&f[4].text)?.to_be_bytes());
            w.extend(sig_time(&f[5].text)?.to_be_bytes());
            w.extend(int::<u16>(&f[6].text, "key tag")?.to_be_bytes());
            name_wire(&parse_name(&f[7].text, origin)?, &mut w);
            w.extend(base64(&f[8..])?);
        }
        // DNSKEY, CDNSKEY, KEY
        48 | 60 | 25 => {
            fixed(4)?;
            w.extend(int::<u16>(&f[0].text, "flags")?.to_be_bytes());
            w.push(int::<u8>(&f[1].text, "protocol")?);
            w.push(algorithm(&f[2].text)?);
            w.extend(base64(&f[3..])?);
        }
        // DS, CDS, TA, DLV
        43 | 59 | 32768 | 32769 => {
            fixed(4)?;
            w.extend(int::<u16>(&f[0].text, "key tag")?.to_be_bytes());
            w.push(algorithm(&f[1].text)?);
            w.push(int::<u8>(&f[2].text, "digest type")?);
            w.extend(hex(&f[3..])?);
        }
        // NSEC
        47 => {
            fixed(1)?;
            name_wire(&parse_name(&f[0].text, origin)?, &mut w);
            w.extend(type_bitmap(&f[1..], name)?);
        }
        // NSEC3
        50 => {
            fixed(5)?;
            w.push(int::<u8>(&f[0].text, "hash algorithm")?);
            w.push(int::<u8>(&f[1].text, "flags")?);
            w.extend(int::<u16>(&f[2].text, "iterations")?.to_be_bytes());
            salt(&f[3].text, &mut w)?;
            let next = data_encoding::BASE32HEX_NOPAD
                .decode(f[4].text.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("bad base32hex `{}` in {name}", f[4].text))?;
            w.push(u8::try_from(next.len()).map_err(|_| "next hashed owner too long")?);
            w.extend(next);
            w.extend(type_bitmap(&f[5..], name)?);
        }
        // NSEC3PARAM
        51 => {
            let f = want(f, 4, name)?;
            w.push(int::<u8>(f[0], "hash algorithm")?);
            w.push(int::<u8>(f[1], "flags")?);
            w.extend(int::<u16>(f[2], "iterations")?.to_be_bytes());
            salt(f[3], &mut w)?;
        }
        // ZONEMD
        63 => {
            fixed(4)?;
            w.extend(int::<u32>(&f[0].text, "serial")?.to_be_bytes());
            w.push(int::<u8>(&f[1].text, "scheme")?);
            w.push(int::<u8>(&f[2].text, "hash algorithm")?);
            w.extend(hex(&f[3..])?);
        }
        // SSHFP: algorithm, fingerprint type, hex fingerprint
        44 => {
            fixed(3)?;
            w.push(int::<u8>(&f[0].text, "algorithm")?);
            w.push(int::<u8>(&f[1].text, "fingerprint type")?);
            w.extend(hex(&f[2..])?);
        }
        // TLSA, SMIMEA: usage, selector, matching type, hex data
        52 | 53 => {
            fixed(4)?;
            w.push(int::<u8>(&f[0].text, "certificate usage")?);
            w.push(int::<u8>(&f[1].text, "selector")?);
            w.push(int::<u8>(&f[2].text, "matching type")?);
            w.extend(hex(&f[3..])?);
        }
        // DNAME (RFC 6672: the target is never compressed)
        39 => name_wire(&parse_name(want(f, 1, name)?[0], origin)?, &mut w),
        // AFSDB, RT, KX: preference and a name
        18 | 21 | 36 => {
            let f = want(f, 2, name)?;
            w.extend(int::<u16>(f[0], "preference")?.to_be_bytes());
            name_wire(&parse_name(f[1], origin)?, &mut w);
        }
        // RP, MINFO: two names
        17 | 14 => {
            let f = want(f, 2, name)?;
            name_wire(&parse_name(f[0], origin)?, &mut w);
            name_wire(&parse_name(f[1], origin)?, &mut w);
        }
        // SPF: TXT's format (RFC 7208 §3.1)
        99 => {
            for s in strings(f, name)? {
                w.push(u8::try_from(s.len()).map_err(|_| "string too long")?);
                w.extend(s);
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(w))
}

/// Parses the RDATA of a type this reader does not build itself with
/// hickory's zone parser, one record at a time.
fn fallback(rtype: &str, rdata: &[&Token], origin: &Name, owner: &Name) -> Result<RData, String> {
    let mut text = format!(
        "$ORIGIN {}\n@ 3600 IN SOA . . 1 1 1 1 1\n@ 3600 IN {rtype}",
        origin.to_ascii()
    );
    for tok in rdata {
        if tok.quoted {
            let _ = write!(text, " \"{}\"", tok.text);
        } else {
            let _ = write!(text, " {}", tok.text);
        }
    }
    text.push('\n');
    let parsed = hickory_proto::serialize::txt::Parser::new(text, None, None)
        .parse()
        .map_err(|e| format!("bad {rtype} record for `{}`: {e}", display_name(owner)))?;
    parsed
        .1
        .into_values()
        .flat_map(|set| set.records_without_rrsigs().cloned().collect::<Vec<_>>())
        .find(|r| r.record_type().to_string() == rtype)
        .map(|r| r.data)
        .ok_or_else(|| format!("bad {rtype} record for `{}`", display_name(owner)))
}

fn int<T: FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse::<T>()
        .map_err(|_| format!("bad {what} `{text}`"))
}

/// A DNSSEC algorithm number or mnemonic (RFC 4034 appendix A.1, RFC 8624).
fn algorithm(text: &str) -> Result<u8, String> {
    const NAMES: &[(&str, u8)] = &[
        ("RSAMD5", 1),
        ("DH", 2),
        ("DSA", 3),
        ("RSASHA1", 5),
        ("DSA-NSEC3-SHA1", 6),
        ("RSASHA1-NSEC3-SHA1", 7),
        ("RSASHA256", 8),
        ("RSASHA512", 10),
        ("ECC-GOST", 12),
        ("ECDSAP256SHA256", 13),
        ("ECDSAP384SHA384", 14),
        ("ED25519", 15),
        ("ED448", 16),
        ("INDIRECT", 252),
        ("PRIVATEDNS", 253),
        ("PRIVATEOID", 254),
    ];
    let upper = text.to_ascii_uppercase();
    NAMES
        .iter()
        .find(|(n, _)| *n == upper)
        .map(|(_, v)| *v)
        .map_or_else(|| int::<u8>(text, "algorithm"), Ok)
}

/// Hex digits spread over one or more fields.
fn hex(fields: &[&Token]) -> Result<Vec<u8>, String> {
    let joined: String = fields.iter().map(|t| t.text.as_str()).collect();
    data_encoding::HEXUPPER_PERMISSIVE
        .decode(joined.as_bytes())
        .map_err(|_| format!("bad hex data `{joined}`"))
}

/// Base64 spread over one or more fields.
fn base64(fields: &[&Token]) -> Result<Vec<u8>, String> {
    let joined: String = fields.iter().map(|t| t.text.as_str()).collect();
    data_encoding::BASE64
        .decode(joined.as_bytes())
        .map_err(|_| format!("bad base64 data `{joined}`"))
}

/// An NSEC3 salt: `-` (none) or hex, written with its length octet.
fn salt(text: &str, w: &mut Vec<u8>) -> Result<(), String> {
    let bytes = if text == "-" {
        Vec::new()
    } else {
        data_encoding::HEXUPPER_PERMISSIVE
            .decode(text.as_bytes())
            .map_err(|_| format!("bad salt `{text}`"))?
    };
    w.push(u8::try_from(bytes.len()).map_err(|_| format!("salt `{text}` is too long"))?);
    w.extend(bytes);
    Ok(())
}

/// The wire form of a name, uncompressed, case kept.
fn name_wire(name: &Name, w: &mut Vec<u8>) {
    for label in name.iter() {
        // labels are at most 63 octets (checked by the name parser)
        w.push(label.len() as u8);
        w.extend_from_slice(label);
    }
    w.push(0);
}

/// RFC 4034 §4.1.2 type bit maps from a list of type names.
fn type_bitmap(fields: &[&Token], rr: &str) -> Result<Vec<u8>, String> {
    let mut codes = fields
        .iter()
        .map(|t| {
            parse_type(&t.text)
                .map(u16::from)
                .ok_or_else(|| format!("unknown type `{}` in {rr}", t.text))
        })
        .collect::<Result<Vec<u16>, String>>()?;
    codes.sort_unstable();
    codes.dedup();
    let mut w = Vec::new();
    let mut i = 0;
    while i < codes.len() {
        let window = codes[i] >> 8;
        let mut bits = [0u8; 32];
        let mut used = 0;
        while i < codes.len() && codes[i] >> 8 == window {
            let low = usize::from(codes[i] & 0xff);
            bits[low / 8] |= 0x80 >> (low % 8);
            used = low / 8 + 1;
            i += 1;
        }
        w.push(window as u8);
        w.push(used as u8);
        w.extend_from_slice(&bits[..used]);
    }
    Ok(w)
}

/// An RRSIG time: `YYYYMMDDHHmmSS` (UTC, RFC 4034 §3.2) or seconds since
/// the epoch, as the 32-bit serial-number value the wire carries.
fn sig_time(text: &str) -> Result<u32, String> {
    let bad = || format!("bad signature time `{text}`");
    if text.len() != 14 {
        return text.parse::<u32>().map_err(|_| bad());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |a: usize, b: usize| text[a..b].parse::<i64>().map_err(|_| bad());
    let (y, mo, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (h, mi, s) = (n(8, 10)?, n(10, 12)?, n(12, 14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    // days from the civil date (Howard Hinnant's algorithm)
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    // serial-number arithmetic: the value modulo 2^32
    Ok(secs.rem_euclid(1 << 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Token> {
        text.split_whitespace()
            .map(|t| Token {
                text: t.to_owned(),
                quoted: false,
            })
            .collect()
    }

    #[test]
    fn signature_times_are_utc_seconds() {
        assert_eq!(sig_time("19700101000000").unwrap(), 0);
        assert_eq!(sig_time("20260101000000").unwrap(), 1_767_225_600);
        assert_eq!(sig_time("1767225600").unwrap(), 1_767_225_600);
        assert!(sig_time("20261301000000").is_err());
    }

    #[test]
    fn type_bitmaps_follow_rfc4034() {
        // RFC 4034 §4.3's example: A MX RRSIG NSEC TYPE1234
        let t = toks("A MX RRSIG NSEC TYPE1234");
        let refs: Vec<&Token> = t.iter().collect();
        assert_eq!(
            type_bitmap(&refs, "NSEC").unwrap(),
            [
                0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20
            ]
        );
    }

    #[test]
    fn generic_form_of_an_audited_type_is_typed() {
        let t = toks("\\# 4 C0000201");
        let refs: Vec<&Token> = t.iter().collect();
        let data = rdata_of(RecordType::A, &refs, &Name::root(), &Name::root()).unwrap();
        assert_eq!(data, RData::A(A::new(192, 0, 2, 1)));
        let t = toks("\\# 3 C00002");
        let refs: Vec<&Token> = t.iter().collect();
        assert!(rdata_of(RecordType::A, &refs, &Name::root(), &Name::root()).is_err());
    }

    #[test]
    fn type_names_round_trip() {
        for name in ["A", "LOC", "TYPE65280", "RRSIG", "NSEC3PARAM", "ZONEMD"] {
            let t = parse_type(name).unwrap();
            assert_eq!(type_name(t), name);
        }
        assert_eq!(parse_type("type1"), Some(RecordType::A));
        assert!(parse_type("AXFR").is_none());
        assert!(parse_type("TYPE70000").is_none());
    }
}
