//! TSIG (RFC 8945) for ptr-audit: the shared secret keys that zone
//! transfers (`scan --zones axfr://…`) and dynamic updates authenticate with.
//!
//! Main types:
//! - [`TsigKey`]: a key read from a BIND key file ([`TsigKey::from_file`],
//!   the format `tsig-keygen` and `rndc-confgen` write), HMAC-SHA1/256/384/512.
//!   Its secret never leaves the crate: `Debug` prints `<redacted>`, no error
//!   quotes it, and nothing returns it.
//! - [`TsigKey::sign`]: appends a TSIG record to a DNS request in wire form.
//! - [`Verifier`]: checks the TSIG records of the replies to a signed
//!   request, one message after another (a zone transfer's stream included:
//!   unsigned messages between signed ones are covered by the next MAC).
//!
//! ```
//! use ptr_audit_tsig::TsigKey;
//! let key = TsigKey::parse(
//!     "key \"transfer\" {\n  algorithm hmac-sha256;\n  secret \"c2VjcmV0LXNlY3JldC1zZWNyZXQ=\";\n};\n",
//!     std::path::Path::new("transfer.key"),
//! )?;
//! assert_eq!(key.name(), "transfer.");
//! assert_eq!(key.algorithm().name(), "hmac-sha256.");
//! assert!(!format!("{key:?}").contains("c2Vj"));
//! # Ok::<(), ptr_audit_tsig::TsigError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

use std::path::PathBuf;

mod key;
mod sign;

pub use key::{Algorithm, TsigKey};
pub use sign::Verifier;

/// Why a key could not be read or a message failed its TSIG check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsigError {
    /// The key file could not be read.
    #[error("cannot read the TSIG key file `{}`: {source}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The key file is not a BIND key file holding one usable key.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The key file.
        path: PathBuf,
        /// The 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong (never the secret).
        message: String,
    },
    /// A reply that should carry a TSIG record carries none.
    #[error("the reply is not signed with the TSIG key `{key}`")]
    Unsigned {
        /// The key's name.
        key: String,
    },
    /// A reply's TSIG record names another key or algorithm.
    #[error("the reply is signed with `{found}`, not with the TSIG key `{key}`")]
    OtherKey {
        /// The key's name.
        key: String,
        /// The key name and algorithm the reply names.
        found: String,
    },
    /// The server reported a TSIG error (RFC 8945 §5.2: BADSIG, BADKEY, BADTIME, …).
    #[error("the server refused the TSIG key `{key}`: {code}")]
    ServerRefused {
        /// The key's name.
        key: String,
        /// The TSIG error, by name when known (`BADKEY`), else its number.
        code: String,
    },
    /// A reply's MAC does not verify: a wrong secret, or a forged or altered reply.
    #[error("the reply's TSIG signature does not verify with the key `{key}`")]
    BadSignature {
        /// The key's name.
        key: String,
    },
    /// A reply was signed too far from the current time (more than its fudge).
    #[error("the reply was signed at {signed} (unix time), {skew} s from now (fudge {fudge} s)")]
    BadTime {
        /// When the reply says it was signed.
        signed: u64,
        /// How far that is from now, in seconds.
        skew: u64,
        /// The allowed difference.
        fudge: u16,
    },
    /// A message is not well-formed DNS (cut short, bad names, counts).
    #[error("malformed DNS message: {0}")]
    Malformed(&'static str),
}
