//! RFC 2136 dynamic updates for `ptr-audit fix --apply`: the fixes of a
//! report, checked against what the primaries hold now, applied one owner
//! name per UPDATE message, journalled, rolled back, and verified by asking
//! again.
//!
//! Main types and steps:
//! - [`Routes`]: which primary takes the updates of which zone
//!   (`--apply SERVER[:PORT]`, `--apply ZONE=SERVER[:PORT]`).
//! - [`plan`] turns a [`FixPlan`](ptr_audit_report::fix::FixPlan) whose
//!   records are placed in their zones into a [`Plan`]: per zone, its SOA
//!   serial and, per owner name, the record set there now and the one to
//!   leave ([`Change`]). Only what is safe is planned ([`Scope`]: the
//!   ownership rule of `docs/fix.md`, reverse zones, forward records only in
//!   the provider's domains or `--allow-zone`); everything else is
//!   [`NotApplied`] with its reason. A plan is saved and read back as JSON
//!   ([`Plan::to_json`], [`Plan::from_json`]).
//! - [`apply`] sends one TSIG-signed UPDATE per change, its prerequisites the
//!   record set the plan saw (RFC 2136 §2.4), so a record changed since is
//!   refused by the server and left alone; a [`Journal`] holds each change
//!   before it is sent, and [`rollback_plan`] turns a journal back into the
//!   changes that restore it.
//! - [`verify`] asks again (each name at its primary, or through a resolver)
//!   whether every touched address now has its expected PTR and forward
//!   record.
//!
//! Everything read from DNS is untrusted; [`text`] writes plans and
//! outcomes with every name escaped for a terminal. Sockets are blocking
//! TCP (`std::net`), no async runtime.
//!
//! ```no_run
//! use ptr_audit_update::{Routes, Scope};
//! let routes = Routes::parse(&["127.0.0.1:5300".to_owned()])?;
//! let report = ptr_audit_report::read_report(std::path::Path::new("report.json"))?;
//! let mut fixes = ptr_audit_report::fix::plan(&report.records);
//! fixes.place_in_zones(|name| routes.server_for(name).map(|_| "113.0.203.in-addr.arpa.".to_owned()));
//! let scope = Scope { provider_domains: vec!["examplehost.net.".into()], allow_zones: vec![] };
//! let plan = ptr_audit_update::plan(&fixes, &scope, &routes, 3600);
//! assert!(plan.errors.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

use std::net::SocketAddr;
use std::path::PathBuf;

mod apply;
mod exchange;
mod journal;
mod plan;
mod route;
pub mod text;
mod verify;

pub use apply::{ApplyReport, ChangeResult, Outcome, apply};
pub use exchange::probe;
pub use journal::{Journal, JournalEntry, rollback_plan};
pub use plan::{
    Change, Check, NotApplied, Plan, Rr, RrType, Scope, ZoneChanges, ZoneProblem, plan,
};
pub use route::Routes;
pub use verify::{Recheck, Via, verify, verify_changes};

/// Why an update could not be planned, sent, journalled or read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// An `--apply` value is not `SERVER[:PORT]` or `ZONE=SERVER[:PORT]`.
    #[error("`--apply {text}`: {reason}")]
    BadRoute {
        /// The value as given.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The server could not be reached, or the exchange broke off.
    #[error("cannot reach `{server}`: {source}")]
    Unreachable {
        /// The server.
        server: SocketAddr,
        /// The underlying error (a timeout included).
        #[source]
        source: std::io::Error,
    },
    /// The server's reply is not a DNS reply to the request.
    #[error("`{server}` sent a malformed reply: {reason}")]
    Malformed {
        /// The server.
        server: SocketAddr,
        /// What is wrong.
        reason: &'static str,
    },
    /// The TSIG key was refused (BADKEY, BADSIG, BADTIME) or a reply's
    /// signature does not verify.
    #[error("`{server}`: {source}")]
    Tsig {
        /// The server.
        server: SocketAddr,
        /// The TSIG failure (never quotes the secret).
        #[source]
        source: ptr_audit_tsig::TsigError,
    },
    /// A name to send is not a domain name.
    #[error("`{name}` is not a domain name")]
    BadName {
        /// The name (escaped by the caller before printing).
        name: String,
    },
    /// A plan or journal file cannot be read or written.
    #[error("`{}`: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A plan or journal file is not what this version writes.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
}
