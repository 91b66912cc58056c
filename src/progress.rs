//! Scan progress on stderr: an indicatif bar when stderr is a terminal, a
//! plain line about every ten seconds when it is not, nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ptr_audit_model::Status;

/// How often the plain (non-terminal) progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// Counts finished addresses by status and shows them.
pub struct Progress {
    total: u64,
    done: u64,
    by_status: [u64; Status::COUNT],
    started: Instant,
    display: Display,
}

enum Display {
    Quiet,
    Bar(ProgressBar),
    Plain { last: Instant },
}

impl Progress {
    /// A progress display for `total` addresses.
    pub fn new(total: u64, quiet: bool) -> Self {
        let display = if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} addresses  {per_sec}  eta {eta}  {msg}\n{wide_bar}",
                )
                .expect("progress template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Display::Bar(bar)
        } else {
            Display::Plain {
                last: Instant::now(),
            }
        };
        Self {
            total,
            done: 0,
            by_status: [0; Status::COUNT],
            started: Instant::now(),
            display,
        }
    }

    /// Counts one finished address.
    pub fn finished(&mut self, status: Status) {
        self.done += 1;
        self.by_status[status.index()] += 1;
        let refresh = self.done.is_multiple_of(64) || self.done == self.total;
        match &self.display {
            Display::Quiet => {}
            Display::Bar(bar) => {
                bar.inc(1);
                if refresh {
                    bar.set_message(self.counts());
                }
            }
            Display::Plain { last } => {
                if refresh && last.elapsed() >= PLAIN_EVERY {
                    let _ = writeln!(std::io::stderr(), "{}", self.line());
                    self.display = Display::Plain {
                        last: Instant::now(),
                    };
                }
            }
        }
    }

    /// Clears the bar and, unless quiet, prints a last line.
    pub fn finish(&mut self, interrupted: bool) {
        let line = self.line();
        match &self.display {
            Display::Quiet => return,
            Display::Bar(bar) => bar.finish_and_clear(),
            Display::Plain { .. } => {}
        }
        let verb = if interrupted { "interrupted" } else { "done" };
        let _ = writeln!(std::io::stderr(), "{verb}: {line}");
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{}/{} addresses, {:.0}/s, {}",
            self.done,
            self.total,
            self.done as f64 / secs,
            self.counts()
        )
    }

    fn counts(&self) -> String {
        Status::all()
            .zip(self.by_status)
            .filter(|(_, n)| *n > 0)
            .map(|(status, n)| format!("{} {n}", status.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
