//! `ptr-audit man [SUBCOMMAND]`: prints a man page in roff, generated from the
//! clap definition (clap_mangen): `ptr-audit(1)` without an argument,
//! `ptr-audit-SUBCOMMAND(1)` with one. `--dir DIR` writes every page into DIR
//! (what the Debian package is built from).

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::exit::ExitCode;

/// Arguments of `ptr-audit man`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The subcommand whose page to print (`scan` prints `ptr-audit-scan(1)`); none for `ptr-audit(1)`.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
    /// Write every page (`ptr-audit.1`, `ptr-audit-SUBCOMMAND.1`) into DIR instead.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub dir: Option<PathBuf>,
}

/// Runs `man`.
pub fn run(args: Args, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    // Building the top command gives each subcommand its page name
    // (`ptr-audit-scan`) and its synopsis name (`ptr-audit scan`).
    command.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        for page in pages(&command) {
            let path = dir.join(page.get_filename());
            let mut file = std::fs::File::create(&path)
                .with_context(|| format!("cannot create `{}`", path.display()))?;
            page.render(&mut file)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
        return Ok(ExitCode::Clean);
    }
    let page = match &args.subcommand {
        None => page(command.clone()),
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => page(sub.clone()),
            None => {
                let names: Vec<String> = command
                    .get_subcommands()
                    .map(|s| format!("`{}`", s.get_name()))
                    .collect();
                bail!("no subcommand `{name}`: one of {}", names.join(", "))
            }
        },
    };
    let mut text = Vec::new();
    page.render(&mut text)
        .context("cannot render the man page")?;
    crate::output::write_stdout(&text)
}

/// The page of the whole command, then one per subcommand.
fn pages(command: &clap::Command) -> Vec<clap_mangen::Man> {
    std::iter::once(page(command.clone()))
        .chain(
            command
                .get_subcommands()
                .filter(|s| s.get_name() != "help")
                .map(|s| page(s.clone())),
        )
        .collect()
}

fn page(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).manual("ptr-audit manual")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_subcommand_named_for_man() {
        let mut command = crate::cli_command();
        command.build();
        let names: Vec<String> = pages(&command).iter().map(|p| p.get_filename()).collect();
        assert_eq!(names[0], "ptr-audit.1");
        assert!(names.contains(&"ptr-audit-scan.1".to_owned()), "{names:?}");
        assert!(!names.contains(&"ptr-audit-help.1".to_owned()), "{names:?}");
        assert_eq!(names.len(), command.get_subcommands().count());
    }
}
