//! The process exit codes, in one place (as fd's `exit_codes.rs`).

/// How a run ended, as the shell sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// No finding at or above the fail level.
    Clean = 0,
    /// Findings at or above the fail level, or too many unanswered lookups.
    Findings = 1,
    /// Bad input or usage.
    BadInput = 2,
    /// Interrupted (Ctrl-C, SIGINT).
    Interrupted = 130,
    /// Terminated (SIGTERM: a pod evicted, a CI job cancelled).
    Terminated = 143,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
