//! End-to-end suite: `ptr-audit` against stock DNS servers. NSD serves the
//! zones in `tests/e2e-zones/zones/` as the authoritative server, Unbound
//! resolves them recursively through stub zones (the way a provider's own
//! resolver sees them), and a silent port plays a lame delegation. The servers
//! run on loopback ports with configuration generated in a temporary
//! directory; `tests/e2e-zones/expected.tsv` says, by hand, what every address
//! must come out as. See `docs/testing.md`.
//!
//! `browser.rs` loads the `html` report in headless Chromium through
//! chromedriver (`webdriver.rs`).
//!
//! When `nsd`, `unbound`, `chromium` or `chromedriver` is not installed the
//! tests say so loudly and pass without running; with `CI=true` they fail instead.

mod apply;
mod authoritative;
mod browser;
mod checkpoint;
mod dns;
mod dnsbl;
mod expected;
mod fixture;
mod oracle;
mod outage;
mod scan;
mod servers;
mod transfer;
mod webdriver;
mod zone_reader;
