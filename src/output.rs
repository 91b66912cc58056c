//! Where reports go. `-` is standard output (buffered; a closed pipe, as in
//! `| head`, is not an error). A regular file is written to a temporary file
//! in the same directory and renamed into place only once the report is
//! complete (synced first), so a run that fails never destroys the report a
//! previous run left there, and an output may replace one of the run's own
//! inputs (`merge a.json --output json=a.json`). Special files (`/dev/*`,
//! FIFOs, character devices) are written directly.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ptr_audit_report::Format;

/// Standard output, buffered, where a closed pipe is not an error: the one
/// stdout writer of every command.
pub fn stdout() -> Box<dyn Write + Send> {
    Box::new(BrokenPipeOk(BufWriter::with_capacity(
        64 << 10,
        std::io::stdout(),
    )))
}

/// The one rule for what standard output shows, on every command: the
/// `--format` report when `--format` is given; else the command's `default`
/// format unless an `--output` is given (then nothing, unless an output is
/// `FORMAT=-`). Only one report may go to standard output.
pub fn stdout_format(
    format: Option<Format>,
    outputs: &[(Format, PathBuf)],
    default: Format,
) -> anyhow::Result<Option<Format>> {
    let dashes = outputs.iter().filter(|(_, p)| p == Path::new("-")).count();
    if dashes > 1 || (dashes == 1 && format.is_some()) {
        bail!(
            "only one report can go to standard output: give one of `--format` and `--output FORMAT=-`"
        );
    }
    Ok(match format {
        Some(f) => Some(f),
        None if outputs.is_empty() => Some(default),
        None => None,
    })
}

/// Writes `bytes` to standard output through [`stdout`] (a closed pipe is
/// not an error): for commands that print one text.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<crate::exit::ExitCode> {
    let mut out = stdout();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("cannot write to stdout")?;
    Ok(crate::exit::ExitCode::Clean)
}

/// Whether a write failed because the reader went away (`| head`): the end
/// of the output, not an error, on every command.
pub fn closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::BrokenPipe
}

/// A writer where a closed pipe (`| head`) is not an error.
struct BrokenPipeOk<W>(W);

impl<W: Write> Write for BrokenPipeOk<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if closed_pipe(&e) => Ok(buf.len()),
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if closed_pipe(&e) => Ok(()),
            other => other,
        }
    }
}

/// The output files of one run: opened as temporary files, put in place by
/// [`Outputs::commit`]. Dropped without a commit, they leave every path as it
/// was.
#[derive(Default)]
pub struct Outputs {
    pending: Vec<Pending>,
}

/// A temporary file and the path it replaces when committed.
struct Pending {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Outputs {
    /// Opens `path` for a report: stdout for `-`, the file itself for a
    /// special file, else a temporary file beside it.
    pub fn open(&mut self, path: &Path) -> anyhow::Result<Box<dyn Write + Send>> {
        if path == Path::new("-") {
            return Ok(stdout());
        }
        if is_special(path) {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .with_context(|| format!("cannot open `{}`", path.display()))?;
            return Ok(Box::new(BufWriter::new(file)));
        }
        // Through a symbolic link, the file it names is replaced (the link stays).
        let path = match std::fs::canonicalize(path) {
            Ok(real) => real,
            Err(_) => path.to_owned(),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        let file = temp
            .as_file()
            .try_clone()
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        self.pending.push(Pending { temp, path });
        Ok(Box::new(BufWriter::new(file)))
    }

    /// Puts every output in place: syncs each temporary file, gives it the
    /// permissions of the file it replaces (0644 for a new one), and renames
    /// it over its path. Call only after every writer was flushed.
    pub fn commit(self) -> anyhow::Result<()> {
        for Pending { temp, path } in self.pending {
            let context = || format!("cannot write `{}`", path.display());
            let permissions = match std::fs::metadata(&path) {
                Ok(m) => m.permissions(),
                Err(_) => new_file_permissions(),
            };
            temp.as_file()
                .set_permissions(permissions)
                .with_context(context)?;
            temp.as_file().sync_all().with_context(context)?;
            temp.persist(&path)
                .map_err(|e| e.error)
                .with_context(context)?;
            // The rename is durable once the directory is synced.
            if let Some(dir) = path.parent()
                && let Ok(dir) = File::open(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                })
            {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

/// Paths written in place: anything under `/dev` or `/proc` (`/dev/stdout`
/// may resolve to a regular file the shell opened), and existing files that
/// are not regular files (FIFOs, devices).
fn is_special(path: &Path) -> bool {
    if path.starts_with("/dev") || path.starts_with("/proc") {
        return true;
    }
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

#[cfg(unix)]
fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn new_file_permissions() -> std::fs::Permissions {
    let file = tempfile::tempfile().expect("a temporary file");
    file.metadata().expect("its metadata").permissions()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_output_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        let mut outputs = Outputs::default();
        let mut w = outputs.open(&path).unwrap();
        w.write_all(b"new, half written").unwrap();
        w.flush().unwrap();
        drop(w);
        drop(outputs);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "a temporary file was left behind");
    }

    #[test]
    fn a_committed_output_replaces_the_file_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut outputs = Outputs::default();
        let mut w = outputs.open(&path).unwrap();
        w.write_all(b"new").unwrap();
        w.flush().unwrap();
        drop(w);
        outputs.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let fresh = dir.path().join("fresh.json");
        let mut outputs = Outputs::default();
        outputs.open(&fresh).unwrap().flush().unwrap();
        outputs.commit().unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn special_files_are_written_in_place() {
        assert!(is_special(Path::new("/dev/null")));
        assert!(is_special(Path::new("/dev/stdout")));
        let mut outputs = Outputs::default();
        outputs
            .open(Path::new("/dev/null"))
            .unwrap()
            .write_all(b"x")
            .unwrap();
        assert!(outputs.pending.is_empty());
    }
}
