//! One module per subcommand: its clap arguments, the config built from them,
//! and the function that runs it.

pub mod validate;
