//! Reads a provider's address plan from NetBox's REST API into a ptr-audit
//! inventory (`ptr-audit import netbox`): prefixes become blocks, grouped by
//! site or region into datacenters, with a policy from their status, tags,
//! role or custom fields; IP addresses with a DNS name become assignments.
//!
//! Main types: [`Client`] (a blocking HTTPS client with TLS verification,
//! `--ca-file`, proxies from the environment, deadlines, pagination) reads
//! the lists; [`import`] maps them to an [`Import`] by [`Options`];
//! [`render()`] writes it as inventory YAML, sorted and stable, optionally
//! merged into an existing inventory ([`render::Into`]). The caller checks the
//! text with `ptr_audit_inventory::load_texts` and compares inventories with
//! `ptr_audit_inventory::drift`. The shapes read are those of NetBox's own
//! serializers, 4.1 (`site`) and 4.2 on (`scope`): see the `api` module.
//!
//! ```no_run
//! use ptr_audit_netbox::{Client, ClientOptions, Options, Token, import, render};
//! let token = Token::from_file("netbox.token".as_ref())?;
//! let client = Client::new(ClientOptions {
//!     url: "https://netbox.example.net".into(),
//!     token,
//!     ca_file: None,
//!     timeout: std::time::Duration::from_secs(30),
//! })?;
//! let plan = import(&client, &Options::default())?;
//! let yaml = render::render(&plan, &client.base_url(), &Default::default(), None)?;
//! print!("{}", yaml.text);
//! # Ok::<(), ptr_audit_netbox::NetboxError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

mod api;
mod client;
mod error;
mod mapping;
pub mod render;

pub use client::{Client, ClientOptions, Token};
pub use error::NetboxError;
pub use mapping::{
    Assignment, Block, DatacenterFrom, Import, Options, PolicyRule, Skipped, import,
};
pub use render::render;
