//! The ptr-audit inventory: loading the YAML (or plain CIDR) description of a
//! provider's address space, validating it with file:line:column positions, and
//! iterating its addresses lazily. Synchronous, no network; never prints.
//!
//! Main types: [`load`] turns inputs (YAML files, directories of them, CIDR
//! lists, CIDRs, `-`) into a [`Loaded`]: an [`Inventory`] plus every
//! [`Diagnostic`]. The inventory counts its addresses in scope arithmetically
//! ([`Inventory::scope_len`]) and produces them lazily, sequentially
//! ([`Inventory::targets`]) or by index in O(log n) ([`Inventory::target_at`]),
//! as [`ptr_audit_model::Target`]s carrying the expected PTR. [`template::Template`]
//! parses and renders PTR naming templates; [`changed_scope`] tells which
//! addresses two versions of an inventory see differently, [`drift`] which
//! blocks and assignments differ; [`Plan`] orders and shards the scope. The YAML is read with `saphyr-parser` events into a small
//! tree with a position on every node, converted by hand for precise errors.
//!
//! ```
//! use ptr_audit_inventory::{load_texts, template::Template};
//! let yaml = "version: 1
//! datacenters:
//!   - name: fra1
//!     blocks:
//!       - cidr: 203.0.113.0/30
//!         policy: mail
//!         expect_ptr: \"mail{d}.{datacenter}.example.net\"
//! ";
//! let loaded = load_texts(vec![("inv.yaml".into(), yaml.to_owned())]);
//! assert!(!loaded.has_errors());
//! let inv = &loaded.inventory;
//! assert_eq!(inv.scope_len(), 4);
//! let t = inv.target_at(2).unwrap();
//! assert_eq!(t.ip.to_string(), "203.0.113.2");
//! assert_eq!(t.expected_ptr.as_deref(), Some("mail2.fra1.example.net"));
//!
//! let t = Template::parse("{ip-dashed}-host.examplehost.net").unwrap();
//! assert_eq!(
//!     t.render("203.0.113.7".parse().unwrap(), "fra1").unwrap(),
//!     "203-0-113-7-host.examplehost.net"
//! );
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod changed;
mod check;
mod diag;
mod drift;
mod inventory;
mod load;
mod raw;
mod resolver;
mod schema;
mod scope;
pub mod template;
mod visit;
use std::path::PathBuf;

use ptr_audit_yaml as yaml;

pub use changed::{ChangedScope, changed_scope};
pub use diag::{Diagnostic, Level};
pub use drift::{Change, drift};
pub use inventory::{
    Assignment, BlockDetail, Datacenter, DatacenterTotals, Inventory, InventorySummary, LoadError,
    Loaded, MAX_UNSAMPLED_V6, PolicyCount, Sample, Targets,
};
pub use load::PLAIN_DATACENTER;
pub use resolver::{DNS_PORT, parse_resolver};
pub use schema::FORMAT_VERSION;
pub use visit::{Order, Permutation, Plan};

/// Loads and checks inventories: YAML files, directories of them, CIDR list
/// files, CIDRs or addresses, and `-` for standard input, merged into one.
pub fn load(inputs: &[String]) -> Result<Loaded, LoadError> {
    let raw = load::read_inputs(inputs)?;
    Ok(check::build(raw))
}

/// Loads inventories from texts already in memory, each with the path to name
/// in diagnostics (e.g. the files of an inventory at a git revision). A path
/// ending in `.yaml`/`.yml` is YAML; any other is a CIDR list if its first
/// entry is a CIDR or address, else YAML.
pub fn load_texts(texts: Vec<(PathBuf, String)>) -> Loaded {
    check::build(load::read_texts(texts))
}

#[cfg(test)]
mod tests;
