//! The one colour decision of the binary: `--color auto|always|never` (a
//! global option of every command) combined, for `auto`, with the stream being
//! a terminal and the `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE` conventions,
//! as the anstream stack that clap uses decides them.
//!
//! Text meant for a terminal is written with anstyle styles through
//! [`anstream::stdout`]/[`anstream::stderr`], which drop the styles when colour
//! is off; writers that do not go through anstream (the report's `table` sink)
//! ask [`stdout`] for a yes or no.

use anstream::ColorChoice;

/// `--color`: when to colour what goes to a terminal.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Choice {
    /// On a terminal, unless `NO_COLOR` is set or `CLICOLOR=0` (`CLICOLOR_FORCE` forces it).
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Makes `choice` the decision for the rest of the run.
pub fn init(choice: Choice) {
    let global = match choice {
        Choice::Auto => ColorChoice::Auto,
        Choice::Always => ColorChoice::Always,
        Choice::Never => ColorChoice::Never,
    };
    global.write_global();
}

/// True when what is written to stdout gets colour.
pub fn stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != ColorChoice::Never
}

/// Styles of `explain`'s verdict (the palette of rustc and of validate's diagnostics).
pub mod style {
    use anstyle::{AnsiColor, Style};

    /// Bad (`invalid`, a matched rule).
    pub const ERROR: Style = AnsiColor::Red.on_default().bold();
    /// Doubtful (`generic`).
    pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
    /// Good (`custom`).
    pub const GOOD: Style = AnsiColor::Green.on_default().bold();
}
