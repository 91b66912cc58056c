//! Command-line tests of the `ptr-audit` binary, one module per subcommand.

mod authoritative;
mod classify;
mod faults;
mod fix;
mod scale_out;
mod scan;
mod validate;
