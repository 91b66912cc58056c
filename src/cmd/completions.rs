//! `ptr-audit completions SHELL`: prints the shell completion script generated
//! from the clap definition (clap_complete), for the Debian package and for
//! users who install the binary by hand.

use clap_complete::Shell;

use crate::exit::ExitCode;

/// Arguments of `ptr-audit completions`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Runs `completions`: writes the script for the whole command line to stdout.
pub fn run(args: Args, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ptr-audit", &mut script);
    crate::output::write_stdout(&script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        let command = crate::cli_command();
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command.clone(), "ptr-audit", &mut script);
            let script = String::from_utf8(script).unwrap();
            for sub in command.get_subcommands() {
                assert!(
                    script.contains(sub.get_name()),
                    "{shell}: no `{}`",
                    sub.get_name()
                );
            }
        }
    }
}
