//! An embedded authoritative DNS server for ptr-audit: it serves a directory
//! of zone files on loopback so `ptr-audit scan --zones DIR` can audit zones
//! before they are deployed, and it is the real DNS server every scanner test
//! talks to.
//!
//! Main types:
//! - [`ZoneSet`]: zones loaded from `*.zone` files ([`ZoneSet::load_dir`]) or
//!   built from text ([`ZoneSet::from_text`]).
//! - [`ZoneServer`]: serves a [`ZoneSet`] with hickory-server on
//!   `127.0.0.1`, UDP and TCP on one ephemeral port, on its own thread;
//!   counts queries ([`ZoneServer::stats`]), can be switched to drop every
//!   query or answer SERVFAIL or REFUSED ([`ZoneServer::set_mode`]), and can
//!   rate-limit its clients ([`ZoneServer::set_rate_limit`]).
//! - [`faults::FaultProxy`]: a proxy in front of any DNS server that drops,
//!   delays, truncates, garbles or mismatches answers by a seeded schedule.
//!
//! # Zone files
//! The reader takes RFC 1035 master files as operators write them for BIND:
//! comments, quoted strings, parentheses, blank owners, `$ORIGIN`, `$TTL`,
//! `$INCLUDE FILE [ORIGIN]` and `$GENERATE`. Only the IN class is served.
//! - **Record data**: SOA, NS, A, AAAA, PTR, CNAME, MX and TXT are built
//!   directly; DNSSEC records (RRSIG, DNSKEY, CDNSKEY, DS, CDS, NSEC, NSEC3,
//!   NSEC3PARAM), ZONEMD, DNAME, AFSDB, RP, SPF, SSHFP, TLSA and anything
//!   in RFC 3597 generic form (`TYPE65280 \# 3 ABCDEF`) are carried as
//!   opaque wire data (signatures are served, never validated); other types
//!   go through hickory's parser. A record of a type the audit does not read
//!   that cannot be carried (LOC, an unknown mnemonic, bad data) is skipped
//!   with a [`ZoneWarning`] naming file and line; bad data in SOA, NS, A,
//!   AAAA, PTR or CNAME refuses the zone.
//! - **`$GENERATE RANGE OWNER [TTL] [CLASS] TYPE RDATA`** (BIND's syntax):
//!   `START-STOP[/STEP]`, `$` for the iterator, `${OFFSET,WIDTH,BASE}` with
//!   BASE `d o x X n N` (nibble widths count the dots, as in BIND), `\$`
//!   and `$$` for a literal `$`, RDATA quoted when it holds spaces. At most
//!   65,536 records per line; a value pushed below 0 by its offset is an
//!   error.
//! - **RFC 2317 `/` labels** are accepted anywhere a name is written
//!   (`0/26.2.0.192.in-addr.arpa.`, `10 CNAME 10.0/26.2.0.192.in-addr.arpa.`),
//!   as are `\.` and `\DDD` escapes. A file name cannot hold `/`: name the
//!   file anything (`0-26.2.0.192.in-addr.arpa.zone`) and put
//!   `$ORIGIN 0/26.2.0.192.in-addr.arpa.` before the first record.
//! - **The zone is where its SOA is** (exactly one SOA per file). Relative
//!   names start from the file name minus `.zone` until a `$ORIGIN`.
//!   Records outside the zone are ignored with a warning (as BIND and NSD
//!   do); identical records are one (RFC 2181 §5, names compared without
//!   case); a record whose TTL differs from its RRset's first takes that TTL
//!   with a warning (RRSIGs keep theirs); a CNAME must stand alone at its
//!   name (RRSIG and NSEC aside).
//! - **TTL**: the record's own, else `$TTL`, else the previous record's,
//!   else (an SOA) its minimum, else 3600.
//! - **`$INCLUDE`**: a relative path is taken from the including file's
//!   directory; the included text starts with the including file's origin
//!   (or the one given) and the origin reverts after it. Nesting stops at 8
//!   levels and 256 includes per zone.
//! - **Untrusted zones**: `$INCLUDE` may only reach regular files inside the
//!   zones directory: absolute paths outside it, any `..` component and
//!   symlinks leading out are refused before anything is read, and a zone
//!   file that is itself a symlink out of the directory is refused too. No
//!   byte of a file outside the directory can reach an error message.
//! - Errors ([`ZoneError`]) and warnings ([`ZoneSet::warnings`]) name the
//!   file and the line. `tests/e2e/zone_reader.rs` checks the reader against
//!   BIND's `named-checkzone -D` on every zone file of the tests.
//!
//! # Answers
//! hickory-server answers from the zones, chasing CNAMEs inside a zone.
//! Names outside every zone get REFUSED, and so do names that a served zone
//! delegates (an NS record below its apex, e.g. an RFC 2317 `48/29` cut) to
//! a zone that is not in the set: their PTR is unknown offline, not missing
//! (a recursive resolver would answer SERVFAIL). When a CNAME leads into a
//! delegated part of its own zone, hickory puts the delegation's NS records
//! in the answer section after the CNAME; resolvers skip them. Without
//! its DNSSEC feature hickory-server lets nothing share a name with a
//! CNAME, so the RRSIG and NSEC records at a CNAME's name are read but not
//! served.
//!
//! ```
//! use ptr_audit_dnsserver::{ZoneServer, ZoneSet};
//! let zones = ZoneSet::from_text(
//!     "113.0.203.in-addr.arpa",
//!     "$TTL 300\n\
//!      @  IN SOA ns1.examplehost.net. hostmaster.examplehost.net. 1 3600 600 86400 300\n\
//!      @  IN NS  ns1.examplehost.net.\n\
//!      25 IN PTR mail.customer-a.example.\n",
//! )?;
//! let server = ZoneServer::spawn(zones)?;
//! assert!(server.addr().ip().is_loopback());
//! assert_eq!(server.stats().total, 0);
//! # Ok::<(), ptr_audit_dnsserver::ZoneError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

use std::path::PathBuf;

mod background;
pub mod faults;
mod message;
mod server;
mod transfer;
mod zone;

pub use server::{ARRIVAL_LOG_CAP, Mode, RateLimit, Stats, ZoneServer};
pub use transfer::{AxfrSource, TRANSFER_TIMEOUT, TransferError, ZoneSource};
pub use zone::ZoneSet;

/// Something the zone reader skipped or changed without refusing the zone
/// (a record outside the zone, a type it cannot carry, TTLs made equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneWarning {
    /// The zone file (or `<zone ORIGIN>` for zones built from text).
    pub path: PathBuf,
    /// The 1-based line of the entry.
    pub line: usize,
    /// What was done and why.
    pub message: String,
}

impl std::fmt::Display for ZoneWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Why zones could not be loaded or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneError {
    /// A zone file or the zones directory could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A zone file has a syntax or content error.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The zone file (or `<zone ORIGIN>` for zones built from text).
        path: PathBuf,
        /// The 1-based line where the bad entry starts (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An `$INCLUDE` was refused (outside the zones directory, or nested too deep).
    #[error("{}:{line}: `$INCLUDE {include}` refused: {reason}", path.display())]
    IncludeRefused {
        /// The including zone file.
        path: PathBuf,
        /// The line of the `$INCLUDE`.
        line: usize,
        /// The path as the zone file wrote it.
        include: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An `$INCLUDE` inside the zones directory could not be opened.
    #[error("{}:{line}: cannot open `$INCLUDE {include}`: {kind}", path.display())]
    IncludeRead {
        /// The including zone file.
        path: PathBuf,
        /// The line of the `$INCLUDE`.
        line: usize,
        /// The path as the zone file wrote it.
        include: String,
        /// What went wrong (only the kind, never a path outside the directory).
        kind: std::io::ErrorKind,
    },
    /// A zone has no SOA record at its apex.
    #[error("{}: zone `{origin}` has no SOA record at its apex", path.display())]
    MissingSoa {
        /// The zone file.
        path: PathBuf,
        /// The zone's origin.
        origin: String,
    },
    /// Two zone files define the same zone.
    #[error("zone `{origin}` is defined twice: `{}` and `{}`", first.display(), second.display())]
    DuplicateZone {
        /// The zone's origin.
        origin: String,
        /// The first file defining it.
        first: PathBuf,
        /// The second file defining it.
        second: PathBuf,
    },
    /// A `*.zone` entry of the directory is a symlink leading out of it.
    #[error("`{}` leads outside the zones directory", path.display())]
    OutsideDirectory {
        /// The zone file as found in the directory.
        path: PathBuf,
    },
    /// A `--zones` source is neither a directory nor `axfr://SERVER[:PORT]/ZONE`.
    #[error("bad zone source `{source_text}`: {reason}")]
    BadSource {
        /// The source as written.
        source_text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A zone transfer failed.
    #[error("zone transfer `{source_text}` failed: {reason}")]
    Transfer {
        /// The transfer (`axfr://SERVER:PORT/ZONE`).
        source_text: String,
        /// Why.
        #[source]
        reason: TransferError,
    },
    /// The server could not bind its sockets or start its thread.
    #[error("cannot start the dns server: {source}")]
    Serve {
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// hickory-server refused a record of a zone.
    #[error("{}:{line}: cannot serve this record of zone `{origin}`: {message}", path.display())]
    Load {
        /// The zone's origin.
        origin: String,
        /// The file the record was read from.
        path: PathBuf,
        /// The record's line.
        line: usize,
        /// What hickory refused.
        message: String,
    },
}
