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
                    "{spinner} {human_pos}/{human_len} addresses  {rate}  eta {eta}  {msg}\n{wide_bar}",
                )
                .expect("progress template is valid")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{}/s", thousands(state.per_sec().round() as u64));
                    },
                ),
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
            "{}/{} addresses, {}/s, {}",
            thousands(self.done),
            thousands(self.total),
            thousands((self.done as f64 / secs).round() as u64),
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

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_631), "1,631");
        assert_eq!(thousands(65_536), "65,536");
        assert_eq!(thousands(1_048_576), "1,048,576");
    }
}
