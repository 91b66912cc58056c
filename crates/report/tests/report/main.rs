//! Integration tests of the report crate: one binary, one module per concern.

mod ci_doc;
mod dnsbl;
mod fix;
mod fixture;
mod formats;
mod gate;
mod html;
mod junit_schema;
mod roundtrip;
mod sarif_schema;
mod schema;
