//! The ptr-audit inventory: loading the YAML (or plain CIDR) description of a
//! provider's address space, validating it with file:line:column positions, and
//! iterating its addresses lazily.
//!
//! Main types: [`template::Template`] (PTR naming templates).
//!
//! ```
//! use ptr_audit_inventory::template::Template;
//! let t = Template::parse("{ip-dashed}-host.examplehost.net").unwrap();
//! assert_eq!(
//!     t.render("203.0.113.7".parse().unwrap(), "fra1").unwrap(),
//!     "203-0-113-7-host.examplehost.net"
//! );
//! ```

mod changed;
mod check;
mod diag;
mod inventory;
mod load;
mod scope;
pub mod template;
mod visit;
mod yaml;

pub use changed::{ChangedScope, changed_scope};
pub use diag::{Diagnostic, Level};
pub use inventory::{
    Assignment, BlockDetail, Datacenter, DatacenterSummary, Inventory, LoadError, Loaded,
    MAX_UNSAMPLED_V6, POLICIES, PolicyCount, Sample, Summary, Targets, load, load_texts,
};
pub use load::{FORMAT_VERSION, PLAIN_DATACENTER};
pub use visit::{Order, Permutation, Plan, Shard};

#[cfg(test)]
mod tests;
