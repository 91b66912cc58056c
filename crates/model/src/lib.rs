//! Plain types shared by every ptr-audit crate: what the inventory says about an
//! address ([`Target`], [`BlockInfo`], [`Policy`]), what DNS said about it
//! ([`Lookup`], [`PtrAnswer`], [`ForwardAnswer`], [`DnsblAnswer`]), and what that means
//! ([`Finding`], [`FindingCode`], [`Severity`], [`AddressRecord`]), and what
//! each mail receiver would do with it ([`Receivers`], [`Iprev`]).
//!
//! No IO, no async, no serialization: the `report` crate owns the wire format.
//! Names that came from DNS are held as [`DnsName`], in RFC 1035 presentation
//! form, so a control character or a non-ASCII byte can never reach an output
//! raw (it is written as `\DDD`).
//!
//! ```
//! use ptr_audit_model::{DnsName, FindingCode, Severity};
//! let name = DnsName::from_labels([b"mail".as_slice(), b"example\x07".as_slice()]);
//! assert_eq!(name.as_str(), "mail.example\\007.");
//! assert_eq!(FindingCode::PtrMissing.as_str(), "ptr-missing");
//! assert!(Severity::Error > Severity::Warning);
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod date;
mod dnsbl;
mod finding;
mod lookup;
mod name;
mod policy;
mod receiver;
mod record;
mod shard;
mod target;

pub use date::Date;
pub use dnsbl::{Dnsbl, DnsblAnswer, DnsblKind, DnsblResult};
pub use finding::{Detail, DetailValue, Finding, FindingCode};
pub use lookup::{FailureReason, ForwardAnswer, Lookup, PtrAnswer, PtrResult, Rcode, ServerAnswer};
pub use name::DnsName;
pub use policy::{DatacenterStatus, Policy, Severity, SeverityOverrides};
pub use receiver::{Iprev, ReceiverId, ReceiverVerdict, Receivers, Score, Verdict};
pub use record::{AddressRecord, BlockFinding, Status};
pub use shard::Shard;
pub use target::{BlockInfo, BlockKey, Provider, SourceLocation, Target, reverse_name};
