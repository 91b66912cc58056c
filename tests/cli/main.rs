//! Command-line tests of the `ptr-audit` binary, one module per subcommand.

mod validate;
mod fix;
mod scan;
mod classify;
mod scale_out;
